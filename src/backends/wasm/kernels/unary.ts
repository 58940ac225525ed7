/**
 * float32 unary kernels in WebAssembly SIMD over contiguous data: un_<op>(src, dst, n), and ub_<act>(src, bias,
 * dst, zdst, rows, N) — the activation of x + bias with the bias row added on the fly (Linear's bias + activation).
 * Vector loops cover n rounded down to a multiple of 4; the caller finishes the (≤3-element) tail with the
 * reference scalar functions, which keeps every kernel a straight loop.
 *
 * Transcendentals are polynomial approximations accurate to a few float32 ulps (max relative error measured
 * against the float64 reference: exp 1.2e-7, sigmoid/silu/tanh ≤ 2.4e-7; gelu 1.1e-6 plus an absolute 1.2e-7·|x| on
 * [−3, 0), where 1/2 + x·R cancels as PyTorch's 1 + erf does):
 * exp — fast core for |x| ≤ 87: Cody–Waite reduction, e^r − 1 = r + r²P(r) (degree 6 overall), scale 2^n
 *       built in the exponent bits; vectors holding any |x| > 87, ±Inf or NaN take Cephes expf with the scale
 *       split in two factors (overflow to Inf, accurate denormals);
 * sigmoid, silu — 1/(1 + e^−x) on the fast core; slow vectors use the sign-split form e/(1 + e), so σ(−100)
 *       is the right denormal;
 * tanh — −m/(2 + m), m = e^{−2|x|} − 1 from the same core (relative accuracy near 0, no branch);
 * gelu — groups of vectors with every x ≥ −3: x·Φ(x), Φ(x) = 1/2 + x·P(x²)/Q(x²) (a 5/5 rational on the clamped
 *        x, no exp); other groups: 0.5·x·erfc(−x/√2), erfc(z) = e^{−z²}·t·H(t) with t = 1/(1 + pz) and a
 *        degree-7 H, so the far negative tail keeps full relative accuracy instead of cancelling in 1 + erf;
 * relaxed-SIMD fused multiply-add is used where the runtime validates it (every formula is accurate unfused).
 * The unary loops run four vectors per iteration: each vector is one long dependency chain, and more of them
 * in flight keeps the core busy.
 */
import type { FuncDef, Instr } from '../emitter.js';
import { type Code, forRange, get, i32, inc, set } from '../asm.js';
import { type KernelContext, add, constLocals, mul, sub } from './context.js';
import { defineJob, type KernelSpec, warmRun } from './spec.js';
import { elemRange, elementChunks, rowChunks, share } from './split.js';
import { EXP_FAST, V, expCore, expFull, horner, interleave, renamed, unaryLocalNames } from './simdMath.js';

export type Un = 'exp' | 'sigmoid' | 'silu' | 'tanh' | 'gelu' | 'geluTanh' | 'relu' | 'neg' | 'abs' | 'sqrt' | 'square';
export const SIMD_UNARY: readonly Un[] = ['exp', 'sigmoid', 'silu', 'tanh', 'gelu', 'geluTanh', 'relu', 'neg', 'abs', 'sqrt', 'square'];

/**
 * erfc(z) = e^{−z²}·t·H(t), t = 1/(1 + ERFC_P·z), for 0 ≤ z ≤ 6: H is a degree-7 least-squares fit of
 * erfcx(z)/t in t (relative error 1.6e-7). e^{−z²} does not wait for the division and the polynomial, so
 * the two halves run in parallel. Beyond z = 6 the kernel takes erfc = 0: erfc(6) = 2e-17, below what
 * 1 ± erfc can show and below PyTorch's own float32 GELU tail.
 */
export const ERFC_P = 0.4;
export const ERFC_H = [0.2250572144985199, 0.23508842289447784, 0.1467956304550171, 0.38848116993904114, -0.3404228091239929,
  0.6521828174591064, -0.377872109413147, 0.07068963348865509];
const ERFC_ZMAX = 6;
/**
 * gelu's fast form for x ≥ −GELU_FAST_MIN: Φ(x) = 1/2 + t·P(t²)/Q(t²), t = x clamped to ±GELU_CLAMP (where Φ is 1
 * or 0 in float32), P and Q of degree 5 fitted to (Φ(t) − 1/2)/t on [0, 5.3] (minimax absolute error 4e-9 in
 * float64; coefficients rounded to float32 one at a time with the rest refitted). All coefficients are positive,
 * so Horner's rule does not cancel. Evaluated in float32 the absolute error of Φ is ≤ 2e-7: on [−3, 0) that is an
 * absolute error ≤ 1.2e-7·|x| of gelu (the 1/2 + t·R cancellation, PyTorch's 1 + erf(x/√2) has the same kind),
 * elsewhere relative ≤ 1.1e-6. Below −3 Φ < 1.35e-3 and the erfc form keeps gelu's relative accuracy; those
 * groups are rare on pre-activations (2% of 16-value groups of N(0, 1) data).
 */
const GELU_FAST_MIN = 3;
const GELU_CLAMP = 5.3;
const GELU_P = [0.3989422619342804, 0.032891929149627686, 0.004625252913683653, 0.0001598734233994037,
  6.374647000484401e-06, 2.4078664395688065e-08];
const GELU_Q = [1.0, 0.24911414086818695, 0.028113555163145065, 0.0018340082606300712, 7.119667861843482e-05,
  1.2376576705719344e-06];
const SIGN = -0x80000000;

/**
 * The kernels: `fast` assumes every lane is in the fast exp range (the loop checks |x| ≤ EXP_FAST per vector
 * when `slow` is given and runs `slow` for vectors that are not); kernels without `slow` clamp instead.
 */
interface UnaryKernel {
  fast: Code; slow?: Code;
  /** the fast path's domain: |x| ≤ limit (default EXP_FAST), or x ≥ −limit where `lowerOnly` */
  limit?: number; lowerOnly?: boolean;
}

/**
 * 1/(1 + e) for the value `e` computes. Constants are pushed only after `e`: one pushed before a long
 * expression stays live across it, and V8 then keeps (or spills) it in a register the whole time.
 */
const recip1p = (ctx: KernelContext, e: Code): Code => [...e, ...ctx.vk(1), add(), set('t'), ...ctx.vk(1), get('t'), ['f32x4.div']];

/** f(x) for local `x`, result on the stack */
function unaryKernel(ctx: KernelContext, op: Un): UnaryKernel {
  const { kc, vk, abs, negate, fma, fnma } = ctx;
  const x = get('x');
  /** σ over the whole range, split by sign so e never overflows: x ≥ 0: 1/(1+e), x < 0: e/(1+e), e = e^−|x| */
  const sigmoidFull: Code = [
    x, ...kc([SIGN, SIGN, SIGN, SIGN]), ['v128.or'], set('t'), ...expFull(ctx, 't'), set('u'),
    ...vk(1), ...vk(1), get('u'), add(), ['f32x4.div'], set('s'),
    get('s'), get('u'), get('s'), mul(), x, ...vk(0), ['f32x4.ge'], ['v128.bitselect'],
  ];
  /** 1/(1 + e^−v) for v in local `t` (|v| ≤ EXP_FAST) */
  const sigmoidFast = (v: string): Code => [get(v), ...negate(), set('u'), ...recip1p(ctx, expCore(ctx, 'u'))];
  switch (op) {
    case 'exp': return { fast: expCore(ctx, 'x'), slow: expFull(ctx, 'x') };
    case 'sigmoid': return { fast: sigmoidFast('x'), slow: sigmoidFull };
    case 'silu': return { fast: [x, ...sigmoidFast('x'), mul()], slow: [x, ...sigmoidFull, mul()] };
    case 'geluTanh': return {
      // x·σ(v), v = 2√(2/π)(x + 0.044715x³): the same value as 0.5x(1 + tanh(v/2)) without cancellation.
      // −v is clamped into the fast range; σ is 0 where −v > 87 (true value < 2e-38), so x·σ keeps its sign
      fast: [
        x, x, x, mul(), mul(), ...vk(0.044715), mul(), x, add(), ...vk(-2 * Math.sqrt(2 / Math.PI)), mul(), set('a'),
        get('a'), ...vk(EXP_FAST), ['f32x4.pmin'], ...vk(-EXP_FAST), ['f32x4.pmax'], set('u'),
        ...recip1p(ctx, expCore(ctx, 'u')),
        get('a'), ...vk(EXP_FAST), ['f32x4.le'], ['v128.and'],
        x, mul(),
      ],
    };
    case 'tanh': return {
      // tanh|x| = −m/(2 + m) with m = e^{−2|x|} − 1 (relative accuracy near 0, no cancellation); sign copied back.
      // −2|x| clamps at −87 (tanh is 1 in float32 long before); NaN passes pmax as its first operand
      fast: [
        x, ...abs(), ...vk(-2), mul(), ...vk(-EXP_FAST), ['f32x4.pmax'], set('u'),
        ...expCore(ctx, 'u', true), set('t'),
        // abs: m = +0 at x = ±0 would give −0/2
        get('t'), ...vk(-2), get('t'), sub(), ['f32x4.div'], ...abs(),
        x, ...kc([SIGN, SIGN, SIGN, SIGN]), ['v128.and'], ['v128.or'],
      ],
    };
    case 'gelu': return {
      // x ≥ −GELU_FAST_MIN: Φ = min(1/2 + t·P(t²)/Q(t²), 1), t = x clamped; no exp. The min keeps x·Φ ≤ x so
      // x near the float32 maximum cannot overflow. ±0 give ±0 (x·1/2), +Inf gives Inf
      limit: GELU_FAST_MIN, lowerOnly: true,
      fast: [
        x, ...vk(-GELU_CLAMP), ['f32x4.pmax'], ...vk(GELU_CLAMP), ['f32x4.pmin'], set('t'),
        get('t'), get('t'), mul(), set('a'),
        ...horner(ctx, 'a', GELU_P), set('s'),
        ...horner(ctx, 'a', GELU_Q), set('u'),
        get('s'), get('u'), ['f32x4.div'], set('s'),
        ...fma([get('t')], [get('s')], vk(0.5)), ...vk(1), ['f32x4.pmin'], x, mul(),
      ],
      slow: [
        // t = 1/(1 + P·z), z = |x|/√2
        ...fma([x, ...abs()], vk(ERFC_P * Math.SQRT1_2), vk(1)), set('s'), ...vk(1), get('s'), ['f32x4.div'], set('s'),
        // z² = x²/2 = hi + lo (lo exact where the madd is fused, 0 where it is not): e^{−z²} ≈ e^{−hi}·(1 − lo)
        x, ...vk(0.5), mul(), set('a'),
        get('a'), x, mul(), ...negate(), set('u'),
        ...fma([get('a')], [x], [get('u')]), set('t'),
        // E = 0 where z ≥ 6 (and for NaN)
        get('u'), ...vk(-ERFC_ZMAX * ERFC_ZMAX), ['f32x4.gt'], set('mk'),
        ...expCore(ctx, 'u'), set('u'),
        ...fnma([get('u')], [get('t')], [get('u')]),
        // h = x·E/2 with E = erfc(z) = e^{−z²}·t·H(t), 0 beyond z = 6 and for NaN (so h = x·0: ±0, or NaN for ±Inf/NaN)
        ...horner(ctx, 's', ERFC_H), get('s'), mul(), mul(),
        get('mk'), ['v128.and'], get('a'), mul(), set('t'),
        // x > 0: x − h = x·(1 − E/2) (h masked again so +Inf keeps Inf); x ≤ 0: h (= x/2 at ±0, keeping the sign)
        x, get('t'), get('mk'), ['v128.and'], sub(), get('t'), x, ...vk(0), ['f32x4.gt'], ['v128.bitselect'],
      ],
    };
    case 'relu': return { fast: [x, ...vk(0), ['f32x4.pmax']] }; // pmax(x, +0) = x < 0 ? +0 : x keeps NaN
    case 'neg': return { fast: [x, ...negate()] };
    case 'abs': return { fast: [x, ...abs()] };
    case 'sqrt': return { fast: [x, ['f32x4.sqrt']] };
    case 'square': return { fast: [x, x, mul()] };
  }
}


/** vectors per iteration of the unrolled loop */
const UNROLL = 4;

/**
 * un_<op>(src, dst, n): dst[i] = op(src[i]) for i < n − n mod 4. The main loop runs UNROLL vectors at a
 * time, their statements interleaved; kernels with a slow path take it (per vector) when any lane of the
 * group is outside the fast range. A single-vector loop finishes the rest.
 */
export function unaryFunc(ctx: KernelContext, op: Un, biased = false): FuncDef {
  const { vk, abs } = ctx;
  const group = (U: number): Code => {
    const k = unaryKernel(ctx, op);
    // biased: x = src[i] + bias[i] (i the byte offset within the row), and z = x stored where zdst ≠ 0
    const load = (c: number): Code => [
      get('src'), get('i'), ['i32.add'], ['v128.load', 16 * c],
      ...(biased ? [get('bias'), get('i'), ['i32.add'], ['v128.load', 16 * c], add()] as Code : []),
      set(c ? `x_${c}` : 'x'),
    ];
    const store = (c: number, body: Code): Code => [get('p'), ...renamed(body, c), ['v128.store', 16 * c]];
    const cs = [...Array(U).keys()];
    const storeZ: Code = biased ? [
      get('zdst'), ['if'],
      ...cs.flatMap((c): Code => [get('zdst'), get('i'), ['i32.add'], ...renamed([get('x')], c), ['v128.store', 16 * c]]),
      ['end'],
    ] : [];
    const fast = interleave(cs.map((c) => store(c, k.fast)));
    const body: Code = k.slow === undefined ? fast : [
      ...cs.flatMap((c): Code => [
        ...renamed([get('x')], c),
        ...(k.lowerOnly ? [...vk(-(k.limit ?? EXP_FAST)), ['f32x4.ge'] as Instr] : [...abs(), ...vk(k.limit ?? EXP_FAST), ['f32x4.le'] as Instr]),
        ...(c ? [['v128.and'] as Instr] : []),
      ]),
      ['i32x4.all_true'],
      ['if'], ...fast, ['else'], ...interleave(cs.map((c) => store(c, k.slow!))), ['end'],
    ];
    return [...cs.flatMap(load), ...storeZ, get('dst'), get('i'), ['i32.add'], set('p'), ...body];
  };
  const locals: [string, typeof V | 'i32'][] = [['i', 'i32'], ['p', 'i32'], ['nu', 'i32'], ['r', 'i32']];
  for (let c = 0; c < UNROLL; c++) for (const l of unaryLocalNames) locals.push([c ? `${l}_${c}` : l, V]);
  const rowLoops: Code = [
    // bytes covered by whole groups
    get('n'), get('n'), i32(16 * UNROLL), ['i32.rem_u'], ['i32.sub'], set('nu'),
    ...forRange('i', [i32(0)], [get('nu')], 16 * UNROLL, group(UNROLL)),
    ...forRange('i', [get('nu')], [get('n')], 16, group(1)),
  ];
  const loops: Code = biased ? forRange('r', [i32(0)], [get('rows')], 1, [
    ...rowLoops,
    ...inc('src', 'n'), ...inc('dst', 'n'),
    get('zdst'), ['if'], ...inc('zdst', 'n'), ['end'],
  ]) : rowLoops;
  const k = constLocals(loops);
  return biased ? {
    name: `ub_${op}`,
    params: [['src', 'i32'], ['bias', 'i32'], ['dst', 'i32'], ['zdst', 'i32'], ['rows', 'i32'], ['n', 'i32']],
    locals: [...locals, ...k.locals],
    body: [get('n'), i32(2), ['i32.shl'], set('n'), ...k.init, ...loops],
  } : {
    name: `un_${op}`,
    params: [['src', 'i32'], ['dst', 'i32'], ['n', 'i32']],
    locals: [...locals, ...k.locals],
    body: [get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('n'), ...k.init, ...loops],
  };
}

/** the activations with a biased unary kernel ub_<act>(src, bias, dst, zdst, rows, N): N a multiple of 4 */
export const BIASED_UNARY = ['gelu', 'geluTanh', 'silu', 'sigmoid', 'tanh'] as const;

/** un_<op> over [0, n − n mod 4) split by elements */
export const unaryJob = defineJob({
  name: 'unary',
  fields: ['op', 'src', 'dst', 'n'],
  chunks: (p, threads) => elementChunks(p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    if (hi > lo) ex[`un_${SIMD_UNARY[p.op]}`]!(p.src + 4 * lo, p.dst + 4 * lo, hi - lo);
  },
});

/** ub_<act> (act indexes BIASED_UNARY; zdst 0: z not stored) split by rows of N */
export const biasUnaryJob = defineJob({
  name: 'biasUnary',
  fields: ['act', 'src', 'bias', 'dst', 'zdst', 'rows', 'N'],
  chunks: (p, threads) => rowChunks(p.rows, p.rows * p.N, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = share(p.rows, part, nparts);
    const N = p.N;
    if (hi > lo) ex[`ub_${BIASED_UNARY[p.act]}`]!(p.src + 4 * lo * N, p.bias, p.dst + 4 * lo * N, p.zdst ? p.zdst + 4 * lo * N : 0, hi - lo, N);
  },
});

export const unarySpec: KernelSpec = {
  name: 'unary',
  emit: (ctx) => [...SIMD_UNARY.map((op) => unaryFunc(ctx, op)), ...BIASED_UNARY.map((op) => unaryFunc(ctx, op, true))],
  jobs: [unaryJob, biasUnaryJob],
  warmJobs: ({ a, o, n }) => SIMD_UNARY.map((_, op) => warmRun(unaryJob, { op, src: a, dst: o, n })),
};
