/**
 * PyTorch's call forms for clamp and add/sub, as functions (`nb.clamp`) and methods (`x.clamp`) (the
 * reductions' forms come from their records' schemas, src/ops/reduce.ts):
 *
 *   x.clamp(0, 1) ≡ x.clamp({min: 0, max: 1}); bounds may be tensors
 *   x.add(y, 2) ≡ x.add(y, {alpha: 2}) = x + 2·y (likewise sub)
 *
 * An argument that fits no form (an unknown key, a surplus argument, a wrong type) is an error naming the
 * function; nothing is ignored. This layer sits above the ops, which keep their own signatures.
 */
import { Tensor } from './tensor.js';
import type { ValuesIndices, ValuesIndicesPair } from './ops/reduce.js';
import { namedOutputs } from './ops/define.js';
import * as E from './ops/elementwise.js';
import * as IP from './ops/inplace.js';
import * as M from './ops/movement.js';
import type { NestedArray } from './tensor.js';
import type { TensorLike } from './ops/util.js';
import { describeValue, isPlainObject, unknownKeyMessage } from './strict.js';

function tensorIn(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a tensor as the first argument, got ${describeValue(x)}`);
}

/** {values, indices} that also destructures as [values, indices] (PyTorch's namedtuple). */
export function valuesIndices(r: ValuesIndices): ValuesIndicesPair {
  return namedOutputs(['values', 'indices'], [r.values, r.indices]) as unknown as ValuesIndicesPair;
}

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
