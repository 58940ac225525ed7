/**
 * Backend.softmax (softmax / log-softmax along an axis): float32 contiguous rows run the SIMD row kernel split by
 * rows; everything else runs the reference kernel. (The fused row kernels' plans are in kernels/rows.ts.)
 */
import type { View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { softmaxRowsJob } from '../kernels/rows.js';
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
