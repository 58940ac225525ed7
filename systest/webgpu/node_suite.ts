/**
 * The webgpu conformance suite in Node (Dawn through the `webgpu` npm package). Started by
 * systest/webgpu_node.test.ts with VK_ICD_FILENAMES pointing at SwiftShader; run directly on a machine with a GPU:
 *   NABLA_WEBGPU_SUITE=1 node --test dist/systest/webgpu/node_suite.js
 */
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import assert from 'node:assert/strict';
import * as nb from '../../src/index.js';
import { runOpTable, runPoolFlat, runTraining } from './conformance.js';
import { runAttention } from './attention.js';
import { runGpt, GPT_SHAPE } from './gpt.js';
import { runGeluBackward } from './gelu.js';
import { loadMnistRaw, stratifiedSplit } from '../../src/data/mnistRaw.js';
import { createWasmBackend } from '../../src/backends/wasm/index.js';
import { createWebGPUBackend, type WebGPUBackend } from '../../src/backends/webgpu/index.js';
import { backendNamed } from '../../src/backends/registry.js';
import type { Backend } from '../../src/backends/backend.js';

test('webgpu starts and reports its capabilities', async () => {
  await nb.initBackend('webgpu');
  const caps = nb.backendCapabilities('webgpu');
  const features = (backendNamed('webgpu') as unknown as WebGPUBackend).adapterFeatures;
  console.log(`webgpu adapter: ${caps.device}; shader-f16: ${features.includes('shader-f16')}`);
  assert.equal(caps.syncRead, false);
  assert.deepEqual([...caps.dtypes], ['float32', 'int32', 'bool']);
});

test('float64 on webgpu is refused by name; sync reads point to the async ones', async () => {
  await nb.setBackend('webgpu');
  try {
    assert.throws(() => nb.tensor([1, 2], { dtype: 'float64' }), /webgpu fromArray: float64 is not supported/);
    const x = nb.tensor([1, 2, 3]);
    assert.throws(() => x.data(), /use await t\.dataAsync\(\)/);
    assert.deepEqual(await x.toArrayAsync(), [1, 2, 3]);
    assert.throws(() => nb.cast(x, 'float64'), /float64 is not supported/);
    // no 16-bit floats on webgpu (no shader-f16 on SwiftShader; no 16-bit kernels): a clear error, also from autocast
    for (const dt of ['float16', 'bfloat16'] as const) {
      const why = new RegExp(`${dt} tensors are not supported on the webgpu backend .*nb\\.autocast\\(\\{ dtype: '${dt}' \\}\\) need the wasm or ts backend`);
      assert.throws(() => nb.zeros([2], { dtype: dt }), why);
      assert.throws(() => x.to(dt), why);
      assert.throws(() => nb.autocast({ dtype: dt }, () => nb.matmul(nb.ones([2, 2]), nb.ones([2, 2]))), why);
    }
    // a buffer beyond the adapter's limits: a clear error naming the kernel and the bytes, before any GPU call
    assert.throws(() => nb.zeros([2 ** 31]), /webgpu alloc: 8589934592 bytes requested for 2147483648 elements exceed the adapter's largest buffer binding/);
    assert.throws(() => nb.matmul(nb.ones([1 << 16, 1]), nb.ones([1, 1 << 16])), /webgpu matmul: 17179869184 bytes requested/);
  } finally {
    await nb.setBackend('ts');
  }
});

test('op table on webgpu: forward vs float64 references, gradients vs ts in float32', async () => {
  const r = await runOpTable();
  console.log(`op table on webgpu: ${r.cases} cases, ${r.gradients} gradients checked`);
  assert.deepEqual(r.failures, []);
  assert.ok(r.cases > 100);
});

test('flash attention in WGSL = the float64 reference kernel: out, lse, dq, dk, dv (causal or not, L ≠ S, batch dims, strided operands)', async () => {
  const r = await runAttention();
  console.log(`attention on webgpu: ${r.cases} cases`);
  assert.deepEqual(r.failures, []);
  assert.equal(r.cases, 8);
});

test('fused GELU backward in WGSL = the float64 reference kernel (edge points, strided g)', async () => {
  const r = await runGeluBackward();
  assert.deepEqual(r.failures, []);
});

test('MLP and CNN training on webgpu follow the ts backend', async () => {
  const r = await runTraining();
  console.log(`final losses (webgpu, ts): ${JSON.stringify(r.losses)}`);
  assert.deepEqual(r.failures, []);
});

test('1,000 training steps keep the buffer pool flat', async () => {
  // storages the earlier cases dropped are freed when the collector finds them: collect them first, so that
  // their release does not land inside the measured window (it once moved blocks in use 76 → 22 there)
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
  const r = await runPoolFlat(1000);
  console.log(`pool: ${JSON.stringify(r.stats)}`);
  assert.deepEqual(r.failures, []);
});

test('short MNIST run (MLP 784-64-10, AdamW, 30 batches of 64 real digits): webgpu reaches wasm\'s loss', async () => {
  const raw = loadMnistRaw();
  const { train } = stratifiedSplit(raw.labels, 0.2, 0);
  const B = 64, steps = 30;
  const batch = (k: number) => {
    // the digits come ordered by class: stride through them (7919 is prime to the split's size) to mix classes
    const idx = Array.from({ length: B }, (_, i) => train[((k * B + i) * 7919) % train.length]!);
    const x = new Float32Array(B * 784);
    idx.forEach((j, r) => x.set(raw.images.subarray(j * 784, (j + 1) * 784), r * 784));
    return { x, y: idx.map((j) => raw.labels[j]!) };
  };
  if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 1 }));
  const run = async (backend: string): Promise<number[]> => {
    await nb.setBackend(backend);
    const g = new nb.Generator(5);
    const model = new nb.nn.Sequential(new nb.nn.Linear(784, 64, { generator: g }), new nb.nn.ReLU(), new nb.nn.Linear(64, 10, { generator: g }));
    const opt = new nb.optim.AdamW(model.parameters(), { lr: 3e-3 });
    const losses: nb.Tensor[] = [];
    for (let k = 0; k < steps; k++) {
      const { x, y } = batch(k);
      const loss = nb.crossEntropy(model.call(nb.tensor(x, { shape: [B, 784] })), nb.tensor(y, { dtype: 'int32' }));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss.detach());
    }
    const out = await Promise.all(losses.map((l) => l.itemAsync()));
    await nb.setBackend('ts');
    return out;
  };
  const gpu = await run('webgpu');
  const cpu = await run('wasm');
  console.log(`MNIST losses webgpu ${gpu[0]!.toFixed(4)} → ${gpu[steps - 1]!.toFixed(4)}, wasm ${cpu[0]!.toFixed(4)} → ${cpu[steps - 1]!.toFixed(4)}`);
  assert.ok(gpu[steps - 1]! < gpu[0]! * 0.6, `loss fell too little on webgpu: ${gpu[0]} → ${gpu[steps - 1]}`);
  for (let k = 0; k < steps; k++) assert.ok(Math.abs(gpu[k]! - cpu[k]!) <= 2e-3 * Math.abs(cpu[k]!) + 1e-4, `step ${k}: webgpu ${gpu[k]} vs wasm ${cpu[k]}`);
});

test('tiny GPT (nn.GPT 2 layers, width 32, char vocab), 40 AdamW steps: webgpu follows wasm step for step', async () => {
  if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 1 }));
  const r = await runGpt('wasm', 40);
  console.log(`GPT ${JSON.stringify(GPT_SHAPE)} losses webgpu ${r.gpu[0]!.toFixed(4)} → ${r.gpu[39]!.toFixed(4)}, wasm ${r.ref[0]!.toFixed(4)} → ${r.ref[39]!.toFixed(4)}`);
  assert.deepEqual(r.failures, []);
});

test('a lost device surfaces as an error naming the kernel, and reads reject instead of hanging', async () => {
  const be = await createWebGPUBackend();
  const x = nb.Tensor.fromValues([1, 2, 3], [3], 'float32', be as unknown as Backend);
  be.device.destroy();
  await be.device.lost;
  assert.throws(() => nb.exp(x), /webgpu exp: the GPU device was lost \(destroyed/);
  await assert.rejects(() => x.dataAsync(), /webgpu read: the GPU device was lost/);
});
