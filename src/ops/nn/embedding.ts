/**
 * Embedding lookup: rows of weight selected by int32 indices of any shape. Backward
 * scatter-adds (indexAdd) the gradient rows into weight's shape; the paddingIdx row receives none.
 */
import { record } from '../../autograd/record.js';
import { fmt } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { cast, mul, ne } from '../elementwise.js';
import { indexAdd, indexSelect } from '../indexing.js';
import { reshape, unsqueeze } from '../movement.js';
import { backendOf } from '../util.js';
import { checkFloat, checkIndexRange, checkInt, checkTensorArg } from './_util.js';

export function embedding(indices: Tensor, weight: Tensor, opts: { paddingIdx?: number | null } = {}): Tensor {
  const op = 'embedding';
  checkTensorArg(op, 'indices', indices);
  checkTensorArg(op, 'weight', weight);
  checkInt(op, 'indices', indices);
  checkFloat(op, 'weight', weight);
  if (weight.ndim !== 2) throw new Error(`${op}: weight ${fmt(weight.shape)} must be 2-D [numEmbeddings, embeddingDim]`);
  const [V, D] = weight.shape as [number, number];
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad < -V || pad >= V) throw new RangeError(`${op}: paddingIdx ${pad} must be within [${-V}, ${V}) for weight ${fmt(weight.shape)}`);
    if (pad < 0) pad += V;
  }
  checkIndexRange(op, 'index', indices, V);
  const flat = reshape(indices, [indices.numel()]);
  const b = backendOf(op, weight, flat);
  const rows = Tensor.fromData(b, b.indexSelect(weight.backendView(), 0, flat.backendView()), [flat.numel(), D], weight.dtype);
  const padIdx = pad;
  record(op, [weight], [rows], [flat], ([g], [idx]) => {
    const gg = padIdx === null ? g! : mul(g!, unsqueeze(cast(ne(idx!, padIdx), g!.dtype), 1));
    return [indexAdd(weight.shape, 0, idx!, gg)];
  }, ([dw]) => [indexSelect(dw!, 0, flat)]);
  return reshape(rows, [...indices.shape, D]);
}
