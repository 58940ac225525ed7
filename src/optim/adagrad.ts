/**
 * Adagrad, as torch.optim.Adagrad:
 *
 *   t ← t + 1;  g ← ∇θ (−∇θ with maximize);  g ← g + λθ            (weightDecay λ)
 *   γ̃ ← γ / (1 + (t − 1)·η)                                          (lrDecay η)
 *   s ← s + g²                                                        (s starts at initialAccumulatorValue)
 *   θ ← θ − γ̃·g/(√s + ε)
 *
 * Plain Adagrad (Duchi et al.: s ← s + g², θ ← θ − γ·g/(√s + ε)) is η = λ = 0: the per-coordinate step shrinks with the accumulated squared gradient.
 */
import type { Tensor } from '../tensor.js';
import { add, div, mul, neg, sqrt } from '../ops/elementwise.js';
import { fullLike } from '../creation.js';
import { add_ } from '../ops/inplace.js';
import { keep } from '../memory.js';
import { Optimizer, num, ten, type ParamGroup, type ParamsArg, type ParamState } from './optimizer.js';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  /** Adagrad(params, {lr, ...}) or torch's positional order Adagrad(params, lr, lrDecay, weightDecay, initialAccumulatorValue, eps) */
  constructor(params: ParamsArg<AdagradOptions>, ...rest: [opts?: Partial<AdagradOptions>] | [lr: number, lrDecay?: number, weightDecay?: number, initialAccumulatorValue?: number, eps?: number, opts?: Partial<AdagradOptions>]) {
    super(params, Optimizer.options('Adagrad', rest, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'], { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }));
  }

  protected override validateGroup(g: ParamGroup<AdagradOptions>): void {
    super.validateGroup(g);
    if (!(g.lrDecay >= 0)) throw new RangeError(`Adagrad: invalid lrDecay value ${g.lrDecay}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`Adagrad: invalid weightDecay value ${g.weightDecay}`);
    if (!(g.initialAccumulatorValue >= 0)) throw new RangeError(`Adagrad: invalid initialAccumulatorValue ${g.initialAccumulatorValue}`);
    if (!(g.eps >= 0)) throw new RangeError(`Adagrad: invalid epsilon value ${g.eps}`);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<AdagradOptions>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.sum = keep(fullLike(p, g.initialAccumulatorValue));
    }
    const t = num(st, 'step') + 1;
    st.step = t;
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, mul(p, g.weightDecay));
    const clr = g.lr / (1 + (t - 1) * g.lrDecay);
    const s = ten(st, 'sum');
    add_(s, mul(d, d));
    add_(p, div(d, add(sqrt(s), g.eps)), -clr);
  }
}
