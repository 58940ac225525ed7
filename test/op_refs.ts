/** The float64 reference helpers of the op table: plain-JS implementations over row-major arrays, independent of nabla. */
import type { Arr, RefLib } from '../src/ops/define.js';

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


