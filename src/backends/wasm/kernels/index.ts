/**
 * Every kernel family of the wasm backend, in module order: the kernel module is their emitted functions
 * concatenated, the pool's job kinds are their jobs numbered in this order, and the warm-up runs their
 * warm-up arguments, and the backend's fused kernels run their plans. Adding a family: write its emitter and spec (kernels/spec.ts) and list it here.
 */
import type { FusedPlans, JobSpec, KernelSpec } from './spec.js';
import { gemmSpec } from './gemm.js';
import { unarySpec } from './unary.js';
import { binarySpec, biasActSpec, rowScalarSpec, stepSpec } from './binary.js';
import { axisReduceSpec, reduceSpec } from './reduce.js';
import { optimizerSpec } from './optimizer.js';
import { rowsSpec } from './rows.js';
import { copy4Spec, copyLoopsSpec, zeroBytesSpec } from './copy.js';
import { windowSpec } from './conv.js';
import { gatherScatterSpec } from './gatherScatter.js';
import { halfSpec } from './half.js';
import { attentionSpec } from './attention.js';
import { geluSpec } from './gelu.js';

export const KERNEL_SPECS: readonly KernelSpec[] = [
  gemmSpec, unarySpec, binarySpec, reduceSpec, optimizerSpec, rowsSpec, zeroBytesSpec,
  copyLoopsSpec, windowSpec, rowScalarSpec, axisReduceSpec, gatherScatterSpec, stepSpec, copy4Spec, biasActSpec, halfSpec, attentionSpec, geluSpec,
];

/** every family's fused-kernel plans, by kernel (a kernel planned by two families is a mistake) */
export const FUSED_PLANS: FusedPlans = Object.freeze(KERNEL_SPECS.reduce<Record<string, unknown>>((all, s) => {
  for (const [k, plan] of Object.entries(s.fused ?? {})) {
    if (k in all) throw new Error(`wasm backend: fused kernel ${k} is planned by two kernel families (${s.name} and another)`);
    all[k] = plan;
  }
  return all;
}, {})) as FusedPlans;

/** the pool's job kinds: a job's kind is its index here (the same on every thread) */
export const JOBS: readonly JobSpec[] = KERNEL_SPECS.flatMap((s) => s.jobs ?? []);

const kinds = new Map(JOBS.map((j, i) => [j, i]));
/** the kind number of a job */
export function jobKind(job: JobSpec): number {
  const k = kinds.get(job);
  if (k === undefined) throw new Error(`wasm backend: job ${job.name} belongs to no kernel family in kernels/index.ts`);
  return k;
}
