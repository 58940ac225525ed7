/**
 * Strict arguments: every public constructor and creation function outside the op records rejects an
 * unknown option key and a surplus argument with an error naming the function; PyTorch's call forms work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const w = () => nb.zeros([2, 2], { requiresGrad: true });
const opt = () => new nb.optim.SGD([w()], { lr: 1 });
const ds = () => new nb.data.TensorDataset(nb.zeros([6, 2]));
const S = nb.optim.lrScheduler;
const gptConfig = () => ({ blockSize: 4, vocabSize: 5, nLayer: 1, nHead: 1, nEmbd: 4 });

/**
 * For each public constructor: the arguments of a valid call whose last element is its options object
 * (`{}`), and the valid call with one positional argument too many. Identity is left out on purpose: it
 * accepts and ignores any arguments, as torch.nn.Identity.
 */
const ctors: Record<string, { make: (...a: any[]) => unknown; args: () => unknown[]; extra: () => unknown[] }> = {
  'nn.Linear': { make: (...a) => new (nb.nn.Linear as any)(...a), args: () => [2, 3, {}], extra: () => [2, 3, true, 7] },
  'nn.Conv1d': { make: (...a) => new (nb.nn.Conv1d as any)(...a), args: () => [1, 2, 3, {}], extra: () => [1, 2, 3, 1, 0, 1, 1, true, 7] },
  'nn.Conv2d': { make: (...a) => new (nb.nn.Conv2d as any)(...a), args: () => [1, 2, 3, {}], extra: () => [1, 2, 3, 1, 0, 1, 1, true, 7] },
  'nn.MaxPool2d': { make: (...a) => new (nb.nn.MaxPool2d as any)(...a), args: () => [2, {}], extra: () => [2, 2, 0, 1, false, false, 7] },
  'nn.AvgPool2d': { make: (...a) => new (nb.nn.AvgPool2d as any)(...a), args: () => [2, {}], extra: () => [2, 2, 0, false, true, 1, 7] },
  'nn.AdaptiveAvgPool2d': { make: (...a) => new (nb.nn.AdaptiveAvgPool2d as any)(...a), args: () => [1, {}], extra: () => [1, 7] },
  'nn.BatchNorm1d': { make: (...a) => new (nb.nn.BatchNorm1d as any)(...a), args: () => [3, {}], extra: () => [3, 1e-5, 0.1, true, true, 7] },
  'nn.BatchNorm2d': { make: (...a) => new (nb.nn.BatchNorm2d as any)(...a), args: () => [3, {}], extra: () => [3, 1e-5, 0.1, true, true, 7] },
  'nn.LayerNorm': { make: (...a) => new (nb.nn.LayerNorm as any)(...a), args: () => [3, {}], extra: () => [3, 1e-5, true, true, 7] },
  'nn.RMSNorm': { make: (...a) => new (nb.nn.RMSNorm as any)(...a), args: () => [3, {}], extra: () => [3, 1e-5, true, 7] },
  'nn.ReLU': { make: (...a) => new (nb.nn.ReLU as any)(...a), args: () => [{}], extra: () => [false, 7] },
  'nn.LeakyReLU': { make: (...a) => new (nb.nn.LeakyReLU as any)(...a), args: () => [{}], extra: () => [0.1, false, 7] },
  'nn.GELU': { make: (...a) => new (nb.nn.GELU as any)(...a), args: () => [{}], extra: () => ['tanh', 7] },
  'nn.SiLU': { make: (...a) => new (nb.nn.SiLU as any)(...a), args: () => [{}], extra: () => [false, 7] },
  'nn.Tanh': { make: (...a) => new (nb.nn.Tanh as any)(...a), args: () => [], extra: () => [7] },
  'nn.Sigmoid': { make: (...a) => new (nb.nn.Sigmoid as any)(...a), args: () => [], extra: () => [7] },
  'nn.Softplus': { make: (...a) => new (nb.nn.Softplus as any)(...a), args: () => [{}], extra: () => [1, 20, 7] },
  'nn.ReLU6': { make: (...a) => new (nb.nn.ReLU6 as any)(...a), args: () => [{}], extra: () => [false, 7] },
  'nn.Softmax': { make: (...a) => new (nb.nn.Softmax as any)(...a), args: () => [{}], extra: () => [1, 7] },
  'nn.LogSoftmax': { make: (...a) => new (nb.nn.LogSoftmax as any)(...a), args: () => [{}], extra: () => [1, 7] },
  'nn.Dropout': { make: (...a) => new (nb.nn.Dropout as any)(...a), args: () => [{}], extra: () => [0.5, false, 7] },
  'nn.Embedding': { make: (...a) => new (nb.nn.Embedding as any)(...a), args: () => [4, 2, {}], extra: () => [4, 2, 0, 7] },
  'nn.MultiheadAttention': { make: (...a) => new (nb.nn.MultiheadAttention as any)(...a), args: () => [4, 2, {}], extra: () => [4, 2, 0, true, 7] },
  'nn.LSTM': { make: (...a) => new (nb.nn.LSTM as any)(...a), args: () => [3, 4, {}], extra: () => [3, 4, 1, true, false, 0, false, 7] },
  'nn.GRU': { make: (...a) => new (nb.nn.GRU as any)(...a), args: () => [3, 4, {}], extra: () => [3, 4, 1, true, false, 0, false, 7] },
  'nn.TransformerEncoderLayer': { make: (...a) => new (nb.nn.TransformerEncoderLayer as any)(...a), args: () => [4, 2, {}], extra: () => [4, 2, 8, 0.1, 'relu', 1e-5, false, false, 7] },
  'nn.TransformerDecoderLayer': { make: (...a) => new (nb.nn.TransformerDecoderLayer as any)(...a), args: () => [4, 2, {}], extra: () => [4, 2, 8, 0.1, 'relu', 1e-5, false, false, 7] },
  'nn.TransformerEncoder': { make: (...a) => new (nb.nn.TransformerEncoder as any)(...a), args: () => [new nb.nn.TransformerEncoderLayer(4, 2, 8), 2, {}], extra: () => [new nb.nn.TransformerEncoderLayer(4, 2, 8), 2, null, 7] },
  'nn.TransformerDecoder': { make: (...a) => new (nb.nn.TransformerDecoder as any)(...a), args: () => [new nb.nn.TransformerDecoderLayer(4, 2, 8), 2, {}], extra: () => [new nb.nn.TransformerDecoderLayer(4, 2, 8), 2, null, 7] },
  'nn.CrossEntropyLoss': { make: (...a) => new (nb.nn.CrossEntropyLoss as any)(...a), args: () => [{}], extra: () => [null, 7] },
  'nn.NLLLoss': { make: (...a) => new (nb.nn.NLLLoss as any)(...a), args: () => [{}], extra: () => [null, 7] },
  'nn.MSELoss': { make: (...a) => new (nb.nn.MSELoss as any)(...a), args: () => [{}], extra: () => [7] },
  'nn.L1Loss': { make: (...a) => new (nb.nn.L1Loss as any)(...a), args: () => [{}], extra: () => [7] },
  'nn.HuberLoss': { make: (...a) => new (nb.nn.HuberLoss as any)(...a), args: () => [{}], extra: () => [7] },
  'nn.BCELoss': { make: (...a) => new (nb.nn.BCELoss as any)(...a), args: () => [{}], extra: () => [null, 7] },
  'nn.BCEWithLogitsLoss': { make: (...a) => new (nb.nn.BCEWithLogitsLoss as any)(...a), args: () => [{}], extra: () => [null, 7] },
  'nn.Flatten': { make: (...a) => new (nb.nn.Flatten as any)(...a), args: () => [], extra: () => [1, -1, 7] },
  'nn.Unflatten': { make: (...a) => new (nb.nn.Unflatten as any)(...a), args: () => [1, [2, 2]], extra: () => [1, [2, 2], 7] },
  'nn.GPT': { make: (...a) => new (nb.nn.GPT as any)(...a), args: () => [gptConfig(), {}], extra: () => [gptConfig(), {}, 7] },
  'nn.Block': { make: (...a) => new (nb.nn.Block as any)(...a), args: () => [gptConfig(), {}], extra: () => [gptConfig(), {}, 7] },
  'nn.CausalSelfAttention': { make: (...a) => new (nb.nn.CausalSelfAttention as any)(...a), args: () => [gptConfig(), {}], extra: () => [gptConfig(), {}, 7] },
  'nn.MLP': { make: (...a) => new (nb.nn.MLP as any)(...a), args: () => [gptConfig(), {}], extra: () => [gptConfig(), {}, 7] },
  'nn.Sequential': { make: (...a) => new (nb.nn.Sequential as any)(...a), args: () => [], extra: () => [new nb.nn.ReLU(), 7] },
  'nn.ModuleList': { make: (...a) => new (nb.nn.ModuleList as any)(...a), args: () => [], extra: () => [[], 7] },
  'nn.ModuleDict': { make: (...a) => new (nb.nn.ModuleDict as any)(...a), args: () => [], extra: () => [{}, 7] },
  'optim.SGD': { make: (...a) => new (nb.optim.SGD as any)(...a), args: () => [[w()], {}], extra: () => [[w()], 0.1, 0, 0, 0, false, 7] },
  'optim.Adam': { make: (...a) => new (nb.optim.Adam as any)(...a), args: () => [[w()], {}], extra: () => [[w()], 0.1, [0.9, 0.99], 1e-8, 0, false, 7] },
  'optim.AdamW': { make: (...a) => new (nb.optim.AdamW as any)(...a), args: () => [[w()], {}], extra: () => [[w()], 0.1, [0.9, 0.99], 1e-8, 0, false, 7] },
  'optim.RMSprop': { make: (...a) => new (nb.optim.RMSprop as any)(...a), args: () => [[w()], {}], extra: () => [[w()], 0.1, 0.99, 1e-8, 0, 0, false, 7] },
  'optim.Adagrad': { make: (...a) => new (nb.optim.Adagrad as any)(...a), args: () => [[w()], {}], extra: () => [[w()], 0.1, 0, 0, 0, 1e-10, 7] },
  'optim.LAMB': { make: (...a) => new (nb.optim.LAMB as any)(...a), args: () => [[w()], {}], extra: () => [[w()], 0.1, [0.9, 0.99], 1e-6, 0, 7] },
  'optim.Adafactor': { make: (...a) => new (nb.optim.Adafactor as any)(...a), args: () => [[w()], {}], extra: () => [[w()], 0.1, 7] },
  'lrScheduler.StepLR': { make: (...a) => new (S.StepLR as any)(...a), args: () => [opt(), { stepSize: 2 }], extra: () => [opt(), 2, 0.5, 7] },
  'lrScheduler.MultiStepLR': { make: (...a) => new (S.MultiStepLR as any)(...a), args: () => [opt(), { milestones: [2] }], extra: () => [opt(), [2], 0.5, 7] },
  'lrScheduler.ExponentialLR': { make: (...a) => new (S.ExponentialLR as any)(...a), args: () => [opt(), { gamma: 0.9 }], extra: () => [opt(), 0.9, 7] },
  'lrScheduler.CosineAnnealingLR': { make: (...a) => new (S.CosineAnnealingLR as any)(...a), args: () => [opt(), { tMax: 5 }], extra: () => [opt(), 5, 0, 7] },
  'lrScheduler.LinearLR': { make: (...a) => new (S.LinearLR as any)(...a), args: () => [opt(), {}], extra: () => [opt(), 0.5, 1, 4, 7] },
  'lrScheduler.LambdaLR': { make: (...a) => new (S.LambdaLR as any)(...a), args: () => [opt(), () => 1, {}], extra: () => [opt(), () => 1, {}, 7] },
  'lrScheduler.OneCycleLR': { make: (...a) => new (S.OneCycleLR as any)(...a), args: () => [opt(), { maxLr: 1, totalSteps: 10, cycleMomentum: false }], extra: () => [opt(), 1, 10, 7] },
  'lrScheduler.WarmupCosineLR': { make: (...a) => new (S.WarmupCosineLR as any)(...a), args: () => [opt(), { warmupSteps: 1, totalSteps: 5 }], extra: () => [opt(), { warmupSteps: 1, totalSteps: 5 }, 7] },
  'lrScheduler.warmupCosine': { make: (...a) => (S.warmupCosine as any)(...a), args: () => [opt(), { warmupSteps: 1, totalSteps: 5 }], extra: () => [opt(), { warmupSteps: 1, totalSteps: 5 }, 7] },
  'lrScheduler.SequentialLR': {
    make: (...a) => new (S.SequentialLR as any)(...a),
    args: () => { const o = opt(); return [o, [new S.StepLR(o, 2), new S.ExponentialLR(o, 0.9)], [2], {}]; },
    extra: () => { const o = opt(); return [o, [new S.StepLR(o, 2), new S.ExponentialLR(o, 0.9)], [2], {}, 7]; },
  },
  'lrScheduler.MultiplicativeLR': { make: (...a) => new (S.MultiplicativeLR as any)(...a), args: () => [opt(), () => 1, {}], extra: () => [opt(), () => 1, {}, 7] },
  'lrScheduler.ConstantLR': { make: (...a) => new (S.ConstantLR as any)(...a), args: () => [opt(), {}], extra: () => [opt(), 0.5, 3, 7] },
  'lrScheduler.PolynomialLR': { make: (...a) => new (S.PolynomialLR as any)(...a), args: () => [opt(), {}], extra: () => [opt(), 5, 1, 7] },
  'lrScheduler.CosineAnnealingWarmRestarts': { make: (...a) => new (S.CosineAnnealingWarmRestarts as any)(...a), args: () => [opt(), { t0: 3 }], extra: () => [opt(), 3, 1, 0, 7] },
  'lrScheduler.CyclicLR': { make: (...a) => new (S.CyclicLR as any)(...a), args: () => [opt(), { baseLr: 0.01, maxLr: 0.1 }], extra: () => [opt(), 0.01, 0.1, 4, 4, 'triangular', 1, 7] },
  'lrScheduler.ChainedScheduler': { make: (...a) => new (S.ChainedScheduler as any)(...a), args: () => [[new S.StepLR(opt(), 2)]], extra: () => [[new S.StepLR(opt(), 2)], 7] },
  'lrScheduler.ReduceLROnPlateau': { make: (...a) => new (S.ReduceLROnPlateau as any)(...a), args: () => [opt(), {}], extra: () => [opt(), 'min', 0.1, 10, 1e-4, 'rel', 0, 0, 1e-8, 7] },
  'data.DataLoader': { make: (...a) => new (nb.data.DataLoader as any)(...a), args: () => [ds(), {}], extra: () => [ds(), 2, false, 7] },
};

const fns: Record<string, { f: (...a: any[]) => unknown; args: () => unknown[]; extra: () => unknown[] }> = {
  tensor: { f: nb.tensor, args: () => [[1, 2], {}], extra: () => [[1, 2], {}, 7] },
  zeros: { f: nb.zeros, args: () => [2, 3, {}], extra: () => [[2, 3], 7] },
  ones: { f: nb.ones, args: () => [2, 3, {}], extra: () => [[2, 3], 7] },
  empty: { f: nb.empty, args: () => [2, 3, {}], extra: () => [[2, 3], 7] },
  rand: { f: nb.rand, args: () => [2, 3, {}], extra: () => [[2, 3], 7] },
  randn: { f: nb.randn, args: () => [2, 3, {}], extra: () => [[2, 3], 7] },
  full: { f: nb.full, args: () => [[2], 7, {}], extra: () => [[2], 7, {}, 7] },
  arange: { f: nb.arange, args: () => [5, {}], extra: () => [0, 5, 1, 7] },
  linspace: { f: nb.linspace, args: () => [0, 1, 5, {}], extra: () => [0, 1, 5, {}, 7] },
  eye: { f: nb.eye, args: () => [3, {}], extra: () => [3, 3, 7] },
  randint: { f: nb.randint, args: () => [0, 5, [3], {}], extra: () => [0, 5, [3], 7] },
  randperm: { f: nb.randperm, args: () => [5, {}], extra: () => [5, {}, 7] },
  zerosLike: { f: nb.zerosLike, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), {}, 7] },
  onesLike: { f: nb.onesLike, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), {}, 7] },
  emptyLike: { f: nb.emptyLike, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), {}, 7] },
  fullLike: { f: nb.fullLike, args: () => [nb.ones(2), 3, {}], extra: () => [nb.ones(2), 3, {}, 7] },
  randLike: { f: nb.randLike, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), {}, 7] },
  randnLike: { f: nb.randnLike, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), {}, 7] },
  'autograd.gradcheck': { f: nb.autograd.gradcheck, args: () => [(x: nb.Tensor) => x.sum(), nb.ones(2, { dtype: 'float64', requiresGrad: true }), {}], extra: () => [(x: nb.Tensor) => x.sum(), nb.ones(2, { dtype: 'float64', requiresGrad: true }), {}, 7] },
  'nn.init.normal_': { f: nb.nn.init.normal_, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), 0, 1, {}, 7] },
  'nn.init.uniform_': { f: nb.nn.init.uniform_, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), 0, 1, {}, 7] },
  'nn.init.truncNormal_': { f: nb.nn.init.truncNormal_, args: () => [nb.ones(2), {}], extra: () => [nb.ones(2), 0, 1, -2, 2, {}, 7] },
  'nn.init.xavierUniform_': { f: nb.nn.init.xavierUniform_, args: () => [nb.ones(2, 2), {}], extra: () => [nb.ones(2, 2), 1, {}, 7] },
  'nn.init.xavierNormal_': { f: nb.nn.init.xavierNormal_, args: () => [nb.ones(2, 2), {}], extra: () => [nb.ones(2, 2), 1, {}, 7] },
  'nn.init.kaimingUniform_': { f: nb.nn.init.kaimingUniform_, args: () => [nb.ones(2, 2), {}], extra: () => [nb.ones(2, 2), 0, 'fanIn', 'relu', {}, 7] },
  'nn.init.kaimingNormal_': { f: nb.nn.init.kaimingNormal_, args: () => [nb.ones(2, 2), {}], extra: () => [nb.ones(2, 2), 0, 'fanIn', 'relu', {}, 7] },
};

const withBogus = (args: unknown[]): unknown[] => {
  const a = args.slice();
  const last = a[a.length - 1];
  if (last !== null && typeof last === 'object' && Object.getPrototypeOf(last) === Object.prototype) a[a.length - 1] = { ...last, bogusOption: 1 };
  else a.push({ bogusOption: 1 });
  return a;
};

test('every public constructor: valid call works, an unknown option key and a surplus argument throw naming it', () => {
  for (const [name, c] of Object.entries(ctors)) {
    assert.doesNotThrow(() => c.make(...c.args()), `${name} valid call`);
    const short = name.split('.').pop()!;
    assert.throws(() => c.make(...withBogus(c.args())), (e: Error) => e.message.includes(short) && /bogusOption/.test(e.message), `${name} unknown key`);
    assert.throws(() => c.make(...c.extra()), (e: Error) => e.message.includes(short.replace(/^warmupCosine$/, 'warmupCosine')), `${name} extra argument`);
  }
});

test('every creation function: valid call works, an unknown option key and a surplus argument throw naming it', () => {
  for (const [name, c] of Object.entries(fns)) {
    assert.doesNotThrow(() => c.f(...c.args()), `${name} valid call`);
    const short = name.split('.').pop()!;
    assert.throws(() => c.f(...withBogus(c.args())), (e: Error) => e.message.includes(short) && /bogusOption/.test(e.message), `${name} unknown key`);
    assert.throws(() => c.f(...c.extra()), (e: Error) => e.message.includes(short), `${name} extra argument`);
  }
});

test('the walk covers every exported constructor of nn, optim, lrScheduler and data', () => {
  const listed = new Set(Object.keys(ctors));
  const missing: string[] = [];
  const walk = (prefix: string, ns: Record<string, unknown>, isCtor: (v: unknown) => boolean) => {
    for (const [k, v] of Object.entries(ns)) if (isCtor(v) && !listed.has(`${prefix}.${k}`)) missing.push(`${prefix}.${k}`);
  };
  const abstract = new Set(['Module', 'Optimizer', 'LRScheduler', 'BatchNormBase', 'Parameter', 'Identity']);
  const isClass = (v: unknown) => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v)) && !abstract.has((v as { name: string }).name);
  walk('nn', nb.nn as unknown as Record<string, unknown>, (v) => isClass(v) && (v as { prototype: unknown }).prototype instanceof nb.nn.Module);
  walk('optim', nb.optim as unknown as Record<string, unknown>, isClass);
  walk('lrScheduler', S as unknown as Record<string, unknown>, isClass);
  walk('data', { DataLoader: nb.data.DataLoader }, isClass);
  assert.deepEqual(missing, []);
  for (const k of ['zeros', 'ones', 'rand', 'randn', 'full', 'arange', 'eye', 'linspace', 'randint', 'randperm', 'tensor']) assert.ok(k in fns, k);
});

test('GPT modules: a config key misspelt or in snake_case gets "did you mean"', () => {
  assert.throws(() => new nb.nn.GPT({ ...gptConfig(), n_embd: 4 } as any), /GPT: unknown option 'n_embd' \(did you mean nEmbd\?\)/);
  assert.throws(() => new nb.nn.Block({ ...gptConfig(), nlayer: 1 } as any), /Block: unknown option 'nlayer' \(did you mean nLayer\?\)/);
  assert.throws(() => new nb.nn.MLP({ ...gptConfig() }, { dtpye: 'float64' } as any), /MLP: unknown option 'dtpye'/);
  assert.throws(() => new (nb.nn.CausalSelfAttention as any)(4, 1), /CausalSelfAttention: config must be an object/);
  assert.doesNotThrow(() => new nb.nn.GPT({ ...gptConfig(), positions: 'rotary', norm: 'rmsnorm', mlp: 'swiglu' }, { dtype: 'float64' }));
});

test('snake_case keys get "did you mean"', () => {
  assert.throws(() => new nb.optim.AdamW([w()], { weight_decay: 0.1 } as any), /AdamW: unknown option 'weight_decay' \(did you mean weightDecay\?\)/);
  assert.throws(() => new nb.data.DataLoader(ds(), { batch_size: 2 } as any), /did you mean batchSize\?/);
  assert.throws(() => nb.zeros(2, { requires_grad: true } as any), /did you mean requiresGrad\?/);
  assert.throws(() => new S.CosineAnnealingLR(opt(), { T_max: 5 } as any), /did you mean tMax\?/);
  assert.throws(() => new nb.optim.SGD([{ params: [w()], weight_decay: 0.1 }] as any), /param group: unknown key 'weight_decay' \(did you mean weightDecay\?\)/);
});

test('creation: PyTorch shape forms, arange/eye with options, clear errors', () => {
  assert.deepEqual(nb.zeros(2, 3).shape, [2, 3]);
  const r = nb.randn(3, 4, { requiresGrad: true });
  assert.deepEqual([r.shape, r.requiresGrad], [[3, 4], true]);
  assert.deepEqual(nb.full([2, 2], 7).toArray(), [[7, 7], [7, 7]]);
  assert.throws(() => nb.full(2 as any, 2, 7 as any), /full: options must be an object/);
  const a = nb.arange(12, { dtype: 'float64' });
  assert.deepEqual([a.dtype, a.dataArray()], ['float64', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]);
  assert.deepEqual(nb.arange(1, 4, { dtype: 'float32' }).dataArray(), [1, 2, 3]);
  const e = nb.eye(3, { dtype: 'float64' });
  assert.deepEqual([e.dtype, e.toArray()], ['float64', [[1, 0, 0], [0, 1, 0], [0, 0, 1]]]);
  assert.deepEqual(nb.eye(2, 3).shape, [2, 3]);
  assert.deepEqual(nb.randint(10, [3]).shape, [3]);
  assert.throws(() => nb.ones(2, 'a' as any), /ones: the shape must be numbers/);
  assert.throws(() => nb.zeros(2, { dtype: 'cuda' as any }), /nabla has no devices; backends are chosen with nb.setBackend/);
  assert.throws(() => nb.ones(2).to('cpu' as any), /to: 'cpu' is a device.*nabla has no devices/);
  assert.throws(() => nb.ones(2).to('double' as any), /did you mean 'float64'/);
  assert.equal(nb.ones(2).to('float64').dtype, 'float64');
  assert.equal(nb.ones(2).to(nb.zeros(1, { dtype: 'float64' })).dtype, 'float64');
  assert.throws(() => nb.tensor(nb.ones(2) as any), /tensor: data is already a tensor/);
});

test('module constructors: PyTorch positional forms are honoured', () => {
  const c = new nb.nn.Conv2d(1, 4, 3, 2, 1, 1, 1, false);
  assert.deepEqual([c.stride, c.padding, c.bias], [[2, 2], [1, 1], null]);
  const c1 = new nb.nn.Conv1d(2, 4, 3, 1, 2, 2, 2);
  assert.deepEqual([c1.padding, c1.dilation, c1.groups], [[2], [2], 2]);
  assert.equal(new nb.nn.Linear(4, 3, false).bias, null);
  assert.equal(new nb.nn.Linear(4, 3, false).parameters().length, 1);
  assert.equal(new nb.nn.GELU('tanh').approximate, 'tanh');
  assert.equal(new nb.nn.Dropout(0.9).p, 0.9);
  assert.equal(new nb.nn.LeakyReLU(0.2).negativeSlope, 0.2);
  assert.equal(new nb.nn.LayerNorm(4, 1e-3).eps, 1e-3);
  assert.equal(new nb.nn.BatchNorm1d(4, 1e-3, 0.2).momentum, 0.2);
  assert.equal(new nb.nn.Embedding(5, 2, 0).paddingIdx, 0);
  assert.equal(new nb.nn.MultiheadAttention(4, 2, 0.1).dropout, 0.1);
  assert.throws(() => new nb.nn.Conv2d(1, 4, 3, 1, { stride: 2 } as any), /Conv2d: stride given twice/);
  assert.throws(() => new nb.nn.MaxPool2d(2, 2, 0, 1, false, true as any), /MaxPool2d: ceilMode=true is not supported/);
  // conv output really uses stride and padding
  const x = nb.ones([1, 1, 5, 5]);
  assert.deepEqual(new nb.nn.Conv2d(1, 1, 3, 2, 1).call(x).shape, [1, 1, 3, 3]);
});

test('optimizers: (params, lr) positional forms and clear errors', () => {
  for (const O of [nb.optim.SGD, nb.optim.Adam, nb.optim.AdamW, nb.optim.RMSprop, nb.optim.Adagrad, nb.optim.LAMB, nb.optim.Adafactor]) {
    const o = new (O as any)([w()], 0.1);
    assert.equal(o.paramGroups[0].lr, 0.1, O.name);
  }
  const sgd = new nb.optim.SGD([w()], 0.1, 0.9, 0, 1e-4, true);
  assert.deepEqual([sgd.paramGroups[0]!.momentum, sgd.paramGroups[0]!.weightDecay, sgd.paramGroups[0]!.nesterov], [0.9, 1e-4, true]);
  const adamw = new nb.optim.AdamW([w()], 0.1, [0.8, 0.9], 1e-6, 0.05);
  assert.deepEqual([adamw.paramGroups[0]!.betas, adamw.paramGroups[0]!.eps, adamw.paramGroups[0]!.weightDecay], [[0.8, 0.9], 1e-6, 0.05]);
  assert.throws(() => new nb.optim.AdamW(new nb.nn.Linear(2, 2) as any), /AdamW: got a Module; pass its parameters: new AdamW\(model.parameters\(\)/);
  assert.throws(() => new nb.optim.SGD(w() as any, 0.1), /SGD: params must be an iterable.*single tensor/);
  assert.throws(() => new nb.optim.SGD([w()], '0.1' as any), /SGD: lr must be a number/);
  // SGD(params, 0.1) really steps with lr 0.1
  const p = nb.ones(1, { requiresGrad: true });
  const o = new nb.optim.SGD([p], 0.1);
  p.sum().backward();
  o.step();
  assert.ok(Math.abs(p.item() - 0.9) < 1e-7);
});

test('DataLoader(ds, batchSize, shuffle)', () => {
  const dl = new nb.data.DataLoader(ds(), 4);
  assert.deepEqual([...dl].map((b) => (b as nb.Tensor[])[0]!.shape[0]), [4, 2]);
  assert.equal(new nb.data.DataLoader(ds(), 2, true).shuffle, true);
});

test('init: normal_(w, mean, std) and normal_(w, {mean, std}) agree; bad forms throw', () => {
  const a = nb.nn.init.normal_(nb.zeros(1000), 1, 0.02, { generator: new nb.Generator(3) });
  const b = nb.nn.init.normal_(nb.zeros(1000), { mean: 1, std: 0.02, generator: new nb.Generator(3) });
  assert.deepEqual(a.dataArray(), b.dataArray());
  assert.ok(a.dataArray().every((v) => Number.isFinite(v) && Math.abs(v - 1) < 0.2));
  assert.throws(() => nb.nn.init.normal_(nb.zeros(2), '0' as any), /nn.init.normal_: mean must be a number/);
  assert.throws(() => nb.nn.init.kaimingUniform_(nb.zeros(2, 2), { nonlinearity: 'relu', mode: 'fan_in', sdt: 1 } as any), /unknown option 'sdt'/);
});

test('backward(options) alone, gradcheck(fn, x), loadStateDict(Promise)', () => {
  const x = nb.ones(2, { requiresGrad: true });
  const y = x.mul(3).sum();
  y.backward({ retainGraph: true });
  y.backward();
  assert.deepEqual(x.grad!.dataArray(), [6, 6]);
  assert.throws(() => y.backward({ retain_graph: true } as any), /did you mean retainGraph\?/);
  assert.throws(() => y.backward(1 as any), /backward: gradient must be a tensor/);
  assert.equal(nb.autograd.gradcheck((t: nb.Tensor) => t.mul(t).sum(), nb.randn(3, { dtype: 'float64', requiresGrad: true })), true);
  assert.throws(() => new nb.nn.Linear(2, 2).loadStateDict(Promise.resolve({}) as any), /loadStateDict: got a Promise.*await nb.load/);
  assert.throws(() => new nb.optim.SGD([w()], 0.1).loadStateDict(Promise.resolve({}) as any), /got a Promise/);
});

test('schedulers chain as PyTorch: StepLR(2, .5) + ExponentialLR(.9)', () => {
  const o = opt();
  const a = new S.StepLR(o, 2, 0.5), b = new S.ExponentialLR(o, 0.9);
  const lrs = [o.paramGroups[0]!.lr];
  for (let i = 0; i < 4; i++) { a.step(); b.step(); lrs.push(o.paramGroups[0]!.lr); }
  const want = [1, 0.9, 0.405, 0.3645, 0.164025];
  lrs.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-12, `${lrs} vs ${want}`));
});

test('chainable schedulers alone equal their closed form', () => {
  const mk = [
    (o: nb.optim.SGD) => new S.StepLR(o, 3, 0.5),
    (o: nb.optim.SGD) => new S.MultiStepLR(o, [2, 2, 5], 0.5),
    (o: nb.optim.SGD) => new S.ExponentialLR(o, 0.8),
    (o: nb.optim.SGD) => new S.CosineAnnealingLR(o, 4, 0.1),
    (o: nb.optim.SGD) => new S.LinearLR(o, 0.25, 1, 4),
  ];
  for (const m of mk) {
    const o = opt();
    const s = m(o);
    for (let e = 1; e < 12; e++) {
      s.step();
      const closed = s.lrAt(e)[0]!;
      assert.ok(Math.abs(o.paramGroups[0]!.lr - closed) < 1e-12, `${s.constructor.name} step ${e}: ${o.paramGroups[0]!.lr} vs ${closed}`);
    }
  }
});
