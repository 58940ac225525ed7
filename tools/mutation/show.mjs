#!/usr/bin/env node
/**
 * Reads Stryker JSON reports (reports/mutation/<folder>-<file>.json, as run.mjs writes them).
 *   node tools/mutation/show.mjs reports/mutation/io-checkpoint.json   counts and every survivor of each report
 *   node tools/mutation/show.mjs --totals reports/mutation/*.json      one line per folder: files, mutants, score
 * A survivor prints as line:column mutator: original → replacement (lines of the compiled dist/src file).
 */
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const totals = args[0] === '--totals';
const folders = {};
for (const file of args.filter((a) => !a.startsWith('--'))) {
  const rep = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!rep.files) continue; // not a Stryker report (summary.json)
  const folder = path.basename(file, '.json').split('-')[0];
  for (const [f, { source, mutants }] of Object.entries(rep.files)) {
    const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
    for (const m of mutants) c[m.status] = (c[m.status] ?? 0) + 1;
    const t = (folders[folder] ??= { files: 0, mutants: 0, Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 });
    t.files++;
    t.mutants += mutants.length;
    for (const k of ['Killed', 'Timeout', 'Survived', 'NoCoverage']) t[k] += c[k];
    if (totals) continue;
    const det = c.Killed + c.Timeout, valid = det + c.Survived + c.NoCoverage;
    console.log(`${f}: ${mutants.length} mutants ${JSON.stringify(c)} score ${(100 * det / valid).toFixed(1)}%`);
    const lines = source.split('\n');
    for (const m of mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage').sort((a, b) => a.location.start.line - b.location.start.line)) {
      const { start, end } = m.location;
      const orig = start.line === end.line ? lines[start.line - 1].slice(start.column - 1, end.column - 1) : lines[start.line - 1].slice(start.column - 1) + ' …';
      console.log(`  ${m.status === 'NoCoverage' ? 'NOCOV ' : ''}${start.line}:${start.column} ${m.mutatorName}: ${orig.slice(0, 90)} → ${String(m.replacement).slice(0, 90)}`);
    }
  }
}
if (totals) {
  for (const [n, t] of Object.entries(folders)) {
    const det = t.Killed + t.Timeout, valid = det + t.Survived + t.NoCoverage;
    console.log(`${n}: ${t.files} files, ${t.mutants} mutants, ${det} killed (${t.Timeout} by timeout), ${t.Survived} survived, ${t.NoCoverage} no coverage → ${(100 * det / valid).toFixed(1)}%`);
  }
}
