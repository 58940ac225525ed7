/**
 * Optimizers against independent float64 computations of their documented update rules (plain JS
 * numbers, written out here), for the first 3 steps of a small problem.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { optim } = nb;

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    assert.ok(Number.isFinite(a), `${msg} [${i}] not finite: ${a}`);
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${msg} [${i}]: ${a} vs ${e}`);
  }
}

// The problem: loss(p) = Σ c_i (p_i − a_i)², so ∇ = 2c(p − a) — computed by autograd in the optimizer runs
// and by this formula in the references.
const P0 = [0.5, -1.2, 2.0, 0.3, -0.7, 1.1];
const A = [1.0, 0.5, -1.0, 0.2, 0.9, -0.4];
const C = [1.0, 3.0, 0.5, 2.0, 0.1, 1.5];
const gradOf = (p: number[]) => p.map((x, i) => 2 * C[i]! * (x - A[i]!));

function lossOf(p: Tensor): Tensor {
  const a = nb.tensor(A, { dtype: 'float64', shape: p.shape });
  const c = nb.tensor(C, { dtype: 'float64', shape: p.shape });
  return nb.sum(nb.mul(c, nb.square(nb.sub(p, a))));
}

/** Run `steps` optimizer steps on a fresh float64 parameter; return the values after each step. */
function runOpt(make: (p: Tensor) => nb.optim.Optimizer<any>, steps = 3, shape: number[] = [6]): number[][] {
  const p = nb.tensor(P0, { dtype: 'float64', shape, requiresGrad: true });
  const opt = make(p);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    lossOf(p).backward();
    opt.step();
    out.push(p.dataArray());
  }
  return out;
}

/** Run the reference rule: `step(p, g, t)` mutates p (t from 1). */
function runRef(step: (p: number[], g: number[], t: number) => void, steps = 3): number[][] {
  const p = P0.slice();
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    step(p, gradOf(p), t);
    out.push(p.slice());
  }
  return out;
}

function compare(name: string, got: number[][], want: number[][], tol = 1e-12): void {
  assert.equal(got.length, want.length);
  got.forEach((g, s) => close(g, want[s]!, tol, `${name} step ${s + 1}`));
  // the parameter must actually move
  assert.ok(got[0]!.some((x, i) => x !== P0[i]), `${name}: parameter did not change`);
}

describe('SGD', () => {
  const cases = [
    { name: 'plain', o: { lr: 0.1 } },
    { name: 'weight decay', o: { lr: 0.1, weightDecay: 0.05 } },
    { name: 'momentum + dampening', o: { lr: 0.05, momentum: 0.9, dampening: 0.3 } },
    { name: 'nesterov + wd', o: { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 } },
    { name: 'maximize', o: { lr: 0.05, momentum: 0.5, maximize: true } },
  ];
  for (const { name, o } of cases) {
    test(name, () => {
      const lr = o.lr, mu = (o as any).momentum ?? 0, damp = (o as any).dampening ?? 0, wd = (o as any).weightDecay ?? 0;
      const nest = (o as any).nesterov ?? false, max = (o as any).maximize ?? false;
      let buf: number[] | null = null;
      const want = runRef((p, g0) => {
        let g = g0.map((x) => (max ? -x : x));
        g = g.map((x, i) => x + wd * p[i]!);
        if (mu !== 0) {
          buf = buf === null ? g.slice() : buf.map((b, i) => mu * b + (1 - damp) * g[i]!);
          g = nest ? g.map((x, i) => x + mu * buf![i]!) : buf.slice();
        }
        for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * g[i]!;
      });
      compare(`SGD ${name}`, runOpt((p) => new optim.SGD([p], o)), want);
    });
  }
  test('nesterov needs momentum and zero dampening', () => {
    const p = nb.zeros([2], { requiresGrad: true });
    assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /nesterov/);
    assert.throws(() => new optim.SGD([p], { lr: -1 }), /learning rate/);
  });
});

describe('RMSprop', () => {
  const cases = [
    { name: 'plain', o: { lr: 0.01 } },
    { name: 'centered + momentum + wd', o: { lr: 0.01, alpha: 0.9, momentum: 0.7, centered: true, weightDecay: 0.1, eps: 1e-6 } },
    { name: 'centered', o: { lr: 0.02, centered: true } },
  ];
  for (const { name, o } of cases) {
    test(name, () => {
      const lr = o.lr, alpha = (o as any).alpha ?? 0.99, eps = (o as any).eps ?? 1e-8, mu = (o as any).momentum ?? 0;
      const wd = (o as any).weightDecay ?? 0, centered = (o as any).centered ?? false;
      const sq = P0.map(() => 0), ga = P0.map(() => 0), buf = P0.map(() => 0);
      const want = runRef((p, g0) => {
        const g = g0.map((x, i) => x + wd * p[i]!);
        for (let i = 0; i < p.length; i++) {
          sq[i] = alpha * sq[i]! + (1 - alpha) * g[i]! * g[i]!;
          let avg: number;
          if (centered) {
            ga[i] = alpha * ga[i]! + (1 - alpha) * g[i]!;
            avg = Math.sqrt(sq[i]! - ga[i]! * ga[i]!) + eps;
          } else avg = Math.sqrt(sq[i]!) + eps;
          if (mu > 0) {
            buf[i] = mu * buf[i]! + g[i]! / avg;
            p[i] = p[i]! - lr * buf[i]!;
          } else p[i] = p[i]! - (lr * g[i]!) / avg;
        }
      });
      compare(`RMSprop ${name}`, runOpt((p) => new optim.RMSprop([p], o)), want, 1e-10);
    });
  }
});

test('Adagrad with lrDecay, weight decay, initial accumulator', () => {
  const lr = 0.1, lrDecay = 0.05, wd = 0.02, init = 0.1, eps = 1e-10;
  const s = P0.map(() => init);
  const want = runRef((p, g0, t) => {
    const g = g0.map((x, i) => x + wd * p[i]!);
    const clr = lr / (1 + (t - 1) * lrDecay);
    for (let i = 0; i < p.length; i++) {
      s[i] = s[i]! + g[i]! * g[i]!;
      p[i] = p[i]! - (clr * g[i]!) / (Math.sqrt(s[i]!) + eps);
    }
  });
  compare('Adagrad', runOpt((p) => new optim.Adagrad([p], { lr, lrDecay, weightDecay: wd, initialAccumulatorValue: init })), want);
});

/** Adam / AdamW reference: m̂/(√v̂ + ε) with bias correction; L2 (Adam) or decoupled (AdamW) decay. */
function adamRef(o: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean; amsgrad: boolean; maximize?: boolean }) {
  const m = P0.map(() => 0), v = P0.map(() => 0), vmax = P0.map(() => 0);
  return runRef((p, g0, t) => {
    for (let i = 0; i < p.length; i++) {
      let g = o.maximize ? -g0[i]! : g0[i]!;
      if (o.decoupled) p[i] = p[i]! * (1 - o.lr * o.wd);
      else g = g + o.wd * p[i]!;
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g * g;
      vmax[i] = Math.max(vmax[i]!, v[i]!);
      const mhat = m[i]! / (1 - o.b1 ** t);
      const vhat = (o.amsgrad ? vmax[i]! : v[i]!) / (1 - o.b2 ** t);
      p[i] = p[i]! - (o.lr * mhat) / (Math.sqrt(vhat) + o.eps);
    }
  });
}

describe('Adam / AdamW', () => {
  for (const fused of [true, false]) {
    test(`Adam with L2 weight decay (fused=${fused})`, () => {
      const want = adamRef({ lr: 0.05, b1: 0.8, b2: 0.95, eps: 1e-6, wd: 0.1, decoupled: false, amsgrad: false });
      compare('Adam', runOpt((p) => new optim.Adam([p], { lr: 0.05, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1, fused })), want);
    });
    test(`Adam amsgrad + maximize (fused=${fused})`, () => {
      const want = adamRef({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: true, maximize: true });
      compare('Adam amsgrad', runOpt((p) => new optim.Adam([p], { lr: 0.05, amsgrad: true, maximize: true, fused })), want);
    });
    test(`AdamW decoupled decay (default 0.01) (fused=${fused})`, () => {
      const want = adamRef({ lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, decoupled: true, amsgrad: false });
      compare('AdamW', runOpt((p) => new optim.AdamW([p], { lr: 0.05, fused })), want);
      const want2 = adamRef({ lr: 0.05, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0.3, decoupled: true, amsgrad: true });
      compare('AdamW amsgrad', runOpt((p) => new optim.AdamW([p], { lr: 0.05, betas: [0.9, 0.99], weightDecay: 0.3, amsgrad: true, fused })), want2);
    });
  }

  test('fused and op-by-op paths agree bitwise in float64', () => {
    for (const o of [{ weightDecay: 0.1 }, { amsgrad: true }] as const) {
      for (const Cls of [optim.Adam, optim.AdamW]) {
        const a = runOpt((p) => new Cls([p], { lr: 0.05, ...o, fused: true }), 4);
        const b = runOpt((p) => new Cls([p], { lr: 0.05, ...o, fused: false }), 4);
        assert.deepEqual(a, b);
      }
    }
  });

  test('float32 parameters: fused close to op-by-op', () => {
    const mk = (fused: boolean) => {
      const p = nb.tensor(P0, { requiresGrad: true });
      const opt = new optim.Adam([p], { lr: 0.05, fused });
      for (let s = 0; s < 3; s++) {
        opt.zeroGrad();
        nb.sum(nb.square(nb.sub(p, nb.tensor(A)))).backward();
        opt.step();
      }
      return p.dataArray();
    };
    close(mk(true), mk(false), 1e-6);
  });

  test('a zero-gradient step is a finite no-op', () => {
    for (const fused of [true, false]) {
      const p = nb.tensor(P0, { dtype: 'float64', requiresGrad: true });
      const opt = new optim.Adam([p], { lr: 0.1, fused });
      p.grad = nb.zeros([6], { dtype: 'float64' });
      opt.step();
      opt.step();
      assert.deepEqual(p.dataArray(), P0);
      const st = opt.state.get(p)!;
      assert.equal(st.step, 2);
      assert.ok((st.exp_avg_sq as Tensor).dataArray().every((x) => x === 0));
    }
  });
});

test('LAMB trust ratio ‖w‖/‖r‖ with weight decay in r', () => {
  const lr = 0.05, b1 = 0.9, b2 = 0.99, eps = 1e-6, wd = 0.1;
  const m = P0.map(() => 0), v = P0.map(() => 0);
  const ratios: number[] = [];
  const want = runRef((p, g, t) => {
    const r = p.map((_, i) => {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      const mhat = m[i]! / (1 - b1 ** t), vhat = v[i]! / (1 - b2 ** t);
      return mhat / (Math.sqrt(vhat) + eps) + wd * p[i]!;
    });
    const wn = Math.hypot(...p), rn = Math.hypot(...r);
    const trust = wn > 0 && rn > 0 ? wn / rn : 1;
    ratios.push(trust);
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * trust * r[i]!;
  });
  assert.ok(ratios.some((x) => Math.abs(x - 1) > 0.02), `trust ratio should matter in this test: ${ratios}`);
  compare('LAMB', runOpt((p) => new optim.LAMB([p], { lr, betas: [b1, b2], eps, weightDecay: wd })), want);
});

test('LAMB: zero weights give trust ratio 1', () => {
  const p = nb.zeros([3], { dtype: 'float64', requiresGrad: true });
  const opt = new optim.LAMB([p], { lr: 0.1 });
  p.grad = nb.tensor([1, -2, 3], { dtype: 'float64' });
  opt.step();
  // r = m̂/(√v̂+ε) = sign(g)·(1/(1+ε/|g|)) on step 1
  close(p.dataArray(), [1, -2, 3].map((g) => -0.1 * (g / (Math.abs(g) + 1e-6))), 1e-12);
});

describe('Adafactor', () => {
  /** the documented rule on a [rows, cols] parameter (rows·cols = 6) or a vector (rows = 0) */
  function adafactorRef(rows: number, o: { lr: number; wd: number; eps1: number; eps2: number; d: number; decay: number }) {
    const cols = rows ? 6 / rows : 6;
    let R = new Array(rows || 1).fill(0), Cv = new Array(cols).fill(0), V = P0.map(() => 0);
    return runRef((p, g, t) => {
      const w = t ** o.decay;
      const rms = (x: number[]) => Math.sqrt(x.reduce((s, y) => s + y * y, 0) / x.length);
      const alpha = Math.max(o.eps2, rms(p)) * Math.min(o.lr, 1 / Math.sqrt(t));
      for (let i = 0; i < p.length; i++) p[i] = p[i]! * (1 - o.lr * o.wd);
      let vhat: number[];
      if (rows) {
        const rowMean = R.map((_, r) => { let s = 0; for (let c = 0; c < cols; c++) s += g[r * cols + c]! ** 2; return s / cols; });
        const colMean = Cv.map((_, c) => { let s = 0; for (let r = 0; r < rows; r++) s += g[r * cols + c]! ** 2; return s / rows; });
        R = R.map((x, r) => x + w * (rowMean[r]! - x));
        Cv = Cv.map((x, c) => x + w * (colMean[c]! - x));
        const meanR = R.reduce((a, b) => a + b, 0) / rows;
        vhat = p.map((_, i) => (R[Math.floor(i / cols)]! * Cv[i % cols]!) / Math.max(meanR, o.eps1));
      } else {
        V = V.map((x, i) => x + w * (g[i]! ** 2 - x));
        vhat = V.slice();
      }
      const u = g.map((x, i) => x / Math.sqrt(Math.max(vhat[i]!, o.eps1 * o.eps1)));
      const denom = Math.max(1, rms(u) / o.d);
      for (let i = 0; i < p.length; i++) p[i] = p[i]! - (alpha / denom) * u[i]!;
    });
  }
  const eps1 = 2 ** -52;
  test('factored second moment on a 2-D parameter', () => {
    const want = adafactorRef(2, { lr: 1e-2, wd: 0, eps1, eps2: 1e-3, d: 1, decay: -0.8 });
    compare('Adafactor 2x3', runOpt((p) => new optim.Adafactor([p]), 3, [2, 3]), want);
  });
  test('factored, weight decay, lr above 1/√t, d = 1.5', () => {
    const want = adafactorRef(3, { lr: 0.8, wd: 0.1, eps1, eps2: 1e-3, d: 1.5, decay: -0.8 });
    compare('Adafactor 3x2', runOpt((p) => new optim.Adafactor([p], { lr: 0.8, weightDecay: 0.1, d: 1.5 }), 3, [3, 2]), want);
  });
  test('unfactored on a vector; paper ε₁ = 1e-30', () => {
    const want = adafactorRef(0, { lr: 1e-2, wd: 0, eps1: 1e-30, eps2: 1e-3, d: 1, decay: -0.5 });
    compare('Adafactor vec', runOpt((p) => new optim.Adafactor([p], { eps: [1e-30, 1e-3], beta2Decay: -0.5 })), want);
  });
  test('state is factored: O(n + m) memory for a matrix', () => {
    const p = nb.zeros([4, 5], { requiresGrad: true });
    const opt = new optim.Adafactor([p]);
    p.grad = nb.ones([4, 5]);
    opt.step();
    const st = opt.state.get(p)!;
    assert.deepEqual((st.row_var as Tensor).shape, [4, 1]);
    assert.deepEqual((st.col_var as Tensor).shape, [1, 5]);
    assert.equal(st.variance, undefined);
    assert.ok(p.dataArray().every(Number.isFinite));
  });
});

test('param groups with different lr; null grads are skipped', () => {
  const a = nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  const b = nb.tensor([3, 4], { dtype: 'float64', requiresGrad: true });
  const c = nb.tensor([5], { dtype: 'float64', requiresGrad: true });
  const opt = new optim.SGD([{ params: [a], lr: 0.1 }, { params: [b, c] }], { lr: 0.01, momentum: 0.5 });
  assert.equal(opt.paramGroups[0]!.lr, 0.1);
  assert.equal(opt.paramGroups[1]!.lr, 0.01);
  assert.equal(opt.paramGroups[1]!.momentum, 0.5);
  nb.sum(nb.add(a, b)).backward();
  opt.step();
  assert.deepEqual(a.dataArray(), [1 - 0.1, 2 - 0.1]);
  assert.deepEqual(b.dataArray(), [3 - 0.01, 4 - 0.01]);
  assert.deepEqual(c.dataArray(), [5]);
  assert.equal(opt.state.has(c), false);
  // schedulers / users write lr; the next step reads it
  opt.paramGroups[0]!.lr = 1;
  opt.step();
  // momentum buffer 1·0.5 + 1 = 1.5
  assert.deepEqual(a.dataArray(), [1 - 0.1 - 1.5, 2 - 0.1 - 1.5]);
  assert.throws(() => new optim.SGD([{ params: [a] }, { params: [a] }]), /more than one parameter group/);
});

test('zeroGrad: setToNone (default) or zero in place', () => {
  const p = nb.tensor([1, 2], { requiresGrad: true });
  const opt = new optim.SGD([p], { lr: 0.1 });
  nb.sum(p).backward();
  const g = p.grad!;
  opt.zeroGrad({ setToNone: false });
  assert.equal(p.grad, g);
  assert.deepEqual(g.dataArray(), [0, 0]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
});

test('step(closure) re-evaluates the loss with grad enabled', () => {
  const p = nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  const opt = new optim.SGD([p], { lr: 0.1 });
  const loss = nb.noGrad(() => opt.step(() => { opt.zeroGrad(); const l = nb.sum(nb.square(p)); l.backward(); return l; }));
  assert.equal((loss as Tensor).item(), 5);
  assert.deepEqual(p.dataArray(), [1 - 0.2, 2 - 0.4]);
});

test('step inside nb.scope keeps optimizer state alive', () => {
  const p = nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  nb.keep(p);
  const opt = new optim.Adam([p], { lr: 0.1 });
  for (let i = 0; i < 3; i++) nb.scope(() => { opt.zeroGrad(); nb.sum(nb.square(p)).backward(); opt.step(); });
  const st = opt.state.get(p)!;
  assert.equal(st.step, 3);
  assert.ok((st.exp_avg as Tensor).dataArray().every(Number.isFinite));
});

describe('stateDict round trip', () => {
  const makers: [string, (ps: Tensor[]) => nb.optim.Optimizer<any>][] = [
    ['SGD', (ps) => new optim.SGD([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.02 }], { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['RMSprop', (ps) => new optim.RMSprop(ps, { centered: true, momentum: 0.5 })],
    ['Adagrad', (ps) => new optim.Adagrad(ps, { lrDecay: 0.1 })],
    ['Adam', (ps) => new optim.Adam(ps, { lr: 0.05, amsgrad: true })],
    ['AdamW', (ps) => new optim.AdamW([{ params: [ps[0]!], weightDecay: 0 }, { params: [ps[1]!] }], { lr: 0.05 })],
    ['LAMB', (ps) => new optim.LAMB(ps, { weightDecay: 0.01 })],
    ['Adafactor', (ps) => new optim.Adafactor(ps, { weightDecay: 0.01 })],
  ];
  const init = () => [
    nb.tensor([[0.5, -1.2, 2.0], [0.3, -0.7, 1.1]], { dtype: 'float64', requiresGrad: true }),
    nb.tensor([0.25, -0.5], { dtype: 'float64', requiresGrad: true }),
  ];
  const lossFn = (ps: Tensor[]) => nb.add(nb.sum(nb.mul(nb.square(ps[0]!), nb.sin(ps[0]!))), nb.sum(nb.exp(ps[1]!)));
  const stepOnce = (opt: nb.optim.Optimizer<any>, ps: Tensor[]) => { opt.zeroGrad(); lossFn(ps).backward(); opt.step(); };

  for (const [name, make] of makers) {
    test(`${name}: resuming from stateDict gives the same next steps (bitwise)`, () => {
      const ps = init();
      const opt = make(ps);
      stepOnce(opt, ps);
      stepOnce(opt, ps);
      opt.paramGroups[0]!.lr *= 0.5; // a scheduler changed it: must be restored too
      const sd = opt.stateDict();
      assert.deepEqual(Object.keys(sd.state).sort(), ['0', '1']);
      assert.deepEqual(sd.param_groups.map((g) => g.params), opt.paramGroups.length === 2 ? [[0], [1]] : [[0, 1]]);
      const snapshot = ps.map((p) => nb.clone(p).detach());

      const ps2 = snapshot.map((p) => nb.clone(p).requiresGrad_());
      const opt2 = make(ps2);
      opt2.loadStateDict(sd);
      assert.equal(opt2.paramGroups[0]!.lr, opt.paramGroups[0]!.lr);

      stepOnce(opt, ps);
      stepOnce(opt, ps);
      stepOnce(opt2, ps2);
      stepOnce(opt2, ps2);
      ps.forEach((p, i) => assert.deepEqual(ps2[i]!.dataArray(), p.dataArray()));
      // the dict was a snapshot: training on did not change it
      const again = opt.stateDict();
      assert.notDeepEqual(again.state['0'], sd.state['0']);
    });
  }

  test('mismatched groups are rejected', () => {
    const ps = init();
    const opt = new optim.Adam(ps);
    const other = new optim.Adam([{ params: [ps[0]!] }, { params: [ps[1]!] }]);
    assert.throws(() => other.loadStateDict(opt.stateDict()), /parameter groups/);
  });
});

test('gradient accumulation over 4 micro-batches equals the large-batch gradient', () => {
  const g = new nb.Generator(3);
  const x = nb.randn([16, 5], { dtype: 'float64', generator: g });
  const y = nb.randn([16, 2], { dtype: 'float64', generator: g });
  const w = nb.randn([5, 2], { dtype: 'float64', generator: g, requiresGrad: true });
  const b = nb.zeros([2], { dtype: 'float64', requiresGrad: true });
  const mse = (xb: Tensor, yb: Tensor) => nb.mean(nb.square(nb.sub(nb.add(nb.matmul(xb, w), b), yb)));

  mse(x, y).backward();
  const full = [w.grad!.dataArray(), b.grad!.dataArray()];
  const opt = new optim.SGD([w, b], { lr: 0.1 });
  opt.zeroGrad();

  const loader = new nb.data.DataLoader(new nb.data.TensorDataset(x, y), { batchSize: 4 });
  assert.equal(loader.length, 4);
  for (const [xb, yb] of loader) nb.mul(mse(xb!, yb!), 1 / loader.length).backward(); // each micro-loss scaled by its share
  close(w.grad!.dataArray(), full[0]!, 1e-12, 'w.grad');
  close(b.grad!.dataArray(), full[1]!, 1e-12, 'b.grad');
});
