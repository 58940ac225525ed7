/**
 * What the host-side entry points of the kernel families need from the backend: the memory and the module's
 * exports, block allocation, typed-array views of blocks, and running a job (split across the worker pool
 * when its spec says it is worth it, else whole on the calling thread).
 */
import { itemSize, type DType, type TypedArray } from '../../../dtype.js';
import type { View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import type { KernelExports } from '../kernelExports.js';
import type { JobSpec, Params } from '../kernels/spec.js';

export interface WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly ex: KernelExports;
  alloc(bytes: number, zero: boolean): WasmBlock;
  release(b: WasmBlock): void;
  /** threads a job can be split across (1 without a pool) */
  threads(): number;
  /** run a job as many chunks as job.chunks says for the pool's threads (1: whole, on this thread) */
  run<F extends string>(job: JobSpec<F>, p: Params<F>): void;
  /** run a job as exactly `chunks` chunks on the pool (whole on this thread when chunks ≤ 1 or there is no pool) */
  runChunks<F extends string>(job: JobSpec<F>, p: Params<F>, chunks: number): void;
}

const ctor = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array, bfloat16: Uint16Array, float16: Uint16Array } as const;

/** a typed array over the whole block, of its dtype */
export const arrOf = (rt: WasmRuntime, b: WasmBlock, dtype: DType): TypedArray =>
  new ctor[dtype](rt.memory.buffer, b.ptr, b.bytes / itemSize[dtype]);

/** the view as the reference kernels take it */
export const av = (rt: WasmRuntime, v: View<WasmBlock>): K.ArrView =>
  ({ arr: arrOf(rt, v.data, v.dtype), shape: v.shape, strides: v.strides, offset: v.offset });

/** a fresh block for n elements of dtype (zero-filled when asked) */
export const out = (rt: WasmRuntime, dtype: DType, n: number, zero = false): WasmBlock => rt.alloc(n * itemSize[dtype], zero);

export const f32 = (a: DType, b: DType, c?: DType): boolean => a === 'float32' && b === 'float32' && (c === undefined || c === 'float32');
export const contiguous = (v: View<WasmBlock>): boolean => K.isContiguous(v.shape, v.strides);
/** byte address of a float32 (or other 4-byte) view's first element */
export const addr = (v: View<WasmBlock>): number => v.data.ptr + 4 * v.offset;
