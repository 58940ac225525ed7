/**
 * The worked examples of the reference notes (/work/shared/seeds), with their numbers, against nabla.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const f64 = (data: nb.NestedArray, requiresGrad = false) => nb.tensor(data, { dtype: 'float64', requiresGrad });
const near = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);
const nearAll = (actual: ArrayLike<number>, expected: readonly number[], tol: number, what = '') => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) near(actual[i]!, expected[i]!, tol, `${what}[${i}]`);
};

describe('backpropagation on computational graphs (f = (x + y)·z and friends)', () => {
  test('f = x + y·z at (−2, 5, −4): f = −22, ∂f/∂x = 1, ∂f/∂y = z = −4, ∂f/∂z = y = 5', () => {
    const x = f64(-2, true), y = f64(5, true), z = f64(-4, true);
    const q = y.mul(z);
    assert.equal(q.item(), -20);
    const f = x.add(q);
    f.backward();
    assert.equal(f.item(), -22);
    assert.equal(x.grad!.item(), 1);
    assert.equal(y.grad!.item(), -4);
    assert.equal(z.grad!.item(), 5);
  });

  test('the "flat" chain x=3 → a=x+1 → b=2a → c=−b → d=c+1 → e=2d → f=σ(e), against its hand-written backward', () => {
    // forward, as the notes write it
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const xv = 3, av = xv + 1, bv = av * 2, cv = -bv, dv = cv + 1, ev = dv * 2, fv = sigmoid(ev);
    // backward, line by line from the notes
    const df = 1.0;
    const de = df * fv * (1 - fv);
    const dd = de * 2;
    const dc = dd * 1;
    const db = dc * -1;
    const da = db * 2;
    const dx = da * 1;

    const x = f64(xv, true);
    const a = x.add(1).retainGrad();
    const b = a.mul(2).retainGrad();
    const c = b.neg().retainGrad();
    const d = c.add(1).retainGrad();
    const e = d.mul(2).retainGrad();
    const f = e.sigmoid();
    f.backward();
    assert.deepEqual([a, b, c, d, e].map((t) => t.item()), [4, 8, -8, -7, -14]);
    near(f.item(), fv, 1e-18, 'f');
    near(e.grad!.item(), de, 1e-18, 'de');
    near(d.grad!.item(), dd, 1e-18, 'dd');
    near(c.grad!.item(), dc, 1e-18, 'dc');
    near(b.grad!.item(), db, 1e-18, 'db');
    near(a.grad!.item(), da, 1e-18, 'da');
    near(x.grad!.item(), dx, 1e-18, 'dx');
    near(dx, -4 * fv * (1 - fv), 1e-20, 'closed form');
  });

  test('the sigmoid neuron f(w, x) = 1/(1 + exp(−(w0·x0 + w1·x1 + w2))) against its flat backward', () => {
    const w = [2, -3, -3], xs = [-1, -2];
    // flat forward / backward (the classic staged computation)
    const dot = w[0]! * xs[0]! + w[1]! * xs[1]! + w[2]!;
    const fv = 1 / (1 + Math.exp(-dot));
    const ddot = (1 - fv) * fv;
    const dxFlat = [w[0]! * ddot, w[1]! * ddot];
    const dwFlat = [xs[0]! * ddot, xs[1]! * ddot, 1 * ddot];
    near(fv, 0.7310585786300049, 1e-15, 'f');
    nearAll(dxFlat, [0.3932238664829637, -0.5898357997244456], 1e-15, 'dx (flat)');
    nearAll(dwFlat, [-0.19661193324148185, -0.3932238664829637, 0.19661193324148185], 1e-15, 'dw (flat)');

    // nabla, from primitives (1 / (1 + exp(−z))) and with the fused sigmoid
    for (const fused of [false, true]) {
      const W = w.map((v) => f64(v, true));
      const X = xs.map((v) => f64(v, true));
      const z = W[0]!.mul(X[0]!).add(W[1]!.mul(X[1]!)).add(W[2]!);
      const f = fused ? z.sigmoid() : z.neg().exp().add(1).reciprocal();
      f.backward();
      near(f.item(), fv, 1e-15, `f (fused ${fused})`);
      nearAll(X.map((t) => t.grad!.item()), dxFlat, 1e-15, `dx (fused ${fused})`);
      nearAll(W.map((t) => t.grad!.item()), dwFlat, 1e-15, `dw (fused ${fused})`);
    }
  });

  test('gates: add distributes, mul swaps, max routes, copy adds', () => {
    const x = f64(2, true), y = f64(3, true), z = f64(5, true), u = f64(0, true), v = f64(9, true);
    const out = x.mul(y).add(u.maximum(v)).add(z.mul(z));
    out.backward(f64(2)); // upstream 2
    assert.equal(x.grad!.item(), 6); // 2·y
    assert.equal(y.grad!.item(), 4); // 2·x
    assert.equal(u.grad!.item(), 0); // max routes everything to v
    assert.equal(v.grad!.item(), 2);
    assert.equal(z.grad!.item(), 20); // copy: 2·z + z·2, times upstream 2
  });

  test('vectorised ReLU: the upstream gradient [4, −1, 5, 9] is masked by x > 0 for x = [1, −2, 3, −1]', () => {
    const x = f64([1, -2, 3, -1], true);
    const y = x.relu();
    assert.deepEqual(Array.from(y.data()), [1, 0, 3, 0]);
    y.backward(f64([4, -1, 5, 9]));
    nearAll(x.grad!.data(), [4, 0, 5, 0], 0, 'x.grad');
  });
});

describe('the logistic-regression backprop demo', () => {
  // z = w·x + b, a = σ(z), loss = −[y·log a + (1 − y)·log(1 − a)]
  const cases = [
    { x: 1.5, w: -0.8, b: 0.3, y: 1 },
    { x: -2, w: 0.7, b: -0.1, y: 0 },
    { x: 0.25, w: 3, b: 1, y: 1 },
  ];
  for (const c of cases) {
    test(`∂loss/∂z = a − y, ∂loss/∂w = (a − y)·x, ∂loss/∂b = a − y, ∂loss/∂x = (a − y)·w at x=${c.x}, w=${c.w}, b=${c.b}, y=${c.y}`, () => {
      const x = f64(c.x, true), w = f64(c.w, true), b = f64(c.b, true);
      const z = w.mul(x).add(b).retainGrad();
      const a = z.sigmoid().retainGrad();
      const loss = a.log().mul(c.y).add(a.neg().add(1).log().mul(1 - c.y)).neg();
      loss.backward();

      const zv = c.w * c.x + c.b, av = 1 / (1 + Math.exp(-zv));
      const lossv = -(c.y * Math.log(av) + (1 - c.y) * Math.log(1 - av));
      near(loss.item(), lossv, 1e-14, 'loss');
      near(a.grad!.item(), (av - c.y) / (av * (1 - av)), 1e-12, '∂loss/∂a = (a − y)/(a(1 − a))');
      near(z.grad!.item(), av - c.y, 1e-14, '∂loss/∂z');
      near(w.grad!.item(), (av - c.y) * c.x, 1e-14, '∂loss/∂w');
      near(b.grad!.item(), av - c.y, 1e-14, '∂loss/∂b');
      near(x.grad!.item(), (av - c.y) * c.w, 1e-14, '∂loss/∂x');

      // one gradient-descent step w ← w − η·∂loss/∂w, b ← b − η·∂loss/∂b lowers the loss
      const eta = 0.5;
      nb.noGrad(() => { w.sub_(w.grad!.mul(eta)); b.sub_(b.grad!.mul(eta)); });
      near(w.item(), c.w - eta * (av - c.y) * c.x, 1e-14, 'updated w');
      near(b.item(), c.b - eta * (av - c.y), 1e-14, 'updated b');
      const a2 = w.mul(x).add(b).sigmoid().item();
      const loss2 = -(c.y * Math.log(a2) + (1 - c.y) * Math.log(1 - a2));
      assert.ok(loss2 < lossv, `loss after one step ${loss2} < ${lossv}`);
    });
  }
});

describe('the two-layer network Y = XW + b', () => {
  test('∇W = Xᵀ·∇Y, ∇b = column sums of ∇Y, ∇X = ∇Y·Wᵀ for the MLP of the notes (float64, hand formulas)', () => {
    const g = new nb.Generator(3);
    const x = nb.randn([5, 3], { dtype: 'float64', generator: g });
    const y = nb.randn([5], { dtype: 'float64', generator: g });
    const w1 = nb.randn([3, 4], { dtype: 'float64', generator: g }).requiresGrad_();
    const b1 = nb.randn([4], { dtype: 'float64', generator: g }).requiresGrad_();
    const w2 = nb.randn([4, 1], { dtype: 'float64', generator: g }).requiresGrad_();
    const b2 = nb.randn([1], { dtype: 'float64', generator: g }).requiresGrad_();

    const y1 = x.matmul(w1).add(b1);
    const y2 = y1.matmul(w2).add(b2);
    const l = y.sub(y2.squeeze()).pow(2).sum();

    const [y2Grad] = nb.autograd.grad(l, y2, { retainGraph: true });
    const [y1Grad] = nb.autograd.grad(l, y1, { retainGraph: true });
    l.backward();

    // hand formulas in plain float64 JS
    const X = Array.from(x.data()), Yv = Array.from(y.data()), Y1 = Array.from(y1.data()), Y2 = Array.from(y2.data());
    const W2 = Array.from(w2.data());
    const dy2 = Y2.map((v, n) => 2 * (v - Yv[n]!)); // d(y2) = 2(y2 − y)
    const dy1 = Array.from({ length: 20 }, (_, k) => dy2[Math.floor(k / 4)]! * W2[k % 4]!); // dy2 · w2ᵀ
    const dw1 = Array.from({ length: 12 }, (_, k) => {
      const i = Math.floor(k / 4), j = k % 4;
      let s = 0;
      for (let n = 0; n < 5; n++) s += X[3 * n + i]! * dy1[4 * n + j]!;
      return s; // xᵀ · dy1
    });
    const db1 = [0, 1, 2, 3].map((j) => [0, 1, 2, 3, 4].reduce((s, n) => s + dy1[4 * n + j]!, 0));
    const dw2 = [0, 1, 2, 3].map((j) => [0, 1, 2, 3, 4].reduce((s, n) => s + Y1[4 * n + j]! * dy2[n]!, 0));
    const db2 = [dy2.reduce((s, v) => s + v, 0)];

    const tol = 1e-12;
    assert.deepEqual(y2Grad!.shape, [5, 1]);
    nearAll(y2Grad!.data(), dy2, tol, 'y2 grad');
    assert.deepEqual(y1Grad!.shape, [5, 4]);
    nearAll(y1Grad!.data(), dy1, tol, 'y1 grad');
    nearAll(w1.grad!.data(), dw1, tol, 'w1.grad = xᵀ·y1_grad');
    nearAll(b1.grad!.data(), db1, tol, 'b1.grad = column sums of y1_grad');
    nearAll(w2.grad!.data(), dw2, tol, 'w2.grad = y1ᵀ·y2_grad');
    nearAll(b2.grad!.data(), db2, tol, 'b2.grad');
    // and with nabla's own ops: xᵀ·∂y, column sums
    nearAll(w1.grad!.data(), Array.from(x.T.matmul(y1Grad!).data()), tol, 'xᵀ·∂y1 in nabla');
    nearAll(b1.grad!.data(), Array.from(y1Grad!.sum(0).data()), tol, 'Σ rows of ∂y1 in nabla');
  });

  test('the printed numbers: l = 25.1672 and d(y2) = 2(y2 − y) for the notes\' y and y2', () => {
    const y = f64([0.1177, -0.4787, 1.157, -0.7038, -0.3809]);
    const y2 = f64([[1.0282], [2.7791], [2.5685], [-1.9691], [2.802]], true);
    const l = y.sub(y2.squeeze()).pow(2).sum();
    near(l.item(), 25.1672, 2e-3, 'l'); // the notes print 4 decimals of y and y2
    l.backward();
    nearAll(y2.grad!.data(), [1.821, 6.5158, 2.823, -2.5306, 6.3659], 3e-4, 'y2 grad');
  });

  test('the printed b1 gradient is the column sums of the printed y1 gradient', () => {
    const y1Grad = f64([
      [0.1996, 3.5949, -2.6491, 0.7318],
      [0.714, 12.8628, -9.4787, 2.6183],
      [0.3094, 5.573, -4.1067, 1.1344],
      [-0.2773, -4.9956, 3.6813, -1.0169],
      [0.6976, 12.5669, -9.2606, 2.5581],
    ]);
    const g = new nb.Generator(5);
    const x = nb.randn([5, 3], { dtype: 'float64', generator: g });
    const w1 = nb.randn([3, 4], { dtype: 'float64', generator: g }).requiresGrad_();
    const b1 = f64([0, 0, 0, 0], true);
    const y1: Tensor = x.matmul(w1).add(b1);
    y1.backward(y1Grad);
    nearAll(b1.grad!.data(), [1.6432, 29.602, -21.8138, 6.0257], 2e-4, 'b1.grad');
    nearAll(w1.grad!.data(), Array.from(x.T.matmul(y1Grad).data()), 1e-12, 'w1.grad = xᵀ·y1_grad');
  });
});

describe('softmax and log-softmax backward formulas', () => {
  // the notes' hand-written backward: log-softmax dx = dy − Σdy·exp(y); softmax dx = y·(dy − Σ(dy·y))
  const softmax = (x: Tensor, log: boolean) => {
    const shift = x.sub(x.max(-1, true).values.detach());
    const expShift = shift.exp();
    const den = expShift.sum(-1, true);
    return log ? shift.sub(den.log()) : expShift.div(den);
  };
  for (const log of [false, true]) {
    test(`${log ? 'log-softmax' : 'softmax'} built from ops matches the notes' closed-form backward`, () => {
      const g = new nb.Generator(log ? 21 : 22);
      const x = nb.randn([4, 7], { dtype: 'float64', generator: g }).requiresGrad_();
      const dy = nb.randn([4, 7], { dtype: 'float64', generator: g });
      const y = softmax(x, log);
      y.backward(dy);
      const want = nb.noGrad(() => (log ? dy.sub(dy.sum(-1, true).mul(y.exp())) : y.mul(dy.sub(dy.mul(y).sum(-1, true)))));
      nearAll(x.grad!.data(), Array.from(want.data()), 1e-12, 'x.grad');
      // rows of softmax sum to 1
      if (!log) nearAll(y.sum(-1).data(), [1, 1, 1, 1], 1e-14, 'row sums');
    });
  }
});
