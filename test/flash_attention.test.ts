/**
 * The fused (flash-attention) path of scaledDotProductAttention against the composed one (matmul, mask,
 * softmax, matmul) forced by passing the equivalent boolean mask: forward and gradients, causal and not, float32
 * and float64, strided inputs; second derivatives through the composed backward it uses under createGraph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { close } from './assertClose.js';
import { FUSED_MIN_SCORES, attentionRef, flashAttention, fusedAttention, fusedMinScores } from '../src/ops/nn/flashAttention.js';
import type { Backend } from '../src/backends/backend.js';

const g = new nb.Generator(21);
const rand = (shape: number[], dtype: nb.DType) => nb.randn(shape, { dtype, generator: g });

function keepMask(L: number, S: number, causal: boolean): nb.Tensor {
  const m = new Uint8Array(L * S);
  for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) m[i * S + j] = !causal || j <= i ? 1 : 0;
  return nb.tensor(m, { dtype: 'bool', shape: [L, S] });
}

test('the backend has the fused kernel', () => {
  const b = nb.ones([1]).backend;
  assert.equal(typeof b.attention, 'function');
  assert.equal(typeof b.attentionGrad, 'function');
});

for (const dtype of ['float32', 'float64'] as const) {
  for (const [L, S, E, F, causal] of [[37, 37, 8, 8, true], [5, 70, 6, 3, false], [70, 40, 4, 5, true], [33, 33, 16, 16, false]] as const) {
    test(`fused = composed: ${dtype}, L ${L}, S ${S}, E ${E}, F ${F}, ${causal ? 'causal' : 'full'}`, () => {
      // q as a permuted view (like the heads of a GPT), k and v contiguous
      const q0 = rand([2, L, 3, E], dtype).requiresGrad_(true), k = rand([2, 3, S, E], dtype).requiresGrad_(true), v = rand([2, 3, S, F], dtype).requiresGrad_(true);
      const q = q0.permute([0, 2, 1, 3]);
      const dOut = rand([2, 3, L, F], dtype);
      const fused = fusedAttention(q, k, v, causal, 1 / Math.sqrt(E))!;
      const [fq, fk, fv] = nb.autograd.grad(fused, [q0, k, v], { gradOutputs: dOut });
      const composed = nb.scaledDotProductAttention(q, k, v, { attnMask: keepMask(L, S, causal) });
      const [cq, ck, cv] = nb.autograd.grad(composed, [q0, k, v], { gradOutputs: dOut });
      const [rtol, atol] = dtype === 'float64' ? [1e-10, 1e-12] : [2e-5, 2e-6];
      assert.deepEqual(fused.shape, [2, 3, L, F]);
      close(fused.data(), composed.data(), rtol, atol, 'out');
      close(fq!.data(), cq!.data(), rtol, atol * 10, 'dq');
      close(fk!.data(), ck!.data(), rtol, atol * 10, 'dk');
      close(fv!.data(), cv!.data(), rtol, atol * 10, 'dv');
    });
  }
}

test('fused attention: second derivatives (createGraph takes the composed backward)', () => {
  for (const causal of [true, false]) {
    const q = rand([1, 2, 4, 3], 'float64').requiresGrad_(true), k = rand([1, 2, 5, 3], 'float64').requiresGrad_(true), v = rand([1, 2, 5, 2], 'float64').requiresGrad_(true);
    const f = (a: nb.Tensor, b: nb.Tensor, c: nb.Tensor) => fusedAttention(a, b, c, causal, 0.7)!;
    assert.ok(nb.autograd.gradcheck(f, [q, k, v]));
    assert.ok(nb.autograd.gradgradcheck(f, [q, k, v]));
  }
});

test('fused attention without a graph frees its statistics: no storage left behind', () => {
  const q = rand([2, 2, 16, 8], 'float32'), k = rand([2, 2, 16, 8], 'float32'), v = rand([2, 2, 16, 8], 'float32');
  const before = nb.memory().numStorages;
  const out = nb.noGrad(() => fusedAttention(q, k, v, true, 0.3)!);
  assert.equal(nb.memory().numStorages, before + 1);
  out.dispose();
});

test('scaledDotProductAttention fuses when the weights are large: no L×S block, same result', () => {
  const L = 2048, E = 4;
  assert.ok(L * L >= FUSED_MIN_SCORES);
  const q = rand([1, L, E], 'float32'), k = rand([1, L, E], 'float32'), v = rand([1, L, E], 'float32');
  const before = nb.memory().bytes;
  const out = nb.noGrad(() => nb.scaledDotProductAttention(q, k, v, { isCausal: true }));
  assert.ok(nb.memory().bytes - before < L * L, `grew by ${nb.memory().bytes - before} bytes`);
  const rows = [0, 1, 777, L - 1];
  const ref = nb.noGrad(() => nb.scaledDotProductAttention(q, k, v, { attnMask: keepMask(L, L, true) }));
  for (const r of rows) close(out.narrow(1, r, 1).data(), ref.narrow(1, r, 1).data(), 2e-5, 2e-6, `row ${r}`);
});

test('fused attention in forward mode: jvp = the composed path\'s, and forward-over-reverse H·v = reverse-over-reverse', () => {
  const [L, S, E, F] = [37, 29, 6, 5];
  const q = rand([2, L, E], 'float64'), k = rand([2, S, E], 'float64'), v = rand([2, S, F], 'float64');
  const tq = rand([2, L, E], 'float64'), tk = rand([2, S, E], 'float64'), tv = rand([2, S, F], 'float64');
  for (const causal of [true, false]) {
    const fused = (a: nb.Tensor, b: nb.Tensor, c: nb.Tensor) => fusedAttention(a, b, c, causal, 0.7)!;
    const composed = (a: nb.Tensor, b: nb.Tensor, c: nb.Tensor) => nb.scaledDotProductAttention(a, b, c, { attnMask: keepMask(L, S, causal), scale: 0.7 });
    const [yf, jf] = nb.func.jvp(fused, [q, k, v], [tq, tk, tv]);
    const [yc, jc] = nb.func.jvp(composed, [q, k, v], [tq, tk, tv]);
    close(yf.data(), yc.data(), 1e-10, 1e-12, 'primal');
    close(jf.data(), jc.data(), 1e-10, 1e-12, `tangent (${causal ? 'causal' : 'full'})`);
    const w = rand([2, L, F], 'float64');
    const s = (a: nb.Tensor) => fused(a, k, v).mul(w).sum();
    const [, hvFwd] = nb.func.jvp((a) => nb.func.grad(s)(a) as nb.Tensor, [q], [tq]);
    const [, [hvRev]] = nb.autograd.hvp(s, [q], [tq]);
    close(hvFwd.data(), hvRev!.data(), 1e-9, 1e-12, 'H·v');
  }
});

/** a backend that inherits every kernel of the current one, with `patch` on top (counters, missing kernels) */
function spyBackend(patch: Record<string, unknown>): Backend {
  return Object.assign(Object.create(nb.ones([1]).backend) as Backend, patch);
}
/** the record's named outputs (typed as an array by defineOp) */
const fa = (...a: Parameters<typeof flashAttention>) => flashAttention(...a) as unknown as { out: nb.Tensor; lse: nb.Tensor };
const on = (b: Backend, x: nb.Tensor) => nb.Tensor.fromValues(Array.from(x.data()), [...x.shape], x.dtype, b);

test('fusedAttention declines operands its kernel does not take (null: the caller composes ops), the record names them', () => {
  const q = rand([2, 3, 4], 'float64'), k = rand([2, 5, 4], 'float64'), v = rand([2, 5, 6], 'float64');
  assert.deepEqual(fusedAttention(q, k, v, false, 0.5)!.shape, [2, 3, 6]);
  // rank 2 is the smallest the kernel takes
  assert.deepEqual(fusedAttention(q.select(0, 0), k.select(0, 0), v.select(0, 0), true, 0.5)!.shape, [3, 6]);
  const declined: [string, nb.Tensor, nb.Tensor, nb.Tensor][] = [
    ['key float32', q, k.float(), v], ['value float32', q, k, v.float()], ['int32 operands', q.int(), k.int(), v.int()],
    ['1-D', q.select(0, 0).select(0, 0), k.select(0, 0).select(0, 0), v.select(0, 0).select(0, 0)],
    ['key of lower rank', q, k.select(0, 0), v], ['value of lower rank', q, k, v.select(0, 0)],
    ['1-D value [S] beside 2-D query and key', q.select(0, 0), k.select(0, 0), v.select(0, 0).select(1, 0)],
    ['key batch 1 (broadcast)', q, k.narrow(0, 0, 1), v], ['value batch 1 (broadcast)', q, k, v.narrow(0, 0, 1)],
    ['key E ≠ query E', q, rand([2, 5, 3], 'float64'), v], ['value S ≠ key S', q, k, v.narrow(1, 0, 4)],
    ['L = 0', q.narrow(1, 0, 0), k, v], ['S = 0', q, k.narrow(1, 0, 0), v.narrow(1, 0, 0)],
    ['F = 0', q, k, v.narrow(2, 0, 0)], ['E = 0', q.narrow(2, 0, 0), k.narrow(2, 0, 0), v],
  ];
  for (const [what, a, b, c] of declined) {
    assert.equal(fusedAttention(a, b, c, false, 0.5), null, what);
    assert.throws(() => flashAttention(a, b, c), /^Error: flashAttention: the \w+ backend has no attention kernel for query .*\(equal batch dims, one float dtype, non-empty\)/, what);
  }
  // operands on two backends, and a backend that lacks either kernel
  const other = spyBackend({});
  assert.equal(fusedAttention(q, on(other, k), v, false, 0.5), null, 'key on another backend');
  assert.equal(fusedAttention(q, k, on(other, v), false, 0.5), null, 'value on another backend');
  for (const missing of ['attention', 'attentionGrad']) {
    const b = spyBackend({ [missing]: undefined });
    assert.equal(fusedAttention(on(b, q), on(b, k), on(b, v), false, 0.5), null, `no ${missing} kernel`);
  }
});

test('fusedMinScores: every size fuses on a GPU backend, from FUSED_MIN_SCORES weights on a CPU one', () => {
  const b = nb.ones([1]).backend;
  const caps = nb.backendCapabilities(b.name);
  assert.equal(fusedMinScores(spyBackend({ capabilities: { ...caps, device: 'cpu' } })), FUSED_MIN_SCORES);
  assert.equal(fusedMinScores(spyBackend({ capabilities: { ...caps, device: 'gpu: test adapter' } })), 0);
});

test('the backward kernel runs for a first-order gradient of out only; createGraph and a gradient for lse take the ops formula', () => {
  // count the current backend's backward-kernel calls (patched on the backend itself: every tensor of the graph
  // lives there), restored after
  let calls = 0;
  const b = nb.ones([1]).backend as unknown as { attentionGrad: (...a: unknown[]) => unknown };
  const kernel = b.attentionGrad;
  b.attentionGrad = function (this: unknown, ...a: unknown[]) { calls++; return kernel.apply(this, a); };
  const mk = (s: number[]) => rand(s, 'float64').requiresGrad_(true);
  try {
  const q = mk([2, 3, 4, 2]), k = mk([2, 3, 5, 2]), v = mk([2, 3, 5, 3]);
  const first = nb.autograd.grad(fa(q, k, v, true, 0.6).out.sum(), [q, k, v]);
  assert.equal(calls, 1, 'plain backward: the kernel');
  const second = nb.autograd.grad(fa(q, k, v, true, 0.6).out.sum(), [q, k, v], { createGraph: true });
  assert.equal(calls, 1, 'createGraph: the ops formula');
  first.forEach((g, i) => close(g!.data(), second[i]!.data(), 1e-10, 1e-12, `gradient ${i}: kernel = ops formula`));
  nb.autograd.grad(fa(q, k, v, true, 0.6).lse.sum(), [q, k]);
  assert.equal(calls, 1, 'a gradient for lse: the ops formula');
  } finally { b.attentionGrad = kernel; }
});

test('flashAttention\'s log-sum-exp: value, gradient alone and together with out, and its forward-mode tangent, against logsumexp in ops', () => {
  const q = rand([2, 3, 4, 2], 'float64'), k = rand([2, 3, 5, 2], 'float64'), v = rand([2, 3, 5, 3], 'float64');
  const causalKeep = keepMask(4, 5, true);
  const lseOps = (a: nb.Tensor, b: nb.Tensor) => nb.logsumexp(nb.where(causalKeep, a.matmul(b.transpose(-2, -1)).mul(0.6), -Infinity), -1);
  close(fa(q, k, v, true, 0.6).lse.data(), lseOps(q, k).data(), 1e-12, 1e-12, 'lse');
  const [qg, kg] = [q.clone().requiresGrad_(true), k.clone().requiresGrad_(true)];
  const got = nb.autograd.grad(fa(qg, kg, v, true, 0.6).lse.sum(), [qg, kg]);
  const want = nb.autograd.grad(lseOps(qg, kg).sum(), [qg, kg]);
  got.forEach((g, i) => close(g!.data(), want[i]!.data(), 1e-12, 1e-12, `lse gradient ${i}`));
  assert.ok(nb.autograd.gradcheck((a, b, c) => { const r = fa(a, b, c, true, 0.6); return [r.out, r.lse]; },
    [q, k, v].map((x) => x.clone().requiresGrad_(true)), { name: 'flashAttention out and lse' }));
  const [tq, tk] = [rand([2, 3, 4, 2], 'float64'), rand([2, 3, 5, 2], 'float64')];
  const [lse, tangent] = nb.func.jvp((a, b) => fa(a, b, v, true, 0.6).lse, [q, k], [tq, tk]);
  const [, wantT] = nb.func.jvp(lseOps, [q, k], [tq, tk]);
  assert.deepEqual(tangent.shape, [2, 3, 4]);
  assert.deepEqual(lse.shape, [2, 3, 4]);
  close(tangent.data(), wantT.data(), 1e-10, 1e-12, 'lse tangent');
});

test('attentionRef (the op tables\' reference): a row with no kept key gives zeros and lse −∞, as the composed path does', () => {
  const q = rand([3, 2], 'float64'), k = rand([2, 2], 'float64'), v = rand([2, 3], 'float64');
  const keep = [[false, false], [true, false], [true, true]];
  const arr = (x: nb.Tensor) => ({ shape: [...x.shape], data: Array.from(x.data()) });
  const ref = attentionRef(arr(q), arr(k), arr(v), { keep: (i, j) => keep[i]![j]! });
  assert.deepEqual(ref.out.data.slice(0, 3), [0, 0, 0]);
  assert.equal(ref.lse.data[0], -Infinity);
  const mask = nb.tensor(keep.flat().map(Number), { dtype: 'bool', shape: [3, 2] });
  close(nb.scaledDotProductAttention(q, k, v, { attnMask: mask }).data(), ref.out.data, 1e-12, 1e-12, 'composed path');
});
