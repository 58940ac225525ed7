/**
 * cumprod (src/ops/scan.ts): values, the exact gradient where the input has zeros (one zero, two zeros, a zero
 * first or last) against hand-derived values and by float64 gradcheck + gradgradcheck, the forward-mode tangent,
 * and argument errors. The op-table rows of the record add the random-input checks on every layout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { close } from './assertClose.js';

const f64 = (v: number[] | number[][], grad = true) => nb.tensor(v, { dtype: 'float64', requiresGrad: grad });

test('cumprod values along each dim, negative dims, lengths 1..9, int32 and bool', () => {
  const x = nb.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(x.cumprod(1).toArray(), [[1, 2, 6], [4, 20, 120]]);
  assert.deepEqual(nb.cumprod(x, 0).toArray(), [[1, 2, 3], [4, 10, 18]]);
  assert.deepEqual(x.cumprod(-2).toArray(), [[1, 2, 3], [4, 10, 18]]);
  for (let n = 1; n <= 9; n++) {
    const v = Array.from({ length: n }, (_, i) => ((i * 7) % 5) - 1.5);
    let p = 1;
    const want = v.map((a) => (p *= a));
    close(nb.tensor(v, { dtype: 'float64' }).cumprod(0).data(), want, 1e-15, 0, `length ${n}`);
  }
  assert.deepEqual(nb.tensor([2, 3, 4], { dtype: 'int32' }).cumprod(0).toArray(), [2, 6, 24]);
  assert.equal(nb.tensor([2, 3, 4], { dtype: 'int32' }).cumprod(0).dtype, 'int32');
  assert.deepEqual(nb.tensor([true, true, false]).cumprod(0).toArray(), [1, 1, 0]);
  assert.equal(nb.tensor(3).cumprod(0).item(), 3);
  assert.deepEqual(nb.tensor([[2, 0, 3, 4]]).cumprod(1).toArray(), [[2, 0, 0, 0]]);
});

test('cumprod gradient with zeros: hand-derived values (∂L/∂x_k = Π_{j<k} x_j · Σ_{i≥k} g_i Π_{k<j≤i} x_j)', () => {
  // x = [2, 0, 3, 4], g = 1: ∂/∂x0 = 1 + 0 = 1; ∂/∂x1 = 2·(1 + 3 + 12) = 32; ∂/∂x2 = ∂/∂x3 = 0 (a zero before)
  const x = f64([2, 0, 3, 4]);
  x.cumprod(0).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [1, 32, 0, 0]);
  // two zeros: ∂/∂x1 = 2·(1 + 5 + 5·0 + 5·0·3) = 12; after the first zero everything is 0 (a zero before it)
  const y = f64([2, 0, 5, 0, 3]);
  y.cumprod(0).sum().backward();
  assert.deepEqual(Array.from(y.grad!.data()), [1, 12, 0, 0, 0]);
  // a weighted g: x = [3, 0], g = [1, 10]: ∂/∂x0 = 1 + 10·0 = 1, ∂/∂x1 = 3·10 = 30
  const z = f64([3, 0]);
  z.cumprod(0).mul(nb.tensor([1, 10], { dtype: 'float64' })).sum().backward();
  assert.deepEqual(Array.from(z.grad!.data()), [1, 30]);
});

test('cumprod gradcheck and gradgradcheck with zeros in the input (float64)', () => {
  const inputs: [string, number[][], number][] = [
    ['one zero', [[0.7, 0, -1.3, 2.1], [1.2, -0.4, 0.9, 1.5]], 1],
    ['two zeros', [[0.7, 0, -1.3, 0, 2.1, 0.8]], 1],
    ['zero first', [[0, 1.1, -0.6], [0.5, 0.5, 0]], 1],
    ['zero last, dim 0', [[1.3, 0.2], [-0.7, 1.1], [0, 0]], 0],
    ['all zeros', [[0, 0, 0]], 1],
    ['no zeros', [[0.5, -1.2, 1.7, 0.9, -0.3]], -1],
  ];
  for (const [what, v, dim] of inputs) {
    const x = f64(v);
    const f = (t: nb.Tensor) => t.cumprod(dim);
    assert.ok(nb.autograd.gradcheck(f, [x], { name: `cumprod ${what}` }), `${what}: gradcheck`);
    assert.ok(nb.autograd.gradgradcheck(f, [x], { name: `cumprod ${what}` }), `${what}: gradgradcheck`);
  }
});

test('cumprod forward mode with zeros: the tangent equals the Jacobian (from reverse mode) times v', () => {
  const x = nb.tensor([[0.7, 0, -1.3, 0, 2.1]], { dtype: 'float64' });
  const v = nb.tensor([[0.3, -1.1, 0.4, 2.0, -0.5]], { dtype: 'float64' });
  const [y, t] = nb.autograd.jvp((a) => a.cumprod(1), [x], [v]);
  close(y.data(), [0.7, 0, 0, 0, 0], 1e-15, 0, 'primal');
  const J = nb.func.jacrev((a: nb.Tensor) => a.cumprod(1))(x) as nb.Tensor;
  close(t.data(), J.reshape(5, 5).matmul(v.reshape(5)).data(), 1e-14, 1e-15, 'tangent');
  // by hand: ẏ0 = 0.3, ẏ1 = 0.7·(−1.1) = −0.77, ẏ2 = −1.3·ẏ1 + 0·0.4, ẏ3 = 0·ẏ2 + y2·2.0 = 0, ẏ4 = 0
  close(t.data(), [0.3, -0.77, 1.001, 0, 0], 1e-14, 1e-15, 'tangent by hand');
});

test('cumprod errors name cumprod and the argument', () => {
  const x = nb.ones(2, 3);
  assert.throws(() => x.cumprod(2), /cumprod: dim 2 is out of range for a tensor of rank 2/);
  assert.throws(() => (x as any).cumprod(), /cumprod: expected 2 arguments/);
  assert.throws(() => (x as any).cumprod(0.5), /cumprod: argument 'dim' must be an integer/);
  assert.throws(() => (nb.cumprod as any)([1, 2], 0), /cumprod: argument 'input' must be a Tensor/);
});

test('cumprod of a 0-d tensor (dim 0 or -1): value, gradient 1 and tangent t, as PyTorch', () => {
  // torch.cumprod(torch.tensor(3., requires_grad=True), 0) is 3 with gradient 1; the tangent passes through
  for (const dim of [0, -1]) {
    const x = nb.tensor(3, { dtype: 'float64', requiresGrad: true });
    const y = x.cumprod(dim);
    assert.deepEqual(y.shape, []);
    assert.equal(y.item(), 3);
    y.mul(5).backward();
    assert.deepEqual(x.grad!.shape, []);
    assert.equal(x.grad!.item(), 5);
    const [v, t] = nb.autograd.jvp((a: nb.Tensor) => a.cumprod(dim), [nb.tensor(3, { dtype: 'float64' })], [nb.tensor(0.5, { dtype: 'float64' })]);
    assert.deepEqual([v.shape, t.shape], [[], []]);
    assert.equal(t.item(), 0.5);
  }
});
