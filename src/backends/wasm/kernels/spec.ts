/**
 * What a kernel family declares, in one place (kernels/index.ts lists them all):
 *  - `emit`: the wasm functions it contributes to the kernel module;
 *  - `jobs`: the work the worker pool can split, each with a named parameter schema (`fields`, which is also the
 *    order of the float64 slots in the pool's control block), how many chunks it is cut into for a number of
 *    threads (`chunks`: 1 when it is too small to be worth waking the workers) and what one chunk does (`run`);
 *  - warm-up arguments: `warmJobs` (run as one chunk per thread, so every thread tiers the code up) and
 *    `warmCalls` (direct calls on the calling thread).
 *  - `fused`: the host plans of the fused kernels (fusedKernels.ts) it runs: each decides whether the SIMD kernel
 *    applies (dtypes, layouts, sizes), runs it and returns the result, or returns null, and the reference kernel
 *    runs over the heap instead. The backend binds every plan of every family; nothing else names them.
 * When a required kernel's family applies is decided by its host-side entry point (host/*.ts), which falls back
 * to the reference kernels otherwise.
 * Adding a fused kernel: its emitter, job and spec (with the `fused` plan) in one file under kernels/, and the
 * spec in kernels/index.ts if the family is new.
 */
import type { FuncDef } from '../emitter.js';
import type { KernelExports } from '../kernelExports.js';
import type { KernelContext } from './context.js';
import type { Backend } from '../../backend.js';
import type { FusedArgs, FusedKernel, FusedResult } from '../../fusedKernels.js';
import type { WasmBlock } from '../allocator.js';
import type { WasmRuntime } from '../host/runtime.js';

/** a job's parameters by name */
export type Params<F extends string> = { readonly [K in F]: number };

export interface JobSpec<F extends string = string> {
  /** for error messages */
  readonly name: string;
  /** the named parameter schema; its order is the order of the parameter slots in the pool's control block */
  readonly fields: readonly F[];
  /** how many chunks to cut the job into for `threads` threads; 1 runs it whole on the calling thread */
  chunks(p: Params<F>, threads: number): number;
  /** chunk `part` of `nparts` (chunks write disjoint memory, so they run on any threads in any order) */
  run(ex: KernelExports, p: Params<F>, part: number, nparts: number, scratch: number): void;
}

/** float64 parameter slots in the pool's control block */
export const MAX_JOB_FIELDS = 32;

/** a job with its fields checked against the control block's capacity */
export function defineJob<const F extends string>(spec: JobSpec<F>): JobSpec<F> {
  if (spec.fields.length > MAX_JOB_FIELDS) throw new Error(`wasm job ${spec.name}: ${spec.fields.length} fields, at most ${MAX_JOB_FIELDS}`);
  return spec;
}

/** scratch for the warm-up jobs: three zeroed blocks of n floats (n a multiple of 32768·threads) */
export interface WarmBuffers {
  a: number; b: number; o: number; n: number; threads: number;
  /** 0, 1, 2: the warm-up runs three rounds */
  round: number;
}

/** scratch for the warm-up calls: three zeroed blocks of `bytes` bytes */
export interface WarmScratch {
  a: number; b: number; c: number; bytes: number;
}

/** one warm-up run of a job, `repeat` times (default 1) */
export interface WarmRun<F extends string = string> {
  job: JobSpec<F>;
  params: Params<F>;
  repeat?: number;
}

export const warmRun = <F extends string>(job: JobSpec<F>, params: Params<F>, repeat = 1): WarmRun<F> => ({ job, params, repeat });

/** what a fused kernel's host plan works with: the runtime, and the backend for basic kernels (copy, unary) */
export interface WasmHost {
  readonly rt: WasmRuntime;
  readonly backend: Backend<WasmBlock>;
}

type Plan<A, R> = A extends unknown[] ? (h: WasmHost, ...args: A) => R | null : never;
/** host plans of fused kernels, by kernel: the result, or null where the SIMD kernel does not apply */
export type FusedPlans = { readonly [K in FusedKernel]?: Plan<FusedArgs<K, WasmBlock>, FusedResult<K, WasmBlock>> };

export interface KernelSpec {
  readonly name: string;
  /** the wasm functions of the family, in module order */
  emit(ctx: KernelContext): FuncDef[];
  readonly jobs?: readonly JobSpec[];
  warmJobs?(w: WarmBuffers): WarmRun[];
  warmCalls?(ex: KernelExports, s: WarmScratch): void;
  readonly fused?: FusedPlans;
}
