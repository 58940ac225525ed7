/**
 * Every learning-rate scheduler of nabla with each of its options against torch.optim.lr_scheduler 1.13 (one
 * /usr/bin/python3 process): the same optimizer (two parameter groups, lr 0.1 and 0.05) and schedule on both
 * sides, 30 × (optimizer.step(); scheduler.step()); every group's lr after construction and after each step —
 * and for OneCycleLR the cycled momentum (SGD's momentum or Adam's β₁) — must agree to 1e-12 relative.
 * Two or three schedulers stepped together on one optimizer (PyTorch's chaining) are cases too.
 * Not compared: WarmupCosineLR / warmupCosine (nabla's own schedule, no torch class).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { maxRelErr, runTorch } from './torch_bridge.js';

const S = nb.optim.lrScheduler;
const STEPS = 30;

interface SchedCase {
  name: string;
  /** 'SGD' (momentum 0.9) or 'Adam' */
  opt?: 'SGD' | 'Adam';
  /** nabla: the schedulers on optimizer o (stepped in this order) */
  make: (o: nb.optim.Optimizer) => { step(metric?: number): void }[];
  /** torch: Python expressions on optimizer o, in the same order */
  torch: string[];
  steps?: number;
  /** ReduceLROnPlateau: step(metric) with METRICS × metricSign */
  plateau?: boolean;
  metricSign?: number;
}

const CASES: SchedCase[] = [
  { name: 'StepLR(3)', make: (o) => [new S.StepLR(o, 3)], torch: ['StepLR(o, 3)'] },
  { name: 'StepLR(4, 0.5)', make: (o) => [new S.StepLR(o, { stepSize: 4, gamma: 0.5 })], torch: ['StepLR(o, 4, gamma=0.5)'] },
  { name: 'MultiStepLR([5, 10])', make: (o) => [new S.MultiStepLR(o, [5, 10])], torch: ['MultiStepLR(o, [5, 10])'] },
  { name: 'MultiStepLR([3, 7, 7, 12], 0.5) (a repeated milestone)', make: (o) => [new S.MultiStepLR(o, [12, 7, 3, 7], 0.5)], torch: ['MultiStepLR(o, [12, 7, 3, 7], 0.5)'] },
  { name: 'ExponentialLR(0.9)', make: (o) => [new S.ExponentialLR(o, 0.9)], torch: ['ExponentialLR(o, 0.9)'] },
  { name: 'CosineAnnealingLR(10) past tMax', make: (o) => [new S.CosineAnnealingLR(o, 10)], torch: ['CosineAnnealingLR(o, 10)'] },
  { name: 'CosineAnnealingLR(7, etaMin 0.01)', make: (o) => [new S.CosineAnnealingLR(o, { tMax: 7, etaMin: 0.01 })], torch: ['CosineAnnealingLR(o, 7, eta_min=0.01)'] },
  { name: 'LinearLR() defaults', make: (o) => [new S.LinearLR(o)], torch: ['LinearLR(o)'] },
  { name: 'LinearLR(0.5, 1, 4)', make: (o) => [new S.LinearLR(o, 0.5, 1, 4)], torch: ['LinearLR(o, 0.5, 1.0, 4)'] },
  { name: 'LinearLR(1, 0.1, 10) decreasing', make: (o) => [new S.LinearLR(o, { startFactor: 1, endFactor: 0.1, totalIters: 10 })], torch: ['LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=10)'] },
  { name: 'LambdaLR(one λ)', make: (o) => [new S.LambdaLR(o, (e) => 0.95 ** e)], torch: ['LambdaLR(o, lambda e: 0.95 ** e)'] },
  { name: 'LambdaLR(a λ per group)', make: (o) => [new S.LambdaLR(o, [(e) => 1 / (1 + e), (e) => (e < 10 ? (e + 1) / 10 : 1)])], torch: ['LambdaLR(o, [lambda e: 1 / (1 + e), lambda e: (e + 1) / 10 if e < 10 else 1])'] },
  { name: 'OneCycleLR(1.0, 31) cos', make: (o) => [new S.OneCycleLR(o, 1.0, 31)], torch: ['OneCycleLR(o, 1.0, 31)'] },
  { name: 'OneCycleLR linear anneal', make: (o) => [new S.OneCycleLR(o, { maxLr: 1.0, totalSteps: 31, annealStrategy: 'linear' })], torch: ["OneCycleLR(o, 1.0, 31, anneal_strategy='linear')"] },
  { name: 'OneCycleLR threePhase', make: (o) => [new S.OneCycleLR(o, { maxLr: 1.0, totalSteps: 31, threePhase: true })], torch: ['OneCycleLR(o, 1.0, 31, three_phase=True)'] },
  { name: 'OneCycleLR threePhase linear, pctStart 0.2', make: (o) => [new S.OneCycleLR(o, { maxLr: 0.5, totalSteps: 32, threePhase: true, annealStrategy: 'linear', pctStart: 0.2 })], torch: ["OneCycleLR(o, 0.5, 32, three_phase=True, anneal_strategy='linear', pct_start=0.2)"] },
  { name: 'OneCycleLR per-group maxLr, divFactor, finalDivFactor, momenta', make: (o) => [new S.OneCycleLR(o, { maxLr: [1.0, 0.3], totalSteps: 40, divFactor: 10, finalDivFactor: 100, baseMomentum: 0.7, maxMomentum: [0.99, 0.9], pctStart: 0.4 })], torch: ['OneCycleLR(o, [1.0, 0.3], 40, div_factor=10, final_div_factor=100, base_momentum=0.7, max_momentum=[0.99, 0.9], pct_start=0.4)'] },
  { name: 'OneCycleLR epochs × stepsPerEpoch, cycleMomentum false', make: (o) => [new S.OneCycleLR(o, { maxLr: 0.8, epochs: 4, stepsPerEpoch: 8, cycleMomentum: false })], torch: ['OneCycleLR(o, 0.8, epochs=4, steps_per_epoch=8, cycle_momentum=False)'] },
  { name: 'OneCycleLR on Adam (β₁ cycled)', opt: 'Adam', make: (o) => [new S.OneCycleLR(o, { maxLr: 0.01, totalSteps: 31 })], torch: ['OneCycleLR(o, 0.01, 31)'] },
  { name: 'SequentialLR([LinearLR, ExponentialLR], [5])', make: (o) => [new S.SequentialLR(o, [new S.LinearLR(o, 0.1, 1, 5), new S.ExponentialLR(o, 0.9)], [5])], torch: ['SequentialLR(o, [LinearLR(o, 0.1, 1.0, 5), ExponentialLR(o, 0.9)], [5])'] },
  { name: 'SequentialLR([LinearLR, CosineAnnealingLR], [6]) (warmup + cosine)', make: (o) => [new S.SequentialLR(o, [new S.LinearLR(o, 0.2, 1, 6), new S.CosineAnnealingLR(o, 20, 0.001)], [6])], torch: ['SequentialLR(o, [LinearLR(o, 0.2, 1.0, 6), CosineAnnealingLR(o, 20, 0.001)], [6])'] },
  { name: 'SequentialLR of three ([StepLR, ExponentialLR, MultiStepLR], [4, 12])', make: (o) => [new S.SequentialLR(o, [new S.StepLR(o, 2, 0.5), new S.ExponentialLR(o, 0.8), new S.MultiStepLR(o, [3, 6])], [4, 12])], torch: ['SequentialLR(o, [StepLR(o, 2, 0.5), ExponentialLR(o, 0.8), MultiStepLR(o, [3, 6])], [4, 12])'] },
  { name: 'chained: StepLR(2, 0.5) + ExponentialLR(0.9)', make: (o) => [new S.StepLR(o, 2, 0.5), new S.ExponentialLR(o, 0.9)], torch: ['StepLR(o, 2, 0.5)', 'ExponentialLR(o, 0.9)'] },
  { name: 'chained: LinearLR + CosineAnnealingLR', make: (o) => [new S.LinearLR(o, 0.25, 1, 5), new S.CosineAnnealingLR(o, 12, 0.002)], torch: ['LinearLR(o, 0.25, 1.0, 5)', 'CosineAnnealingLR(o, 12, 0.002)'] },
  { name: 'chained: MultiStepLR + ExponentialLR + StepLR', make: (o) => [new S.MultiStepLR(o, [4, 9], 0.3), new S.ExponentialLR(o, 0.97), new S.StepLR(o, 5, 0.8)], torch: ['MultiStepLR(o, [4, 9], 0.3)', 'ExponentialLR(o, 0.97)', 'StepLR(o, 5, 0.8)'] },
  { name: 'MultiplicativeLR(0.95)', make: (o) => [new S.MultiplicativeLR(o, () => 0.95)], torch: ['MultiplicativeLR(o, lambda e: 0.95)'] },
  { name: 'MultiplicativeLR(a λ per group)', make: (o) => [new S.MultiplicativeLR(o, [(e) => (e % 3 === 0 ? 0.5 : 1), (e) => 1 - 0.01 * e])], torch: ['MultiplicativeLR(o, [lambda e: 0.5 if e % 3 == 0 else 1, lambda e: 1 - 0.01 * e])'] },
  { name: 'ConstantLR() defaults', make: (o) => [new S.ConstantLR(o)], torch: ['ConstantLR(o)'] },
  { name: 'ConstantLR(0.5, 4)', make: (o) => [new S.ConstantLR(o, 0.5, 4)], torch: ['ConstantLR(o, 0.5, 4)'] },
  { name: 'PolynomialLR() defaults', make: (o) => [new S.PolynomialLR(o)], torch: ['PolynomialLR(o)'] },
  { name: 'PolynomialLR(12, power 2)', make: (o) => [new S.PolynomialLR(o, { totalIters: 12, power: 2 })], torch: ['PolynomialLR(o, total_iters=12, power=2.0)'] },
  { name: 'CosineAnnealingWarmRestarts(5)', make: (o) => [new S.CosineAnnealingWarmRestarts(o, 5)], torch: ['CosineAnnealingWarmRestarts(o, 5)'] },
  { name: 'CosineAnnealingWarmRestarts(3, tMult 2, etaMin 0.01)', make: (o) => [new S.CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2, etaMin: 0.01 })], torch: ['CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01)'] },
  { name: 'CyclicLR triangular', make: (o) => [new S.CyclicLR(o, 0.01, 0.1, 4)], torch: ['CyclicLR(o, 0.01, 0.1, 4)'] },
  { name: 'CyclicLR triangular2, stepSizeDown 6', make: (o) => [new S.CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3, stepSizeDown: 6, mode: 'triangular2' })], torch: ["CyclicLR(o, 0.01, 0.1, 3, 6, mode='triangular2')"] },
  { name: 'CyclicLR expRange γ 0.95', make: (o) => [new S.CyclicLR(o, 0.01, 0.1, 5, undefined, 'expRange', 0.95)], torch: ["CyclicLR(o, 0.01, 0.1, 5, mode='exp_range', gamma=0.95)"] },
  { name: 'CyclicLR custom scaleFn over iterations, per-group lrs and momenta', make: (o) => [new S.CyclicLR(o, { baseLr: [0.01, 0.02], maxLr: [0.1, 0.05], stepSizeUp: 4, scaleFn: (x) => 1 / (1 + 0.1 * x), scaleMode: 'iterations', baseMomentum: [0.7, 0.75], maxMomentum: 0.95 })], torch: ["CyclicLR(o, [0.01, 0.02], [0.1, 0.05], 4, scale_fn=lambda x: 1 / (1 + 0.1 * x), scale_mode='iterations', base_momentum=[0.7, 0.75], max_momentum=0.95)"] },
  { name: 'CyclicLR cycleMomentum false', make: (o) => [new S.CyclicLR(o, { baseLr: 0.02, maxLr: 0.2, stepSizeUp: 5, cycleMomentum: false })], torch: ['CyclicLR(o, 0.02, 0.2, 5, cycle_momentum=False)'] },
  { name: 'ChainedScheduler([ConstantLR, ExponentialLR])', make: (o) => [new S.ChainedScheduler([new S.ConstantLR(o, 0.5, 3), new S.ExponentialLR(o, 0.9)])], torch: ['ChainedScheduler([ConstantLR(o, 0.5, 3), ExponentialLR(o, 0.9)])'] },
  { name: 'ChainedScheduler([LinearLR, PolynomialLR, MultiStepLR])', make: (o) => [new S.ChainedScheduler([new S.LinearLR(o, 0.3, 1, 6), new S.PolynomialLR(o, 25, 1.5), new S.MultiStepLR(o, [10, 20], 0.5)])], torch: ['ChainedScheduler([LinearLR(o, 0.3, 1.0, 6), PolynomialLR(o, 25, 1.5), MultiStepLR(o, [10, 20], 0.5)])'] },
  { name: 'SequentialLR([ConstantLR, CosineAnnealingWarmRestarts], [3])', make: (o) => [new S.SequentialLR(o, [new S.ConstantLR(o, 0.1, 3), new S.CosineAnnealingWarmRestarts(o, 6)], [3])], torch: ['SequentialLR(o, [ConstantLR(o, 0.1, 3), CosineAnnealingWarmRestarts(o, 6)], [3])'] },
  { name: 'ReduceLROnPlateau(patience 2)', plateau: true, make: (o) => [new S.ReduceLROnPlateau(o, { patience: 2 })], torch: ['ReduceLROnPlateau(o, patience=2)'] },
  { name: 'ReduceLROnPlateau max, factor 0.5, patience 1, cooldown 2', plateau: true, metricSign: -1, make: (o) => [new S.ReduceLROnPlateau(o, 'max', 0.5, 1, 1e-4, 'rel', 2)], torch: ["ReduceLROnPlateau(o, 'max', 0.5, 1, 1e-4, 'rel', 2)"] },
  { name: 'ReduceLROnPlateau abs threshold 0.02, minLr per group', plateau: true, make: (o) => [new S.ReduceLROnPlateau(o, { thresholdMode: 'abs', threshold: 0.02, patience: 1, factor: 0.3, minLr: [0.005, 0.01] })], torch: ["ReduceLROnPlateau(o, threshold_mode='abs', threshold=0.02, patience=1, factor=0.3, min_lr=[0.005, 0.01])"] },
  { name: 'ReduceLROnPlateau max abs, eps skips small reductions', plateau: true, metricSign: -1, make: (o) => [new S.ReduceLROnPlateau(o, { mode: 'max', thresholdMode: 'abs', threshold: 0.005, patience: 0, factor: 0.5, eps: 0.02 })], torch: ["ReduceLROnPlateau(o, mode='max', threshold_mode='abs', threshold=0.005, patience=0, factor=0.5, eps=0.02)"] },
];

/** the metric ReduceLROnPlateau sees at each step: falls, stalls, creeps, rises, falls again (× metricSign) */
const METRICS = [1, 0.9, 0.85, 0.85, 0.8499, 0.86, 0.84, 0.8395, 0.83, 0.83, 0.83, 0.83, 0.7, 0.69, 0.695, 0.7, 0.71, 0.72, 0.6, 0.59, 0.589, 0.5889, 0.5888, 0.58, 0.6, 0.61, 0.5, 0.5, 0.5, 0.5];

const PY = String.raw`
from torch.optim.lr_scheduler import *
req = json.load(sys.stdin)
res = []
for c in req['cases']:
    ps = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    if c['opt'] == 'Adam':
        o = torch.optim.Adam([{'params': [ps[0]], 'lr': 0.1}, {'params': [ps[1]], 'lr': 0.05}])
    else:
        o = torch.optim.SGD([{'params': [ps[0]], 'lr': 0.1}, {'params': [ps[1]], 'lr': 0.05}], lr=0.1, momentum=0.9)
    scheds = []
    for e in c['torch']: scheds.append(eval(e))
    mom = lambda: [g['betas'][0] if 'betas' in g else g['momentum'] for g in o.param_groups]
    lrs, moms = [[g['lr'] for g in o.param_groups]], [mom()]
    for k in range(c['steps']):
        o.step()
        for s in scheds:
            if c['metrics'] is not None: s.step(c['metrics'][k])
            else: s.step()
        lrs.append([g['lr'] for g in o.param_groups])
        moms.append(mom())
    res.append({'lrs': lrs, 'moms': moms})
print(json.dumps(res))
`;

test('schedulers against torch.optim.lr_scheduler 1.13: lr (and cycled momentum) over 30 steps, two param groups', () => {
  const ours = CASES.map((c) => {
    const ps = [nb.zeros([2], { requiresGrad: true }), nb.zeros([3], { requiresGrad: true })];
    const groups = [{ params: [ps[0]!], lr: 0.1 }, { params: [ps[1]!], lr: 0.05 }];
    const o: nb.optim.Optimizer = c.opt === 'Adam' ? new nb.optim.Adam(groups) : new nb.optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
    const scheds = c.make(o);
    const mom = () => o.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas as number[])[0]! : (g.momentum as number)));
    const lrs = [o.paramGroups.map((g) => g.lr as number)], moms = [mom()];
    for (let s = 0; s < (c.steps ?? STEPS); s++) {
      o.step();
      for (const sc of scheds) if (c.plateau) sc.step(METRICS[s]! * (c.metricSign ?? 1)); else sc.step();
      lrs.push(o.paramGroups.map((g) => g.lr as number));
      moms.push(mom());
    }
    return { lrs, moms };
  });
  const theirs = runTorch<{ lrs: number[][]; moms: number[][] }[]>(PY, {
    cases: CASES.map((c) => ({ torch: c.torch, opt: c.opt ?? 'SGD', steps: c.steps ?? STEPS, metrics: c.plateau ? METRICS.map((m) => m * (c.metricSign ?? 1)) : null })),
  });
  const failures: string[] = [];
  CASES.forEach((c, i) => {
    const a = ours[i]!, b = theirs[i]!;
    const el = maxRelErr(a.lrs.flat(), b.lrs.flat());
    if (!(el <= 1e-12)) {
      const at = a.lrs.findIndex((r, k) => maxRelErr(r, b.lrs[k]!) > 1e-12);
      failures.push(`${c.name}: lr differs by ${el.toExponential(2)}; first at step ${at}: [${a.lrs[at]}] vs torch [${b.lrs[at]}]`);
    }
    // the schedule did something over the 30 steps (a constant lr would compare nothing)
    if (new Set(a.lrs.map((r) => r.join())).size < 2) failures.push(`${c.name}: the lr never changed`);
    const em = maxRelErr(a.moms.flat(), b.moms.flat());
    if (!(em <= 1e-12)) {
      const at = a.moms.findIndex((r, k) => maxRelErr(r, b.moms[k]!) > 1e-12);
      failures.push(`${c.name}: momentum differs by ${em.toExponential(2)}; first at step ${at}: [${a.moms[at]}] vs torch [${b.moms[at]}]`);
    }
  });
  assert.deepEqual(failures, []);
  console.log(`torch_schedulers: ${CASES.length} schedules equal to PyTorch 1.13 over ${STEPS} steps`);
});
