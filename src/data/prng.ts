/**
 * A small seeded PRNG for data pipelines (splits, shuffles), kept apart from the tensor core's generator so
 * a dataset split never shifts when model code draws more or fewer random numbers.
 * It is the core's xoshiro128** Generator (a separate instance) with the integer draws splits need.
 */
import { Generator } from '../random.js';

export class SeededRandom extends Generator {
  /** Any finite number seeds it; the same seed always gives the same stream. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`SeededRandom: seed must be a finite number, got ${seed}`);
    super(seed);
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
