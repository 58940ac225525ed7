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

/**
 * out [...batch, L, F] (contiguous) and lse [...batch, L] (contiguous) from q [..., L, E], k [..., S, E],
 * v [..., S, F] (same batch shape, any strides).
 */
export function attentionForward(out: TypedArray, lse: TypedArray, q: AttnOperand, k: AttnOperand, v: AttnOperand, causal: boolean, scale: number, batchStart = 0, batchEnd = -1): void {
  const r = q.shape.length;
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  const qo = batchOffsets(q), ko = batchOffsets(k), vo = batchOffsets(v);
  const [qsl, qse] = [q.strides[r - 2]!, q.strides[r - 1]!];
  const [ksl, kse] = [k.strides[r - 2]!, k.strides[r - 1]!];
  const [vsl, vsf] = [v.strides[r - 2]!, v.strides[r - 1]!];
  const Q = q.arr, K = k.arr, V = v.arr;
  const end = batchEnd < 0 ? qo.length : batchEnd;
  const x = new Float64Array(TILE * TILE);
  const acc = new Float64Array(TILE * F);
  const m = new Float64Array(TILE), l = new Float64Array(TILE);
  for (let b = batchStart; b < end; b++) {
    const qb = qo[b]!, kb = ko[b]!, vb = vo[b]!;
    for (let i0 = 0; i0 < L; i0 += TILE) {
      const ni = Math.min(TILE, L - i0);
      m.fill(-Infinity); l.fill(0); acc.fill(0);
      const jEnd = causal ? Math.min(S, i0 + ni) : S;
      for (let j0 = 0; j0 < jEnd; j0 += TILE) {
        const nj = Math.min(TILE, jEnd - j0);
        // scores of the tile
        for (let ii = 0; ii < ni; ii++) {
          const qi = qb + (i0 + ii) * qsl;
          const lim = causal ? Math.min(nj, i0 + ii - j0 + 1) : nj;
          let rowMax = -Infinity;
          for (let jj = 0; jj < lim; jj++) {
            const kj = kb + (j0 + jj) * ksl;
            let s = 0;
            for (let e = 0; e < E; e++) s += Q[qi + e * qse]! * K[kj + e * kse]!;
            s *= scale;
            x[ii * TILE + jj] = s;
            if (s > rowMax) rowMax = s;
          }
          if (lim <= 0) continue;
          // online softmax update of this row
          const mNew = Math.max(m[ii]!, rowMax);
          const corr = m[ii] === -Infinity ? 0 : Math.exp(m[ii]! - mNew);
          let sum = 0;
          const a = ii * F;
          if (corr !== 1) for (let f = 0; f < F; f++) acc[a + f]! *= corr;
          for (let jj = 0; jj < lim; jj++) {
            const p = Math.exp(x[ii * TILE + jj]! - mNew);
            sum += p;
            const vj = vb + (j0 + jj) * vsl;
            for (let f = 0; f < F; f++) acc[a + f]! += p * V[vj + f * vsf]!;
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
 * dOut [..., L, F] (any strides). Recomputes each tile's probabilities from lse; nothing L×S is stored.
 */
export function attentionBackward(dq: TypedArray, dk: TypedArray, dv: TypedArray, q: AttnOperand, k: AttnOperand, v: AttnOperand, out: TypedArray, lse: TypedArray, dOut: AttnOperand, causal: boolean, scale: number, batchStart = 0, batchEnd = -1): void {
  const r = q.shape.length;
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  const qo = batchOffsets(q), ko = batchOffsets(k), vo = batchOffsets(v), go = batchOffsets(dOut);
  const [qsl, qse] = [q.strides[r - 2]!, q.strides[r - 1]!];
  const [ksl, kse] = [k.strides[r - 2]!, k.strides[r - 1]!];
  const [vsl, vsf] = [v.strides[r - 2]!, v.strides[r - 1]!];
  const [gsl, gsf] = [dOut.strides[r - 2]!, dOut.strides[r - 1]!];
  const Q = q.arr, K = k.arr, V = v.arr, G = dOut.arr;
  const end = batchEnd < 0 ? qo.length : batchEnd;
  const Dr = new Float64Array(L);
  const dqAcc = new Float64Array(L * E), dkAcc = new Float64Array(TILE * E), dvAcc = new Float64Array(TILE * F);
  for (let b = batchStart; b < end; b++) {
    const qb = qo[b]!, kb = ko[b]!, vb = vo[b]!, gb = go[b]!;
    for (let i = 0; i < L; i++) {
      let d = 0;
      for (let f = 0; f < F; f++) d += G[gb + i * gsl + f * gsf]! * out[(b * L + i) * F + f]!;
      Dr[i] = d;
    }
    dqAcc.fill(0);
    for (let j0 = 0; j0 < S; j0 += TILE) {
      const nj = Math.min(TILE, S - j0);
      dkAcc.fill(0); dvAcc.fill(0);
      for (let i = causal ? j0 : 0; i < L; i++) {
        const qi = qb + i * qsl, gi = gb + i * gsl;
        const li = lse[b * L + i]!;
        const lim = causal ? Math.min(nj, i - j0 + 1) : nj;
        for (let jj = 0; jj < lim; jj++) {
          const kj = kb + (j0 + jj) * ksl, vj = vb + (j0 + jj) * vsl;
          let s = 0;
          for (let e = 0; e < E; e++) s += Q[qi + e * qse]! * K[kj + e * kse]!;
          const p = Math.exp(s * scale - li);
          let dp = 0;
          for (let f = 0; f < F; f++) {
            const g = G[gi + f * gsf]!;
            dp += g * V[vj + f * vsf]!;
            dvAcc[jj * F + f]! += p * g;
          }
          const dx = p * (dp - Dr[i]!) * scale;
          for (let e = 0; e < E; e++) {
            dqAcc[i * E + e]! += dx * K[kj + e * kse]!;
            dkAcc[jj * E + e]! += dx * Q[qi + e * qse]!;
          }
        }
      }
      for (let jj = 0; jj < nj; jj++) {
        const row = b * S + j0 + jj;
        for (let e = 0; e < E; e++) dk[row * E + e] = dkAcc[jj * E + e]!;
        for (let f = 0; f < F; f++) dv[row * F + f] = dvAcc[jj * F + f]!;
      }
    }
    for (let i = 0; i < L * E; i++) dq[b * L * E + i] = dqAcc[i]!;
  }
}
