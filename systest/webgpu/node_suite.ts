/**
 * The webgpu conformance suite in Node (Dawn through the `webgpu` npm package). Started by
 * systest/webgpu_node.test.ts with VK_ICD_FILENAMES pointing at SwiftShader; run directly on a machine with a GPU:
 *   NABLA_WEBGPU_SUITE=1 node --test dist/systest/webgpu/node_suite.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../../src/index.js';
import { runOpTable, runPoolFlat, runTraining } from './conformance.js';

test('webgpu starts and reports its capabilities', async () => {
  await nb.initBackend('webgpu');
  const caps = nb.backendCapabilities('webgpu');
  console.log(`webgpu adapter: ${caps.device}`);
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

test('MLP and CNN training on webgpu follow the ts backend', async () => {
  const r = await runTraining();
  console.log(`final losses (webgpu, ts): ${JSON.stringify(r.losses)}`);
  assert.deepEqual(r.failures, []);
});

test('1,000 training steps keep the buffer pool flat', async () => {
  const r = await runPoolFlat(1000);
  console.log(`pool: ${JSON.stringify(r.stats)}`);
  assert.deepEqual(r.failures, []);
});
