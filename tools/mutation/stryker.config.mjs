/**
 * StrykerJS over one folder (NABLA_MUTATE=io|data|optim|autograd|ops), command runner, mutants in dist/src.
 * Run through `npm run mutation -- <folder> [minutes]`, which builds first and sets the variables.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { folders } from './folders.mjs';

const name = process.env.NABLA_MUTATE ?? 'io';
const folder = folders[name];
if (!folder) throw new Error(`stryker.config: NABLA_MUTATE must be one of ${Object.keys(folders).join(', ')}, got '${name}'`);

export default {
  // one file per Stryker run when the driver (run.mjs) time-boxes a folder file by file; a JSON list of
  // `file:line:col-line:col` ranges when static-sample.mjs measures a sample of static mutants
  mutate: process.env.NABLA_MUTATE_RANGES ? JSON.parse(fs.readFileSync(process.env.NABLA_MUTATE_RANGES, 'utf8'))
    : process.env.NABLA_MUTATE_FILE ? [process.env.NABLA_MUTATE_FILE] : folder.mutate,
  // 'nabla' (nabla-runner.mjs): per-test-file coverage, each mutant runs only the test files that reach it, stops
  // at the first failure; NABLA_MUTATE_RUNNER=command falls back to Stryker's command runner (all files per mutant)
  testRunner: process.env.NABLA_MUTATE_RUNNER ?? 'nabla',
  plugins: ['@stryker-mutator/*', fileURLToPath(new URL('./nabla-runner.mjs', import.meta.url)), fileURLToPath(new URL('./op-cases-ignorer.mjs', import.meta.url))],
  // op records' `cases` are the op test table's rows: test data, left unmutated (op-cases-ignorer.mjs)
  ignorers: ['nabla-op-cases'],
  commandRunner: { command: `node tools/mutation/run-tests.mjs ${name}` },
  // NABLA_MUTATE_IGNORE_STATIC=1: mutants made while a module loads (op records' fields, tables), which must run
  // every test file, are reported as Ignored, not run: a quick first pass over large files (the score is then of
  // the mutants the tests reach while running)
  ignoreStatic: process.env.NABLA_MUTATE_IGNORE_STATIC === '1',
  coverageAnalysis: process.env.NABLA_MUTATE_RUNNER === 'command' ? 'off' : 'perTest',
  dryRunTimeoutMinutes: 30,
  ignorePatterns: ['node_modules', '.stryker-tmp', 'reports', 'out', 'runs', 'bench', 'examples', 'explorer', 'systest', 'dist/bench', 'dist/examples', 'dist/systest'],
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: process.env.NABLA_MUTATE_REPORT ?? `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  concurrency: Number(process.env.NABLA_MUTATE_CONCURRENCY ?? 2),
  // a mutant's limit is 2 × its test files' dry-run time + this; an endless loop is usually stopped earlier by the hit limit
  timeoutMS: Number(process.env.NABLA_MUTATE_TIMEOUT_MS ?? 20000),
  timeoutFactor: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  disableTypeChecks: false,
};
