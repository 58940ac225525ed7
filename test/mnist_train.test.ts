/**
 * A short, real MNIST training run in the test suite: a 784→64→10 MLP trained with AdamW on the 10,000
 * digits of nb.datasets.mnist(), seeded end to end (split, init, shuffling), so the numbers are the same on
 * every run of a given backend. The loss must really fall and the held-out accuracy must be real.
 *
 * Measured (this seed; the 'ts' and 'wasm' backends agree to ~1e-6): mean loss over the first 50 steps 1.001,
 * over the last 50 steps 0.2072, held-out accuracy 91.9% (1,667 digits). Over 8 other init/shuffle seeds the
 * last-50 mean loss ranged 0.209–0.260 and the accuracy 91.2–92.7%. The thresholds (last-50 loss < 0.35,
 * accuracy > 88%) sit well outside that spread while still failing for a model that does not learn
 * (chance: loss ln 10 ≈ 2.30, accuracy ≈ 10%) or learns badly (e.g. lr 1e-3: 0.301 / 90.2%, still passing;
 * a broken optimizer or gradient is far above). Wall time on a 2-core machine: about 4–6 s on either backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const STEPS = 300;
const BATCH = 64;
const LR = 3e-3;

class MLP extends nb.nn.Module {
  fc1: nb.nn.Linear;
  fc2: nb.nn.Linear;
  constructor(gen: nb.Generator) {
    super();
    this.fc1 = new nb.nn.Linear(784, 64, { generator: gen });
    this.fc2 = new nb.nn.Linear(64, 10, { generator: gen });
  }
  forward(x: nb.Tensor): nb.Tensor {
    return this.fc2.call(this.fc1.call(x).relu());
  }
}

function trainMnist(): { losses: number[]; lastMean: number; firstMean: number; testAccuracy: number; ms: number } {
  const t0 = performance.now();
  const { train, test: held } = nb.datasets.mnist({ flatten: true, seed: 0 });
  const gen = new nb.Generator(1234);
  const model = new MLP(gen);
  const opt = new nb.optim.AdamW(model.parameters(), { lr: LR, weightDecay: 0.01 });
  const loader = new nb.data.DataLoader(new nb.data.TensorDataset(train.images, train.labels), {
    batchSize: BATCH, shuffle: true, dropLast: true, generator: new nb.Generator(99),
  });
  const losses: number[] = [];
  while (losses.length < STEPS) {
    for (const [xb, yb] of loader) {
      if (losses.length >= STEPS) break;
      losses.push(nb.scope(() => {
        opt.zeroGrad();
        const loss = nb.nn.functional.crossEntropy(model.call(xb!), yb!);
        loss.backward();
        opt.step();
        return loss.item();
      }));
    }
  }
  model.eval();
  const testAccuracy = nb.noGrad(() => nb.scope(() => model.call(held.images).argmax(1).eq(held.labels).float().mean().item()));
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  return { losses, firstMean: mean(losses.slice(0, 50)), lastMean: mean(losses.slice(-50)), testAccuracy, ms: performance.now() - t0 };
}

test('MNIST: 784→64→10 MLP, AdamW, 300 steps of 64: last-50 mean loss < 0.35, held-out accuracy > 88%', () => {
  const r = trainMnist();
  // a diagnostic line in the test output (not asserted: no timing assertions)
  console.log(`mnist_train [${nb.getBackend()}]: first-50 loss ${r.firstMean.toFixed(4)}, last-50 loss ${r.lastMean.toFixed(4)}, held-out accuracy ${(r.testAccuracy * 100).toFixed(1)}%, ${Math.round(r.ms)} ms`);
  assert.equal(r.losses.length, STEPS);
  assert.ok(r.losses.every(Number.isFinite), 'every loss is finite');
  // the first step starts from an untrained network: loss near ln 10
  assert.ok(Math.abs(r.losses[0]! - Math.log(10)) < 0.15, `first loss ${r.losses[0]} (ln 10 = 2.303)`);
  assert.ok(r.lastMean < 0.35, `mean training loss over the last 50 steps ${r.lastMean} (measured 0.207)`);
  assert.ok(r.lastMean < r.firstMean / 3, `loss fell from ${r.firstMean} to ${r.lastMean}`);
  assert.ok(r.testAccuracy > 0.88, `held-out accuracy ${r.testAccuracy} (measured 0.919)`);
});
