/**
 * StrykerJS test runner plugin 'nabla': each run is a fresh `node tools/mutation/run-tests.mjs <folder>`
 * process (so module-level mutants are safe), but unlike the command runner it
 *  - collects mutant coverage per test in the dry run (one process per test file; run-tests.mjs tells the
 *    instrumented code which test is running, and writes the hit counters per test on exit), so Stryker marks
 *    mutants no test reaches as NoCoverage without running them, and runs each mutant only against the tests
 *    that reach it (a mutant hit while no test runs, e.g. at module load, runs every test file);
 *  - confirms a kill: the test that failed must pass on its own without the mutant (once per test), else the
 *    mutant is run again over whole test files, so a test that leans on an earlier one cannot fake a kill;
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

/**
 * Runs the named test files in one process; `ids` (test ids, see run-tests.mjs) narrows them to those tests.
 * Resolves { code, output, ms, timedOut, coverage, failed } (failed: the id of the failing test, when known).
 */
function runTests(tests, { ids, mutant, hitLimit, timeout, coverage } = {}) {
  return new Promise((resolve) => {
    const tag = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const covFile = coverage ? path.join(os.tmpdir(), `nabla-mut-cov-${tag}.json`) : undefined;
    const idsFile = ids ? path.join(os.tmpdir(), `nabla-mut-ids-${tag}.json`) : undefined;
    if (idsFile) fs.writeFileSync(idsFile, JSON.stringify(ids));
    const env = { ...process.env, NABLA_MUTATE_TESTS: tests.join(',') };
    delete env.__STRYKER_ACTIVE_MUTANT__;
    delete env.NABLA_MUTATE_TEST_IDS;
    if (mutant !== undefined) env.__STRYKER_ACTIVE_MUTANT__ = mutant;
    if (hitLimit !== undefined) env.NABLA_MUTATE_HIT_LIMIT = String(hitLimit);
    if (covFile) env.NABLA_MUTATE_COVERAGE = covFile;
    if (idsFile) env.NABLA_MUTATE_TEST_IDS = idsFile;
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
      if (idsFile) fs.rmSync(idsFile, { force: true });
      const failed = /nabla-failed-test: (.*)/.exec(output)?.[1];
      resolve({ code, output, ms: Date.now() - t0, timedOut, coverage: cov, failed });
    });
  });
}

const fileOf = (id) => id.slice(0, id.indexOf(': '));

export class NablaTestRunner {
  static inject = [commonTokens.logger];
  constructor(logger) { this.log = logger; this.passesAlone = new Map(); this.unconfirmed = 0; }
  capabilities() { return { reloadEnvironment: true }; }
  async init() {}
  async dispose() { if (this.unconfirmed) this.log.warn(`nabla runner: ${this.unconfirmed} kills were re-run with whole test files (the failing test did not pass alone without the mutant)`); }

  async dryRun({ coverageAnalysis }) {
    const tests = [];
    const perTest = {};
    const stat = {};
    const files = testFiles();
    if (coverageAnalysis === 'off') {
      const r = await runTests(files);
      if (r.code !== 0) return { status: DryRunStatus.Complete, tests: [{ id: 'all', name: files.join(','), status: TestStatus.Failed, failureMessage: r.output.slice(-4000), timeSpentMs: r.ms }] };
      return { status: DryRunStatus.Complete, tests: [{ id: files.join(','), name: files.join(','), status: TestStatus.Success, timeSpentMs: r.ms }] };
    }
    // one process per test file; inside it, coverage per test (run-tests.mjs sets the current test id)
    for (const f of files) {
      const r = await runTests([f], { coverage: true });
      if (r.code !== 0 || !r.coverage) {
        tests.push({ id: `${f}: (file)`, name: f, status: TestStatus.Failed, failureMessage: r.output.slice(-4000), timeSpentMs: r.ms });
        continue;
      }
      const { static: s, perTest: p, ran } = r.coverage;
      // the file's start-up (importing nabla and the test file) is shared by its tests' time
      const ids = Object.keys(ran);
      const share = ids.length ? Math.max(0, r.ms - ids.reduce((a, id) => a + ran[id], 0)) / ids.length : 0;
      for (const id of ids) {
        tests.push({ id, name: id, status: TestStatus.Success, timeSpentMs: Math.round(ran[id] + share) });
        perTest[id] = p[id] ?? {};
      }
      for (const [m, n] of Object.entries(s)) stat[m] = (stat[m] ?? 0) + n;
      const reached = new Set(ids.flatMap((id) => Object.keys(perTest[id])));
      this.log.info(`nabla runner: ${f} ${r.ms} ms, ${ids.length} tests reach ${reached.size} mutants (${Object.keys(s).length} hit outside any test)`);
    }
    return { status: DryRunStatus.Complete, tests, mutantCoverage: { static: stat, perTest } };
  }

  /** Whether test `id` passes on its own without a mutant (so a failure of it under a mutant is the mutant's doing). */
  async alone(id) {
    if (!this.passesAlone.has(id)) this.passesAlone.set(id, runTests([fileOf(id)], { ids: [id] }).then((r) => r.code === 0));
    return this.passesAlone.get(id);
  }

  async mutantRun({ activeMutant, testFilter, timeout, hitLimit }) {
    // testFilter holds test ids when coverage was collected (undefined: every test, e.g. a mutant hit at module
    // load), or the joined list of files when it was not ('off')
    const perTest = testFilter && testFilter.some((id) => id.includes(': '));
    const files = !testFilter ? testFiles() : perTest ? [...new Set(testFilter.map(fileOf))] : testFilter.flatMap((id) => id.split(','));
    const ids = perTest ? testFilter : undefined;
    let r = await runTests(files, { ids, mutant: activeMutant.id, hitLimit, timeout });
    if (r.code !== 0 && !r.timedOut && ids && !(r.failed && (await this.alone(r.failed)))) {
      // the failure may come from running a test without the tests before it: run the mutant over whole files
      this.unconfirmed++;
      r = await runTests(files, { mutant: activeMutant.id, hitLimit, timeout: timeout && timeout * 4 });
    }
    if (r.timedOut) return { status: MutantRunStatus.Timeout, reason: `over ${timeout} ms` };
    if (r.output.includes('Hit count limit reached')) return { status: MutantRunStatus.Timeout, reason: 'hit limit' };
    if (r.code === 0) return { status: MutantRunStatus.Survived, nrOfTests: ids ? ids.length : files.length };
    const first = /not ok (.*)/.exec(r.output);
    return { status: MutantRunStatus.Killed, killedBy: r.failed ? [r.failed] : (ids ?? files), failureMessage: (first ? r.output.slice(first.index) : r.output).slice(0, 2000), nrOfTests: ids ? ids.length : files.length };
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.TestRunner, 'nabla', NablaTestRunner)];
