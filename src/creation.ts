/** Creating tensors: from JS data, constant fills, ranges, and seeded random draws. */
import { currentBackend } from './backends/registry.js';
import { arrayFor, assertDType, isFloat, type DType, type TypedArray } from './dtype.js';
import { checkShape, fmt, numel, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';
import { defaultGenerator, type Generator } from './random.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
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

export function full(shape: readonly number[] | number, value: number, opts: CreateOptions = {}): Tensor {
  const s = shapeArg('full', shape);
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  assertDType('full', dtype);
  const b = currentBackend();
  const t = Tensor.fromData(b, b.alloc(dtype, numel(s)), s, dtype);
  if (value !== 0) b.fill(t.backendView(), value);
  return finish(t, opts);
}

export const zeros = (shape: readonly number[] | number, opts: CreateOptions = {}) => full(shape, 0, opts);
export const ones = (shape: readonly number[] | number, opts: CreateOptions = {}) => full(shape, 1, opts);
export const zerosLike = (t: Tensor, opts: CreateOptions = {}) => full(t.shape, 0, { dtype: t.dtype, ...opts });
export const onesLike = (t: Tensor, opts: CreateOptions = {}) => full(t.shape, 1, { dtype: t.dtype, ...opts });
export const fullLike = (t: Tensor, value: number, opts: CreateOptions = {}) => full(t.shape, value, { dtype: t.dtype, ...opts });

/** arange(end) or arange(start, end, step); int32 when all arguments are integers, else float32. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  if (step === 0) throw new Error('arange: step must be nonzero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  const v = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return finish(Tensor.fromValues(v, [n], dtype), opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = opts.dtype ?? 'float32';
  const v = new Float64Array(steps);
  for (let i = 0; i < steps; i++) v[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(Tensor.fromValues(v, [steps], dtype), opts);
}

export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  const dtype = opts.dtype ?? 'float32';
  const v = arrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return finish(Tensor.fromValues(v, [n, m], dtype), opts);
}

function randomFill(op: string, shape: readonly number[] | number, opts: RandomOptions, draw: (g: Generator) => number, defaultDtype: DType = 'float32'): Tensor {
  const s = shapeArg(op, shape);
  const dtype = opts.dtype ?? defaultDtype;
  const g = opts.generator ?? defaultGenerator;
  const n = numel(s);
  const v = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) v[i] = draw(g);
  return finish(Tensor.fromValues(v, s, dtype), opts);
}

/** uniform [0, 1) */
export const rand = (shape: readonly number[] | number, opts: RandomOptions = {}) => randomFill('rand', shape, opts, (g) => g.random());
/** standard normal */
export const randn = (shape: readonly number[] | number, opts: RandomOptions = {}) => randomFill('randn', shape, opts, (g) => g.normal());
/** integers in [low, high) */
export function randint(low: number, high: number, shape: readonly number[] | number, opts: RandomOptions = {}): Tensor {
  if (!(high > low)) throw new Error(`randint: high (${high}) must be greater than low (${low})`);
  return randomFill('randint', shape, opts, (g) => g.int(low, high), 'int32');
}
/** a random permutation of 0..n-1 (Fisher–Yates) */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
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
