/**
 * The derivatives of the smooth activations as functions (factor, s) ↦ factor · f'(x), where s is the tensor
 * the rule reads (the output y for sigmoid and tanh, the input x for the others): the vjp (factor = g) and the
 * jvp (factor = ẋ) of the activation records, and the backward of linear's fused bias + activation. Written in
 * ops (so they differentiate again), called through the registry: the element-wise file imports this one.
 */
import type { Tensor } from '../tensor.js';
import { ops } from './registry.js';

export const activationSlope = {
  /** σ' = y(1 − y) */
  sigmoid: (g: Tensor, y: Tensor): Tensor => ops.mul(g, ops.mul(y, ops.sub(1, y))),
  /** tanh' = 1 − y² */
  tanh: (g: Tensor, y: Tensor): Tensor => ops.mul(g, ops.sub(1, ops.mul(y, y))),
  /** silu' = σ(x)(1 + x(1 − σ(x))) */
  silu: (g: Tensor, x: Tensor): Tensor => {
    const s = ops.sigmoid(x);
    return ops.mul(g, ops.mul(s, ops.add(ops.mul(x, ops.sub(1, s)), 1)));
  },
  /** gelu' = Φ(x) + x·φ(x), Φ(x) = (1 + erf(x/√2))/2, φ(x) = e^(−x²/2)/√(2π) */
  gelu: (g: Tensor, x: Tensor): Tensor => {
    const cdf = ops.mul(ops.add(ops.erf(ops.mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = ops.mul(ops.exp(ops.mul(ops.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return ops.mul(g, ops.add(cdf, ops.mul(x, pdf)));
  },
  /** d/dx 0.5x(1 + t), t = tanh(k(x + 0.044715x³)), k = √(2/π): 0.5(1 + t) + 0.5x(1 − t²)·k(1 + 3·0.044715x²) */
  geluTanh: (g: Tensor, x: Tensor): Tensor => {
    const k = Math.sqrt(2 / Math.PI);
    const x2 = ops.mul(x, x);
    const t = ops.tanh(ops.mul(ops.add(x, ops.mul(ops.mul(x2, x), 0.044715)), k));
    const left = ops.mul(ops.add(t, 1), 0.5);
    const right = ops.mul(ops.mul(ops.mul(x, ops.sub(1, ops.mul(t, t))), ops.add(ops.mul(x2, 3 * 0.044715), 1)), 0.5 * k);
    return ops.mul(g, ops.add(left, right));
  },
};
