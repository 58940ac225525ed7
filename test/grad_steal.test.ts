/**
 * A leaf's first gradient becomes its .grad without a copy when the engine owns the buffer outright (a whole
 * buffer made in this backward that no other gradient slot, graph node, hook or caller holds), as PyTorch's
 * AccumulateGrad steals an unshared gradient. Anything shared is still copied: two leaves never alias one
 * buffer, and nothing the user can see (a hook's argument, the gradient passed to backward) becomes a .grad.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const N = 1 << 14; // 64 KiB per float32 buffer

function peakOf(fn: () => void): number {
  const start = nb.memory.stats().bytesInUse;
  nb.memory.resetPeak();
  fn();
  return nb.memory.stats().peakBytes - start;
}

const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6 * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
};

test('an unshared gradient becomes .grad without a copy: the backward of x·w peaks at one gradient buffer', () => {
  const g = new nb.Generator(3);
  const x = nb.randn([N], { generator: g }).requiresGrad_(true);
  const w = nb.randn([N], { generator: g });
  const y = x.mul(w).sum();
  // d(Σ x·w)/dx = w: one buffer of N floats (the product of the expanded 1 and w) and nothing else
  const peak = peakOf(() => y.backward());
  assert.ok(peak < 1.5 * 4 * N, `backward peak ${peak} bytes, one buffer is ${4 * N}`);
  close(x.grad!.dataArray(), w.dataArray(), 'x.grad');
  // a second backward accumulates in place into that buffer
  x.mul(w).sum().backward();
  close(x.grad!.dataArray(), Array.from(w.dataArray(), (v) => 2 * v), 'x.grad after two backwards');
});

test('one buffer routed to two leaves (add passes its gradient to both) is copied for one: the two .grads never alias', () => {
  const g = new nb.Generator(4);
  const a = nb.randn([N], { generator: g }).requiresGrad_(true);
  const b = nb.randn([2, N / 2], { generator: g }).requiresGrad_(true);
  const w = nb.randn([N], { generator: g });
  // the sum's gradient G = w reaches a directly and b through a reshape (a view of the same buffer)
  a.add(b.reshape([N])).mul(w).sum().backward();
  close(a.grad!.dataArray(), w.dataArray(), 'a.grad');
  close(b.grad!.dataArray(), w.dataArray(), 'b.grad');
  a.grad!.mul_(0);
  close(b.grad!.dataArray(), w.dataArray(), 'b.grad after a.grad was zeroed in place');
  b.grad!.fill_(5);
  close(a.grad!.dataArray(), new Float32Array(N), 'a.grad after b.grad was filled in place');
  // both accumulate on their own in the next backward
  a.add(b.reshape([N])).mul(w).sum().backward();
  close(a.grad!.dataArray(), w.dataArray(), 'a.grad after the second backward');
  close(b.grad!.dataArray(), Array.from(w.dataArray(), (v) => 5 + v), 'b.grad after the second backward');
});

test('a gradient a hook saw, or the gradient given to backward, is copied: changing it later leaves .grad alone', () => {
  const g = new nb.Generator(5);
  const a = nb.randn([N], { generator: g }).requiresGrad_(true);
  const b = nb.randn([N], { generator: g }).requiresGrad_(true);
  const w = nb.randn([N], { generator: g });
  let seen: nb.Tensor | null = null;
  const h = a.add(b);
  h.registerHook((t) => { seen = t; });
  h.mul(w).sum().backward();
  seen!.mul_(0);
  close(a.grad!.dataArray(), w.dataArray(), 'a.grad after the hook argument was zeroed');
  close(b.grad!.dataArray(), w.dataArray(), 'b.grad after the hook argument was zeroed');

  const c = nb.randn([N], { generator: g }).requiresGrad_(true);
  const gout = nb.randn([N], { generator: g });
  const want = gout.dataArray().slice();
  c.mul(1).backward(gout.mul(1)); // mul's gradient g·1 is a fresh buffer: owned
  close(c.grad!.dataArray(), want, 'c.grad');
  const d = nb.randn([N], { generator: g }).requiresGrad_(true);
  d.add(0).backward(gout); // add passes the caller's tensor through unchanged: copied
  gout.mul_(0);
  close(d.grad!.dataArray(), want, 'd.grad after the gradient given to backward was zeroed');
});

test('retained gradients and leaf hooks keep their own copies', () => {
  const g = new nb.Generator(6);
  const a = nb.randn([N], { generator: g }).requiresGrad_(true);
  const w = nb.randn([N], { generator: g });
  const h = a.mul(w);
  h.retainGrad();
  let fromHook: nb.Tensor | null = null;
  a.registerHook((t) => { fromHook = t; });
  h.sum().backward();
  a.grad!.mul_(3);
  close(fromHook!.dataArray(), w.dataArray(), 'the leaf hook argument after a.grad was scaled in place');
  close(h.grad!.dataArray(), new Float32Array(N).fill(1), 'h.grad');
  close(a.grad!.dataArray(), Array.from(w.dataArray(), (v) => 3 * v), 'a.grad');
});

test('a gradient that is part of a larger buffer (cat hands each input a slice of its gradient) is copied: each .grad holds its own bytes', () => {
  const g = new nb.Generator(7);
  const a = nb.randn([N], { generator: g }).requiresGrad_(true);
  const b = nb.randn([N], { generator: g }).requiresGrad_(true);
  const w = nb.randn([2 * N], { generator: g });
  const before = nb.memory.stats().bytesInUse;
  nb.scope(() => { nb.cat([a, b]).mul(w).sum().backward(); });
  // what outlives the scope is the two gradients, N floats each (a slice kept as a.grad would pin all 2N)
  assert.equal(nb.memory.stats().bytesInUse - before, 2 * 4 * N);
  const ws = w.dataArray();
  close(a.grad!.dataArray(), ws.slice(0, N), 'a.grad');
  close(b.grad!.dataArray(), ws.slice(N), 'b.grad');
});
