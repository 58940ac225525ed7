/**
 * Host side of the reduction kernels: float32 sum / max / min over trailing axes (one SIMD pass per row, large
 * sums split across threads), sums over leading axes (vertical f64 sums), sums over any other axes with f64
 * partials, max / min and argmax / argmin over one run of axes. Each returns false when the call does not
 * fit; the backend then runs the reference kernel.
 */
import type { DType } from '../../../dtype.js';
import type { ArgReduceOp, ReduceOp, View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { argExtJob, midExtJob, sumJob } from '../kernels/reduce.js';
import { addr, contiguous, f32, type WasmRuntime } from './runtime.js';

/** Σ of `n` (a multiple of 8) float32 at byte address p, in f64; large sums are split across threads */
function sumMain(rt: WasmRuntime, p: number, n: number): number {
  const chunks = rt.threads() > 1 ? sumJob.chunks({ src: p, n, partials: 0 }, rt.threads()) : 1;
  if (chunks <= 1) return rt.ex.sum_f32!(p, n) as number;
  const partial = rt.alloc(8 * chunks, false);
  try {
    rt.runChunks(sumJob, { src: p, n, partials: partial.ptr }, chunks);
    return new Float64Array(rt.memory.buffer, partial.ptr, chunks).reduce((a, b) => a + b, 0);
  } finally {
    rt.release(partial);
  }
}

/** float32 sum/max/min over trailing axes of a contiguous view: one SIMD pass per row */
function reduceRows(rt: WasmRuntime, op: 'sum' | 'max' | 'min', x: View<WasmBlock>, o: WasmBlock, groups: number, R: number): void {
  const { ex, memory } = rt;
  const O = new Float32Array(memory.buffer, o.ptr, groups);
  const X = new Float32Array(memory.buffer, addr(x), groups * R);
  for (let g = 0; g < groups; g++) {
    const base = g * R;
    const p = addr(x) + 4 * base;
    if (op === 'sum') {
      const main = R & ~7;
      let s = main ? sumMain(rt, p, main) : 0;
      for (let i = main; i < R; i++) s += X[base + i]!;
      O[g] = s;
    } else {
      const isMax = op === 'max';
      let m = (isMax ? ex.max_f32! : ex.min_f32!)(p, R) as number;
      for (let i = R & ~3; i < R; i++) {
        const v = X[base + i]!;
        if (v !== v || m !== m) m = NaN;
        else if (isMax ? v > m : v < m) m = v;
      }
      O[g] = m;
    }
  }
}

/** float32 sum over leading axes of a contiguous view (bias gradients): vertical SIMD into f64 sums */
function reduceCols(rt: WasmRuntime, x: View<WasmBlock>, o: WasmBlock, cols: number, rows: number): void {
  const { ex, memory } = rt;
  const acc = rt.alloc(cols * 8, true);
  try {
    ex.sum_cols_f32!(addr(x), rows, cols, acc.ptr);
    const A = new Float64Array(memory.buffer, acc.ptr, cols);
    const X = new Float32Array(memory.buffer, addr(x), rows * cols);
    for (let j = cols & ~3; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += X[r * cols + j]!;
      A[j] = s;
    }
    new Float32Array(memory.buffer, o.ptr, cols).set(A);
  } finally {
    rt.release(acc);
  }
}

/** Σ with f64 partials: the biggest pass (the last run of reduced axes) here, the rest by the reference over the f64 partials */
function reduceSum(rt: WasmRuntime, x: View<WasmBlock>, axes: readonly number[], o: WasmBlock): boolean {
  const { ex, memory } = rt;
  // collapse to alternating groups of kept / reduced extents (size-1 dims dropped)
  const groups: { red: boolean; size: number }[] = [];
  for (let d = 0; d < x.shape.length; d++) {
    const s = x.shape[d]!;
    if (s === 1) continue;
    const red = axes.includes(d);
    const last = groups[groups.length - 1];
    if (last && last.red === red) last.size *= s;
    else groups.push({ red, size: s });
  }
  let li = -1;
  for (let g = groups.length - 1; g >= 0; g--) if (groups[g]!.red) { li = g; break; }
  if (li < 0) return false;
  const outer = groups.slice(0, li).reduce((a, g) => a * g.size, 1);
  const R = groups[li]!.size;
  const inner = groups.slice(li + 1).reduce((a, g) => a * g.size, 1);
  const partN = outer * inner;
  const tmp = rt.alloc(8 * partN, inner > 1);
  try {
    if (inner === 1) ex.rows_sum_f64!(addr(x), tmp.ptr, outer, R);
    else ex.cols_sum_f64!(addr(x), tmp.ptr, outer, R, inner);
    const part = new Float64Array(memory.buffer, tmp.ptr, partN);
    const O = new Float32Array(memory.buffer, o.ptr, o.bytes / 4);
    const rest = groups.slice(0, li);
    const restAxes = rest.flatMap((g, i) => (g.red ? [i] : []));
    if (restAxes.length === 0) {
      O.set(part);
    } else {
      const shape = [...rest.map((g) => g.size), inner];
      K.reduce(O, 'float32', 'sum', { arr: part, shape, strides: K.contiguousStrides(shape), offset: 0 }, restAxes);
    }
  } finally {
    rt.release(tmp);
  }
  return true;
}

/** float32 sum / max / min of x over `axes` into o (groups = o's elements), or false */
export function simdReduce(rt: WasmRuntime, op: ReduceOp, x: View<WasmBlock>, axes: readonly number[], o: WasmBlock, dt: DType): boolean {
  const groups = K.numel(x.shape.filter((_, d) => !axes.includes(d)));
  const n = K.numel(x.shape);
  const R = n / Math.max(1, groups);
  const r = x.shape.length;
  if (!f32(x.dtype, dt) || !contiguous(x) || axes.length === 0 || groups === 0 || R === 0) return false;
  const trailing = axes.every((d, i) => d === r - axes.length + i);
  const leading = axes.every((d, i) => d === i);
  if (op !== 'prod') {
    if (trailing && (op === 'sum' ? R >= 8 : R >= 4)) { reduceRows(rt, op, x, o, groups, R); return true; }
    if (leading && op === 'sum' && groups >= 4) { reduceCols(rt, x, o, groups, R); return true; }
  }
  if (op === 'sum') return reduceSum(rt, x, axes, o);
  if (op !== 'max' && op !== 'min') return false;
  // one run of consecutive axes: [outer, R, inner]
  for (let k = 1; k < axes.length; k++) if (axes[k] !== axes[k - 1]! + 1) return false;
  const a0 = axes[0]!, a1 = axes[axes.length - 1]!;
  let outer = 1, Rm = 1, inner = 1;
  x.shape.forEach((s, d) => { if (d < a0) outer *= s; else if (d <= a1) Rm *= s; else inner *= s; });
  if (Rm === 0 || inner < 4) return false;
  rt.run(midExtJob, { isMax: op === 'max' ? 1 : 0, x: addr(x), o: o.ptr, outer, R: Rm, inner });
  return true;
}

/** int32 argmax / argmin of float32 x along `axis` into o, or false */
export function simdArgReduce(rt: WasmRuntime, op: ArgReduceOp, x: View<WasmBlock>, axis: number, o: WasmBlock): boolean {
  if (x.dtype !== 'float32' || !contiguous(x)) return false;
  let outer = 1, inner = 1;
  x.shape.forEach((s, d) => { if (d < axis) outer *= s; else if (d > axis) inner *= s; });
  const R = x.shape[axis]!;
  if (R === 0 || outer * inner === 0) return false;
  rt.run(argExtJob, { isMax: op === 'argmax' ? 1 : 0, x: addr(x), o: o.ptr, outer, R, inner });
  return true;
}
