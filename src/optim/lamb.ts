/**
 * LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning"): Adam's direction, rescaled per
 * parameter tensor by a trust ratio so that the step is proportional to the weight's norm.
 *
 *   t ← t + 1;  g ← ∇θ (−∇θ with maximize)
 *   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
 *   m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ)
 *   r = m̂/(√v̂ + ε) + λθ                        (weightDecay λ, decoupled: added to the Adam ratio)
 *   trust = ‖θ‖/‖r‖  if ‖θ‖ > 0 and ‖r‖ > 0, else 1      (‖·‖ = 2-norm over the whole tensor)
 *   trust ← min(trust, maxTrustRatio)            (maxTrustRatio defaults to ∞: no clipping)
 *   θ ← θ − γ·trust·r
 *
 * The paper's φ(‖θ‖) is taken as the identity (as most implementations do). Bias correction is on by
 * default (`biasCorrection: false` drops it, as in the paper's Algorithm 2). Defaults: lr 1e-3,
 * betas [0.9, 0.999], eps 1e-6, weightDecay 0.
 */
import type { Tensor } from '../tensor.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { zerosLike } from '../creation.js';
import { add_, mul_ } from '../ops/inplace.js';
import { keep } from '../memory.js';
import { Optimizer, num, ten, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface LAMBOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  biasCorrection: boolean;
  maxTrustRatio: number;
  maximize: boolean;
}

const norm2 = (x: Tensor): number => Math.sqrt(sum(mul(x, x)).item());

export class LAMB extends Optimizer<LAMBOptions> {
  /** LAMB(params, {lr, ...}) or LAMB(params, lr, betas, eps, weightDecay) */
  constructor(params: ParamsArg<LAMBOptions>, ...rest: [opts?: Partial<LAMBOptions>] | [lr: number, betas?: [number, number], eps?: number, weightDecay?: number, opts?: Partial<LAMBOptions>]) {
    super(params, Optimizer.options('LAMB', rest, ['lr', 'betas', 'eps', 'weightDecay'], { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0, biasCorrection: true, maxTrustRatio: Infinity, maximize: false } as LAMBOptions));
  }

  protected override validateGroup(g: ParamGroup<LAMBOptions>): void {
    super.validateGroup(g);
    if (!(g.eps >= 0)) throw new RangeError(`LAMB: invalid epsilon value ${g.eps}`);
    if (!(g.betas[0] >= 0 && g.betas[0] < 1 && g.betas[1] >= 0 && g.betas[1] < 1)) throw new RangeError(`LAMB: invalid betas [${g.betas}]`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`LAMB: invalid weightDecay value ${g.weightDecay}`);
    if (!(g.maxTrustRatio > 0)) throw new RangeError(`LAMB: invalid maxTrustRatio ${g.maxTrustRatio}`);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<LAMBOptions>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.exp_avg = keep(zerosLike(p));
      st.exp_avg_sq = keep(zerosLike(p));
    }
    const t = num(st, 'step') + 1;
    st.step = t;
    const [b1, b2] = g.betas;
    const d = g.maximize ? neg(grad) : grad;
    const m = ten(st, 'exp_avg'), v = ten(st, 'exp_avg_sq');
    add_(m, sub(d, m), 1 - b1);
    mul_(v, b2);
    add_(v, mul(d, d), 1 - b2);
    const bc1 = g.biasCorrection ? 1 - b1 ** t : 1, bc2 = g.biasCorrection ? 1 - b2 ** t : 1;
    let r = div(div(m, bc1), add(sqrt(div(v, bc2)), g.eps));
    if (g.weightDecay !== 0) r = add(r, mul(p, g.weightDecay));
    const wNorm = norm2(p), rNorm = norm2(r);
    const trust = Math.min(wNorm > 0 && rNorm > 0 ? wNorm / rNorm : 1, g.maxTrustRatio);
    add_(p, r, -g.lr * trust);
  }
}
