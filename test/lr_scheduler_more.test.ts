/**
 * MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, ChainedScheduler and
 * ReduceLROnPlateau: stepped values against their closed forms and hand-worked sequences, argument errors.
 * (Agreement with torch 1.13 over every option: systest/torch_schedulers.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const S = nb.optim.lrScheduler;
const sgd = (lr = 0.1) => new nb.optim.SGD([nb.zeros([2], { requiresGrad: true })], { lr, momentum: 0.9 });
const close = (a: number[], b: number[], what: string) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-15 * Math.max(1, Math.abs(b[i]!)), `${what}[${i}]: ${v} vs ${b[i]}`));

/** lr after construction and after each of n steps */
function run(o: nb.optim.Optimizer, s: { step(m?: number): void }, n: number, metric?: (k: number) => number): number[] {
  const out = [o.paramGroups[0]!.lr as number];
  for (let k = 0; k < n; k++) { if (metric) s.step(metric(k)); else s.step(); out.push(o.paramGroups[0]!.lr as number); }
  return out;
}

test('chainable new schedulers alone equal their closed forms', () => {
  const cases: [string, (o: nb.optim.Optimizer) => nb.optim.lrScheduler.LRScheduler][] = [
    ['MultiplicativeLR', (o) => new S.MultiplicativeLR(o, (e) => 1 - 0.02 * e)],
    ['ConstantLR', (o) => new S.ConstantLR(o, 0.25, 4)],
    ['PolynomialLR', (o) => new S.PolynomialLR(o, 8, 1.7)],
    ['CosineAnnealingWarmRestarts T_mult 1', (o) => new S.CosineAnnealingWarmRestarts(o, 4, 1, 0.01)],
    ['CosineAnnealingWarmRestarts T_mult 3', (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 2, tMult: 3 })],
    ['CyclicLR exp range', (o) => new S.CyclicLR(o, { baseLr: 0.01, maxLr: 0.2, stepSizeUp: 3, stepSizeDown: 5, mode: 'expRange', gamma: 0.9 })],
  ];
  for (const [name, make] of cases) {
    const o = sgd();
    const s = make(o);
    const stepped = run(o, s, 25);
    close(stepped, Array.from({ length: 26 }, (_, e) => s.lrAt(e)[0]!), name);
  }
});

test('CyclicLR triangular: a triangle between baseLr and maxLr with momentum mirrored; triangular2 halves each cycle', () => {
  const o = sgd();
  const s = new S.CyclicLR(o, 0.01, 0.09, 4);
  const lrs: number[] = [], ms: number[] = [];
  for (let e = 0; e <= 8; e++) { if (e) s.step(); lrs.push(o.paramGroups[0]!.lr as number); ms.push(o.paramGroups[0]!.momentum as number); }
  close(lrs, [0.01, 0.03, 0.05, 0.07, 0.09, 0.07, 0.05, 0.03, 0.01], 'lr');
  close(ms, [0.9, 0.875, 0.85, 0.825, 0.8, 0.825, 0.85, 0.875, 0.9], 'momentum');
  const o2 = sgd();
  const s2 = new S.CyclicLR(o2, { baseLr: 0, maxLr: 1, stepSizeUp: 1, mode: 'triangular2', cycleMomentum: false });
  close(run(o2, s2, 6), [0, 1, 0, 0.5, 0, 0.25, 0], 'triangular2');
  assert.throws(() => new S.CyclicLR(new nb.optim.Adam([nb.zeros([1], { requiresGrad: true })]), 0.01, 0.1), /CyclicLR: optimizer must support momentum with the cycleMomentum option enabled/);
  assert.throws(() => new S.CyclicLR(sgd(), { baseLr: 0.01, maxLr: 0.1, mode: 'exp_range' as never }), /CyclicLR: mode must be 'triangular', 'triangular2' or 'expRange'/);
});

test('CosineAnnealingWarmRestarts restarts after T_0, then after T_0·T_mult', () => {
  const o = sgd(1);
  const s = new S.CosineAnnealingWarmRestarts(o, 2, 2);
  const c = (t: number, T: number) => (1 + Math.cos((Math.PI * t) / T)) / 2;
  close(run(o, s, 8), [c(0, 2), c(1, 2), c(0, 4), c(1, 4), c(2, 4), c(3, 4), c(0, 8), c(1, 8), c(2, 8)], 'lr');
  assert.throws(() => new S.CosineAnnealingWarmRestarts(sgd(), { t0: 2, tMult: 1.5 }), /CosineAnnealingWarmRestarts: tMult must be an integer ≥ 1/);
});

test('ReduceLROnPlateau: patience, factor, cooldown, threshold modes, minLr, eps (hand-worked)', () => {
  let o = sgd();
  let s = new S.ReduceLROnPlateau(o, { patience: 1, factor: 0.5 });
  close(run(o, s, 6, (k) => [1, 1, 1, 0.5, 0.5, 0.5][k]!), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], 'patience 1');
  // cooldown 2: the two steps after a reduction count no bad epochs
  o = sgd();
  s = new S.ReduceLROnPlateau(o, { patience: 0, factor: 0.5, cooldown: 2 });
  close(run(o, s, 6, () => 1), [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], 'cooldown');
  // rel threshold: 0.9999 is not better than 1·(1 − 1e-3); abs: 0.95 is better than 1 − 0.01
  o = sgd();
  s = new S.ReduceLROnPlateau(o, { patience: 0, threshold: 1e-3 });
  close(run(o, s, 2, (k) => [1, 0.9999][k]!), [0.1, 0.1, 0.01], 'rel');
  o = sgd();
  s = new S.ReduceLROnPlateau(o, { patience: 0, thresholdMode: 'abs', threshold: 0.01, mode: 'max' });
  close(run(o, s, 3, (k) => [1, 1.02, 1.025][k]!), [0.1, 0.1, 0.1, 0.01], 'abs max');
  // minLr floor, and eps: a change smaller than eps is skipped
  o = sgd();
  s = new S.ReduceLROnPlateau(o, { patience: 0, minLr: 0.03 });
  close(run(o, s, 3, () => 1), [0.1, 0.1, 0.03, 0.03], 'minLr');
  o = sgd();
  s = new S.ReduceLROnPlateau(o, { patience: 0, factor: 0.9, eps: 0.05 });
  close(run(o, s, 3, () => 1), [0.1, 0.1, 0.1, 0.1], 'eps');
  assert.throws(() => new S.ReduceLROnPlateau(sgd(), { factor: 1 }), /ReduceLROnPlateau: factor should be < 1.0/);
  assert.throws(() => new S.ReduceLROnPlateau(sgd(), { mode: 'minimum' as never }), /ReduceLROnPlateau: mode must be 'min' or 'max'/);
  assert.throws(() => (new S.ReduceLROnPlateau(sgd()) as any).step(), /ReduceLROnPlateau.step: expected one argument \(the metric\)/);
});

test('ChainedScheduler steps its schedulers in order: the same lrs as stepping them by hand', () => {
  const a = sgd(), b = sgd();
  const chained = new S.ChainedScheduler([new S.ConstantLR(a, 0.5, 3), new S.ExponentialLR(a, 0.9)]);
  const c1 = new S.ConstantLR(b, 0.5, 3), c2 = new S.ExponentialLR(b, 0.9);
  const byHand = [b.paramGroups[0]!.lr as number];
  for (let k = 0; k < 6; k++) { c1.step(); c2.step(); byHand.push(b.paramGroups[0]!.lr as number); }
  close(run(a, chained, 6), byHand, 'chained');
  assert.throws(() => new S.ChainedScheduler([new S.StepLR(sgd(), 2), new S.StepLR(sgd(), 2)]), /ChainedScheduler: every scheduler must be built on the same optimizer/);
});
