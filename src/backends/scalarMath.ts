/**
 * Scalar functions in double precision that the reference kernels and the unary-op table share: erf (accurate to
 * ~1e-15), the normal CDF Φ with relative accuracy in its lower tail, softplus and sigmoid without overflow.
 */
export function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is only 1e-7 accurate; use a series/continued-fraction pair accurate to ~1e-15
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else if (ax < 6) {
    r = 1 - erfcLarge(ax);
  } else {
    r = ax === ax ? 1 : NaN;
  }
  return x < 0 ? -r : r;
}

/**
 * erfc(x) for x ≥ 2.5 via Lentz's continued fraction, with full relative accuracy in the tail:
 * erfc x = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
 */
function erfcLarge(ax: number): number {
  if (ax === Infinity) return 0;
  const tiny = 1e-300;
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d; d = d === 0 ? tiny : d; d = 1 / d;
    c = ax + an / c; c = c === 0 ? tiny : c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
}

/** Φ(x) = erfc(−x/√2)/2, the standard normal CDF, with relative accuracy in the lower tail */
export function normalCdf(x: number): number {
  const z = -x * SQRT1_2;
  if (z < 2.5) return 0.5 * (1 - erf(z));
  return 0.5 * erfcLarge(z);
}

export const SQRT1_2 = Math.SQRT1_2;
export const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
export const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** softplus(x) = log(1 + e^x), evaluated without overflow: max(x,0) + log1p(e^-|x|) */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
export function sigmoid(x: number): number {
  // split by sign so exp never overflows: sigmoid(±1000) is exactly 1 / 0
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
