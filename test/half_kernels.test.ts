/**
 * The wasm backend's bfloat16 ↔ float32 kernels (kernels/half.ts: SIMD, 8 lanes a step, a scalar tail, split
 * across the worker pool) against the bit-level reference in half.ts: every one of the 65,536 bfloat16 patterns
 * widened, and ~1.2 M float32 patterns narrowed — every exponent with mantissas at and around the rounding tie
 * (…7FFF, …8000, …8001 below the kept bits, odd and even kept parts), ±0, subnormals, the largest finite values
 * (which round to ±Inf), ±Inf and NaNs with payloads and either sign, plus random bits. Lengths cover the
 * scalar tail (n mod 8 ≠ 0), offsets inside a block, and sizes that the pool splits into several chunks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend, type WasmBackend } from '../src/backends/wasm/index.js';
import { fromBfloat16Bits, toBfloat16Bits } from '../src/half.js';

let be: WasmBackend;
before(async () => { be = await createWasmBackend({ threads: 2 }); });
after(() => be.close());

function narrowInputs(): Uint32Array {
  const out: number[] = [];
  for (let sign = 0; sign < 2; sign++) {
    for (let e = 0; e < 256; e++) {
      for (const kept of [0, 1, 2, 0x3f, 0x7e, 0x7f]) {
        for (const low of [0, 1, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x4000, 0xc000]) {
          out.push(((sign << 31) | (e << 23) | (kept << 16) | low) >>> 0);
        }
      }
    }
  }
  let s = 0x9e3779b9;
  while (out.length < 1_200_000) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; out.push(s >>> 0); }
  return Uint32Array.from(out);
}

test('bf16_widen: all 65,536 patterns, every length tail and a block offset, equal the bit-level reference', () => {
  const pats = Uint16Array.from({ length: 65536 }, (_, h) => h);
  const block = be.alloc('bfloat16', 65536 + 5);
  (be.read(block, 'bfloat16', 65536 + 5) as Uint16Array).set(pats, 5);
  for (const [lo, n] of [[5, 65536], [5, 1], [6, 7], [9, 8], [13, 9], [21, 4099], [5, 65531]] as const) {
    const w = be.widenHalf!('bfloat16', block, lo, n)!;
    const got = new Uint32Array((be.read(w, 'float32', n) as Float32Array).slice().buffer);
    for (let i = 0; i < n; i++) {
      const h = pats[lo - 5 + i]!;
      // widening is exact, NaN payloads included: the float32 bits are the pattern shifted up (the value
      // check below goes through a JS number, which would quiet a signalling NaN)
      const want = (h << 16) >>> 0;
      const v = fromBfloat16Bits(h), gv = new Float32Array(got.buffer, 4 * i, 1)[0]!;
      if (!(Number.isNaN(v) ? Number.isNaN(gv) : Object.is(v, gv))) assert.fail(`bf16_widen element ${i}: pattern 0x${h.toString(16)} is ${gv}, want ${v}`);
      if (got[i] !== want) assert.fail(`bf16_widen(lo ${lo}, n ${n}) element ${i}: pattern 0x${h.toString(16)} gave bits 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
    }
    be.dispose(w);
  }
  be.dispose(block);
});

test('bf16_narrow: ~1.2 M float32 patterns (ties, overflow, subnormals, NaNs, random) round as the reference', () => {
  const bits = narrowInputs();
  const f = new Float32Array(bits.buffer);
  const want = Uint16Array.from(f, toBfloat16Bits);
  for (const n of [f.length, 1, 7, 8, 9, 100_003]) {
    const block = be.fromArray('float32', f.subarray(0, n));
    const o = be.narrowHalf!('bfloat16', block, n)!;
    const got = be.read(o, 'bfloat16', n) as Uint16Array;
    for (let i = 0; i < n; i++) {
      if (got[i] !== want[i]) assert.fail(`bf16_narrow(n ${n}) element ${i}: float32 bits 0x${bits[i]!.toString(16)} gave 0x${got[i]!.toString(16)}, want 0x${want[i]!.toString(16)}`);
    }
    be.dispose(block); be.dispose(o);
  }
});

test('float16 has no wasm kernel: the backend says so (null) and the half layer converts in JavaScript', () => {
  const b = be.alloc('float16', 8);
  assert.equal(be.widenHalf!('float16', b, 0, 8), null);
  assert.equal(be.narrowHalf!('float16', be.alloc('float32', 8), 8), null);
});
