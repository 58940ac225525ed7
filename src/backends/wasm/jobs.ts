/**
 * Work that can be split across threads, described by a kind and a few numbers in shared memory so the
 * main thread and the workers run the same code on disjoint parts. Only wasm kernels run here: they see
 * the shared memory directly, so no typed-array views need refreshing after the memory grows.
 */
import { GEMM_TASK_FIELDS, gemmPart, share, type GemmTask } from './gemm.js';
import type { KernelExports } from './module.js';
import { BIASED_UNARY, SIMD_BINARY, SIMD_UNARY } from './elementwise.js';
import { CONV_ARG_EXT, CONV_FOLD, CONV_MID_EXT, CONV_ROW_SCALAR, CONV_STEP, CONV_UNFOLD, RS_OPS } from './convKernels.js';

export const JOB_GEMM = 1, JOB_UNARY = 2, JOB_BINARY = 3, JOB_SUM = 4, JOB_ADAM = 5, JOB_NORM = 6, JOB_SOFTMAX = 7, JOB_CE = 8, JOB_CE_GRAD = 9, JOB_BIAS_UNARY = 10, JOB_BINARY_ROWS = 11, JOB_CONV = 12;

/**
 * Control block (Int32 slots), followed by float64 job parameters at CTL_PARAMS_BYTE.
 * NEXT packs (chunk count << 16) | next unclaimed chunk; DONE counts finished chunks.
 */
export const CTL_GEN = 0, CTL_NEXT = 1, CTL_DONE = 2, CTL_ERR = 3, CTL_KIND = 4, CTL_EXIT = 5;
export const CTL_INTS = 16;
export const CTL_PARAMS_BYTE = 64;
export const CTL_MAX_PARAMS = 32;
export const CTL_BYTES = CTL_PARAMS_BYTE + 8 * CTL_MAX_PARAMS;

/** claim the next chunk of the current job: its index, or -1 when none is left */
export function claimChunk(ctl: Int32Array): number {
  for (;;) {
    const v = Atomics.load(ctl, CTL_NEXT);
    const i = v & 0xffff;
    if (i >= v >>> 16) return -1;
    if (Atomics.compareExchange(ctl, CTL_NEXT, v, v + 1) === v) return i;
  }
}

/** chunks for an element-wise job over n elements: ≥ 32K elements each, a few per thread for balance */
export function elemChunks(n: number, threads: number): number {
  return Math.max(1, Math.min(4 * threads, Math.floor(n / 32768)));
}

export function gemmParams(t: GemmTask): number[] {
  return GEMM_TASK_FIELDS.map((k) => t[k]);
}

function gemmFromParams(p: Float64Array): GemmTask {
  const t = {} as Record<string, number>;
  GEMM_TASK_FIELDS.forEach((k, i) => (t[k] = p[i]!));
  return t as unknown as GemmTask;
}

/** element range [lo, hi) of `part`, cut at 16-element (64-byte) boundaries so threads never share a cache line */
export function elemRange(n: number, part: number, nparts: number): [number, number] {
  const [u0, u1] = share(Math.ceil(n / 16), part, nparts);
  const lo = u0 * 16, hi = Math.min(n, u1 * 16);
  return [lo, Math.max(lo, hi)];
}

export function runJob(ex: KernelExports, kind: number, p: Float64Array, part: number, nparts: number, scratch: number): void {
  switch (kind) {
    case JOB_GEMM:
      gemmPart(ex, gemmFromParams(p), part, nparts, scratch);
      return;
    case JOB_UNARY: {
      // [op index, src, dst, n]
      const [lo, hi] = elemRange(p[3]!, part, nparts);
      if (hi > lo) ex[`un_${SIMD_UNARY[p[0]!]}`]!(p[1]! + 4 * lo, p[2]! + 4 * lo, hi - lo);
      return;
    }
    case JOB_BINARY: {
      // [op index, a, b, dst, n, mode]; a scalar operand (mode 1: b, mode 2: a) keeps its address
      const [lo, hi] = elemRange(p[4]!, part, nparts);
      const mode = p[5]!;
      if (hi > lo) {
        ex[`bin_${SIMD_BINARY[p[0]!]}`]!(p[1]! + (mode === 2 ? 0 : 4 * lo), p[2]! + (mode === 1 ? 0 : 4 * lo), p[3]! + 4 * lo, hi - lo, mode);
      }
      return;
    }
    case JOB_BINARY_ROWS: {
      // [op index, a, b, dst, rows, L, mode]: one operand is a row of L floats (L a multiple of 4) that the
      // other's rows all meet — mode 1: b is the row, 2: a is; split by rows
      const rows = p[4]!, L = p[5]!, mode = p[6]!;
      const [r0, r1] = share(rows, part, nparts);
      const f = ex[`bin_${SIMD_BINARY[p[0]!]}`]!;
      for (let r = r0; r < r1; r++) {
        const off = 4 * r * L;
        f(p[1]! + (mode === 2 ? 0 : off), p[2]! + (mode === 1 ? 0 : off), p[3]! + off, L, 0);
      }
      return;
    }
    case JOB_CONV:
      convPart(ex, p, part, nparts);
      return;
    case JOB_SUM: {
      // [src, n (a multiple of 8), partials]: part p writes its f64 partial sum to partials[p]
      const [lo, hi] = elemRange(p[1]!, part, nparts);
      ex.sum_f32_store!(p[0]! + 4 * lo, hi - lo, p[2]! + 8 * part);
      return;
    }
    case JOB_ADAM: {
      // [p, g, m, v, x (0: none), n, ...9 f32 scalars of adam_f32]
      const [lo, hi] = elemRange(p[5]!, part, nparts);
      if (hi > lo) {
        const at = (k: number): number => p[k]! + 4 * lo;
        ex.adam_f32!(at(0), at(1), at(2), at(3), p[4] ? at(4) : 0, hi - lo, p[6]!, p[7]!, p[8]!, p[9]!, p[10]!, p[11]!, p[12]!, p[13]!, p[14]!);
      }
      return;
    }
    case JOB_NORM: {
      // [src, dst, rstd, rows, cols, eps, rms]: part p takes a contiguous range of rows
      const rows = p[3]!, cols = p[4]!;
      const [lo, hi] = share(rows, part, nparts);
      if (hi > lo) ex.norm_rows_f32!(p[0]! + 4 * lo * cols, p[1]! + 4 * lo * cols, p[2]! + 4 * lo, hi - lo, cols, p[5]!, p[6]!);
      return;
    }
    case JOB_SOFTMAX: {
      // [src, dst, rows, cols, log]: part p takes a contiguous range of rows
      const rows = p[2]!, cols = p[3]!;
      const [lo, hi] = share(rows, part, nparts);
      if (hi > lo) ex.softmax_rows_f32!(p[0]! + 4 * lo * cols, p[1]! + 4 * lo * cols, hi - lo, cols, p[4]!);
      return;
    }
    case JOB_BIAS_UNARY: {
      // [act index, src, bias, dst, zdst (0: none), rows, N]: part p takes a contiguous range of rows
      const rows = p[5]!, N = p[6]!;
      const [lo, hi] = share(rows, part, nparts);
      if (hi > lo) ex[`ub_${BIASED_UNARY[p[0]!]}`]!(p[1]! + 4 * lo * N, p[2]!, p[3]! + 4 * lo * N, p[4] ? p[4] + 4 * lo * N : 0, hi - lo, N);
      return;
    }
    case JOB_CE: {
      // [src, tgt, loss, max, lsum, rows, cols, ignore]: part p takes a contiguous range of rows
      const rows = p[5]!, cols = p[6]!;
      const [lo, hi] = share(rows, part, nparts);
      if (hi > lo) ex.ce_rows_f32!(p[0]! + 4 * lo * cols, p[1]! + 4 * lo, p[2]! + 4 * lo, p[3]! + 4 * lo, p[4]! + 4 * lo, hi - lo, cols, p[7]!);
      return;
    }
    case JOB_CE_GRAD: {
      // [src, max, lsum, tgt, g, dst, rows, cols, ignore, g stride in bytes]
      const rows = p[6]!, cols = p[7]!, gs = p[9]!;
      const [lo, hi] = share(rows, part, nparts);
      if (hi > lo) {
        ex.ce_grad_rows_f32!(p[0]! + 4 * lo * cols, p[1]! + 4 * lo, p[2]! + 4 * lo, p[3]! + 4 * lo, p[4]! + gs * lo,
          p[5]! + 4 * lo * cols, hi - lo, cols, p[8]!, gs);
      }
      return;
    }
    default:
      throw new Error(`wasm backend: unknown job kind ${kind}`);
  }
}

/**
 * One part of a convolution-side pass (JOB_CONV; p[0] picks the pass, the rest are the kernel's arguments):
 * unfold and fold by image planes (plane q reads and writes only its own rows), row-scalar binaries by groups
 * of P rows (the scalars' period), pooling max/min and argmax/argmin by outer slices, the relu mask by elements.
 */
function convPart(ex: KernelExports, p: Float64Array, part: number, nparts: number): void {
  const a = Array.from(p.subarray(1, CTL_MAX_PARAMS));
  switch (p[0]) {
    case CONV_UNFOLD:
    case CONV_FOLD: {
      // [src, dst, planes, H, W, KH, KW, s0, s1, p0, p1, d0, d1, OH, OW(, pad)]
      const [src, dst, planes, H, W, KH, KW] = a as [number, number, number, number, number, number, number];
      const colsPlane = 4 * KH * KW * a[13]! * a[14]!, imgPlane = 4 * H * W;
      const [q0, q1] = share(planes, part, nparts);
      if (q1 <= q0) return;
      const unfold = p[0] === CONV_UNFOLD;
      const rest = a.slice(3, unfold ? 16 : 15); // H … OW (, pad)
      if (unfold) ex.unfold_f32!(src + q0 * imgPlane, dst + q0 * colsPlane, q1 - q0, ...rest);
      else ex.fold_f32!(src + q0 * colsPlane, dst + q0 * imgPlane, q1 - q0, ...rest);
      return;
    }
    case CONV_ROW_SCALAR: {
      // [op index, mode, full, scalars, dst, rows, inner, P, sb]
      const [op, mode, full, sc, dst, rows, inner, P, sb] = a as [number, number, number, number, number, number, number, number, number];
      const [g0, g1] = share(rows / P, part, nparts);
      const off = 4 * g0 * P * inner;
      if (g1 > g0) ex[`rs_${RS_OPS[op]}_${mode}`]!(full + off, sc, dst + off, (g1 - g0) * P, inner, P, sb);
      return;
    }
    case CONV_MID_EXT: {
      // [isMax, x, o, outer, R, inner]
      const [isMax, x, o, outer, R, inner] = a as [number, number, number, number, number, number];
      const [o0, o1] = share(outer, part, nparts);
      if (o1 > o0) ex[isMax ? 'mid_max_f32' : 'mid_min_f32']!(x + 4 * o0 * R * inner, o + 4 * o0 * inner, o1 - o0, R, inner);
      return;
    }
    case CONV_ARG_EXT: {
      // [isMax, x, o (int32), outer, R, inner]
      const [isMax, x, o, outer, R, inner] = a as [number, number, number, number, number, number];
      const [o0, o1] = share(outer, part, nparts);
      if (o1 > o0) ex[isMax ? 'arg_max_f32' : 'arg_min_f32']!(x + 4 * o0 * R * inner, o + 4 * o0 * inner, o1 - o0, R, inner);
      return;
    }
    case CONV_STEP: {
      // [x, o, n, threshold]
      const [lo, hi] = elemRange(a[2]!, part, nparts);
      if (hi > lo) ex.step_f32!(a[0]! + 4 * lo, a[1]! + 4 * lo, hi - lo, a[3]!);
      return;
    }
    default:
      throw new Error(`wasm pool: unknown convolution pass ${p[0]}`);
  }
}
