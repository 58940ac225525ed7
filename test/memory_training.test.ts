/**
 * Memory ownership under training: a 10,000-step loop (model, loss, backward, AdamW) inside nb.scope keeps
 * the live storage count and the backend's bytes exactly flat, on whichever backend the suite runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

test('10,000 training steps keep live storages and backend bytes flat', () => {
  const g = new nb.Generator(7);
  const model = new nb.nn.Sequential(new nb.nn.Linear(8, 16, { generator: g }), new nb.nn.GELU(), new nb.nn.Linear(16, 3, { generator: g }));
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-2 });
  const x = nb.randn([32, 8], { generator: g });
  const y = nb.randint(0, 3, [32], { generator: g });
  const step = (): number =>
    nb.scope(() => {
      const loss = nb.crossEntropy(model.call(x) as nb.Tensor, y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    });
  const first = step(); // creates .grad buffers and optimizer state once
  step();
  const before = nb.memory();
  let last = first;
  for (let i = 0; i < 10_000; i++) {
    last = step();
    if (i % 1000 === 999) {
      const now = nb.memory();
      assert.equal(now.numStorages, before.numStorages, `live storages after step ${i + 1}`);
      assert.equal(now.bytes, before.bytes, `backend bytes after step ${i + 1}`);
    }
  }
  assert.ok(last < first * 0.5, `the loop trains: loss ${first} → ${last}`);
});
