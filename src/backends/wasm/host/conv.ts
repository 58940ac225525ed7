/**
 * Host side of unfold (im2col) and fold (col2im) over contiguous float32 NCHW data, and of gather /
 * scatter-add along one axis and strided copies of 4-byte elements. Each returns false when the call does not
 * fit; the backend then runs the reference kernel, so behaviour (errors included) stays the reference's.
 */
import type { DType } from '../../../dtype.js';
import type { UnfoldParams, View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { foldJob, unfoldJob } from '../kernels/conv.js';
import { addr, contiguous, type WasmRuntime } from './runtime.js';

/** the window fields unfold and fold share */
const window = (planes: number, H: number, W: number, p: UnfoldParams, OH: number, OW: number) => ({
  planes, H, W, KH: p.kernel[0], KW: p.kernel[1], s0: p.stride[0], s1: p.stride[1], p0: p.padding[0], p1: p.padding[1],
  d0: p.dilation[0], d1: p.dilation[1], OH, OW,
});

export function simdUnfold(rt: WasmRuntime, o: WasmBlock, x: View<WasmBlock>, p: UnfoldParams): boolean {
  if (x.dtype !== 'float32' || !contiguous(x) || x.shape.length !== 4) return false;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [OH, OW] = K.unfoldOutputSize(H, W, p);
  if (N * C * OH * OW === 0) return false;
  rt.run(unfoldJob, { src: addr(x), dst: o.ptr, ...window(N * C, H, W, p, OH, OW), pad: p.padValue });
  return true;
}

/** zero-fills `o` (allocated unzeroed) first, whether it then runs or not */
export function simdFold(rt: WasmRuntime, o: WasmBlock, cols: View<WasmBlock>, outShape: readonly [number, number, number, number], p: UnfoldParams): boolean {
  rt.ex.zero_bytes!(o.ptr, o.bytes);
  if (cols.dtype !== 'float32' || !contiguous(cols)) return false;
  const [N, C, H, W] = outShape;
  const [OH, OW] = K.unfoldOutputSize(H, W, p);
  if (N * C * OH * OW === 0) return false;
  rt.run(foldJob, { src: addr(cols), dst: o.ptr, ...window(N * C, H, W, p, OH, OW) });
  return true;
}

export function simdGather(rt: WasmRuntime, x: View<WasmBlock>, axis: number, index: View<WasmBlock>, o: WasmBlock): boolean {
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || index.dtype !== 'int32' || !contiguous(x) || !contiguous(index)) return false;
  if (index.shape.length !== x.shape.length) return false;
  let outer = 1, inner = 1;
  for (let d = 0; d < x.shape.length; d++) {
    if (d === axis) continue;
    if (index.shape[d] !== x.shape[d]) return false;
    if (d < axis) outer *= x.shape[d]!; else inner *= x.shape[d]!;
  }
  const R = x.shape[axis]!, RI = index.shape[axis]!;
  if (outer * inner * RI === 0) return false;
  return (rt.ex.gather32!(addr(x), addr(index), o.ptr, outer, R, RI, inner) as number) < 0;
}

/** zero-fills `o` (allocated unzeroed) first, whether it then runs or not */
export function simdScatterAdd(rt: WasmRuntime, shape: readonly number[], dt: DType, axis: number, index: View<WasmBlock>, src: View<WasmBlock>, o: WasmBlock): boolean {
  const { ex } = rt;
  ex.zero_bytes!(o.ptr, o.bytes);
  if (dt !== 'float32' || src.dtype !== 'float32' || index.dtype !== 'int32' || !contiguous(src) || !contiguous(index)) return false;
  if (index.shape.length !== shape.length || !src.shape.every((d, k) => d === index.shape[k]) || src.shape.length !== index.shape.length) return false;
  let outer = 1, inner = 1;
  for (let d = 0; d < shape.length; d++) {
    if (d === axis) continue;
    if (index.shape[d] !== shape[d]) return false;
    if (d < axis) outer *= shape[d]!; else inner *= shape[d]!;
  }
  const R = shape[axis]!, RI = index.shape[axis]!;
  if (outer * inner * RI === 0) return false;
  if ((ex.scatter_add_f32!(o.ptr, addr(index), addr(src), outer, R, RI, inner) as number) < 0) return true;
  // an index out of range: undo, and let the reference raise its error
  ex.zero_bytes!(o.ptr, o.bytes);
  return false;
}

/**
 * dst[...] = src[...] for views of one 4-byte dtype (float32 or int32) in different blocks, rank ≤ 4 once size-1 dims
 * are dropped: a contiguous dst takes copy4_32 of src, a contiguous src put4_32 into dst; else false (reference).
 */
export function simdAssign(rt: WasmRuntime, dst: View<WasmBlock>, src: View<WasmBlock>): boolean {
  if (dst.dtype !== src.dtype || (dst.dtype !== 'float32' && dst.dtype !== 'int32') || dst.data === src.data) return false;
  const n: number[] = [], sd: number[] = [], ss: number[] = [];
  dst.shape.forEach((s, d) => { if (s !== 1) { n.push(s); sd.push(dst.strides[d]!); ss.push(src.strides[d]!); } });
  if (n.length > 4 || K.numel(n) === 0) return false;
  while (n.length < 4) { n.unshift(1); sd.unshift(0); ss.unshift(0); }
  if (K.isContiguous(dst.shape, dst.strides)) rt.ex.copy4_32!(addr(src), addr(dst), ...n, ...ss);
  else if (K.isContiguous(src.shape, src.strides)) rt.ex.put4_32!(addr(src), addr(dst), ...n, ...sd);
  else return false;
  return true;
}

/** a strided view of 4-byte elements (rank ≤ 4 once size-1 dims are dropped) into contiguous `o` */
export function simdCopy(rt: WasmRuntime, o: WasmBlock, x: View<WasmBlock>, dt: DType): boolean {
  if (x.dtype !== dt || (dt !== 'float32' && dt !== 'int32')) return false;
  const n: number[] = [], st: number[] = [];
  x.shape.forEach((s, d) => { if (s !== 1) { n.push(s); st.push(x.strides[d]!); } });
  if (n.length > 4 || K.numel(n) === 0) return false;
  while (n.length < 4) { n.unshift(1); st.unshift(0); }
  rt.ex.copy4_32!(addr(x), o.ptr, ...n, ...st);
  return true;
}
