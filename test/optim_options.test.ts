/**
 * Optimizer options pinned by the mutation review (tools/mutation): every positional constructor form maps
 * each argument to its own option (PyTorch's order), type errors name the optimizer, and a weight decay or
 * momentum of 0 is skipped as in PyTorch, not applied as "+ 0·p" (which turns an infinite parameter into NaN)
 * nor kept as state (SGD/RMSprop with momentum 0 hold no momentum_buffer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { num } from '../src/optim/optimizer.js';

const w = () => nb.zeros([2], { requiresGrad: true });
const group = (o: { paramGroups: readonly object[] }) => o.paramGroups[0] as Record<string, unknown>;

test('positional constructors: each argument lands in its own option (PyTorch order)', () => {
  const O = nb.optim;
  const pick = (o: { paramGroups: readonly object[] }, keys: string[]) => keys.map((k) => group(o)[k]);
  assert.deepEqual(pick(new O.SGD([w()], 0.1, 0.2, 0.3, 0.4, false), ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']), [0.1, 0.2, 0.3, 0.4, false]);
  assert.deepEqual(pick(new O.Adagrad([w()], 0.1, 0.2, 0.3, 0.4, 0.5), ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(pick(new O.RMSprop([w()], 0.1, 0.2, 0.3, 0.4, 0.5, true), ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']), [0.1, 0.2, 0.3, 0.4, 0.5, true]);
  assert.deepEqual(pick(new O.LAMB([w()], 0.1, [0.2, 0.3], 0.4, 0.5), ['lr', 'betas', 'eps', 'weightDecay']), [0.1, [0.2, 0.3], 0.4, 0.5]);
  assert.deepEqual(pick(new O.Adam([w()], 0.1, [0.2, 0.3], 0.4, 0.5, true), ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']), [0.1, [0.2, 0.3], 0.4, 0.5, true]);
  assert.deepEqual(pick(new O.AdamW([w()], 0.1, [0.2, 0.3], 0.4, 0.5, true), ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']), [0.1, [0.2, 0.3], 0.4, 0.5, true]);
  assert.deepEqual(pick(new O.Adafactor([w()], 0.1), ['lr']), [0.1]);
});

test('a wrong option type is a TypeError naming the optimizer and the option', () => {
  const cases: [string, () => unknown, string][] = [
    ['SGD', () => new nb.optim.SGD([w()], 0.1, 'x' as never), 'momentum'],
    ['Adagrad', () => new nb.optim.Adagrad([w()], 0.1, 'x' as never), 'lrDecay'],
    ['RMSprop', () => new nb.optim.RMSprop([w()], 0.1, 'x' as never), 'alpha'],
    ['LAMB', () => new nb.optim.LAMB([w()], 0.1, [0.9] as never), 'betas'],
    ['Adam', () => new nb.optim.Adam([w()], 0.1, [0.9, 0.99], 'x' as never), 'eps'],
    ['AdamW', () => new nb.optim.AdamW([w()], 0.1, [0.9, 0.99], 1e-8, 'x' as never), 'weightDecay'],
    ['Adafactor', () => new nb.optim.Adafactor([w()], 'x' as never), 'lr'],
  ];
  for (const [name, make, key] of cases) {
    assert.throws(make, (e: Error) => e instanceof TypeError && e.message.startsWith(`${name}: ${key} must be `), name);
  }
});

test('weight decay 0 and momentum 0 are skipped: an infinite parameter stays infinite, no momentum buffer is kept', () => {
  for (const [name, make] of [
    ['SGD', (ps: nb.Tensor[]) => new nb.optim.SGD(ps, { lr: 0.1 })],
    ['SGD momentum 0', (ps: nb.Tensor[]) => new nb.optim.SGD(ps, { lr: 0.1, momentum: 0 })],
    ['Adagrad', (ps: nb.Tensor[]) => new nb.optim.Adagrad(ps, { lr: 0.1 })],
    ['RMSprop', (ps: nb.Tensor[]) => new nb.optim.RMSprop(ps, { lr: 0.1 })],
    ['Adam', (ps: nb.Tensor[]) => new nb.optim.Adam(ps, { lr: 0.1 })],
    ['Adam op-by-op', (ps: nb.Tensor[]) => new nb.optim.Adam(ps, { lr: 0.1, fused: false })],
  ] as const) {
    const p = nb.tensor([Infinity, 2], { dtype: 'float64', requiresGrad: true });
    const opt = make([p]);
    for (let i = 0; i < 2; i++) {
      p.grad = nb.tensor([1, 1], { dtype: 'float64' });
      opt.step();
    }
    const [a, b] = p.dataArray();
    assert.equal(a, Infinity, `${name}: the infinite entry became ${a}`);
    assert.ok(Number.isFinite(b) && b < 2, `${name}: ${b}`);
    const st = opt.state.get(p) ?? {};
    assert.equal('momentum_buffer' in st, false, `${name} keeps no momentum buffer`);
    assert.equal('grad_avg' in st, false, `${name} keeps no grad_avg (not centered)`);
    assert.equal('max_exp_avg_sq' in st, false, `${name} keeps no max_exp_avg_sq (not amsgrad)`);
    if (!name.startsWith('SGD')) assert.equal(Number(st.step), 2, `${name}: state.step counts the steps`);
  }
});

test('LAMB: option boundaries (eps 0 and betas 0 allowed, 1 and negatives refused); a zero update leaves the weights as they are', () => {
  const make = (o: object) => new nb.optim.LAMB([w()], { lr: 0.1, ...o });
  assert.doesNotThrow(() => make({ eps: 0 }));
  assert.doesNotThrow(() => make({ betas: [0, 0] }));
  for (const betas of [[1, 0.9], [-0.1, 0.9], [0.9, -0.1], [0.9, 1]]) {
    assert.throws(() => make({ betas }), (e: Error) => e instanceof RangeError && e.message === `LAMB: invalid betas [${betas}]`, String(betas));
  }
  // zero gradient on the first step: the update r is 0, so the trust ratio ‖w‖/‖r‖ must not be used (it is ∞)
  const p = nb.tensor([3, -4], { dtype: 'float64', requiresGrad: true });
  const opt = new nb.optim.LAMB([p], { lr: 0.1 });
  p.grad = nb.zeros([2], { dtype: 'float64' });
  opt.step();
  assert.deepEqual(p.dataArray(), [3, -4]);
});

test('Adafactor: a 3-D parameter is factored per matrix (row/col statistics over the last two dims), checked against a re-implementation', () => {
  const [N, A, B] = [2, 2, 3];
  const p0 = Array.from({ length: N * A * B }, (_, i) => Math.sin(i + 1));
  const g = Array.from({ length: N * A * B }, (_, i) => Math.cos(3 * i) + 0.1);
  const p = nb.tensor(p0, { dtype: 'float64', requiresGrad: true }).reshape(N, A, B).detach().requiresGrad_();
  const opt = new nb.optim.Adafactor([p]);
  p.grad = nb.tensor(g, { dtype: 'float64' }).reshape(N, A, B);
  opt.step();
  const st = opt.state.get(p)!;
  assert.deepEqual((st.row_var as nb.Tensor).shape, [N, A, 1]);
  assert.deepEqual((st.col_var as nb.Tensor).shape, [N, 1, B]);
  // step 1: β̂ weight 1^−0.8 = 1, so R = mean over columns of g², C = mean over rows of g²
  const at = (n: number, i: number, j: number) => (n * A + i) * B + j;
  const R = (n: number, i: number) => { let s = 0; for (let j = 0; j < B; j++) s += g[at(n, i, j)]! ** 2; return s / B; };
  const C = (n: number, j: number) => { let s = 0; for (let i = 0; i < A; i++) s += g[at(n, i, j)]! ** 2; return s / A; };
  const u: number[] = [];
  for (let n = 0; n < N; n++) {
    let rMean = 0;
    for (let i = 0; i < A; i++) rMean += R(n, i) / A;
    for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) u[at(n, i, j)] = g[at(n, i, j)]! / Math.sqrt((R(n, i) * C(n, j)) / rMean);
  }
  const rms = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
  const alpha = Math.max(1e-3, rms(p0)) * Math.min(1e-2, 1); // relative step, t = 1
  const denom = Math.max(1, rms(u) / 1);
  const expected = p0.map((v, k) => v - (alpha * u[k]!) / denom);
  const got = p.dataArray();
  for (let k = 0; k < expected.length; k++) assert.ok(Math.abs(got[k]! - expected[k]!) <= 1e-12 * Math.abs(expected[k]!), `entry ${k}: ${got[k]} vs ${expected[k]}`);
  assert.deepEqual((st.row_var as nb.Tensor).reshape(-1).dataArray().map((v) => +v.toPrecision(12)), [0, 1, 0, 1].map((_, k) => +R(k >> 1, k & 1).toPrecision(12)));
});

test('Adafactor: the default ε₁ is the dtype\'s machine epsilon (2^-23 for float32, 2^-52 for float64)', () => {
  // one tiny gradient on a 1-D parameter: v = g² lies below ε₁², so the update is g/ε₁ scaled by the relative step
  for (const [dtype, eps1, gv] of [['float32', 2 ** -23, 1e-10], ['float64', 2 ** -52, 1e-20]] as const) {
    const p = nb.tensor([1, 2], { dtype, requiresGrad: true });
    const opt = new nb.optim.Adafactor([p]);
    p.grad = nb.tensor([gv, gv], { dtype });
    opt.step();
    const u = gv / eps1;
    const alpha = Math.sqrt(2.5) * 1e-2; // rms([1, 2]) · min(lr, 1)
    const denom = Math.max(1, u); // rms(u) / d with d = 1
    const expected = [1 - (alpha * u) / denom, 2 - (alpha * u) / denom];
    const got = p.dataArray();
    const tol = dtype === 'float32' ? 1e-6 : 1e-14;
    for (let k = 0; k < 2; k++) assert.ok(Math.abs(got[k]! - expected[k]!) <= tol, `${dtype}[${k}]: ${got[k]} vs ${expected[k]}`);
  }
});

test('Adam/AdamW: a step counts as one in-place change of the parameter and of each state tensor (fused and op-by-op alike), betas checks, fused by default', () => {
  for (const O of [nb.optim.Adam, nb.optim.AdamW]) {
    assert.equal(group(new O([w()])).fused, true, `${O.name} fuses by default`);
    for (const fused of [true, false]) {
      const p = nb.tensor([1, 2], { requiresGrad: true });
      const y = p.mul(p).sum();
      const opt = new O([p], { lr: 0.1, fused });
      p.grad = nb.ones([2]);
      opt.step();
      // the graph saved p at version 0: backward must refuse, naming version 1 (one write per step on both paths)
      assert.throws(() => y.backward(), /modified by an inplace operation: .* is at version 1; expected version 0 instead/, `${O.name} fused=${fused}`);
    }
    // every stored tensor (θ, m, v, v_max) is written once per step on both paths: its version advances by exactly 1,
    // with weight decay (AdamW's θ·(1 − γλ), Adam's L2) and amsgrad on
    for (const amsgrad of [false, true]) {
      const advance: Record<string, number[]> = {};
      for (const fused of [true, false]) {
        const p = nb.tensor([1, -2, 3], { dtype: 'float64', requiresGrad: true });
        const opt = new O([p], { lr: 0.1, weightDecay: 0.2, amsgrad, fused });
        const ver = () => [p, ...['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'].map((k) => opt.state.get(p)?.[k] as nb.Tensor | undefined)]
          .map((t) => t?.storage.version ?? 0);
        p.grad = nb.tensor([0.5, 1, -1], { dtype: 'float64' });
        opt.step();
        const v1 = ver();
        p.grad = nb.tensor([-0.25, 2, 0.5], { dtype: 'float64' });
        opt.step();
        advance[String(fused)] = ver().map((v, i) => v - v1[i]!);
      }
      const want = [1, 1, 1, amsgrad ? 1 : 0];
      assert.deepEqual(advance.true, want, `${O.name} amsgrad=${amsgrad} fused: versions of [θ, m, v, v_max] advance by`);
      assert.deepEqual(advance.false, want, `${O.name} amsgrad=${amsgrad} op-by-op: versions of [θ, m, v, v_max] advance by`);
    }
    const name = O.name;
    assert.throws(() => new O([w()], { betas: [0.9, -0.1] }), (e: Error) => e instanceof RangeError && e.message === `${name}: invalid beta parameter at index 1: -0.1`);
    const opt = new O([w()]);
    assert.throws(() => opt.addParamGroup({ params: [w()], betas: [0.9] as never }), (e: Error) => e instanceof TypeError && e.message === `${name}: betas must be a pair [β1, β2]`);
  }
});

test('LAMB: weight decay 0 is skipped (not added as 0·θ): with maxTrustRatio 1 an infinite weight stays infinite and the others take the plain step', () => {
  const p = nb.tensor([Infinity, 2], { dtype: 'float64', requiresGrad: true });
  const opt = new nb.optim.LAMB([p], { lr: 0.1, maxTrustRatio: 1 });
  p.grad = nb.tensor([1, 1], { dtype: 'float64' });
  opt.step();
  // t = 1: m̂ = g = 1, v̂ = g² = 1, r = 1/(1 + ε); trust = min(‖θ‖/‖r‖ = ∞, 1) = 1
  const r = 1 / (1 + 1e-6);
  const [a, b] = p.dataArray();
  assert.equal(a, Infinity);
  assert.ok(Math.abs(b! - (2 - 0.1 * r)) <= 1e-14, `${b} vs ${2 - 0.1 * r}`);
});

test('Adam/AdamW on a non-contiguous parameter or gradient (a transposed view) and on float16: the same values as the formula', () => {
  // PyTorch's order: θ ← θ·(1 − γλ) (AdamW); m ← m + (g − m)(1 − β₁); v ← β₂v + (1 − β₂)g²;
  // θ ← θ − (γ/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε), element by element in float64
  const ref = (p0: number[], grads: number[][], lr: number, wd: number, decoupled: boolean) => {
    const p = p0.slice(), m = p0.map(() => 0), v = p0.map(() => 0);
    grads.forEach((gs, s) => {
      const t = s + 1, bc1 = 1 - 0.9 ** t, bc2 = 1 - 0.999 ** t;
      for (let i = 0; i < p.length; i++) {
        let d = gs[i]!;
        if (!decoupled) d += wd * p[i]!; else p[i] = p[i]! * (1 - lr * wd);
        m[i] = m[i]! + (d - m[i]!) * 0.1;
        v[i] = v[i]! * 0.999 + d * d * (1 - 0.999);
        p[i] = p[i]! - (lr / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + 1e-8));
      }
    });
    return p;
  };
  // values in the transposed (logical) order: row-major over the [3, 2] view
  const T = (rows: number[][]) => rows[0]!.flatMap((_, j) => rows.map((r) => r[j]!));
  const p0 = [[1, 2, 3], [4, 5, 6]];
  const grads = [[[0.5, -1, 2], [3, -0.25, 1]], [[-1, 0.5, 0.25], [2, 1, -3]], [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]]];
  for (const [O, wd, decoupled] of [[nb.optim.Adam, 0.05, false], [nb.optim.AdamW, 0.05, true]] as const) {
    for (const which of ['param', 'grad'] as const) {
      const pv = which === 'param' ? nb.tensor(p0, { dtype: 'float64' }).t() : nb.tensor(T(p0), { dtype: 'float64' }).reshape(3, 2);
      const p = pv.requiresGrad_();
      assert.equal(p.isContiguous(), which !== 'param');
      const opt = new O([p], { lr: 0.1, weightDecay: wd });
      for (const g of grads) {
        p.grad = which === 'grad' ? nb.tensor(g, { dtype: 'float64' }).t() : nb.tensor(T(g), { dtype: 'float64' }).reshape(3, 2);
        assert.equal(p.grad.isContiguous(), which !== 'grad');
        opt.step();
      }
      const want = ref(T(p0), grads.map(T), 0.1, wd, decoupled);
      const got = p.dataArray();
      for (let i = 0; i < 6; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-12, `${O.name}, non-contiguous ${which}, [${i}]: ${got[i]} vs ${want[i]}`);
    }
    // float16 takes the op-by-op path (each op rounded to float16), fused or not: the two agree bit for bit
    const run = (fused: boolean) => {
      const p = nb.tensor(T(p0), { dtype: 'float16' }).requiresGrad_();
      const opt = new O([p], { lr: 0.1, weightDecay: wd, fused });
      for (const g of grads) { p.grad = nb.tensor(T(g), { dtype: 'float16' }); opt.step(); }
      return p.dataArray();
    };
    assert.deepEqual(run(true), run(false), `${O.name} float16`);
  }
});

test('Adam without decoupled decay changes the parameter in place once per step (op-by-op and fused): version 1 after one step', () => {
  for (const fused of [false, true]) {
    const p = nb.tensor([1, 2], { requiresGrad: true });
    const y = p.mul(p).sum();
    const opt = new nb.optim.Adam([p], { lr: 0.1, fused });
    p.grad = nb.ones([2]);
    opt.step();
    // only θ ← θ − step·m/denom touches θ (no θ·1 shrink when there is no decoupled decay)
    assert.throws(() => y.backward(), /is at version 1; expected version 0 instead/, `fused=${fused}`);
  }
});

test('Optimizer base: constructor and param-group rejections with their messages; params(); defaults fill undefined options; options are copies', () => {
  const throwsMsg = (fn: () => unknown, type: ErrorConstructor, msg: string) =>
    assert.throws(fn, (e: Error) => { assert.ok(e instanceof type, `${e.name}: ${e.message}`); assert.equal(e.message, msg); return true; });
  const { SGD, Adam } = nb.optim;
  const iterMsg = 'SGD: params must be an iterable of tensors or param groups (e.g. model.parameters()), got ';
  throwsMsg(() => new SGD(null as never, 0.1), TypeError, `${iterMsg}null`);
  throwsMsg(() => new SGD({} as never, 0.1), TypeError, `${iterMsg}an object with keys {}`);
  throwsMsg(() => new SGD(5 as never, 0.1), TypeError, `${iterMsg}number 5`);
  // a function with a parameters() method is no Module (not an object) and not iterable
  throwsMsg(() => new SGD(Object.assign(() => 1, { parameters() { return []; } }) as never, 0.1), TypeError, `${iterMsg}a function`);
  throwsMsg(() => new SGD([], 0.1), Error, 'SGD: optimizer got an empty parameter list');
  const opt = new SGD([w()], 0.1);
  for (const g of [null, 5, w(), { lr: 1 }]) throwsMsg(() => opt.addParamGroup(g as never), TypeError, "SGD: a param group must be an object with a 'params' field");
  throwsMsg(() => new SGD([w(), 5 as never], 0.1), TypeError, 'SGD: optimizer can only optimize Tensors, got number');
  throwsMsg(() => new SGD([w().mul(2)], 0.1), Error, "SGD: can't optimize a non-leaf tensor [float32 [2]]");
  throwsMsg(() => new SGD([nb.zeros([2], { dtype: 'int32' })], 0.1), TypeError, 'SGD: can only optimize floating point tensors, got [int32 [2]]');
  throwsMsg(() => new SGD([w()], { lr: 0.1, nesterov: 1 as never }), TypeError, 'SGD: nesterov must be a boolean, got number 1');
  throwsMsg(() => new nb.optim.LAMB([w()], 0.1, [0.9] as never), TypeError, 'LAMB: betas must be an array of 2, got an array [0.9]');
  // a lone tensor as a group's params; 'initialLr' (set by schedulers) is a known key; undefined takes the default
  const [a, b, c] = [w(), w(), w()];
  const o = new SGD([a], { lr: 0.1, momentum: 0.5 });
  o.addParamGroup({ params: b as never, momentum: undefined, initialLr: 0.3 });
  o.addParamGroup({ params: [c], lr: 0.2 });
  assert.deepEqual(o.params(), [a, b, c]);
  assert.equal(o.paramGroups[1]!.momentum, 0.5);
  assert.equal(o.paramGroups[1]!.initialLr, 0.3);
  assert.deepEqual(o.paramGroups[1]!.params, [b]);
  // each group's array options are its own copies: changing one group's betas leaves the defaults and others alone
  const ad = new Adam([{ params: [w()] }, { params: [w()] }], { betas: [0.8, 0.9] });
  (ad.paramGroups[0]!.betas as number[])[0] = 0.5;
  assert.deepEqual(ad.defaults.betas, [0.8, 0.9]);
  assert.deepEqual(ad.paramGroups[1]!.betas, [0.8, 0.9]);
  const sd = ad.stateDict();
  (sd.param_groups[1]!.betas as number[])[1] = 0.1;
  assert.deepEqual(ad.paramGroups[1]!.betas, [0.8, 0.9]);
});

test('Optimizer base: step() checks the gradient\'s shape, casts a gradient of another dtype, zeroGrad skips parameters without one', () => {
  const p = nb.zeros([2], { requiresGrad: true });
  const opt = new nb.optim.SGD([p], { lr: 0.1, momentum: 0.9 });
  p.grad = nb.ones([3]);
  assert.throws(() => opt.step(), (e: Error) => e.message === 'SGD: gradient [3] does not match parameter [float32 [2]]');
  // a float64 gradient on a float32 parameter is cast first: the momentum buffer (a copy of it) is float32
  p.grad = nb.tensor([0.5, -1], { dtype: 'float64' });
  opt.step();
  assert.equal((opt.state.get(p)!.momentum_buffer as nb.Tensor).dtype, 'float32');
  assert.deepEqual(p.dataArray(), [-0.05, 0.1].map(Math.fround));
  const q = nb.zeros([2], { requiresGrad: true });
  opt.addParamGroup({ params: [q] });
  opt.zeroGrad({ setToNone: false }); // q has no gradient: skipped, not zeroed
  assert.equal(q.grad, null);
  assert.deepEqual(p.grad!.dataArray(), [0, 0]);
});

test('Optimizer base: loadStateDict rejections with their messages; floating state is cast to the parameter\'s dtype, other state kept', () => {
  const throwsMsg = (fn: () => unknown, type: ErrorConstructor, msg: string) =>
    assert.throws(fn, (e: Error) => { assert.ok(e instanceof type, `${e.name}: ${e.message}`); assert.equal(e.message, msg); return true; });
  const o = new nb.optim.SGD([w()], 0.1);
  for (const sd of [null, {}, { state: {}, param_groups: 5 }]) throwsMsg(() => o.loadStateDict(sd as never), TypeError, 'SGD.loadStateDict: expected {state, param_groups}');
  throwsMsg(() => o.loadStateDict({ state: {}, param_groups: [{ params: 5 }] } as never), Error, 'SGD.loadStateDict: group 0 has undefined parameters in the state dict, 1 in the optimizer');
  throwsMsg(() => o.loadStateDict({ state: {}, param_groups: [{}] } as never), Error, 'SGD.loadStateDict: group 0 has undefined parameters in the state dict, 1 in the optimizer');
  throwsMsg(() => o.loadStateDict({ state: {}, param_groups: [{ params: [0, 1] }] }), Error, 'SGD.loadStateDict: group 0 has 2 parameters in the state dict, 1 in the optimizer');
  throwsMsg(() => o.loadStateDict({ state: { 3: {} }, param_groups: [{ params: [0] }] }), Error, 'SGD.loadStateDict: state for parameter 3, which no group lists');
  throwsMsg(() => o.loadStateDict({ state: { 0: { step: 'x' as never } }, param_groups: [{ params: [0] }] }), TypeError, 'SGD.loadStateDict: state 0.step must be a Tensor or a number, got string');
  const p = nb.zeros([2], { dtype: 'float64', requiresGrad: true });
  const opt = new nb.optim.SGD([p], 0.1);
  opt.loadStateDict({ state: { 0: { momentum_buffer: nb.ones([2]), count: nb.tensor([1, 2], { dtype: 'int32' }), step: 3 } }, param_groups: [{ params: [0] }] });
  const st = opt.state.get(p)!;
  assert.equal((st.momentum_buffer as nb.Tensor).dtype, 'float64');
  assert.equal((st.count as nb.Tensor).dtype, 'int32');
  assert.equal(st.step, 3);
  // an Adam state without its moments is refused when it is used, naming the entry
  const q = nb.zeros([2], { requiresGrad: true });
  const ad = new nb.optim.Adam([q]);
  ad.loadStateDict({ state: { 0: { step: 1 } }, param_groups: [{ params: [0] }] });
  q.grad = nb.ones([2]);
  assert.throws(() => ad.step(), (e: Error) => e.message === "optimizer state 'exp_avg' is missing or not a tensor");
  assert.throws(() => num({}, 'step'), (e: Error) => e.message === "optimizer state 'step' is missing or not a number");
});
