/**
 * nb.autocast: which ops run in bfloat16/float16 and which in float32, values equal to casting by hand, float32
 * master weights and gradients, and a small classifier trained under autocast tracking the float32 run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const bits = (t: nb.Tensor) => Array.from(t.rawData());

test('autocast dispatch: matmul/linear/conv/attention in the low dtype, softmax/norms/losses in float32', () => {
  const g = new nb.Generator(1);
  const x = nb.randn([4, 8], { generator: g });
  const lin = new nb.nn.Linear(8, 5, { generator: g });
  for (const dtype of ['bfloat16', 'float16'] as const) {
    nb.autocast({ dtype }, () => {
      const y = lin.call(x) as nb.Tensor;
      assert.equal(y.dtype, dtype);
      assert.deepEqual(bits(y), bits(nb.linear(x.to(dtype), lin.weight.to(dtype), lin.bias!.to(dtype))), 'linear = linear of the cast inputs');
      assert.equal(x.matmul(x.transpose(0, 1)).dtype, dtype);
      assert.equal(nb.softmax(y, -1).dtype, 'float32');
      assert.equal(nb.logSoftmax(y, -1).dtype, 'float32');
      assert.equal(nb.layerNorm(y, 5).dtype, 'float32');
      assert.equal(nb.crossEntropy(y, nb.tensor([0, 1, 2, 3], { dtype: 'int32' })).dtype, 'float32');
      assert.equal(nb.mseLoss(y, nb.zeros([4, 5])).dtype, 'float32');
      const img = nb.randn([1, 2, 5, 5], { generator: g });
      assert.equal(nb.conv2d(img, nb.randn([3, 2, 3, 3], { generator: g })).dtype, dtype);
      const q = nb.randn([1, 2, 4, 8], { generator: g });
      assert.equal(nb.scaledDotProductAttention(q, q, q).dtype, dtype);
      assert.equal(x.add(1).dtype, 'float32', 'other ops keep their inputs\' dtype');
      assert.equal(x.to('float64').matmul(x.to('float64').transpose(0, 1)).dtype, 'float64', 'float64 is never cast');
      nb.autocast({ enabled: false }, () => assert.equal(lin.call(x).dtype, 'float32'));
    });
  }
  assert.equal(nb.amp.isAutocastEnabled(), false);
  assert.equal((lin.call(x) as nb.Tensor).dtype, 'float32');
  assert.throws(() => nb.autocast({ dtype: 'float64' as never }, () => 0), /autocast: dtype must be 'bfloat16' or 'float16'/);
});

test('master weights and gradients stay float32; training under bf16 autocast tracks float32', () => {
  const g = new nb.Generator(3);
  // four Gaussian blobs in 6-D
  const centers = nb.randn([4, 6], { generator: g }).mul(2);
  const labels = nb.randint(0, 4, [256], { generator: g });
  const xs = nb.indexSelect(centers, 0, labels).add(nb.randn([256, 6], { generator: g }).mul(0.7));
  const train = (amp: boolean) => {
    const mg = new nb.Generator(9);
    const model = new nb.nn.Sequential(new nb.nn.Linear(6, 32, { generator: mg }), new nb.nn.ReLU(), new nb.nn.Linear(32, 4, { generator: mg }));
    const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-2 });
    const scaler = new nb.amp.GradScaler({ enabled: amp });
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const loss = nb.autocast({ dtype: 'bfloat16', enabled: amp }, () => nb.crossEntropy(model.call(xs) as nb.Tensor, labels));
      assert.equal(loss.dtype, 'float32');
      scaler.scale(loss).backward();
      for (const p of model.parameters()) { assert.equal(p.dtype, 'float32'); assert.equal(p.grad!.dtype, 'float32'); }
      scaler.step(opt);
      scaler.update();
      losses.push(loss.item());
    }
    const pred = nb.argmax(model.call(xs) as nb.Tensor, 1);
    const acc = pred.eq(labels).float().mean().item();
    return { losses, acc };
  };
  const fp32 = train(false), bf16 = train(true);
  assert.ok(fp32.acc > 0.9, `float32 accuracy ${fp32.acc}`);
  assert.ok(Math.abs(bf16.acc - fp32.acc) <= 0.02, `bf16 accuracy ${bf16.acc} vs float32 ${fp32.acc}`);
  fp32.losses.forEach((l, i) => assert.ok(Math.abs(bf16.losses[i]! - l) <= 0.05 * Math.max(1, l), `step ${i}: bf16 loss ${bf16.losses[i]} vs ${l}`));
  assert.notDeepEqual(bf16.losses, fp32.losses, 'autocast really changed the arithmetic');
});
