/**
 * Adafactor (Shazeer & Stern 2018), following torch.optim.Adafactor's update exactly:
 *
 *   t ← t + 1;  g ← ∇θ (−∇θ with maximize)
 *   β̂₂ₜ = 1 − t^τ                                  (beta2Decay τ = −0.8)
 *   ρₜ = min(γ, 1/√t)                               (relative step; γ = lr caps it, default 1e-2 as the paper)
 *   αₜ = max(ε₂, RMS(θ))·ρₜ                          (ε₂ = 1e-3; RMS(x) = ‖x‖/√numel)
 *   θ ← θ·(1 − γλ)                                   (weightDecay λ, decoupled, after αₜ is taken)
 *   θ with ≥ 2 dims (factored over the last two, [..., n, m]):
 *     R ← β̂₂ₜR + (1 − β̂₂ₜ)·mean_cols(g²)   [..., n, 1]
 *     C ← β̂₂ₜC + (1 − β̂₂ₜ)·mean_rows(g²)   [..., 1, m]
 *     V̂ = R·C / max(mean(R), ε₁)          (= the paper's R C / 1ᵀR with sums; means are the same ratio)
 *   θ with < 2 dims:  V̂ ← β̂₂ₜV̂ + (1 − β̂₂ₜ)·g²
 *   U = g / √max(V̂, ε₁²)
 *   Û = U / max(1, RMS(U)/d)                          (update clipping, threshold d = 1)
 *   θ ← θ − αₜ·Û
 *
 * Choices (documented as PyTorch documents its own): ε₁ defaults to the parameter dtype's machine
 * epsilon (PyTorch's default) rather than the paper's 1e-30, because ε₁² must stay representable —
 * 1e-60 underflows to 0 in float32, and a zero-gradient coordinate would then give 0·∞ = NaN. Pass
 * `eps: [1e-30, 1e-3]` for the paper's value on float64. ε₁ clamps V̂ and the row-mean denominator
 * instead of being added to g² (PyTorch's reading of the paper). There is no first moment (β₁ = 0, as
 * the paper recommends and PyTorch implements). `relativeStep: false` replaces αₜ by the plain lr γ
 * (an absolute step size, as Hugging Face's `relative_step=False, scale_parameter=False`).
 */
import type { Tensor } from '../tensor.js';
import { clamp, div, mul, neg, rsqrt, sub } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { matmul } from '../ops/matmul.js';
import { zeros, zerosLike } from '../creation.js';
import { add_, mul_ } from '../ops/inplace.js';
import { keep } from '../memory.js';
import { Optimizer, num, ten, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface AdafactorOptions {
  lr: number;
  beta2Decay: number;
  /** [ε₁ (null: the dtype's machine epsilon), ε₂] */
  eps: [number | null, number];
  /** update clipping threshold */
  d: number;
  weightDecay: number;
  relativeStep: boolean;
  maximize: boolean;
}

const rms = (x: Tensor): number => Math.sqrt(sum(mul(x, x)).item() / Math.max(1, x.numel()));

export class Adafactor extends Optimizer<AdafactorOptions> {
  /** Adafactor(params, {lr, ...}) or Adafactor(params, lr, {...}) */
  constructor(params: ParamsArg<AdafactorOptions>, ...rest: [opts?: Partial<AdafactorOptions>] | [lr: number, opts?: Partial<AdafactorOptions>]) {
    super(params, Optimizer.options('Adafactor', rest, ['lr'], { lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1, weightDecay: 0, relativeStep: true, maximize: false } as AdafactorOptions));
  }

  protected override validateGroup(g: ParamGroup<AdafactorOptions>): void {
    super.validateGroup(g);
    if (!(g.beta2Decay <= 0)) throw new RangeError(`Adafactor: beta2Decay should be <= 0 but is ${g.beta2Decay}`);
    if (g.eps[0] !== null && !(g.eps[0] >= 0)) throw new RangeError(`Adafactor: epsilon1 should be >= 0 but is ${g.eps[0]}`);
    if (!(g.eps[1] >= 0)) throw new RangeError(`Adafactor: epsilon2 should be >= 0 but is ${g.eps[1]}`);
    if (!(g.d >= 1)) throw new RangeError(`Adafactor: clipping threshold d should be >= 1 but is ${g.d}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`Adafactor: invalid weightDecay value ${g.weightDecay}`);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<AdafactorOptions>): void {
    const factored = p.ndim >= 2;
    if (st.step === undefined) {
      st.step = 0;
      if (factored) {
        st.row_var = keep(zeros([...p.shape.slice(0, -1), 1], { dtype: p.dtype }));
        st.col_var = keep(zeros([...p.shape.slice(0, -2), 1, p.shape[p.ndim - 1]!], { dtype: p.dtype }));
      } else {
        st.variance = keep(zerosLike(p));
      }
    }
    const t = num(st, 'step') + 1;
    st.step = t;
    const d = g.maximize ? neg(grad) : grad;
    const eps1 = g.eps[0] ?? (p.dtype === 'float32' ? 2 ** -23 : 2 ** -52);
    const w = t ** g.beta2Decay; // 1 − β̂₂ₜ
    const alpha = g.relativeStep ? Math.max(g.eps[1], rms(p)) * Math.min(g.lr, 1 / Math.sqrt(t)) : g.lr;
    if (g.weightDecay !== 0) mul_(p, 1 - g.lr * g.weightDecay);
    const g2 = mul(d, d);
    let vHat: Tensor;
    if (factored) {
      const R = ten(st, 'row_var'), C = ten(st, 'col_var');
      add_(R, sub(mean(g2, -1, true), R), w); // lerp toward the row means
      add_(C, sub(mean(g2, -2, true), C), w); // lerp toward the column means
      vHat = div(matmul(R, C), clamp(mean(R, -2, true), eps1));
    } else {
      const V = ten(st, 'variance');
      add_(V, sub(g2, V), w);
      vHat = V;
    }
    const u = mul(rsqrt(clamp(vHat, eps1 * eps1)), d);
    const denom = Math.max(1, rms(u) / g.d);
    add_(p, u, -alpha / denom);
  }
}
