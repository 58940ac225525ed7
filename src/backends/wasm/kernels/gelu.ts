/**
 * The exact (erf) GELU's derivative and erf itself in WebAssembly SIMD, float32, contiguous data:
 *
 *   gelu_bwd(x, g, dst, n): dst = g·(Φ(x) + x·φ(x))        (∂/∂x of x·Φ(x), Φ(x) = erfc(−x/√2)/2, φ = Φ')
 *   erf_f32(x, dst, n):     dst = erf(x)
 *
 * for i < n − n mod 4 (the host finishes the ≤ 3-element tail with the reference functions).
 *
 * Both share the erfc core of the forward GELU kernel (kernels/unary.ts): erfc(z) = e^{−z²}·t·H(t),
 * t = 1/(1 + 0.4z), H of degree 7 (relative error 1.6e-7 on [0, 6], 2.4e-5 at z = 9.33).
 *  - GELU': z = |x|/√2 and E = e^{−x²/2}; erfc(z) = E·t·H(t), Φ = x > 0 ? 1 − erfc/2 : erfc/2, φ = E/√(2π).
 *    One exp serves both terms. E is taken as 0 where x²/2 > 87 (|x| > 13.19: φ < 4e-39, and Φ is 0 or 1),
 *    which also makes ±Inf give the limits 1 and 0 instead of Inf·0. No cancellation: for x < 0 the two
 *    terms have opposite signs but |x·φ| ≥ 3Φ once x < −1.5 (Φ ~ φ/|x|), and near the zero of GELU'
 *    (x ≈ −0.7518) the error is absolute, as in PyTorch's cdf + x·pdf. Beyond z = 6 (x < −8.49) erfc's
 *    extrapolation error (≤ 2.4e-5 relative) reaches GELU' divided by x² ≥ 72.
 *    Accuracy against float64 (measured in test/gelu_kernel.test.ts): |Δ| ≤ 2e-6·|ref| + 3e-7·|g|; the
 *    relative part is the rounding of the float32 exp argument −x²/2 (|x²/2|·6e-8), as in PyTorch's float32.
 *  - erf: |x| < 1: x·P(x²), P of degree 5 fitted to erf(x)/x on [0, 1] (relative error 1.6e-7 evaluated in
 *    float32); |x| ≥ 1: sign(x)·(1 − erfc(|x|)) with |x| clamped to 4 (erfc(4) = 1.5e-8 rounds 1 − erfc to 1),
 *    erfc ≤ 0.16 there so the subtraction does not cancel. Both forms are computed and one selected per lane.
 * NaN propagates in both (through t); ±0 keep their sign in erf.
 * The loops run four vectors per iteration with their statements interleaved (each vector is one long
 * dependency chain), then one vector at a time.
 */
import type { FuncDef } from '../emitter.js';
import { type Code, forRange, get, i32, set } from '../asm.js';
import { type KernelContext, add, constLocals, mul, sub } from './context.js';
import { defineJob, type KernelSpec, warmRun } from './spec.js';
import { elemRange, elementChunks } from './split.js';
import { expCore, horner, interleave, renamed, unaryLocalNames, V } from './simdMath.js';
import { ERFC_H, ERFC_P } from './unary.js';
import type { View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { addr, av, contiguous, out } from '../host/runtime.js';


/** erf(x)/x ≈ P(x²) on |x| < 1 (least squares at Chebyshev nodes, coefficients rounded to float32 one at a time) */
const ERF_P = [1.1283791065216064, -0.3761230707168579, 0.11280123144388199, -0.02671084553003311, 0.004917722195386887,
  -0.0005633862456306815];
const SIGN = -0x80000000;
/** the largest −x²/2 the fast exp core takes without clamping */
const EXP_MIN = -87;

/** dst[i + 16·c] = the result in local `s` of copy c, followed by `then` (which may use it from the stack) */
const store = (c: number, then: Code): Code => [get('dst'), get('i'), ['i32.add'], ...renamed([get('s')], c), ...then, ['v128.store', 16 * c]];

/** GELU'(x)·g for local `x`; g is read from memory at gp + i (+16·copy); result on the stack */
function geluBwdCode(ctx: KernelContext, c: number): Code {
  const { vk, abs, fma } = ctx;
  const x = get('x');
  return renamed([
    // t = 1/(1 + P·z), z = |x|/√2
    ...fma([x, ...abs()], vk(ERFC_P * Math.SQRT1_2), vk(1)), set('t'), ...vk(1), get('t'), ['f32x4.div'], set('t'),
    // a = −x²/2 (−Inf at ±Inf, NaN at NaN); mk = a ≥ −87
    x, x, mul(), ...vk(-0.5), mul(), set('a'),
    get('a'), ...vk(EXP_MIN), ['f32x4.ge'], set('mk'),
    get('a'), ...vk(EXP_MIN), ['f32x4.pmax'], set('a'),
    // E = e^{−x²/2}, 0 where masked
    ...expCore(ctx, 'a'), get('mk'), ['v128.and'], set('a'),
    // h = erfc(z)/2 = E·t·H(t)/2
    ...horner(ctx, 't', ERFC_H), get('t'), mul(), get('a'), mul(), ...vk(0.5), mul(), set('u'),
    // Φ = x > 0 ? 1 − h : h
    ...vk(1), get('u'), sub(), get('u'), x, ...vk(0), ['f32x4.gt'], ['v128.bitselect'], set('s'),
    // GELU' = Φ + (x·E/√(2π) masked: ±Inf·0)
    x, get('a'), mul(), ...vk(1 / Math.sqrt(2 * Math.PI)), mul(), get('mk'), ['v128.and'], get('s'), add(), set('s'),
  ], c).concat(store(c, [get('gp'), get('i'), ['i32.add'], ['v128.load', 16 * c], mul()]));
}

/** erf(x) for local `x`, stored at dst + i (+16·copy) */
function erfCode(ctx: KernelContext, c: number): Code {
  const { vk, kc, abs, negate, fma } = ctx;
  const x = get('x');
  return renamed([
    // small form: x·P(x²)
    x, x, mul(), set('a'),
    ...horner(ctx, 'a', ERF_P), x, mul(), set('s'),
    // large form: z = min(|x|, 4) (NaN stays NaN), t = 1/(1 + P·z), 1 − e^{−z²}·t·H(t) with x's sign
    x, ...abs(), ...vk(4), ['f32x4.pmin'], set('u'),
    ...fma([get('u')], vk(ERFC_P), vk(1)), set('t'), ...vk(1), get('t'), ['f32x4.div'], set('t'),
    get('u'), get('u'), mul(), ...negate(), set('a'),
    ...expCore(ctx, 'a'), set('a'),
    ...vk(1), ...horner(ctx, 't', ERFC_H), get('t'), mul(), get('a'), mul(), sub(),
    x, ...kc([SIGN, SIGN, SIGN, SIGN]), ['v128.and'], ['v128.or'], set('u'),
    // |x| < 1: small form
    get('s'), get('u'), x, ...abs(), ...vk(1), ['f32x4.lt'], ['v128.bitselect'], set('s'),
  ], c).concat(store(c, []));
}

const UNROLL = 4;

/** a loop over [0, n − n mod 4) floats of src: UNROLL interleaved vectors per iteration, then single vectors */
function loopFunc(ctx: KernelContext, name: string, extra: [string, 'i32'][], code: (ctx: KernelContext, c: number) => Code): FuncDef {
  const group = (U: number): Code => {
    const cs = [...Array(U).keys()];
    const loads = cs.flatMap((c): Code => [get('src'), get('i'), ['i32.add'], ['v128.load', 16 * c], set(c ? `x_${c}` : 'x')]);
    return [...loads, ...interleave(cs.map((c) => code(ctx, c)))];
  };
  const loops: Code = [
    get('n'), get('n'), i32(16 * UNROLL), ['i32.rem_u'], ['i32.sub'], set('nu'),
    ...forRange('i', [i32(0)], [get('nu')], 16 * UNROLL, group(UNROLL)),
    ...forRange('i', [get('nu')], [get('n')], 16, group(1)),
  ];
  const locals: [string, typeof V | 'i32'][] = [['i', 'i32'], ['nu', 'i32']];
  for (let c = 0; c < UNROLL; c++) for (const l of unaryLocalNames) locals.push([c ? `${l}_${c}` : l, V]);
  const k = constLocals(loops);
  return {
    name,
    params: [['src', 'i32'], ...extra, ['dst', 'i32'], ['n', 'i32']],
    locals: [...locals, ...k.locals],
    body: [get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('n'), ...k.init, ...loops],
  };
}

export const geluBwdFunc = (ctx: KernelContext): FuncDef => loopFunc(ctx, 'gelu_bwd', [['gp', 'i32']], geluBwdCode);
export const erfFunc = (ctx: KernelContext): FuncDef => loopFunc(ctx, 'erf_f32', [], erfCode);

/** gelu_bwd (op 0: x, g → dst) or erf_f32 (op 1: x → dst; g unused) over [0, n − n mod 4), split by elements */
export const geluJob = defineJob({
  name: 'gelu',
  fields: ['op', 'x', 'g', 'dst', 'n'],
  chunks: (p, threads) => elementChunks(p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    if (hi <= lo) return;
    if (p.op === 0) ex.gelu_bwd!(p.x + 4 * lo, p.g + 4 * lo, p.dst + 4 * lo, hi - lo);
    else ex.erf_f32!(p.x + 4 * lo, p.dst + 4 * lo, hi - lo);
  },
});

const flat = (v: View<WasmBlock>, data: WasmBlock, offset: number, n: number): View<WasmBlock> =>
  ({ data, dtype: v.dtype, shape: [n], strides: [1], offset });

export const geluSpec: KernelSpec = {
  name: 'gelu',
  fused: {
    /**
     * Backend.geluBackward for float32 x and g: gelu_bwd split across the pool (a strided operand is copied
     * contiguous first, O(n)); the ≤ 3 trailing elements the vector loops leave are finished by the reference.
     */
    geluBackward({ rt, backend }, x, g) {
      const n = K.numel(x.shape);
      if (x.dtype !== 'float32' || g.dtype !== 'float32' || n === 0) return null;
      const dx = out(rt, x.dtype, n);
      const tmp: WasmBlock[] = [];
      const dense = (v: View<WasmBlock>): View<WasmBlock> => {
        if (contiguous(v)) return flat(v, v.data, v.offset, n);
        const b = backend.copy(v, v.dtype);
        tmp.push(b);
        return flat(v, b, 0, n);
      };
      const xc = dense(x), gc = dense(g);
      rt.run(geluJob, { op: 0, x: addr(xc), g: addr(gc), dst: dx.ptr, n });
      const tail = n & 3;
      if (tail) {
        const o = new Float32Array(rt.memory.buffer, dx.ptr + 4 * (n - tail), tail);
        K.geluBackward(o, av(rt, { ...xc, shape: [tail], offset: xc.offset + n - tail }), av(rt, { ...gc, shape: [tail], offset: gc.offset + n - tail }));
      }
      for (const b of tmp) rt.release(b);
      return dx;
    },
  },
  emit: (ctx) => [geluBwdFunc(ctx), erfFunc(ctx)],
  jobs: [geluJob],
  warmJobs: ({ a, b, o, n }) => [warmRun(geluJob, { op: 0, x: a, g: b, dst: o, n }), warmRun(geluJob, { op: 1, x: a, g: 0, dst: o, n })],
};
