/**
 * The Tensor users touch: a strided view onto a `Storage`, plus autograd bookkeeping.
 * Ops live in src/ops; methods (x.add(y), ...) are attached in src/methods.ts.
 */
import { capabilitiesOf, readBlockAsync, type Backend, type View } from './backends/backend.js';
import { currentBackend } from './backends/registry.js';
import { isFloat, type DType, type TypedArray } from './dtype.js';
import { decodeHalf, isHalf } from './half.js';
import { contiguousStrides, fmt, numel, type Shape } from './shape.js';
import { Storage } from './storage.js';
import { Node, type GradHook } from './autograd/node.js';
import { formatTensor } from './format.js';

export type NestedArray = number | boolean | NestedArray[];

export class Tensor {
  grad: Tensor | null = null;
  /** the node that produced this tensor (null for leaves) */
  gradFn: Node | null = null;
  /** which output of gradFn this tensor is */
  outputIndex = 0;
  /** optional label shown in errors and toString */
  name?: string;
  /** the tensor whose storage this view shares (null when this tensor owns its storage) */
  _base: Tensor | null = null;
  private _requiresGrad = false;
  private _accumulator: Node | null = null;

  constructor(
    readonly storage: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    readonly dtype: DType,
  ) {
    storage._addView(this);
  }

  /** A fresh tensor owning a new contiguous block produced by a kernel. */
  static fromData(backend: Backend, data: unknown, shape: Shape, dtype: DType): Tensor {
    const n = numel(shape);
    return new Tensor(new Storage(backend, data, dtype, n), shape.slice(), contiguousStrides(shape), 0, dtype);
  }

  static fromValues(values: ArrayLike<number>, shape: Shape, dtype: DType, backend: Backend = currentBackend()): Tensor {
    return Tensor.fromData(backend, backend.fromArray(dtype, values), shape, dtype);
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /**
   * PyTorch's size(): the shape as a new array; size(dim): the length of that dim (a negative dim counts from
   * the end). The element count is numel().
   */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (arguments.length > 1) throw new TypeError(`size: expected at most one argument (a dim), got ${arguments.length}`);
    if (dim === undefined) return this.shape.slice();
    const r = this.shape.length;
    if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new TypeError(`size: dim must be an integer, got ${typeof dim === 'string' ? `'${dim}'` : String(dim)}`);
    if (r === 0) throw new RangeError(`size: dimension specified as ${dim} but the tensor has no dimensions (0-d); size() gives its shape []`);
    if (dim < -r || dim >= r) throw new RangeError(`size: dimension ${dim} is out of range for a tensor of rank ${r} (expected ${-r}..${r - 1})`);
    return this.shape[dim < 0 ? dim + r : dim]!;
  }

  numel(): number {
    return numel(this.shape);
  }

  dim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(v: boolean) {
    if (v && !isFloat(this.dtype)) {
      throw new TypeError(`requiresGrad: only floating point tensors can require gradients, got dtype ${this.dtype}`);
    }
    if (!this.isLeaf && !v) {
      throw new Error('requiresGrad: you can only change requiresGrad flags of leaf tensors; use .detach() for a non-leaf');
    }
    this._requiresGrad = v;
  }

  /** Internal: mark an op output as part of the graph (bypasses the leaf check). */
  _setRequiresGrad(v: boolean): void {
    this._requiresGrad = v;
  }

  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  /** The AccumulateGrad node of a leaf (created on first use, then kept). */
  _gradAccumulator(): Node {
    if (!this._accumulator) {
      this._accumulator = new Node('AccumulateGrad', [], null, [], [{ shape: this.shape, dtype: this.dtype }], this);
    }
    return this._accumulator;
  }

  /** Keep .grad on a non-leaf after backward. */
  retainGrad(): this {
    if (!this._requiresGrad) throw new Error("retainGrad: can't retain the gradient of a tensor that does not require grad");
    if (this.gradFn) this.gradFn.retained[this.outputIndex] = this;
    return this;
  }

  /** Run `fn` on the gradient w.r.t. this tensor each time it is computed; it may return a replacement. */
  registerHook(fn: GradHook): { remove(): void } {
    if (!this._requiresGrad) throw new Error("registerHook: can't register a hook on a tensor that doesn't require gradient");
    const list = this.gradFn ? this.gradFn.hooks[this.outputIndex]! : this._gradAccumulator().hooks[0]!;
    list.push(fn);
    return { remove: () => { const i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); } };
  }

  /**
   * Run `fn(this)` each time backward has accumulated a gradient into this leaf's .grad (torch's
   * register_post_accumulate_grad_hook; DistributedDataParallel starts its gradient all-reduce from it).
   */
  registerPostAccumulateGradHook(fn: (leaf: Tensor) => void): { remove(): void } {
    if (typeof fn !== 'function') throw new TypeError('registerPostAccumulateGradHook: hook must be a function (leaf) => void');
    if (!this._requiresGrad) throw new Error("registerPostAccumulateGradHook: can't register a hook on a tensor that doesn't require gradient");
    if (!this.isLeaf) throw new Error('registerPostAccumulateGradHook: post accumulate grad hooks cannot be registered on non-leaf tensors');
    const list = this._gradAccumulator().postAccumulateHooks;
    list.push(fn);
    return { remove: () => { const i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); } };
  }

  /** The backend view kernels consume. */
  backendView(): View {
    if (this.storage.isDisposed) {
      const why = this.storage.releasedBecause;
      throw new Error(why ? `tensor ${this.describe()} was released: ${why}` : `tensor ${this.describe()} was disposed; its memory has been released`);
    }
    return { data: this.storage.data, dtype: this.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** A view onto the same storage with another shape/strides (no autograd: ops in movement.ts wrap it). */
  _restride(shape: Shape, strides: readonly number[], offset: number): Tensor {
    const t = new Tensor(this.storage, shape.slice(), strides.slice(), offset, this.dtype);
    t._base = this._base ?? this;
    return t;
  }

  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] === 1) continue;
      if (this.strides[i] !== expected) return false;
      expected *= this.shape[i]!;
    }
    return true;
  }

  /**
   * Flat row-major copy of the elements as a typed array of the tensor's dtype (bfloat16/float16: a Float32Array
   * of their exact values). Synchronous: on a backend that cannot read synchronously (webgpu) it throws; use
   * `await t.dataAsync()` there.
   */
  data(): TypedArray {
    const raw = this.rawData();
    return isHalf(this.dtype) ? decodeHalf(this.dtype, raw) : raw;
  }

  /** Flat row-major copy of the elements as stored: for bfloat16/float16, a Uint16Array of their bit patterns. */
  rawData(): TypedArray {
    const b = this.backend;
    if (!capabilitiesOf(b).syncRead) {
      throw new Error(`data: the ${b.name} backend cannot read ${this.describe()} synchronously; use await t.dataAsync() (or itemAsync(), toArrayAsync())`);
    }
    if (this.isContiguous() && this.offset === 0 && this.numel() === this.storage.size) {
      return b.read(this.backendView().data, this.dtype, this.numel()).slice();
    }
    const d = b.copy(this.backendView(), this.dtype);
    try {
      return b.read(d, this.dtype, this.numel()).slice();
    } finally {
      b.dispose(d);
    }
  }

  /** Flat row-major copy of the elements, once the work that produces them is done. Works on every backend. */
  async dataAsync(): Promise<TypedArray> {
    const b = this.backend;
    if (this.isContiguous() && this.offset === 0 && this.numel() === this.storage.size) {
      return readBlockAsync(b, this.backendView().data, this.dtype, this.numel());
    }
    const d = b.copy(this.backendView(), this.dtype);
    try {
      return await readBlockAsync(b, d, this.dtype, this.numel());
    } finally {
      b.dispose(d);
    }
  }

  /** Elements as a JS number array (bool as 0/1). */
  dataArray(): number[] {
    return Array.from(this.data());
  }

  item(): number {
    if (this.numel() !== 1) throw new Error(`item: only a tensor with one element can be converted to a number, got shape ${fmt(this.shape)}`);
    return this.data()[0]!;
  }

  /** The one element as a number, read asynchronously (every backend). */
  async itemAsync(): Promise<number> {
    if (this.numel() !== 1) throw new Error(`itemAsync: only a tensor with one element can be converted to a number, got shape ${fmt(this.shape)}`);
    return (await this.dataAsync())[0]!;
  }

  /** Nested JS arrays (numbers, or booleans for bool tensors). */
  toArray(): NestedArray {
    return this.nest(this.data());
  }

  /** Nested JS arrays, read asynchronously (every backend). */
  async toArrayAsync(): Promise<NestedArray> {
    return this.nest(await this.dataAsync());
  }

  private nest(flat: TypedArray): NestedArray {
    const conv = this.dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
    if (this.shape.length === 0) return conv(flat[0]!);
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const n = this.shape[d]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = d === this.shape.length - 1 ? conv(flat[pos++]!) : build(d + 1);
      return out;
    };
    return build(0);
  }

  /** Free this tensor's memory now (views of it become unusable). */
  dispose(): void {
    this.storage.dispose();
  }

  describe(): string {
    return `[${this.dtype} ${fmt(this.shape)}]${this.name ? ` "${this.name}"` : ''}`;
  }

  /** PyTorch's layout: `tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]], requires_grad=True)` (see format.ts). */
  toString(): string {
    if (!capabilitiesOf(this.backend).syncRead) {
      return `tensor([... ${this.numel()} elements on ${this.backend.name}; await t.toArrayAsync() to read ...])`;
    }
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
