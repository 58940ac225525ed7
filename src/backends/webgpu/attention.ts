/**
 * Fused scaled dot-product attention in WGSL, flash-attention style (Backend.attention / attentionGrad; the
 * reference is ts/attention.ts): a workgroup stages a tile of T queries and, one after the other, tiles of T
 * keys and values in workgroup memory; the T×T scores of the two tiles are the only weights that ever exist.
 * Nothing L×S is allocated. Letters: L queries, S keys, E query/key width, F value width, s = scale; causal is
 * top-left aligned (query i sees keys j ≤ i), as PyTorch's is_causal.
 *
 * Forward (one workgroup per batch entry and query tile), per query row i over key tiles, online softmax with
 * a running max m and sum l (m = −∞, l = 0, acc = 0 at the start):
 *   x_ij = s·q_i·k_j (visible keys only);  m' = max(m, max_j x_ij);  c = e^{m − m'} (0 while m = −∞)
 *   p_ij = e^{x_ij − m'};  l ← l·c + Σ_j p_ij;  acc_i ← acc_i·c + Σ_j p_ij·v_j;  m ← m'
 *   out_i = acc_i / l,  lse_i = m + log l      (so P_ij = e^{x_ij − lse_i}, recomputable from lse)
 *
 * Backward, recomputing each tile's weights from lse (FlashAttention-2's split into two passes without atomics):
 *   rows:  D_i = Σ_f dOut_if·out_if  (= Σ_j P_ij·dP_ij), stored next to lse_i
 *   P_ij = e^{s·q_i·k_j − lse_i};  dP_ij = dOut_i·v_j;  dX_ij = s·P_ij·(dP_ij − D_i)
 *   key pass (one workgroup per key tile, queries streamed):   dv_j = Σ_i P_ij·dOut_i;  dk_j = Σ_i dX_ij·q_i
 *   query pass (one workgroup per query tile, keys streamed):  dq_i = Σ_j dX_ij·k_j
 *
 * Tiles are T×T with T the largest of 32, 16, 8, 4 whose staged tiles fit the adapter's workgroup memory (and
 * no larger than max(L, S) needs); each of the 64 threads owns a fixed share of the tile's outputs in
 * registers. Operands are read through their strides (any batch dims, collapsed where the layout allows).
 * float32 only; E and F (the head widths) are part of the shader, so one pipeline serves each (E, F, T) class.
 */
import type { View } from '../backend.js';
import { numel } from './elementwise.js';
import type { GpuBlock, Runtime } from './runtime.js';
import { binding, collapse, offsetsCode, Params, PRELUDE, pushView, WG } from './wgsl.js';

function f32Only(kernel: string, ...views: View[]): void {
  for (const v of views) {
    if (v.dtype !== 'float32') throw new TypeError(`webgpu ${kernel}: expected float32 tensors, got ${v.dtype}`);
  }
}

/** bytes of workgroup memory each pass stages for tile size t */
const fwdBytes = (t: number, E: number, F: number): number => 4 * (t * E + t * E + t * F + t * t + t);
const bwdBytes = (t: number, E: number, F: number): number => 4 * (t * E + t * F + t * E + t * F + 2 * t * t + 2 * t);

/** the tile size: the largest of 32..4 that fits workgroup memory, capped at what max(L, S) needs */
function tileSize(rt: Runtime, kernel: string, E: number, F: number, L: number, S: number, bytes: typeof fwdBytes): number {
  const limit = rt.device.limits.maxComputeWorkgroupStorageSize;
  const need = Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(L, S))));
  for (const t of [32, 16, 8, 4]) if (t <= need && bytes(t, E, F) <= limit) return t;
  if (bytes(4, E, F) <= limit) return 4;
  throw new RangeError(`webgpu ${kernel}: query/key width ${E} and value width ${F} need ${bytes(4, E, F)} bytes of workgroup memory for the smallest (4×4) tile; the adapter allows ${limit}. Compose the attention from matmul and softmax (pass an attnMask) or use the wasm/ts backend`);
}

interface Geometry {
  L: number; S: number; E: number; F: number;
  /** batch entries */
  nb: number;
  /** rank and shape of the collapsed batch dims */
  rank: number;
  shapeAt: number;
  /** positions of each operand's [offset, batch strides...] and of its [row stride, column stride] */
  viewAt: number[];
  rcAt: number[];
}

/** Parameter words shared by the passes: sizes, the collapsed batch shape, each operand's batch and row/col strides. */
function geometry(p: Params, q: View, k: View, v: View, extra: View[]): Geometry {
  const r = q.shape.length;
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  const views = [q, k, v, ...extra];
  const batch = q.shape.slice(0, r - 2);
  const c = collapse(batch, views.map((x) => x.strides.slice(0, r - 2)));
  const shapeAt = p.us(c.shape);
  const viewAt = views.map((x, i) => pushView(p, x.offset, c.strides[i]!));
  const rcAt = views.map((x) => p.is([x.strides[r - 2]!, x.strides[r - 1]!]));
  return { L, S, E, F, nb: numel(batch), rank: c.shape.length, shapeAt, viewAt, rcAt };
}

/** WGSL: `let` the batch entry's element offset of each operand (names[k]) from batch index `b` */
function batchBases(g: Geometry, names: string[]): string {
  return offsetsCode('b', g.rank, g.shapeAt, g.viewAt, names);
}

/** WGSL loop staging rows [row0, row0 + n) of a strided operand into a workgroup array (zeros past `limit`) */
function stage(dst: string, src: string, base: string, rc: number, rows: number, cols: number, row0: string, limit: string): string {
  return `for (var x = t; x < ${rows * cols}u; x += ${WG}u) {
    let rr = x / ${cols}u; let cc = x % ${cols}u; var val = 0.0;
    if (${row0} + rr < ${limit}) { val = bitcast<f32>(${src}[u32(${base} + i32(${row0} + rr) * pi(${rc}u) + i32(cc) * pi(${rc + 1}u))]); }
    ${dst}[x] = val;
  }`;
}

/** WGSL condition: query i sees key j (inside L and S, and j ≤ i when causal) */
const visible = (causal: boolean, i: string, j: string): string => `(${i} < L && ${j} < S${causal ? ` && ${j} <= ${i}` : ''})`;

/** out = softmax(s·q·kᵀ, causal)·v [...batch, L, F] and lse [...batch, L], both contiguous */
export function attention(rt: Runtime, q: View<GpuBlock>, k: View<GpuBlock>, v: View<GpuBlock>, causal: boolean, scale: number): { out: GpuBlock; lse: GpuBlock } {
  f32Only('attention', q, k, v);
  const p = new Params();
  const g = geometry(p, q, k, v, []);
  const { L, S, E, F } = g;
  const out = rt.alloc(g.nb * L * F, 'attention'), lse = rt.alloc(g.nb * L, 'attention');
  if (g.nb * L * F === 0 && g.nb * L === 0) return { out, lse };
  const T = tileSize(rt, 'attention', E, F, L, S, fwdBytes);
  const nT = Math.ceil(L / T);
  const dims = p.us([L, S, nT]);
  const scaleAt = p.f(scale);
  const NA = Math.ceil((T * F) / WG);
  const [qv, kv, vv] = g.rcAt as [number, number, number];
  const code = `${PRELUDE}
${binding(1, 'Qg', 'read')}
${binding(2, 'Kg', 'read')}
${binding(3, 'Vg', 'read')}
${binding(4, 'O', 'read_write')}
${binding(5, 'LSE', 'read_write')}
var<workgroup> Qs: array<f32, ${T * E}>;
var<workgroup> Ks: array<f32, ${T * E}>;
var<workgroup> Vs: array<f32, ${T * F}>;
var<workgroup> Sx: array<f32, ${T * T}>;
var<workgroup> Cr: array<f32, ${T}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let L = pu(${dims}u); let S = pu(${dims + 1}u); let nT = pu(${dims + 2}u); let scale = pf(${scaleAt}u);
  let grp = flatGroup(w);
  let b = grp / nT; let i0 = (grp % nT) * ${T}u;
  ${batchBases(g, ['qb', 'kb', 'vb'])}
  ${stage('Qs', 'Qg', 'qb', qv, T, E, 'i0', 'L')}
  var m = -inff(); var lsum = 0.0;   // row t's running max and sum (threads t < T)
  var acc: array<f32, ${NA}>;        // this thread's share of the tile's T×F accumulators
  let jEnd = ${causal ? `min(S, i0 + ${T}u)` : 'S'};
  for (var j0 = 0u; j0 < jEnd; j0 += ${T}u) {
    workgroupBarrier();
    ${stage('Ks', 'Kg', 'kb', kv, T, E, 'j0', 'S')}
    ${stage('Vs', 'Vg', 'vb', vv, T, F, 'j0', 'S')}
    workgroupBarrier();
    for (var x = t; x < ${T * T}u; x += ${WG}u) {
      let r = x / ${T}u; let c = x % ${T}u;
      var s = 0.0;
      for (var e = 0u; e < ${E}u; e++) { s = fma(Qs[r * ${E}u + e], Ks[c * ${E}u + e], s); }
      Sx[x] = s * scale;
    }
    workgroupBarrier();
    if (t < ${T}u) {
      let i = i0 + t;
      var mx = m; var seen = false;
      for (var c = 0u; c < ${T}u; c++) { if ${visible(causal, 'i', 'j0 + c')} { mx = max(mx, Sx[t * ${T}u + c]); seen = true; } }
      var corr = 1.0;
      if (seen) { corr = select(exp(m - mx), 0.0, m == -inff()); }
      var sum = 0.0;
      for (var c = 0u; c < ${T}u; c++) {
        var pr = 0.0;
        if ${visible(causal, 'i', 'j0 + c')} { pr = exp(Sx[t * ${T}u + c] - mx); }
        Sx[t * ${T}u + c] = pr; sum += pr;
      }
      lsum = lsum * corr + sum; m = mx; Cr[t] = corr;
    }
    workgroupBarrier();
    for (var a = 0u; a < ${NA}u; a++) {
      let x = t + a * ${WG}u;
      if (x < ${T * F}u) {
        let r = x / ${F}u; let f = x % ${F}u;
        var s = acc[a] * Cr[r];
        for (var c = 0u; c < ${T}u; c++) { s = fma(Sx[r * ${T}u + c], Vs[c * ${F}u + f], s); }
        acc[a] = s;
      }
    }
  }
  workgroupBarrier();
  if (t < ${T}u && i0 + t < L) { Cr[t] = 1.0 / lsum; LSE[b * L + i0 + t] = bitcast<u32>(m + log(lsum)); }
  workgroupBarrier();
  for (var a = 0u; a < ${NA}u; a++) {
    let x = t + a * ${WG}u;
    if (x < ${T * F}u) {
      let r = x / ${F}u; let f = x % ${F}u;
      if (i0 + r < L) { O[(b * L + i0 + r) * ${F}u + f] = bitcast<u32>(acc[a] * Cr[r]); }
    }
  }
}`;
  rt.dispatch('attention', code, p.words, [q.data, k.data, v.data, out, lse], g.nb * nT);
  return { out, lse };
}

/** dq, dk, dv (contiguous, shaped as q, k, v) recomputing the weights from lse; out and lse contiguous as attention made them */
export function attentionGrad(rt: Runtime, q: View<GpuBlock>, k: View<GpuBlock>, v: View<GpuBlock>, out: View<GpuBlock>, lse: View<GpuBlock>, dOut: View<GpuBlock>,
  causal: boolean, scale: number): { dq: GpuBlock; dk: GpuBlock; dv: GpuBlock } {
  f32Only('attentionGrad', q, k, v, out, lse, dOut);
  const r = q.shape.length;
  const nb = numel(q.shape.slice(0, r - 2));
  const L = q.shape[r - 2]!, E = q.shape[r - 1]!, S = k.shape[r - 2]!, F = v.shape[r - 1]!;
  const dq = rt.alloc(nb * L * E, 'attentionGrad'), dk = rt.alloc(nb * S * E, 'attentionGrad'), dv = rt.alloc(nb * S * F, 'attentionGrad');
  if (nb * L === 0 || nb * S === 0) return { dq, dk, dv };
  const T = tileSize(rt, 'attentionGrad', E, F, L, S, bwdBytes);

  // ---- rows: RD[2·row] = lse_row, RD[2·row + 1] = D_row = dOut_row · out_row
  const rd = rt.alloc(2 * nb * L, 'attentionGrad');
  {
    const p = new Params();
    const g = geometry(p, q, k, v, [dOut]);
    const dims = p.us([L, nb * L]);
    const oAt = p.i(out.offset), lAt = p.i(lse.offset);
    const gv = g.rcAt[3]!;
    const code = `${PRELUDE}
${binding(1, 'G', 'read')}
${binding(2, 'O', 'read')}
${binding(3, 'LS', 'read')}
${binding(4, 'RD', 'read_write')}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = flatGroup(w) * ${WG}u + lid.x;
  let L = pu(${dims}u);
  if (row >= pu(${dims + 1}u)) { return; }
  let b = row / L; let i = row % L;
  ${offsetsCode('b', g.rank, g.shapeAt, [g.viewAt[3]!], ['gb'])}
  let ob = u32(pi(${oAt}u)) + row * ${F}u;
  var d = 0.0;
  for (var f = 0u; f < ${F}u; f++) {
    d = fma(bitcast<f32>(G[u32(gb + i32(i) * pi(${gv}u) + i32(f) * pi(${gv + 1}u))]), bitcast<f32>(O[ob + f]), d);
  }
  RD[2u * row] = LS[u32(pi(${lAt}u)) + row];
  RD[2u * row + 1u] = bitcast<u32>(d);
}`;
    rt.dispatch('attentionGrad', code, p.words, [dOut.data, out.data, lse.data, rd], Math.ceil((nb * L) / WG));
  }

  /** WGSL: Dx[x] = s·P·(dP − D) (and Ps[x] = P when `keepP`) for the staged tiles, rows i0.., keys j0.. */
  const scores = (causal: boolean, keepP: boolean): string => `for (var x = t; x < ${T * T}u; x += ${WG}u) {
      let r = x / ${T}u; let c = x % ${T}u;
      var pr = 0.0; var dx = 0.0;
      if ${visible(causal, 'i0 + r', 'j0 + c')} {
        var s = 0.0;
        for (var e = 0u; e < ${E}u; e++) { s = fma(Qs[r * ${E}u + e], Ks[c * ${E}u + e], s); }
        pr = exp(s * scale - Rl[r]);
        var dp = 0.0;
        for (var f = 0u; f < ${F}u; f++) { dp = fma(Gs[r * ${F}u + f], Vs[c * ${F}u + f], dp); }
        dx = pr * (dp - Rd[r]) * scale;
      }
      ${keepP ? 'Ps[x] = pr;' : ''}
      Dx[x] = dx;
    }`;
  const shared = (keepP: boolean): string => `
var<workgroup> Qs: array<f32, ${T * E}>;
var<workgroup> Gs: array<f32, ${T * F}>;
var<workgroup> Ks: array<f32, ${T * E}>;
var<workgroup> Vs: array<f32, ${T * F}>;
${keepP ? `var<workgroup> Ps: array<f32, ${T * T}>;` : ''}
var<workgroup> Dx: array<f32, ${T * T}>;
var<workgroup> Rl: array<f32, ${T}>;
var<workgroup> Rd: array<f32, ${T}>;`;
  const stageRows = `${'' /* lse and D of the query tile's rows (0 past L: those rows are masked anyway) */}
    if (t < ${T}u) {
      var lv = 0.0; var dd = 0.0;
      if (i0 + t < L) { lv = bitcast<f32>(RD[2u * (b * L + i0 + t)]); dd = bitcast<f32>(RD[2u * (b * L + i0 + t) + 1u]); }
      Rl[t] = lv; Rd[t] = dd;
    }`;
  const NK = Math.ceil((T * E) / WG), NV = Math.ceil((T * F) / WG);

  // ---- key pass: dk, dv of one key tile, streaming the query tiles that see it
  {
    const p = new Params();
    const g = geometry(p, q, k, v, [dOut]);
    const nT = Math.ceil(S / T);
    const dims = p.us([L, S, nT]);
    const scaleAt = p.f(scale);
    const [qv, kv, vv, gv] = g.rcAt as [number, number, number, number];
    const code = `${PRELUDE}
${binding(1, 'Qg', 'read')}
${binding(2, 'Kg', 'read')}
${binding(3, 'Vg', 'read')}
${binding(4, 'Gg', 'read')}
${binding(5, 'RD', 'read')}
${binding(6, 'DK', 'read_write')}
${binding(7, 'DV', 'read_write')}
${shared(true)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let L = pu(${dims}u); let S = pu(${dims + 1}u); let nT = pu(${dims + 2}u); let scale = pf(${scaleAt}u);
  let grp = flatGroup(w);
  let b = grp / nT; let j0 = (grp % nT) * ${T}u;
  ${batchBases(g, ['qb', 'kb', 'vb', 'gb'])}
  ${stage('Ks', 'Kg', 'kb', kv, T, E, 'j0', 'S')}
  ${stage('Vs', 'Vg', 'vb', vv, T, F, 'j0', 'S')}
  var ak: array<f32, ${NK}>;
  var av: array<f32, ${NV}>;
  // causal: queries before the tile's first key see none of it
  for (var i0 = ${causal ? `(j0 / ${T}u) * ${T}u` : '0u'}; i0 < L; i0 += ${T}u) {
    workgroupBarrier();
    ${stage('Qs', 'Qg', 'qb', qv, T, E, 'i0', 'L')}
    ${stage('Gs', 'Gg', 'gb', gv, T, F, 'i0', 'L')}
    ${stageRows}
    workgroupBarrier();
    ${scores(causal, true)}
    workgroupBarrier();
    for (var a = 0u; a < ${NV}u; a++) {
      let x = t + a * ${WG}u;
      if (x < ${T * F}u) {
        let c = x / ${F}u; let f = x % ${F}u; var s = av[a];
        for (var r = 0u; r < ${T}u; r++) { s = fma(Ps[r * ${T}u + c], Gs[r * ${F}u + f], s); }
        av[a] = s;
      }
    }
    for (var a = 0u; a < ${NK}u; a++) {
      let x = t + a * ${WG}u;
      if (x < ${T * E}u) {
        let c = x / ${E}u; let e = x % ${E}u; var s = ak[a];
        for (var r = 0u; r < ${T}u; r++) { s = fma(Dx[r * ${T}u + c], Qs[r * ${E}u + e], s); }
        ak[a] = s;
      }
    }
  }
  for (var a = 0u; a < ${NV}u; a++) {
    let x = t + a * ${WG}u;
    if (x < ${T * F}u && j0 + x / ${F}u < S) { DV[(b * S + j0) * ${F}u + x] = bitcast<u32>(av[a]); }
  }
  for (var a = 0u; a < ${NK}u; a++) {
    let x = t + a * ${WG}u;
    if (x < ${T * E}u && j0 + x / ${E}u < S) { DK[(b * S + j0) * ${E}u + x] = bitcast<u32>(ak[a]); }
  }
}`;
    rt.dispatch('attentionGrad', code, p.words, [q.data, k.data, v.data, dOut.data, rd, dk, dv], nb * nT);
  }

  // ---- query pass: dq of one query tile, streaming the key tiles it sees
  {
    const p = new Params();
    const g = geometry(p, q, k, v, [dOut]);
    const nT = Math.ceil(L / T);
    const dims = p.us([L, S, nT]);
    const scaleAt = p.f(scale);
    const [qv, kv, vv, gv] = g.rcAt as [number, number, number, number];
    const code = `${PRELUDE}
${binding(1, 'Qg', 'read')}
${binding(2, 'Kg', 'read')}
${binding(3, 'Vg', 'read')}
${binding(4, 'Gg', 'read')}
${binding(5, 'RD', 'read')}
${binding(6, 'DQ', 'read_write')}
${shared(false)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let L = pu(${dims}u); let S = pu(${dims + 1}u); let nT = pu(${dims + 2}u); let scale = pf(${scaleAt}u);
  let grp = flatGroup(w);
  let b = grp / nT; let i0 = (grp % nT) * ${T}u;
  ${batchBases(g, ['qb', 'kb', 'vb', 'gb'])}
  ${stage('Qs', 'Qg', 'qb', qv, T, E, 'i0', 'L')}
  ${stage('Gs', 'Gg', 'gb', gv, T, F, 'i0', 'L')}
  ${stageRows}
  var aq: array<f32, ${NK}>;
  let jEnd = ${causal ? `min(S, i0 + ${T}u)` : 'S'};
  for (var j0 = 0u; j0 < jEnd; j0 += ${T}u) {
    workgroupBarrier();
    ${stage('Ks', 'Kg', 'kb', kv, T, E, 'j0', 'S')}
    ${stage('Vs', 'Vg', 'vb', vv, T, F, 'j0', 'S')}
    workgroupBarrier();
    ${scores(causal, false)}
    workgroupBarrier();
    for (var a = 0u; a < ${NK}u; a++) {
      let x = t + a * ${WG}u;
      if (x < ${T * E}u) {
        let r = x / ${E}u; let e = x % ${E}u; var s = aq[a];
        for (var c = 0u; c < ${T}u; c++) { s = fma(Dx[r * ${T}u + c], Ks[c * ${E}u + e], s); }
        aq[a] = s;
      }
    }
  }
  for (var a = 0u; a < ${NK}u; a++) {
    let x = t + a * ${WG}u;
    if (x < ${T * E}u && i0 + x / ${E}u < L) { DQ[(b * L + i0) * ${E}u + x] = bitcast<u32>(aq[a]); }
  }
}`;
    rt.dispatch('attentionGrad', code, p.words, [q.data, k.data, v.data, dOut.data, rd, dq], nb * nT);
  }
  rt.release(rd);
  return { dq, dk, dv };
}
