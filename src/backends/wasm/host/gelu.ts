/**
 * Host side of kernels/gelu.ts: Backend.geluBackward (dx = g·GELU'(x)) and the erf unary for float32. Contiguous
 * float32 operands run the SIMD job split across the pool (a strided operand is copied contiguous first, O(n));
 * the ≤ 3 trailing elements the vector loops leave are finished by the reference kernels. Other dtypes run the
 * reference kernels over typed-array views of the heap.
 */
import type { View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { geluJob } from '../kernels/gelu.js';
import { addr, arrOf, av, contiguous, out, type WasmRuntime } from './runtime.js';

type Copier = (v: View<WasmBlock>) => WasmBlock;

const flat = (v: View<WasmBlock>, data: WasmBlock, offset: number, n: number): View<WasmBlock> =>
  ({ data, dtype: v.dtype, shape: [n], strides: [1], offset });

export function geluBackward(rt: WasmRuntime, x: View<WasmBlock>, g: View<WasmBlock>, copy: Copier): WasmBlock {
  const n = K.numel(x.shape);
  const dx = out(rt, x.dtype, n);
  if (x.dtype !== 'float32' || g.dtype !== 'float32' || n === 0) {
    K.geluBackward(arrOf(rt, dx, x.dtype), av(rt, x), av(rt, g));
    return dx;
  }
  const tmp: WasmBlock[] = [];
  const dense = (v: View<WasmBlock>): View<WasmBlock> => {
    if (contiguous(v)) return flat(v, v.data, v.offset, n);
    const b = copy(v);
    tmp.push(b);
    return flat(v, b, 0, n);
  };
  const xc = dense(x), gc = dense(g);
  rt.run(geluJob, { op: 0, x: addr(xc), g: addr(gc), dst: dx.ptr, n });
  const tail = n & 3;
  if (tail) {
    const o = new Float32Array(rt.memory.buffer, dx.ptr + 4 * (n - tail), tail);
    K.geluBackward(o, av(rt, { ...xc, shape: [tail], offset: xc.offset + n - tail }), av(rt, { ...gc, shape: [tail], offset: gc.offset + n - tail }));
  }
  for (const b of tmp) rt.release(b);
  return dx;
}

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
