/**
 * GELU for the GPT's MLP with a fast float32 backward (internal).
 *
 *   y = x·Φ(x);   dy/dx = Φ(x) + x·φ(x),   Φ(x) = erfc(−x/√2)/2,   φ(x) = e^{−x²/2}/√(2π)
 *
 * The forward is the backend's gelu (the same numbers as nb.gelu). The backward of nb.gelu builds Φ from the
 * erf op, which the wasm backend runs through the float64-accurate reference series (~1 µs per element: a third
 * of a small GPT's training step). Here, for float32 without createGraph, one loop computes dy/dx with
 * erfc from Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7 for every z, so Φ keeps full float32
 * relative accuracy in both tails):
 *   t = 1/(1 + |z|/2);  erfc(|z|) = t·exp(−z² − 1.26551223 + t·(1.00002368 + … + t·0.17087277));  erfc(−z) = 2 − erfc(z)
 * float64 and createGraph take nb.gelu's own backward (exact, differentiable again).
 */
import { isGradEnabled, noGrad } from '../autograd/gradMode.js';
import { record } from '../autograd/record.js';
import { Tensor } from '../tensor.js';
import { gelu, mul } from '../ops/elementwise.js';

function erfc(z: number): number {
  const a = Math.abs(z);
  const t = 1 / (1 + 0.5 * a);
  const r = t * Math.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? r : 2 - r;
}

const INV_SQRT2 = Math.SQRT1_2, INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** dy/dx of GELU at each x (float32), in one pass */
export function geluGrad(x: ArrayLike<number>): Float32Array {
  const n = x.length, d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    d[i] = 0.5 * erfc(-v * INV_SQRT2) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
  }
  return d;
}

export function geluFast(x: Tensor): Tensor {
  if (x.dtype !== 'float32' || !x.requiresGrad) return gelu(x);
  const y = noGrad(() => gelu(x));
  record('gelu', [x], [y], [x], ([g], [saved]) => {
    if (isGradEnabled()) {
      // the exact formula in ops, so the gradient differentiates again
      return [mul(g!, geluDerivativeOps(saved!))];
    }
    const xc = saved!.isContiguous() ? saved! : saved!.contiguous();
    const d = Tensor.fromValues(geluGrad(xc.data()), xc.shape, 'float32', xc.backend);
    return [mul(g!, d)];
  });
  return y;
}

/** Φ(x) + x·φ(x) in ops (differentiable): the derivative nb.gelu's backward uses */
function geluDerivativeOps(x: Tensor): Tensor {
  const cdf = x.mul(INV_SQRT2).erf().add(1).mul(0.5);
  const pdf = x.mul(x).mul(-0.5).exp().mul(INV_SQRT_2PI);
  return cdf.add(x.mul(pdf));
}
