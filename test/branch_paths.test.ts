/**
 * Every op with a second code path for the same derivative is compared with its other path:
 *  - crossEntropy's fused [N, C] node has a first-order kernel backward and a createGraph backward in ops;
 *    both are compared with each other and with the composed logSoftmax + NLL path (3-D logits [N, C, 1]
 *    skip the fused node), over reductions, ignoreIndex (default and a real class id), class weights,
 *    label smoothing and tied logits;
 *  - layerNorm / rmsNorm / batchNorm: the first-order backward reads the saved x̂ and 1/σ; the createGraph
 *    backward rebuilds them from x;
 *  - linear with a fused activation (one GEMM + the backend's biasAct pass) against matmul + add + the
 *    activation op, first order and under createGraph, with pre-activations exactly 0 for relu;
 *  - prod: the y/x formula without zeros and the prefix/suffix products with zeros.
 * Float64, so paths agree to rounding (rtol 1e-10).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { close } from './assertClose.js';

const f64 = (shape: number[], seed: number) => nb.randn(shape, { dtype: 'float64', generator: new nb.Generator(seed) });
const leafOf = (t: Tensor) => nb.noGrad(() => t.detach()).requiresGrad_(true);

/** first-order gradients of fn at the inputs, and the same gradients taken with createGraph */
function bothPaths(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): { plain: number[][]; graphed: number[][] } {
  const run = (createGraph: boolean) => {
    const xs = inputs.map(leafOf);
    const y = fn(...xs);
    const seed = y.numel() === 1 ? null : f64([...y.shape], 99);
    const gs = nb.autograd.grad(y, xs, { gradOutputs: seed, createGraph, allowUnused: true });
    if (createGraph) assert.ok(gs.some((g) => g?.requiresGrad), 'createGraph gradients carry a graph');
    return gs.map((g, i) => (g ? Array.from(g.data(), Number) : new Array<number>(inputs[i]!.numel()).fill(0)));
  };
  return { plain: run(false), graphed: run(true) };
}

function samePaths(what: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], other?: (...xs: Tensor[]) => Tensor): void {
  const { plain, graphed } = bothPaths(fn, inputs);
  plain.forEach((p, i) => close(graphed[i]!, p, 1e-10, 1e-13, `${what}: createGraph vs first order, input ${i}`));
  if (other) {
    const ref = bothPaths(other, inputs);
    ref.plain.forEach((r, i) => close(plain[i]!, r, 1e-10, 1e-13, `${what}: fused vs composed, input ${i}`));
    ref.graphed.forEach((r, i) => close(graphed[i]!, r, 1e-10, 1e-13, `${what}: fused vs composed (createGraph), input ${i}`));
  }
}

describe('crossEntropy: fused node, its createGraph branch and the composed path agree', () => {
  const N = 5, C = 4;
  const logits = f64([N, C], 1);
  // row 2 all equal (a tie everywhere), row 3 a two-way tie for the maximum
  const tied = nb.noGrad(() => logits.clone());
  nb.noGrad(() => { tied.select(0, 2).fill_(0.25); tied.select(0, 3).narrow(0, 0, 2).fill_(1.5); });
  const weight = nb.tensor([0.5, 2, 1, 3], { dtype: 'float64' });
  const cases: { name: string; t: number[]; opts: nb.CrossEntropyOptions }[] = [];
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    cases.push({ name: `${reduction}`, t: [0, 3, 1, 2, 1], opts: { reduction } });
    cases.push({ name: `${reduction}, ignoreIndex -100 on rows 1 and 4`, t: [0, -100, 1, 2, -100], opts: { reduction } });
    cases.push({ name: `${reduction}, ignoreIndex 2 (a real class)`, t: [2, 3, 2, 0, 1], opts: { reduction, ignoreIndex: 2 } });
    cases.push({ name: `${reduction}, weight + ignoreIndex`, t: [0, -100, 1, 3, 2], opts: { reduction, weight } });
    cases.push({ name: `${reduction}, label smoothing 0.1 + ignoreIndex`, t: [0, -100, 1, 3, 2], opts: { reduction, labelSmoothing: 0.1 } });
    cases.push({ name: `${reduction}, label smoothing 0.2 + weight`, t: [0, 1, 1, 3, 2], opts: { reduction, labelSmoothing: 0.2, weight } });
  }
  for (const c of cases) {
    for (const [which, x] of [['random logits', logits], ['tied logits', tied]] as const) {
      test(`${c.name} (${which})`, () => {
        const t = nb.tensor(c.t, { dtype: 'int32' });
        const fused = (z: Tensor) => nb.crossEntropy(z, t, c.opts);
        // [N, C, 1] logits with [N, 1] targets take the composed logSoftmax + NLL path; same values
        const composed = (z: Tensor) => {
          const r = nb.crossEntropy(z.unsqueeze(2), t.unsqueeze(1), c.opts);
          return c.opts.reduction === 'none' ? r.squeeze(1) : r;
        };
        close(Array.from(fused(x).data(), Number), Array.from(composed(x).data(), Number), 1e-12, 1e-14, 'loss');
        samePaths(c.name, fused, [x], composed);
      });
    }
  }

  test('ignored rows get exactly zero gradient on every path', () => {
    const t = nb.tensor([0, -100, 1, 2, -100], { dtype: 'int32' });
    for (const createGraph of [false, true]) {
      const x = leafOf(logits);
      const [g] = nb.autograd.grad(nb.crossEntropy(x, t), [x], { createGraph });
      const d = Array.from(g!.data(), (v) => v + 0);
      assert.deepEqual(d.slice(4, 8), [0, 0, 0, 0], `createGraph ${createGraph}: row 1`);
      assert.deepEqual(d.slice(16, 20), [0, 0, 0, 0], `createGraph ${createGraph}: row 4`);
    }
  });

  test('label smoothing equals the probability-target form (1 − ε)·onehot + ε/C', () => {
    const t = [0, 3, 1, 2, 1], eps = 0.1;
    const probs = nb.tensor(t.map((k) => Array.from({ length: C }, (_, j) => (j === k ? 1 - eps : 0) + eps / C)), { dtype: 'float64' });
    samePaths('smoothing', (z) => nb.crossEntropy(z, nb.tensor(t, { dtype: 'int32' }), { labelSmoothing: eps }), [logits], (z) => nb.crossEntropy(z, probs));
  });

  test('second order through the fused node with ignoreIndex', () => {
    const t = nb.tensor([0, -100, 1, 2, -100], { dtype: 'int32' });
    assert.equal(nb.autograd.gradgradcheck((z: Tensor) => nb.crossEntropy(z, t), [leafOf(logits)]), true);
    const t2 = nb.tensor([2, 3, 2, 0, 1], { dtype: 'int32' });
    assert.equal(nb.autograd.gradgradcheck((z: Tensor) => nb.crossEntropy(z, t2, { ignoreIndex: 2, reduction: 'sum' }), [leafOf(logits)]), true);
  });
});

describe('norms: the first-order backward (saved x̂, 1/σ) and the createGraph backward (rebuilt from x) agree', () => {
  const x = f64([4, 6], 2), w = f64([6], 3), b = f64([6], 4);
  const x4 = f64([3, 2, 4, 5], 5), w2 = f64([2], 6), b2 = f64([2], 7);
  // composed references: (x − μ)/√(σ² + ε) with the biased variance
  const lnRef = (z: Tensor, ww: Tensor, bb: Tensor) => {
    const mu = z.mean(-1, true);
    const v = z.sub(mu).square().mean(-1, true);
    return z.sub(mu).div(v.add(1e-5).sqrt()).mul(ww).add(bb);
  };
  const rmsRef = (z: Tensor, ww: Tensor) => z.div(z.square().mean(-1, true).add(1e-6).sqrt()).mul(ww);
  test('layerNorm', () => samePaths('layerNorm', (z, ww, bb) => nb.layerNorm(z, 6, ww, bb), [x, w, b], lnRef));
  test('layerNorm with a constant row', () => {
    const xc = nb.noGrad(() => { const c = x.clone(); c.select(0, 1).fill_(2); return c; });
    samePaths('layerNorm constant row', (z, ww, bb) => nb.layerNorm(z, 6, ww, bb), [xc, w, b], lnRef);
  });
  test('layerNorm over two dims', () => samePaths('layerNorm 2 dims', (z) => nb.layerNorm(z, [4, 5]), [x4], (z) => {
    const mu = z.mean([2, 3], true);
    return z.sub(mu).div(z.sub(mu).square().mean([2, 3], true).add(1e-5).sqrt());
  }));
  test('rmsNorm', () => samePaths('rmsNorm', (z, ww) => nb.rmsNorm(z, 6, ww, 1e-6), [x, w], rmsRef));
  test('batchNorm (training statistics)', () => samePaths('batchNorm', (z, ww, bb) => nb.batchNorm(z, null, null, ww, bb, { training: true }), [x4, w2, b2], (z, ww, bb) => {
    const mu = z.mean([0, 2, 3], true);
    const v = z.sub(mu).square().mean([0, 2, 3], true);
    return z.sub(mu).div(v.add(1e-5).sqrt()).mul(ww.reshape([1, 2, 1, 1])).add(bb.reshape([1, 2, 1, 1]));
  }));
});

describe('linear with a fused activation equals matmul + add + the activation op', () => {
  const acts = ['none', 'relu', 'gelu', 'geluTanh', 'silu', 'sigmoid', 'tanh'] as const;
  const x = f64([5, 3], 8), b = f64([4], 10);
  // row 1 of W and entry 1 of b are zero: that output's pre-activation is exactly 0 (relu's tie)
  const W = nb.noGrad(() => { const w = f64([4, 3], 9); w.select(0, 1).fill_(0); return w; });
  const b0 = nb.noGrad(() => { const c = b.clone(); c.select(0, 1).fill_(0); return c; });
  const composedAct = (z: Tensor, act: (typeof acts)[number]): Tensor => {
    switch (act) {
      case 'none': return z;
      case 'relu': return z.relu();
      case 'gelu': return nb.gelu(z);
      case 'geluTanh': return nb.gelu(z, { approximate: 'tanh' });
      case 'silu': return nb.silu(z);
      case 'sigmoid': return z.sigmoid();
      case 'tanh': return z.tanh();
    }
  };
  for (const act of acts) {
    test(`${act}: fused vs composed, first order and createGraph`, () => {
      samePaths(`linear ${act}`, (z, ww, bb) => nb.linear(z, ww, bb, { activation: act }), [x, W, b0], (z, ww, bb) => composedAct(z.matmul(ww.transpose(0, 1)).add(bb), act));
      // a 1-D input takes the unfused path inside linear itself
      samePaths(`linear ${act} 1-D`, (z, ww, bb) => nb.linear(z, ww, bb, { activation: act }), [x.select(0, 0), W, b], (z, ww, bb) => composedAct(z.matmul(ww.transpose(0, 1)).add(bb), act));
    });
  }
});

describe('prod: the y/x path and the zero-factor path agree with Π_{j≠i} x_j', () => {
  /** d/dx_i Π_j x_j = Π_{j≠i} x_j over each row (dim 1) */
  const ref = (rows: number[][]) => rows.map((r) => r.map((_, i) => r.reduce((p, v, j) => (j === i ? p : p * v), 1)));
  const cases: [string, number[][]][] = [
    ['no zero', [[1.5, -2, 0.5], [3, 0.25, -1]]],
    ['one zero in a row', [[1.5, 0, 0.5], [3, 0.25, -1]]],
    ['two zeros in a row', [[0, 2, 0], [3, 0.25, -1]]],
    ['a zero in every row', [[0, 2, 3], [4, 0, -1]]],
  ];
  for (const [name, rows] of cases) {
    test(name, () => {
      const x = nb.tensor(rows, { dtype: 'float64', requiresGrad: true });
      x.prod(1).sum().backward();
      assert.deepEqual(Array.from(x.grad!.data(), (v) => v + 0), ref(rows).flat().map((v) => v + 0));
      const y = nb.tensor(rows, { dtype: 'float64', requiresGrad: true });
      y.prod().backward();
      const all = rows.flat();
      assert.deepEqual(Array.from(y.grad!.data(), (v) => v + 0), all.map((_, i) => all.reduce((p, v, j) => (j === i ? p : p * v), 1) + 0));
    });
  }
});
