/**
 * GELU for the GPT's MLP with a fused float32 backward (internal).
 *
 *   y = x·Φ(x);   dy/dx = Φ(x) + x·φ(x),   Φ(x) = erfc(−x/√2)/2,   φ(x) = e^{−x²/2}/√(2π)
 *
 * The forward is the backend's gelu (the same numbers as nb.gelu). The backward of nb.gelu builds Φ from the erf
 * op and composes six element-wise passes; here, for float32 without createGraph, the backend's geluBackward
 * kernel computes dx = g·(Φ(x) + x·φ(x)) in one pass (the wasm backend: SIMD, split across the pool; see
 * src/backends/wasm/kernels/gelu.ts). Backends without the kernel, float64 and createGraph take nb.gelu's own
 * backward (exact, differentiable again).
 */
import { isGradEnabled, noGrad } from '../autograd/gradMode.js';
import { record } from '../autograd/record.js';
import { Tensor } from '../tensor.js';
import { gelu, mul } from '../ops/elementwise.js';

const INV_SQRT2 = Math.SQRT1_2, INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function geluFast(x: Tensor): Tensor {
  if (x.dtype !== 'float32' || !x.requiresGrad || !x.backend.geluBackward) return gelu(x);
  const y = noGrad(() => gelu(x));
  record('gelu', [x], [y], [x], ([g], [saved]) => {
    const be = saved!.backend;
    if (isGradEnabled() || g!.dtype !== 'float32' || g!.backend !== be || !be.geluBackward) {
      // the exact formula in ops, so the gradient differentiates again
      return [mul(g!, geluDerivativeOps(saved!))];
    }
    const gb = g!.shape.length === saved!.shape.length && g!.shape.every((s, i) => s === saved!.shape[i]) ? g! : g!.expand(saved!.shape);
    return [Tensor.fromData(be, be.geluBackward(saved!.backendView(), gb.backendView()), saved!.shape, 'float32')];
  });
  return y;
}

/** Φ(x) + x·φ(x) in ops (differentiable): the derivative nb.gelu's backward uses */
function geluDerivativeOps(x: Tensor): Tensor {
  const cdf = x.mul(INV_SQRT2).erf().add(1).mul(0.5);
  const pdf = x.mul(x).mul(-0.5).exp().mul(INV_SQRT_2PI);
  return cdf.add(x.mul(pdf));
}
