/**
 * The WGSL flash-attention kernels (src/backends/webgpu/attention.ts) against the float64 reference kernel
 * (src/backends/ts/attention.ts): out, lse and the three gradients, causal and not, L = S, L < S and L > S,
 * no batch dim up to three, operands in permuted layouts (strided batch and row dims), a strided dOut, several
 * query and key tiles, and a 64-wide head (smaller tiles in the backward). Runs in Node and in Chromium.
 */
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { backendNamed } from '../../src/backends/registry.js';
import { capabilitiesOf, type Backend } from '../../src/backends/backend.js';
import { attentionBackward, attentionForward } from '../../src/backends/ts/attention.js';
import { fusedAttention } from '../../src/ops/nn/flashAttention.js';

interface AttnCase {
  name: string;
  batch: number[];
  L: number; S: number; E: number; F: number;
  causal: boolean;
  scale?: number;
  /** permutation of the operands' dims in memory (the tensors are views permuted back to [...batch, rows, cols]) */
  perm?: number[];
  /** take the gradient through a transpose of out, so dOut reaches the kernel as a strided view */
  stridedGrad?: boolean;
}

export const attentionCases: AttnCase[] = [
  { name: 'causal, B·H = 2·3, L = S = 5', batch: [2, 3], L: 5, S: 5, E: 4, F: 6, causal: true },
  { name: 'not causal, B·H = 2·3, L = S = 5', batch: [2, 3], L: 5, S: 5, E: 4, F: 6, causal: false },
  { name: 'causal, L < S (7 < 12), no batch dim', batch: [], L: 7, S: 12, E: 8, F: 3, causal: true, scale: 0.7 },
  { name: 'not causal, L > S (40 > 19), two query tiles', batch: [2], L: 40, S: 19, E: 8, F: 5, causal: false },
  { name: 'causal, L > S (40 > 19)', batch: [1, 2], L: 40, S: 19, E: 8, F: 5, causal: true },
  { name: 'causal, L = S = 70 (three tiles), [B, T, H, D] layout, strided dOut', batch: [2, 2], L: 70, S: 70, E: 8, F: 8, causal: true, perm: [0, 2, 1, 3], stridedGrad: true },
  { name: 'not causal, L = 33, S = 50, three batch dims, transposed rows', batch: [2, 1, 2], L: 33, S: 50, E: 4, F: 4, causal: false, perm: [2, 0, 1, 4, 3] },
  { name: 'causal, head width 64, L = S = 40', batch: [2], L: 40, S: 40, E: 64, F: 64, causal: true },
];

/** |got − want| ≤ atol + rtol·|want|: float32 kernels against float64 sums of up to S·E terms of size ~1 */
const TOL = { rtol: 2e-4, atol: 2e-5 };

function compare(what: string, got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
  let worst = -1, excess = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) - (TOL.atol + TOL.rtol * Math.abs(want[i]!));
    if (!(e <= 0) && (worst < 0 || !(e <= excess))) { worst = i; excess = e; }
  }
  return worst < 0 ? null : `${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} (rtol ${TOL.rtol}, atol ${TOL.atol})`;
}

function seeded(n: number, g: nb.Generator): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(g.normal()));
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** a [..., rows, cols] view of `t` whose memory is laid out in the order `perm` */
function laidOut(t: Tensor, perm: number[] | undefined): Tensor {
  if (!perm) return t;
  const inv = perm.map((_, i) => perm.indexOf(i));
  return t.permute(perm).contiguous().permute(inv);
}

/** Each case on webgpu against the float64 reference; returns one line per mismatch. */
export async function runAttention(): Promise<{ cases: number; failures: string[] }> {
  const failures: string[] = [];
  await nb.setBackend('webgpu');
  const be = backendNamed('webgpu') as Backend;
  const caps = capabilitiesOf(be);
  for (const k of ['attention', 'attentionGrad'] as const) if (!caps.fused.includes(k)) failures.push(`webgpu capabilities.fused lacks ${k}`);
  let cases = 0;
  try {
    for (const c of attentionCases) {
      const { batch, L, S, E, F, causal } = c;
      const scale = c.scale ?? 1 / Math.sqrt(E);
      const g = new nb.Generator(cases + 17);
      const qd = seeded(numel(batch) * L * E, g), kd = seeded(numel(batch) * S * E, g), vd = seeded(numel(batch) * S * F, g);
      const wd = seeded(numel(batch) * L * F, g); // dOut: the weights of loss = Σ w ⊙ out
      const qs = [...batch, L, E], ks = [...batch, S, E], vs = [...batch, S, F], os = [...batch, L, F];

      // float64 reference
      const op = (arr: Float64Array, shape: number[]) => ({ arr, shape, strides: shape.map((_, i) => numel(shape.slice(i + 1))), offset: 0 });
      const wantOut = new Float64Array(numel(os)), wantLse = new Float64Array(numel(batch) * L);
      attentionForward(wantOut, wantLse, op(qd, qs), op(kd, ks), op(vd, vs), causal, scale);
      const wantDq = new Float64Array(qd.length), wantDk = new Float64Array(kd.length), wantDv = new Float64Array(vd.length);
      attentionBackward(wantDq, wantDk, wantDv, op(qd, qs), op(kd, ks), op(vd, vs), wantOut, wantLse, op(wd, os), causal, scale);

      // webgpu: leaves in logical layout, the kernel sees permuted views of them
      const ql = nb.tensor(Float32Array.from(qd), { shape: qs }).requiresGrad_();
      const kl = nb.tensor(Float32Array.from(kd), { shape: ks }).requiresGrad_();
      const vl = nb.tensor(Float32Array.from(vd), { shape: vs }).requiresGrad_();
      const q = laidOut(ql, c.perm), k = laidOut(kl, c.perm), v = laidOut(vl, c.perm);
      const out = fusedAttention(q, k, v, causal, scale);
      if (!out) { failures.push(`${c.name}: fusedAttention declined the webgpu backend`); continue; }
      const w = nb.tensor(Float32Array.from(wd), { shape: os });
      const loss = c.stridedGrad ? nb.sum(nb.mul(out.transpose(-2, -1), w.transpose(-2, -1).contiguous())) : nb.sum(nb.mul(out, w));
      loss.backward();
      const direct = be.attention!(q.backendView(), k.backendView(), v.backendView(), causal, scale);
      const lse = nb.Tensor.fromData(be, direct.lse, [...batch, L], 'float32');
      nb.Tensor.fromData(be, direct.out, os, 'float32').dispose();
      const [gotOut, gotLse, dq, dk, dv] = await Promise.all([out.dataAsync(), lse.dataAsync(), ql.grad!.dataAsync(), kl.grad!.dataAsync(), vl.grad!.dataAsync()]);
      cases++;
      for (const [what, got, want] of [['out', gotOut, wantOut], ['lse', gotLse, wantLse], ['dq', dq, wantDq], ['dk', dk, wantDk], ['dv', dv, wantDv]] as const) {
        const err = compare(`attention ${c.name}: ${what}`, got, want);
        if (err) failures.push(err);
      }
    }
  } catch (e) {
    failures.push(`attention: threw ${(e as Error).stack ?? e}`);
  } finally {
    await nb.setBackend('ts');
  }
  return { cases, failures };
}
