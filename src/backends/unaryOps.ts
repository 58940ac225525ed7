/** The unary element-wise ops: their reference kernels and WGSL expressions (UNARY_OPS below). */
import { SQRT1_2, SQRT_2_OVER_PI, erf, sigmoid, softplus } from './scalarMath.js';

type Fn1 = (x: number) => number;
interface UnaryDef {
  ref: (p: readonly number[]) => Fn1;
  wgsl: string;
}

/**
 * The unary element-wise ops, one entry each: this table DEFINES the set of unary ops (backend.ts derives
 * `UnaryOp` from its keys), so a new op's kernel is one entry here, in the two languages the backends compute in:
 *  - `ref`: the reference, a scalar function of x in double precision given the op's params (the ts backend's
 *    kernel, the wasm backend's fallback, and what every faster kernel is tested against);
 *  - `wgsl`: the same as a WGSL expression of x (f32), with the params as p0, p1 (the WebGPU backend's kernel;
 *    helper functions such as erff, logf, softplusf are in webgpu/mathWgsl.ts).
 * Params: leakyRelu [slope]; clamp [min, max] (±Infinity when absent); powScalar [exponent];
 * step [threshold] (the derivative mask of relu-like ops).
 */
export const UNARY_OPS = {
  neg: { ref: () => (x) => -x, wgsl: '-x' },
  exp: { ref: () => Math.exp, wgsl: 'exp(x)' },
  log: { ref: () => Math.log, wgsl: 'logf(x)' },
  sqrt: { ref: () => Math.sqrt, wgsl: 'sqrtf(x)' },
  rsqrt: { ref: () => (x) => 1 / Math.sqrt(x), wgsl: 'select(1.0 / sqrt(x), nanf(), x < 0.0)' },
  abs: { ref: () => Math.abs, wgsl: 'abs(x)' },
  sign: { ref: () => (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN), wgsl: 'signf(x)' },
  tanh: { ref: () => Math.tanh, wgsl: 'tanhf(x)' },
  sigmoid: { ref: () => sigmoid, wgsl: 'sigmoidf(x)' },
  relu: { ref: () => (x) => (x > 0 ? x : x === x ? 0 : NaN), wgsl: 'select(select(0.0, x, isnanf(x)), x, x > 0.0)' },
  erf: { ref: () => erf, wgsl: 'erff(x)' },
  log1p: { ref: () => Math.log1p, wgsl: 'log1pf(x)' },
  expm1: { ref: () => Math.expm1, wgsl: 'expm1f(x)' },
  sin: { ref: () => Math.sin, wgsl: 'sinf(x)' },
  cos: { ref: () => Math.cos, wgsl: 'cosf(x)' },
  reciprocal: { ref: () => (x) => 1 / x, wgsl: '1.0 / x' },
  square: { ref: () => (x) => x * x, wgsl: 'x * x' },
  softplus: { ref: () => softplus, wgsl: 'softplusf(x)' },
  floor: { ref: () => Math.floor, wgsl: 'floor(x)' },
  ceil: { ref: () => Math.ceil, wgsl: 'ceil(x)' },
  round: {
    wgsl: 'round(x)',
    ref: () => (x) => {
      // round half to even, as PyTorch and NumPy do
      const r = Math.round(x);
      return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    },
  },
  logicalNot: { ref: () => (x) => (x === 0 ? 1 : 0), wgsl: 'b2f(x == 0.0)' },
  isnan: { ref: () => (x) => (x !== x ? 1 : 0), wgsl: 'b2f(isnanf(x))' },
  gelu: { ref: () => (x) => 0.5 * x * (1 + erf(x * SQRT1_2)), wgsl: '0.5 * x * (1.0 + erff(x * 0.7071067811865476))' },
  geluTanh: { ref: () => (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))), wgsl: '0.5 * x * (1.0 + tanhf(0.7978845608028654 * (x + 0.044715 * x * x * x)))' },
  silu: { ref: () => (x) => x * sigmoid(x), wgsl: 'x * sigmoidf(x)' },
  leakyRelu: {
    wgsl: 'select(x * p0, x, x > 0.0)',
    ref: (p) => {
      const slope = p[0] ?? 0.01;
      return (x) => (x > 0 ? x : x * slope);
    },
  },
  clamp: {
    wgsl: 'select(select(x, p1, x > p1), p0, x < p0)',
    ref: (p) => {
      const lo = p[0] ?? -Infinity, hi = p[1] ?? Infinity;
      return (x) => (x < lo ? lo : x > hi ? hi : x);
    },
  },
  powScalar: {
    wgsl: 'powf(x, p0)',
    ref: (p) => {
      const e = p[0]!;
      if (e === 2) return (x) => x * x;
      if (e === 0.5) return Math.sqrt;
      if (e === 1) return (x) => x;
      return (x) => Math.pow(x, e);
    },
  },
  step: {
    wgsl: 'b2f(x > p0)',
    ref: (p) => {
      // 1 where x > threshold (p[0], default 0), else 0: the derivative mask of relu-like ops
      const t = p[0] ?? 0;
      return (x) => (x > t ? 1 : 0);
    },
  },
} satisfies Record<string, UnaryDef>;
