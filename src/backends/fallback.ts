/**
 * The one shared fallback path for kernels a backend does not implement natively: download the inputs
 * (through the backend's own synchronous `read`), run the reference TypeScript kernel, upload the result
 * (through `fromArray`, or `write` for the in-place kernels). A backend built this way never needs its
 * memory to be viewable as typed arrays; it needs only `read` and `fromArray`.
 *
 * Only backends that can read synchronously (capabilities.syncRead) can use it: kernels return their
 * output synchronously, so the download cannot wait. A device backend without synchronous reads must
 * implement every required kernel (the registry's `checkBackend` reports the ones missing).
 */
import type { DType, TypedArray } from '../dtype.js';
import { REQUIRED_KERNELS, type Backend, type RequiredKernel, type View } from './backend.js';
import { createTsBackend } from './ts/index.js';

/** The memory half of a backend: what the fallback path needs to move data in and out. */
export interface FallbackIO<D> {
  read(data: D, dtype: DType, size: number): TypedArray;
  fromArray(dtype: DType, values: ArrayLike<number>): D;
  /** overwrite elements [offset, offset + values.length) of a block (for assign and fill) */
  write?(data: D, dtype: DType, offset: number, values: TypedArray): void;
}


/** Number of elements a view reaches into its block: 1 + the largest offset it addresses (0 when empty). */
export function viewExtent(v: View): number {
  let hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    if (v.shape[d] === 0) return 0;
    const s = v.strides[d]!;
    if (s > 0) hi += s * (v.shape[d]! - 1);
  }
  return hi + 1;
}

/**
 * Fill every required kernel `partial` lacks from the reference kernels. Returns the completed backend and
 * the names of the kernels that run on the fallback path (reported in capabilities.fallbackKernels).
 */
export function referenceFallback<D>(
  partial: Partial<Pick<Backend<D>, RequiredKernel>>,
  io: FallbackIO<D>,
): { kernels: Pick<Backend<D>, RequiredKernel>; fallback: RequiredKernel[] } {
  const ref = createTsBackend();
  // a reference-side view of backend data: the block downloaded up to the view's extent
  const down = (v: View<D>): View<TypedArray> => ({ ...v, data: io.read(v.data, v.dtype, viewExtent(v as View)).slice() });
  const up = (dtype: DType, a: TypedArray): D => {
    const block = io.fromArray(dtype, a);
    ref.dispose(a);
    return block;
  };
  // in place: run the reference kernel on a downloaded copy of the block, then write the touched range back
  const inPlace = (dst: View<D>, run: (d: View<TypedArray>) => void, kernel: string): void => {
    if (!io.write) throw new Error(`${kernel}: this backend lacks a native ${kernel} and a write() for the reference fallback`);
    const d = down(dst);
    run(d);
    io.write(dst.data, dst.dtype, 0, d.data);
  };
  const fill: Pick<Backend<D>, RequiredKernel> = {
    unary: (op, x, dt, params) => up(dt, ref.unary(op, down(x), dt, params)),
    binary: (op, a, b, dt) => up(dt, ref.binary(op, down(a), down(b), dt)),
    where: (c, a, b, dt) => up(dt, ref.where(down(c), down(a), down(b), dt)),
    reduce: (op, x, axes, dt) => up(dt, ref.reduce(op, down(x), axes, dt)),
    argReduce: (op, x, axis) => up('int32', ref.argReduce(op, down(x), axis)),
    matmul: (a, b, dt) => up(dt, ref.matmul(down(a), down(b), dt)),
    copy: (x, dt) => up(dt, ref.copy(down(x), dt)),
    assign: (dst, src) => inPlace(dst, (d) => ref.assign(d, down(src)), 'assign'),
    fill: (dst, value) => inPlace(dst, (d) => ref.fill(d, value), 'fill'),
    gather: (x, axis, index) => up(x.dtype, ref.gather(down(x), axis, down(index))),
    scatterAdd: (shape, dt, axis, index, src) => up(dt, ref.scatterAdd(shape, dt, axis, down(index), down(src))),
    indexSelect: (x, axis, index) => up(x.dtype, ref.indexSelect(down(x), axis, down(index))),
    indexAdd: (shape, dt, axis, index, src) => up(dt, ref.indexAdd(shape, dt, axis, down(index), down(src))),
    unfold: (x, p) => up(x.dtype, ref.unfold(down(x), p)),
    fold: (cols, outShape, p) => up(cols.dtype, ref.fold(down(cols), outShape, p)),
    softmax: (x, axis, log) => up(x.dtype, ref.softmax(down(x), axis, log)),
  };
  const kernels = { ...fill } as Pick<Backend<D>, RequiredKernel>;
  const fallback: RequiredKernel[] = [];
  for (const k of REQUIRED_KERNELS) {
    const own = partial[k];
    if (own) (kernels as Record<string, unknown>)[k] = own;
    else fallback.push(k);
  }
  return { kernels, fallback };
}
