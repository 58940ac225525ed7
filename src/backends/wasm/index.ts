/**
 * The fast CPU backend: data lives in one (shared) WebAssembly.Memory, float32 matmul / element-wise /
 * reductions run as SIMD kernels emitted at load time (large ones split across a worker pool), and every
 * other kernel runs the reference TypeScript kernels over typed-array views of the same memory.
 */
import { itemSize, type DType, type TypedArray } from '../../dtype.js';
import type { Backend, BinaryOp, UnaryOp, View } from '../backend.js';
import * as K from '../ts/kernels.js';
import { Allocator, type WasmBlock } from './allocator.js';
import { BIASED_UNARY, CONST_BASE, CONST_END, SIMD_BINARY, SIMD_UNARY, constantTable } from './elementwise.js';
import { GEMM_SCRATCH_BYTES, gemmChunks, type GemmTask } from './gemm.js';
import { CTL_BYTES, JOB_ADAM, JOB_BINARY, JOB_BINARY_ROWS, JOB_BIAS_UNARY, JOB_CONV, JOB_CE, JOB_CE_GRAD, JOB_NORM, JOB_GEMM, JOB_SOFTMAX, JOB_SUM, JOB_UNARY, elemChunks, gemmParams, runJob } from './jobs.js';
import { buildModule, detectFeatures, instantiate, type Features } from './module.js';
import { Pool } from './pool.js';
import { createConvKernels } from './convKernels.js';

export type { WasmBlock } from './allocator.js';

export interface WasmBackendOptions {
  /** threads including the caller (default: all cores; 1 when SharedArrayBuffer is unavailable) */
  threads?: number;
  /**
   * true: use relaxed SIMD (f32x4.relaxed_madd in the GEMM and the polynomials) where the runtime has it,
   * turning on V8's flag for it in Node 20 where it is off by default. false: plain SIMD only, even where
   * relaxed SIMD validates — results then do not depend on whether the CPU fuses multiply-adds.
   * Default: relaxed SIMD where the runtime already validates it.
   */
  relaxedSimd?: boolean;
  /** upper bound of the wasm heap in MiB (default 2048) */
  maxMemoryMB?: number;
  /**
   * false forces an unshared memory (and so one thread), the configuration of a browser page that is not
   * cross-origin isolated; default: shared whenever SharedArrayBuffer exists
   */
  sharedMemory?: boolean;
}

export interface WasmBackend extends Backend<WasmBlock> {
  readonly threads: number;
  readonly features: Features;
  /** heap statistics beyond bytesInUse (class-rounded bytes, bump pointer, memory size) */
  stats(): { reserved: number; heapTop: number; memoryBytes: number };
  /** stop the worker threads (the backend keeps working single-threaded) */
  close(): void;
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/** True when this runtime can run the backend (WebAssembly with 128-bit SIMD). */
export function wasmAvailable(): boolean {
  return detectFeatures().simd;
}

async function defaultThreads(): Promise<number> {
  if (isNode) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/** below these sizes the wake-up of the workers (tens of µs) costs more than it saves */
const PAR_GEMM_FLOPS = 1 << 21;
const PAR_ELEMS = 1 << 16;
/** the per-row SIMD path for broadcast binaries pays off only for rows this long */
const MIN_ROW = 32;

const PAGE = 65536;

/**
 * Compile the kernel modules straight to V8's optimising tier (Node only). By default V8 first runs new
 * wasm code in its baseline compiler (Liftoff) and tiers hot functions up in the background; until that
 * lands, the GEMM runs about 1.6× slower — long enough to spoil the first few hundred small matmuls of a
 * program, or a benchmark that starts right after the backend. With Liftoff off for the duration of our
 * own compiles, `new WebAssembly.Module` returns optimised code (measured: same start-up time, ~190 ms,
 * which the worker threads dominate). The flag is restored at once, so other modules in the process keep
 * the engine's default; a user who chose a Liftoff flag on the command line keeps that choice.
 */
async function topTierCompiler(): Promise<<T>(compile: () => T) => T> {
  if (!isNode) return (compile) => compile();
  // (flags given with NODE_OPTIONS do not show in execArgv)
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('liftoff'))) return (compile) => compile();
  const v8 = await import('node:v8');
  return (compile) => {
    v8.setFlagsFromString('--no-liftoff');
    try {
      return compile();
    } finally {
      v8.setFlagsFromString('--liftoff');
    }
  };
}

export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  if (opts.relaxedSimd && isNode) {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  const topTier = await topTierCompiler();
  const detected = detectFeatures();
  if (!detected.simd) throw new Error('wasm backend: this runtime lacks WebAssembly SIMD');
  const features: Features = {
    ...detected,
    relaxed: detected.relaxed && opts.relaxedSimd !== false,
    shared: detected.shared && opts.sharedMemory !== false,
  };
  let threads = Math.max(1, Math.floor(opts.threads ?? (await defaultThreads())));
  if (!features.shared) threads = 1;
  const maximumPages = Math.min(32768, Math.ceil(((opts.maxMemoryMB ?? 2048) * 1024 * 1024) / PAGE));
  const initialPages = Math.min(maximumPages, 64);
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: features.shared } as WebAssembly.MemoryDescriptor);
  const module = topTier(() => buildModule({ relaxed: features.relaxed, shared: features.shared, initialPages, maximumPages }));
  const ex = instantiate(module, memory);
  // bytes [CONST_BASE, CONST_END) hold the kernels' vector constants; the heap starts above them
  new Uint8Array(memory.buffer, CONST_BASE).set(constantTable());
  const heap = new Allocator(memory, CONST_END, maximumPages, (p, n) => ex.zero_bytes!(p, n));

  // internal blocks: the pool's control block and one GEMM scratch per thread (not counted in bytesInUse)
  const ctl = heap.alloc(CTL_BYTES, true);
  const scratch = Array.from({ length: threads }, () => heap.alloc(GEMM_SCRATCH_BYTES, false));
  const internalBytes = heap.bytesInUse();
  let pool: Pool | null = null;
  if (threads > 1) pool = await Pool.create(threads - 1, memory, module, ctl.ptr, scratch.slice(1).map((s) => s.ptr));

  // ---- helpers ------------------------------------------------------------------------------
  const ctor = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;
  const arrOf = (b: WasmBlock, dtype: DType): TypedArray => new ctor[dtype](memory.buffer, b.ptr, b.bytes / itemSize[dtype]);
  const av = (v: View<WasmBlock>): K.ArrView => ({ arr: arrOf(v.data, v.dtype), shape: v.shape, strides: v.strides, offset: v.offset });
  const out = (dtype: DType, n: number, zero = false): WasmBlock => heap.alloc(n * itemSize[dtype], zero);
  const f32 = (...ds: DType[]): boolean => ds.every((d) => d === 'float32');
  const contiguous = (v: View<WasmBlock>): boolean => K.isContiguous(v.shape, v.strides);
  const addr = (v: View<WasmBlock>): number => v.data.ptr + 4 * v.offset;
  const parts = (): number => (pool ? pool.threads : 1);

  /** run a job as `chunks` chunks on all threads when it is big enough, else inline as one */
  const dispatch = (kind: number, params: number[], big: boolean, chunks: number): void => {
    if (pool && big && chunks > 1) pool.run(ex, kind, params, chunks, scratch[0]!.ptr);
    else runJob(ex, kind, Float64Array.from(params), 0, 1, scratch[0]!.ptr);
  };

  // im2col / col2im / row-broadcast / middle-axis reduction kernels (part of the same module); the large passes
  // go through the pool, cut into at most `units` independent pieces
  const ck = createConvKernels({
    memory, ex, alloc: (n, z) => heap.alloc(n, z), release: (b) => heap.release(b),
    parallel: (pass, params, units, bytes) =>
      dispatch(JOB_CONV, [pass, ...params], bytes >= 4 * PAR_ELEMS, Math.min(units, elemChunks(bytes / 4, parts()))),
  });

  const unaryFast = (op: UnaryOp, x: View<WasmBlock>, o: WasmBlock, n: number): void => {
    const idx = SIMD_UNARY.indexOf(op as never);
    dispatch(JOB_UNARY, [idx, addr(x), o.ptr, n], n >= PAR_ELEMS, elemChunks(n, parts()));
    const tail = n & 3;
    if (tail) {
      const f = K.unaryFn(op);
      const src = new Float32Array(memory.buffer, addr(x) + 4 * (n - tail), tail);
      const dst = new Float32Array(memory.buffer, o.ptr + 4 * (n - tail), tail);
      for (let i = 0; i < tail; i++) dst[i] = f(src[i]!);
    }
  };

  /** one contiguous SIMD binary: mode 0 vector∘vector, 1 vector∘scalar, 2 scalar∘vector */
  const binaryRun = (op: BinaryOp, pa: number, pb: number, po: number, n: number, mode: number): void => {
    const idx = SIMD_BINARY.indexOf(op as never);
    dispatch(JOB_BINARY, [idx, pa, pb, po, n, mode], n >= PAR_ELEMS, elemChunks(n, parts()));
    const tail = n & 3;
    if (tail) {
      const f = K.binaryFn(op);
      const buf = memory.buffer;
      const A = new Float32Array(buf, pa, mode === 2 ? 1 : n), B = new Float32Array(buf, pb, mode === 1 ? 1 : n);
      const O = new Float32Array(buf, po, n);
      for (let i = n - tail; i < n; i++) O[i] = f(A[mode === 2 ? 0 : i]!, B[mode === 1 ? 0 : i]!);
    }
  };

  /** Binary over rows: the last dimension has stride 1 or 0 on each side; outer dims walked here. */
  const binaryRows = (op: BinaryOp, a: View<WasmBlock>, b: View<WasmBlock>, o: WasmBlock): boolean => {
    const r = a.shape.length;
    const L = a.shape[r - 1]!;
    const sa = a.strides[r - 1]!, sb = b.strides[r - 1]!;
    if (L < MIN_ROW || sa > 1 || sb > 1 || (sa === 0 && sb === 0)) return false;
    const mode = sa === 1 && sb === 1 ? 0 : sa === 1 ? 1 : 2;
    const rows = K.numel(a.shape) / L;
    const idx = new Array<number>(r - 1).fill(0);
    let oa = a.offset, ob = b.offset;
    for (let row = 0; row < rows; row++) {
      binaryRun(op, a.data.ptr + 4 * oa, b.data.ptr + 4 * ob, o.ptr + 4 * row * L, L, mode);
      for (let d = r - 2; d >= 0; d--) {
        oa += a.strides[d]!; ob += b.strides[d]!;
        if (++idx[d]! < a.shape[d]!) break;
        oa -= a.strides[d]! * a.shape[d]!; ob -= b.strides[d]! * b.shape[d]!;
        idx[d] = 0;
      }
    }
    return true;
  };

  const isScalar = (v: View<WasmBlock>): boolean => v.strides.every((s) => s === 0);

  /**
   * The same two element-aligned views with size-1 axes dropped and neighbouring axes merged wherever both
   * views step through them as one axis: [64, 16, 14, 14] + [14, 14] (strides 0, 0, 14, 1) becomes
   * [1024, 196] + [196] broadcast, one SIMD pass per 196-float row instead of the scalar reference loop.
   */
  const coalesce = (a: View<WasmBlock>, b: View<WasmBlock>): [View<WasmBlock>, View<WasmBlock>] => {
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
  };

  /** Σ of `n` (a multiple of 8) float32 at byte address p, in f64; large sums are split across threads */
  const sumMain = (p: number, n: number): number => {
    if (!pool || n < PAR_ELEMS) return ex.sum_f32!(p, n) as number;
    const chunks = elemChunks(n, pool.threads);
    const partial = heap.alloc(8 * chunks, false);
    try {
      pool.run(ex, JOB_SUM, [p, n, partial.ptr], chunks, scratch[0]!.ptr);
      return new Float64Array(memory.buffer, partial.ptr, chunks).reduce((a, b) => a + b, 0);
    } finally {
      heap.release(partial);
    }
  };

  /** float32 sum/max/min over trailing axes of a contiguous view: one SIMD pass per row */
  const reduceRows = (op: 'sum' | 'max' | 'min', x: View<WasmBlock>, o: WasmBlock, groups: number, R: number): void => {
    const O = new Float32Array(memory.buffer, o.ptr, groups);
    const X = new Float32Array(memory.buffer, addr(x), groups * R);
    for (let g = 0; g < groups; g++) {
      const base = g * R;
      const p = addr(x) + 4 * base;
      if (op === 'sum') {
        const main = R & ~7;
        let s = main ? sumMain(p, main) : 0;
        for (let i = main; i < R; i++) s += X[base + i]!;
        O[g] = s;
      } else {
        const isMax = op === 'max';
        let m = (isMax ? ex.max_f32! : ex.min_f32!)(p, R) as number;
        for (let i = R & ~3; i < R; i++) {
          const v = X[base + i]!;
          if (v !== v || m !== m) m = NaN;
          else if (isMax ? v > m : v < m) m = v;
        }
        O[g] = m;
      }
    }
  };

  /** float32 sum over leading axes of a contiguous view (bias gradients): vertical SIMD into f64 sums */
  const reduceCols = (x: View<WasmBlock>, o: WasmBlock, cols: number, rows: number): void => {
    const acc = heap.alloc(cols * 8, true);
    try {
      ex.sum_cols_f32!(addr(x), rows, cols, acc.ptr);
      const A = new Float64Array(memory.buffer, acc.ptr, cols);
      const X = new Float32Array(memory.buffer, addr(x), rows * cols);
      for (let j = cols & ~3; j < cols; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += X[r * cols + j]!;
        A[j] = s;
      }
      new Float32Array(memory.buffer, o.ptr, cols).set(A);
    } finally {
      heap.release(acc);
    }
  };

  /**
   * Run every SIMD kernel on every thread until V8 has tiered it up. Dynamic tiering starts functions in
   * the baseline compiler and optimises them only after they have run for a while (per instance), so
   * without this the first ~10 large matmuls of a session ran 2–4× slower on the workers.
   */
  const warmUp = async (): Promise<void> => {
    const T = parts();
    const n = 32768 * T;
    const a = heap.alloc(4 * n, true), b = heap.alloc(4 * n, true), o = heap.alloc(4 * n, false);
    try {
      const gemm: GemmTask = { a: a.ptr, sab: 0, sam: 256, sak: 1, b: b.ptr, sbb: 0, sbk: 64, sbn: 1, c: o.ptr, batch: 1, M: 64 * T, N: 64, K: 256 };
      for (let round = 0; round < 3; round++) {
        // one chunk per thread: every thread runs (and so tiers up) every kernel
        for (let r = 0; r < 8; r++) dispatch(JOB_GEMM, gemmParams(gemm), true, T);
        for (let i = 0; i < SIMD_UNARY.length; i++) dispatch(JOB_UNARY, [i, a.ptr, o.ptr, n], true, T);
        for (let i = 0; i < SIMD_BINARY.length; i++) dispatch(JOB_BINARY, [i, a.ptr, b.ptr, o.ptr, n, 0], true, T);
        // fused kernels (zeros in, so the in-place Adam update on the scratch blocks stays finite)
        dispatch(JOB_ADAM, [a.ptr, a.ptr, a.ptr, a.ptr, 0, n, 0.1, 0.999, 0.001, 1e-8, 1, -1e-3, 0, 1, 1], true, T);
        dispatch(JOB_NORM, [a.ptr, o.ptr, b.ptr, 64 * T, n / (64 * T), 1e-5, 0], true, T);
        dispatch(JOB_SOFTMAX, [a.ptr, o.ptr, 64 * T, n / (64 * T), round & 1], true, T);
        ex.sum_f32!(a.ptr, n);
        // optimised code is compiled on a background thread: give it a moment to land
        await new Promise((res) => setTimeout(res, 5));
      }
    } finally {
      heap.release(a); heap.release(b); heap.release(o);
    }
  };
  await warmUp();

  const backend: WasmBackend = {
    name: 'wasm',
    threads,
    features,
    stats: () => heap.stats(),
    close() {
      pool?.close();
      pool = null;
    },

    alloc: (dtype, size) => out(dtype, size, true),
    fromArray(dtype, values) {
      const b = out(dtype, values.length);
      const a = arrOf(b, dtype);
      if (dtype === 'bool') for (let i = 0; i < values.length; i++) a[i] = values[i] ? 1 : 0;
      else a.set(values);
      return b;
    },
    read: (data, dtype, size) => arrOf(data, dtype).subarray(0, size),
    dispose: (data) => heap.release(data),
    bytesInUse: () => heap.bytesInUse() - internalBytes,

    unary(op, x, dt, params) {
      const n = K.numel(x.shape);
      const o = out(dt, n);
      if (f32(x.dtype, dt) && (SIMD_UNARY as readonly string[]).includes(op) && contiguous(x) && n > 0) unaryFast(op, x, o, n);
      else if (!ck.unary(op, x, dt, params, o)) K.unary(arrOf(o, dt), dt, op, av(x), params);
      return o;
    },
    binary(op, a, b, dt) {
      const n = K.numel(a.shape);
      const o = out(dt, n);
      if (n > 0 && f32(a.dtype, b.dtype, dt) && (SIMD_BINARY as readonly string[]).includes(op)) {
        const ca = contiguous(a), cb = contiguous(b);
        if (ca && cb) { binaryRun(op, addr(a), addr(b), o.ptr, n, 0); return o; }
        if (ca && isScalar(b)) { binaryRun(op, addr(a), addr(b), o.ptr, n, 1); return o; }
        if (isScalar(a) && cb) { binaryRun(op, addr(a), addr(b), o.ptr, n, 2); return o; }
        const [a1, b1] = coalesce(a, b);
        if (a1.shape.length === 2 && a1.shape[1]! % 4 === 0) {
          // one operand a single row that every row of the other meets (x[B, T, C] + pos[T, C], x · γ[C])
          const [R, L] = a1.shape as [number, number];
          const rowA = a1.strides[0] === 0 && a1.strides[1] === 1, rowB = b1.strides[0] === 0 && b1.strides[1] === 1;
          if ((rowB && a1.strides[0] === L && a1.strides[1] === 1) || (rowA && b1.strides[0] === L && b1.strides[1] === 1)) {
            dispatch(JOB_BINARY_ROWS, [SIMD_BINARY.indexOf(op as never), addr(a1), addr(b1), o.ptr, R, L, rowB ? 1 : 2],
              n >= PAR_ELEMS, Math.min(R, elemChunks(n, parts())));
            return o;
          }
        }
        if (ck.binary(op, a1, b1, o, dt)) return o;
        if (binaryRows(op, a1, b1, o)) return o;
      }
      K.binary(arrOf(o, dt), dt, op, av(a), av(b));
      return o;
    },
    where(c, a, b, dt) {
      const o = out(dt, K.numel(c.shape));
      K.where(arrOf(o, dt), dt, av(c), av(a), av(b));
      return o;
    },
    reduce(op, x, axes, dt) {
      const keptShape = x.shape.filter((_, d) => !axes.includes(d));
      const groups = K.numel(keptShape);
      const o = out(dt, groups);
      const R = K.numel(x.shape) / Math.max(1, groups);
      const r = x.shape.length;
      const trailing = axes.every((d, i) => d === r - axes.length + i);
      const leading = axes.every((d, i) => d === i);
      if (f32(x.dtype, dt) && op !== 'prod' && contiguous(x) && groups > 0 && R > 0 && axes.length > 0) {
        if (trailing && (op === 'sum' ? R >= 8 : R >= 4)) { reduceRows(op, x, o, groups, R); return o; }
        if (leading && op === 'sum' && groups >= 4) { reduceCols(x, o, groups, R); return o; }
      }
      if (groups > 0 && R > 0 && ck.reduce(op, x, axes, o, dt)) return o;
      K.reduce(arrOf(o, dt), dt, op, av(x), axes);
      return o;
    },
    argReduce(op, x, axis) {
      const o = out('int32', K.numel(x.shape.filter((_, d) => d !== axis)));
      if (!ck.argReduce(op, x, axis, o)) K.argReduce(arrOf(o, 'int32') as Int32Array, op, av(x), axis);
      return o;
    },
    matmul(a, b, dt) {
      const [batch, M, Kd] = a.shape as [number, number, number];
      const N = b.shape[2]!;
      const n = batch * M * N;
      if (!f32(a.dtype, b.dtype, dt)) {
        const o = out(dt, n);
        K.matmul(arrOf(o, dt), av(a), av(b));
        return o;
      }
      if (Kd === 0 || n === 0) return out(dt, n, true);
      const o = out(dt, n);
      const t: GemmTask = {
        a: addr(a), sab: a.strides[0]!, sam: a.strides[1]!, sak: a.strides[2]!,
        b: addr(b), sbb: b.strides[0]!, sbk: b.strides[1]!, sbn: b.strides[2]!,
        c: o.ptr, batch, M, N, K: Kd,
      };
      dispatch(JOB_GEMM, gemmParams(t), 2 * n * Kd >= PAR_GEMM_FLOPS, gemmChunks(t, parts()));
      return o;
    },
    copy(x, dt) {
      const n = K.numel(x.shape);
      const o = out(dt, n);
      if (x.dtype === dt && contiguous(x)) {
        const sz = itemSize[dt];
        new Uint8Array(memory.buffer, o.ptr, n * sz).set(new Uint8Array(memory.buffer, x.data.ptr + sz * x.offset, n * sz));
      } else {
        if (!ck.copy(o, x, dt)) K.copy(arrOf(o, dt), dt, av(x));
      }
      return o;
    },
    assign: (dst, src) => K.assign(av(dst), dst.dtype, av(src)),
    fill: (dst, value) => K.fill(av(dst), value),
    gather(x, axis, index) {
      const o = out(x.dtype, K.numel(index.shape));
      if (!ck.gather(x, axis, index, o)) K.gather(arrOf(o, x.dtype), av(x), axis, av(index));
      return o;
    },
    scatterAdd(shape, dt, axis, index, src) {
      const o = out(dt, K.numel(shape));
      if (!ck.scatterAdd(shape, dt, axis, index, src, o)) K.scatterAdd(arrOf(o, dt), shape, axis, av(index), av(src));
      return o;
    },
    indexSelect(x, axis, index) {
      const shape = x.shape.slice();
      shape[axis] = K.numel(index.shape);
      const o = out(x.dtype, K.numel(shape));
      K.indexSelect(arrOf(o, x.dtype), av(x), axis, av(index));
      return o;
    },
    indexAdd(shape, dt, axis, index, src) {
      const o = out(dt, K.numel(shape), true);
      K.indexAdd(arrOf(o, dt), shape, axis, av(index), av(src));
      return o;
    },
    unfold(x, p) {
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const [oh, ow] = K.unfoldOutputSize(H, W, p);
      const o = out(x.dtype, N * C * p.kernel[0] * p.kernel[1] * oh * ow);
      if (!ck.unfold(o, x, p)) K.unfold(arrOf(o, x.dtype), av(x), p);
      return o;
    },
    fold(cols, outShape, p) {
      const o = out(cols.dtype, K.numel(outShape));
      if (!ck.fold(o, cols, outShape, p)) K.fold(arrOf(o, cols.dtype), av(cols), outShape, p);
      return o;
    },
    softmax(x, axis, log) {
      const n = K.numel(x.shape);
      const o = out(x.dtype, n);
      const cols = x.shape.length ? x.shape[axis]! : 1;
      // float32 rows along the last axis (trailing size-1 axes allowed): SIMD row kernel, rows split across threads
      if (x.dtype === 'float32' && n > 0 && cols >= 4 && x.shape.every((s, d) => d <= axis || s === 1) && contiguous(x)) {
        const rows = n / cols;
        dispatch(JOB_SOFTMAX, [addr(x), o.ptr, rows, cols, log ? 1 : 0], n >= PAR_ELEMS, Math.min(rows, elemChunks(n, parts())));
      } else {
        K.softmax(arrOf(o, x.dtype), av(x), axis, log);
      }
      return o;
    },
    adamStep(p, g, m, v, vmax, h) {
      const n = K.numel(p.shape);
      const views = vmax ? [p, g, m, v, vmax] : [p, g, m, v];
      if (n === 0) return;
      if (!views.every((w) => w.dtype === 'float32' && contiguous(w))) {
        K.adamStep(av(p), av(g), av(m), av(v), vmax ? av(vmax) : null, h);
        return;
      }
      // float32 SIMD over whole vectors (threaded when large); the ≤ 3-element tail runs the reference
      const sc = [1 - h.beta1, h.beta2, 1 - h.beta2, h.eps, 1 / h.bc2Sqrt, -h.stepSize, h.l2, h.shrink, h.maximize ? -1 : 1];
      dispatch(JOB_ADAM, [addr(p), addr(g), addr(m), addr(v), vmax ? addr(vmax) : 0, n, ...sc], n >= PAR_ELEMS, elemChunks(n, parts()));
      if (n & 3) K.adamStep(av(p), av(g), av(m), av(v), vmax ? av(vmax) : null, h, n - (n & 3), n);
    },
    normRows(x, rows, cols, eps, rms) {
      const y = out(x.dtype, rows * cols), rstd = out(x.dtype, rows);
      if (x.dtype === 'float32' && contiguous(x)) {
        const n = rows * cols;
        dispatch(JOB_NORM, [addr(x), y.ptr, rstd.ptr, rows, cols, eps, rms ? 1 : 0], n >= PAR_ELEMS, Math.min(rows, elemChunks(n, parts())));
      } else {
        K.normRows(arrOf(y, x.dtype), arrOf(rstd, x.dtype), av(x), cols, eps, rms, 0, rows);
      }
      return { y, rstd };
    },
    /**
     * float32 rows of ≥ 4 classes with a unit-stride target: SIMD row kernels (ce_rows_f32 / ce_grad_rows_f32), rows
     * split across threads; everything else runs the reference kernel.
     */
    crossEntropyRows(x, target, ignoreIndex) {
      const rows = K.numel(target.shape), n = K.numel(x.shape), cols = rows ? n / rows : 0;
      const loss = out(x.dtype, rows), max = out(x.dtype, rows), logSum = out(x.dtype, rows);
      if (x.dtype === 'float32' && cols >= 4 && contiguous(x) && contiguous(target)) {
        dispatch(JOB_CE, [addr(x), addr(target), loss.ptr, max.ptr, logSum.ptr, rows, cols, ignoreIndex], n >= PAR_ELEMS, Math.min(rows, elemChunks(n, parts())));
      } else {
        K.crossEntropyRows(arrOf(loss, x.dtype), arrOf(max, x.dtype), arrOf(logSum, x.dtype), av(x), av(target), cols, ignoreIndex);
      }
      return { loss, max, logSum };
    },
    crossEntropyRowsGrad(x, max, logSum, target, g, ignoreIndex) {
      const rows = K.numel(target.shape), n = K.numel(x.shape), cols = rows ? n / rows : 0;
      const dx = out(x.dtype, n);
      const unit = (v: View<WasmBlock>): boolean => rows <= 1 || v.strides[0] === 1;
      const gs = g.shape.length && rows > 1 ? g.strides[0]! : 0;
      if (x.dtype === 'float32' && cols >= 4 && contiguous(x) && unit(max) && unit(logSum) && unit(target) && (gs === 0 || gs === 1)) {
        dispatch(JOB_CE_GRAD, [addr(x), addr(max), addr(logSum), addr(target), addr(g), dx.ptr, rows, cols, ignoreIndex, 4 * gs],
          n >= PAR_ELEMS, Math.min(rows, elemChunks(n, parts())));
      } else {
        K.crossEntropyRowsGrad(arrOf(dx, x.dtype), av(x), av(max), av(logSum), av(target), av(g), cols, ignoreIndex);
      }
      return dx;
    },
    /**
     * float32 bias + activation in one SIMD pass: relu / none through convKernels' bias_<act>_f32; gelu, geluTanh,
     * silu, sigmoid and tanh through ub_<act> (z = x + b, y = act(z), z stored too when backward needs it), rows
     * split across threads, when the row length is a multiple of 4; other row lengths take z = x + b and then the
     * SIMD unary over z (two passes). Other dtypes and layouts run the reference kernel.
     */
    biasAct(x, bias, act, dt, keepPre) {
      const n = K.numel(x.shape);
      const N = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
      const pre = keepPre && K.biasActNeedsPre(act);
      if (f32(x.dtype, dt) && n > 0 && contiguous(x) && (!bias || (bias.dtype === 'float32' && contiguous(bias)))) {
        if (!bias) {
          if (act === 'none') return { y: backend.copy(x, dt), z: null };
          return { y: backend.unary(act, x, dt), z: pre ? backend.copy(x, dt) : null };
        }
        const relu = act === 'relu';
        const bi = (BIASED_UNARY as readonly string[]).indexOf(act);
        if (bi >= 0 && N % 4 === 0 && bias.shape.length === 1 && bias.shape[0] === N) {
          const y = out(dt, n), z = pre ? out(dt, n) : null;
          const rows = n / N;
          dispatch(JOB_BIAS_UNARY, [bi, addr(x), addr(bias), y.ptr, z ? z.ptr : 0, rows, N], n >= PAR_ELEMS, Math.min(rows, elemChunks(n, parts())));
          return { y, z };
        }
        const o = out(dt, n);
        if (ck.biasAct(x, bias, relu, o)) {
          if (relu || act === 'none') return { y: o, z: null };
          const y = backend.unary(act, { data: o, dtype: dt, shape: x.shape, strides: K.contiguousStrides(x.shape), offset: 0 }, dt);
          if (pre) return { y, z: o };
          heap.release(o);
          return { y, z: null };
        }
        heap.release(o);
      }
      const y = out(dt, n), z = pre ? out(dt, n) : null;
      K.biasAct(arrOf(y, dt), z ? arrOf(z, dt) : null, av(x), bias ? av(bias) : null, act, N);
      return { y, z };
    },
  };
  return backend;
}
