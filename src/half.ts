/**
 * 16-bit floating formats, as bit patterns in a Uint16Array:
 *   bfloat16: 1 sign, 8 exponent, 7 mantissa bits — the upper half of a float32 (same range, 8 bits of precision)
 *   float16 (IEEE binary16): 1 sign, 5 exponent (bias 15), 10 mantissa bits; max 65504, subnormals down to 2^-24
 * Encoding starts from the float32 value (arithmetic on these dtypes computes in float32 and rounds the result,
 * as PyTorch does on CPU) and rounds to nearest, ties to even. NaN encodes as the quiet NaN 0x7FC0 (bfloat16, as
 * PyTorch's c10::BFloat16) / 0x7E00 (float16), sign kept for float16 as IEEE conversion does; overflow gives ±Inf.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits → bfloat16 bits, round to nearest even (x is first rounded to float32). */
export function toBfloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  // add 0x7FFF plus the lowest kept bit: carries into bit 16 exactly when the dropped half exceeds a tie, or ties
  // with an odd kept part; a carry out of the mantissa bumps the exponent (up to Inf), which is correct rounding
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBfloat16Bits(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** float32 → IEEE half bits, round to nearest even (x is first rounded to float32). */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00);
  // unbiased exponent e = exp − 127; half keeps e ∈ [−14, 15] normal, below that subnormal (step 2^−24)
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // normal: keep 10 of 23 mantissa bits; round on the 13 dropped ones
    const rest = mant & 0x1fff;
    let h = ((e + 15) << 10) | (mant >>> 13);
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent, up to 0x7C00 = Inf
    return sign | h;
  }
  if (e < -25) return sign; // below half the smallest subnormal (2^-25): rounds to ±0
  // subnormal: value = 1.mant × 2^e = m × 2^−24 with m = (2^23 + mant) >> (−e − 1) ... shift by s = −14 − e + 13
  mant |= 0x800000;
  const s = -e - 1; // 14..24: bits to drop so that the unit is 2^−24
  const kept = mant >>> s;
  const dropped = mant & ((1 << s) - 1);
  const half = 1 << (s - 1);
  let h = kept;
  if (dropped > half || (dropped === half && (h & 1))) h++; // may become the smallest normal 0x0400: correct
  return sign | h;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

export type HalfDType = 'bfloat16' | 'float16';

export function isHalf(d: string): d is HalfDType {
  return d === 'bfloat16' || d === 'float16';
}

/** Decode n bit patterns into a new Float32Array. */
export function decodeHalf(dtype: HalfDType, bits: ArrayLike<number>, n = bits.length): Float32Array {
  const out = new Float32Array(n);
  if (dtype === 'bfloat16') {
    const o32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) o32[i] = (bits[i]! & 0xffff) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = fromFloat16Bits(bits[i]!);
  }
  return out;
}

/** Encode values (rounded to float32 first) into `into` (or a new Uint16Array). */
export function encodeHalf(dtype: HalfDType, values: ArrayLike<number>, into?: Uint16Array): Uint16Array {
  const out = into ?? new Uint16Array(values.length);
  const enc = dtype === 'bfloat16' ? toBfloat16Bits : toFloat16Bits;
  for (let i = 0; i < values.length; i++) out[i] = enc(values[i]!);
  return out;
}
