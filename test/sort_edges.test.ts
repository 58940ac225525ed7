/**
 * sort/topk (src/ops/sort.ts) at the edges ops_edges leaves open: k against a 0-d input, dims out of range with
 * the op named, and PyTorch's 0-d rule (dims 0 and −1 only; topk(0) of a 0-d tensor still returns its value).
 * Written against the mutants that survived the mutation run of sort.js (tools/mutation/review.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const err = (message: string) => ({ name: 'RangeError', message });

test('topk/sort of a 0-d tensor: k in [0, 1] (PyTorch returns the value for k 0 and 1), dims 0 and −1 only', () => {
  const x = nb.tensor(5, { dtype: 'float64' });
  for (const k of [0, 1]) {
    const r = x.topk(k);
    assert.deepEqual(r.values.shape, []);
    assert.equal(r.values.item(), 5);
    assert.equal(r.indices.item(), 0);
  }
  assert.throws(() => x.topk(2), err('topk: k (2) must be an integer in [0, 1] for input [] along dim -1'));
  assert.throws(() => x.sort(1), err('sort: dim 1 is out of range for a tensor of rank 0 (expected -1..0)'));
  assert.throws(() => x.topk(1, -2), err('topk: dim -2 is out of range for a tensor of rank 0 (expected -1..0)'));
  assert.equal(x.sort(-1).values.item(), 5);
});

test('topk/sort dims out of range name the op', () => {
  const v = nb.tensor([3, 1, 2]);
  assert.throws(() => v.topk(1, 5), err('topk: dim 5 is out of range for a tensor of rank 1 (expected -1..0)'));
  assert.throws(() => v.sort(5), err('sort: dim 5 is out of range for a tensor of rank 1 (expected -1..0)'));
  // the gradient of a 0-d sort is the upstream gradient itself
  const s = nb.tensor(2, { dtype: 'float64', requiresGrad: true });
  s.sort().values.mul(3).backward();
  assert.equal(s.grad!.item(), 3);
});

test('sort/topk on a backend without a sort kernel name the op and the missing kernel', () => {
  const inner = nb.ones([1]).backend;
  const bare = Object.assign(Object.create(inner) as typeof inner, { sort: undefined, name: 'bare' });
  const x = nb.Tensor.fromValues([3, 1, 2], [3], 'float32', bare);
  assert.throws(() => x.sort(), /^Error: sort: the bare backend has no sort kernel \(Backend\.sort\)$/);
  assert.throws(() => x.topk(1), /^Error: topk: the bare backend has no sort kernel \(Backend\.sort\)$/);
});

test('the tangent of a 0-d sort/topk is the input\'s tangent (gather along dim 0 of a 0-d tensor)', () => {
  const x = nb.tensor(2, { dtype: 'float64' }), t = nb.tensor(1.5, { dtype: 'float64' });
  const [y, dy] = nb.func.jvp((a) => a.sort().values.mul(3), [x], [t]);
  assert.deepEqual([y.item(), dy.item(), dy.shape], [6, 4.5, []]);
  const [, dk] = nb.func.jvp((a) => a.topk(1).values, [x], [t]);
  assert.deepEqual([dk.item(), dk.shape], [1.5, []]);
});
