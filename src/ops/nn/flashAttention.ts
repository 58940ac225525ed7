/**
 * The fused node of scaledDotProductAttention (no mask other than causal, no dropout), the op record
 * flashAttention: the backend's flash-attention kernel (Backend.attention) computes out = softmax(scale·q·kᵀ +
 * causal)·v tile by tile and keeps only each query's log-sum-exp lse_i = log Σ_j exp(X_ij), X = scale·q·kᵀ +
 * causal (its second output), never the L×S weights; backward recomputes them from lse (Backend.attentionGrad).
 * fusedAttention returns null where the backend has no such kernel or the inputs do not fit it (broadcast batch
 * dims, mixed or non-float dtypes, empty sizes): the caller composes matmul/softmax then.
 *
 * scaledDotProductAttention takes this path from batch·L·S ≥ FUSED_MIN_SCORES weights (256 KB of float32 per
 * L×S tensor): there the kernels beat the composed path on both backends (fwd + bwd CPU time at B·H = 48, T = 64,
 * D = 32: wasm SIMD kernels 13.8 vs 31.7 ms, ts reference 81 vs 95 ms) and save its L×S tensors; below it, the
 * tensors are small and the composed path's few large kernel calls cost about the same.
 *
 * Forward mode: ẏ = Ṗ·v + P·v̇ with Ṗ = P ⊙ (Ṡ − rowsum(P ⊙ Ṡ)), Ṡ = s·(q̇·kᵀ + q·k̇ᵀ), P recomputed in ops.
 * With createGraph (or under forward mode) the backward is the composed formula in ops, recomputed from q, k, v (so it differentiates
 * again):  P = softmax(s·q·kᵀ + causal);  dv = Pᵀ·g;  dP = g·vᵀ;  dX = P ⊙ (dP − rowsum(P ⊙ dP)) + P ⊙ g_lse
 *          (∂lse_i/∂X_ij = P_ij);  dq = s·dX·k;  dk = s·dXᵀ·q.  Forward mode also gives l̇se = rowsum(P ⊙ Ṡ).
 */
import { capabilitiesOf, type Backend } from '../../backends/backend.js';
import { isGradEnabled } from '../../autograd/gradMode.js';
import { isForwardActive } from '../../autograd/forward.js';
import { sameShape } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { add, mul, sub, where } from '../elementwise.js';
import { sum } from '../reduce.js';
import { matmul } from '../matmul.js';
import { squeeze, transpose, unsqueeze } from '../movement.js';
import { softmax } from './activation.js';
import { defineOp, type Arr } from '../define.js';
import { bool, optNum, tensor } from '../args.js';

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

/** the kernel's operands, or null where they do not fit it (the caller composes the ops then) */
function fits(q: Tensor, k: Tensor, v: Tensor): boolean {
  const b = q.backend;
  if (!b.attention || !b.attentionGrad) return false;
  const dt = q.dtype;
  if ((dt !== 'float32' && dt !== 'float64') || k.dtype !== dt || v.dtype !== dt || k.backend !== b || v.backend !== b) return false;
  const r = q.ndim;
  if (r < 2 || k.ndim !== r || v.ndim !== r) return false;
  const batch = q.shape.slice(0, -2);
  if (!sameShape(batch, k.shape.slice(0, -2)) || !sameShape(batch, v.shape.slice(0, -2))) return false;
  if (k.shape[r - 1] !== q.shape[r - 1] || v.shape[r - 2] !== k.shape[r - 2]) return false;
  return q.shape[r - 2] !== 0 && k.shape[r - 2] !== 0 && v.shape[r - 1] !== 0 && q.shape[r - 1] !== 0;
}

/** P = softmax(s·q·kᵀ + causal), in ops */
function probs(q: Tensor, k: Tensor, causal: boolean, scale: number): Tensor {
  let scores = mul(matmul(q, transpose(k, -2, -1)), scale);
  if (causal) scores = where(causalKeep(q.shape[q.ndim - 2]!, k.shape[k.ndim - 2]!, q), scores, -Infinity);
  return softmax(scores, -1);
}

/**
 * float64 reference by direct loops: q [..., L, E], k [..., S, E], v [..., S, F] with equal batch dims;
 * out[b, i] = Σ_j P_ij·v[b, j], P_ij = exp(s_ij − lse_i), lse_i = log Σ_j' exp(s_ij') over the kept j,
 * s_ij = scale·q_i·k_j + mask_ij; a row with no kept key gives zeros (and lse −∞). keep(i, j) for bool and causal
 * masks; add [L, S] for an additive mask; drop, a factor per weight (b, i, j) row-major, for a seeded dropout mask.
 */
export function attentionRef(q: Arr, k: Arr, v: Arr, o: { keep?: (i: number, j: number) => boolean; add?: Arr; scale?: number; drop?: number[] } = {}): { out: Arr; lse: Arr } {
  const r = q.shape.length;
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  const B = q.data.length / (L * E);
  const scale = o.scale ?? 1 / Math.sqrt(E);
  const data: number[] = [], lse: number[] = [];
  for (let b = 0; b < B; b++) for (let i = 0; i < L; i++) {
    const s: number[] = [];
    for (let j = 0; j < S; j++) {
      let dot = 0;
      for (let e = 0; e < E; e++) dot += q.data[(b * L + i) * E + e]! * k.data[(b * S + j) * E + e]!;
      s.push(o.keep && !o.keep(i, j) ? -Infinity : scale * dot + (o.add ? o.add.data[i * S + j]! : 0));
    }
    const m = Math.max(...s);
    const w = s.map((x) => (m === -Infinity ? 0 : Math.exp(x - m)));
    const z = w.reduce((a, c) => a + c, 0);
    lse.push(m + Math.log(z));
    for (let f = 0; f < F; f++) {
      let acc = 0;
      for (let j = 0; j < S; j++) if (w[j]! > 0) acc += (w[j]! / z) * (o.drop ? o.drop[(b * L + i) * S + j]! : 1) * v.data[(b * S + j) * F + f]!;
      data.push(acc);
    }
  }
  return { out: { shape: [...q.shape.slice(0, -1), F], data }, lse: { shape: q.shape.slice(0, -1), data: lse } };
}

/**
 * flashAttention(query, key, value, isCausal = false, scale = 1/√E) → {out, lse}: the backend's fused kernel on
 * equal batch dims (an error where the backend has none or the operands do not fit; scaledDotProductAttention
 * checks with fusedAttention first). Backward: the kernel for a first-order gradient of out alone, the ops
 * formula above otherwise (createGraph, forward mode, or a gradient for lse).
 */
export const flashAttention = defineOp({
  name: 'flashAttention',
  args: [tensor('query'), tensor('key'), tensor('value'), bool('isCausal', false), optNum('scale')],
  outputs: ['out', 'lse'],
  forward: ({ query: q, key: k, value: v, isCausal, scale }): Tensor[] => {
    if (!fits(q, k, v)) throw new Error(`flashAttention: the ${q.backend.name} backend has no attention kernel for query ${q.describe()}, key ${k.describe()}, value ${v.describe()} (equal batch dims, one float dtype, non-empty)`);
    const b = q.backend, dt = q.dtype, r = q.ndim;
    const s = scale ?? 1 / Math.sqrt(q.shape[r - 1]!);
    const batch = q.shape.slice(0, -2);
    const res = b.attention!(q.backendView(), k.backendView(), v.backendView(), isCausal, s);
    return [Tensor.fromData(b, res.out, [...batch, q.shape[r - 2]!, v.shape[r - 1]!], dt), Tensor.fromData(b, res.lse, [...batch, q.shape[r - 2]!], dt)];
  },
  saves: ['query', 'key', 'value', 'out', 'lse'],
  vjp: ([g, gLse], c) => {
    const { query: qs, key: ks, value: vs, isCausal, scale } = c;
    const { out: os, lse: ls } = c as unknown as { out: Tensor; lse: Tensor };
    const s = scale ?? 1 / Math.sqrt(qs.shape[qs.ndim - 1]!);
    const b = qs.backend;
    // the kernel only for a first-order backward of out: with createGraph or under a forward-mode level
    // (forward-over-reverse) the backward must be ops, so that it differentiates / carries tangents
    if (g && !gLse && !isGradEnabled() && !isForwardActive()) {
      const d = b.attentionGrad!(qs.backendView(), ks.backendView(), vs.backendView(), os.backendView(), ls.backendView(), g.backendView(), isCausal, s);
      return { query: Tensor.fromData(b, d.dq, qs.shape, qs.dtype), key: Tensor.fromData(b, d.dk, ks.shape, ks.dtype), value: Tensor.fromData(b, d.dv, vs.shape, vs.dtype) };
    }
    const p = probs(qs, ks, isCausal, s);
    let dx: Tensor | null = null, dv: Tensor | null = null;
    if (g) {
      dv = matmul(transpose(p, -2, -1), g);
      const dp = matmul(g, transpose(vs, -2, -1));
      dx = mul(p, sub(dp, sum(mul(p, dp), -1, true)));
    }
    if (gLse) {
      const t = mul(p, unsqueeze(gLse, -1));
      dx = dx ? add(dx, t) : t;
    }
    return {
      query: dx && mul(matmul(dx, ks), s),
      key: dx && mul(matmul(transpose(dx, -2, -1), qs), s),
      value: dv,
    };
  },
  jvp: ({ query: dq, key: dk, value: dv }, { query: q, key: k, value: v, isCausal, scale }) => {
    // Ṡ = s·(q̇·kᵀ + q·k̇ᵀ); Ṗ = P ⊙ (Ṡ − rowsum(P ⊙ Ṡ)); ẏ = Ṗ·v + P·v̇; l̇se = rowsum(P ⊙ Ṡ) (masked entries have P = 0)
    const s = scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]!);
    const p = probs(q, k, isCausal, s);
    const ds = mul(add(matmul(dq, transpose(k, -2, -1)), matmul(q, transpose(dk, -2, -1))), s);
    const dl = sum(mul(p, ds), -1, true);
    const y = add(matmul(mul(p, sub(ds, dl)), v), matmul(p, dv));
    return [y, squeeze(dl, -1)];
  },
  cases: [
    {
      label: 'causal scale 0.7, L < S (out and log-sum-exp)', torch: "(lambda s: (torch.softmax(s, -1) @ x[2], torch.logsumexp(s, -1)))((x[0] @ x[1].transpose(-2, -1) * 0.7).masked_fill(torch.ones(4, 5).triu(1).bool(), float('-inf')))", shapes: [[1, 2, 4, 3], [1, 2, 5, 3], [1, 2, 5, 2]],
      call: (f, q, k, v) => [...(f(q, k, v, true, 0.7) as unknown as Iterable<Tensor>)],
      expect: (_R, q, k, v) => { const r = attentionRef(q, k, v, { keep: (i, j) => j <= i, scale: 0.7 }); return [r.out, r.lse]; },
    },
    {
      label: 'full, default scale, L > S', torch: '(lambda s: (torch.softmax(s, -1) @ x[2], torch.logsumexp(s, -1)))(x[0] @ x[1].transpose(-2, -1) / 3 ** 0.5)', shapes: [[2, 5, 3], [2, 3, 3], [2, 3, 4]],
      call: (f, q, k, v) => [...(f(q, k, v) as unknown as Iterable<Tensor>)],
      expect: (_R, q, k, v) => { const r = attentionRef(q, k, v); return [r.out, r.lse]; },
    },
  ],
});

export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, causal: boolean, scale: number): Tensor | null {
  if (!fits(q, k, v)) return null;
  const { out, lse } = flashAttention(q, k, v, causal, scale) as unknown as { out: Tensor; lse: Tensor };
  // lse is read only by the backward; without a graph nothing holds it
  if (!out.requiresGrad) lse.dispose();
  return out;
}
