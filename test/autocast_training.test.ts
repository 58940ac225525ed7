/**
 * Training under autocast, as the jobs run it (`--autocast bfloat16|float16`): the MNIST job reaches the float32
 * run's held-out accuracy within 0.5 points, and a small GPT's loss curve tracks the float32 curve. Same seeds,
 * data order and initialisation in each pair, so the only difference is the low-precision forward (and, for
 * float16, loss scaling by GradScaler).
 *
 * Measured (these seeds): MLP 784-256-10 on 8,334 digits, 2 epochs — wasm: float32 93.04%, bfloat16 92.98%,
 * float16 93.04%; ts: 93.04 / 93.16 / 92.98%. GPT (1 layer, width 32, 300 steps) validation loss, wasm: float32
 * 3.116 3.106 2.835 2.652 2.609 2.605, bfloat16 3.116 3.110 2.892 2.686 2.629 2.623; ts: float32 the same to 3
 * decimals, bfloat16 3.116 3.106 2.846 2.663 2.617 2.612. On the portable backend this file takes ~1.5 min.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nb from '../src/index.js';
import { trainMnist } from '../cli/trainMnist.js';
import { mobyDick, trainGpt, type TrainGptOptions } from '../cli/trainGpt.js';

test('MNIST under bf16 and f16 autocast reaches the float32 accuracy within 0.5 points', async () => {
  const base = { model: 'mlp' as const, epochs: 2, out: null, verbose: false };
  const acc: Record<string, number> = {};
  for (const autocast of ['off', 'bfloat16', 'float16'] as const) acc[autocast] = (await trainMnist({ ...base, autocast })).testAccuracy;
  console.log(`autocast MNIST [${nb.getBackend()}]: float32 ${(100 * acc.off!).toFixed(2)}%, bfloat16 ${(100 * acc.bfloat16!).toFixed(2)}%, float16 ${(100 * acc.float16!).toFixed(2)}%`);
  assert.ok(acc.off! > 0.9, `float32 run reaches ${acc.off}`);
  for (const dt of ['bfloat16', 'float16']) {
    assert.ok(Math.abs(acc[dt]! - acc.off!) <= 0.005, `${dt}: ${acc[dt]} vs float32 ${acc.off}`);
  }
});

test('a GPT trained under bf16 autocast tracks the float32 loss curve', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-gpt-amp-'));
  const textFile = path.join(root, 'text.txt');
  fs.writeFileSync(textFile, mobyDick().slice(0, 30000));
  const base: Partial<TrainGptOptions> = {
    text: textFile, nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 32, batchSize: 16, steps: 300, warmupSteps: 10, lr: 3e-3,
    evalEvery: 50, evalBatches: 4, sampleEvery: 0, checkpointEvery: 0, out: null, verbose: false,
  };
  const f32 = await trainGpt({ ...base });
  const bf16 = await trainGpt({ ...base, autocast: 'bfloat16' });
  const v32 = f32.valCurve.map((p) => p[1]), v16 = bf16.valCurve.map((p) => p[1]);
  console.log(`autocast GPT [${nb.getBackend()}]: val float32 ${v32.map((v) => v.toFixed(3)).join(' ')}; bfloat16 ${v16.map((v) => v.toFixed(3)).join(' ')}`);
  assert.equal(v16.length, v32.length);
  assert.ok(v32[v32.length - 1]! < v32[0]! - 0.3, `the float32 run learns: ${v32}`);
  // where the loss falls steeply (the model leaves the unigram plateau near 3.1) a few steps' lag is ~0.06 nats
  for (let i = 0; i < v32.length; i++) assert.ok(Math.abs(v16[i]! - v32[i]!) < 0.1, `evaluation ${i}: bf16 ${v16[i]} vs float32 ${v32[i]}`);
  assert.ok(Math.abs(v16[v16.length - 1]! - v32[v32.length - 1]!) < 0.03, `final: bf16 ${v16[v16.length - 1]} vs float32 ${v32[v32.length - 1]}`);
  // the runs differ (the forward really ran in bfloat16), just not by much
  assert.notDeepEqual(v16, v32);
  fs.rmSync(root, { recursive: true });
});
