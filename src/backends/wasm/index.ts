/**
 * The fast CPU backend: data lives in one (shared) WebAssembly.Memory, float32 matmul / element-wise /
 * reductions / row kernels / convolution passes run as SIMD kernels emitted at load time (kernels/, one spec
 * per family; large jobs split across a worker pool), and every other kernel runs the reference TypeScript
 * kernels over typed-array views of the same memory. This file maps the Backend interface onto the host-side
 * entry points (host/), each of which says when its kernels apply and otherwise lets the reference run.
 */
import { itemSize } from '../../dtype.js';
import type { Backend, View } from '../backend.js';
import * as K from '../ts/kernels.js';
import type { WasmBlock } from './allocator.js';
import { gemmJob, type GemmTask } from './kernels/gemm.js';
import { packSourceCode, type PackSource } from './kernels/matmul.js';
import type { Features } from './module.js';
import { detectFeatures } from './module.js';
import { setupWasm } from './setup.js';
import { warmUp } from './warmUp.js';
import { arrOf, av, contiguous, addr, f32, out } from './host/runtime.js';
import { simdBinary, simdUnary } from './host/elementwise.js';
import { simdArgReduce, simdReduce } from './host/reduce.js';
import { simdAssign, simdCopy, simdFold, simdGather, simdScatterAdd, simdUnfold } from './host/conv.js';
import { halfJob } from './kernels/half.js';
import { softmax } from './host/rows.js';
import { FUSED_PLANS } from './kernels/index.js';
import type { WasmHost } from './kernels/spec.js';
import { bindReference } from '../fusedKernels.js';

export type { WasmBlock } from './allocator.js';

export interface WasmBackendOptions {
  /** threads including the caller (default: all cores; 1 when SharedArrayBuffer is unavailable) */
  threads?: number;
  /**
   * true: use relaxed SIMD (f32x4.relaxed_madd in the GEMM and the polynomials) where the runtime has it,
   * turning on V8's flag for it in Node 20 where it is off by default. false: plain SIMD only, even where
   * relaxed SIMD validates — results then do not depend on whether the CPU fuses multiply-adds.
   * Default: relaxed SIMD where the runtime already validates it.
   */
  relaxedSimd?: boolean;
  /** upper bound of the wasm heap in MiB (default and most: 4096, the 32-bit address space) */
  maxMemoryMB?: number;
  /**
   * false forces an unshared memory (and so one thread), the configuration of a browser page that is not
   * cross-origin isolated; default: shared whenever SharedArrayBuffer exists
   */
  sharedMemory?: boolean;
}

export interface WasmBackend extends Backend<WasmBlock> {
  readonly threads: number;
  readonly features: Features;
  /** heap statistics beyond bytesInUse (class-rounded bytes, bump pointer, memory size) */
  stats(): { reserved: number; heapTop: number; memoryBytes: number };
  /** stop the worker threads (the backend keeps working single-threaded) */
  close(): void;
}

/** True when this runtime can run the backend (WebAssembly with 128-bit SIMD). */
export function wasmAvailable(): boolean {
  return detectFeatures().simd;
}

export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const { rt, heap, features, threads, internalBytes, closePool } = await setupWasm(opts);
  await warmUp(rt);
  const { memory } = rt;

  /** C = A·B in float32 by the SIMD GEMM; A and B may be float32, bfloat16 or float16 views */
  const gemm = (a: View<WasmBlock>, b: View<WasmBlock>): WasmBlock => {
    const [batch, M, Kd] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    const n = batch * M * N;
    if (Kd === 0 || n === 0) return out(rt, 'float32', n, true);
    const o = out(rt, 'float32', n);
    const at = a.dtype as PackSource, bt = b.dtype as PackSource;
    const ptr = (v: View<WasmBlock>): number => v.data.ptr + (v.dtype === 'float32' ? 4 : 2) * v.offset;
    const t: GemmTask = {
      a: ptr(a), sab: a.strides[0]!, sam: a.strides[1]!, sak: a.strides[2]!,
      b: ptr(b), sbb: b.strides[0]!, sbk: b.strides[1]!, sbn: b.strides[2]!,
      c: o.ptr, batch, M, N, K: Kd, ta: packSourceCode(at), tb: packSourceCode(bt),
    };
    rt.run(gemmJob, t);
    return o;
  };
  const backend: WasmBackend = {
    name: 'wasm',
    threads,
    features,
    stats: () => heap.stats(),
    close: closePool,

    alloc: (dtype, size) => out(rt, dtype, size, true),
    fromArray(dtype, values) {
      const b = out(rt, dtype, values.length);
      const a = arrOf(rt, b, dtype);
      if (dtype === 'bool') for (let i = 0; i < values.length; i++) a[i] = values[i] ? 1 : 0;
      else a.set(values);
      return b;
    },
    read: (data, dtype, size) => arrOf(rt, data, dtype).subarray(0, size),
    dispose: (data) => heap.release(data),
    bytesInUse: () => heap.bytesInUse() - internalBytes,

    unary(op, x, dt, params) {
      const o = out(rt, dt, K.numel(x.shape));
      if (!simdUnary(rt, op, x, dt, params, o)) K.unary(arrOf(rt, o, dt), dt, op, av(rt, x), params);
      return o;
    },
    binary(op, a, b, dt) {
      const o = out(rt, dt, K.numel(a.shape));
      if (!simdBinary(rt, op, a, b, o, dt)) K.binary(arrOf(rt, o, dt), dt, op, av(rt, a), av(rt, b));
      return o;
    },
    where(c, a, b, dt) {
      const o = out(rt, dt, K.numel(c.shape));
      K.where(arrOf(rt, o, dt), dt, av(rt, c), av(rt, a), av(rt, b));
      return o;
    },
    reduce(op, x, axes, dt) {
      const o = out(rt, dt, K.numel(x.shape.filter((_, d) => !axes.includes(d))));
      if (!simdReduce(rt, op, x, axes, o, dt)) K.reduce(arrOf(rt, o, dt), dt, op, av(rt, x), axes);
      return o;
    },
    argReduce(op, x, axis) {
      const o = out(rt, 'int32', K.numel(x.shape.filter((_, d) => d !== axis)));
      if (!simdArgReduce(rt, op, x, axis, o)) K.argReduce(arrOf(rt, o, 'int32') as Int32Array, op, av(rt, x), axis);
      return o;
    },
    sort(x, axis, descending) {
      // the reference kernel (no SIMD sort): both blocks allocated before their arrays are taken (growth moves memory)
      const n = K.numel(x.shape);
      const values = out(rt, x.dtype, n), indices = out(rt, 'int32', n);
      K.sortAlong(arrOf(rt, values, x.dtype), arrOf(rt, indices, 'int32') as Int32Array, av(rt, x), axis, descending);
      return { values, indices };
    },
    matmul(a, b, dt) {
      if (!f32(a.dtype, b.dtype, dt)) {
        const o = out(rt, dt, K.numel([a.shape[0]!, a.shape[1]!, b.shape[2]!]));
        K.matmul(arrOf(rt, o, dt), av(rt, a), av(rt, b));
        return o;
      }
      return gemm(a, b);
    },
    // bfloat16/float16 operands packed (and widened) straight from their 16-bit blocks (kernels/matmul.ts)
    matmulHalf(a, b) {
      const ok = (d: string) => d === 'float32' || d === 'bfloat16' || d === 'float16';
      return ok(a.dtype) && ok(b.dtype) ? gemm(a, b) : null;
    },
    copy(x, dt) {
      const n = K.numel(x.shape);
      const o = out(rt, dt, n);
      if (x.dtype === dt && contiguous(x)) {
        const sz = itemSize[dt];
        new Uint8Array(memory.buffer, o.ptr, n * sz).set(new Uint8Array(memory.buffer, x.data.ptr + sz * x.offset, n * sz));
      } else if (!simdCopy(rt, o, x, dt)) {
        K.copy(arrOf(rt, o, dt), dt, av(rt, x));
      }
      return o;
    },
    assign(dst, src) {
      if (!simdAssign(rt, dst, src)) K.assign(av(rt, dst), dst.dtype, av(rt, src));
    },
    fill: (dst, value) => K.fill(av(rt, dst), value),
    gather(x, axis, index) {
      const o = out(rt, x.dtype, K.numel(index.shape));
      if (!simdGather(rt, x, axis, index, o)) K.gather(arrOf(rt, o, x.dtype), av(rt, x), axis, av(rt, index));
      return o;
    },
    scatterAdd(shape, dt, axis, index, src) {
      const o = out(rt, dt, K.numel(shape));
      if (!simdScatterAdd(rt, shape, dt, axis, index, src, o)) K.scatterAdd(arrOf(rt, o, dt), shape, axis, av(rt, index), av(rt, src));
      return o;
    },
    indexSelect(x, axis, index) {
      const shape = x.shape.slice();
      shape[axis] = K.numel(index.shape);
      const o = out(rt, x.dtype, K.numel(shape));
      K.indexSelect(arrOf(rt, o, x.dtype), av(rt, x), axis, av(rt, index));
      return o;
    },
    indexAdd(shape, dt, axis, index, src) {
      const o = out(rt, dt, K.numel(shape), true);
      K.indexAdd(arrOf(rt, o, dt), shape, axis, av(rt, index), av(rt, src));
      return o;
    },
    unfold(x, p) {
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const [oh, ow] = K.unfoldOutputSize(H, W, p);
      const o = out(rt, x.dtype, N * C * p.kernel[0] * p.kernel[1] * oh * ow);
      if (!simdUnfold(rt, o, x, p)) K.unfold(arrOf(rt, o, x.dtype), av(rt, x), p);
      return o;
    },
    fold(cols, outShape, p) {
      const o = out(rt, cols.dtype, K.numel(outShape));
      if (!simdFold(rt, o, cols, outShape, p)) K.fold(arrOf(rt, o, cols.dtype), av(rt, cols), outShape, p);
      return o;
    },
    softmax: (x, axis, log) => softmax(rt, x, axis, log),
    // the fused kernels: each family's plan (kernels/*.ts `fused`) where it applies, the reference over the heap otherwise
    ...bindReference<WasmBlock>({ out: (dtype, n, zero) => out(rt, dtype, n, zero), arr: (b, dtype) => arrOf(rt, b, dtype), view: (v) => av(rt, v) },
      Object.fromEntries(Object.entries(FUSED_PLANS).map(([k, plan]) => [k, (...args: unknown[]) => (plan as (h: WasmHost, ...a: unknown[]) => unknown)(host, ...args)]))),
    // bfloat16 / float16 ↔ float32 as SIMD pool jobs (kernels/half.ts)
    widenHalf(dtype, src, lo, n) {
      const o = out(rt, 'float32', n);
      rt.run(halfJob, { op: dtype === 'bfloat16' ? 0 : 2, src: src.ptr + 2 * lo, dst: o.ptr, n });
      return o;
    },
    narrowHalf(dtype, src, n) {
      const o = out(rt, dtype, n);
      rt.run(halfJob, { op: dtype === 'bfloat16' ? 1 : 3, src: src.ptr, dst: o.ptr, n });
      return o;
    },
  };
  const host: WasmHost = { rt, backend };
  return backend;
}
