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
