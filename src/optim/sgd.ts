/**
 * SGD with momentum, as torch.optim.SGD (same update order, so results agree step for step):
 *
 *   g ← ∇θ  (−∇θ with maximize)
 *   g ← g + λθ                                   (weightDecay λ: L2 added to the gradient)
 *   if μ ≠ 0:  b ← g on the first step, else b ← μ·b + (1 − τ)·g     (momentum μ, dampening τ)
 *              g ← g + μ·b  with nesterov, else g ← b
 *   θ ← θ − γ·g                                   (lr γ)
 *
 * Relation to the EMA form of momentum, v ← βv + (1 − β)g, θ ← θ − ηv (as many textbooks write it):
 * PyTorch's buffer (dampening 0) is the un-normalised sum b ← μb + g; at steady state b ≈ g/(1 − μ), so
 * the two agree when γ = η(1 − μ) — PyTorch's lr is the EMA form's lr scaled by (1 − β). Setting
 * dampening = μ gives the EMA form's recursion from the second step on, but not its values: the buffer starts
 * at g₁ (as PyTorch), the EMA at (1 − μ)g₁, so at step t the buffer is the EMA plus μᵗ·g₁.
 */
import type { Tensor } from '../tensor.js';
import { add, mul, neg } from '../ops/elementwise.js';
import { add_, mul_ } from '../ops/inplace.js';
import { Optimizer, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  /** SGD(params, {lr, momentum, ...}) or torch's positional order SGD(params, lr, momentum, dampening, weightDecay, nesterov) */
  constructor(params: ParamsArg<SGDOptions>, ...rest: [opts?: Partial<SGDOptions>] | [lr: number, momentum?: number, dampening?: number, weightDecay?: number, nesterov?: boolean, opts?: Partial<SGDOptions>]) {
    super(params, Optimizer.options('SGD', rest, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'], { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }));
  }

  protected override validateGroup(g: ParamGroup<SGDOptions>): void {
    super.validateGroup(g);
    if (!(g.momentum >= 0)) throw new RangeError(`SGD: invalid momentum value ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay value ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('SGD: nesterov momentum requires a momentum and zero dampening');
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<SGDOptions>): void {
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, mul(p, g.weightDecay));
    if (g.momentum !== 0) {
      let buf = st.momentum_buffer as Tensor | undefined;
      if (buf === undefined) {
        buf = Optimizer.stateTensor(d);
        st.momentum_buffer = buf;
      } else {
        mul_(buf, g.momentum);
        add_(buf, d, 1 - g.dampening);
      }
      d = g.nesterov ? add(d, mul(buf, g.momentum)) : buf;
    }
    add_(p, d, -g.lr);
  }
}
