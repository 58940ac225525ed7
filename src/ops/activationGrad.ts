/**
 * The derivatives of the smooth activations, in one table shared by the activation ops (elementwise.ts) and
 * linear's fused activation (matmul.ts). Internal: not re-exported from the package.
 */
import type { Tensor } from '../tensor.js';
import { add, erf, exp, mul, sigmoid, sub, tanh } from './elementwise.js';

/**
 * ∇x of the smooth activations from ∇y and the tensor their backward reads — the output y for sigmoid and
 * tanh, the input x for the others — in nabla ops, so they differentiate again. Shared by the activation ops
 * above and by linear's fused activation.
 */
export const activationBackward = {
  /** σ' = y(1 − y) */
  sigmoid: (g: Tensor, y: Tensor): Tensor => mul(g, mul(y, sub(1, y))),
  /** tanh' = 1 − y² */
  tanh: (g: Tensor, y: Tensor): Tensor => mul(g, sub(1, mul(y, y))),
  /** silu' = σ(x)(1 + x(1 − σ(x))) */
  silu: (g: Tensor, x: Tensor): Tensor => {
    const s = sigmoid(x);
    return mul(g, mul(s, add(mul(x, sub(1, s)), 1)));
  },
  /** gelu' = Φ(x) + x·φ(x) */
  gelu: (g: Tensor, x: Tensor): Tensor => {
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return mul(g, add(cdf, mul(x, pdf)));
  },
  /** d/dx 0.5x(1 + t), t = tanh(k(x + 0.044715x³)): 0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3·0.044715x²) */
  geluTanh: (g: Tensor, x: Tensor): Tensor => {
    const k = Math.sqrt(2 / Math.PI);
    const x2 = mul(x, x);
    const t = tanh(mul(add(x, mul(mul(x2, x), 0.044715)), k));
    const left = mul(add(t, 1), 0.5);
    const right = mul(mul(mul(x, sub(1, mul(t, t))), add(mul(x2, 3 * 0.044715), 1)), 0.5 * k);
    return mul(g, add(left, right));
  },
};
