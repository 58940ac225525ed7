/**
 * The narrow interface every backend implements, and the contract a new one (WebGPU, native) is written
 * against. The front end (tensors, ops, autograd) never touches raw memory: it hands kernels `View`s of
 * backend-owned data and receives new backend-owned data back.
 *
 * `D` is the backend's handle to one block of memory (a typed array for the portable backend, a pointer
 * into WebAssembly memory for the wasm backend, a GPUBuffer for webgpu). The front end never looks inside it.
 *
 * ## The contract
 * 1. Memory. `alloc`/`fromArray` return a new block; `dispose` is called exactly once per block (by the
 *    tensor's owner or the garbage collector). `bytesInUse` counts live blocks' bytes. A backend may pool
 *    freed blocks; pooled bytes do not count as in use.
 * 2. Kernels. Every kernel returns freshly allocated, contiguous (row-major) data; only `assign`, `fill` and
 *    `adamStep` write into existing blocks. Kernels are synchronous *to the caller*: they may only enqueue
 *    work (a device backend records commands and returns the output handle at once). Work is ordered: a
 *    kernel enqueued later sees every earlier kernel's writes, and a block disposed after being passed to a
 *    kernel may be reused at once (the backend orders reuse after the enqueued reads).
 * 3. Reads. `readAsync` is the one read every backend serves: it waits for the enqueued work and resolves
 *    to a copy. `read` (synchronous) is served only when `capabilities.syncRead` is true; a backend that
 *    cannot read synchronously throws from it an Error that names the backend and tells the caller to use
 *    `await t.dataAsync()` / `itemAsync()` / `tolistAsync()`.
 * 4. No host reads inside ops. Ops never read tensor values on the host to decide what to compute, so one
 *    training step is enqueued without a round trip. The few documented exceptions are validity checks
 *    that run only where `capabilities.syncRead` is true (index ranges of gather-like ops, BCE's input in
 *    [0, 1]); on other backends out-of-range indices read 0 and are skipped by scatters, and those checks
 *    are the caller's job. Anomaly mode (a debugging aid) reads values and needs `syncRead`.
 * 5. dtypes. `capabilities.dtypes` lists the dtypes the backend stores; `alloc`, `fromArray` and kernels
 *    asked for another dtype throw an Error naming the dtype, the kernel and the backend.
 * 6. Missing kernels. The required kernels below must all exist. A backend that can read synchronously
 *    may fill any of them from the shared reference path (`referenceFallback` in fallback.ts: download →
 *    reference TypeScript kernel → upload) instead of viewing its memory as typed arrays. The optional
 *    fused kernels may be absent: the ops then compose required kernels (`capabilities.fused` lists which
 *    are present).
 * 7. Registration. A backend module registers a factory with the registry (`registerBackendFactory`);
 *    the registry imports no backend. `await nb.setBackend(name)` / `nb.initBackend(name)` run the factory
 *    once; a factory that cannot start throws an Error naming what it tried (e.g. "webgpu: no adapter from
 *    navigator.gpu; tried the 'webgpu' npm package (Dawn): ...").
 * 8. Failures. Device loss and out-of-memory surface as Errors naming the kernel and the bytes requested.
 */
import type { DType, TypedArray } from '../dtype.js';
import { FUSED_KERNELS, type FusedKernel, type FusedMethods } from './fusedKernels.js';

/** A strided window onto backend data: element (i0,i1,..) lives at offset + Σ ik·strides[k]. */
export interface View<D = unknown> {
  readonly data: D;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * The unary element-wise ops: the keys of the reference kernel table (ts/kernels.ts, which documents each
 * op's params), so adding a reference kernel adds the op. A type-only import: no runtime dependency.
 */
export type UnaryOp = keyof typeof import('./unaryOps.js').UNARY_OPS;

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr';

/** activations of the fused bias + activation kernel (Backend.biasAct) */
export type BiasActivation = 'none' | 'relu' | 'gelu' | 'geluTanh' | 'silu' | 'sigmoid' | 'tanh';

export type ReduceOp = 'sum' | 'max' | 'min' | 'prod';
export type ArgReduceOp = 'argmax' | 'argmin';

/** im2col parameters for a 2-D window over [N, C, H, W] (1-D convolution uses H = 1). */
export interface UnfoldParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  /** value read outside the input (0 for convolution, -Infinity for max pooling) */
  padValue: number;
}

/**
 * Scalars of one Adam/AdamW step (torch.optim order; see src/optim/adam.ts):
 *   d = ±g (+ l2·θ);  θ ← θ·shrink;  m ← m + (d − m)(1 − β₁);  v ← β₂v + (1 − β₂)d²;  [v_max ← max(v_max, v)]
 *   θ ← θ − stepSize · m / (√v / bc2Sqrt + eps)
 */
export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  /** γ / (1 − β₁ᵗ) */
  stepSize: number;
  /** √(1 − β₂ᵗ) */
  bc2Sqrt: number;
  /** L2 weight decay folded into the gradient (Adam), 0 for none */
  l2: number;
  /** decoupled weight-decay factor 1 − γλ (AdamW), 1 for none */
  shrink: number;
  maximize: boolean;
}

/** What a backend can do, for the front end and for users choosing a backend (see the contract above). */
export interface BackendCapabilities {
  /** dtypes the backend stores (float64 absent: a float64 tensor on it throws, naming the kernel) */
  readonly dtypes: readonly DType[];
  /** `read` works synchronously (t.data(), t.item()); false: only the async reads do */
  readonly syncRead: boolean;
  /** the optional fused kernels this backend implements */
  readonly fused: readonly FusedKernel[];
  /** kernels served by the shared download → reference → upload path rather than natively */
  readonly fallbackKernels: readonly string[];
  /** where the work runs, in words (e.g. "cpu", "gpu: google swiftshader") */
  readonly device: string;
}

/**
 * The optional fused kernels (adamStep, normRows, biasAct, crossEntropyRows(Grad), attention(Grad), geluBackward):
 * each is an optional method of Backend whose contract and reference implementation are one entry of FUSED in
 * fusedKernels.ts. capabilities.fused lists those a backend has.
 */
export { FUSED_KERNELS, type FusedKernel } from './fusedKernels.js';

export interface Backend<D = unknown> extends FusedMethods<D> {
  readonly name: string;
  /** what this backend can do; absent on older backends, which then read synchronously (see capabilitiesOf) */
  readonly capabilities?: BackendCapabilities;

  // ---- memory -------------------------------------------------------------------------------
  /** zero-filled block of `size` elements */
  alloc(dtype: DType, size: number): D;
  /** a block holding a copy of `values` (values.length elements, converted to dtype) */
  fromArray(dtype: DType, values: ArrayLike<number>): D;
  /**
   * the block's elements, as a typed array the caller must not keep or mutate; throws (naming the backend and
   * the async alternative) where `capabilities.syncRead` is false
   */
  read(data: D, dtype: DType, size: number): TypedArray;
  /** a copy of the block's first `size` elements once all enqueued work is done (absent: `read`) */
  readAsync?(data: D, dtype: DType, size: number): Promise<TypedArray>;
  /** release the block now; the front end calls it exactly once per block */
  dispose(data: D): void;
  /** bytes currently held by live blocks (for memory tests) */
  bytesInUse(): number;

  // ---- kernels ------------------------------------------------------------------------------
  /** out[i] = op(x[i]) computed in outDtype */
  unary(op: UnaryOp, x: View<D>, outDtype: DType, params?: readonly number[]): D;
  /** a and b are already broadcast to `shape` (stride 0 along broadcast dims) */
  binary(op: BinaryOp, a: View<D>, b: View<D>, outDtype: DType): D;
  /** cond ? a : b; all three views share one shape */
  where(cond: View<D>, a: View<D>, b: View<D>, outDtype: DType): D;
  /** reduce over `axes` (sorted, unique); output shape is x.shape without those axes */
  reduce(op: ReduceOp, x: View<D>, axes: readonly number[], outDtype: DType): D;
  /** int32 index of the first extreme along `axis`; output shape drops that axis */
  argReduce(op: ArgReduceOp, x: View<D>, axis: number): D;
  /** a: [batch, M, K], b: [batch, K, N] (any strides, 0 for broadcast batch) → [batch, M, N] */
  matmul(a: View<D>, b: View<D>, outDtype: DType): D;
  /**
   * Optional: stable sort along `axis` → values (x's dtype) and int32 indices along that axis, both contiguous in
   * x's shape (ties keep their input order, NaN is the largest value). The sort/argsort/topk ops need it; the ts
   * and wasm backends bind the reference kernel (ts/kernels.ts sortAlong).
   */
  sort?(x: View<D>, axis: number, descending: boolean): { values: D; indices: D };
  /** contiguous copy, converting to outDtype */
  copy(x: View<D>, outDtype: DType): D;
  /** dst[...] = src[...] elementwise (same shape; src may be broadcast); writes into dst's block */
  assign(dst: View<D>, src: View<D>): void;
  /** dst[...] = value; writes into dst's block */
  fill(dst: View<D>, value: number): void;
  /** out[i][j][k] = x[index[i][j][k]][j][k] along `axis` (torch.gather); out has index's shape */
  gather(x: View<D>, axis: number, index: View<D>): D;
  /** out = zeros(shape); out[index[i][j]...][j] += src[i][j] along axis (torch.scatter_add) */
  scatterAdd(shape: readonly number[], dtype: DType, axis: number, index: View<D>, src: View<D>): D;
  /** out = x.index_select(axis, index) for a 1-D int32 index */
  indexSelect(x: View<D>, axis: number, index: View<D>): D;
  /** out = zeros(shape).index_add(axis, index, src) for a 1-D int32 index */
  indexAdd(shape: readonly number[], dtype: DType, axis: number, index: View<D>, src: View<D>): D;
  /** im2col: [N, C, H, W] → [N, C·KH·KW, OH·OW] */
  unfold(x: View<D>, p: UnfoldParams): D;
  /** col2im (sums overlapping windows): [N, C·KH·KW, OH·OW] → [N, C, H, W] */
  fold(cols: View<D>, outShape: readonly [number, number, number, number], p: UnfoldParams): D;
  /**
   * numerically stable softmax / log-softmax along `axis` (max-shifted); a row of all −Infinity gives
   * −Infinity log-probs and NaN probabilities, a row holding NaN gives NaN
   */
  softmax(x: View<D>, axis: number, log: boolean): D;

  // ---- optional fused kernels: FusedMethods<D>, one per entry of FUSED in fusedKernels.ts (contract and reference there)

  // ---- optional 16-bit helpers
  /**
   * 16-bit float conversions for the half-precision layer (halfPrecision.ts), optional: without them it converts
   * in JavaScript. widenHalf: a new float32 block holding the n elements src[lo, lo + n) of a bfloat16/float16
   * block (exact). narrowHalf: a new 16-bit block of the first n elements of a float32 block, rounded to nearest
   * even (NaN → the dtype's quiet NaN, overflow → ±Inf). Each returns null for a dtype it has no kernel for.
   */
  widenHalf?(dtype: 'bfloat16' | 'float16', src: D, lo: number, n: number): D | null;
  narrowHalf?(dtype: 'bfloat16' | 'float16', src: D, n: number): D | null;
  /**
   * Optional, for the half-precision layer: the float32 product A·B (shapes as matmul) where A and B are float32,
   * bfloat16 or float16 views, read by the kernel directly (no widened float32 copies); null when it cannot.
   */
  matmulHalf?(a: View<D>, b: View<D>): D | null;
}


/** The kernels every backend must provide (optional fused kernels are not listed: ops compose them). */
export const REQUIRED_KERNELS = [
  'unary', 'binary', 'where', 'reduce', 'argReduce', 'matmul', 'copy', 'assign', 'fill',
  'gather', 'scatterAdd', 'indexSelect', 'indexAdd', 'unfold', 'fold', 'softmax',
] as const;
export type RequiredKernel = (typeof REQUIRED_KERNELS)[number];

/** A backend's capabilities, with the defaults of a CPU backend that predates the field. */
export function capabilitiesOf(b: Backend): BackendCapabilities {
  if (b.capabilities) return b.capabilities;
  const fused = FUSED_KERNELS.filter((k) => typeof b[k] === 'function');
  return { dtypes: ['float32', 'float64', 'int32', 'bool'], syncRead: true, fused, fallbackKernels: [], device: 'cpu' };
}

/** Read a block on any backend: its readAsync when it has one, else a copy of its synchronous read. */
export async function readBlockAsync(b: Backend, data: unknown, dtype: DType, size: number): Promise<TypedArray> {
  if (b.readAsync) return b.readAsync(data, dtype, size);
  return b.read(data, dtype, size).slice();
}
