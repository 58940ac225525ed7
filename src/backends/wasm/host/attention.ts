/**
 * Backend.attention / attentionGrad for the wasm backend. float32 operands whose widths are multiples of 4 floats
 * run the SIMD flash-attention kernels (kernels/attention.ts), split across the pool (see simdOperands for the
 * layouts); other dtypes and widths run the reference kernels of ts/attention.ts over typed-array views of the
 * heap. Nothing L×S is allocated either way.
 */
import type { View } from '../../backend.js';
import { attentionBackward, attentionForward } from '../../ts/attention.js';
import type { WasmBlock } from '../allocator.js';
import { attnBwdJob, attnFwdJob } from '../kernels/attention.js';
import { addr, arrOf, av, contiguous, out, type WasmRuntime } from './runtime.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** the batch dims of size > 1 (at most two, else null) as [B0, B1] and each operand's [stride0, stride1] */
function batchPlan(ops: View<WasmBlock>[]): { B0: number; B1: number; strides: [number, number][] } | null {
  const shape = ops[0]!.shape.slice(0, -2);
  const dims = shape.map((_, d) => d).filter((d) => shape[d]! > 1);
  if (dims.length > 2) return null;
  while (dims.length < 2) dims.unshift(-1);
  const size = (d: number) => (d < 0 ? 1 : shape[d]!);
  const st = (v: View<WasmBlock>, d: number) => (d < 0 ? 0 : v.strides[d]!);
  return { B0: size(dims[0]!), B1: size(dims[1]!), strides: ops.map((v) => [st(v, dims[0]!), st(v, dims[1]!)]) };
}

/** rows contiguous (last stride 1) */
const unitRows = (v: View<WasmBlock>): boolean => v.shape[v.shape.length - 1] === 1 || v.strides[v.shape.length - 1] === 1;
const rowStride = (v: View<WasmBlock>): number => v.strides[v.shape.length - 2]!;

/** a contiguous copy of a view (by the backend's copy kernel), and the same view contiguous [batch, rows, cols] */
type Copier = (v: View<WasmBlock>) => WasmBlock;
const flat3 = (v: View<WasmBlock>, data: WasmBlock, offset: number): View<WasmBlock> => {
  const r = v.shape.length, R = v.shape[r - 2]!, C = v.shape[r - 1]!;
  return { data, dtype: v.dtype, shape: [numel(v.shape.slice(0, -2)), R, C], strides: [R * C, C, 1], offset };
};

/**
 * The operands as the SIMD kernels take them: float32, widths multiples of 4 floats, rows contiguous and at most two
 * batch dims of size > 1. A view that fails the layout (a broadcast gradient, rows with a stride) is copied to a
 * contiguous block first, O(n) next to the O(L·S) kernel; if the batch dims still do not fit, every operand is
 * (copied) contiguous and seen with its batch dims merged into one. Returns null where the kernels do not apply
 * (another dtype, a width not a multiple of 4): the reference kernel runs then. `temps` collects the copies.
 */
function simdOperands(ops: View<WasmBlock>[], copy: Copier, temps: WasmBlock[]): { views: View<WasmBlock>[]; plan: NonNullable<ReturnType<typeof batchPlan>> } | null {
  if (!ops.every((v) => v.dtype === 'float32' && v.shape.length >= 2 && v.shape[v.shape.length - 1]! % 4 === 0)) return null;
  const contig = (v: View<WasmBlock>): View<WasmBlock> => {
    const b = copy(v);
    temps.push(b);
    return { data: b, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
  };
  let views = ops.map((v) => (unitRows(v) ? v : contig(v)));
  let plan = batchPlan(views);
  if (!plan) {
    views = views.map((v) => (contiguous(v) ? v : contig(v))).map((v) => flat3(v, v.data, v.offset));
    plan = batchPlan(views)!;
  }
  return { views, plan };
}

function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) { st[d] = s; s *= shape[d]!; }
  return st;
}

export function attention(rt: WasmRuntime, q: View<WasmBlock>, k: View<WasmBlock>, v: View<WasmBlock>, causal: boolean, scale: number, copy: Copier): { out: WasmBlock; lse: WasmBlock } {
  const r = q.shape.length;
  const rows = numel(q.shape.slice(0, -1)), F = v.shape[r - 1]!;
  const temps: WasmBlock[] = [];
  try {
    const s = rows > 0 ? simdOperands([q, k, v], copy, temps) : null;
    if (s) {
      const [qs, ks, vs] = s.views as [View<WasmBlock>, View<WasmBlock>, View<WasmBlock>];
      const [[sq0, sq1], [sk0, sk1], [sv0, sv1]] = s.plan.strides as [[number, number], [number, number], [number, number]];
      // every row of o and lse is written by the kernel
      const o = out(rt, q.dtype, rows * F), lse = out(rt, q.dtype, rows);
      rt.run(attnFwdJob, {
        q: addr(qs), k: addr(ks), v: addr(vs), o: o.ptr, lse: lse.ptr, B0: s.plan.B0, B1: s.plan.B1, sq0, sq1, sk0, sk1, sv0, sv1,
        L: q.shape[r - 2]!, S: k.shape[r - 2]!, E: q.shape[r - 1]!, F, sq: rowStride(qs), sk: rowStride(ks), sv: rowStride(vs), scale, causal: causal ? 1 : 0,
      });
      return { out: o, lse };
    }
  } finally {
    for (const t of temps) rt.release(t);
  }
  const o = out(rt, q.dtype, rows * F, true), lse = out(rt, q.dtype, rows, true);
  if (rows > 0) attentionForward(arrOf(rt, o, q.dtype), arrOf(rt, lse, q.dtype), av(rt, q), av(rt, k), av(rt, v), causal, scale);
  return { out: o, lse };
}

export function attentionGrad(rt: WasmRuntime, q: View<WasmBlock>, k: View<WasmBlock>, v: View<WasmBlock>, o: View<WasmBlock>, lse: View<WasmBlock>, dOut: View<WasmBlock>, causal: boolean, scale: number, copy: Copier): { dq: WasmBlock; dk: WasmBlock; dv: WasmBlock } {
  const dt = q.dtype, r = q.shape.length;
  const dq = out(rt, dt, numel(q.shape), true), dk = out(rt, dt, numel(k.shape), true), dv = out(rt, dt, numel(v.shape), true);
  if (numel(q.shape) === 0) return { dq, dk, dv };
  const temps: WasmBlock[] = [];
  try {
    const s = o.dtype === 'float32' && lse.dtype === 'float32' ? simdOperands([q, k, v, dOut], copy, temps) : null;
    if (s) {
      const [qs, ks, vs, ds] = s.views as [View<WasmBlock>, View<WasmBlock>, View<WasmBlock>, View<WasmBlock>];
      const [[sq0, sq1], [sk0, sk1], [sv0, sv1], [sd0, sd1]] = s.plan.strides as [[number, number], [number, number], [number, number], [number, number]];
      // o and lse as the kernel reads them: contiguous
      const oc = contiguous(o) ? o : { ...o, data: keepTemp(copy(o), temps), strides: contiguousStrides(o.shape), offset: 0 };
      const lc = contiguous(lse) ? lse : { ...lse, data: keepTemp(copy(lse), temps), strides: contiguousStrides(lse.shape), offset: 0 };
      rt.run(attnBwdJob, {
        q: addr(qs), k: addr(ks), v: addr(vs), o: addr(oc), lse: addr(lc), d: addr(ds), dq: dq.ptr, dk: dk.ptr, dv: dv.ptr,
        B0: s.plan.B0, B1: s.plan.B1, sq0, sq1, sk0, sk1, sv0, sv1, sd0, sd1,
        L: q.shape[r - 2]!, S: k.shape[r - 2]!, E: q.shape[r - 1]!, F: v.shape[r - 1]!,
        sq: rowStride(qs), sk: rowStride(ks), sv: rowStride(vs), sd: rowStride(ds), scale, causal: causal ? 1 : 0,
      });
      return { dq, dk, dv };
    }
  } finally {
    for (const t of temps) rt.release(t);
  }
  attentionBackward(arrOf(rt, dq, dt), arrOf(rt, dk, dt), arrOf(rt, dv, dt), av(rt, q), av(rt, k), av(rt, v),
    arrOf(rt, o.data, dt).subarray(o.offset), arrOf(rt, lse.data, dt).subarray(lse.offset), av(rt, dOut), causal, scale);
  return { dq, dk, dv };
}

const keepTemp = (b: WasmBlock, temps: WasmBlock[]): WasmBlock => { temps.push(b); return b; };
