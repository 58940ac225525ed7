/** Small helpers shared by the layers (not exported from nn). */
import type { DType } from '../dtype.js';
import { zeros } from '../creation.js';
import type { Tensor } from '../tensor.js';

/** A tensor to be filled by an initializer. */
export function empty(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return zeros(shape, { dtype });
}

/** n → [n, n]; [a, b] → [a, b] */
export function pair(v: number | readonly number[], op: string, name: string, n = 2): number[] {
  const out = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (out.length !== n || !out.every((x) => Number.isInteger(x))) throw new Error(`${op}: ${name} must be an integer or ${n} integers, got ${JSON.stringify(v)}`);
  return out;
}
