/** Learning-rate schedulers: lr at given steps against their closed forms (PyTorch semantics). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const { optim } = nb;
const S = optim.lrScheduler;

function approx(a: number, b: number, msg = ''): void {
  assert.ok(Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b)), `${msg}: ${a} vs ${b}`);
}

const mkOpt = (lr = 0.1, Cls: any = optim.SGD) => new Cls([{ params: [nb.zeros([2], { requiresGrad: true })] }, { params: [nb.zeros([1], { requiresGrad: true })], lr: lr * 10 }], Cls === optim.SGD ? { lr, momentum: 0.9 } : { lr });

/** lrs of group 0 for steps 0..n−1 (lr at construction is step 0) */
function trace(sched: nb.optim.lrScheduler.LRScheduler, opt: { paramGroups: { lr: number }[] }, n: number, group = 0): number[] {
  const out: number[] = [];
  for (let e = 0; e < n; e++) {
    if (e > 0) sched.step();
    assert.equal(sched.getLastLr()[group], opt.paramGroups[group]!.lr);
    out.push(opt.paramGroups[group]!.lr);
  }
  return out;
}

test('StepLR', () => {
  const opt = mkOpt();
  const s = new S.StepLR(opt, { stepSize: 3, gamma: 0.5 });
  trace(s, opt, 10).forEach((lr, e) => approx(lr, 0.1 * 0.5 ** Math.floor(e / 3), `e=${e}`));
  approx(opt.paramGroups[1]!.lr, 1 * 0.5 ** 3, 'group 1');
});

test('MultiStepLR', () => {
  const opt = mkOpt();
  const s = new S.MultiStepLR(opt, { milestones: [5, 2], gamma: 0.1 });
  const want = [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01].map((f) => 0.1 * f);
  trace(s, opt, 7).forEach((lr, e) => approx(lr, want[e]!, `e=${e}`));
});

test('ExponentialLR', () => {
  const opt = mkOpt();
  const s = new S.ExponentialLR(opt, { gamma: 0.9 });
  trace(s, opt, 6).forEach((lr, e) => approx(lr, 0.1 * 0.9 ** e, `e=${e}`));
});

test('CosineAnnealingLR (closed form)', () => {
  const opt = mkOpt();
  const s = new S.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
  const lrs = trace(s, opt, 11);
  lrs.forEach((lr, e) => approx(lr, 0.001 + (0.1 - 0.001) * (1 + Math.cos((Math.PI * e) / 10)) / 2, `e=${e}`));
  approx(lrs[0]!, 0.1);
  approx(lrs[5]!, (0.1 + 0.001) / 2);
  approx(lrs[10]!, 0.001);
});

test('LinearLR (defaults 1/3 → 1 over 5 steps)', () => {
  const opt = mkOpt();
  const s = new S.LinearLR(opt);
  trace(s, opt, 8).forEach((lr, e) => approx(lr, 0.1 * (1 / 3 + (2 / 3) * Math.min(e, 5) / 5), `e=${e}`));
});

test('LambdaLR, one lambda per group', () => {
  const opt = mkOpt();
  const s = new S.LambdaLR(opt, [(e) => 1 / (e + 1), (e) => 0.5 ** e]);
  for (let e = 0; e < 5; e++) {
    if (e > 0) s.step();
    approx(opt.paramGroups[0]!.lr, 0.1 / (e + 1));
    approx(opt.paramGroups[1]!.lr, 1 * 0.5 ** e);
  }
});

test('OneCycleLR: PyTorch defaults, cosine phases, momentum cycling', () => {
  const opt = mkOpt();
  const T = 20, maxLr = 0.5;
  const s = new S.OneCycleLR(opt, { maxLr, totalSteps: T });
  const init = maxLr / 25, min = init / 1e4;
  const cosA = (a: number, b: number, pct: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
  const end1 = 0.3 * T - 1, end2 = T - 1;
  for (let e = 0; e < T; e++) {
    if (e > 0) s.step();
    const [lr, m] = e <= end1 ? [cosA(init, maxLr, e / end1), cosA(0.95, 0.85, e / end1)] : [cosA(maxLr, min, (e - end1) / (end2 - end1)), cosA(0.85, 0.95, (e - end1) / (end2 - end1))];
    approx(opt.paramGroups[0]!.lr, lr, `lr e=${e}`);
    approx(opt.paramGroups[0]!.momentum as number, m, `momentum e=${e}`);
  }
  approx(opt.paramGroups[0]!.lr, min, 'final lr');
  s.step(); // step T is allowed (PyTorch's check is > total)
  assert.throws(() => s.step(), /total number of steps/);

  // Adam: beta1 cycles
  const adam = mkOpt(0.1, optim.Adam);
  const s2 = new S.OneCycleLR(adam, { maxLr: [0.5, 1], epochs: 2, stepsPerEpoch: 5, annealStrategy: 'linear' });
  assert.deepEqual(adam.paramGroups[0]!.betas, [0.95, 0.999]);
  approx(adam.paramGroups[1]!.lr, 1 / 25);
  s2.step();
  // linear phase 1 over [0, 2]: pct 0.5
  approx(adam.paramGroups[0]!.lr, 0.02 + (0.5 - 0.02) * 0.5);
  approx(adam.paramGroups[0]!.betas[0], 0.9);
});

test('SequentialLR: LinearLR warmup then cosine', () => {
  const opt = mkOpt();
  const warm = new S.LinearLR(opt, { startFactor: 0.25, totalIters: 4 });
  const cos = new S.CosineAnnealingLR(opt, { tMax: 6 });
  const s = new S.SequentialLR(opt, [warm, cos], [4]);
  const lrs = trace(s, opt, 12);
  for (let e = 0; e < 12; e++) {
    const want = e < 4 ? 0.1 * (0.25 + (0.75 * e) / 4) : (0.1 * (1 + Math.cos((Math.PI * (e - 4)) / 6))) / 2;
    approx(lrs[e]!, want, `e=${e}`);
  }
});

test('warmupCosine: linear warmup then cosine decay to minLr', () => {
  const opt = mkOpt(1e-3, optim.AdamW);
  const W = 5, T = 20, minLr = 1e-5;
  const s = S.warmupCosine(opt, { warmupSteps: W, totalSteps: T, minLr });
  const lrs = trace(s, opt, T + 3);
  lrs.forEach((lr, e) => {
    const want = e < W ? (1e-3 * (e + 1)) / W : e > T ? minLr : minLr + ((1e-3 - minLr) * (1 + Math.cos((Math.PI * (e - W)) / (T - W)))) / 2;
    approx(lr, want, `e=${e}`);
  });
  approx(lrs[W - 1]!, 1e-3);
  approx(lrs[T]!, minLr);
  assert.ok(lrs[0]! > 0);
});

test('stateDict / loadStateDict resume the schedule', () => {
  const opt = mkOpt();
  const s = new S.StepLR(opt, { stepSize: 2, gamma: 0.5 });
  for (let i = 0; i < 3; i++) s.step();
  const sd = JSON.parse(JSON.stringify(s.stateDict())); // plain data
  assert.equal(sd.lastEpoch, 3);
  const opt2 = mkOpt();
  const s2 = new S.StepLR(opt2, { stepSize: 99 });
  s2.loadStateDict(sd);
  assert.equal(s2.stepSize, 2);
  approx(opt2.paramGroups[0]!.lr, 0.1 * 0.5);
  s.step(); s2.step();
  assert.deepEqual(s2.getLastLr(), s.getLastLr());

  const optA = mkOpt();
  const seq = new S.SequentialLR(optA, [new S.LinearLR(optA, { totalIters: 3 }), new S.ExponentialLR(optA, { gamma: 0.9 })], [3]);
  for (let i = 0; i < 5; i++) seq.step();
  const optB = mkOpt();
  const seqB = new S.SequentialLR(optB, [new S.LinearLR(optB, { totalIters: 3 }), new S.ExponentialLR(optB, { gamma: 0.9 })], [3]);
  seqB.loadStateDict(JSON.parse(JSON.stringify(seq.stateDict())));
  seq.step(); seqB.step();
  assert.deepEqual(seqB.getLastLr(), seq.getLastLr());
  approx(seq.getLastLr()[0]!, 0.1 * 0.9 ** 3);
});

test('a scheduler drives the optimizer step', () => {
  const p = nb.tensor([1], { dtype: 'float64', requiresGrad: true });
  const opt = new optim.SGD([p], { lr: 1 });
  const s = new S.ExponentialLR(opt, { gamma: 0.5 });
  for (let i = 0; i < 3; i++) {
    p.grad = nb.ones([1], { dtype: 'float64' });
    opt.step();
    s.step();
  }
  assert.deepEqual(p.dataArray(), [1 - 1 - 0.5 - 0.25]);
});
