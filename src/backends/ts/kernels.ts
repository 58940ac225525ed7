/**
 * Reference kernels: plain TypeScript over typed arrays. Every faster backend is tested against these,
 * and may call them (over typed-array views of its own memory) for kernels it does not accelerate.
 *
 * Convention: `out` is a fresh contiguous array the caller allocated; inputs are strided `ArrView`s.
 * Arithmetic happens in JS doubles and is rounded once when stored into `out` (float32 stays float32).
 */
import type { DType, TypedArray } from '../../dtype.js';
import type { ArgReduceOp, BiasActivation, BinaryOp, ReduceOp, UnaryOp, UnfoldParams, AdamHyper } from '../backend.js';
import { INV_SQRT_2PI, normalCdf } from '../scalarMath.js';
import { UNARY_OPS } from '../unaryOps.js';

export interface ArrView {
  readonly arr: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}

/** True when the view's elements are laid out row-major without gaps (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * Element offsets of a strided view in row-major order, or null when the view is contiguous
 * (then element i sits at offset + i). Materialising the table keeps every kernel a flat loop.
 */
export function offsetsOf(v: ArrView): Int32Array | null {
  if (isContiguous(v.shape, v.strides)) return null;
  const n = numel(v.shape);
  const out = new Int32Array(n);
  const rank = v.shape.length;
  if (n === 0) return out;
  const last = rank - 1;
  const innerN = v.shape[last]!;
  const innerS = v.strides[last]!;
  const idx = new Array<number>(rank).fill(0);
  let base = v.offset;
  let k = 0;
  for (;;) {
    for (let j = 0, o = base; j < innerN; j++, o += innerS) out[k++] = o;
    // advance the outer counter (dims 0..last-1)
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]!++;
      base += v.strides[d]!;
      if (idx[d]! < v.shape[d]!) break;
      base -= v.strides[d]! * v.shape[d]!;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/** the reference kernel of a unary op as a scalar function (UNARY_OPS in ../unaryOps.ts) */
export function unaryFn(op: UnaryOp, params: readonly number[] = []): (x: number) => number {
  return UNARY_OPS[op].ref(params);
}

function store(out: TypedArray, dtype: DType, i: number, v: number): void {
  out[i] = dtype === 'bool' ? (v !== 0 && v === v ? 1 : 0) : v;
}

export function unary(out: TypedArray, outDtype: DType, op: UnaryOp, x: ArrView, params: readonly number[] = []): void {
  const f = unaryFn(op, params);
  const n = out.length;
  const a = x.arr;
  const offs = offsetsOf(x);
  if (outDtype === 'bool') {
    for (let i = 0; i < n; i++) store(out, outDtype, i, f(a[offs ? offs[i]! : x.offset + i]!));
    return;
  }
  if (offs === null) {
    const o = x.offset;
    for (let i = 0; i < n; i++) out[i] = f(a[o + i]!);
  } else {
    for (let i = 0; i < n; i++) out[i] = f(a[offs[i]!]!);
  }
}

type Fn2 = (a: number, b: number) => number;
const binaryTable: { [K in BinaryOp]: Fn2 } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  // NaN propagates through maximum/minimum, as in PyTorch
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};

export function binaryFn(op: BinaryOp): Fn2 {
  return binaryTable[op];
}

export function binary(out: TypedArray, outDtype: DType, op: BinaryOp, a: ArrView, b: ArrView): void {
  const n = out.length;
  const A = a.arr, B = b.arr;
  const intDiv = op === 'div' && outDtype === 'int32';
  const f = binaryTable[op];
  const oa = offsetsOf(a), ob = offsetsOf(b);
  // fast paths: both contiguous, or one side a broadcast scalar
  const aScalar = a.strides.every((s) => s === 0), bScalar = b.strides.every((s) => s === 0);
  if (outDtype !== 'bool' && !intDiv) {
    if (oa === null && ob === null) {
      const x0 = a.offset, y0 = b.offset;
      if (op === 'add') { for (let i = 0; i < n; i++) out[i] = A[x0 + i]! + B[y0 + i]!; return; }
      if (op === 'mul') { for (let i = 0; i < n; i++) out[i] = A[x0 + i]! * B[y0 + i]!; return; }
      if (op === 'sub') { for (let i = 0; i < n; i++) out[i] = A[x0 + i]! - B[y0 + i]!; return; }
      for (let i = 0; i < n; i++) out[i] = f(A[x0 + i]!, B[y0 + i]!);
      return;
    }
    if (oa === null && bScalar) {
      const x0 = a.offset, s = B[b.offset]!;
      for (let i = 0; i < n; i++) out[i] = f(A[x0 + i]!, s);
      return;
    }
    if (aScalar && ob === null) {
      const s = A[a.offset]!, y0 = b.offset;
      for (let i = 0; i < n; i++) out[i] = f(s, B[y0 + i]!);
      return;
    }
  }
  const rank = a.shape.length;
  const inner = rank > 0 ? a.shape[rank - 1]! : 1;
  if (rank > 1 && inner >= 8 && n > 0) {
    // broadcast and strided operands: walk the innermost dim by stride, tabulate only the outer offsets
    const outerShape = a.shape.slice(0, -1);
    const oA = offsetsOf({ arr: A, shape: outerShape, strides: a.strides.slice(0, -1), offset: a.offset }) ?? null;
    const oB = offsetsOf({ arr: B, shape: outerShape, strides: b.strides.slice(0, -1), offset: b.offset }) ?? null;
    const sa = a.strides[rank - 1]!, sb = b.strides[rank - 1]!;
    const outer = n / inner;
    const plain = outDtype !== 'bool' && !intDiv;
    for (let r = 0; r < outer; r++) {
      // a null table means the outer dims are themselves contiguous: outer index r sits at offset + r
      let ia = oA ? oA[r]! : a.offset + r, ib = oB ? oB[r]! : b.offset + r;
      const o = r * inner;
      if (plain && op === 'add') for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = A[ia]! + B[ib]!;
      else if (plain && op === 'mul') for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = A[ia]! * B[ib]!;
      else if (plain) for (let j = 0; j < inner; j++, ia += sa, ib += sb) out[o + j] = f(A[ia]!, B[ib]!);
      else
        for (let j = 0; j < inner; j++, ia += sa, ib += sb) {
          let v = f(A[ia]!, B[ib]!);
          if (intDiv) v = Math.trunc(v);
          store(out, outDtype, o + j, v);
        }
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const va = A[oa ? oa[i]! : a.offset + i]!;
    const vb = B[ob ? ob[i]! : b.offset + i]!;
    let v = f(va, vb);
    if (intDiv) v = Math.trunc(v);
    store(out, outDtype, i, v);
  }
}

export function where(out: TypedArray, outDtype: DType, c: ArrView, a: ArrView, b: ArrView): void {
  const n = out.length;
  const oc = offsetsOf(c), oa = offsetsOf(a), ob = offsetsOf(b);
  for (let i = 0; i < n; i++) {
    const cond = c.arr[oc ? oc[i]! : c.offset + i]!;
    const v = cond !== 0 ? a.arr[oa ? oa[i]! : a.offset + i]! : b.arr[ob ? ob[i]! : b.offset + i]!;
    store(out, outDtype, i, v);
  }
}

/** The view with `axes` moved last: row r of length R of the result is one reduction group. */
function moveAxesLast(x: ArrView, axes: readonly number[]): { view: ArrView; groups: number; groupSize: number } {
  const kept: number[] = [];
  for (let d = 0; d < x.shape.length; d++) if (!axes.includes(d)) kept.push(d);
  const order = [...kept, ...axes];
  const view: ArrView = {
    arr: x.arr,
    shape: order.map((d) => x.shape[d]!),
    strides: order.map((d) => x.strides[d]!),
    offset: x.offset,
  };
  let groupSize = 1;
  for (const d of axes) groupSize *= x.shape[d]!;
  const groups = numel(kept.map((d) => x.shape[d]!));
  return { view, groups, groupSize };
}

/**
 * A contiguous x reduced over one run of consecutive axes is [outer, R, inner] with inner > 1: reducing it
 * row by row (r outer, i inner) reads memory sequentially instead of through a gathered offset table.
 */
function middleRun(x: ArrView, axes: readonly number[]): { outer: number; R: number; inner: number } | null {
  if (axes.length === 0 || !isContiguous(x.shape, x.strides)) return null;
  for (let k = 1; k < axes.length; k++) if (axes[k] !== axes[k - 1]! + 1) return null;
  const a = axes[0]!, b = axes[axes.length - 1]!;
  let outer = 1, R = 1, inner = 1;
  for (let d = 0; d < x.shape.length; d++) {
    if (d < a) outer *= x.shape[d]!;
    else if (d <= b) R *= x.shape[d]!;
    else inner *= x.shape[d]!;
  }
  return inner > 1 && R > 0 ? { outer, R, inner } : null;
}

/** sorted axes split into runs of consecutive axes: [0, 2, 3] → [[0], [2, 3]] */
function axisRuns(axes: readonly number[]): number[][] {
  const runs: number[][] = [];
  for (const a of axes) {
    const r = runs[runs.length - 1];
    if (r && r[r.length - 1] === a - 1) r.push(a);
    else runs.push([a]);
  }
  return runs;
}

function reduceMiddle(out: TypedArray, outDtype: DType, op: ReduceOp, x: ArrView, m: { outer: number; R: number; inner: number }): void {
  const { outer, R, inner } = m;
  const A = x.arr;
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = x.offset + o * R * inner;
    for (let i = 0; i < inner; i++) acc[i] = A[base + i]!;
    for (let r = 1; r < R; r++) {
      const row = base + r * inner;
      switch (op) {
        case 'sum': for (let i = 0; i < inner; i++) acc[i] += A[row + i]!; break;
        case 'prod': for (let i = 0; i < inner; i++) acc[i] *= A[row + i]!; break;
        // NaN propagates: once acc is NaN neither comparison replaces it
        case 'max': for (let i = 0; i < inner; i++) { const v = A[row + i]!; if (v > acc[i]! || v !== v) acc[i] = v; } break;
        case 'min': for (let i = 0; i < inner; i++) { const v = A[row + i]!; if (v < acc[i]! || v !== v) acc[i] = v; } break;
      }
    }
    for (let i = 0; i < inner; i++) store(out, outDtype, o * inner + i, acc[i]!);
  }
}

export function reduce(out: TypedArray, outDtype: DType, op: ReduceOp, x: ArrView, axes: readonly number[]): void {
  const mid = middleRun(x, axes);
  if (mid) {
    if (mid.R === 0) throw new RangeError(`${op}: cannot reduce over a zero-size dimension (no identity)`);
    reduceMiddle(out, outDtype, op, x, mid);
    return;
  }
  // several separate runs of axes of a contiguous x (a conv bias gradient sums [N, C, H, W] over 0, 2, 3):
  // reduce the last run first into a float64 scratch, then the rest of it, each pass sequential in memory
  const runs = axisRuns(axes);
  if (runs.length > 1 && isContiguous(x.shape, x.strides) && numel(x.shape) > 0) {
    const last = runs[runs.length - 1]!;
    const partShape = x.shape.filter((_, d) => !last.includes(d));
    const part = new Float64Array(numel(partShape));
    reduce(part, 'float64', op, x, last);
    const rest = axes.filter((d) => !last.includes(d));
    reduce(out, outDtype, op, { arr: part, shape: partShape, strides: contiguousStrides(partShape), offset: 0 }, rest);
    return;
  }
  const { view, groups, groupSize: R } = moveAxesLast(x, axes);
  const offs = offsetsOf(view);
  const A = x.arr;
  for (let g = 0; g < groups; g++) {
    const base = g * R;
    let acc: number;
    switch (op) {
      case 'sum': {
        acc = 0;
        if (offs === null) { const o = view.offset + base; for (let r = 0; r < R; r++) acc += A[o + r]!; }
        else for (let r = 0; r < R; r++) acc += A[offs[base + r]!]!;
        break;
      }
      case 'prod': {
        acc = 1;
        for (let r = 0; r < R; r++) acc *= A[offs ? offs[base + r]! : view.offset + base + r]!;
        break;
      }
      case 'max':
      case 'min': {
        if (R === 0) throw new RangeError(`${op}: cannot reduce over a zero-size dimension (no identity)`);
        const isMax = op === 'max';
        acc = isMax ? -Infinity : Infinity;
        for (let r = 0; r < R; r++) {
          const v = A[offs ? offs[base + r]! : view.offset + base + r]!;
          if (v !== v) { acc = NaN; break; } // NaN propagates
          if (isMax ? v > acc : v < acc) acc = v;
        }
        break;
      }
    }
    store(out, outDtype, g, acc);
  }
}

/**
 * Stable sort of each line of x along `axis`: values (x's dtype) and the int32 source index of each along that axis,
 * both contiguous in x's shape. Ascending, or descending; equal values keep their input order either way (PyTorch's
 * stable=True) and NaN orders as the largest value (last ascending, first descending), as PyTorch.
 */
export function sortAlong(values: TypedArray, indices: Int32Array, x: ArrView, axis: number, descending: boolean): void {
  const shape = x.shape;
  const n = shape[axis]!;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  const total = numel(shape);
  if (total === 0) return;
  const outer = total / (n * inner);
  const offs = offsetsOf(x);
  const A = x.arr;
  const line = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  // a before b (a < b as indices): negative when line[a] goes first; ties by index (stability)
  const cmp = (a: number, b: number): number => {
    const va = line[a]!, vb = line[b]!;
    const na = va !== va, nb = vb !== vb;
    if (na || nb) return na && nb ? a - b : (na !== descending ? 1 : -1);
    if (va !== vb) return (va < vb) !== descending ? -1 : 1;
    return a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let r = 0; r < n; r++) {
        const flat = base + r * inner;
        line[r] = A[offs ? offs[flat]! : x.offset + flat]!;
        order[r] = r;
      }
      order.sort(cmp);
      for (let r = 0; r < n; r++) {
        const flat = base + r * inner;
        values[flat] = line[order[r]!]!;
        indices[flat] = order[r]!;
      }
    }
  }
}

export function argReduce(out: Int32Array, op: ArgReduceOp, x: ArrView, axis: number): void {
  const mid = middleRun(x, [axis]);
  if (mid && mid.R > 0) {
    const { outer, R, inner } = mid;
    const A = x.arr;
    const bv = new Float64Array(inner);
    const isMax = op === 'argmax';
    for (let o = 0; o < outer; o++) {
      const base = x.offset + o * R * inner;
      const ob = o * inner;
      for (let i = 0; i < inner; i++) { bv[i] = A[base + i]!; out[ob + i] = 0; }
      for (let r = 1; r < R; r++) {
        const row = base + r * inner;
        for (let i = 0; i < inner; i++) {
          const v = A[row + i]!, b = bv[i]!;
          // the first NaN is the extreme (as PyTorch) and freezes the slot: b !== b stops later updates
          if (b === b && (v !== v || (isMax ? v > b : v < b))) { bv[i] = v; out[ob + i] = r; }
        }
      }
    }
    return;
  }
  const { view, groups, groupSize: R } = moveAxesLast(x, [axis]);
  if (R === 0) throw new RangeError(`${op}: cannot reduce over a zero-size dimension`);
  const offs = offsetsOf(view);
  const A = x.arr;
  const isMax = op === 'argmax';
  for (let g = 0; g < groups; g++) {
    const base = g * R;
    let best = 0, bv = A[offs ? offs[base]! : view.offset + base]!;
    if (bv === bv) {
      for (let r = 1; r < R; r++) {
        const v = A[offs ? offs[base + r]! : view.offset + base + r]!;
        if (v !== v) { best = r; break; } // NaN counts as the extreme, as in PyTorch
        if (isMax ? v > bv : v < bv) { bv = v; best = r; }
      }
    }
    out[g] = best;
  }
}

/**
 * Batched matmul, packed and register-blocked (the BLIS scheme in plain TypeScript): A is packed into
 * 4-row panels and B into 4-column panels for one K-block at a time, so the 4×4 micro-kernel below
 * keeps 16 accumulators in registers and reads both panels sequentially from L1. Packing also absorbs
 * any strides, so transposed operands (xᵀ·dy, dy·Wᵀ in backward) cost no extra copy. Sums are in float64.
 */
export function matmul(out: TypedArray, a: ArrView, b: ArrView): void {
  const [batch, M, K] = a.shape as [number, number, number];
  const N = b.shape[2]!;
  const [sab, sam, sak] = a.strides as [number, number, number];
  const [sbb, sbk, sbn] = b.strides as [number, number, number];
  const A = a.arr, B = b.arr;
  const KC = 256;
  const Mp = Math.ceil(M / 4) * 4, Np = Math.ceil(N / 4) * 4;
  const Ap = new Float64Array(Mp * KC);
  const Bp = new Float64Array(Np * KC);
  const C = new Float64Array(Mp * Np);
  for (let p = 0; p < batch; p++) {
    C.fill(0);
    const aBase = a.offset + p * sab, bBase = b.offset + p * sbb;
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      // pack A[:, k0:k0+kc] as panels [M/4][kc][4]
      for (let i0 = 0; i0 < Mp; i0 += 4) {
        const panel = i0 * kc;
        for (let r = 0; r < 4; r++) {
          const i = i0 + r;
          if (i < M) {
            let src = aBase + i * sam + k0 * sak;
            for (let k = 0; k < kc; k++, src += sak) Ap[panel + k * 4 + r] = A[src]!;
          } else for (let k = 0; k < kc; k++) Ap[panel + k * 4 + r] = 0;
        }
      }
      // pack B[k0:k0+kc, :] as panels [N/4][kc][4]
      for (let j0 = 0; j0 < Np; j0 += 4) {
        const panel = j0 * kc;
        for (let c = 0; c < 4; c++) {
          const j = j0 + c;
          if (j < N) {
            let src = bBase + k0 * sbk + j * sbn;
            for (let k = 0; k < kc; k++, src += sbk) Bp[panel + k * 4 + c] = B[src]!;
          } else for (let k = 0; k < kc; k++) Bp[panel + k * 4 + c] = 0;
        }
      }
      for (let j0 = 0; j0 < Np; j0 += 4) {
        const bp = j0 * kc;
        for (let i0 = 0; i0 < Mp; i0 += 4) {
          const ap = i0 * kc;
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          for (let k = 0; k < kc; k++) {
            const ak = ap + k * 4, bk = bp + k * 4;
            const a0 = Ap[ak]!, a1 = Ap[ak + 1]!, a2 = Ap[ak + 2]!, a3 = Ap[ak + 3]!;
            const b0 = Bp[bk]!, b1 = Bp[bk + 1]!, b2 = Bp[bk + 2]!, b3 = Bp[bk + 3]!;
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
          }
          let o = i0 * Np + j0;
          C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03; o += Np;
          C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; o += Np;
          C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; o += Np;
          C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33;
        }
      }
    }
    const cBase = p * M * N;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out[cBase + i * N + j] = C[i * Np + j]!;
  }
}

export function copy(out: TypedArray, outDtype: DType, x: ArrView): void {
  const n = out.length;
  const offs = offsetsOf(x);
  const A = x.arr;
  if (outDtype === 'bool') {
    for (let i = 0; i < n; i++) out[i] = A[offs ? offs[i]! : x.offset + i]! !== 0 ? 1 : 0;
  } else if (offs === null) {
    if (A.constructor === out.constructor) (out as Float64Array).set((A as Float64Array).subarray(x.offset, x.offset + n));
    else for (let i = 0; i < n; i++) out[i] = A[x.offset + i]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = A[offs[i]!]!;
  }
}

export function assign(dst: ArrView, dstDtype: DType, src: ArrView): void {
  const n = numel(dst.shape);
  const od = offsetsOf(dst), os = offsetsOf(src);
  const D = dst.arr, S = src.arr;
  for (let i = 0; i < n; i++) {
    const v = S[os ? os[i]! : src.offset + i]!;
    const j = od ? od[i]! : dst.offset + i;
    D[j] = dstDtype === 'bool' ? (v !== 0 ? 1 : 0) : v;
  }
}

export function fill(dst: ArrView, value: number): void {
  const n = numel(dst.shape);
  const od = offsetsOf(dst);
  if (od === null) dst.arr.fill(value, dst.offset, dst.offset + n);
  else for (let i = 0; i < n; i++) dst.arr[od[i]!] = value;
}

/** Walk every index of `shape`, handing the callback the multi-index and the row-major position. */
function forEachIndex(shape: readonly number[], fn: (idx: number[], pos: number) => void): void {
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let pos = 0; pos < n; pos++) {
    fn(idx, pos);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

function checkIndex(op: string, v: number, size: number, axis: number): number {
  const i = v < 0 ? v + size : v;
  if (!(i >= 0 && i < size)) throw new RangeError(`${op}: index ${v} is out of bounds for dimension ${axis} with size ${size}`);
  return i;
}

/**
 * [outer, R, inner] split of a contiguous `shape` around `axis`, when `index` has the same extent on every
 * other axis (the case of max/min backward and cross-entropy): then gather/scatter are flat loops.
 */
function axisSplit(shape: readonly number[], axis: number, index: ArrView): { outer: number; inner: number } | null {
  if (index.shape.length !== shape.length || !isContiguous(index.shape, index.strides)) return null;
  let outer = 1, inner = 1;
  for (let d = 0; d < shape.length; d++) {
    if (d === axis) continue;
    if (index.shape[d] !== shape[d]) return null;
    if (d < axis) outer *= shape[d]!;
    else inner *= shape[d]!;
  }
  return { outer, inner };
}

export function gather(out: TypedArray, x: ArrView, axis: number, index: ArrView): void {
  const split = isContiguous(x.shape, x.strides) ? axisSplit(x.shape, axis, index) : null;
  if (split) {
    const { outer, inner } = split;
    const R = x.shape[axis]!, RI = index.shape[axis]!;
    const I = index.arr, X = x.arr;
    let pos = 0;
    for (let o = 0; o < outer; o++)
      for (let r = 0; r < RI; r++)
        for (let i = 0; i < inner; i++, pos++) {
          const iv = checkIndex('gather', I[index.offset + pos]!, R, axis);
          out[pos] = X[x.offset + (o * R + iv) * inner + i]!;
        }
    return;
  }
  const oi = offsetsOf(index);
  forEachIndex(index.shape, (idx, pos) => {
    const iv = checkIndex('gather', index.arr[oi ? oi[pos]! : index.offset + pos]!, x.shape[axis]!, axis);
    let o = x.offset;
    for (let d = 0; d < idx.length; d++) o += (d === axis ? iv : idx[d]!) * x.strides[d]!;
    out[pos] = x.arr[o]!;
  });
}

export function scatterAdd(out: TypedArray, shape: readonly number[], axis: number, index: ArrView, src: ArrView): void {
  const split = isContiguous(src.shape, src.strides) && src.shape.every((d, k) => d === index.shape[k]) ? axisSplit(shape, axis, index) : null;
  if (split) {
    const { outer, inner } = split;
    const R = shape[axis]!, RI = index.shape[axis]!;
    const I = index.arr, S = src.arr;
    let pos = 0;
    for (let o = 0; o < outer; o++)
      for (let r = 0; r < RI; r++)
        for (let i = 0; i < inner; i++, pos++) {
          const t = (o * R + checkIndex('scatterAdd', I[index.offset + pos]!, R, axis)) * inner + i;
          out[t] = out[t]! + S[src.offset + pos]!;
        }
    return;
  }
  const oi = offsetsOf(index), os = offsetsOf(src);
  const st = contiguousStrides(shape);
  forEachIndex(index.shape, (idx, pos) => {
    const iv = checkIndex('scatterAdd', index.arr[oi ? oi[pos]! : index.offset + pos]!, shape[axis]!, axis);
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += (d === axis ? iv : idx[d]!) * st[d]!;
    // src is addressed at the same multi-index as index (torch.scatter_add semantics)
    let s = src.offset;
    if (os) {
      let so = src.offset;
      for (let d = 0; d < idx.length; d++) so += idx[d]! * src.strides[d]!;
      s = so;
    } else {
      s = src.offset + linearIn(idx, src.shape);
    }
    out[o] = out[o]! + src.arr[s]!;
  });
}

function linearIn(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let d = 0; d < shape.length; d++) p = p * shape[d]! + idx[d]!;
  return p;
}

/** x viewed as [outer, size(axis), inner] (x must be contiguous: the caller copies first when not). */
function splitAt(shape: readonly number[], axis: number): [number, number, number] {
  return [numel(shape.slice(0, axis)), shape[axis]!, numel(shape.slice(axis + 1))];
}

export function indexSelect(out: TypedArray, x: ArrView, axis: number, index: ArrView): void {
  const [outer, size, inner] = splitAt(x.shape, axis);
  const oi = offsetsOf(index);
  const nIdx = numel(index.shape);
  const idx = new Int32Array(nIdx);
  for (let i = 0; i < nIdx; i++) idx[i] = checkIndex('indexSelect', index.arr[oi ? oi[i]! : index.offset + i]!, size, axis);
  const xo = offsetsOf(x);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < nIdx; i++) {
      const srcBase = (o * size + idx[i]!) * inner;
      const dstBase = (o * nIdx + i) * inner;
      if (xo === null) for (let r = 0; r < inner; r++) out[dstBase + r] = x.arr[x.offset + srcBase + r]!;
      else for (let r = 0; r < inner; r++) out[dstBase + r] = x.arr[xo[srcBase + r]!]!;
    }
}

export function indexAdd(out: TypedArray, shape: readonly number[], axis: number, index: ArrView, src: ArrView): void {
  const [outer, size, inner] = splitAt(shape, axis);
  const oi = offsetsOf(index), os = offsetsOf(src);
  const nIdx = numel(index.shape);
  for (let i = 0; i < nIdx; i++) {
    const t = checkIndex('indexAdd', index.arr[oi ? oi[i]! : index.offset + i]!, size, axis);
    for (let o = 0; o < outer; o++) {
      const dstBase = (o * size + t) * inner;
      const srcBase = (o * nIdx + i) * inner;
      for (let r = 0; r < inner; r++) out[dstBase + r] = out[dstBase + r]! + src.arr[os ? os[srcBase + r]! : src.offset + srcBase + r]!;
    }
  }
}

export function unfoldOutputSize(H: number, W: number, p: UnfoldParams): [number, number] {
  const oh = Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (p.kernel[0] - 1) - 1) / p.stride[0]) + 1;
  const ow = Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (p.kernel[1] - 1) - 1) / p.stride[1]) + 1;
  return [oh, ow];
}

/** Output columns ox whose input column ox·s − pad + k·dil lies in [0, W): the half-open range [lo, hi). */
function validRange(OW: number, W: number, stride: number, start: number): [number, number] {
  // start = k·dil − pad; need 0 ≤ ox·stride + start < W
  const lo = Math.min(OW, Math.max(0, Math.ceil(-start / stride)));
  const hi = Math.max(lo, Math.min(OW, Math.ceil((W - start) / stride)));
  return [lo, hi];
}

/** im2col: column (c, ki, kj) of output position (oy, ox) reads x[c, oy·s − pad + ki·dil, ox·s − pad + kj·dil]. */
export function unfold(out: TypedArray, x: ArrView, p: UnfoldParams): void {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = p.kernel;
  const [OH, OW] = unfoldOutputSize(H, W, p);
  const [sn, sc, sh, sw] = x.strides as [number, number, number, number];
  const [s0, s1] = p.stride;
  const pad = p.padValue;
  const A = x.arr;
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let ki = 0; ki < KH; ki++)
        for (let kj = 0; kj < KW; kj++) {
          const start = kj * p.dilation[1] - p.padding[1];
          const [lo, hi] = validRange(OW, W, s1, start);
          for (let oy = 0; oy < OH; oy++, o += OW) {
            const y = oy * s0 - p.padding[0] + ki * p.dilation[0];
            if (y < 0 || y >= H) {
              for (let ox = 0; ox < OW; ox++) out[o + ox] = pad;
              continue;
            }
            for (let ox = 0; ox < lo; ox++) out[o + ox] = pad;
            const step = s1 * sw;
            let src = x.offset + n * sn + c * sc + y * sh + (lo * s1 + start) * sw;
            for (let ox = lo; ox < hi; ox++, src += step) out[o + ox] = A[src]!;
            for (let ox = hi; ox < OW; ox++) out[o + ox] = pad;
          }
        }
}

/** col2im: the adjoint of unfold, summing every window's contribution back into its pixel. */
export function fold(out: TypedArray, cols: ArrView, outShape: readonly [number, number, number, number], p: UnfoldParams): void {
  const [N, C, H, W] = outShape;
  const [KH, KW] = p.kernel;
  const [OH, OW] = unfoldOutputSize(H, W, p);
  const [s0, s1] = p.stride;
  const offs = offsetsOf(cols);
  const src = cols.arr;
  let i = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const plane = (n * C + c) * H * W;
      for (let ki = 0; ki < KH; ki++)
        for (let kj = 0; kj < KW; kj++) {
          const start = kj * p.dilation[1] - p.padding[1];
          const [lo, hi] = validRange(OW, W, s1, start);
          for (let oy = 0; oy < OH; oy++, i += OW) {
            const y = oy * s0 - p.padding[0] + ki * p.dilation[0];
            if (y < 0 || y >= H) continue;
            let t = plane + y * W + lo * s1 + start;
            if (offs === null) {
              const c0 = cols.offset + i;
              for (let ox = lo; ox < hi; ox++, t += s1) out[t] = out[t]! + src[c0 + ox]!;
            } else {
              for (let ox = lo; ox < hi; ox++, t += s1) out[t] = out[t]! + src[offs[i + ox]!]!;
            }
          }
        }
    }
}

/** softmax / log-softmax along `axis`: subtract the row max first so exp never overflows. */
export function softmax(out: TypedArray, x: ArrView, axis: number, log: boolean): void {
  const { view, groups, groupSize: R } = moveAxesLast(x, [axis]);
  const offs = offsetsOf(view);
  // output positions: the same permutation applied to contiguous strides of x's shape
  const cst = contiguousStrides(x.shape);
  const outView: ArrView = { arr: out, shape: view.shape, strides: [...cst.filter((_, d) => d !== axis), cst[axis]!], offset: 0 };
  const oo = offsetsOf(outView);
  const A = x.arr;
  const row = new Float64Array(R);
  for (let g = 0; g < groups; g++) {
    const base = g * R;
    let m = -Infinity;
    for (let r = 0; r < R; r++) {
      const v = A[offs ? offs[base + r]! : view.offset + base + r]!;
      row[r] = v;
      if (v > m || v !== v) m = v;
    }
    if (m === -Infinity) {
      // a row of all −Inf (e.g. fully masked attention): −Inf log-probs (the row's x − logsumexp, since
      // logsumexp is −Inf) and NaN probabilities (0/0, as PyTorch's softmax gives)
      for (let r = 0; r < R; r++) out[oo ? oo[base + r]! : base + r] = log ? -Infinity : NaN;
      continue;
    }
    const shift = m;
    let s = 0;
    for (let r = 0; r < R; r++) s += Math.exp(row[r]! - shift);
    if (log) {
      const lse = Math.log(s);
      for (let r = 0; r < R; r++) out[oo ? oo[base + r]! : base + r] = row[r]! - shift - lse;
    } else {
      for (let r = 0; r < R; r++) out[oo ? oo[base + r]! : base + r] = Math.exp(row[r]! - shift) / s;
    }
  }
}

/**
 * Adam/AdamW step over elements [lo, hi) of contiguous views, in place (see AdamHyper). Each value is
 * computed in double precision and rounded once when stored, in the op-by-op path's order.
 */
export function adamStep(p: ArrView, grad: ArrView, m: ArrView, v: ArrView, vmax: ArrView | null, h: AdamHyper,
  lo = 0, hi = numel(p.shape)): void {
  const P = p.arr, G = grad.arr, M = m.arr, V = v.arr, X = vmax ? vmax.arr : null;
  const op = p.offset, og = grad.offset, om = m.offset, ov = v.offset, ox = vmax ? vmax.offset : 0;
  const c1 = 1 - h.beta1, b2 = h.beta2, c2 = 1 - b2, eps = h.eps, neg = h.maximize;
  const l2 = h.l2, shrink = h.shrink, bc2Sqrt = h.bc2Sqrt, negStep = -h.stepSize;
  for (let i = lo; i < hi; i++) {
    let d = neg ? -G[og + i]! : G[og + i]!;
    if (l2 !== 0) d = d + P[op + i]! * l2;
    let pi = P[op + i]!;
    if (shrink !== 1) { P[op + i] = pi * shrink; pi = P[op + i]!; }
    const mi = (M[om + i] = M[om + i]! + (d - M[om + i]!) * c1);
    let vi = (V[ov + i] = V[ov + i]! * b2 + d * d * c2);
    if (X) vi = X[ox + i] = Math.max(X[ox + i]!, vi);
    P[op + i] = pi + (mi / (Math.sqrt(vi) / bc2Sqrt + eps)) * negStep;
  }
}

/**
 * Layer / RMS normalisation of rows [lo, hi) of a contiguous [rows, cols] view (see Backend.normRows):
 * statistics in double precision, y and rstd rounded once when stored.
 */
export function normRows(y: TypedArray, rstd: TypedArray, x: ArrView, cols: number, eps: number, rms: boolean,
  lo = 0, hi = rstd.length): void {
  const X = x.arr;
  for (let r = lo; r < hi; r++) {
    const base = x.offset + r * cols, ob = r * cols;
    let mu = 0;
    if (!rms) {
      for (let j = 0; j < cols; j++) mu += X[base + j]!;
      mu /= cols;
    }
    let ss = 0;
    for (let j = 0; j < cols; j++) { const d = X[base + j]! - mu; ss += d * d; }
    const rs = 1 / Math.sqrt(ss / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) y[ob + j] = (X[base + j]! - mu) * rs;
  }
}

/**
 * Softmax cross-entropy of rows [lo, hi) of a contiguous [rows, cols] view with int32 class targets (see
 * Backend.crossEntropyRows), in double precision: m = row max, ls = log Σ e^{x − m},
 * loss = (m + ls) − x[t]; 0 where t = ignoreIndex (PyTorch's nll_loss does not read that row). A row of all −Inf
 * has loss +Inf (−logSoftmax gives the same); a NaN or +Inf in the row gives NaN.
 */
export function crossEntropyRows(loss: TypedArray, max: TypedArray, logSum: TypedArray, x: ArrView, target: ArrView,
  cols: number, ignoreIndex: number, lo = 0, hi = loss.length): void {
  const X = x.arr, T = target.arr, ts = target.shape.length ? target.strides[0]! : 0;
  for (let r = lo; r < hi; r++) {
    const base = x.offset + r * cols;
    const t = T[target.offset + r * ts]!;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) { const v = X[base + j]!; if (v > m || v !== v) m = v; }
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(X[base + j]! - m);
    const ls = Math.log(s);
    max[r] = m;
    logSum[r] = ls;
    loss[r] = t === ignoreIndex ? 0 : m === -Infinity ? Infinity : m - X[base + t]! + ls;
  }
}

/**
 * The gradient of crossEntropyRows' loss w.r.t. x (Backend.crossEntropyRowsGrad), rows [lo, hi):
 * dx[r, c] = g[r]·(e^{(x[r,c] − m[r]) − ls[r]} − [c = t_r]) — softmax minus one-hot, scaled; 0 for ignored rows.
 * The exponent keeps the shift: x − m is exact near the max, where a rounded logsumexp of large logits is not.
 */
export function crossEntropyRowsGrad(dx: TypedArray, x: ArrView, max: ArrView, logSum: ArrView, target: ArrView, g: ArrView,
  cols: number, ignoreIndex: number, lo = 0, hi = numel(target.shape)): void {
  const X = x.arr, M = max.arr, L = logSum.arr, T = target.arr, G = g.arr;
  const at = (v: ArrView, r: number): number => v.offset + r * (v.shape.length ? v.strides[0]! : 0);
  for (let r = lo; r < hi; r++) {
    const base = x.offset + r * cols, ob = r * cols;
    const t = T[at(target, r)]!;
    if (t === ignoreIndex) { dx.fill(0, ob, ob + cols); continue; }
    const gr = G[at(g, r)]!, m = M[at(max, r)]!, ls = L[at(logSum, r)]!;
    for (let j = 0; j < cols; j++) dx[ob + j] = gr * Math.exp(X[base + j]! - m - ls);
    dx[ob + t] = dx[ob + t]! - gr;
  }
}

/**
 * The exact GELU's backward (see Backend.geluBackward): dx = g·(Φ(x) + x·φ(x)), Φ(x) = erfc(−x/√2)/2,
 * φ(x) = e^{−x²/2}/√(2π), computed in doubles and rounded once into dx. x·φ is taken as 0 where φ underflows
 * to 0, so ±Inf give the limits 1 and 0.
 */
export function geluBackward(dx: TypedArray, x: ArrView, g: ArrView): void {
  const n = dx.length;
  const ox = offsetsOf(x), og = offsetsOf(g);
  const X = x.arr, G = g.arr;
  for (let i = 0; i < n; i++) {
    const v = X[ox ? ox[i]! : x.offset + i]!, gi = G[og ? og[i]! : g.offset + i]!;
    const pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
    dx[i] = gi * (normalCdf(v) + (pdf === 0 ? 0 : v * pdf));
  }
}

/** z needed by the backward of these activations (relu's mask comes from the output, 'none' has none) */
export const biasActNeedsPre = (act: BiasActivation): boolean => act !== 'none' && act !== 'relu';

/**
 * Bias + activation (see Backend.biasAct) over contiguous x [rows, N] and contiguous bias [N] (or none):
 * z = x + b rounded to out's precision once, y = act(z) (the composition add-then-unary, element for element).
 * z (when given) receives the pre-activation.
 */
export function biasAct(y: TypedArray, z: TypedArray | null, x: ArrView, bias: ArrView | null, act: BiasActivation, N: number): void {
  const n = y.length;
  const X = x.arr, xo = x.offset;
  const B = bias ? bias.arr : null, bo = bias ? bias.offset : 0, bs = bias && bias.shape.length ? bias.strides[0]! : 0;
  const f = act === 'none' ? null : unaryFn(act);
  const f32 = y instanceof Float32Array;
  for (let i = 0, j = 0; i < n; i++) {
    let v = X[xo + i]!;
    if (B) v = B[bo + j * bs]! + v;
    if (f32) v = Math.fround(v);
    if (z) z[i] = v;
    y[i] = f ? f(v) : v;
    if (++j === N) j = 0;
  }
}
