/**
 * bfloat16 / float16 on any backend: a wrapper that stores 16-bit patterns in the backend's own blocks (a backend
 * only has to allocate, read and fill 2-byte elements) and runs every kernel touching them in float32: 16-bit
 * inputs are widened (exact), the kernel computes and accumulates in float32, and a 16-bit result is rounded to
 * nearest even (half.ts). That is PyTorch's CPU behaviour for these dtypes. Calls without a 16-bit view or output
 * dtype go straight to the backend.
 *
 * Writing into an existing 16-bit block (assign, fill, the fused Adam step) goes through `read`, which must return
 * a live view of the block — true of the portable and WebAssembly backends.
 */
import type { DType } from '../dtype.js';
import { decodeHalf, encodeHalf, isHalf, type HalfDType } from '../half.js';
import type { Backend, View } from './backend.js';

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** [lo, hi] element range a view touches (strides are non-negative in nabla), or null when empty. */
function range(v: View): [number, number] | null {
  let hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    if (v.shape[d] === 0) return null;
    hi += (v.shape[d]! - 1) * v.strides[d]!;
  }
  return [v.offset, hi];
}

const HALF_WRAPPED = Symbol('nabla.halfPrecision');

export function withHalfPrecision<D>(inner: Backend<D>): Backend<D> {
  if ((inner as unknown as Record<symbol, unknown>)[HALF_WRAPPED]) return inner;
  type V = View<D>;

  /** A float32 copy of the part of a 16-bit view's block that the view touches, with the view re-based onto it. */
  const widen = (v: V | null, temps: D[]): V | null => {
    if (v === null || !isHalf(v.dtype)) return v;
    const r = range(v);
    const lo = r ? r[0] : 0, n = r ? r[1] - r[0] + 1 : 0;
    let block: D | null = n > 0 ? inner.widenHalf?.(v.dtype, v.data, lo, n) ?? null : null;
    if (block === null) {
      const bits = inner.read(v.data, v.dtype, lo + n) as Uint16Array;
      block = inner.fromArray('float32', decodeHalf(v.dtype, bits.subarray(lo, lo + n)));
    }
    temps.push(block);
    return { data: block, dtype: 'float32', shape: v.shape, strides: v.strides, offset: v.offset - lo };
  };
  /** Round a float32 block of n elements to a new 16-bit block (the float32 block is released). */
  const narrow = (block: D, dtype: HalfDType, n: number): D => {
    const out = (n > 0 ? inner.narrowHalf?.(dtype, block, n) : null) ?? inner.fromArray(dtype, encodeHalf(dtype, inner.read(block, 'float32', n)));
    inner.dispose(block);
    return out;
  };
  const outIn = (dt: DType): DType => (isHalf(dt) ? 'float32' : dt);
  const finish = (r: D, dt: DType, n: number, temps: D[]): D => {
    for (const t of temps) inner.dispose(t);
    return isHalf(dt) ? narrow(r, dt, n) : r;
  };
  // fixed arities (no rest array or closure: this runs on every kernel call)
  const half = (v: V | null | undefined): boolean => !!v && isHalf(v.dtype);
  const anyHalf = (a: V | null | undefined, b?: V | null, c?: V | null, d?: V | null, e?: V | null): boolean =>
    half(a) || half(b) || half(c) || half(d) || half(e);
  /** Write the float32 values of a widened view back into the 16-bit block of `dst` (same touched range). */
  const writeBack = (dst: V, widened: V) => {
    const r = range(dst);
    if (!r) return;
    const n = r[1] - r[0] + 1;
    const vals = inner.read(widened.data, 'float32', n);
    const bits = inner.read(dst.data, dst.dtype, r[1] + 1) as Uint16Array; // read last: allocations may move memory
    encodeHalf(dst.dtype as HalfDType, vals, bits.subarray(r[0], r[1] + 1));
  };

  const w: Backend<D> = Object.create(inner as object);
  Object.assign(w, {
    [HALF_WRAPPED]: true,
    fromArray(dtype: DType, values: ArrayLike<number>): D {
      return inner.fromArray(dtype, isHalf(dtype) ? encodeHalf(dtype, values) : values);
    },
    unary(op, x, dt, params) {
      if (!anyHalf(x) && !isHalf(dt)) return inner.unary(op, x, dt, params);
      const t: D[] = [];
      return finish(inner.unary(op, widen(x, t)!, outIn(dt), params), dt, numel(x.shape), t);
    },
    binary(op, a, b, dt) {
      if (!anyHalf(a, b) && !isHalf(dt)) return inner.binary(op, a, b, dt);
      const t: D[] = [];
      return finish(inner.binary(op, widen(a, t)!, widen(b, t)!, outIn(dt)), dt, numel(a.shape), t);
    },
    where(c, a, b, dt) {
      if (!anyHalf(c, a, b) && !isHalf(dt)) return inner.where(c, a, b, dt);
      const t: D[] = [];
      return finish(inner.where(widen(c, t)!, widen(a, t)!, widen(b, t)!, outIn(dt)), dt, numel(c.shape), t);
    },
    reduce(op, x, axes, dt) {
      if (!anyHalf(x) && !isHalf(dt)) return inner.reduce(op, x, axes, dt);
      const t: D[] = [];
      return finish(inner.reduce(op, widen(x, t)!, axes, outIn(dt)), dt, numel(x.shape.filter((_, d) => !axes.includes(d))), t);
    },
    argReduce(op, x, axis) {
      if (!anyHalf(x)) return inner.argReduce(op, x, axis);
      const t: D[] = [];
      return finish(inner.argReduce(op, widen(x, t)!, axis), 'int32', 0, t);
    },
    matmul(a, b, dt) {
      if (!anyHalf(a, b) && !isHalf(dt)) return inner.matmul(a, b, dt);
      // a backend whose GEMM reads 16-bit operands directly skips the widened copies (float32 accumulation either way)
      const direct = anyHalf(a, b) && (dt === 'float32' || isHalf(dt)) ? inner.matmulHalf?.(a, b) ?? null : null;
      if (direct !== null) return isHalf(dt) ? narrow(direct, dt, a.shape[0]! * a.shape[1]! * b.shape[2]!) : direct;
      const t: D[] = [];
      return finish(inner.matmul(widen(a, t)!, widen(b, t)!, outIn(dt)), dt, a.shape[0]! * a.shape[1]! * b.shape[2]!, t);
    },
    copy(x, dt) {
      if (!anyHalf(x) && !isHalf(dt)) return inner.copy(x, dt);
      const t: D[] = [];
      return finish(inner.copy(widen(x, t)!, outIn(dt)), dt, numel(x.shape), t);
    },
    assign(dst, src) {
      if (!anyHalf(dst, src)) return inner.assign(dst, src);
      const t: D[] = [];
      const s = widen(src, t)!;
      if (!isHalf(dst.dtype)) inner.assign(dst, s);
      else {
        const d = widen(dst, t)!;
        inner.assign(d, s);
        writeBack(dst, d);
      }
      for (const x of t) inner.dispose(x);
    },
    fill(dst, value) {
      if (!anyHalf(dst)) return inner.fill(dst, value);
      const t: D[] = [];
      const d = widen(dst, t)!;
      inner.fill(d, value);
      writeBack(dst, d);
      for (const x of t) inner.dispose(x);
    },
    gather(x, axis, index) {
      if (!anyHalf(x)) return inner.gather(x, axis, index);
      const t: D[] = [];
      return finish(inner.gather(widen(x, t)!, axis, index), x.dtype, numel(index.shape), t);
    },
    scatterAdd(shape, dt, axis, index, src) {
      if (!anyHalf(src) && !isHalf(dt)) return inner.scatterAdd(shape, dt, axis, index, src);
      const t: D[] = [];
      return finish(inner.scatterAdd(shape, outIn(dt), axis, index, widen(src, t)!), dt, numel(shape), t);
    },
    indexSelect(x, axis, index) {
      if (!anyHalf(x)) return inner.indexSelect(x, axis, index);
      const t: D[] = [];
      return finish(inner.indexSelect(widen(x, t)!, axis, index), x.dtype, (numel(x.shape) / x.shape[axis]!) * numel(index.shape) || 0, t);
    },
    indexAdd(shape, dt, axis, index, src) {
      if (!anyHalf(src) && !isHalf(dt)) return inner.indexAdd(shape, dt, axis, index, src);
      const t: D[] = [];
      return finish(inner.indexAdd(shape, outIn(dt), axis, index, widen(src, t)!), dt, numel(shape), t);
    },
    unfold(x, p) {
      if (!anyHalf(x)) return inner.unfold(x, p);
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const out = (len: number, k: number, s: number, pad: number, dil: number) => Math.floor((len + 2 * pad - dil * (k - 1) - 1) / s) + 1;
      const n = N * C * p.kernel[0] * p.kernel[1] * out(H, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0]) * out(W, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1]);
      const t: D[] = [];
      return finish(inner.unfold(widen(x, t)!, p), x.dtype, n, t);
    },
    fold(cols, outShape, p) {
      if (!anyHalf(cols)) return inner.fold(cols, outShape, p);
      const t: D[] = [];
      return finish(inner.fold(widen(cols, t)!, outShape, p), cols.dtype, numel(outShape), t);
    },
    softmax(x, axis, log) {
      if (!anyHalf(x)) return inner.softmax(x, axis, log);
      const t: D[] = [];
      return finish(inner.softmax(widen(x, t)!, axis, log), x.dtype, numel(x.shape), t);
    },
  } satisfies Partial<Backend<D>> & Record<symbol, unknown>);

  if (inner.adamStep) {
    const k = inner.adamStep.bind(inner);
    w.adamStep = (param, grad, m, v, vmax, h) => {
      if (!anyHalf(param, grad, m, v, vmax)) return k(param, grad, m, v, vmax, h);
      const t: D[] = [];
      const [P, M, Vv, Vm] = [widen(param, t)!, widen(m, t)!, widen(v, t)!, widen(vmax, t)];
      k(P, widen(grad, t)!, M, Vv, Vm, h);
      ([[param, P], [m, M], [v, Vv], [vmax, Vm]] as [V | null, V | null][]).forEach(([orig, wide]) => { if (orig && wide && isHalf(orig.dtype)) writeBack(orig, wide); });
      for (const x of t) inner.dispose(x);
    };
  }
  if (inner.normRows) {
    const k = inner.normRows.bind(inner);
    w.normRows = (x, rows, cols, eps, rms) => {
      if (!anyHalf(x)) return k(x, rows, cols, eps, rms);
      const t: D[] = [];
      const r = k(widen(x, t)!, rows, cols, eps, rms);
      for (const x2 of t) inner.dispose(x2);
      return { y: narrow(r.y, x.dtype as HalfDType, rows * cols), rstd: narrow(r.rstd, x.dtype as HalfDType, rows) };
    };
  }
  if (inner.biasAct) {
    const k = inner.biasAct.bind(inner);
    w.biasAct = (x, bias, act, dt, keepPre) => {
      if (!anyHalf(x, bias) && !isHalf(dt)) return k(x, bias, act, dt, keepPre);
      const t: D[] = [];
      const r = k(widen(x, t)!, widen(bias, t), act, outIn(dt), keepPre);
      for (const x2 of t) inner.dispose(x2);
      const n = numel(x.shape);
      return isHalf(dt) ? { y: narrow(r.y, dt, n), z: r.z === null ? null : narrow(r.z, dt, n) } : r;
    };
  }
  if (inner.crossEntropyRows) {
    const k = inner.crossEntropyRows.bind(inner);
    w.crossEntropyRows = (x, target, ignoreIndex) => {
      if (!anyHalf(x)) return k(x, target, ignoreIndex);
      const t: D[] = [];
      const r = k(widen(x, t)!, target, ignoreIndex);
      for (const x2 of t) inner.dispose(x2);
      const rows = numel(target.shape), dt = x.dtype as HalfDType;
      return { loss: narrow(r.loss, dt, rows), max: narrow(r.max, dt, rows), logSum: narrow(r.logSum, dt, rows) };
    };
  }
  if (inner.crossEntropyRowsGrad) {
    const k = inner.crossEntropyRowsGrad.bind(inner);
    w.crossEntropyRowsGrad = (x, max, logSum, target, g, ignoreIndex) => {
      if (!anyHalf(x, max, logSum, g)) return k(x, max, logSum, target, g, ignoreIndex);
      const t: D[] = [];
      const r = k(widen(x, t)!, widen(max, t)!, widen(logSum, t)!, target, widen(g, t)!, ignoreIndex);
      return finish(r, x.dtype, numel(x.shape), t);
    };
  }
  return w;
}
