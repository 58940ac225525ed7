/**
 * DistributedDataParallel against single-process training: N ranks (worker threads started by
 * nb.distributed.spawn) each train on a disjoint 1/N shard of every step's batch, starting from different random
 * weights; after 20 steps every rank's parameters must equal (1) each other's, bit for bit, and (2) those of one
 * process trained on the whole batch from rank 0's initial weights. In float64 the only difference is the
 * order of the floating-point sums (mean of shard means vs. mean of the batch), so the tolerance is 1e-12; in
 * float32, 2e-5. Gradient accumulation with noSync (2 micro-batches per rank) must give the same result.
 * Also, in-process with a world of one: state-dict keys, bucket assignment, the unused-parameter error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { makeModel, referenceRun, type RunConfig } from './fixtures/ddp_setup.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ddp_worker.js');

function maxDiff(a: number[][], b: number[][]): number {
  assert.equal(a.length, b.length);
  let d = 0;
  a.forEach((row, i) => {
    assert.equal(row.length, b[i]!.length);
    row.forEach((v, j) => { d = Math.max(d, Math.abs(v - b[i]![j]!)); });
  });
  return d;
}

async function ddpRuns(nproc: number, configs: RunConfig[]): Promise<Record<string, number[][]>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-ddp-'));
  try {
    const prefix = join(dir, 'out');
    await nb.distributed.spawn(WORKER, { nproc, args: [prefix, JSON.stringify(configs)], timeout: 120_000 });
    return Array.from({ length: nproc }, (_, r) => JSON.parse(readFileSync(`${prefix}.rank${r}.json`, 'utf8')) as Record<string, number[][]>);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function check(ranks: Record<string, number[][]>[], cfg: RunConfig, tol: number): void {
  const ref = referenceRun(cfg);
  // the run must actually have moved the weights away from rank 0's start
  assert.ok(maxDiff(ref, makeModel(cfg.dtype, 0).parameters().map((p) => p.dataArray())) > 1e-2, `${cfg.name}: training changed the weights`);
  ranks.forEach((r, i) => {
    assert.deepEqual(r[cfg.name], ranks[0]![cfg.name], `${cfg.name}: rank ${i} holds the same parameters as rank 0`);
  });
  const d = maxDiff(ranks[0]![cfg.name]!, ref);
  assert.ok(d <= tol, `${cfg.name}: max |DDP − single process| = ${d} > ${tol}`);
}

describe('DistributedDataParallel equals single-process training on the concatenated batch', () => {
  const two: RunConfig[] = [
    { name: 'sgd-momentum-f64', dtype: 'float64', optimizer: 'sgd', steps: 20, globalBatch: 16 },
    { name: 'nosync-accum-f64', dtype: 'float64', optimizer: 'sgd', steps: 20, globalBatch: 16, accum: 2 },
    { name: 'adamw-f32', dtype: 'float32', optimizer: 'adamw', steps: 20, globalBatch: 16 },
  ];
  test('2 ranks: SGD with momentum (float64), noSync accumulation (float64), AdamW (float32)', { timeout: 120_000 }, async () => {
    const ranks = await ddpRuns(2, two);
    check(ranks, two[0]!, 1e-12);
    check(ranks, two[1]!, 1e-12);
    check(ranks, two[2]!, 2e-5);
  });

  const four: RunConfig[] = [
    // a 1-byte cap puts every parameter in its own bucket: 6 all-reduces per step, reduced in reverse order
    { name: 'adamw-f64-small-buckets', dtype: 'float64', optimizer: 'adamw', steps: 20, globalBatch: 16, bucketCapMb: 1e-6 },
  ];
  test('4 ranks: AdamW (float64), one bucket per parameter', { timeout: 120_000 }, async () => {
    const ranks = await ddpRuns(4, four);
    check(ranks, four[0]!, 1e-12);
  });
});

describe('DistributedDataParallel in a world of one', () => {
  test('state-dict keys carry the module. prefix; forward delegates; buckets by size in reverse order', () => {
    nb.distributed.initProcessGroup({ backend: 'threads', worldSize: 1, rank: 0 });
    try {
      const model = makeModel('float64', 3);
      const ddp = new nb.nn.parallel.DistributedDataParallel(model, { bucketCapMb: 1e-6 });
      assert.deepEqual(Object.keys(ddp.stateDict()), Object.keys(model.stateDict()).map((k) => `module.${k}`));
      const x = nb.randn([4, 6], { dtype: 'float64' });
      assert.deepEqual(ddp.call(x).dataArray(), model.call(x).dataArray());
      // reverse registration order: the last Linear's bias first
      const names = model.namedParameters().map(([n]) => n).reverse();
      assert.deepEqual(ddp._buckets.map((b) => b.names), names.map((n) => [n]));
      const one = new nb.nn.parallel.DistributedDataParallel(model);
      assert.deepEqual(one._buckets.map((b) => b.names), [names]);
      // a parameter that got no gradient: the next forward says which
      class TwoHeads extends nb.nn.Module {
        a = new nb.nn.Linear(6, 3).double();
        b = new nb.nn.Linear(6, 3).double();
        forward(t: nb.Tensor): nb.Tensor { return this.a.call(t); }
      }
      const partial = new nb.nn.parallel.DistributedDataParallel(new TwoHeads());
      partial.call(x).sum().backward(); // b's parameters get no gradient
      assert.throws(() => partial.call(x), /finished reduction in the prior iteration.*b\.bias, b\.weight/);
    } finally {
      nb.distributed.destroyProcessGroup();
    }
  });

  test('bad options are named', () => {
    assert.throws(() => new nb.nn.parallel.DistributedDataParallel(makeModel('float32', 0)), /process group has not been initialized/);
    nb.distributed.initProcessGroup();
    try {
      assert.throws(() => new nb.nn.parallel.DistributedDataParallel(makeModel('float32', 0), { bucket_cap_mb: 1 } as never), /did you mean bucketCapMb/);
      assert.throws(() => new nb.nn.parallel.DistributedDataParallel(makeModel('float32', 0), { bucketCapMb: 0 }), /bucketCapMb must be a positive/);
    } finally {
      nb.distributed.destroyProcessGroup();
    }
  });
});
