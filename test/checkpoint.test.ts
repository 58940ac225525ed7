/** Checkpoints: safetensors round trips of model-like and optimizer-like dicts, atomicity, corruption. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { decodeCheckpoint, encodeCheckpoint, loadWithMetadata, CheckpointError, STRUCTURE_KEY } from '../src/io/checkpoint.js';
import { decodeSafetensors } from '../src/io/safetensors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-ckpt-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string) => path.join(tmp, name);

function sameTensor(a: Tensor, b: Tensor, msg = ''): void {
  assert.equal(a.dtype, b.dtype, `${msg} dtype`);
  assert.deepEqual(a.shape, b.shape, `${msg} shape`);
  assert.deepEqual(Array.from(a.data()), Array.from(b.data()), `${msg} data`);
}

test('model-like dict: all dtypes round trip, plain safetensors keys', async () => {
  const sd: Record<string, Tensor> = {
    'fc1.weight': nb.randn([3, 4], { generator: new nb.Generator(1) }),
    'fc1.bias': nb.tensor([0.1, -0.2, Math.PI], { dtype: 'float64' }),
    'bn.numBatchesTracked': nb.tensor([7, -3], { dtype: 'int32' }),
    'mask': nb.tensor([[true, false], [false, true]]),
    'scalar': nb.tensor(2.5),
    'empty': nb.zeros([0, 3]),
    'view': nb.randn([4, 3], { generator: new nb.Generator(2) }).T, // non-contiguous
  };
  await nb.save(sd, file('model.safetensors'), { metadata: { epoch: '3' } });
  const back = await nb.load(file('model.safetensors'));
  assert.deepEqual(Object.keys(back).sort(), Object.keys(sd).sort());
  for (const k of Object.keys(sd)) sameTensor(back[k], sd[k]!, k);
  // readable as plain safetensors: no structure record, user metadata kept
  const raw = decodeSafetensors(fs.readFileSync(file('model.safetensors')));
  assert.equal(raw.metadata[STRUCTURE_KEY], undefined);
  assert.equal(raw.metadata.epoch, '3');
  const { metadata } = await loadWithMetadata(file('model.safetensors'));
  assert.deepEqual(metadata, { epoch: '3' });
  // sync variants
  nb.saveSync(sd, file('model2.safetensors'));
  sameTensor(nb.loadSync(file('model2.safetensors'))['fc1.weight'], sd['fc1.weight']!);
});

test('a real module stateDict loads back into a fresh module', async () => {
  const m = new nb.nn.Linear(4, 3, { generator: new nb.Generator(5) });
  await nb.save(m.stateDict(), file('linear.safetensors'));
  const m2 = new nb.nn.Linear(4, 3, { generator: new nb.Generator(6) });
  m2.loadStateDict(await nb.load(file('linear.safetensors')));
  sameTensor(m2.weight, m.weight);
  sameTensor(m2.bias!, m.bias!);
});

test('optimizer-like nested dict: structure, numbers and tensors come back; resumed training is bitwise identical', async () => {
  const make = () => [nb.tensor([[0.5, -1], [2, 0.25]], { dtype: 'float64', requiresGrad: true }), nb.tensor([1.5], { requiresGrad: true })];
  const loss = (ps: Tensor[]) => nb.add(nb.sum(nb.exp(nb.mul(ps[0]!, 0.3))), nb.sum(nb.square(ps[1]!.to('float64'))));
  const ps = make();
  const opt = new nb.optim.AdamW([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.01, betas: [0.8, 0.9] }], { lr: 0.05, amsgrad: true });
  const sched = new nb.optim.lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 });
  const step = (o: nb.optim.Optimizer<any>, p: Tensor[], s: nb.optim.lrScheduler.LRScheduler) => { o.zeroGrad(); loss(p).backward(); o.step(); s.step(); };
  for (let i = 0; i < 3; i++) step(opt, ps, sched);

  const g = new nb.Generator(9);
  g.normal(); // leaves a cached spare value; state holds NaN when there is none
  const ckpt = {
    model: { w: ps[0]!, b: ps[1]! },
    optim: opt.stateDict(),
    sched: sched.stateDict(),
    epoch: 3,
    rng: g.getState(),
    genNoSpare: new nb.Generator(1).getState(),
    note: 'hello',
    flags: [true, null, -Infinity],
    '$weird': { $tensor: 'not a tensor' },
  };
  await nb.save(ckpt, file('train.ckpt'));
  const back = await nb.load(file('train.ckpt'));

  assert.equal(back.epoch, 3);
  assert.equal(back.note, 'hello');
  assert.deepEqual(back.flags, [true, null, -Infinity]);
  assert.deepEqual(back.$weird, { $tensor: 'not a tensor' });
  assert.deepEqual(back.rng, g.getState());
  assert.ok(Number.isNaN(back.genNoSpare[4]));
  assert.deepEqual(back.optim.param_groups, JSON.parse(JSON.stringify(ckpt.optim.param_groups)));
  assert.deepEqual(back.sched, ckpt.sched);
  assert.equal(back.optim.state['0'].step, 3);
  sameTensor(back.optim.state['1'].exp_avg_sq, ckpt.optim.state['1']!.exp_avg_sq as Tensor);
  sameTensor(back.model.w, ps[0]!);
  // the tensors are stored under dotted paths
  const raw = decodeSafetensors(fs.readFileSync(file('train.ckpt')));
  assert.ok('optim.state.0.exp_avg' in raw.tensors);

  // resume: fresh params/optimizer/scheduler from the checkpoint continue exactly as the original
  const ps2 = [nb.clone(back.model.w).requiresGrad_(), nb.clone(back.model.b).requiresGrad_()];
  const opt2 = new nb.optim.AdamW([{ params: [ps2[0]!] }, { params: [ps2[1]!], lr: 0.01, betas: [0.8, 0.9] }], { lr: 0.05, amsgrad: true });
  opt2.loadStateDict(back.optim);
  const sched2 = new nb.optim.lrScheduler.StepLR(opt2, { stepSize: 2, gamma: 0.5 });
  sched2.loadStateDict(back.sched);
  for (let i = 0; i < 3; i++) { step(opt, ps, sched); step(opt2, ps2, sched2); }
  sameTensor(ps2[0]!, ps[0]!);
  sameTensor(ps2[1]!, ps[1]!);
});

test('atomic write: an injected failure leaves the old checkpoint intact and no temp file', async () => {
  const target = file('atomic.safetensors');
  const old = { w: nb.tensor([1, 2, 3]) };
  await nb.save(old, target);
  const before = fs.readFileSync(target);
  const big = { w: nb.randn([1000]) };
  for (const write of [
    { chunkSize: 512, onChunk: (n: number) => { if (n >= 1024) throw new Error('disk full (injected)'); } },
    { beforeRename: () => { throw new Error('crash before rename (injected)'); } },
  ]) {
    await assert.rejects(nb.save(big, target, { write }), /injected/);
    assert.throws(() => nb.saveSync(big, target, { write }), /injected/);
    assert.deepEqual(fs.readFileSync(target), before);
    sameTensor((await nb.load(target)).w, old.w);
  }
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('atomic') && f.endsWith('.tmp')), []);
});

test('corrupt or truncated checkpoints are rejected with a clear error', async () => {
  const target = file('good.ckpt');
  await nb.save({ a: { b: nb.randn([16]) }, n: 1 }, target);
  const bytes = fs.readFileSync(target);

  fs.writeFileSync(file('trunc.ckpt'), bytes.subarray(0, bytes.length - 10));
  await assert.rejects(nb.load(file('trunc.ckpt')), (e: Error) => e instanceof CheckpointError && /trunc\.ckpt/.test(e.message) && /not a valid safetensors/.test(e.message));
  fs.writeFileSync(file('short.ckpt'), bytes.subarray(0, 5));
  assert.throws(() => nb.loadSync(file('short.ckpt')), CheckpointError);
  fs.writeFileSync(file('garbage.ckpt'), Buffer.from('this is not a checkpoint at all, just text'));
  await assert.rejects(nb.load(file('garbage.ckpt')), CheckpointError);
  await assert.rejects(nb.load(file('missing.ckpt')), /no such file/);

  // a damaged structure record
  const enc = encodeCheckpoint({ a: nb.zeros([2]), n: 1 });
  const dec = decodeSafetensors(enc);
  const { encodeSafetensors } = await import('../src/io/safetensors.js');
  const bad = encodeSafetensors(dec.tensors, { [STRUCTURE_KEY]: '{"format":1,"tree":{"a":{"$tensor":"zzz"}' });
  assert.throws(() => decodeCheckpoint(bad), /corrupt/);
  const dangling = encodeSafetensors(dec.tensors, { [STRUCTURE_KEY]: '{"format":1,"tree":{"a":{"$tensor":"zzz"}}}' });
  assert.throws(() => decodeCheckpoint(dangling), /does not contain/);
  // unsupported values are refused at save time
  assert.throws(() => encodeCheckpoint({ f: (() => 1) as unknown as number }), /cannot save/);
  assert.throws(() => encodeCheckpoint({ a: nb.zeros([1]) }, { [STRUCTURE_KEY]: 'x' }), /reserved/);
});
