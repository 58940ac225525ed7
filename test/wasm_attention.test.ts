/**
 * The wasm backend's SIMD flash-attention kernels (kernels/attention.ts) against the composed attention (matmul,
 * mask, softmax, matmul) on the same backend, float32: forward and the three gradients, causal and not, several
 * key tiles and query-row units, L > S and S > L, strided q and dOut (a GPT's heads are views), one, two and three
 * batch dims (three take the reference kernel), with two threads so the forward's units and the backward's batch
 * entries split across the pool.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { close } from './assertClose.js';
import { fusedAttention } from '../src/ops/nn/flashAttention.js';
import { createWasmBackend } from '../src/backends/wasm/index.js';

const g = new nb.Generator(33);

function keepMask(L: number, S: number, causal: boolean): nb.Tensor {
  const m = new Uint8Array(L * S);
  for (let i = 0; i < L; i++) for (let j = 0; j < S; j++) m[i * S + j] = !causal || j <= i ? 1 : 0;
  return nb.tensor(m, { dtype: 'bool', shape: [L, S] });
}

let prev = '';
before(async () => {
  if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 2 }));
  prev = nb.getBackend();
});

/** batch: the batch dims; q and dOut are made [..., L, batch-last, E] and permuted, so their rows are strided */
const CASES: { batch: number[]; L: number; S: number; E: number; F: number; causal: boolean; scale?: number }[] = [
  { batch: [2, 3], L: 150, S: 150, E: 32, F: 32, causal: true },
  { batch: [2, 3], L: 150, S: 150, E: 32, F: 32, causal: false },
  { batch: [2, 2], L: 100, S: 70, E: 16, F: 8, causal: true, scale: 0.3 },
  { batch: [3, 1], L: 20, S: 200, E: 8, F: 12, causal: false },
  { batch: [5], L: 90, S: 90, E: 16, F: 16, causal: true },
  { batch: [2, 2, 2], L: 24, S: 24, E: 8, F: 8, causal: true },
];

for (const c of CASES) {
  test(`wasm fused attention = composed: batch ${c.batch}, L ${c.L}, S ${c.S}, E ${c.E}, F ${c.F}, ${c.causal ? 'causal' : 'full'}`, () => {
    nb.setBackend('wasm');
    try {
      const { batch, L, S, E, F, causal } = c;
      const scale = c.scale ?? 1 / Math.sqrt(E);
      const nbd = batch.length;
      // q0 [...batch[:-1], L, batch[-1], E] → q [...batch, L, E] with the last batch dim moved (like GPT heads)
      const perm = (n: number) => [...Array(nbd - 1).keys(), nbd, nbd - 1, nbd + 1].slice(0, n);
      const q0 = nb.randn([...batch.slice(0, -1), L, batch[nbd - 1]!, E], { generator: g }).requiresGrad_(true);
      const q = q0.permute(perm(nbd + 2));
      const k = nb.randn([...batch, S, E], { generator: g }).requiresGrad_(true);
      const v = nb.randn([...batch, S, F], { generator: g }).requiresGrad_(true);
      const dOut = nb.randn([...batch.slice(0, -1), L, batch[nbd - 1]!, F], { generator: g }).permute(perm(nbd + 2));
      const fused = fusedAttention(q, k, v, causal, scale)!;
      assert.equal(fused.backend.name, 'wasm');
      const [fq, fk, fv] = nb.autograd.grad(fused, [q0, k, v], { gradOutputs: dOut });
      const composed = nb.scaledDotProductAttention(q, k, v, { attnMask: keepMask(L, S, causal), scale });
      const [cq, ck, cv] = nb.autograd.grad(composed, [q0, k, v], { gradOutputs: dOut });
      assert.deepEqual(fused.shape, [...batch, L, F]);
      close(fused.data(), composed.data(), 1e-4, 1e-5, 'out');
      close(fq!.data(), cq!.data(), 1e-4, 1e-4, 'dq');
      close(fk!.data(), ck!.data(), 1e-4, 1e-4, 'dk');
      close(fv!.data(), cv!.data(), 1e-4, 1e-4, 'dv');
    } finally {
      nb.setBackend(prev);
    }
  });
}
