/**
 * Index-driven ops, one record each (see define.ts), in adjoint pairs: gather ↔ scatterAdd, indexSelect ↔
 * indexAdd. Each one's backward is the other, so both differentiate any number of times. Indices are int32
 * and never get gradients; the tangent of each op is the same op applied to the tangent of its data.
 */
import { record } from '../autograd/record.js';
import { fmt, normDim, numel, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, rank1 } from './util.js';
import { defineOp, type AssertMethods, type MethodsOf } from './define.js';
import { argError, int, tensor, type ArgSpec } from './args.js';
import { provide } from './registry.js';

/** an int32 index tensor */
function indexArg<const N extends string>(name: N): ArgSpec<Tensor, Tensor, N, false> {
  return {
    name, optional: false,
    check(op, v) {
      if (!(v instanceof Tensor)) throw argError(op, name, 'an int32 Tensor', v);
      if (v.dtype !== 'int32') throw new TypeError(`${op}: index must be an int32 tensor, got ${v.dtype}`);
      return v;
    },
  };
}

/** an output shape: an array of non-negative integers */
function shapeArg<const N extends string>(name: N): ArgSpec<Shape, Shape, N, false> {
  return {
    name, optional: false,
    check(op, v) {
      if (!Array.isArray(v) || !v.every((s) => Number.isInteger(s) && s >= 0)) throw argError(op, name, 'a shape (an array of non-negative integers)', v);
      return v as Shape;
    },
  };
}

/** int32 index tensors the test cases close over (on the backend of the sampled input) */
const idx = (like: Tensor, rows: number[][] | number[]) => {
  const data = (rows as (number | number[])[]).flat() as number[];
  const shape = Array.isArray(rows[0]) ? [rows.length, (rows[0] as number[]).length] : [rows.length];
  return Tensor.fromValues(data, shape, 'int32', like.backend);
};
const arr = (rows: number[][]) => ({ shape: [rows.length, rows[0]!.length], data: rows.flat() });
const gatherIdx1 = [[0, 3], [2, 2], [1, 0]]; // [3,2] into [3,4] along dim 1 (a repeat: gradients add)
const gatherIdx0 = [[2, 0, 1, 1], [0, 0, 2, 1]]; // [2,4] into [3,4] along dim 0
const scatterIdx = [[0, 0], [3, 1], [2, 3]]; // [3,2] into [3,4] along dim 1 (a collision in row 0)

/** out[i][j] = x[index[i][j]][j] (dim 0), torch.gather semantics; dx = scatterAdd of g into x's shape. */
export const gather = defineOp({
  name: 'gather', method: 'gather', args: [tensor('input'), int('dim'), indexArg('index')],
  forward: ({ input: x, dim, index }) => {
    const d = normDim('gather', dim, x.ndim);
    if (index.ndim !== x.ndim) throw new Error(`gather: index ${fmt(index.shape)} must have the same rank as input ${fmt(x.shape)}`);
    for (let i = 0; i < x.ndim; i++) {
      if (i !== d && index.shape[i]! > x.shape[i]!) throw new Error(`gather: index ${fmt(index.shape)} is larger than input ${fmt(x.shape)} in dimension ${i}`);
    }
    const b = backendOf('gather', x, index);
    return Tensor.fromData(b, b.gather(rank1(x.backendView()), d, rank1(index.backendView())), index.shape, x.dtype);
  },
  saves: ['index'],
  vjp: (g, { index, dim, shapes }): { input: Tensor } => ({ input: scatterAdd(shapes.input, normDim('gather', dim, shapes.input.length), index, g) }),
  jvp: (t, { index, dim }): Tensor => gather(t.input, dim, index),
  cases: [
    { label: 'dim 1', shapes: [[3, 4]], call: (f, x) => f(x, 1, idx(x, gatherIdx1)), expect: (R, x) => R.gather(1, arr(gatherIdx1))(x), torch: 'x[0].gather(1, torch.tensor([[0, 3], [2, 2], [1, 0]]))' },
    { label: 'dim 0', shapes: [[3, 4]], call: (f, x) => f(x, 0, idx(x, gatherIdx0)), expect: (R, x) => R.gather(0, arr(gatherIdx0))(x), torch: 'torch.gather(x[0], 0, torch.tensor([[2, 0, 1, 1], [0, 0, 2, 1]]))' },
  ],
});

/** zeros(shape) with src added at index along dim (torch.scatter_add); dsrc = gather of g (the indexed part of src). */
export const scatterAdd = defineOp({
  name: 'scatterAdd', args: [shapeArg('shape'), int('dim'), indexArg('index'), tensor('src')],
  forward: ({ shape, dim, index, src }) => {
    const d = normDim('scatterAdd', dim, shape.length);
    if (index.ndim !== shape.length) throw new Error(`scatterAdd: index ${fmt(index.shape)} must have rank ${shape.length}`);
    for (let i = 0; i < index.ndim; i++) {
      if (index.shape[i]! > src.shape[i]!) throw new Error(`scatterAdd: index ${fmt(index.shape)} is larger than src ${fmt(src.shape)} in dimension ${i}`);
    }
    const b = backendOf('scatterAdd', index, src);
    return Tensor.fromData(b, b.scatterAdd(shape.length ? shape : [1], src.dtype, d, rank1(index.backendView()), rank1(src.backendView())), shape, src.dtype);
  },
  saves: ['index'],
  vjp: (g, { index, dim, shapes }): { src: Tensor } => {
    const gs = gather(g, dim, index);
    // src may be larger than index: only the indexed part of src receives gradient
    return { src: numel(gs.shape) === numel(shapes.src) ? gs : padInto(shapes.src, gs) };
  },
  jvp: (t, { shape, dim, index }): Tensor => scatterAdd(shape, dim, index, t.src),
  cases: [{ label: 'dim 1', shapes: [[3, 2]], call: (f, src) => f([3, 4], 1, idx(src, scatterIdx), src), expect: (R, src) => R.scatterAdd([3, 4], 1, arr(scatterIdx))(src), torch: 'torch.zeros(3, 4).scatter_add(1, torch.tensor([[0, 0], [3, 1], [2, 3]]), x[0])' }],
});

/** Zero-pad gs (a leading block of `shape`) back to `shape` (its adjoint is the leading slice). */
function padInto(shape: Shape, gs: Tensor): Tensor {
  const b = gs.backend;
  const out = Tensor.fromData(b, b.alloc(gs.dtype, numel(shape)), shape, gs.dtype);
  const st = shape.map((_, i) => numel(shape.slice(i + 1)));
  b.assign({ data: out.storage.data, dtype: gs.dtype, shape: gs.shape, strides: st, offset: 0 }, gs.backendView());
  record('padInto', [gs], [out], [], ([g]) => [leading(g!, gs.shape)], ([dg]) => [padInto(shape, dg!)]);
  return out;
}
/** the leading block of `shape` (slices from 0 in every dim) */
function leading(g: Tensor, shape: Shape): Tensor {
  let y = g;
  shape.forEach((s, d) => { if (y.shape[d] !== s) y = y._restride(y.shape.map((v, i) => (i === d ? s : v)), y.strides, y.offset); });
  return y === g ? g : Tensor.fromData(g.backend, g.backend.copy(y.backendView(), g.dtype), shape, g.dtype);
}

/** x.indexSelect(dim, index) for a 0-D/1-D int32 index; dx = indexAdd of g (embedding's scatter-add). */
export const indexSelect = defineOp({
  name: 'indexSelect', method: 'indexSelect', args: [tensor('input'), int('dim'), indexArg('index')],
  forward: ({ input: x, dim, index }) => {
    if (index.ndim > 1) throw new Error(`indexSelect: index must be 0-D or 1-D, got shape ${fmt(index.shape)}`);
    const d = normDim('indexSelect', dim, x.ndim);
    const b = backendOf('indexSelect', x, index);
    const shape = x.shape.slice();
    shape[d] = index.numel();
    return Tensor.fromData(b, b.indexSelect(x.backendView(), d, index.backendView()), shape, x.dtype);
  },
  saves: ['index'],
  vjp: (g, { index, dim, shapes }): { input: Tensor } => ({ input: indexAdd(shapes.input, normDim('indexSelect', dim, shapes.input.length), index, g) }),
  jvp: (t, { index, dim }): Tensor => indexSelect(t.input, dim, index),
  cases: [
    { label: 'dim 0 (repeated index)', shapes: [[3, 4]], call: (f, x) => f(x, 0, idx(x, [2, 0, 2])), expect: (R, x) => R.indexSelect(0, [2, 0, 2])(x), torch: 'x[0].index_select(0, torch.tensor([2, 0, 2]))' },
    { label: 'dim 1', shapes: [[2, 4]], call: (f, x) => f(x, 1, idx(x, [3, 1])), expect: (R, x) => R.indexSelect(1, [3, 1])(x), torch: 'torch.index_select(x[0], 1, torch.tensor([3, 1]))' },
  ],
});

/** zeros(shape).index_add(dim, index, src); dsrc = indexSelect of g. */
export const indexAdd = defineOp({
  name: 'indexAdd', args: [shapeArg('shape'), int('dim'), indexArg('index'), tensor('src')],
  forward: ({ shape, dim, index, src }) => {
    const d = normDim('indexAdd', dim, shape.length);
    const expected = shape.slice();
    expected[d] = index.numel();
    if (src.ndim !== shape.length || src.shape.some((s, i) => s !== expected[i])) {
      throw new Error(`indexAdd: src must have shape ${fmt(expected)}, got ${fmt(src.shape)}`);
    }
    const b = backendOf('indexAdd', index, src);
    return Tensor.fromData(b, b.indexAdd(shape, src.dtype, d, index.backendView(), src.backendView()), shape, src.dtype);
  },
  saves: ['index'],
  vjp: (g, { index, dim }): { src: Tensor } => ({ src: indexSelect(g, dim, index) }),
  jvp: (t, { shape, dim, index }): Tensor => indexAdd(shape, dim, index, t.src),
  cases: [{ label: 'dim 0', shapes: [[3, 3]], call: (f, src) => f([4, 3], 0, idx(src, [0, 2, 0]), src), expect: (R, src) => R.indexAdd([4, 3], 0, [0, 2, 0])(src), torch: 'torch.zeros(4, 3).index_add(0, torch.tensor([0, 2, 0]), x[0])' }],
});

// every export is a record whose Tensor method has its name, except these (no method)
type NoMethod = 'scatterAdd' | 'indexAdd';
type Methods = MethodsOf<typeof import('./indexing.js'), NoMethod>;
declare module '../tensor.js' {
  // the methods defineOp attaches above, typed from the records
  interface Tensor extends Methods {}
}
// compiles only when those names agree with the records (a new export without a method joins NoMethod)
const methodsAgree: AssertMethods<typeof import('./indexing.js'), NoMethod> = true;
void methodsAgree;

provide({ gather, scatterAdd, indexSelect, indexAdd });
