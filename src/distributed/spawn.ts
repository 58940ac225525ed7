/**
 * The launcher (torchrun's job, for threads): `spawn(script, {nproc})` runs the script in nproc worker threads
 * that share one SharedArrayBuffer, each a rank of the 'threads' process group. Each thread's environment has
 * RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE (as torchrun sets them), and NABLA_THREADS = max(1,
 * floor(cores / nproc)) so the ranks' wasm backends together use the machine's cores once (a NABLA_THREADS
 * already in the environment, or the threads option, wins). The promise resolves when every rank's script has
 * finished; if one throws, exits with a non-zero code, or times out in a collective, the group is stopped, the
 * other ranks get a few seconds to unwind and are then terminated, and the promise rejects with a
 * WorkerFailedError naming the rank that failed first and carrying its error. Node only.
 */
import { DEFAULT_SLOT_BYTES, abortGroup, abortInfo, createSharedBuffer, describeError, markExited, type SharedGroupInit } from './shared.js';

export interface SpawnOptions {
  /** number of ranks (worker threads) */
  nproc: number;
  /** the script's arguments (its process.argv[2...]) */
  args?: readonly string[];
  /** milliseconds a collective waits for the other ranks (default 300,000) */
  timeout?: number;
  /** wasm backend threads per rank (default: NABLA_THREADS from the environment, else max(1, floor(cores / nproc))) */
  threads?: number;
  /** bytes of each rank's slot in the shared buffer; larger tensors move in chunks of this size (default 8 MiB) */
  slotBytes?: number;
  /** extra environment variables for every rank */
  env?: Record<string, string>;
  /** milliseconds the other ranks get to unwind after one failed, before they are terminated (default 5,000) */
  graceMs?: number;
}

/** A rank's script failed: `rank` is the first rank that failed, `message` starts with "rank R failed: ". */
export class WorkerFailedError extends Error {
  constructor(readonly rank: number, override readonly cause: unknown, detail: string) {
    super(`rank ${rank} failed: ${detail}`);
    this.name = 'WorkerFailedError';
  }
}

function positiveInt(name: string, v: unknown): number {
  if (!(Number.isInteger(v) && (v as number) >= 1)) throw new RangeError(`spawn: ${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

export async function spawn(script: string, opts: SpawnOptions): Promise<void> {
  if (typeof script !== 'string' || script === '') throw new TypeError('spawn: script must be the path of a JavaScript module');
  if (opts === null || typeof opts !== 'object') throw new TypeError('spawn: options must be an object {nproc, args, timeout, threads, slotBytes, env}');
  for (const k of Object.keys(opts)) {
    if (!['nproc', 'args', 'timeout', 'threads', 'slotBytes', 'env', 'graceMs'].includes(k)) throw new TypeError(`spawn: unknown option '${k}'; expected nproc, args, timeout, threads, slotBytes, env, graceMs`);
  }
  const nproc = positiveInt('nproc', opts.nproc);
  const timeout = opts.timeout ?? 300_000;
  if (!(typeof timeout === 'number' && timeout > 0)) throw new RangeError(`spawn: timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  const args = opts.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw new TypeError('spawn: args must be an array of strings');
  const slotBytes = opts.slotBytes ?? DEFAULT_SLOT_BYTES;
  const graceMs = opts.graceMs ?? 5000;

  const [{ Worker }, os, path, fs, url] = await Promise.all([import('node:worker_threads'), import('node:os'), import('node:path'), import('node:fs'), import('node:url')]);
  const scriptPath = path.resolve(script);
  if (!fs.existsSync(scriptPath)) throw new Error(`spawn: script ${scriptPath} does not exist`);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const threads = opts.threads !== undefined ? positiveInt('threads', opts.threads)
    : process.env.NABLA_THREADS !== undefined ? Number(process.env.NABLA_THREADS)
    : Math.max(1, Math.floor(cores / nproc));
  const sab = createSharedBuffer(nproc, slotBytes);

  return new Promise<void>((resolve, reject) => {
    const errors = new Map<number, unknown>();
    let running = nproc;
    let graceTimer: ReturnType<typeof setTimeout> | null = null;
    const workers = Array.from({ length: nproc }, (_, rank) => {
      const init: SharedGroupInit = { sab, rank, worldSize: nproc, slotBytes, timeout };
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>), ...(opts.env ?? {}),
        RANK: String(rank), WORLD_SIZE: String(nproc), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(nproc), NABLA_THREADS: String(threads),
      };
      return new Worker(new URL('./workerMain.js', import.meta.url), {
        workerData: { nablaDistributed: init, scriptUrl: url.pathToFileURL(scriptPath).href, scriptPath, argv: args },
        env,
      });
    });
    const failed = (rank: number, e: unknown) => {
      if (!errors.has(rank)) errors.set(rank, e);
      abortGroup(sab, rank, describeError(e));
      // the others stop at their next collective; give them a moment to unwind, then end them
      graceTimer ??= setTimeout(() => { for (const w of workers) void w.terminate(); }, graceMs);
    };
    workers.forEach((w, rank) => {
      w.on('error', (e) => failed(rank, e));
      w.on('exit', (code) => {
        // a failure is recorded (and the group stopped in this rank's name) before the others learn it exited
        if (code !== 0 && !errors.has(rank)) failed(rank, new Error(`exited with code ${code}`));
        markExited(sab, rank);
        if (--running > 0) return;
        if (graceTimer) clearTimeout(graceTimer);
        if (errors.size === 0) { resolve(); return; }
        const first = abortInfo(sab);
        const root = first && errors.has(first.rank) ? first.rank : [...errors.keys()][0]!;
        const cause = errors.get(root);
        const others = [...errors.keys()].filter((r) => r !== root);
        const detail = describeError(cause) + (others.length ? `\n(rank ${others.join(', ')} stopped as a consequence)` : '');
        reject(new WorkerFailedError(root, cause, detail));
      });
    });
  });
}
