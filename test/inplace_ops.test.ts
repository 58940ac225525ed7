/**
 * In-place ops (src/ops/inplace.ts) against PyTorch 1.13's semantics: what may be written into a bool tensor,
 * add_/sub_ with alpha and a number, the op named in each refusal, zero_, and copy_'s three paths (a
 * differentiable copy when src takes gradients and grad mode is on, else a plain cast-and-assign: float to
 * int truncates toward zero, float to bool is "nonzero"). The values in comments are PyTorch's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const f64 = (v: number[], requiresGrad = false) => nb.tensor(v, { dtype: 'float64', requiresGrad });

test('a bool tensor takes a bool result in place (logical and), not a number', () => {
  // torch.tensor([True, False]).mul_(torch.tensor([True, True])) → [True, False]
  const b = nb.tensor([true, false]);
  assert.equal(b.mul_(nb.tensor([true, true])), b);
  assert.deepEqual(b.toArray(), [true, false]);
  assert.throws(() => b.add_(1), /^TypeError: add_: result type int32 can't be cast to the desired output type bool/);
});

test('add_/sub_ with alpha: other·alpha, for a tensor and for a number', () => {
  // torch.tensor([1., 2.]).add_(3, alpha=2) → [7, 8]; .sub_(torch.tensor([1., 1.]), alpha=3) → [4, 5]
  const x = f64([1, 2]);
  x.add_(3, 2);
  assert.deepEqual(x.toArray(), [7, 8]);
  x.sub_(f64([1, 1]), 3);
  assert.deepEqual(x.toArray(), [4, 5]);
  x.add_(f64([0.5, 0.25]), 4);
  assert.deepEqual(x.toArray(), [6, 6]);
  const i = nb.tensor([1, 2], { dtype: 'int32' });
  i.sub_(1, 3);
  assert.deepEqual(i.toArray(), [-2, -1]);
  assert.equal(i.dtype, 'int32');
});

test('each refusal names its in-place op', () => {
  const leaf = f64([1, 2], true);
  for (const [op, call] of [
    ['add_', () => leaf.add_(1)], ['sub_', () => leaf.sub_(1)], ['mul_', () => leaf.mul_(2)], ['div_', () => leaf.div_(2)],
    ['clamp_', () => leaf.clamp_(0, 1)], ['copy_', () => leaf.copy_(f64([3, 4]))], ['fill_', () => leaf.fill_(0)], ['zero_', () => leaf.zero_()],
  ] as [string, () => unknown][]) {
    assert.throws(call, (e: Error) => { assert.match(e.message, new RegExp(`^${op.replace('zero_', 'fill_')}: `)); return true; }, op);
  }
  assert.throws(() => new nb.nn.ReLU({ inplace: true }).forward(3 as never), /^TypeError: relu_: self must be a Tensor, got number$/);
  assert.throws(() => f64([1]).copy_([1] as never), /^TypeError: copy_: src must be a Tensor, got an array \[1\]$/);
});

test('zero_ writes zeros and returns self', () => {
  const x = f64([1.5, -2]);
  assert.equal(x.zero_(), x);
  assert.deepEqual(x.toArray(), [0, 0]);
});

test('fill_/zero_ of a non-leaf keep it in the graph with a zero gradient to its old values (PyTorch\'s FillBackward)', () => {
  // PyTorch 1.13: y = x * 2; y.fill_(3); (y * x).sum().backward() → y.requires_grad True, x.grad = [3, 3]
  const x = f64([1, 2], true);
  const y = x.mul(2);
  assert.equal(y.fill_(3), y);
  assert.deepEqual(y.toArray(), [3, 3]);
  assert.equal(y.requiresGrad, true);
  y.mul(x).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [3, 3]);
  // only through the fill: a zero gradient, not none (x.grad = [0, 0] in PyTorch)
  const x2 = f64([1, 2], true);
  const z = x2.mul(2).zero_();
  z.sum().backward();
  assert.deepEqual(x2.grad!.toArray(), [0, 0]);
  // a view of a non-leaf in the graph is refused, as for every in-place op (before, its base kept the old node and
  // the old values' gradient: PyTorch's x.grad [8, 0, 0] for y = 2x; y[1:].fill_(5); (y·y).sum() came out [8, 20, 20])
  const b = f64([1, 2, 3], true).mul(2);
  assert.throws(() => b.narrow(0, 1, 2).fill_(5), /^Error: fill_: in-place modification of a view \[float64 \[2\]\] that requires grad is not supported/);
  // under noGrad: a plain write, the node stays (PyTorch: the write is invisible to autograd)
  const u = f64([1, 2], true).mul(2);
  nb.noGrad(() => u.fill_(7));
  assert.deepEqual([u.requiresGrad, u.gradFn?.name, u.toArray()], [true, 'mul', [7, 7]]);
  // a leaf keeps requiresGrad (writing into it is refused while grad mode is on; here it is off)
  const w = f64([1, 2], true);
  nb.noGrad(() => w.fill_(5));
  assert.equal(w.requiresGrad, true);
  assert.deepEqual(w.toArray(), [5, 5]);
});

test('copy_: differentiable w.r.t. src under grad mode, a plain write under noGrad or from a constant', () => {
  const s = f64([1, 2], true);
  const dst = f64([0, 0]);
  dst.copy_(s);
  assert.equal(dst.requiresGrad, true);
  dst.mul(f64([3, 4])).sum().backward();
  assert.deepEqual(s.grad!.toArray(), [3, 4]);
  const plain = f64([0, 0]);
  nb.noGrad(() => plain.copy_(s));
  assert.equal(plain.requiresGrad, false);
  assert.deepEqual(plain.toArray(), [1, 2]);
  const fromConst = f64([0, 0]);
  fromConst.copy_(f64([5, 6]));
  assert.equal(fromConst.requiresGrad, false);
  assert.equal(fromConst.gradFn, null);
});

test('copy_ casts to self\'s dtype: float → int32 truncates toward zero, float → bool is "nonzero", with grad mode on', () => {
  // torch.zeros(2, dtype=torch.int32).copy_(torch.tensor([1.7, -2.7])) → [1, -2]
  const i = nb.zeros([2], { dtype: 'int32' });
  i.copy_(f64([1.7, -2.7]));
  assert.deepEqual(i.toArray(), [1, -2]);
  // torch.zeros(3, dtype=torch.bool).copy_(torch.tensor([0.5, 0., -2.])) → [True, False, True]
  const b = nb.zeros([3], { dtype: 'bool' });
  b.copy_(f64([0.5, 0, -2]));
  assert.deepEqual(b.toArray(), [true, false, true]);
  // a broadcast source
  const m = nb.zeros([2, 2], { dtype: 'float32' });
  m.copy_(f64([1.5, 2.5]));
  assert.deepEqual(m.toArray(), [[1.5, 2.5], [1.5, 2.5]]);
});

test('clamp_ refuses a fractional bound on an int tensor (PyTorch: "result type Float can\'t be cast"); copy_ into an int tensor leaves the graph and tangents behind', () => {
  const i = nb.tensor([1, 2], { dtype: 'int32' });
  assert.throws(() => i.clamp_(0.5), { name: 'TypeError', message: "clamp_: result type float32 can't be cast to the desired output type int32 (writing into [int32 [2]]); use the out-of-place op or convert self first" });
  assert.deepEqual(i.toArray(), [1, 2]);
  assert.deepEqual(nb.tensor([1, 5], { dtype: 'int32' }).clamp_(2, 3).toArray(), [2, 3]);
  // no bound at all: refused naming clamp_ (PyTorch: "At least one of 'min' or 'max' must not be None")
  assert.throws(() => nb.tensor([1, 5]).clamp_(), { name: 'TypeError', message: 'clamp_: at least one of min and max must be given' });
  assert.throws(() => nb.tensor([1, 5]).clamp_(null, null), { name: 'TypeError', message: 'clamp_: at least one of min and max must be given' });
  // torch.zeros(2, dtype=torch.int32).copy_(torch.ones(2, requires_grad=True) * 1.5): [1, 1], requires_grad False
  const z = nb.zeros([2], { dtype: 'int32' }).copy_(nb.ones([2], { requiresGrad: true }).mul(1.5));
  assert.deepEqual(z.toArray(), [1, 1]);
  assert.equal(z.requiresGrad, false);
  assert.equal(z.gradFn, null);
  // and under forward mode an int tensor takes no tangent (PyTorch: unpack_dual(z).tangent is None)
  nb.autograd.forwardAD.dualLevel(() => {
    const d = nb.autograd.forwardAD.makeDual(nb.ones([2], { dtype: 'float64' }), nb.ones([2], { dtype: 'float64' }));
    const w = nb.zeros([2], { dtype: 'int32' }).copy_(d.mul(1));
    assert.equal(nb.autograd.forwardAD.unpackDual(w).tangent, null);
  });
});
