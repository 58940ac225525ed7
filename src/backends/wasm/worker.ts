/**
 * Worker entry: instantiates the kernel module over the shared memory, then serves jobs forever:
 * claim chunks while there are any, otherwise poll briefly and sleep in Atomics.wait on the control
 * block's generation counter. Node passes the init data as workerData; browsers send it as a message.
 */
import { CTL_DONE, CTL_ERR, CTL_EXIT, CTL_GEN, CTL_INTS, CTL_KIND, CTL_MAX_PARAMS, CTL_NEXT, CTL_PARAMS_BYTE, claimChunk, runJob } from './jobs.js';
import { instantiate } from './module.js';

export interface WorkerInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** byte address of the control block */
  ctl: number;
  /** this worker's thread index (the main thread is 0) */
  index: number;
  /** byte address of this worker's GEMM scratch */
  scratch: number;
}

/**
 * How long an idle worker polls for the next job before it sleeps. Kernels of a training step come in
 * bursts a few µs to ~100 µs apart, and waking a parked thread costs tens of µs; but a long poll burns a
 * core the main thread or another process may need: with 2 ms on a busy 2-core VM the spinning worker
 * starved the main thread and a 2-thread CNN step ran 1.7× slower than a 1-thread one (0.1 ms: on par).
 */
const SPIN_MS = 0.1;
/** performance.now() is checked once per this many polls (it costs more than the poll itself) */
const POLLS_PER_CLOCK = 64;

function serve(init: WorkerInit, ready: () => void): void {
  const ex = instantiate(init.module, init.memory);
  const ctl = new Int32Array(init.memory.buffer, init.ctl, CTL_INTS);
  const params = new Float64Array(init.memory.buffer, init.ctl + CTL_PARAMS_BYTE, CTL_MAX_PARAMS);
  ready();
  for (;;) {
    const seen = Atomics.load(ctl, CTL_GEN);
    for (let c = claimChunk(ctl); c >= 0; c = claimChunk(ctl)) {
      // the job cannot complete (and its parameters cannot change) while this chunk is outstanding
      const nchunks = Atomics.load(ctl, CTL_NEXT) >>> 16;
      try {
        runJob(ex, Atomics.load(ctl, CTL_KIND), params, c, nchunks, init.scratch);
      } catch (e) {
        Atomics.store(ctl, CTL_ERR, 1);
        console.error('nabla wasm worker', init.index, e);
      }
      if (Atomics.add(ctl, CTL_DONE, 1) + 1 === nchunks) Atomics.notify(ctl, CTL_DONE);
    }
    if (Atomics.load(ctl, CTL_EXIT) !== 0) return;
    const until = performance.now() + SPIN_MS;
    for (let i = 1; Atomics.load(ctl, CTL_GEN) === seen; i++) {
      if (i % POLLS_PER_CLOCK === 0 && performance.now() >= until) break;
    }
    Atomics.wait(ctl, CTL_GEN, seen);
  }
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
if (isNode) {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (parentPort && workerData) serve(workerData as WorkerInit, () => parentPort.postMessage('ready'));
} else {
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
  scope.onmessage = (e: MessageEvent) => {
    scope.onmessage = null;
    serve(e.data as WorkerInit, () => scope.postMessage('ready'));
  };
}
