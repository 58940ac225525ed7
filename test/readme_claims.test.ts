/**
 * The README's testable claims, each checked: the first example's printed values (the code below is the
 * README's block, and the test asserts the README still shows it), the SGD-dampening relation to the notes'
 * EMA, and where clipGradNorm_ lives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';

const readme = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md'), 'utf8');

test("README's first example prints what its comments say", () => {
  const shown = [
    "const x = nb.tensor(-2, { requiresGrad: true });",
    "const f = x.add(y.mul(z));   // or nb.add(x, nb.mul(y, z))",
    "console.log(f.item(), x.grad!.item(), y.grad!.item(), z.grad!.item()); // -22 1 -4 5",
    "console.log(String(f));      // tensor(-22., grad_fn=<AddBackward0>)",
  ];
  for (const line of shown) assert.ok(readme.includes(line), `README no longer shows: ${line}`);
  const x = nb.tensor(-2, { requiresGrad: true });
  const y = nb.tensor(5, { requiresGrad: true });
  const z = nb.tensor(-4, { requiresGrad: true });
  const f = x.add(y.mul(z));
  f.backward();
  assert.deepEqual([f.item(), x.grad!.item(), y.grad!.item(), z.grad!.item()], [-22, 1, -4, 5]);
  assert.equal(String(f), 'tensor(-22., grad_fn=<AddBackward0>)');
  const g = nb.add(x, nb.mul(y, z));
  assert.equal(g.item(), -22);
});

test("README: SGD({momentum: β, dampening: β}) is the notes' EMA plus βᵗ·g₁ (not equal to it)", () => {
  assert.ok(readme.includes('at step t the buffer is the EMA plus βᵗ·g₁'), 'README states the relation tested here');
  const beta = 0.9, lr = 0.1;
  const grads = [0.5, -1.25, 2, 0.75, -0.3, 1.1];
  const p = nb.tensor([0], { dtype: 'float64', requiresGrad: true });
  const opt = new nb.optim.SGD([p], { lr, momentum: beta, dampening: beta });
  let theta = 0, ema = 0;
  for (let t = 1; t <= grads.length; t++) {
    p.grad = nb.tensor([grads[t - 1]!], { dtype: 'float64' });
    opt.step();
    ema = beta * ema + (1 - beta) * grads[t - 1]!;
    const buffer = ema + beta ** t * grads[0]!;
    theta -= lr * buffer;
    const got = p.item();
    assert.ok(Math.abs(got - theta) < 1e-14, `step ${t}: θ ${got}, expected ${theta}`);
    // and the pure EMA would give a different parameter at every step
    assert.ok(Math.abs(buffer - ema) > 1e-3, `step ${t}`);
  }
});

test('README: clipGradNorm_ lives at nn.utils.clipGradNorm_', () => {
  assert.ok(readme.includes('`nn.utils.clipGradNorm_`'));
  assert.equal(typeof nb.nn.utils.clipGradNorm_, 'function');
  assert.equal((nb.nn as Record<string, unknown>)['clipGradNorm_'], undefined);
  const w = nb.tensor([3, 4], { dtype: 'float64', requiresGrad: true });
  w.grad = nb.tensor([3, 4], { dtype: 'float64' });
  assert.equal(nb.nn.utils.clipGradNorm_([w], 1), 5);
  // PyTorch's clip coefficient maxNorm / (norm + 1e-6)
  const c = 1 / (5 + 1e-6);
  Array.from(w.grad.data()).forEach((v, i) => assert.ok(Math.abs(v - [3, 4][i]! * c) < 1e-15, `grad[${i}] = ${v}`));
});
