/**
 * gather / scatterAdd / indexSelect / indexAdd (src/ops/indexing.ts) at the edges the op table leaves open: the
 * tangent of a gradient through padInto (scatterAdd with src larger than its index), empty shapes, dim messages,
 * and tensors of two backends. Written against the mutants that survived the mutation run of indexing.js
 * (tools/mutation/review.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backends/wasm/index.js';
import type { Backend } from '../src/backends/backend.js';

const f64 = (a: nb.NestedArray) => nb.tensor(a, { dtype: 'float64' });
const i32 = (a: nb.NestedArray) => nb.tensor(a, { dtype: 'int32' });
const err = (message: string, name = 'RangeError') => ({ name, message });

test('scatterAdd with src larger than index: the gradient (padInto) is differentiable and carries tangents', () => {
  // only src[:2, :2] is read; f(s) = Σ scatterAdd(s)², so ∇f = 2·s there and 0 elsewhere, and its tangent 2·t there
  const index = i32([[0, 1], [2, 3]]);
  const f = (s: nb.Tensor) => nb.scatterAdd([3, 4], 1, index, s).pow(2).sum();
  const s0 = nb.arange(12, { dtype: 'float64' }).reshape(3, 4);
  const t0 = nb.arange(12, { dtype: 'float64' }).add(100).reshape(3, 4);
  const [g, dg] = nb.func.jvp(nb.func.grad(f) as (s: nb.Tensor) => nb.Tensor, [s0], [t0]);
  assert.deepEqual(g.toArray(), [[0, 2, 0, 0], [8, 10, 0, 0], [0, 0, 0, 0]]);
  assert.deepEqual(dg.toArray(), [[200, 202, 0, 0], [208, 210, 0, 0], [0, 0, 0, 0]]);
  const s = s0.detach().requiresGrad_(true);
  const [gs] = nb.autograd.grad(f(s), [s], { createGraph: true });
  assert.equal(gs!.gradFn?.name, 'padInto');
});

test('empty shapes and dims out of range, each op named', () => {
  assert.deepEqual(nb.scatterAdd([2, 0], 1, nb.zeros([2, 0], { dtype: 'int32' }), nb.zeros([2, 0])).shape, [2, 0]);
  const x = nb.arange(12, { dtype: 'float64' }).reshape(3, 4);
  const i = i32([[0, 1], [2, 3]]);
  assert.throws(() => nb.gather(x, 5, i), err('gather: dim 5 is out of range for a tensor of rank 2 (expected -2..1)'));
  assert.throws(() => nb.scatterAdd([3, 4], 5, i, x), err('scatterAdd: dim 5 is out of range for a tensor of rank 2 (expected -2..1)'));
  assert.throws(() => nb.indexSelect(x, 5, i32([0])), err('indexSelect: dim 5 is out of range for a tensor of rank 2 (expected -2..1)'));
  assert.throws(() => nb.indexAdd([3], 5, i32([0]), nb.ones([1])), err('indexAdd: dim 5 is out of range for a tensor of rank 1 (expected -1..0)'));
  assert.throws(() => nb.indexAdd([3, 2], 0, i32([0]), nb.ones([1, 3])), err('indexAdd: src must have shape [1,2], got [1,3]', 'Error'));
  assert.throws(() => nb.indexAdd([3, 2], 0, i32([0]), nb.ones([2])), err('indexAdd: src must have shape [1,2], got [2]', 'Error'));
});

test('an index on another backend is refused, naming the op', async () => {
  const other = nb.getBackend() === 'ts' ? 'wasm' : 'ts';
  if (!nb.listBackends().includes(other)) nb.registerBackend((await createWasmBackend({ threads: 1 })) as unknown as Backend);
  const x = f64([[1, 2], [3, 4]]);
  const here = nb.getBackend();
  await nb.setBackend(other);
  try {
    const i = i32([[0], [1]]), v = i32([0]);
    // named in the order the op reads its tensors (the index first for scatterAdd and indexAdd)
    const mixed = (op: string) => (e: Error) => e.message.startsWith(`${op}: tensors live on different backends (${here} and ${other})`) ||
      e.message.startsWith(`${op}: tensors live on different backends (${other} and ${here})`);
    assert.throws(() => nb.gather(x, 1, i), mixed('gather'));
    assert.throws(() => nb.scatterAdd([2, 2], 1, i, x), mixed('scatterAdd'));
    assert.throws(() => nb.indexSelect(x, 0, v), mixed('indexSelect'));
    assert.throws(() => nb.indexAdd([2, 2], 0, v, x.index([[0]])), mixed('indexAdd'));
  } finally {
    await nb.setBackend(here);
  }
});
