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

const rows: { name: string; fn: (...xs: Tensor[]) => Tensor; inputs: () => Tensor[]; want: number[][] }[] = [
  { name: 'maximum: ties split in half', fn: (a, b) => nb.maximum(a!, b!), inputs: () => [t64([1, 2, 4]), t64([1, 3, 4])], want: [[1, 0, 2.5], [1, 3, 2.5]] },
  { name: 'minimum: ties split in half', fn: (a, b) => nb.minimum(a!, b!), inputs: () => [t64([1, 2, 4]), t64([1, 3, 4])], want: [[1, 3, 2.5], [1, 0, 2.5]] },
  { name: 'minimum with a broadcast scalar-like operand', fn: (a, b) => nb.minimum(a!, b!), inputs: () => [t64([0, 1, 2]), t64([1])], want: [[2, 1.5, 0], [1.5 + 5]] },
  { name: 'max(): three-way tie shares evenly', fn: (x) => x!.max(), inputs: () => [t64([[1, 3], [3, 2], [3, 0]])], want: [[0, 2 / 3, 2 / 3, 0, 2 / 3, 0]] },
  { name: 'min(): two-way tie shares evenly', fn: (x) => x!.min(), inputs: () => [t64([[2, -1], [-1, 5]])], want: [[0, 1, 1, 0]] },
  { name: 'amax over dim 0', fn: (x) => x!.amax(0), inputs: () => [t64([[1, 3], [3, 2], [3, 0]])], want: [[0, 3, 1, 0, 1, 0]] },
  { name: 'amin over dim 1', fn: (x) => x!.amin(1), inputs: () => [t64([[1, 1, 4], [0, 2, 0]])], want: [[1, 1, 0, 1.5, 0, 1.5]] },
  { name: 'amin over dims [0, 1] keepdim', fn: (x) => x!.amin([0, 1], true), inputs: () => [t64([[1, 5], [1, 1]])], want: [[2 / 3, 0, 2 / 3, 2 / 3]] },
  { name: 'max(dim): all to the first index', fn: (x) => x!.max(1).values, inputs: () => [t64([[3, 1, 3], [0, 5, 5]])], want: [[2, 0, 0, 0, 3, 0]] },
  { name: 'min(dim): all to the first index', fn: (x) => x!.min(1).values, inputs: () => [t64([[1, 3, 1], [5, 0, 0]])], want: [[2, 0, 0, 0, 3, 0]] },
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
