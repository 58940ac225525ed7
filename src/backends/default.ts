/**
 * Picks the backend new tensors live on when nabla is imported: the WebAssembly SIMD backend wherever the
 * runtime has WebAssembly SIMD, the portable TypeScript backend otherwise.
 *
 * Overrides (Node only, read once at import):
 *   NABLA_BACKEND=ts|wasm     force a backend ("wasm" fails loudly where it cannot start)
 *   NABLA_THREADS=n           threads of the wasm backend's pool (default: all cores)
 *   NABLA_RELAXED_SIMD=0      keep the plain-SIMD matmul even where relaxed-SIMD FMA is available
 * `nb.setBackend(name)` switches at any time afterwards; tensors keep the backend they were made on.
 */
import { registerBackend, setBackend } from './registry.js';
import { createWasmBackend, wasmAvailable } from './wasm/index.js';
import type { Backend } from './backend.js';

const env: Record<string, string | undefined> =
  typeof process === 'object' && process !== null && typeof process.env === 'object' ? process.env : {};

export async function initDefaultBackend(): Promise<void> {
  const wanted = env.NABLA_BACKEND;
  if (wanted !== undefined && wanted !== 'ts' && wanted !== 'wasm') {
    throw new Error(`nabla: NABLA_BACKEND must be "ts" or "wasm", got "${wanted}"`);
  }
  if (wanted === 'ts') return; // the registry starts on the portable backend
  if (!wasmAvailable()) {
    if (wanted === 'wasm') throw new Error('nabla: NABLA_BACKEND=wasm but this runtime lacks WebAssembly SIMD');
    return;
  }
  const threadsEnv = env.NABLA_THREADS;
  const threads = threadsEnv === undefined ? undefined : Number(threadsEnv);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`nabla: NABLA_THREADS must be a positive integer, got "${threadsEnv}"`);
  }
  try {
    const wasm = await createWasmBackend({ threads, relaxedSimd: env.NABLA_RELAXED_SIMD !== '0' });
    registerBackend(wasm as Backend);
    setBackend(wasm.name);
  } catch (e) {
    if (wanted === 'wasm') throw e;
    // a runtime that validates SIMD but cannot start the backend (e.g. memory limits) keeps the portable one
  }
}
