/**
 * Numerical stability at the edges: saturating activations, overflow-free logsumexp, IEEE special
 * values as JS/PyTorch give them, documented subgradients, and NaN propagation.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { DType, Tensor } from '../src/index.js';

const vals = (t: Tensor | null) => { assert.ok(t); return Array.from(t.data()); };
const floats: DType[] = ['float32', 'float64'];

describe('saturation', () => {
  for (const dtype of floats) {
    test(`sigmoid at ±100 and ±1000 (${dtype}): exact 0/1 where representable, never NaN, gradient 0 at ±1000`, () => {
      const x = nb.tensor([-1000, -100, 100, 1000], { dtype, requiresGrad: true });
      const y = x.sigmoid();
      const v = vals(y);
      assert.equal(v[0], 0);
      assert.equal(v[2], 1);
      assert.equal(v[3], 1);
      // σ(−100) = e^−100/(1 + e^−100) ≈ 3.72e-44: a (denormal) float32 and an ordinary float64, not NaN
      const want = dtype === 'float64' ? Math.exp(-100) : Math.fround(Math.exp(-100));
      assert.ok(Math.abs(v[1]! - want) <= want * 0.05, `σ(−100) = ${v[1]}`);
      y.sum().backward();
      const g = vals(x.grad);
      assert.ok(g.every((e) => Number.isFinite(e) && e >= 0), `gradients ${g}`);
      assert.equal(g[0], 0);
      assert.equal(g[3], 0);
    });

    test(`tanh, softplus, silu and gelu at ±1000 are finite (${dtype})`, () => {
      const x = nb.tensor([-1000, 1000], { dtype, requiresGrad: true });
      assert.deepEqual(vals(x.tanh()), [-1, 1]);
      assert.deepEqual(vals(x.softplus()), [0, 1000]);
      assert.deepEqual(vals(x.silu()), [-0, 1000]);
      assert.deepEqual(vals(x.gelu()), [-0, 1000]);
      x.tanh().add(x.softplus()).add(x.silu()).add(x.gelu()).sum().backward();
      assert.deepEqual(vals(x.grad), [0, 3]);
    });
  }

  test('softplus(89) = 89 in float32 (no overflow of e^89)', () => {
    assert.equal(nb.tensor([89]).softplus().item(), 89);
    assert.equal(nb.tensor([-89]).softplus().item(), Math.fround(Math.log1p(Math.exp(-89))));
  });
});

describe('logsumexp', () => {
  for (const dtype of floats) {
    test(`finite at ±1e4 with the right value and softmax gradient (${dtype})`, () => {
      const x = nb.tensor([[1e4, 1e4], [-1e4, -1e4], [1e4, -1e4]], { dtype, requiresGrad: true });
      const y = x.logsumexp(1);
      const v = vals(y);
      const r = (n: number) => (dtype === 'float32' ? Math.fround(n) : n);
      assert.ok(Math.abs(v[0]! - r(1e4 + Math.LN2)) <= 1e-3, `${v[0]}`);
      assert.ok(Math.abs(v[1]! - r(-1e4 + Math.LN2)) <= 1e-3, `${v[1]}`);
      assert.equal(v[2], 1e4);
      y.sum().backward();
      assert.deepEqual(vals(x.grad), [0.5, 0.5, 0.5, 0.5, 1, 0]);
    });

    test(`a row of all −Inf gives −Inf, not NaN; +Inf gives +Inf (${dtype})`, () => {
      const x = nb.tensor([[-Infinity, -Infinity], [0, -Infinity], [Infinity, 1]], { dtype });
      assert.deepEqual(vals(x.logsumexp(1)), [-Infinity, 0, Infinity]);
      assert.equal(nb.tensor([-Infinity, -Infinity], { dtype }).logsumexp().item(), -Infinity);
    });
  }
});

describe('IEEE special values as JS / PyTorch', () => {
  for (const dtype of floats) {
    test(`log(0) = −Inf, 1/0 = Inf, −1/0 = −Inf, 0/0 = NaN, sqrt(−1) = NaN, exp(1000) = Inf (${dtype})`, () => {
      const z = nb.zeros([1], { dtype });
      assert.equal(z.log().item(), -Infinity);
      assert.equal(nb.ones([1], { dtype }).div(z).item(), Infinity);
      assert.equal(nb.full([1], -1, { dtype }).div(z).item(), -Infinity);
      assert.ok(Number.isNaN(z.div(z).item()));
      assert.equal(z.reciprocal().item(), Infinity);
      assert.ok(Number.isNaN(nb.full([1], -1, { dtype }).sqrt().item()));
      assert.ok(Number.isNaN(nb.full([1], -1, { dtype }).log().item()));
      assert.equal(nb.full([1], 1000, { dtype }).exp().item(), Infinity);
      assert.equal(z.rsqrt().item(), Infinity);
      assert.equal(z.pow(0).item(), 1);
      assert.equal(nb.full([1], -0, { dtype }).log().item(), -Infinity);
    });
  }

  test('integer division is true division, 1/0 on int32 gives Inf', () => {
    const a = nb.tensor([1, 0, -3], { dtype: 'int32' }), b = nb.tensor([0, 0, 2], { dtype: 'int32' });
    const q = a.div(b);
    assert.equal(q.dtype, 'float32');
    const v = vals(q);
    assert.equal(v[0], Infinity);
    assert.ok(Number.isNaN(v[1]!));
    assert.equal(v[2], -1.5);
  });

  test('pow: 0^0 = 1, the exponent gradient at base 0 is 0 (not NaN)', () => {
    const a = nb.tensor([0, 0], { dtype: 'float64', requiresGrad: true });
    const b = nb.tensor([0, 2], { dtype: 'float64', requiresGrad: true });
    const y = a.pow(b);
    assert.deepEqual(vals(y), [1, 0]);
    y.sum().backward();
    assert.deepEqual(vals(b.grad), [0, 0]);
  });
});

describe('documented subgradients', () => {
  test("relu'(0) = 0, abs'(0) = 0, clamp passes the gradient at its bounds", () => {
    const x = nb.tensor([0, -0, 1, -1], { dtype: 'float64', requiresGrad: true });
    x.relu().sum().backward();
    assert.deepEqual(vals(x.grad).map((v) => v + 0), [0, 0, 1, 0]);
    x.grad = null;
    x.abs().sum().backward();
    assert.deepEqual(vals(x.grad).map((v) => v + 0), [0, 0, 1, -1]);
    x.grad = null;
    x.clamp(-1, 1).sum().backward();
    assert.deepEqual(vals(x.grad), [1, 1, 1, 1]);
  });

  test('full-tensor max/min/amax split the gradient evenly among ties', () => {
    const x = nb.tensor([[1, 3], [3, 2], [3, 0]], { dtype: 'float64', requiresGrad: true });
    x.max().backward();
    assert.deepEqual(vals(x.grad), [0, 1 / 3, 1 / 3, 0, 1 / 3, 0]);
    x.grad = null;
    x.amax(0).sum().backward(); // column 0 = [1,3,3]: a two-way tie; column 1 = [3,2,0]
    assert.deepEqual(vals(x.grad), [0, 1, 0.5, 0, 0.5, 0]);
    const y = nb.tensor([2, -1, -1], { dtype: 'float64', requiresGrad: true });
    y.min().backward();
    assert.deepEqual(vals(y.grad), [0, 0.5, 0.5]);
  });

  test('max over a dim sends the gradient to the returned index only', () => {
    const x = nb.tensor([[3, 1, 3], [0, 5, 5]], { dtype: 'float64', requiresGrad: true });
    const { values, indices } = x.max(1);
    assert.deepEqual(vals(values), [3, 5]);
    assert.deepEqual(vals(indices), [0, 1]);
    values.sum().backward();
    assert.deepEqual(vals(x.grad), [1, 0, 0, 0, 1, 0]);
  });

  test('maximum/minimum ties split the gradient in half', () => {
    const a = nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const b = nb.tensor([1, 3], { dtype: 'float64', requiresGrad: true });
    a.maximum(b).sum().backward();
    assert.deepEqual(vals(a.grad), [0.5, 0]);
    assert.deepEqual(vals(b.grad), [0.5, 1]);
  });

  test('the "double where" pattern keeps NaN out of the gradient; the single where does not', () => {
    const x = nb.tensor([-1, 0, 2], { dtype: 'float64', requiresGrad: true });
    const pos = x.gt(0);
    nb.where(pos, nb.where(pos, x, 1).log(), 0).sum().backward();
    assert.deepEqual(vals(x.grad), [0, 0, 0.5]);
    x.grad = null;
    nb.where(pos, x.log(), 0).sum().backward();
    const g = vals(x.grad);
    assert.equal(g[2], 0.5);
    assert.ok(Number.isNaN(g[1]!), 'log differentiated at 0 gives 0/0: the NaN leaks through the single where');
  });
});

describe('NaN propagation', () => {
  for (const dtype of floats) {
    test(`NaN propagates through sum, mean, prod, max, min, amax, max(dim), logsumexp, matmul (${dtype})`, () => {
      const x = nb.tensor([[1, NaN, 3], [4, 5, 6]], { dtype });
      assert.ok(Number.isNaN(x.sum().item()));
      assert.ok(Number.isNaN(x.mean().item()));
      assert.ok(Number.isNaN(x.prod().item()));
      assert.ok(Number.isNaN(x.max().item()));
      assert.ok(Number.isNaN(x.min().item()));
      const rowMax = vals(x.amax(1));
      assert.ok(Number.isNaN(rowMax[0]!));
      assert.equal(rowMax[1], 6);
      const m = x.max(1);
      assert.ok(Number.isNaN(vals(m.values)[0]!));
      assert.equal(vals(m.indices)[0], 1, 'the index of the NaN, as PyTorch');
      const s = vals(x.sum(0));
      assert.ok(Number.isNaN(s[1]!));
      assert.equal(s[0], 5);
      assert.ok(Number.isNaN(vals(x.logsumexp(1))[0]!));
      const mm = vals(x.matmul(nb.ones([3, 1], { dtype })));
      assert.ok(Number.isNaN(mm[0]!));
      assert.equal(mm[1], 15);
      // NaN as the first element too (a max that starts from the first element must not skip it)
      assert.ok(Number.isNaN(nb.tensor([NaN, 1, 2], { dtype }).max().item()));
      assert.ok(Number.isNaN(nb.tensor([1, 2, NaN], { dtype }).min().item()));
    });
  }
});
