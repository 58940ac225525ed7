/**
 * Which backend new tensors live on. The registry imports no backend: each backend module registers itself
 * (a ready backend with `registerBackend`, or a factory with `registerBackendFactory` for one whose start is
 * asynchronous, like WebGPU's adapter and device requests). `setBackend` switches; tensors keep the backend
 * they were made on.
 */
import { REQUIRED_KERNELS, capabilitiesOf, type Backend, type BackendCapabilities } from './backend.js';
import { withHalfPrecision } from './halfPrecision.js';

type Factory = () => Promise<Backend>;

const backends = new Map<string, Backend>();
const factories = new Map<string, Factory>();
const starting = new Map<string, Promise<Backend>>();
let current: Backend | null = null;

/** Throws when a backend lacks a required kernel (the contract in backend.ts). */
export function checkBackend(b: Backend): void {
  const missing = REQUIRED_KERNELS.filter((k) => typeof (b as unknown as Record<string, unknown>)[k] !== 'function');
  if (missing.length) throw new Error(`registerBackend: backend "${b.name}" lacks the required kernels ${missing.join(', ')}`);
}

/** Register a ready backend (wrapped so that bfloat16/float16 tensors work on it: see halfPrecision.ts). */
export function registerBackend(b: Backend): void {
  checkBackend(b);
  const wrapped = withHalfPrecision(b);
  backends.set(b.name, wrapped);
  if (current === null) current = wrapped;
}

/** Register a backend that starts asynchronously; `initBackend(name)` or `await setBackend(name)` starts it. */
export function registerBackendFactory(name: string, factory: Factory): void {
  factories.set(name, factory);
}

/** Start a registered backend (once) and return it, without switching to it. */
export async function initBackend(name: string): Promise<Backend> {
  const ready = backends.get(name);
  if (ready) return ready;
  const factory = factories.get(name);
  if (!factory) throw new Error(`initBackend: no backend named "${name}"; registered: ${listBackends().join(', ')}`);
  let p = starting.get(name);
  if (!p) {
    p = factory().then((b) => {
      if (b.name !== name) throw new Error(`initBackend: the factory for "${name}" made a backend named "${b.name}"`);
      registerBackend(b);
      return backends.get(name)!;
    });
    starting.set(name, p);
    p.catch(() => starting.delete(name)); // a failed start may be retried
  }
  return p;
}

/**
 * Make `name` the backend new tensors live on. A started backend is switched to at once (the returned
 * promise is already settled, so `nb.setBackend('ts')` works without await); one that needs an
 * asynchronous start is switched to when `await nb.setBackend(name)` resolves.
 */
export function setBackend(name: string): Promise<void> {
  const b = backends.get(name);
  if (b) {
    current = b;
    return Promise.resolve();
  }
  if (!factories.has(name)) throw new Error(`setBackend: no backend named "${name}"; registered: ${listBackends().join(', ')}`);
  return initBackend(name).then((started) => {
    current = started;
  });
}

export function getBackend(): string {
  return currentBackend().name;
}

export function currentBackend(): Backend {
  if (current === null) throw new Error('nabla: no backend is registered; import nabla from its index (src/index.ts) so the default backends register');
  return current;
}

/** Names of the registered backends, started or not. */
export function listBackends(): string[] {
  return [...new Set([...backends.keys(), ...factories.keys()])];
}

/** The backend object registered under `name` if it has started (undefined otherwise). */
export function backendNamed(name: string): Backend | undefined {
  return backends.get(name);
}

/** What a started backend can do (default: the current one); see BackendCapabilities. */
export function backendCapabilities(name?: string): BackendCapabilities {
  const b = name === undefined ? currentBackend() : backends.get(name);
  if (!b) throw new Error(`backendCapabilities: backend "${name}" is not started${factories.has(name!) ? `; await nb.initBackend('${name}') first` : `; registered: ${listBackends().join(', ')}`}`);
  return capabilitiesOf(b);
}
