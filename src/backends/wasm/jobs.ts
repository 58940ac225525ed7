/**
 * Work that can be split across threads, described by a job kind (kernels/index.ts numbers the jobs of every
 * kernel family) and its named parameters, stored as float64 slots in shared memory in the order of the job's
 * `fields`, so the main thread and the workers run the same code on disjoint parts. Only wasm kernels run
 * here: they see the shared memory directly, so no typed-array views need refreshing after the memory grows.
 */
import type { KernelExports } from './kernelExports.js';
import { JOBS } from './kernels/index.js';
import { MAX_JOB_FIELDS, type JobSpec, type Params } from './kernels/spec.js';

/**
 * Control block (Int32 slots), followed by float64 job parameters at CTL_PARAMS_BYTE.
 * NEXT packs (chunk count << 16) | next unclaimed chunk; DONE counts finished chunks.
 */
export const CTL_GEN = 0, CTL_NEXT = 1, CTL_DONE = 2, CTL_ERR = 3, CTL_KIND = 4, CTL_EXIT = 5;
export const CTL_INTS = 16;
export const CTL_PARAMS_BYTE = 64;
export const CTL_MAX_PARAMS = MAX_JOB_FIELDS;
export const CTL_BYTES = CTL_PARAMS_BYTE + 8 * CTL_MAX_PARAMS;

/** claim the next chunk of the current job: its index, or -1 when none is left */
export function claimChunk(ctl: Int32Array): number {
  for (;;) {
    const v = Atomics.load(ctl, CTL_NEXT);
    const i = v & 0xffff;
    if (i >= v >>> 16) return -1;
    if (Atomics.compareExchange(ctl, CTL_NEXT, v, v + 1) === v) return i;
  }
}

/** the parameter slots of a job, in the order of its fields */
export function encodeParams<F extends string>(job: JobSpec<F>, p: Params<F>): number[] {
  return job.fields.map((k) => p[k]);
}

/** the named parameters of a job from its slots */
export function decodeParams(job: JobSpec, slots: Float64Array): Params<string> {
  const p: Record<string, number> = {};
  job.fields.forEach((k, i) => (p[k] = slots[i]!));
  return p;
}

/** run chunk `part` of `nparts` of the job of kind `kind` whose parameter slots are `slots` */
export function runJob(ex: KernelExports, kind: number, slots: Float64Array, part: number, nparts: number, scratch: number): void {
  const job = JOBS[kind];
  if (!job) throw new Error(`wasm backend: unknown job kind ${kind}`);
  job.run(ex, decodeParams(job, slots), part, nparts, scratch);
}
