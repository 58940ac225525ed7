/**
 * WGSL bodies of the element-wise maths, matching the reference kernels (src/backends/ts/kernels.ts) to float32
 * accuracy. WGSL's own exp/log/tanh are only loosely specified near 0 and at large |x|, so the functions
 * whose relative accuracy matters there are written out:
 *   expm1: Taylor series (9 terms) for |x| < 0.5, exp(x) − 1 beyond (no cancellation there);
 *   log1p: 2·atanh(s), s = x/(2 + x), as the odd series 2(s + s³/3 + …) for |x| < 0.5, log(1 + x) beyond;
 *   tanh:  −expm1(−2|x|) / (2 + expm1(−2|x|)) with the sign of x (no overflow, accurate near 0);
 *   erf:   Maclaurin series for |x| < 0.5, Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7) beyond;
 *   sin, cos: WGSL allows 2^-11 absolute error; instead x = k·π/2 + r with π/2 split in three parts
 *          (Cody–Waite, exact products for |k| < 2^12), then Cephes' minimax polynomials on |r| ≤ π/4 by quadrant;
 *   pow:   |a|^b = exp2(b·log2|a|), negative a only for integral b (sign from b's parity), else NaN.
 */
import type { BinaryOp, UnaryOp } from '../backend.js';
import { UNARY_OPS } from '../unaryOps.js';

export const MATH_WGSL = /* wgsl */ `
fn expm1f(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    var t = x; var s = x;
    for (var k = 2.0; k < 10.0; k += 1.0) { t = t * x / k; s += t; }
    return s;
  }
  return exp(x) - 1.0;
}
fn log1pf(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    let s = x / (2.0 + x); let s2 = s * s;
    var t = s; var acc = s;
    for (var k = 3.0; k < 24.0; k += 2.0) { t *= s2; acc += t / k; }
    return 2.0 * acc;
  }
  if (x == -1.0) { return -inff(); }
  if (x < -1.0) { return nanf(); }
  return log(1.0 + x);
}
fn logf(x: f32) -> f32 {
  if (x < 0.0) { return nanf(); }
  if (x == 0.0) { return -inff(); }
  return log(x);
}
fn sqrtf(x: f32) -> f32 { if (x < 0.0) { return nanf(); } return sqrt(x); }
fn tanhf(x: f32) -> f32 {
  if (isnanf(x)) { return x; }
  let e = expm1f(-2.0 * abs(x));
  let r = -e / (2.0 + e);
  return select(r, -r, x < 0.0);
}
fn sigmoidf(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn softplusf(x: f32) -> f32 { return max(x, 0.0) + log1pf(exp(-abs(x))); }
fn erff(x: f32) -> f32 {
  let a = abs(x);
  var r: f32;
  if (a < 0.5) {
    let x2 = a * a;
    r = 1.1283791670955126 * a * (1.0 + x2 * (-1.0 / 3.0 + x2 * (0.1 + x2 * (-1.0 / 42.0 + x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0))))));
  } else {
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    r = 1.0 - y * exp(-a * a);
  }
  return select(r, -r, x < 0.0);
}
fn sincosr(x: f32) -> vec3<f32> {
  let k = round(x * 0.63661977236758134);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(k) & 3;
  return vec3<f32>(s, c, f32(q));
}
fn sinf(x: f32) -> f32 {
  if (isnanf(x) || abs(x) == inff()) { return nanf(); }
  let v = sincosr(x); let q = i32(v.z);
  if (q == 0) { return v.x; } if (q == 1) { return v.y; } if (q == 2) { return -v.x; } return -v.y;
}
fn cosf(x: f32) -> f32 {
  if (isnanf(x) || abs(x) == inff()) { return nanf(); }
  let v = sincosr(x); let q = i32(v.z);
  if (q == 0) { return v.y; } if (q == 1) { return -v.x; } if (q == 2) { return -v.y; } return v.x;
}
fn signf(x: f32) -> f32 {
  if (x > 0.0) { return 1.0; }
  if (x < 0.0) { return -1.0; }
  return x;
}
fn powf(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isnanf(a) || isnanf(b)) { return nanf(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  let bi = floor(b) == b;
  if (a < 0.0 && !bi) { return nanf(); }
  if (a == 0.0) {
    if (b < 0.0) { return select(inff(), -inff(), bi && (abs(b) % 2.0) == 1.0 && bitcast<u32>(a) == 0x80000000u); }
    return 0.0;
  }
  let m = exp2(b * log2(abs(a)));
  let odd = bi && (abs(b) % 2.0) == 1.0;
  return select(m, -m, a < 0.0 && odd);
}
fn maximumf(a: f32, b: f32) -> f32 { if (isnanf(a) || isnanf(b)) { return nanf(); } return select(b, a, a > b); }
fn minimumf(a: f32, b: f32) -> f32 { if (isnanf(a) || isnanf(b)) { return nanf(); } return select(b, a, a < b); }
fn b2f(c: bool) -> f32 { return select(0.0, 1.0, c); }
`;

/** WGSL expression of a unary op on `x` (f32); p0, p1 are the op's parameters (f32 expressions). From UNARY_OPS. */
export const UNARY_WGSL = Object.fromEntries(Object.entries(UNARY_OPS).map(([op, d]) => [op, d.wgsl])) as { [K in UnaryOp]: string };

/** default parameters where the op's params are absent (as the reference kernels default them) */
export const UNARY_DEFAULTS: Partial<Record<UnaryOp, [number, number]>> = {
  leakyRelu: [0.01, 0],
  clamp: [-Infinity, Infinity],
  step: [0, 0],
};

/** WGSL expression of a binary op on `a`, `b` (f32) */
export const BINARY_WGSL: { [K in BinaryOp]: string } = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'powf(a, b)',
  maximum: 'maximumf(a, b)',
  minimum: 'minimumf(a, b)',
  eq: 'b2f(a == b)',
  ne: 'b2f(a != b)',
  lt: 'b2f(a < b)',
  le: 'b2f(a <= b)',
  gt: 'b2f(a > b)',
  ge: 'b2f(a >= b)',
  logicalAnd: 'b2f(a != 0.0 && b != 0.0)',
  logicalOr: 'b2f(a != 0.0 || b != 0.0)',
};

/** integer forms, used when both operands and the result are integral (exact beyond 2^24) */
export const BINARY_INT_WGSL: Partial<Record<BinaryOp, string>> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  maximum: 'max(a, b)',
  minimum: 'min(a, b)',
};
