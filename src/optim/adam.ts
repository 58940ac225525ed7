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
 * This is Kingma & Ba's Adam: both moments are exponential moving averages, bias-corrected by 1/(1 − βᵗ).
 *
 * Efficiency: the moments are updated in place. Contiguous float parameters take the backend's fused
 * `adamStep` kernel where it has one: one pass per parameter, no temporaries. The portable backend's
 * performs the same operations in the same order in double precision (so float64 results are bitwise those
 * of the op-by-op path; float32 ones are rounded once per stored value instead of per op); the wasm
 * backend's runs float32 in SIMD across its threads. Elsewhere the op-by-op path runs, whose few
 * temporaries are freed when step() returns.
 */
import { Tensor } from '../tensor.js';
import { add, div, maximum, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { zerosLike } from '../creation.js';
import { add_, copy_ } from '../ops/inplace.js';
import { keep } from '../memory.js';
import { Optimizer, num, ten, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

const ADAM_POSITIONAL = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'];
type AdamRest = [opts?: Partial<AdamOptions>] | [lr: number, betas?: [number, number], eps?: number, weightDecay?: number, amsgrad?: boolean, opts?: Partial<AdamOptions>];

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

/** whether one fused adamStep kernel can update p from grad with these state tensors */
function fusable(p: Tensor, ts: (Tensor | null)[]): boolean {
  if (!p.backend.adamStep || (p.dtype !== 'float32' && p.dtype !== 'float64') || !p.isContiguous()) return false;
  return ts.every((t) => t === null || (t.backend === p.backend && t.dtype === p.dtype && t.numel() === p.numel() && t.isContiguous()));
}

class AdamBase extends Optimizer<AdamOptions> {
  constructor(params: ParamsArg<AdamOptions>, defaults: AdamOptions, private readonly decoupled: boolean) {
    super(params, defaults);
  }

  protected override validateGroup(g: ParamGroup<AdamOptions>): void {
    super.validateGroup(g);
    // validateGroup runs inside the base constructor, before `decoupled` is assigned: name by class
    const name = this.constructor.name;
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

    if (g.fused && fusable(p, [grad, m, v, vmax])) {
      p.backend.adamStep!(p.backendView(), grad.backendView(), m.backendView(), v.backendView(), vmax ? vmax.backendView() : null, {
        beta1: b1, beta2: b2, eps: g.eps, stepSize, bc2Sqrt, l2, shrink, maximize: g.maximize,
      });
      for (const x of [p, m, v, vmax]) if (x) x.storage.version++;
      return;
    }

    // the same operations in the same order as the fused kernel, each stored tensor written once (one version bump
    // per step, as the fused kernel): the intermediate β₂v and θ·(1 − γλ) are computed out of place
    let d = g.maximize ? neg(grad) : grad;
    if (l2 !== 0) d = add(d, mul(p, l2));
    add_(m, sub(d, m), 1 - b1); // m.lerp_(g, 1 − β1)
    copy_(v, add(mul(v, b2), mul(mul(d, d), 1 - b2))); // v ← β₂v + (1 − β₂)g²
    let second = v;
    if (vmax) {
      copy_(vmax, maximum(vmax, v));
      second = vmax;
    }
    const denom = add(div(sqrt(second), bc2Sqrt), g.eps);
    const shrunk = shrink !== 1 ? mul(p, shrink) : p;
    copy_(p, add(shrunk, mul(div(m, denom), -stepSize))); // θ ← θ·(1 − γλ) − (γ/(1 − β₁ᵗ))·m/denom
  }
}

/** Adam (Kingma & Ba) with L2 weight decay folded into the gradient. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8. */
export class Adam extends AdamBase {
  /** Adam(params, {lr, betas, ...}) or torch's positional order Adam(params, lr, betas, eps, weightDecay, amsgrad) */
  constructor(params: ParamsArg<AdamOptions>, ...rest: AdamRest) {
    super(params, Optimizer.options('Adam', rest, ADAM_POSITIONAL, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, fused: true } as AdamOptions), false);
  }
}

/** AdamW: Adam with decoupled weight decay θ ← θ(1 − γλ) before the Adam step. Default weightDecay 0.01. */
export class AdamW extends AdamBase {
  /** AdamW(params, {lr, betas, ...}) or torch's positional order AdamW(params, lr, betas, eps, weightDecay, amsgrad) */
  constructor(params: ParamsArg<AdamOptions>, ...rest: AdamRest) {
    super(params, Optimizer.options('AdamW', rest, ADAM_POSITIONAL, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, fused: true } as AdamOptions), true);
  }
}
