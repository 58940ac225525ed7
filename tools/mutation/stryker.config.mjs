/**
 * StrykerJS over one folder (NABLA_MUTATE=io|data|optim|autograd|ops), command runner, mutants in dist/src.
 * Run through `npm run mutation -- <folder> [minutes]`, which builds first and sets the variables.
 */
import { folders } from './folders.mjs';

const name = process.env.NABLA_MUTATE ?? 'io';
const folder = folders[name];
if (!folder) throw new Error(`stryker.config: NABLA_MUTATE must be one of ${Object.keys(folders).join(', ')}, got '${name}'`);

export default {
  // one file per Stryker run when the driver (run.mjs) time-boxes a folder file by file
  mutate: process.env.NABLA_MUTATE_FILE ? [process.env.NABLA_MUTATE_FILE] : folder.mutate,
  testRunner: 'command',
  commandRunner: { command: `node tools/mutation/run-tests.mjs ${name}` },
  coverageAnalysis: 'off',
  ignorePatterns: ['node_modules', '.stryker-tmp', 'reports', 'out', 'runs', 'bench', 'examples', 'explorer', 'systest', 'dist/bench', 'dist/examples', 'dist/systest'],
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: process.env.NABLA_MUTATE_REPORT ?? `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  concurrency: Number(process.env.NABLA_MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 60000,
  timeoutFactor: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  disableTypeChecks: false,
};
