/**
 * nb.data.DistributedSampler: PyTorch's partition, padding and drop-last semantics (the index lists below are
 * torch 1.13's output for shuffle=False; systest/sampler_torch.test.ts compares a whole grid with live PyTorch),
 * shuffling from seed + epoch shared by every rank, and use through DataLoader's sampler option.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const ranksOf = (n: number, R: number, opts: nb.data.DistributedSamplerOptions = {}) =>
  Array.from({ length: R }, (_, rank) => [...new nb.data.DistributedSampler({ length: n }, { numReplicas: R, rank, ...opts })]);

describe('DistributedSampler', () => {
  test('partition and padding by repetition (torch 1.13, shuffle false)', () => {
    assert.deepEqual(ranksOf(10, 3, { shuffle: false }), [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]);
    // more padding than data: the list is repeated whole
    assert.deepEqual(ranksOf(2, 5, { shuffle: false }), [[0], [1], [0], [1], [0]]);
    assert.deepEqual(ranksOf(8, 4, { shuffle: false }), [[0, 4], [1, 5], [2, 6], [3, 7]]);
  });
  test('dropLast cuts the tail to a multiple of numReplicas', () => {
    assert.deepEqual(ranksOf(10, 3, { shuffle: false, dropLast: true }), [[0, 3, 6], [1, 4, 7], [2, 5, 8]]);
    assert.deepEqual(ranksOf(2, 5, { shuffle: false, dropLast: true }), [[], [], [], [], []]);
    const s = new nb.data.DistributedSampler({ length: 11 }, { numReplicas: 4, rank: 0, dropLast: true });
    assert.equal(s.length, 2);
    assert.equal(s.totalSize, 8);
  });
  test('shuffle: every rank draws the same permutation from seed + epoch; the shares cover the dataset', () => {
    const n = 23, R = 4;
    const perm = (seed: number, epoch: number) => {
      const shares = Array.from({ length: R }, (_, rank) => {
        const s = new nb.data.DistributedSampler({ length: n }, { numReplicas: R, rank, seed });
        s.setEpoch(epoch);
        return [...s];
      });
      // interleave the shares back into the padded epoch order
      const order: number[] = [];
      for (let i = 0; i < shares[0]!.length; i++) for (let r = 0; r < R; r++) order.push(shares[r]![i]!);
      return order;
    };
    const e0 = perm(7, 0);
    assert.equal(e0.length, 24);
    assert.deepEqual([...e0.slice(0, n)].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), 'the first n positions are a permutation');
    assert.equal(e0[n], e0[0], 'padding repeats the start of the permutation');
    assert.notDeepEqual(e0.slice(0, n), Array.from({ length: n }, (_, i) => i), 'shuffled');
    assert.deepEqual(perm(7, 0), e0, 'same seed and epoch: same order');
    assert.notDeepEqual(perm(7, 1), e0, 'setEpoch changes the order');
    assert.deepEqual(perm(8, 0), perm(7, 1), 'the order depends on seed + epoch');
  });
  test('feeds DataLoader through its sampler option', () => {
    const ds = new nb.data.TensorDataset(nb.arange(10).mul(10));
    const sampler = new nb.data.DistributedSampler(ds, { numReplicas: 3, rank: 1, shuffle: false });
    const loader = new nb.data.DataLoader(ds, { sampler, batchSize: 3, scopePerBatch: false });
    assert.equal(loader.length, 2);
    assert.deepEqual([...loader].map(([x]) => x!.dataArray()), [[10, 40, 70], [0]]);
    assert.throws(() => new nb.data.DataLoader(ds, { sampler, shuffle: true }), /sampler option is mutually exclusive with shuffle/);
  });
  test('bad arguments are named; defaults come from the process group', () => {
    assert.throws(() => new nb.data.DistributedSampler({ length: 4 }, { numReplicas: 2, rank: 2 }), /invalid rank 2, rank should be in the interval \[0, 1\]/);
    assert.throws(() => new nb.data.DistributedSampler({ length: 4 }, { num_replicas: 2 } as never), /did you mean numReplicas/);
    assert.throws(() => new nb.data.DistributedSampler({ length: 4 }), /numReplicas not given and the default process group has not been initialized/);
    nb.distributed.initProcessGroup();
    try {
      const s = new nb.data.DistributedSampler({ length: 4 }, { shuffle: false });
      assert.deepEqual([s.numReplicas, s.rank, [...s]], [1, 0, [0, 1, 2, 3]]);
    } finally {
      nb.distributed.destroyProcessGroup();
    }
  });
});
