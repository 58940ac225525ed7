/**
 * Ties at the nondifferentiable points, one row per op and case, with PyTorch's subgradients:
 *  - maximum / minimum: a tie splits the gradient in half between the two inputs;
 *  - full max / min and amax / amin over dims: the gradient is shared evenly among the tied extremes;
 *  - max / min over a dim: the whole gradient goes to the returned (first) index.
 * The upstream gradient is a distinct number per output element (2, 3, 5, …), so a wrong routing shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const t64 = (v: number[][] | number[]) => nb.tensor(v, { dtype: 'float64', requiresGrad: true });
const PRIMES = [2, 3, 5, 7, 11, 13];

/** Σ_k p_k · y_k with distinct weights p_k, then the gradients of the inputs */
function grads(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): number[][] {
  const y = fn(...inputs);
  const w = nb.tensor(PRIMES.slice(0, y.numel()), { dtype: 'float64' }).reshape([...y.shape]);
  y.mul(w).sum().backward();
  return inputs.map((x) => Array.from(x.grad!.data(), (v) => v + 0));
}

// maximum/minimum, amax/amin (whole tensor and over dims) and max/min over a dim at ties are rows of the op
// table (their records' cases with `values` and `gradWant`, run by ops_gradcheck.test.ts); what remains here is
// the keepdim form and the returned indices.
const rows: { name: string; fn: (...xs: Tensor[]) => Tensor; inputs: () => Tensor[]; want: number[][] }[] = [
  { name: 'min(dim 0, keepdim)', fn: (x) => x!.min(0, true).values, inputs: () => [t64([[2, 7], [2, 7], [9, 1]])], want: [[2, 0, 0, 0, 0, 3]] },
];

for (const r of rows) {
  test(r.name, () => {
    assert.deepEqual(grads(r.fn, r.inputs()), r.want);
  });
}

test('max(dim)/min(dim) return the first index of a tie', () => {
  assert.deepEqual(Array.from(nb.tensor([[3, 1, 3], [0, 5, 5]]).max(1).indices.data()), [0, 1]);
  assert.deepEqual(Array.from(nb.tensor([[1, 3, 1], [5, 0, 0]]).min(1).indices.data()), [0, 1]);
});
