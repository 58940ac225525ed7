/**
 * nb.nn.functional: torch.nn.functional with camelCase names and PyTorch's call forms. The options-object
 * forms of the ops keep working; the positional forms PyTorch users write first are read the same way
 * (`F.gelu(x, 'tanh')` ≡ `F.gelu(x, {approximate: 'tanh'})`), and an argument that does not fit is an error,
 * never ignored.
 */
import type { Tensor } from '../tensor.js';
import * as E from '../ops/elementwise.js';
import * as IP from '../ops/inplace.js';
import { linear as linearOp } from '../ops/matmul.js';
import { sum } from '../ops/reduce.js';
import { Tensor as TensorClass } from '../tensor.js';
import type { Generator } from '../random.js';
import { describeValue, mergeArgs } from '../strict.js';

export * from '../ops/nn/index.js';
export { relu, sigmoid, tanh, silu, softplus } from '../ops/elementwise.js';


function tensorArg(op: string, name: string, v: unknown): asserts v is Tensor {
  if (!(v instanceof TensorClass)) throw new TypeError(`${op}: ${name} must be a tensor, got ${describeValue(v)}`);
}

/** gelu(x), gelu(x, 'tanh'), gelu(x, {approximate: 'tanh'}) */
export function gelu(x: Tensor, ...rest: [approximate?: 'none' | 'tanh'] | [opts: { approximate?: 'none' | 'tanh' }]): Tensor {
  const o = mergeArgs('gelu', rest, ['approximate']);
  if (o.approximate !== undefined && o.approximate !== 'none' && o.approximate !== 'tanh') throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got ${describeValue(o.approximate)}`);
  return E.gelu(x, o as { approximate?: 'none' | 'tanh' });
}

function inplaceArg(op: string, v: unknown): boolean {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${op}: inplace must be true or false, got ${describeValue(v)}`);
  return v === true;
}

/** leakyRelu(x, negativeSlope = 0.01, inplace = false); inplace writes the result into x and returns x */
export function leakyRelu(x: Tensor, ...rest: [negativeSlope?: number, inplace?: boolean] | [opts: { negativeSlope?: number; inplace?: boolean }]): Tensor {
  const o = mergeArgs('leakyRelu', rest, ['negativeSlope', 'inplace']);
  if (o.negativeSlope !== undefined && typeof o.negativeSlope !== 'number') throw new TypeError(`leakyRelu: negativeSlope must be a number, got ${describeValue(o.negativeSlope)}`);
  if (inplaceArg('leakyRelu', o.inplace)) return IP.leakyRelu_(x, o.negativeSlope as number | undefined);
  return E.leakyRelu(x, o.negativeSlope as number | undefined);
}

/** relu6(x, inplace = false) = min(max(x, 0), 6); inplace writes the result into x and returns x */
export function relu6(x: Tensor, ...rest: [inplace?: boolean] | [opts: { inplace?: boolean }]): Tensor {
  const o = mergeArgs('relu6', rest, ['inplace']);
  return inplaceArg('relu6', o.inplace) ? IP.clamp_(x, 0, 6) : E.clamp(x, 0, 6);
}

// conv1d, conv2d, maxPool2d and avgPool2d take PyTorch's positional and keyword forms themselves (their records'
// schemas, src/ops/nn/conv.ts): conv2d(x, w, b, 1, 1) ≡ conv2d(x, w, b, {stride: 1, padding: 1})

/** linear(x, weight, bias?) = x·Wᵀ + b */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  mergeArgs('linear', [...arguments].slice(2), ['bias']);
  return linearOp(x, weight, bias ?? null);
}

/**
 * oneHot(indices, numClasses = −1): int32 [..., numClasses] with a 1 at each index (numClasses −1: max + 1).
 * Not differentiable (integer output), as torch.nn.functional.one_hot.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  mergeArgs('oneHot', [...arguments].slice(1), ['numClasses']);
  tensorArg('oneHot', 'indices', indices);
  if (indices.dtype !== 'int32') throw new TypeError(`oneHot: indices must be an int32 tensor, got ${indices.dtype}`);
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new TypeError(`oneHot: numClasses must be -1 or a non-negative integer, got ${describeValue(numClasses)}`);
  const idx = indices.data();
  let n = numClasses;
  if (n === -1) n = idx.length ? Math.max(...idx) + 1 : 0;
  const out = new Int32Array(idx.length * n);
  idx.forEach((v, i) => {
    if (v < 0 || v >= n) throw new RangeError(`oneHot: class values must be in [0, ${n}), got ${v}`);
    out[i * n + v] = 1;
  });
  return TensorClass.fromValues(out, [...indices.shape, n], 'int32', indices.backend);
}

/** normalize(x, p = 2, dim = 1, eps = 1e-12) = x / max(‖x‖_p over dim, eps) */
export function normalize(x: Tensor, ...rest: [p?: number, dim?: number, eps?: number] | [opts: { p?: number; dim?: number; eps?: number }]): Tensor {
  const { p = 2, dim = 1, eps = 1e-12 } = mergeArgs('normalize', rest, ['p', 'dim', 'eps']) as { p?: number; dim?: number; eps?: number };
  const norm = E.pow(sum(E.pow(E.abs(x), p), dim, true), 1 / p);
  return E.div(x, E.clamp(norm, eps, null));
}
