/**
 * Activation checkpointing (nb.utils.checkpoint, non-reentrant semantics): gradients bitwise equal to the
 * un-checkpointed run (dropout included: the recomputation replays the default generator), autograd.grad with
 * several outputs and inputs that need no grad, nested segments, double backward, the determinism check, and
 * the memory it saves on an 8-layer MLP (measured with nb.memory.record).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const { checkpoint, checkpointSequential } = nb.utils;

function mlp(seed: number, dtype: nb.DType, dropout: number) {
  const g = new nb.Generator(seed);
  const layers: nb.nn.Module[] = [];
  for (let i = 0; i < 4; i++) {
    layers.push(new nb.nn.Linear(i === 0 ? 6 : 10, 10, { generator: g, dtype }), new nb.nn.Tanh());
    if (dropout > 0) layers.push(new nb.nn.Dropout(dropout));
  }
  layers.push(new nb.nn.Linear(10, 3, { generator: g, dtype }));
  return new nb.nn.Sequential(...layers);
}

function bits(t: nb.Tensor | null): string {
  assert.ok(t, 'gradient exists');
  return Buffer.from(new Float64Array(t!.data()).buffer).toString('hex');
}

test('gradients with and without checkpointing are bitwise equal (dropout replayed, float64 and float32)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const run = (useCkpt: boolean) => {
      const model = mlp(11, dtype, 0.3);
      const x = nb.randn([5, 6], { dtype, generator: new nb.Generator(2) }).requiresGrad_();
      nb.manualSeed(99);
      const mods = model.children();
      const h = useCkpt
        ? checkpoint((a: nb.Tensor) => checkpoint((b: nb.Tensor) => mods.slice(0, 3).reduce((v, m) => m.call(v) as nb.Tensor, b), a), x)
        : mods.slice(0, 3).reduce((v, m) => m.call(v) as nb.Tensor, x);
      const h2 = useCkpt ? checkpoint((a: nb.Tensor) => mods.slice(3, 9).reduce((v, m) => m.call(v) as nb.Tensor, a), h) : mods.slice(3, 9).reduce((v, m) => m.call(v) as nb.Tensor, h);
      const out = mods.slice(9).reduce((v, m) => m.call(v) as nb.Tensor, h2);
      nb.manualSeed(1234); // generator moves between forward and backward: the recomputation must not care
      out.square().sum().backward();
      return { out: bits(out), x: bits(x.grad), params: model.parameters().map((p) => bits(p.grad)) };
    };
    const plain = run(false), ckpt = run(true);
    assert.equal(ckpt.out, plain.out, `${dtype}: forward`);
    assert.equal(ckpt.x, plain.x, `${dtype}: input gradient`);
    assert.deepEqual(ckpt.params, plain.params, `${dtype}: parameter gradients`);
  }
});

test('without preserveRngState the dropout mask is redrawn and the gradient differs (the pitfall it guards)', () => {
  const grads = (preserveRngState: boolean) => {
    const x = nb.ones([64], { dtype: 'float64', requiresGrad: true });
    nb.manualSeed(5);
    const y = checkpoint((a: nb.Tensor) => nb.dropout(a.mul(3), { p: 0.5 }), x, { preserveRngState });
    y.sum().backward();
    return { y: y.dataArray(), g: x.grad!.dataArray() };
  };
  const kept = grads(true);
  assert.deepEqual(kept.g, kept.y, 'd/dx sum(dropout(3x)) at x = 1 equals the forward output 3·mask/(1−p)');
  const lost = grads(false);
  assert.notDeepEqual(lost.g, lost.y);
});

test('autograd.grad through a checkpoint: several outputs, an input without grad, closure parameters', () => {
  const w = nb.randn([4, 4], { dtype: 'float64', generator: new nb.Generator(1) }).requiresGrad_();
  const x = nb.randn([3, 4], { dtype: 'float64', generator: new nb.Generator(2) }).requiresGrad_();
  const c = nb.randn([3, 4], { dtype: 'float64', generator: new nb.Generator(3) }); // no grad
  const seg = (a: nb.Tensor, b: nb.Tensor, scale: number): nb.Tensor[] => {
    const h = a.matmul(w).sigmoid();
    return [h.mul(b).mul(scale), h.exp()];
  };
  const loss = (outs: nb.Tensor[]) => outs[0]!.sum().add(outs[1]!.square().mean());
  const ref = nb.autograd.grad(loss(seg(x, c, 2)), [x, w]);
  const got = nb.autograd.grad(loss(checkpoint(seg, x, c, 2)), [x, w]);
  assert.equal(bits(got[0]!), bits(ref[0]!));
  assert.equal(bits(got[1]!), bits(ref[1]!));
  // only one output used: the other gets no gradient, still exact
  const ref1 = nb.autograd.grad(seg(x, c, 2)[1]!.sum(), [w]);
  const got1 = nb.autograd.grad(checkpoint(seg, x, c, 2)[1]!.sum(), [w]);
  assert.equal(bits(got1[0]!), bits(ref1[0]!));
  // no grad mode: a plain call
  const ng = nb.noGrad(() => checkpoint(seg, x, c, 2));
  assert.equal(ng[0]!.requiresGrad, false);
});

test('double backward through a checkpoint works: gradgradcheck (float64) and Hessian-vector product = plain', () => {
  const f = (x: nb.Tensor) => checkpoint((a: nb.Tensor) => checkpoint((b: nb.Tensor) => b.mul(b).sin(), a).mul(a).tanh(), x);
  const x = nb.randn([5], { dtype: 'float64', generator: new nb.Generator(4) }).requiresGrad_();
  assert.ok(nb.autograd.gradgradcheck(f, [x]));
  const plain = (a: nb.Tensor) => a.mul(a).sin().mul(a).tanh();
  const v = [nb.randn([5], { dtype: 'float64', generator: new nb.Generator(6) })];
  const [, hvC] = nb.autograd.hvp((a) => f(a).sum(), [x], v);
  const [, hvP] = nb.autograd.hvp((a) => plain(a).sum(), [x], v);
  // the recomputed graph sums the second-order terms in another order: equal to rounding
  const a = hvC[0]!.dataArray(), b = hvP[0]!.dataArray();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-12 * (1 + Math.abs(b[i]!)), `hvp[${i}]: ${v} vs ${b[i]}`));
});

test('checkpointSequential equals running the Sequential (float64, bitwise), also with more segments than modules', () => {
  for (const segments of [1, 2, 3, 20]) {
    const m1 = mlp(7, 'float64', 0), m2 = mlp(7, 'float64', 0);
    const x = nb.randn([4, 6], { dtype: 'float64', generator: new nb.Generator(8) });
    const a = m1.call(x) as nb.Tensor;
    const b = checkpointSequential(m2, segments, x);
    assert.equal(bits(b), bits(a));
    a.sum().backward();
    b.sum().backward();
    assert.deepEqual(m2.parameters().map((p) => bits(p.grad)), m1.parameters().map((p) => bits(p.grad)), `segments=${segments}`);
  }
  assert.throws(() => checkpointSequential(mlp(1, 'float32', 0), 0, nb.zeros([1, 6])), /segments must be a positive integer/);
});

test('the determinism check names the mismatching tensor; an input changed in place is caught', () => {
  let calls = 0;
  const x = nb.randn([4], { requiresGrad: true });
  const y = checkpoint((a: nb.Tensor) => (++calls === 1 ? a.exp() : a.reshape([2, 2]).exp().reshape([4])), x);
  assert.throws(() => y.sum().backward(), /checkpoint: recomputed values .* position 0: saved \[float32 \[4\]\], recomputed \[float32 \[2,2\]\]/);
  calls = 0;
  const y2 = checkpoint((a: nb.Tensor) => (++calls === 1 ? a.exp() : a.exp().sin()), x);
  assert.throws(() => y2.sum().backward(), /different number of tensors .*\(forward: 1, recomputation: 2\)/);
  calls = 0;
  const y3 = checkpoint((a: nb.Tensor) => (++calls === 1 ? a.exp() : a.exp().sin()), x, { determinismCheck: 'none' });
  assert.doesNotThrow(() => y3.sum().backward());
  const h = x.mul(2);
  const y4 = checkpoint((a: nb.Tensor) => a.exp(), h);
  nb.noGrad(() => h.add_(1));
  assert.throws(() => y4.sum().backward(), /input 0 \[float32 \[4\]\] of a checkpointed segment was modified by an inplace operation/);
});

test('memory: an 8-layer MLP step keeps ≥ 40% fewer activation bytes when each pair of layers is a checkpoint', () => {
  const peaks = (segments: number) => {
    const model = new nb.nn.Sequential(...Array.from({ length: 8 }, (_, i) => new nb.nn.Linear(64, 64, { generator: new nb.Generator(i), activation: i < 7 ? 'relu' : 'none' })));
    const x = nb.randn([128, 64], { generator: new nb.Generator(9) });
    model.zeroGrad();
    const tl = nb.memory.record(() => {
      const mods = model.children();
      let out = x;
      for (let s = 0; s < 8; s += 8 / Math.max(segments, 1)) {
        const chunk = (h: nb.Tensor) => mods.slice(s, s + 8 / Math.max(segments, 1)).reduce((v, m) => m.call(v) as nb.Tensor, h);
        out = segments ? checkpoint(chunk, out) : chunk(out);
      }
      nb.memory.mark('forward done');
      out.square().mean().backward();
    });
    const fwd = tl.events.find((e) => e.kind === 'mark')!;
    return { peak: tl.peakBytes - tl.startBytes, atForwardEnd: fwd.bytesInUse - tl.startBytes, grads: model.parameters().map((p) => bits(p.grad)) };
  };
  const plain = peaks(0), ckpt = peaks(4);
  assert.deepEqual(ckpt.grads, plain.grads);
  assert.ok(ckpt.atForwardEnd <= 0.6 * plain.atForwardEnd, `activation bytes after forward: ${ckpt.atForwardEnd} vs ${plain.atForwardEnd}`);
  assert.ok(ckpt.peak < plain.peak, `peak ${ckpt.peak} vs ${plain.peak}`);
});
