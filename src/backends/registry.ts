/** Which backend new tensors live on. `setBackend` switches it; tensors keep the backend they were made on. */
import type { Backend } from './backend.js';
import { createTsBackend } from './ts/index.js';

const backends = new Map<string, Backend>();
let current: Backend;

export function registerBackend(b: Backend): void {
  backends.set(b.name, b);
}

export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) throw new Error(`setBackend: no backend named "${name}"; registered: ${[...backends.keys()].join(', ')}`);
  current = b;
}

export function getBackend(): string {
  return current.name;
}

export function currentBackend(): Backend {
  return current;
}

export function listBackends(): string[] {
  return [...backends.keys()];
}

const ts = createTsBackend() as Backend;
registerBackend(ts);
current = ts;
