/**
 * The `inplace` flag of the activation modules (nn.ReLU, LeakyReLU, SiLU, ReLU6), of F.leakyRelu / F.relu6 and the
 * in-place ops behind them (relu_, leakyRelu_, silu_, clamp_), as PyTorch: the activation is written into the input,
 * which is returned (the same Tensor, its version bumped); the gradient flows through a non-leaf input; a leaf that
 * requires grad refuses; a backward that saved the overwritten values fails instead of using the new ones.
 * References are the formulas in plain float64 JavaScript.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const f64 = 'float64' as const;
const vals = (t: Tensor | null | undefined): number[] => { assert.ok(t, 'expected a tensor'); return Array.from(t.data()); };
function near(actual: number[], expected: number[], tol = 1e-12, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)), `${what}[${i}]: got ${a}, expected ${expected[i]}`));
}

// w (a leaf) and a = 2w, away from the kinks at 0 and 6: a = [−7.5, −2, −0.5, 0.25, 1.5, 3, 6.5, 8]
const W = [-3.75, -1, -0.25, 0.125, 0.75, 1.5, 3.25, 4];
const A = W.map((v) => 2 * v);
const C = A.map((_, i) => i + 1); // the upstream gradient: loss = Σ c ⊙ y
const sig = (x: number) => 1 / (1 + Math.exp(-x));

interface Case {
  name: string;
  make: () => { call(x: Tensor): Tensor } | ((x: Tensor) => Tensor);
  /** y = f(x) and dy/dx, the formulas */
  f: (x: number) => number;
  df: (x: number) => number;
  /** the op named in the leaf error */
  op: string;
}
const apply = (m: ReturnType<Case['make']>, x: Tensor) => (typeof m === 'function' ? m(x) : m.call(x));

const cases: Case[] = [
  { name: 'nn.ReLU(true)', make: () => new nb.nn.ReLU(true), f: (x) => Math.max(0, x), df: (x) => (x > 0 ? 1 : 0), op: 'relu_' },
  { name: 'nn.ReLU({inplace: true})', make: () => new nb.nn.ReLU({ inplace: true }), f: (x) => Math.max(0, x), df: (x) => (x > 0 ? 1 : 0), op: 'relu_' },
  { name: 'nn.LeakyReLU(0.2, true)', make: () => new nb.nn.LeakyReLU(0.2, true), f: (x) => (x > 0 ? x : 0.2 * x), df: (x) => (x > 0 ? 1 : 0.2), op: 'leakyRelu_' },
  // silu = x·σ(x), silu' = σ(x)·(1 + x·(1 − σ(x)))
  { name: 'nn.SiLU(true)', make: () => new nb.nn.SiLU(true), f: (x) => x * sig(x), df: (x) => sig(x) * (1 + x * (1 - sig(x))), op: 'silu_' },
  { name: 'nn.ReLU6(true)', make: () => new nb.nn.ReLU6(true), f: (x) => Math.min(Math.max(0, x), 6), df: (x) => (x > 0 && x < 6 ? 1 : 0), op: 'clamp_' },
  { name: 'F.leakyRelu(x, 0.2, true)', make: () => (x: Tensor) => nb.nn.functional.leakyRelu(x, 0.2, true), f: (x) => (x > 0 ? x : 0.2 * x), df: (x) => (x > 0 ? 1 : 0.2), op: 'leakyRelu_' },
  { name: 'F.leakyRelu(x, {inplace: true})', make: () => (x: Tensor) => nb.nn.functional.leakyRelu(x, { inplace: true }), f: (x) => (x > 0 ? x : 0.01 * x), df: (x) => (x > 0 ? 1 : 0.01), op: 'leakyRelu_' },
  { name: 'F.relu6(x, true)', make: () => (x: Tensor) => nb.nn.functional.relu6(x, true), f: (x) => Math.min(Math.max(0, x), 6), df: (x) => (x > 0 && x < 6 ? 1 : 0), op: 'clamp_' },
  { name: 'x.relu_()', make: () => (x: Tensor) => x.relu_(), f: (x) => Math.max(0, x), df: (x) => (x > 0 ? 1 : 0), op: 'relu_' },
  { name: 'nb.silu_(x)', make: () => (x: Tensor) => nb.silu_(x), f: (x) => x * sig(x), df: (x) => sig(x) * (1 + x * (1 - sig(x))), op: 'silu_' },
];

describe('inplace activations', () => {
  for (const c of cases) {
    test(`${c.name}: returns its input, written with f(x) (version bumped); the gradient flows through the non-leaf input`, () => {
      const w = nb.tensor(W, { dtype: f64 }).requiresGrad_(true);
      const a = w.mul(2);
      const v0 = a.storage.version;
      const y = apply(c.make(), a);
      assert.equal(y, a, 'the same Tensor object');
      assert.ok(a.storage.version > v0, `version ${a.storage.version} after ${v0}`);
      near(vals(a), A.map(c.f), 1e-12, 'values');
      y.mul(nb.tensor(C, { dtype: f64 })).sum().backward();
      // d/dw Σ c ⊙ f(2w) = 2 c f'(2w)
      near(vals(w.grad), A.map((x, i) => 2 * C[i]! * c.df(x)), 1e-12, 'dw');
    });

    test(`${c.name}: a leaf that requires grad refuses and is left unchanged; a saved tensor overwritten fails backward`, () => {
      const w = nb.tensor(W, { dtype: f64 }).requiresGrad_(true);
      assert.throws(() => apply(c.make(), w), new RegExp(`${c.op}: a leaf tensor that requires grad`));
      assert.deepEqual(vals(w), W);
      // exp saves its result e; writing f(e) into e must make exp's backward refuse, not use f(e)
      const e = w.exp();
      apply(c.make(), e);
      assert.throws(() => e.sum().backward(), /modified by an inplace operation/);
      // without a graph the leaf may be written (as an optimizer step does)
      const z = nb.tensor(W, { dtype: f64 }).requiresGrad_(true);
      nb.noGrad(() => apply(c.make(), z));
      near(vals(z), W.map(c.f), 1e-12, 'written under noGrad');
    });
  }

  test('inplace false (the default) leaves the input alone and returns a new tensor; the repr says inplace=True as PyTorch', () => {
    const a = nb.tensor(A, { dtype: f64 });
    for (const m of [new nb.nn.ReLU(), new nb.nn.LeakyReLU(0.2), new nb.nn.SiLU(false), new nb.nn.ReLU6({ inplace: false })]) {
      const y = m.call(a);
      assert.notEqual(y, a);
      assert.deepEqual(vals(a), A);
    }
    assert.equal(String(new nb.nn.ReLU()), 'ReLU()');
    assert.equal(String(new nb.nn.ReLU(true)), 'ReLU(inplace=True)');
    assert.equal(String(new nb.nn.LeakyReLU(0.2, true)), 'LeakyReLU(negative_slope=0.2, inplace=True)');
    assert.equal(String(new nb.nn.LeakyReLU(0.2)), 'LeakyReLU(negative_slope=0.2)');
    assert.equal(String(new nb.nn.SiLU(true)), 'SiLU(inplace=True)');
    assert.equal(String(new nb.nn.ReLU6(true)), 'ReLU6(inplace=True)');
    assert.equal(new nb.nn.ReLU(true).inplace, true);
    assert.equal(new nb.nn.LeakyReLU().inplace, false);
  });

  test('in place on an integer tensor: clamp_ (ReLU6) keeps int32; relu_, silu_, leakyRelu_ (float results here) refuse clearly', () => {
    const i = nb.tensor([-3, 0, 2, 9], { dtype: 'int32' });
    assert.equal(new nb.nn.ReLU6(true).call(i), i);
    assert.deepEqual(vals(i), [0, 0, 2, 6]);
    assert.equal(i.dtype, 'int32');
    const j = nb.tensor([-3, 0, 2, 9], { dtype: 'int32' });
    assert.throws(() => new nb.nn.ReLU(true).call(j), /relu_: the result \(float32\) cannot be written into .*int32/);
    assert.throws(() => new nb.nn.SiLU(true).call(j), /silu_: the result \(float32\) cannot be written into .*int32/);
    assert.throws(() => new nb.nn.LeakyReLU(0.1, true).call(j), /leakyRelu_: the result \(float32\) cannot be written into .*int32/);
    assert.deepEqual(vals(j), [-3, 0, 2, 9]);
    assert.throws(() => new nb.nn.ReLU('yes' as never), /ReLU: inplace must be true or false/);
    assert.throws(() => nb.nn.functional.relu6(i, 1 as never), /relu6: inplace must be true or false/);
  });
});
