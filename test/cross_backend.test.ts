/**
 * Tensors of two backends never mix silently: an op on both raises an error that names the op, both backends and
 * the way to copy a tensor across, and the copy it suggests gives the same values on the other backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { createWasmBackend } from '../src/backends/wasm/index.js';
import type { Backend } from '../src/backends/backend.js';

test('an op on tensors of two backends names both and the copy that fixes it', async () => {
  // the suite runs with either backend current; the other one is made here when it is not registered
  const other = nb.getBackend() === 'ts' ? 'wasm' : 'ts';
  if (!nb.listBackends().includes(other)) nb.registerBackend((await createWasmBackend({ threads: 1 })) as unknown as Backend);
  const a = nb.tensor([1, 2, 3]);
  const here = nb.getBackend();
  await nb.setBackend(other);
  try {
    const b = nb.tensor([10, 20, 30]);
    assert.throws(() => nb.add(a, b), (e: Error) =>
      e.message.startsWith(`add: tensors live on different backends (${here} and ${other})`) &&
      e.message.includes('nb.tensor(await t.dataAsync(), { shape: t.shape, dtype: t.dtype })'));
    // the suggested copy, made while `other` is current, mixes fine
    const a2 = nb.tensor(await a.dataAsync(), { shape: a.shape, dtype: a.dtype });
    assert.deepEqual(Array.from(nb.add(a2, b).data()), [11, 22, 33]);
  } finally {
    await nb.setBackend(here);
  }
});

test('a graph built on a backend that is no longer current: backward, its seed and every gradient stay on that backend; *Like keeps the backend', async () => {
  const other = nb.getBackend() === 'ts' ? 'wasm' : 'ts';
  if (!nb.listBackends().includes(other)) nb.registerBackend((await createWasmBackend({ threads: 1 })) as unknown as Backend);
  const here = nb.getBackend();
  const x = nb.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64', requiresGrad: true });
  const w = nb.tensor([[0.5, -1], [2, 0.25], [1, 1]], { dtype: 'float64', requiresGrad: true });
  await nb.setBackend(other);
  try {
    // the implicit seed of backward() and the rules' constants (pow's 2, softmax's, gelu's) are made on x's backend
    const loss = nb.nn.functional.gelu(x.matmul(w)).softmax(1).pow(2).sum().add(x.exp().div(3).sum());
    loss.backward();
    assert.equal(x.grad!.backend.name, here);
    assert.equal(w.grad!.backend.name, here);
    // the same gradients as with x's backend current
    await nb.setBackend(here);
    const x2 = x.detach().requiresGrad_(true), w2 = w.detach().requiresGrad_(true);
    nb.nn.functional.gelu(x2.matmul(w2)).softmax(1).pow(2).sum().add(x2.exp().div(3).sum()).backward();
    assert.deepEqual(Array.from(x.grad!.data()), Array.from(x2.grad!.data()));
    assert.deepEqual(Array.from(w.grad!.data()), Array.from(w2.grad!.data()));
    await nb.setBackend(other);
    // PyTorch's *_like keep the device: nabla's keep the backend (and the dtype, unless given)
    for (const t of [nb.zerosLike(x), nb.onesLike(x), nb.emptyLike(x), nb.fullLike(x, 7), nb.randLike(x), nb.randnLike(x)]) {
      assert.equal(t.backend.name, here);
      assert.equal(t.dtype, 'float64');
      assert.deepEqual(t.shape, [2, 3]);
    }
    assert.deepEqual(Array.from(nb.fullLike(x, 7, { dtype: 'int32' }).data()), [7, 7, 7, 7, 7, 7]);
    assert.throws(() => nb.fullLike(x, 'x' as never), { name: 'TypeError', message: "fullLike: fillValue must be a number or boolean, got the string 'x'" });
    assert.equal(nb.zeros([2]).backend.name, other, 'plain creation takes the current backend');
  } finally {
    await nb.setBackend(here);
  }
});
