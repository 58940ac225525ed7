/**
 * Eager release of gradient buffers and backward temporaries in every backward without createGraph (not only
 * under nb.memory.record): the peak of a backward through a chain of element-wise ops stays a few buffers
 * high instead of growing with the chain, and nothing the user holds is freed — .grad, retained grads, what
 * hooks saw, what autograd.grad returns, tensors a custom Function's backward made, and tensors made before
 * the backward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const N = 1 << 16; // 256 KiB per float32 buffer
const MiB = 2 ** 20;

/** peak bytes above the start while fn runs (nb.memory's peak counter) */
function peakOf(fn: () => void): number {
  const start = nb.memory.stats().bytesInUse;
  nb.memory.resetPeak();
  fn();
  return nb.memory.stats().peakBytes - start;
}

test('a backward through a 40-op chain peaks at a few buffers, not one per op (no memory.record)', () => {
  const x = nb.randn([N], { generator: new nb.Generator(1) }).requiresGrad_(true);
  const peak = peakOf(() => nb.scope(() => {
    // the forward keeps 40 saved inputs; the backward's gradients and formula temporaries are freed as they are spent
    let h = x;
    for (let i = 0; i < 40; i++) h = h.mul(1.001).sin();
    nb.scope(() => { h.sum().backward(); });
    return 0;
  }));
  const buf = 4 * N;
  // forward: ~80 buffers (sin saves its input, mul's output is sin's input); backward adds a handful at a time
  assert.ok(peak < buf * 90, `peak ${(peak / MiB).toFixed(1)} MiB = ${(peak / buf).toFixed(1)} buffers`);
  const fwd = peakOf(() => nb.scope(() => { let h = x; for (let i = 0; i < 40; i++) h = h.mul(1.001).sin(); return 0; }));
  // without eager release the backward adds ~3 buffers per op on top of the forward (120 more)
  assert.ok(peak - fwd < buf * 12, `backward adds ${((peak - fwd) / buf).toFixed(1)} buffers to the forward's ${(fwd / buf).toFixed(1)}`);
  // and the gradient is right: d/dx of the chain, checked against the float64 chain rule on a few elements
  const xs = x.dataArray(), gs = x.grad!.dataArray();
  for (const i of [0, 1, 7, 1000]) {
    let v = xs[i]!, d = 1;
    for (let k = 0; k < 40; k++) { const u = v * 1.001; d *= 1.001 * Math.cos(u); v = Math.sin(u); }
    assert.ok(Math.abs(gs[i]! - d) <= 1e-5 * Math.max(1, Math.abs(d)), `grad[${i}] ${gs[i]} vs ${d}`);
  }
  x.grad!.dispose(); x.dispose();
});

test('nothing the user holds is freed: .grad, retained grads, hook arguments, autograd.grad results, tensors from before', () => {
  const g = new nb.Generator(2);
  const w = nb.randn([64, 64], { generator: g }).requiresGrad_(true);
  const before = nb.randn([64, 64], { generator: g });
  const seen: nb.Tensor[] = [];
  nb.scope(() => {
    const a = w.matmul(w).tanh();
    a.retainGrad();
    a.registerHook((t) => { seen.push(t); });
    const b = a.mul(before).exp().mean();
    b.backward();
    // read everything after the whole backward has finished
    assert.equal(a.grad!.shape.join(), '64,64');
    assert.ok(a.grad!.dataArray().every(Number.isFinite));
    assert.ok(seen[0]!.dataArray().every(Number.isFinite));
    assert.deepEqual(seen[0]!.dataArray(), a.grad!.dataArray(), 'the hook saw the gradient retained in a.grad');
    const c = w.sin().mul(w).sum();
    const [gw] = nb.autograd.grad(c, [w]);
    // gw = sin w + w cos w, element for element
    const ws = w.dataArray(), gs = gw!.dataArray();
    for (let i = 0; i < ws.length; i += 97) assert.ok(Math.abs(gs[i]! - (Math.sin(ws[i]!) + ws[i]! * Math.cos(ws[i]!))) < 1e-5);
    return 0;
  });
  assert.ok(w.grad!.dataArray().every(Number.isFinite));
  assert.ok(before.dataArray().every(Number.isFinite));
  w.grad!.dispose(); w.dispose(); before.dispose();
});

test('a custom Function\'s backward is user code: a tensor it makes and keeps, and the gradient it returns, stay alive', () => {
  const kept: nb.Tensor[] = [];
  class Cube extends nb.autograd.Function {
    static override forward(ctx: nb.autograd.FunctionCtx, x: nb.Tensor): nb.Tensor {
      ctx.saveForBackward(x);
      return x.mul(x).mul(x);
    }
    static override backward(ctx: nb.autograd.FunctionCtx, g: nb.Tensor): nb.Tensor {
      const [x] = ctx.savedTensors as [nb.Tensor];
      const slope = x.mul(x).mul(3);
      kept.push(slope); // the user keeps a tensor made in backward
      const gx = g.mul(slope);
      kept.push(gx); // and the gradient it returns
      return gx;
    }
  }
  const x = nb.tensor([1, 2, 3], { dtype: 'float32' }).requiresGrad_(true);
  Cube.apply(x).mul(2).sin().sum().backward();
  assert.deepEqual(kept[0]!.dataArray(), [3, 12, 27]);
  const want = [1, 2, 3].map((v) => Math.cos(2 * v ** 3) * 2 * 3 * v * v);
  kept[1]!.dataArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4 * Math.max(1, Math.abs(want[i]!)), `${v} vs ${want[i]}`));
  x.grad!.dataArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4 * Math.max(1, Math.abs(want[i]!))));
});

test('createGraph keeps every gradient (they are inputs of the second backward)', () => {
  const x = nb.tensor([0.5, -1, 2], { dtype: 'float64' }).requiresGrad_(true);
  const [g] = nb.autograd.grad(x.mul(x).mul(x).sin().sum(), [x], { createGraph: true });
  const [h] = nb.autograd.grad(g!.sum(), [x]);
  // f = sin(x³): f' = 3x² cos x³, f'' = 6x cos x³ − 9x⁴ sin x³
  h!.dataArray().forEach((v, i) => { const t = [0.5, -1, 2][i]!; const e = 6 * t * Math.cos(t ** 3) - 9 * t ** 4 * Math.sin(t ** 3); assert.ok(Math.abs(v - e) < 1e-12, `${v} vs ${e}`); });
});

test('a gradient summed into a buffer is freed once added: 40 branches into one tensor peak at a few buffers, not one per branch', () => {
  const x = nb.randn([N], { generator: new nb.Generator(3) }).requiresGrad_(true);
  // loss = Σₖ sum(h·(k+1)) with h = 1.001·x: mul by a number saves only a 0-d tensor, so the backward frees no saved buffer
  // to offset what it keeps; each branch's gradient (k+1)·1 is added into h's buffer and is then garbage
  const buf = 4 * N;
  nb.scope(() => {
    const h = x.mul(1.001);
    let loss = h.mul(1).sum();
    for (let k = 1; k < 40; k++) loss = loss.add(h.mul(k + 1).sum());
    const peak = peakOf(() => nb.scope(() => { loss.backward(); return 0; }));
    // kept branch gradients would be 39 more buffers
    assert.ok(peak < buf * 10, `backward peak ${(peak / buf).toFixed(1)} buffers`);
    return 0;
  });
  // d loss/dx = 1.001 · Σₖ (k+1) = 1.001 · 820 on every element
  const gs = x.grad!.dataArray();
  for (const i of [0, 5, N - 1]) assert.ok(Math.abs(gs[i]! - 1.001 * 820) <= 1e-3, `grad[${i}] ${gs[i]}`);
  x.grad!.dispose(); x.dispose();
});
