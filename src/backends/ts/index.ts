/** The portable backend: plain TypeScript over typed arrays. It is the reference every other backend is tested against. */
import { arrayFor, itemSize, type DType, type TypedArray } from '../../dtype.js';
import type { Backend, View } from '../backend.js';
import * as K from './kernels.js';
import { attentionBackward, attentionForward } from './attention.js';

const av = (v: View<TypedArray>): K.ArrView => ({ arr: v.data, shape: v.shape, strides: v.strides, offset: v.offset });

export function createTsBackend(): Backend<TypedArray> {
  let bytes = 0;
  const out = (dtype: DType, n: number): TypedArray => {
    bytes += n * itemSize[dtype];
    return arrayFor(dtype, n);
  };
  return {
    name: 'ts',
    alloc: (dtype, size) => out(dtype, size),
    fromArray(dtype, values) {
      const a = out(dtype, values.length);
      if (dtype === 'bool') for (let i = 0; i < values.length; i++) a[i] = values[i] ? 1 : 0;
      else a.set(values as ArrayLike<number>);
      return a;
    },
    read: (data) => data,
    dispose(data) {
      bytes -= data.byteLength;
    },
    bytesInUse: () => bytes,
    unary(op, x, dt, params) {
      const o = out(dt, K.numel(x.shape));
      K.unary(o, dt, op, av(x), params);
      return o;
    },
    binary(op, a, b, dt) {
      const o = out(dt, K.numel(a.shape));
      K.binary(o, dt, op, av(a), av(b));
      return o;
    },
    where(c, a, b, dt) {
      const o = out(dt, K.numel(c.shape));
      K.where(o, dt, av(c), av(a), av(b));
      return o;
    },
    reduce(op, x, axes, dt) {
      const o = out(dt, K.numel(x.shape.filter((_, d) => !axes.includes(d))));
      K.reduce(o, dt, op, av(x), axes);
      return o;
    },
    argReduce(op, x, axis) {
      const o = out('int32', K.numel(x.shape.filter((_, d) => d !== axis))) as Int32Array;
      K.argReduce(o, op, av(x), axis);
      return o;
    },
    sort(x, axis, descending) {
      const n = K.numel(x.shape);
      const values = out(x.dtype, n), indices = out('int32', n) as Int32Array;
      K.sortAlong(values, indices, av(x), axis, descending);
      return { values, indices };
    },
    matmul(a, b, dt) {
      const o = out(dt, a.shape[0]! * a.shape[1]! * b.shape[2]!);
      K.matmul(o, av(a), av(b));
      return o;
    },
    copy(x, dt) {
      const o = out(dt, K.numel(x.shape));
      K.copy(o, dt, av(x));
      return o;
    },
    assign: (dst, src) => K.assign(av(dst), dst.dtype, av(src)),
    fill: (dst, value) => K.fill(av(dst), value),
    gather(x, axis, index) {
      const o = out(x.dtype, K.numel(index.shape));
      K.gather(o, av(x), axis, av(index));
      return o;
    },
    scatterAdd(shape, dt, axis, index, src) {
      const o = out(dt, K.numel(shape));
      K.scatterAdd(o, shape, axis, av(index), av(src));
      return o;
    },
    indexSelect(x, axis, index) {
      const shape = x.shape.slice();
      shape[axis] = K.numel(index.shape);
      const o = out(x.dtype, K.numel(shape));
      K.indexSelect(o, av(x), axis, av(index));
      return o;
    },
    indexAdd(shape, dt, axis, index, src) {
      const o = out(dt, K.numel(shape));
      K.indexAdd(o, shape, axis, av(index), av(src));
      return o;
    },
    unfold(x, p) {
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const [oh, ow] = K.unfoldOutputSize(H, W, p);
      const o = out(x.dtype, N * C * p.kernel[0] * p.kernel[1] * oh * ow);
      K.unfold(o, av(x), p);
      return o;
    },
    fold(cols, outShape, p) {
      const o = out(cols.dtype, K.numel(outShape));
      K.fold(o, av(cols), outShape, p);
      return o;
    },
    softmax(x, axis, log) {
      const o = out(x.dtype, K.numel(x.shape));
      K.softmax(o, av(x), axis, log);
      return o;
    },
    adamStep: (p, g, m, v, vmax, h) => K.adamStep(av(p), av(g), av(m), av(v), vmax ? av(vmax) : null, h),
    normRows(x, rows, cols, eps, rms) {
      const y = out(x.dtype, rows * cols), rstd = out(x.dtype, rows);
      K.normRows(y, rstd, av(x), cols, eps, rms);
      return { y, rstd };
    },
    crossEntropyRows(x, target, ignoreIndex) {
      const rows = K.numel(target.shape), loss = out(x.dtype, rows), max = out(x.dtype, rows), logSum = out(x.dtype, rows);
      K.crossEntropyRows(loss, max, logSum, av(x), av(target), rows ? K.numel(x.shape) / rows : 0, ignoreIndex);
      return { loss, max, logSum };
    },
    crossEntropyRowsGrad(x, max, logSum, target, g, ignoreIndex) {
      const n = K.numel(x.shape), rows = K.numel(target.shape), dx = out(x.dtype, n);
      K.crossEntropyRowsGrad(dx, av(x), av(max), av(logSum), av(target), av(g), rows ? n / rows : 0, ignoreIndex);
      return dx;
    },
    attention(q, k, v, causal, scale) {
      const r = q.shape.length, L = q.shape[r - 2]!, F = v.shape[r - 1]!, rows = K.numel(q.shape.slice(0, -1));
      const o = out(q.dtype, rows * F), lse = out(q.dtype, rows);
      if (rows > 0 && L > 0) attentionForward(o, lse, av(q), av(k), av(v), causal, scale);
      return { out: o, lse };
    },
    attentionGrad(q, k, v, o, lse, dOut, causal, scale) {
      const dq = out(q.dtype, K.numel(q.shape)), dk = out(q.dtype, K.numel(k.shape)), dv = out(q.dtype, K.numel(v.shape));
      if (dq.length > 0) attentionBackward(dq, dk, dv, av(q), av(k), av(v), o.data.subarray(o.offset), lse.data.subarray(lse.offset), av(dOut), causal, scale);
      return { dq, dk, dv };
    },
    geluBackward(x, g) {
      const dx = out(x.dtype, K.numel(x.shape));
      K.geluBackward(dx, av(x), av(g));
      return dx;
    },
    biasAct(x, bias, act, dt, keepPre) {
      const y = out(dt, K.numel(x.shape));
      const z = keepPre && K.biasActNeedsPre(act) ? out(dt, y.length) : null;
      K.biasAct(y, z, av(x), bias ? av(bias) : null, act, x.shape.length ? x.shape[x.shape.length - 1]! : 1);
      return { y, z };
    },
  };
}
