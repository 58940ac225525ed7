/**
 * DistributedDataParallel({ findUnusedParameters: true }) with 2 ranks (worker threads): head b is used by rank 0
 * in some steps, by rank 1 in others and by neither in the rest, head c never. After 9 SGD-with-momentum steps
 * every rank must hold the parameters of one process that minimises (1/2)·(loss_0 + loss_1) on both shards
 * (float64, 1e-12): locally unused parameters are reduced as zeros, and head c — unused everywhere — keeps no
 * gradient and its initial weights. Without the option, the next forward names the parameters that got no
 * gradient (in a world of one, in-process).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { referenceRun, ThreeHeads } from './fixtures/ddp_unused.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ddp_unused.js');

describe('DistributedDataParallel findUnusedParameters', () => {
  test('2 ranks with rank-dependent unused heads equal single-process training; a head no rank uses keeps its weights', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nabla-ddp-unused-'));
    try {
      const prefix = join(dir, 'out');
      await nb.distributed.spawn(WORKER, { nproc: 2, args: [prefix], timeout: 60_000 });
      const ranks = [0, 1].map((r) => JSON.parse(readFileSync(`${prefix}.rank${r}.json`, 'utf8')) as Record<string, number[]>);
      const ref = referenceRun(2);
      const init = Object.fromEntries(new ThreeHeads(0).namedParameters().map(([k, p]) => [k, p.dataArray() as number[]]));
      assert.deepEqual(ranks[1], ranks[0], 'both ranks hold the same parameters');
      for (const [k, want] of Object.entries(ref)) {
        const got = ranks[0]![k]!;
        const d = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
        assert.ok(d <= 1e-12, `${k}: max |DDP − single process| = ${d}`);
      }
      assert.notDeepEqual(ref['b.weight'], init['b.weight'], 'head b was trained');
      assert.deepEqual(ranks[0]!['c.weight'], init['c.weight'], 'head c (never used) keeps rank 0\'s initial weights');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without it, the forward after a backward that left a parameter without gradient names it; with it, the unused one keeps grad null', () => {
    nb.distributed.initProcessGroup({ backend: 'threads', worldSize: 1, rank: 0 });
    try {
      const x = nb.randn([3, 4], { dtype: 'float64' }), y = nb.randn([3, 1], { dtype: 'float64' });
      const plain = new nb.nn.parallel.DistributedDataParallel(new ThreeHeads(1));
      nb.mseLoss(plain.call(x, false) as nb.Tensor, y).backward();
      assert.throws(() => plain.call(x, false), /received no gradient in the last backward: c\.bias, c\.weight, b\.bias, b\.weight\b.*findUnusedParameters: true/s);
      const found = new nb.nn.parallel.DistributedDataParallel(new ThreeHeads(1), { findUnusedParameters: true });
      const m = (found as unknown as { module: ThreeHeads }).module;
      for (let i = 0; i < 2; i++) {
        nb.mseLoss(found.call(x, false) as nb.Tensor, y).backward();
        assert.equal(m.c.weight.grad, null);
        assert.ok(m.a.weight.grad !== null);
      }
      assert.throws(() => new nb.nn.parallel.DistributedDataParallel(new ThreeHeads(1), { find_unused_parameters: true } as never), /did you mean findUnusedParameters/);
      assert.throws(() => new nb.nn.parallel.DistributedDataParallel(new ThreeHeads(1), { findUnusedParameters: 1 } as never), /findUnusedParameters must be true or false/);
    } finally {
      nb.distributed.destroyProcessGroup();
    }
  });
});
