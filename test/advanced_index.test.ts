/**
 * Advanced indexing (src/ops/advancedIndex.ts): index lists, int32 tensors and masks in x.index(), PyTorch's
 * placement of the broadcast index dims, the writes indexPut/indexPut_/indexSet_ (accumulate, last write wins,
 * broadcast values), gradients (scatter-add for reads, gather/masked for writes) by float64 gradcheck and by
 * hand, forward mode, and errors that name the function, the item and the dim. The op-table rows of the index
 * and indexPut records add gradgradcheck, layouts and jacfwd = jacrev.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const ar = (...shape: number[]) => nb.arange(shape.reduce((a, b) => a * b, 1), { dtype: 'float64' }).reshape(shape);
const i32 = (v: number[] | number[][]) => nb.tensor(v, { dtype: 'int32' });

test('index lists and int32 tensors gather (values by hand on arange)', () => {
  const x = ar(2, 3, 4); // x[i, j, k] = 12i + 4j + k
  const at = (i: number, j: number, k: number) => 12 * i + 4 * j + k;
  // x[:, [2, 0]] → [2, 2, 4]
  assert.deepEqual(x.index([null, [2, 0]]).toArray(), [0, 1].map((i) => [2, 0].map((j) => [0, 1, 2, 3].map((k) => at(i, j, k)))));
  // x[[1, 0, 1]] with an int32 tensor
  assert.deepEqual(x.index([i32([1, 0, 1])]).shape, [3, 3, 4]);
  assert.equal((x.index([i32([1, 0, 1])]).toArray() as number[][][])[2]![1]![3], at(1, 1, 3));
  // x[[0, 1], :, [1, 3]]: separated index dims → broadcast dims first: out[b, j] = x[i_b, j, k_b]
  assert.deepEqual(x.index([[0, 1], ':', [1, 3]]).toArray(), [[at(0, 0, 1), at(0, 1, 1), at(0, 2, 1)], [at(1, 0, 3), at(1, 1, 3), at(1, 2, 3)]]);
  // x[:, [0, 1], [[0], [2]]]: adjacent → in place, broadcast [2, 2]: out[i, a, b] = x[i, j_b, k_a]
  const y = x.index([':', [0, 1], [[0], [2]]]);
  assert.deepEqual(y.shape, [2, 2, 2]);
  assert.deepEqual(y.toArray(), [0, 1].map((i) => [0, 2].map((k) => [0, 1].map((j) => at(i, j, k)))));
  // integers are selects applied first (PyTorch), so x[0, :, [0, 1]] is [3, 2] (NumPy would give [2, 3])
  assert.deepEqual(x.index([0, null, [0, 1]]).shape, [3, 2]);
  assert.deepEqual(x.index([[0, 1], 0, [0, 1]]).toArray(), [at(0, 0, 0), at(1, 0, 1)]);
  // new axes and negative indices
  assert.deepEqual(x.index(['None', [0, 1], ':', [1, 2]]).shape, [2, 1, 3]);
  assert.deepEqual(x.index([[0, 1], 'newaxis', [1, 2]]).shape, [2, 1, 4]);
  assert.deepEqual(x.index([':', [-1]]).toArray(), [[[8, 9, 10, 11]], [[20, 21, 22, 23]]]);
  assert.deepEqual(x.index(['...', [0, 3]]).shape, [2, 3, 2]);
  assert.deepEqual(x.index([[]]).shape, [0, 3, 4]);
  // ranges: a string item or an array with an open end (an array of integers is an index list)
  assert.deepEqual(x.index([0, ':', '1:3']).toArray(), [[1, 2], [5, 6], [9, 10]]);
  assert.deepEqual(x.index([0, 1, [1, null]]).toArray(), [5, 6, 7]);
  assert.deepEqual(x.index([0, 1, [1, 3]]).toArray(), [5, 7]);
  // the string form takes bracketed lists too
  assert.deepEqual(x.index(':, [2, 0], -1').toArray(), x.index([':', [2, 0], -1]).toArray());
  assert.deepEqual(x.index('[[0], [1]], [0, 2]').shape, [2, 2, 4]);
  assert.deepEqual(x.index('0, [True, False, True]').toArray(), [[0, 1, 2, 3], [8, 9, 10, 11]]);
  assert.throws(() => x.index(':, [0, 2'), /index: cannot read the list '\[0, 2' \(item 1\)/);
  // a 0-d int32 tensor is an index of shape []
  assert.deepEqual(x.index([i32(1 as unknown as number[])]).shape, [3, 4]);
});

test('masks: boolean arrays and bool tensors select the true positions in row-major order', () => {
  const x = ar(2, 3);
  assert.deepEqual(x.index([nb.tensor([[true, false, true], [false, true, true]])]).toArray(), [0, 2, 4, 5]);
  assert.deepEqual(x.index([x.gt(2)]).toArray(), [3, 4, 5]);
  assert.deepEqual(x.index([':', [true, false, true]]).toArray(), [[0, 2], [3, 5]]);
  assert.deepEqual(x.index([[false, true]]).toArray(), [[3, 4, 5]]);
  assert.deepEqual(ar(2, 3, 4).index([[[true, false, true], [false, false, true]]]).toArray(), [[0, 1, 2, 3], [8, 9, 10, 11], [20, 21, 22, 23]]);
  assert.deepEqual(x.index([x.gt(10)]).shape, [0]);
});

test('the gradient of a read scatter-adds: repeated indices add up', () => {
  const x = nb.zeros([3, 2], { dtype: 'float64', requiresGrad: true });
  x.index([[0, 2, 0, 0]]).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [[3, 3], [0, 0], [1, 1]]);
  const m = nb.zeros([2, 2], { dtype: 'float64', requiresGrad: true });
  m.index([nb.tensor([[true, false], [true, true]])]).mul(nb.tensor([1, 2, 3], { dtype: 'float64' })).sum().backward();
  assert.deepEqual(m.grad!.toArray(), [[1, 0], [2, 3]]);
});

test('gradcheck of reads and writes (float64), including repeated indices and masks', () => {
  const f64 = (shape: number[], seed: number) => nb.randn(shape, { dtype: 'float64', requiresGrad: true, generator: new nb.Generator(seed) });
  const mask = nb.tensor([[true, false, true], [false, true, false]]);
  const rows: [string, number[][], (...t: nb.Tensor[]) => nb.Tensor][] = [
    ['read separated', [[2, 3, 4]], (x) => x.index([[0, 1, 1], ':', [3, 0, 3]])],
    ['read mask + slice', [[2, 3, 4]], (x) => x.index([':', [true, false, true], '1:'])],
    ['indexPut accumulate', [[4, 3], [3, 3]], (x, v) => x.indexPut([[0, 2, 0]], v, true)],
    ['indexPut overwrite mask', [[2, 3], [3]], (x, v) => x.indexPut([mask], v)],
    ['indexSet_ slice of a non-leaf', [[3, 4], [3, 2]], (x, v) => x.mul(1).indexSet_(':, 1:3', v)],
    ['indexSet_ index list, value broadcast', [[3, 4], [4]], (x, v) => x.mul(2).indexSet_([[2, 0, 2]], v)],
    ['indexPut_ accumulate in place', [[5], [3]], (x, v) => x.add(0).indexPut_([i32([1, 1, 4])], v, true)],
  ];
  rows.forEach(([what, shapes, f], c) => {
    const xs = shapes.map((s, k) => f64(s, 10 * c + k));
    assert.ok(nb.autograd.gradcheck(f, xs, { name: what }), `${what}: gradcheck`);
    assert.ok(nb.autograd.gradgradcheck(f, xs, { name: what }), `${what}: gradgradcheck`);
  });
});

test('writes: overwrite, accumulate, last write wins, masks, broadcast values; gradients by hand', () => {
  const z = nb.zeros(2, 3);
  assert.equal(z.indexSet_(':, 1:', 5), z, 'in place, returns the tensor');
  assert.deepEqual(z.toArray(), [[0, 5, 5], [0, 5, 5]]);
  assert.deepEqual(nb.zeros(5).indexSet_([[1, 1, 3]], nb.tensor([1, 2, 3])).toArray(), [0, 2, 0, 3, 0]);
  assert.deepEqual(nb.zeros(5).indexPut_([i32([1, 1, 3])], nb.tensor([1, 2, 3]), true).toArray(), [0, 3, 0, 3, 0]);
  assert.deepEqual(nb.zeros(2, 3).indexSet_([nb.tensor([[true, false, true], [false, true, false]])], nb.tensor([1, 2, 3])).toArray(), [[1, 0, 2], [0, 3, 0]]);
  assert.deepEqual(nb.zeros(3, 2).indexSet_([[2, 0]], nb.tensor([7, 8])).toArray(), [[7, 8], [0, 0], [7, 8]]);
  const x0 = nb.ones(2, 2);
  const y0 = nb.indexPut(x0, [[0]], 9);
  assert.deepEqual([x0.toArray(), y0.toArray()], [[[1, 1], [1, 1]], [[9, 9], [1, 1]]], 'indexPut is out of place');
  // writing into a view writes through to its base
  const base = nb.zeros(2, 3);
  base.select(1, 2).indexSet_([[1]], 4);
  assert.deepEqual(base.toArray(), [[0, 0, 0], [0, 0, 4]]);
  // ∂/∂x is 1 off the written positions, ∂/∂values gathers (a repeated accumulate position gathers twice)
  const x = nb.ones([4], { dtype: 'float64', requiresGrad: true });
  const v = nb.ones([3], { dtype: 'float64', requiresGrad: true });
  x.mul(1).indexSet_([[3, 0, 3]], v).mul(nb.tensor([1, 2, 3, 4], { dtype: 'float64' })).sum().backward();
  assert.deepEqual([x.grad!.toArray(), v.grad!.toArray()], [[0, 2, 3, 0], [0, 1, 4]]); // v[0] is overwritten by v[2]
  const xa = nb.ones([4], { dtype: 'float64', requiresGrad: true }), va = nb.ones([3], { dtype: 'float64', requiresGrad: true });
  xa.indexPut([[3, 0, 3]], va, true).mul(nb.tensor([1, 2, 3, 4], { dtype: 'float64' })).sum().backward();
  assert.deepEqual([xa.grad!.toArray(), va.grad!.toArray()], [[1, 2, 3, 4], [4, 1, 4]]);
});

test('forward mode through a read and a write', () => {
  const x = nb.tensor([1, 2, 3], { dtype: 'float64' }), dx = nb.tensor([10, 20, 30], { dtype: 'float64' });
  const [, t] = nb.autograd.jvp((a) => a.index([[2, 0, 2]]), [x], [dx]);
  assert.deepEqual(t.toArray(), [30, 10, 30]);
  const v = nb.tensor([5], { dtype: 'float64' }), dv = nb.tensor([7], { dtype: 'float64' });
  const [y, t2] = nb.autograd.jvp((a, b) => a.indexPut([[1]], b), [x, v], [dx, dv]);
  assert.deepEqual([y.toArray(), t2.toArray()], [[1, 5, 3], [10, 7, 30]]);
});

test('errors name the function, the item and the dim', () => {
  const x = ar(2, 3, 4);
  assert.throws(() => x.index([[5]]), /^RangeError: index: index 5 is out of range for dim 0 with size 2 \(item 0\)/);
  assert.throws(() => x.index([':', [-4]]), /index: index -4 is out of range for dim 1 with size 3 \(item 1\)/);
  assert.throws(() => x.index([0, 3]), /index: index 3 is out of range for dim 1 with size 3 \(item 1\)/);
  assert.throws(() => x.index([[0, 1], [0, 1, 2]]), /index: shape mismatch: indexing arrays could not be broadcast together with shapes \[2\], \[3\]/);
  assert.throws(() => x.index([nb.tensor([0.5])]), /index: item 0 is a float32 tensor; tensors used as indices must be int32/);
  assert.throws(() => x.index([[0.5]]), /index: item 0 must be an array of integers \(an index array\) or of booleans/);
  assert.throws(() => x.index([[[0, 1], [2]]]), /index: item 0 is a ragged nested array/);
  assert.throws(() => x.index([true as any]), /index: item 0 is the boolean true; a mask is a boolean array or a bool tensor/);
  assert.throws(() => x.index([[true, false, true]]), /index: the shape of the mask \[3\] \(item 0\) does not match the shape \[2\] of the indexed dims 0\.\.0/);
  assert.throws(() => x.index([[[true, false, true], [false, true, true]], 0]), /index: a 2-D mask \(item 0\) must be the last item that indexes dims/);
  assert.throws(() => x.index([0, 0, 0, 0]), /index: too many indices for a tensor of rank 3/);
  assert.throws(() => x.index(['...', 0, '...']), /index: an index can only have a single ellipsis/);
  assert.throws(() => x.index('0, 1:2:0'), /index: slice step cannot be zero/);
  assert.throws(() => x.index('0, a'), /index: cannot read 'a'/);
  assert.throws(() => (x as any).index([0], 1), /index: expected 2 arguments/);
  assert.throws(() => nb.zeros(2, 3).indexSet_([[0, 1]], nb.ones(3, 3)), /indexSet_: shape mismatch: value tensor of shape \[3,3\] cannot be broadcast to indexing result of shape \[2,3\]/);
  assert.throws(() => nb.zeros([2], { requiresGrad: true }).indexSet_([[0]], 1), /indexSet_: a leaf tensor that requires grad/);
  assert.throws(() => nb.zeros(2).indexPut_([[0]], 1, 'yes' as any), /indexPut_: accumulate must be true or false/);
  assert.throws(() => nb.zeros(2).indexPut([[0]], 1, { acumulate: true } as any), /indexPut: unknown option 'acumulate'/);
  assert.throws(() => nb.zeros(2).indexPut_('0' as any, 1), /indexPut_: indices must be an array of index tensors or arrays/);
  assert.throws(() => nb.zeros(2).indexSet_([[0]], 'a' as any), /indexSet_: values must be a Tensor or a number/);
});
