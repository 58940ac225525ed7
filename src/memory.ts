/**
 * Memory ownership. Most users never call anything here: a tensor's block is returned to its backend
 * when the tensor becomes unreachable (FinalizationRegistry) and the engine frees saved tensors after
 * backward. `scope` frees everything created inside it deterministically (except what it returns and
 * what was kept), for tight loops on backends whose memory the garbage collector cannot see.
 */
import { closeScope, liveStorageCount, openScope, type Storage } from './storage.js';
import { currentBackend } from './backends/registry.js';
import { Tensor } from './tensor.js';

/**
 * Every tensor storage (and its .grad's) reachable from a scope's result, at any depth, through arrays,
 * plain objects, class instances, Maps (keys and values) and Sets. Iterative with a visited set, so deep
 * nesting cannot overflow the stack and cycles end.
 */
function collect(value: unknown, into: Set<Storage>): void {
  // the common results first (nothing, a number, a tensor, a flat list of tensors), without the visited set
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) { keepTensor(value, into); return; }
  if (Array.isArray(value) && value.every((x) => x === null || x === undefined || x instanceof Tensor)) {
    for (const x of value) if (x) keepTensor(x, into);
    return;
  }
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Tensor) keepTensor(v, into);
    else if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
    } else if (v instanceof Set || Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (!ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
}

function keepTensor(t: Tensor, into: Set<Storage>): void {
  into.add(t.storage);
  if (t.grad) into.add(t.grad.storage);
}

const NOTHING: ReadonlySet<Storage> = new Set();

/** Run fn; free every tensor created inside except those reachable from its result, kept ones, and .grad buffers. */
export function scope<T>(fn: () => T): T {
  openScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(NOTHING);
    throw e;
  }
  if (result === null || typeof result !== 'object') { closeScope(NOTHING); return result; }
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
