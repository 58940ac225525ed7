/**
 * x.index / indexPut / indexPut_ / indexSet_ (src/ops/advancedIndex.ts) at their edges: every form of the string
 * spec, slices given as arrays with open ends, empty and 0-d index arrays, ellipsis and newaxis in every place,
 * the adjacency rule, last-write-wins and dtype casts in writes, gradients through an in-place write, and each
 * refusal with its message. Shapes and values are PyTorch 1.13's for the same Python index; written against the
 * mutants that survived the mutation run of advancedIndex.js (tools/mutation/review.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const x = () => nb.arange(24, { dtype: 'float64' }).reshape(2, 3, 4);
const vals = (t: nb.Tensor) => [...t.data()].map(Number);
const err = (message: string, name = 'TypeError') => ({ name, message });

describe('reading', () => {
  test('the string form: Ellipsis/None/newaxis, steps, open ends, a whole-dim slice; what it cannot read', () => {
    assert.deepEqual(x().index('Ellipsis, None, 1').shape, [2, 3, 1]); // x[..., None, 1]
    assert.deepEqual(x().index('..., newaxis').shape, [2, 3, 4, 1]);
    assert.deepEqual(vals(x().index('1, ..., 0')), [12, 16, 20]);
    assert.deepEqual(vals(x().index(':, ::2, 1:')), [1, 2, 3, 9, 10, 11, 13, 14, 15, 21, 22, 23]);
    assert.deepEqual(vals(x().index('0, -1, :2')), [8, 9]);
    assert.deepEqual(x().index('0, ::1').shape, [3, 4]);
    assert.deepEqual(x().index('[True, False]').shape, [1, 3, 4]);
    assert.deepEqual(vals(x().index('0, [0, 2]')), [0, 1, 2, 3, 8, 9, 10, 11]);
    assert.throws(() => x().index('a:b'), err("index: cannot read 'a:b' in 'a:b' (expected an integer, start:end:step with optional parts, '...' or None)"));
    assert.throws(() => x().index('1:2:3:4'), err("index: cannot read '1:2:3:4' in '1:2:3:4' (expected an integer, start:end:step with optional parts, '...' or None)"));
    assert.throws(() => x().index('::0'), err("index: slice step cannot be zero in '::0'", 'RangeError'));
    assert.throws(() => x().index(['1,2']), err("index: item 0 '1,2' holds a comma; give the whole spec as one string or one item per array element"));
    assert.throws(() => x().index(5 as never), err("index: spec must be an array of items or a string such as ':, 1:', got number 5"));
  });

  test('array items: slices with open ends, empty and 0-d index arrays, and their refusals', () => {
    assert.deepEqual(x().index([[1, null]]).shape, [1, 3, 4]); // x[1:]
    assert.deepEqual(vals(x().index([null, [null, null, 2], 0])), [0, 8, 12, 20]); // x[:, ::2, 0]
    assert.deepEqual(x().index([[]]).shape, [0, 3, 4]); // x[[]]
    assert.deepEqual(x().index([null, nb.tensor(1, { dtype: 'int32' })]).shape, [2, 4]); // x[:, torch.tensor(1)]
    assert.throws(() => x().index([[null, null, 0]]), err('index: slice step cannot be zero (item 0)', 'RangeError'));
    assert.throws(() => x().index([[1, null, 2, 3]]), err('index: item 0 must be a slice [start, end, step] of integers and nulls, or an index array of integers, got an array [1, null, 2, 3]'));
    assert.throws(() => x().index([[1.5, null]]), err('index: item 0 must be a slice [start, end, step] of integers and nulls, or an index array of integers, got an array [1.5, null]'));
    assert.throws(() => x().index([[true, 1]]), err('index: item 0 must be an array of integers (an index array) or of booleans (a mask), got an array [true, 1]'));
    assert.throws(() => x().index([{}] as never), err("index: item 0 must be an integer, null, a slice, '...', 'newaxis', an index array or a mask, got an object with keys {}"));
    assert.throws(() => x().index([1.5]), err('index: item 0 must be an integer index, got 1.5'));
  });

  test('advanced indices: broadcast together, adjacent ones stay in place, separated ones go first; a mask beside an integer', () => {
    assert.deepEqual(x().index([[[0], [1]], [0, 1, 2]]).shape, [2, 3, 4]);
    assert.deepEqual(x().index([[0, 1], null, [1, 2]]).shape, [2, 3]);
    assert.deepEqual(x().index([null, [0, 1], [1, 2]]).shape, [2, 2]);
    assert.deepEqual(vals(x().index([null, [0, 1], [1, 2]])), [1, 6, 13, 18]);
    assert.deepEqual(vals(x().index([null, null, [3, 0]])), [3, 0, 7, 4, 11, 8, 15, 12, 19, 16, 23, 20]);
    assert.deepEqual(vals(x().index([0, [true, false, true]])), [0, 1, 2, 3, 8, 9, 10, 11]);
    assert.deepEqual(x().index([[[0], [1]], 0]).shape, [2, 1, 4]);
  });
});

describe('writing', () => {
  test('argument refusals of indexPut, indexPut_ and indexSet_', () => {
    assert.throws(() => nb.indexPut(x(), [[0]], 'a' as never), err("indexPut: argument 'values' must be a Tensor or a number, got the string 'a'"));
    assert.throws(() => nb.indexPut_(5 as never, [[0]], 1), err('indexPut_: expected a tensor as the first argument, got number 5'));
    assert.throws(() => (nb.indexPut_ as (...a: unknown[]) => unknown)(x(), [[0]], 1, false, 3), err('indexPut_: expected (indices, values, accumulate?), got 4 arguments'));
    assert.throws(() => (x().indexSet_ as (...a: unknown[]) => unknown)([0]), err('indexSet_: expected (spec, value), got 1 arguments'));
    assert.throws(() => x().indexPut_([[0]], 1, { accumulate: 'x' } as never), err('indexPut_: accumulate must be true or false (or {accumulate}), got an object with keys {accumulate}'));
    assert.throws(() => x().indexPut_([[0]], 1, null as never), err('indexPut_: accumulate must be true or false (or {accumulate}), got null'));
    // {} and {accumulate: undefined} mean false: a plain write
    assert.deepEqual(vals(nb.zeros([3], { dtype: 'float64' }).add(1).indexPut_([[0, 0]], 5, {})), [5, 1, 1]);
    assert.deepEqual(vals(nb.zeros([3], { dtype: 'float64' }).add(1).indexPut_([[0, 0]], 5, { accumulate: undefined })), [5, 1, 1]);
    assert.deepEqual(vals(nb.zeros([3], { dtype: 'float64' }).add(1).indexPut_([[0, 0]], 5, { accumulate: true })), [11, 1, 1]);
  });

  test('the last write to a repeated position wins; values are cast to the tensor\'s dtype', () => {
    assert.deepEqual(vals(nb.zeros([4], { dtype: 'float64' }).indexPut_([[1, 1, 3, 1]], nb.tensor([1, 2, 3, 4], { dtype: 'float64' }))), [0, 4, 0, 3]);
    const f = nb.zeros([3], { dtype: 'float32' }).indexPut_([[0, 2]], nb.tensor([1 / 3, 2 / 3], { dtype: 'float64' }));
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(vals(f), [Math.fround(1 / 3), 0, Math.fround(2 / 3)]);
    const i = nb.zeros([3], { dtype: 'int32' }).indexPut_([[1]], 7);
    assert.deepEqual(vals(i), [0, 7, 0]);
  });

  test('an in-place write on a graph: the value gets the gathered gradient, the tensor the gradient off the written places', () => {
    const base = nb.tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
    const v = nb.tensor([10, 20], { dtype: 'float64', requiresGrad: true });
    const y = base.mul(1);
    y.indexSet_([[3, 0]], v);
    assert.deepEqual(vals(y), [20, 2, 3, 10]);
    y.mul(nb.tensor([1, 2, 3, 4], { dtype: 'float64' })).sum().backward();
    assert.deepEqual(vals(v.grad!), [4, 1]);
    assert.deepEqual(vals(base.grad!), [0, 2, 3, 0]);
  });
});

describe('reading, boundaries', () => {
  test('integer bounds at ±size, multi-digit numbers in the string form, the dim and item named in messages', () => {
    assert.deepEqual(vals(x().index([-2])).slice(0, 4), [0, 1, 2, 3]); // -size is valid
    assert.throws(() => x().index([-3]), err('index: index -3 is out of range for dim 0 with size 2 (item 0)', 'RangeError'));
    assert.deepEqual(x().index([[-2]]).shape, [1, 3, 4]);
    assert.throws(() => x().index([[2]]), err('index: index 2 is out of range for dim 0 with size 2 (item 0)', 'RangeError'));
    assert.equal(nb.arange(20).index('12').item(), 12);
    assert.deepEqual(vals(nb.arange(20).index('10:13')), [10, 11, 12]);
    assert.throws(() => x().index('1:a'), err("index: cannot read '1:a' in '1:a' (expected an integer, start:end:step with optional parts, '...' or None)"));
    assert.throws(() => x().index(['a']), err("index: cannot read 'a' in item 0 (expected an integer, start:end:step with optional parts, '...' or None)"));
    // the dim counted in x after a full dim, a slice, a mask and an ellipsis
    assert.throws(() => x().index([null, 5]), err('index: index 5 is out of range for dim 1 with size 3 (item 1)', 'RangeError'));
    assert.throws(() => x().index(['0:1', 5]), err('index: index 5 is out of range for dim 1 with size 3 (item 1)', 'RangeError'));
    assert.throws(() => x().index([[true, false], 9]), err('index: index 9 is out of range for dim 1 with size 3 (item 1)', 'RangeError'));
    assert.throws(() => x().index(['...', 9]), err('index: index 9 is out of range for dim 2 with size 4 (item 1)', 'RangeError'));
  });

  test('a tensor as the whole spec, undefined as an open end, 2-D index arrays, an ellipsis before an integer, a 2-D mask before ...', () => {
    assert.deepEqual(vals(x().index(nb.tensor([1, 0], { dtype: 'int32' }) as never)).slice(0, 4), [12, 13, 14, 15]);
    assert.deepEqual(x().index([[1, undefined] as never]).shape, [1, 3, 4]);
    // PyTorch: x[[[0, 1], [1, 0]], [[0, 0], [2, 2]]]
    assert.deepEqual(vals(x().index([[[0, 1], [1, 0]], [[0, 0], [2, 2]]])), [0, 1, 2, 3, 12, 13, 14, 15, 20, 21, 22, 23, 8, 9, 10, 11]);
    assert.deepEqual(vals(x().index(['...', 0])), [0, 4, 8, 12, 16, 20]); // x[..., 0]
    const m = nb.tensor([[true, false, true], [false, true, false]]);
    assert.deepEqual(x().index([m, '...']).shape, [3, 4]); // x[m, ...]
  });
});
