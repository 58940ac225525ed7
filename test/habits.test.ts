/**
 * The PyTorch-habit suite: every case of habit_cases.ts run as first written, its result compared with
 * PyTorch's (test/fixtures/habits_torch.json, recorded from torch 1.13 and re-checked by
 * systest/habits_torch.test.ts). Each case is one of: works (same result; or PyTorch raises and nabla raises
 * a clear error), clear error (nabla raises an error that names the function), silent wrong answer (a result
 * that differs from PyTorch's), unclear error (an error that does not say which function or what it
 * expected). The suite requires zero silent wrong answers, zero unclear errors and at least 90% working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { HABIT_CASES } from './habit_cases.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'habits_torch.json');

type Result = unknown;

function toPlain(r: unknown): Result {
  if (r instanceof nb.Tensor) return r.toArray();
  if (Array.isArray(r)) return r.map(toPlain);
  if (r === null || ['number', 'boolean', 'string'].includes(typeof r)) return r;
  if (r !== undefined && typeof r === 'object' && 'values' in (r as object)) return toPlain([(r as { values: unknown }).values, (r as { indices: unknown }).indices]);
  return { object: typeof r };
}

function close(a: Result, b: Result): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, b[i]));
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b) || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a === 'string' && typeof b === 'number') return String(b) === a; // non-finite numbers are recorded as 'inf'/'nan'
  return a === b;
}

/** A clear error names the function ("name: ..." or "Name.method: ...") and is not a bare JavaScript failure. */
function isClear(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /^[A-Za-z_][\w.]*( param group)?:\s/.test(m) && !/is not a function|Cannot read propert|is not iterable|undefined is not|NaN/.test(m);
}

function setup() {
  const x = nb.tensor([[1, 5, 3], [4, 2, 6]]);
  const v = nb.tensor([1, -2, 3]);
  const img = nb.ones(1, 1, 5, 5);
  const ker = nb.ones(1, 1, 3, 3);
  const step = (make: (p: nb.Tensor[]) => { step(): unknown }) => {
    const w = nb.ones(2, { requiresGrad: true });
    const opt = make([w]);
    w.mul(w).sum().backward();
    opt.step();
    return w.detach();
  };
  const lrs = (make: (o: nb.optim.SGD) => { step(): void }[], n: number) => {
    const opt = new nb.optim.SGD([nb.ones(2, { requiresGrad: true })], 1);
    const scheds = make(opt);
    const out = [opt.paramGroups[0]!.lr];
    for (let i = 0; i < n; i++) { for (const s of scheds) s.step(); out.push(opt.paramGroups[0]!.lr); }
    return out;
  };
  return { nb, x, v, img, ker, step, lrs };
}

test(`PyTorch habits: ${HABIT_CASES.length} cases, no silent wrong answer, no unclear error, >= 90% working as first written`, () => {
  const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { torch: string; result: Result }[];
  assert.equal(recorded.length, HABIT_CASES.length, 'the fixture has one result per case (regenerate with npm run test:system)');
  const counts = { works: 0, clearError: 0, silentWrong: 0, unclearError: 0 };
  const problems: string[] = [];
  const env = setup();
  HABIT_CASES.forEach((c, i) => {
    assert.equal(recorded[i]!.torch, c.torch, `fixture row ${i} belongs to this case`);
    const want = recorded[i]!.result;
    const torchErrors = want !== null && typeof want === 'object' && !Array.isArray(want) && 'error' in (want as object);
    let got: Result, err: unknown = null;
    try {
      const f = new Function(...Object.keys(env), `return (${c.nabla});`);
      got = toPlain(f(...Object.values(env)));
    } catch (e) {
      err = e;
    }
    if (err !== null) {
      if (!isClear(err)) { counts.unclearError++; problems.push(`UNCLEAR ${c.nabla}: ${(err as Error).message}`); }
      else if (torchErrors) counts.works++;
      else { counts.clearError++; problems.push(`clear error ${c.nabla}: ${(err as Error).message.split('\n')[0]}`); }
    } else if (torchErrors) {
      counts.silentWrong++; problems.push(`SILENT ${c.nabla}: PyTorch raises ${JSON.stringify(want)}, nabla returned ${JSON.stringify(got)}`);
    } else if (close(got, want)) {
      counts.works++;
    } else {
      counts.silentWrong++; problems.push(`SILENT ${c.nabla}: ${JSON.stringify(got)} vs PyTorch ${JSON.stringify(want)}`);
    }
  });
  const total = HABIT_CASES.length;
  console.log(`habits: ${total} cases — ${counts.works} work as first written (${((100 * counts.works) / total).toFixed(1)}%), ${counts.clearError} clear errors, ${counts.silentWrong} silent wrong, ${counts.unclearError} unclear errors\n  ${problems.join('\n  ')}`);
  assert.ok(total >= 100, `at least 100 cases (${total})`);
  assert.equal(counts.silentWrong, 0, problems.filter((p) => p.startsWith('SILENT')).join('\n'));
  assert.equal(counts.unclearError, 0, problems.filter((p) => p.startsWith('UNCLEAR')).join('\n'));
  assert.ok(counts.works / total >= 0.9, `${counts.works}/${total} work as first written`);
});
