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
  make: (o: nb.optim.Optimizer) => { step(): void }[];
  /** torch: Python expressions on optimizer o, in the same order */
  torch: string[];
  steps?: number;
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
];

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
    for _ in range(c['steps']):
        o.step()
        for s in scheds: s.step()
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
      for (const sc of scheds) sc.step();
      lrs.push(o.paramGroups.map((g) => g.lr as number));
      moms.push(mom());
    }
    return { lrs, moms };
  });
  const theirs = runTorch<{ lrs: number[][]; moms: number[][] }[]>(PY, { cases: CASES.map((c) => ({ torch: c.torch, opt: c.opt ?? 'SGD', steps: c.steps ?? STEPS })) });
  const failures: string[] = [];
  CASES.forEach((c, i) => {
    const a = ours[i]!, b = theirs[i]!;
    const el = maxRelErr(a.lrs.flat(), b.lrs.flat());
    if (!(el <= 1e-12)) {
      const at = a.lrs.findIndex((r, k) => maxRelErr(r, b.lrs[k]!) > 1e-12);
      failures.push(`${c.name}: lr differs by ${el.toExponential(2)}; first at step ${at}: [${a.lrs[at]}] vs torch [${b.lrs[at]}]`);
    }
    const em = maxRelErr(a.moms.flat(), b.moms.flat());
    if (!(em <= 1e-12)) {
      const at = a.moms.findIndex((r, k) => maxRelErr(r, b.moms[k]!) > 1e-12);
      failures.push(`${c.name}: momentum differs by ${em.toExponential(2)}; first at step ${at}: [${a.moms[at]}] vs torch [${b.moms[at]}]`);
    }
  });
  assert.deepEqual(failures, []);
});
