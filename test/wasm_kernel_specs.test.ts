/**
 * The wasm kernel families' specs (src/backends/wasm/kernels/): every family emits functions with distinct names
 * that validate as one module, every job has distinct named fields that fit the pool's control block and
 * survive the float64 slot round trip by name, and job kinds are numbered consistently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOBS, KERNEL_SPECS, jobKind } from '../src/backends/wasm/kernels/index.js';
import { KernelContext } from '../src/backends/wasm/kernels/context.js';
import { MAX_JOB_FIELDS } from '../src/backends/wasm/kernels/spec.js';
import { decodeParams, encodeParams } from '../src/backends/wasm/jobs.js';
import { detectFeatures, emitKernelModule } from '../src/backends/wasm/module.js';

test('kernel families emit distinct functions that form a valid module', () => {
  const names = KERNEL_SPECS.flatMap((s) => s.emit(new KernelContext({ relaxed: false })).map((f) => f.name));
  assert.equal(new Set(names).size, names.length, `duplicate function names: ${names.filter((n, i) => names.indexOf(n) !== i).join(', ')}`);
  assert.equal(new Set(KERNEL_SPECS.map((s) => s.name)).size, KERNEL_SPECS.length);
  if (detectFeatures().simd) {
    const { bytes, constants } = emitKernelModule({ relaxed: false, shared: false, initialPages: 1, maximumPages: 1 });
    assert.ok(WebAssembly.validate(bytes));
    assert.ok(constants.length > 0 && constants.length % 16 === 0);
  }
});

test('jobs: distinct names and fields, within the control block, numbered in order, round trip by name', () => {
  assert.equal(new Set(JOBS.map((j) => j.name)).size, JOBS.length);
  JOBS.forEach((job, kind) => {
    assert.equal(jobKind(job), kind);
    assert.equal(new Set(job.fields).size, job.fields.length, `${job.name}: repeated field`);
    assert.ok(job.fields.length <= MAX_JOB_FIELDS, job.name);
    const p = Object.fromEntries(job.fields.map((k, i) => [k, 1000 * kind + i + 0.5]));
    const slots = Float64Array.from(encodeParams(job, p));
    assert.deepEqual(decodeParams(job, slots), p);
  });
});
