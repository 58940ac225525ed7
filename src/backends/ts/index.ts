/** The portable backend: plain TypeScript over typed arrays. It is the reference every other backend is tested against. */
import { arrayFor, itemSize, type DType, type TypedArray } from '../../dtype.js';
import type { Backend, View } from '../backend.js';
import * as K from './kernels.js';
import { bindReference } from '../fusedKernels.js';

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
    // the fused kernels: their reference implementations (fusedKernels.ts), on this backend's arrays
    ...bindReference<TypedArray>({ out: (dtype, n) => out(dtype, n), arr: (b) => b, view: (v) => av(v) }),
  };
}
