/**
 * Shape and movement ops (src/ops/movement.ts) at their edges: every refusal with its message, the strides
 * and storage sharing of views (as PyTorch's `.stride()` reports them), empty dims, negative dims, the
 * identity shortcuts, dtype promotion in cat, and the gradients (first order, second order and the tangent of
 * a gradient) of the ops whose backward is a movement of its own (slice's scatter, permute's inverse, cat's
 * pieces). Values and shapes are from PyTorch 1.13 where it defines them; written against the mutants that
 * survived the mutation run of movement.js (tools/mutation/review.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const f64 = (data: nb.NestedArray) => nb.tensor(data, { dtype: 'float64' });
const ar = (...shape: number[]) => nb.arange(shape.reduce((a, b) => a * b, 1), { dtype: 'float64' }).reshape(shape);
const vals = (t: nb.Tensor) => [...t.data()].map(Number);
const err = (message: string, name = 'Error') => ({ name, message });
/** d/dx Σ (f(x) ⊙ w) for a fixed weight w of f(x)'s shape */
function gradOf(f: (x: nb.Tensor) => nb.Tensor, x: nb.Tensor, w?: nb.Tensor): nb.Tensor {
  const xr = x.detach().requiresGrad_(true);
  const y = f(xr);
  const wt = w ?? nb.arange(y.numel(), { dtype: 'float64' }).add(1).reshape(y.shape);
  y.mul(wt).sum().backward();
  return xr.grad!;
}

describe('reshape/view: inferred sizes, refusals, views share storage', () => {
  test('one -1 is inferred; the refusals name the op, the shape and the input size', () => {
    const x = ar(3, 4);
    assert.deepEqual(x.reshape(2, -1, 3).shape, [2, 2, 3]);
    assert.deepEqual(x.view([-1]).shape, [12]);
    assert.throws(() => x.view(-1, -1), err('view: only one dimension can be inferred (-1), got [-1,-1]'));
    assert.throws(() => x.reshape([2, -3]), err('reshape: invalid size -3 in shape [2,-3]'));
    assert.throws(() => x.reshape(4, 2), err('reshape: shape [4,2] is invalid for input of size 12 (from [3,4])'));
    assert.throws(() => x.reshape(-1, 5), err('reshape: shape [-1,5] is invalid for input of size 12 (from [3,4])'));
    // -1 beside a 0 is ambiguous (PyTorch refuses it too)
    assert.throws(() => nb.zeros([0, 3]).reshape(-1, 0), err('reshape: shape [-1,0] is invalid for input of size 0 (from [0,3])'));
    assert.deepEqual(nb.zeros([0, 3]).reshape(3, 0).shape, [3, 0]);
  });

  test('view needs contiguous data (the message suggests reshape); a contiguous slice keeps its offset', () => {
    const x = ar(3, 4);
    assert.throws(() => x.T.view(12), err("view: size [12] is not compatible with input tensor's size and stride [4,3]/[1,4] (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead."));
    const rows = x.slice(0, 1, 3); // rows 1 and 2: contiguous, offset 4
    assert.deepEqual(vals(rows.view(8)), [4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(rows.view(8).storage, x.storage);
    assert.deepEqual(vals(rows.reshape(2, 2, 2)), [4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(rows.reshape(4, 2).storage, x.storage);
  });

  test('reshape to the same shape is the tensor itself; of a non-contiguous tensor a copy in row-major order', () => {
    const x = ar(3, 4);
    assert.equal(x.reshape(3, 4), x);
    const t = x.T.reshape(12);
    assert.notEqual(t.storage, x.storage);
    assert.deepEqual(vals(t), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual([...t.strides], [1]);
    // gradients of view and reshape are the weights in the input's shape
    assert.deepEqual(vals(gradOf((v) => v.view(2, 6), ar(3, 4))), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(vals(gradOf((v) => v.T.reshape(12), ar(3, 4))), [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12]);
  });
});

describe('flatten, squeeze, unsqueeze', () => {
  test('flatten: a 0-d tensor becomes [1]; start/end dims (negative too); start after end refused', () => {
    assert.deepEqual(f64(5).flatten().shape, [1]);
    assert.deepEqual(ar(2, 3, 4, 5).flatten(1, 2).shape, [2, 12, 5]);
    assert.deepEqual(ar(2, 3, 4).flatten(-2).shape, [2, 12]);
    assert.deepEqual(ar(2, 3, 4).flatten(0, -2).shape, [6, 4]);
    assert.deepEqual(ar(2, 3, 4).flatten(1, 1).shape, [2, 3, 4]);
    assert.throws(() => ar(2, 3).flatten(-1, 0), err('flatten: startDim -1 must not come after endDim 0'));
    assert.throws(() => ar(3, 4).flatten(3), err('flatten: dim 3 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
    assert.throws(() => ar(3, 4).flatten(0, 5), err('flatten: dim 5 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
  });

  test('squeeze: all size-1 dims, listed ones (a dim of another size stays), negative dims; a view with the kept strides', () => {
    const x = ar(3, 1, 4, 1);
    assert.deepEqual(x.squeeze().shape, [3, 4]);
    assert.deepEqual([...x.squeeze().strides], [4, 1]);
    assert.deepEqual(x.squeeze(1).shape, [3, 4, 1]);
    assert.deepEqual(x.squeeze(-1).shape, [3, 1, 4]);
    assert.deepEqual(x.squeeze(0).shape, [3, 1, 4, 1]);
    assert.deepEqual(x.squeeze([1, 3]).shape, [3, 4]);
    assert.deepEqual(x.squeeze([0, 3]).shape, [3, 1, 4]);
    assert.equal(x.squeeze().storage, x.storage);
    const off = ar(2, 1, 3).slice(0, 1, 2); // offset 3
    assert.deepEqual(vals(off.squeeze()), [3, 4, 5]);
    assert.throws(() => ar(3, 4).squeeze(2), err('squeeze: dim 2 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
  });

  test('unsqueeze: the new dim\'s stride is PyTorch\'s (stride·size of the dim it precedes, 1 at the end), also on a transpose', () => {
    const x = ar(3, 4);
    assert.deepEqual([...x.unsqueeze(0).strides], [12, 4, 1]);
    assert.deepEqual([...x.unsqueeze(1).strides], [4, 4, 1]);
    assert.deepEqual([...x.unsqueeze(2).strides], [4, 1, 1]);
    assert.deepEqual([...x.unsqueeze(-1).strides], [4, 1, 1]);
    assert.deepEqual(x.unsqueeze(-3).shape, [1, 3, 4]);
    const t = x.T; // [4, 3] with strides [1, 4]
    assert.deepEqual([...t.unsqueeze(0).strides], [4, 1, 4]);
    assert.deepEqual([...t.unsqueeze(1).strides], [1, 12, 4]);
    assert.deepEqual([...t.unsqueeze(2).strides], [1, 4, 1]);
    assert.deepEqual(vals(x.slice(0, 1, 2).unsqueeze(0)), [4, 5, 6, 7]);
    assert.throws(() => x.unsqueeze(3), err('unsqueeze: dim 3 is out of range for a tensor of rank 3 (expected -3..2)', 'RangeError'));
  });
});

describe('permute, transpose, expand', () => {
  test('permute: negative dims, the gradient is the inverse permutation (also for negative dims); non-permutations refused', () => {
    const x = ar(2, 3, 4);
    const y = x.permute(-1, 0, 1);
    assert.deepEqual(y.shape, [4, 2, 3]);
    assert.deepEqual([...y.strides], [1, 12, 4]);
    // d/dx Σ permute(x)·w = permute(w, p⁻¹); with p = (2, 0, 1), p⁻¹ = (1, 2, 0)
    const w = ar(4, 2, 3).add(1);
    assert.deepEqual(vals(gradOf((v) => v.permute(-1, 0, 1), x, w)), vals(w.permute(1, 2, 0).contiguous()));
    assert.deepEqual(vals(gradOf((v) => v.permute(1, -1, 0), x, ar(3, 4, 2).add(1))), vals(ar(3, 4, 2).add(1).permute(2, 0, 1).contiguous()));
    assert.throws(() => x.permute(0, 0, 1), err('permute: dims [0,0,1] is not a permutation of the 3 dimensions of a tensor of shape [2,3,4]'));
    assert.throws(() => x.permute(0, 1), err('permute: dims [0,1] is not a permutation of the 3 dimensions of a tensor of shape [2,3,4]'));
    assert.throws(() => x.permute(0, 1, 3), err('permute: dim 3 is out of range for a tensor of rank 3 (expected -3..2)', 'RangeError'));
  });

  test('transpose: a ≤ 1-D tensor with the default dims is itself; explicit and negative dims', () => {
    const v = ar(3), s = f64(2);
    assert.equal(v.transpose(), v);
    assert.equal(s.transpose(), s);
    assert.deepEqual(v.transpose(0, 0).shape, [3]);
    assert.deepEqual(v.transpose(0, -1).shape, [3]);
    const x = ar(2, 3, 4);
    assert.deepEqual(x.transpose().shape, [2, 4, 3]);
    assert.deepEqual(x.transpose(0, -1).shape, [4, 3, 2]);
    assert.deepEqual([...x.transpose(-3, 1).strides], [4, 12, 1]);
    assert.throws(() => ar(3, 4).transpose(0, 2), err('transpose: dim 2 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
    assert.throws(() => ar(3, 4).transpose(2, 0), err('transpose: dim 2 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
  });

  test('expand: stride 0 for broadcast and new dims, -1 keeps a size, the same shape is the tensor itself; refusals', () => {
    const x = ar(3, 1);
    assert.equal(x.expand(3, 1), x);
    assert.equal(x.expand(-1, -1), x);
    const e = x.expand(2, 3, 4);
    assert.deepEqual(e.shape, [2, 3, 4]);
    assert.deepEqual([...e.strides], [0, 1, 0]);
    assert.deepEqual([...x.expand(2, -1, 1).strides], [0, 1, 1]);
    assert.deepEqual(ar(3).expand(2, -1).shape, [2, 3]);
    assert.deepEqual(ar(2, 3).expand(0, 2, 3).shape, [0, 2, 3]);
    assert.deepEqual(vals(ar(1, 3).slice(1, 1, 3).expand(2, 2)), [1, 2, 1, 2]);
    assert.throws(() => ar(2, 3).expand(3), err("expand: the target shape [3] has fewer dimensions than the tensor's [2,3]"));
    assert.throws(() => ar(2, 3).expand(4, 3), err('expand: the expanded size 4 must match the existing size 2 at dimension 0 (tensor [2,3] to [4,3])'));
    assert.throws(() => ar(2, 3).expand(5, 2, 4), err('expand: the expanded size 4 must match the existing size 3 at dimension 2 (tensor [2,3] to [5,2,4])'));
    // PyTorch: "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0"
    assert.throws(() => ar(1).expand(-1, 3), err('expand: the size -1 (keep the existing size) is not allowed in a new leading dimension 0 (tensor [1] to [-1,3])'));
    // a negative size other than -1 used to reach the allocator ("wasm alloc: invalid size -8")
    assert.throws(() => ar(1).expand(-2), err('expand: sizes must be non-negative or -1, got -2 at dimension 0 (tensor [1] to [-2])'));
    assert.throws(() => ar(3, 4).expand(2, 3, -2), err('expand: sizes must be non-negative or -1, got -2 at dimension 2 (tensor [3,4] to [2,3,-2])'));
    // the gradient sums over the broadcast dims: [3, 1] → [2, 3, 4]
    // the gradient sums over the broadcast dims: [3, 1] → [2, 3, 4] with weights 1…24
    assert.deepEqual(vals(gradOf((v) => v.expand(2, 3, 4), x)), [10 + 58, 26 + 74, 42 + 90]);
  });
});

describe('slice, narrow, select', () => {
  test('Python bounds: clamped, negative, start after end is empty; null and undefined are open ends; the view\'s offset and stride', () => {
    const x = ar(7, 2);
    assert.deepEqual(x.slice(0, -100, 100).shape, [7, 2]);
    assert.deepEqual(x.slice(0, 5, 2).shape, [0, 2]);
    assert.deepEqual(vals(x.slice(0, -2)), [10, 11, 12, 13]);
    assert.deepEqual(vals(x.slice(0, null, -5)), [0, 1, 2, 3]);
    assert.deepEqual(vals(x.slice(0, undefined, undefined, 3)), [0, 1, 6, 7, 12, 13]);
    assert.deepEqual(vals(x.slice(0, 1, 7, 4)), [2, 3, 10, 11]);
    assert.deepEqual(x.slice(0, 1, 6, 2).shape, [3, 2]); // ceil((6 − 1) / 2)
    const v = x.slice(1, 1, 2).slice(0, 2, 7, 2);
    assert.equal(v.offset, 5);
    assert.deepEqual([...v.strides], [4, 1]);
    assert.equal(v.storage, x.storage);
    assert.throws(() => x.slice(0, 0, 2, 0), err('slice: step must be a positive integer, got 0'));
    assert.throws(() => x.slice(0, 0, 2, -1), err('slice: step must be a positive integer, got -1'));
    assert.throws(() => x.slice(0, null, 1.5), err("slice: argument 'end' must be an integer or undefined, got number 1.5", 'TypeError'));
    assert.throws(() => x.slice(0, 'a' as never), err("slice: argument 'start' must be an integer or undefined, got the string 'a'", 'TypeError'));
  });

  test('slice\'s gradient scatters into zeros; differentiable twice, and its tangent is the same scatter', () => {
    const x = ar(6);
    // 1, 3 (start 1, step 2, end 5)
    assert.deepEqual(vals(gradOf((v) => v.slice(0, 1, 5, 2), x)), [0, 1, 0, 2, 0, 0]);
    assert.deepEqual(vals(gradOf((v) => v.slice(1, 1, 3), ar(2, 4))), [0, 1, 2, 0, 0, 3, 4, 0]);
    // the gradient of a slice is itself differentiable: its node is sliceBackward
    const xs = ar(6).requiresGrad_(true);
    const [gs] = nb.autograd.grad(xs.slice(0, 1, 5, 2).pow(2).sum(), [xs], { createGraph: true });
    assert.equal(gs!.gradFn?.name, 'sliceBackward');
    assert.ok(nb.autograd.gradgradcheck((v: nb.Tensor) => v.slice(1, -3, undefined, 2).pow(2), [f64([[0.3, -1.2, 0.7, 2.1], [1.1, 0.4, -0.6, 0.9]]).requiresGrad_(true)]));
    // forward over reverse: d/dt of ∇ Σ slice(x)² = scatter(2 · slice(t))
    const f = (v: nb.Tensor) => v.slice(0, 1, 5, 2).pow(2).sum();
    const [g, dg] = nb.func.jvp(nb.func.grad(f) as (v: nb.Tensor) => nb.Tensor, [f64([1, 2, 3, 4, 5, 6])], [f64([10, 20, 30, 40, 50, 60])]);
    assert.deepEqual(vals(g), [0, 4, 0, 8, 0, 0]);
    assert.deepEqual(vals(dg), [0, 40, 0, 80, 0, 0]);
  });

  test('narrow and select: negative start/index, length 0, and the out-of-range messages', () => {
    const x = ar(3, 4);
    assert.deepEqual(vals(x.narrow(0, -1, 1)), [8, 9, 10, 11]);
    assert.deepEqual(vals(x.narrow(1, 1, 2)), [1, 2, 5, 6, 9, 10]);
    assert.deepEqual(x.narrow(0, 3, 0).shape, [0, 4]);
    assert.throws(() => x.narrow(0, -4, 1), err('narrow: start -4 + length 1 exceeds dimension 0 of size 3', 'RangeError'));
    assert.throws(() => x.narrow(0, 1, -1), err('narrow: start 1 + length -1 exceeds dimension 0 of size 3', 'RangeError'));
    assert.throws(() => x.narrow(0, 2, 2), err('narrow: start 2 + length 2 exceeds dimension 0 of size 3', 'RangeError'));
    assert.deepEqual(vals(x.select(0, -1)), [8, 9, 10, 11]);
    assert.deepEqual(vals(x.select(1, -4)), [0, 4, 8]);
    assert.deepEqual(vals(x.select(-1, 3)), [3, 7, 11]);
    assert.throws(() => x.select(0, -4), err('select: index -4 is out of range for dimension 0 with size 3', 'RangeError'));
    assert.throws(() => x.select(1, 4), err('select: index 4 is out of range for dimension 1 with size 4', 'RangeError'));
    assert.throws(() => x.select(2, 0), err('select: dim 2 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
    assert.throws(() => x.narrow(2, 0, 1), err('narrow: dim 2 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
    assert.throws(() => x.slice(2, 0, 1), err('slice: dim 2 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
  });
});

describe('cat, stack, split, chunk', () => {
  test('cat: dims (negative too), dtype promotion, each input\'s gradient in its own dtype; mismatches refused', () => {
    const a = ar(2, 1), b = ar(2, 2).add(10);
    assert.deepEqual(vals(nb.cat([a, b], -1)), [0, 10, 11, 1, 12, 13]);
    assert.deepEqual(vals(nb.cat([a])), [0, 1]);
    const i = nb.tensor([1, 2], { dtype: 'int32' });
    assert.equal(nb.cat([i, nb.tensor([0.5], { dtype: 'float32' })]).dtype, 'float32');
    assert.equal(nb.cat([nb.tensor([true, false]), i]).dtype, 'int32'); // PyTorch: bool with int32 is int32
    assert.deepEqual(vals(nb.cat([nb.tensor([true, false]), i])), [1, 0, 1, 2]);
    const p = nb.tensor([1, 2], { dtype: 'float32', requiresGrad: true }), q = nb.tensor([3], { dtype: 'float64', requiresGrad: true });
    const y = nb.cat([p, q]);
    assert.equal(y.dtype, 'float64');
    y.mul(f64([1, 2, 3])).sum().backward();
    assert.equal(p.grad!.dtype, 'float32');
    assert.deepEqual(vals(p.grad!), [1, 2]);
    assert.deepEqual(vals(q.grad!), [3]);
    assert.throws(() => nb.cat([ar(3, 4), ar(3, 3)]), err('cat: sizes of tensors must match except in dimension 0; got [3,4], [3,3]'));
    assert.throws(() => nb.cat([ar(3, 4), ar(2, 4)], 1), err('cat: sizes of tensors must match except in dimension 1; got [3,4], [2,4]'));
    assert.throws(() => nb.cat([ar(3, 4), ar(3, 4, 1)], 1), err('cat: sizes of tensors must match except in dimension 1; got [3,4], [3,4,1]'));
    assert.throws(() => nb.cat([]), err('cat: expected a non-empty array of tensors'));
    assert.throws(() => nb.cat([ar(2, 3)], 2), err('cat: dim 2 is out of range for a tensor of rank 2 (expected -2..1)', 'RangeError'));
    // only an *empty* 1-D tensor is left out: a non-empty one beside 2-D tensors is a mismatch
    assert.throws(() => nb.cat([ar(2, 3), ar(3)]), err('cat: sizes of tensors must match except in dimension 0; got [2,3], [3]'));
  });

  test('cat: an empty 1-D tensor beside tensors of another rank takes no part; its gradient is empty, as PyTorch\'s', () => {
    const e = nb.zeros([0], { dtype: 'float64', requiresGrad: true });
    const y = nb.ones([2, 2], { dtype: 'float64', requiresGrad: true });
    const c = nb.cat([e, y.mul(2), e], 0);
    assert.deepEqual(c.shape, [2, 2]);
    c.mul(ar(2, 2)).sum().backward();
    assert.deepEqual(e.grad!.shape, [0]);
    assert.deepEqual(vals(y.grad!), [0, 2, 4, 6]);
    // first in the list: the dims are taken from the first non-empty tensor
    assert.deepEqual(nb.cat([e, ar(2, 3)], 1).shape, [2, 3]);
    // beside 1-D tensors it is an ordinary piece of size 0
    assert.deepEqual(vals(nb.cat([ar(2), e.detach(), ar(1)])), [0, 1, 0]);
    // a 2-D empty input is an ordinary piece: its gradient has its own shape [0, 3]
    const e2 = nb.zeros([0, 3], { dtype: 'float64', requiresGrad: true });
    nb.cat([e2, nb.ones([2, 3], { dtype: 'float64' })]).sum().backward();
    assert.deepEqual(e2.grad!.shape, [0, 3]);
    // all empty: the result is empty
    assert.deepEqual(nb.cat([e.detach(), e.detach()]).shape, [0]);
  });

  test('stack: a new dim at any place (negative too), 0-d tensors, unequal shapes refused', () => {
    assert.deepEqual(vals(nb.stack([f64(1), f64(2)])), [1, 2]);
    const a = ar(2, 3), b = ar(2, 3).add(6);
    assert.deepEqual(nb.stack([a, b], -1).shape, [2, 3, 2]);
    assert.deepEqual(vals(nb.stack([a, b], -1)).slice(0, 4), [0, 6, 1, 7]);
    assert.deepEqual(nb.stack([a, b], 1).shape, [2, 2, 3]);
    assert.throws(() => nb.stack([a, a.T]), err('stack: expects each tensor to be equal size, got [2,3], [3,2]'));
    assert.throws(() => nb.stack([a, b], 3), err('stack: dim 3 is out of range for a tensor of rank 3 (expected -3..2)', 'RangeError'));
    assert.throws(() => nb.stack([]), err('stack: expected a non-empty array of tensors'));
  });

  test('split and chunk: a short last piece, sizes with zeros, empty dims as PyTorch; the refusals', () => {
    const x = ar(5);
    assert.deepEqual(x.split(2).map((t) => vals(t)), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(x.split(10).map((t) => t.shape), [[5]]);
    assert.deepEqual(x.split([0, 5]).map((t) => t.shape), [[0], [5]]);
    assert.deepEqual(ar(2, 5).split(3, -1).map((t) => t.shape), [[2, 3], [2, 2]]);
    // PyTorch 1.13: torch.zeros(0).split(2) is (tensor([]),), torch.zeros(0).chunk(3) three empty tensors
    assert.deepEqual(nb.zeros([0]).split(2).map((t) => t.shape), [[0]]);
    assert.deepEqual(nb.zeros([0]).chunk(3).map((t) => t.shape), [[0], [0], [0]]);
    assert.deepEqual(x.chunk(3).map((t) => t.shape), [[2], [2], [1]]);
    assert.deepEqual(ar(6).chunk(4).map((t) => t.shape), [[2], [2], [2]]);
    assert.deepEqual(ar(2).chunk(5).map((t) => t.shape), [[1], [1]]);
    assert.deepEqual(ar(3, 4).chunk(2, 1).map((t) => vals(t)), [[0, 1, 4, 5, 8, 9], [2, 3, 6, 7, 10, 11]]);
    assert.throws(() => x.split(0), err('split: split size must be a positive integer, got 0'));
    assert.throws(() => x.split(1.5), err('split: split size must be a positive integer, got 1.5'));
    assert.throws(() => x.split([1, 1]), err('split: sizes [1,1] do not sum to the dimension size 5'));
    assert.throws(() => x.split([1, 1.5] as never), err("split: argument 'size' must be an integer or an array of integers, got an array [1, 1.5]", 'TypeError'));
    assert.throws(() => x.split('2' as never), err("split: argument 'size' must be an integer or an array of integers, got the string '2'", 'TypeError'));
    assert.throws(() => x.chunk(0), err('chunk: chunks must be a positive integer, got 0'));
    assert.throws(() => x.chunk(-1), err('chunk: chunks must be a positive integer, got -1'));
    assert.throws(() => x.chunk(2, 1), err('chunk: dim 1 is out of range for a tensor of rank 1 (expected -1..0)', 'RangeError'));
    assert.throws(() => x.split(2, 1), err('split: dim 1 is out of range for a tensor of rank 1 (expected -1..0)', 'RangeError'));
    // split's pieces are views; their gradients land in their places
    assert.deepEqual(vals(gradOf((v) => nb.cat(v.split(2).reverse()), x)), [4, 5, 2, 3, 1]);
  });
});

describe('clone and contiguous', () => {
  test('clone copies (writes do not reach the source, strides are contiguous); contiguous returns a contiguous tensor itself', () => {
    const x = ar(3, 4);
    const c = x.T.clone();
    assert.deepEqual([...c.strides], [3, 1]);
    assert.deepEqual(vals(c), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    const d = x.clone();
    d.add_(1);
    assert.deepEqual(vals(x).slice(0, 3), [0, 1, 2]);
    assert.equal(x.contiguous(), x);
    const t = x.T.contiguous();
    assert.notEqual(t, x.T);
    assert.deepEqual([...t.strides], [3, 1]);
    assert.ok(t.isContiguous());
    assert.deepEqual(vals(gradOf((v) => v.T.clone(), x)), [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12]);
  });
});
