import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

test('f = x + y·z at (−2, 5, −4)', () => {
  const x = nb.tensor(-2, { requiresGrad: true });
  const y = nb.tensor(5, { requiresGrad: true });
  const z = nb.tensor(-4, { requiresGrad: true });
  const f = x.add(y.mul(z));
  f.backward();
  assert.equal(f.item(), -22);
  assert.equal(x.grad!.item(), 1);
  assert.equal(y.grad!.item(), -4);
  assert.equal(z.grad!.item(), 5);
});
