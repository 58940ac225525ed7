/**
 * Forward-mode AD and nb.func, over the whole op table in float64:
 *   ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ for random u, v (forward-mode tangent against the reverse-mode gradient);
 *   jacfwd = jacrev;
 *   forward-over-reverse Hessian-vector product = reverse-over-reverse (twice-differentiable rows);
 * plus the forwardAD API (makeDual / unpackDual / dualLevel), custom Function jvp, and hessian.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { jvpReverseOverReverse } from '../src/autograd/api.js';
import { opCases, type OpCase } from './ops_table.js';
import { sampleInputs, seedOf } from './op_inputs.js';

const { forwardAD } = nb.autograd;

const leaves = (c: OpCase) => sampleInputs(c).map((v, i) => nb.tensor(Float64Array.from(v), { shape: c.shapes[i]!, dtype: 'float64' }));
/** all outputs of a row flattened into one vector (split/chunk return several) */
const flatFn = (c: OpCase) => (...xs: Tensor[]): Tensor => {
  const r = c.fn(...xs);
  const outs = Array.isArray(r) ? r : [r];
  return nb.cat(outs.map((o) => o.reshape(-1)));
};
const dot = (a: Tensor, b: Tensor) => nb.noGrad(() => a.mul(b).sum().item());

/** |a − b| ≤ tol·(1 + |a| + |b|); equal non-finite values (±∞, NaN: a sort row's NaN entries) count as equal */
function close(a: number, b: number, what: string, tol = 1e-9): void {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return;
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(a) + Math.abs(b)), `${what}: ${a} vs ${b}`);
}

function assertTensorsClose(a: Tensor, b: Tensor, what: string, tol = 1e-9): void {
  assert.deepEqual([...a.shape], [...b.shape], `${what}: shape`);
  const x = a.data(), y = b.data();
  for (let i = 0; i < x.length; i++) close(x[i]!, y[i]!, `${what}[${i}]`, tol);
}

// rows pinned at a singular point (log, sqrt, 1/x at 0: an infinite derivative) are left out: there J holds ±∞ and
// the identities below meet ∞·0 = NaN on both sides; their gradients are checked against PyTorch's in ops_gradcheck
const singular = (c: (typeof opCases)[number]) => !!c.gradWant?.some((g) => g.some((v) => !Number.isFinite(v)));
const rows = opCases.filter((c) => c.differentiable !== false && c.gradcheck !== false && !singular(c));

describe('forward mode over the op table', () => {
  for (const c of rows) {
    test(`${c.name}: ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩`, () => {
      const xs = leaves(c);
      const g = new nb.Generator(seedOf(c.name) ^ 0x5bd1);
      const vs = xs.map((x) => nb.randn(x.shape, { dtype: 'float64', generator: g }));
      const f = flatFn(c);
      const [y, jv] = nb.autograd.jvp(f, xs, vs);
      assert.equal(jv.dtype, 'float64');
      const u = nb.randn(y.shape, { dtype: 'float64', generator: g });
      const ins = xs.map((x) => x.detach().requiresGrad_(true));
      const out = f(...ins);
      const jtu = out.requiresGrad ? nb.autograd.grad(out, ins, { gradOutputs: u, allowUnused: true }) : ins.map(() => null);
      const rhs = jtu.reduce((acc, gi, i) => acc + (gi ? dot(gi, vs[i]!) : 0), 0);
      close(dot(jv, u), rhs, 'inner products');
      assertTensorsClose(y, nb.noGrad(() => f(...xs)), 'jvp primal output');
    });
  }
});

describe('jacfwd = jacrev over the op table', () => {
  for (const c of rows) {
    test(c.name, () => {
      const xs = leaves(c);
      const argnums = xs.map((_, i) => i);
      const f = flatFn(c);
      const fwd = nb.func.jacfwd(f, { argnums })(...xs) as Tensor[];
      const rev = nb.func.jacrev(f, { argnums })(...xs) as Tensor[];
      fwd.forEach((J, i) => assertTensorsClose(J, rev[i]!, `Jacobian w.r.t. input ${i}`));
    });
  }
});

describe('forward-over-reverse Hessian-vector product = reverse-over-reverse', () => {
  for (const c of rows.filter((r) => r.twiceDifferentiable)) {
    test(c.name, () => {
      const xs = leaves(c);
      const g = new nb.Generator(seedOf(c.name) ^ 0x77);
      const f = flatFn(c);
      const w = nb.noGrad(() => nb.randn(f(...xs).shape, { dtype: 'float64', generator: g }));
      // a scalar of the first input (the others held fixed): s(x) = Σ w ⊙ f(x, ...)
      const s = (x: Tensor) => f(x, ...xs.slice(1)).mul(w).sum();
      const v = nb.randn(xs[0]!.shape, { dtype: 'float64', generator: g });
      const [, hvFwd] = nb.func.jvp((x) => nb.func.grad(s)(x) as Tensor, [xs[0]!], [v]);
      const [, [hvRev]] = nb.autograd.hvp(s, [xs[0]!], [v]);
      assertTensorsClose(hvFwd, hvRev!, 'H·v', 1e-8);
    });
  }
});

describe('forwardAD API', () => {
  test('makeDual / unpackDual carry a tangent through ops and drop it when the level ends', () => {
    const x = nb.tensor([0.5, -1, 2], { dtype: 'float64' });
    const v = nb.tensor([1, 2, 3], { dtype: 'float64' });
    let kept: Tensor | null = null;
    const { primal, tangent } = forwardAD.dualLevel(() => {
      const d = forwardAD.makeDual(x, v);
      const y = d.exp().mul(d).sum();
      kept = y;
      return forwardAD.unpackDual(y);
    });
    // d/dt Σ x·eˣ along v = Σ v·(1 + x)·eˣ
    const want = [0.5, -1, 2].reduce((acc, xi, i) => acc + [1, 2, 3][i]! * (1 + xi) * Math.exp(xi), 0);
    close(tangent!.item(), want, 'tangent');
    close(primal.item(), [0.5, -1, 2].reduce((a, xi) => a + xi * Math.exp(xi), 0), 'primal');
    assert.equal(forwardAD.unpackDual(kept!).tangent, null, 'outside the level there is no tangent');
  });

  test('errors: outside a level, shape/dtype mismatch, nested levels', () => {
    const x = nb.tensor([1, 2], { dtype: 'float64' });
    assert.throws(() => forwardAD.makeDual(x, x), /makeDual: must be called inside forwardAD.dualLevel/);
    forwardAD.dualLevel(() => {
      assert.throws(() => forwardAD.makeDual(x, nb.tensor([1, 2, 3], { dtype: 'float64' })), /argument tangent must have the primal's shape \[2\], got \[3\]/);
      assert.throws(() => forwardAD.makeDual(x, nb.tensor([1, 2])), /argument tangent must have the primal's dtype float64, got float32/);
      assert.throws(() => forwardAD.dualLevel(() => 0), /nested forward-mode levels are not supported/);
    });
  });

  test('jvp is one forward pass: it records no graph and runs no backward', () => {
    const w = nb.randn([4, 3], { dtype: 'float64', generator: new nb.Generator(1) });
    const x = nb.randn([2, 4], { dtype: 'float64', generator: new nb.Generator(2) });
    const [y, t] = nb.func.jvp((a) => a.matmul(w).tanh(), [x], [nb.onesLike(x)]);
    assert.equal(y.requiresGrad, false);
    assert.equal(t.requiresGrad, false);
    // reference: (1 − tanh²(xW)) ⊙ (1·W)
    const ref = nb.noGrad(() => nb.sub(1, x.matmul(w).tanh().square()).mul(nb.onesLike(x).matmul(w)));
    assertTensorsClose(t, ref, 'tangent');
  });

  test('reverse-over-forward: the tangent is differentiable by backward', () => {
    const x = nb.tensor([0.3, -0.7], { dtype: 'float64' }).requiresGrad_(true);
    const v = nb.tensor([1, 1], { dtype: 'float64' });
    const t = forwardAD.dualLevel(() => forwardAD.unpackDual(forwardAD.makeDual(x, v).sin().sum()).tangent!);
    // t = Σ cos(x)·v → dt/dx = −sin(x)·v
    const [g] = nb.autograd.grad(t, [x]);
    assertTensorsClose(g!, nb.tensor([-Math.sin(0.3), -Math.sin(-0.7)], { dtype: 'float64' }), 'd tangent / dx');
  });

  test('jvpReverseOverReverse (the old form) agrees with forward mode', () => {
    const x = nb.randn([3, 2], { dtype: 'float64', generator: new nb.Generator(3) });
    const v = nb.randn([3, 2], { dtype: 'float64', generator: new nb.Generator(4) });
    const f = (a: Tensor) => a.softmax(1).mul(a.sigmoid()).logsumexp(0);
    assertTensorsClose(nb.autograd.jvp(f, [x], [v])[1], jvpReverseOverReverse(f, [x], [v])[1], 'J·v');
  });
});

describe('custom Function forward mode', () => {
  class Cube extends nb.autograd.Function {
    static override forward(ctx: nb.autograd.FunctionCtx, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      return x.pow(3);
    }
    static override backward(ctx: nb.autograd.FunctionCtx, g: Tensor): Tensor {
      const [x] = ctx.savedTensors;
      return g.mul(x!.square().mul(3));
    }
    static override jvp(ctx: nb.autograd.FunctionCtx, dx: Tensor | null): Tensor {
      const [x] = ctx.savedTensors;
      return dx!.mul(x!.square().mul(3));
    }
  }
  class NoJvp extends nb.autograd.Function {
    static override forward(_ctx: nb.autograd.FunctionCtx, x: Tensor): Tensor { return x.mul(2); }
    static override backward(_ctx: nb.autograd.FunctionCtx, g: Tensor): Tensor { return g.mul(2); }
  }

  test('its static jvp gives the tangent (3x²·ẋ), and jacfwd = jacrev through it', () => {
    const x = nb.tensor([0.5, -2, 1.5], { dtype: 'float64' });
    const [, t] = nb.func.jvp((a) => Cube.apply(a).sin(), [x], [nb.onesLike(x)]);
    assertTensorsClose(t, nb.tensor([0.5, -2, 1.5].map((v) => Math.cos(v ** 3) * 3 * v * v), { dtype: 'float64' }), 'tangent');
    const f = (a: Tensor) => Cube.apply(a).mul(a);
    assertTensorsClose(nb.func.jacfwd(f)(x) as Tensor, nb.func.jacrev(f)(x) as Tensor, 'Jacobian');
  });

  test('a Function without jvp raises a clear error in forward mode (and works in reverse mode)', () => {
    const x = nb.tensor([1, 2], { dtype: 'float64' });
    assert.throws(() => nb.func.jvp((a) => NoJvp.apply(a), [x], [x]), /NoJvp\.jvp is not implemented: forward-mode AD .* needs a static jvp\(ctx, \.\.\.tangents\)/);
    const xg = x.detach().requiresGrad_(true);
    NoJvp.apply(xg).sum().backward();
    assert.deepEqual(xg.grad!.dataArray(), [2, 2]);
  });
});

describe('nb.func', () => {
  test('hessian (forward-over-reverse) of Σ x³ + x₀x₁ is diag(6x) + the coupling', () => {
    const x = nb.tensor([0.5, -1, 2], { dtype: 'float64' });
    const H = nb.func.hessian((a) => a.pow(3).sum().add(a.select(0, 0).mul(a.select(0, 1))))(x) as Tensor;
    assert.deepEqual([...H.shape], [3, 3]);
    assertTensorsClose(H, nb.tensor([[3, 1, 0], [1, -6, 0], [0, 0, 12]], { dtype: 'float64' }), 'H');
  });

  test('grad and vjp with argnums; a non-scalar output to grad is an error', () => {
    const a = nb.tensor([1, 2], { dtype: 'float64' }), b = nb.tensor([3, 4], { dtype: 'float64' });
    const [ga, gb] = nb.func.grad((x, y) => x.mul(y).sum(), { argnums: [0, 1] })(a, b) as Tensor[];
    assert.deepEqual(ga!.dataArray(), [3, 4]);
    assert.deepEqual(gb!.dataArray(), [1, 2]);
    assert.throws(() => nb.func.grad((x) => x.mul(2))(a), /func.grad: the function must return a one-element Tensor, got shape \[2\]/);
    const [y, pull] = nb.func.vjp((x, z) => x.mul(z), a, b);
    assert.deepEqual(y.dataArray(), [3, 8]);
    const [da, db] = pull(nb.tensor([1, 10], { dtype: 'float64' }));
    assert.deepEqual(da!.dataArray(), [3, 40]);
    assert.deepEqual(db!.dataArray(), [1, 20]);
  });

  test('reverse over reverse composes: jacrev(jacrev(f)) = hessian(f)', () => {
    const x = nb.tensor([0.2, -0.4, 0.9], { dtype: 'float64' });
    const f = (a: Tensor) => a.tanh().mul(a.exp()).sum();
    const rr = nb.func.jacrev(nb.func.jacrev(f) as (a: Tensor) => Tensor)(x) as Tensor;
    assertTensorsClose(rr, nb.func.hessian(f)(x) as Tensor, 'H');
  });
});
