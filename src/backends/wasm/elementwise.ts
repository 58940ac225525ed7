/**
 * float32 element-wise and reduction kernels in WebAssembly SIMD over contiguous data, plus the fused
 * Adam step, row normalisation and row softmax / log-softmax. Vector loops cover n rounded down to a multiple of 4; the caller
 * finishes the (≤3-element) tail with the reference scalar functions, which keeps every kernel a straight loop.
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
import type { FuncDef, Instr } from './emitter.js';
import { type Code, forRange, get, i32, inc, set } from './asm.js';

type Un = 'exp' | 'sigmoid' | 'silu' | 'tanh' | 'gelu' | 'geluTanh' | 'relu' | 'neg' | 'abs' | 'sqrt' | 'square';
export const SIMD_UNARY: readonly Un[] = ['exp', 'sigmoid', 'silu', 'tanh', 'gelu', 'geluTanh', 'relu', 'neg', 'abs', 'sqrt', 'square'];
type Bin = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
export const SIMD_BINARY: readonly Bin[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
const binOp: Record<Bin, string> = {
  add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div', maximum: 'f32x4.max', minimum: 'f32x4.min',
};

/**
 * Vector constants of the unary kernels live in a table in linear memory (at CONST_BASE, written once by
 * the backend): TurboFan (V8 11.x) rematerialises a v128.const inside the loop with three instructions every
 * iteration. Entries are keyed by their bit patterns (a key by value would merge +0 with −0, which made
 * relu return −0 for negative inputs).
 */
export const CONST_BASE = 64;
export const CONST_END = 2048;
const constIndex = new Map<string, number>();
const constBits: number[][] = [];
/** the constant whose four i32 lanes hold `bits` */
function kc(bits: readonly number[]): Code {
  const key = bits.join(',');
  let i = constIndex.get(key);
  if (i === undefined) {
    i = constBits.length;
    if (CONST_BASE + 16 * (i + 1) > CONST_END) throw new Error('wasm kernels: constant table full');
    constIndex.set(key, i);
    constBits.push([...bits]);
  }
  return [get(`k${i}`)];
}
/**
 * Constants are read through locals loaded from the table once, before the loop (`constLocals`): V8 keeps
 * what fits in registers and reloads the rest from its stack, where a load per use inside the loop costs
 * an instruction every time (and the same constant is loaded again at each use).
 */
function constLocals(code: Code): { locals: [string, 'v128'][]; init: Code } {
  const names = [...new Set(code.filter((ins) => ins[0] === 'local.get' && /^k\d+$/.test(ins[1] as string)).map((ins) => ins[1] as string))];
  return {
    locals: names.map((n): [string, 'v128'] => [n, 'v128']),
    init: names.flatMap((n): Code => [i32(0), ['v128.load', CONST_BASE + 16 * Number(n.slice(1))], set(n)]),
  };
}
/** bytes to place at CONST_BASE before any unary kernel runs */
export function constantTable(): Uint8Array {
  return new Uint8Array(new Int32Array(constBits.flat()).buffer);
}
const f32bits = (v: number): number => new Int32Array(new Float32Array([v]).buffer)[0]!;
/** f32x4 constant v in every lane */
const vk = (v: number): Code => { const b = f32bits(v); return kc([b, b, b, b]); };
/** i32x4 constant v in every lane */
const ik = (v: number): Code => kc([v | 0, v | 0, v | 0, v | 0]);

/** |v| of the value on the stack: an and with a constant (V8 builds f32x4.abs's mask anew each time, 3 instructions) */
const abs = (): Code => [...kc([0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff]), ['v128.and']];
/** −v: an xor with the sign bit (f32x4.neg also costs V8 three instructions) */
const negate = (): Code => [...kc([-0x80000000, -0x80000000, -0x80000000, -0x80000000]), ['v128.xor']];
const mul = (): Instr => ['f32x4.mul'];
const add = (): Instr => ['f32x4.add'];
const sub = (): Instr => ['f32x4.sub'];

/**
 * Whether the kernels being generated may use relaxed-SIMD fused multiply-add (set per module by
 * elementwiseFuncs). relaxed_madd is fused where the CPU has FMA and mul+add elsewhere; every formula
 * below is accurate either way.
 */
let relaxed = false;
/** a·b + c */
const fma = (a: Code, b: Code, c: Code): Code =>
  relaxed ? [...a, ...b, ...c, ['f32x4.relaxed_madd']] : [...a, ...b, mul(), ...c, add()];
/** c − a·b */
const fnma = (a: Code, b: Code, c: Code): Code =>
  relaxed ? [...a, ...b, ...c, ['f32x4.relaxed_nmadd']] : [...c, ...a, ...b, mul(), sub()];

/**
 * Polynomial c[0] + c[1]t + ... by Horner's rule: fewest operations. The unrolled loops keep enough vectors in
 * flight to hide its longer dependency chain (measured a few % faster than Estrin for exp and GELU).
 */
function horner(t: string, c: readonly number[]): Code {
  let code = vk(c[c.length - 1]!);
  for (let k = c.length - 2; k >= 0; k--) code = fma([get(t)], code, vk(c[k]!));
  return code;
}

/** Polynomial c[0] + c[1]t + ... in Estrin's scheme (short dependency chains); sets t², t⁴, t⁸ in pw2/pw4/pw8 as needed. */
function poly(t: string, c: readonly number[]): Code {
  const pre: Code = [get(t), get(t), mul(), set('pw2')];
  if (c.length > 4) pre.push(get('pw2'), get('pw2'), mul(), set('pw4'));
  if (c.length > 8) pre.push(get('pw4'), get('pw4'), mul(), set('pw8'));
  const pw = (k: number): Code => [get(k === 1 ? t : `pw${k}`)];
  const est = (lo: number, hi: number): Code => {
    if (hi - lo === 1) return vk(c[lo]!);
    let k = 1;
    while (lo + k * 2 < hi) k *= 2;
    return fma(pw(k), est(lo + k, hi), est(lo, lo + k));
  };
  return [...pre, ...est(0, c.length)];
}

// ---- exp -------------------------------------------------------------------------------------
// 1.5·2^23: adding it rounds to an integer held in the low mantissa bits (replaces nearest + trunc_sat,
// whose NaN/saturation handling costs V8 a dozen instructions)
const MAGIC = 12582912;
/** Cody–Waite split of ln 2: C1 has 9 significant bits, so n·C1 is exact for |n| < 2^15 */
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
/** (e^r − 1 − r)/r² ≈ P(r) on |r| ≤ 0.35 (least-squares fit in float32 coefficients; e^r−1 relative error 2.6e-8) */
const EXPM1_P = [0.5, 0.16666573286056519, 0.041666362434625626, 0.008363769389688969, 0.0013942149234935641];

/**
 * The fast exp core for |x| ≤ 87 (so n = round(x/ln2) ∈ [−126, 126] and 2^n is a normal float):
 * x = n·ln2 + r, e^r − 1 = r + r²P(r), e^x = 2^n + 2^n(e^r − 1); `m1` gives e^x − 1 = 2^n(e^r − 1) + (2^n − 1)
 * instead, accurate to a few ulp relative to itself (2^n − 1 is exact for the n that matter).
 * Clobbers the e_* and pw* locals; result on the stack. Arguments outside the range give garbage: callers
 * check or clamp first.
 */
function expCore(x: string, m1 = false): Code {
  return [
    ...fma([get(x)], vk(Math.LOG2E), vk(MAGIC)), set('e_z'),
    get('e_z'), ...vk(MAGIC), sub(), set('e_n'),
    ...fnma([get('e_n')], vk(LN2_HI), [get(x)]), set('e_r'),
    ...fnma([get('e_n')], vk(LN2_LO), [get('e_r')]), set('e_r'),
    // q = r + r²·P(r) = e^r − 1
    get('e_r'), get('e_r'), mul(), set('pw2'),
    ...horner('e_r', EXPM1_P), set('e_q'),
    ...fma([get('e_q')], [get('pw2')], [get('e_r')]), set('e_q'),
    // 2^n: bits(z) = bits(MAGIC) + n, and bits(MAGIC) << 23 = 0, so (bits(z) << 23) + bits(1.0) = bits(2^n)
    get('e_z'), i32(23), ['i32x4.shl'], ...ik(0x3f800000), ['i32x4.add'], set('e_s'),
    ...fma([get('e_q')], [get('e_s')], m1 ? [get('e_s'), ...vk(1), sub()] : [get('e_s')]),
  ];
}

/**
 * exp over the whole float32 range (the slow path of vectors with some |x| > 87): Cephes expf (Cody–Waite
 * reduction, degree-7 polynomial) with the scale 2^n split in two factors so inputs near ±88 neither
 * overflow early nor flush early (denormal results stay accurate); NaN propagates, ±Inf give Inf / 0.
 */
function expFull(x: string): Code {
  return [
    // clamp with pmin/pmax (one instruction each; NaN passes through as the first operand)
    get(x), ...vk(89), ['f32x4.pmin'], ...vk(-104), ['f32x4.pmax'], set('e_x'),
    get('e_x'), ...vk(Math.LOG2E), mul(), ...vk(MAGIC), add(), set('e_n'),
    get('e_n'), ...vk(MAGIC), sub(), set('e_f'),
    get('e_x'), get('e_f'), ...vk(LN2_HI), mul(), sub(), get('e_f'), ...vk(LN2_LO), mul(), sub(), set('e_r'),
    ...poly('e_r', [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4]),
    get('pw2'), mul(), get('e_r'), add(), ...vk(1), add(), set('e_y'),
    // n as i32 = bits(f + MAGIC) − bits(MAGIC); 2^n = 2^(n>>1) · 2^(n − n>>1), both normal for n in [−150, 128]
    get('e_n'), ...vk(MAGIC), ['i32x4.sub'], set('e_n'),
    get('e_n'), i32(1), ['i32x4.shr_s'], set('e_h'),
    get('e_y'),
    get('e_h'), ...ik(127), ['i32x4.add'], i32(23), ['i32x4.shl'], mul(),
    get('e_n'), get('e_h'), ['i32x4.sub'], ...ik(127), ['i32x4.add'], i32(23), ['i32x4.shl'], mul(),
  ];
}

/** largest |x| the fast exp core takes */
const EXP_FAST = 87;

/**
 * erfc(z) = e^{−z²}·t·H(t), t = 1/(1 + ERFC_P·z), for 0 ≤ z ≤ 6: H is a degree-7 least-squares fit of
 * erfcx(z)/t in t (relative error 1.6e-7). e^{−z²} does not wait for the division and the polynomial, so
 * the two halves run in parallel. Beyond z = 6 the kernel takes erfc = 0: erfc(6) = 2e-17, below what
 * 1 ± erfc can show and below PyTorch's own float32 GELU tail.
 */
const ERFC_P = 0.4;
const ERFC_H = [0.2250572144985199, 0.23508842289447784, 0.1467956304550171, 0.38848116993904114, -0.3404228091239929,
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
const recip1p = (e: Code): Code => [...e, ...vk(1), add(), set('t'), ...vk(1), get('t'), ['f32x4.div']];

/** f(x) for local `x`, result on the stack */
function unaryKernel(op: Un): UnaryKernel {
  const x = get('x');
  /** σ over the whole range, split by sign so e never overflows: x ≥ 0: 1/(1+e), x < 0: e/(1+e), e = e^−|x| */
  const sigmoidFull: Code = [
    x, ...kc([SIGN, SIGN, SIGN, SIGN]), ['v128.or'], set('t'), ...expFull('t'), set('u'),
    ...vk(1), ...vk(1), get('u'), add(), ['f32x4.div'], set('s'),
    get('s'), get('u'), get('s'), mul(), x, ...vk(0), ['f32x4.ge'], ['v128.bitselect'],
  ];
  /** 1/(1 + e^−v) for v in local `t` (|v| ≤ EXP_FAST) */
  const sigmoidFast = (v: string): Code => [get(v), ...negate(), set('u'), ...recip1p(expCore('u'))];
  switch (op) {
    case 'exp': return { fast: expCore('x'), slow: expFull('x') };
    case 'sigmoid': return { fast: sigmoidFast('x'), slow: sigmoidFull };
    case 'silu': return { fast: [x, ...sigmoidFast('x'), mul()], slow: [x, ...sigmoidFull, mul()] };
    case 'geluTanh': return {
      // x·σ(v), v = 2√(2/π)(x + 0.044715x³): the same value as 0.5x(1 + tanh(v/2)) without cancellation.
      // −v is clamped into the fast range; σ is 0 where −v > 87 (true value < 2e-38), so x·σ keeps its sign
      fast: [
        x, x, x, mul(), mul(), ...vk(0.044715), mul(), x, add(), ...vk(-2 * Math.sqrt(2 / Math.PI)), mul(), set('a'),
        get('a'), ...vk(EXP_FAST), ['f32x4.pmin'], ...vk(-EXP_FAST), ['f32x4.pmax'], set('u'),
        ...recip1p(expCore('u')),
        get('a'), ...vk(EXP_FAST), ['f32x4.le'], ['v128.and'],
        x, mul(),
      ],
    };
    case 'tanh': return {
      // tanh|x| = −m/(2 + m) with m = e^{−2|x|} − 1 (relative accuracy near 0, no cancellation); sign copied back.
      // −2|x| clamps at −87 (tanh is 1 in float32 long before); NaN passes pmax as its first operand
      fast: [
        x, ...abs(), ...vk(-2), mul(), ...vk(-EXP_FAST), ['f32x4.pmax'], set('u'),
        ...expCore('u', true), set('t'),
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
        ...horner('a', GELU_P), set('s'),
        ...horner('a', GELU_Q), set('u'),
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
        ...expCore('u'), set('u'),
        ...fnma([get('u')], [get('t')], [get('u')]),
        // h = x·E/2 with E = erfc(z) = e^{−z²}·t·H(t), 0 beyond z = 6 and for NaN (so h = x·0: ±0, or NaN for ±Inf/NaN)
        ...horner('s', ERFC_H), get('s'), mul(), mul(),
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

const V = 'v128' as const;
const unaryLocalNames = ['x', 't', 'u', 'a', 's', 'mk', 'pw2', 'pw4', 'pw8', 'e_x', 'e_f', 'e_r', 'e_y', 'e_n', 'e_h', 'e_z', 'e_q', 'e_s'];

/** net stack effect of the instructions the unary kernels use (for splitting them into statements) */
function stackEffect(ins: Instr): number {
  const op = ins[0];
  if (op === 'local.get' || op === 'i32.const') return 1;
  if (op === 'local.set') return -1;
  if (op === 'v128.store') return -2;
  if (op === 'v128.bitselect' || op === 'f32x4.relaxed_madd' || op === 'f32x4.relaxed_nmadd') return -2;
  if (op === 'v128.load' || op === 'i32x4.all_true' || op === 'v128.not' || op === 'local.tee') return 0;
  if (/^f32x4\.(abs|neg|sqrt)$/.test(op)) return 0;
  if (/^(f32x4|i32x4|v128|i32)\./.test(op)) return -1;
  throw new Error(`wasm kernels: no stack effect for ${op}`);
}

/** the code as statements: runs of instructions that start and end with an empty stack */
function statements(code: Code): Code[] {
  const out: Code[] = [];
  let cur: Code = [], depth = 0;
  for (const ins of code) {
    cur.push(ins);
    depth += stackEffect(ins);
    if (depth === 0) { out.push(cur); cur = []; }
  }
  if (cur.length) throw new Error('wasm kernels: unbalanced kernel code');
  return out;
}

/**
 * The statements of several independent copies of a kernel, round-robin. Each vector's computation is one
 * long dependency chain (~100 cycles for GELU); V8 keeps the wasm order, so without interleaving the
 * core's reorder window holds only two or three vectors and the loop runs latency-bound.
 */
function interleave(copies: Code[]): Code {
  const st = copies.map(statements);
  const out: Code = [];
  for (let j = 0; st.some((s) => j < s.length); j++) for (const s of st) if (j < s.length) out.push(...s[j]!);
  return out;
}

/** copy `k` of kernel code: its locals renamed apart (the loop's i/p/src/dst/n are shared) */
function renamed(code: Code, k: number): Code {
  if (k === 0) return code;
  return code.map((ins): Instr => (ins[0] === 'local.get' || ins[0] === 'local.set' || ins[0] === 'local.tee') &&
    unaryLocalNames.includes(ins[1] as string) ? [ins[0], `${ins[1]}_${k}`] : ins);
}

/** vectors per iteration of the unrolled loop */
const UNROLL = 4;

/**
 * un_<op>(src, dst, n): dst[i] = op(src[i]) for i < n − n mod 4. The main loop runs UNROLL vectors at a
 * time, their statements interleaved; kernels with a slow path take it (per vector) when any lane of the
 * group is outside the fast range. A single-vector loop finishes the rest.
 */
function unaryFunc(op: Un, biased = false): FuncDef {
  const group = (U: number): Code => {
    const k = unaryKernel(op);
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

/**
 * bin_<op>(a, b, dst, n, mode): mode 0 both vectors, 1 b is a scalar, 2 a is a scalar.
 * Unrolled by two vectors: these loops are bandwidth-bound and the unroll halves the loop overhead.
 */
function binaryFunc(op: Bin): FuncDef {
  const loop = (la: Code, lb: Code, ia: number, ib: number): Code => forRange('i', [i32(0)], [get('n8')], 32, [
    ...[0, 16].flatMap((o): Code => [
      get('dst'), get('i'), ['i32.add'],
      ...(ia ? [get('a'), get('i'), ['i32.add'] as Instr, ['v128.load', o] as Instr] : la),
      ...(ib ? [get('b'), get('i'), ['i32.add'] as Instr, ['v128.load', o] as Instr] : lb),
      [binOp[op]],
      ['v128.store', o],
    ]),
  ]);
  const tail = (la: Code, lb: Code, ia: number, ib: number): Code => forRange('i', [get('n8')], [get('n4')], 16, [
    get('dst'), get('i'), ['i32.add'],
    ...(ia ? [get('a'), get('i'), ['i32.add'] as Instr, ['v128.load', 0] as Instr] : la),
    ...(ib ? [get('b'), get('i'), ['i32.add'] as Instr, ['v128.load', 0] as Instr] : lb),
    [binOp[op]],
    ['v128.store', 0],
  ]);
  const sa: Code = [get('sa')], sb: Code = [get('sb')];
  return {
    name: `bin_${op}`,
    params: [['a', 'i32'], ['b', 'i32'], ['dst', 'i32'], ['n', 'i32'], ['mode', 'i32']],
    locals: [['i', 'i32'], ['n4', 'i32'], ['n8', 'i32'], ['sa', V], ['sb', V]],
    body: [
      get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('n4'),
      get('n'), i32(-8), ['i32.and'], i32(2), ['i32.shl'], set('n8'),
      get('a'), ['v128.load32_splat', 0], set('sa'),
      get('b'), ['v128.load32_splat', 0], set('sb'),
      get('mode'), i32(0), ['i32.eq'], ['if'], ...loop([], [], 1, 1), ...tail([], [], 1, 1), ['end'],
      get('mode'), i32(1), ['i32.eq'], ['if'], ...loop([], sb, 1, 0), ...tail([], sb, 1, 0), ['end'],
      get('mode'), i32(2), ['i32.eq'], ['if'], ...loop(sa, [], 0, 1), ...tail(sa, [], 0, 1), ['end'],
    ],
  };
}

/**
 * Sums of at least this many bytes read four streams at once (a quarter of the range each), smaller ones two:
 * more concurrent streams keep more of them in the prefetchers (a 64 MiB sum on one Zen 4 core: 8.5 GB/s
 * from one stream, 12 from two, 14.5 from four), while in cache the four-stream loop is ~10% slower.
 */
const SUM_FOUR_STREAMS = 8 << 20;

/** the sum loop over `streams` equal runs of L bytes (a multiple of 32) from src, src + L, ...; sets `done` = streams·L */
function sumStreams(streams: number): Code {
  return [
    get('n'), i32(32 * streams), ['i32.div_u'], i32(5), ['i32.shl'], set('L'),
    ...[...Array(streams).keys()].slice(1).flatMap((st): Code => [get('src'), get('L'), i32(st), ['i32.mul'], ['i32.add'], set(`s${st}`)]),
    ...forRange('i', [i32(0)], [get('L')], 32, [
      ...[...Array(streams).keys()].flatMap((st) => [0, 8, 16, 24].flatMap((o, k): Code => {
        const acc = `a${(st * 4 + k) % 8}`;
        return [
          get(acc), get(st ? `s${st}` : 'src'), get('i'), ['i32.add'],
          ['v128.load64_splat', o], ['f64x2.promote_low_f32x4'], ['f64x2.add'], set(acc),
        ];
      })),
    ]),
    get('L'), i32(streams), ['i32.mul'], set('done'),
  ];
}

/**
 * sum_f32(src, n) → f64: Σ over the first n − n mod 8 elements, accumulated in f64 lanes like the reference,
 * in eight accumulators; the bulk runs as two or four concurrent streams (sumStreams), the rest as one.
 */
function sumFunc(): FuncDef {
  return {
    name: 'sum_f32',
    params: [['src', 'i32'], ['n', 'i32']],
    result: 'f64',
    locals: [['i', 'i32'], ['L', 'i32'], ['done', 'i32'], ['s1', 'i32'], ['s2', 'i32'], ['s3', 'i32'],
      ['a0', V], ['a1', V], ['a2', V], ['a3', V], ['a4', V], ['a5', V], ['a6', V], ['a7', V]],
    body: [
      get('n'), i32(-8), ['i32.and'], i32(2), ['i32.shl'], set('n'),
      get('n'), i32(SUM_FOUR_STREAMS), ['i32.ge_u'], ['if'], ...sumStreams(4), ['else'], ...sumStreams(2), ['end'],
      ...forRange('i', [get('done')], [get('n')], 32, [
        ...[0, 8, 16, 24].flatMap((o, k): Code => [
          get(`a${k}`), get('src'), get('i'), ['i32.add'], ['v128.load64_splat', o], ['f64x2.promote_low_f32x4'],
          ['f64x2.add'], set(`a${k}`),
        ]),
      ]),
      get('a0'), get('a4'), ['f64x2.add'], get('a1'), get('a5'), ['f64x2.add'], ['f64x2.add'],
      get('a2'), get('a6'), ['f64x2.add'], get('a3'), get('a7'), ['f64x2.add'], ['f64x2.add'], ['f64x2.add'], set('a0'),
      get('a0'), ['f64x2.extract_lane', 0], get('a0'), ['f64x2.extract_lane', 1], ['f64.add'],
    ],
  };
}

/** sum_f32_store(src, n, dst): f64 at dst = sum_f32(src, n) — one thread's partial of a split sum */
function sumStoreFunc(): FuncDef {
  return {
    name: 'sum_f32_store',
    params: [['src', 'i32'], ['n', 'i32'], ['dst', 'i32']],
    locals: [],
    body: [get('dst'), get('src'), get('n'), ['call', 'sum_f32'], ['f64.store', 0]],
  };
}

/** max_f32(src, n) → f32 over the first n − n mod 4 elements (n ≥ 4); NaN propagates as in the reference */
function maxFunc(name: 'max_f32' | 'min_f32'): FuncDef {
  const op = name === 'max_f32' ? 'f32x4.max' : 'f32x4.min';
  return {
    name,
    params: [['src', 'i32'], ['n', 'i32']],
    result: 'f32',
    locals: [['i', 'i32'], ['m', V]],
    body: [
      get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('n'),
      get('src'), ['v128.load', 0], set('m'),
      ...forRange('i', [i32(16)], [get('n')], 16, [get('m'), get('src'), get('i'), ['i32.add'], ['v128.load', 0], [op], set('m')]),
      get('m'), ['f32x4.extract_lane', 0], get('m'), ['f32x4.extract_lane', 1], [name === 'max_f32' ? 'f32.max' : 'f32.min'],
      get('m'), ['f32x4.extract_lane', 2], get('m'), ['f32x4.extract_lane', 3], [name === 'max_f32' ? 'f32.max' : 'f32.min'],
      [name === 'max_f32' ? 'f32.max' : 'f32.min'],
    ],
  };
}

/**
 * sum_cols_f32(src, rows, cols, acc): acc[j] (f64) += Σ_r src[r, j] for j < cols − cols mod 4 — the
 * reduction over leading axes (bias gradients), vertical so every load is a full vector.
 */
function sumColsFunc(): FuncDef {
  return {
    name: 'sum_cols_f32',
    params: [['src', 'i32'], ['rows', 'i32'], ['cols', 'i32'], ['acc', 'i32']],
    locals: [['r', 'i32'], ['j', 'i32'], ['row', 'i32'], ['c4', 'i32'], ['p', 'i32']],
    body: [
      get('cols'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('c4'),
      get('src'), set('row'),
      ...forRange('r', [i32(0)], [get('rows')], 1, [
        ...forRange('j', [i32(0)], [get('c4')], 16, [
          get('acc'), get('j'), i32(1), ['i32.shl'], ['i32.add'], set('p'),
          get('p'), get('p'), ['v128.load', 0], get('row'), get('j'), ['i32.add'], ['v128.load64_splat', 0],
          ['f64x2.promote_low_f32x4'], ['f64x2.add'], ['v128.store', 0],
          get('p'), get('p'), ['v128.load', 16], get('row'), get('j'), ['i32.add'], ['v128.load64_splat', 8],
          ['f64x2.promote_low_f32x4'], ['f64x2.add'], ['v128.store', 16],
        ]),
        get('row'), get('cols'), i32(2), ['i32.shl'], ['i32.add'], set('row'),
      ]),
    ],
  };
}

/**
 * adam_f32(p, g, m, v, x, n, c1, b2, c2, eps, invBc2Sqrt, negStep, l2, shrink, sign): one Adam/AdamW step over
 * the first n − n mod 4 elements, in place (x = 0: no amsgrad buffer). With d = sign·g (+ l2·θ):
 * θ ← θ·shrink; m ← m + (d − m)·c1; v ← v·b2 + d²·c2; [x ← max(x, v); v' = x]; θ ← θ + negStep·m/(√v'·invBc2Sqrt + eps).
 * The optional terms are loop-invariant branches (predicted), so a plain Adam step pays nothing for them.
 */
function adamFunc(): FuncDef {
  const L = (name: string, o = 0): Code => [get(name), get('i'), ['i32.add'], ['v128.load', o]];
  const S = (name: string): Code => [get(name), get('i'), ['i32.add']];
  const sp = (name: string): Code => [get(name), ['f32x4.splat']];
  return {
    name: 'adam_f32',
    params: [['p', 'i32'], ['g', 'i32'], ['m', 'i32'], ['v', 'i32'], ['x', 'i32'], ['n', 'i32'],
      ['c1', 'f32'], ['b2', 'f32'], ['c2', 'f32'], ['eps', 'f32'], ['ibc', 'f32'], ['nstep', 'f32'], ['l2', 'f32'],
      ['shrink', 'f32'], ['sign', 'f32']],
    locals: [['i', 'i32'], ['hasL2', 'i32'], ['hasShrink', 'i32'],
      ...(['C1', 'B2', 'C2', 'EPS', 'IBC', 'NSTEP', 'L2', 'SHRINK', 'SIGN', 'd', 'th', 'mm', 'vv'] as const).map((n): [string, 'v128'] => [n, 'v128'])],
    body: [
      get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('n'),
      get('l2'), ['f32.const', 0], ['f32.ne'], set('hasL2'),
      get('shrink'), ['f32.const', 1], ['f32.ne'], set('hasShrink'),
      ...sp('c1'), set('C1'), ...sp('b2'), set('B2'), ...sp('c2'), set('C2'), ...sp('eps'), set('EPS'),
      ...sp('ibc'), set('IBC'), ...sp('nstep'), set('NSTEP'), ...sp('l2'), set('L2'), ...sp('shrink'), set('SHRINK'),
      ...sp('sign'), set('SIGN'),
      ...forRange('i', [i32(0)], [get('n')], 16, [
        ...L('g'), get('SIGN'), mul(), set('d'),
        ...L('p'), set('th'),
        get('hasL2'), ['if'], ...fma([get('th')], [get('L2')], [get('d')]), set('d'), ['end'],
        get('hasShrink'), ['if'], get('th'), get('SHRINK'), mul(), set('th'), ['end'],
        // m ← m + (d − m)·c1
        ...L('m'), set('mm'),
        ...fma([get('d'), get('mm'), sub()], [get('C1')], [get('mm')]), set('mm'),
        ...S('m'), get('mm'), ['v128.store', 0],
        // v ← v·b2 + d²·c2
        ...fma([get('d'), get('d'), mul()], [get('C2')], [...L('v'), get('B2'), mul()]), set('vv'),
        ...S('v'), get('vv'), ['v128.store', 0],
        get('x'), ['if'],
        ...L('x'), get('vv'), ['f32x4.max'], set('vv'),
        ...S('x'), get('vv'), ['v128.store', 0],
        ['end'],
        // θ ← θ + negStep·m/(√v·invBc2Sqrt + eps)
        ...S('p'),
        ...fma([get('mm'), ...fma([get('vv'), ['f32x4.sqrt']], [get('IBC')], [get('EPS')]), ['f32x4.div']], [get('NSTEP')], [get('th')]),
        ['v128.store', 0],
      ]),
    ],
  };
}

/**
 * norm_rows_f32(src, dst, rstd, rows, cols, eps, rms): layer norm (rms = 0) or RMS norm (rms = 1) of `rows`
 * contiguous rows of `cols` float32: the row sum and the sum of squared deviations accumulate in f64 lanes
 * (two passes, like the reference), then one float32 SIMD pass writes (x − μ)·rstd; rstd[r] gets rstd.
 */
function normRowsFunc(): FuncDef {
  const at = (base: string, o: number): Code => [get(base), get('j'), ['i32.add'], ['v128.load64_splat', o], ['f64x2.promote_low_f32x4']];
  const lanes = (a: string, b: string): Code => [get(a), get(b), ['f64x2.add'], set(a), get(a), ['f64x2.extract_lane', 0], get(a), ['f64x2.extract_lane', 1], ['f64.add']];
  const scalarX: Code = [get('row'), get('j'), ['i32.add'], ['f32.load', 0], ['f64.promote_f32']];
  const zero: Instr = ['v128.const', 0, 0, 0, 0];
  return {
    name: 'norm_rows_f32',
    params: [['src', 'i32'], ['dst', 'i32'], ['rstd', 'i32'], ['rows', 'i32'], ['cols', 'i32'], ['eps', 'f64'], ['rms', 'i32']],
    locals: [['r', 'i32'], ['j', 'i32'], ['c4', 'i32'], ['cb', 'i32'], ['row', 'i32'], ['orow', 'i32'],
      ['s', 'f64'], ['mu', 'f64'], ['rs', 'f64'], ['mu32', 'f32'], ['rs32', 'f32'], ['d', 'f64'],
      ['a0', 'v128'], ['a1', 'v128'], ['m2', 'v128'], ['d0', 'v128'], ['muv', 'v128'], ['rsv', 'v128']],
    body: [
      get('cols'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('c4'),
      get('cols'), i32(2), ['i32.shl'], set('cb'),
      get('src'), set('row'), get('dst'), set('orow'),
      ...forRange('r', [i32(0)], [get('rows')], 1, [
        ['f64.const', 0], set('mu'),
        get('rms'), ['i32.eqz'], ['if'],
        zero, set('a0'), zero, set('a1'),
        ...forRange('j', [i32(0)], [get('c4')], 16, [
          get('a0'), ...at('row', 0), ['f64x2.add'], set('a0'),
          get('a1'), ...at('row', 8), ['f64x2.add'], set('a1'),
        ]),
        ...lanes('a0', 'a1'), set('s'),
        ...forRange('j', [get('c4')], [get('cb')], 4, [get('s'), ...scalarX, ['f64.add'], set('s')]),
        get('s'), get('cols'), ['f64.convert_i32_s'], ['f64.div'], set('mu'),
        ['end'],
        get('mu'), ['f64x2.splat'], set('m2'),
        zero, set('a0'), zero, set('a1'),
        ...forRange('j', [i32(0)], [get('c4')], 16, [
          ...at('row', 0), get('m2'), ['f64x2.sub'], set('d0'), get('a0'), get('d0'), get('d0'), ['f64x2.mul'], ['f64x2.add'], set('a0'),
          ...at('row', 8), get('m2'), ['f64x2.sub'], set('d0'), get('a1'), get('d0'), get('d0'), ['f64x2.mul'], ['f64x2.add'], set('a1'),
        ]),
        ...lanes('a0', 'a1'), set('s'),
        ...forRange('j', [get('c4')], [get('cb')], 4, [...scalarX, get('mu'), ['f64.sub'], set('d'), get('s'), get('d'), get('d'), ['f64.mul'], ['f64.add'], set('s')]),
        ['f64.const', 1], get('s'), get('cols'), ['f64.convert_i32_s'], ['f64.div'], get('eps'), ['f64.add'], ['f64.sqrt'], ['f64.div'], set('rs'),
        get('rstd'), get('r'), i32(2), ['i32.shl'], ['i32.add'], get('rs'), ['f32.demote_f64'], ['f32.store', 0],
        get('mu'), ['f32.demote_f64'], set('mu32'), get('rs'), ['f32.demote_f64'], set('rs32'),
        get('mu32'), ['f32x4.splat'], set('muv'), get('rs32'), ['f32x4.splat'], set('rsv'),
        ...forRange('j', [i32(0)], [get('c4')], 16, [
          get('orow'), get('j'), ['i32.add'],
          get('row'), get('j'), ['i32.add'], ['v128.load', 0], get('muv'), sub(), get('rsv'), mul(),
          ['v128.store', 0],
        ]),
        ...forRange('j', [get('c4')], [get('cb')], 4, [
          get('orow'), get('j'), ['i32.add'],
          get('row'), get('j'), ['i32.add'], ['f32.load', 0], get('mu32'), ['f32.sub'], get('rs32'), ['f32.mul'],
          ['f32.store', 0],
        ]),
        get('row'), get('cb'), ['i32.add'], set('row'),
        get('orow'), get('cb'), ['i32.add'], set('orow'),
      ]),
    ],
  };
}

/**
 * softmax_rows_f32(src, dst, rows, cols, log): softmax (log = 0) or log-softmax (log = 1) of `rows` contiguous
 * rows of `cols` ≥ 4 float32, with the reference's semantics:
 *   1. m = row max (SIMD max propagates NaN). A row whose max is not finite is filled: −Inf for log-softmax of
 *      an all −Inf row, NaN otherwise (a NaN anywhere, or +Inf, which gives Inf − Inf in the reference);
 *   2. e = exp(x − m) on the fast exp core with the argument clamped at −87 and e = 0 below it (true value
 *      < 1.6e-38), stored to dst; the row sum s accumulates in f64 lanes read back from dst, like the reference;
 *   3. softmax: dst ← e·(1/s); log-softmax: dst ← (x − m) − log s, with log s from a scalar f64 series
 *      (s ∈ [1, cols]: halve to [1, √2), then 2·atanh((f − 1)/(f + 1)), error < 1e-12).
 * A row's ≤ 3 trailing elements are covered by one more vector ending at the row's end (overlapping the last
 * whole vector: the max and the e / log-softmax stores are idempotent), and the sum and the softmax scaling
 * of those elements run scalar.
 */
const ldRow = (base: string, o: number): Instr[] => [get(base), get('j'), ['i32.add'], ['v128.load', o]];

/**
 * The max of the row at `row` (cols ≥ 4 floats) into f32 local mf: four accumulators over the groups, then the
 * overlapping last vector at byte offset `last` (SIMD max propagates NaN). Uses j, nu, c4 and m0..m3.
 */
function rowMax(U: number): Code {
  const mx = (a: string, b: string): Code => [get(a), get(b), ['f32x4.max'], set(a)];
  const lane = (v: string, k: number): Code => [get(v), ['f32x4.extract_lane', k]];
  return [
    get('row'), ['v128.load', 0], set('m0'), get('m0'), set('m1'), get('m0'), set('m2'), get('m0'), set('m3'),
    ...forRange('j', [i32(0)], [get('nu')], 16 * U, [
      ...ldRow('row', 0), get('m0'), ['f32x4.max'], set('m0'), ...ldRow('row', 16), get('m1'), ['f32x4.max'], set('m1'),
      ...ldRow('row', 32), get('m2'), ['f32x4.max'], set('m2'), ...ldRow('row', 48), get('m3'), ['f32x4.max'], set('m3'),
    ]),
    ...forRange('j', [get('nu')], [get('c4')], 16, [...ldRow('row', 0), get('m0'), ['f32x4.max'], set('m0')]),
    get('row'), get('last'), ['i32.add'], ['v128.load', 0], get('m1'), ['f32x4.max'], set('m1'),
    ...mx('m0', 'm1'), ...mx('m2', 'm3'), ...mx('m0', 'm2'),
    ...lane('m0', 0), ...lane('m0', 1), ['f32.max'], ...lane('m0', 2), ...lane('m0', 3), ['f32.max'], ['f32.max'], set('mf'),
  ];
}

/**
 * log s (f64) of the f64 local ss ∈ [1, 2^31) onto the stack: halve to f ∈ [1, √2) counting k, then
 * k·ln 2 + 2·(t + t³/3 + ... + t¹⁵/15), t = (f − 1)/(f + 1) ≤ 0.172 (error < 1e-12). Uses ff, k, tt, tt2.
 */
function logF64(): Code {
  const atanhSeries: Code = [['f64.const', 1 / 15]];
  for (let k = 13; k >= 1; k -= 2) atanhSeries.push(get('tt2'), ['f64.mul'], ['f64.const', 1 / k], ['f64.add']);
  return [
    get('ss'), set('ff'), i32(0), set('k'),
    ['block', 'hb'], ['loop', 'hl'],
    get('ff'), ['f64.const', Math.SQRT2], ['f64.lt'], ['br_if', 'hb'],
    get('ff'), ['f64.const', 0.5], ['f64.mul'], set('ff'), get('k'), i32(1), ['i32.add'], set('k'),
    ['br', 'hl'], ['end'], ['end'],
    get('ff'), ['f64.const', 1], ['f64.sub'], get('ff'), ['f64.const', 1], ['f64.add'], ['f64.div'], set('tt'),
    get('tt'), get('tt'), ['f64.mul'], set('tt2'),
    get('k'), ['f64.convert_i32_s'], ['f64.const', Math.LN2], ['f64.mul'],
    ...atanhSeries, get('tt'), ['f64.mul'], ['f64.const', 2], ['f64.mul'], ['f64.add'],
  ];
}

/** a row kernel's definition: the shared row locals, the extra ones, U renamed copies of the unary locals, the constants */
function rowKernel(name: string, params: [string, 'i32'][], extra: [string, 'i32' | 'f32' | 'f64' | 'v128'][], U: number, loops: Code): FuncDef {
  const k = constLocals(loops);
  const locals: [string, 'i32' | 'f32' | 'f64' | 'v128'][] = [...ROW_LOCALS, ...extra];
  for (let c = 0; c < U; c++) for (const l of unaryLocalNames) locals.push([c ? `${l}_${c}` : l, V]);
  return { name, params, locals: [...locals, ...k.locals], body: [...k.init, ...loops] };
}

/** locals of the row kernels' shared code (rowMax, logF64 and the loop bounds) */
const ROW_LOCALS: [string, 'i32' | 'f32' | 'f64' | 'v128'][] = [['r', 'i32'], ['j', 'i32'], ['c4', 'i32'], ['cb', 'i32'],
  ['last', 'i32'], ['nu', 'i32'], ['row', 'i32'], ['orow', 'i32'], ['q', 'i32'], ['p', 'i32'], ['k', 'i32'],
  ['mf', 'f32'], ['ss', 'f64'], ['ff', 'f64'], ['tt', 'f64'], ['tt2', 'f64'],
  ['m0', 'v128'], ['m1', 'v128'], ['m2', 'v128'], ['m3', 'v128'], ['M', 'v128'], ['L', 'v128'], ['a0', 'v128'], ['a1', 'v128']];

/** loop bounds of a row of `cols` floats: c4/cb whole-vector and whole-row bytes, `last` the final vector, nu the grouped part */
function rowBounds(U: number): Code {
  return [
    get('cols'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('c4'),
    get('cols'), i32(2), ['i32.shl'], set('cb'),
    get('cb'), i32(16), ['i32.sub'], set('last'),
    get('c4'), get('c4'), i32(16 * U), ['i32.rem_u'], ['i32.sub'], set('nu'),
  ];
}

/** e = exp(x − M) of the vector at byte offset o of row q, 0 where x − M < −87 (true value < 1.6e-38), left in local s (copy c) */
const expShifted = (o: number, c: number): Code => renamed([
  get('q'), ['v128.load', o], get('M'), sub(), set('x'),
  get('x'), ...vk(-EXP_FAST), ['f32x4.pmax'], set('u'),
  get('x'), ...vk(-EXP_FAST), ['f32x4.ge'], set('mk'),
  ...expCore('u'), get('mk'), ['v128.and'], set('s'),
], c);

function softmaxRowsFunc(): FuncDef {
  const U = 4;
  const ld = ldRow;
  /** e for the vector at byte offset o of q (row) into p (out row): copy c's statements */
  const eCopy = (o: number, c: number): Code => [...expShifted(o, c), ...renamed([get('p'), get('s'), ['v128.store', o]], c)];
  const eGroup = (n: number): Code => [
    get('row'), get('j'), ['i32.add'], set('q'), get('orow'), get('j'), ['i32.add'], set('p'),
    ...interleave([...Array(n).keys()].map((c) => eCopy(16 * c, c))),
    ...[...Array(n).keys()].flatMap((c): Code => [
      get('a0'), get('p'), ['v128.load64_splat', 16 * c], ['f64x2.promote_low_f32x4'], ['f64x2.add'], set('a0'),
      get('a1'), get('p'), ['v128.load64_splat', 16 * c + 8], ['f64x2.promote_low_f32x4'], ['f64x2.add'], set('a1'),
    ]),
  ];
  const zero: Instr = ['v128.const', 0, 0, 0, 0];
  const loops: Code = [
    ...rowBounds(U),
    get('src'), set('row'), get('dst'), set('orow'),
    ...forRange('r', [i32(0)], [get('rows')], 1, [
      // 1. row max
      ...rowMax(U),
      // 2. a non-finite max (mf − mf is NaN): fill the row
      get('mf'), get('mf'), ['f32.sub'], set('fillv'),
      get('fillv'), get('fillv'), ['f32.ne'], ['if'],
      ['f32.const', NaN], set('fillv'),
      get('log'), get('mf'), ['f32.const', -Infinity], ['f32.eq'], ['i32.and'], ['if'],
      ['f32.const', -Infinity], set('fillv'), ['end'],
      get('fillv'), ['f32x4.splat'], set('M'),
      ...forRange('j', [i32(0)], [get('c4')], 16, [get('orow'), get('j'), ['i32.add'], get('M'), ['v128.store', 0]]),
      get('orow'), get('last'), ['i32.add'], get('M'), ['v128.store', 0],
      ['else'],
      get('mf'), ['f32x4.splat'], set('M'),
      zero, set('a0'), zero, set('a1'),
      ...forRange('j', [i32(0)], [get('nu')], 16 * U, eGroup(U)),
      ...forRange('j', [get('nu')], [get('c4')], 16, eGroup(1)),
      get('a0'), get('a1'), ['f64x2.add'], set('a0'),
      get('a0'), ['f64x2.extract_lane', 0], get('a0'), ['f64x2.extract_lane', 1], ['f64.add'], set('ss'),
      get('c4'), get('cb'), ['i32.ne'], ['if'],
      get('row'), get('last'), ['i32.add'], set('q'), get('orow'), get('last'), ['i32.add'], set('p'),
      ...eCopy(0, 0),
      ...forRange('j', [get('c4')], [get('cb')], 4, [
        get('ss'), get('orow'), get('j'), ['i32.add'], ['f32.load', 0], ['f64.promote_f32'], ['f64.add'], set('ss'),
      ]),
      ['end'],
      get('log'), ['if'],
      // 3b. log s
      ...logF64(),
      ['f32.demote_f64'], ['f32x4.splat'], set('L'),
      ...forRange('j', [i32(0)], [get('c4')], 16, [
        get('orow'), get('j'), ['i32.add'], ...ld('row', 0), get('M'), sub(), get('L'), sub(), ['v128.store', 0],
      ]),
      get('orow'), get('last'), ['i32.add'], get('row'), get('last'), ['i32.add'], ['v128.load', 0], get('M'), sub(), get('L'), sub(), ['v128.store', 0],
      ['else'],
      // 3a. e·(1/s)
      ['f64.const', 1], get('ss'), ['f64.div'], ['f32.demote_f64'], set('inv'), get('inv'), ['f32x4.splat'], set('L'),
      ...forRange('j', [i32(0)], [get('c4')], 16, [
        get('orow'), get('j'), ['i32.add'], ...ld('orow', 0), get('L'), mul(), ['v128.store', 0],
      ]),
      ...forRange('j', [get('c4')], [get('cb')], 4, [
        get('orow'), get('j'), ['i32.add'], get('orow'), get('j'), ['i32.add'], ['f32.load', 0], get('inv'), ['f32.mul'], ['f32.store', 0],
      ]),
      ['end'],
      ['end'],
      get('row'), get('cb'), ['i32.add'], set('row'),
      get('orow'), get('cb'), ['i32.add'], set('orow'),
    ]),
  ];
  return rowKernel('softmax_rows_f32', [['src', 'i32'], ['dst', 'i32'], ['rows', 'i32'], ['cols', 'i32'], ['log', 'i32']], [['fillv', 'f32'], ['inv', 'f32']], U, loops);
}

/**
 * ce_rows_f32(src, tgt, loss, max, lsum, rows, cols, ignore): softmax cross-entropy of `rows` contiguous rows of
 * `cols` ≥ 4 float32 against int32 targets (Backend.crossEntropyRows), one read of each row after its max:
 *   m = row max (as softmax); s = Σ e^{x − m} on the fast exp core, each group's f32 sum of ≤ 16 terms added in
 *   f64; ls = log s (f64 series); loss = (m + ls) − x[t], 0 where t = ignore. A non-finite max (all −Inf, +Inf,
 *   NaN) takes the reference's values: loss +Inf for all −Inf (ls NaN), NaN otherwise.
 * The ≤ 3 trailing elements come from one more vector ending at the row's end, its overlapping lanes masked off.
 */
function crossEntropyRowsFunc(): FuncDef {
  const U = 4;
  /** f64 ss += the four lanes of f32x4 local a */
  const addLanes: Code = [0, 1, 2, 3].flatMap((k): Code => [get('ss'), get('a'), ['f32x4.extract_lane', k], ['f64.promote_f32'], ['f64.add'], set('ss')]);
  const eGroup = (n: number): Code => [
    get('row'), get('j'), ['i32.add'], set('q'),
    ...interleave([...Array(n).keys()].map((c) => expShifted(16 * c, c))),
    get('s'), ...[...Array(n).keys()].slice(1).flatMap((c): Code => [get(`s_${c}`), add()]), set('a'),
    ...addLanes,
  ];
  const row = (k: string): Code => [get(k), get('r'), i32(2), ['i32.shl'], ['i32.add']];
  const loops: Code = [
    ...rowBounds(U),
    get('src'), set('row'),
    // lanes of the last vector that are new: lane ≥ 4 − (cols mod 4) (none when cols is a multiple of 4)
    ...kc([0, 1, 2, 3]), i32(3), get('cols'), i32(3), ['i32.and'], ['i32.sub'], ['i32x4.splat'], ['i32x4.gt_s'], set('L'),
    ...forRange('r', [i32(0)], [get('rows')], 1, [
      ...row('tgt'), ['i32.load', 0], set('ti'),
      ...rowMax(U),
      get('mf'), get('mf'), ['f32.sub'], get('mf'), get('mf'), ['f32.sub'], ['f32.ne'], ['if'],
      // non-finite max: ls = NaN; loss +Inf for a row of all −Inf, NaN otherwise
      ['f64.const', NaN], set('ss'),
      get('mf'), ['f32.const', -Infinity], ['f32.eq'], ['if', 'f64'], ['f64.const', Infinity], ['else'], ['f64.const', NaN], ['end'], set('lv'),
      ['else'],
      get('mf'), ['f32x4.splat'], set('M'),
      ['f64.const', 0], set('ss'),
      ...forRange('j', [i32(0)], [get('nu')], 16 * U, eGroup(U)),
      ...forRange('j', [get('nu')], [get('c4')], 16, eGroup(1)),
      get('c4'), get('cb'), ['i32.ne'], ['if'],
      get('row'), get('last'), ['i32.add'], set('q'),
      ...expShifted(0, 0), get('s'), get('L'), ['v128.and'], set('a'),
      ...addLanes,
      ['end'],
      ...logF64(), set('ss'),
      get('mf'), ['f64.promote_f32'], get('ss'), ['f64.add'],
      get('row'), get('ti'), i32(2), ['i32.shl'], ['i32.add'], ['f32.load', 0], ['f64.promote_f32'], ['f64.sub'], set('lv'),
      ['end'],
      ...row('lsum'), get('ss'), ['f32.demote_f64'], ['f32.store', 0],
      ...row('max'), get('mf'), ['f32.store', 0],
      ...row('loss'), get('ti'), get('ignore'), ['i32.eq'], ['if', 'f32'], ['f32.const', 0], ['else'], get('lv'), ['f32.demote_f64'], ['end'], ['f32.store', 0],
      get('row'), get('cb'), ['i32.add'], set('row'),
    ]),
  ];
  return rowKernel('ce_rows_f32', [['src', 'i32'], ['tgt', 'i32'], ['loss', 'i32'], ['max', 'i32'], ['lsum', 'i32'], ['rows', 'i32'], ['cols', 'i32'], ['ignore', 'i32']], [['ti', 'i32'], ['lv', 'f64']], U, loops);
}

/**
 * ce_grad_rows_f32(src, max, lsum, tgt, g, dst, rows, cols, ignore, gs): the gradient of ce_rows_f32's loss,
 * dst[r, c] = g[r]·(e^{x[r,c] − m[r] − ls[r]} − [c = t_r]), 0 for an ignored row; g[r] is read at g + r·gs bytes.
 * One pass: the shifted exp of each vector scaled and stored (the overlapping last vector stores the same
 * values again), then g[r] subtracted at the target.
 */
function crossEntropyGradRowsFunc(): FuncDef {
  const U = 4;
  const eGroup = (n: number): Code => [
    get('row'), get('j'), ['i32.add'], set('q'), get('orow'), get('j'), ['i32.add'], set('p'),
    ...interleave([...Array(n).keys()].map((c) => [...expShifted(16 * c, c), ...renamed([get('p'), get('s'), get('L'), mul(), ['v128.store', 16 * c]], c)])),
  ];
  const row = (k: string): Code => [get(k), get('r'), i32(2), ['i32.shl'], ['i32.add']];
  const loops: Code = [
    ...rowBounds(U),
    get('src'), set('row'), get('dst'), set('orow'),
    ...forRange('r', [i32(0)], [get('rows')], 1, [
      ...row('tgt'), ['i32.load', 0], set('ti'),
      get('ti'), get('ignore'), ['i32.eq'], ['if'],
      get('orow'), i32(0), get('cb'), ['memory.fill'],
      ['else'],
      get('g'), get('r'), get('gs'), ['i32.mul'], ['i32.add'], ['f32.load', 0], set('mf'),
      get('mf'), ['f32x4.splat'], set('L'),
      // e^{x − m − ls} = e^{x − m}·e^{−ls}: the shift stays m (x − m is exact near the max) and the per-row
      // factor L = g·e^{−ls} (ls ∈ [0, log cols], in the fast exp range) scales each vector
      ...row('max'), ['f32.load', 0], ['f32x4.splat'], set('M'),
      ...row('lsum'), ['f32.load', 0], ['f32.neg'], ['f32x4.splat'], set('u'),
      ...expCore('u'), get('L'), mul(), set('L'),
      ...forRange('j', [i32(0)], [get('nu')], 16 * U, eGroup(U)),
      ...forRange('j', [get('nu')], [get('c4')], 16, eGroup(1)),
      get('c4'), get('cb'), ['i32.ne'], ['if'],
      get('row'), get('last'), ['i32.add'], set('q'), get('orow'), get('last'), ['i32.add'], set('p'),
      ...expShifted(0, 0), get('p'), get('s'), get('L'), mul(), ['v128.store', 0],
      ['end'],
      get('orow'), get('ti'), i32(2), ['i32.shl'], ['i32.add'], set('p'),
      get('p'), get('p'), ['f32.load', 0], get('mf'), ['f32.sub'], ['f32.store', 0],
      ['end'],
      get('row'), get('cb'), ['i32.add'], set('row'),
      get('orow'), get('cb'), ['i32.add'], set('orow'),
    ]),
  ];
  return rowKernel('ce_grad_rows_f32', [['src', 'i32'], ['max', 'i32'], ['lsum', 'i32'], ['tgt', 'i32'], ['g', 'i32'], ['dst', 'i32'], ['rows', 'i32'],
      ['cols', 'i32'], ['ignore', 'i32'], ['gs', 'i32']], [['ti', 'i32']], U, loops);
}

/** zero_bytes(p, n): n bytes at p = 0 — memory.fill, a native memset (a typed-array fill of shared memory is not) */
function zeroBytesFunc(): FuncDef {
  return { name: 'zero_bytes', params: [['p', 'i32'], ['n', 'i32']], locals: [], body: [get('p'), i32(0), get('n'), ['memory.fill']] };
}

export function elementwiseFuncs(opts: { relaxed: boolean } = { relaxed: false }): FuncDef[] {
  relaxed = opts.relaxed;
  return [
    ...SIMD_UNARY.map((op) => unaryFunc(op)),
    ...BIASED_UNARY.map((op) => unaryFunc(op, true)),
    ...SIMD_BINARY.map(binaryFunc),
    sumFunc(), sumStoreFunc(), maxFunc('max_f32'), maxFunc('min_f32'), sumColsFunc(), adamFunc(), normRowsFunc(), softmaxRowsFunc(),
    crossEntropyRowsFunc(), crossEntropyGradRowsFunc(), zeroBytesFunc(),
  ];
}
