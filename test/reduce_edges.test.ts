/**
 * Reductions (src/ops/reduce.ts) at the edges ops_edges leaves open: a zero-size dim among several reduced dims,
 * max/min given an options object without a dim, and the mean of an integer tensor (float32; PyTorch 1.13 refuses
 * it). Written against the mutants that survived the mutation run of reduce.js (tools/mutation/review.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

test('amax/amin over several dims refuse a zero-size one among them', () => {
  assert.throws(() => nb.amax(nb.zeros([0, 3]), [0, 1]), { message: 'amax: cannot reduce over a zero-size dimension of shape [0,3]' });
  assert.throws(() => nb.amin(nb.zeros([3, 0]), [0, 1]), { message: 'amin: cannot reduce over a zero-size dimension of shape [3,0]' });
  assert.deepEqual(nb.amax(nb.zeros([2, 0]), 0).shape, [0]); // the zero-size dim is kept, not reduced
});

test('max/min with an options object: keepdim needs a dim, and no dim at all is an arity error', () => {
  const x = nb.tensor([[1, 5], [3, 2]]);
  assert.throws(() => x.max({ keepdim: true } as never), { name: 'TypeError', message: 'max: keepdim needs a dim' });
  assert.throws(() => x.min({ keepdim: false } as never), { name: 'TypeError', message: 'min: keepdim needs a dim' });
  assert.throws(() => x.max({} as never), { message: 'max: expected 2 to 3 arguments max(input, dim, keepdim?), got 1' });
  assert.deepEqual([...(x.max({ dim: 1 } as never) as unknown as { values: nb.Tensor }).values.data()], [5, 3]);
});

test('mean of an int32 tensor computes in float32', () => {
  const m = nb.mean(nb.tensor([[1, 2], [4, 8]], { dtype: 'int32' }));
  assert.equal(m.dtype, 'float32');
  assert.equal(m.item(), 3.75);
  const r = nb.mean(nb.tensor([[1, 2], [4, 8]], { dtype: 'int32' }), 1);
  assert.deepEqual([...r.data()], [1.5, 6]);
});
