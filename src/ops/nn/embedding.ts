/**
 * Embedding lookup as an op record (see ../define.ts): rows of weight selected by int32 indices of any shape,
 * out[..., :] = weight[indices[...], :]. Backward scatter-adds (indexAdd) the gradient rows into weight's shape;
 * the paddingIdx row receives none (PyTorch: that row is a constant of the lookup). The tangent is the same
 * lookup of ẇ, with the paddingIdx rows 0 to match (⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩).
 */
import { fmt } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { cast, mul, ne } from '../elementwise.js';
import { indexAdd, indexSelect } from '../indexing.js';
import { reshape, unsqueeze } from '../movement.js';
import { backendOf } from '../util.js';
import { checkFloat, checkIndexRange, checkInt } from './_util.js';
import { defineOp } from '../define.js';
import { optNum, options, tensor } from '../args.js';

/** g (or ẇ's rows) with the rows looked up at paddingIdx set to 0 */
const maskPadding = (rows: Tensor, flat: Tensor, pad: number | null) => (pad === null ? rows : mul(rows, unsqueeze(cast(ne(flat, pad), rows.dtype), 1)));

/** paddingIdx in [0, V) (a negative one counts from the end), or null */
function paddingOf(pad: number | null, weight: Tensor): number | null {
  if (pad === null) return null;
  const V = weight.shape[0]!;
  if (!Number.isInteger(pad) || pad < -V || pad >= V) throw new RangeError(`embedding: paddingIdx ${pad} must be within [${-V}, ${V}) for weight ${fmt(weight.shape)}`);
  return pad < 0 ? pad + V : pad;
}

const idx = (like: Tensor, v: number[], shape: number[]) => Tensor.fromValues(v, shape, 'int32', like.backend);
const rowsRef = (w: { shape: number[]; data: number[] }, ids: number[], shape: number[]) => {
  const D = w.shape[1]!;
  return { shape: [...shape, D], data: ids.flatMap((i) => w.data.slice(i * D, i * D + D)) };
};

export const embedding = defineOp({
  name: 'embedding',
  args: [tensor('indices'), tensor('weight'), options('options', { paddingIdx: optNum('paddingIdx') })],
  forward: ({ indices, weight, options: { paddingIdx } }) => {
    const op = 'embedding';
    checkInt(op, 'indices', indices);
    checkFloat(op, 'weight', weight);
    if (weight.ndim !== 2) throw new Error(`${op}: weight ${fmt(weight.shape)} must be 2-D [numEmbeddings, embeddingDim]`);
    const [V, D] = weight.shape as [number, number];
    paddingOf(paddingIdx, weight);
    checkIndexRange(op, 'index', indices, V);
    const flat = indices.isContiguous() ? indices : indices.contiguous();
    const b = backendOf(op, weight, flat);
    const data = b.indexSelect(weight.backendView(), 0, { ...flat.backendView(), shape: [flat.numel()], strides: [1] });
    return Tensor.fromData(b, data, [...indices.shape, D], weight.dtype);
  },
  saves: ['indices'],
  vjp: (g, { indices, shapes, options: { paddingIdx } }) => {
    const flat = reshape(indices, [indices.numel()]);
    const D = shapes.weight[1]!;
    const pad = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + shapes.weight[0]! : paddingIdx;
    return { weight: indexAdd(shapes.weight, 0, flat, maskPadding(reshape(g, [flat.numel(), D]), flat, pad)) };
  },
  jvp: (t, { indices, weight, options: { paddingIdx } }) => {
    const flat = reshape(indices, [indices.numel()]);
    const rows = maskPadding(indexSelect(t.weight, 0, flat), flat, paddingOf(paddingIdx, weight));
    return reshape(rows, [...indices.shape, weight.shape[1]!]);
  },
  cases: [
    {
      label: 'indices [2, 3] (repeats: gradients add)', shapes: [[5, 3]], call: (f, w) => f(idx(w, [1, 4, 1, 0, 2, 1], [2, 3]), w),
      expect: (_R, w) => rowsRef(w, [1, 4, 1, 0, 2, 1], [2, 3]),
      torch: 'F.embedding(torch.tensor([[1, 4, 1], [0, 2, 1]]), x[0])',
    },
    {
      // the padding row (0) is looked up but gets no gradient: Σ w·out with w = 1, 2, … gives row 2 [1+5, 2+6]
      label: 'paddingIdx 0', shapes: [[4, 2]], values: [[0.5, -1, 2, 0.25, -0.75, 1.5, 3, -2]], gradWant: [[0, 0, 0, 0, 6, 8, 0, 0]],
      call: (f, w) => f(idx(w, [2, 0, 2], [3]), w, { paddingIdx: 0 }), expect: (_R, w) => rowsRef(w, [2, 0, 2], [3]),
      torch: 'F.embedding(torch.tensor([2, 0, 2]), x[0], padding_idx=0)',
    },
  ],
});
