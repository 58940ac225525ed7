/**
 * nn.GPT's `gradientCheckpointing`: the block stack runs under nb.utils.checkpoint in training mode. The loss and
 * every parameter's gradient must be bit-for-bit those of the same step without it — with dropout drawing from the
 * global generator (checkpoint replays it) and from a generator given in the options (the model replays that one
 * itself) — while each block's forward really runs twice (once more during backward) and the activations held
 * after forward shrink. Eval mode and no-grad forwards run the blocks once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const config = { nLayer: 3, nHead: 2, nEmbd: 16, blockSize: 12, vocabSize: 40, dropout: 0.2, bias: true };

/** count calls of every block's forward */
function countBlocks(model: nb.nn.GPT): { n: number } {
  const c = { n: 0 };
  for (const b of model.blocks) {
    const f = b.forward.bind(b);
    b.forward = ((...args: Parameters<typeof f>) => { c.n++; return f(...args); }) as typeof b.forward;
  }
  return c;
}

function step(model: nb.nn.GPT, idx: nb.Tensor, tgt: nb.Tensor, reseed: () => void): { loss: number[]; grads: Map<string, Float64Array | Float32Array>; held: number } {
  model.zeroGrad();
  reseed();
  const before = nb.memory.stats().bytesInUse;
  const { loss } = model.forward(idx, tgt);
  const held = nb.memory.stats().bytesInUse - before;
  loss!.backward();
  const grads = new Map<string, Float64Array | Float32Array>();
  for (const [k, p] of model.namedParameters()) grads.set(k, p.grad!.data().slice() as Float64Array | Float32Array);
  return { loss: [...loss!.data()], grads, held };
}

for (const dtype of ['float64', 'float32'] as const) {
  for (const gen of ['global', 'options'] as const) {
    test(`GPT gradientCheckpointing (${dtype}, dropout from the ${gen} generator): same loss and gradients bitwise, blocks run twice`, () => {
      nb.manualSeed(7);
      const g = gen === 'options' ? new nb.Generator(11) : undefined;
      const model = new nb.nn.GPT(config, { dtype, generator: g });
      const idx = nb.randint(0, config.vocabSize, [2, config.blockSize], { dtype: 'int32' });
      const tgt = nb.randint(0, config.vocabSize, [2, config.blockSize], { dtype: 'int32' });
      const reseed = () => { nb.manualSeed(99); g?.manualSeed(5); };
      const calls = countBlocks(model);
      const plain = step(model, idx, tgt, reseed);
      assert.equal(calls.n, config.nLayer);
      model.gradientCheckpointing = true;
      calls.n = 0;
      const ck = step(model, idx, tgt, reseed);
      assert.equal(calls.n, 2 * config.nLayer, 'each block recomputed once during backward');
      assert.deepEqual(ck.loss, plain.loss);
      for (const [k, want] of plain.grads) assert.deepEqual(ck.grads.get(k), want, `gradient of ${k}`);
      assert.ok(ck.held < plain.held, `held after forward: ${ck.held} with checkpointing, ${plain.held} without`);
      // the dropout masks matter: another seed gives other gradients (the comparison above can fail)
      model.gradientCheckpointing = false;
      const other = step(model, idx, tgt, () => { nb.manualSeed(100); g?.manualSeed(6); });
      assert.notDeepEqual(other.grads.get('transformer.h.0.attn.c_attn.weight'), plain.grads.get('transformer.h.0.attn.c_attn.weight'));
    });
  }
}

test('GPT gradientCheckpointing: eval mode and no-grad forwards run the blocks once; generation still works', () => {
  nb.manualSeed(3);
  const model = new nb.nn.GPT(config);
  model.gradientCheckpointing = true;
  const calls = countBlocks(model);
  const idx = nb.randint(0, config.vocabSize, [1, 5], { dtype: 'int32' });
  nb.noGrad(() => model.forward(idx));
  assert.equal(calls.n, config.nLayer);
  model.eval();
  calls.n = 0;
  model.forward(idx);
  assert.equal(calls.n, config.nLayer);
  const out = model.generate(idx, 3, { temperature: 0 });
  assert.deepEqual(out.shape, [1, 8]);
});
