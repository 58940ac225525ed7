/**
 * The wasm backend's bfloat16 / float16 ↔ float32 kernels (kernels/half.ts: SIMD, 8 lanes a step, a tail, split
 * across the worker pool) against the bit-level reference in half.ts: every one of the 65,536 16-bit patterns
 * widened, and ~1.2 M float32 patterns narrowed — every exponent with mantissas at and around the rounding tie
 * (…7FFF, …8000, …8001 below bfloat16's kept bits; …0FFF, …1000, …1001 below float16's, odd and even kept
 * parts), ±0, float32 subnormals, the float16 subnormal range and its underflow edge (2^-25 and around), the
 * largest finite values (which round to ±Inf), ±Inf and NaNs with payloads and either sign, plus random bits.
 * Lengths cover the tail (n mod 8 ≠ 0), offsets inside a block, and sizes that the pool splits into chunks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend, type WasmBackend } from '../src/backends/wasm/index.js';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../src/half.js';

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
        // float16 keeps the top 10 of the 23 mantissa bits: ties and neighbours in the 13 dropped ones
        for (const low of [0xfff, 0x1000, 0x1001, 0x1fff, 0x800]) {
          for (const k16 of [0, 1, 0x3fe, 0x3ff]) if (kept === 0) out.push(((sign << 31) | (e << 23) | (k16 << 13) | low) >>> 0);
        }
      }
    }
  }
  let s = 0x9e3779b9;
  while (out.length < 1_200_000) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; out.push(s >>> 0); }
  return Uint32Array.from(out);
}

const DT = {
  bfloat16: { from: fromBfloat16Bits, to: toBfloat16Bits, widenBits: (h: number) => (h << 16) >>> 0 },
  // float16 widening is exact too: Inf/NaN keep sign and payload (the mantissa shifted up 13), finite values are
  // the float32 of the same value
  float16: {
    from: fromFloat16Bits, to: toFloat16Bits,
    widenBits: (h: number) => {
      const sign = ((h & 0x8000) << 16) >>> 0;
      if ((h & 0x7c00) === 0x7c00) return (sign | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0;
      const f = new Float32Array([fromFloat16Bits(h)]);
      return new Uint32Array(f.buffer)[0]!;
    },
  },
} as const;

for (const dtype of ['bfloat16', 'float16'] as const) {
  const { from, to, widenBits } = DT[dtype];
  test(`${dtype} widen: all 65,536 patterns, every length tail and a block offset, equal the bit-level reference`, () => {
    const pats = Uint16Array.from({ length: 65536 }, (_, h) => h);
    const block = be.alloc(dtype, 65536 + 5);
    (be.read(block, dtype, 65536 + 5) as Uint16Array).set(pats, 5);
    for (const [lo, n] of [[5, 65536], [5, 1], [6, 7], [9, 8], [13, 9], [21, 4099], [5, 65531]] as const) {
      const w = be.widenHalf!(dtype, block, lo, n)!;
      const got = new Uint32Array((be.read(w, 'float32', n) as Float32Array).slice().buffer);
      for (let i = 0; i < n; i++) {
        const h = pats[lo - 5 + i]!;
        // the value through a JS number (which would quiet a signalling NaN), then the exact bits
        const want = widenBits(h);
        const v = from(h), gv = new Float32Array(got.buffer, 4 * i, 1)[0]!;
        if (!(Number.isNaN(v) ? Number.isNaN(gv) : Object.is(v, gv))) assert.fail(`${dtype} widen element ${i}: pattern 0x${h.toString(16)} is ${gv}, want ${v}`);
        if (got[i] !== want) assert.fail(`${dtype} widen(lo ${lo}, n ${n}) element ${i}: pattern 0x${h.toString(16)} gave bits 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
      }
      be.dispose(w);
    }
    be.dispose(block);
  });

  test(`${dtype} narrow: ~1.2 M float32 patterns (ties, overflow, subnormals, NaNs, random) round as the reference`, () => {
    const bits = narrowInputs();
    const f = new Float32Array(bits.buffer);
    const want = Uint16Array.from(f, to);
    for (const n of [f.length, 1, 7, 8, 9, 100_003]) {
      const block = be.fromArray('float32', f.subarray(0, n));
      const o = be.narrowHalf!(dtype, block, n)!;
      const got = be.read(o, dtype, n) as Uint16Array;
      for (let i = 0; i < n; i++) {
        if (got[i] !== want[i]) assert.fail(`${dtype} narrow(n ${n}) element ${i}: float32 bits 0x${bits[i]!.toString(16)} gave 0x${got[i]!.toString(16)}, want 0x${want[i]!.toString(16)}`);
      }
      be.dispose(block); be.dispose(o);
    }
  });
}

test('float16 narrow: every float16 value and every midpoint between neighbours round trips / ties to even', () => {
  // the 63,488 finite patterns widen and narrow back to themselves; the exact midpoint between two neighbours
  // (representable in float32) goes to the even one, and the float32 just above/below it to the nearer one
  const xs: number[] = [], want: number[] = [];
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  for (let h = 0; h < 0x7c00; h++) {
    for (const s of [0, 0x8000]) {
      const v = fromFloat16Bits(h | s);
      xs.push(v); want.push(h | s);
      // past the largest finite 65504 the next step would be 65536: the midpoint 65520 rounds to Inf
      const mid = h === 0x7bff ? (s ? -65520 : 65520) : (v + fromFloat16Bits((h + 1) | s)) / 2;
      const w = h + 1 === 0x7c00 ? 0x7c00 : (h & 1 ? h + 1 : h);
      xs.push(mid); want.push(w | s);
      f[0] = mid; u[0] = u[0]! + 1; xs.push(f[0]!); want.push((h + 1) | s); // farther from zero
      f[0] = mid; u[0] = u[0]! - 1; xs.push(f[0]!); want.push(h | s);
    }
  }
  const block = be.fromArray('float32', xs);
  const o = be.narrowHalf!('float16', block, xs.length)!;
  const got = be.read(o, 'float16', xs.length) as Uint16Array;
  for (let i = 0; i < xs.length; i++) {
    if (got[i] !== want[i]) assert.fail(`float16 narrow of ${xs[i]} gave 0x${got[i]!.toString(16)}, want 0x${want[i]!.toString(16)}`);
  }
  be.dispose(block); be.dispose(o);
});
