/**
 * nb.nn.parallel.DistributedDataParallel (torch.nn.parallel.DistributedDataParallel over nb.distributed's
 * 'threads' group). Every rank holds a replica of the module and feeds it its own shard of the batch:
 *
 *  - construction checks that all ranks' modules have the same parameter shapes, then copies rank 0's
 *    parameters and buffers to every rank (one broadcast per dtype);
 *  - the parameters that require grad are grouped into buckets in reverse registration order (roughly the
 *    order backward produces their gradients): by dtype, the first bucket up to 1 MiB, the others up to
 *    bucketCapMb (a bucket closes once it reaches its limit, as torch's compute_bucket_assignment_by_size);
 *  - during backward a post-accumulate-grad hook marks each parameter ready; when a bucket's parameters are all
 *    ready, and every bucket before it has been reduced, its gradients are averaged across ranks (one
 *    all-reduce of the bucket's flattened gradients: (1/N)·Σ_r g_r) and written back into .grad. So when
 *    backward returns, every rank holds the gradient of the mean loss over all ranks' samples (for a mean loss
 *    on equal shards), identical bits on every rank, and the optimizers stay in step;
 *  - noSync(fn): forwards run inside fn skip the all-reduce in their backward, so gradients accumulate locally;
 *    the first synchronised backward afterwards averages the accumulated sums (gradient accumulation);
 *  - forward(...) broadcasts rank 0's buffers (broadcastBuffers, default true) and calls the wrapped module;
 *    the module is the child `module`, so state-dict keys carry the `module.` prefix, as in PyTorch.
 *
 *  - findUnusedParameters (default false), torch's find_unused_parameters: after each forward the autograd graph
 *    is walked from the outputs to the parameters; those it does not reach get no gradient in this backward,
 *    so they are marked ready at its start and their bucket slots hold their .grad if they have one (from
 *    noSync steps) or zeros — the buckets still complete. A used-map (1 where a rank's forwards since the last
 *    synchronised backward reached the parameter) is reduced with max before the first bucket: a parameter no
 *    rank used keeps its .grad untouched (null stays null, so optimizers skip it), any other one gets the
 *    average. Without the option, a parameter that got no gradient makes the next forward throw an error naming
 *    it (the buckets cannot complete; torch raises the same), instead of waiting for the missing gradient.
 *
 * Not supported (torch options): static graphs, comm hooks, bucket rebuilding after the first step.
 */
import { Module } from './module.js';
import { Tensor } from '../tensor.js';
import type { Node } from '../autograd/node.js';
import type { DType } from '../dtype.js';
import { itemSize } from '../dtype.js';
import { isGradEnabled } from '../autograd/gradMode.js';
import { allGatherArray, allReduceArray, broadcastArray, flatOf, getRank, isInitialized, writeBack, type Flat } from '../distributed/processGroup.js';

export interface DistributedDataParallelOptions {
  /** bucket size limit in MiB (default 25); the first bucket is capped at 1 MiB as in torch */
  bucketCapMb?: number;
  /** broadcast rank 0's buffers (BatchNorm statistics) at every forward (default true) */
  broadcastBuffers?: boolean;
  /** parameters a forward does not reach are reduced as zeros (default false; see the file comment) */
  findUnusedParameters?: boolean;
}

interface Bucket {
  dtype: DType;
  params: Tensor[];
  names: string[];
  numel: number;
  pending: number;
}

const FIRST_BUCKET_BYTES = 1 << 20;

function flatArray(dtype: DType, n: number): Float32Array | Float64Array {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Tensors grouped by dtype, flattened, broadcast from `src`, written back (one collective per dtype). */
function broadcastCoalesced(tensors: readonly Tensor[], src: number): void {
  const byType = new Map<string, Tensor[]>();
  for (const t of tensors) {
    const key = t.dtype === 'float64' ? 'float64' : t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : 'float32';
    (byType.get(key) ?? byType.set(key, []).get(key)!).push(t);
  }
  for (const [key, ts] of byType) {
    const n = ts.reduce((s, t) => s + t.numel(), 0);
    const flat: Flat = key === 'float64' ? new Float64Array(n) : key === 'int32' ? new Int32Array(n) : key === 'bool' ? new Uint8Array(n) : new Float32Array(n);
    let off = 0;
    for (const t of ts) { flat.set(flatOf(t), off); off += t.numel(); }
    broadcastArray(flat, src);
    if (getRank() === src) continue;
    off = 0;
    for (const t of ts) { writeBack(t, flat.subarray(off, off + t.numel()) as Flat); off += t.numel(); }
  }
}

/**
 * The leaf tensors (parameters) the autograd graph of `out` reaches: tensors found in `out` (itself, array
 * elements, plain-object values, recursively), then every node behind their gradFn; an AccumulateGrad node's
 * variable is a reached leaf.
 */
function reachedLeaves(out: unknown): Set<Tensor> {
  const leaves = new Set<Tensor>();
  const seenNodes = new Set<Node>();
  const nodes: Node[] = [];
  const seenValues = new Set<unknown>();
  const visitValue = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seenValues.has(v)) return;
    seenValues.add(v);
    if (v instanceof Tensor) {
      if (v.gradFn) nodes.push(v.gradFn);
      else if (v.requiresGrad) leaves.add(v);
      return;
    }
    if (Array.isArray(v)) for (const x of v) visitValue(x);
    else if (Object.getPrototypeOf(v) === Object.prototype || v instanceof Map) for (const x of (v instanceof Map ? v.values() : Object.values(v))) visitValue(x);
  };
  visitValue(out);
  while (nodes.length) {
    const n = nodes.pop()!;
    if (seenNodes.has(n)) continue;
    seenNodes.add(n);
    if (n.variable) leaves.add(n.variable);
    for (const e of n.next) if (e && !seenNodes.has(e.node)) nodes.push(e.node);
  }
  return leaves;
}

/** A 32-bit FNV-1a hash of a string (to compare parameter layouts across ranks in one small collective). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h | 0;
}

export class DistributedDataParallel extends Module {
  readonly module: Module;
  readonly bucketCapMb: number;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  /** findUnusedParameters: slot of each trainable parameter in the used-map */
  private readonly usedIndex = new Map<Tensor, number>();
  /** findUnusedParameters: 1 where a forward since the last synchronised backward reached the parameter */
  private usedLocal: Int32Array = new Int32Array(0);
  /** findUnusedParameters: the used-map reduced over ranks for the backward in progress */
  private usedGlobal: Int32Array | null = null;
  /** findUnusedParameters: parameters the last forward did not reach, marked ready when its backward starts */
  private unusedPending: Tensor[] | null = null;
  /** @internal buckets in reduction order */
  readonly _buckets: Bucket[] = [];
  private readonly bucketOf = new Map<Tensor, number>();
  private readonly ready = new Set<Tensor>();
  private nextBucket = 0;
  private requireBackwardGradSync = true;
  /** decided by the last forward: whether its backward averages gradients */
  private syncThisBackward = false;

  constructor(module: Module, opts: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new TypeError(`DistributedDataParallel: module must be an nn.Module, got ${module === null ? 'null' : typeof module}`);
    if (opts === null || typeof opts !== 'object') throw new TypeError('DistributedDataParallel: options must be an object {bucketCapMb, broadcastBuffers}');
    for (const k of Object.keys(opts)) {
      if (k !== 'bucketCapMb' && k !== 'broadcastBuffers' && k !== 'findUnusedParameters') {
        const hint = k === 'bucket_cap_mb' ? ' (did you mean bucketCapMb?)' : k === 'find_unused_parameters' ? ' (did you mean findUnusedParameters?)' : k === 'broadcast_buffers' ? ' (did you mean broadcastBuffers?)' : '';
        throw new TypeError(`DistributedDataParallel: unknown option '${k}'${hint}; expected bucketCapMb, broadcastBuffers, findUnusedParameters`);
      }
    }
    const cap = opts.bucketCapMb ?? 25;
    if (!(typeof cap === 'number' && cap > 0 && Number.isFinite(cap))) throw new RangeError(`DistributedDataParallel: bucketCapMb must be a positive number of MiB, got ${String(cap)}`);
    if (opts.broadcastBuffers !== undefined && typeof opts.broadcastBuffers !== 'boolean') throw new TypeError(`DistributedDataParallel: broadcastBuffers must be true or false, got ${JSON.stringify(opts.broadcastBuffers)}`);
    if (opts.findUnusedParameters !== undefined && typeof opts.findUnusedParameters !== 'boolean') throw new TypeError(`DistributedDataParallel: findUnusedParameters must be true or false, got ${JSON.stringify(opts.findUnusedParameters)}`);
    if (!isInitialized()) throw new Error('DistributedDataParallel: the default process group has not been initialized; call nb.distributed.initProcessGroup() first');
    this.module = module;
    this.bucketCapMb = cap;
    this.broadcastBuffers = opts.broadcastBuffers ?? true;
    this.findUnusedParameters = opts.findUnusedParameters ?? false;

    const named = module.namedParameters();
    // 1. the same parameter layout on every rank (names, shapes, dtypes)
    const layout = named.map(([n, p]) => `${n}:${p.shape.join('x')}:${p.dtype}:${p.requiresGrad}`).join(';');
    const mine = Int32Array.of(named.length, fnv1a(layout));
    const all = allGatherArray(mine);
    all.forEach((other, r) => {
      if (other[0] !== mine[0] || other[1] !== mine[1]) {
        throw new Error(`DistributedDataParallel: rank ${r}'s module has ${other[0]} parameters and rank ${getRank()}'s has ${mine[0]}${other[0] === mine[0] ? ', with different names, shapes, dtypes or requiresGrad' : ''}; every rank must wrap the same model`);
      }
    });
    // 2. rank 0's state everywhere
    broadcastCoalesced([...named.map(([, p]) => p), ...module.buffers()], 0);
    // 3. buckets over the trainable parameters, last registered first
    const trainable = named.filter(([, p]) => p.requiresGrad).reverse();
    const open = new Map<DType, { bucket: Bucket; bytes: number; closed: number }>();
    const limit = (closed: number) => (closed === 0 ? Math.min(FIRST_BUCKET_BYTES, cap * 2 ** 20) : cap * 2 ** 20);
    const finished: { bucket: Bucket; first: number }[] = [];
    const firstIndex = new Map<Bucket, number>();
    trainable.forEach(([name, p], i) => {
      let o = open.get(p.dtype);
      if (!o) { o = { bucket: { dtype: p.dtype, params: [], names: [], numel: 0, pending: 0 }, bytes: 0, closed: 0 }; open.set(p.dtype, o); }
      if (o.bucket.params.length === 0) firstIndex.set(o.bucket, i);
      o.bucket.params.push(p); o.bucket.names.push(name); o.bucket.numel += p.numel();
      o.bytes += p.numel() * itemSize[p.dtype];
      if (o.bytes >= limit(o.closed)) {
        finished.push({ bucket: o.bucket, first: firstIndex.get(o.bucket)! });
        o.bucket = { dtype: p.dtype, params: [], names: [], numel: 0, pending: 0 };
        o.bytes = 0; o.closed++;
      }
    });
    for (const o of open.values()) if (o.bucket.params.length) finished.push({ bucket: o.bucket, first: firstIndex.get(o.bucket)! });
    finished.sort((a, b) => a.first - b.first);
    trainable.forEach(([, p], i) => this.usedIndex.set(p, i));
    this.usedLocal = new Int32Array(trainable.length);
    for (const { bucket } of finished) {
      bucket.pending = bucket.params.length;
      this._buckets.push(bucket);
      for (const p of bucket.params) {
        this.bucketOf.set(p, this._buckets.length - 1);
        p.registerPostAccumulateGradHook((leaf) => this.markReady(leaf));
      }
    }
  }

  /** Run fn with gradient synchronisation off: backward of forwards run inside it only accumulates locally. */
  noSync<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new TypeError('noSync: expected a function to run without gradient synchronisation');
    const prev = this.requireBackwardGradSync;
    this.requireBackwardGradSync = false;
    try {
      return fn();
    } finally {
      this.requireBackwardGradSync = prev;
    }
  }

  forward(...args: unknown[]): any {
    if (this.ready.size > 0) {
      const missing = this._buckets.flatMap((b) => b.params.map((p, i) => (this.ready.has(p) ? null : b.names[i]!))).filter((n) => n !== null);
      throw new Error(
        'DistributedDataParallel: expected to have finished reduction in the prior iteration before starting a new one; ' +
          `these parameters received no gradient in the last backward: ${missing.join(', ')}. ` +
          'Every parameter that requires grad must contribute to the loss: pass findUnusedParameters: true to reduce the unused ones as zeros, or set requiresGrad false on them.',
      );
    }
    this.syncThisBackward = this.requireBackwardGradSync && isGradEnabled();
    if (this.broadcastBuffers) {
      const bufs = this.module.buffers();
      if (bufs.length) broadcastCoalesced(bufs, 0);
    }
    const out = (this.module as unknown as { call(...a: unknown[]): unknown }).call(...args);
    if (this.findUnusedParameters && isGradEnabled()) {
      const reached = reachedLeaves(out);
      for (const p of reached) { const i = this.usedIndex.get(p); if (i !== undefined) this.usedLocal[i] = 1; }
      this.unusedPending = this.syncThisBackward ? [...this.usedIndex.keys()].filter((p) => !reached.has(p)) : null;
    }
    return out;
  }

  private markReady(p: Tensor): void {
    if (!this.syncThisBackward) return;
    if (this.unusedPending) {
      // the first gradient of this backward: the parameters the forward did not reach will get none
      const unused = this.unusedPending;
      this.unusedPending = null;
      for (const q of unused) this.markOne(q);
    }
    this.markOne(p);
  }

  private markOne(p: Tensor): void {
    const b = this.bucketOf.get(p)!;
    if (this.ready.has(p)) {
      throw new Error(`DistributedDataParallel: parameter ${this._buckets[b]!.names[this._buckets[b]!.params.indexOf(p)]} was marked ready twice in one backward (a second backward without a forward in between is not supported)`);
    }
    this.ready.add(p);
    this._buckets[b]!.pending--;
    while (this.nextBucket < this._buckets.length && this._buckets[this.nextBucket]!.pending === 0) {
      this.reduceBucket(this._buckets[this.nextBucket]!);
      this.nextBucket++;
    }
    if (this.nextBucket === this._buckets.length) {
      // every bucket reduced: the next backward starts a new round
      this.nextBucket = 0;
      this.ready.clear();
      for (const bk of this._buckets) bk.pending = bk.params.length;
      this.syncThisBackward = false;
    }
  }

  /**
   * Average the bucket's gradients across ranks: flatten (a parameter without .grad counts as zeros), all-reduce
   * (avg), write back into each .grad. With findUnusedParameters, the first bucket of a backward first reduces
   * the used-map; a parameter no rank used keeps its .grad as it is.
   */
  private reduceBucket(b: Bucket): void {
    if (this.findUnusedParameters && b === this._buckets[0]) {
      const used = this.usedLocal.slice();
      allReduceArray(used, 'max');
      this.usedGlobal = used;
      this.usedLocal.fill(0);
    }
    const flat = flatArray(b.dtype, b.numel);
    let off = 0;
    for (const p of b.params) { if (p.grad) flat.set(flatOf(p.grad), off); off += p.numel(); }
    allReduceArray(flat, 'avg');
    off = 0;
    for (const p of b.params) {
      const values = flat.subarray(off, off + p.numel());
      off += p.numel();
      if (this.usedGlobal && this.usedGlobal[this.usedIndex.get(p)!] === 0) continue;
      if (p.grad) writeBack(p.grad, values);
      else p.grad = Tensor.fromValues(values.slice(), p.shape, p.dtype, p.backend);
    }
  }

  override extraRepr(): string {
    return `bucketCapMb=${this.bucketCapMb}, buckets=${this._buckets.length}`;
  }
}
