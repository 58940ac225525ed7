#!/usr/bin/env node
/**
 * node tools/mutation/static-sample.mjs <folder> --reports DIR [--n 150] [--from 0] [--seed 1] [--minutes 60] [--dry]
 *
 * Static mutants (made while a module loads: an op record's fields, module tables) run every test file of the
 * folder, ≈ 45 s each when they survive, so measuring all of them takes hours on two cores. This measures a
 * uniform random sample of them instead, in one Stryker run:
 *   1. the sampling frame is every mutant the reports in DIR (runs with NABLA_MUTATE_IGNORE_STATIC=1) list as
 *      "Static mutant"; a report made from an older build of its file is mapped onto the current one by the text
 *      of the mutant's lines, widened by a few lines of context until they occur once (a mutant still not
 *      placed is dropped, and counted);
 *   2. n of them are drawn with a seeded shuffle (Fisher–Yates over a xorshift generator): positions from … from + n
 *      of the shuffled frame, so that a large sample can be measured in chunks (--from 0, then --from n, …) whose
 *      counts add up;
 *   3. Stryker mutates only their source ranges (mutate patterns `file:line:col-line:col`), static mutants
 *      included, with the folder's tests; other mutants that fall inside a range are run too and left out of
 *      the tally;
 *   4. the tally: the sampled mutants' statuses, the detected fraction with its 95 % Wilson interval, and every
 *      sampled survivor (file:line, mutator, replacement) for review. Written to reports/mutation/<folder>-static-<seed>-<from>-sample.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { folders } from './folders.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(root);
const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const folder = argv[0];
if (!folders[folder]) { console.error(`static-sample: unknown folder '${folder}' (one of ${Object.keys(folders).join(', ')})`); process.exit(2); }
const dir = opt('reports');
if (!dir || !fs.existsSync(dir)) { console.error('static-sample: --reports DIR (the per-file reports of runs with NABLA_MUTATE_IGNORE_STATIC=1) is required'); process.exit(2); }
const n = Number(opt('n', 150)), from = Number(opt('from', 0)), seed = Number(opt('seed', 1)), minutes = Number(opt('minutes', 60));

// 1. the frame
const frame = [];
const dropped = {};
for (const f of fs.readdirSync(dir).filter((x) => x.startsWith(`${folder}-`) && x.endsWith('.json') && !x.includes('-static-'))) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const [file, info] of Object.entries(report.files)) {
    if (!fs.existsSync(file)) continue;
    const now = fs.readFileSync(file, 'utf8').split('\n');
    const then = info.source.split('\n');
    for (const m of info.mutants) {
      if (m.status !== 'Ignored' || !/^Static mutant/.test(m.statusReason ?? '')) continue;
      const { start, end } = m.location;
      // the lines' new position: where the same run of lines occurs, widened by k lines of context on each side
      // until it occurs once (an unchanged file maps onto itself)
      let at = info.source === now.join('\n') ? [start.line - 1] : [];
      for (const k of [0, 1, 2, 3, 5, 8]) {
        if (at.length === 1) break;
        const a = Math.max(0, start.line - 1 - k), span = then.slice(a, end.line + k);
        at = [];
        for (let i = 0; i + span.length <= now.length; i++) if (span.every((l, j) => now[i + j] === l)) at.push(i + (start.line - 1 - a));
      }
      if (at.length !== 1) { dropped[file] = (dropped[file] ?? 0) + 1; continue; }
      const shift = at[0] - (start.line - 1);
      frame.push({ file, mutatorName: m.mutatorName, replacement: m.replacement, start: { line: start.line + shift, column: start.column }, end: { line: end.line + shift, column: end.column } });
    }
  }
}
if (!frame.length) { console.error(`static-sample: no static mutants in the ${folder} reports of ${dir}`); process.exit(2); }

// 2. the sample
let s = (seed * 2654435761) >>> 0 || 1;
const rand = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
const order = frame.map((_, i) => i);
for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
const sample = order.slice(from, Math.min(from + n, frame.length)).map((i) => frame[i]);
// Stryker's ranges: 1-based lines, 0-based columns (the report's columns are 1-based), both ends included
const patterns = [...new Set(sample.map((m) => `${m.file}:${m.start.line}:${m.start.column - 1}-${m.end.line}:${m.end.column - 1}`))];
fs.mkdirSync('reports/mutation', { recursive: true });
const tag = `${folder}-static-${seed}-${from}`;
const rangesFile = `reports/mutation/${tag}-ranges.json`;
fs.writeFileSync(rangesFile, JSON.stringify(patterns, null, 1));
if (argv.includes('--dry')) console.log(patterns.join('\n'));
console.log(`static-sample ${folder}: frame ${frame.length} static mutants (${Object.values(dropped).reduce((a, b) => a + b, 0)} not mapped onto the current build: ${JSON.stringify(dropped)}); sample ${sample.length} (seed ${seed}, positions ${from}–${from + sample.length - 1}), ${patterns.length} ranges`);

if (argv.includes('--dry')) process.exit(0);

// 3. one Stryker run over the ranges, static mutants included
const report = `reports/mutation/${tag}-run.json`;
fs.rmSync(report, { force: true });
const t0 = Date.now();
const r = spawnSync(process.execPath, ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run', 'tools/mutation/stryker.config.mjs'], {
  env: { ...process.env, NABLA_MUTATE: folder, NABLA_MUTATE_RANGES: rangesFile, NABLA_MUTATE_REPORT: report, NABLA_MUTATE_IGNORE_STATIC: '0' },
  stdio: ['ignore', 'inherit', 'inherit'], timeout: minutes * 60000,
});
if (r.status !== 0 || !fs.existsSync(report)) { console.error(`static-sample: the Stryker run did not finish (status ${r.status}${r.signal ? `, ${r.signal}` : ''})`); process.exit(1); }

// 4. the tally of the sampled mutants
const got = JSON.parse(fs.readFileSync(report, 'utf8'));
const key = (file, m) => `${file}|${m.location.start.line}:${m.location.start.column}|${m.mutatorName}|${m.replacement}`;
const status = new Map();
for (const [file, info] of Object.entries(got.files)) for (const m of info.mutants) status.set(key(file, m), m.status);
const counts = {};
const survivors = [];
for (const m of sample) {
  const st = status.get(key(m.file, { location: { start: m.start }, mutatorName: m.mutatorName, replacement: m.replacement })) ?? 'NotFound';
  counts[st] = (counts[st] ?? 0) + 1;
  if (st === 'Survived' || st === 'NoCoverage') survivors.push(`${m.file.replace(`dist/src/${folder}/`, '')}:${m.start.line}:${m.start.column} ${m.mutatorName}: ${m.replacement}`);
}
const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const valid = detected + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
// Wilson score interval, z = 1.96
const z = 1.96, p = detected / valid, den = 1 + z * z / valid;
const mid = (p + z * z / (2 * valid)) / den, half = (z * Math.sqrt(p * (1 - p) / valid + z * z / (4 * valid * valid))) / den;
const summary = { folder, frame: frame.length, dropped, seed, from, sampled: sample.length, counts, detected, valid, score: p, wilson95: [mid - half, mid + half], minutes: (Date.now() - t0) / 60000, survivors };
fs.writeFileSync(`reports/mutation/${tag}-sample.json`, JSON.stringify(summary, null, 1));
console.log(`static-sample ${folder}: ${detected} of ${valid} sampled static mutants detected, ${(100 * p).toFixed(1)} % (95 % Wilson interval ${(100 * (mid - half)).toFixed(1)}–${(100 * (mid + half)).toFixed(1)} %), statuses ${JSON.stringify(counts)}, ${summary.minutes.toFixed(1)} min`);
for (const x of survivors) console.log(`  survived ${x}`);
