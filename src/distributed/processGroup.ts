/**
 * nb.distributed: a process group of worker threads sharing one SharedArrayBuffer (torch.distributed's API,
 * camelCase, backend 'threads'). Ranks are the threads `nabla run --nproc N` (or `nb.distributed.spawn`)
 * starts; `initProcessGroup()` with no arguments joins the group the launcher set up (rank and world size
 * also appear as process.env.RANK / WORLD_SIZE, as under torchrun).
 *
 * Collectives are synchronous: a rank writes its contribution into its slot of the shared buffer, waits at a
 * barrier (Atomics.wait), reads the others' slots, and waits again. All-reduce is a reduce-scatter over the
 * slots (rank r reduces elements [m·r/N, m·(r+1)/N) of each chunk, summing the ranks in order 0, 1, …, N−1, so
 * every rank gets the same bits) followed by each rank copying the reduced chunk; tensors larger than a slot go
 * in chunks. Every collective first checks that all ranks called the same collective with the same element
 * count, dtype and argument, and every wait has a timeout: a rank that times out, throws, or exits while the
 * others wait stops the whole group with an error naming that rank — nothing hangs.
 *
 * Browsers: Atomics.wait is forbidden on a page's main thread, so the group works only inside Web Workers of a
 * cross-origin-isolated page (SharedArrayBuffer); the launcher itself (spawn) is Node-only.
 */
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/gradMode.js';
import { copy_ } from '../ops/inplace.js';
import type { DType } from '../dtype.js';
import { isHalf } from '../half.js';
import {
  ABORT, COUNT, DEFAULT_SLOT_BYTES, GEN, HEADER_BYTES, RANK_BASE, RANK_STRIDE, W_ARG, W_COUNT, W_DTYPE, W_ARRIVALS, W_EXITED, W_KIND, W_SEQ,
  GROUP_SLOT, abortGroup, abortInfo, createSharedBuffer, type SharedGroupInit,
} from './shared.js';

/** torch.distributed.ReduceOp (the names are the values' upper-case forms). */
export const ReduceOp = Object.freeze({ SUM: 'sum', AVG: 'avg', PRODUCT: 'product', MIN: 'min', MAX: 'max' } as const);
export type ReduceOpName = (typeof ReduceOp)[keyof typeof ReduceOp];
const OPS: readonly ReduceOpName[] = ['sum', 'avg', 'product', 'min', 'max'];

export interface InitProcessGroupOptions {
  /** only 'threads' (worker threads sharing memory) */
  backend?: 'threads';
  /** must match the launcher's when started by `nabla run`; without a launcher only 1 is possible */
  worldSize?: number;
  rank?: number;
  /** milliseconds a collective waits for the other ranks before failing (default: the launcher's, else 300,000) */
  timeout?: number;
}


const KINDS = ['barrier', 'allReduce', 'broadcast', 'allGather'] as const;
type Kind = (typeof KINDS)[number];
const DTYPE_CODES: readonly string[] = ['float32', 'float64', 'int32', 'uint8'];
export type Flat = Float32Array | Float64Array | Int32Array | Uint8Array;

class Group {
  readonly ctl: Int32Array;
  seq = 0;
  arrivals = 0;
  constructor(readonly sab: SharedArrayBuffer, readonly rank: number, readonly worldSize: number, readonly slotBytes: number, readonly timeout: number) {
    this.ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
  }
  word(rank: number, w: number): number {
    return RANK_BASE + rank * RANK_STRIDE + w;
  }
  slot<T extends Flat>(ctor: { new (b: SharedArrayBuffer, off: number, n: number): T }, rank: number, n: number): T {
    return new ctor(this.sab, HEADER_BYTES + rank * this.slotBytes, n);
  }
}

let group: Group | null = null;

function current(op: string): Group {
  if (!group) throw new Error(`${op}: the default process group has not been initialized; call nb.distributed.initProcessGroup() first (start the script with \`nabla run --nproc N script.js\`)`);
  return group;
}

/** torch.distributed.is_available: SharedArrayBuffer and Atomics exist in this runtime. */
export function isAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

export function isInitialized(): boolean {
  return group !== null;
}

export function getRank(): number {
  return current('getRank').rank;
}

export function getWorldSize(): number {
  return current('getWorldSize').worldSize;
}

/** Join the process group: the launcher's (no worldSize/rank needed), or a single-rank group ({worldSize: 1, rank: 0}). */
export function initProcessGroup(opts: InitProcessGroupOptions = {}): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError('initProcessGroup: options must be an object {backend, worldSize, rank, timeout}');
  for (const k of Object.keys(opts)) {
    if (!['backend', 'worldSize', 'rank', 'timeout'].includes(k)) {
      const hint = k === 'world_size' ? ' (did you mean worldSize?)' : k === 'init_method' ? ' (the threads backend needs none: start the script with nabla run)' : '';
      throw new TypeError(`initProcessGroup: unknown option '${k}'${hint}; expected backend, worldSize, rank, timeout`);
    }
  }
  if (group) throw new Error('initProcessGroup: trying to initialize the default process group twice (call destroyProcessGroup() first)');
  if (opts.backend !== undefined && opts.backend !== 'threads') {
    throw new Error(`initProcessGroup: backend must be 'threads' (worker threads sharing memory), got ${JSON.stringify(opts.backend)}; across machines, save a checkpoint and train with PyTorch's DDP`);
  }
  if (opts.timeout !== undefined && !(typeof opts.timeout === 'number' && opts.timeout > 0)) {
    throw new RangeError(`initProcessGroup: timeout must be a positive number of milliseconds, got ${String(opts.timeout)}`);
  }
  for (const k of ['worldSize', 'rank'] as const) {
    const v = opts[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= (k === 'rank' ? 0 : 1))) throw new RangeError(`initProcessGroup: ${k} must be a ${k === 'rank' ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
  }
  const launched = (globalThis as Record<symbol, unknown>)[GROUP_SLOT] as SharedGroupInit | undefined;
  if (launched) {
    if (opts.worldSize !== undefined && opts.worldSize !== launched.worldSize) {
      throw new Error(`initProcessGroup: worldSize ${opts.worldSize} differs from the launcher's ${launched.worldSize} (nabla run --nproc ${launched.worldSize})`);
    }
    if (opts.rank !== undefined && opts.rank !== launched.rank) {
      throw new Error(`initProcessGroup: rank ${opts.rank} differs from this thread's rank ${launched.rank} given by the launcher`);
    }
    group = new Group(launched.sab, launched.rank, launched.worldSize, launched.slotBytes, opts.timeout ?? launched.timeout);
    return;
  }
  const worldSize = opts.worldSize ?? 1;
  const rank = opts.rank ?? 0;
  if (worldSize !== 1) {
    throw new Error(`initProcessGroup: worldSize ${worldSize} needs ${worldSize} threads sharing memory, but this thread was not started by the launcher; run the script with \`nabla run --nproc ${worldSize} script.js\` (or nb.distributed.spawn)`);
  }
  if (rank !== 0) throw new RangeError(`initProcessGroup: rank must be in [0, worldSize) = [0, 1), got ${rank}`);
  group = new Group(createSharedBuffer(1, 64), 0, 1, 64, opts.timeout ?? 300_000);
}

/** Leave the process group (this rank only; torch's destroy_process_group). */
export function destroyProcessGroup(): void {
  current('destroyProcessGroup');
  group = null;
}

// ---- synchronisation -----------------------------------------------------------------------------------

function stopMessage(g: Group, what: string): string | null {
  const info = abortInfo(g.sab);
  if (info) {
    const first = info.message.split('\n')[0];
    return `${what} on rank ${g.rank}: the process group was stopped because rank ${info.rank} failed: ${first}`;
  }
  return null;
}

/** Wait until every rank has arrived (generation barrier), failing on abort, an exited rank, or the timeout. */
function arrive(g: Group, what: string): void {
  const ctl = g.ctl;
  if (g.worldSize === 1) return;
  const gen = Atomics.load(ctl, GEN);
  g.arrivals++;
  Atomics.store(ctl, g.word(g.rank, W_ARRIVALS), g.arrivals);
  if (Atomics.add(ctl, COUNT, 1) === g.worldSize - 1) {
    Atomics.store(ctl, COUNT, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    return;
  }
  const start = Date.now();
  while (Atomics.load(ctl, GEN) === gen) {
    if (Atomics.load(ctl, ABORT) !== 0) {
      // the rank that set abort may still be writing its message
      for (let i = 0; i < 100 && Atomics.load(ctl, ABORT) === 1; i++) Atomics.wait(ctl, GEN, gen, 1);
      throw new Error(stopMessage(g, what)!);
    }
    const missing: number[] = [];
    for (let r = 0; r < g.worldSize; r++) if (Atomics.load(ctl, g.word(r, W_ARRIVALS)) < g.arrivals) missing.push(r);
    const gone = missing.filter((r) => Atomics.load(ctl, g.word(r, W_EXITED)) === 1);
    if (gone.length) {
      const msg = `${what} on rank ${g.rank}: rank ${gone.join(', ')} exited while this rank waited for it in collective #${g.seq}; every rank must make the same sequence of collective calls`;
      abortGroup(g.sab, g.rank, msg);
      throw new Error(msg);
    }
    const left = g.timeout - (Date.now() - start);
    if (left <= 0) {
      const msg = `${what} on rank ${g.rank}: timed out after ${g.timeout} ms waiting for rank ${missing.join(', ')} (collective #${g.seq}); the process group is stopped`;
      abortGroup(g.sab, g.rank, msg);
      throw new Error(msg);
    }
    Atomics.wait(ctl, GEN, gen, Math.min(left, 100));
  }
}

function describeCall(kind: number, count: number, dtype: number, arg: number): string {
  const k = KINDS[kind] ?? `collective ${kind}`;
  if (k === 'barrier') return 'barrier()';
  const what = `${count} ${DTYPE_CODES[dtype] ?? '?'} elements`;
  if (k === 'allReduce') return `allReduce(${what}, ${OPS[arg] ?? '?'})`;
  if (k === 'broadcast') return `broadcast(${what}, src ${arg})`;
  return `allGather(${what})`;
}

/** Start collective `kind`: publish its descriptor, wait for all ranks, check they all called the same thing. */
function enter(g: Group, kind: Kind, count: number, dtype: number, arg: number, beforeBarrier?: () => void): void {
  g.seq++;
  const ctl = g.ctl;
  const k = KINDS.indexOf(kind);
  const stop = stopMessage(g, kind);
  if (stop) throw new Error(stop);
  Atomics.store(ctl, g.word(g.rank, W_KIND), k);
  Atomics.store(ctl, g.word(g.rank, W_COUNT), count);
  Atomics.store(ctl, g.word(g.rank, W_DTYPE), dtype);
  Atomics.store(ctl, g.word(g.rank, W_ARG), arg);
  Atomics.store(ctl, g.word(g.rank, W_SEQ), g.seq);
  beforeBarrier?.();
  arrive(g, kind);
  const mine = describeCall(k, count, dtype, arg);
  for (let r = 0; r < g.worldSize; r++) {
    if (r === g.rank) continue;
    const theirs = describeCall(Atomics.load(ctl, g.word(r, W_KIND)), Atomics.load(ctl, g.word(r, W_COUNT)), Atomics.load(ctl, g.word(r, W_DTYPE)), Atomics.load(ctl, g.word(r, W_ARG)));
    const seq = Atomics.load(ctl, g.word(r, W_SEQ));
    if (theirs !== mine || seq !== g.seq) {
      const msg = `${kind}: collective mismatch at call #${g.seq}: rank ${g.rank} called ${mine} but rank ${r} called ${theirs} (its call #${seq}); every rank must make the same collective calls with tensors of the same size and dtype`;
      abortGroup(g.sab, g.rank, msg);
      throw new Error(msg);
    }
  }
}

// ---- flat-array collectives (also used by DistributedDataParallel) ------------------------------------

type FlatCtor = { new (b: SharedArrayBuffer, off: number, n: number): Flat; BYTES_PER_ELEMENT: number };
function ctorOf(a: Flat): FlatCtor {
  return a.constructor as unknown as FlatCtor;
}
function dtypeCode(a: Flat): number {
  return a instanceof Float32Array ? 0 : a instanceof Float64Array ? 1 : a instanceof Int32Array ? 2 : 3;
}

function checkOp(fn: string, op: unknown): ReduceOpName {
  if (!(OPS as readonly unknown[]).includes(op)) throw new TypeError(`${fn}: op must be one of ${OPS.map((o) => `'${o}'`).join(', ')} (nb.distributed.ReduceOp), got ${JSON.stringify(op)}`);
  return op as ReduceOpName;
}

/** Element-wise reduce `a` across ranks in place (sum over ranks in rank order; avg = sum / worldSize). */
export function allReduceArray(a: Flat, op: ReduceOpName = 'sum'): void {
  const g = current('allReduce');
  checkOp('allReduce', op);
  const n = a.length, N = g.worldSize;
  const Ctor = ctorOf(a);
  const per = Math.floor(g.slotBytes / Ctor.BYTES_PER_ELEMENT);
  const chunks = Math.max(1, Math.ceil(n / per));
  for (let c = 0; c < chunks; c++) {
    const off = c * per, m = Math.min(per, n - off);
    const write = () => g.slot(Ctor, g.rank, m).set(a.subarray(off, off + m));
    if (c === 0) enter(g, 'allReduce', n, dtypeCode(a), OPS.indexOf(op), write);
    else { write(); arrive(g, 'allReduce'); }
    if (N === 1) continue; // one rank: every op is the identity
    const lo = Math.floor((m * g.rank) / N), hi = Math.floor((m * (g.rank + 1)) / N);
    const res = g.slot(Ctor, N, m);
    res.set(g.slot(Ctor, 0, m).subarray(lo, hi), lo);
    for (let r = 1; r < N; r++) {
      const s = g.slot(Ctor, r, m);
      if (op === 'sum' || op === 'avg') for (let i = lo; i < hi; i++) res[i] = res[i]! + s[i]!;
      else if (op === 'product') for (let i = lo; i < hi; i++) res[i] = res[i]! * s[i]!;
      else if (op === 'max') for (let i = lo; i < hi; i++) { const x = s[i]!, y = res[i]!; res[i] = x > y || x !== x ? x : y; }
      else for (let i = lo; i < hi; i++) { const x = s[i]!, y = res[i]!; res[i] = x < y || x !== x ? x : y; }
    }
    if (op === 'avg') for (let i = lo; i < hi; i++) res[i] = res[i]! / N;
    arrive(g, 'allReduce');
    a.set(res, off);
  }
}

/** Overwrite `a` on every rank with rank `src`'s values. */
export function broadcastArray(a: Flat, src: number): void {
  const g = current('broadcast');
  checkRank('broadcast', 'src', src, g.worldSize);
  const n = a.length;
  const Ctor = ctorOf(a);
  const per = Math.floor(g.slotBytes / Ctor.BYTES_PER_ELEMENT);
  const chunks = Math.max(1, Math.ceil(n / per));
  for (let c = 0; c < chunks; c++) {
    const off = c * per, m = Math.min(per, n - off);
    const write = () => { if (g.rank === src) g.slot(Ctor, src, m).set(a.subarray(off, off + m)); };
    if (c === 0) enter(g, 'broadcast', n, dtypeCode(a), src, write);
    else { write(); arrive(g, 'broadcast'); }
    if (g.rank !== src) a.set(g.slot(Ctor, src, m), off);
    arrive(g, 'broadcast');
  }
}

/** Every rank's `a`, in rank order (all the same length). */
export function allGatherArray(a: Flat): Flat[] {
  const g = current('allGather');
  const n = a.length, N = g.worldSize;
  const Ctor = ctorOf(a);
  const out = Array.from({ length: N }, (_, r) => (r === g.rank ? a.slice() : new (a.constructor as { new (n: number): Flat })(n)));
  const per = Math.floor(g.slotBytes / Ctor.BYTES_PER_ELEMENT);
  const chunks = Math.max(1, Math.ceil(n / per));
  for (let c = 0; c < chunks; c++) {
    const off = c * per, m = Math.min(per, n - off);
    const write = () => g.slot(Ctor, g.rank, m).set(a.subarray(off, off + m));
    if (c === 0) enter(g, 'allGather', n, dtypeCode(a), 0, write);
    else { write(); arrive(g, 'allGather'); }
    for (let r = 0; r < N; r++) if (r !== g.rank) out[r]!.set(g.slot(Ctor, r, m), off);
    arrive(g, 'allGather');
  }
  return out;
}

function checkRank(fn: string, name: string, r: unknown, worldSize: number): void {
  if (!(Number.isInteger(r) && (r as number) >= 0 && (r as number) < worldSize)) {
    throw new RangeError(`${fn}: ${name} must be a rank in [0, ${worldSize}), got ${String(r)}`);
  }
}

// ---- tensor collectives ---------------------------------------------------------------------------------

function checkTensor(fn: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${fn}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
}

/**
 * Backends whose `read` returns a live view of the block's own memory (the portable backend's typed arrays, the
 * WebAssembly backend's linear memory; the half-precision layer writes through it the same way).
 */
const LIVE_READ = new Set(['ts', 'wasm']);

/**
 * t's elements as a live view of its backend block, without a copy, or null: only for a contiguous float32,
 * float64 or int32 tensor on a LIVE_READ backend. The view is valid until the next allocation (a growing
 * WebAssembly memory may move), so it is used at once. Writing through it must be followed by bumpVersion(t).
 */
function liveFlat(t: Tensor): Flat | null {
  if (!LIVE_READ.has(t.backend.name) || !t.isContiguous()) return null;
  if (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'int32') return null;
  const v = t.backendView(), n = t.numel();
  return (t.backend.read(v.data, t.dtype, t.offset + n) as Flat).subarray(t.offset, t.offset + n);
}

/** an in-place write outside the op machinery: saved-tensor checks see the new version, as after copy_ */
function bumpVersion(t: Tensor): void {
  t.storage.version++;
}

/**
 * The tensor's elements as a flat array of the type the collective moves (bfloat16/float16 travel as float32),
 * for reading only: a live view of the backend's memory where liveFlat allows (used before the next allocation),
 * else a copy.
 */
export function flatOf(t: Tensor): Flat {
  const live = liveFlat(t);
  if (live) return live;
  const d = t.data();
  return d instanceof Uint16Array ? Float32Array.from(d) : (d as Flat);
}

/** Write `values` into t in place (no autograd; bumps its version like any in-place op). */
export function writeBack(t: Tensor, values: Flat): void {
  const live = liveFlat(t);
  if (live) {
    live.set(values);
    bumpVersion(t);
    return;
  }
  const dtype: DType = isHalf(t.dtype) ? 'float32' : t.dtype;
  const src = Tensor.fromValues(values, t.shape, dtype, t.backend);
  try {
    noGrad(() => copy_(t, src));
  } finally {
    src.dispose();
  }
}

/** Reduce `t` across ranks in place with `op` (default 'sum') and return it (torch returns None; the same tensor is handy). */
export function allReduce(t: Tensor, op: ReduceOpName = 'sum'): Tensor {
  checkTensor('allReduce', 'tensor', t);
  checkOp('allReduce', op);
  if (op === 'avg' && !(t.dtype.startsWith('float') || isHalf(t.dtype))) throw new TypeError(`allReduce: op 'avg' needs a floating-point tensor, got ${t.dtype}`);
  if (t.dtype === 'bool' && op !== 'max' && op !== 'min') throw new TypeError(`allReduce: a bool tensor reduces with 'max' (any) or 'min' (all), got '${op}'`);
  current('allReduce');
  // reduced in place in the backend's memory where it can be (no copies out and back), else through a copy
  const live = liveFlat(t);
  if (live) {
    allReduceArray(live, op);
    bumpVersion(t);
    return t;
  }
  const a = flatOf(t);
  allReduceArray(a, op);
  writeBack(t, a);
  return t;
}

/** Overwrite `t` on every rank with rank `src`'s values, in place; returns t. */
export function broadcast(t: Tensor, src: number): Tensor {
  checkTensor('broadcast', 'tensor', t);
  const g = current('broadcast');
  checkRank('broadcast', 'src', src, g.worldSize);
  const live = liveFlat(t);
  const a = live ?? flatOf(t);
  broadcastArray(a, src);
  if (g.rank !== src) {
    if (live) bumpVersion(t);
    else writeBack(t, a);
  }
  return t;
}

/**
 * Gather every rank's `t` into `tensorList` (torch's all_gather(tensor_list, tensor)). Given worldSize tensors of
 * t's shape they are written in place; given an empty array it is filled with new tensors. Returns the list.
 */
export function allGather(tensorList: Tensor[], t: Tensor): Tensor[] {
  if (!Array.isArray(tensorList)) throw new TypeError('allGather: tensorList must be an array (empty, or worldSize tensors of the input\'s shape)');
  checkTensor('allGather', 'tensor', t);
  const g = current('allGather');
  if (tensorList.length !== 0 && tensorList.length !== g.worldSize) {
    throw new Error(`allGather: tensorList must be empty or hold worldSize = ${g.worldSize} tensors, got ${tensorList.length}`);
  }
  tensorList.forEach((x, i) => {
    checkTensor('allGather', `tensorList[${i}]`, x);
    if (x.numel() !== t.numel() || x.dtype !== t.dtype) throw new Error(`allGather: tensorList[${i}] ${x.describe()} must match the input ${t.describe()} in size and dtype`);
  });
  const parts = allGatherArray(flatOf(t));
  if (tensorList.length === 0) {
    const dtype: DType = isHalf(t.dtype) ? 'float32' : t.dtype;
    for (const p of parts) {
      const x = Tensor.fromValues(p, t.shape, dtype, t.backend);
      tensorList.push(dtype === t.dtype ? x : noGrad(() => x.to(t.dtype)));
    }
  } else {
    parts.forEach((p, i) => writeBack(tensorList[i]!, p));
  }
  return tensorList;
}

/** Wait until every rank reaches this call. */
export function barrier(): void {
  const g = current('barrier');
  enter(g, 'barrier', 0, 0, 0);
  arrive(g, 'barrier');
}

export { DEFAULT_SLOT_BYTES };
