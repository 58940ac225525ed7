/**
 * Activation checkpointing (torch.utils.checkpoint, non-reentrant semantics): trade compute for memory.
 *
 * `checkpoint(fn, ...args)` runs fn with the graph recorded as usual, except that no tensor a node saves for
 * backward is kept: a saved-tensor hook replaces each by its position k in the segment. Everything the segment
 * allocated and did not return is freed when it ends. When backward first needs a saved tensor of the segment,
 * fn is run again on the stored inputs (same default-generator state, so dropout draws the same mask), with grad
 * recording on, and the k-th tensor saved during that recomputation stands in for the k-th one of the forward.
 * The graph used for backward is the forward's, so gradients reach the inputs and every parameter fn touched,
 * `autograd.grad` works, and nested checkpoints recompute the inner segment only when the inner backward runs.
 *
 * Memory: a segment keeps its inputs and outputs; what it saved internally exists only between its
 * recomputation and the end of its backward. Time: one extra forward of the segment.
 *
 * Determinism check ('default'): the recomputation must save as many tensors as the forward, with the same
 * shapes and dtypes; otherwise backward raises an error naming the first mismatch. 'none' skips it.
 * Only the default generator's state is replayed (as PyTorch replays only the global RNG): a Generator passed
 * explicitly to an op inside the segment is read again from wherever it stands.
 */
import { Tensor } from '../tensor.js';
import { defaultGenerator } from '../random.js';
import { isGradEnabled, setGradEnabled } from '../autograd/gradMode.js';
import { currentSavedTensorHooks, withOnlySavedTensorHooks, withSavedTensorHooks, type SavedTensorHooks } from '../autograd/savedHooks.js';
import { closeScope, openScope, type Storage } from '../storage.js';
import { addListener } from '../memory/accounting.js';
import { releaseSaved, retainSaved } from '../memory/savedRefs.js';
import { withMemoryContext } from '../memory/context.js';
import { fmt } from '../shape.js';
import type { DType } from '../dtype.js';
import type { Module } from '../nn/module.js';

export interface CheckpointOptions {
  /** replay the default generator's state during recomputation (default true) */
  preserveRngState?: boolean;
  /** 'default': the recomputation must save the same number of tensors with the same shapes/dtypes; 'none': no check */
  determinismCheck?: 'default' | 'none';
}

const OPTION_KEYS = new Set(['preserveRngState', 'determinismCheck']);

function isOptions(x: unknown): x is CheckpointOptions {
  if (x === null || typeof x !== 'object' || x instanceof Tensor || Array.isArray(x)) return false;
  if (Object.getPrototypeOf(x) !== Object.prototype) return false;
  const keys = Object.keys(x);
  return keys.length > 0 && keys.every((k) => OPTION_KEYS.has(k));
}

/** How the segment holds one of its inputs: directly (retained as saved) or packed by an enclosing checkpoint. */
type HeldInput = { kind: 'plain'; value: unknown } | { kind: 'tensor'; t: Tensor; version: number } | { kind: 'packed'; hooks: SavedTensorHooks; value: unknown; requiresGrad: boolean };

interface Meta { shape: readonly number[]; dtype: DType }

let frameCount = 0;

class Frame implements SavedTensorHooks<number> {
  readonly id = ++frameCount;
  readonly meta: Meta[] = [];
  /** recomputed saved tensors by position (null once released, or before recomputation) */
  slots: (Tensor | null)[] | null = null;
  private readonly released: boolean[] = [];
  /** storages created by the recomputation → how many live slots view them */
  private readonly bornRefs = new Map<Storage, number>();
  private inputs: HeldInput[] | null;
  private readonly rngState: number[] | null;
  /** recomputed for a differentiable backward (createGraph): slots belong to the recomputed graph */
  private graphMode = false;

  constructor(
    private readonly fn: (...args: any[]) => unknown,
    args: unknown[],
    private readonly opts: Required<CheckpointOptions>,
  ) {
    this.rngState = opts.preserveRngState ? defaultGenerator.getState() : null;
    const outer = currentSavedTensorHooks();
    this.inputs = args.map((a): HeldInput => {
      if (!(a instanceof Tensor)) return { kind: 'plain', value: a };
      if (outer) return { kind: 'packed', hooks: outer, value: outer.pack(a), requiresGrad: a.requiresGrad };
      retainSaved(a);
      return { kind: 'tensor', t: a, version: a.storage.version };
    });
  }

  pack(t: Tensor): number {
    this.meta.push({ shape: t.shape.slice(), dtype: t.dtype });
    this.released.push(false);
    return this.meta.length - 1;
  }

  unpack(k: number): Tensor {
    if (this.slots === null) this.recompute();
    const t = this.slots![k];
    if (!t) throw new Error(`checkpoint: saved tensor ${k} of segment #${this.id} was already released (backward through the graph a second time? Specify retainGraph: true)`);
    return t;
  }

  release(k: number): void {
    this.released[k] = true;
    const t = this.slots?.[k];
    if (!t) return;
    this.slots![k] = null;
    if (this.graphMode) return;
    const n = this.bornRefs.get(t.storage);
    if (n === undefined) releaseSaved(t);
    else if (n <= 1) { this.bornRefs.delete(t.storage); t.storage.dispose(); }
    else this.bornRefs.set(t.storage, n - 1);
  }

  /** Run the segment again on its inputs and capture, in order, the tensors its nodes save. */
  private recompute(): void {
    if (this.inputs === null) throw new Error(`checkpoint: segment #${this.id} cannot be recomputed: its inputs were released`);
    // Under createGraph (double backward) the backward formulas are themselves differentiated, so the
    // recomputed saved tensors must stay functions of the real inputs: recompute from the inputs themselves
    // (not detached copies) and let the recomputed nodes keep what they save.
    const graphMode = isGradEnabled();
    const args = this.inputs.map((h, i) => {
      if (h.kind === 'plain') return h.value;
      if (h.kind === 'packed') {
        const t = h.hooks.unpack(h.value);
        return graphMode ? t : t.detach().requiresGrad_(h.requiresGrad);
      }
      if (h.t.storage.version !== h.version) {
        throw new Error(
          `checkpoint: input ${i} [${h.t.dtype} ${fmt(h.t.shape)}] of a checkpointed segment was modified by an inplace operation ` +
            `after the forward (version ${h.t.storage.version}; expected ${h.version}); the recomputation would read different values`,
        );
      }
      return graphMode ? h.t : h.t.detach().requiresGrad_(h.t.requiresGrad);
    });
    const captured: Tensor[] = [];
    const capture: SavedTensorHooks<number> = {
      pack: (t) => { captured.push(t); return captured.length - 1; },
      unpack: (k) => {
        if (!graphMode) throw new Error('checkpoint: internal error: a recomputed graph was differentiated');
        return captured[k]!;
      },
    };
    const born = new Set<number>();
    const stopListening = addListener((e) => { if (e.kind === 'alloc') born.add(e.storageId); });
    if (!graphMode) openScope();
    let ok = false;
    try {
      const saved = this.rngState ? defaultGenerator.getState() : null;
      if (this.rngState) defaultGenerator.setState(this.rngState);
      try {
        withMemoryContext('checkpointRecompute', 'backward', () =>
          setGradEnabled(true, () => withOnlySavedTensorHooks([capture as SavedTensorHooks], () => this.fn(...args))));
      } finally {
        if (saved) defaultGenerator.setState(saved);
      }
      ok = true;
    } finally {
      stopListening();
      const keep = new Set<Storage>();
      if (ok) for (const t of captured) keep.add(t.storage);
      // under graphMode the recomputed graph may hold any of its tensors: leave them to the collector
      if (!graphMode) withMemoryContext('checkpointRecompute', 'backward', () => closeScope(keep));
    }
    if (this.opts.determinismCheck === 'default') this.check(captured);
    this.slots = this.meta.map((_, k) => (this.released[k] ? null : captured[k] ?? null));
    this.graphMode = graphMode;
    if (graphMode) { this.releaseInputs(); return; }
    for (const t of this.slots) {
      if (!t) continue;
      if (born.has(t.storage.id)) this.bornRefs.set(t.storage, (this.bornRefs.get(t.storage) ?? 0) + 1);
      else retainSaved(t);
    }
    // recomputed slots nobody will release (already-released positions, or extra tensors) are freed now
    for (const t of captured) if (born.has(t.storage.id) && !this.bornRefs.has(t.storage) && !t.storage.isDisposed) t.storage.dispose();
    this.releaseInputs();
  }

  private check(captured: Tensor[]): void {
    if (captured.length !== this.meta.length) {
      throw new Error(
        `checkpoint: a different number of tensors was saved during the original forward and the recomputation ` +
          `(forward: ${this.meta.length}, recomputation: ${captured.length}); the checkpointed function must run the same ops each time`,
      );
    }
    this.meta.forEach((m, k) => {
      const t = captured[k]!;
      if (t.dtype !== m.dtype || t.shape.length !== m.shape.length || t.shape.some((d, i) => d !== m.shape[i])) {
        throw new Error(
          `checkpoint: recomputed values for the following tensors have different metadata than during the forward pass: ` +
            `tensor at position ${k}: saved [${m.dtype} ${fmt(m.shape)}], recomputed [${t.dtype} ${fmt(t.shape)}]`,
        );
      }
    });
  }

  private releaseInputs(): void {
    for (const h of this.inputs ?? []) {
      if (h.kind === 'tensor') releaseSaved(h.t);
      else if (h.kind === 'packed') h.hooks.release?.(h.value);
    }
    this.inputs = null;
  }
}

function collectStorages(value: unknown, into: Set<Storage>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) { into.add(value.storage); return; }
  if (Array.isArray(value)) for (const v of value) collectStorages(v, into, depth + 1);
  else for (const v of Object.values(value)) collectStorages(v, into, depth + 1);
}

/**
 * `checkpoint(fn, ...args, options?)`: fn's outputs, computed without keeping what its ops save for backward
 * (recomputed during backward). A trailing plain object whose keys are all option names is taken as options.
 * Outside grad mode it just calls fn.
 */
export function checkpoint<R>(fn: (...args: any[]) => R, ...rest: unknown[]): R {
  if (typeof fn !== 'function') throw new TypeError(`checkpoint: fn must be a function, got ${typeof fn}`);
  const last = rest[rest.length - 1];
  const o: CheckpointOptions = isOptions(last) ? (rest.pop() as CheckpointOptions) : {};
  const opts: Required<CheckpointOptions> = { preserveRngState: o.preserveRngState ?? true, determinismCheck: o.determinismCheck ?? 'default' };
  if (opts.determinismCheck !== 'default' && opts.determinismCheck !== 'none') {
    throw new Error(`checkpoint: determinismCheck must be 'default' or 'none', got ${JSON.stringify(opts.determinismCheck)}`);
  }
  if (!isGradEnabled()) return fn(...rest);
  const frame = new Frame(fn, rest, opts);
  openScope();
  let result: R;
  try {
    result = withMemoryContext('checkpoint', 'forward', () => withSavedTensorHooks(frame, () => fn(...rest)));
  } catch (e) {
    closeScope(new Set());
    throw e;
  }
  const keep = new Set<Storage>();
  collectStorages(result, keep);
  withMemoryContext('checkpoint', 'forward', () => closeScope(keep));
  return result;
}

/**
 * `checkpointSequential(modules, segments, input, options?)` (torch.utils.checkpoint.checkpoint_sequential):
 * split the modules into `segments` consecutive chunks; every chunk but the last runs under checkpoint.
 */
export function checkpointSequential(modules: Module | readonly Module[], segments: number, input: Tensor, options: CheckpointOptions = {}): Tensor {
  const list: Module[] = Array.isArray(modules) ? [...modules] : [...(modules as Module).children()];
  if (!Number.isInteger(segments) || segments < 1) throw new Error(`checkpointSequential: segments must be a positive integer, got ${segments}`);
  if (list.length === 0) throw new Error('checkpointSequential: no modules to run');
  const size = Math.floor(list.length / segments);
  const runChunk = (from: number, to: number) => (x: Tensor): Tensor => {
    let h = x;
    for (let i = from; i < to; i++) h = list[i]!.call(h) as Tensor;
    return h;
  };
  let x = input;
  let end = 0;
  for (let start = 0; start < size * (segments - 1); start += size) {
    end = start + size;
    x = checkpoint(runChunk(start, end), x, options);
  }
  return runChunk(end, list.length)(x);
}
