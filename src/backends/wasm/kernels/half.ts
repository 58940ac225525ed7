/**
 * bfloat16 / float16 ↔ float32 conversion kernels (the half-precision layer's widen and narrow passes, SIMD and
 * split across the pool instead of a JavaScript loop on the calling thread):
 *   bf16_widen(s, d, n):  d[i] = f32 with bits (s[i] << 16)                      — exact
 *   bf16_narrow(s, d, n): d[i] = (b + 0x7FFF + ((b >> 16) & 1)) >> 16, b = bits(s[i])  — round to nearest even;
 *                         NaN (|b| > 0x7F800000) → 0x7FC0; a carry out of the mantissa rounds up to ±Inf
 *   f16_widen(s, d, n):   h = s[i], m = h & 0x7FFF (exponent and mantissa), sign = (h & 0x8000) << 16:
 *                         m < 0x7C00: d[i] = sign | bits(f32(bits m << 13) · 2^112)  — exact: m << 13 puts the 5-bit
 *                         exponent e and 10-bit mantissa f where float32 has them, i.e. the float32 2^(e−127)·1.f
 *                         (or f·2^−136 for e = 0, a float32 subnormal), and ·2^112 rebiases 127 → 15, giving
 *                         2^(e−15)·1.f and f·2^−24, the half values; m ≥ 0x7C00 (Inf, NaN): d[i] = sign |
 *                         0x7F800000 | (m << 13) — ±Inf, NaN with its payload
 *   f16_narrow(s, d, n):  b = bits(s[i]), a = b & 0x7FFFFFFF, sign = (b >> 16) & 0x8000; round to nearest even:
 *                         a ≥ 2^16 (0x47800000):  0x7C00 (±Inf) or, for NaN (a > 0x7F800000), 0x7E00
 *                         a < 2^−14 (0x38800000): bits(f32(a) + 0.5) − 0x3F000000 — the float32 addition rounds
 *                                                 to the nearest multiple of 2^−24 (the float32 spacing at 0.5),
 *                                                 ties to even: the subnormal half f·2^−24 (up to the smallest
 *                                                 normal 0x0400 by a carry)
 *                         otherwise:              (a − (112 << 23) + 0xFFF + ((a >> 13) & 1)) >> 13 — the exponent
 *                                                 rebiased 127 → 15, the 13 dropped bits rounded to even (a carry
 *                                                 runs into the exponent, up to 0x7C00 = Inf for a ≥ 65520)
 * s and d are byte addresses; 8 elements per vector step (one v128 of 16-bit values, two of float32); the float16
 * tails run the same lane code on one splat element, the bfloat16 tails a scalar loop.
 */
import type { FuncDef } from '../emitter.js';
import { forRange, get, i32, ifElse, inc, set } from '../asm.js';
import { defineJob, warmRun, type KernelSpec } from './spec.js';
import { elemRange, elementChunks } from './split.js';

const V = 'v128';
const splat = (v: number): FuncDef['body'] => [i32(v), ['i32x4.splat']];

/**
 * a widen kernel name(s, d, n): n 16-bit values at s → n float32 at d. Eight per vector step: one v128 load into
 * local v, whose low and high four u16 lanes are zero-extended to i32x4 (the instruction `ext`) and turned into four
 * float32 bit patterns by `vector(ext)` (code that leaves that v128 on the stack); the n mod 8 tail runs
 * `scalar` per element (code that leaves the element's float32 bits as an i32, reading the u16 at s).
 */
const widenKernel = (name: string, locals: FuncDef['locals'], vector: (ext: string) => FuncDef['body'], scalar: FuncDef['body']): FuncDef => ({
  name,
  params: [['s', 'i32'], ['d', 'i32'], ['n', 'i32']],
  locals: [['e8', 'i32'], ['e', 'i32'], ['v', V], ...locals],
  body: [
    get('s'), get('n'), i32(1), ['i32.shl'], ['i32.add'], set('e'),
    get('s'), get('n'), i32(-8), ['i32.and'], i32(1), ['i32.shl'], ['i32.add'], set('e8'),
    ...forRange('s', [get('s')], [get('e8')], 16, [
      get('s'), ['v128.load', 0], set('v'),
      get('d'), ...vector('i32x4.extend_low_i16x8_u'), ['v128.store', 0],
      get('d'), ...vector('i32x4.extend_high_i16x8_u'), ['v128.store', 16],
      ...inc('d', 32),
    ]),
    ...forRange('s', [get('s')], [get('e')], 2, [
      get('d'), ...scalar, ['i32.store', 0],
      ...inc('d', 4),
    ]),
  ],
});

/** bfloat16 → float32: the bits shifted up 16 (exact), four lanes at a time and a scalar tail */
const widenFunc = widenKernel('bf16_widen', [],
  (ext) => [get('v'), [ext], i32(16), ['i32x4.shl']],
  [get('s'), ['i32.load16_u', 0], i32(16), ['i32.shl']]);

/** the rounded bfloat16 bits of four float32 lanes (as i32x4) on the stack, from the v128 in local `x` */
const roundLanes = (x: string): FuncDef['body'] => [
  ...splat(0x7fc0),
  get(x), ...splat(0x7fff), ['i32x4.add'], get(x), i32(16), ['i32x4.shr_u'], ...splat(1), ['v128.and'], ['i32x4.add'],
  i32(16), ['i32x4.shr_u'],
  get(x), ...splat(0x7fffffff), ['v128.and'], ...splat(0x7f800000), ['i32x4.gt_s'],
  ['v128.bitselect'],
];

const narrowFunc: FuncDef = {
  name: 'bf16_narrow',
  params: [['s', 'i32'], ['d', 'i32'], ['n', 'i32']],
  locals: [['e8', 'i32'], ['e', 'i32'], ['b', 'i32'], ['lo', V], ['hi', V]],
  body: [
    get('s'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('s'), get('n'), i32(-8), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e8'),
    ...forRange('s', [get('s')], [get('e8')], 32, [
      get('s'), ['v128.load', 0], set('lo'),
      get('s'), ['v128.load', 16], set('hi'),
      get('d'), ...roundLanes('lo'), ...roundLanes('hi'), ['i16x8.narrow_i32x4_u'], ['v128.store', 0],
      ...inc('d', 16),
    ]),
    ...forRange('s', [get('s')], [get('e')], 4, [
      get('s'), ['i32.load', 0], set('b'),
      get('d'),
      ...ifElse(
        [get('b'), i32(0x7fffffff), ['i32.and'], i32(0x7f800000), ['i32.gt_u']],
        [i32(0x7fc0), set('b')],
        [get('b'), i32(0x7fff), ['i32.add'], get('b'), i32(16), ['i32.shr_u'], i32(1), ['i32.and'], ['i32.add'], i32(16), ['i32.shr_u'], set('b')],
      ),
      get('b'), ['i32.store16', 0],
      ...inc('d', 2),
    ]),
  ],
};

/** the float32 bits of four float16 values (the low 16 bits of each i32 lane of the v128 in local `h`) */
const widenF16Lanes = (h: string): FuncDef['body'] => [
  get(h), ...splat(0x7fff), ['v128.and'], i32(13), ['i32x4.shl'], ['local.tee', 'm'],
  ['v128.const', 2 ** 112, 2 ** 112, 2 ** 112, 2 ** 112], ['f32x4.mul'],
  get('m'), ...splat(0x7f800000), ['v128.or'],
  ...splat(0x7c00 << 13), get('m'), ['i32x4.gt_s'],
  ['v128.bitselect'],
  get(h), i32(16), ['i32x4.shl'], ...splat(0x80000000 | 0), ['v128.and'], ['v128.or'],
];

/** float16 → float32 by widenF16Lanes; the tail runs the same lane code on one splat element */
const f16WidenFunc = widenKernel('f16_widen', [['h', V], ['m', V]],
  (ext) => [get('v'), [ext], set('h'), ...widenF16Lanes('h')],
  [get('s'), ['i32.load16_u', 0], ['i32x4.splat'], set('h'), ...widenF16Lanes('h'), ['i32x4.extract_lane', 0]]);

/** the rounded float16 bits of four float32 lanes (as i32x4, high halves zero) from the v128 in local `x` */
const narrowF16Lanes = (x: string): FuncDef['body'] => [
  get(x), ...splat(0x7fffffff), ['v128.and'], set('a'),
  // |x| ≥ 2^16 picks Inf, or the quiet NaN for NaN inputs
  ...splat(0x7e00), ...splat(0x7c00), get('a'), ...splat(0x7f800000), ['i32x4.gt_s'], ['v128.bitselect'],
  // subnormal (or zero) result: f32(a) + 0.5 rounds to a multiple of 2^-24, whose low bits are the half
  get('a'), ['v128.const', 0.5, 0.5, 0.5, 0.5], ['f32x4.add'], ...splat(0x3f000000), ['i32x4.sub'],
  // normal result: rebias the exponent and round the 13 dropped bits to even
  get('a'), ...splat(0xfff - (112 << 23)), ['i32x4.add'], get('a'), i32(13), ['i32x4.shr_u'], ...splat(1), ['v128.and'], ['i32x4.add'],
  i32(13), ['i32x4.shr_u'],
  ...splat(0x38800000), get('a'), ['i32x4.gt_s'], ['v128.bitselect'],
  get('a'), ...splat(0x477fffff), ['i32x4.gt_s'], ['v128.bitselect'],
  get(x), i32(16), ['i32x4.shr_u'], ...splat(0x8000), ['v128.and'], ['v128.or'],
];

const f16NarrowFunc: FuncDef = {
  name: 'f16_narrow',
  params: [['s', 'i32'], ['d', 'i32'], ['n', 'i32']],
  locals: [['e8', 'i32'], ['e', 'i32'], ['lo', V], ['hi', V], ['a', V]],
  body: [
    get('s'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('s'), get('n'), i32(-8), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e8'),
    ...forRange('s', [get('s')], [get('e8')], 32, [
      get('s'), ['v128.load', 0], set('lo'),
      get('s'), ['v128.load', 16], set('hi'),
      get('d'), ...narrowF16Lanes('lo'), set('lo'), ...narrowF16Lanes('hi'), set('hi'),
      get('lo'), get('hi'), ['i16x8.narrow_i32x4_u'], ['v128.store', 0],
      ...inc('d', 16),
    ]),
    ...forRange('s', [get('s')], [get('e')], 4, [
      get('s'), ['i32.load', 0], ['i32x4.splat'], set('lo'),
      get('d'), ...narrowF16Lanes('lo'), ['i32x4.extract_lane', 0], ['i32.store16', 0],
      ...inc('d', 2),
    ]),
  ],
};

/**
 * op 0: bf16_widen (src bfloat16, dst float32), 1: bf16_narrow (src float32, dst bfloat16), 2: f16_widen, 3: f16_narrow;
 * split by elements
 */
export const halfJob = defineJob({
  name: 'half',
  fields: ['op', 'src', 'dst', 'n'],
  chunks: (p, threads) => elementChunks(p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    if (hi <= lo) return;
    if (p.op === 0) ex.bf16_widen!(p.src + 2 * lo, p.dst + 4 * lo, hi - lo);
    else if (p.op === 1) ex.bf16_narrow!(p.src + 4 * lo, p.dst + 2 * lo, hi - lo);
    else if (p.op === 2) ex.f16_widen!(p.src + 2 * lo, p.dst + 4 * lo, hi - lo);
    else ex.f16_narrow!(p.src + 4 * lo, p.dst + 2 * lo, hi - lo);
  },
});

export const halfSpec: KernelSpec = {
  name: 'half',
  emit: () => [widenFunc, narrowFunc, f16WidenFunc, f16NarrowFunc],
  jobs: [halfJob],
  warmJobs: ({ a, o, n }) => [0, 1, 2, 3].map((op) => warmRun(halfJob, { op, src: a, dst: o, n })),
};
