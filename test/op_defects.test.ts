/**
 * Regression tests for op defects, each against the value real PyTorch 1.13 gives (float64; the numbers were
 * printed by torch and are written here with the call that produced them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const f64 = (v: number[] | number[][]) => nb.tensor(v, { dtype: 'float64' }).requiresGrad_(true);
function close(got: ArrayLike<number>, want: number[], what: string, tol = 1e-14): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    assert.ok(Object.is(g, w) || Math.abs(g - w) <= tol * (1 + Math.abs(w)), `${what}[${i}]: got ${g}, expected ${w}`);
  }
}

test('softplus honours threshold: linear (y = x, slope 1) where beta·x > threshold', () => {
  // torch.nn.functional.softplus(x, beta=2, threshold=1), x = [-1, 0.2, 0.5, 0.6, 3]
  const x = f64([-1, 0.2, 0.5, 0.6, 3]);
  const y = nb.softplus(x, { beta: 2, threshold: 1 });
  close(y.data(), [0.06346400552148625, 0.4565076261999763, 0.6566308437591114, 0.6, 3.0], 'y');
  y.sum().backward();
  close(x.grad!.data(), [0.11920292202211755, 0.598687660112452, 0.7310585786300049, 1.0, 1.0], 'dy/dx');
});

test('binaryCrossEntropy: the gradient w.r.t. the target is ±Inf at p = 0 and 1', () => {
  // torch: binary_cross_entropy(p=[0, 1, 0.3], y=[0.2, 0.7, 0.5], reduction='sum').backward()
  const p = f64([0, 1, 0.3]), y = f64([0.2, 0.7, 0.5]);
  nb.binaryCrossEntropy(p, y, { reduction: 'sum' }).backward();
  close(y.grad!.data(), [Infinity, -Infinity, 0.8472978603872037], 'dL/dy', 1e-12);
  close(p.grad!.data(), [-2e11, 3e11, -0.9523809523809524], 'dL/dp', 1e-12);
});

test('pow with a tensor exponent: base gradient 0 (not NaN) at 0⁰', () => {
  // torch: (a ** e).sum().backward(), a = [0, 0, 2], e = [0, 2, 0]
  const a = f64([0, 0, 2]), e = f64([0, 2, 0]);
  nb.pow(a, e).sum().backward();
  close(a.grad!.data(), [0, 0, 0], 'd/da');
  close(e.grad!.data(), [0, 0, 0.6931471805599453], 'd/de');
});

test('leakyRelu backward keeps a float64 slope exact (not rounded to float32)', () => {
  // torch: leaky_relu(x, 0.1).sum().backward() gives exactly 0.1 in float64
  const x = f64([-2, 3]);
  nb.leakyRelu(x, 0.1).sum().backward();
  assert.equal(x.grad!.dtype, 'float64');
  close(x.grad!.data(), [0.1, 1], 'slope', 0);
  const [, t] = nb.func.jvp((a) => nb.leakyRelu(a, 0.1), [x.detach()], [nb.onesLike(x.detach())]);
  close(t.data(), [0.1, 1], 'tangent', 0);
});

test('prod with zero factors: exact gradient, twice differentiable (gradgradcheck)', () => {
  // torch: autograd.grad(x.prod(1).sum(), x), x = [[2, 0, 3], [0, 0, 5], [1.5, 2, -1]]
  const x = f64([[2, 0, 3], [0, 0, 5], [1.5, 2, -1]]);
  const [g] = nb.autograd.grad(nb.prod(x, 1).sum(), [x], { createGraph: true });
  close(g!.data(), [0, 6, 0, 0, 0, 0, -2, -1.5, 3], 'd/dx');
  assert.ok(g!.requiresGrad, 'the gradient has a graph (it is written in nabla ops)');
  assert.equal(nb.autograd.gradgradcheck((t) => nb.prod(t, 1), [x]), true);
  assert.equal(nb.autograd.gradgradcheck((t) => nb.prod(t), [f64([[0.5, 0, -2], [1.5, 3, 0.25]])]), true);
});

test('argument errors name the op, the argument and what was expected; snake_case options get a suggestion', () => {
  const x = nb.tensor([1, 2]);
  assert.throws(() => nb.softplus(x, { beta_: 2 } as never), /softplus: unknown option 'beta_'.*did you mean beta\?/);
  assert.throws(() => nb.gelu(x, { approximate: 'fast' } as never), /gelu: .*approximate.*'tanh'.*got the string 'fast'/);
  assert.throws(() => nb.leakyRelu(x, '0.1' as never), /leakyRelu: .*negativeSlope.* must be a number, got the string '0.1'/);
  assert.throws(() => (nb.exp as (...a: unknown[]) => unknown)(x, 1), /exp: .*1 argument.*got 2/);
  assert.throws(() => nb.softplus(x, { beta: 2, threshold_value: 3 } as never), /unknown option 'threshold_value'/);
});
