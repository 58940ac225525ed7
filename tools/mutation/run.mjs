#!/usr/bin/env node
/**
 * npm run mutation -- [folder ...] [--minutes N]
 * Mutation testing with StrykerJS, time-boxed: each folder's compiled files are mutated one Stryker run per
 * file, in order, until the folder's share of the time is spent; the score counts the files that finished.
 * Prints per folder: files done, mutants, killed (incl. timeouts), survived, score and minutes taken, and
 * every survivor (file:line, mutator, replacement) for review; writes reports/mutation/summary.json.
 * NABLA_MUTATE_ONLY=a.js,nn/b.js mutates only those files of the folder (paths inside it); NABLA_MUTATE_TESTS=a,b narrows its test files.
 * Build first (npm run build); the mutants live in dist/src, so no mutant needs a TypeScript build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { folders } from './folders.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(root);
const args = process.argv.slice(2);
const mi = args.indexOf('--minutes');
const minutes = mi >= 0 ? Number(args[mi + 1]) : 30;
const names = args.filter((a, i) => !a.startsWith('--') && (mi < 0 || i !== mi + 1));
const chosen = names.length ? names : Object.keys(folders);
for (const n of chosen) if (!folders[n]) { console.error(`mutation: unknown folder '${n}' (one of ${Object.keys(folders).join(', ')})`); process.exit(2); }
if (!fs.existsSync('dist/src')) { console.error('mutation: build first (npm run build)'); process.exit(2); }

const only = process.env.NABLA_MUTATE_ONLY; // paths inside the folder, e.g. checkpoint.js or define.js,nn/dropout.js
const filesOf = (n) => {
  if (only) {
    return only.split(',').map((f) => {
      const file = path.join('dist/src', n, f);
      if (!fs.existsSync(file)) { console.error(`mutation: NABLA_MUTATE_ONLY names '${f}', but ${file} does not exist`); process.exit(2); }
      return file;
    });
  }
  const dir = path.join('dist/src', n);
  const skip = new Set(folders[n].skip ?? []);
  // every .js file of the folder and its subfolders (ops/nn/...), `skip` naming paths relative to the folder;
  // smallest first: a file cut off by the time box counts for nothing, so the budget finishes as many as it can
  return fs.readdirSync(dir, { recursive: true }).map((f) => f.split(path.sep).join('/'))
    .filter((f) => f.endsWith('.js') && !skip.has(f)).map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(a).size - fs.statSync(b).size);
};
// reports/mutation/<folder>-<path inside the folder, '/' as '_'>.json: ops/nn/dropout.js → ops-nn_dropout.json
const reportOf = (n, file) => `reports/mutation/${n}-${path.relative(path.join('dist/src', n), file).replace(/\.js$/, '').split(path.sep).join('_')}.json`;

// summary.json keeps the other folders' last results: one run per folder can fill it over several sessions
fs.mkdirSync('reports/mutation', { recursive: true });
const summary = fs.existsSync('reports/mutation/summary.json') ? JSON.parse(fs.readFileSync('reports/mutation/summary.json', 'utf8')) : {};
for (const n of chosen) {
  const budget = (minutes * 60000) / chosen.length;
  const t0 = Date.now();
  const s = { files: [], skippedFiles: [], mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0, survivors: [] };
  for (const file of filesOf(n)) {
    const left = budget - (Date.now() - t0);
    if (left < 30000) { s.skippedFiles.push(file); continue; }
    const report = reportOf(n, file);
    fs.rmSync(report, { force: true });
    const r = spawnSync(process.execPath, ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run', 'tools/mutation/stryker.config.mjs'], {
      env: { ...process.env, NABLA_MUTATE: n, NABLA_MUTATE_FILE: file, NABLA_MUTATE_REPORT: report },
      // Stryker's own progress (dry run per test file, mutants tested, time left) goes to the report's .log
      stdio: ['ignore', fs.openSync(report.replace(/\.json$/, '.log'), 'w'), 'inherit'],
      timeout: left,
      killSignal: 'SIGKILL',
    });
    if (!fs.existsSync(report)) { s.skippedFiles.push(`${file} (${r.error ? 'out of time' : `stryker exit ${r.status}`})`); continue; }
    s.files.push(file);
    const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
    for (const [f, { mutants }] of Object.entries(rep.files)) {
      for (const m of mutants) {
        s.mutants++;
        if (m.status === 'Killed') s.killed++;
        else if (m.status === 'Timeout') s.timeout++;
        else if (m.status === 'Survived') { s.survived++; s.survivors.push(`${f}:${m.location.start.line} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '')}`); }
        else if (m.status === 'NoCoverage') { s.noCoverage++; s.survivors.push(`${f}:${m.location.start.line} ${m.mutatorName} (no coverage): ${JSON.stringify(m.replacement ?? '')}`); }
        else if (m.status === 'Ignored') s.ignored++; // an op record's test cases, or a static mutant under NABLA_MUTATE_IGNORE_STATIC
        else s.errors++;
      }
    }
  }
  const detected = s.killed + s.timeout, valid = detected + s.survived + s.noCoverage;
  s.score = valid ? Math.round((1000 * detected) / valid) / 10 : null;
  s.minutes = Math.round((Date.now() - t0) / 6000) / 10;
  s.when = new Date().toISOString();
  summary[n] = s;
  console.log(`\n${n}: ${s.files.length} files done, ${s.skippedFiles.length} not reached; ${s.mutants} mutants, ${detected} killed (${s.timeout} by timeout), ${s.survived} survived, ${s.noCoverage} no coverage, ${s.ignored} ignored, ${s.errors} errors → score ${s.score}% in ${s.minutes} min`);
  for (const sv of s.survivors) console.log(`  survived ${sv}`);
  for (const f of s.skippedFiles) console.log(`  not reached: ${f}`);
  fs.writeFileSync('reports/mutation/summary.json', JSON.stringify(summary, null, 2));
}
fs.writeFileSync('reports/mutation/summary.json', JSON.stringify(summary, null, 2));
