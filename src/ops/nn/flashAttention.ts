/**
 * The fused node of scaledDotProductAttention (no mask other than causal, no dropout): the backend's
 * flash-attention kernel (Backend.attention) computes out = softmax(scale·q·kᵀ + causal)·v tile by tile and
 * keeps only each query's log-sum-exp (lse), never the L×S weights; backward recomputes them from lse
 * (Backend.attentionGrad). Returns null where the backend has no such kernel or the inputs do not fit it
 * (broadcast batch dims, mixed or non-float dtypes, empty sizes): the caller composes matmul/softmax then.
 *
 * scaledDotProductAttention takes this path from batch·L·S ≥ FUSED_MIN_SCORES weights (256 KB of float32 per
 * L×S tensor): there the kernels beat the composed path on both backends (fwd + bwd CPU time at B·H = 48, T = 64,
 * D = 32: wasm SIMD kernels 13.8 vs 31.7 ms, ts reference 81 vs 95 ms) and save its L×S tensors; below it, the
 * tensors are small and the composed path's few large kernel calls cost about the same.
 *
 * Forward mode: ẏ = Ṗ·v + P·v̇ with Ṗ = P ⊙ (Ṡ − rowsum(P ⊙ Ṡ)), Ṡ = s·(q̇·kᵀ + q·k̇ᵀ), P recomputed in ops.
 * With createGraph (or under forward mode) the backward is the composed formula in ops, recomputed from q, k, v (so it differentiates
 * again):  P = softmax(s·q·kᵀ + causal);  dv = Pᵀ·g;  dP = g·vᵀ;  dX = P ⊙ (dP − rowsum(P ⊙ dP));
 *          dq = s·dX·k;  dk = s·dXᵀ·q.
 */
import { capabilitiesOf, type Backend } from '../../backends/backend.js';
import { isGradEnabled } from '../../autograd/gradMode.js';
import { isForwardActive } from '../../autograd/forward.js';
import { record } from '../../autograd/record.js';
import { sameShape } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { add, mul, sub, where } from '../elementwise.js';
import { sum } from '../reduce.js';
import { matmul } from '../matmul.js';
import { transpose } from '../movement.js';
import { softmax } from './activation.js';

/** number of attention weights (batch·L·S) from which scaledDotProductAttention fuses on a CPU backend */
export const FUSED_MIN_SCORES = 1 << 16;

/**
 * batch·L·S from which scaledDotProductAttention fuses on backend `b`: FUSED_MIN_SCORES on CPU backends; every
 * size on a GPU backend (capabilities.device 'gpu: …'), where the composed path costs a dozen dispatches and
 * L×S buffers per call and the kernel one dispatch forward, three backward.
 */
export function fusedMinScores(b: Backend): number {
  return capabilitiesOf(b).device.startsWith('gpu') ? 0 : FUSED_MIN_SCORES;
}

function causalKeep(L: number, S: number, like: Tensor): Tensor {
  const m = new Uint8Array(L * S);
  for (let i = 0; i < L; i++) m.fill(1, i * S, i * S + Math.min(i + 1, S));
  return Tensor.fromValues(m, [L, S], 'bool', like.backend);
}

export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, causal: boolean, scale: number): Tensor | null {
  const b = q.backend;
  if (!b.attention || !b.attentionGrad) return null;
  const dt = q.dtype;
  if ((dt !== 'float32' && dt !== 'float64') || k.dtype !== dt || v.dtype !== dt || k.backend !== b || v.backend !== b) return null;
  const r = q.ndim;
  if (k.ndim !== r || v.ndim !== r) return null;
  const batch = q.shape.slice(0, -2);
  if (!sameShape(batch, k.shape.slice(0, -2)) || !sameShape(batch, v.shape.slice(0, -2))) return null;
  const L = q.shape[r - 2]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  if (L === 0 || S === 0 || F === 0 || q.shape[r - 1] === 0) return null;
  const res = b.attention(q.backendView(), k.backendView(), v.backendView(), causal, scale);
  const out = Tensor.fromData(b, res.out, [...batch, L, F], dt);
  const lse = Tensor.fromData(b, res.lse, [...batch, L], dt);
  /** P = softmax(s·q·kᵀ + causal), recomputed in ops */
  const probs = (qs: Tensor, ks: Tensor): Tensor => {
    let scores = mul(matmul(qs, transpose(ks, -2, -1)), scale);
    if (causal) scores = where(causalKeep(L, S, qs), scores, -Infinity);
    return softmax(scores, -1);
  };
  record('scaledDotProductAttention', [q, k, v], [out], [q, k, v, out, lse], ([g], [qs, ks, vs, os, ls]) => {
    // the kernel only for a first-order backward: with createGraph or under a forward-mode level
    // (forward-over-reverse) the backward must be ops, so that it differentiates / carries tangents
    if (!isGradEnabled() && !isForwardActive()) {
      const d = b.attentionGrad!(qs!.backendView(), ks!.backendView(), vs!.backendView(), os!.backendView(), ls!.backendView(), g!.backendView(), causal, scale);
      return [Tensor.fromData(b, d.dq, qs!.shape, dt), Tensor.fromData(b, d.dk, ks!.shape, dt), Tensor.fromData(b, d.dv, vs!.shape, dt)];
    }
    let scores = mul(matmul(qs!, transpose(ks!, -2, -1)), scale);
    if (causal) scores = where(causalKeep(L, S, qs!), scores, -Infinity);
    const p = softmax(scores, -1);
    const dv = matmul(transpose(p, -2, -1), g!);
    const dp = matmul(g!, transpose(vs!, -2, -1));
    const dx = mul(p, sub(dp, sum(mul(p, dp), -1, true)));
    return [mul(matmul(dx, ks!), scale), mul(matmul(transpose(dx, -2, -1), qs!), scale), dv];
  }, ([dq, dk, dv]) => {
    // ẏ = Ṗ·v + P·v̇, Ṗ = P ⊙ (Ṡ − rowsum(P ⊙ Ṡ)), Ṡ = s·(q̇·kᵀ + q·k̇ᵀ) (masked entries have P = 0)
    const p = probs(q, k);
    let ds: Tensor | null = null;
    if (dq) ds = matmul(dq, transpose(k, -2, -1));
    if (dk) { const t = matmul(q, transpose(dk, -2, -1)); ds = ds ? add(ds, t) : t; }
    let y: Tensor | null = null;
    if (ds) {
      const dsS = mul(ds, scale);
      y = matmul(mul(p, sub(dsS, sum(mul(p, dsS), -1, true))), v);
    }
    if (dv) { const t = matmul(p, dv); y = y ? add(y, t) : t; }
    return [y];
  });
  // lse is read only by the backward; without a graph nothing holds it
  if (!out.requiresGrad) lse.dispose();
  return out;
}
