/**
 * Gradient accumulation: N micro-batches of size B, each loss divided by N and backward'ed into the same .grad
 * buffers, then one optimizer step, equal one step on the batch of N·B (float64, 1e-12), over several steps.
 * The pattern (mean-reduced losses):
 *   opt.zeroGrad(); for (const mb of microBatches) lossFn(model(mb.x), mb.y).div(N).backward(); opt.step();
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

function model(seed: number) {
  const g = new nb.Generator(seed);
  return new nb.nn.Sequential(new nb.nn.Linear(5, 8, { generator: g, dtype: 'float64' }), new nb.nn.GELU(), new nb.nn.Linear(8, 3, { generator: g, dtype: 'float64' }));
}

test('N micro-batches of B = one batch of N·B (float64, 1e-12 over 5 AdamW steps)', () => {
  const N = 4, B = 3, steps = 5;
  const g = new nb.Generator(21);
  const xs = Array.from({ length: steps }, () => nb.randn([N * B, 5], { dtype: 'float64', generator: g }));
  const ys = Array.from({ length: steps }, () => nb.randint(0, 3, [N * B], { generator: g }));
  const big = model(1), small = model(1);
  const optBig = new nb.optim.AdamW(big.parameters(), { lr: 1e-2 });
  const optSmall = new nb.optim.AdamW(small.parameters(), { lr: 1e-2 });
  for (let s = 0; s < steps; s++) {
    optBig.zeroGrad();
    nb.crossEntropy(big.call(xs[s]!) as nb.Tensor, ys[s]!).backward();
    optBig.step();
    optSmall.zeroGrad();
    for (let k = 0; k < N; k++) {
      const x = xs[s]!.narrow(0, k * B, B), y = ys[s]!.narrow(0, k * B, B);
      nb.crossEntropy(small.call(x) as nb.Tensor, y).div(N).backward();
    }
    optSmall.step();
    big.parameters().forEach((p, i) => {
      const a = p.dataArray(), b = small.parameters()[i]!.dataArray();
      a.forEach((v, j) => assert.ok(Math.abs(v - b[j]!) <= 1e-12, `step ${s}, param ${i}[${j}]: ${v} vs ${b[j]}`));
    });
  }
});
