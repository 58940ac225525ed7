/**
 * Start-up of the wasm backend: feature detection, the shared memory, the kernel module (compiled straight to
 * V8's optimising tier in Node), the heap, and the worker pool. Returns the runtime the host-side entry points
 * use (host/runtime.ts).
 */
import { Allocator } from './allocator.js';
import { CTL_BYTES, encodeParams } from './jobs.js';
import { GEMM_SCRATCH_BYTES } from './kernels/gemm.js';
import { CONST_BASE, CONST_END } from './kernels/context.js';
import { jobKind } from './kernels/index.js';
import { buildModule, detectFeatures, instantiate, type Features } from './module.js';
import { Pool } from './pool.js';
import type { WasmRuntime } from './host/runtime.js';

export interface SetupOptions {
  threads?: number;
  relaxedSimd?: boolean;
  maxMemoryMB?: number;
  sharedMemory?: boolean;
}

export interface WasmSetup {
  rt: WasmRuntime;
  heap: Allocator;
  features: Features;
  threads: number;
  /** bytes of the pool's control block and the GEMM scratch areas (not counted in bytesInUse) */
  internalBytes: number;
  /** stop the worker threads (the runtime keeps working single-threaded) */
  closePool(): void;
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const PAGE = 65536;
const MAX_PAGES = 65536;

async function defaultThreads(): Promise<number> {
  if (isNode) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/**
 * Compile the kernel modules straight to V8's optimising tier (Node only). By default V8 first runs new
 * wasm code in its baseline compiler (Liftoff) and tiers hot functions up in the background; until that
 * lands, the GEMM runs about 1.6× slower — long enough to spoil the first few hundred small matmuls of a
 * program, or a benchmark that starts right after the backend. With Liftoff off for the duration of our
 * own compiles, `new WebAssembly.Module` returns optimised code (measured: same start-up time, ~190 ms,
 * which the worker threads dominate). The flag is restored at once, so other modules in the process keep
 * the engine's default; a user who chose a Liftoff flag on the command line keeps that choice.
 */
async function topTierCompiler(): Promise<<T>(compile: () => T) => T> {
  if (!isNode) return (compile) => compile();
  // (flags given with NODE_OPTIONS do not show in execArgv)
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('liftoff'))) return (compile) => compile();
  const v8 = await import('node:v8');
  return (compile) => {
    v8.setFlagsFromString('--no-liftoff');
    try {
      return compile();
    } finally {
      v8.setFlagsFromString('--liftoff');
    }
  };
}

export async function setupWasm(opts: SetupOptions): Promise<WasmSetup> {
  if (opts.relaxedSimd && isNode) {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  const topTier = await topTierCompiler();
  const detected = detectFeatures();
  if (!detected.simd) throw new Error('wasm backend: this runtime lacks WebAssembly SIMD');
  const features: Features = {
    ...detected,
    relaxed: detected.relaxed && opts.relaxedSimd !== false,
    shared: detected.shared && opts.sharedMemory !== false,
  };
  let threads = Math.max(1, Math.floor(opts.threads ?? (await defaultThreads())));
  if (!features.shared) threads = 1;
  // 65,536 pages = 4 GiB, all a 32-bit WebAssembly memory can address: kernels compare addresses unsigned
  // (asm.ts forRange) and the host keeps them as non-negative numbers, so blocks above 2 GiB work like any other
  const maximumPages = Math.min(MAX_PAGES, Math.ceil(((opts.maxMemoryMB ?? 4096) * 1024 * 1024) / PAGE));
  const initialPages = Math.min(maximumPages, 64);
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: features.shared } as WebAssembly.MemoryDescriptor);
  const { module, constants } = topTier(() => buildModule({ relaxed: features.relaxed, shared: features.shared, initialPages, maximumPages }));
  const ex = instantiate(module, memory);
  // bytes [CONST_BASE, CONST_END) hold the kernels' vector constants; the heap starts above them
  new Uint8Array(memory.buffer, CONST_BASE).set(constants);
  const heap = new Allocator(memory, CONST_END, maximumPages, (p, n) => ex.zero_bytes!(p, n));

  // internal blocks: the pool's control block and one GEMM scratch per thread (not counted in bytesInUse)
  const ctl = heap.alloc(CTL_BYTES, true);
  const scratch = Array.from({ length: threads }, () => heap.alloc(GEMM_SCRATCH_BYTES, false));
  const internalBytes = heap.bytesInUse();
  let pool: Pool | null = null;
  if (threads > 1) pool = await Pool.create(threads - 1, memory, module, ctl.ptr, scratch.slice(1).map((s) => s.ptr));
  const scratch0 = scratch[0]!.ptr;

  const rt: WasmRuntime = {
    memory,
    ex,
    alloc: (bytes, zero) => heap.alloc(bytes, zero),
    release: (b) => heap.release(b),
    threads: () => (pool ? pool.threads : 1),
    run(job, p) {
      const chunks = pool ? job.chunks(p, pool.threads) : 1;
      if (pool && chunks > 1) pool.run(ex, jobKind(job), encodeParams(job, p), chunks, scratch0);
      else job.run(ex, p, 0, 1, scratch0);
    },
    runChunks(job, p, chunks) {
      if (pool && chunks > 1) pool.run(ex, jobKind(job), encodeParams(job, p), chunks, scratch0);
      else job.run(ex, p, 0, 1, scratch0);
    },
  };
  return {
    rt, heap, features, threads, internalBytes,
    closePool() {
      pool?.close();
      pool = null;
    },
  };
}
