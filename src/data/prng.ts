/**
 * A small seeded PRNG for data pipelines (splits, shuffles), kept apart from the tensor core's generator so
 * a dataset split never shifts when model code draws more or fewer random numbers.
 * Algorithm: xoshiro128** (32-bit state words, period 2^128 − 1), its state filled from the seed by splitmix32.
 */
export class SeededRandom {
  private readonly s = new Uint32Array(4);

  /** Any finite number seeds it; the same seed always gives the same stream. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`SeededRandom: seed must be a finite number, got ${seed}`);
    // fold the high bits in too, so seeds above 2^32 are not aliased onto their low word
    let x = (Math.floor(seed) >>> 0) ^ (Math.floor(seed / 4294967296) >>> 0);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    // splitmix32 output is a bijection of distinct inputs, so the state cannot be all zero
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n), without modulo bias (rejection sampling); n must be an integer in [1, 2^32]. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new RangeError(`SeededRandom.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    // accept only draws below the largest multiple of n that fits in 2^32
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Fisher–Yates shuffle of an array or typed array, in place; returns it for chaining. */
export function shuffleInPlace<A extends { length: number; [i: number]: unknown }>(arr: A, rng: SeededRandom): A {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}
