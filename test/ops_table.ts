/**
 * The op case table: one row per differentiable core op (and its interesting variants). The same rows
 * drive forward-vs-reference, gradcheck, gradgradcheck and the non-contiguous checks in
 * ops_gradcheck.test.ts. Adding an op means adding its row here.
 *
 * Inputs are sampled from `domain` (one per input, or one for all) so that no sample sits on a
 * nondifferentiable point (|x| near 0 for abs/relu, the bounds of clamp, ties for max, ...).
 * `ref` is an independent float64 JS implementation over flat row-major arrays.
 */
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// a tiny float64 reference "array" and the helpers the refs are written with

export type { Arr } from '../src/ops/define.js';
import type { Arr, RefLib } from '../src/ops/define.js';

export type { Domain } from '../src/ops/define.js';
import type { Domain } from '../src/ops/define.js';

export interface OpCase {
  name: string;
  /** the op under test; cases with several outputs (split, chunk) return an array */
  fn: (...xs: Tensor[]) => Tensor | Tensor[];
  /** one shape per differentiable (float64) input */
  shapes: number[][];
  twiceDifferentiable: boolean;
  /** input sampling domain: one for all inputs or one per input (default 'real') */
  domain?: Domain | Domain[];
  /** float64 reference of the forward (multi-output cases: of the outputs concatenated flat) */
  ref?: (...xs: Arr[]) => Arr | Arr[];
  /** skip the non-contiguous variants (view() requires contiguous input by definition) */
  contiguousOnly?: true;
  /** the op is not defined on stride-0 (expanded) inputs with repeated values in the sense tested */
  noExpanded?: true;
  /** the op has no gradient (comparisons, logic): only its forward is checked */
  differentiable?: false;
  /** gradcheck is skipped (a forward that rounds to float32) */
  gradcheck?: false;
  /** float32 closeness to the float64 result */
  f32?: { atol: number; rtol: number };
}

export const stridesOf = (shape: readonly number[]): number[] => {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]!; }
  return st;
};
export const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const unravel = (i: number, shape: readonly number[]): number[] => {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]!; i = Math.floor(i / shape[d]!); }
  return idx;
};
const ravel = (idx: readonly number[], shape: readonly number[]): number => {
  let k = 0;
  for (let d = 0; d < shape.length; d++) k = k * shape[d]! + idx[d]!;
  return k;
};
const at = (a: Arr, idx: readonly number[]): number => a.data[ravel(idx, a.shape)]!;
/** build an array of `shape` from a function of the multi-index */
const build = (shape: number[], f: (idx: number[]) => number): Arr => {
  const n = numelOf(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) data[i] = f(unravel(i, shape));
  return { shape, data };
};
const bshape = (a: readonly number[], b: readonly number[]): number[] => {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
};
/** index into `a` broadcast to an output of rank idx.length */
const bat = (a: Arr, idx: readonly number[]): number => {
  const lead = idx.length - a.shape.length;
  return at(a, a.shape.map((s, d) => (s === 1 ? 0 : idx[d + lead]!)));
};

export const R: RefLib = {
  un: (f: (x: number) => number) => (a: Arr): Arr => ({ shape: a.shape.slice(), data: a.data.map(f) }),
  bin: (f: (x: number, y: number) => number) => (a: Arr, b: Arr): Arr => build(bshape(a.shape, b.shape), (i) => f(bat(a, i), bat(b, i))),
  tern: (f: (c: number, x: number, y: number) => number) => (c: Arr, a: Arr, b: Arr): Arr =>
    build(bshape(bshape(c.shape, a.shape), b.shape), (i) => f(bat(c, i), bat(a, i), bat(b, i))),
  /** any number of inputs, broadcast against each other */
  nary: (f: (...v: number[]) => number) => (...xs: Arr[]): Arr =>
    build(xs.map((x) => x.shape).reduce((p, q) => bshape(p, q), [] as number[]), (i) => f(...xs.map((x) => bat(x, i)))),
  /** reduce over dims (all when undefined) with a function of the group's values */
  reduce: (f: (vals: number[]) => number, dims?: number[], keepdim = false) => (a: Arr): Arr => {
    const ds = (dims ?? a.shape.map((_, i) => i)).map((d) => (d < 0 ? d + a.shape.length : d));
    const kept = a.shape.map((s, i) => (ds.includes(i) ? 1 : s));
    const groups: number[][] = Array.from({ length: numelOf(kept) }, () => []);
    a.data.forEach((v, i) => {
      const idx = unravel(i, a.shape).map((x, d) => (ds.includes(d) ? 0 : x));
      groups[ravel(idx, kept)]!.push(v);
    });
    return { shape: keepdim ? kept : a.shape.filter((_, i) => !ds.includes(i)), data: groups.map(f) };
  },
  permute: (p: number[]) => (a: Arr): Arr => build(p.map((d) => a.shape[d]!), (i) => {
    const src = new Array<number>(p.length);
    p.forEach((d, k) => (src[d] = i[k]!));
    return at(a, src);
  }),
  reshape: (shape: number[]) => (a: Arr): Arr => ({ shape, data: a.data.slice() }),
  expand: (shape: number[]) => (a: Arr): Arr => build(shape, (i) => bat(a, i)),
  slice: (dim: number, start: number, len: number, step = 1) => (a: Arr): Arr => {
    const shape = a.shape.slice();
    shape[dim] = len;
    return build(shape, (i) => { const s = i.slice(); s[dim] = start + i[dim]! * step; return at(a, s); });
  },
  cat: (dim: number) => (...xs: Arr[]): Arr => {
    const shape = xs[0]!.shape.slice();
    shape[dim] = xs.reduce((acc, x) => acc + x.shape[dim]!, 0);
    return build(shape, (i) => {
      let k = i[dim]!;
      for (const x of xs) {
        if (k < x.shape[dim]!) { const s = i.slice(); s[dim] = k; return at(x, s); }
        k -= x.shape[dim]!;
      }
      throw new Error('unreachable');
    });
  },
  gather: (dim: number, index: Arr) => (a: Arr): Arr => build(index.shape.slice(), (i) => { const s = i.slice(); s[dim] = at(index, i); return at(a, s); }),
  indexSelect: (dim: number, index: number[]) => (a: Arr): Arr => {
    const shape = a.shape.slice();
    shape[dim] = index.length;
    return build(shape, (i) => { const s = i.slice(); s[dim] = index[i[dim]!]!; return at(a, s); });
  },
  scatterAdd: (shape: number[], dim: number, index: Arr) => (src: Arr): Arr => {
    const out = { shape, data: new Array<number>(numelOf(shape)).fill(0) };
    for (let k = 0; k < index.data.length; k++) {
      const i = unravel(k, index.shape);
      const t = i.slice();
      t[dim] = index.data[k]!;
      out.data[ravel(t, shape)] += at(src, i);
    }
    return out;
  },
  indexAdd: (shape: number[], dim: number, index: number[]) => (src: Arr): Arr => {
    const out = { shape, data: new Array<number>(numelOf(shape)).fill(0) };
    src.data.forEach((v, k) => {
      const i = unravel(k, src.shape);
      i[dim] = index[i[dim]!]!;
      out.data[ravel(i, shape)] += v;
    });
    return out;
  },
  /** matmul with PyTorch's 1-D promotion and batch broadcasting */
  matmul: (a: Arr, b: Arr): Arr => {
    const A = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
    const B = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
    const M = A.shape[A.shape.length - 2]!, K = A.shape[A.shape.length - 1]!, N = B.shape[B.shape.length - 1]!;
    const batch = bshape(A.shape.slice(0, -2), B.shape.slice(0, -2));
    const full = build([...batch, M, N], (i) => {
      const bi = i.slice(0, -2), m = i[i.length - 2]!, n = i[i.length - 1]!;
      let s = 0;
      for (let k = 0; k < K; k++) s += bat({ shape: A.shape, data: A.data }, [...bi, m, k]) * bat({ shape: B.shape, data: B.data }, [...bi, k, n]);
      return s;
    });
    let shape = full.shape;
    if (a.shape.length === 1) shape = shape.filter((_, i) => i !== shape.length - 2);
    if (b.shape.length === 1) shape = shape.slice(0, -1);
    return { shape, data: full.data };
  },
  sum: (v: number[]) => v.reduce((x, y) => x + y, 0),
  mean: (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length,
  prod: (v: number[]) => v.reduce((x, y) => x * y, 1),
  max: (v: number[]) => Math.max(...v),
  min: (v: number[]) => Math.min(...v),
  var: (correction: number) => (v: number[]) => {
    const m = v.reduce((x, y) => x + y, 0) / v.length;
    return v.reduce((acc, x) => acc + (x - m) ** 2, 0) / (v.length - correction);
  },
  lse: (v: number[]) => {
    const m = Math.max(...v);
    return m + Math.log(v.reduce((acc, x) => acc + Math.exp(x - m), 0));
  },
};

/** erf by its Maclaurin series (|x| < 3) and by erfc's asymptotic continued fraction beyond: float64-accurate */
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax, s = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      s += term / (2 * n + 1);
      if (Math.abs(term) < 1e-20) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * s;
  } else {
    // erfc x = exp(-x²)/(x√π) · 1/(1 + 1/(2x²)/(1 + 2/(2x²)/(1 + ...))) evaluated bottom-up
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}


// ---------------------------------------------------------------------------------------------
// fixed integer inputs (indices and masks) that the cases close over

const i32 = (data: number[][] | number[]) => nb.tensor(data, { dtype: 'int32' });
const gatherIdx1 = [[0, 3], [2, 2], [1, 0]]; // [3,2] into [3,4] along dim 1 (a repeat: gradients add)
const gatherIdx0 = [[2, 0, 1, 1], [0, 0, 2, 1]]; // [2,4] into [3,4] along dim 0
const scatterIdx = [[0, 0], [3, 1], [2, 3]]; // [3,2] into [3,4] along dim 1 (a collision in row 0)
const arr = (data: number[][]): Arr => ({ shape: [data.length, data[0]!.length], data: data.flat() });

const e = R.un, b = R.bin;

// ---------------------------------------------------------------------------------------------
// the table

/** The hand-written rows of the families not yet declared as op records; op_records.ts derives the others. */
export const handCases: OpCase[] = [
  // ---- movement
  { name: 'reshape', fn: (x) => x.reshape(6, 4), shapes: [[2, 3, 4]], twiceDifferentiable: true, ref: R.reshape([6, 4]) },
  { name: 'reshape with -1', fn: (x) => nb.reshape(x, [-1, 3]), shapes: [[2, 3, 2]], twiceDifferentiable: true, ref: R.reshape([4, 3]) },
  { name: 'view', fn: (x) => x.view(2, 6), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.reshape([2, 6]), contiguousOnly: true },
  { name: 'flatten', fn: (x) => x.flatten(), shapes: [[2, 3, 4]], twiceDifferentiable: true, ref: R.reshape([24]) },
  { name: 'flatten(1)', fn: (x) => x.flatten(1), shapes: [[2, 3, 4]], twiceDifferentiable: true, ref: R.reshape([2, 12]) },
  { name: 'squeeze', fn: (x) => x.squeeze(), shapes: [[3, 1, 4]], twiceDifferentiable: true, ref: R.reshape([3, 4]) },
  { name: 'squeeze(1)', fn: (x) => x.squeeze(1), shapes: [[3, 1, 4, 1]], twiceDifferentiable: true, ref: R.reshape([3, 4, 1]) },
  { name: 'unsqueeze(0)', fn: (x) => x.unsqueeze(0), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.reshape([1, 3, 4]) },
  { name: 'unsqueeze(-1)', fn: (x) => nb.unsqueeze(x, -1), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.reshape([3, 4, 1]) },
  { name: 'transpose', fn: (x) => x.transpose(0, 1), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.permute([1, 0]) },
  { name: 'transpose 3-D (0,2)', fn: (x) => nb.transpose(x, 0, 2), shapes: [[2, 3, 4]], twiceDifferentiable: true, ref: R.permute([2, 1, 0]) },
  { name: '.T', fn: (x) => x.T, shapes: [[3, 4]], twiceDifferentiable: true, ref: R.permute([1, 0]) },
  { name: 'permute', fn: (x) => x.permute(2, 0, 1), shapes: [[2, 3, 4]], twiceDifferentiable: true, ref: R.permute([2, 0, 1]) },
  { name: 'expand [3,1]→[3,4]', fn: (x) => x.expand(3, 4), shapes: [[3, 1]], twiceDifferentiable: true, ref: R.expand([3, 4]) },
  { name: 'expand [4]→[2,3,4]', fn: (x) => nb.expand(x, [2, 3, 4]), shapes: [[4]], twiceDifferentiable: true, ref: R.expand([2, 3, 4]) },
  { name: 'expand then mul (stride-0 reuse)', fn: (x) => x.expand(3, 4).mul(x.expand(3, 4)), shapes: [[3, 1]], twiceDifferentiable: true, ref: (x) => R.expand([3, 4])(e((v) => v * v)(x)) },
  { name: 'slice', fn: (x) => x.slice(1, 1, 4), shapes: [[3, 5]], twiceDifferentiable: true, ref: R.slice(1, 1, 3) },
  { name: 'slice with step', fn: (x) => x.slice(1, 0, 6, 2), shapes: [[3, 6]], twiceDifferentiable: true, ref: R.slice(1, 0, 3, 2) },
  { name: 'slice negative start, step 3', fn: (x) => nb.slice(x, 0, -5, undefined, 3), shapes: [[7, 2]], twiceDifferentiable: true, ref: R.slice(0, 2, 2, 3) },
  { name: 'narrow', fn: (x) => x.narrow(0, 1, 2), shapes: [[4, 3]], twiceDifferentiable: true, ref: R.slice(0, 1, 2) },
  { name: 'select', fn: (x) => x.select(1, 2), shapes: [[3, 4]], twiceDifferentiable: true, ref: (x) => R.reshape([3])(R.slice(1, 2, 1)(x)) },
  { name: 'select negative index', fn: (x) => nb.select(x, 0, -1), shapes: [[3, 4]], twiceDifferentiable: true, ref: (x) => R.reshape([4])(R.slice(0, 2, 1)(x)) },
  { name: 'index [0, :, 1:3]', fn: (x) => x.index([0, null, '1:3']), shapes: [[2, 3, 4]], twiceDifferentiable: true, ref: (x) => R.reshape([3, 2])(R.slice(2, 1, 2)(R.slice(0, 0, 1)(x))) },
  { name: 'index [..., ::2] with newaxis', fn: (x) => nb.index(x, ['newaxis', '...', '0:4:2']), shapes: [[2, 4]], twiceDifferentiable: true, ref: (x) => R.reshape([1, 2, 2])(R.slice(1, 0, 2, 2)(x)) },
  { name: 'cat dim 0', fn: (x, y) => nb.cat([x, y], 0), shapes: [[2, 3], [4, 3]], twiceDifferentiable: true, ref: R.cat(0) },
  { name: 'cat dim 1 (three inputs)', fn: (x, y, z) => nb.cat([x, y, z], 1), shapes: [[2, 1], [2, 3], [2, 2]], twiceDifferentiable: true, ref: R.cat(1) },
  { name: 'cat same tensor twice', fn: (x) => nb.cat([x, x.mul(2)], -1), shapes: [[2, 3]], twiceDifferentiable: true, ref: (x) => R.cat(1)(x, e((v) => 2 * v)(x)) },
  { name: 'stack dim 0', fn: (x, y) => nb.stack([x, y]), shapes: [[2, 3], [2, 3]], twiceDifferentiable: true, ref: (x, y) => R.cat(0)(R.reshape([1, 2, 3])(x), R.reshape([1, 2, 3])(y)) },
  { name: 'stack dim 2', fn: (x, y) => nb.stack([x, y], 2), shapes: [[2, 3], [2, 3]], twiceDifferentiable: true, ref: (x, y) => R.cat(2)(R.reshape([2, 3, 1])(x), R.reshape([2, 3, 1])(y)) },
  { name: 'split size 2', fn: (x) => x.split(2, 1), shapes: [[3, 5]], twiceDifferentiable: true, ref: (x) => [R.slice(1, 0, 2)(x), R.slice(1, 2, 2)(x), R.slice(1, 4, 1)(x)] },
  { name: 'split sizes [1,3]', fn: (x) => nb.split(x, [1, 3], 0), shapes: [[4, 2]], twiceDifferentiable: true, ref: (x) => [R.slice(0, 0, 1)(x), R.slice(0, 1, 3)(x)] },
  { name: 'chunk 3', fn: (x) => x.chunk(3, 0), shapes: [[6, 2]], twiceDifferentiable: true, ref: (x) => [R.slice(0, 0, 2)(x), R.slice(0, 2, 2)(x), R.slice(0, 4, 2)(x)] },
  { name: 'gather dim 1', fn: (x) => x.gather(1, i32(gatherIdx1)), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.gather(1, arr(gatherIdx1)) },
  { name: 'gather dim 0', fn: (x) => nb.gather(x, 0, i32(gatherIdx0)), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.gather(0, arr(gatherIdx0)) },
  { name: 'indexSelect dim 0 (repeated index)', fn: (x) => x.indexSelect(0, i32([2, 0, 2])), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.indexSelect(0, [2, 0, 2]) },
  { name: 'indexSelect dim 1', fn: (x) => nb.indexSelect(x, 1, i32([3, 1])), shapes: [[2, 4]], twiceDifferentiable: true, ref: R.indexSelect(1, [3, 1]) },
  { name: 'scatterAdd dim 1', fn: (src) => nb.scatterAdd([3, 4], 1, i32(scatterIdx), src), shapes: [[3, 2]], twiceDifferentiable: true, ref: R.scatterAdd([3, 4], 1, arr(scatterIdx)) },
  { name: 'indexAdd dim 0', fn: (src) => nb.indexAdd([4, 3], 0, i32([0, 2, 0]), src), shapes: [[3, 3]], twiceDifferentiable: true, ref: R.indexAdd([4, 3], 0, [0, 2, 0]) },
  { name: 'clone', fn: (x) => x.clone(), shapes: [[3, 4]], twiceDifferentiable: true, ref: (x) => x },
  { name: 'contiguous', fn: (x) => x.contiguous(), shapes: [[3, 4]], twiceDifferentiable: true, ref: (x) => x },
  { name: 'contiguous of a transpose', fn: (x) => x.T.contiguous(), shapes: [[3, 4]], twiceDifferentiable: true, ref: R.permute([1, 0]) },

  // ---- matmul and linear
  { name: 'matmul 1-D·1-D (dot)', fn: (x, y) => x.matmul(y), shapes: [[4], [4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul 1-D·2-D', fn: (x, y) => nb.matmul(x, y), shapes: [[3], [3, 4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul 2-D·1-D', fn: (x, y) => x.matmul(y), shapes: [[2, 3], [3]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul 2-D·2-D', fn: (x, y) => x.matmul(y), shapes: [[2, 3], [3, 4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'mm', fn: (x, y) => x.mm(y), shapes: [[3, 2], [2, 3]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul batched 3-D·3-D', fn: (x, y) => x.matmul(y), shapes: [[2, 2, 3], [2, 3, 4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'bmm', fn: (x, y) => nb.bmm(x, y), shapes: [[2, 3, 2], [2, 2, 3]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul broadcast 3-D·2-D', fn: (x, y) => x.matmul(y), shapes: [[2, 2, 3], [3, 4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul broadcast 2-D·3-D', fn: (x, y) => x.matmul(y), shapes: [[2, 3], [2, 3, 4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul broadcast batch [2,1]·[3]', fn: (x, y) => x.matmul(y), shapes: [[2, 1, 2, 3], [3, 3, 2]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul 1-D·3-D', fn: (x, y) => x.matmul(y), shapes: [[3], [2, 3, 4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'matmul 3-D·1-D', fn: (x, y) => x.matmul(y), shapes: [[2, 3, 4], [4]], twiceDifferentiable: true, ref: R.matmul },
  { name: 'outer', fn: (x, y) => nb.outer(x, y), shapes: [[3], [4]], twiceDifferentiable: true, ref: (x, y) => R.matmul(R.reshape([3, 1])(x), R.reshape([1, 4])(y)) },
  {
    name: 'linear with bias', fn: (x, w, bias) => nb.linear(x, w, bias), shapes: [[5, 3], [4, 3], [4]], twiceDifferentiable: true,
    ref: (x, w, bias) => b((p, q) => p + q)(R.matmul(x, R.permute([1, 0])(w)), bias),
  },
  { name: 'linear without bias', fn: (x, w) => nb.linear(x, w), shapes: [[5, 3], [4, 3]], twiceDifferentiable: true, ref: (x, w) => R.matmul(x, R.permute([1, 0])(w)) },
  {
    name: 'linear 3-D input', fn: (x, w, bias) => nb.linear(x, w, bias), shapes: [[2, 5, 3], [4, 3], [4]], twiceDifferentiable: true,
    ref: (x, w, bias) => b((p, q) => p + q)(R.matmul(x, R.permute([1, 0])(w)), bias),
  },

  // ---- compositions that exercise the engine (shared subexpressions, chains)
  { name: 'composite tanh(x·y + sin x)', fn: (x, y) => x.mul(y).add(x.sin()).tanh(), shapes: [[3, 4], [4]], twiceDifferentiable: true, ref: (x, y) => e(Math.tanh)(b((p, q) => p + q)(b((p, q) => p * q)(x, y), e(Math.sin)(x))) },
];

import { recordCases } from './op_records.js';
/** every row: the records' cases first, then the hand-written ones */
export const opCases: OpCase[] = [...recordCases, ...handCases];
