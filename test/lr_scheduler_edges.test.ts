/**
 * Learning-rate schedulers (src/optim/lrScheduler.ts) at their edges: every constructor refusal with its message
 * and the boundary values that are allowed, resuming with lastEpoch, stateDict/loadStateDict round trips (also of
 * SequentialLR, ChainedScheduler and ReduceLROnPlateau), and the branches the closed-form tests leave open:
 * CosineAnnealingLR past tMax, unsorted MultiStepLR milestones, SequentialLR at its milestone, OneCycleLR from
 * epochs × stepsPerEpoch and without momentum cycling, ReduceLROnPlateau's threshold at its exact boundary in
 * min/abs and max/rel. Sequences are PyTorch 1.13's (torch.optim.lr_scheduler, lr 1, printed in full); written
 * against the mutants that survived the mutation run of lrScheduler.js (tools/mutation/review.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const S = nb.optim.lrScheduler;
type Group = { lr: number; [k: string]: unknown };
const opt = (...lrs: number[]) => ({ paramGroups: (lrs.length ? lrs : [1]).map((lr): Group => ({ lr })) });
const sgd = () => new nb.optim.SGD([nb.zeros([1], { requiresGrad: true })], { lr: 1, momentum: 0.9 });
const err = (message: string, name = 'Error') => ({ name, message });
/** lr of group 0 before any step, then after each of n steps */
function lrs(o: { paramGroups: Group[] }, s: { step(): void }, n: number): number[] {
  const out = [o.paramGroups[0]!.lr];
  for (let i = 0; i < n; i++) { s.step(); out.push(o.paramGroups[0]!.lr); }
  return out;
}
const close = (a: number[], b: number[]) => {
  assert.equal(a.length, b.length, `${a} vs ${b}`);
  a.forEach((v, k) => assert.ok(Math.abs(v - b[k]!) <= 1e-12, `step ${k}: ${v} vs ${b[k]} (${a})`));
};

describe('constructor refusals and allowed boundaries', () => {
  test('the optimizer argument, options that must be numbers, per-group lists', () => {
    assert.throws(() => new S.StepLR(null as never, 2), err('StepLR: the first argument must be an optimizer (something with paramGroups), got null', 'TypeError'));
    assert.throws(() => new S.ExponentialLR({} as never, 0.9), err('ExponentialLR: the first argument must be an optimizer (something with paramGroups), got object', 'TypeError'));
    assert.throws(() => new S.StepLR(opt(), { stepSize: 2, gamma: '0.5' } as never), err('StepLR: gamma must be a number, got "0.5"', 'TypeError'));
    assert.throws(() => new S.CosineAnnealingLR(opt(), { tMax: 3, etaMin: null } as never), err('CosineAnnealingLR: etaMin must be a number, got null', 'TypeError'));
    assert.throws(() => new S.LambdaLR(opt(1, 2), [() => 1]), err('LambdaLR: expected 2 lrLambdas, got 1'));
    assert.throws(() => new S.LambdaLR(opt(), 0.5 as never), err('LambdaLR: lrLambda must be a function of the epoch (or one per param group)', 'TypeError'));
    assert.throws(() => new S.LambdaLR(opt(1, 2), [() => 1, 2] as never), err('LambdaLR: lrLambda must be a function of the epoch (or one per param group)', 'TypeError'));
    assert.throws(() => new S.MultiplicativeLR(opt(), 0.5 as never), err('MultiplicativeLR: lrLambda must be a function of the epoch (or one per param group)', 'TypeError'));
    assert.throws(() => new S.MultiplicativeLR(opt(1, 2), [() => 1, 'x'] as never), err('MultiplicativeLR: lrLambda must be a function of the epoch (or one per param group)', 'TypeError'));
    assert.throws(() => new S.MultiplicativeLR(opt(1, 2), [() => 1]), err('MultiplicativeLR: expected 2 lrLambdas, got 1'));
    assert.throws(() => new S.OneCycleLR(opt(1, 2), { maxLr: [1, 2, 3], totalSteps: 4 }), err('OneCycleLR: expected 2 values for maxLr (one per param group), got 3'));
    // every per-group option names itself and its scheduler
    const o2 = () => ({ paramGroups: [{ lr: 1, momentum: 0.9 }, { lr: 1, momentum: 0.9 }] as Group[] });
    const per = (op: string, name: string) => err(`${op}: expected 2 values for ${name} (one per param group), got 1`);
    assert.throws(() => new S.OneCycleLR(o2(), { maxLr: 1, totalSteps: 4, baseMomentum: [0.8] }), per('OneCycleLR', 'baseMomentum'));
    assert.throws(() => new S.OneCycleLR(o2(), { maxLr: 1, totalSteps: 4, maxMomentum: [0.8] }), per('OneCycleLR', 'maxMomentum'));
    assert.throws(() => new S.CyclicLR(o2(), { baseLr: [0.1], maxLr: 1 }), per('CyclicLR', 'baseLr'));
    assert.throws(() => new S.CyclicLR(o2(), { baseLr: 0.1, maxLr: [1] }), per('CyclicLR', 'maxLr'));
    assert.throws(() => new S.CyclicLR(o2(), { baseLr: 0.1, maxLr: 1, baseMomentum: [0.8] }), per('CyclicLR', 'baseMomentum'));
    assert.throws(() => new S.CyclicLR(o2(), { baseLr: 0.1, maxLr: 1, maxMomentum: [0.8] }), per('CyclicLR', 'maxMomentum'));
    assert.throws(() => new S.ReduceLROnPlateau(o2(), { minLr: [0.1] }), per('ReduceLROnPlateau', 'minLr'));
    assert.throws(() => new (S.SequentialLR as never as new (...a: unknown[]) => unknown)(o2(), [], [], {}, 5), err('SequentialLR: expected at most 2 positional arguments (schedulers, milestones) and an options object, got 4 (extra: an object with keys {})', 'TypeError'));
    assert.throws(() => new (S.ChainedScheduler as never as new (...a: unknown[]) => unknown)([], 3), err('ChainedScheduler: expected at most 1 argument (schedulers), got 2 (extra: number 3)', 'TypeError'));
    // every option by name (an unknown one would be refused)
    const one = o2();
    new S.OneCycleLR(one, { maxLr: 1, totalSteps: 10, pctStart: 0.3, annealStrategy: 'linear', cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false, lastEpoch: -1 });
    assert.equal(one.paramGroups[0]!.momentum, 0.95);
    close([one.paramGroups[0]!.lr], [1 / 25]);
    const c = opt();
    new S.ConstantLR(c, { factor: 0.5, totalIters: 3 });
    assert.equal(c.paramGroups[0]!.lr, 0.5);
    const p = opt();
    const ps = new S.PolynomialLR(p, { totalIters: 4, power: 2 });
    ps.step();
    close([p.paramGroups[0]!.lr], [(1 - 1 / 4) ** 2]);
    const w = opt();
    const ws = new S.CosineAnnealingWarmRestarts(w, { t0: 2, tMult: 2, etaMin: 0.1 });
    ws.step();
    close([w.paramGroups[0]!.lr], [0.1 + 0.9 * (1 + Math.cos(Math.PI / 2)) / 2]);
  });

  test('each schedule\'s own ranges', () => {
    assert.throws(() => new S.StepLR(opt(), 0), err('StepLR: stepSize must be positive, got 0', 'RangeError'));
    assert.throws(() => new S.MultiStepLR(opt(), 3 as never), err('MultiStepLR: milestones must be an array of step numbers', 'TypeError'));
    assert.throws(() => new S.ExponentialLR(opt(), {} as never), err('ExponentialLR: gamma is required', 'TypeError'));
    assert.throws(() => new S.CosineAnnealingLR(opt(), 0), err('CosineAnnealingLR: tMax must be positive, got 0', 'RangeError'));
    assert.throws(() => new S.LinearLR(opt(), 0), err('LinearLR: startFactor must be in (0, 1]', 'RangeError'));
    assert.throws(() => new S.LinearLR(opt(), 1.5), err('LinearLR: startFactor must be in (0, 1]', 'RangeError'));
    assert.throws(() => new S.LinearLR(opt(), 0.5, -0.1), err('LinearLR: endFactor must be in [0, 1]', 'RangeError'));
    assert.throws(() => new S.LinearLR(opt(), 0.5, 1.1), err('LinearLR: endFactor must be in [0, 1]', 'RangeError'));
    assert.throws(() => new S.ConstantLR(opt(), -0.1), err('ConstantLR: factor must be in [0, 1], got -0.1', 'RangeError'));
    assert.throws(() => new S.ConstantLR(opt(), 1.5), err('ConstantLR: factor must be in [0, 1], got 1.5', 'RangeError'));
    assert.throws(() => new S.PolynomialLR(opt(), 0), err('PolynomialLR: totalIters must be positive, got 0', 'RangeError'));
    assert.throws(() => new S.CosineAnnealingWarmRestarts(opt(), 0), err('CosineAnnealingWarmRestarts: t0 must be a positive integer, got 0', 'RangeError'));
    assert.throws(() => new S.CosineAnnealingWarmRestarts(opt(), 1.5), err('CosineAnnealingWarmRestarts: t0 must be a positive integer, got 1.5', 'RangeError'));
    assert.throws(() => S.warmupCosine(opt(), { warmupSteps: -1, totalSteps: 5 }), err('warmupCosine: need 0 <= warmupSteps < totalSteps, got -1 and 5', 'RangeError'));
    assert.throws(() => S.warmupCosine(opt(), { warmupSteps: 5, totalSteps: 5 }), err('warmupCosine: need 0 <= warmupSteps < totalSteps, got 5 and 5', 'RangeError'));
    // the boundaries that are allowed (PyTorch's ranges)
    close(lrs(opt(), new S.LinearLR(opt(), 1, 0, 4), 0), [1]);
    const o1 = opt();
    close(lrs(o1, new S.LinearLR(o1, 1, 0, 4), 5), [1, 0.75, 0.5, 0.25, 0, 0]);
    const o2 = opt();
    close(lrs(o2, new S.ConstantLR(o2, 1, 2), 3), [1, 1, 1, 1]);
    const o3 = opt();
    close(lrs(o3, new S.ConstantLR(o3, 0, 2), 3), [0, 0, 1, 1]); // PyTorch 1.13 divides by the factor here (ZeroDivisionError); nabla gave NaN
    const o4 = opt();
    close(lrs(o4, S.warmupCosine(o4, { warmupSteps: 0, totalSteps: 2 }), 3), [1, 0.5, 0, 0]);
    const o5 = opt();
    close(lrs(o5, new S.StepLR(o5, { stepSize: 1, gamma: 0.5 }), 2), [1, 0.5, 0.25]);
  });

  test('OneCycleLR: the step count from totalSteps or epochs × stepsPerEpoch, pctStart range, momentum required when cycling', () => {
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1 }), err('OneCycleLR: you must define either totalSteps or (epochs and stepsPerEpoch)'));
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1, epochs: 2 }), err('OneCycleLR: you must define either totalSteps or (epochs and stepsPerEpoch)'));
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1, stepsPerEpoch: 2 }), err('OneCycleLR: you must define either totalSteps or (epochs and stepsPerEpoch)'));
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1, totalSteps: 0 }), err('OneCycleLR: totalSteps must be a positive integer, got 0', 'RangeError'));
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1, totalSteps: 2.5 }), err('OneCycleLR: totalSteps must be a positive integer, got 2.5', 'RangeError'));
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1, totalSteps: 6, pctStart: -0.1 }), err('OneCycleLR: pctStart must be in [0, 1], got -0.1', 'RangeError'));
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1, totalSteps: 6, pctStart: 1.1 }), err('OneCycleLR: pctStart must be in [0, 1], got 1.1', 'RangeError'));
    assert.throws(() => new S.OneCycleLR(opt(), { maxLr: 1, totalSteps: 6 }), err('OneCycleLR: optimizer must support momentum or beta1 with the cycleMomentum option enabled'));
    // PyTorch: OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=3) and total_steps=6, cycle_momentum=False
    const want = [0.040000000000000036, 0.9944154354509117, 0.811745653949763, 0.46263710266697505, 0.1334775301888306, 4e-06];
    const a = sgd();
    close(lrs(a as never, new S.OneCycleLR(a, { maxLr: 1, epochs: 2, stepsPerEpoch: 3 }), 5), want);
    const b = sgd();
    close(lrs(b as never, new S.OneCycleLR(b, { maxLr: 1, totalSteps: 6, cycleMomentum: false }), 5), want);
    assert.equal(b.paramGroups[0]!.momentum, 0.9); // not cycled
    const c = opt();
    close(lrs(c, new S.OneCycleLR(c, { maxLr: 1, totalSteps: 6, cycleMomentum: false }), 5), want); // no momentum needed
  });

  test('SequentialLR, ChainedScheduler, CyclicLR, ReduceLROnPlateau, CosineAnnealingWarmRestarts: their argument checks', () => {
    const o = opt();
    assert.throws(() => new S.SequentialLR(o, 3 as never, []), err('SequentialLR: schedulers must be an array of schedulers', 'TypeError'));
    assert.throws(() => new S.SequentialLR(o, [new S.StepLR(o, 2), {}] as never, [1]), err('SequentialLR: schedulers must be an array of schedulers', 'TypeError'));
    assert.throws(() => new S.SequentialLR(o, [new S.StepLR(o, 2)], 3 as never), err('SequentialLR: milestones must be an array of step numbers', 'TypeError'));
    assert.throws(() => new S.SequentialLR(o, [], []), err('SequentialLR: expects at least one scheduler'));
    assert.throws(() => new S.SequentialLR(o, [new S.StepLR(o, 2), new S.StepLR(o, 3)], []), err('SequentialLR: expects 1 milestones for 2 schedulers, got 0'));
    assert.throws(() => new S.SequentialLR(o, [new S.StepLR(opt(), 2)], []), err('SequentialLR: every scheduler must be built on the same optimizer'));
    assert.throws(() => new S.ChainedScheduler([]), err('ChainedScheduler: schedulers must be a non-empty array of schedulers', 'TypeError'));
    assert.throws(() => new S.ChainedScheduler([{}] as never), err('ChainedScheduler: schedulers must be a non-empty array of schedulers', 'TypeError'));
    assert.throws(() => (new S.ChainedScheduler([new S.StepLR(o, 2)]) as unknown as { step(e: number): void }).step(3), err('ChainedScheduler.step: takes no arguments', 'TypeError'));
    assert.throws(() => (new S.StepLR(o, 2) as unknown as { step(e: number): void }).step(3), err('StepLR.step: takes no arguments (the epoch argument of old PyTorch versions is deprecated there and not supported here)', 'TypeError'));
    assert.throws(() => (new S.CosineAnnealingWarmRestarts(o, 2) as unknown as { step(e: number): void }).step(1), err('CosineAnnealingWarmRestarts.step: takes no arguments', 'TypeError'));
    assert.throws(() => new S.CyclicLR(null as never, { baseLr: 0.1, maxLr: 1 }), err('CyclicLR: the first argument must be an optimizer (something with paramGroups)', 'TypeError'));
    assert.throws(() => new S.CyclicLR(opt(), { baseLr: 0.1 } as never), err('CyclicLR: baseLr and maxLr are required', 'TypeError'));
    assert.throws(() => new S.CyclicLR(opt(), { baseLr: 0.1, maxLr: 1, stepSizeUp: 0, cycleMomentum: false }), err('CyclicLR: stepSizeUp and stepSizeDown must be positive, got 0, 0', 'RangeError'));
    assert.throws(() => new S.CyclicLR(opt(), { baseLr: 0.1, maxLr: 1, scaleFn: 3 as never, cycleMomentum: false }), err('CyclicLR: scaleFn must be a function', 'TypeError'));
    assert.throws(() => new S.ReduceLROnPlateau(null as never), err('ReduceLROnPlateau: the first argument must be an optimizer (something with paramGroups)', 'TypeError'));
    assert.throws(() => new S.ReduceLROnPlateau(opt(), { thresholdMode: 'relative' as never }), err("ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got 'relative'"));
    assert.throws(() => new S.ReduceLROnPlateau(opt()).step('low' as never), err('ReduceLROnPlateau.step: metric must be a number or a one-element tensor', 'TypeError'));
  });
});

describe('schedules against PyTorch', () => {
  test('CosineAnnealingLR keeps its recursive form past tMax (the lr rises again), as PyTorch', () => {
    const o = opt();
    close(lrs(o, new S.CosineAnnealingLR(o, 3, 0.1), 10),
      [1.0, 0.775, 0.3250000000000001, 0.1, 0.32499999999999996, 0.7750000000000005, 1.0000000000000007, 0.7750000000000007, 0.3250000000000005, 0.1, 0.32499999999999996]);
  });

  test('MultiStepLR sorts its milestones; MultiplicativeLR multiplies from the first step on', () => {
    const o = opt();
    const ms = new S.MultiStepLR(o, [4, 2], 0.5);
    assert.deepEqual(ms.stateDict().milestones, [2, 4]);
    close(lrs(o, ms, 6), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.25]);
    const m = opt();
    close(lrs(m, new S.MultiplicativeLR(m, () => 0.9), 4), [1, 0.9, 0.81, 0.7290000000000001, 0.6561000000000001]);
  });

  test('SequentialLR hands over exactly at its milestone', () => {
    const o = opt();
    const s = new S.SequentialLR(o, [new S.ConstantLR(o, 0.5, 2), new S.ExponentialLR(o, 0.9)], [3]);
    close(lrs(o, s, 6), [0.5, 0.5, 1.0, 1.0, 0.9, 0.81, 0.7290000000000001]);
    // a first schedule still below its base at the milestone: the second one starts there (PyTorch: 0.5, 0.5, 1.0, …)
    const p = opt();
    close(lrs(p, new S.SequentialLR(p, [new S.ConstantLR(p, 0.5, 5), new S.ExponentialLR(p, 0.9)], [2]), 4), [0.5, 0.5, 1.0, 0.9, 0.81]);
  });

  test('ReduceLROnPlateau: the threshold at its exact boundary is no improvement (min/abs, max/rel); a tensor metric', () => {
    const run = (mode: 'min' | 'max', thresholdMode: 'abs' | 'rel', metrics: number[]) => {
      const o = opt();
      const s = new S.ReduceLROnPlateau(o, { mode, factor: 0.5, patience: 0, threshold: 0.5, thresholdMode });
      return [1, ...metrics.map((m) => { s.step(m); return o.paramGroups[0]!.lr; })];
    };
    close(run('min', 'abs', [10, 9, 8.5]), [1, 1, 1, 0.5]);
    close(run('max', 'rel', [4, 6.5, 9.75]), [1, 1, 1, 0.5]);
    close(run('min', 'rel', [10, 9, 8.5]), [1, 1, 0.5, 0.25]);
    const o = opt();
    const s = new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 1 });
    s.step(nb.tensor([3]) as never); // a one-element tensor is read with item()
    s.step(nb.tensor(4) as never);
    s.step(5);
    assert.equal(o.paramGroups[0]!.lr, 0.5);
    const sd = s.stateDict();
    assert.equal(sd.best, 3);
    assert.equal(sd.numBadEpochs, 0);
  });
});

describe('resuming and state dicts', () => {
  test('lastEpoch ≠ −1 needs each group\'s initialLr (PyTorch\'s rule) and continues the schedule from there', () => {
    assert.throws(() => new S.StepLR(opt(1, 2), { stepSize: 2, lastEpoch: 3 }), err("StepLR: param 'initialLr' is not specified in paramGroups[0] when resuming (lastEpoch = 3)"));
    // PyTorch: StepLR(o, 2, 0.5, last_epoch=3) on lr 0.25 with initial_lr 1 takes step 4 at once (a multiple of 2)
    const o = { paramGroups: [{ lr: 0.25, initialLr: 1 }] };
    const s = new S.StepLR(o, { stepSize: 2, gamma: 0.5, lastEpoch: 3 });
    assert.equal(s.lastEpoch, 4);
    assert.deepEqual(s.baseLrs, [1]);
    close(lrs(o, s, 2), [0.125, 0.125, 0.0625]);
    // a fresh start records initialLr and keeps an existing one
    const f = opt(0.3);
    new S.StepLR(f, 2);
    assert.equal(f.paramGroups[0]!.initialLr, 0.3);
  });

  test('stateDict is plain data (no optimizer, no functions); loading it continues the schedule exactly', () => {
    const o = opt(1, 2);
    const s = new S.MultiStepLR(o, [2, 4], 0.5);
    s.step(); s.step(); s.step();
    const sd = s.stateDict();
    assert.deepEqual(JSON.parse(JSON.stringify(sd)), sd);
    assert.ok(!('optimizer' in sd));
    assert.deepEqual(sd.milestones, [2, 4]);
    assert.equal(sd.gamma, 0.5);
    assert.deepEqual(sd.lastLr, [0.5, 1]);
    assert.deepEqual(sd.baseLrs, [1, 2]);
    (sd.lastLr as number[])[0] = 99; // the scheduler holds copies
    assert.deepEqual(s.getLastLr(), [0.5, 1]);
    const o2 = opt(1, 2);
    const t = new S.MultiStepLR(o2, [2, 4], 0.5);
    t.loadStateDict(s.stateDict());
    assert.deepEqual(o2.paramGroups.map((g) => g.lr), [0.5, 1]);
    s.step(); t.step();
    assert.deepEqual(o2.paramGroups.map((g) => g.lr), o.paramGroups.map((g) => g.lr));
    assert.deepEqual(o2.paramGroups.map((g) => g.lr), [0.25, 0.5]);
    // a LambdaLR's lambdas are not saved (functions), its epoch is
    const l = new S.LambdaLR(opt(), (e) => 1 / (e + 1));
    l.step();
    const lsd = l.stateDict();
    assert.equal(lsd.lastEpoch, 1);
    assert.ok(!Object.values(lsd).some((v) => typeof v === 'function'));
  });

  test('SequentialLR and ChainedScheduler save and restore their children', () => {
    const make = (o: ReturnType<typeof opt>) => new S.SequentialLR(o, [new S.ConstantLR(o, 0.5, 2), new S.ExponentialLR(o, 0.9)], [3]);
    const o = opt();
    const s = make(o);
    for (let i = 0; i < 4; i++) s.step();
    const o2 = opt();
    const t = make(o2);
    t.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    s.step(); t.step();
    assert.equal(o2.paramGroups[0]!.lr, o.paramGroups[0]!.lr);
    const chain = (p: ReturnType<typeof opt>) => new S.ChainedScheduler([new S.ConstantLR(p, 0.5, 3), new S.ExponentialLR(p, 0.9)]);
    const a = opt(), c = chain(a);
    c.step(); c.step();
    const csd = c.stateDict();
    assert.equal((csd.schedulers as unknown[]).length, 2);
    const b = opt(), d = chain(b);
    d.loadStateDict(JSON.parse(JSON.stringify(csd)));
    assert.deepEqual(d.getLastLr(), c.getLastLr());
    c.step(); d.step();
    close([b.paramGroups[0]!.lr], [a.paramGroups[0]!.lr]);
  });

  test('ReduceLROnPlateau\'s state dict restores its counters and lrs', () => {
    const o = opt();
    const s = new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 1 });
    s.step(3); s.step(4);
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    const o2 = opt();
    const t = new S.ReduceLROnPlateau(o2, { factor: 0.5, patience: 1 });
    t.loadStateDict(sd);
    s.step(5); t.step(5);
    assert.equal(o.paramGroups[0]!.lr, 0.5);
    assert.equal(o2.paramGroups[0]!.lr, 0.5);
    assert.deepEqual(t.getLastLr(), [0.5]);
  });
});

describe('more schedules against PyTorch', () => {
  const run = (make: (o: nb.optim.SGD) => { step(): void }, n: number) => {
    const o = sgd();
    const s = make(o);
    const g = o.paramGroups[0]! as unknown as Group;
    const lr = [g.lr], m = [g.momentum as number];
    for (let i = 0; i < n; i++) { s.step(); lr.push(g.lr); m.push(g.momentum as number); }
    return { lr, m };
  };

  test('CyclicLR: a longer way down with momentum cycled; expRange; a custom scaleFn per iteration and per cycle', () => {
    const a = run((o) => new S.CyclicLR(o, { baseLr: 0.1, maxLr: 1, stepSizeUp: 2, stepSizeDown: 4, baseMomentum: 0.8, maxMomentum: 0.9 }), 8);
    close(a.lr, [0.1, 0.5500000000000003, 0.9999999999999998, 0.7749999999999999, 0.5500000000000002, 0.3249999999999998, 0.1, 0.5500000000000008, 0.9999999999999992]);
    close(a.m, [0.9, 0.85, 0.8, 0.8250000000000001, 0.85, 0.875, 0.9, 0.85, 0.8000000000000002]);
    const b = run((o) => new S.CyclicLR(o, { baseLr: 0.1, maxLr: 1, stepSizeUp: 2, mode: 'expRange', gamma: 0.9, cycleMomentum: false }), 8);
    close(b.lr, [0.1, 0.505, 0.8290000000000001, 0.42805000000000004, 0.1, 0.3657205, 0.5782969000000001, 0.3152336050000001, 0.1]);
    assert.ok(b.m.every((v) => v === 0.9));
    const c = run((o) => new S.CyclicLR(o, { baseLr: 0.1, maxLr: 1, stepSizeUp: 2, scaleFn: (x: number) => 1 / (x + 1), scaleMode: 'iterations', cycleMomentum: false }), 6);
    close(c.lr, [0.1, 0.325, 0.4, 0.21250000000000002, 0.1, 0.175, 0.22857142857142856]);
    const d = run((o) => new S.CyclicLR(o, { baseLr: 0.1, maxLr: 1, stepSizeUp: 2, scaleFn: (x: number) => 0.5 ** (x - 1), cycleMomentum: false }), 8);
    close(d.lr, [0.1, 0.55, 1, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1]);
    assert.throws(() => new S.CyclicLR(opt(), { baseLr: 0.1, maxLr: 1, stepSizeUp: 2, stepSizeDown: 0, cycleMomentum: false }), err('CyclicLR: stepSizeUp and stepSizeDown must be positive, got 2, 0', 'RangeError'));
    assert.throws(() => new S.CyclicLR(opt(), { maxLr: 1 } as never), err('CyclicLR: baseLr and maxLr are required', 'TypeError'));
  });

  test('CosineAnnealingWarmRestarts: tMult must be an integer ≥ 1; resuming lands on the closed form; lastEpoch counts steps', () => {
    assert.throws(() => new S.CosineAnnealingWarmRestarts(opt(), 2, 0), err('CosineAnnealingWarmRestarts: tMult must be an integer ≥ 1, got 0', 'RangeError'));
    assert.throws(() => new S.CosineAnnealingWarmRestarts(opt(), 2, 1.5), err('CosineAnnealingWarmRestarts: tMult must be an integer ≥ 1, got 1.5', 'RangeError'));
    const o = { paramGroups: [{ lr: 0.3, initialLr: 1 }] as Group[] };
    const s = new S.CosineAnnealingWarmRestarts(o, { t0: 3, lastEpoch: 3 });
    close([o.paramGroups[0]!.lr], s.lrAt(4)); // (1 + cos(π/3))/2 = 0.75
    close([o.paramGroups[0]!.lr], [0.75]);
    const f = opt();
    const t = new S.CosineAnnealingWarmRestarts(f, 2);
    t.step(); t.step(); t.step();
    assert.equal(t.lastEpoch, 3);
  });

  test('CosineAnnealingWarmRestarts with tMult 1 and 2', () => {
    close(run((o) => new S.CosineAnnealingWarmRestarts(o, 3, 1, 0.1), 8).lr, [1, 0.775, 0.3250000000000001, 1, 0.775, 0.3250000000000001, 1, 0.775, 0.3250000000000001]);
    close(run((o) => new S.CosineAnnealingWarmRestarts(o, 2, 2, 0), 10).lr, [1, 0.5, 1, 0.8535533905932737, 0.5, 0.14644660940672627, 1, 0.9619397662556434, 0.8535533905932737, 0.6913417161825449, 0.5]);
  });

  test('OneCycleLR with pctStart 0 and 1 (both allowed, as PyTorch)', () => {
    close(run((o) => new S.OneCycleLR(o, { maxLr: 1, totalSteps: 4, pctStart: 0, cycleMomentum: false }), 3).lr, [0.8535539763797113, 0.500002, 0.14645002362028864, 4e-6]);
    close(run((o) => new S.OneCycleLR(o, { maxLr: 1, totalSteps: 4, pctStart: 1, cycleMomentum: false }), 3).lr, [0.040000000000000036, 0.28, 0.7599999999999999, 1]);
    // every group must have momentum to cycle it
    const two = { paramGroups: [{ lr: 1, momentum: 0.9 }, { lr: 1 }] as Group[] };
    assert.throws(() => new S.OneCycleLR(two, { maxLr: 1, totalSteps: 4 }), err('OneCycleLR: optimizer must support momentum or beta1 with the cycleMomentum option enabled'));
  });

  test('ReduceLROnPlateau: min/rel and max/abs at the exact boundary, eps (a change smaller than eps is not applied), lastEpoch counts steps', () => {
    const pl = (opts: object, ms: number[]) => {
      const o = opt();
      const s = new S.ReduceLROnPlateau(o, opts);
      return { lr: ms.map((m) => { s.step(m); return o.paramGroups[0]!.lr; }), last: s.lastEpoch };
    };
    close(pl({ mode: 'min', factor: 0.5, patience: 0, threshold: 0.5, thresholdMode: 'rel' }, [8, 4, 2.5]).lr, [1, 0.5, 0.5]);
    const b = pl({ mode: 'max', factor: 0.5, patience: 0, threshold: 0.5, thresholdMode: 'abs' }, [1, 1.5, 2.5, 3]);
    close(b.lr, [1, 0.5, 0.5, 0.25]);
    assert.equal(b.last, 4);
    close(pl({ mode: 'min', factor: 0.5, patience: 0, eps: 0.5 }, [3, 4, 5, 6]).lr, [1, 1, 1, 1]);
  });
});

describe('resuming every scheduler', () => {
  test('lastEpoch is honoured by each schedule (not reset to a fresh start)', () => {
    const g = () => ({ paramGroups: [{ lr: 0.5, initialLr: 1, momentum: 0.9 }] as Group[] });
    const makers: [string, (o: ReturnType<typeof g>) => { lastEpoch: number }][] = [
      ['LambdaLR', (o) => new S.LambdaLR(o, () => 1, { lastEpoch: 3 })],
      ['MultiplicativeLR', (o) => new S.MultiplicativeLR(o, () => 1, { lastEpoch: 3 })],
      ['StepLR', (o) => new S.StepLR(o, { stepSize: 2, lastEpoch: 3 })],
      ['MultiStepLR', (o) => new S.MultiStepLR(o, { milestones: [2], lastEpoch: 3 })],
      ['ExponentialLR', (o) => new S.ExponentialLR(o, { gamma: 0.9, lastEpoch: 3 })],
      ['CosineAnnealingLR', (o) => new S.CosineAnnealingLR(o, { tMax: 5, lastEpoch: 3 })],
      ['LinearLR', (o) => new S.LinearLR(o, { lastEpoch: 3 })],
      ['ConstantLR', (o) => new S.ConstantLR(o, { lastEpoch: 3 })],
      ['PolynomialLR', (o) => new S.PolynomialLR(o, { lastEpoch: 3 })],
      ['CosineAnnealingWarmRestarts', (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 2, lastEpoch: 3 })],
      ['warmupCosine', (o) => S.warmupCosine(o, { warmupSteps: 1, totalSteps: 9, lastEpoch: 3 } as never)],
      ['SequentialLR', (o) => new S.SequentialLR(o, [new S.ConstantLR(o, { lastEpoch: 3 }), new S.StepLR(o, { stepSize: 2, lastEpoch: 3 })], [6], { lastEpoch: 3 })],
    ];
    for (const [name, make] of makers) assert.equal(make(g()).lastEpoch, 4, name);
    // a ChainedScheduler reports its children's lrs
    const o = opt();
    const c = new S.ChainedScheduler([new S.ConstantLR(o, 0.5, 3), new S.ExponentialLR(o, 0.9)]);
    assert.deepEqual(c.getLastLr(), [0.5]);
    c.step();
    close(c.getLastLr(), [0.45]);
  });
});

test('CyclicLR resumed with lastEpoch takes each group\'s current momentum as its base momentum (PyTorch 1.13\'s rule and sequence)', () => {
  const o = new nb.optim.SGD([nb.zeros([1], { requiresGrad: true })], { lr: 0.5, momentum: 0.9 });
  const args = { baseLr: 0.1, maxLr: 1, stepSizeUp: 2, baseMomentum: 0.8, maxMomentum: 0.9 };
  const first = new S.CyclicLR(o, args);
  for (let i = 0; i < 3; i++) { o.step(); first.step(); }
  assert.deepEqual([o.paramGroups[0]!.lr, o.paramGroups[0]!.momentum], [0.55, 0.8500000000000001]);
  // resumed at epoch 3: the base momentum is now 0.85 (not the option's 0.8); the constructor's step is epoch 4
  const resumed = new S.CyclicLR(o, { ...args, lastEpoch: 3 });
  const seen: number[][] = [[o.paramGroups[0]!.lr, o.paramGroups[0]!.momentum as number]];
  for (let i = 0; i < 4; i++) { o.step(); resumed.step(); seen.push([o.paramGroups[0]!.lr, o.paramGroups[0]!.momentum as number]); }
  // torch.optim.lr_scheduler.CyclicLR(..., last_epoch=3) on the same optimizer, then four steps
  const torch = [[0.1, 0.9], [0.55, 0.875], [1, 0.8500000000000001], [0.55, 0.875], [0.1, 0.9]];
  seen.forEach((v, i) => close(v, torch[i]!));
});
