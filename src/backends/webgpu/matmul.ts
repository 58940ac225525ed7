/**
 * Batched matmul C[b] = A[b]·B[b] with workgroup-shared tiles and register blocking: a workgroup of 8×8 threads
 * computes a 32×32 tile of C, each thread a 4×4 block; K advances 16 at a time through tiles of A (32×16) and
 * B (16×32) staged in workgroup memory. Operands are read through their strides, so transposed and
 * batch-broadcast (stride 0) operands need no copy. Accumulation is in f32.
 */
import type { DType } from '../../dtype.js';
import type { View } from '../backend.js';
import type { GpuBlock, Runtime } from './runtime.js';
import { binding, gpuDType, loadF, Params, PRELUDE, storeF } from './wgsl.js';

const TILE = 32, TK = 16;

export function matmul(rt: Runtime, a: View<GpuBlock>, b: View<GpuBlock>, outDtype: DType): GpuBlock {
  const ad = gpuDType('matmul', a.dtype), bd = gpuDType('matmul', b.dtype), od = gpuDType('matmul', outDtype);
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2]!;
  const o = rt.alloc(B * M * N, 'matmul');
  if (B * M * N === 0) return o;
  const p = new Params();
  const dims = p.us([M, N, K]);
  const av = p.is([a.offset, ...a.strides]);
  const bv = p.is([b.offset, ...b.strides]);
  const code = `${PRELUDE}
${binding(1, 'A', 'read')}
${binding(2, 'B', 'read')}
${binding(3, 'C', 'read_write')}
var<workgroup> As: array<array<f32, ${TILE}>, ${TK}>;
var<workgroup> Bs: array<array<f32, ${TILE}>, ${TK}>;
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let M = pu(${dims}u); let N = pu(${dims + 1}u); let K = pu(${dims + 2}u);
  let bt = i32(w.z);
  let m0 = w.y * ${TILE}u; let n0 = w.x * ${TILE}u;
  let tid = l.y * 8u + l.x;
  let aBase = pi(${av}u) + bt * pi(${av + 1}u); let aM = pi(${av + 2}u); let aK = pi(${av + 3}u);
  let bBase = pi(${bv}u) + bt * pi(${bv + 1}u); let bK = pi(${bv + 2}u); let bN = pi(${bv + 3}u);
  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }
  for (var k0 = 0u; k0 < K; k0 += ${TK}u) {
    for (var e = 0u; e < ${(TILE * TK) / 64}u; e++) {
      let idx = tid + e * 64u;
      let kk = idx / ${TILE}u; let mm = idx % ${TILE}u;
      let gm = m0 + mm; let gk = k0 + kk;
      var va: f32 = 0.0;
      if (gm < M && gk < K) { va = ${loadF('A', ad, 'u32(aBase + i32(gm) * aM + i32(gk) * aK)')}; }
      As[kk][mm] = va;
      let gn = n0 + mm;
      var vb: f32 = 0.0;
      if (gn < N && gk < K) { vb = ${loadF('B', bd, 'u32(bBase + i32(gk) * bK + i32(gn) * bN)')}; }
      Bs[kk][mm] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      var ra: array<f32, 4>; var rb: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { ra[i] = As[kk][l.y * 4u + i]; rb[i] = Bs[kk][l.x * 4u + i]; }
      for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(ra[i], rb[j], acc[i][j]); } }
    }
    workgroupBarrier();
  }
  let cBase = u32(bt) * M * N;
  for (var i = 0u; i < 4u; i++) {
    let gm = m0 + l.y * 4u + i;
    if (gm >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = n0 + l.x * 4u + j;
      if (gn < N) { let v = acc[i][j]; C[cBase + gm * N + gn] = ${storeF(od, 'v')}; }
    }
  }
}`;
  if (B > 65535) throw new RangeError(`webgpu matmul: a batch of ${B} exceeds the 65,535 workgroups one grid dimension allows`);
  rt.dispatch('matmul', code, p.words, [a.data, b.data, o], [Math.ceil(N / TILE), Math.ceil(M / TILE), B]);
  return o;
}
