/**
 * Index-driven ops, in adjoint pairs: gather ↔ scatterAdd, indexSelect ↔ indexAdd. Each one's backward
 * is the other, so both differentiate any number of times. Indices are int32 and never get gradients.
 */
import { record } from '../autograd/record.js';
import { fmt, normDim, numel, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, checkTensor } from './util.js';
import { provide } from './registry.js';

function checkIndexTensor(op: string, index: Tensor): void {
  checkTensor(op, 'index', index);
  if (index.dtype !== 'int32') throw new TypeError(`${op}: index must be an int32 tensor, got ${index.dtype}`);
}

/** out[i][j] = x[index[i][j]][j] (dim 0), torch.gather semantics; backward scatter-adds g into x's shape. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'input', x);
  checkIndexTensor('gather', index);
  const d = normDim('gather', dim, x.ndim);
  if (index.ndim !== x.ndim) throw new Error(`gather: index ${fmt(index.shape)} must have the same rank as input ${fmt(x.shape)}`);
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i]! > x.shape[i]!) throw new Error(`gather: index ${fmt(index.shape)} is larger than input ${fmt(x.shape)} in dimension ${i}`);
  }
  const b = backendOf('gather', x, index);
  const y = Tensor.fromData(b, b.gather(x.backendView(), d, index.backendView()), index.shape, x.dtype);
  record('gather', [x], [y], [index], ([g], [idx]) => [scatterAdd(x.shape, d, idx!, g!)], ([dx]) => [gather(dx!, d, index)]);
  return y;
}

/** zeros(shape) with src added at index along dim (torch.scatter_add); backward gathers. */
export function scatterAdd(shape: Shape, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndexTensor('scatterAdd', index);
  checkTensor('scatterAdd', 'src', src);
  const d = normDim('scatterAdd', dim, shape.length);
  if (index.ndim !== shape.length) throw new Error(`scatterAdd: index ${fmt(index.shape)} must have rank ${shape.length}`);
  for (let i = 0; i < index.ndim; i++) {
    if (index.shape[i]! > src.shape[i]!) throw new Error(`scatterAdd: index ${fmt(index.shape)} is larger than src ${fmt(src.shape)} in dimension ${i}`);
  }
  const b = backendOf('scatterAdd', index, src);
  const y = Tensor.fromData(b, b.scatterAdd(shape, src.dtype, d, index.backendView(), src.backendView()), shape, src.dtype);
  record('scatterAdd', [src], [y], [index], ([g], [idx]) => {
    const gs = gather(g!, d, idx!);
    // src may be larger than index: only the indexed part of src receives gradient
    if (numel(gs.shape) === numel(src.shape)) return [gs];
    return [scatterAddInto(src.shape, gs)];
  }, ([ds]) => [scatterAdd(shape, d, index, ds!)]);
  return y;
}

/** Zero-pad gs (a leading block of `shape`) back to `shape`. */
function scatterAddInto(shape: Shape, gs: Tensor): Tensor {
  const b = gs.backend;
  const out = Tensor.fromData(b, b.alloc(gs.dtype, numel(shape)), shape, gs.dtype);
  const st = shape.map((_, i) => numel(shape.slice(i + 1)));
  b.assign({ data: out.storage.data, dtype: gs.dtype, shape: gs.shape, strides: st, offset: 0 }, gs.backendView());
  return out;
}

/** x.indexSelect(dim, index) for a 1-D int32 index; backward index-adds (embedding's scatter-add). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'input', x);
  checkIndexTensor('indexSelect', index);
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 0-D or 1-D, got shape ${fmt(index.shape)}`);
  const d = normDim('indexSelect', dim, x.ndim);
  const b = backendOf('indexSelect', x, index);
  const shape = x.shape.slice();
  shape[d] = index.numel();
  const y = Tensor.fromData(b, b.indexSelect(x.backendView(), d, index.backendView()), shape, x.dtype);
  record('indexSelect', [x], [y], [index], ([g], [idx]) => [indexAdd(x.shape, d, idx!, g!)], ([dx]) => [indexSelect(dx!, d, index)]);
  return y;
}

/** zeros(shape).index_add(dim, index, src); backward is indexSelect. */
export function indexAdd(shape: Shape, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndexTensor('indexAdd', index);
  const d = normDim('indexAdd', dim, shape.length);
  const expected = shape.slice();
  expected[d] = index.numel();
  if (src.ndim !== shape.length || src.shape.some((s, i) => s !== expected[i])) {
    throw new Error(`indexAdd: src must have shape ${fmt(expected)}, got ${fmt(src.shape)}`);
  }
  const b = backendOf('indexAdd', index, src);
  const y = Tensor.fromData(b, b.indexAdd(shape, src.dtype, d, index.backendView(), src.backendView()), shape, src.dtype);
  record('indexAdd', [src], [y], [index], ([g], [idx]) => [indexSelect(g!, d, idx!)], ([ds]) => [indexAdd(shape, d, index, ds!)]);
  return y;
}

provide({ gather, scatterAdd, indexSelect, indexAdd });
