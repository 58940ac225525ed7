/**
 * Adam and AdamW, as torch.optim.Adam / torch.optim.AdamW (same update order):
 *
 *   t ← t + 1;  g ← ∇θ (−∇θ with maximize)
 *   Adam:   g ← g + λθ               (weightDecay λ is L2: added to the gradient, then adapted)
 *   AdamW:  θ ← θ·(1 − γλ)           (decoupled weight decay, Loshchilov & Hutter; default λ = 0.01)
 *   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
 *   amsgrad:  v_max ← max(v_max, v), and v_max replaces v below
 *   m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ)
 *   θ ← θ − γ·m̂/(√v̂ + ε)           (ε added after the square root of the bias-corrected v̂)
 *
 * Computed as PyTorch does: denom = √v/√(1 − β₂ᵗ) + ε, θ ← θ − (γ/(1 − β₁ᵗ))·m/denom.
 * This is the notes' Adam: both moments are EMAs, bias-corrected by 1/(1 − βᵗ).
 *
 * Efficiency: the moments are updated in place. On the portable 'ts' backend (whose memory handles are
 * typed arrays) contiguous float parameters take a fused path: one loop per parameter, no temporaries,
 * performing the same operations in the same order in double precision (so float64 results are bitwise
 * those of the op-by-op path; float32 ones are rounded once per stored value instead of per op).
 * Elsewhere the op-by-op path runs, whose few temporaries are freed when step() returns.
 */
import { Tensor } from '../tensor.js';
import type { TypedArray } from '../dtype.js';
import { add, div, maximum, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { zerosLike } from '../creation.js';
import { add_, copy_, mul_ } from '../ops/inplace.js';
import { keep } from '../memory.js';
import { Optimizer, num, ten, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /** use the fused single-loop update where the backend allows it (default true) */
  fused: boolean;
}

/** The typed array behind a tensor when it is a whole, contiguous block of the 'ts' backend. */
function flatArray(t: Tensor): Float32Array | Float64Array | null {
  if (t.backend.name !== 'ts' || t.offset !== 0 || t.size !== t.storage.size || !t.isContiguous()) return null;
  const d = t.storage.data as TypedArray;
  return d instanceof Float32Array || d instanceof Float64Array ? d : null;
}

class AdamBase extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, defaults: AdamOptions, private readonly decoupled: boolean) {
    super(params, defaults);
  }

  protected override validateGroup(g: ParamGroup<AdamOptions>): void {
    super.validateGroup(g);
    const name = this.decoupled ? 'AdamW' : 'Adam';
    if (!(g.eps >= 0)) throw new RangeError(`${name}: invalid epsilon value ${g.eps}`);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) throw new TypeError(`${name}: betas must be a pair [β1, β2]`);
    if (!(g.betas[0] >= 0 && g.betas[0] < 1)) throw new RangeError(`${name}: invalid beta parameter at index 0: ${g.betas[0]}`);
    if (!(g.betas[1] >= 0 && g.betas[1] < 1)) throw new RangeError(`${name}: invalid beta parameter at index 1: ${g.betas[1]}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`${name}: invalid weightDecay value ${g.weightDecay}`);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<AdamOptions>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.exp_avg = keep(zerosLike(p));
      st.exp_avg_sq = keep(zerosLike(p));
      if (g.amsgrad) st.max_exp_avg_sq = keep(zerosLike(p));
    }
    const t = num(st, 'step') + 1;
    st.step = t;
    const [b1, b2] = g.betas;
    const m = ten(st, 'exp_avg'), v = ten(st, 'exp_avg_sq');
    const vmax = g.amsgrad ? ten(st, 'max_exp_avg_sq') : null;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    const stepSize = g.lr / bc1, bc2Sqrt = Math.sqrt(bc2);
    const l2 = this.decoupled ? 0 : g.weightDecay;
    const shrink = this.decoupled && g.weightDecay !== 0 ? 1 - g.lr * g.weightDecay : 1;

    if (g.fused) {
      const P = flatArray(p), G = flatArray(grad), M = flatArray(m), V = flatArray(v), X = vmax ? flatArray(vmax) : null;
      if (P && G && M && V && (!vmax || X)) {
        const c1 = 1 - b1, c2 = 1 - b2, eps = g.eps, neg = g.maximize, ams = X !== null;
        for (let i = 0; i < P.length; i++) {
          let d = neg ? -G[i]! : G[i]!;
          if (l2 !== 0) d = d + P[i]! * l2;
          let pi = P[i]!;
          if (shrink !== 1) { P[i] = pi * shrink; pi = P[i]!; }
          const mi = (M[i] = M[i]! + (d - M[i]!) * c1);
          let vi = (V[i] = V[i]! * b2 + d * d * c2);
          if (ams) vi = X![i] = Math.max(X![i]!, vi);
          P[i] = pi + (mi / (Math.sqrt(vi) / bc2Sqrt + eps)) * -stepSize;
        }
        for (const x of [p, m, v, vmax]) if (x) x.storage.version++;
        return;
      }
    }

    let d = g.maximize ? neg(grad) : grad;
    if (l2 !== 0) d = add(d, mul(p, l2));
    if (shrink !== 1) mul_(p, shrink);
    add_(m, sub(d, m), 1 - b1); // m.lerp_(g, 1 − β1)
    mul_(v, b2);
    add_(v, mul(d, d), 1 - b2);
    let second = v;
    if (vmax) {
      copy_(vmax, maximum(vmax, v));
      second = vmax;
    }
    const denom = add(div(sqrt(second), bc2Sqrt), g.eps);
    add_(p, div(m, denom), -stepSize);
  }
}

/** Adam (Kingma & Ba) with L2 weight decay folded into the gradient. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export class Adam extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, fused: true, ...opts }, false);
  }
}

/** AdamW: Adam with decoupled weight decay θ ← θ(1 − γλ) before the Adam step. Default weightDecay 0.01. */
export class AdamW extends AdamBase {
  constructor(params: ParamsArg<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, fused: true, ...opts }, true);
  }
}
