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
import { mergeArgs } from '../strict.js';

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

const perGroup = (opt: SchedulableOptimizer, v: number | number[], name: string): number[] => {
  const n = opt.paramGroups.length;
  if (Array.isArray(v)) {
    if (v.length !== n) throw new Error(`expected ${n} values for ${name} (one per param group), got ${v.length}`);
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
    const maxLrs = perGroup(optimizer, opts.maxLr, 'maxLr');
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
      const baseM = perGroup(optimizer, opts.baseMomentum ?? 0.85, 'baseMomentum');
      const maxM = perGroup(optimizer, opts.maxMomentum ?? 0.95, 'maxMomentum');
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
