/**
 * A block of backend memory shared by a tensor and all its views.
 *
 * Release: a storage is freed when `dispose()` is called (explicitly, by a `scope`, or by the engine for
 * intermediates it owns) or, failing that, when the garbage collector finds it unreachable (a
 * FinalizationRegistry hands the block back to its backend). The version counter lives here because
 * an in-place write through any view changes what every view sees.
 */
import type { Backend } from './backends/backend.js';
import type { DType } from './dtype.js';

interface Held { backend: Backend; data: unknown; }

let liveStorages = 0;
const finalizer = new FinalizationRegistry<Held>((h) => {
  liveStorages--;
  h.backend.dispose(h.data);
});

/** Scopes collect storages created while they are open so that `scope()` can free them deterministically. */
const scopeStack: Storage[][] = [];

export class Storage {
  /** bumped by every in-place write; saved tensors remember the value they saw */
  version = 0;
  /** set by keep(): a scope closing around this storage leaves it alive */
  kept = false;
  private disposed = false;
  /** why the block was released, when a loop scope released it (shown by the error on a later read) */
  releasedBecause: string | null = null;
  private readonly token = {};

  constructor(readonly backend: Backend, public data: unknown, readonly dtype: DType, readonly size: number) {
    liveStorages++;
    finalizer.register(this, { backend, data }, this.token);
    scopeStack[scopeStack.length - 1]?.push(this);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(reason?: string): void {
    if (this.disposed) return;
    this.disposed = true;
    if (reason) this.releasedBecause = reason;
    finalizer.unregister(this.token);
    liveStorages--;
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
    if (keep.has(s) || s.kept) parent?.push(s);
    else s.dispose();
  }
}

/**
 * Iteration scopes (one per DataLoader batch): like a scope, but closed by handle from wherever it sits on
 * the stack (two loaders iterated in turn interleave their scopes), and abandoned iterators are cleaned up
 * when the garbage collector finds them (their scope then hands its storages to the enclosing scope).
 */
const abandoned = new FinalizationRegistry<Storage[]>((handle) => closeIterationScope(handle, null));

export function openIterationScope(owner?: object): Storage[] {
  const handle: Storage[] = [];
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
    if (reason === null || s.kept) parent?.push(s);
    else s.dispose(reason);
  }
}

/** Take an iteration scope off the stack without freeing anything; `releaseStorages` frees it later. */
export function detachIterationScope(handle: Storage[]): void {
  abandoned.unregister(handle);
  const i = scopeStack.lastIndexOf(handle);
  if (i >= 0) scopeStack.splice(i, 1);
}

/** Free the storages of a detached iteration scope (kept ones are left alone). */
export function releaseStorages(list: readonly Storage[], reason: string): void {
  for (const s of list) if (!s.kept) s.dispose(reason);
}
