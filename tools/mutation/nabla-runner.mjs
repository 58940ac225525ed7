/**
 * StrykerJS test runner plugin 'nabla': each run is a fresh `node tools/mutation/run-tests.mjs <folder>`
 * process (so module-level mutants are safe), but unlike the command runner it
 *  - collects mutant coverage per test file in the dry run (one process per test file, each writing the
 *    instrumented code's hit counters on exit), so Stryker marks mutants no test reaches as NoCoverage
 *    without running them, and runs each mutant only against the test files that reach it;
 *  - stops at the first failing test (bail-reporter.mjs), so a killed mutant costs little;
 *  - passes Stryker's hit limit (100 × the dry run's hits), so a mutant that loops forever is stopped by
 *    count and reported as a timeout instead of waiting for the clock.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { declareClassPlugin, PluginKind, commonTokens } from '@stryker-mutator/api/plugin';
import { DryRunStatus, MutantRunStatus, TestStatus } from '@stryker-mutator/api/test-runner';
import { folders } from './folders.mjs';

const folderName = () => process.env.NABLA_MUTATE ?? 'io';
const testFiles = () => process.env.NABLA_MUTATE_TESTS ? process.env.NABLA_MUTATE_TESTS.split(',') : folders[folderName()].tests;

/** Runs the named test files in one process; resolves { code, output, ms, timedOut, coverage }. */
function runTests(tests, { mutant, hitLimit, timeout, coverage } = {}) {
  return new Promise((resolve) => {
    const covFile = coverage ? path.join(os.tmpdir(), `nabla-mut-cov-${process.pid}-${Date.now()}.json`) : undefined;
    const env = { ...process.env, NABLA_MUTATE_TESTS: tests.join(',') };
    delete env.__STRYKER_ACTIVE_MUTANT__;
    if (mutant !== undefined) env.__STRYKER_ACTIVE_MUTANT__ = mutant;
    if (hitLimit !== undefined) env.NABLA_MUTATE_HIT_LIMIT = String(hitLimit);
    if (covFile) env.NABLA_MUTATE_COVERAGE = covFile;
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--test-reporter=./tools/mutation/bail-reporter.mjs', 'tools/mutation/run-tests.mjs', folderName()],
      { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { if (output.length < 20000) output += c; });
    child.stderr.on('data', (c) => { if (output.length < 20000) output += c; });
    let timedOut = false;
    // a little before Stryker's own timer for the same run, which would restart the whole worker
    const timer = timeout ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, Math.max(1000, timeout - 300)) : undefined;
    child.on('close', (code) => {
      clearTimeout(timer);
      let cov;
      if (covFile && fs.existsSync(covFile)) { cov = JSON.parse(fs.readFileSync(covFile, 'utf8')); fs.rmSync(covFile, { force: true }); }
      resolve({ code, output, ms: Date.now() - t0, timedOut, coverage: cov });
    });
  });
}

export class NablaTestRunner {
  static inject = [commonTokens.logger];
  constructor(logger) { this.log = logger; }
  capabilities() { return { reloadEnvironment: true }; }
  async init() {}
  async dispose() {}

  async dryRun({ coverageAnalysis }) {
    const tests = [];
    const perTest = {};
    const files = testFiles();
    if (coverageAnalysis === 'off') {
      const r = await runTests(files);
      if (r.code !== 0) return { status: DryRunStatus.Complete, tests: [{ id: 'all', name: files.join(','), status: TestStatus.Failed, failureMessage: r.output.slice(-4000), timeSpentMs: r.ms }] };
      return { status: DryRunStatus.Complete, tests: [{ id: files.join(','), name: files.join(','), status: TestStatus.Success, timeSpentMs: r.ms }] };
    }
    for (const f of files) {
      const r = await runTests([f], { coverage: true });
      if (r.code !== 0) {
        tests.push({ id: f, name: f, status: TestStatus.Failed, failureMessage: r.output.slice(-4000), timeSpentMs: r.ms });
        continue;
      }
      tests.push({ id: f, name: f, status: TestStatus.Success, timeSpentMs: r.ms });
      perTest[f] = r.coverage ?? {};
      this.log.info(`nabla runner: ${f} ${r.ms} ms, reaches ${Object.keys(perTest[f]).length} mutants`);
    }
    return { status: DryRunStatus.Complete, tests, mutantCoverage: { static: {}, perTest } };
  }

  async mutantRun({ activeMutant, testFilter, timeout, hitLimit }) {
    // testFilter holds test ids: file names when coverage was collected, else the joined list ('off')
    const files = testFilter ? testFilter.flatMap((id) => id.split(',')) : testFiles();
    const r = await runTests(files, { mutant: activeMutant.id, hitLimit, timeout });
    if (r.timedOut) return { status: MutantRunStatus.Timeout, reason: `over ${timeout} ms` };
    if (r.output.includes('Hit count limit reached')) return { status: MutantRunStatus.Timeout, reason: 'hit limit' };
    if (r.code === 0) return { status: MutantRunStatus.Survived, nrOfTests: files.length };
    const first = /not ok (.*)/.exec(r.output);
    return { status: MutantRunStatus.Killed, killedBy: files, failureMessage: (first ? r.output.slice(first.index) : r.output).slice(0, 2000), nrOfTests: files.length };
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.TestRunner, 'nabla', NablaTestRunner)];
