/**
 * The composed tensor ops (src/composites.ts): values on small known inputs, first and second derivatives
 * by float64 gradcheck/gradgradcheck, and in-place writes into an expanded view refused as in PyTorch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const f64 = (shape: number[], seed: number) => nb.randn(shape, { dtype: 'float64', requiresGrad: true, generator: new nb.Generator(seed) });

test('values: tril/triu, repeat, flip, roll, cumsum, sort, topk, norm, diag, all/any, multinomial', () => {
  const x = nb.tensor([[1, 5, 3], [4, 2, 6]]);
  assert.deepEqual(x.tril().toArray(), [[1, 0, 0], [4, 2, 0]]);
  assert.deepEqual(x.triu(1).toArray(), [[0, 5, 3], [0, 0, 6]]);
  assert.deepEqual(x.repeat(1, 2).toArray(), [[1, 5, 3, 1, 5, 3], [4, 2, 6, 4, 2, 6]]);
  assert.deepEqual(x.tile([2]).shape, [2, 6]);
  assert.deepEqual(x.flip([0, 1]).toArray(), [[6, 2, 4], [3, 5, 1]]);
  assert.deepEqual(x.roll(-1, 1).toArray(), [[5, 3, 1], [2, 6, 4]]);
  assert.deepEqual(x.roll(1).toArray(), [[6, 1, 5], [3, 4, 2]]);
  assert.deepEqual(x.cumsum(0).toArray(), [[1, 5, 3], [5, 7, 9]]);
  const [v, i] = x.sort(1, true);
  assert.deepEqual([v!.toArray(), i!.toArray()], [[[5, 3, 1], [6, 4, 2]], [[1, 2, 0], [2, 0, 1]]]);
  assert.deepEqual(nb.tensor([3, NaN, 1]).argsort().toArray(), [2, 0, 1]); // NaN sorts last
  assert.deepEqual(x.topk(1, 0, false).values.toArray(), [[1, 2, 3]]);
  assert.equal(nb.tensor([3, -4]).norm().item(), 5);
  assert.equal(nb.tensor([3, -4]).norm(Infinity).item(), 4);
  assert.deepEqual(nb.diag(nb.tensor([1, 2])).toArray(), [[1, 0], [0, 2]]);
  assert.deepEqual(x.diag().toArray(), [1, 2]);
  assert.deepEqual([x.gt(0).all().item(), x.gt(5).any(0).toArray()], [1, [false, false, true]]);
  assert.deepEqual(nb.tensor([[0, 1, 0], [0, 0, 1]]).multinomial(1, { generator: new nb.Generator(3) }).toArray(), [[1], [2]]);
  const both = nb.tensor([0.5, 0, 0.5]).multinomial(2, { generator: new nb.Generator(3) }).toArray() as number[];
  assert.deepEqual([...both].sort(), [0, 2]); // without replacement: each positive category once
  assert.throws(() => nb.tensor([0, 1, 0]).multinomial(2), /multinomial: a row has no positive probability left/);
  assert.deepEqual(nb.tensor([0.2, 0.8]).multinomial(5, true, { generator: new nb.Generator(9) }).toArray(),
    nb.tensor([0.2, 0.8]).multinomial(5, true, { generator: new nb.Generator(9) }).toArray());
});

test('gradcheck and gradgradcheck of the composed ops (float64)', () => {
  const rows: [string, (a: nb.Tensor, b: nb.Tensor) => nb.Tensor][] = [
    ['tril/triu', (a) => a.tril(-1).add(a.triu(1).mul(a))],
    ['maskedFill', (a) => a.maskedFill(a.gt(0), 2).mul(a)],
    ['dot', (a, b) => nb.dot(a.flatten(), b.flatten())],
    ['lerp', (a, b) => nb.lerp(a, b, 0.3).mul(a)],
    ['repeat/tile', (a) => a.repeat(2, 1).tile([1, 2]).mul(a.repeat(2, 2))],
    ['flip/roll', (a) => a.flip(0).roll(1, 1).mul(a)],
    ['cumsum', (a) => a.cumsum(1).mul(a.cumsum(0))],
    ['norm', (a) => nb.stack([a.norm(), a.norm(3, 1).sum(), a.norm(1, 0, true).sum()])],
    ['diag', (a) => nb.diag(nb.diag(a)).mul(a)],
    ['sort/topk', (a) => nb.cat([a.sort(1).values, a.topk(2, 0).values.flatten().unsqueeze(0).narrow(1, 0, 3)], 0).mul(a.narrow(0, 0, 1))],
  ];
  for (const [name, fn] of rows) {
    const a = f64([3, 3], 1), b = f64([3, 3], 2);
    assert.ok(nb.autograd.gradcheck(fn, [a, b], { name }), name);
    assert.ok(nb.autograd.gradgradcheck(fn, [a, b], { name }), `${name} (second order)`);
  }
});

test('in-place writes into an expanded view throw, as PyTorch', () => {
  const e = nb.ones(3).expand(2, 3);
  assert.throws(() => e.add_(1), /add_: unsupported operation: more than one element of the written-to tensor .* refers to a single memory location/);
  assert.throws(() => e.fill_(0), /fill_: unsupported operation/);
  assert.deepEqual(e.clone().add_(1).toArray(), [[2, 2, 2], [2, 2, 2]]);
});

test('tril/triu and maskedFill keep the input\'s dtype, as PyTorch (bool stays bool; an int fill value is truncated toward zero)', () => {
  // torch.ones(2, 2, dtype=torch.bool).tril() → [[True, False], [True, True]]
  const t = nb.ones([2, 2], { dtype: 'bool' }).tril();
  assert.equal(t.dtype, 'bool');
  assert.deepEqual(t.toArray(), [[true, false], [true, true]]);
  assert.deepEqual(nb.ones([2, 2], { dtype: 'bool' }).triu(1).toArray(), [[false, true], [false, false]]);
  assert.equal(nb.ones([2, 2], { dtype: 'float16' }).tril().dtype, 'float16');
  // torch.tensor([1, 2], dtype=torch.int32).masked_fill(torch.tensor([True, False]), -2.7) → [-2, 2] (int32)
  const m = nb.tensor([true, false]);
  const i = nb.maskedFill(nb.tensor([1, 2], { dtype: 'int32' }), m, -2.7);
  assert.deepEqual([i.dtype, i.toArray()], ['int32', [-2, 2]]);
  // torch.tensor([True, False]).masked_fill(torch.tensor([False, True]), 1) → [True, True]
  const b = nb.maskedFill(nb.tensor([true, false]), nb.tensor([false, true]), 1);
  assert.deepEqual([b.dtype, b.toArray()], ['bool', [true, true]]);
});
