/**
 * Shape and movement ops. Views (reshape of contiguous data, permute, transpose, expand, slice, select,
 * squeeze, unsqueeze) share storage and only change strides; their backward is the inverse movement,
 * and the backward of a linear movement is again a linear movement (JAX's habit), so it differentiates again.
 */
import { promote, type DType } from '../dtype.js';
import { record } from '../autograd/record.js';
import { zerosShaped } from '../autograd/forward.js';
import { contiguousStrides, fmt, normDim, numel, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, checkTensor } from './util.js';
import { cast } from './elementwise.js';
import { ops, provide } from './registry.js';

/** Resolve a single −1 in a target shape. */
function inferShape(op: string, shape: readonly number[], n: number, from: Shape): number[] {
  const out = shape.slice();
  const neg = out.filter((s) => s === -1).length;
  if (neg > 1) throw new Error(`${op}: only one dimension can be inferred (-1), got ${fmt(shape)}`);
  for (const s of out) if (s !== -1 && (!Number.isInteger(s) || s < 0)) throw new Error(`${op}: invalid size ${s} in shape ${fmt(shape)}`);
  if (neg === 1) {
    const known = numel(out.filter((s) => s !== -1));
    const i = out.indexOf(-1);
    if (known === 0 || n % known !== 0) throw new Error(`${op}: shape ${fmt(shape)} is invalid for input of size ${n} (from ${fmt(from)})`);
    out[i] = n / known;
  }
  if (numel(out) !== n) throw new Error(`${op}: shape ${fmt(shape)} is invalid for input of size ${n} (from ${fmt(from)})`);
  return out;
}

/** A fresh contiguous copy; gradient passes through unchanged. */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', 'input', x);
  const b = x.backend;
  const y = Tensor.fromData(b, b.copy(x.backendView(), x.dtype), x.shape, x.dtype);
  record('clone', [x], [y], [], ([g]) => [g], ([dx]) => [clone(dx!)]);
  return y;
}

export function contiguous(x: Tensor): Tensor {
  return x.isContiguous() ? x : clone(x);
}

/** view: same storage, new shape; requires contiguous data (PyTorch's rule), otherwise use reshape. */
export function view(x: Tensor, ...shape: number[] | [readonly number[]]): Tensor {
  checkTensor('view', 'input', x);
  const target = inferShape('view', flatArgs(shape), x.numel(), x.shape);
  if (!x.isContiguous()) {
    throw new Error(`view: size ${fmt(target)} is not compatible with input tensor's size and stride ${fmt(x.shape)}/${fmt(x.strides)} (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.`);
  }
  return viewOf(x, target);
}

function viewOf(x: Tensor, target: readonly number[]): Tensor {
  const y = x._restride(target, contiguousStrides(target), x.offset);
  record('reshape', [x], [y], [], ([g]) => [reshape(g!, x.shape)], ([dx]) => [reshape(dx!, target)]);
  return y;
}

function flatArgs(shape: number[] | [readonly number[]]): number[] {
  return (Array.isArray(shape[0]) ? (shape[0] as number[]) : (shape as number[])).slice();
}

/** reshape: a view when the data is contiguous, a copy otherwise. */
export function reshape(x: Tensor, ...shape: number[] | [readonly number[]]): Tensor {
  checkTensor('reshape', 'input', x);
  const target = inferShape('reshape', flatArgs(shape), x.numel(), x.shape);
  if (sameShape(target, x.shape)) return x;
  return viewOf(contiguous(x), target);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
  if (s > e) throw new Error(`flatten: startDim ${startDim} must not come after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  checkTensor('squeeze', 'input', x);
  const dims = dim === undefined ? x.shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0) : (typeof dim === 'number' ? [dim] : dim).map((d) => normDim('squeeze', d, x.ndim));
  const keep = x.shape.map((_, i) => !(dims.includes(i) && x.shape[i] === 1));
  const y = x._restride(x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]), x.offset);
  record('squeeze', [x], [y], [], ([g]) => [reshape(g!, x.shape)], ([dx]) => [reshape(dx!, y.shape)]);
  return y;
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'input', x);
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = x.shape.slice(), strides = x.strides.slice();
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d]! * x.shape[d]! : 1);
  const y = x._restride(shape, strides, x.offset);
  record('unsqueeze', [x], [y], [], ([g]) => [reshape(g!, x.shape)], ([dx]) => [reshape(dx!, shape)]);
  return y;
}

/** permute(dims): a strided view; backward applies the inverse permutation. */
export function permute(x: Tensor, ...dims: number[] | [readonly number[]]): Tensor {
  checkTensor('permute', 'input', x);
  const p = flatArgs(dims).map((d) => normDim('permute', d, x.ndim));
  if (p.length !== x.ndim || new Set(p).size !== p.length) {
    throw new Error(`permute: dims ${fmt(flatArgs(dims))} is not a permutation of the ${x.ndim} dimensions of a tensor of shape ${fmt(x.shape)}`);
  }
  const y = x._restride(p.map((d) => x.shape[d]!), p.map((d) => x.strides[d]!), x.offset);
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => (inv[d] = i));
  record('permute', [x], [y], [], ([g]) => [permute(g!, inv)], ([dx]) => [permute(dx!, p)]);
  return y;
}

export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  checkTensor('transpose', 'input', x);
  if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return x;
  const a = normDim('transpose', dim0, x.ndim), b = normDim('transpose', dim1, x.ndim);
  const p = [...Array(x.ndim).keys()];
  p[a] = b;
  p[b] = a;
  return permute(x, p);
}

/** expand: broadcast size-1 dims (and new leading dims) with stride 0; backward sums back. */
export function expand(x: Tensor, ...shape: number[] | [readonly number[]]): Tensor {
  checkTensor('expand', 'input', x);
  const target = flatArgs(shape);
  if (target.length < x.ndim) throw new Error(`expand: the target shape ${fmt(target)} has fewer dimensions than the tensor's ${fmt(x.shape)}`);
  const lead = target.length - x.ndim;
  const strides: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < target.length; i++) {
    const j = i - lead;
    const src = j >= 0 ? x.shape[j]! : 1;
    const t = target[i] === -1 ? src : target[i]!;
    if (j >= 0 && src !== t && src !== 1) {
      throw new Error(`expand: the expanded size ${t} must match the existing size ${src} at dimension ${i} (tensor ${fmt(x.shape)} to ${fmt(target)})`);
    }
    out.push(t);
    strides.push(j < 0 || (src === 1 && t !== 1) ? 0 : x.strides[j]!);
  }
  if (sameShape(out, x.shape)) return x;
  const y = x._restride(out, strides, x.offset);
  record('expand', [x], [y], [], ([g]) => [ops.sumToShape(g!, x.shape)], ([dx]) => [expand(dx!, out)]);
  return y;
}

function normSlice(size: number, start: number | undefined, end: number | undefined, step: number): [number, number, number] {
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = start === undefined ? 0 : clampIdx(start);
  const e = end === undefined ? size : clampIdx(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  return [s, len, step];
}

/** x[start:end:step] along dim (Python slicing rules: negative indices, clamped bounds). A view. */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  checkTensor('slice', 'input', x);
  const d = normDim('slice', dim, x.ndim);
  const [s, len, st] = normSlice(x.shape[d]!, start, end, step);
  return sliceView(x, d, s, len, st);
}

function sliceView(x: Tensor, d: number, s: number, len: number, st: number): Tensor {
  const shape = x.shape.slice(), strides = x.strides.slice();
  shape[d] = len;
  strides[d] = x.strides[d]! * st;
  const y = x._restride(shape, strides, x.offset + s * x.strides[d]!);
  record('slice', [x], [y], [], ([g]) => [sliceScatter(g!, x.shape, d, s, len, st)], ([dx]) => [sliceView(dx!, d, s, len, st)]);
  return y;
}

/** The adjoint of slicing: zeros of `shape` with g written into the sliced positions. */
function sliceScatter(g: Tensor, shape: Shape, d: number, s: number, len: number, st: number): Tensor {
  const b = g.backend;
  const out = Tensor.fromData(b, b.alloc(g.dtype, numel(shape)), shape, g.dtype);
  const strides = contiguousStrides(shape);
  const dstShape = shape.slice();
  dstShape[d] = len;
  const dstStrides = strides.slice();
  dstStrides[d] = strides[d]! * st;
  b.assign({ data: out.storage.data, dtype: g.dtype, shape: dstShape, strides: dstStrides, offset: s * strides[d]! }, g.backendView());
  record('sliceBackward', [g], [out], [], ([gg]) => [sliceView(gg!, d, s, len, st)], ([dg]) => [sliceScatter(dg!, shape, d, s, len, st)]);
  return out;
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.ndim);
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (s < 0 || length < 0 || s + length > size) throw new RangeError(`narrow: start ${start} + length ${length} exceeds dimension ${dim} of size ${size}`);
  return slice(x, d, s, s + length);
}

/** x.select(dim, i): the slice at index i with dim removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor('select', 'input', x);
  const d = normDim('select', dim, x.ndim);
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) throw new RangeError(`select: index ${index} is out of range for dimension ${dim} with size ${size}`);
  const i = index < 0 ? index + size : index;
  return squeeze(sliceView(x, d, i, 1, 1), d);
}

/** One entry of an index spec: an integer, null (the whole dim), a [start, end, step] range, '...' or 'newaxis'. */
export type IndexItem = number | null | readonly [number?, number?, number?] | '...' | 'newaxis';

/** x.index([0, null, [1, 3]]) ≈ x[0, :, 1:3] in Python. */
export function index(x: Tensor, spec: readonly IndexItem[]): Tensor {
  checkTensor('index', 'input', x);
  const consumed = spec.filter((s) => s !== '...' && s !== 'newaxis').length;
  if (consumed > x.ndim) throw new Error(`index: too many indices (${consumed}) for a tensor of rank ${x.ndim}`);
  const expanded: IndexItem[] = [];
  for (const s of spec) {
    if (s === '...') for (let k = 0; k < x.ndim - consumed; k++) expanded.push(null);
    else expanded.push(s);
  }
  let y = x;
  let d = 0;
  for (const s of expanded) {
    if (s === null) d++;
    else if (s === 'newaxis') y = unsqueeze(y, d++);
    else if (typeof s === 'number') y = select(y, d, s);
    else if (Array.isArray(s)) { y = slice(y, d, s[0], s[1], s[2] ?? 1); d++; }
    else throw new Error(`index: unsupported index item ${JSON.stringify(s)}`);
  }
  return y;
}

/** cat along dim: the gradient of each input is its slice of g. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('cat: expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const ref = tensors.find((t) => !(t.ndim === 1 && t.numel() === 0)) ?? tensors[0]!;
  const d = normDim('cat', dim, ref.ndim);
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.numel() === 0 && ref.ndim !== 1));
  for (const t of parts) {
    if (t.ndim !== ref.ndim || t.shape.some((s: number, i: number) => i !== d && s !== ref.shape[i])) {
      throw new Error(`cat: sizes of tensors must match except in dimension ${d}; got ${parts.map((p) => fmt(p.shape)).join(', ')}`);
    }
  }
  const dtype = parts.reduce<DType>((acc, t) => promote(acc, t.dtype), parts[0]!.dtype);
  const b = backendOf('cat', ...parts);
  const shape = ref.shape.slice();
  shape[d] = parts.reduce((acc, t) => acc + t.shape[d]!, 0);
  const out = Tensor.fromData(b, b.alloc(dtype, numel(shape)), shape, dtype);
  const strides = contiguousStrides(shape);
  const offsets: number[] = [];
  let off = 0;
  for (const t of parts) {
    offsets.push(off);
    const src = t.dtype === dtype ? t : cast(t, dtype);
    b.assign({ data: out.storage.data, dtype, shape: t.shape, strides, offset: off * strides[d]! }, src.backendView());
    off += t.shape[d]!;
  }
  record('cat', parts, [out], [], ([g]) => parts.map((t, i) => slice(g!, d, offsets[i]!, offsets[i]! + t.shape[d]!)), (ts) => [cat(parts.map((t, i) => ts[i] ?? zerosShaped(t)), d)]);
  return out;
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('stack: expected a non-empty array of tensors');
  const first = tensors[0]!;
  for (const t of tensors) if (!sameShape(t.shape, first.shape)) throw new Error(`stack: expects each tensor to be equal size, got ${tensors.map((t) => fmt(t.shape)).join(', ')}`);
  const d = normDim('stack', dim, first.ndim + 1);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

/** split into pieces of `size` (or the given list of sizes) along dim: views. */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d]!;
  const sizes: number[] = [];
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0) throw new Error(`split: split size must be a positive integer, got ${size}`);
    for (let s = 0; s < n; s += size) sizes.push(Math.min(size, n - s));
  } else {
    if (size.reduce((a, b) => a + b, 0) !== n) throw new Error(`split: sizes ${fmt(size)} do not sum to the dimension size ${n}`);
    sizes.push(...size);
  }
  const out: Tensor[] = [];
  let s = 0;
  for (const k of sizes) { out.push(slice(x, d, s, s + k)); s += k; }
  return out;
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d]! / chunks)), d);
}

provide({ clone, contiguous, view, reshape, flatten, squeeze, unsqueeze, permute, transpose, expand, slice, narrow, select, index, cat, stack, split, chunk });
