/**
 * Higher-order autodiff: Hessian-vector products, a gradient penalty (double backward into a
 * network's parameters), forward-mode jvp and repeated differentiation, all against finite
 * differences in float64.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const gen = (seed: number) => new nb.Generator(seed);
const randn = (shape: number[], g: nb.Generator) => nb.randn(shape, { dtype: 'float64', generator: g });
const flat = (ts: readonly Tensor[]) => ts.flatMap((t) => Array.from(t.data()));
const assertClose = (a: readonly number[], b: readonly number[], atol: number, rtol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= atol + rtol * Math.abs(b[i]!), `${what}[${i}]: ${x} vs ${b[i]}`));
};
/** params + eps·dir, as fresh float64 tensors */
const shifted = (ps: readonly Tensor[], dir: readonly Tensor[], eps: number) =>
  nb.noGrad(() => ps.map((p, i) => p.add(dir[i]!.mul(eps))));

// a small MLP regression loss: mean((tanh(x·W1 + b1)·W2 + b2 − y)²)
const g0 = gen(42);
const X = randn([6, 3], g0), Y = randn([6, 1], g0);
const mlpLoss = (W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor): Tensor =>
  X.matmul(W1).add(b1).tanh().matmul(W2).add(b2).sub(Y).square().mean();
const params0 = [randn([3, 4], g0), randn([4], g0), randn([4, 1], g0), randn([1], g0)];
const gradOf = (ps: readonly Tensor[]): Tensor[] => nb.enableGrad(() => {
  const xs = ps.map((p) => p.detach().requiresGrad_(true));
  return nb.autograd.grad(mlpLoss(...(xs as [Tensor, Tensor, Tensor, Tensor])), xs).map((g) => g!);
});

describe('Hessian-vector products', () => {
  const v = (() => { const g = gen(7); return params0.map((p) => randn([...p.shape], g)); })();
  const eps = 1e-5;
  const fd = (() => {
    const plus = gradOf(shifted(params0, v, eps)), minus = gradOf(shifted(params0, v, -eps));
    return flat(plus).map((p, i) => (p - flat(minus)[i]!) / (2 * eps));
  })();

  test('nb.autograd.hvp of an MLP loss matches finite differences of its gradient', () => {
    const [loss, hv] = nb.autograd.hvp(mlpLoss as (...xs: Tensor[]) => Tensor, params0, v);
    assert.ok(Math.abs(loss.item() - mlpLoss(...(params0 as [Tensor, Tensor, Tensor, Tensor])).item()) < 1e-15);
    hv.forEach((h, i) => assert.deepEqual(h.shape, params0[i]!.shape));
    assertClose(flat(hv), fd, 1e-7, 1e-5, 'H·v');
  });

  test('grad with createGraph, then grad of ⟨∇L, v⟩, gives the same H·v', () => {
    const xs = params0.map((p) => p.detach().requiresGrad_(true));
    const gs = nb.autograd.grad(mlpLoss(...(xs as [Tensor, Tensor, Tensor, Tensor])), xs, { createGraph: true });
    assert.ok(gs.every((g) => g!.requiresGrad), 'createGraph gives differentiable gradients');
    let dot = gs[0]!.mul(v[0]!).sum();
    for (let i = 1; i < gs.length; i++) dot = dot.add(gs[i]!.mul(v[i]!).sum());
    const hv = nb.autograd.grad(dot, xs, { retainGraph: true }).map((h) => h!);
    assertClose(flat(hv), fd, 1e-7, 1e-5, 'H·v (manual)');
    // backward() into .grad works too
    xs.forEach((x) => (x.grad = null));
    dot.backward();
    assertClose(flat(xs.map((x) => x.grad!)), flat(hv), 1e-14, 1e-12, 'H·v via backward');
  });

  test('the Hessian of a quadratic ½xᵀAx is symmetric A (exact)', () => {
    const A = nb.tensor([[2, 1, 0], [1, 3, -1], [0, -1, 4]], { dtype: 'float64' });
    const f = (x: Tensor) => x.matmul(A).matmul(x).mul(0.5);
    const x0 = nb.tensor([0.3, -1, 2], { dtype: 'float64' });
    const cols = [0, 1, 2].map((k) => {
      const e = nb.zeros([3], { dtype: 'float64' });
      nb.noGrad(() => e.select(0, k).fill_(1));
      return Array.from(nb.autograd.hvp(f, [x0], [e])[1][0]!.data());
    });
    assertClose(cols.flat(), [2, 1, 0, 1, 3, -1, 0, -1, 4], 1e-14, 0, 'Hessian');
  });

  test('third derivative by repeated createGraph: d³/dx³ sin x = −cos x, d³/dx³ x⁴ = 24x', () => {
    const x = nb.tensor([0.3, -1.2, 2], { dtype: 'float64', requiresGrad: true });
    let y = x.sin().sum();
    let yq = x.pow(4).sum();
    for (let k = 0; k < 2; k++) { // two derivatives here, the third below
      y = nb.autograd.grad(y, x, { createGraph: true })[0]!.sum();
      yq = nb.autograd.grad(yq, x, { createGraph: true })[0]!.sum();
    }
    const [d3] = nb.autograd.grad(y, x);
    const [d3q] = nb.autograd.grad(yq, x);
    assertClose(Array.from(d3!.data()), [0.3, -1.2, 2].map((v) => -Math.cos(v)), 1e-14, 1e-12, 'sin′′′');
    assertClose(Array.from(d3q!.data()), [0.3, -1.2, 2].map((v) => 24 * v), 1e-12, 1e-12, '(x⁴)′′′');
  });
});

describe('gradient penalty', () => {
  // D(x) = tanh(x·W1 + b1)·w2, one score per row; penalty = mean over rows of ‖∂D/∂x‖²
  const g1 = gen(9);
  const Xr = randn([5, 3], g1), T = randn([5, 1], g1);
  const D = (x: Tensor, W1: Tensor, b1: Tensor, w2: Tensor) => x.matmul(W1).add(b1).tanh().matmul(w2);
  const penalty = (W1: Tensor, b1: Tensor, w2: Tensor): Tensor => nb.enableGrad(() => {
    const x = Xr.detach().requiresGrad_(true);
    const [dx] = nb.autograd.grad(D(x, W1, b1, w2).sum(), x, { createGraph: true });
    return dx!.square().sum(1).mean();
  });
  const lambda = 0.5;
  const objective = (W1: Tensor, b1: Tensor, w2: Tensor): Tensor =>
    D(Xr, W1, b1, w2).sub(T).square().mean().add(penalty(W1, b1, w2).mul(lambda));
  const init = () => { const g = gen(10); return [randn([3, 4], g), randn([4], g), randn([4, 1], g)]; };

  test('the penalty matches its closed form ‖W1·diag(1 − h²)·w2‖² per row', () => {
    const [W1, b1, w2] = init() as [Tensor, Tensor, Tensor];
    const h = Xr.matmul(W1).add(b1).tanh();
    // ∂D/∂x_row = W1 · ((1 − h_row²) ⊙ w2)
    const dx = h.square().neg().add(1).mul(w2.reshape(1, 4)).matmul(W1.T);
    const want = dx.square().sum(1).mean().item();
    assert.ok(Math.abs(penalty(W1, b1, w2).item() - want) < 1e-13);
  });

  test('its gradient w.r.t. the parameters matches finite differences (gradcheck, and gradgradcheck)', () => {
    const ps = init().map((p) => p.requiresGrad_(true));
    assert.equal(nb.autograd.gradcheck(penalty as (...xs: Tensor[]) => Tensor, ps, { name: 'gradient penalty' }), true);
    assert.equal(nb.autograd.gradcheck(objective as (...xs: Tensor[]) => Tensor, ps, { name: 'penalized objective' }), true);
    assert.equal(nb.autograd.gradgradcheck(penalty as (...xs: Tensor[]) => Tensor, ps, { name: 'gradient penalty' }), true);
  });

  test('backward of the penalty populates the parameters\' .grad with the finite-difference gradient', () => {
    const ps = init().map((p) => p.requiresGrad_(true)) as [Tensor, Tensor, Tensor];
    penalty(...ps).backward();
    const eps = 1e-6;
    ps.forEach((p, i) => {
      const n = p.numel();
      const fdv: number[] = [];
      for (let k = 0; k < n; k++) {
        const dir = ps.map((q, j) => {
          const z = nb.zeros([...q.shape], { dtype: 'float64' });
          if (j === i) nb.noGrad(() => z.reshape(-1).select(0, k).fill_(1));
          return z;
        });
        const up = penalty(...(shifted(ps, dir, eps) as [Tensor, Tensor, Tensor])).item();
        const dn = penalty(...(shifted(ps, dir, -eps) as [Tensor, Tensor, Tensor])).item();
        fdv.push((up - dn) / (2 * eps));
      }
      assertClose(Array.from(p.grad!.data()), fdv, 1e-7, 1e-5, `param ${i}`);
    });
  });

  test('a few SGD steps on the penalized objective reduce it', () => {
    const ps = init().map((p) => p.requiresGrad_(true)) as [Tensor, Tensor, Tensor];
    const history: number[] = [];
    for (let step = 0; step < 10; step++) {
      ps.forEach((p) => (p.grad = null));
      const obj = objective(...ps);
      history.push(obj.item());
      obj.backward();
      nb.noGrad(() => ps.forEach((p) => p.sub_(p.grad!.mul(0.05))));
    }
    history.push(objective(...ps).item());
    for (let k = 1; k < history.length; k++) assert.ok(history[k]! < history[k - 1]!, `step ${k}: ${history[k]} < ${history[k - 1]}`);
    assert.ok(history[history.length - 1]! < 0.9 * history[0]!);
  });
});

describe('forward mode (jvp)', () => {
  const cases: { name: string; fn: (...xs: Tensor[]) => Tensor; shapes: number[][] }[] = [
    { name: 'elementwise composite', fn: (x) => x.sin().mul(x.exp()).add(x.square().tanh()), shapes: [[3, 4]] },
    { name: 'matmul + bias + softplus', fn: (x, w, b) => x.matmul(w).add(b).softplus(), shapes: [[4, 3], [3, 2], [2]] },
    { name: 'reductions', fn: (x) => x.logsumexp(1).add(x.std(1)).mul(x.amax(1)), shapes: [[3, 5]] },
    { name: 'movement', fn: (x, y) => nb.cat([x.T, y], 0).pow(3).flatten(), shapes: [[2, 3], [1, 2]] },
  ];
  for (const c of cases) {
    test(`jvp matches finite differences: ${c.name}`, () => {
      const g = gen(c.name.length * 31);
      const xs = c.shapes.map((s) => randn(s, g));
      const ts = c.shapes.map((s) => randn(s, g));
      const [y, jt] = nb.autograd.jvp(c.fn, xs, ts);
      assertClose(Array.from(y.data()), Array.from(c.fn(...xs).data()), 0, 0, 'primal output');
      assert.deepEqual(jt.shape, y.shape);
      const eps = 1e-6;
      const up = c.fn(...shifted(xs, ts, eps)).data(), dn = c.fn(...shifted(xs, ts, -eps)).data();
      const fdv = Array.from(up).map((u, i) => (u - dn[i]!) / (2 * eps));
      assertClose(Array.from(jt.data()), fdv, 1e-7, 1e-5, 'J·t');
      assert.equal(jt.requiresGrad, false);
    });
  }

  test('jvp is linear in the tangent and agrees with vjp: ⟨u, J·t⟩ = ⟨Jᵀu, t⟩', () => {
    const g = gen(5);
    const x = randn([4], g), t = randn([4], g), u = randn([3], g);
    const W = randn([3, 4], g);
    const f = (v: Tensor) => W.matmul(v.tanh());
    const [, jt] = nb.autograd.jvp(f, [x], [t]);
    const [, jt2] = nb.autograd.jvp(f, [x], [t.mul(2)]);
    assertClose(Array.from(jt2.data()), Array.from(jt.data()).map((v) => 2 * v), 1e-15, 1e-14, 'linearity');
    const xv = x.detach().requiresGrad_(true);
    const [vjp] = nb.autograd.grad(f(xv), xv, { gradOutputs: u });
    const lhs = u.mul(jt).sum().item(), rhs = vjp!.mul(t).sum().item();
    assert.ok(Math.abs(lhs - rhs) < 1e-13, `${lhs} vs ${rhs}`);
  });
});
