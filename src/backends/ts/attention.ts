/**
 * Fused scaled dot-product attention, flash-attention style (Dao et al. 2022; FlashAttention-2's loop order
 * for the backward): the scores of a tile of queries against a tile of keys live in a small buffer, never the
 * whole L×S matrix. The reference kernel of Backend.attention / attentionGrad, on plain typed arrays (any
 * float dtype, accumulating in float64); the wasm backend runs it over views of its heap.
 *
 * Letters: L queries, S keys, E query/key width, F value width; s = scale; row i of a batch entry.
 *
 * Forward, per query row, over key tiles with an online softmax (running max m and sum l):
 *   x_j = s·q_i·k_j   (j ≤ i when causal)
 *   m' = max(m, max_j x_j);  l ← l·e^{m−m'} + Σ_j e^{x_j−m'};  acc ← acc·e^{m−m'} + Σ_j e^{x_j−m'}·v_j;  m ← m'
 *   out_i = acc / l,   lse_i = m + log l        (P_ij = e^{x_ij − lse_i} is the softmax, recomputable later)
 *
 * Backward, with D_i = Σ_f dOut_if·out_if (= Σ_j P_ij·dP_ij):
 *   P_ij = e^{s·q_i·k_j − lse_i};  dP_ij = dOut_i·v_j;  dX_ij = P_ij·(dP_ij − D_i)
 *   dv_j += P_ij·dOut_i;  dq_i += s·dX_ij·k_j;  dk_j += s·dX_ij·q_i
 * (softmax's Jacobian: dX = P ⊙ (dP − rowsum(P ⊙ dP)), and rowsum(P ⊙ dP) = rowsum(dOut ⊙ out)).
 *
 * Causal is top-left aligned as PyTorch's is_causal: query i sees keys 0..i (a query with no key, i ≥ 0 and
 * S = 0, cannot occur: the op requires S ≥ 1).
 */
import type { TypedArray } from '../../dtype.js';

/** A strided [...batch, rows, cols] operand. */
export interface AttnOperand {
  readonly arr: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** batch offsets in row-major order of the batch dims (the first dim slowest) */
export function batchOffsets(v: AttnOperand): number[] {
  const nb = v.shape.length - 2;
  let out = [v.offset];
  for (let d = 0; d < nb; d++) {
    const n = v.shape[d]!, s = v.strides[d]!;
    const next: number[] = [];
    for (const o of out) for (let i = 0; i < n; i++) next.push(o + i * s);
    out = next;
  }
  return out;
}

const TILE = 32;

/** copy batch entry `base` of a strided [rows, cols] operand into a contiguous float64 buffer */
function gather2d(dst: Float64Array, src: TypedArray, base: number, rows: number, cols: number, sr: number, sc: number): void {
  for (let i = 0, o = 0; i < rows; i++) {
    const row = base + i * sr;
    for (let j = 0; j < cols; j++) dst[o++] = src[row + j * sc]!;
  }
}

/**
 * out [...batch, L, F] (contiguous) and lse [...batch, L] (contiguous) from q [..., L, E], k [..., S, E],
 * v [..., S, F] (same batch shape, any strides). Each batch entry's q, k, v are first copied to contiguous
 * float64 buffers (O(L·E + S·(E + F)), small next to the O(L·S·(E + F)) work).
 */
export function attentionForward(out: TypedArray, lse: TypedArray, q: AttnOperand, k: AttnOperand, v: AttnOperand, causal: boolean, scale: number, batchStart = 0, batchEnd = -1): void {
  const r = q.shape.length;
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  const qo = batchOffsets(q), ko = batchOffsets(k), vo = batchOffsets(v);
  const end = batchEnd < 0 ? qo.length : batchEnd;
  const Q = new Float64Array(L * E), K = new Float64Array(S * E), V = new Float64Array(S * F);
  const x = new Float64Array(TILE);
  const acc = new Float64Array(TILE * F);
  const m = new Float64Array(TILE), l = new Float64Array(TILE);
  for (let b = batchStart; b < end; b++) {
    gather2d(Q, q.arr, qo[b]!, L, E, q.strides[r - 2]!, q.strides[r - 1]!);
    gather2d(K, k.arr, ko[b]!, S, E, k.strides[r - 2]!, k.strides[r - 1]!);
    gather2d(V, v.arr, vo[b]!, S, F, v.strides[r - 2]!, v.strides[r - 1]!);
    for (let i0 = 0; i0 < L; i0 += TILE) {
      const ni = Math.min(TILE, L - i0);
      m.fill(-Infinity); l.fill(0); acc.fill(0);
      const jEnd = causal ? Math.min(S, i0 + ni) : S;
      // a tile of TILE keys (their rows of K and V stay in cache) against each query of the query tile
      for (let j0 = 0; j0 < jEnd; j0 += TILE) {
        const nj = Math.min(TILE, jEnd - j0);
        for (let ii = 0; ii < ni; ii++) {
          const qi = (i0 + ii) * E;
          const lim = causal ? Math.min(nj, i0 + ii - j0 + 1) : nj;
          if (lim <= 0) continue;
          let rowMax = -Infinity;
          for (let jj = 0; jj < lim; jj++) {
            const kj = (j0 + jj) * E;
            let s = 0;
            for (let e = 0; e < E; e++) s += Q[qi + e]! * K[kj + e]!;
            s *= scale;
            x[jj] = s;
            if (s > rowMax) rowMax = s;
          }
          // online softmax: rescale what the earlier tiles accumulated to the new running max
          const mOld = m[ii]!, mNew = mOld > rowMax ? mOld : rowMax;
          const corr = mOld === -Infinity ? 0 : Math.exp(mOld - mNew);
          const a = ii * F;
          if (corr !== 1) for (let f = 0; f < F; f++) acc[a + f]! *= corr;
          let sum = 0;
          for (let jj = 0; jj < lim; jj++) {
            const p = Math.exp(x[jj]! - mNew);
            sum += p;
            const vj = (j0 + jj) * F;
            for (let f = 0; f < F; f++) acc[a + f]! += p * V[vj + f]!;
          }
          l[ii] = l[ii]! * corr + sum;
          m[ii] = mNew;
        }
      }
      for (let ii = 0; ii < ni; ii++) {
        const row = b * L + i0 + ii;
        const inv = 1 / l[ii]!;
        for (let f = 0; f < F; f++) out[row * F + f] = acc[ii * F + f]! * inv;
        lse[row] = m[ii]! + Math.log(l[ii]!);
      }
    }
  }
}

/**
 * dq, dk, dv (contiguous, shaped like q, k, v) from the forward's operands, its out and lse (contiguous), and
 * dOut [..., L, F] (any strides). Recomputes each probability from lse; nothing L×S is stored.
 */
export function attentionBackward(dq: TypedArray, dk: TypedArray, dv: TypedArray, q: AttnOperand, k: AttnOperand, v: AttnOperand, out: TypedArray, lse: TypedArray, dOut: AttnOperand, causal: boolean, scale: number, batchStart = 0, batchEnd = -1): void {
  const r = q.shape.length;
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  const qo = batchOffsets(q), ko = batchOffsets(k), vo = batchOffsets(v), go = batchOffsets(dOut);
  const end = batchEnd < 0 ? qo.length : batchEnd;
  const Q = new Float64Array(L * E), K = new Float64Array(S * E), V = new Float64Array(S * F), G = new Float64Array(L * F);
  const Dr = new Float64Array(L);
  const dQ = new Float64Array(L * E), dK = new Float64Array(S * E), dV = new Float64Array(S * F);
  for (let b = batchStart; b < end; b++) {
    gather2d(Q, q.arr, qo[b]!, L, E, q.strides[r - 2]!, q.strides[r - 1]!);
    gather2d(K, k.arr, ko[b]!, S, E, k.strides[r - 2]!, k.strides[r - 1]!);
    gather2d(V, v.arr, vo[b]!, S, F, v.strides[r - 2]!, v.strides[r - 1]!);
    gather2d(G, dOut.arr, go[b]!, L, F, dOut.strides[r - 2]!, dOut.strides[r - 1]!);
    for (let i = 0; i < L; i++) {
      let d = 0;
      for (let f = 0; f < F; f++) d += G[i * F + f]! * out[(b * L + i) * F + f]!;
      Dr[i] = d;
    }
    dQ.fill(0); dK.fill(0); dV.fill(0);
    // key tiles outer (their dk, dv rows stay in cache), queries inner
    for (let j0 = 0; j0 < S; j0 += TILE) {
      const nj = Math.min(TILE, S - j0);
      for (let i = causal ? j0 : 0; i < L; i++) {
        const qi = i * E, gi = i * F;
        const li = lse[b * L + i]!, di = Dr[i]!;
        const lim = causal ? Math.min(nj, i - j0 + 1) : nj;
        for (let jj = 0; jj < lim; jj++) {
          const kj = (j0 + jj) * E, vj = (j0 + jj) * F;
          let s = 0;
          for (let e = 0; e < E; e++) s += Q[qi + e]! * K[kj + e]!;
          const p = Math.exp(s * scale - li);
          let dp = 0;
          for (let f = 0; f < F; f++) {
            const g = G[gi + f]!;
            dp += g * V[vj + f]!;
            dV[vj + f]! += p * g;
          }
          const dx = p * (dp - di) * scale;
          for (let e = 0; e < E; e++) {
            dQ[qi + e]! += dx * K[kj + e]!;
            dK[kj + e]! += dx * Q[qi + e]!;
          }
        }
      }
    }
    dq.set(dQ, b * L * E);
    dk.set(dK, b * S * E);
    dv.set(dV, b * S * F);
  }
}
