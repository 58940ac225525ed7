/**
 * Run every kernel a few times at start-up, with the warm-up arguments of the kernel families (kernels/index.ts),
 * so that V8 has tiered it up before the program's first real calls. Dynamic tiering starts wasm functions in
 * the baseline compiler and optimises each only after it has run for a while (per instance): without this the
 * first ~10 large matmuls of a session ran 2–4× slower on the workers.
 */
import { KERNEL_SPECS } from './kernels/index.js';
import type { WasmRuntime } from './host/runtime.js';

export async function warmUp(rt: WasmRuntime): Promise<void> {
  // direct calls on this thread: three zeroed blocks of 256 KiB, twelve rounds
  const bytes = 1 << 18;
  const blk = rt.alloc(3 * bytes, true);
  try {
    const scratch = { a: blk.ptr, b: blk.ptr + bytes, c: blk.ptr + 2 * bytes, bytes };
    for (let round = 0; round < 12; round++) for (const spec of KERNEL_SPECS) spec.warmCalls?.(rt.ex, scratch);
  } finally {
    rt.release(blk);
  }

  // jobs, as one chunk per thread so every thread runs (and so tiers up) every kernel; three rounds
  const threads = rt.threads();
  const n = 32768 * threads;
  const a = rt.alloc(4 * n, true), b = rt.alloc(4 * n, true), o = rt.alloc(4 * n, false);
  try {
    for (let round = 0; round < 3; round++) {
      for (const spec of KERNEL_SPECS) {
        for (const w of spec.warmJobs?.({ a: a.ptr, b: b.ptr, o: o.ptr, n, threads, round }) ?? []) {
          for (let r = 0; r < (w.repeat ?? 1); r++) rt.runChunks(w.job, w.params, threads);
        }
      }
      // optimised code is compiled on a background thread: give it a moment to land
      await new Promise((res) => setTimeout(res, 5));
    }
  } finally {
    rt.release(a); rt.release(b); rt.release(o);
  }
}
