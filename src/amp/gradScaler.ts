/**
 * Loss scaling for low-precision training (torch.cuda.amp.GradScaler, names camelCased).
 *
 * Small gradients underflow to zero in float16 (and lose bits in bfloat16); multiplying the loss by a scale S
 * before backward multiplies every gradient by S (the chain rule is linear in the seed), lifting them into range.
 * Before the optimizer uses them they are unscaled (× 1/S); if any is Inf or NaN the scale was too large, the
 * step is skipped and S shrinks. The update rule (PyTorch's `_amp_update_scale_`), with S a float32:
 *   found Inf/NaN:  S ← S·backoffFactor,  tracker ← 0
 *   otherwise:      tracker ← tracker + 1; when tracker = growthInterval: S ← S·growthFactor (kept only if finite),
 *                   tracker ← 0
 * Typical step:  scaler.scale(loss).backward(); scaler.unscale_(opt) (optional, e.g. before clipping);
 *                scaler.step(opt); scaler.update()
 */
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/gradMode.js';
import { mul_ } from '../ops/inplace.js';
import type { Optimizer } from '../optim/optimizer.js';

export interface GradScalerOptions {
  /** initial scale (default 2^16) */
  initScale?: number;
  /** factor the scale grows by after growthInterval finite steps in a row (default 2, must be > 1) */
  growthFactor?: number;
  /** factor the scale shrinks by after a step with Inf/NaN gradients (default 0.5, must be < 1) */
  backoffFactor?: number;
  /** finite steps in a row before the scale grows (default 2000) */
  growthInterval?: number;
  /** false: every method is a pass-through (scale(x) = x, step = optimizer.step()) */
  enabled?: boolean;
}

/** PyTorch's state-dict keys, so a scaler's state reads the same in both. */
export interface GradScalerState {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  _growth_tracker: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';
interface PerOptimizer { stage: Stage; foundInf: boolean | null }

type Scalable = Tensor | readonly Scalable[];

const f32 = Math.fround;

export class GradScaler {
  private readonly enabled: boolean;
  private initScale: number;
  private scaleValue: number | null = null;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private initGrowthTracker = 0;
  private growthTracker: number | null = null;
  private readonly perOptimizer = new Map<Optimizer, PerOptimizer>();

  constructor(opts: GradScalerOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.initScale = opts.initScale ?? 2 ** 16;
    this.growthFactor = opts.growthFactor ?? 2;
    this.backoffFactor = opts.backoffFactor ?? 0.5;
    this.growthInterval = opts.growthInterval ?? 2000;
    if (this.enabled) {
      if (!(this.growthFactor > 1)) throw new RangeError(`GradScaler: the growth factor must be > 1.0, got ${this.growthFactor}`);
      if (!(this.backoffFactor < 1)) throw new RangeError(`GradScaler: the backoff factor must be < 1.0, got ${this.backoffFactor}`);
      if (!(Number.isInteger(this.growthInterval) && this.growthInterval > 0)) throw new RangeError(`GradScaler: growthInterval must be a positive integer, got ${this.growthInterval}`);
      if (!(this.initScale > 0) || !Number.isFinite(this.initScale)) throw new RangeError(`GradScaler: initScale must be a positive finite number, got ${this.initScale}`);
    }
  }

  private state(opt: Optimizer): PerOptimizer {
    let s = this.perOptimizer.get(opt);
    if (!s) this.perOptimizer.set(opt, (s = { stage: 'ready', foundInf: null }));
    return s;
  }

  private checkInitialized(fn: string): number {
    if (this.scaleValue === null || this.growthTracker === null) {
      throw new Error(`GradScaler.${fn}: the scale is not initialized; this may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration`);
    }
    return this.scaleValue;
  }

  /** outputs × scale (a tensor, or nested arrays of tensors); the scale is a float32 value, the dtype is kept. */
  scale<T extends Scalable>(outputs: T): T {
    if (!this.enabled) return outputs;
    if (this.scaleValue === null) {
      this.scaleValue = f32(this.initScale);
      this.growthTracker = this.initGrowthTracker;
    }
    const s = this.scaleValue;
    const apply = (v: Scalable): Scalable => {
      if (v instanceof Tensor) return v.mul(s);
      if (Array.isArray(v)) return v.map(apply);
      throw new TypeError('GradScaler.scale: outputs must be a Tensor or an array of Tensors');
    };
    return apply(outputs) as T;
  }

  /**
   * Divide the optimizer's gradients by the scale, in place, and note whether any was Inf/NaN. Call at most once
   * per optimizer between update()s, before step() (step calls it when you did not).
   */
  unscale_(optimizer: Optimizer): void {
    if (!this.enabled) return;
    const s = this.checkInitialized('unscale_');
    const st = this.state(optimizer);
    if (st.stage === 'unscaled') throw new Error('GradScaler.unscale_: unscale_() has already been called on this optimizer since the last update()');
    if (st.stage === 'stepped') throw new Error('GradScaler.unscale_: unscale_() is being called after step()');
    const invScale = f32(1 / s); // PyTorch: scale.double().reciprocal().float()
    let found = false;
    noGrad(() => {
      for (const group of optimizer.paramGroups) {
        for (const p of group.params) {
          const g = p.grad;
          if (g === null) continue;
          if ((g.dtype as string) === 'float16') throw new Error('GradScaler.unscale_: attempting to unscale FP16 gradients (keep float32 master parameters)');
          if (!found) {
            const d = g.data();
            for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) { found = true; break; }
          }
          mul_(g, invScale);
        }
      }
    });
    st.foundInf = found;
    st.stage = 'unscaled';
  }

  /** Unscale (if not done) and call optimizer.step(...args) unless a gradient was Inf/NaN; returns its result. */
  step(optimizer: Optimizer, ...args: Parameters<Optimizer['step']>): ReturnType<Optimizer['step']> | undefined {
    if (!this.enabled) return optimizer.step(...args);
    if (args.length > 0 && args[0] !== undefined) throw new Error('GradScaler.step: closure use is not currently supported if GradScaler is enabled');
    this.checkInitialized('step');
    const st = this.state(optimizer);
    if (st.stage === 'stepped') throw new Error('GradScaler.step: step() has already been called since the last update()');
    if (st.stage === 'ready') this.unscale_(optimizer);
    let ret: ReturnType<Optimizer['step']> | undefined;
    if (st.foundInf === false) ret = optimizer.step();
    st.stage = 'stepped';
    return ret;
  }

  /** Whether the last step() of this optimizer was skipped (Inf/NaN gradients) since the last update(). */
  stepWasSkipped(optimizer: Optimizer): boolean {
    return this.perOptimizer.get(optimizer)?.foundInf === true;
  }

  /**
   * Adjust the scale from this iteration's Inf/NaN checks (see the rule at the top), or set it to newScale.
   * Call once per iteration, after every scaler.step().
   */
  update(newScale?: number | Tensor): void {
    if (!this.enabled) return;
    const s = this.checkInitialized('update');
    if (newScale !== undefined) {
      let v: number;
      if (newScale instanceof Tensor) {
        if (newScale.numel() !== 1 || newScale.requiresGrad) throw new Error('GradScaler.update: newScale should be a number or a 1-element tensor with requiresGrad false');
        v = newScale.item();
      } else v = newScale;
      this.scaleValue = f32(v);
    } else {
      const checks = [...this.perOptimizer.values()].filter((st) => st.foundInf !== null);
      if (checks.length === 0) throw new Error('GradScaler.update: no inf checks were recorded prior to update() (call scaler.step(optimizer) first)');
      const foundInf = checks.some((st) => st.foundInf);
      if (foundInf) {
        this.scaleValue = f32(s * this.backoffFactor);
        this.growthTracker = 0;
      } else {
        const successful = this.growthTracker! + 1;
        if (successful === this.growthInterval) {
          const grown = f32(s * this.growthFactor);
          if (Number.isFinite(grown)) this.scaleValue = grown;
          this.growthTracker = 0;
        } else this.growthTracker = successful;
      }
    }
    this.perOptimizer.clear();
  }

  /** The current scale (initScale before the first scale(); 1 when disabled). */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleValue ?? this.initScale;
  }
  getGrowthFactor(): number { return this.growthFactor; }
  setGrowthFactor(v: number): void { this.growthFactor = v; }
  getBackoffFactor(): number { return this.backoffFactor; }
  setBackoffFactor(v: number): void { this.backoffFactor = v; }
  getGrowthInterval(): number { return this.growthInterval; }
  setGrowthInterval(v: number): void { this.growthInterval = v; }
  isEnabled(): boolean { return this.enabled; }

  private getGrowthTracker(): number {
    if (!this.enabled) return 0;
    return this.growthTracker ?? this.initGrowthTracker;
  }

  /** PyTorch's five entries; empty when disabled. Take it after update(). */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    return { scale: this.getScale(), growth_factor: this.growthFactor, backoff_factor: this.backoffFactor, growth_interval: this.growthInterval, _growth_tracker: this.getGrowthTracker() };
  }

  loadStateDict(sd: GradScalerState | Record<string, never>): void {
    if (!this.enabled) return;
    if (Object.keys(sd).length === 0) throw new Error('GradScaler.loadStateDict: the source state dict is empty, possibly because it was saved from a disabled instance of GradScaler');
    const s = sd as GradScalerState;
    for (const k of ['scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker'] as const) {
      if (typeof s[k] !== 'number') throw new TypeError(`GradScaler.loadStateDict: entry '${k}' must be a number, got ${typeof s[k]}`);
    }
    this.initScale = s.scale;
    if (this.scaleValue !== null) this.scaleValue = f32(s.scale);
    this.growthFactor = s.growth_factor;
    this.backoffFactor = s.backoff_factor;
    this.growthInterval = s.growth_interval;
    this.initGrowthTracker = s._growth_tracker;
    if (this.growthTracker !== null) this.growthTracker = s._growth_tracker;
  }
}
