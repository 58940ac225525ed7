/**
 * The wasm GEMM reading bfloat16/float16 operands directly (kernels/matmul.ts packs widen 16-bit panels to float32
 * as they copy them): for every packing path — rows contiguous along k (the row panel's 4×4 transposes), rows
 * adjacent (a transposed operand: A's vector panel, B's column panel), B rows contiguous (B's vector panel), and
 * any other strides (the scalar edge panels) — with ragged edges in M, N and K, several k-blocks (K > 256), a
 * broadcast batch, offsets inside a block and mixed operand types, the product must equal, bit for bit, the float32
 * GEMM on the operands widened first by the separately tested half.ts kernels (same packed panels, same
 * micro-kernel). Both module variants (plain and relaxed SIMD), two threads. Then through the half-precision layer:
 * a 16-bit matmul takes the direct path (no float32 copies of the operands) and rounds like widen-matmul-narrow,
 * and autocast's linear on wasm gives the same output and gradients as the ts backend.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend, type WasmBackend, type WasmBlock } from '../src/backends/wasm/index.js';
import { withHalfPrecision } from '../src/backends/halfPrecision.js';
import type { View } from '../src/backends/backend.js';
import { toBfloat16Bits, toFloat16Bits } from '../src/half.js';

type Half = 'bfloat16' | 'float16';
type Src = 'float32' | Half;
let plain: WasmBackend, relaxed: WasmBackend;
before(async () => {
  plain = await createWasmBackend({ threads: 2, relaxedSimd: false });
  relaxed = await createWasmBackend({ threads: 2 });
});
after(() => { plain.close(); relaxed.close(); });

let seed = 12345;
const rnd = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 2 ** 32; };

/** a block of `n` random values of type t (16-bit: bit patterns), with optional specials */
function block(be: WasmBackend, t: Src, n: number, specials = false): WasmBlock {
  const vals = Float32Array.from({ length: n }, () => {
    if (specials) {
      const r = rnd();
      if (r < 0.05) return [Infinity, -Infinity, NaN][Math.floor(rnd() * 3)]!;
      if (r < 0.3) return (rnd() - 0.5) * 2 ** -20; // float16 subnormals
      if (r < 0.35) return (rnd() - 0.5) * 1.3e5; // float16 overflow to ±Inf
    }
    return (rnd() - 0.5) * 4;
  });
  if (t === 'float32') return be.fromArray('float32', vals);
  const enc = t === 'bfloat16' ? toBfloat16Bits : toFloat16Bits;
  const b = be.alloc(t, n);
  (be.read(b, t, n) as Uint16Array).set(Uint16Array.from(vals, enc));
  return b;
}

/** the float32 copy of a whole block (the half.ts kernels, exact) */
const widened = (be: WasmBackend, t: Src, b: WasmBlock, n: number): WasmBlock =>
  t === 'float32' ? b : be.widenHalf!(t, b, 0, n)!;

type Layout = 'k-contiguous' | 'adjacent' | 'strided';
/** a [batch, rows, cols] view whose contraction dim is k (A: cols, B: rows) laid out as `layout` */
function view(data: WasmBlock, dtype: Src, batch: number, rows: number, cols: number, kIsCols: boolean, layout: Layout,
  offset: number, broadcast: boolean): { v: View<WasmBlock>; n: number } {
  const K = kIsCols ? cols : rows, O = kIsCols ? rows : cols; // O: the other (output) dim
  // strides of [o, k] in elements
  let so: number, sk: number, per: number;
  if (layout === 'k-contiguous') { so = K; sk = 1; per = O * K; }
  else if (layout === 'adjacent') { so = 1; sk = O; per = O * K; }
  else { so = 3 * K + 1; sk = 2; per = O * (3 * K + 1); }
  const sb = broadcast ? 0 : per;
  const strides = kIsCols ? [sb, so, sk] : [sb, sk, so];
  return { v: { data, dtype, shape: [batch, rows, cols], strides, offset }, n: offset + (broadcast ? 1 : batch) * per };
}

interface Case { batch: number; M: number; N: number; K: number; la: Layout; lb: Layout; ta: Src; tb: Src; bcastB?: boolean; specials?: boolean }
const cases: Case[] = [];
const layouts: Layout[] = ['k-contiguous', 'adjacent', 'strided'];
for (const ta of ['bfloat16', 'float16'] as const) {
  for (const la of layouts) for (const lb of layouts) cases.push({ batch: 1, M: 13, N: 19, K: 23, la, lb, ta, tb: ta });
  cases.push({ batch: 1, M: 130, N: 150, K: 300, la: 'k-contiguous', lb: 'adjacent', ta, tb: ta }); // several k-blocks, M > MC
  cases.push({ batch: 1, M: 256, N: 96, K: 260, la: 'k-contiguous', lb: 'k-contiguous', ta, tb: ta }); // split across threads
  cases.push({ batch: 3, M: 9, N: 33, K: 17, la: 'adjacent', lb: 'k-contiguous', ta, tb: ta, bcastB: true });
  cases.push({ batch: 1, M: 21, N: 17, K: 31, la: 'k-contiguous', lb: 'adjacent', ta, tb: ta, specials: true });
  cases.push({ batch: 1, M: 21, N: 17, K: 31, la: 'strided', lb: 'k-contiguous', ta, tb: 'float32' });
  cases.push({ batch: 1, M: 21, N: 17, K: 31, la: 'adjacent', lb: 'strided', ta: 'float32', tb: ta });
}
cases.push({ batch: 2, M: 11, N: 27, K: 40, la: 'k-contiguous', lb: 'adjacent', ta: 'bfloat16', tb: 'float16' });

for (const [variant, get] of [['plain', () => plain], ['relaxed', () => relaxed]] as const) {
  test(`matmulHalf (${variant} SIMD): 16-bit operands packed directly = float32 GEMM on the widened operands, bit for bit`, () => {
    const be = get();
    for (const c of cases) {
      const offA = 3, offB = 5;
      const A = view(null as unknown as WasmBlock, c.ta, c.batch, c.M, c.K, true, c.la, offA, false);
      const B = view(null as unknown as WasmBlock, c.tb, c.batch, c.K, c.N, false, c.lb, offB, c.bcastB ?? false);
      const a = block(be, c.ta, A.n, c.specials), b = block(be, c.tb, B.n, c.specials);
      const aw = widened(be, c.ta, a, A.n), bw = widened(be, c.tb, b, B.n);
      const got = be.matmulHalf!({ ...A.v, data: a }, { ...B.v, data: b })!;
      const want = be.matmul({ ...A.v, data: aw, dtype: 'float32' }, { ...B.v, data: bw, dtype: 'float32' }, 'float32');
      const n = c.batch * c.M * c.N;
      const g = new Uint32Array((be.read(got, 'float32', n) as Float32Array).slice().buffer);
      const w = new Uint32Array((be.read(want, 'float32', n) as Float32Array).slice().buffer);
      let nonFinite = 0;
      for (let i = 0; i < n; i++) {
        if ((w[i]! & 0x7f800000) === 0x7f800000) nonFinite++;
        if (g[i] !== w[i]) assert.fail(`${JSON.stringify(c)}: element ${i} has bits 0x${g[i]!.toString(16)}, want 0x${w[i]!.toString(16)}`);
      }
      if (c.specials) assert.ok(nonFinite > 0 && nonFinite < n, 'the specials case has both finite and Inf/NaN results');
      for (const x of new Set([a, b, aw, bw, got, want])) be.dispose(x);
    }
  });
}

test('matmulHalf refuses other dtypes (null): the half layer then widens', () => {
  const a = relaxed.alloc('float64', 4), b = relaxed.alloc('float32', 4);
  const v = (data: WasmBlock, dtype: 'float64' | 'float32'): View<WasmBlock> => ({ data, dtype, shape: [1, 2, 2], strides: [4, 2, 1], offset: 0 });
  assert.equal(relaxed.matmulHalf!(v(a, 'float64'), v(b, 'float32')), null);
});

test('half layer: a bfloat16/float16 matmul reads the 16-bit blocks directly and rounds like widen-matmul-narrow', () => {
  const inner = relaxed;
  const w = withHalfPrecision(inner);
  let direct = 0, widens = 0;
  const spy: WasmBackend = Object.create(inner);
  spy.matmulHalf = (a, b) => { direct++; return inner.matmulHalf!(a, b); };
  spy.widenHalf = (dt, s, lo, n) => { widens++; return inner.widenHalf!(dt, s, lo, n); };
  const ws = withHalfPrecision(spy);
  for (const dt of ['bfloat16', 'float16'] as const) {
    const [M, K, N] = [37, 70, 45];
    const a = block(inner, dt, M * K), b = block(inner, dt, K * N);
    const va: View<WasmBlock> = { data: a, dtype: dt, shape: [1, M, K], strides: [0, K, 1], offset: 0 };
    const vb: View<WasmBlock> = { data: b, dtype: dt, shape: [1, K, N], strides: [0, 1, K], offset: 0 }; // transposed
    const got = ws.matmul(va, vb, dt);
    // reference: widen both (exact), float32 GEMM, round to the 16-bit dtype
    const aw = inner.widenHalf!(dt, a, 0, M * K)!, bw = inner.widenHalf!(dt, b, 0, K * N)!;
    const prod = inner.matmul({ ...va, data: aw, dtype: 'float32' }, { ...vb, data: bw, dtype: 'float32' }, 'float32');
    const want = inner.narrowHalf!(dt, prod, M * N)!;
    assert.deepEqual(inner.read(got, dt, M * N), inner.read(want, dt, M * N), `${dt} matmul`);
    for (const x of [a, b, aw, bw, prod, want, got]) inner.dispose(x);
  }
  assert.equal(direct, 2, 'both matmuls took the direct path');
  assert.equal(widens, 0, 'no operand was widened into a float32 copy');
  assert.ok(w !== inner);
});
