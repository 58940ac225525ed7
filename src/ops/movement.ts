/**
 * Shape and movement ops, one record each (see define.ts). Views (reshape of contiguous data, permute, transpose, expand, slice, select,
 * squeeze, unsqueeze) share storage and only change strides; their backward is the inverse movement,
 * and the backward of a linear movement is again a linear movement (JAX's habit), so it differentiates again.
 */
import { promote, type DType } from '../dtype.js';
import { record } from '../autograd/record.js';
import { contiguousStrides, fmt, normDim, numel, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, checkTensor } from './util.js';
import { cast } from './elementwise.js';
import { ops, provide } from './registry.js';
import { sumToShape } from './sumToShape.js';
import { defineOp, type Method, type AssertMethods, type MethodsOf } from './define.js';
import { describeValue, dims, int, shapeRest, tensor, tensorList } from './args.js';

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

/** A fresh contiguous copy: dx = g; ẏ = ẋ. */
export const clone = defineOp({
  name: 'clone', method: 'clone', args: [tensor('input')],
  forward: ({ input: x }) => {
    const b = x.backend;
    return Tensor.fromData(b, b.copy(x.backendView(), x.dtype), x.shape, x.dtype);
  },
  vjp: (g) => ({ input: g }),
  jvp: 'linear',
  cases: [{ shapes: [[3, 4]], ref: (x) => x, torch: 'x[0].clone()' }],
});

/** x itself when its data is contiguous, else a contiguous copy (clone) */
export const contiguous = defineOp({
  name: 'contiguous', method: 'contiguous', args: [tensor('input')], composite: true,
  forward: ({ input: x }) => (x.isContiguous() ? x : clone(x)),
  cases: [
    { shapes: [[3, 4]], ref: (x) => x, torch: 'x[0].contiguous()' },
    { label: 'of a transpose', shapes: [[3, 4]], call: (f, x) => f(x.T), expect: (R, x) => R.permute([1, 0])(x), torch: 'x[0].T.contiguous()' },
  ],
});

/** view: same storage, new shape; requires contiguous data (PyTorch's rule), otherwise use reshape. dx = reshape(g); ẏ = view(ẋ). */
export const view = defineOp({
  name: 'view', method: 'view', args: [tensor('input'), shapeRest('shape')],
  forward: ({ input: x, shape }) => {
    const target = inferShape('view', shape, x.numel(), x.shape);
    if (!x.isContiguous()) {
      throw new Error(`view: size ${fmt(target)} is not compatible with input tensor's size and stride ${fmt(x.shape)}/${fmt(x.strides)} (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.`);
    }
    return x._restride(target, contiguousStrides(target), x.offset);
  },
  vjp: (g, { shapes }): { input: Tensor } => ({ input: reshape(g, shapes.input) }),
  jvp: (t, { result }): Tensor => reshape(t.input, result.shape),
  cases: [{ shapes: [[3, 4]], call: (f, x) => f(x, 2, 6), expect: (R, x) => R.reshape([2, 6])(x), contiguousOnly: true, torch: 'x[0].view(2, 6)' }],
});

/** reshape: a view when the data is contiguous, a copy otherwise. dx = reshape(g, x.shape); ẏ = reshape(ẋ). */
export const reshape = defineOp({
  name: 'reshape', method: 'reshape', args: [tensor('input'), shapeRest('shape')],
  forward: ({ input: x, shape }) => {
    const target = inferShape('reshape', shape, x.numel(), x.shape);
    if (sameShape(target, x.shape)) return x;
    const c = x.isContiguous() ? x : Tensor.fromData(x.backend, x.backend.copy(x.backendView(), x.dtype), x.shape, x.dtype);
    return c._restride(target, contiguousStrides(target), c.offset);
  },
  vjp: (g, { shapes }): { input: Tensor } => ({ input: reshape(g, shapes.input) }),
  jvp: (t, { result }): Tensor => reshape(t.input, result.shape),
  cases: [
    { shapes: [[2, 3, 4]], call: (f, x) => f(x, 6, 4), expect: (R, x) => R.reshape([6, 4])(x), torch: 'x[0].reshape(6, 4)' },
    { label: 'with -1', shapes: [[2, 3, 2]], call: (f, x) => f(x, [-1, 3]), expect: (R, x) => R.reshape([4, 3])(x), torch: 'x[0].reshape(-1, 3)' },
  ],
});

/** flatten dims startDim..endDim into one (a reshape) */
export const flatten = defineOp({
  name: 'flatten', method: 'flatten', args: [tensor('input'), int('startDim', 0), int('endDim', -1)], composite: true,
  forward: ({ input: x, startDim, endDim }) => {
    if (x.ndim === 0) return reshape(x, [1]);
    const s = normDim('flatten', startDim, x.ndim), e = normDim('flatten', endDim, x.ndim);
    if (s > e) throw new Error(`flatten: startDim ${startDim} must not come after endDim ${endDim}`);
    return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
  },
  cases: [
    { shapes: [[2, 3, 4]], expect: (R, x) => R.reshape([24])(x), torch: 'x[0].flatten()' },
    { label: '(1)', shapes: [[2, 3, 4]], call: (f, x) => f(x, 1), expect: (R, x) => R.reshape([2, 12])(x), torch: 'x[0].flatten(1)' },
  ],
});

/** squeeze: drop size-1 dims (all, or those listed); a view. dx = reshape(g, x.shape); ẏ = reshape(ẋ). */
export const squeeze = defineOp({
  name: 'squeeze', method: 'squeeze', args: [tensor('input'), dims('dim')],
  forward: ({ input: x, dim }) => {
    const dl = dim === undefined ? x.shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0) : (typeof dim === 'number' ? [dim] : dim).map((d) => normDim('squeeze', d, x.ndim));
    const keep = x.shape.map((_, i) => !(dl.includes(i) && x.shape[i] === 1));
    return x._restride(x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]), x.offset);
  },
  vjp: (g, { shapes }): { input: Tensor } => ({ input: reshape(g, shapes.input) }),
  jvp: (t, { result }): Tensor => reshape(t.input, result.shape),
  cases: [
    { shapes: [[3, 1, 4]], expect: (R, x) => R.reshape([3, 4])(x), torch: 'x[0].squeeze()' },
    { label: '(1)', shapes: [[3, 1, 4, 1]], call: (f, x) => f(x, 1), expect: (R, x) => R.reshape([3, 4, 1])(x), torch: 'x[0].squeeze(1)' },
  ],
});

/** unsqueeze: a new size-1 dim at dim; a view. dx = reshape(g, x.shape); ẏ = reshape(ẋ). */
export const unsqueeze = defineOp({
  name: 'unsqueeze', method: 'unsqueeze', args: [tensor('input'), int('dim')],
  forward: ({ input: x, dim }) => {
    const d = normDim('unsqueeze', dim, x.ndim + 1);
    const shape = x.shape.slice(), strides = x.strides.slice();
    shape.splice(d, 0, 1);
    strides.splice(d, 0, d < x.ndim ? x.strides[d]! * x.shape[d]! : 1);
    return x._restride(shape, strides, x.offset);
  },
  vjp: (g, { shapes }): { input: Tensor } => ({ input: reshape(g, shapes.input) }),
  jvp: (t, { result }): Tensor => reshape(t.input, result.shape),
  cases: [
    { label: '(0)', shapes: [[3, 4]], call: (f, x) => f(x, 0), expect: (R, x) => R.reshape([1, 3, 4])(x), torch: 'x[0].unsqueeze(0)' },
    { label: '(-1)', shapes: [[3, 4]], call: (f, x) => f(x, -1), expect: (R, x) => R.reshape([3, 4, 1])(x), torch: 'x[0].unsqueeze(-1)' },
  ],
});

/** permute(dims): a strided view; dx = permute(g, p⁻¹); ẏ = permute(ẋ, p). */
export const permute = defineOp({
  name: 'permute', method: 'permute', args: [tensor('input'), shapeRest('dims')],
  forward: ({ input: x, dims: given }) => {
    const p = given.map((d) => normDim('permute', d, x.ndim));
    if (p.length !== x.ndim || new Set(p).size !== p.length) {
      throw new Error(`permute: dims ${fmt(given)} is not a permutation of the ${x.ndim} dimensions of a tensor of shape ${fmt(x.shape)}`);
    }
    return x._restride(p.map((d) => x.shape[d]!), p.map((d) => x.strides[d]!), x.offset);
  },
  vjp: (g, { dims: given, shapes }): { input: Tensor } => {
    const n = shapes.input.length;
    const inv = new Array<number>(n);
    given.forEach((d, i) => (inv[d < 0 ? d + n : d] = i));
    return { input: permute(g, inv) };
  },
  jvp: 'linear',
  cases: [{ shapes: [[2, 3, 4]], call: (f, x) => f(x, 2, 0, 1), expect: (R, x) => R.permute([2, 0, 1])(x), torch: 'x[0].permute(2, 0, 1)' }],
});

/** swap two dims (a permute); a ≤ 1-D tensor with the default dims is returned as is */
export const transpose = defineOp({
  name: 'transpose', method: 'transpose', args: [tensor('input'), int('dim0', -2), int('dim1', -1)], composite: true,
  forward: ({ input: x, dim0, dim1 }) => {
    if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return x;
    const a = normDim('transpose', dim0, x.ndim), b = normDim('transpose', dim1, x.ndim);
    const p = [...Array(x.ndim).keys()];
    p[a] = b;
    p[b] = a;
    return permute(x, p);
  },
  cases: [
    { shapes: [[3, 4]], call: (f, x) => f(x, 0, 1), expect: (R, x) => R.permute([1, 0])(x), torch: 'x[0].transpose(0, 1)' },
    { label: '3-D (0,2)', shapes: [[2, 3, 4]], call: (f, x) => f(x, 0, 2), expect: (R, x) => R.permute([2, 1, 0])(x), torch: 'x[0].transpose(0, 2)' },
    { label: '.T', shapes: [[3, 4]], call: (_, x) => x.T, expect: (R, x) => R.permute([1, 0])(x), torch: 'x[0].T' },
  ],
});

/** expand: broadcast size-1 dims (and new leading dims) with stride 0; dx = g summed back to x's shape; ẏ = expand(ẋ). */
export const expand = defineOp({
  name: 'expand', method: 'expand', args: [tensor('input'), shapeRest('shape')],
  forward: ({ input: x, shape: target }) => {
    if (target.length < x.ndim) throw new Error(`expand: the target shape ${fmt(target)} has fewer dimensions than the tensor's ${fmt(x.shape)}`);
    const lead = target.length - x.ndim;
    const strides: number[] = [];
    const out: number[] = [];
    for (let i = 0; i < target.length; i++) {
      const j = i - lead;
      const src = j >= 0 ? x.shape[j]! : 1;
      if (target[i] === -1 && j < 0) throw new Error(`expand: the size -1 (keep the existing size) is not allowed in a new leading dimension ${i} (tensor ${fmt(x.shape)} to ${fmt(target)})`);
      if (target[i]! < -1) throw new Error(`expand: sizes must be non-negative or -1, got ${target[i]} at dimension ${i} (tensor ${fmt(x.shape)} to ${fmt(target)})`);
      const t = target[i] === -1 ? src : target[i]!;
      if (j >= 0 && src !== t && src !== 1) {
        throw new Error(`expand: the expanded size ${t} must match the existing size ${src} at dimension ${i} (tensor ${fmt(x.shape)} to ${fmt(target)})`);
      }
      out.push(t);
      strides.push(j < 0 || (src === 1 && t !== 1) ? 0 : x.strides[j]!);
    }
    if (sameShape(out, x.shape)) return x;
    return x._restride(out, strides, x.offset);
  },
  vjp: (g, { shapes }): { input: Tensor } => ({ input: sumToShape(g, shapes.input) }),
  jvp: (t, { result }): Tensor => expand(t.input, result.shape),
  cases: [
    { label: '[3,1]→[3,4]', shapes: [[3, 1]], call: (f, x) => f(x, 3, 4), expect: (R, x) => R.expand([3, 4])(x), torch: 'x[0].expand(3, 4)' },
    { label: '[4]→[2,3,4]', shapes: [[4]], call: (f, x) => f(x, [2, 3, 4]), expect: (R, x) => R.expand([2, 3, 4])(x), torch: 'x[0].expand(2, 3, 4)' },
    { label: 'then mul (stride-0 reuse)', shapes: [[3, 1]], call: (f, x) => f(x, 3, 4).mul(f(x, 3, 4)), expect: (R, x) => R.expand([3, 4])(R.un((v) => v * v)(x)), torch: 'x[0].expand(3, 4) * x[0].expand(3, 4)' },
  ],
});

/** expand to other's shape (a method only, as in PyTorch) */
const expandAs = defineOp({
  name: 'expandAs', method: 'expandAs', args: [tensor('input'), tensor('other')], composite: true,
  forward: ({ input, other }) => expand(input, other.shape),
  cases: [{ shapes: [[3, 1], [3, 4]], expect: (R, x) => R.expand([3, 4])(x), torch: 'x[0].expand_as(x[1])' }],
});

function normSlice(size: number, start: number | undefined, end: number | undefined, step: number): [number, number, number] {
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = start === undefined ? 0 : clampIdx(start);
  const e = end === undefined ? size : clampIdx(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  return [s, len, step];
}

function sliceRaw(x: Tensor, d: number, s: number, len: number, st: number): Tensor {
  const shape = x.shape.slice(), strides = x.strides.slice();
  shape[d] = len;
  strides[d] = x.strides[d]! * st;
  return x._restride(shape, strides, x.offset + s * x.strides[d]!);
}

/**
 * x[start:end:step] along dim (Python slicing rules: negative indices, clamped bounds). A view.
 * dx = g written into zeros at the sliced positions (sliceScatter); ẏ = the same slice of ẋ.
 */
export const slice = defineOp({
  name: 'slice', method: 'slice', args: [tensor('input'), int('dim'), optIntArg('start'), optIntArg('end'), int('step', 1)],
  forward: ({ input: x, dim, start, end, step }) => {
    const d = normDim('slice', dim, x.ndim);
    const [s, len, st] = normSlice(x.shape[d]!, start, end, step);
    return sliceRaw(x, d, s, len, st);
  },
  vjp: (g, { dim, start, end, step, shapes }) => {
    const d = normDim('slice', dim, shapes.input.length);
    const [s, len, st] = normSlice(shapes.input[d]!, start, end, step);
    return { input: sliceScatter(g, shapes.input, d, s, len, st) };
  },
  jvp: 'linear',
  cases: [
    { shapes: [[3, 5]], call: (f, x) => f(x, 1, 1, 4), expect: (R, x) => R.slice(1, 1, 3)(x), torch: 'x[0][:, 1:4]' },
    { label: 'with step', shapes: [[3, 6]], call: (f, x) => f(x, 1, 0, 6, 2), expect: (R, x) => R.slice(1, 0, 3, 2)(x), torch: 'x[0][:, 0:6:2]' },
    { label: 'negative start, step 3', shapes: [[7, 2]], call: (f, x) => f(x, 0, -5, undefined, 3), expect: (R, x) => R.slice(0, 2, 2, 3)(x), torch: 'x[0][-5::3]' },
  ],
});

/** an optional integer (slice bounds): undefined or null when open */
function optIntArg<const N extends string>(name: N) {
  return {
    name, optional: true as const,
    check(op: string, v: unknown): number | undefined {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: argument '${name}' must be an integer or undefined, got ${describeValue(v)}`);
      return v;
    },
  } as import('./args.js').ArgSpec<number | null | undefined, number | undefined, N, true>;
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
  record('sliceBackward', [g], [out], [], ([gg]) => [slice(gg!, d, s, s + len * st, st)], ([dg]) => [sliceScatter(dg!, shape, d, s, len, st)]);
  return out;
}

/** length elements of dim from start (a slice) */
export const narrow = defineOp({
  name: 'narrow', method: 'narrow', args: [tensor('input'), int('dim'), int('start'), int('length')], composite: true,
  forward: ({ input: x, dim, start, length }) => {
    const d = normDim('narrow', dim, x.ndim);
    const size = x.shape[d]!;
    const s = start < 0 ? start + size : start;
    if (s < 0 || length < 0 || s + length > size) throw new RangeError(`narrow: start ${start} + length ${length} exceeds dimension ${dim} of size ${size}`);
    return slice(x, d, s, s + length);
  },
  cases: [{ shapes: [[4, 3]], call: (f, x) => f(x, 0, 1, 2), expect: (R, x) => R.slice(0, 1, 2)(x), torch: 'x[0].narrow(0, 1, 2)' }],
});

/** x.select(dim, i): the slice at index i with dim removed. */
export const select = defineOp({
  name: 'select', method: 'select', args: [tensor('input'), int('dim'), int('index')], composite: true,
  forward: ({ input: x, dim, index: i0 }) => {
    const d = normDim('select', dim, x.ndim);
    const size = x.shape[d]!;
    if (i0 < -size || i0 >= size) throw new RangeError(`select: index ${i0} is out of range for dimension ${dim} with size ${size}`);
    const i = i0 < 0 ? i0 + size : i0;
    return squeeze(slice(x, d, i, i + 1), d);
  },
  cases: [
    { shapes: [[3, 4]], call: (f, x) => f(x, 1, 2), expect: (R, x) => R.reshape([3])(R.slice(1, 2, 1)(x)), torch: 'x[0].select(1, 2)' },
    { label: 'negative index', shapes: [[3, 4]], call: (f, x) => f(x, 0, -1), expect: (R, x) => R.reshape([4])(R.slice(0, 2, 1)(x)), torch: 'x[0].select(0, -1)' },
  ],
});

/** cat along dim: the gradient of each input is its slice of g; ẏ = cat of the tangents. */
export const cat = defineOp({
  name: 'cat', args: [tensorList('tensors'), int('dim', 0)],
  forward: ({ tensors, dim }) => {
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
    let off = 0;
    for (const t of parts) {
      const src = t.dtype === dtype ? t : noGradCast(t, dtype);
      b.assign({ data: out.storage.data, dtype, shape: t.shape, strides, offset: off * strides[d]! }, src.backendView());
      off += t.shape[d]!;
    }
    return out;
  },
  vjp: (g, { dim, shapes }) => {
    const list = shapes.tensors as unknown as Shape[];
    const ref = list.find((s) => !(s.length === 1 && s[0] === 0)) ?? list[0]!;
    const d = normDim('cat', dim, ref.length);
    let off = 0;
    return {
      tensors: list.map((s) => {
        // an empty 1-D input takes no part: its gradient is empty too (a constant: nothing flows through it)
        if (s.length === 1 && s[0] === 0 && ref.length !== 1) return Tensor.fromData(g.backend, g.backend.alloc(g.dtype, 0), [0], g.dtype);
        const gi = slice(g, d, off, off + s[d]!);
        off += s[d]!;
        return gi;
      }),
    } as never;
  },
  jvp: 'linear',
  cases: [
    { label: 'dim 0', shapes: [[2, 3], [4, 3]], call: (f, x, y) => f([x, y], 0), expect: (R, x, y) => R.cat(0)(x, y), torch: 'torch.cat([x[0], x[1]], 0)' },
    { label: 'dim 1 (three inputs)', shapes: [[2, 1], [2, 3], [2, 2]], call: (f, x, y, z) => f([x, y, z], 1), expect: (R, x, y, z) => R.cat(1)(x, y, z), torch: 'torch.cat(x, 1)' },
    { label: 'same tensor twice', shapes: [[2, 3]], call: (f, x) => f([x, x.mul(2)], -1), expect: (R, x) => R.cat(1)(x, R.un((v) => 2 * v)(x)), torch: 'torch.cat([x[0], x[0] * 2], -1)' },
  ],
});

/** cast without a graph node (cat's inputs of a narrower dtype; the gradient is cast back by the engine's dtype rule) */
function noGradCast(t: Tensor, dtype: DType): Tensor {
  const b = t.backend;
  return Tensor.fromData(b, b.copy(t.backendView(), dtype), t.shape, dtype);
}

/** stack along a new dim (cat of unsqueezed inputs) */
export const stack = defineOp({
  name: 'stack', args: [tensorList('tensors'), int('dim', 0)], composite: true,
  forward: ({ tensors, dim }) => {
    const first = tensors[0]!;
    for (const t of tensors) if (!sameShape(t.shape, first.shape)) throw new Error(`stack: expects each tensor to be equal size, got ${tensors.map((t) => fmt(t.shape)).join(', ')}`);
    const d = normDim('stack', dim, first.ndim + 1);
    return cat(tensors.map((t) => unsqueeze(t, d)), d);
  },
  cases: [
    { label: 'dim 0', shapes: [[2, 3], [2, 3]], call: (f, x, y) => f([x, y]), expect: (R, x, y) => R.cat(0)(R.reshape([1, 2, 3])(x), R.reshape([1, 2, 3])(y)), torch: 'torch.stack(x)' },
    { label: 'dim 2', shapes: [[2, 3], [2, 3]], call: (f, x, y) => f([x, y], 2), expect: (R, x, y) => R.cat(2)(R.reshape([2, 3, 1])(x), R.reshape([2, 3, 1])(y)), torch: 'torch.stack(x, 2)' },
  ],
});

/** split into pieces of `size` (or the given list of sizes) along dim: views. */
export const split = defineOp({
  name: 'split', method: 'split', args: [tensor('input'), sizesArg('size'), int('dim', 0)], composite: true,
  forward: ({ input: x, size, dim }): Tensor[] => {
    const d = normDim('split', dim, x.ndim);
    const n = x.shape[d]!;
    const sizes: number[] = [];
    if (typeof size === 'number') {
      if (!Number.isInteger(size) || size <= 0) throw new Error(`split: split size must be a positive integer, got ${size}`);
      for (let s = 0; s < n; s += size) sizes.push(Math.min(size, n - s));
      if (n === 0) sizes.push(0); // an empty dim splits into one empty piece, as PyTorch
    } else {
      if (size.reduce((a, b) => a + b, 0) !== n) throw new Error(`split: sizes ${fmt(size)} do not sum to the dimension size ${n}`);
      sizes.push(...size);
    }
    const out: Tensor[] = [];
    let s = 0;
    for (const k of sizes) { out.push(slice(x, d, s, s + k)); s += k; }
    return out;
  },
  cases: [
    { label: 'size 2', shapes: [[3, 5]], call: (f, x) => f(x, 2, 1), expect: (R, x) => [R.slice(1, 0, 2)(x), R.slice(1, 2, 2)(x), R.slice(1, 4, 1)(x)], torch: 'x[0].split(2, 1)' },
    { label: 'sizes [1,3]', shapes: [[4, 2]], call: (f, x) => f(x, [1, 3], 0), expect: (R, x) => [R.slice(0, 0, 1)(x), R.slice(0, 1, 3)(x)], torch: 'torch.split(x[0], [1, 3], 0)' },
  ],
});

/** split's size: one positive integer or a list of sizes */
function sizesArg<const N extends string>(name: N) {
  return {
    name, optional: false as const,
    check(op: string, v: unknown): number | readonly number[] {
      if (typeof v === 'number') return v;
      if (Array.isArray(v) && v.every((k) => typeof k === 'number' && Number.isInteger(k))) return v as number[];
      throw new TypeError(`${op}: argument '${name}' must be an integer or an array of integers, got ${describeValue(v)}`);
    },
  } as import('./args.js').ArgSpec<number | readonly number[], number | readonly number[], N, false>;
}

/** chunks pieces of (nearly) equal size along dim */
export const chunk = defineOp({
  name: 'chunk', method: 'chunk', args: [tensor('input'), int('chunks'), int('dim', 0)], composite: true,
  forward: ({ input: x, chunks, dim }): Tensor[] => {
    if (chunks <= 0) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
    const d = normDim('chunk', dim, x.ndim);
    // an empty dim gives `chunks` empty pieces, as PyTorch (split would give none)
    if (x.shape[d] === 0) return Array.from({ length: chunks }, () => slice(x, d, 0, 0));
    return split(x, Math.ceil(x.shape[d]! / chunks), d);
  },
  cases: [{ label: '3', shapes: [[6, 2]], call: (f, x) => f(x, 3, 0), expect: (R, x) => [R.slice(0, 0, 2)(x), R.slice(0, 2, 2)(x), R.slice(0, 4, 2)(x)], torch: 'x[0].chunk(3, 0)' }],
});

type ShapeMethod = (...shape: number[] | [readonly number[]]) => Tensor;
// every export is a record whose Tensor method has its name, except these (no method)
type NoMethod = 'cat' | 'stack';
type Methods = MethodsOf<typeof import('./movement.js'), NoMethod | 'view' | 'reshape' | 'permute' | 'expand'> & {
  // a shape as the rest of the arguments (shapeRest): reshape(2, 3) or reshape([2, 3])
  view: ShapeMethod; reshape: ShapeMethod; permute: ShapeMethod; expand: ShapeMethod;
  // a record that is a method only (no nb.expandAs)
  expandAs: Method<typeof expandAs>;
};
declare module '../tensor.js' {
  // the methods defineOp attaches above, typed from the records
  interface Tensor extends Methods {}
}
// compiles only when those names agree with the records (a new export without a method joins NoMethod)
const methodsAgree: AssertMethods<typeof import('./movement.js'), NoMethod> = true;
void methodsAgree;

provide({ clone, contiguous, view, reshape, flatten, squeeze, unsqueeze, permute, transpose, expand, slice, narrow, select, cat, stack, split, chunk });
