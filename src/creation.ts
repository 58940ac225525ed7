/** Creating tensors: from JS data, constant fills, ranges, and seeded random draws. */
import { currentBackend } from './backends/registry.js';
import type { Backend } from './backends/backend.js';
import { arrayFor, assertDType, isFloat, type DType, type TypedArray } from './dtype.js';
import { checkShape, fmt, numel, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';
import { defaultGenerator, type Generator } from './random.js';
import { checkArity, checkOptions, describeValue, isPlainObject } from './strict.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

const CREATE_KEYS = ['dtype', 'requiresGrad'] as const;
const RANDOM_KEYS = ['dtype', 'requiresGrad', 'generator'] as const;

/**
 * A shape given PyTorch's ways: `f(2, 3)`, `f([2, 3])`, `f(5)`, `f()` (a scalar), each optionally followed by an
 * options object (`f(2, 3, {dtype})`). Anything else (a string, a nested array, a number after the array) throws.
 */
export function shapeAndOptions(op: string, args: readonly unknown[], keys: readonly string[]): { shape: number[]; opts: Record<string, unknown> } {
  const list = args.slice();
  while (list.length && list[list.length - 1] === undefined) list.pop();
  let opts: Record<string, unknown> = {};
  if (list.length && isPlainObject(list[list.length - 1])) opts = list.pop() as Record<string, unknown>;
  checkOptions(op, opts, keys);
  let shape: unknown[];
  if (list.length === 1 && Array.isArray(list[0])) shape = list[0].slice();
  else shape = list;
  for (const d of shape) {
    if (typeof d !== 'number') throw new TypeError(`${op}: the shape must be numbers (${op}(2, 3) or ${op}([2, 3])), optionally followed by an options object {${keys.join(', ')}}; got ${describeValue(d)}`);
  }
  const s = shape as number[];
  checkShape(op, s);
  return { shape: s, opts };
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function shapeArg(op: string, shape: readonly number[] | number): number[] {
  const s = typeof shape === 'number' ? [shape] : shape.slice();
  checkShape(op, s);
  return s;
}

function inferDtype(data: unknown): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  let x: unknown = data;
  while (Array.isArray(x)) x = x[0];
  return typeof x === 'boolean' ? 'bool' : 'float32';
}

/** Flatten nested arrays, checking that they are rectangular. */
function flattenNested(data: NestedArray): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  let x: NestedArray = data;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0] as NestedArray;
    if (x === undefined) break;
  }
  const values: number[] = [];
  const walk = (v: NestedArray, d: number, path: string) => {
    if (d === shape.length) {
      if (Array.isArray(v)) throw new Error(`tensor: ragged nested array at ${path}: expected a number, found an array`);
      if (typeof v !== 'number' && typeof v !== 'boolean') throw new TypeError(`tensor: expected numbers or booleans, found ${typeof v} at ${path}`);
      values.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw new Error(`tensor: ragged nested array at ${path}: expected length ${shape[d]}, got ${Array.isArray(v) ? v.length : 'a scalar'} (shape so far ${fmt(shape)})`);
    }
    v.forEach((e, i) => walk(e, d + 1, `${path}[${i}]`));
  };
  walk(data, 0, 'data');
  return { values, shape };
}

/** nb.tensor(data, {dtype, requiresGrad}): nested arrays, a number, or a typed array (1-D, or give opts.shape). */
export function tensor(data: NestedArray | TypedArray | readonly number[], opts: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  checkArity('tensor', arguments, 2, '(data, {dtype, requiresGrad, shape})');
  checkOptions('tensor', opts, ['dtype', 'requiresGrad', 'shape']);
  if (data instanceof Tensor) throw new TypeError('tensor: data is already a tensor; use x.clone() (or x.detach().clone()) to copy it');
  const dtype = opts.dtype ?? inferDtype(data);
  assertDType('tensor', dtype);
  let values: ArrayLike<number>, shape: number[];
  if (ArrayBuffer.isView(data)) {
    values = data as TypedArray;
    shape = opts.shape ? opts.shape.slice() : [values.length];
  } else {
    const f = flattenNested(data as NestedArray);
    values = f.values;
    shape = opts.shape ? opts.shape.slice() : f.shape;
  }
  if (numel(shape) !== values.length) throw new Error(`tensor: shape ${fmt(shape)} needs ${numel(shape)} values, got ${values.length}`);
  return finish(Tensor.fromValues(values, shape, dtype), opts);
}

function checkFillValue(op: string, value: unknown): void {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`${op}: fillValue must be a number or boolean, got ${describeValue(value)}`);
}

/** full(shape, value, {dtype, requiresGrad}); shape is a number or an array (as torch.full's size tuple). */
export function full(shape: readonly number[] | number, value: number | boolean, opts: CreateOptions = {}): Tensor {
  checkArity('full', arguments, 3, '(shape, fillValue, {dtype, requiresGrad})');
  checkOptions('full', opts, CREATE_KEYS);
  checkFillValue('full', value);
  if (typeof shape !== 'number' && !Array.isArray(shape)) throw new TypeError(`full: shape must be a number or an array of numbers, got ${describeValue(shape)}`);
  const s = shapeArg('full', shape);
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  assertDType('full', dtype);
  return finish(filled(currentBackend(), s, Number(value), dtype), opts);
}

/** a tensor of `shape` on backend b, every element `value` */
export function filled(b: Backend, shape: readonly number[], value: number, dtype: DType): Tensor {
  const t = Tensor.fromData(b, b.alloc(dtype, numel(shape)), shape, dtype);
  if (value !== 0) b.fill(t.backendView(), value);
  return t;
}

export type ShapeArgs<O> = [shape: readonly number[] | number, opts?: O] | number[] | [...number[], O];

/** zeros(2, 3), zeros([2, 3]), zeros(2, 3, {dtype, requiresGrad}) */
export function zeros(...args: ShapeArgs<CreateOptions>): Tensor {
  const { shape, opts } = shapeAndOptions('zeros', args, CREATE_KEYS);
  return full(shape, 0, opts);
}
/** ones(2, 3), ones([2, 3]), ones(2, 3, {dtype, requiresGrad}) */
export function ones(...args: ShapeArgs<CreateOptions>): Tensor {
  const { shape, opts } = shapeAndOptions('ones', args, CREATE_KEYS);
  return full(shape, 1, opts);
}
/** empty(2, 3): PyTorch leaves the memory uninitialised; nabla's is zero-filled (same call forms as zeros). */
export function empty(...args: ShapeArgs<CreateOptions>): Tensor {
  const { shape, opts } = shapeAndOptions('empty', args, CREATE_KEYS);
  return full(shape, 0, opts);
}

function likeArgs(op: string, t: unknown, args: IArguments, max: number, keys: readonly string[], opts: unknown): void {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a tensor as the first argument, got ${describeValue(t)}`);
  checkArity(op, args, max, max === 2 ? '(tensor, options)' : '(tensor, value, options)');
  checkOptions(op, opts, keys);
}
/** the *Like functions keep t's shape, dtype (unless opts.dtype) and backend, as PyTorch's keep its device */
function likeOf(op: string, t: Tensor, value: number, opts: CreateOptions): Tensor {
  const dtype = opts.dtype ?? t.dtype;
  assertDType(op, dtype);
  return finish(filled(t.backend, t.shape, value, dtype), opts);
}
export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  likeArgs('zerosLike', t, arguments, 2, CREATE_KEYS, opts);
  return likeOf('zerosLike', t, 0, opts);
}
export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  likeArgs('onesLike', t, arguments, 2, CREATE_KEYS, opts);
  return likeOf('onesLike', t, 1, opts);
}
export function emptyLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  likeArgs('emptyLike', t, arguments, 2, CREATE_KEYS, opts);
  return likeOf('emptyLike', t, 0, opts);
}
export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  likeArgs('fullLike', t, arguments, 3, CREATE_KEYS, opts);
  checkFillValue('fullLike', value);
  return likeOf('fullLike', t, Number(value), opts);
}

/** Leading numbers then an optional options object: the call form of arange, linspace, eye, randint. */
function numbersAndOptions(op: string, args: readonly unknown[], min: number, max: number, signature: string, keys: readonly string[]): { nums: (number | undefined)[]; opts: Record<string, unknown> } {
  const list = args.slice();
  while (list.length && list[list.length - 1] === undefined) list.pop();
  let opts: Record<string, unknown> = {};
  if (list.length && isPlainObject(list[list.length - 1])) opts = list.pop() as Record<string, unknown>;
  checkOptions(op, opts, keys);
  if (list.length < min || list.length > max) throw new TypeError(`${op}: expected ${signature}, got ${list.length} number argument${list.length === 1 ? '' : 's'}`);
  for (const v of list) if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new TypeError(`${op}: expected ${signature}; got ${describeValue(v)}`);
  return { nums: list as (number | undefined)[], opts };
}

/** arange(end), arange(start, end), arange(start, end, step), each with optional {dtype, requiresGrad}; int32 when all are integers, else float32. */
export function arange(...args: [number, ...(number | CreateOptions | undefined)[]]): Tensor {
  const { nums, opts } = numbersAndOptions('arange', args, 1, 3, '(end) or (start, end, step?) and optionally {dtype, requiresGrad}', CREATE_KEYS);
  let [start, end, step = 1] = nums as [number, number?, number?];
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new Error('arange: step must be nonzero');
  if (![start, end, step].every(Number.isFinite)) throw new RangeError(`arange: start, end and step must be finite, got ${start}, ${end}, ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = (opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32')) as DType;
  assertDType('arange', dtype);
  const v = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return finish(Tensor.fromValues(v, [n], dtype), opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  checkArity('linspace', arguments, 4, '(start, end, steps, {dtype, requiresGrad})');
  checkOptions('linspace', opts, CREATE_KEYS);
  for (const [n, v] of [['start', start], ['end', end]] as const) if (typeof v !== 'number') throw new TypeError(`linspace: ${n} must be a number, got ${describeValue(v)}`);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = opts.dtype ?? 'float32';
  const v = new Float64Array(steps);
  for (let i = 0; i < steps; i++) v[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(Tensor.fromValues(v, [steps], dtype), opts);
}

/** eye(n), eye(n, m), each with optional {dtype, requiresGrad}. */
export function eye(...args: [number, ...(number | CreateOptions | undefined)[]]): Tensor {
  const { nums, opts } = numbersAndOptions('eye', args, 1, 2, '(n) or (n, m) and optionally {dtype, requiresGrad}', CREATE_KEYS);
  const [n, m = n] = nums as [number, number?];
  checkShape('eye', [n, m]);
  const dtype = (opts.dtype ?? 'float32') as DType;
  assertDType('eye', dtype);
  const v = arrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return finish(Tensor.fromValues(v, [n, m], dtype), opts);
}

function randomFill(op: string, shape: readonly number[] | number, opts: RandomOptions, draw: (g: Generator) => number, defaultDtype: DType = 'float32', backend?: Backend): Tensor {
  const s = shapeArg(op, shape);
  const dtype = opts.dtype ?? defaultDtype;
  assertDType(op, dtype);
  const g = opts.generator ?? defaultGenerator;
  const n = numel(s);
  const v = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) v[i] = draw(g);
  return finish(Tensor.fromValues(v, s, dtype, backend), opts);
}

/** uniform [0, 1): rand(2, 3), rand([2, 3]), rand(2, 3, {dtype, requiresGrad, generator}) */
export function rand(...args: ShapeArgs<RandomOptions>): Tensor {
  const { shape, opts } = shapeAndOptions('rand', args, RANDOM_KEYS);
  return randomFill('rand', shape, opts, (g) => g.random());
}
/** standard normal: randn(2, 3), randn([2, 3]), randn(2, 3, {dtype, requiresGrad, generator}) */
export function randn(...args: ShapeArgs<RandomOptions>): Tensor {
  const { shape, opts } = shapeAndOptions('randn', args, RANDOM_KEYS);
  return randomFill('randn', shape, opts, (g) => g.normal());
}
/** uniform [0, 1) with t's shape and dtype */
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  likeArgs('randLike', t, arguments, 2, RANDOM_KEYS, opts);
  return randomFill('randLike', t.shape, { dtype: t.dtype, ...opts }, (g) => g.random(), 'float32', t.backend);
}
/** standard normal with t's shape and dtype */
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  likeArgs('randnLike', t, arguments, 2, RANDOM_KEYS, opts);
  return randomFill('randnLike', t.shape, { dtype: t.dtype, ...opts }, (g) => g.normal(), 'float32', t.backend);
}
/** integers in [low, high): randint(low, high, shape, opts?) or randint(high, shape, opts?) (low = 0), as torch.randint */
export function randint(...args: unknown[]): Tensor {
  const list = args.slice();
  while (list.length && list[list.length - 1] === undefined) list.pop();
  let opts: RandomOptions = {};
  if (list.length && isPlainObject(list[list.length - 1])) opts = list.pop() as RandomOptions;
  checkOptions('randint', opts, RANDOM_KEYS);
  const shapeAt = list.findIndex((v) => Array.isArray(v));
  if (shapeAt < 1 || shapeAt > 2 || list.length !== shapeAt + 1 || !list.slice(0, shapeAt).every((v) => typeof v === 'number' && Number.isInteger(v))) {
    throw new TypeError(`randint: expected (low, high, shape) or (high, shape) with integer bounds and an array shape (e.g. randint(0, 10, [3])), optionally followed by {dtype, generator}; got (${list.map(describeValue).join(', ')})`);
  }
  const [low, high] = shapeAt === 1 ? [0, list[0] as number] : [list[0] as number, list[1] as number];
  if (!(high > low)) throw new Error(`randint: high (${high}) must be greater than low (${low})`);
  return randomFill('randint', list[shapeAt] as number[], opts, (g) => g.int(low, high), 'int32');
}
/** a random permutation of 0..n-1 (Fisher–Yates) */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  checkArity('randperm', arguments, 2, '(n, {generator})');
  checkOptions('randperm', opts, ['generator', 'dtype']);
  if (opts.dtype !== undefined && opts.dtype !== 'int32') throw new TypeError(`randperm: dtype must be int32, got ${describeValue(opts.dtype)}`);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`randperm: n must be a non-negative integer, got ${describeValue(n)}`);
  const g = opts.generator ?? defaultGenerator;
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const t = v[i]!; v[i] = v[j]!; v[j] = t;
  }
  return Tensor.fromValues(v, [n], 'int32');
}

export function isFloatTensor(t: Tensor): boolean {
  return isFloat(t.dtype);
}

export type { Shape };
