/**
 * softmax / logSoftmax (max-shifted backend kernel) and SwiGLU.
 * Backward in ops, reading the saved output y so it differentiates again:
 *   softmax:    dx = y ⊙ (g − Σ g⊙y)
 *   logSoftmax: dx = g − exp(y) ⊙ Σ g
 */
import { autocastF32 } from '../../amp/autocast.js';
import { record } from '../../autograd/record.js';
import { fmt, normDim } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { exp, mul, silu, sub } from '../elementwise.js';
import { sum } from '../reduce.js';
import { chunk } from '../movement.js';
import { floatInput } from './_util.js';

function softmaxRaw(x: Tensor, axis: number, log: boolean): Tensor {
  const b = x.backend;
  // a 0-d tensor is a one-element row. The kernels give a row of all −Inf −Inf log-probs (and NaN
  // probabilities, as PyTorch's softmax)
  const v = x.backendView();
  const view = x.ndim === 0 ? { ...v, shape: [1], strides: [1] } : v;
  return Tensor.fromData(b, b.softmax(view, x.ndim === 0 ? 0 : axis, log), x.shape, x.dtype);
}

/** softmax along dim: exp(x − max) / Σ exp(x − max). Integer inputs compute in float32. */
export function softmax(x: Tensor, dim: number): Tensor {
  [x] = autocastF32(x); // autocast dispatch (src/amp/autocast.ts)
  const xf = floatInput('softmax', 'input', x);
  if (dim === undefined || dim === null) throw new Error(`softmax: dim must be given (input ${fmt(xf.shape)})`);
  const d = normDim('softmax', dim, xf.ndim);
  const y = softmaxRaw(xf, d, false);
  // the Jacobian diag(y) − y·yᵀ is symmetric: the tangent has the gradient's formula, ẏ = y ⊙ (ẋ − Σ ẋ⊙y)
  record('softmax', [xf], [y], [y], ([g], [ys]) => [softmaxBackward(g!, ys!, d)], ([dx]) => [softmaxBackward(dx!, y, d)]);
  return y;
}

/** dx = y ⊙ (g − Σ g⊙y) */
export function softmaxBackward(g: Tensor, y: Tensor, dim: number): Tensor {
  if (y.ndim === 0) return mul(g, 0);
  return mul(y, sub(g, sum(mul(g, y), dim, true)));
}

/** logSoftmax along dim: x − max − log Σ exp(x − max); a row of all −Inf gives −Inf, not NaN. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  [x] = autocastF32(x); // autocast dispatch (src/amp/autocast.ts)
  const xf = floatInput('logSoftmax', 'input', x);
  if (dim === undefined || dim === null) throw new Error(`logSoftmax: dim must be given (input ${fmt(xf.shape)})`);
  const d = normDim('logSoftmax', dim, xf.ndim);
  const y = softmaxRaw(xf, d, true);
  // ẏ = ẋ − Σ softmax(x)⊙ẋ (softmax(x) = exp(y))
  record('logSoftmax', [xf], [y], [y], ([g], [ys]) => [logSoftmaxBackward(g!, ys!, d)], ([dx]) => [y.ndim === 0 ? mul(dx!, 0) : sub(dx!, sum(mul(exp(y), dx!), d, true))]);
  return y;
}

/** dx = g − exp(y) ⊙ Σ g */
export function logSoftmaxBackward(g: Tensor, y: Tensor, dim: number): Tensor {
  if (y.ndim === 0) return mul(g, 0);
  return sub(g, mul(exp(y), sum(g, dim, true)));
}

/** SwiGLU activation: split x in half along dim into (a, b) and return silu(a) ⊙ b. */
export function swiglu(x: Tensor, dim = -1): Tensor {
  const xf = floatInput('swiglu', 'input', x);
  if (xf.ndim === 0) throw new Error('swiglu: input must have at least 1 dimension, got a 0-d tensor');
  const d = normDim('swiglu', dim, xf.ndim);
  const n = xf.shape[d]!;
  if (n % 2 !== 0) throw new Error(`swiglu: dimension ${dim} of input ${fmt(xf.shape)} has odd size ${n}: expected an even size to split in half`);
  const [a, b] = chunk(xf, 2, d) as [Tensor, Tensor];
  return mul(silu(a), b);
}
