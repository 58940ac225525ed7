/**
 * x.size() / x.size(dim) as in PyTorch (the shape, or one dim's length; negative dims count from the end) and
 * x.numel() for the element count; a dim out of range is an error naming size and the valid range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

test('size() is the shape (a fresh array), size(dim) one length, numel() the element count', () => {
  const x = nb.zeros(2, 3, 4);
  assert.deepEqual(x.size(), [2, 3, 4]);
  const s = x.size();
  s[0] = 99;
  assert.deepEqual(x.shape, [2, 3, 4], 'size() hands out a copy');
  assert.equal(x.size(0), 2);
  assert.equal(x.size(1), 3);
  assert.equal(x.size(-1), 4);
  assert.equal(x.size(-3), 2);
  assert.equal(x.numel(), 24);
  assert.deepEqual(nb.tensor(5).size(), []);
  assert.equal(nb.tensor(5).numel(), 1);
  assert.equal(nb.zeros(0, 3).numel(), 0);
});

test('size(dim) out of range, a non-integer dim or two arguments: errors naming size', () => {
  const x = nb.zeros(2, 3);
  assert.throws(() => x.size(2), /^RangeError: size: dimension 2 is out of range for a tensor of rank 2 \(expected -2\.\.1\)/);
  assert.throws(() => x.size(-3), /size: dimension -3 is out of range for a tensor of rank 2/);
  assert.throws(() => x.size(0.5), /size: dim must be an integer, got 0\.5/);
  assert.throws(() => (x as any).size('1'), /size: dim must be an integer, got '1'/);
  assert.throws(() => (x as any).size(0, 1), /size: expected at most one argument/);
  assert.throws(() => nb.tensor(5).size(0), /size: dimension specified as 0 but the tensor has no dimensions/);
});
