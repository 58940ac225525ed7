/**
 * Backend.attention / attentionGrad for the wasm backend: the reference flash-attention kernels of
 * ts/attention.ts run over typed-array views of the wasm heap (no copies in or out, nothing L×S allocated).
 * They run on the calling thread in JavaScript: a SIMD, pool-threaded version of the same tiling is not written
 * yet (ops/nn/flashAttention.ts fuses only where the composed weights would be large, for that reason).
 */
import type { View } from '../../backend.js';
import { attentionBackward, attentionForward } from '../../ts/attention.js';
import type { WasmBlock } from '../allocator.js';
import { arrOf, av, out, type WasmRuntime } from './runtime.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function attention(rt: WasmRuntime, q: View<WasmBlock>, k: View<WasmBlock>, v: View<WasmBlock>, causal: boolean, scale: number): { out: WasmBlock; lse: WasmBlock } {
  const rows = numel(q.shape.slice(0, -1)), F = v.shape[v.shape.length - 1]!;
  const o = out(rt, q.dtype, rows * F, true), lse = out(rt, q.dtype, rows, true);
  if (rows > 0) attentionForward(arrOf(rt, o, q.dtype), arrOf(rt, lse, q.dtype), av(rt, q), av(rt, k), av(rt, v), causal, scale);
  return { out: o, lse };
}

export function attentionGrad(rt: WasmRuntime, q: View<WasmBlock>, k: View<WasmBlock>, v: View<WasmBlock>, o: View<WasmBlock>, lse: View<WasmBlock>, dOut: View<WasmBlock>, causal: boolean, scale: number): { dq: WasmBlock; dk: WasmBlock; dv: WasmBlock } {
  const dt = q.dtype;
  const dq = out(rt, dt, numel(q.shape), true), dk = out(rt, dt, numel(k.shape), true), dv = out(rt, dt, numel(v.shape), true);
  if (numel(q.shape) > 0) {
    attentionBackward(arrOf(rt, dq, dt), arrOf(rt, dk, dt), arrOf(rt, dv, dt), av(rt, q), av(rt, k), av(rt, v),
      arrOf(rt, o.data, dt).subarray(o.offset), arrOf(rt, lse.data, dt).subarray(lse.offset), av(rt, dOut), causal, scale);
  }
  return { dq, dk, dv };
}
