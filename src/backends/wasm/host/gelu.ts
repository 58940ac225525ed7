/**
 * Host side of kernels/gelu.ts for the erf unary: contiguous float32 runs the SIMD job split across the pool, the
 * ≤ 3 trailing elements by the reference function. (geluBackward's plan is in kernels/gelu.ts.)
 */
import type { View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { geluJob } from '../kernels/gelu.js';
import { addr, type WasmRuntime } from './runtime.js';

/** o = erf(x) for contiguous float32 x of n > 0 elements */
export function simdErf(rt: WasmRuntime, x: View<WasmBlock>, o: WasmBlock): void {
  const n = K.numel(x.shape);
  rt.run(geluJob, { op: 1, x: addr(x), g: 0, dst: o.ptr, n });
  const tail = n & 3;
  if (tail) {
    const f = K.unaryFn('erf');
    const src = new Float32Array(rt.memory.buffer, addr(x) + 4 * (n - tail), tail);
    const dst = new Float32Array(rt.memory.buffer, o.ptr + 4 * (n - tail), tail);
    for (let i = 0; i < tail; i++) dst[i] = f(src[i]!);
  }
}
