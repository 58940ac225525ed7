/** A short, JSON-safe description of a tensor's value: shape, dtype, the first elements and min/max/mean. */
import { itemSize } from '../dtype.js';
import type { Tensor } from '../tensor.js';

export interface ValueSummary {
  shape: number[];
  dtype: Tensor['dtype'];
  /** the first `limit` elements in row-major order (all of them when `truncated` is false) */
  values: number[];
  truncated: boolean;
  min: number;
  max: number;
  mean: number;
  bytes: number;
}

/** Elements kept in `values` (a 4×4 matrix or a 10-way softmax fits whole). */
export const SUMMARY_LIMIT = 64;

export function summarize(t: Tensor, limit = SUMMARY_LIMIT): ValueSummary {
  const data = t.data();
  const n = data.length;
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < n; i++) {
    const v = Number(data[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const values: number[] = [];
  for (let i = 0; i < Math.min(n, limit); i++) values.push(Number(data[i]));
  return {
    shape: t.shape.slice(),
    dtype: t.dtype,
    values,
    truncated: n > limit,
    min: n ? min : NaN,
    max: n ? max : NaN,
    mean: n ? sum / n : NaN,
    bytes: n * itemSize[t.dtype],
  };
}

/** "−22" for a scalar, "[0.7, 0.2, 0.1]" for a short vector, "[[1, 2], [3, 4]]" for a small matrix, "[2×5] mean 0.14" otherwise. */
export function formatSummary(s: ValueSummary | null, digits = 4): string {
  if (!s) return '—';
  const f = (v: number) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(digits)).toString());
  const size = s.shape.reduce((a, b) => a * b, 1);
  if (size === 1) return f(s.values[0]!);
  if (size <= 8 && s.shape.filter((d) => d > 1).length <= 1) return `[${s.values.map(f).join(', ')}]`; // a vector, or a row/column of one
  if (size <= 8 && s.shape.length === 2) {
    const cols = s.shape[1]!;
    return `[${Array.from({ length: s.shape[0]! }, (_, r) => `[${s.values.slice(r * cols, r * cols + cols).map(f).join(', ')}]`).join(', ')}]`;
  }
  return `[${s.shape.join('×')}] mean ${f(s.mean)}`;
}
