/**
 * RMSprop, as torch.optim.RMSprop:
 *
 *   g ← ∇θ (−∇θ with maximize);  g ← g + λθ                      (weightDecay λ)
 *   s ← α·s + (1 − α)·g²                                            (alpha α, s starts at 0)
 *   centered:  ḡ ← α·ḡ + (1 − α)·g;  d ← √(s − ḡ²) + ε,  else d ← √s + ε
 *   momentum μ > 0:  b ← μ·b + g/d;  θ ← θ − γ·b,   else θ ← θ − γ·g/d
 *
 * Plain RMSprop (Hinton's lecture form) is the μ = 0, uncentered case: θ ← θ − η·g/(√s + ε). Note that ε is added after
 * the square root (PyTorch), not inside it.
 */
import type { Tensor } from '../tensor.js';
import { add, div, mul, neg, sqrt, sub } from '../ops/elementwise.js';
import { zerosLike } from '../creation.js';
import { add_, mul_ } from '../ops/inplace.js';
import { keep } from '../memory.js';
import { Optimizer, num, ten, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  /** RMSprop(params, {lr, ...}) or torch's positional order RMSprop(params, lr, alpha, eps, weightDecay, momentum, centered) */
  constructor(params: ParamsArg<RMSpropOptions>, ...rest: [opts?: Partial<RMSpropOptions>] | [lr: number, alpha?: number, eps?: number, weightDecay?: number, momentum?: number, centered?: boolean, opts?: Partial<RMSpropOptions>]) {
    super(params, Optimizer.options('RMSprop', rest, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'], { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }));
  }

  protected override validateGroup(g: ParamGroup<RMSpropOptions>): void {
    super.validateGroup(g);
    if (!(g.eps >= 0)) throw new RangeError(`RMSprop: invalid epsilon value ${g.eps}`);
    if (!(g.alpha >= 0)) throw new RangeError(`RMSprop: invalid alpha value ${g.alpha}`);
    if (!(g.momentum >= 0)) throw new RangeError(`RMSprop: invalid momentum value ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`RMSprop: invalid weightDecay value ${g.weightDecay}`);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<RMSpropOptions>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.square_avg = keep(zerosLike(p));
      if (g.momentum > 0) st.momentum_buffer = keep(zerosLike(p));
      if (g.centered) st.grad_avg = keep(zerosLike(p));
    }
    st.step = num(st, 'step') + 1;
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, mul(p, g.weightDecay));
    const sq = ten(st, 'square_avg');
    mul_(sq, g.alpha);
    add_(sq, mul(d, d), 1 - g.alpha);
    let avg: Tensor;
    if (g.centered) {
      const ga = ten(st, 'grad_avg');
      add_(ga, sub(d, ga), 1 - g.alpha); // lerp(ga, g, 1 − α)
      avg = add(sqrt(sub(sq, mul(ga, ga))), g.eps);
    } else {
      avg = add(sqrt(sq), g.eps);
    }
    if (g.momentum > 0) {
      const buf = ten(st, 'momentum_buffer');
      mul_(buf, g.momentum);
      add_(buf, div(d, avg));
      add_(p, buf, -g.lr);
    } else {
      add_(p, div(d, avg), -g.lr);
    }
  }
}
