/**
 * PyTorch's call forms for the reductions, clamp and add/sub, as functions (`nb.sum`) and methods (`x.sum`):
 *
 *   x.sum(1, true) ≡ x.sum(1, {keepdim: true}) ≡ x.sum({dim: 1, keepdim: true})
 *   x.std(1, false) (unbiased = false) ≡ x.std(1, {correction: 0}) ≡ x.std({dim: 1, unbiased: false})
 *   x.max(1) → {values, indices}, also destructurable: const [values, indices] = x.max(1); x.max(y) = maximum
 *   x.clamp(0, 1) ≡ x.clamp({min: 0, max: 1}); bounds may be tensors
 *   x.add(y, 2) ≡ x.add(y, {alpha: 2}) = x + 2·y (likewise sub)
 *
 * An argument that fits no form (an unknown key, a surplus argument, a wrong type) is an error naming the
 * function; nothing is ignored. This layer sits above the ops, which keep their own signatures.
 */
import { Tensor } from './tensor.js';
import * as R from './ops/reduce.js';
import * as E from './ops/elementwise.js';
import * as IP from './ops/inplace.js';
import * as M from './ops/movement.js';
import type { NestedArray } from './tensor.js';
import type { TensorLike } from './ops/util.js';
import { describeValue, isPlainObject, unknownKeyMessage } from './strict.js';

type Dim = number | number[];
interface ReduceOpts { dim?: Dim; keepdim?: boolean }

/** (dim?, keepdim?), (dim, {keepdim}), ({dim, keepdim}) → {dim, keepdim}; extra option keys per op. */
function reduceArgs(op: string, args: readonly unknown[], extra: readonly string[] = [], positional: readonly string[] = ['dim', 'keepdim']): Record<string, unknown> {
  const list = args.slice();
  while (list.length && list[list.length - 1] === undefined) list.pop();
  let opts: Record<string, unknown> = {};
  if (list.length && isPlainObject(list[list.length - 1])) opts = list.pop() as Record<string, unknown>;
  const allowed = [...positional, ...extra];
  for (const k of Object.keys(opts)) if (!allowed.includes(k)) throw new TypeError(unknownKeyMessage(op, k, allowed));
  if (list.length > positional.length) throw new TypeError(`${op}: expected at most ${positional.length} positional arguments (${positional.join(', ')}) and an options object, got ${list.length}`);
  const out: Record<string, unknown> = {};
  list.forEach((v, i) => {
    const n = positional[i]!;
    if (v === undefined) return;
    if (opts[n] !== undefined) throw new TypeError(`${op}: ${n} given twice (as an argument and as an option)`);
    out[n] = v;
  });
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) out[k] = v;
  const d = out.dim;
  if (d !== undefined && d !== null && !(typeof d === 'number' && Number.isInteger(d)) && !(Array.isArray(d) && d.every((x) => Number.isInteger(x)))) {
    throw new TypeError(`${op}: dim must be an integer or an array of integers, got ${describeValue(d)}`);
  }
  if (out.keepdim !== undefined && typeof out.keepdim !== 'boolean') throw new TypeError(`${op}: keepdim must be true or false, got ${describeValue(out.keepdim)}`);
  if (out.dim === null) delete out.dim;
  return out;
}

function tensorIn(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a tensor as the first argument, got ${describeValue(x)}`);
}

type ReduceFn = (x: Tensor, dim?: Dim, keepdim?: boolean) => Tensor;
function reduction(op: string, f: ReduceFn) {
  return (x: Tensor, ...args: unknown[]): Tensor => {
    tensorIn(op, x);
    const o = reduceArgs(op, args) as ReduceOpts;
    return f(x, o.dim, o.keepdim ?? false);
  };
}

export const sum = reduction('sum', R.sum) as (x: Tensor, ...a: [dim?: Dim | null, keepdim?: boolean] | [dim: Dim | null, opts: { keepdim?: boolean }] | [opts: ReduceOpts]) => Tensor;
export const mean = reduction('mean', R.mean) as typeof sum;
export const prod = reduction('prod', R.prod) as typeof sum;
export const amax = reduction('amax', R.amax) as typeof sum;
export const amin = reduction('amin', R.amin) as typeof sum;
export const logsumexp = reduction('logsumexp', R.logsumexp) as typeof sum;

function argReduction(op: string, f: (x: Tensor, dim?: number, keepdim?: boolean) => Tensor) {
  return (x: Tensor, ...args: unknown[]): Tensor => {
    tensorIn(op, x);
    const o = reduceArgs(op, args) as ReduceOpts;
    if (Array.isArray(o.dim)) throw new TypeError(`${op}: dim must be one integer, got ${describeValue(o.dim)}`);
    return f(x, o.dim as number | undefined, o.keepdim ?? false);
  };
}
export const argmax = argReduction('argmax', R.argmax) as (x: Tensor, ...a: [dim?: number | null, keepdim?: boolean] | [opts: { dim?: number; keepdim?: boolean }]) => Tensor;
export const argmin = argReduction('argmin', R.argmin) as typeof argmax;

/** var/std: (dim?, unbiased?, keepdim?), (dim, {correction | unbiased, keepdim}), ({dim, correction | unbiased, keepdim}), (unbiased) */
function spread(op: 'var' | 'std', f: typeof R.std) {
  return (x: Tensor, ...args: unknown[]): Tensor => {
    tensorIn(op, x);
    const a = typeof args[0] === 'boolean' ? [undefined, ...args] : args; // torch.std(x, unbiased)
    const o = reduceArgs(op, a, ['correction'], ['dim', 'unbiased', 'keepdim']);
    if (o.unbiased !== undefined && typeof o.unbiased !== 'boolean') throw new TypeError(`${op}: unbiased must be true or false, got ${describeValue(o.unbiased)}`);
    if (o.unbiased !== undefined && o.correction !== undefined) throw new TypeError(`${op}: give either unbiased or correction, not both`);
    if (o.correction !== undefined && typeof o.correction !== 'number') throw new TypeError(`${op}: correction must be a number, got ${describeValue(o.correction)}`);
    const correction = o.correction !== undefined ? (o.correction as number) : o.unbiased === false ? 0 : 1;
    return f(x, o.dim as Dim | undefined, { correction, keepdim: (o.keepdim as boolean | undefined) ?? false });
  };
}
type SpreadFn = (x: Tensor, ...a: [dim?: Dim | null, unbiased?: boolean, keepdim?: boolean] | [dim: Dim | null, opts: { correction?: number; unbiased?: boolean; keepdim?: boolean }] | [opts: { dim?: Dim; correction?: number; unbiased?: boolean; keepdim?: boolean }] | [unbiased: boolean]) => Tensor;
export const variance = spread('var', R.variance) as SpreadFn;
export const std = spread('std', R.std) as SpreadFn;

/** {values, indices} that also destructures as [values, indices] (PyTorch's namedtuple). */
export type ValuesIndicesPair = R.ValuesIndices & Iterable<Tensor> & { 0: Tensor; 1: Tensor };
export function valuesIndices(r: R.ValuesIndices): ValuesIndicesPair {
  const out = r as ValuesIndicesPair;
  Object.defineProperties(out, {
    0: { get: () => r.values, enumerable: false },
    1: { get: () => r.indices, enumerable: false },
    [Symbol.iterator]: { value: function* () { yield r.values; yield r.indices; }, enumerable: false },
  });
  return out;
}

function extreme(op: 'max' | 'min', whole: (x: Tensor) => Tensor, byDim: (x: Tensor, d: number, k: boolean) => R.ValuesIndices, pair: (a: Tensor, b: TensorLike) => Tensor) {
  return (x: Tensor, ...args: unknown[]): Tensor | ValuesIndicesPair => {
    tensorIn(op, x);
    if (args[0] instanceof Tensor) {
      if (args.length > 1) throw new TypeError(`${op}: ${op}(x, other) takes no further arguments`);
      return pair(x, args[0]);
    }
    const o = reduceArgs(op, args) as ReduceOpts;
    if (o.dim === undefined) {
      if (o.keepdim !== undefined) throw new TypeError(`${op}: keepdim needs a dim`);
      return whole(x);
    }
    if (Array.isArray(o.dim)) throw new TypeError(`${op}: dim must be one integer (use amax/amin for several dims), got ${describeValue(o.dim)}`);
    return valuesIndices(byDim(x, o.dim, o.keepdim ?? false));
  };
}
type ExtremeFn = {
  (x: Tensor): Tensor;
  (x: Tensor, other: Tensor): Tensor;
  (x: Tensor, dim: number, keepdim?: boolean | { keepdim?: boolean }): ValuesIndicesPair;
  (x: Tensor, opts: { dim: number; keepdim?: boolean }): ValuesIndicesPair;
};
export const max = extreme('max', (x) => R.max(x), (x, d, k) => R.max(x, d, k), E.maximum) as ExtremeFn;
export const min = extreme('min', (x) => R.min(x), (x, d, k) => R.min(x, d, k), E.minimum) as ExtremeFn;

type Bound = number | Tensor | null | undefined;
function boundsOf(op: string, args: readonly unknown[]): { min: Bound; max: Bound } {
  const list = args.slice();
  while (list.length && list[list.length - 1] === undefined) list.pop();
  let lo: unknown = list[0], hi: unknown = list[1];
  if (list.length === 1 && isPlainObject(list[0])) {
    const o = list[0];
    for (const k of Object.keys(o)) if (k !== 'min' && k !== 'max') throw new TypeError(unknownKeyMessage(op, k, ['min', 'max']));
    lo = o.min; hi = o.max;
  } else if (list.length > 2) {
    throw new TypeError(`${op}: expected (min, max) or ({min, max}), got ${list.length} arguments`);
  }
  for (const [n, v] of [['min', lo], ['max', hi]] as const) {
    if (v !== undefined && v !== null && typeof v !== 'number' && !(v instanceof Tensor)) throw new TypeError(`${op}: ${n} must be a number, a tensor or null, got ${describeValue(v)}`);
  }
  if ((lo === undefined || lo === null) && (hi === undefined || hi === null)) throw new TypeError(`${op}: at least one of min and max must be given`);
  return { min: lo as Bound, max: hi as Bound };
}

/** clamp(x, min, max) or clamp(x, {min, max}); tensor bounds clamp element-wise (maximum then minimum). */
export function clamp(x: Tensor, ...args: [min?: Bound, max?: Bound] | [opts: { min?: Bound; max?: Bound }]): Tensor {
  tensorIn('clamp', x);
  const b = boundsOf('clamp', args);
  if (!(b.min instanceof Tensor) && !(b.max instanceof Tensor)) return E.clamp(x, b.min as number | null | undefined, b.max as number | null | undefined);
  let y = x;
  if (b.min !== undefined && b.min !== null) y = E.maximum(y, b.min);
  if (b.max !== undefined && b.max !== null) y = E.minimum(y, b.max);
  return y;
}
export const clip = clamp;

function alphaOf(op: string, args: readonly unknown[]): number {
  if (args.length === 0 || args[0] === undefined) return 1;
  if (args.length > 1) throw new TypeError(`${op}: expected (other, alpha) or (other, {alpha}), got ${args.length + 1} arguments`);
  const a = args[0];
  if (typeof a === 'number') return a;
  if (isPlainObject(a)) {
    for (const k of Object.keys(a)) if (k !== 'alpha') throw new TypeError(unknownKeyMessage(op, k, ['alpha']));
    if (a.alpha === undefined) return 1;
    if (typeof a.alpha !== 'number') throw new TypeError(`${op}: alpha must be a number, got ${describeValue(a.alpha)}`);
    return a.alpha;
  }
  throw new TypeError(`${op}: alpha must be a number or {alpha}, got ${describeValue(a)}`);
}

/** add(x, y, alpha = 1) = x + alpha·y; also add(x, y, {alpha}) */
export function add(x: TensorLike, y: TensorLike, ...rest: [alpha?: number] | [opts: { alpha?: number }]): Tensor {
  const alpha = alphaOf('add', rest);
  return E.add(x, alpha === 1 ? y : E.mul(y, alpha));
}
/** sub(x, y, alpha = 1) = x − alpha·y; also sub(x, y, {alpha}) */
export function sub(x: TensorLike, y: TensorLike, ...rest: [alpha?: number] | [opts: { alpha?: number }]): Tensor {
  const alpha = alphaOf('sub', rest);
  return E.sub(x, alpha === 1 ? y : E.mul(y, alpha));
}

declare module './tensor.js' {
  interface Tensor {
    sum(opts: ReduceOpts): Tensor;
    sum(dim: Dim | null, opts: { keepdim?: boolean }): Tensor;
    mean(opts: ReduceOpts): Tensor;
    mean(dim: Dim | null, opts: { keepdim?: boolean }): Tensor;
    prod(opts: ReduceOpts): Tensor;
    amax(opts: ReduceOpts): Tensor;
    amin(opts: ReduceOpts): Tensor;
    logsumexp(opts: ReduceOpts): Tensor;
    argmax(opts: { dim?: number; keepdim?: boolean }): Tensor;
    argmin(opts: { dim?: number; keepdim?: boolean }): Tensor;
    var(dim: Dim | null, unbiased: boolean, keepdim?: boolean): Tensor;
    var(opts: { dim?: Dim; correction?: number; unbiased?: boolean; keepdim?: boolean }): Tensor;
    var(unbiased: boolean): Tensor;
    std(dim: Dim | null, unbiased: boolean, keepdim?: boolean): Tensor;
    std(opts: { dim?: Dim; correction?: number; unbiased?: boolean; keepdim?: boolean }): Tensor;
    std(unbiased: boolean): Tensor;
    max(other: Tensor): Tensor;
    max(dim: number, keepdim?: boolean | { keepdim?: boolean }): ValuesIndicesPair;
    max(opts: { dim: number; keepdim?: boolean }): ValuesIndicesPair;
    min(other: Tensor): Tensor;
    min(dim: number, keepdim?: boolean | { keepdim?: boolean }): ValuesIndicesPair;
    min(opts: { dim: number; keepdim?: boolean }): ValuesIndicesPair;
    clamp(opts: { min?: Bound; max?: Bound }): Tensor;
    clamp(min: Bound, max?: Bound): Tensor;
    clip(min?: Bound, max?: Bound): Tensor;
    clip(opts: { min?: Bound; max?: Bound }): Tensor;
    add(other: TensorLike, alpha: number | { alpha?: number }): Tensor;
    sub(other: TensorLike, alpha: number | { alpha?: number }): Tensor;
    add_(other: TensorLike, alpha: { alpha?: number }): Tensor;
    sub_(other: TensorLike, alpha: { alpha?: number }): Tensor;
  }
}

const P = Tensor.prototype as unknown as Record<string, unknown>;
const asMethod = (f: (x: Tensor, ...a: any[]) => unknown) => function (this: Tensor, ...a: unknown[]) { return f(this, ...a); };
P.sum = asMethod(sum);
P.mean = asMethod(mean);
P.prod = asMethod(prod);
P.amax = asMethod(amax);
P.amin = asMethod(amin);
P.logsumexp = asMethod(logsumexp);
P.argmax = asMethod(argmax);
P.argmin = asMethod(argmin);
P.var = asMethod(variance);
P.std = asMethod(std);
P.max = asMethod(max);
P.min = asMethod(min);
P.clamp = asMethod(clamp);
P.clip = asMethod(clamp);
P.add = asMethod(add as (x: Tensor, ...a: any[]) => unknown);
P.sub = asMethod(sub as (x: Tensor, ...a: any[]) => unknown);
P.add_ = function (this: Tensor, o: TensorLike, ...rest: unknown[]) { return IP.add_(this, o, alphaOf('add_', rest)); };
P.sub_ = function (this: Tensor, o: TensorLike, ...rest: unknown[]) { return IP.sub_(this, o, alphaOf('sub_', rest)); };
P.clamp_ = function (this: Tensor, ...args: unknown[]) {
  const b = boundsOf('clamp_', args);
  if (b.min instanceof Tensor || b.max instanceof Tensor) throw new TypeError('clamp_: tensor bounds are not supported in place; use x.copy_(x.clamp(min, max))');
  return IP.clamp_(this, b.min as number | null | undefined, b.max as number | null | undefined);
};

// ---- indexing: src/ops/advancedIndex.ts (basic, advanced and mask indexing, index writes)

export { index } from './ops/advancedIndex.js';

declare module './tensor.js' {
  interface Tensor {
    /** the transpose of a ≤ 2-D tensor (torch's t()) */
    t(): Tensor;
    /** nested arrays (torch's tolist()) */
    tolist(): NestedArray;
  }
}
P.t = function (this: Tensor) {
  if (arguments.length) throw new TypeError('t: takes no arguments (use transpose(dim0, dim1))');
  if (this.ndim > 2) throw new Error(`t: expects a tensor with <= 2 dimensions, but it has ${this.ndim}; use transpose(dim0, dim1) or permute`);
  return this.ndim < 2 ? this : M.transpose(this, 0, 1);
};
P.tolist = function (this: Tensor) { return this.toArray(); };
