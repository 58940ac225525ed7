/**
 * The fused (flash-attention) path of scaledDotProductAttention against the composed one (matmul, mask,
 * softmax, matmul) forced by passing the equivalent boolean mask: forward and gradients, causal and not, float32
 * and float64, strided inputs; second derivatives through the composed backward it uses under createGraph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { close } from './assertClose.js';
import { FUSED_MIN_SCORES, fusedAttention } from '../src/ops/nn/flashAttention.js';

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
