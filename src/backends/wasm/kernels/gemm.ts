/**
 * The blocking loops of the GEMM (jc → pc → ic, BLIS order) and how one GEMM is split among threads.
 * Runs identically on the main thread and in workers: each thread owns a scratch area for its packed
 * panels and computes a disjoint part of C, so no synchronisation is needed inside a GEMM.
 */
import type { KernelExports } from '../kernelExports.js';
import type { KernelContext } from './context.js';
import { blockingOfModule, GEMM_SCRATCH_BYTES, matmulFuncs, packSourceOf, packSuffix, type GemmBlocking } from './matmul.js';
import { defineJob, type KernelSpec, warmRun } from './spec.js';
import { PAR_GEMM_FLOPS, share } from './split.js';

/**
 * A batched GEMM with a float32 result: byte pointers to element (0,0,0) of each operand, strides in elements.
 * ta / tb: the operands' element types (packSourceCode: 0 float32, 1 bfloat16, 2 float16); 16-bit operands are
 * widened while their panels are packed.
 */
export interface GemmTask {
  a: number; sab: number; sam: number; sak: number;
  b: number; sbb: number; sbk: number; sbn: number;
  /** contiguous float32 output [batch, M, N] */
  c: number;
  batch: number; M: number; N: number; K: number;
  ta: number; tb: number;
}

export const GEMM_TASK_FIELDS = ['a', 'sab', 'sam', 'sak', 'b', 'sbb', 'sbk', 'sbn', 'c', 'batch', 'M', 'N', 'K', 'ta', 'tb'] as const;

/** bytes per element of a source type code */
const sizeOf = (code: number): number => (code === 0 ? 4 : 2);

/** C[m0:m1, n0:n1] = A[m0:m1, :] · B[:, n0:n1] for one matrix of the batch. */
function gemmRect(ex: KernelExports, { KC, MC, NC }: GemmBlocking, ta: number, a: number, sam: number, sak: number,
  tb: number, b: number, sbk: number, sbn: number,
  c: number, ldcBytes: number, m0: number, m1: number, n0: number, n1: number, K: number, scratch: number): void {
  const packA = scratch, packB = scratch + MC * KC * 4, tile = packB + KC * NC * 4;
  const sa = sizeOf(ta), sb = sizeOf(tb);
  const packAFn = ex[`gemm_pack_a${packSuffix(packSourceOf(ta))}`]!, packBFn = ex[`gemm_pack_b${packSuffix(packSourceOf(tb))}`]!;
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = Math.min(NC, n1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packBFn(b + sb * (pc * sbk + jc * sbn), sbk, sbn, kc, nc, packB);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = Math.min(MC, m1 - ic);
        packAFn(a + sa * (ic * sam + pc * sak), sam, sak, mc, kc, packA);
        ex.gemm_macro(packA, packB, c + ic * ldcBytes + 4 * jc, ldcBytes, mc, nc, kc, pc === 0 ? 0 : 1, tile);
      }
    }
  }
}

const blockings = new WeakMap<KernelExports, GemmBlocking>();
/** the blocking this thread's module was compiled with (the plain and relaxed variants differ) */
function blockingOf(ex: KernelExports): GemmBlocking {
  let b = blockings.get(ex);
  if (!b) blockings.set(ex, b = blockingOfModule(ex.gemm_mr()));
  return b;
}

/**
 * How many chunks a GEMM is cut into for `threads` threads: whole matrices when the batch is large,
 * else column (or row) bands of at least 64 columns (32 rows) — a few per thread, so that threads that
 * start late or run slow are balanced by the dynamic claiming in the pool.
 */
export function gemmChunks(t: GemmTask, threads: number): number {
  if (threads <= 1) return 1;
  if (t.batch >= threads) return Math.min(t.batch, 3 * threads);
  const bands = t.N >= t.M ? Math.floor(t.N / 64) : Math.floor(t.M / 32);
  return Math.max(1, Math.min(3 * threads, bands));
}

/**
 * Chunk `part` of `nparts` computes its share of the task: whole matrices when batch ≥ nparts, else a
 * band of every matrix along its longer output side (in whole micro-tiles), so each chunk packs only
 * its own panels. K = 0 is handled by the caller (the output is zero-filled).
 */
export function gemmPart(ex: KernelExports, t: GemmTask, part: number, nparts: number, scratch: number): void {
  const { M, N, K } = t;
  const blk = blockingOf(ex);
  const { MR, NR } = blk;
  const ldc = 4 * N;
  const mat = (p: number, m0: number, m1: number, n0: number, n1: number): void => {
    gemmRect(ex, blk, t.ta, t.a + sizeOf(t.ta) * p * t.sab, t.sam, t.sak, t.tb, t.b + sizeOf(t.tb) * p * t.sbb, t.sbk, t.sbn,
      t.c + p * M * ldc, ldc, m0, m1, n0, n1, K, scratch);
  };
  if (t.batch >= nparts) {
    const [b0, b1] = share(t.batch, part, nparts);
    for (let p = b0; p < b1; p++) mat(p, 0, M, 0, N);
    return;
  }
  for (let p = 0; p < t.batch; p++) {
    if (N >= M) {
      const [u0, u1] = share(Math.ceil(N / NR), part, nparts);
      if (u1 > u0) mat(p, 0, M, u0 * NR, Math.min(N, u1 * NR));
    } else {
      const [u0, u1] = share(Math.ceil(M / MR), part, nparts);
      if (u1 > u0) mat(p, u0 * MR, Math.min(M, u1 * MR), 0, N);
    }
  }
}

export { GEMM_SCRATCH_BYTES };

/** a GemmTask, split as gemmChunks says when it has at least PAR_GEMM_FLOPS multiply-adds ×2 */
export const gemmJob = defineJob({
  name: 'gemm',
  fields: GEMM_TASK_FIELDS,
  chunks: (t, threads) => (2 * t.batch * t.M * t.N * t.K >= PAR_GEMM_FLOPS ? gemmChunks(t, threads) : 1),
  run: (ex, t, part, nparts, scratch) => gemmPart(ex, t, part, nparts, scratch),
});

export const gemmSpec: KernelSpec = {
  name: 'gemm',
  emit: (ctx: KernelContext) => matmulFuncs(ctx.relaxed),
  jobs: [gemmJob],
  // one 64·threads × 256 by 256 × 64 product, eight times: a band of rows for every thread
  warmJobs: ({ a, b, o, threads }) => [
    warmRun(gemmJob, { a, sab: 0, sam: 256, sak: 1, b, sbb: 0, sbk: 64, sbn: 1, c: o, batch: 1, M: 64 * threads, N: 64, K: 256, ta: 0, tb: 0 }, 8),
  ],
};
