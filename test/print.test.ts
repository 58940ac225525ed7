/**
 * Printing like PyTorch: the expected strings are what torch 1.13 prints for the same tensors (checked with
 * /usr/bin/python3; dtype suffixes use nabla's dtype names, e.g. `dtype=float64` for `dtype=torch.float64`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import * as nb from '../src/index.js';

test('tensor printing matches PyTorch layout', () => {
  assert.equal(String(nb.tensor([[1.5, 2], [3, 4]])), 'tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])');
  assert.equal(String(nb.tensor([1, 2, 3])), 'tensor([1., 2., 3.])');
  assert.equal(String(nb.tensor(3.5)), 'tensor(3.5000)');
  assert.equal(String(nb.tensor([1e-5, 1, 100000])), 'tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])');
  assert.equal(String(nb.tensor([NaN, 1.5, -Infinity])), 'tensor([   nan, 1.5000,   -inf])');
  assert.equal(String(nb.tensor([true, false])), 'tensor([ True, False])');
  assert.equal(String(nb.zeros(0, 3)), 'tensor([], size=(0, 3))');
  assert.equal(String(nb.arange(24, { dtype: 'int32' }).reshape(2, 3, 4)),
    'tensor([[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],\n\n        [[12, 13, 14, 15],\n         [16, 17, 18, 19],\n         [20, 21, 22, 23]]], dtype=int32)');
  assert.equal(String(nb.arange(30, { dtype: 'float32' }).div(7)),
    'tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n        3.8571, 4.0000, 4.1429])');
  assert.equal(String(nb.arange(3000, { dtype: 'float32' }).div(7)),
    'tensor([0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 4.2814e+02, 4.2829e+02,\n        4.2843e+02])');
  const big = String(nb.arange(2000, { dtype: 'float32' }).reshape(40, 50)).split('\n');
  assert.equal(big[0], 'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,');
  assert.equal(big[6], '        ...,');
});

test('requires_grad / grad_fn / dtype suffixes, and util.inspect shows the same', () => {
  const x = nb.ones(2, { requiresGrad: true, dtype: 'float64' });
  assert.equal(String(x), 'tensor([1., 1.], dtype=float64, requires_grad=True)');
  assert.equal(String(x.mul(2)), 'tensor([2., 2.], dtype=float64, grad_fn=<MulBackward0>)');
  assert.equal(inspect(x), String(x));
});
