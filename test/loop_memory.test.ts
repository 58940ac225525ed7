/**
 * Loops that need no scope: each DataLoader iteration frees its temporaries when the next batch is
 * requested, so a plain PyTorch-style loop holds memory flat; reading a freed tensor says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

test('10,000 plain loader steps without nb.scope keep live storages and bytes flat', () => {
  const g = new nb.Generator(7);
  const model = new nb.nn.Linear(4, 1, { generator: g });
  const opt = new nb.optim.SGD(model.parameters(), 0.05);
  const X = nb.randn(40, 4, { generator: g });
  const Y = X.sum(1, true);
  const loader = new nb.data.DataLoader(new nb.data.TensorDataset(X, Y), 4, true, { generator: g });
  let steps = 0;
  let before: ReturnType<typeof nb.memory> | null = null;
  let first = NaN, last = NaN;
  while (steps < 10_000) {
    for (const [x, y] of loader) {
      const loss = nb.mseLoss(model.call(x!), y!);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      steps++;
      if (steps === 1) first = loss.item();
      last = loss.item();
      if (steps === 25) before = nb.memory(); // after the first epochs: grads exist
      if (before && steps % 1000 === 0) {
        const now = nb.memory();
        assert.equal(now.numStorages, before.numStorages, `live storages after step ${steps}`);
        assert.equal(now.bytes, before.bytes, `backend bytes after step ${steps}`);
      }
    }
  }
  assert.ok(last < first * 0.01, `the loop trains: ${first} → ${last}`);
});

test('a tensor from an ended iteration throws saying why and how to keep it; kept ones survive', () => {
  const loader = new nb.data.DataLoader(new nb.data.TensorDataset(nb.arange(8, { dtype: 'float32' })), 2);
  const seen: nb.Tensor[] = [];
  let kept: nb.Tensor | null = null;
  let lastLoss: nb.Tensor | null = null;
  for (const [x] of loader) {
    const s = x!.mul(2).sum();
    seen.push(s);
    if (!kept) kept = nb.keep(x!.mul(10));
    lastLoss = s;
  }
  assert.throws(() => seen[0]!.item(), /was released: it was created inside a DataLoader iteration that has ended.*nb\.keep\(t\).*scopePerBatch: false/);
  assert.deepEqual(kept!.dataArray(), [0, 10]);
  assert.equal(lastLoss!.item(), 2 * (6 + 7)); // the last iteration outlives the loop
  // ...until the loader's next epoch starts
  for (const _ of loader) break;
  assert.throws(() => lastLoss!.item(), /was released/);
});

test('break, exceptions and scopePerBatch: false leave no scope open', () => {
  const loader = new nb.data.DataLoader(new nb.data.TensorDataset(nb.ones(6, 2)), 2);
  for (const _ of loader) break;
  assert.throws(() => { for (const _ of loader) throw new Error('boom'); }, /boom/);
  // a scope opened afterwards still frees what it creates: no iteration scope is left on the stack
  const n0 = nb.memory().numStorages;
  nb.scope(() => { nb.ones(3).add(1); });
  assert.equal(nb.memory().numStorages, n0);
  const collected = [...loader];
  assert.deepEqual(collected.map((b) => (b as nb.Tensor[])[0]!.sum().item()), [4, 4, 4]);
  const plain = new nb.data.DataLoader(new nb.data.TensorDataset(nb.ones(6, 2)), { batchSize: 2, scopePerBatch: false });
  const outs: nb.Tensor[] = [];
  for (const [x] of plain) outs.push(x!.add(1));
  assert.deepEqual(outs[0]!.dataArray(), [2, 2, 2, 2]);
});
