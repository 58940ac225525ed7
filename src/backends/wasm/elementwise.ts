/**
 * float32 element-wise and reduction kernels in WebAssembly SIMD over contiguous data.
 * Vector loops cover n rounded down to a multiple of 4; the caller finishes the (≤3-element) tail with
 * the reference scalar functions, which keeps every kernel a single straight loop.
 *
 * Transcendentals are polynomial approximations accurate to a few float32 ulps:
 * exp — Cephes expf (Cody–Waite reduction, degree-5 polynomial), the scale 2^n split in two factors so
 *       inputs near ±88 neither overflow early nor flush early;
 * tanh — odd Taylor series below |x| < 0.4 (no cancellation), 1 − 2/(e^{2|x|}+1) above;
 * gelu — 0.5·x·erfc(−x/√2) with Numerical Recipes' erfc (relative error < 1.2e-7), so negative inputs
 *        keep full relative accuracy instead of cancelling in 1 + erf.
 */
import type { FuncDef, Instr } from './emitter.js';
import { type Code, forRange, get, i32, set } from './asm.js';

type Un = 'exp' | 'sigmoid' | 'silu' | 'tanh' | 'gelu' | 'geluTanh' | 'relu' | 'neg' | 'abs' | 'sqrt' | 'square';
export const SIMD_UNARY: readonly Un[] = ['exp', 'sigmoid', 'silu', 'tanh', 'gelu', 'geluTanh', 'relu', 'neg', 'abs', 'sqrt', 'square'];
type Bin = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
export const SIMD_BINARY: readonly Bin[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
const binOp: Record<Bin, string> = {
  add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div', maximum: 'f32x4.max', minimum: 'f32x4.min',
};

/**
 * Vector constants of the unary kernels live in a table in linear memory (at CONST_BASE, written once by
 * the backend) and are read with v128.load: TurboFan (V8 11.x) rematerialises a v128.const inside the loop
 * with three instructions every iteration, while a load folds into the arithmetic as a memory operand.
 */
export const CONST_BASE = 64;
export const CONST_END = 1024;
const constIndex = new Map<string, number>();
const constLanes: number[][] = [];
function kc(lanes: number[]): Code {
  const key = lanes.join(',');
  let i = constIndex.get(key);
  if (i === undefined) {
    i = constLanes.length;
    if (CONST_BASE + 16 * (i + 1) > CONST_END) throw new Error('wasm kernels: constant table full');
    constIndex.set(key, i);
    constLanes.push(lanes);
  }
  return [i32(0), ['v128.load', CONST_BASE + 16 * i]];
}
/** bytes to place at CONST_BASE before any unary kernel runs */
export function constantTable(): Uint8Array {
  const f = new Float32Array(constLanes.flat());
  return new Uint8Array(f.buffer);
}
const vk = (v: number): Code => kc([v, v, v, v]);

const mul = (): Instr => ['f32x4.mul'];
const add = (): Instr => ['f32x4.add'];

/**
 * Polynomial c[0] + c[1]t + ... in Estrin's scheme: p = E(low half) + t^m·E(high half). The dependency
 * chain is log-deep instead of Horner's linear one; these loops are latency-bound (one long chain per
 * vector), so this is what sets their speed. Powers t², t⁴, t⁸ go to locals pw2/pw4/pw8.
 */
function poly(t: string, c: readonly number[]): Code {
  const out: Code = [];
  let m = 1;
  const pw = (k: number): string => (k === 1 ? t : `pw${k}`);
  while (m * 2 < c.length) {
    out.push(get(pw(m)), get(pw(m)), mul(), set(pw(m * 2)));
    m *= 2;
  }
  const est = (lo: number, hi: number): Code => {
    if (hi - lo === 1) return vk(c[lo]!);
    let k = 1;
    while (lo + k * 2 < hi) k *= 2;
    return [...est(lo, lo + k), ...est(lo + k, hi), get(pw(k)), mul(), add()];
  };
  return [...out, ...est(0, c.length)];
}

/** exp of the v128 in local `x` (clobbers e_* locals), result left on the stack */
function expOf(x: string): Code {
  // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits (replaces nearest + trunc_sat,
  // whose NaN/saturation handling costs V8 a dozen instructions)
  const MAGIC = 12582912;
  return [
    // clamp with pmin/pmax (one instruction each; NaN passes through as the first operand)
    get(x), ...vk(89), ['f32x4.pmin'], ...vk(-104), ['f32x4.pmax'], set('e_x'),
    get('e_x'), ...vk(Math.LOG2E), mul(), ...vk(MAGIC), add(), set('e_n'),
    get('e_n'), ...vk(MAGIC), ['f32x4.sub'], set('e_f'),
    // r = x − f·C1 − f·C2 (C1 has 9 significant bits so f·C1 is exact)
    get('e_x'), get('e_f'), ...vk(0.693359375), mul(), ['f32x4.sub'], get('e_f'), ...vk(-2.12194440e-4), mul(), ['f32x4.sub'], set('e_r'),
    ...poly('e_r', [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4]),
    get('e_r'), get('e_r'), mul(), mul(), get('e_r'), add(), ...vk(1), add(), set('e_y'),
    // n as i32 = bits(f + MAGIC) − bits(MAGIC); 2^n = 2^(n>>1) · 2^(n − n>>1), both normal for n in [−150, 128]
    get('e_n'), ...vk(MAGIC), ['i32x4.sub'], set('e_n'),
    get('e_n'), i32(1), ['i32x4.shr_s'], set('e_h'),
    get('e_y'),
    get('e_h'), ...kc(i32x4(127)), ['i32x4.add'], i32(23), ['i32x4.shl'], mul(),
    get('e_n'), get('e_h'), ['i32x4.sub'], ...kc(i32x4(127)), ['i32x4.add'], i32(23), ['i32x4.shl'], mul(),
  ];
}

/** v128.const immediates (emitted as f32 lanes) carrying the i32 value v in every lane */
function i32x4(v: number): [number, number, number, number] {
  const f = new Float32Array(new Int32Array([v, v, v, v]).buffer);
  return [f[0]!, f[1]!, f[2]!, f[3]!];
}

const ERFC_NR = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
/** odd Taylor coefficients of tanh: x + x³·(c0 + x²(c1 + ...)) */
const TANH_T = [-1 / 3, 2 / 15, -17 / 315, 62 / 2835, -1382 / 155925, 21844 / 6081075];
const SIGN = i32x4(-0x80000000);

/** f(x) for local `x`, result on the stack */
function unaryBody(op: Un): Code {
  const x = get('x');
  const recipOnePlusExp = (arg: Code): Code => [...arg, set('t'), ...vk(1), ...expOf('t'), ...vk(1), add(), ['f32x4.div']];
  switch (op) {
    case 'exp': return expOf('x');
    case 'sigmoid': return recipOnePlusExp([x, ['f32x4.neg']]);
    case 'silu': return [x, ...expOf2([x, ['f32x4.neg']]), ...vk(1), add(), ['f32x4.div']];
    case 'geluTanh':
      // x·sigmoid(2u), u = √(2/π)(x + 0.044715x³): the same value as 0.5x(1 + tanh u) without cancellation
      return [x, ...expOf2([x, x, x, mul(), mul(), ...vk(0.044715), mul(), x, add(), ...vk(-2 * Math.sqrt(2 / Math.PI)), mul()]),
        ...vk(1), add(), ['f32x4.div']];
    case 'tanh': return [
      x, ['f32x4.abs'], set('a'),
      // large branch: 1 − 2/(e^{2|a|} + 1)
      ...vk(1), ...vk(2), ...expOf2([get('a'), ...vk(2), mul()]), ...vk(1), add(), ['f32x4.div'], ['f32x4.sub'], set('t'),
      // small branch: a + a³·P(a²)
      get('a'), get('a'), mul(), set('s'),
      get('a'), get('a'), get('s'), mul(), ...poly('s', TANH_T), mul(), add(),
      get('t'),
      get('a'), ...vk(0.4), ['f32x4.lt'],
      ['v128.bitselect'],
      x, ...kc(SIGN), ['v128.and'], ['v128.or'],
    ];
    case 'gelu': return [
      // z = |x|/√2, t = 1/(1 + z/2), E = t·exp(−z² + P(t)) = erfc(z)
      x, ['f32x4.abs'], ...vk(Math.SQRT1_2), mul(), set('a'),
      ...vk(1), ...vk(1), get('a'), ...vk(0.5), mul(), add(), ['f32x4.div'], set('s'),
      get('s'),
      ...expOf2([get('a'), get('a'), mul(), ['f32x4.neg'], ...poly('s', ERFC_NR), add()]),
      mul(), set('t'),
      // x ≥ 0: 0.5·x·(2 − E); x < 0: 0.5·x·E (halved before multiplying by x so x near FLT_MAX stays finite)
      ...vk(2), get('t'), ['f32x4.sub'], get('t'), x, ...vk(0), ['f32x4.ge'], ['v128.bitselect'],
      ...vk(0.5), mul(), x, mul(),
    ];
    case 'relu': return [x, ...vk(0), ['f32x4.pmax']]; // pmax(x, 0) = x < 0 ? 0 : x keeps NaN
    case 'neg': return [x, ['f32x4.neg']];
    case 'abs': return [x, ['f32x4.abs']];
    case 'sqrt': return [x, ['f32x4.sqrt']];
    case 'square': return [x, x, mul()];
  }
}

/** exp of an expression (stored to local `u` first) */
function expOf2(arg: Code): Code {
  return [...arg, set('u'), ...expOf('u')];
}

const V = 'v128' as const;
const unaryLocals: [string, typeof V | 'i32'][] = [
  ['i', 'i32'], ['x', V], ['t', V], ['u', V], ['a', V], ['s', V], ['pw2', V], ['pw4', V], ['pw8', V],
  ['e_x', V], ['e_f', V], ['e_r', V], ['e_y', V], ['e_n', V], ['e_h', V],
];

/** un_<op>(src, dst, n): dst[i] = op(src[i]) for i < n − n mod 4 */
function unaryFunc(op: Un): FuncDef {
  return {
    name: `un_${op}`,
    params: [['src', 'i32'], ['dst', 'i32'], ['n', 'i32']],
    locals: unaryLocals,
    body: [
      get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('n'),
      ...forRange('i', [i32(0)], [get('n')], 16, [
        get('src'), get('i'), ['i32.add'], ['v128.load', 0], set('x'),
        get('dst'), get('i'), ['i32.add'],
        ...unaryBody(op),
        ['v128.store', 0],
      ]),
    ],
  };
}

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

/** sum_f32(src, n) → f64: Σ over the first n − n mod 8 elements, accumulated in f64 lanes like the reference */
function sumFunc(): FuncDef {
  return {
    name: 'sum_f32',
    params: [['src', 'i32'], ['n', 'i32']],
    result: 'f64',
    locals: [['i', 'i32'], ['a0', V], ['a1', V], ['a2', V], ['a3', V]],
    body: [
      get('n'), i32(-8), ['i32.and'], i32(2), ['i32.shl'], set('n'),
      ...forRange('i', [i32(0)], [get('n')], 32, [
        ...[0, 8, 16, 24].flatMap((o, k): Code => [
          get(`a${k}`), get('src'), get('i'), ['i32.add'], ['v128.load64_splat', o], ['f64x2.promote_low_f32x4'],
          ['f64x2.add'], set(`a${k}`),
        ]),
      ]),
      get('a0'), get('a1'), ['f64x2.add'], get('a2'), get('a3'), ['f64x2.add'], ['f64x2.add'], set('a0'),
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

export function elementwiseFuncs(): FuncDef[] {
  return [
    ...SIMD_UNARY.map(unaryFunc),
    ...SIMD_BINARY.map(binaryFunc),
    sumFunc(), sumStoreFunc(), maxFunc('max_f32'), maxFunc('min_f32'), sumColsFunc(),
  ];
}
