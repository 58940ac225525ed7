/**
 * The optional fused kernels of the backend contract, one entry each: its contract (the doc comment, and the
 * signature, where `Blk` stands for a block of the backend's memory: Backend<D> has the same method with D in
 * its place) and its reference implementation over typed arrays, in the backend's own memory (`RefMemory`).
 *
 * Every backend that can view its memory as typed arrays has every kernel listed here (`bindReference`): the ts
 * backend runs the reference, the wasm backend its SIMD plan where one applies (a kernel spec's `fused` entry,
 * wasm/kernels/spec.ts) and the reference over its heap otherwise. A device backend implements the ones it
 * wants as methods; the ops compose required kernels where one is missing (capabilities.fused lists what is
 * present). Adding a fused kernel: its entry here (the Backend method, capabilities and every CPU binding come
 * from it), optionally a wasm spec's `fused` entry, and the op record that calls it.
 */
import type { DType, TypedArray } from '../dtype.js';
import type { AdamHyper, BiasActivation, View } from './backend.js';
import * as K from './ts/kernels.js';
import { attentionBackward, attentionForward } from './ts/attention.js';

declare const blockBrand: unique symbol;
/** a block of the backend's memory, as the signatures below write it */
export interface Blk { readonly [blockBrand]: true }

/** what a reference kernel needs from the memory it runs in */
export interface RefMemory {
  /** a new block of n elements of dtype, zero-filled when `zero` */
  out(dtype: DType, n: number, zero?: boolean): Blk;
  /** the block's elements as a typed array; take it after the kernel's last `out` (a heap may move when it grows) */
  arr(b: Blk, dtype: DType): TypedArray;
  /** the view as the reference kernels take it; same rule as `arr` */
  view(v: View<Blk>): K.ArrView;
}

const rowLen = (shape: readonly number[]): number => (shape.length ? shape[shape.length - 1]! : 1);

export const FUSED = {
  /**
   * One Adam/AdamW update in a single pass, in place on param, m, v (and vmax for amsgrad). All views are
   * contiguous, of one float dtype and one size; grad is only read.
   */
  adamStep(mem: RefMemory, param: View<Blk>, grad: View<Blk>, m: View<Blk>, v: View<Blk>, vmax: View<Blk> | null, h: AdamHyper): void {
    K.adamStep(mem.view(param), mem.view(grad), mem.view(m), mem.view(v), vmax ? mem.view(vmax) : null, h);
  },

  /**
   * Row normalisation of a contiguous x seen as [rows, cols], one pass over each row's statistics:
   * layer norm (rms false): y = (x − μ)·rstd, rstd = 1/√(σ² + eps) (biased σ², two-pass); RMS norm (rms true):
   * y = x·rstd, rstd = 1/√(mean(x²) + eps). Returns y (x's shape) and rstd ([rows]), both in x's dtype.
   */
  normRows(mem: RefMemory, x: View<Blk>, rows: number, cols: number, eps: number, rms: boolean): { y: Blk; rstd: Blk } {
    const y = mem.out(x.dtype, rows * cols), rstd = mem.out(x.dtype, rows);
    K.normRows(mem.arr(y, x.dtype), mem.arr(rstd, x.dtype), mem.view(x), cols, eps, rms);
    return { y, rstd };
  },

  /**
   * Bias + activation over a contiguous x seen as [rows, N]: z[r, j] = x[r, j] + bias[j] (bias: a contiguous
   * [N] view, or null for none), y = act(z), both computed in outDtype (x, bias and outDtype share one float
   * dtype). Returns y and, when keepPre is true and act is not 'none' or 'relu' (whose derivatives the
   * output alone gives), z as well; otherwise z is null.
   */
  biasAct(mem: RefMemory, x: View<Blk>, bias: View<Blk> | null, act: BiasActivation, outDtype: DType, keepPre: boolean): { y: Blk; z: Blk | null } {
    const n = K.numel(x.shape);
    const y = mem.out(outDtype, n), z = keepPre && K.biasActNeedsPre(act) ? mem.out(outDtype, n) : null;
    K.biasAct(mem.arr(y, outDtype), z ? mem.arr(z, outDtype) : null, mem.view(x), bias ? mem.view(bias) : null, act, rowLen(x.shape));
    return { y, z };
  },

  /**
   * Softmax cross-entropy of a contiguous float x seen as [rows, cols] against int32 class targets [rows] (each in
   * [0, cols) or ignoreIndex), one pass over x, no log-probabilities written: max[r] = max_c x[r,c], logSum[r] =
   * log Σ_c e^{x[r,c] − max[r]}, loss[r] = max[r] + logSum[r] − x[r, t_r] (0 where t_r = ignoreIndex). All three
   * [rows], in x's dtype; max and logSum are what the gradient needs (kept apart: their rounded sum is not).
   */
  crossEntropyRows(mem: RefMemory, x: View<Blk>, target: View<Blk>, ignoreIndex: number): { loss: Blk; max: Blk; logSum: Blk } {
    const rows = K.numel(target.shape), dt = x.dtype;
    const loss = mem.out(dt, rows), max = mem.out(dt, rows), logSum = mem.out(dt, rows);
    K.crossEntropyRows(mem.arr(loss, dt), mem.arr(max, dt), mem.arr(logSum, dt), mem.view(x), mem.view(target), rows ? K.numel(x.shape) / rows : 0, ignoreIndex);
    return { loss, max, logSum };
  },

  /**
   * Its gradient w.r.t. x in one pass: dx[r, c] = g[r]·(e^{x[r,c] − max[r] − logSum[r]} − [c = t_r]), 0 for ignored
   * rows. x contiguous [rows, cols]; max, logSum, target and g are [rows] views (any stride).
   */
  crossEntropyRowsGrad(mem: RefMemory, x: View<Blk>, max: View<Blk>, logSum: View<Blk>, target: View<Blk>, g: View<Blk>, ignoreIndex: number): Blk {
    const n = K.numel(x.shape), rows = K.numel(target.shape);
    const dx = mem.out(x.dtype, n);
    K.crossEntropyRowsGrad(mem.arr(dx, x.dtype), mem.view(x), mem.view(max), mem.view(logSum), mem.view(target), mem.view(g), rows ? n / rows : 0, ignoreIndex);
    return dx;
  },

  /**
   * Fused scaled dot-product attention that never holds the L×S weights (flash-attention style: tiles of queries
   * against tiles of keys with an online softmax; reference in ts/attention.ts): q [...batch, L, E], k [...batch,
   * S, E], v [...batch, S, F] share one batch shape and one float dtype (any strides; S ≥ 1). Returns
   * out = softmax(scale·q·kᵀ, causal: key j ≤ query i)·v, contiguous [...batch, L, F], and lse [...batch, L], each
   * query's log-sum-exp of its scaled (masked) scores: what attentionGrad needs to recompute the weights.
   */
  attention(mem: RefMemory, q: View<Blk>, k: View<Blk>, v: View<Blk>, causal: boolean, scale: number): { out: Blk; lse: Blk } {
    const r = q.shape.length, L = q.shape[r - 2]!, F = v.shape[r - 1]!, rows = K.numel(q.shape.slice(0, -1));
    const out = mem.out(q.dtype, rows * F, true), lse = mem.out(q.dtype, rows, true);
    if (rows > 0 && L > 0) attentionForward(mem.arr(out, q.dtype), mem.arr(lse, q.dtype), mem.view(q), mem.view(k), mem.view(v), causal, scale);
    return { out, lse };
  },

  /**
   * Its gradients, recomputing the weights tile by tile from lse: out and lse as attention returned them
   * (contiguous), dOut [...batch, L, F] any strides. dq, dk, dv are contiguous, shaped as q, k, v.
   */
  attentionGrad(mem: RefMemory, q: View<Blk>, k: View<Blk>, v: View<Blk>, out: View<Blk>, lse: View<Blk>, dOut: View<Blk>, causal: boolean, scale: number): { dq: Blk; dk: Blk; dv: Blk } {
    const dt = q.dtype;
    const dq = mem.out(dt, K.numel(q.shape), true), dk = mem.out(dt, K.numel(k.shape), true), dv = mem.out(dt, K.numel(v.shape), true);
    if (K.numel(q.shape) > 0) {
      attentionBackward(mem.arr(dq, dt), mem.arr(dk, dt), mem.arr(dv, dt), mem.view(q), mem.view(k), mem.view(v),
        mem.arr(out.data, out.dtype).subarray(out.offset), mem.arr(lse.data, lse.dtype).subarray(lse.offset), mem.view(dOut), causal, scale);
    }
    return { dq, dk, dv };
  },

  /**
   * The exact (erf) GELU's backward: dx = g·(Φ(x) + x·φ(x)), Φ the standard normal CDF and φ its density,
   * for x and g of one shape and float dtype (any strides); dx contiguous in x's dtype. At ±Inf it gives the
   * limits (1 and 0 times g); NaN propagates.
   */
  geluBackward(mem: RefMemory, x: View<Blk>, g: View<Blk>): Blk {
    const dx = mem.out(x.dtype, K.numel(x.shape));
    K.geluBackward(mem.arr(dx, x.dtype), mem.view(x), mem.view(g));
    return dx;
  },
};

export type FusedKernel = keyof typeof FUSED;
/** the names of the fused kernels */
export const FUSED_KERNELS = Object.keys(FUSED) as FusedKernel[];

/** a signature's types with D for every Blk */
export type WithBlock<T, D> = T extends Blk ? D
  : T extends View<Blk> ? View<D>
  : T extends readonly unknown[] ? { [I in keyof T]: WithBlock<T[I], D> }
  : T extends object ? { [P in keyof T]: WithBlock<T[P], D> }
  : T;

type RefArgs<F> = F extends (mem: RefMemory, ...args: infer A) => unknown ? A : never;
type Fn<K extends FusedKernel> = (typeof FUSED)[K];
/** the arguments of fused kernel K on a backend whose blocks are D */
export type FusedArgs<K extends FusedKernel, D> = WithBlock<RefArgs<Fn<K>>, D>;
/** its result */
export type FusedResult<K extends FusedKernel, D> = WithBlock<ReturnType<Fn<K>>, D>;

/** a method's type (parameters compared bivariantly, as for methods declared in an interface) */
type Method<A, R> = A extends unknown[] ? { m(...args: A): R }['m'] : never;

/** The fused kernels as optional Backend methods (Backend<D> extends this). */
export type FusedMethods<D> = { [K in FusedKernel]?: Method<FusedArgs<K, D>, FusedResult<K, D>> };

/**
 * Every fused kernel bound to a backend's memory, each running `native[kernel]` first where given: a native
 * plan returns null when it does not apply (a dtype or layout it has no kernel for), and the reference runs.
 */
export function bindReference<D>(
  mem: { out(dtype: DType, n: number, zero?: boolean): D; arr(b: D, dtype: DType): TypedArray; view(v: View<D>): K.ArrView },
  native: { [K in FusedKernel]?: (...args: FusedArgs<K, D>) => FusedResult<K, D> | null } = {},
): Required<FusedMethods<D>> {
  const m = mem as unknown as RefMemory;
  const bound: Record<string, (...a: unknown[]) => unknown> = {};
  for (const k of FUSED_KERNELS) {
    const ref = FUSED[k] as (mem: RefMemory, ...a: unknown[]) => unknown;
    const fast = native[k] as ((...a: unknown[]) => unknown) | undefined;
    bound[k] = fast
      ? (...a) => {
        const r = fast(...a);
        return r === null ? ref(m, ...a) : r;
      }
      : (...a) => ref(m, ...a);
  }
  return bound as unknown as Required<FusedMethods<D>>;
}
