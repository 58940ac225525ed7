/**
 * Backend methods over rows: softmax / log-softmax, layer / RMS norm and softmax cross-entropy (forward and
 * gradient w.r.t. the logits). float32 contiguous rows run the SIMD row kernels split by rows; everything else
 * runs the reference kernels.
 */
import type { View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { crossEntropyGradRowsJob, crossEntropyRowsJob, normRowsJob, softmaxRowsJob } from '../kernels/rows.js';
import { addr, arrOf, av, contiguous, out, type WasmRuntime } from './runtime.js';

export function softmax(rt: WasmRuntime, x: View<WasmBlock>, axis: number, log: boolean): WasmBlock {
  const n = K.numel(x.shape);
  const o = out(rt, x.dtype, n);
  const cols = x.shape.length ? x.shape[axis]! : 1;
  // float32 rows along the last axis (trailing size-1 axes allowed): SIMD row kernel, rows split across threads
  if (x.dtype === 'float32' && n > 0 && cols >= 4 && x.shape.every((s, d) => d <= axis || s === 1) && contiguous(x)) {
    rt.run(softmaxRowsJob, { src: addr(x), dst: o.ptr, rows: n / cols, cols, log: log ? 1 : 0 });
  } else {
    K.softmax(arrOf(rt, o, x.dtype), av(rt, x), axis, log);
  }
  return o;
}

export function normRows(rt: WasmRuntime, x: View<WasmBlock>, rows: number, cols: number, eps: number, rms: boolean): { y: WasmBlock; rstd: WasmBlock } {
  const y = out(rt, x.dtype, rows * cols), rstd = out(rt, x.dtype, rows);
  if (x.dtype === 'float32' && contiguous(x)) {
    rt.run(normRowsJob, { src: addr(x), dst: y.ptr, rstd: rstd.ptr, rows, cols, eps, rms: rms ? 1 : 0 });
  } else {
    K.normRows(arrOf(rt, y, x.dtype), arrOf(rt, rstd, x.dtype), av(rt, x), cols, eps, rms, 0, rows);
  }
  return { y, rstd };
}

/** float32 rows of ≥ 4 classes with a unit-stride target: ce_rows_f32, rows split across threads */
export function crossEntropyRows(rt: WasmRuntime, x: View<WasmBlock>, target: View<WasmBlock>, ignoreIndex: number): { loss: WasmBlock; max: WasmBlock; logSum: WasmBlock } {
  const rows = K.numel(target.shape), n = K.numel(x.shape), cols = rows ? n / rows : 0;
  const loss = out(rt, x.dtype, rows), max = out(rt, x.dtype, rows), logSum = out(rt, x.dtype, rows);
  if (x.dtype === 'float32' && cols >= 4 && contiguous(x) && contiguous(target)) {
    rt.run(crossEntropyRowsJob, { src: addr(x), tgt: addr(target), loss: loss.ptr, max: max.ptr, lsum: logSum.ptr, rows, cols, ignore: ignoreIndex });
  } else {
    K.crossEntropyRows(arrOf(rt, loss, x.dtype), arrOf(rt, max, x.dtype), arrOf(rt, logSum, x.dtype), av(rt, x), av(rt, target), cols, ignoreIndex);
  }
  return { loss, max, logSum };
}

/** the gradient of crossEntropyRows w.r.t. the logits: ce_grad_rows_f32 where max, logSum, target have unit row stride */
export function crossEntropyRowsGrad(rt: WasmRuntime, x: View<WasmBlock>, max: View<WasmBlock>, logSum: View<WasmBlock>, target: View<WasmBlock>,
  g: View<WasmBlock>, ignoreIndex: number): WasmBlock {
  const rows = K.numel(target.shape), n = K.numel(x.shape), cols = rows ? n / rows : 0;
  const dx = out(rt, x.dtype, n);
  const unit = (v: View<WasmBlock>): boolean => rows <= 1 || v.strides[0] === 1;
  const gs = g.shape.length && rows > 1 ? g.strides[0]! : 0;
  if (x.dtype === 'float32' && cols >= 4 && contiguous(x) && unit(max) && unit(logSum) && unit(target) && (gs === 0 || gs === 1)) {
    rt.run(crossEntropyGradRowsJob, { src: addr(x), max: addr(max), lsum: addr(logSum), tgt: addr(target), g: addr(g), dst: dx.ptr, rows, cols, ignore: ignoreIndex, gs: 4 * gs });
  } else {
    K.crossEntropyRowsGrad(arrOf(rt, dx, x.dtype), av(rt, x), av(rt, max), av(rt, logSum), av(rt, target), av(rt, g), cols, ignoreIndex);
  }
  return dx;
}
