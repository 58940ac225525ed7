/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: tensors in GPU buffers, every kernel a WGSL compute shader. float32, int32 and bool
 * (one 32-bit word per element); float64 throws, naming the kernel (WGSL has no f64). Reads are asynchronous
 * only (`await t.dataAsync()`, `itemAsync()`, `toArrayAsync()`): kernels enqueue work and return at once, so
 * a training step is recorded without a host round trip, and the loss print is the step's one wait.
 *
 * Start it with `await nb.setBackend('webgpu')`: in browsers through navigator.gpu, in Node through the
 * optional `webgpu` npm package (Dawn). See device.ts for the adapter search and runtime.ts for the pool.
 */
import type { DType, TypedArray } from '../../dtype.js';
import { FUSED_KERNELS, type Backend, type BackendCapabilities, type FusedKernel } from '../backend.js';
import { acquireDevice } from './device.js';
import * as E from './elementwise.js';
import { attention, attentionGrad } from './attention.js';
import * as F from './fused.js';
import { matmul } from './matmul.js';
import * as I from './indexing.js';
import * as R from './reduce.js';
import { Runtime, type GpuBlock, type PoolStats } from './runtime.js';
import { gpuDType, halfUnsupported } from './wgsl.js';

export type { GpuBlock, PoolStats };

export interface WebGPUBackend extends Backend<GpuBlock> {
  readonly capabilities: BackendCapabilities;
  /** the adapter in words (vendor, architecture, description) */
  readonly adapterName: string;
  /** the adapter's optional features (shader-f16 would allow 16-bit kernels; none use it yet) */
  readonly adapterFeatures: readonly string[];
  /** buffer-pool and submit counters (for memory tests and benchmarks) */
  poolStats(): PoolStats;
  /** compiled pipelines so far (one per kernel and shape class) */
  pipelineCount(): number;
  /** submit the recorded work now (reads do this themselves) */
  flush(): void;
  /** resolves when all work submitted so far has run */
  sync(): Promise<void>;
  readonly device: GPUDevice;
}

export interface WebGPUOptions {
  /** an existing device to run on (otherwise one is requested) */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
}

function words(dtype: DType, values: ArrayLike<number>): Float32Array | Int32Array | Uint32Array {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values);
  if (dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values);
  const w = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) w[i] = values[i] ? 1 : 0;
  return w;
}

function fromWords(dtype: DType, buf: ArrayBuffer, size: number): TypedArray {
  if (dtype === 'float32') return new Float32Array(buf, 0, size);
  if (dtype === 'int32') return new Int32Array(buf, 0, size);
  return Uint8Array.from(new Uint32Array(buf, 0, size));
}

export async function createWebGPUBackend(opts: WebGPUOptions = {}): Promise<WebGPUBackend> {
  const acquired = opts.device ? { device: opts.device, adapterName: 'given device', source: 'options.device', features: [...opts.device.features].sort() } : await acquireDevice(opts);
  const rt = new Runtime(acquired.device, acquired.adapterName);
  const fused: FusedKernel[] = []; // filled below: the fused kernels this backend has methods for
  const capabilities: BackendCapabilities = {
    dtypes: ['float32', 'int32', 'bool'],
    syncRead: false,
    fused,
    fallbackKernels: [],
    device: `gpu: ${acquired.adapterName} (via ${acquired.source})`,
  };
  const backend: WebGPUBackend = {
    name: 'webgpu',
    capabilities,
    adapterName: acquired.adapterName,
    adapterFeatures: acquired.features,
    device: acquired.device,
    poolStats: () => rt.poolStats(),
    pipelineCount: () => rt.pipelineCount(),
    flush: () => rt.flush(),
    async sync() {
      rt.flush();
      await acquired.device.queue.onSubmittedWorkDone();
      rt.check('sync');
    },

    alloc(dtype, size) {
      gpuDType('alloc', dtype);
      const b = rt.alloc(size, 'alloc');
      E.zero(rt, b, size, 'alloc');
      return b;
    },
    fromArray(dtype, values) {
      gpuDType('fromArray', dtype);
      const b = rt.alloc(values.length, 'fromArray');
      rt.upload(b, words(dtype, values));
      return b;
    },
    read() {
      throw new Error('webgpu: the webgpu backend cannot read synchronously; use await t.dataAsync() (or itemAsync(), toArrayAsync())');
    },
    async readAsync(data, dtype, size) {
      return fromWords(dtype, await rt.read(data, size, 'read'), size);
    },
    dispose: (data) => rt.release(data),
    bytesInUse: () => rt.poolStats().bytesInUse,

    unary: (op, x, dt, params) => E.unary(rt, op, x, dt, params),
    binary: (op, a, b, dt) => E.binary(rt, op, a, b, dt),
    where: (c, a, b, dt) => E.where(rt, c, a, b, dt),
    reduce: (op, x, axes, dt) => R.reduce(rt, op, x, axes, dt),
    argReduce: (op, x, axis) => R.argReduce(rt, op, x, axis),
    matmul: (a, b, dt) => matmul(rt, a, b, dt),
    copy: (x, dt) => E.copy(rt, x, dt),
    assign: (dst, src) => E.assign(rt, dst, src),
    fill: (dst, value) => E.fill(rt, dst, value),
    gather: (x, axis, index) => I.gather(rt, x, axis, index),
    scatterAdd: (shape, dt, axis, index, src) => I.scatterAdd(rt, shape, dt, axis, index, src),
    indexSelect: (x, axis, index) => I.indexSelect(rt, x, axis, index),
    indexAdd: (shape, dt, axis, index, src) => I.indexAdd(rt, shape, dt, axis, index, src),
    unfold: (x, p) => I.unfold(rt, x, p),
    fold: (cols, outShape, p) => I.fold(rt, cols, outShape, p),
    softmax: (x, axis, log) => R.softmax(rt, x, axis, log),

    adamStep: (p, g, m, v, vmax, h) => F.adamStep(rt, p, g, m, v, vmax, h),
    normRows: (x, rows, cols, eps, rms) => F.normRows(rt, x, rows, cols, eps, rms),
    biasAct: (x, bias, act, _dt, keepPre) => F.biasAct(rt, x, bias, act, keepPre),
    crossEntropyRows: (x, target, ignoreIndex) => F.crossEntropyRows(rt, x, target, ignoreIndex),
    crossEntropyRowsGrad: (x, max, logSum, target, g, ignoreIndex) => F.crossEntropyRowsGrad(rt, x, max, logSum, target, g, ignoreIndex),
    // the 16-bit layer (halfPrecision.ts) converts here; without these it would read synchronously and fail less clearly
    widenHalf: (dtype) => { throw halfUnsupported('cast', dtype); },
    narrowHalf: (dtype) => { throw halfUnsupported('cast', dtype); },
    geluBackward: (x, g) => F.geluBackward(rt, x, g),
    attention: (q, k, v, causal, scale) => attention(rt, q, k, v, causal, scale),
    attentionGrad: (q, k, v, out, lse, dOut, causal, scale) => attentionGrad(rt, q, k, v, out, lse, dOut, causal, scale),
  };
  fused.push(...FUSED_KERNELS.filter((k) => typeof backend[k] === 'function'));
  return backend;
}
