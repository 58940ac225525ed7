/// <reference types="@webgpu/types" />
/**
 * The WebGPU runtime under the kernels: a size-class buffer pool, one command encoder that collects the
 * dispatches of many kernels (submitted when a read needs them, or every MAX_BATCH dispatches — never waited
 * on inside a kernel), a parameter buffer written once per submit, and a pipeline cache keyed by the
 * generated shader's text (which encodes the kernel, dtypes and shape class).
 *
 * Ordering: all work goes through one queue. A buffer released while the open batch still uses it returns
 * to the pool at once; that is safe for later dispatches (they run after the earlier ones in the same
 * encoder) but not for queue.writeBuffer, which runs before the open batch is submitted — so an upload into
 * a buffer the open batch touched first submits the batch.
 */

/** One block of nabla data: 4 bytes per element whatever the dtype (bool as u32 0/1). */
export interface GpuBlock {
  buffer: GPUBuffer;
  /** elements the block was allocated for */
  readonly size: number;
  /** bytes of the size class the buffer came from */
  readonly classBytes: number;
  /** set by dispose: using the block afterwards is a bug in the caller */
  released: boolean;
}

const MAX_BATCH = 256;
/** storage-buffer offsets must be multiples of minStorageBufferOffsetAlignment (256 on every adapter) */
const PARAM_ALIGN_WORDS = 64;
const PARAM_WORDS = PARAM_ALIGN_WORDS * MAX_BATCH * 2;

/** Size classes 2^k and 1.5·2^k bytes (at most 33% slack), 256 bytes at least. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  return bytes <= p * 0.75 ? p * 0.75 : p;
}

export interface PoolStats {
  /** bytes of blocks handed out and not yet disposed (element count × 4) */
  bytesInUse: number;
  /** blocks handed out and not yet disposed */
  blocksInUse: number;
  /** GPUBuffers created over the backend's life (flat in a steady-state training loop) */
  buffersCreated: number;
  /** bytes of all GPUBuffers held (in use + pooled) */
  bytesHeld: number;
  /** submits so far */
  submits: number;
}

export class Runtime {
  private readonly free = new Map<number, GPUBuffer[]>();
  /** MAP_READ staging buffers for reads, pooled by size class like the storage buffers */
  private readonly staging = new Map<number, GPUBuffer[]>();
  /** buffers the open batch reads or writes */
  private readonly touched = new Set<GPUBuffer>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private readonly params: Uint32Array;
  private paramWords = 0;
  private readonly paramBuffer: GPUBuffer;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly stats: PoolStats = { bytesInUse: 0, blocksInUse: 0, buffersCreated: 0, bytesHeld: 0, submits: 0 };
  /** a device error seen asynchronously (uncaptured error, loss): thrown by the next call */
  private fault: string | null = null;
  private readonly maxBinding: number;

  constructor(readonly device: GPUDevice, readonly adapterName: string) {
    this.params = new Uint32Array(PARAM_WORDS);
    this.paramBuffer = device.createBuffer({ size: PARAM_WORDS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    device.lost.then((info) => {
      this.fault = `the GPU device was lost (${info.reason}: ${info.message})`;
    });
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.fault ??= `${err.constructor.name}: ${err.message}`;
    });
  }

  /** Throw the device fault recorded since the last call, naming the kernel now running. */
  check(kernel: string): void {
    if (this.fault) throw new Error(`webgpu ${kernel}: ${this.fault}`);
  }

  poolStats(): PoolStats {
    return { ...this.stats };
  }

  // ---- memory -----------------------------------------------------------------------------------

  alloc(size: number, kernel: string): GpuBlock {
    this.check(kernel);
    const bytes = Math.max(4, size * 4);
    if (bytes > this.maxBinding) {
      throw new RangeError(`webgpu ${kernel}: ${bytes} bytes requested for ${size} elements exceed the adapter's largest buffer binding (${this.maxBinding} bytes)`);
    }
    const cls = Math.min(sizeClass(bytes), this.maxBinding);
    let buffer = this.free.get(cls)?.pop();
    if (!buffer) {
      this.device.pushErrorScope('out-of-memory');
      buffer = this.device.createBuffer({ size: cls, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.device.popErrorScope().then((err) => {
        if (err) this.fault ??= `out of memory creating a ${cls}-byte buffer for ${kernel} (${err.message})`;
      });
      this.stats.buffersCreated++;
      this.stats.bytesHeld += cls;
    }
    this.stats.bytesInUse += size * 4;
    this.stats.blocksInUse++;
    return { buffer, size, classBytes: cls, released: false };
  }

  release(b: GpuBlock): void {
    if (b.released) return;
    b.released = true;
    this.stats.bytesInUse -= b.size * 4;
    this.stats.blocksInUse--;
    let list = this.free.get(b.classBytes);
    if (!list) this.free.set(b.classBytes, (list = []));
    list.push(b.buffer);
  }

  /** Copy host words into a block (queue-ordered before later dispatches, after earlier submits). */
  upload(b: GpuBlock, words: Uint32Array | Int32Array | Float32Array): void {
    if (this.touched.has(b.buffer)) this.flush();
    if (words.byteLength) this.device.queue.writeBuffer(b.buffer, 0, words.buffer, words.byteOffset, words.byteLength);
  }

  // ---- pipelines and dispatch -------------------------------------------------------------------

  pipeline(code: string, kernel: string): GPUComputePipeline {
    let p = this.pipelines.get(code);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code, label: kernel });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: kernel });
      this.device.popErrorScope().then((err) => {
        if (err) this.fault ??= `shader for ${kernel} failed to compile: ${err.message}`;
      });
      this.pipelines.set(code, p);
    }
    return p;
  }

  pipelineCount(): number {
    return this.pipelines.size;
  }

  /**
   * Record one dispatch: binding 0 is the parameter words, then the blocks in order (the shader declares
   * them in the same order). `groups` is the workgroup count; over 65,535 it is split into x·y.
   */
  dispatch(kernel: string, code: string, params: ArrayLike<number>, blocks: readonly GpuBlock[], groups: number | [number, number, number]): void {
    this.check(kernel);
    for (const b of blocks) if (b.released) throw new Error(`webgpu ${kernel}: a disposed tensor's memory was passed to the kernel`);
    const g: [number, number, number] = typeof groups === 'number' ? split(groups) : groups;
    if (g[0] === 0 || g[1] === 0 || g[2] === 0) return;
    const pipe = this.pipeline(code, kernel);
    const n = params.length + 3;
    if (this.paramWords + n > PARAM_WORDS || this.dispatches >= MAX_BATCH) this.flush();
    const at = this.paramWords;
    // words 0..2: the dispatch grid's x extent (for flattening 2-D grids) and two spare words
    this.params[at] = g[0];
    this.params[at + 1] = 0;
    this.params[at + 2] = 0;
    for (let i = 0; i < params.length; i++) this.params[at + 3 + i] = params[i]!;
    this.paramWords += Math.ceil(n / PARAM_ALIGN_WORDS) * PARAM_ALIGN_WORDS;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.paramBuffer, offset: at * 4, size: n * 4 } }];
    blocks.forEach((b, i) => {
      entries.push({ binding: i + 1, resource: { buffer: b.buffer, offset: 0, size: b.classBytes } });
      this.touched.add(b.buffer);
    });
    const bind = this.device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    this.pass.setPipeline(pipe);
    this.pass.setBindGroup(0, bind);
    this.pass.dispatchWorkgroups(g[0], g[1], g[2]);
    this.dispatches++;
  }

  /** Submit the open batch (no wait). */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) this.pass.end();
    this.device.queue.writeBuffer(this.paramBuffer, 0, this.params.buffer, 0, this.paramWords * 4);
    this.device.queue.submit([this.encoder.finish()]);
    this.stats.submits++;
    this.encoder = null;
    this.pass = null;
    this.dispatches = 0;
    this.paramWords = 0;
    this.touched.clear();
  }

  /** Resolve to a copy of a block's first `size` words, after all work enqueued so far. */
  async read(b: GpuBlock, size: number, kernel: string): Promise<ArrayBuffer> {
    this.check(kernel);
    if (b.released) throw new Error(`webgpu ${kernel}: reading a disposed tensor's memory`);
    const bytes = size * 4;
    if (bytes === 0) return new ArrayBuffer(0);
    this.flush();
    const cls = sizeClass(bytes);
    let staging = this.staging.get(cls)?.pop();
    if (!staging) {
      staging = this.device.createBuffer({ size: cls, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.stats.buffersCreated++;
      this.stats.bytesHeld += cls;
    }
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(b.buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    this.device.queue.submit([enc.finish()]);
    this.stats.submits++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      this.check(kernel);
      throw new Error(`webgpu ${kernel}: reading ${bytes} bytes back failed (${(e as Error).message})`);
    }
    this.check(kernel);
    const out = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    let list = this.staging.get(cls);
    if (!list) this.staging.set(cls, (list = []));
    list.push(staging);
    return out;
  }
}

/** A 1-D workgroup count as a grid within the 65,535-per-dimension limit. */
function split(groups: number): [number, number, number] {
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}
