/**
 * The gradient of broadcasting: an input broadcast to a larger shape receives the sum of the output gradient
 * over the broadcast dims. Written with the registry's ops (sum, reshape), so any op file may import it.
 */
import { fmt, sameShape, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { ops } from './registry.js';

/** Sum g down to `shape` (the inverse of broadcasting): the bias gradient is the batch sum. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`sumToShape: cannot reduce ${fmt(g.shape)} to the larger shape ${fmt(shape)}`);
  const dl: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) dl.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) dl.push(i);
  }
  const s = dl.length ? ops.sum(g, dl, true) : g;
  return ops.reshape(s, shape);
}
