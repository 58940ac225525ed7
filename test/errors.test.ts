/**
 * One test per class of bad input: each asserts the error's type where it matters and its message by
 * regex (the message must name the op and the offending shapes/values).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const i32 = (data: nb.NestedArray) => nb.tensor(data, { dtype: 'int32' });

test('matmul shape mismatch names both shapes and the inner dimensions', () => {
  assert.throws(() => nb.matmul(nb.ones([2, 3]), nb.ones([4, 5])), /^Error: matmul: cannot multiply \[2,3\] by \[4,5\]: inner dimensions 3 and 4 differ$/);
  assert.throws(() => nb.ones([2, 2, 3]).matmul(nb.ones([3, 3, 4])), /matmul \(batch dimensions\): shapes \[2\] and \[3\] cannot be broadcast together/);
  assert.throws(() => nb.matmul(nb.ones([3]), nb.ones([4])), /matmul: inconsistent tensor size: 1-D tensors of 3 and 4 elements/);
  assert.throws(() => nb.matmul(nb.ones([]), nb.ones([3])), /matmul: both arguments need at least 1 dimension/);
  assert.throws(() => nb.linear(nb.ones([2, 3]), nb.ones([4, 5])), /linear: input \[2,3\] has 3 features but weight \[4,5\] expects 5/);
});

test('broadcast failure names the op, both shapes and the dimension', () => {
  assert.throws(() => nb.add(nb.ones([2, 3]), nb.ones([4])), /add: shapes \[2,3\] and \[4\] cannot be broadcast together \(dimension 1: 3 vs 4\)/);
  assert.throws(() => nb.ones([3, 2]).mul(nb.ones([2, 3])), /mul: shapes \[3,2\] and \[2,3\] cannot be broadcast together/);
  assert.throws(() => nb.where(nb.ones([2]).gt(0), nb.ones([3]), 0), /where: shapes \[2\] and \[3\] cannot be broadcast together/);
  assert.throws(() => nb.ones([3, 4]).expand(3, 5), /expand: the expanded size 5 must match the existing size 4 at dimension 1/);
  assert.throws(() => nb.ones([3]).add_(nb.ones([2, 3])), /add_: output with shape \[3\] doesn't match the broadcast shape \[2,3\]/);
});

test('a bad dim is a RangeError naming the dim and the rank', () => {
  const x = nb.ones([3, 4]);
  assert.throws(() => nb.sum(x, 5), { name: 'RangeError', message: /sum: dim 5 is out of range for a tensor of rank 2 \(expected -2\.\.1\)/ });
  assert.throws(() => x.mean(-3), /mean: dim -3 is out of range/);
  assert.throws(() => x.max(2), /max: dim 2 is out of range/);
  assert.throws(() => x.transpose(0, 2), /transpose: dim 2 is out of range/);
  assert.throws(() => x.unsqueeze(4), /unsqueeze: dim 4 is out of range/);
  assert.throws(() => nb.cat([x, x], 2), /cat: dim 2 is out of range/);
  assert.throws(() => x.sum([0, 0]), /sum: dim \[0,0\] repeats a dimension/);
  assert.throws(() => x.permute(0, 0), /permute: dims \[0,0\] is not a permutation/);
  assert.throws(() => x.select(0, 3), { name: 'RangeError', message: /select: index 3 is out of range for dimension 0 with size 3/ });
  assert.throws(() => x.narrow(1, 2, 3), /narrow: start 2 \+ length 3 exceeds dimension 1 of size 4/);
});

test('reshape / view size mismatch', () => {
  const x = nb.ones([3, 4]);
  assert.throws(() => x.reshape(4, 4), /reshape: shape \[4,4\] is invalid for input of size 12 \(from \[3,4\]\)/);
  assert.throws(() => x.reshape(-1, 5), /reshape: shape \[-1,5\] is invalid for input of size 12/);
  assert.throws(() => x.reshape(-1, -1), /reshape: only one dimension can be inferred/);
  assert.throws(() => x.view(5), /view: shape \[5\] is invalid for input of size 12/);
  assert.throws(() => x.T.view(12), /view: size \[12\] is not compatible with input tensor's size and stride.*Use \.reshape/);
  assert.throws(() => nb.tensor([1, 2, 3], { shape: [2, 2] }), /tensor: shape \[2,2\] needs 4 values, got 3/);
  assert.throws(() => nb.zeros([2, -1]), /zeros: invalid shape \[2,-1\]: sizes must be non-negative integers/);
});

test('backward on a non-scalar without a gradient', () => {
  const x = nb.ones([3], { requiresGrad: true });
  assert.throws(() => x.mul(2).backward(), /backward: grad can be implicitly created only for scalar outputs; got shape \[3\]/);
  assert.throws(() => x.mul(2).backward(nb.ones([2])), /backward: gradient has shape \[2\], but the tensor has shape \[3\]/);
  assert.throws(() => nb.autograd.grad(x.mul(2), x), /autograd.grad: grad can be implicitly created only for scalar outputs/);
});

test('backward on a tensor that does not require grad', () => {
  assert.throws(() => nb.ones([2]).sum().backward(), /backward: element 0 of tensors does not require grad and does not have a gradFn/);
  const x = nb.ones([2], { requiresGrad: true });
  assert.throws(() => nb.noGrad(() => x.mul(2)).sum().backward(), /does not require grad/);
  assert.throws(() => nb.autograd.grad(x.sum(), nb.ones([2])), /autograd.grad: input 0 .* does not require grad/);
});

test('backward twice through freed saved tensors', () => {
  const x = nb.ones([2], { requiresGrad: true });
  const y = x.mul(x).sum();
  y.backward();
  assert.throws(() => y.backward(), /mul: trying to backward through the graph a second time.*retainGraph: true/s);
});

test('requiresGrad on an integer or bool tensor', () => {
  assert.throws(() => nb.tensor([1, 2], { dtype: 'int32', requiresGrad: true }), { name: 'TypeError', message: /requiresGrad: only floating point tensors can require gradients, got dtype int32/ });
  assert.throws(() => nb.tensor([true]).requiresGrad_(), /got dtype bool/);
  const y = nb.ones([2], { requiresGrad: true }).mul(2);
  assert.throws(() => { y.requiresGrad = false; }, /only change requiresGrad flags of leaf tensors/);
});

test('ragged nested arrays and non-numbers', () => {
  assert.throws(() => nb.tensor([[1, 2], [3]]), /tensor: ragged nested array at data\[1\]: expected length 2, got 1/);
  assert.throws(() => nb.tensor([[1, 2], 3] as nb.NestedArray), /ragged nested array at data\[1\]: expected length 2, got a scalar/);
  assert.throws(() => nb.tensor([[1], [[2]]] as nb.NestedArray), /ragged nested array at data\[1\]\[0\]: expected a number, found an array/);
  assert.throws(() => nb.tensor(['a'] as unknown as nb.NestedArray), { name: 'TypeError', message: /expected numbers or booleans, found string at data\[0\]/ });
});

test('dtype errors', () => {
  const x = nb.ones([2, 2]);
  assert.throws(() => nb.where(x, x, x), { name: 'TypeError', message: /where: argument 'condition' must be a bool tensor, got float32/ });
  assert.throws(() => nb.tensor([1], { dtype: 'float8' as nb.DType }), { name: 'TypeError', message: /tensor: unknown dtype "float8"; expected one of float32, float64, int32, bool, bfloat16, float16/ });
  assert.throws(() => x.gather(0, nb.zeros([2, 2])), { name: 'TypeError', message: /gather: index must be an int32 tensor, got float32/ });
  assert.throws(() => nb.matmul(nb.tensor([[true]]), nb.tensor([[true]])), /matmul: not implemented for bool tensors/);
  assert.throws(() => nb.add('1' as unknown as nb.Tensor, x), { name: 'TypeError', message: /add: argument 'input' must be a Tensor or a number, got the string/ });
  assert.throws(() => nb.exp([1, 2] as unknown as nb.Tensor), { name: 'TypeError', message: /exp: argument 'input' must be a Tensor, got an array/ });
  assert.throws(() => nb.autograd.gradcheck((t) => t.exp(), [nb.ones([2], { requiresGrad: true })]), /gradcheck: input 0 of .* is float32; gradcheck needs float64 inputs/);
});

test('index out of range in gather / indexSelect / scatterAdd / indexAdd', () => {
  const x = nb.ones([3, 4]);
  assert.throws(() => x.gather(1, i32([[5], [0], [0]])), { name: 'RangeError', message: /gather: index 5 is out of bounds for dimension 1 with size 4/ });
  assert.throws(() => x.gather(1, i32([[-5], [0], [0]])), /gather: index -5 is out of bounds/);
  assert.throws(() => x.gather(1, i32([0, 1])), /gather: index \[2\] must have the same rank as input \[3,4\]/);
  assert.throws(() => x.indexSelect(0, i32([0, 7])), { name: 'RangeError', message: /indexSelect: index 7 is out of bounds for dimension 0 with size 3/ });
  assert.throws(() => x.indexSelect(0, i32([[0]])), /indexSelect: index must be 0-D or 1-D, got shape \[1,1\]/);
  assert.throws(() => nb.scatterAdd([3, 4], 1, i32([[9]]), nb.ones([1, 1])), /scatterAdd: index 9 is out of bounds for dimension 1 with size 4/);
  assert.throws(() => nb.indexAdd([3, 4], 0, i32([5]), nb.ones([1, 4])), /indexAdd: index 5 is out of bounds for dimension 0 with size 3/);
  assert.throws(() => nb.indexAdd([3, 4], 0, i32([1]), nb.ones([2, 4])), /indexAdd: src must have shape \[1,4\], got \[2,4\]/);
});

test('cat / stack / split mismatches', () => {
  assert.throws(() => nb.cat([nb.ones([2, 3]), nb.ones([2, 4])], 0), /cat: sizes of tensors must match except in dimension 0; got \[2,3\], \[2,4\]/);
  assert.throws(() => nb.cat([nb.ones([2, 3]), nb.ones([3])], 0), /cat: sizes of tensors must match/);
  assert.throws(() => nb.cat([]), /cat: expected a non-empty array of tensors/);
  assert.throws(() => nb.stack([nb.ones([2]), nb.ones([3])]), /stack: expects each tensor to be equal size, got \[2\], \[3\]/);
  assert.throws(() => nb.ones([5]).split([2, 2]), /split: sizes \[2,2\] do not sum to the dimension size 5/);
  assert.throws(() => nb.ones([5]).chunk(0), /chunk: chunks must be a positive integer, got 0/);
});

test('in-place misuse', () => {
  const w = nb.ones([2], { requiresGrad: true });
  assert.throws(() => w.mul_(2), /mul_: a leaf tensor that requires grad \[float32 \[2\]\] is being used in an in-place operation/);
  const x = nb.ones([2], { requiresGrad: true }).mul(1);
  assert.throws(() => x.slice(0, 0, 1).add_(1), /add_: in-place modification of a view .* that requires grad is not supported/);
  assert.throws(() => nb.ones([3]).item(), /item: only a tensor with one element can be converted to a number, got shape \[3\]/);
});

test('using a disposed tensor', () => {
  const t = nb.ones([2]);
  t.dispose();
  assert.throws(() => t.add(1), /tensor \[float32 \[2\]\] was disposed; its memory has been released/);
});
