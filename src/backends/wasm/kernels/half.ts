/**
 * bfloat16 ↔ float32 conversion kernels (the half-precision layer's widen and narrow passes, SIMD and split
 * across the pool instead of a JavaScript loop on the calling thread):
 *   bf16_widen(s, d, n):  d[i] = f32 with bits (s[i] << 16)                      — exact
 *   bf16_narrow(s, d, n): d[i] = (b + 0x7FFF + ((b >> 16) & 1)) >> 16, b = bits(s[i])  — round to nearest even;
 *                         NaN (|b| > 0x7F800000) → 0x7FC0; a carry out of the mantissa rounds up to ±Inf
 * s and d are byte addresses; 8 elements per vector step (one v128 of bfloat16, two of float32), then a scalar
 * tail.
 */
import type { FuncDef } from '../emitter.js';
import { forRange, get, i32, ifElse, inc, set } from '../asm.js';
import { defineJob, warmRun, type KernelSpec } from './spec.js';
import { elemRange, elementChunks } from './split.js';

const V = 'v128';
const splat = (v: number): FuncDef['body'] => [i32(v), ['i32x4.splat']];

const widenFunc: FuncDef = {
  name: 'bf16_widen',
  params: [['s', 'i32'], ['d', 'i32'], ['n', 'i32']],
  locals: [['e8', 'i32'], ['e', 'i32'], ['v', V]],
  body: [
    get('s'), get('n'), i32(1), ['i32.shl'], ['i32.add'], set('e'),
    get('s'), get('n'), i32(-8), ['i32.and'], i32(1), ['i32.shl'], ['i32.add'], set('e8'),
    ...forRange('s', [get('s')], [get('e8')], 16, [
      get('s'), ['v128.load', 0], set('v'),
      get('d'), get('v'), ['i32x4.extend_low_i16x8_u'], i32(16), ['i32x4.shl'], ['v128.store', 0],
      get('d'), get('v'), ['i32x4.extend_high_i16x8_u'], i32(16), ['i32x4.shl'], ['v128.store', 16],
      ...inc('d', 32),
    ]),
    ...forRange('s', [get('s')], [get('e')], 2, [
      get('d'), get('s'), ['i32.load16_u', 0], i32(16), ['i32.shl'], ['i32.store', 0],
      ...inc('d', 4),
    ]),
  ],
};

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

/** op 0: bf16_widen (src bfloat16, dst float32), 1: bf16_narrow (src float32, dst bfloat16); split by elements */
export const halfJob = defineJob({
  name: 'half',
  fields: ['op', 'src', 'dst', 'n'],
  chunks: (p, threads) => elementChunks(p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    if (hi <= lo) return;
    if (p.op === 0) ex.bf16_widen!(p.src + 2 * lo, p.dst + 4 * lo, hi - lo);
    else ex.bf16_narrow!(p.src + 4 * lo, p.dst + 2 * lo, hi - lo);
  },
});

export const halfSpec: KernelSpec = {
  name: 'half',
  emit: () => [widenFunc, narrowFunc],
  jobs: [halfJob],
  warmJobs: ({ a, o, n }) => [warmRun(halfJob, { op: 0, src: a, dst: o, n }), warmRun(halfJob, { op: 1, src: a, dst: o, n })],
};
