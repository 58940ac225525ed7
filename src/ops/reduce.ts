/**
 * Reductions, one record each (see define.ts). sum's backward broadcasts the gradient back ("copy sums" in
 * reverse); max over a dim routes it to the arg-max; full-tensor max/amax split it evenly among ties
 * (PyTorch's documented subgradient).
 *
 * PyTorch's call forms come from the records' schemas (`kwargs`): x.sum(1, true) ≡ x.sum(1, {keepdim: true})
 * ≡ x.sum({dim: 1, keepdim: true}); x.std(1, false) (unbiased = false) ≡ x.std(1, {correction: 0}); x.max(1)
 * → {values, indices}, also destructurable as [values, indices]; x.max(y) = maximum(x, y).
 */
import { autocastF32 } from '../amp/autocast.js';
import type { ReduceOp } from '../backends/backend.js';
import { floatOf, isFloat, type DType } from '../dtype.js';
import { fmt, normDim, normDims, numel, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkTensor, rank1 } from './util.js';
import { add, cast, div, eq, exp, log, maximum, minimum, mul, sqrt, sub, where } from './elementwise.js';
import { cat, expand, permute, reshape, slice, squeeze, unsqueeze } from './movement.js';
import { gather, scatterAdd } from './indexing.js';
import { attachMethod, defineOp, type AssertDeclared, type Method, type MethodNames } from './define.js';
import { bool, dims, int, optBool, optDim, optNum, tensor } from './args.js';
import { describeValue } from '../strict.js';
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

type Dims = number | readonly number[] | null | undefined;
/** PyTorch's keyword forms of a reduction, added to its positional type: f(x, {dim, keepdim}), f(x, dim, {keepdim}) */
type WithKw<F, K> = F & ((input: Tensor, opts: K) => Tensor) & ((input: Tensor, dim: Dims, opts: K) => Tensor);

/** (input, dim?, keepdim = false), also by name */
const reduceArgs = [tensor('input'), dims('dim'), bool('keepdim', false)] as const;
const rank = (s: Shape) => s.length;
/** a case calling an op in a keyword form its positional type does not list */
const kw = (f: unknown) => f as (...a: unknown[]) => Tensor;

/** Σ over dims; dx = g broadcast back; ẏ = Σ ẋ. Integer and bool inputs sum in int32. */
const sumOp = defineOp({
  name: 'sum', method: 'sum', args: reduceArgs, kwargs: true,
  forward: ({ input, dim, keepdim }) => reduceRaw('sum', input, normDims('sum', dim, input.ndim), keepdim, input.dtype === 'bool' ? 'int32' : input.dtype),
  vjp: (g, { dim, keepdim, shapes }) => ({ input: expandBack(g, shapes.input, normDims('sum', dim, rank(shapes.input)), keepdim) }),
  jvp: 'linear',
  cases: [
    { shapes: [[3, 4]], expect: (R, x) => R.reduce(R.sum)(x), torch: 'x[0].sum()' },
    { label: 'dim 1', shapes: [[3, 4]], call: (f, x) => f(x, 1), expect: (R, x) => R.reduce(R.sum, [1])(x), torch: 'x[0].sum(1)' },
    { label: 'dims [0,2] keepdim', shapes: [[2, 3, 4]], call: (f, x) => f(x, [0, 2], true), expect: (R, x) => R.reduce(R.sum, [0, 2], true)(x), torch: 'x[0].sum((0, 2), keepdim=True)' },
    { label: 'over an empty dim (0)', shapes: [[0, 3]], call: (f, x) => f(x, 0), expect: (R, x) => R.reduce(R.sum, [0])(x), torch: 'x[0].sum(0)' },
    { label: 'dim -1 keepdim (by name)', shapes: [[2, 3, 4]], call: (f, x) => kw(f)(x, { dim: -1, keepdim: true }), expect: (R, x) => R.reduce(R.sum, [-1], true)(x), torch: 'x[0].sum(dim=-1, keepdim=True)' },
  ],
});
export const sum: WithKw<typeof sumOp, ReduceKw> = sumOp as never;

/** mean = sum / n (integer inputs average in float32) */
const meanOp = defineOp({
  name: 'mean', method: 'mean', args: reduceArgs, kwargs: true, composite: true,
  forward: ({ input, dim, keepdim }) => {
    const dl = normDims('mean', dim, input.ndim);
    const n = numel(dl.map((d) => input.shape[d]!));
    const xf = isFloat(input.dtype) ? input : cast(input, 'float32');
    return div(sum(xf, dl, keepdim), n);
  },
  cases: [
    { shapes: [[3, 4]], expect: (R, x) => R.reduce(R.mean)(x), torch: 'x[0].mean()' },
    { label: 'dim 0', shapes: [[3, 4]], call: (f, x) => f(x, 0), expect: (R, x) => R.reduce(R.mean, [0])(x), torch: 'x[0].mean(0)' },
    { label: 'dims [1,2] keepdim', shapes: [[2, 3, 4]], call: (f, x) => kw(f)(x, { dim: [1, 2], keepdim: true }), expect: (R, x) => R.reduce(R.mean, [1, 2], true)(x), torch: 'x[0].mean((1, 2), keepdim=True)' },
  ],
});
export const mean: WithKw<typeof meanOp, ReduceKw> = meanOp as never;


/**
 * amax/amin over dims: the gradient is shared evenly among the elements equal to the extreme,
 * dx = g · [x = y] / #{x = y}; ẏ = the mean of ẋ over those elements (the same tie rule).
 */
const extremeAll = <const N extends 'amax' | 'amin'>(name: N, op: 'max' | 'min') => defineOp({
  name, method: name, args: reduceArgs, kwargs: true,
  forward: ({ input, dim, keepdim }) => {
    const dl = normDims(name, dim, input.ndim);
    if (dl.some((d) => input.shape[d] === 0)) throw new Error(`${name}: cannot reduce over a zero-size dimension of shape ${fmt(input.shape)}`);
    return reduceRaw(op, input, dl, keepdim, input.dtype);
  },
  saves: ['input', 'result'],
  vjp: (g, { input, result, dim, keepdim }) => {
    const dl = normDims(name, dim, input.ndim);
    const mask = cast(eq(input, expandBack(result, input.shape, dl, keepdim)), g.dtype);
    const count = expand(sum(mask, dl, true), input.shape);
    return { input: div(mul(expandBack(g, input.shape, dl, keepdim), mask), count) };
  },
  jvp: (t, { input, result, dim, keepdim }) => {
    const dl = normDims(name, dim, input.ndim);
    const mask = cast(eq(input, expandBack(result, input.shape, dl, keepdim)), t.input.dtype);
    return div(sum(mul(t.input, mask), dl, keepdim), sum(mask, dl, keepdim));
  },
  cases: op === 'max'
    ? [
      { label: 'dim 1', shapes: [[3, 4]], call: (f, x) => f(x, 1), expect: (R, x) => R.reduce(R.max, [1])(x), torch: 'x[0].amax(1)' },
      { label: 'dims [0,2] keepdim', shapes: [[2, 3, 4]], call: (f, x) => f(x, [0, 2], true), expect: (R, x) => R.reduce(R.max, [0, 2], true)(x), torch: 'x[0].amax((0, 2), keepdim=True)' },
      { label: '(all)', shapes: [[3, 4]], expect: (R, x) => R.reduce(R.max)(x), torch: 'x[0].amax()' },
      // ties share the gradient evenly (PyTorch's subgradient); the weights 1, 2, … tell the outputs apart
      { label: '(all) three-way tie', shapes: [[3, 2]], values: [[1, 3, 3, 2, 3, 0]], expect: (R, x) => R.reduce(R.max)(x), gradWant: [[0, 1 / 3, 1 / 3, 0, 1 / 3, 0]], torch: 'x[0].amax()' },
      { label: 'dim 0 with a tie', shapes: [[3, 2]], call: (f, x) => f(x, 0), values: [[1, 3, 3, 2, 3, 0]], expect: (R, x) => R.reduce(R.max, [0])(x), gradWant: [[0, 2, 0.5, 0, 0.5, 0]], torch: 'x[0].amax(0)' },
    ]
    : [
      { label: '(all)', shapes: [[3, 4]], expect: (R, x) => R.reduce(R.min)(x), torch: 'x[0].amin()' },
      { label: 'dim 0', shapes: [[3, 4]], call: (f, x) => f(x, 0), expect: (R, x) => R.reduce(R.min, [0])(x), torch: 'x[0].amin(0)' },
      { label: '(all) two-way tie', shapes: [[2, 2]], values: [[2, -1, -1, 5]], expect: (R, x) => R.reduce(R.min)(x), gradWant: [[0, 0.5, 0.5, 0]], torch: 'x[0].amin()' },
      { label: 'dim 1 with ties', shapes: [[2, 3]], call: (f, x) => f(x, 1), values: [[1, 1, 4, 0, 2, 0]], expect: (R, x) => R.reduce(R.min, [1])(x), gradWant: [[0.5, 0.5, 0, 1, 0, 1]], torch: 'x[0].amin(1)' },
      { label: 'dims [0,1] keepdim three-way tie', shapes: [[2, 2]], call: (f, x) => f(x, [0, 1], true), values: [[1, 5, 1, 1]], expect: (R, x) => R.reduce(R.min, [0, 1], true)(x), gradWant: [[1 / 3, 0, 1 / 3, 1 / 3]], torch: 'x[0].amin((0, 1), keepdim=True)' },
    ],
});
export const amax = extremeAll('amax', 'max');
export const amin = extremeAll('amin', 'min');

export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}
/** {values, indices} that also destructures as [values, indices] (PyTorch's namedtuple). */
export type ValuesIndicesPair = ValuesIndices & Iterable<Tensor> & { 0: Tensor; 1: Tensor };

function gatherNoGrad(x: Tensor, dim: number, index: Tensor): Tensor {
  const b = x.backend;
  return Tensor.fromData(b, b.gather(rank1(x.backendView()), dim, rank1(index.backendView())), index.shape, x.dtype);
}

/**
 * max/min over one dim → {values, indices} (the first index of a tie). dx = g scattered to the arg-max along
 * dim ("max routes"); ẏ = ẋ gathered at the arg-max.
 */
const extremeDim = <const N extends 'max' | 'min'>(name: N) => defineOp({
  name, args: [tensor('input'), int('dim'), bool('keepdim', false)], kwargs: true, outputs: ['values', 'indices'],
  forward: ({ input: x, dim, keepdim }): Tensor[] => {
    const d = normDim(name, dim, x.ndim);
    if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${name}: cannot reduce over dimension ${dim} of size 0 (shape ${fmt(x.shape)})`);
    const b = x.backend;
    const kept = x.ndim === 0 ? [] : keptShape(x.shape, [d]);
    const idx = Tensor.fromData(b, b.argReduce(name === 'max' ? 'argmax' : 'argmin', x.backendView(), d), kept, 'int32');
    const values = gatherNoGrad(x, d, idx);
    if (keepdim || x.ndim === 0) return [values, idx];
    return [values._restride(values.shape.filter((_, i) => i !== d), values.strides.filter((_, i) => i !== d), values.offset), idx._restride(idx.shape.filter((_, i) => i !== d), idx.strides.filter((_, i) => i !== d), idx.offset)];
  },
  saves: ['indices'],
  vjp: ([g], c) => {
    const { dim, keepdim, shapes } = c;
    const indices = (c as unknown as { indices: Tensor }).indices;
    const n = rank(shapes.input);
    const d = normDim(name, dim, n);
    const k = (t: Tensor) => (keepdim || n === 0 ? t : unsqueeze(t, d));
    return { input: g ? scatterAdd(shapes.input, d, k(indices), k(g)) : null };
  },
  jvp: (t, { input, results, dim, keepdim }) => {
    const d = normDim(name, dim, input.ndim);
    const idx = keepdim || input.ndim === 0 ? results[1]! : unsqueeze(results[1]!, d);
    const r = gather(t.input, d, idx);
    return [keepdim || input.ndim === 0 ? r : squeeze(r, d), null];
  },
  cases: [
    { label: 'dim 1 values', shapes: [[3, 4]], call: (f, x) => f(x, 1)[0]!, expect: (R, x) => R.reduce(name === 'max' ? R.max : R.min, [1])(x), torch: `x[0].${name}(1).values` },
    {
      label: 'dim 0 keepdim values', shapes: [[2, 3, 4]], call: (f, x) => (f as unknown as (...a: unknown[]) => ValuesIndices)(x, { dim: 0, keepdim: true }).values,
      expect: (R, x) => R.reduce(name === 'max' ? R.max : R.min, [0], true)(x),
      torch: `x[0].${name}(0, keepdim=True).values`,
    },
    // a tie along the dim: the whole gradient goes to the returned (first) index
    {
      label: 'dim 1 with ties', shapes: [[2, 3]], call: (f, x) => f(x, 1)[0]!, values: [name === 'max' ? [3, 1, 3, 0, 5, 5] : [1, 3, 1, 5, 0, 0]],
      expect: (R, x) => R.reduce(name === 'max' ? R.max : R.min, [1])(x), gradWant: [[1, 0, 0, 0, 2, 0]],
      torch: `x[0].${name}(1).values`,
    },
  ],
});
const maxDim = extremeDim('max');
const minDim = extremeDim('min');

type ExtremeFn = {
  (x: Tensor): Tensor;
  (x: Tensor, other: Tensor): Tensor;
  (x: Tensor, dim: number, keepdim?: boolean | { keepdim?: boolean }): ValuesIndicesPair;
  (x: Tensor, opts: { dim: number; keepdim?: boolean }): ValuesIndicesPair;
};
/**
 * The three forms of max/min: max(x) the largest element (amax over all dims: ties share the gradient),
 * max(x, other) = maximum(x, other), max(x, dim, keepdim?) → {values, indices} (the max-over-dim record).
 */
const extreme = (name: 'max' | 'min', whole: (x: Tensor) => Tensor, pair: (x: Tensor, y: Tensor) => Tensor, byDim: unknown): ExtremeFn => {
  const f = (x: Tensor, ...args: unknown[]): unknown => {
    checkTensor(name, 'input', x);
    if (args[0] instanceof Tensor) {
      if (args.length > 1) throw new TypeError(`${name}: ${name}(x, other) takes no further arguments`);
      return pair(x, args[0]);
    }
    if (args.every((a) => a === undefined)) return whole(x);
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]) && (args[0] as { dim?: unknown }).dim === undefined) {
      if ((args[0] as { keepdim?: unknown }).keepdim !== undefined) throw new TypeError(`${name}: keepdim needs a dim`);
    }
    if (Array.isArray(args[0])) throw new TypeError(`${name}: dim must be one integer (use amax/amin for several dims), got ${describeValue(args[0])}`);
    return (byDim as (...a: unknown[]) => unknown)(x, ...args);
  };
  Object.defineProperty(f, 'name', { value: name });
  return f as ExtremeFn;
};
export const max = extreme('max', amax, maximum, maxDim);
export const min = extreme('min', amin, minimum, minDim);
attachMethod('max', max);
attachMethod('min', min);

/** argmax/argmin along dim, or of the flattened tensor without one (int32, no gradient) */
const argExtreme = <const N extends 'argmax' | 'argmin'>(name: N) => {
  const op = defineOp({
    name, method: name, args: [tensor('input'), optDim('dim'), bool('keepdim', false)], kwargs: true,
    forward: ({ input: x, dim, keepdim }): Tensor => {
      if (dim === undefined) {
        const r = op(reshape(x, [x.numel()]), 0, false);
        return keepdim ? reshape(r, x.shape.map(() => 1)) : r;
      }
      const d = normDim(name, dim, x.ndim);
      if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${name}: cannot reduce over dimension ${dim} of size 0`);
      const b = x.backend;
      const y = Tensor.fromData(b, b.argReduce(name, x.backendView(), d), x.shape.filter((_, i) => i !== d), 'int32');
      return keepdim && x.ndim > 0 ? unsqueeze(y, d) : y;
    },
    cases: [
      // the index picks the extreme: checked through the value it selects
      { label: 'dim 1 (selects the extreme)', shapes: [[3, 4]], differentiable: true, call: (f, x) => gather(x, 1, f(x, 1, true)), expect: (R, x) => R.reduce(name === 'argmax' ? R.max : R.min, [1], true)(x), torch: `x[0].gather(1, x[0].${name}(1, keepdim=True))` },
      { label: 'flattened keepdim (selects the extreme)', shapes: [[3, 4]], differentiable: true, call: (f, x) => gather(reshape(x, [12]), 0, reshape(f(x, undefined, true), [1])), expect: (R, x) => R.reshape([1])(R.reduce(name === 'argmax' ? R.max : R.min)(x)), torch: `x[0].reshape(12).gather(0, x[0].${name}().reshape(1))` },
    ],
  });
  return op;
};
export const argmax = argExtreme('argmax');
export const argmin = argExtreme('argmin');

/**
 * prod over dims. d/dx_i = Π_{j≠i} x_j: the product of the factors before i times the product of those after
 * it, both computed by a doubling scan in nabla ops (log₂ n rounds of shifted products). No division, so zeros
 * are exact; no host reads; and the rule is a polynomial in x, so it differentiates again (as PyTorch's
 * cumprod-based rule). ẏ = Σ_i ẋ_i · Π_{j≠i} x_j.
 */
const prodOp = defineOp({
  name: 'prod', method: 'prod', args: reduceArgs, kwargs: true,
  forward: ({ input, dim, keepdim }) => reduceRaw('prod', input, normDims('prod', dim, input.ndim), keepdim, input.dtype === 'bool' ? 'int32' : input.dtype),
  saves: ['input'],
  vjp: (g, { input, dim, keepdim }) => {
    const dl = normDims('prod', dim, input.ndim);
    return { input: mul(expandBack(g, input.shape, dl, keepdim), prodOthers(input, dl)) };
  },
  jvp: (t, { input, dim, keepdim }) => {
    const dl = normDims('prod', dim, input.ndim);
    return sum(mul(t.input, prodOthers(input, dl)), dl, keepdim);
  },
  cases: [
    { shapes: [[2, 3]], domain: 'nonzero', expect: (R, x) => R.reduce(R.prod)(x), torch: 'x[0].prod()' },
    { label: 'dim 1', shapes: [[3, 4]], domain: 'nonzero', call: (f, x) => f(x, 1), expect: (R, x) => R.reduce(R.prod, [1])(x), torch: 'x[0].prod(1)' },
    { label: 'dim 0 keepdim', shapes: [[3, 4]], domain: 'nonzero', call: (f, x) => f(x, 0, true), expect: (R, x) => R.reduce(R.prod, [0], true)(x), torch: 'x[0].prod(0, keepdim=True)' },
    // zero factors: one zero (its gradient is the product of the others), two zeros (all gradients 0 but theirs... 0 too)
    { label: 'dim 1 with zeros', shapes: [[3, 4]], call: (f, x) => f(x, 1), values: [[0, 1.5, -2, 0.7, 0, 0, 1.2, -0.8, 1.1, -0.9, 1.3, 0.6]], expect: (R, x) => R.reduce(R.prod, [1])(x), torch: 'x[0].prod(1)' },
    { label: 'over an empty dim (1)', shapes: [[0, 3]], call: (f, x) => f(x, 0), expect: (R, x) => R.reduce(R.prod, [0])(x), torch: 'x[0].prod(0)' },
  ],
});
export const prod: WithKw<typeof prodOp, ReduceKw> = prodOp as never;

/** Π of all other elements of each reduction group, shaped like x (see prod). */
function prodOthers(x: Tensor, dl: number[]): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !dl.includes(i));
  const order = [...kept, ...dl];
  const n = numel(dl.map((d) => x.shape[d]!));
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

/**
 * var/std arguments: (dim?, unbiased?, keepdim?) by position, `correction` by name only; var(x, unbiased) as
 * torch.var(x, False). correction = N − (the divisor): 1 (Bessel, the default) or 0 (unbiased = false).
 */
const spreadArgs = [tensor('input'), dims('dim'), optBool('unbiased'), bool('keepdim', false), optNum('correction')] as const;
const spreadForm = (args: unknown[]) => (typeof args[1] === 'boolean' ? [args[0], undefined, ...args.slice(1)] : args);
function correctionOf(op: string, unbiased: boolean | undefined, correction: number | null): number {
  if (unbiased !== undefined && correction !== null) throw new TypeError(`${op}: give either unbiased or correction, not both`);
  return correction !== null ? correction : unbiased === false ? 0 : 1;
}

/** var = Σ(x − μ)² / (N − correction) over dims */
const varianceOp = defineOp({
  name: 'var', method: 'var', args: spreadArgs, kwargs: true, positional: 4, callForm: spreadForm, composite: true,
  forward: ({ input, dim, unbiased, keepdim, correction }) => {
    const c = correctionOf('var', unbiased, correction);
    const dl = normDims('var', dim, input.ndim);
    const n = numel(dl.map((d) => input.shape[d]!));
    const xf = isFloat(input.dtype) ? input : cast(input, 'float32');
    const dev = sub(xf, mean(xf, dl, true));
    return div(sum(mul(dev, dev), dl, keepdim), Math.max(0, n - c));
  },
  cases: [
    { label: '(correction 1)', shapes: [[3, 4]], expect: (R, x) => R.reduce(R.var(1))(x), torch: 'x[0].var()' },
    { label: 'dim 1 correction 0', shapes: [[3, 4]], call: (f, x) => kw(f)(x, 1, { correction: 0 }), expect: (R, x) => R.reduce(R.var(0), [1])(x), torch: 'x[0].var(1, unbiased=False)' },
    { label: 'dim 0 keepdim', shapes: [[3, 4]], call: (f, x) => kw(f)(x, 0, { keepdim: true }), expect: (R, x) => R.reduce(R.var(1), [0], true)(x), torch: 'x[0].var(0, keepdim=True)' },
    { label: 'dim 1 unbiased false', shapes: [[3, 4]], call: (f, x) => f(x, 1, false), expect: (R, x) => R.reduce(R.var(0), [1])(x), torch: 'x[0].var(1, unbiased=False)' },
  ],
});
export const variance: WithKw<typeof varianceOp, SpreadKw> & ((input: Tensor, unbiased: boolean) => Tensor) = varianceOp as never;

/** std = √var */
const stdOp = defineOp({
  name: 'std', method: 'std', args: spreadArgs, kwargs: true, positional: 4, callForm: spreadForm, composite: true,
  forward: ({ input, dim, unbiased, keepdim, correction }) => sqrt(kw(variance)(input, dim, { unbiased, keepdim, correction: correction ?? undefined })),
  cases: [
    { label: '(correction 1)', shapes: [[3, 4]], expect: (R, x) => R.reduce((v) => Math.sqrt(R.var(1)(v)))(x), torch: 'x[0].std()' },
    { label: 'dim 1 correction 0', shapes: [[3, 4]], call: (f, x) => kw(f)(x, 1, { correction: 0 }), expect: (R, x) => R.reduce((v) => Math.sqrt(R.var(0)(v)), [1])(x), torch: 'x[0].std(1, unbiased=False)' },
    { label: 'dim -1 keepdim', shapes: [[2, 3, 4]], call: (f, x) => kw(f)(x, -1, { keepdim: true }), expect: (R, x) => R.reduce((v) => Math.sqrt(R.var(1)(v)), [-1], true)(x), torch: 'x[0].std(-1, keepdim=True)' },
    { label: 'unbiased false (the torch.std(x, False) form)', shapes: [[3, 4]], call: (f, x) => kw(f)(x, false), expect: (R, x) => R.reduce((v) => Math.sqrt(R.var(0)(v)))(x), torch: 'torch.std(x[0], False)' },
  ],
});
export const std: WithKw<typeof stdOp, SpreadKw> & ((input: Tensor, unbiased: boolean) => Tensor) = stdOp as never;

/**
 * logsumexp = m + log Σ exp(x − m) with m the (detached) max: no overflow at ±1e4, and a row of all
 * −Inf gives −Inf rather than NaN. Its gradient is softmax(x).
 */
const logsumexpOp = defineOp({
  name: 'logsumexp', method: 'logsumexp', args: reduceArgs, kwargs: true, composite: true,
  forward: ({ input, dim, keepdim }) => {
    const [x] = autocastF32(input); // autocast dispatch (src/amp/autocast.ts)
    const dl = normDims('logsumexp', dim, x.ndim);
    const xf = isFloat(x.dtype) ? x : cast(x, 'float32');
    const mRaw = reduceRaw('max', xf, dl, true, floatOf(xf.dtype));
    // an all −Inf (or +Inf) group must not shift by ∓Inf: that would give NaN
    const m = where(eq(mRaw, Infinity), 0, where(eq(mRaw, -Infinity), 0, mRaw));
    const s = add(log(sum(exp(sub(xf, m)), dl, true)), m);
    return keepdim ? s : reshape(s, x.shape.filter((_, i) => !dl.includes(i)));
  },
  cases: [
    { shapes: [[3, 4]], expect: (R, x) => R.reduce(R.lse)(x), torch: 'torch.logsumexp(x[0], (0, 1))' },
    { label: 'dim 1', shapes: [[3, 4]], call: (f, x) => f(x, 1), expect: (R, x) => R.reduce(R.lse, [1])(x), torch: 'torch.logsumexp(x[0], 1)' },
    { label: 'dims [0,1] keepdim', shapes: [[2, 3, 4]], call: (f, x) => f(x, [0, 1], true), expect: (R, x) => R.reduce(R.lse, [0, 1], true)(x), torch: 'torch.logsumexp(x[0], (0, 1), keepdim=True)' },
    // a row of all −∞: −∞ (not NaN); its gradient exp(x − y) is NaN there, as PyTorch's
    {
      label: 'all −∞ row', shapes: [[1, 3]], call: (f, x) => f(x, 1), values: [[-Infinity, -Infinity, -Infinity]], gradcheck: false,
      expect: (R, x) => R.reduce((v) => (v.every((e) => e === -Infinity) ? -Infinity : R.lse(v)), [1])(x), gradWant: [[NaN, NaN, NaN]],
      torch: 'torch.logsumexp(x[0], 1)',
    },
  ],
});
export const logsumexp: WithKw<typeof logsumexpOp, ReduceKw> = logsumexpOp as never;

type KwOpts<T> = { [K in keyof T]?: T[K] };
type ReduceKw = KwOpts<{ dim: number | readonly number[] | null; keepdim: boolean }>;
type SpreadKw = KwOpts<{ dim: number | readonly number[] | null; unbiased: boolean; keepdim: boolean; correction: number }>;
type Methods = {
  sum: Method<typeof sumOp>; mean: Method<typeof meanOp>; prod: Method<typeof prodOp>; amax: Method<typeof amax>; amin: Method<typeof amin>;
  logsumexp: Method<typeof logsumexpOp>; argmax: Method<typeof argmax>; argmin: Method<typeof argmin>; var: Method<typeof varianceOp>; std: Method<typeof stdOp>;
};
declare module '../tensor.js' {
  // the methods defineOp attaches above, typed from the records, plus PyTorch's keyword forms
  interface Tensor extends Methods {
    // the positional forms are restated: a declaration here hides the inherited one of the same name
    sum(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    mean(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    prod(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    amax(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    amin(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    logsumexp(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    var(dim?: number | readonly number[] | null, unbiased?: boolean, keepdim?: boolean): Tensor;
    std(dim?: number | readonly number[] | null, unbiased?: boolean, keepdim?: boolean): Tensor;
    sum(opts: ReduceKw): Tensor;
    sum(dim: number | readonly number[] | null, opts: { keepdim?: boolean }): Tensor;
    mean(opts: ReduceKw): Tensor;
    mean(dim: number | readonly number[] | null, opts: { keepdim?: boolean }): Tensor;
    prod(opts: ReduceKw): Tensor;
    prod(dim: number | readonly number[] | null, opts: { keepdim?: boolean }): Tensor;
    amax(opts: ReduceKw): Tensor;
    amin(opts: ReduceKw): Tensor;
    logsumexp(opts: ReduceKw): Tensor;
    argmax(opts: { dim?: number; keepdim?: boolean }): Tensor;
    argmin(opts: { dim?: number; keepdim?: boolean }): Tensor;
    var(opts: SpreadKw): Tensor;
    var(dim: number | readonly number[] | null | undefined, opts: SpreadKw): Tensor;
    var(unbiased: boolean): Tensor;
    std(opts: SpreadKw): Tensor;
    std(dim: number | readonly number[] | null | undefined, opts: SpreadKw): Tensor;
    std(unbiased: boolean): Tensor;
    max(): Tensor;
    max(other: Tensor): Tensor;
    max(dim: number, keepdim?: boolean | { keepdim?: boolean }): ValuesIndicesPair;
    max(opts: { dim: number; keepdim?: boolean }): ValuesIndicesPair;
    min(): Tensor;
    min(other: Tensor): Tensor;
    min(dim: number, keepdim?: boolean | { keepdim?: boolean }): ValuesIndicesPair;
    min(opts: { dim: number; keepdim?: boolean }): ValuesIndicesPair;
  }
}
// a record with a method name that is missing above fails to compile here
const methodsDeclared: AssertDeclared<MethodNames<typeof import('./reduce.js')>, Methods> = true;
void methodsDeclared;

provide({ sum, mean, amax, amin, max, min, argmax, argmin, prod, variance, std, logsumexp });
