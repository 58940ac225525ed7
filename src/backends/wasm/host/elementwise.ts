/**
 * Host side of the element-wise kernels: which float32 unary and binary calls run as SIMD jobs (contiguous
 * operands, a scalar operand, a broadcast row, a scalar per row, or rows walked one by one), with the ≤ 3
 * trailing elements a vector loop leaves finished by the reference scalar functions. Each entry point returns
 * false when the call does not fit; the backend then runs the reference kernel.
 */
import type { DType } from '../../../dtype.js';
import type { BinaryOp, UnaryOp, View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { binaryJob, binaryRowsJob, RS_OPS, rowScalarJob, SIMD_BINARY, stepJob, type RsOp } from '../kernels/binary.js';
import { SIMD_UNARY, unaryJob } from '../kernels/unary.js';
import { addr, contiguous, f32, type WasmRuntime } from './runtime.js';
import { simdErf } from './gelu.js';

/** the per-row SIMD path for broadcast binaries pays off only for rows this long */
const MIN_ROW = 32;

/** o = op(x) for contiguous float32 x of n > 0 elements with a SIMD kernel: un_<op>, or step_f32 for relu's mask */
export function simdUnary(rt: WasmRuntime, op: UnaryOp, x: View<WasmBlock>, dt: DType, params: readonly number[] | undefined, o: WasmBlock): boolean {
  const n = K.numel(x.shape);
  if (!f32(x.dtype, dt) || !contiguous(x) || n === 0) return false;
  if (op === 'step') {
    rt.run(stepJob, { x: addr(x), o: o.ptr, n, threshold: params?.[0] ?? 0 });
    return true;
  }
  if (op === 'erf') { simdErf(rt, x, o); return true; }
  const idx = SIMD_UNARY.indexOf(op as never);
  if (idx < 0) return false;
  rt.run(unaryJob, { op: idx, src: addr(x), dst: o.ptr, n });
  const tail = n & 3;
  if (tail) {
    const f = K.unaryFn(op);
    const src = new Float32Array(rt.memory.buffer, addr(x) + 4 * (n - tail), tail);
    const dst = new Float32Array(rt.memory.buffer, o.ptr + 4 * (n - tail), tail);
    for (let i = 0; i < tail; i++) dst[i] = f(src[i]!);
  }
  return true;
}

/** one contiguous SIMD binary: mode 0 vector∘vector, 1 vector∘scalar, 2 scalar∘vector */
function binaryRun(rt: WasmRuntime, op: BinaryOp, pa: number, pb: number, po: number, n: number, mode: number): void {
  rt.run(binaryJob, { op: SIMD_BINARY.indexOf(op as never), a: pa, b: pb, dst: po, n, mode });
  const tail = n & 3;
  if (tail) {
    const f = K.binaryFn(op);
    const buf = rt.memory.buffer;
    const A = new Float32Array(buf, pa, mode === 2 ? 1 : n), B = new Float32Array(buf, pb, mode === 1 ? 1 : n);
    const O = new Float32Array(buf, po, n);
    for (let i = n - tail; i < n; i++) O[i] = f(A[mode === 2 ? 0 : i]!, B[mode === 1 ? 0 : i]!);
  }
}

/** Binary over rows: the last dimension has stride 1 or 0 on each side; outer dims walked here. */
function binaryRows(rt: WasmRuntime, op: BinaryOp, a: View<WasmBlock>, b: View<WasmBlock>, o: WasmBlock): boolean {
  const r = a.shape.length;
  const L = a.shape[r - 1]!;
  const sa = a.strides[r - 1]!, sb = b.strides[r - 1]!;
  if (L < MIN_ROW || sa > 1 || sb > 1 || (sa === 0 && sb === 0)) return false;
  const mode = sa === 1 && sb === 1 ? 0 : sa === 1 ? 1 : 2;
  const rows = K.numel(a.shape) / L;
  const idx = new Array<number>(r - 1).fill(0);
  let oa = a.offset, ob = b.offset;
  for (let row = 0; row < rows; row++) {
    binaryRun(rt, op, a.data.ptr + 4 * oa, b.data.ptr + 4 * ob, o.ptr + 4 * row * L, L, mode);
    for (let d = r - 2; d >= 0; d--) {
      oa += a.strides[d]!; ob += b.strides[d]!;
      if (++idx[d]! < a.shape[d]!) break;
      oa -= a.strides[d]! * a.shape[d]!; ob -= b.strides[d]! * b.shape[d]!;
      idx[d] = 0;
    }
  }
  return true;
}

const isScalar = (v: View<WasmBlock>): boolean => v.strides.every((s) => s === 0);

/**
 * The same two element-aligned views with size-1 axes dropped and neighbouring axes merged wherever both
 * views step through them as one axis: [64, 16, 14, 14] + [14, 14] (strides 0, 0, 14, 1) becomes
 * [1024, 196] + [196] broadcast, one SIMD pass per 196-float row instead of the scalar reference loop.
 */
function coalesce(a: View<WasmBlock>, b: View<WasmBlock>): [View<WasmBlock>, View<WasmBlock>] {
  const shape: number[] = [], sa: number[] = [], sb: number[] = [];
  for (let d = a.shape.length - 1; d >= 0; d--) {
    const n = a.shape[d]!;
    if (n === 1) continue;
    const k = shape.length - 1;
    if (k >= 0 && a.strides[d] === sa[k]! * shape[k]! && b.strides[d] === sb[k]! * shape[k]!) shape[k] = shape[k]! * n;
    else { shape.push(n); sa.push(a.strides[d]!); sb.push(b.strides[d]!); }
  }
  if (shape.length === 0) { shape.push(1); sa.push(0); sb.push(0); }
  shape.reverse(); sa.reverse(); sb.reverse();
  return [{ ...a, shape, strides: sa }, { ...b, shape, strides: sb }];
}

/**
 * b as one scalar per row of a contiguous [rows, inner] walk of `shape`: trailing dims of stride 0 (inner > 1),
 * then a run of dims b addresses with one stride (P scalars, stride sb), leading dims of stride 0 again.
 */
function rowScalar(v: View<WasmBlock>): { inner: number; P: number; sb: number } | null {
  const dims: number[] = [];
  for (let d = 0; d < v.shape.length; d++) if (v.shape[d] !== 1) dims.push(d);
  let k = dims.length - 1, inner = 1;
  while (k >= 0 && v.strides[dims[k]!] === 0) inner *= v.shape[dims[k--]!]!;
  if (inner === 1 || k < 0) return null;
  const sb = v.strides[dims[k]!]!;
  let P = v.shape[dims[k]!]!;
  let prev = dims[k--]!;
  while (k >= 0 && v.strides[dims[k]!] !== 0 && v.strides[dims[k]!] === v.strides[prev]! * v.shape[prev]!) {
    prev = dims[k]!;
    P *= v.shape[dims[k--]!]!;
  }
  for (; k >= 0; k--) if (v.strides[dims[k]!] !== 0) return null;
  return { inner, P, sb };
}

/** o = a ∘ b when one operand is one scalar per row of the other, contiguous, one (rs_<op>_<mode>) */
function rowScalarBinary(rt: WasmRuntime, op: BinaryOp, a: View<WasmBlock>, b: View<WasmBlock>, o: WasmBlock, dt: DType): boolean {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || dt !== 'float32' || !(RS_OPS as readonly string[]).includes(op)) return false;
  const n = K.numel(a.shape);
  if (n === 0) return false;
  let mode: 0 | 1, full: View<WasmBlock>, rs: ReturnType<typeof rowScalar>, sc: View<WasmBlock>;
  if (contiguous(a) && (rs = rowScalar(b))) { mode = 0; full = a; sc = b; }
  else if (contiguous(b) && (rs = rowScalar(a))) { mode = 1; full = b; sc = a; }
  else return false;
  rt.run(rowScalarJob, { op: RS_OPS.indexOf(op as RsOp), mode, full: addr(full), scalars: addr(sc), dst: o.ptr, rows: n / rs.inner, inner: rs.inner, P: rs.P, sb: rs.sb });
  return true;
}

/** o = a ∘ b (broadcast views of the output's shape) for float32 operands with a SIMD binary kernel */
export function simdBinary(rt: WasmRuntime, op: BinaryOp, a: View<WasmBlock>, b: View<WasmBlock>, o: WasmBlock, dt: DType): boolean {
  const n = K.numel(a.shape);
  if (n === 0 || !f32(a.dtype, b.dtype, dt) || !(SIMD_BINARY as readonly string[]).includes(op)) return false;
  const ca = contiguous(a), cb = contiguous(b);
  if (ca && cb) { binaryRun(rt, op, addr(a), addr(b), o.ptr, n, 0); return true; }
  if (ca && isScalar(b)) { binaryRun(rt, op, addr(a), addr(b), o.ptr, n, 1); return true; }
  if (isScalar(a) && cb) { binaryRun(rt, op, addr(a), addr(b), o.ptr, n, 2); return true; }
  const [a1, b1] = coalesce(a, b);
  if (a1.shape.length === 2 && a1.shape[1]! % 4 === 0) {
    // one operand a single row that every row of the other meets (x[B, T, C] + pos[T, C], x · γ[C])
    const [R, L] = a1.shape as [number, number];
    const rowA = a1.strides[0] === 0 && a1.strides[1] === 1, rowB = b1.strides[0] === 0 && b1.strides[1] === 1;
    if ((rowB && a1.strides[0] === L && a1.strides[1] === 1) || (rowA && b1.strides[0] === L && b1.strides[1] === 1)) {
      rt.run(binaryRowsJob, { op: SIMD_BINARY.indexOf(op as never), a: addr(a1), b: addr(b1), dst: o.ptr, rows: R, L, mode: rowB ? 1 : 2 });
      return true;
    }
  }
  if (rowScalarBinary(rt, op, a1, b1, o, dt)) return true;
  return binaryRows(rt, op, a1, b1, o);
}
