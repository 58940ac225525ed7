/**
 * Functional nn ops (src/ops/nn): gradcheck + gradgradcheck for every op (float64, small random shapes,
 * contiguous and transposed inputs), the notes' worked examples with their numbers, closed-form
 * LayerNorm/BatchNorm backward, numerical stability, and argument errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const f64 = 'float64' as const;
const rnd = (shape: number[], seed: number, grad = true): Tensor =>
  nb.randn(shape, { dtype: f64, generator: new nb.Generator(seed) }).requiresGrad_(grad);
/** a non-contiguous leaf: a transposed [..., b, a] draw viewed as [..., a, b] */
const rndT = (shape: number[], seed: number): Tensor => {
  const s = shape.slice();
  const n = s.length;
  [s[n - 1], s[n - 2]] = [s[n - 2]!, s[n - 1]!];
  const t = nb.randn(s, { dtype: f64, generator: new nb.Generator(seed) }).transpose(-1, -2);
  assert.ok(!t.isContiguous());
  return t.requiresGrad_(true);
};
const vals = (t: Tensor | null | undefined): number[] => { assert.ok(t, 'expected a tensor'); return Array.from(t.data()); };
function near(actual: number[], expected: number[], tol = 1e-9, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (Number.isFinite(e)) assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: got ${a}, expected ${e}`);
    else assert.equal(a, e, `${what}[${i}]`);
  });
}
/** gradcheck and gradgradcheck of fn at inputs */
function check2(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { atol?: number; rtol?: number; second?: boolean } = {}): void {
  assert.ok(nb.autograd.gradcheck(fn, inputs, { name, atol: opts.atol, rtol: opts.rtol }));
  if (opts.second !== false) assert.ok(nb.autograd.gradgradcheck(fn, inputs, { name, atol: opts.atol, rtol: opts.rtol }));
}
const int = (v: number[], shape?: number[]) => nb.tensor(v, { dtype: 'int32', shape });

// ------------------------------------------------------------------------------------------------
describe('softmax / logSoftmax / swiglu', () => {
  // forward against the float64 reference, gradcheck, gradgradcheck and the transposed layouts: the records' rows
  // (src/ops/nn/activation.ts cases, run by ops_gradcheck.test.ts)
  test('softmax backward is the notes\' closed form y ⊙ (g − Σ g⊙y)', () => {
    const x = rnd([2, 5], 6);
    const g = rnd([2, 5], 7, false);
    const y = nb.softmax(x, 1);
    const [dx] = nb.autograd.grad(y, x, { gradOutputs: g });
    const yv = vals(y), gv = vals(g);
    const want: number[] = [];
    for (let i = 0; i < 2; i++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += gv[i * 5 + j]! * yv[i * 5 + j]!;
      for (let j = 0; j < 5; j++) want.push(yv[i * 5 + j]! * (gv[i * 5 + j]! - s));
    }
    near(vals(dx), want, 1e-12, 'dx');
  });

  test('Tensor methods x.softmax(dim), x.logSoftmax(dim)', () => {
    const x = rnd([2, 3], 8, false);
    assert.deepEqual(vals(x.softmax(1)), vals(nb.softmax(x, 1)));
    assert.deepEqual(vals(x.logSoftmax(0)), vals(nb.logSoftmax(x, 0)));
  });
});

// ------------------------------------------------------------------------------------------------
describe('losses', () => {
  // forward against float64 references, gradcheck, gradgradcheck, non-contiguous layouts, forward mode and float32
  // conformance of every loss (reductions, weight, ignoreIndex, labelSmoothing, probability targets, [N, C, d],
  // unbatched, posWeight): the records' rows (src/ops/nn/loss.ts cases, run by ops_gradcheck.test.ts and the
  // suites over the op table); here the worked examples and the edge points
  test("notes' example: probabilities [0.7, 0.2, 0.1], class 0 → gradient [−0.3, 0.2, 0.1]", () => {
    const logits = nb.tensor([[Math.log(0.7), Math.log(0.2), Math.log(0.1)]], { dtype: f64, requiresGrad: true });
    const loss = nb.crossEntropy(logits, int([0]));
    near([loss.item()], [-Math.log(0.7)], 1e-12, 'loss');
    loss.backward();
    near(vals(logits.grad), [-0.3, 0.2, 0.1], 1e-12, 'grad');
  });

  test('crossEntropy mean gradient is (softmax − onehot)/N', () => {
    const x = rnd([3, 5], 12);
    const t = int([1, 3, 2]);
    nb.crossEntropy(x, t).backward();
    const s = vals(nb.softmax(x.detach(), 1));
    const want = s.map((v, i) => (v - (i % 5 === [1, 3, 2][Math.floor(i / 5)] ? 1 : 0)) / 3);
    near(vals(x.grad), want, 1e-12, 'grad');
  });

  test('crossEntropy forward: weight, ignoreIndex, labelSmoothing and reductions vs a reference', () => {
    const x = rnd([4, 3], 13, false);
    const d = vals(x);
    const t = [2, -100, 0, 1];
    const w = [0.5, 2, 1.5];
    const eps = 0.2;
    const lp = (i: number, c: number) => {
      const row = d.slice(i * 3, i * 3 + 3);
      const m = Math.max(...row);
      return row[c]! - m - Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    };
    let nllSum = 0, wSum = 0, smSum = 0;
    const none: number[] = [];
    for (let i = 0; i < 4; i++) {
      if (t[i] === -100) { none.push(0); continue; }
      const nll = -w[t[i]!]! * lp(i, t[i]!);
      const sm = -[0, 1, 2].reduce((a, c) => a + w[c]! * lp(i, c), 0);
      nllSum += nll; wSum += w[t[i]!]!; smSum += sm;
      none.push((1 - eps) * nll + (eps / 3) * sm);
    }
    const opts = { weight: nb.tensor(w, { dtype: f64 }), ignoreIndex: -100, labelSmoothing: eps };
    near(vals(nb.crossEntropy(x, int(t), { ...opts, reduction: 'none' })), none, 1e-12, 'none');
    near([nb.crossEntropy(x, int(t), { ...opts, reduction: 'sum' }).item()], [none.reduce((a, b) => a + b, 0)], 1e-12, 'sum');
    near([nb.crossEntropy(x, int(t), opts).item()], [(1 - eps) * (nllSum / wSum) + (eps / 3) * (smSum / wSum)], 1e-12, 'mean');
    // nllLoss on log-probs equals crossEntropy on logits (no smoothing: the fused one-pass node)
    near([nb.nllLoss(nb.logSoftmax(x, 1), int(t), { weight: opts.weight }).item()], [nllSum / wSum], 1e-12, 'nll');
    near([nb.crossEntropy(x, int(t), { weight: opts.weight }).item()], [nllSum / wSum], 1e-12, 'fused mean');
    const nllNone = [0, 1, 2, 3].map((i) => (t[i] === -100 ? 0 : -w[t[i]!]! * lp(i, t[i]!)));
    near(vals(nb.crossEntropy(x, int(t), { weight: opts.weight, reduction: 'none' })), nllNone, 1e-12, 'fused none');
    // an ignored row reads nothing: NaN logits there still give loss 0 and gradient 0 (PyTorch's nll_loss)
    const xn = nb.tensor([[NaN, 1, 2], [0.5, -1, 3]], { dtype: f64, requiresGrad: true });
    const ln = nb.crossEntropy(xn, int([-100, 2]), { reduction: 'sum' });
    near([ln.item()], [-(3 - Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(3)))], 1e-12, 'ignored NaN row');
    ln.backward();
    near(vals(xn.grad).slice(0, 3), [0, 0, 0], 0, 'ignored row gradient');
  });

  test('crossEntropy with probability targets: a −Inf logit with zero target probability contributes 0, not NaN', () => {
    const xi = nb.tensor([[-Infinity, 0, 1]], { dtype: f64, requiresGrad: true });
    const loss = nb.crossEntropy(xi, nb.tensor([[0, 0.5, 0.5]], { dtype: f64 }));
    assert.ok(Number.isFinite(loss.item()));
    loss.backward();
    assert.ok(vals(xi.grad).every(Number.isFinite), `${vals(xi.grad)}`);
  });

  test('binaryCrossEntropy: log clamped at −100 (finite loss and gradient at p = 0 and 1)', () => {
    const pe = nb.tensor([0, 1, 0, 1], { dtype: f64, requiresGrad: true });
    const le = nb.binaryCrossEntropy(pe, nb.tensor([1, 0, 0, 1], { dtype: f64 }), { reduction: 'none' });
    near(vals(le), [100, 100, 0, 0], 0, 'clamped');
    le.sum().backward();
    assert.ok(vals(pe.grad).every(Number.isFinite), `${vals(pe.grad)}`);
  });

  test('binaryCrossEntropyWithLogits: stable at ±100 (float64 and float32)', () => {
    const x = nb.tensor([100, 100, -100, -100, 0], { dtype: f64, requiresGrad: true });
    const y = nb.tensor([1, 0, 1, 0, 1], { dtype: f64 });
    const l = nb.binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
    near(vals(l), [Math.log1p(Math.exp(-100)), 100, 100, Math.log1p(Math.exp(-100)), Math.LN2], 1e-12, 'bcewl');
    l.sum().backward();
    near(vals(x.grad), [0, 1, -1, 0, -0.5], 1e-12, 'grad σ(x) − y');
    const xf = nb.tensor([100, -100], { requiresGrad: true });
    const lf = nb.binaryCrossEntropyWithLogits(xf, nb.tensor([0, 1]));
    assert.ok(Number.isFinite(lf.item()));
    near([lf.item()], [100], 1e-6, 'float32');
  });
});

// ------------------------------------------------------------------------------------------------
describe('normalisation', () => {
  // gradcheck, gradgradcheck, transposed/strided/expanded layouts, forward mode and float32 conformance of layerNorm
  // (affine or not, two dims), rmsNorm, batchNorm (training [N, C] / [N, C, H, W], eval) and their nodes normRows /
  // batchNormalize: the records' rows (src/ops/nn/norm.ts cases); here the closed forms, running statistics, edges
  /** closed form: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(x̂⊙dx̂)), dx̂ = dy⊙w, dw = Σ dy⊙x̂, db = Σ dy, with dy = y (loss ½Σy²) */
  function closedForm(x: number[], groups: number[][], w: (i: number) => number, b: (i: number) => number, eps: number) {
    const xhat = new Array<number>(x.length), rstd = new Array<number>(x.length);
    for (const g of groups) {
      const mu = g.reduce((a, i) => a + x[i]!, 0) / g.length;
      const v = g.reduce((a, i) => a + (x[i]! - mu) ** 2, 0) / g.length;
      for (const i of g) { rstd[i] = 1 / Math.sqrt(v + eps); xhat[i] = (x[i]! - mu) * rstd[i]!; }
    }
    const y = x.map((_, i) => xhat[i]! * w(i) + b(i));
    const dxh = y.map((dy, i) => dy * w(i));
    const dx = new Array<number>(x.length);
    for (const g of groups) {
      const m1 = g.reduce((a, i) => a + dxh[i]!, 0) / g.length;
      const m2 = g.reduce((a, i) => a + dxh[i]! * xhat[i]!, 0) / g.length;
      for (const i of g) dx[i] = rstd[i]! * (dxh[i]! - m1 - xhat[i]! * m2);
    }
    return { y, dx, xhat, dy: y };
  }

  test('layerNorm forward and backward match the closed form (x [2,3,4], normalizedShape [3,4])', () => {
    const x = rnd([2, 3, 4], 40), w = rnd([3, 4], 41), b = rnd([3, 4], 42);
    const y = nb.layerNorm(x, [3, 4], w, b, 1e-5);
    nb.mul(y, y).sum().mul(0.5).backward();
    const xv = vals(x), wv = vals(w), bv = vals(b);
    const groups = [[...Array(12).keys()], [...Array(12).keys()].map((i) => i + 12)];
    const ref = closedForm(xv, groups, (i) => wv[i % 12]!, (i) => bv[i % 12]!, 1e-5);
    near(vals(y), ref.y, 1e-12, 'y');
    near(vals(x.grad), ref.dx, 1e-10, 'dx');
    const dw = new Array(12).fill(0), db = new Array(12).fill(0);
    ref.dy.forEach((dy, i) => { dw[i % 12] += dy * ref.xhat[i]!; db[i % 12] += dy; });
    near(vals(w.grad), dw, 1e-10, 'dw');
    near(vals(b.grad), db, 1e-10, 'db');
  });

  test('layerNorm of a constant row: output = bias exactly-ish, finite gradients', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = nb.full([2, 5], 0.1, { dtype }).requiresGrad_(true);
      const w = nb.ones([5], { dtype }).requiresGrad_(true);
      const b = nb.tensor([1, 2, 3, 4, 5], { dtype }).requiresGrad_(true);
      const y = nb.layerNorm(x, [5], w, b);
      near(vals(y), [1, 2, 3, 4, 5, 1, 2, 3, 4, 5], 1e-5, 'y');
      nb.mul(y, nb.tensor([1, -2, 3, 0.5, 1], { dtype })).sum().backward();
      for (const t of [x, w, b]) assert.ok(vals(t.grad).every(Number.isFinite), `${dtype} ${vals(t.grad)}`);
    }
  });

  test('rmsNorm forward vs reference (default eps = machine epsilon)', () => {
    const x = rnd([2, 3], 49, false), w = rnd([3], 50, false);
    const xv = vals(x), wv = vals(w);
    const want: number[] = [];
    for (let i = 0; i < 2; i++) {
      const ms = [0, 1, 2].reduce((a, j) => a + xv[i * 3 + j]! ** 2, 0) / 3;
      for (let j = 0; j < 3; j++) want.push((xv[i * 3 + j]! / Math.sqrt(ms + 2.220446049250313e-16)) * wv[j]!);
    }
    near(vals(nb.rmsNorm(x, [3], w)), want, 1e-12, 'rmsNorm');
  });

  test('batchNorm (training, [B,C,N]) forward and backward match the closed form; running stats use the unbiased variance', () => {
    const [B, C, N] = [2, 4, 3];
    const x = rnd([B, C, N], 54), w = rnd([C], 55), b = rnd([C], 56);
    const rm = nb.zeros([C], { dtype: f64 }), rv = nb.ones([C], { dtype: f64 });
    const y = nb.batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.1, eps: 1e-5 });
    nb.mul(y, y).sum().mul(0.5).backward();
    const xv = vals(x), wv = vals(w), bv = vals(b);
    const ch = (i: number) => Math.floor(i / N) % C;
    const groups = [...Array(C).keys()].map((c) => xv.map((_, i) => i).filter((i) => ch(i) === c));
    const ref = closedForm(xv, groups, (i) => wv[ch(i)]!, (i) => bv[ch(i)]!, 1e-5);
    near(vals(y), ref.y, 1e-12, 'y');
    near(vals(x.grad), ref.dx, 1e-10, 'dx');
    const dw = new Array(C).fill(0), db = new Array(C).fill(0);
    ref.dy.forEach((dy, i) => { dw[ch(i)] += dy * ref.xhat[i]!; db[ch(i)] += dy; });
    near(vals(w.grad), dw, 1e-10, 'dw');
    near(vals(b.grad), db, 1e-10, 'db');
    const n = B * N;
    const mus = groups.map((g) => g.reduce((a, i) => a + xv[i]!, 0) / n);
    const uvar = groups.map((g, c) => g.reduce((a, i) => a + (xv[i]! - mus[c]!) ** 2, 0) / (n - 1));
    near(vals(rm), mus.map((m) => 0.1 * m), 1e-12, 'running mean');
    near(vals(rv), uvar.map((v) => 0.9 + 0.1 * v), 1e-12, 'running var');
    assert.equal(rm.requiresGrad, false);
  });

  test('batchNorm eval uses the running statistics', () => {
    const x = rnd([3, 2], 57, false);
    const rm = nb.tensor([0.5, -1], { dtype: f64 }), rv = nb.tensor([4, 0.25], { dtype: f64 });
    const y = nb.batchNorm(x, rm, rv, nb.tensor([2, 1], { dtype: f64 }), nb.tensor([0, 1], { dtype: f64 }), { training: false, eps: 0 });
    const xv = vals(x);
    near(vals(y), xv.map((v, i) => (i % 2 === 0 ? ((v - 0.5) / 2) * 2 : (v + 1) / 0.5 + 1)), 1e-12, 'eval');
    assert.deepEqual(vals(rm), [0.5, -1]);
  });

});

// ------------------------------------------------------------------------------------------------
describe('dropout, embedding, attention', () => {
  // dropout and embedding: gradcheck, gradgradcheck, layouts, forward mode, float32 conformance and the paddingIdx
  // subgradient are the records' rows (src/ops/nn/dropout.ts, embedding.ts cases); here statistics, seeds, call forms
  test('dropout call forms: positional p/training, keywords, keyword-only generator', () => {
    const x = rnd([2, 5], 75, false);
    const g = () => new nb.Generator(4);
    assert.deepEqual(vals(nb.dropout(x, 0.3, true, false, { generator: g() } as never)), vals(nb.dropout(x, { p: 0.3, generator: g() })));
    assert.deepEqual(vals(nb.dropout(x, 0.3, { generator: g() })), vals(nb.dropout(x, { p: 0.3, training: true, generator: g() })));
    assert.equal(nb.dropout(x, 0.3, false), x);
    assert.throws(() => nb.dropout(x, 0.3, true, false, g() as never), /dropout: expected at most 4 positional arguments \(input, p, training, inplace\)/);
    assert.throws(() => nb.dropout(x, { prob: 0.3 } as never), /dropout: unknown option 'prob'/);
    assert.throws(() => nb.dropout(x, 0.3, 'yes' as never), /dropout: argument 'training' must be a boolean/);
  });

  test('dropout inplace (PyTorch\'s flag): the input becomes x ⊙ m/(1 − p) and carries the gradient, as the out-of-place form', () => {
    const g = () => new nb.Generator(9);
    const w = rnd([3, 4], 77);
    const want = nb.dropout(w.mul(2), { p: 0.4, generator: g() });
    want.mul(nb.arange(12, { dtype: f64 }).reshape(3, 4)).sum().backward();
    const gradWant = vals(w.grad!);
    w.grad = null;
    const a = w.mul(2);
    const v0 = a.storage.version;
    const y = nb.dropout(a, 0.4, true, true, { generator: g() } as never);
    assert.equal(y, a, 'returns its input');
    assert.ok(a.storage.version > v0, 'the input was written (version bumped)');
    assert.deepEqual(vals(a), vals(want));
    y.mul(nb.arange(12, { dtype: f64 }).reshape(3, 4)).sum().backward();
    assert.deepEqual(vals(w.grad!), gradWant);
    // the module honours it too, and a leaf that requires grad refuses, as in PyTorch
    const m = new nb.nn.Dropout(0.4, true);
    m.generator = g();
    const b = w.mul(2);
    assert.equal(m.forward(b), b);
    assert.deepEqual(vals(b), vals(want));
    assert.match(String(m), /inplace=True/);
    assert.throws(() => nb.dropout(w, { p: 0.4, inplace: true }), /leaf/);
    assert.throws(() => nb.dropout(nb.ones([3], { dtype: 'int32' }), { p: 0.4, inplace: true }), /dropout: inplace needs a floating-point input/);
  });

  test('dropout: scaled by 1/(1−p), identity when not training or p = 0, zeros at p = 1, seeded', () => {
    const x = nb.ones([1000], { dtype: f64 });
    const y = vals(nb.dropout(x, { p: 0.3, generator: new nb.Generator(1) }));
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-12));
    const zeros = y.filter((v) => v === 0).length;
    assert.ok(zeros > 240 && zeros < 360, `${zeros} zeros of 1000 at p = 0.3`);
    assert.deepEqual(vals(nb.dropout(x, { p: 0.3, generator: new nb.Generator(1) })), y, 'same seed, same mask');
    assert.notDeepEqual(vals(nb.dropout(x, { p: 0.3, generator: new nb.Generator(2) })), y);
    assert.equal(nb.dropout(x, { p: 0.3, training: false }), x);
    assert.equal(nb.dropout(x, { p: 0 }), x);
    assert.ok(vals(nb.dropout(x, { p: 1 })).every((v) => v === 0));
    const xg = rnd([4, 5], 70);
    const m = nb.dropout(xg, { p: 0.5, generator: new nb.Generator(3) });
    m.sum().backward();
    assert.deepEqual(vals(xg.grad), vals(m).map((v, i) => (v === 0 ? 0 : 2 * Math.sign(v) * Math.sign(vals(xg)[i]!))).map((v) => Math.abs(v)));
  });

  test('embedding: rows by index (any index shape); gradient scatter-adds; paddingIdx row gets none', () => {
    const w = rnd([5, 3], 72);
    const idx = int([1, 4, 1, 0, 2, 1], [2, 3]);
    const e = nb.embedding(idx, w, { paddingIdx: 0 });
    assert.deepEqual(e.shape, [2, 3, 3]);
    const wv = vals(w);
    assert.deepEqual(vals(e), [1, 4, 1, 0, 2, 1].flatMap((i) => wv.slice(i * 3, i * 3 + 3)));
    e.sum().backward();
    assert.deepEqual(vals(w.grad), [0, 0, 0, 3, 3, 3, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
  });

  function sdpaRef(q: number[], k: number[], v: number[], L: number, S: number, E: number, Ev: number, keep: (i: number, j: number) => boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < L; i++) {
      const s = [...Array(S).keys()].map((j) => (keep(i, j) ? [...Array(E).keys()].reduce((a, e) => a + q[i * E + e]! * k[j * E + e]!, 0) / Math.sqrt(E) : -Infinity));
      const m = Math.max(...s);
      const p = s.map((x) => Math.exp(x - m));
      const z = p.reduce((a, b) => a + b, 0);
      for (let c = 0; c < Ev; c++) out.push(p.reduce((a, pj, j) => a + (pj / z) * v[j * Ev + c]!, 0));
    }
    return out;
  }

  test('scaledDotProductAttention forward vs reference: plain, causal, bool mask, float mask', () => {
    const q = rnd([3, 4], 75, false), k = rnd([5, 4], 76, false), v = rnd([5, 2], 77, false);
    const [qv, kv, vv] = [vals(q), vals(k), vals(v)];
    near(vals(nb.scaledDotProductAttention(q, k, v)), sdpaRef(qv, kv, vv, 3, 5, 4, 2, () => true), 1e-12, 'plain');
    near(vals(nb.scaledDotProductAttention(q, k, v, { isCausal: true })), sdpaRef(qv, kv, vv, 3, 5, 4, 2, (i, j) => j <= i), 1e-12, 'causal');
    const keep = (i: number, j: number) => (i + j) % 3 !== 0;
    const bm = nb.tensor([...Array(15).keys()].map((n) => keep(Math.floor(n / 5), n % 5)), { shape: [3, 5] });
    near(vals(nb.scaledDotProductAttention(q, k, v, { attnMask: bm })), sdpaRef(qv, kv, vv, 3, 5, 4, 2, keep), 1e-12, 'bool mask');
    const fm = nb.where(bm, 0, -Infinity).to('float64');
    near(vals(nb.scaledDotProductAttention(q, k, v, { attnMask: fm })), sdpaRef(qv, kv, vv, 3, 5, 4, 2, keep), 1e-12, 'float mask');
  });

  test('scaledDotProductAttention: a fully masked row gives zeros and no NaN gradient', () => {
    const q = rnd([2, 3], 78), k = rnd([4, 3], 79), v = rnd([4, 2], 80);
    const m = nb.tensor([[true, false, true, false], [false, false, false, false]]);
    const o = nb.scaledDotProductAttention(q, k, v, { attnMask: m });
    assert.deepEqual(vals(o).slice(2), [0, 0]);
    o.sum().backward();
    for (const t of [q, k, v]) assert.ok(vals(t.grad).every(Number.isFinite));
  });

  test('scaledDotProductAttention gradcheck + gradgradcheck (batched, causal, masks, scale, transposed, dropout)', () => {
    check2('sdpa', (q, k, v) => nb.scaledDotProductAttention(q, k, v), [rnd([2, 3, 2], 81), rndT([2, 4, 2], 82), rnd([2, 4, 3], 83)]);
    check2('sdpa causal', (q, k, v) => nb.scaledDotProductAttention(q, k, v, { isCausal: true, scale: 0.7 }), [rnd([3, 2], 84), rnd([3, 2], 85), rndT([3, 2], 86)]);
    const fm = rnd([1, 3], 87, false);
    check2('sdpa float mask', (q, k, v) => nb.scaledDotProductAttention(q, k, v, { attnMask: fm }), [rnd([2, 2, 2], 88), rnd([2, 3, 2], 89), rnd([2, 3, 2], 90)]);
    check2('sdpa dropout', (q, k, v) => nb.scaledDotProductAttention(q, k, v, { dropoutP: 0.3, generator: new nb.Generator(9) }), [rnd([2, 2], 91), rnd([3, 2], 92), rnd([3, 2], 93)]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('unfold / fold / conv / pooling', () => {
  test("im2col example: X = 1..16, 3×3 kernel with columns 1, 0, −1 → every output −6; its backward", () => {
    const X = nb.arange(1, 17).to('float64').reshape([1, 1, 4, 4]).requiresGrad_(true);
    const W = nb.tensor([[[[1, 0, -1], [1, 0, -1], [1, 0, -1]]]], { dtype: f64, requiresGrad: true });
    const cols = nb.unfold(X, { kernelSize: 3 });
    assert.deepEqual(cols.shape, [1, 9, 4]);
    assert.deepEqual(cols.reshape([9, 4]).toArray(), [
      [1, 2, 5, 6], [2, 3, 6, 7], [3, 4, 7, 8], [5, 6, 9, 10], [6, 7, 10, 11], [7, 8, 11, 12], [9, 10, 13, 14], [10, 11, 14, 15], [11, 12, 15, 16],
    ]);
    const Y = nb.conv2d(X, W);
    assert.deepEqual(Y.shape, [1, 1, 2, 2]);
    assert.deepEqual(vals(Y), [-6, -6, -6, -6]);
    Y.sum().backward();
    // ∂L/∂W_row = Σ over output positions of X_col; ∂L/∂X folds W back onto every window
    assert.deepEqual(vals(W.grad), [14, 18, 22, 30, 34, 38, 46, 50, 54]);
    const r = [1, 2, 2, 1], s = [1, 1, -1, -1];
    assert.deepEqual(vals(X.grad), r.flatMap((ri) => s.map((sj) => ri * sj)));
  });

  test('unfold and fold are adjoint: <unfold(x), c> = <x, fold(c)>; gradcheck + gradgradcheck of both', () => {
    const o = { kernelSize: [2, 3], stride: [2, 1], padding: [1, 0], dilation: [1, 2] } as const;
    const x = rnd([2, 2, 4, 5], 100, false);
    const u = nb.unfold(x, o);
    const c = rnd(u.shape as number[], 101, false);
    const f = nb.fold(c, { ...o, outputSize: [4, 5] });
    assert.deepEqual(f.shape, [2, 2, 4, 5]);
    near([nb.mul(u, c).sum().item()], [nb.mul(x, f).sum().item()], 1e-12, 'adjoint');
    check2('unfold', (x) => nb.unfold(x, o), [rnd([1, 2, 4, 5], 102)]);
    check2('unfold transposed', (x) => nb.unfold(x, { kernelSize: 2 }), [rndT([1, 1, 3, 4], 103)]);
    check2('fold', (c) => nb.fold(c, { ...o, outputSize: [4, 5] }), [rnd(u.shape.map((s, i) => (i === 0 ? 1 : s)), 104)]);
  });

  test('conv2d forward vs direct cross-correlation (stride, padding, dilation, groups, bias)', () => {
    const x = rnd([2, 4, 5, 4], 110, false), w = rnd([6, 2, 2, 3], 111, false), b = rnd([6], 112, false);
    const [st, pd, dl, G] = [[2, 1], [1, 2], [1, 2], 2];
    const y = nb.conv2d(x, w, b, { stride: st, padding: pd, dilation: dl, groups: G });
    const [N, Cin, H, W] = [2, 4, 5, 4], [Cout, Cg, kh, kw] = [6, 2, 2, 3];
    const OH = Math.floor((H + 2 * pd[0]! - dl[0]! * (kh - 1) - 1) / st[0]!) + 1, OW = Math.floor((W + 2 * pd[1]! - dl[1]! * (kw - 1) - 1) / st[1]!) + 1;
    assert.deepEqual(y.shape, [N, Cout, OH, OW]);
    const xv = vals(x), wv = vals(w), bv = vals(b);
    const want: number[] = [];
    for (let n = 0; n < N; n++) for (let co = 0; co < Cout; co++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      const g = Math.floor(co / (Cout / G));
      let acc = bv[co]!;
      for (let ci = 0; ci < Cg; ci++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const yy = oy * st[0]! - pd[0]! + i * dl[0]!, xx = ox * st[1]! - pd[1]! + j * dl[1]!;
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
        acc += xv[((n * Cin + g * Cg + ci) * H + yy) * W + xx]! * wv[((co * Cg + ci) * kh + i) * kw + j]!;
      }
      want.push(acc);
    }
    near(vals(y), want, 1e-12, 'conv2d');
  });

  test('conv2d / conv1d gradcheck + gradgradcheck (bias, stride, padding, dilation, groups, transposed, unbatched)', () => {
    check2('conv2d', (x, w, b) => nb.conv2d(x, w, b, { stride: 2, padding: 1 }), [rnd([1, 2, 4, 3], 113), rnd([3, 2, 2, 2], 114), rnd([3], 115)]);
    check2('conv2d groups', (x, w) => nb.conv2d(x, w, null, { groups: 2, dilation: [1, 2] }), [rndT([2, 2, 3, 4], 116), rnd([4, 1, 2, 2], 117)]);
    check2('conv2d unbatched', (x, w) => nb.conv2d(x, w), [rnd([1, 3, 3], 118), rnd([2, 1, 2, 2], 119)]);
    const x1 = rnd([2, 2, 5], 120, false), w1 = rnd([3, 2, 3], 121, false);
    const y1 = nb.conv1d(x1, w1, null, { padding: 1, stride: 2 });
    const y2 = nb.conv2d(x1.unsqueeze(2), w1.unsqueeze(2), null, { padding: [0, 1], stride: [1, 2] }).squeeze(2);
    assert.deepEqual(y1.shape, [2, 3, 3]);
    near(vals(y1), vals(y2), 1e-14, 'conv1d = conv2d with H = 1');
    check2('conv1d', (x, w, b) => nb.conv1d(x, w, b, { padding: 1, dilation: 2 }), [rndT([1, 2, 5], 122), rnd([2, 2, 2], 123), rnd([2], 124)]);
    check2('conv1d groups', (x, w) => nb.conv1d(x, w, null, { groups: 2 }), [rnd([1, 4, 4], 125), rnd([2, 2, 2], 126)]);
  });

  test('maxPool2d: forward vs reference with −Inf padding, gradient to the arg-max; gradcheck + gradgradcheck', () => {
    const x = rnd([1, 2, 5, 5], 130);
    const y = nb.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
    assert.deepEqual(y.shape, [1, 2, 3, 3]);
    const xv = vals(x);
    const want: number[] = [], arg: number[] = [];
    for (let c = 0; c < 2; c++) for (let oy = 0; oy < 3; oy++) for (let ox = 0; ox < 3; ox++) {
      let m = -Infinity, a = -1;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        const yy = oy * 2 - 1 + i, xx = ox * 2 - 1 + j;
        if (yy < 0 || yy >= 5 || xx < 0 || xx >= 5) continue;
        const t = (c * 5 + yy) * 5 + xx;
        if (xv[t]! > m) { m = xv[t]!; a = t; }
      }
      want.push(m); arg.push(a);
    }
    assert.deepEqual(vals(y), want);
    y.sum().backward();
    const g = new Array(50).fill(0);
    for (const a of arg) g[a]++;
    assert.deepEqual(vals(x.grad), g);
    check2('maxPool2d', (x) => nb.maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }), [rnd([1, 1, 3, 3], 131)]);
    check2('maxPool2d transposed', (x) => nb.maxPool2d(x, { kernelSize: [2, 1] }), [rndT([1, 2, 4, 3], 132)]);
  });

  test('avgPool2d: countIncludePad true (default) and false, gradcheck + gradgradcheck', () => {
    const x = nb.arange(1, 10).to('float64').reshape([1, 1, 3, 3]);
    assert.deepEqual(vals(nb.avgPool2d(x, { kernelSize: 2, stride: 1 })), [3, 4, 6, 7]);
    // corner window with padding 1: {1} over 4 positions (include pad) or 1 valid position
    assert.equal(vals(nb.avgPool2d(x, { kernelSize: 2, padding: 1 }))[0], 0.25);
    assert.equal(vals(nb.avgPool2d(x, { kernelSize: 2, padding: 1, countIncludePad: false }))[0], 1);
    check2('avgPool2d', (x) => nb.avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }), [rnd([1, 2, 3, 3], 133)]);
    check2('avgPool2d no pad count', (x) => nb.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }), [rndT([1, 1, 4, 4], 134)]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('stability', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`softmax / logSoftmax / crossEntropy at ±1e4 are finite and correct (${dtype})`, () => {
      const x = nb.tensor([[1e4, -1e4, 0], [-1e4, -1e4, -1e4]], { dtype, requiresGrad: true });
      assert.deepEqual(vals(nb.softmax(x, 1)).map((v) => Math.round(v * 1e6) / 1e6), [1, 0, 0, 1 / 3, 1 / 3, 1 / 3].map((v) => Math.round(v * 1e6) / 1e6));
      const lsm = vals(nb.logSoftmax(x, 1));
      near(lsm, [0, -2e4, -1e4, -Math.log(3), -Math.log(3), -Math.log(3)], 1e-6, 'logSoftmax');
      const loss = nb.crossEntropy(x, int([0, 2]), { reduction: 'sum' });
      near([loss.item()], [Math.log(3)], 1e-6, 'loss');
      loss.backward();
      near(vals(x.grad), [0, 0, 0, 1 / 3, 1 / 3, -2 / 3], 1e-6, 'grad');
      const wrong = nb.crossEntropy(nb.tensor([[1e4, -1e4]], { dtype }), int([1]));
      near([wrong.item()], [2e4], 1e-6, 'confidently wrong');
    });
  }

  test('logSoftmax: a row of all −Inf gives −Inf log-probs (no NaN); −Inf entries give −Inf; gradients finite', () => {
    const x = nb.tensor([[-Infinity, -Infinity, -Infinity], [0, -Infinity, 0]], { dtype: f64, requiresGrad: true });
    const y = nb.logSoftmax(x, 1);
    assert.deepEqual(vals(y), [-Infinity, -Infinity, -Infinity, -Math.LN2, -Infinity, -Math.LN2]);
    const finite = nb.logicalAnd(nb.isnan(y).logicalNot(), nb.ne(y, -Infinity));
    nb.where(finite, nb.where(finite, y, 0), 0).sum().backward();
    assert.ok(vals(x.grad).every(Number.isFinite), `${vals(x.grad)}`);
    assert.deepEqual(vals(nb.softmax(x.detach(), 1)).slice(3), [0.5, 0, 0.5]);
  });

  test('0-d softmax is 1 and 0-d logSoftmax is 0', () => {
    assert.equal(nb.softmax(nb.tensor(3), 0).item(), 1);
    assert.equal(nb.logSoftmax(nb.tensor(3), -1).item(), 0);
  });
});

// ------------------------------------------------------------------------------------------------
describe('argument errors name the op, the shapes and what was expected', () => {
  const x2 = nb.zeros([4, 10]);
  test('losses', () => {
    assert.throws(() => nb.crossEntropy(x2, int([1, 2, 3])), /crossEntropy: target \[3\] does not match logits \[4,10\]: expected \[4\]/);
    assert.throws(() => nb.crossEntropy(x2, int([1, 2, 3, 10])), /crossEntropy: target value 10 is out of bounds.*\[0, 10\)/);
    assert.throws(() => nb.crossEntropy(x2, nb.zeros([4, 9])), /crossEntropy: probability target \[4,9\] does not match logits \[4,10\]/);
    assert.throws(() => nb.crossEntropy(x2, int([1, 2, 3, 4]), { weight: nb.ones([9]) }), /crossEntropy: weight \[9\] does not match the 10 classes.*expected \[10\]/);
    assert.throws(() => nb.crossEntropy(x2, int([1, 2, 3, 4]), { reduction: 'avg' as never }), /crossEntropy: reduction must be 'mean', 'sum' or 'none'/);
    assert.throws(() => nb.crossEntropy(x2, int([1, 2, 3, 4]), { labelSmoothing: 1.5 }), /crossEntropy: labelSmoothing must be in \[0, 1\]/);
    assert.throws(() => nb.nllLoss(x2, nb.zeros([4])), /nllLoss: target \[float32 \[4\]\] must be an int32 tensor/);
    assert.throws(() => nb.mseLoss(nb.zeros([4, 1]), nb.zeros([4])), /mseLoss: target \[4\] does not match input \[4,1\]: expected \[4,1\]/);
    assert.throws(() => nb.binaryCrossEntropy(nb.tensor([0.5, 1.5]), nb.tensor([0, 1])), /binaryCrossEntropy: all elements of input .* should be between 0 and 1/);
    // the records' schema: PyTorch's snake_case option names get a suggestion, unknown options and bad types raise
    assert.throws(() => nb.crossEntropy(x2, int([1, 2, 3, 4]), { ignore_index: 1 } as never), /crossEntropy: unknown option 'ignore_index' in argument 'options'; did you mean ignoreIndex\?/);
    assert.throws(() => nb.mseLoss(x2, x2, { reduce: false } as never), /mseLoss: unknown option 'reduce'.*known options: reduction/);
    assert.throws(() => nb.nllLoss(x2, int([1, 2, 3, 4]), { weight: [1, 2] } as never), /nllLoss: argument 'weight' must be a Tensor or null, got an array/);
    assert.throws(() => nb.crossEntropy([1, 2] as never, int([1])), /crossEntropy: argument 'logits' must be a Tensor, got an array/);
  });
  test('activations and norms', () => {
    assert.throws(() => nb.softmax(x2, 2), /softmax: dim 2 is out of range for a tensor of rank 2/);
    assert.throws(() => nb.swiglu(nb.zeros([2, 5])), /swiglu: dimension -1 of input \[2,5\] has odd size 5/);
    assert.throws(() => nb.layerNorm(x2, [4]), /layerNorm: input \[4,10\] does not end with normalizedShape \[4\]/);
    assert.throws(() => nb.layerNorm(x2, [10], nb.ones([9])), /layerNorm: weight \[9\] does not match input \[4,10\]: expected \[10\]/);
    assert.throws(() => nb.batchNorm(nb.zeros([1, 3]), null, null, null, null, { training: true }), /batchNorm: expected more than 1 value per channel when training, got input of shape \[1,3\]/);
    assert.throws(() => nb.batchNorm(nb.zeros([2, 3]), nb.zeros([2]), nb.ones([2])), /batchNorm: runningMean \[2\] does not match input \[2,3\]: expected \[3\]/);
    assert.throws(() => nb.batchNorm(nb.zeros([5]), null, null), /batchNorm: input \[5\] must be \[N, C\] or \[N, C, \*\]/);
    assert.throws(() => nb.layerNorm(x2, [10], { epsilon: 1e-3 } as never), /layerNorm: unknown option 'epsilon'.*expected one of: normalizedShape, weight, bias, eps/);
    assert.throws(() => nb.batchNorm(x2, null, null, null, null, { train: true } as never), /batchNorm: unknown option 'train' in argument 'options' \(known options: training, momentum, eps\)/);
    assert.throws(() => nb.rmsNorm(x2, [10], null, 'small' as never), /rmsNorm: argument 'eps' must be a number or null/);
  });
  test('dropout, embedding, attention', () => {
    assert.throws(() => nb.dropout(x2, { p: 1.2 }), /dropout: probability p has to be between 0 and 1, but got 1.2/);
    assert.throws(() => nb.embedding(nb.zeros([3]), nb.zeros([5, 2])), /embedding: indices \[float32 \[3\]\] must be an int32 tensor/);
    assert.throws(() => nb.embedding(int([0, 5]), nb.zeros([5, 2])), /embedding: index value 5 is out of bounds: expected values in \[0, 5\)/);
    assert.throws(() => nb.scaledDotProductAttention(nb.zeros([3, 4]), nb.zeros([5, 3]), nb.zeros([5, 2])), /scaledDotProductAttention: key \[5,3\] does not match query \[3,4\]: expected embedding size 4/);
    assert.throws(() => nb.scaledDotProductAttention(nb.zeros([3, 4]), nb.zeros([5, 4]), nb.zeros([6, 2])), /value \[6,2\] does not match key \[5,4\]/);
    assert.throws(() => nb.scaledDotProductAttention(nb.zeros([3, 4]), nb.zeros([5, 4]), nb.zeros([5, 2]), { attnMask: nb.zeros([3, 4]) }), /attnMask \[3,4\] does not broadcast to the attention weights \[\.\.\., 3, 5\]/);
  });
  test('conv and pooling', () => {
    assert.throws(() => nb.conv2d(nb.zeros([2, 3, 8, 8]), nb.zeros([4, 3, 3])), /conv2d: weight \[4,3,3\] must be 4-D/);
    assert.throws(() => nb.conv2d(nb.zeros([8, 8]), nb.zeros([4, 3, 3, 3])), /conv2d: input \[8,8\] must be 4-D \[N, C, H, W\]/);
    assert.throws(() => nb.conv2d(nb.zeros([2, 3, 8, 8]), nb.zeros([4, 1, 3, 3]), null, { groups: 2 }), /conv2d: input channels 3 of input \[2,3,8,8\] must be divisible by groups 2/);
    assert.throws(() => nb.conv2d(nb.zeros([2, 4, 8, 8]), nb.zeros([4, 3, 3, 3])), /conv2d: input \[2,4,8,8\] has 4 channels, but weight \[4,3,3,3\] with groups=1 expects 3/);
    assert.throws(() => nb.conv2d(nb.zeros([1, 1, 2, 2]), nb.zeros([1, 1, 3, 3])), /conv2d: kernel size \[3,3\] \(dilated\) is larger than the padded input size \[2,2\] of input \[1,1,2,2\]/);
    assert.throws(() => nb.conv2d(nb.zeros([1, 1, 4, 4]), nb.zeros([2, 1, 3, 3]), nb.zeros([3])), /conv2d: bias \[3\] does not match weight \[2,1,3,3\]: expected \[2\]/);
    assert.throws(() => nb.conv1d(nb.zeros([1, 2, 2]), nb.zeros([1, 2, 3])), /conv1d: kernel size \[1,3\] \(dilated\) is larger than the padded input size \[1,2\] of input \[1,2,2\]/);
    assert.throws(() => nb.maxPool2d(nb.zeros([1, 1, 4, 4]), { kernelSize: 2, padding: 2 }), /maxPool2d: padding \[2,2\] should be at most half of kernel size \[2,2\]/);
    assert.throws(() => nb.unfold(nb.zeros([1, 1, 4, 4]), { kernelSize: 0 }), /unfold: kernelSize must be a positive integer/);
    assert.throws(() => nb.fold(nb.zeros([1, 9, 5]), { kernelSize: 3, outputSize: 4 }), /fold: input \[1,9,5\] has 5 blocks, but outputSize \[4,4\].*gives 2×2 = 4/);
  });
});
