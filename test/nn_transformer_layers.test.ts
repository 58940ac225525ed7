/**
 * TransformerEncoderLayer / TransformerEncoder / TransformerDecoderLayer / TransformerDecoder and
 * nn.utils.parametersToVector / vectorToParameters: gradcheck of inputs and every parameter (float64),
 * PyTorch's state-dict names, copies in the stacks, dropout only while training, argument checks.
 * (Agreement with torch itself: systest/torch_modules.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { withParams } from './module_params.js';

const nn = nb.nn;
const f64 = 'float64' as const;
const tight = { atol: 1e-8, rtol: 1e-6 };

/** every parameter random (norm weights start at ones, attention biases at zeros) */
function randomize(m: nb.nn.Module, g: nb.Generator): void {
  const n = m.parameters().reduce((k, p) => k + p.numel(), 0);
  nn.utils.vectorToParameters(nb.randn([n], { dtype: f64, generator: g }).mul(0.5), m.parameters());
}

for (const normFirst of [false, true]) {
  test(`gradcheck of TransformerEncoderLayer (normFirst ${normFirst}): input and every parameter, with a causal mask`, () => {
    const g = new nb.Generator(21);
    const m = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, activation: 'gelu', normFirst, dtype: f64, generator: g });
    randomize(m, g);
    const x = nb.randn([3, 1, 4], { dtype: f64, generator: g, requiresGrad: true });
    const mask = nb.tensor([[false, true, true], [false, false, true], [false, false, false]], { dtype: 'bool' });
    assert.ok(nb.autograd.gradcheck((xx, ...p) => withParams(m, p, () => m.forward(xx!, mask)), [x, ...m.parameters()], tight));
  });

  test(`gradcheck of TransformerDecoderLayer (normFirst ${normFirst}): target, memory and every parameter, with a memory key padding mask`, () => {
    const g = new nb.Generator(22);
    const m = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst, batchFirst: true, dtype: f64, generator: g });
    randomize(m, g);
    const tgt = nb.randn([1, 2, 4], { dtype: f64, generator: g, requiresGrad: true });
    const mem = nb.randn([1, 3, 4], { dtype: f64, generator: g, requiresGrad: true });
    const kpm = nb.tensor([[false, false, true]], { dtype: 'bool' });
    assert.ok(nb.autograd.gradcheck((t, mm, ...p) => withParams(m, p, () => m.forward(t!, mm!, { memoryKeyPaddingMask: kpm })), [tgt, mem, ...m.parameters()], tight));
  });
}

test('state-dict names are PyTorch\'s; the stacks copy the layer (same starting weights, separate parameters)', () => {
  const layer = new nn.TransformerEncoderLayer(8, 2, 16);
  assert.deepEqual(Object.keys(layer.stateDict()), [
    'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
    'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
  ]);
  const dec = new nn.TransformerDecoderLayer(8, 2, 16);
  assert.deepEqual(Object.keys(dec.stateDict()).filter((k) => !k.startsWith('self_attn.') && !k.startsWith('multihead_attn.')), [
    'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'norm3.weight', 'norm3.bias',
  ]);
  assert.ok('multihead_attn.in_proj_weight' in dec.stateDict());
  const stack = new nn.TransformerEncoder(layer, 2, new nn.LayerNorm(8));
  const sd = stack.stateDict();
  assert.deepEqual(Object.keys(sd).slice(0, 2), ['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias']);
  assert.deepEqual(Object.keys(sd).slice(-2), ['norm.weight', 'norm.bias']);
  assert.equal(Object.keys(sd).length, 2 * 12 + 2);
  assert.deepEqual(sd['layers.1.linear1.weight']!.dataArray(), layer.linear1.weight.dataArray());
  assert.deepEqual(sd['layers.0.linear1.weight']!.dataArray(), layer.linear1.weight.dataArray());
  const p0 = (stack.layers.at(0) as nb.nn.TransformerEncoderLayer).linear1.weight, p1 = (stack.layers.at(1) as nb.nn.TransformerEncoderLayer).linear1.weight;
  assert.notEqual(p0, p1);
  assert.notEqual(p0, layer.linear1.weight);
  nb.noGrad(() => p0.mul_(2));
  assert.notDeepEqual(p0.dataArray(), p1.dataArray());
  assert.equal(new nn.TransformerDecoder(dec, 3).parameters().length, 3 * dec.parameters().length);
});

test('dropout acts only while training; eval equals the same layer built with dropout 0', () => {
  const g = new nb.Generator(4);
  const m = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.3, dtype: f64, generator: g });
  const ref = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, dtype: f64 });
  ref.loadStateDict(m.stateDict());
  const x = nb.randn([5, 2, 8], { dtype: f64, generator: g });
  m.eval();
  const a = m.forward(x).dataArray(), b = ref.forward(x).dataArray();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-13));
  m.train();
  const c = m.forward(x).dataArray();
  assert.ok(c.some((v, i) => Math.abs(v - b[i]!) > 1e-6));
});

test('Transformer layers: positional PyTorch forms, activation as function or module, argument errors', () => {
  const g = new nb.Generator(8);
  const a = new nn.TransformerEncoderLayer(8, 2, 16, 0, 'gelu', 1e-5, true, true, { dtype: f64, generator: g });
  assert.equal(a.normFirst, true);
  assert.equal(a.batchFirst, true);
  const b = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation: new nn.GELU(), batchFirst: true, normFirst: true, dtype: f64 });
  const c = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation: (t: nb.Tensor) => nb.gelu(t), batchFirst: true, normFirst: true, dtype: f64 });
  b.loadStateDict(a.stateDict());
  c.loadStateDict(a.stateDict());
  a.eval(); b.eval(); c.eval();
  const x = nb.randn([2, 3, 8], { dtype: f64, generator: g });
  assert.deepEqual(b.forward(x).dataArray(), a.forward(x).dataArray());
  assert.deepEqual(c.forward(x).dataArray(), a.forward(x).dataArray());
  assert.throws(() => new nn.TransformerEncoderLayer(8, 3), /TransformerEncoderLayer: dModel \(8\) must be divisible by nhead \(3\)/);
  assert.throws(() => new nn.TransformerEncoderLayer(8, 2, { dim_feedforward: 16 } as never), /unknown option 'dim_feedforward' \(did you mean dimFeedforward\?\)/);
  assert.throws(() => new nn.TransformerDecoderLayer(8, 2, { activation: 'tanh' as never }), /TransformerDecoderLayer: activation must be 'relu', 'gelu', a function or a Module/);
  assert.throws(() => new (nn.TransformerEncoderLayer as any)(8, 2, 16, 0.1, 'relu', 1e-5, false, false, 7), /TransformerEncoderLayer: expected at most 8 positional/);
  assert.throws(() => a.forward(x, { srcMsk: null } as never), /TransformerEncoderLayer.forward: unknown option 'srcMsk' \(did you mean srcMask\?\)/);
  assert.throws(() => a.forward(x, [1, 2] as never), /TransformerEncoderLayer.forward: srcMask must be a Tensor or null/);
  assert.throws(() => new nn.TransformerEncoder(new nn.TransformerDecoderLayer(8, 2) as never, 2), /TransformerEncoder: the first argument must be a TransformerEncoderLayer/);
  assert.throws(() => new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2), 0), /TransformerDecoder: numLayers must be a positive integer/);
});

test('parametersToVector / vectorToParameters: order, round trip, gradient flow, errors', () => {
  const m = new nn.Sequential(new nn.Linear(3, 2), new nn.LayerNorm(2));
  const v = nn.utils.parametersToVector(m.parameters());
  assert.deepEqual(v.shape, [6 + 2 + 2 + 2]);
  assert.deepEqual(v.dataArray(), m.parameters().flatMap((p) => p.dataArray()));
  const w = nb.arange(12, { dtype: 'float32' });
  nn.utils.vectorToParameters(w, m.parameters());
  assert.deepEqual((m.at(0) as nb.nn.Linear).weight.toArray(), [[0, 1, 2], [3, 4, 5]]);
  assert.deepEqual((m.at(1) as nb.nn.LayerNorm).bias!.dataArray(), [10, 11]);
  assert.deepEqual(nn.utils.parametersToVector(m.parameters()).dataArray(), w.dataArray());
  // differentiable: d(Σ vec²)/dp = 2p
  nn.utils.parametersToVector(m.parameters()).square().sum().backward();
  assert.deepEqual((m.at(0) as nb.nn.Linear).weight.grad!.toArray(), [[0, 2, 4], [6, 8, 10]]);
  assert.throws(() => nn.utils.vectorToParameters(nb.zeros([11]), m.parameters()), /vectorToParameters: vec has 11 elements, the parameters hold 12/);
  assert.throws(() => nn.utils.vectorToParameters(nb.zeros([3, 4]), m.parameters()), /vectorToParameters: vec must be 1-D/);
  assert.throws(() => nn.utils.vectorToParameters([1, 2] as never, m.parameters()), /vectorToParameters: expected vec to be a Tensor/);
  assert.throws(() => nn.utils.parametersToVector(m as never), /parametersToVector: parameters\[0\] must be a Tensor, got a Linear/);
  assert.throws(() => nn.utils.parametersToVector(3 as never), /parametersToVector: parameters must be a Tensor or an iterable of Tensors/);
  assert.throws(() => (nn.utils.parametersToVector as any)(m.parameters(), 7), /parametersToVector: expected at most 1 argument/);
});
