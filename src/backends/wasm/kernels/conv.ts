/**
 * unfold (im2col) and fold (col2im) of contiguous image planes in WebAssembly SIMD, v128 copies /
 * accumulations along stride-1 rows; the pool splits them by planes (plane q reads and writes only its own rows).
 */
import type { FuncDef } from '../emitter.js';
import { type Code, forRange, get, i32, ifElse, inc, set } from '../asm.js';
import type { UnfoldParams } from '../../backend.js';
import { defineJob, type KernelSpec } from './spec.js';
import { share, unitChunks } from './split.js';

// ---- unfold / fold ------------------------------------------------------------------------------------

const winParams: [string, 'i32'][] = [
  ['planes', 'i32'], ['H', 'i32'], ['W', 'i32'], ['KH', 'i32'], ['KW', 'i32'], ['s0', 'i32'], ['s1', 'i32'],
  ['p0', 'i32'], ['p1', 'i32'], ['d0', 'i32'], ['d1', 'i32'], ['OH', 'i32'], ['OW', 'i32'],
];
const winLocals: [string, 'i32'][] = [
  ['pl', 'i32'], ['ki', 'i32'], ['kj', 'i32'], ['oy', 'i32'], ['y', 'i32'], ['start', 'i32'], ['lo', 'i32'], ['hi', 'i32'],
  ['xpl', 'i32'], ['rowb', 'i32'], ['planeb', 'i32'], ['src', 'i32'], ['dd', 'i32'], ['nn', 'i32'],
];

/** start = kj·d1 − p1; [lo, hi) = the output columns whose input column lo·s1 + start lies inside [0, W) */
function loHi(): Code {
  const b1 = 'lh_b1', l1 = 'lh_l1', b2 = 'lh_b2', l2 = 'lh_l2';
  return [
    get('kj'), get('d1'), ['i32.mul'], get('p1'), ['i32.sub'], set('start'),
    i32(0), set('lo'),
    ['block', b1], ['loop', l1],
    get('lo'), get('OW'), ['i32.ge_s'], ['br_if', b1],
    get('lo'), get('s1'), ['i32.mul'], get('start'), ['i32.add'], i32(0), ['i32.ge_s'], ['br_if', b1],
    ...inc('lo', 1), ['br', l1],
    ['end'], ['end'],
    get('OW'), set('hi'),
    ['block', b2], ['loop', l2],
    get('hi'), get('lo'), ['i32.le_s'], ['br_if', b2],
    get('hi'), i32(1), ['i32.sub'], get('s1'), ['i32.mul'], get('start'), ['i32.add'], get('W'), ['i32.lt_s'], ['br_if', b2],
    ...inc('hi', -1), ['br', l2],
    ['end'], ['end'],
  ];
}

/** address of input row y at column lo·s1 + start of the plane at xpl */
const rowSrc = (): Code => [
  get('xpl'), get('y'), get('W'), ['i32.mul'], get('lo'), get('s1'), ['i32.mul'], ['i32.add'], get('start'), ['i32.add'],
  i32(2), ['i32.shl'], ['i32.add'],
];

/**
 * The loop nest unfold and fold share: for every plane, window offset (ki, kj) and output row oy, with the
 * valid column range [lo, hi) and input row y computed; `row` is the per-row body (y may be out of range),
 * `colsPtr` the column-buffer pointer advanced one output row per step. `xpl` walks the image planes from
 * `imagePtr`.
 */
const windowRows = (imagePtr: string, colsPtr: string, row: Code): Code => [
  get('OW'), i32(2), ['i32.shl'], set('rowb'),
  get('H'), get('W'), ['i32.mul'], i32(2), ['i32.shl'], set('planeb'),
  get(imagePtr), set('xpl'),
  ...forRange('pl', [i32(0)], [get('planes')], 1, [
    ...forRange('ki', [i32(0)], [get('KH')], 1, [
      ...forRange('kj', [i32(0)], [get('KW')], 1, [
        ...loHi(),
        get('ki'), get('d0'), ['i32.mul'], get('p0'), ['i32.sub'], set('y'),
        ...forRange('oy', [i32(0)], [get('OH')], 1, [
          ...row,
          ...inc(colsPtr, 'rowb'),
          ...inc('y', 's0'),
        ]),
      ]),
    ]),
    ...inc('xpl', 'planeb'),
  ]),
];

/** unfold_f32(x, o, planes, H, W, KH, KW, s0, s1, p0, p1, d0, d1, OH, OW, pad): im2col of contiguous planes */
const unfoldFunc: FuncDef = {
  name: 'unfold_f32',
  params: [['x', 'i32'], ['o', 'i32'], ...winParams, ['pad', 'f32']],
  locals: winLocals,
  body: windowRows('x', 'o', [
    // a row outside the image is all padding; inside, pad [0, lo), copy [lo, hi), pad [hi, OW)
    ...ifElse([get('y'), get('H'), ['i32.ge_u']], [get('o'), get('OW'), get('pad'), ['call', 'fill_f32']], [
      ...ifElse([get('lo'), i32(0), ['i32.gt_s']], [get('o'), get('lo'), get('pad'), ['call', 'fill_f32']]),
      get('o'), get('lo'), i32(2), ['i32.shl'], ['i32.add'], set('dd'),
      ...rowSrc(), set('src'),
      get('hi'), get('lo'), ['i32.sub'], set('nn'),
      ...ifElse([get('s1'), i32(1), ['i32.eq']], [get('dd'), get('src'), get('nn'), ['call', 'copy_f32']], [
        get('dd'), get('src'), get('nn'), get('s1'), i32(2), ['i32.shl'], ['call', 'copy_strided_f32'],
      ]),
      ...ifElse([get('hi'), get('OW'), ['i32.lt_s']], [
        get('o'), get('hi'), i32(2), ['i32.shl'], ['i32.add'], get('OW'), get('hi'), ['i32.sub'], get('pad'), ['call', 'fill_f32'],
      ]),
    ]),
  ]),
};

/** fold_f32(c, o, planes, H, W, KH, KW, s0, s1, p0, p1, d0, d1, OH, OW): col2im, accumulated into (zeroed) o */
const foldFunc: FuncDef = {
  name: 'fold_f32',
  params: [['c', 'i32'], ['o', 'i32'], ...winParams],
  locals: winLocals,
  body: windowRows('o', 'c', [
    // the adjoint: add the valid span [lo, hi) of the column row back into image row y
    ...ifElse([get('y'), get('H'), ['i32.lt_u']], [
      ...rowSrc(), set('dd'),
      get('c'), get('lo'), i32(2), ['i32.shl'], ['i32.add'], set('src'),
      get('hi'), get('lo'), ['i32.sub'], set('nn'),
      ...ifElse([get('s1'), i32(1), ['i32.eq']], [get('dd'), get('src'), get('nn'), ['call', 'acc_f32']], [
        get('dd'), get('src'), get('nn'), get('s1'), i32(2), ['i32.shl'], ['call', 'acc_strided_f32'],
      ]),
    ]),
  ]),
};


/** the window arguments unfold_f32 and fold_f32 share, after their two pointers */
export const winArgs = (planes: number, H: number, W: number, p: UnfoldParams, OH: number, OW: number): number[] => [
  planes, H, W, p.kernel[0], p.kernel[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], OH, OW,
];

/** bytes of the column buffer: planes·KH·KW·OH·OW floats */
const colsBytes = (p: { planes: number; KH: number; KW: number; OH: number; OW: number }): number => 4 * p.planes * p.KH * p.KW * p.OH * p.OW;

/** unfold_f32 of `planes` planes into their columns, split by planes; pad is the value outside the image */
export const unfoldJob = defineJob({
  name: 'unfold',
  fields: ['src', 'dst', 'planes', 'H', 'W', 'KH', 'KW', 's0', 's1', 'p0', 'p1', 'd0', 'd1', 'OH', 'OW', 'pad'],
  chunks: (p, threads) => unitChunks(p.planes, colsBytes(p), threads),
  run(ex, p, part, nparts) {
    const [q0, q1] = share(p.planes, part, nparts);
    if (q1 <= q0) return;
    ex.unfold_f32!(p.src + q0 * 4 * p.H * p.W, p.dst + q0 * 4 * p.KH * p.KW * p.OH * p.OW, q1 - q0,
      p.H, p.W, p.KH, p.KW, p.s0, p.s1, p.p0, p.p1, p.d0, p.d1, p.OH, p.OW, p.pad);
  },
});

/** fold_f32 of the columns of `planes` planes, accumulated into the zeroed images, split by planes */
export const foldJob = defineJob({
  name: 'fold',
  fields: ['src', 'dst', 'planes', 'H', 'W', 'KH', 'KW', 's0', 's1', 'p0', 'p1', 'd0', 'd1', 'OH', 'OW'],
  chunks: (p, threads) => unitChunks(p.planes, colsBytes(p), threads),
  run(ex, p, part, nparts) {
    const [q0, q1] = share(p.planes, part, nparts);
    if (q1 <= q0) return;
    ex.fold_f32!(p.src + q0 * 4 * p.KH * p.KW * p.OH * p.OW, p.dst + q0 * 4 * p.H * p.W, q1 - q0,
      p.H, p.W, p.KH, p.KW, p.s0, p.s1, p.p0, p.p1, p.d0, p.d1, p.OH, p.OW);
  },
});

export const windowSpec: KernelSpec = {
  name: 'window',
  emit: () => [unfoldFunc, foldFunc],
  jobs: [unfoldJob, foldJob],
  warmCalls(ex, { a, b, c }) {
    const conv: UnfoldParams = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], padValue: 0 };
    const pool: UnfoldParams = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], padValue: -Infinity };
    // 2 planes of 28×28 → 18·784 floats, 8 planes pooled 2×2 → 32·196 (each < 2^16 floats)
    ex.unfold_f32!(a, b, ...winArgs(2, 28, 28, conv, 28, 28), 0);
    ex.fold_f32!(b, c, ...winArgs(2, 28, 28, conv, 28, 28));
    ex.unfold_f32!(a, b, ...winArgs(8, 28, 28, pool, 14, 14), -Infinity);
    ex.fold_f32!(b, c, ...winArgs(8, 28, 28, pool, 14, 14));
  },
};
