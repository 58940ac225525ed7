/**
 * Learning-rate schedulers (torch.optim.lr_scheduler semantics). Each scheduler computes the lr of step
 * `lastEpoch` in closed form from the groups' initial lrs, and writes it into `optimizer.paramGroups[i].lr`.
 *
 * Usage, as PyTorch: construct after the optimizer (this sets lastEpoch 0 and the step-0 lr), then call
 * `scheduler.step()` once after each `optimizer.step()` (per epoch or per batch, as the schedule means).
 *
 *   const sched = new nb.optim.lrScheduler.StepLR(opt, {stepSize: 30, gamma: 0.1});
 *   for (...) { opt.step(); sched.step(); }
 *
 * The first scheduler built on an optimizer records each group's lr as `initialLr` (PyTorch's
 * `initial_lr`, set with setdefault semantics), and every scheduler's base lrs are those initial lrs.
 *
 * Chaining (as PyTorch): StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR and LinearLR are
 * "chainable": each step multiplies the optimizer's *current* lr by the schedule's factor for that step
 * (StepLR: γ at multiples of stepSize, else 1), so two schedulers stepped together on one optimizer
 * compound — StepLR(2, 0.5) with ExponentialLR(0.9) gives [1, .9, .405, .3645, .164025]. Alone, each equals
 * its closed form `lrAt(e)`. LambdaLR, OneCycleLR, SequentialLR and WarmupCosineLR set the closed form.
 */
import { checkArity, mergeArgs } from '../strict.js';

/** A scheduler's arguments: positionally in torch's order after the optimizer, or as one options object. */
function schedArgs(name: string, rest: readonly unknown[], names: readonly string[], extra: readonly string[] = []): Record<string, unknown> {
  const o = mergeArgs(name, rest, names, [...extra, 'lastEpoch']);
  for (const [k, v] of Object.entries(o)) {
    if (k !== 'lrLambda' && k !== 'milestones' && k !== 'schedulers' && k !== 'annealStrategy' && !Array.isArray(v) && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new TypeError(`${name}: ${k} must be a number, got ${JSON.stringify(v)}`);
    }
  }
  return o;
}

/** The part of an optimizer a scheduler touches. */
export interface SchedulableOptimizer {
  paramGroups: Array<{ lr: number; [k: string]: unknown }>;
}

export interface SchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  [k: string]: unknown;
}

export abstract class LRScheduler {
  lastEpoch: number;
  baseLrs: number[];
  protected lastLr: number[] = [];

  /** lastEpoch: the index of the last step taken (−1 for a fresh start; groups then get `initialLr`). */
  constructor(readonly optimizer: SchedulableOptimizer, lastEpoch = -1, initialStep = true) {
    if (!optimizer || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
      throw new TypeError(`${new.target.name}: the first argument must be an optimizer (something with paramGroups), got ${optimizer === null ? 'null' : typeof optimizer}`);
    }
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) throw new Error(`${this.constructor.name}: param 'initialLr' is not specified in paramGroups[${i}] when resuming (lastEpoch = ${lastEpoch})`);
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    if (initialStep) this.step();
  }

  /** The lr of each group at step `epoch` (closed form). */
  abstract lrAt(epoch: number): number[];

  /**
   * The lrs of step `e` computed from the optimizer's current lrs (PyTorch's chainable get_lr). The default
   * is the closed form; chainable schedulers override it to multiply the current lr.
   */
  protected chainedLr(e: number, _current: number[]): number[] {
    return this.lrAt(e);
  }

  /** Advance one step and write the new lrs into the optimizer. */
  step(): void {
    if (arguments.length > 0) throw new TypeError(`${this.constructor.name}.step: takes no arguments (the epoch argument of old PyTorch versions is deprecated there and not supported here)`);
    this.lastEpoch++;
    this.apply(this.chainedLr(this.lastEpoch, this.optimizer.paramGroups.map((g) => g.lr)));
  }

  protected apply(lrs: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = lrs[i]!; });
    this.lastLr = lrs.slice();
  }

  /** The lrs the last step() set. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = { lastEpoch: this.lastEpoch, baseLrs: this.baseLrs.slice(), lastLr: this.lastLr.slice() };
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer' || k in out || typeof v === 'function' || v instanceof LRScheduler) continue;
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'))) {
        out[k] = Array.isArray(v) ? v.slice() : v;
      }
    }
    return out;
  }

  /** Restore a stateDict() (the scheduler must be built on the same kind of schedule); the lrs are re-applied. */
  loadStateDict(sd: SchedulerStateDict): void {
    for (const [k, v] of Object.entries(sd)) {
      if (k === 'optimizer' || k === 'schedulers') continue;
      (this as Record<string, unknown>)[k] = Array.isArray(v) ? v.slice() : v;
    }
    this.apply(this.lastLr.length ? this.lastLr : this.lrAt(this.lastEpoch));
  }
}

const perGroup = (op: string, opt: SchedulableOptimizer, v: number | number[], name: string): number[] => {
  const n = opt.paramGroups.length;
  if (Array.isArray(v)) {
    if (v.length !== n) throw new Error(`${op}: expected ${n} values for ${name} (one per param group), got ${v.length}`);
    return v.slice();
  }
  return new Array(n).fill(v);
};

/** lr = base · λ(epoch); one λ, or one per group. (λ functions are not saved by stateDict.) */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: SchedulableOptimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], opts: { lastEpoch?: number } = {}) {
    schedArgs('LambdaLR', [...arguments].slice(1), ['lrLambda']);
    if (typeof lrLambda !== 'function' && !(Array.isArray(lrLambda) && lrLambda.every((f) => typeof f === 'function'))) throw new TypeError('LambdaLR: lrLambda must be a function of the epoch (or one per param group)');
    const n = optimizer.paramGroups.length;
    const lambdas = Array.isArray(lrLambda) ? lrLambda : new Array(n).fill(lrLambda);
    if (lambdas.length !== n) throw new Error(`LambdaLR: expected ${n} lrLambdas, got ${lambdas.length}`);
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.lambdas = lambdas;
    this.step();
  }
  lrAt(e: number): number[] {
    return this.baseLrs.map((b, i) => b * this.lambdas[i]!(e));
  }
}

/** lr = base · γ^⌊epoch / stepSize⌋ */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  /** StepLR(opt, {stepSize, gamma}) or torch's positional StepLR(opt, stepSize, gamma) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts: { stepSize: number; gamma?: number; lastEpoch?: number }] | [stepSize: number, gamma?: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('StepLR', rest, ['stepSize', 'gamma']) as { stepSize: number; gamma?: number; lastEpoch?: number };
    super(optimizer, opts.lastEpoch ?? -1, false);
    if (!(opts.stepSize > 0)) throw new RangeError(`StepLR: stepSize must be positive, got ${opts.stepSize}`);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.step();
  }
  lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(e / this.stepSize));
  }
  protected override chainedLr(e: number, cur: number[]): number[] {
    return e === 0 || e % this.stepSize !== 0 ? cur : cur.map((lr) => lr * this.gamma);
  }
}

/** lr = base · γ^(number of milestones ≤ epoch) */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  /** MultiStepLR(opt, {milestones, gamma}) or torch's positional MultiStepLR(opt, milestones, gamma) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts: { milestones: number[]; gamma?: number; lastEpoch?: number }] | [milestones: number[], gamma?: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('MultiStepLR', rest, ['milestones', 'gamma']) as { milestones: number[]; gamma?: number; lastEpoch?: number };
    if (!Array.isArray(opts.milestones)) throw new TypeError('MultiStepLR: milestones must be an array of step numbers');
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    this.gamma = opts.gamma ?? 0.1;
    this.step();
  }
  lrAt(e: number): number[] {
    const k = this.milestones.filter((m) => m <= e).length;
    return this.baseLrs.map((b) => b * this.gamma ** k);
  }
  protected override chainedLr(e: number, cur: number[]): number[] {
    const k = this.milestones.filter((m) => m === e).length;
    return cur.map((lr) => lr * this.gamma ** k);
  }
}

/** lr = base · γ^epoch */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  /** ExponentialLR(opt, {gamma}) or ExponentialLR(opt, gamma) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts: { gamma: number; lastEpoch?: number }] | [gamma: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('ExponentialLR', rest, ['gamma']) as { gamma: number; lastEpoch?: number };
    if (typeof opts.gamma !== 'number') throw new TypeError('ExponentialLR: gamma is required');
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.gamma = opts.gamma;
    this.step();
  }
  lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** e);
  }
  protected override chainedLr(e: number, cur: number[]): number[] {
    return e === 0 ? cur : cur.map((lr) => lr * this.gamma);
  }
}

/** lr = ηmin + (base − ηmin)·(1 + cos(π·epoch/Tmax))/2  (PyTorch's closed form; periodic past Tmax, as there) */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  /** CosineAnnealingLR(opt, {tMax, etaMin}) or torch's positional CosineAnnealingLR(opt, tMax, etaMin) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts: { tMax: number; etaMin?: number; lastEpoch?: number }] | [tMax: number, etaMin?: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('CosineAnnealingLR', rest, ['tMax', 'etaMin']) as { tMax: number; etaMin?: number; lastEpoch?: number };
    super(optimizer, opts.lastEpoch ?? -1, false);
    if (!(opts.tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be positive, got ${opts.tMax}`);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    this.step();
  }
  lrAt(e: number): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * e) / this.tMax))) / 2);
  }
  /**
   * PyTorch's recursive form: lr_e − η = (lr_{e−1} − η)·(1 + cos(πe/T))/(1 + cos(π(e−1)/T)); where the
   * denominator is 0 (e − 1 an odd multiple of T) it adds (base − η)(1 − cos(π/T))/2 instead.
   */
  protected override chainedLr(e: number, cur: number[]): number[] {
    const T = this.tMax, eta = this.etaMin;
    if (e === 0) return cur;
    if ((e - 1 - T) % (2 * T) === 0) return cur.map((lr, i) => lr + ((this.baseLrs[i]! - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    return cur.map((lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - eta) + eta);
  }
}

/** lr = base · (s + (f − s)·min(epoch, totalIters)/totalIters)   (startFactor s = 1/3, endFactor f = 1, totalIters 5) */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  /** LinearLR(opt, {startFactor, endFactor, totalIters}) or torch's positional LinearLR(opt, startFactor, endFactor, totalIters) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts?: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number }] | [startFactor: number, endFactor?: number, totalIters?: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('LinearLR', rest, ['startFactor', 'endFactor', 'totalIters']) as { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number };
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    this.totalIters = opts.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new RangeError('LinearLR: startFactor must be in (0, 1]');
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new RangeError('LinearLR: endFactor must be in [0, 1]');
    this.step();
  }
  lrAt(e: number): number[] {
    const f = this.startFactor + ((this.endFactor - this.startFactor) * Math.min(e, this.totalIters)) / this.totalIters;
    return this.baseLrs.map((b) => b * f);
  }
  /** factor(e)/factor(e − 1) = 1 + (f − s)/(T·s + (e − 1)(f − s)) up to totalIters, then 1 (PyTorch's recursive form) */
  protected override chainedLr(e: number, cur: number[]): number[] {
    const s = this.startFactor, f = this.endFactor, T = this.totalIters;
    if (e === 0) return cur.map((lr) => lr * s);
    if (e > T) return cur;
    return cur.map((lr) => lr * (1 + (f - s) / (T * s + (e - 1) * (f - s))));
  }
}

export interface OneCycleOptions {
  /** peak lr: one for all groups or one per group */
  maxLr: number | number[];
  /** total number of steps; or give epochs and stepsPerEpoch */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}

/**
 * The 1cycle policy (Smith & Topin), as torch's OneCycleLR: lr rises from maxLr/divFactor to maxLr over
 * the first pctStart of the steps, then anneals to initial/finalDivFactor (cosine by default). Defaults
 * are PyTorch's: pctStart 0.3, divFactor 25, finalDivFactor 1e4, cos annealing, momentum cycled
 * inversely between 0.95 and 0.85 (written to `betas[0]` for Adam-like groups, else `momentum`).
 * Phase ends are at steps pctStart·T − 1 and T − 1; stepping past T − 1 is an error.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  private readonly phases: { end: number; startLr: string; endLr: string; startM: string; endM: string }[];
  private readonly useBeta1: boolean;

  constructor(optimizer: SchedulableOptimizer, ...rest: [opts: OneCycleOptions] | [maxLr: number | number[], totalSteps?: number, opts?: Omit<OneCycleOptions, 'maxLr' | 'totalSteps'>]) {
    const opts = schedArgs('OneCycleLR', rest, ['maxLr', 'totalSteps'], ['epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase']) as unknown as OneCycleOptions;
    let total: number;
    if (opts.totalSteps !== undefined) total = opts.totalSteps;
    else if (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined) total = opts.epochs * opts.stepsPerEpoch;
    else throw new Error('OneCycleLR: you must define either totalSteps or (epochs and stepsPerEpoch)');
    if (!(Number.isInteger(total) && total > 0)) throw new RangeError(`OneCycleLR: totalSteps must be a positive integer, got ${total}`);
    const pct = opts.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new RangeError(`OneCycleLR: pctStart must be in [0, 1], got ${pct}`);
    const div = opts.divFactor ?? 25, finalDiv = opts.finalDivFactor ?? 1e4;
    const maxLrs = perGroup('OneCycleLR', optimizer, opts.maxLr, 'maxLr');
    const cycle = opts.cycleMomentum ?? true;
    const groups = optimizer.paramGroups;
    const useBeta1 = groups.length > 0 && 'betas' in groups[0]!;
    if (lastEpochOf(opts) === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / div;
        g.maxLr = maxLrs[i]!;
        g.minLr = (g.initialLr as number) / finalDiv;
      });
    }
    if (cycle) {
      if (!useBeta1 && !groups.every((g) => 'momentum' in g)) throw new Error('OneCycleLR: optimizer must support momentum or beta1 with the cycleMomentum option enabled');
      const baseM = perGroup('OneCycleLR', optimizer, opts.baseMomentum ?? 0.85, 'baseMomentum');
      const maxM = perGroup('OneCycleLR', optimizer, opts.maxMomentum ?? 0.95, 'maxMomentum');
      if (lastEpochOf(opts) === -1) {
        groups.forEach((g, i) => {
          g.maxMomentum = maxM[i]!;
          g.baseMomentum = baseM[i]!;
          setMomentum(g, maxM[i]!, useBeta1);
        });
      }
    }
    super(optimizer, lastEpochOf(opts), false);
    this.totalSteps = total;
    this.annealStrategy = opts.annealStrategy ?? 'cos';
    this.cycleMomentum = cycle;
    this.useBeta1 = useBeta1;
    this.phases = opts.threePhase
      ? [
          { end: pct * total - 1, startLr: 'initialLr', endLr: 'maxLr', startM: 'maxMomentum', endM: 'baseMomentum' },
          { end: 2 * pct * total - 2, startLr: 'maxLr', endLr: 'initialLr', startM: 'baseMomentum', endM: 'maxMomentum' },
          { end: total - 1, startLr: 'initialLr', endLr: 'minLr', startM: 'maxMomentum', endM: 'maxMomentum' },
        ]
      : [
          { end: pct * total - 1, startLr: 'initialLr', endLr: 'maxLr', startM: 'maxMomentum', endM: 'baseMomentum' },
          { end: total - 1, startLr: 'maxLr', endLr: 'minLr', startM: 'baseMomentum', endM: 'maxMomentum' },
        ];
    this.step();
  }

  private anneal(start: number, end: number, pct: number): number {
    return this.annealStrategy === 'cos' ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }

  /** [lr, momentum] of group g at step e */
  private at(g: Record<string, unknown>, e: number): [number, number] {
    if (e > this.totalSteps) throw new Error(`OneCycleLR: tried to step ${e} times; the total number of steps is ${this.totalSteps}`);
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const ph = this.phases[i]!;
      if (e <= ph.end || i === this.phases.length - 1) {
        const pct = (e - start) / (ph.end - start);
        const lr = this.anneal(g[ph.startLr] as number, g[ph.endLr] as number, pct);
        const m = this.cycleMomentum ? this.anneal(g[ph.startM] as number, g[ph.endM] as number, pct) : NaN;
        return [lr, m];
      }
      start = ph.end;
    }
    throw new Error('unreachable');
  }

  lrAt(e: number): number[] {
    return this.optimizer.paramGroups.map((g) => this.at(g, e)[0]);
  }

  override step(): void {
    super.step();
    if (this.cycleMomentum) {
      for (const g of this.optimizer.paramGroups) setMomentum(g, this.at(g, this.lastEpoch)[1], this.useBeta1);
    }
  }
}

function lastEpochOf(o: { lastEpoch?: number }): number {
  return o.lastEpoch ?? -1;
}

function setMomentum(g: Record<string, unknown>, m: number, useBeta1: boolean): void {
  if (useBeta1) {
    const b = g.betas as [number, number];
    g.betas = [m, b[1]];
  } else {
    g.momentum = m;
  }
}

/**
 * Run `schedulers` one after another: schedulers[i] is active from milestones[i − 1] on, seeing its own
 * step count restart at 0 there (PyTorch's SequentialLR). Each child's closed form gives the lr.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];
  constructor(optimizer: SchedulableOptimizer, schedulers: LRScheduler[], milestones: number[], opts: { lastEpoch?: number } = {}) {
    schedArgs('SequentialLR', [...arguments].slice(1), ['schedulers', 'milestones']);
    if (!Array.isArray(schedulers) || !schedulers.every((x) => x instanceof LRScheduler)) throw new TypeError('SequentialLR: schedulers must be an array of schedulers');
    if (!Array.isArray(milestones)) throw new TypeError('SequentialLR: milestones must be an array of step numbers');
    if (schedulers.length < 1) throw new Error('SequentialLR: expects at least one scheduler');
    if (milestones.length !== schedulers.length - 1) throw new Error(`SequentialLR: expects ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${milestones.length}`);
    for (const s of schedulers) if (s.optimizer !== optimizer) throw new Error('SequentialLR: every scheduler must be built on the same optimizer');
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.schedulers = schedulers;
    this.milestones = milestones.slice();
    this.step();
  }
  lrAt(e: number): number[] {
    let i = 0;
    while (i < this.milestones.length && e >= this.milestones[i]!) i++;
    const local = i === 0 ? e : e - this.milestones[i - 1]!;
    const s = this.schedulers[i]!;
    s.lastEpoch = local;
    return s.lrAt(local);
  }
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  override loadStateDict(sd: SchedulerStateDict): void {
    const children = sd.schedulers as SchedulerStateDict[] | undefined;
    if (children) children.forEach((c, i) => this.schedulers[i]?.loadStateDict(c));
    super.loadStateDict(sd);
  }
}

export interface WarmupCosineOptions {
  warmupSteps: number;
  totalSteps: number;
  /** floor of the decay (an absolute lr, the same for every group; default 0) */
  minLr?: number;
  lastEpoch?: number;
}

/**
 * Linear warmup then cosine decay (the usual language-model schedule). For step e with warmup W, total T:
 *   e < W:        lr = base·(e + 1)/W            (never 0: the first step already moves)
 *   W ≤ e ≤ T:    lr = minLr + (base − minLr)·(1 + cos(π·(e − W)/(T − W)))/2
 *   e > T:        lr = minLr
 */
export class WarmupCosineLR extends LRScheduler {
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;
  constructor(optimizer: SchedulableOptimizer, opts: WarmupCosineOptions) {
    schedArgs('WarmupCosineLR', [...arguments].slice(1), [], ['warmupSteps', 'totalSteps', 'minLr']);
    super(optimizer, opts.lastEpoch ?? -1, false);
    if (!(opts.warmupSteps >= 0 && opts.totalSteps > opts.warmupSteps)) throw new RangeError(`warmupCosine: need 0 <= warmupSteps < totalSteps, got ${opts.warmupSteps} and ${opts.totalSteps}`);
    this.warmupSteps = opts.warmupSteps;
    this.totalSteps = opts.totalSteps;
    this.minLr = opts.minLr ?? 0;
    this.step();
  }
  lrAt(e: number): number[] {
    const W = this.warmupSteps, T = this.totalSteps, lo = this.minLr;
    return this.baseLrs.map((b) => {
      if (e < W) return (b * (e + 1)) / W;
      if (e > T) return lo;
      return lo + ((b - lo) * (1 + Math.cos((Math.PI * (e - W)) / (T - W)))) / 2;
    });
  }
}

/** Linear warmup then cosine decay to minLr (see WarmupCosineLR). */
export function warmupCosine(optimizer: SchedulableOptimizer, opts: WarmupCosineOptions): WarmupCosineLR {
  schedArgs('warmupCosine', [...arguments].slice(1), [], ['warmupSteps', 'totalSteps', 'minLr']);
  return new WarmupCosineLR(optimizer, opts);
}

// ---------------------------------------------------------------------------------------------
// The rest of torch.optim.lr_scheduler (1.13): MultiplicativeLR, ConstantLR, PolynomialLR,
// CosineAnnealingWarmRestarts, CyclicLR, ChainedScheduler, ReduceLROnPlateau.

/** lr_e = lr_{e−1} · λ(e) for e ≥ 1 (chainable); closed form base · Π_{k=1..e} λ(k). One λ or one per group. */
export class MultiplicativeLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: SchedulableOptimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], opts: { lastEpoch?: number } = {}) {
    schedArgs('MultiplicativeLR', [...arguments].slice(1), ['lrLambda']);
    if (typeof lrLambda !== 'function' && !(Array.isArray(lrLambda) && lrLambda.every((f) => typeof f === 'function'))) throw new TypeError('MultiplicativeLR: lrLambda must be a function of the epoch (or one per param group)');
    const n = optimizer?.paramGroups?.length ?? 0;
    const lambdas = Array.isArray(lrLambda) ? lrLambda : new Array(n).fill(lrLambda);
    if (lambdas.length !== n) throw new Error(`MultiplicativeLR: expected ${n} lrLambdas, got ${lambdas.length}`);
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.lambdas = lambdas;
    this.step();
  }
  lrAt(e: number): number[] {
    return this.baseLrs.map((b, i) => {
      let lr = b;
      for (let k = 1; k <= e; k++) lr *= this.lambdas[i]!(k);
      return lr;
    });
  }
  protected override chainedLr(e: number, cur: number[]): number[] {
    return e > 0 ? cur.map((lr, i) => lr * this.lambdas[i]!(e)) : cur;
  }
}

/** lr = base · factor for epoch < totalIters, then base (chainable: ×factor at 0, ×1/factor at totalIters). Defaults 1/3, 5. */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;
  /** ConstantLR(opt, {factor, totalIters}) or torch's positional ConstantLR(opt, factor, totalIters) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts?: { factor?: number; totalIters?: number; lastEpoch?: number }] | [factor: number, totalIters?: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('ConstantLR', rest, ['factor', 'totalIters']) as { factor?: number; totalIters?: number; lastEpoch?: number };
    const factor = opts.factor ?? 1 / 3;
    if (!(factor >= 0 && factor <= 1)) throw new RangeError(`ConstantLR: factor must be in [0, 1], got ${factor}`);
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.factor = factor;
    this.totalIters = opts.totalIters ?? 5;
    this.step();
  }
  lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * (e >= this.totalIters ? 1 : this.factor));
  }
  protected override chainedLr(e: number, cur: number[]): number[] {
    if (e === 0) return cur.map((lr) => lr * this.factor);
    if (e !== this.totalIters) return cur;
    // factor 0 zeroed the lr, so dividing it back is 0/0 (PyTorch 1.13 raises ZeroDivisionError here): the closed form
    if (this.factor === 0) return this.lrAt(e);
    return cur.map((lr) => lr * (1 / this.factor));
  }
}

/** lr = base · (1 − min(e, totalIters)/totalIters)^power (chainable). Defaults totalIters 5, power 1. */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;
  /** PolynomialLR(opt, {totalIters, power}) or torch's positional PolynomialLR(opt, totalIters, power) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts?: { totalIters?: number; power?: number; lastEpoch?: number }] | [totalIters: number, power?: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('PolynomialLR', rest, ['totalIters', 'power']) as { totalIters?: number; power?: number; lastEpoch?: number };
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.totalIters = opts.totalIters ?? 5;
    this.power = opts.power ?? 1;
    if (!(this.totalIters > 0)) throw new RangeError(`PolynomialLR: totalIters must be positive, got ${this.totalIters}`);
    this.step();
  }
  lrAt(e: number): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, e) / this.totalIters) ** this.power);
  }
  /** ×((1 − e/T)/(1 − (e − 1)/T))^power for 1 ≤ e ≤ T (PyTorch's recursive form) */
  protected override chainedLr(e: number, cur: number[]): number[] {
    const T = this.totalIters;
    if (e === 0 || e > T) return cur;
    const f = ((1 - e / T) / (1 - (e - 1) / T)) ** this.power;
    return cur.map((lr) => lr * f);
  }
}

/**
 * SGDR: cosine annealing restarted every T_i steps, T_0 first and each period tMult times the last:
 *   lr = ηmin + (base − ηmin)·(1 + cos(π·Tcur/T_i))/2, Tcur = steps since the last restart.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  /** the current period and the steps taken in it */
  tI: number;
  tCur: number;
  /** CosineAnnealingWarmRestarts(opt, {t0, tMult, etaMin}) or torch's positional (opt, t0, tMult, etaMin) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts: { t0: number; tMult?: number; etaMin?: number; lastEpoch?: number }] | [t0: number, tMult?: number, etaMin?: number, opts?: { lastEpoch?: number }]) {
    const opts = schedArgs('CosineAnnealingWarmRestarts', rest, ['t0', 'tMult', 'etaMin']) as { t0: number; tMult?: number; etaMin?: number; lastEpoch?: number };
    if (!(Number.isInteger(opts.t0) && opts.t0 > 0)) throw new RangeError(`CosineAnnealingWarmRestarts: t0 must be a positive integer, got ${String(opts.t0)}`);
    const tMult = opts.tMult ?? 1;
    if (!(Number.isInteger(tMult) && tMult >= 1)) throw new RangeError(`CosineAnnealingWarmRestarts: tMult must be an integer ≥ 1, got ${tMult}`);
    super(optimizer, opts.lastEpoch ?? -1, false);
    this.t0 = opts.t0;
    this.tMult = tMult;
    this.etaMin = opts.etaMin ?? 0;
    // the position of step lastEpoch (a fresh start: before step 0); the step below moves to the next one
    [this.tI, this.tCur] = this.lastEpoch >= 0 ? this.period(this.lastEpoch) : [this.t0, -1];
    this.step();
  }
  /** [T_i, Tcur] at step e in closed form */
  private period(e: number): [number, number] {
    if (e < this.t0) return [this.t0, e];
    if (this.tMult === 1) return [this.t0, e % this.t0];
    const n = Math.floor(Math.log((e / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
    return [this.t0 * this.tMult ** n, e - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1)];
  }
  lrAt(e: number): number[] {
    const [tI, tCur] = this.period(e);
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  }
  override step(): void {
    if (arguments.length > 0) throw new TypeError('CosineAnnealingWarmRestarts.step: takes no arguments');
    this.lastEpoch++;
    this.tCur++;
    if (this.tCur >= this.tI) {
      this.tCur -= this.tI;
      this.tI *= this.tMult;
    }
    this.apply(this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2));
  }
}

export interface CyclicLROptions {
  baseLr: number | number[];
  maxLr: number | number[];
  /** steps of the rising half (default 2000) */
  stepSizeUp?: number;
  /** steps of the falling half (default stepSizeUp) */
  stepSizeDown?: number;
  /** 'triangular' (default), 'triangular2' (amplitude halved each cycle) or 'expRange' (amplitude × γ^step) */
  mode?: 'triangular' | 'triangular2' | 'expRange';
  gamma?: number;
  /** a custom amplitude scale (replaces mode), of the cycle number or the step as scaleMode says */
  scaleFn?: (x: number) => number;
  scaleMode?: 'cycle' | 'iterations';
  /** cycle `momentum` inversely between maxMomentum and baseMomentum (default true) */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  lastEpoch?: number;
}

/**
 * Cyclical learning rates (Smith), as torch's CyclicLR: with C = stepSizeUp + stepSizeDown, at step e
 *   cycle = ⌊1 + e/C⌋,  x = 1 + e/C − cycle,  s = x/r if x ≤ r else (x − 1)/(r − 1)   (r = stepSizeUp/C)
 *   lr = base + (max − base)·s·scale,  momentum = maxM − (maxM − baseM)·s·scale
 * with scale = 1 (triangular), 1/2^(cycle−1) (triangular2) or γ^e (expRange).
 */
export class CyclicLR extends LRScheduler {
  readonly maxLrs: number[];
  readonly totalSize: number;
  readonly stepRatio: number;
  readonly mode: 'triangular' | 'triangular2' | 'expRange';
  readonly gamma: number;
  readonly scaleMode: 'cycle' | 'iterations';
  readonly cycleMomentum: boolean;
  private readonly scaleFn: (x: number) => number;
  private readonly baseMomentums: number[];
  private readonly maxMomentums: number[];

  /** CyclicLR(opt, {baseLr, maxLr, …}) or torch's positional CyclicLR(opt, baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts: CyclicLROptions] | [baseLr: number | number[], maxLr: number | number[], stepSizeUp?: number, stepSizeDown?: number, mode?: CyclicLROptions['mode'], gamma?: number, opts?: Omit<CyclicLROptions, 'baseLr' | 'maxLr'>]) {
    const o = mergeArgs('CyclicLR', rest, ['baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma'], ['scaleFn', 'scaleMode', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'lastEpoch']) as unknown as CyclicLROptions;
    if (!optimizer || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) throw new TypeError('CyclicLR: the first argument must be an optimizer (something with paramGroups)');
    if (o.baseLr === undefined || o.maxLr === undefined) throw new TypeError('CyclicLR: baseLr and maxLr are required');
    const lastEpoch = o.lastEpoch ?? -1;
    const baseLrs = perGroup('CyclicLR', optimizer, o.baseLr, 'baseLr');
    if (lastEpoch === -1) optimizer.paramGroups.forEach((g, i) => { g.lr = baseLrs[i]!; });
    const up = o.stepSizeUp ?? 2000, down = o.stepSizeDown ?? up;
    if (!(up > 0 && down > 0)) throw new RangeError(`CyclicLR: stepSizeUp and stepSizeDown must be positive, got ${up}, ${down}`);
    const mode = o.mode ?? 'triangular';
    if (!o.scaleFn && !['triangular', 'triangular2', 'expRange'].includes(mode)) throw new Error(`CyclicLR: mode must be 'triangular', 'triangular2' or 'expRange', got '${String(mode)}'`);
    if (o.scaleFn !== undefined && typeof o.scaleFn !== 'function') throw new TypeError('CyclicLR: scaleFn must be a function');
    const cycle = o.cycleMomentum ?? true;
    let baseM: number[] = [], maxM: number[] = [];
    if (cycle) {
      if (!optimizer.paramGroups.every((g) => typeof g.momentum === 'number')) throw new Error('CyclicLR: optimizer must support momentum with the cycleMomentum option enabled');
      const bm = perGroup('CyclicLR', optimizer, o.baseMomentum ?? 0.8, 'baseMomentum');
      if (lastEpoch === -1) optimizer.paramGroups.forEach((g, i) => { g.momentum = bm[i]!; });
      baseM = optimizer.paramGroups.map((g) => g.momentum as number);
      maxM = perGroup('CyclicLR', optimizer, o.maxMomentum ?? 0.9, 'maxMomentum');
    }
    super(optimizer, lastEpoch, false);
    this.baseLrs = baseLrs;
    this.maxLrs = perGroup('CyclicLR', optimizer, o.maxLr, 'maxLr');
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = o.gamma ?? 1;
    this.cycleMomentum = cycle;
    this.baseMomentums = baseM;
    this.maxMomentums = maxM;
    if (o.scaleFn) {
      this.scaleFn = o.scaleFn;
      this.scaleMode = o.scaleMode ?? 'cycle';
    } else {
      this.scaleFn = mode === 'triangular' ? () => 1 : mode === 'triangular2' ? (x) => 1 / 2 ** (x - 1) : (x) => this.gamma ** x;
      this.scaleMode = mode === 'expRange' ? 'iterations' : 'cycle';
    }
    this.step();
  }

  /** [s·scale] at step e (see the class comment) */
  private height(e: number): number {
    const cycle = Math.floor(1 + e / this.totalSize);
    const x = 1 + e / this.totalSize - cycle;
    const s = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    return s * this.scaleFn(this.scaleMode === 'cycle' ? cycle : e);
  }

  lrAt(e: number): number[] {
    const h = this.height(e);
    return this.baseLrs.map((b, i) => b + (this.maxLrs[i]! - b) * h);
  }

  override step(): void {
    super.step();
    if (this.cycleMomentum) {
      const h = this.height(this.lastEpoch);
      this.optimizer.paramGroups.forEach((g, i) => { g.momentum = this.maxMomentums[i]! - (this.maxMomentums[i]! - this.baseMomentums[i]!) * h; });
    }
  }
}

/** Step several schedulers together, in order (torch's ChainedScheduler); each multiplies the current lr if chainable. */
export class ChainedScheduler {
  readonly schedulers: LRScheduler[];
  readonly optimizer: SchedulableOptimizer;
  constructor(schedulers: LRScheduler[]) {
    checkArity('ChainedScheduler', arguments, 1, '(schedulers)');
    if (!Array.isArray(schedulers) || schedulers.length === 0 || !schedulers.every((s) => s instanceof LRScheduler)) throw new TypeError('ChainedScheduler: schedulers must be a non-empty array of schedulers');
    for (const s of schedulers) if (s.optimizer !== schedulers[0]!.optimizer) throw new Error('ChainedScheduler: every scheduler must be built on the same optimizer');
    this.schedulers = schedulers.slice();
    this.optimizer = schedulers[0]!.optimizer;
  }
  step(): void {
    if (arguments.length > 0) throw new TypeError('ChainedScheduler.step: takes no arguments');
    for (const s of this.schedulers) s.step();
  }
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
  stateDict(): { schedulers: SchedulerStateDict[] } {
    return { schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  loadStateDict(sd: { schedulers: SchedulerStateDict[] }): void {
    sd.schedulers.forEach((c, i) => this.schedulers[i]?.loadStateDict(c));
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): a lower metric is better; 'max': higher */
  mode?: 'min' | 'max';
  /** lr ← max(lr·factor, minLr) on a plateau (default 0.1; must be < 1) */
  factor?: number;
  /** steps without improvement tolerated before reducing (default 10) */
  patience?: number;
  /** what counts as an improvement (default 1e-4) */
  threshold?: number;
  /** 'rel' (default): better than best·(1 ∓ threshold); 'abs': than best ∓ threshold */
  thresholdMode?: 'rel' | 'abs';
  /** steps after a reduction during which bad steps are not counted (default 0) */
  cooldown?: number;
  minLr?: number | number[];
  /** a reduction smaller than eps is skipped (default 1e-8) */
  eps?: number;
}

/**
 * Reduce the lr when a metric stops improving, as torch's ReduceLROnPlateau: `step(metric)` after each
 * evaluation; after more than `patience` steps without improvement (outside cooldown) every group's lr
 * becomes max(lr·factor, minLr), unless that changes it by less than eps.
 */
export class ReduceLROnPlateau {
  readonly optimizer: SchedulableOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  /** ReduceLROnPlateau(opt, {mode, factor, …}) or torch's positional (opt, mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps) */
  constructor(optimizer: SchedulableOptimizer, ...rest: [opts?: ReduceLROnPlateauOptions] | [mode: 'min' | 'max', factor?: number, patience?: number, threshold?: number, thresholdMode?: 'rel' | 'abs', cooldown?: number, minLr?: number | number[], eps?: number]) {
    const o = mergeArgs('ReduceLROnPlateau', rest, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']) as ReduceLROnPlateauOptions;
    if (!optimizer || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) throw new TypeError('ReduceLROnPlateau: the first argument must be an optimizer (something with paramGroups)');
    this.optimizer = optimizer;
    this.mode = o.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`ReduceLROnPlateau: mode must be 'min' or 'max', got '${String(this.mode)}'`);
    this.thresholdMode = o.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new Error(`ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got '${String(this.thresholdMode)}'`);
    this.factor = o.factor ?? 0.1;
    if (!(this.factor < 1)) throw new RangeError(`ReduceLROnPlateau: factor should be < 1.0, got ${this.factor}`);
    this.patience = o.patience ?? 10;
    this.threshold = o.threshold ?? 1e-4;
    this.cooldown = o.cooldown ?? 0;
    this.minLrs = perGroup('ReduceLROnPlateau', optimizer, o.minLr ?? 0, 'minLr');
    this.eps = o.eps ?? 1e-8;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Record this step's metric (a number or a one-element tensor's value) and reduce the lrs on a plateau. */
  step(metric: number): void {
    if (arguments.length !== 1) throw new TypeError(`ReduceLROnPlateau.step: expected one argument (the metric), got ${arguments.length}`);
    const current = typeof metric === 'number' ? metric : Number((metric as { item?: () => number })?.item?.());
    if (Number.isNaN(current) && typeof metric !== 'number') throw new TypeError('ReduceLROnPlateau.step: metric must be a number or a one-element tensor');
    this.lastEpoch++;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const old = g.lr, next = Math.max(old * this.factor, this.minLrs[i]!);
        if (old - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): Record<string, unknown> {
    return { best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch, lastLr: this.lastLr.slice() };
  }

  loadStateDict(sd: Record<string, unknown>): void {
    this.best = sd.best as number;
    this.numBadEpochs = sd.numBadEpochs as number;
    this.cooldownCounter = sd.cooldownCounter as number;
    this.lastEpoch = sd.lastEpoch as number;
    this.lastLr = (sd.lastLr as number[]).slice();
  }
}
