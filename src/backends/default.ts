/**
 * Registers the backends nabla ships and picks the one new tensors live on when nabla is imported: the
 * WebAssembly SIMD backend wherever the runtime has WebAssembly SIMD, the portable TypeScript backend
 * otherwise. WebGPU is registered as a factory and started only when selected (`await nb.setBackend('webgpu')`),
 * so its module — and in Node the optional `webgpu` package — is loaded only then.
 *
 * Overrides (Node only, read once at import):
 *   NABLA_BACKEND=ts|wasm|webgpu   force a backend ("wasm"/"webgpu" fail loudly where they cannot start)
 *   NABLA_THREADS=n                threads of the wasm backend's pool (default: all cores)
 *   NABLA_RELAXED_SIMD=0           keep the plain-SIMD matmul even where relaxed-SIMD FMA is available
 * `nb.setBackend(name)` switches at any time afterwards; tensors keep the backend they were made on.
 */
import { registerBackend, registerBackendFactory, setBackend } from './registry.js';
import { createTsBackend } from './ts/index.js';
import { createWasmBackend, wasmAvailable } from './wasm/index.js';
import type { Backend } from './backend.js';

const env: Record<string, string | undefined> =
  typeof process === 'object' && process !== null && typeof process.env === 'object' ? process.env : {};

registerBackend(createTsBackend() as Backend);
registerBackendFactory('webgpu', async () => {
  const { createWebGPUBackend } = await import('./webgpu/index.js');
  return (await createWebGPUBackend()) as unknown as Backend;
});

export async function initDefaultBackend(): Promise<void> {
  const wanted = env.NABLA_BACKEND;
  if (wanted !== undefined && wanted !== 'ts' && wanted !== 'wasm' && wanted !== 'webgpu') {
    throw new Error(`nabla: NABLA_BACKEND must be "ts", "wasm" or "webgpu", got "${wanted}"`);
  }
  if (wanted === 'ts') return; // the first registered backend is the portable one
  if (wanted === 'webgpu') {
    await setBackend('webgpu');
    return;
  }
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
    await setBackend(wasm.name);
  } catch (e) {
    if (wanted === 'wasm') throw e;
    // a runtime that validates SIMD but cannot start the backend (e.g. memory limits) keeps the portable one
  }
}
