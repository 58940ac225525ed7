/**
 * nb.distributed's collectives across 3 worker threads, with 64-byte slots so that every tensor moves in
 * several chunks: all-reduce (sum, avg, max, min, product) in float32, float64, int32, bool and bfloat16,
 * broadcast, all-gather (new and in-place); every rank's result is compared with the reduction computed here
 * in rank order with the dtype's rounding. Then the failure modes: a rank that throws, a collective timeout,
 * mismatched collectives, a rank that ends while others wait, a non-zero exit code — each must stop the group
 * with an error naming the rank (the tests' own timeouts catch a hang); and argument errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { N_ELEMS, valuesOf } from './fixtures/dist_worker.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'dist_worker.js');
const WORLD = 3;

function expected(dtype: 'float32' | 'float64' | 'int32', op: string): number[] {
  const round = dtype === 'float32' ? Math.fround : dtype === 'int32' ? (x: number) => x | 0 : (x: number) => x;
  const inputs = Array.from({ length: WORLD }, (_, r) => valuesOf(r, N_ELEMS).map((x) => round(dtype === 'int32' ? Math.round(x) : x)));
  return inputs[0]!.map((_, i) => {
    let acc = inputs[0]![i]!;
    for (let r = 1; r < WORLD; r++) {
      const x = inputs[r]![i]!;
      acc = op === 'sum' || op === 'avg' ? round(acc + x) : op === 'product' ? round(acc * x) : op === 'max' ? Math.max(acc, x) : Math.min(acc, x);
    }
    const v = op === 'avg' ? round(acc / WORLD) : acc;
    return v === 0 ? 0 : v; // JSON writes -0 as 0
  });
}

describe('collectives across 3 ranks (64-byte slots: chunked)', () => {
  test('allReduce, broadcast, allGather give every rank the reference result', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nabla-dist-'));
    try {
      const prefix = join(dir, 'out');
      await nb.distributed.spawn(WORKER, { nproc: WORLD, args: ['collectives', prefix], slotBytes: 64, timeout: 120_000 });
      for (let r = 0; r < WORLD; r++) {
        const got = JSON.parse(readFileSync(`${prefix}.rank${r}.json`, 'utf8')) as Record<string, number[] | number[][]>;
        for (const dtype of ['float32', 'float64', 'int32'] as const) {
          const round = dtype === 'float32' ? Math.fround : dtype === 'int32' ? (x: number) => x | 0 : (x: number) => x;
          for (const op of ['sum', 'avg', 'max', 'min', 'product']) {
            if (op === 'avg' && dtype === 'int32') continue;
            assert.deepEqual(got[`allReduce.${dtype}.${op}`], expected(dtype, op), `rank ${r} allReduce ${dtype} ${op}`);
          }
          assert.deepEqual(got[`broadcast.${dtype}`], valuesOf(2, N_ELEMS).map(round), `rank ${r} broadcast ${dtype}`);
          const all = Array.from({ length: WORLD }, (_, q) => valuesOf(q, N_ELEMS).map(round));
          assert.deepEqual(got[`allGather.${dtype}`], all, `rank ${r} allGather ${dtype}`);
          assert.deepEqual(got[`allGatherInto.${dtype}`], all, `rank ${r} allGather into given tensors ${dtype}`);
        }
        const sumOf = (i: number) => Array.from({ length: WORLD }, (_, q) => valuesOf(q, 12)[i]!).reduce((a, b) => Math.fround(a + b));
        assert.deepEqual(got['allReduce.slice'], valuesOf(r, 12).map((x, i) => (i >= 3 && i < 8 ? sumOf(i) : Math.fround(x))), `rank ${r} allReduce of a slice`);
        // the transposed [4, 3] view of [3, 4]: element (i, j) is base element j·4 + i
        assert.deepEqual(got['allReduce.transposed'], Array.from({ length: 12 }, (_, k) => sumOf((k % 3) * 4 + Math.floor(k / 3))), `rank ${r} allReduce of a transposed view`);
        assert.deepEqual(got['allReduce.version'], [1], `rank ${r}: backward through a tensor all-reduced in place after it was saved refuses`);
        assert.deepEqual(got['allReduce.bool.max'], [1, 0, 1]);
        assert.deepEqual(got['allReduce.bfloat16.sum'], [4.5, 3, -6]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function failure(mode: string, timeout = 120_000): Promise<nb.distributed.WorkerFailedError> {
  try {
    await nb.distributed.spawn(WORKER, { nproc: 2, args: [mode, ''], timeout });
  } catch (e) {
    assert.ok(e instanceof nb.distributed.WorkerFailedError, `a WorkerFailedError, got ${String(e)}`);
    return e;
  }
  assert.fail(`mode ${mode}: spawn resolved, expected a failure`);
}

describe('a failing rank stops the group, naming itself (nothing hangs)', () => {
  test('a rank that throws', { timeout: 60_000 }, async () => {
    const e = await failure('throw');
    assert.equal(e.rank, 1);
    assert.match(e.message, /^rank 1 failed: Error: planted failure in the training step/);
    assert.match(e.message, /rank 0 stopped as a consequence/);
  });
  test('a collective that times out', { timeout: 60_000 }, async () => {
    const e = await failure('timeout', 300);
    assert.equal(e.rank, 0);
    assert.match(e.message, /allReduce on rank 0: timed out after 300 ms waiting for rank 1/);
  });
  test('ranks calling different collectives', { timeout: 60_000 }, async () => {
    const e = await failure('mismatch');
    assert.match(e.message, /collective mismatch at call #1: rank [01] called (allReduce\(4 float32 elements, sum\)|broadcast\(4 float32 elements, src 0\)) but rank [01] called/);
  });
  test('a rank that ends while another waits for it', { timeout: 60_000 }, async () => {
    const e = await failure('early-exit');
    assert.equal(e.rank, 0);
    assert.match(e.message, /allReduce on rank 0: rank 1 exited while this rank waited for it/);
  });
  test('a rank that exits with a non-zero code', { timeout: 60_000 }, async () => {
    const e = await failure('exit-code');
    assert.equal(e.rank, 1);
    assert.match(e.message, /^rank 1 failed: Error: exited with code 3/);
  });
});

describe('argument errors', () => {
  test('using the group before initProcessGroup, and bad init options', () => {
    assert.equal(nb.distributed.isInitialized(), false);
    assert.throws(() => nb.distributed.getRank(), /getRank: the default process group has not been initialized/);
    assert.throws(() => nb.distributed.allReduce(nb.ones([2])), /allReduce: the default process group has not been initialized/);
    assert.throws(() => nb.distributed.initProcessGroup({ worldSize: 2, rank: 0 }), /worldSize 2 needs 2 threads.*nabla run --nproc 2/);
    assert.throws(() => nb.distributed.initProcessGroup({ backend: 'nccl' as 'threads' }), /backend must be 'threads'/);
    assert.throws(() => nb.distributed.initProcessGroup({ world_size: 1 } as never), /did you mean worldSize/);
  });
  test('a world of one: collectives are the identity; bad arguments are named', () => {
    nb.distributed.initProcessGroup();
    try {
      assert.throws(() => nb.distributed.initProcessGroup(), /twice/);
      assert.equal(nb.distributed.getWorldSize(), 1);
      assert.deepEqual(nb.distributed.allReduce(nb.tensor([1, -2]), nb.distributed.ReduceOp.AVG).dataArray(), [1, -2]);
      assert.throws(() => nb.distributed.allReduce(nb.ones([2]), 'mean' as 'avg'), /op must be one of 'sum', 'avg', 'product', 'min', 'max'/);
      assert.throws(() => nb.distributed.allReduce(nb.tensor([1], { dtype: 'int32' }), 'avg'), /'avg' needs a floating-point tensor/);
      assert.throws(() => nb.distributed.broadcast(nb.ones([2]), 1), /broadcast: src must be a rank in \[0, 1\), got 1/);
      assert.throws(() => nb.distributed.allGather([nb.ones([2]), nb.ones([2])], nb.ones([2])), /must be empty or hold worldSize = 1 tensors, got 2/);
      nb.distributed.barrier();
    } finally {
      nb.distributed.destroyProcessGroup();
    }
  });
  test('spawn checks its arguments', async () => {
    await assert.rejects(nb.distributed.spawn('/nonexistent/script.js', { nproc: 2 }), /spawn: script \/nonexistent\/script.js does not exist/);
    await assert.rejects(nb.distributed.spawn(WORKER, { nproc: 0 }), /nproc must be a positive integer, got 0/);
    await assert.rejects(nb.distributed.spawn(WORKER, { nproc: 2, nprocs: 2 } as never), /unknown option 'nprocs'/);
  });
});
