/**
 * A block of backend memory shared by a tensor and all its views.
 *
 * Release: a storage is freed when `dispose()` is called (explicitly, by a `scope`, or by the engine for
 * intermediates it owns) or, failing that, when the garbage collector finds it unreachable (a
 * FinalizationRegistry hands the block back to its backend). The version counter lives here because
 * an in-place write through any view changes what every view sees.
 */
import type { Backend } from './backends/backend.js';
import { itemSize, type DType } from './dtype.js';
import { allocEpoch, countersFor, newStorageId, noteAlloc, noteFree, type BackendCounters } from './memory/accounting.js';

/** How many Tensor objects view a storage; `dead` once the storage is freed (its views no longer count). */
interface ViewCount { n: number; dead: boolean; counters: BackendCounters }

interface Held { backend: Backend; data: unknown; id: number; dtype: DType; size: number; views: ViewCount }

let liveStorages = 0;
const finalizer = new FinalizationRegistry<Held>((h) => {
  liveStorages--;
  releaseViews(h.views);
  noteFree(h.id, h.backend.name, h.dtype, h.size, h.size * itemSize[h.dtype]);
  h.backend.dispose(h.data);
});

function releaseViews(v: ViewCount): void {
  if (v.dead) return;
  v.counters.liveTensors -= v.n;
  v.n = 0;
  v.dead = true;
}

const tensorFinalizer = new FinalizationRegistry<ViewCount>((v) => {
  if (v.dead) return;
  v.n--;
  v.counters.liveTensors--;
});

/**
 * Scopes collect storages created while they are open so that `scope()` can free them deterministically.
 * They also hold the tensor objects created inside them until they close: a tensor's finalizer (which counts
 * it out of liveTensors when the garbage collector takes it) is registered only if its storage outlives the
 * scope. Registering one per tensor up front cost a weak cell each and doubled the collector's work on
 * small-op code; most tensors made in a scope die with its storages, and their count is released then.
 */
type ScopeList = Storage[] & { views?: (object | ViewCount)[] };
const scopeStack: ScopeList[] = [];

/** The tensors of a closed scope whose storages are still alive: deferred to the enclosing scope, or registered. */
function settleViews(closed: ScopeList, parent: ScopeList | undefined): void {
  const list = closed.views;
  if (!list) return;
  closed.views = undefined;
  for (let i = 0; i < list.length; i += 2) {
    const v = list[i + 1] as ViewCount;
    if (v.dead) continue;
    if (parent) (parent.views ??= []).push(list[i]!, v);
    else tensorFinalizer.register(list[i]!, v);
  }
}

export class Storage {
  /** bumped by every in-place write; saved tensors remember the value they saw */
  version = 0;
  /** set by keep(): a scope closing around this storage leaves it alive */
  kept = false;
  /** unique id (memory timelines name storages by it) */
  readonly id = newStorageId();
  /** the memory-accounting epoch this storage was allocated in (see memory/accounting.ts) */
  readonly epoch = allocEpoch();
  /** how many live graph nodes saved a tensor viewing this storage */
  savedRefs = 0;
  private disposed = false;
  private registered = false;
  /** why the block was released, when a loop scope released it (shown by the error on a later read) */
  releasedBecause: string | null = null;
  private readonly views: ViewCount;

  constructor(readonly backend: Backend, public data: unknown, readonly dtype: DType, readonly size: number) {
    liveStorages++;
    this.views = { n: 0, dead: false, counters: countersFor(backend.name) };
    const top = scopeStack[scopeStack.length - 1];
    if (top) top.push(this); // the scope holds it (and frees or hands it on when it closes): no finalizer yet
    else this._register();
    noteAlloc(this.id, backend.name, dtype, size, this.bytes);
  }

  /**
   * Internal: let the garbage collector free the block once the storage is unreachable. Called when the storage
   * is outside every scope: at creation, or when a closing scope lets it go (kept, or returned) with no enclosing
   * scope. A scope's list holds its storages strongly, so a finalizer registered earlier could never fire, and
   * registering one per op (a weak cell and a held record each) was the largest cost of a small op.
   */
  _register(): void {
    if (this.registered || this.disposed) return;
    this.registered = true;
    // the storage itself is the unregister token (held weakly, like the target)
    finalizer.register(this, { backend: this.backend, data: this.data, id: this.id, dtype: this.dtype, size: this.size, views: this.views }, this);
  }

  /** bytes the storage holds: numel × itemSize */
  get bytes(): number {
    return this.size * itemSize[this.dtype];
  }

  /** Internal: a Tensor object now views this storage (counted until it is garbage collected or the storage is freed). */
  _addView(t: object): void {
    const v = this.views;
    v.n++;
    v.counters.liveTensors++;
    const top = scopeStack[scopeStack.length - 1];
    if (top) (top.views ??= []).push(t, v);
    else tensorFinalizer.register(t, v);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(reason?: string): void {
    if (this.disposed) return;
    this.disposed = true;
    if (reason) this.releasedBecause = reason;
    if (this.registered) finalizer.unregister(this);
    liveStorages--;
    releaseViews(this.views);
    noteFree(this.id, this.backend.name, this.dtype, this.size, this.bytes);
    this.backend.dispose(this.data);
  }
}

export function liveStorageCount(): number {
  return liveStorages;
}

export function openScope(): void {
  scopeStack.push([]);
}

/** Close the innermost scope, freeing every storage it created except those in `keep`. */
export function closeScope(keep: ReadonlySet<Storage>): void {
  const created = scopeStack.pop() ?? [];
  const parent = scopeStack[scopeStack.length - 1];
  for (const s of created) {
    if (keep.has(s) || s.kept) {
      if (parent) parent.push(s);
      else s._register();
    } else s.dispose();
  }
  settleViews(created, parent);
}

/**
 * Iteration scopes (one per DataLoader batch): like a scope, but closed by handle from wherever it sits on
 * the stack (two loaders iterated in turn interleave their scopes), and abandoned iterators are cleaned up
 * when the garbage collector finds them (their scope then hands its storages to the enclosing scope).
 */
const abandoned = new FinalizationRegistry<Storage[]>((handle) => closeIterationScope(handle, null));

export function openIterationScope(owner?: object): Storage[] {
  const handle: ScopeList = [];
  scopeStack.push(handle);
  if (owner) abandoned.register(owner, handle, handle);
  return handle;
}

/** Close an iteration scope: free what it created (except kept storages) with `reason`, or, with null, hand everything to the enclosing scope. */
export function closeIterationScope(handle: Storage[], reason: string | null): void {
  abandoned.unregister(handle);
  const i = scopeStack.lastIndexOf(handle);
  if (i < 0) return;
  scopeStack.splice(i, 1);
  const parent = scopeStack[i - 1];
  for (const s of handle) {
    if (reason === null || s.kept) {
      if (parent) parent.push(s);
      else s._register();
    } else s.dispose(reason);
  }
  settleViews(handle, parent);
}

/** Take an iteration scope off the stack without freeing anything; `releaseStorages` frees it later. */
export function detachIterationScope(handle: Storage[]): void {
  abandoned.unregister(handle);
  const i = scopeStack.lastIndexOf(handle);
  if (i >= 0) scopeStack.splice(i, 1);
  for (const s of handle) s._register(); // outside every scope now: the collector frees what releaseStorages does not
  settleViews(handle, undefined);
}

/** Free the storages of a detached iteration scope (kept ones are left alone). */
export function releaseStorages(list: readonly Storage[], reason: string): void {
  for (const s of list) if (!s.kept) s.dispose(reason);
}
