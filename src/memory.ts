/**
 * Memory ownership. Most users never call anything here: a tensor's block is returned to its backend
 * when the tensor becomes unreachable (FinalizationRegistry) and the engine frees saved tensors after
 * backward. `scope` frees everything created inside it deterministically (except what it returns and
 * what was kept), for tight loops on backends whose memory the garbage collector cannot see.
 */
import { closeScope, liveStorageCount, openScope, type Storage } from './storage.js';
import { currentBackend } from './backends/registry.js';
import { Tensor } from './tensor.js';

function collect(value: unknown, into: Set<Storage>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    into.add(value.storage);
    if (value.grad) into.add(value.grad.storage);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else for (const v of Object.values(value)) collect(v, into, depth + 1);
}

/** Run fn; free every tensor created inside except those reachable from its result, kept ones, and .grad buffers. */
export function scope<T>(fn: () => T): T {
  openScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(new Set());
    throw e;
  }
  const keepSet = new Set<Storage>();
  collect(result, keepSet);
  closeScope(keepSet);
  return result;
}

/** Exempt a tensor from the enclosing scopes (model parameters, optimizer state). */
export function keep<T extends Tensor>(t: T): T {
  t.storage.kept = true;
  return t;
}

/** Live tensor storages and the current backend's bytes in use. */
export function memory(): { numStorages: number; bytes: number; backend: string } {
  const b = currentBackend();
  return { numStorages: liveStorageCount(), bytes: b.bytesInUse(), backend: b.name };
}
