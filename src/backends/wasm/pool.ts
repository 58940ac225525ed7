/**
 * Thread pool over the shared WebAssembly.Memory. The backend API is synchronous, so a parallel job is:
 * write the job into the control block, publish its chunk count, wake the workers, then claim and run
 * chunks on the calling thread too, and finally block until every chunk is done.
 *
 * Chunks are claimed dynamically (a compare-and-swap on one counter), so a worker that is slow to wake
 * or is descheduled — common on small VMs — delays a job by at most one chunk instead of stalling it:
 * the caller simply runs the remaining chunks itself. A worker reads the job's parameters only after it
 * has claimed a chunk, and a job cannot finish while a claimed chunk is outstanding, so a late worker
 * can never run a chunk with another job's parameters.
 *
 * Workers are unref'd: an idle pool never keeps Node alive.
 */
import { CTL_DONE, CTL_ERR, CTL_EXIT, CTL_GEN, CTL_INTS, CTL_KIND, CTL_MAX_PARAMS, CTL_NEXT, CTL_PARAMS_BYTE, claimChunk, runJob } from './jobs.js';
import type { KernelExports } from './kernelExports.js';
import type { WorkerInit } from './worker.js';

interface AnyWorker { terminate(): unknown; }

/**
 * How long the caller polls for the last chunks before it sleeps: long enough to cover the tail of a
 * balanced job, short enough not to compete for the core with a worker that was descheduled.
 */
const SPIN_MS = 0.05;
/** performance.now() is checked once per this many polls */
const POLLS_PER_CLOCK = 64;

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/** Atomics.wait is forbidden on a browser main thread; probing it with a zero timeout tells us. */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class Pool {
  private busy = false;
  private readonly blocking = canBlock();

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly ctlPtr: number,
    private readonly workers: AnyWorker[],
  ) {}

  /** total threads including the caller */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Start `nWorkers` workers; `scratch[i]` is worker i+1's GEMM scratch. Resolves when all are serving. */
  static async create(nWorkers: number, memory: WebAssembly.Memory, module: WebAssembly.Module, ctlPtr: number,
    scratch: number[]): Promise<Pool> {
    const url = new URL('./worker.js', import.meta.url);
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < nWorkers; i++) {
      const init: WorkerInit = { memory, module, ctl: ctlPtr, index: i + 1, scratch: scratch[i]! };
      if (isNode) {
        const { Worker } = await import('node:worker_threads');
        const w = new Worker(url, { workerData: init });
        w.unref();
        workers.push(w);
        ready.push(new Promise((res, rej) => {
          w.once('message', () => res());
          w.once('error', rej);
          w.once('exit', (code) => rej(new Error(`wasm worker exited during start-up (code ${code})`)));
        }));
      } else {
        // written out in full (not `url`) so bundlers (Vite, webpack) see the worker and bundle it with its imports
        const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
        w.postMessage(init);
        workers.push(w);
        ready.push(new Promise((res, rej) => {
          w.onmessage = () => res();
          w.onerror = (e) => rej(new Error(`wasm worker failed to start: ${e.message}`));
        }));
      }
    }
    await Promise.all(ready);
    return new Pool(memory, ctlPtr, workers);
  }

  /** Run job `kind` as `nchunks` chunks shared by all threads (this one included); returns when all are done. */
  run(ex: KernelExports, kind: number, params: readonly number[], nchunks: number, scratch0: number): void {
    if (this.busy) throw new Error('wasm pool: re-entrant parallel job');
    if (params.length > CTL_MAX_PARAMS) throw new Error('wasm pool: too many job parameters');
    if (!(nchunks >= 1 && nchunks < 0x8000)) throw new Error(`wasm pool: bad chunk count ${nchunks}`);
    const ctl = new Int32Array(this.memory.buffer, this.ctlPtr, CTL_INTS);
    const p = new Float64Array(this.memory.buffer, this.ctlPtr + CTL_PARAMS_BYTE, CTL_MAX_PARAMS);
    this.busy = true;
    let mainError: unknown = null;
    try {
      // parameters first: a worker reads them only after claiming a chunk, which the next store enables
      p.set(params);
      Atomics.store(ctl, CTL_KIND, kind);
      Atomics.store(ctl, CTL_ERR, 0);
      Atomics.store(ctl, CTL_DONE, 0);
      Atomics.store(ctl, CTL_NEXT, nchunks << 16);
      Atomics.add(ctl, CTL_GEN, 1);
      Atomics.notify(ctl, CTL_GEN);
      for (let c = claimChunk(ctl); c >= 0; c = claimChunk(ctl)) {
        try {
          runJob(ex, kind, p, c, nchunks, scratch0);
        } catch (e) {
          mainError ??= e;
        }
        Atomics.add(ctl, CTL_DONE, 1);
      }
      // chunks still running on workers: poll briefly (they are short), then sleep
      let until = -1;
      for (let i = 1, v = Atomics.load(ctl, CTL_DONE); v !== nchunks; i++, v = Atomics.load(ctl, CTL_DONE)) {
        if (!this.blocking || i % POLLS_PER_CLOCK !== 0) continue;
        const now = performance.now();
        if (until < 0) until = now + SPIN_MS;
        else if (now > until) Atomics.wait(ctl, CTL_DONE, v, 50);
      }
    } finally {
      this.busy = false;
    }
    if (mainError) throw mainError;
    if (Atomics.load(ctl, CTL_ERR) !== 0) throw new Error('wasm backend: a worker failed (see stderr)');
  }

  /** Ask the workers to exit (they are unref'd, so this only releases the threads early). */
  close(): void {
    if (this.workers.length === 0) return;
    const ctl = new Int32Array(this.memory.buffer, this.ctlPtr, CTL_INTS);
    Atomics.store(ctl, CTL_EXIT, 1);
    Atomics.add(ctl, CTL_GEN, 1);
    Atomics.notify(ctl, CTL_GEN);
    this.workers.length = 0;
  }
}
