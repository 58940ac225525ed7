/**
 * Reductions. sum's backward broadcasts the gradient back ("copy sums" in reverse); max routes it to
 * the arg-max; full-tensor max/amax split it evenly among ties (PyTorch's documented subgradient).
 */
import { autocastF32 } from '../amp/autocast.js';
import type { ReduceOp } from '../backends/backend.js';
import { floatOf, isFloat, type DType } from '../dtype.js';
import { record } from '../autograd/record.js';
import { fmt, normDim, normDims, numel, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkTensor } from './util.js';
import { add, cast, div, eq, exp, log, mul, sqrt, sub, where } from './elementwise.js';
import { cat, expand, permute, reshape, slice, squeeze, unsqueeze } from './movement.js';
import { gather, scatterAdd } from './indexing.js';
import { provide } from './registry.js';

export interface ReduceOptions {
  dim?: number | number[];
  keepdim?: boolean;
}

/** Shape with reduced dims kept as size 1. */
function keptShape(shape: Shape, dims: readonly number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

function reduceRaw(op: ReduceOp, x: Tensor, dims: readonly number[], keepdim: boolean, dtype: DType): Tensor {
  const b = x.backend;
  const data = b.reduce(op, x.backendView(), dims, dtype);
  const outShape = keepdim ? keptShape(x.shape, dims) : x.shape.filter((_, i) => !dims.includes(i));
  return Tensor.fromData(b, data, outShape, dtype);
}

/** Broadcast a reduced gradient back to the input shape (a stride-0 view, no copy). */
function expandBack(g: Tensor, inShape: Shape, dims: readonly number[], keepdim: boolean): Tensor {
  const k = keepdim ? g : reshape(g, keptShape(inShape, dims));
  return expand(k, inShape);
}

/** Σ over dims; d = g broadcast back. Integer and bool inputs sum in int32. */
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkTensor('sum', 'input', x);
  const dims = normDims('sum', dim, x.ndim);
  const dt = x.dtype === 'bool' ? 'int32' : x.dtype;
  const y = reduceRaw('sum', x, dims, keepdim, dt);
  record('sum', [x], [y], [], ([g]) => [expandBack(g!, x.shape, dims, keepdim)], ([dx]) => [sum(dx!, dims, keepdim)]);
  return y;
}

/** mean = sum / n */
export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkTensor('mean', 'input', x);
  const dims = normDims('mean', dim, x.ndim);
  const n = numel(dims.map((d) => x.shape[d]!));
  const xf = isFloat(x.dtype) ? x : cast(x, 'float32');
  return div(sum(xf, dims, keepdim), n);
}

/** Sum g down to `shape` (the inverse of broadcasting): the bias gradient is the batch sum. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`sumToShape: cannot reduce ${fmt(g.shape)} to the larger shape ${fmt(shape)}`);
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) dims.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) dims.push(i);
  }
  const s = dims.length ? sum(g, dims, true) : g;
  return reshape(s, shape);
}

/** amax/amin over dims: the gradient is shared evenly among the elements equal to the extreme. */
function extremeAll(name: 'amax' | 'amin', op: 'max' | 'min', x: Tensor, dim: number | number[] | undefined, keepdim: boolean): Tensor {
  checkTensor(name, 'input', x);
  const dims = normDims(name, dim, x.ndim);
  if (dims.some((d) => x.shape[d] === 0)) throw new Error(`${name}: cannot reduce over a zero-size dimension of shape ${fmt(x.shape)}`);
  const y = reduceRaw(op, x, dims, keepdim, x.dtype);
  record(name, [x], [y], [x, y], ([g], [xs, ys]) => {
    const yk = expandBack(ys!, x.shape, dims, keepdim);
    const mask = cast(eq(xs!, yk), g!.dtype);
    const count = expand(sum(mask, dims, true), x.shape);
    return [div(mul(expandBack(g!, x.shape, dims, keepdim), mask), count)];
  }, ([dx]) => {
    // ẏ = the mean of ẋ over the elements that attain the extreme (the same tie rule as the gradient)
    const mask = cast(eq(x, expandBack(y, x.shape, dims, keepdim)), dx!.dtype);
    return [div(sum(mul(dx!, mask), dims, keepdim), sum(mask, dims, keepdim))];
  });
  return y;
}

export const amax = (x: Tensor, dim?: number | number[], keepdim = false) => extremeAll('amax', 'max', x, dim, keepdim);
export const amin = (x: Tensor, dim?: number | number[], keepdim = false) => extremeAll('amin', 'min', x, dim, keepdim);

export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

function extremeDim(name: 'max' | 'min', x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  const d = normDim(name, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${name}: cannot reduce over dimension ${dim} of size 0 (shape ${fmt(x.shape)})`);
  const b = x.backend;
  const idxData = b.argReduce(name === 'max' ? 'argmax' : 'argmin', x.backendView(), d);
  const kept = x.ndim === 0 ? [] : keptShape(x.shape, [d]);
  const idxKeep = Tensor.fromData(b, idxData, kept, 'int32');
  const values = gatherNoGrad(x, d, idxKeep);
  // d = g scattered to the arg-max along dim ("max routes")
  const valuesK = values;
  record(name, [x], [valuesK], [idxKeep], ([g], [idx]) => [scatterAdd(x.shape, d, idx!, g!)], ([dx]) => [gather(dx!, d, idxKeep)]);
  if (keepdim || x.ndim === 0) return { values: valuesK, indices: idxKeep };
  return { values: squeeze(valuesK, d), indices: squeeze(idxKeep, d) };
}

function gatherNoGrad(x: Tensor, dim: number, index: Tensor): Tensor {
  const b = x.backend;
  return Tensor.fromData(b, b.gather(x.backendView(), dim, index.backendView()), index.shape, x.dtype);
}

/** max(x): the largest element (ties share the gradient); max(x, dim): {values, indices} along dim. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  checkTensor('max', 'input', x);
  return dim === undefined ? amax(x) : extremeDim('max', x, dim, keepdim);
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  checkTensor('min', 'input', x);
  return dim === undefined ? amin(x) : extremeDim('min', x, dim, keepdim);
}

function argExtreme(name: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  checkTensor(name, 'input', x);
  if (dim === undefined) {
    const flat = reshape(x, [x.numel()]);
    const r = argExtreme(name, flat, 0, false);
    return keepdim ? reshape(r, x.shape.map(() => 1)) : r;
  }
  const d = normDim(name, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${name}: cannot reduce over dimension ${dim} of size 0`);
  const b = x.backend;
  const y = Tensor.fromData(b, b.argReduce(name, x.backendView(), d), x.shape.filter((_, i) => i !== d), 'int32');
  return keepdim && x.ndim > 0 ? unsqueeze(y, d) : y;
}
export const argmax = (x: Tensor, dim?: number, keepdim = false) => argExtreme('argmax', x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false) => argExtreme('argmin', x, dim, keepdim);

/**
 * prod over dims. d/dx_i = Π_{j≠i} x_j: the product of the factors before i times the product of those after
 * it, both computed by a doubling scan in nabla ops (log₂ n rounds of shifted products). No division, so zeros
 * are exact; no host reads; and the rule is a polynomial in x, so it differentiates again (as PyTorch's
 * cumprod-based rule). ẏ = Σ_i ẋ_i · Π_{j≠i} x_j.
 */
export function prod(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  checkTensor('prod', 'input', x);
  const dims = normDims('prod', dim, x.ndim);
  const y = reduceRaw('prod', x, dims, keepdim, x.dtype === 'bool' ? 'int32' : x.dtype);
  record('prod', [x], [y], [x], ([g], [xs]) => [mul(expandBack(g!, x.shape, dims, keepdim), prodOthers(xs!, dims))],
    ([dx]) => [sum(mul(dx!, prodOthers(x, dims)), dims, keepdim)]);
  return y;
}

/** Π of all other elements of each reduction group, shaped like x (see prod). */
function prodOthers(x: Tensor, dims: number[]): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const order = [...kept, ...dims];
  const n = numel(dims.map((d) => x.shape[d]!));
  const m = numel(kept.map((d) => x.shape[d]!));
  if (n <= 1) return add(mul(x, 0), n === 0 ? 0 : 1); // a group of one: the empty product 1
  const rows = reshape(permute(x, order), [m, n]); // one reduction group per row
  const ones = (k: number) => expand(Tensor.fromValues([1], [1, 1], x.dtype, x.backend), [m, k]);
  // exclusive prefix products: before[i] = Π_{j<i} x_j; exclusive suffix products: after[i] = Π_{j>i} x_j
  let before = cat([ones(1), slice(rows, 1, 0, n - 1)], 1);
  let after = cat([slice(rows, 1, 1, n), ones(1)], 1);
  for (let k = 1; k < n; k *= 2) {
    before = mul(before, cat([ones(k), slice(before, 1, 0, n - k)], 1));
    after = mul(after, cat([slice(after, 1, k, n), ones(k)], 1));
  }
  const others = reshape(mul(before, after), order.map((d) => x.shape[d]!));
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => (inverse[d] = i));
  return permute(others, inverse);
}

/** var with Bessel-style `correction` (1 = unbiased, PyTorch's default): Σ(x−μ)² / (N − correction). */
export function variance(x: Tensor, dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  checkTensor('var', 'input', x);
  const dims = normDims('var', dim, x.ndim);
  const n = numel(dims.map((d) => x.shape[d]!));
  const correction = opts.correction ?? 1;
  const xf = isFloat(x.dtype) ? x : cast(x, 'float32');
  const mu = mean(xf, dims, true);
  const dev = sub(xf, mu);
  return div(sum(mul(dev, dev), dims, opts.keepdim ?? false), Math.max(0, n - correction));
}

export function std(x: Tensor, dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  return sqrt(variance(x, dim, opts));
}

/**
 * logsumexp = m + log Σ exp(x − m) with m the (detached) max: no overflow at ±1e4, and a row of all
 * −Inf gives −Inf rather than NaN. Its gradient is softmax(x).
 */
export function logsumexp(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  [x] = autocastF32(x); // autocast dispatch (src/amp/autocast.ts)
  checkTensor('logsumexp', 'input', x);
  const dims = normDims('logsumexp', dim, x.ndim);
  const xf = isFloat(x.dtype) ? x : cast(x, 'float32');
  const mRaw = reduceRaw('max', xf, dims, true, floatOf(xf.dtype));
  // an all −Inf (or +Inf) group must not shift by ∓Inf: that would give NaN
  const m = where(eq(mRaw, Infinity), 0, where(eq(mRaw, -Infinity), 0, mRaw));
  const s = add(log(sum(exp(sub(xf, m)), dims, true)), m);
  return keepdim ? s : reshape(s, x.shape.filter((_, i) => !dims.includes(i)));
}

provide({ sum, mean, sumToShape, amax, amin, max, min, argmax, argmin, prod, variance, std, logsumexp });
