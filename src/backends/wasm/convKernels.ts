/**
 * float32 kernels of the convolution / pooling training step, part of the main kernel module (every thread
 * has them); the host splits the large passes (unfold, fold, row-scalar binaries, pooling max/min and
 * arg-max/min, the relu mask) across the pool by planes or rows:
 *
 *  - unfold (im2col) and fold (col2im), v128 copies / accumulations along stride-1 rows;
 *  - binaries where one operand is one scalar per row of the other (a conv bias [C] added to [N, C, H, W]);
 *  - reductions over [outer, R, inner] (sum in float64 as the reference, max/min) and arg-reductions over a
 *    middle axis, SIMD over inner (the max-pooling window axis);
 *  - gather / scatter-add along one axis when the index has the input's extent on every other axis;
 *  - the relu-backward mask `step` (x > t ? 1 : 0);
 *  - bias + activation after a GEMM (Linear): z = x + b[j] over [rows, N], then relu (max(z, 0)) or nothing,
 *    in one pass (the transcendental activations run this pass for z and then the main module's SIMD unary).
 *
 * Each entry point returns false when the layout or dtype does not fit; the caller then runs the reference
 * kernel, so behaviour (errors included) stays the reference's.
 */
import type { DType } from '../../dtype.js';
import type { BinaryOp, ReduceOp, ArgReduceOp, UnaryOp, UnfoldParams, View } from '../backend.js';
import * as K from '../ts/kernels.js';
import type { WasmBlock } from './allocator.js';
import type { FuncDef } from './emitter.js';
import type { KernelExports } from './module.js';
import { type Code, forRange, get, i32, ifElse, inc, set } from './asm.js';

const V = 'v128';

// ---- small internal helpers (not exported from the module) ------------------------------------------

/** fill_f32(p, n, v): n float32 = v at byte address p */
const fillFunc: FuncDef = {
  name: 'fill_f32', export: false,
  params: [['p', 'i32'], ['n', 'i32'], ['v', 'f32']],
  locals: [['e4', 'i32'], ['e', 'i32'], ['vv', V]],
  body: [
    get('v'), ['f32x4.splat'], set('vv'),
    get('p'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('p'), get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
    ...forRange('p', [get('p')], [get('e4')], 16, [get('p'), get('vv'), ['v128.store', 0]]),
    ...forRange('p', [get('p')], [get('e')], 4, [get('p'), get('v'), ['f32.store', 0]]),
  ],
};

/** copy_f32(d, s, n): d[i] = s[i] */
const copyFunc: FuncDef = {
  name: 'copy_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32']],
  locals: [['e4', 'i32'], ['e', 'i32']],
  body: [
    get('d'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('d'), get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
    ...forRange('d', [get('d')], [get('e4')], 16, [get('d'), get('s'), ['v128.load', 0], ['v128.store', 0], ...inc('s', 16)]),
    ...forRange('d', [get('d')], [get('e')], 4, [get('d'), get('s'), ['f32.load', 0], ['f32.store', 0], ...inc('s', 4)]),
  ],
};

/** copy_strided_f32(d, s, n, step): d[i] = *(s + i·step) (step in bytes) */
const copyStridedFunc: FuncDef = {
  name: 'copy_strided_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32'], ['step', 'i32']],
  locals: [['e', 'i32']],
  body: [
    get('d'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    ...forRange('d', [get('d')], [get('e')], 4, [get('d'), get('s'), ['f32.load', 0], ['f32.store', 0], ...inc('s', 'step')]),
  ],
};

/** acc_f32(d, s, n): d[i] += s[i] */
const accFunc: FuncDef = {
  name: 'acc_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32']],
  locals: [['e4', 'i32'], ['e', 'i32']],
  body: [
    get('d'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('d'), get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
    ...forRange('d', [get('d')], [get('e4')], 16, [
      get('d'), get('d'), ['v128.load', 0], get('s'), ['v128.load', 0], ['f32x4.add'], ['v128.store', 0], ...inc('s', 16),
    ]),
    ...forRange('d', [get('d')], [get('e')], 4, [
      get('d'), get('d'), ['f32.load', 0], get('s'), ['f32.load', 0], ['f32.add'], ['f32.store', 0], ...inc('s', 4),
    ]),
  ],
};

/** acc_strided_f32(d, s, n, step): *(d + i·step) += s[i] (step in bytes) */
const accStridedFunc: FuncDef = {
  name: 'acc_strided_f32', export: false,
  params: [['d', 'i32'], ['s', 'i32'], ['n', 'i32'], ['step', 'i32']],
  locals: [['e', 'i32']],
  body: [
    get('s'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    ...forRange('s', [get('s')], [get('e')], 4, [
      get('d'), get('d'), ['f32.load', 0], get('s'), ['f32.load', 0], ['f32.add'], ['f32.store', 0], ...inc('d', 'step'),
    ]),
  ],
};

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

// ---- row-scalar binaries --------------------------------------------------------------------------------

type RsOp = 'add' | 'sub' | 'mul' | 'div';
export const RS_OPS: readonly RsOp[] = ['add', 'sub', 'mul', 'div'];

/**
 * rs_<op>_<mode>(a, b, o, rows, inner, P, sb): o[r, j] = a[r, j] ∘ s_r (mode 0) or s_r ∘ a[r, j] (mode 1),
 * s_r = b[(r mod P)·sb] (sb in elements)
 */
function rowScalarFunc(op: RsOp, mode: 0 | 1): FuncDef {
  const vec: Code = mode === 0
    ? [get('a'), get('j'), ['i32.add'], ['v128.load', 0], get('vs'), [`f32x4.${op}`]]
    : [get('vs'), get('a'), get('j'), ['i32.add'], ['v128.load', 0], [`f32x4.${op}`]];
  const sc: Code = mode === 0
    ? [get('a'), get('j'), ['i32.add'], ['f32.load', 0], get('s'), [`f32.${op}`]]
    : [get('s'), get('a'), get('j'), ['i32.add'], ['f32.load', 0], [`f32.${op}`]];
  return {
    name: `rs_${op}_${mode}`,
    params: [['a', 'i32'], ['b', 'i32'], ['o', 'i32'], ['rows', 'i32'], ['inner', 'i32'], ['P', 'i32'], ['sb', 'i32']],
    locals: [['r', 'i32'], ['j', 'i32'], ['pi', 'i32'], ['e4', 'i32'], ['e', 'i32'], ['s', 'f32'], ['vs', V]],
    body: [
      get('inner'), i32(2), ['i32.shl'], set('e'),
      get('inner'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('e4'),
      get('sb'), i32(2), ['i32.shl'], set('sb'),
      i32(0), set('pi'),
      ...forRange('r', [i32(0)], [get('rows')], 1, [
        get('b'), get('pi'), get('sb'), ['i32.mul'], ['i32.add'], ['f32.load', 0], set('s'),
        get('s'), ['f32x4.splat'], set('vs'),
        ...forRange('j', [i32(0)], [get('e4')], 16, [get('o'), get('j'), ['i32.add'], ...vec, ['v128.store', 0]]),
        ...forRange('j', [get('e4')], [get('e')], 4, [get('o'), get('j'), ['i32.add'], ...sc, ['f32.store', 0]]),
        ...inc('a', 'e'), ...inc('o', 'e'), ...inc('pi', 1),
        ...ifElse([get('pi'), get('P'), ['i32.eq']], [i32(0), set('pi')]),
      ]),
    ],
  };
}

// ---- reductions -----------------------------------------------------------------------------------------

/** rows_sum_f64(x, acc, rows, R): acc[r] (f64) = Σ_k x[r, k], summed in f64 */
const rowsSumFunc: FuncDef = {
  name: 'rows_sum_f64',
  params: [['x', 'i32'], ['acc', 'i32'], ['rows', 'i32'], ['R', 'i32']],
  locals: [['r', 'i32'], ['e2', 'i32'], ['s0', V], ['s1', V], ['t', 'f64'], ['e4', 'i32']],
  body: [
    ...forRange('r', [i32(0)], [get('rows')], 1, [
      ['v128.const', 0, 0, 0, 0], set('s0'), ['v128.const', 0, 0, 0, 0], set('s1'),
      get('x'), get('R'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
      get('x'), get('R'), i32(2), ['i32.shl'], ['i32.add'], set('e2'),
      ...forRange('x', [get('x')], [get('e4')], 16, [
        get('s0'), get('x'), ['v128.load64_splat', 0], ['f64x2.promote_low_f32x4'], ['f64x2.add'], set('s0'),
        get('s1'), get('x'), ['v128.load64_splat', 8], ['f64x2.promote_low_f32x4'], ['f64x2.add'], set('s1'),
      ]),
      get('s0'), get('s1'), ['f64x2.add'], set('s0'),
      get('s0'), ['f64x2.extract_lane', 0], get('s0'), ['f64x2.extract_lane', 1], ['f64.add'], set('t'),
      ...forRange('x', [get('x')], [get('e2')], 4, [get('t'), get('x'), ['f32.load', 0], ['f64.promote_f32'], ['f64.add'], set('t')]),
      get('acc'), get('t'), ['f64.store', 0],
      ...inc('acc', 8),
    ]),
  ],
};

/** cols_sum_f64(x, acc, outer, R, inner): acc[o, i] (f64, zeroed by the caller) += Σ_r x[o, r, i] */
const colsSumFunc: FuncDef = {
  name: 'cols_sum_f64',
  params: [['x', 'i32'], ['acc', 'i32'], ['outer', 'i32'], ['R', 'i32'], ['inner', 'i32']],
  locals: [['oo', 'i32'], ['r', 'i32'], ['a', 'i32'], ['e2', 'i32'], ['ab', 'i32']],
  body: [
    get('inner'), i32(3), ['i32.shl'], set('ab'),
    ...forRange('oo', [i32(0)], [get('outer')], 1, [
      ...forRange('r', [i32(0)], [get('R')], 1, [
        get('acc'), get('inner'), i32(-2), ['i32.and'], i32(3), ['i32.shl'], ['i32.add'], set('e2'),
        ...forRange('a', [get('acc')], [get('e2')], 16, [
          get('a'), get('a'), ['v128.load', 0], get('x'), ['v128.load64_splat', 0], ['f64x2.promote_low_f32x4'], ['f64x2.add'],
          ['v128.store', 0], ...inc('x', 8),
        ]),
        ...ifElse([get('inner'), i32(1), ['i32.and']], [
          get('a'), get('a'), ['f64.load', 0], get('x'), ['f32.load', 0], ['f64.promote_f32'], ['f64.add'], ['f64.store', 0],
          ...inc('x', 4),
        ]),
      ]),
      ...inc('acc', 'ab'),
    ]),
  ],
};

/** mid_<max|min>_f32(x, o, outer, R, inner): o[oo, i] = max/min_r x[oo, r, i] (R ≥ 1; NaN propagates) */
function midExtFunc(kind: 'max' | 'min'): FuncDef {
  return {
    name: `mid_${kind}_f32`,
    params: [['x', 'i32'], ['o', 'i32'], ['outer', 'i32'], ['R', 'i32'], ['inner', 'i32']],
    locals: [['oo', 'i32'], ['r', 'i32'], ['j', 'i32'], ['e4', 'i32'], ['e', 'i32']],
    body: [
      get('inner'), i32(2), ['i32.shl'], set('e'),
      get('inner'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('e4'),
      ...forRange('oo', [i32(0)], [get('outer')], 1, [
        get('o'), get('x'), get('inner'), ['call', 'copy_f32'],
        ...inc('x', 'e'),
        ...forRange('r', [i32(1)], [get('R')], 1, [
          ...forRange('j', [i32(0)], [get('e4')], 16, [
            get('o'), get('j'), ['i32.add'],
            get('o'), get('j'), ['i32.add'], ['v128.load', 0], get('x'), get('j'), ['i32.add'], ['v128.load', 0], [`f32x4.${kind}`],
            ['v128.store', 0],
          ]),
          ...forRange('j', [get('e4')], [get('e')], 4, [
            get('o'), get('j'), ['i32.add'],
            get('o'), get('j'), ['i32.add'], ['f32.load', 0], get('x'), get('j'), ['i32.add'], ['f32.load', 0], [`f32.${kind}`],
            ['f32.store', 0],
          ]),
          ...inc('x', 'e'),
        ]),
        ...inc('o', 'e'),
      ]),
    ],
  };
}

/**
 * arg_<max|min>_f32(x, o, outer, R, inner): o[oo, i] (i32) = the first r of the extreme x[oo, r, i]; the first
 * NaN counts as the extreme and freezes the slot (as the reference)
 */
function argFunc(kind: 'max' | 'min'): FuncDef {
  const cmpV = kind === 'max' ? 'f32x4.gt' : 'f32x4.lt';
  const cmpS = kind === 'max' ? 'f32.gt' : 'f32.lt';
  return {
    name: `arg_${kind}_f32`,
    params: [['x', 'i32'], ['o', 'i32'], ['outer', 'i32'], ['R', 'i32'], ['inner', 'i32']],
    locals: [
      ['oo', 'i32'], ['r', 'i32'], ['j', 'i32'], ['e4', 'i32'], ['e', 'i32'], ['p', 'i32'], ['base', 'i32'], ['bi', 'i32'],
      ['b', V], ['v', V], ['m', V], ['bv', V], ['bs', 'f32'], ['vs', 'f32'],
    ],
    body: [
      get('inner'), i32(2), ['i32.shl'], set('e'),
      get('inner'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('e4'),
      get('x'), set('base'),
      ...forRange('oo', [i32(0)], [get('outer')], 1, [
        ...forRange('j', [i32(0)], [get('e4')], 16, [
          get('base'), get('j'), ['i32.add'], ['local.tee', 'p'], ['v128.load', 0], set('b'),
          ['v128.const', 0, 0, 0, 0], set('bv'),
          ...forRange('r', [i32(1)], [get('R')], 1, [
            ...inc('p', 'e'),
            get('p'), ['v128.load', 0], set('v'),
            get('b'), get('b'), ['f32x4.eq'],
            get('v'), get('v'), ['f32x4.ne'], get('v'), get('b'), [cmpV], ['v128.or'],
            ['v128.and'], set('m'),
            get('v'), get('b'), get('m'), ['v128.bitselect'], set('b'),
            get('r'), ['i32x4.splat'], get('bv'), get('m'), ['v128.bitselect'], set('bv'),
          ]),
          get('o'), get('j'), ['i32.add'], get('bv'), ['v128.store', 0],
        ]),
        ...forRange('j', [get('e4')], [get('e')], 4, [
          get('base'), get('j'), ['i32.add'], ['local.tee', 'p'], ['f32.load', 0], set('bs'),
          i32(0), set('bi'),
          ...forRange('r', [i32(1)], [get('R')], 1, [
            ...inc('p', 'e'),
            get('p'), ['f32.load', 0], set('vs'),
            ...ifElse([
              get('bs'), get('bs'), ['f32.eq'],
              get('vs'), get('vs'), ['f32.ne'], get('vs'), get('bs'), [cmpS], ['i32.or'],
              ['i32.and'],
            ], [get('vs'), set('bs'), get('r'), set('bi')]),
          ]),
          get('o'), get('j'), ['i32.add'], get('bi'), ['i32.store', 0],
        ]),
        get('base'), get('R'), get('e'), ['i32.mul'], ['i32.add'], set('base'),
        ...inc('o', 'e'),
      ]),
    ],
  };
}

// ---- gather / scatter-add along an axis ---------------------------------------------------------------

const gsLocals: [string, 'i32'][] = [['oo', 'i32'], ['r', 'i32'], ['i', 'i32'], ['iv', 'i32'], ['pos', 'i32'], ['xb', 'i32'], ['ib', 'i32']];
/** iv = idx[pos] wrapped (negative counts from the end); returns pos from the function when out of range */
const loadIndex = (): Code => [
  get('idx'), ['i32.load', 0], set('iv'),
  ...ifElse([get('iv'), i32(0), ['i32.lt_s']], [get('iv'), get('R'), ['i32.add'], set('iv')]),
  ...ifElse([get('iv'), get('R'), ['i32.ge_u']], [get('pos'), ['return']]),
];

/** gather32(x, idx, o, outer, R, RI, inner) → −1, or the position of the first out-of-range index */
const gatherFunc: FuncDef = {
  name: 'gather32',
  params: [['x', 'i32'], ['idx', 'i32'], ['o', 'i32'], ['outer', 'i32'], ['R', 'i32'], ['RI', 'i32'], ['inner', 'i32']],
  result: 'i32',
  locals: gsLocals,
  body: [
    get('inner'), i32(2), ['i32.shl'], set('ib'),
    get('R'), get('ib'), ['i32.mul'], set('xb'),
    ...forRange('oo', [i32(0)], [get('outer')], 1, [
      ...forRange('r', [i32(0)], [get('RI')], 1, [
        ...forRange('i', [i32(0)], [get('ib')], 4, [
          ...loadIndex(),
          get('o'), get('x'), get('iv'), get('ib'), ['i32.mul'], ['i32.add'], get('i'), ['i32.add'], ['i32.load', 0], ['i32.store', 0],
          ...inc('o', 4), ...inc('idx', 4), ...inc('pos', 1),
        ]),
      ]),
      ...inc('x', 'xb'),
    ]),
    i32(-1),
  ],
};

/** scatter_add_f32(o, idx, src, outer, R, RI, inner) → −1, or the position of the first out-of-range index */
const scatterFunc: FuncDef = {
  name: 'scatter_add_f32',
  params: [['o', 'i32'], ['idx', 'i32'], ['src', 'i32'], ['outer', 'i32'], ['R', 'i32'], ['RI', 'i32'], ['inner', 'i32']],
  result: 'i32',
  locals: [...gsLocals, ['t', 'i32']],
  body: [
    get('inner'), i32(2), ['i32.shl'], set('ib'),
    get('R'), get('ib'), ['i32.mul'], set('xb'),
    ...forRange('oo', [i32(0)], [get('outer')], 1, [
      ...forRange('r', [i32(0)], [get('RI')], 1, [
        ...forRange('i', [i32(0)], [get('ib')], 4, [
          ...loadIndex(),
          get('o'), get('iv'), get('ib'), ['i32.mul'], ['i32.add'], get('i'), ['i32.add'], set('t'),
          get('t'), get('t'), ['f32.load', 0], get('src'), ['f32.load', 0], ['f32.add'], ['f32.store', 0],
          ...inc('src', 4), ...inc('idx', 4), ...inc('pos', 1),
        ]),
      ]),
      ...inc('o', 'xb'),
    ]),
    i32(-1),
  ],
};

// ---- step ---------------------------------------------------------------------------------------------

/** step_f32(x, o, n, t): o[i] = x[i] > t ? 1 : 0 */
const stepFunc: FuncDef = {
  name: 'step_f32',
  params: [['x', 'i32'], ['o', 'i32'], ['n', 'i32'], ['t', 'f32']],
  locals: [['e4', 'i32'], ['e', 'i32'], ['vt', V], ['one', V]],
  body: [
    get('t'), ['f32x4.splat'], set('vt'),
    ['f32.const', 1], ['f32x4.splat'], set('one'),
    get('o'), get('n'), i32(2), ['i32.shl'], ['i32.add'], set('e'),
    get('o'), get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], ['i32.add'], set('e4'),
    ...forRange('o', [get('o')], [get('e4')], 16, [
      get('o'), get('x'), ['v128.load', 0], get('vt'), ['f32x4.gt'], get('one'), ['v128.and'], ['v128.store', 0], ...inc('x', 16),
    ]),
    ...forRange('o', [get('o')], [get('e')], 4, [
      get('o'), ['f32.const', 1], ['f32.const', 0], get('x'), ['f32.load', 0], get('t'), ['f32.gt'], ['select'], ['f32.store', 0],
      ...inc('x', 4),
    ]),
  ],
};

// ---- bias + activation ------------------------------------------------------------------------------

/** bias_<none|relu>_f32(x, b, o, rows, N): o[r, j] = act(x[r, j] + b[j]); relu = max(z, 0) (NaN stays NaN, −0 → +0) */
function biasActFunc(relu: boolean): FuncDef {
  const act = (z: Code, vec: boolean): Code => (relu ? [...z, ...(vec ? [get('zero')] : [['f32.const', 0]] as Code), [vec ? 'f32x4.max' : 'f32.max']] : z);
  return {
    name: `bias_${relu ? 'relu' : 'none'}_f32`,
    params: [['x', 'i32'], ['b', 'i32'], ['o', 'i32'], ['rows', 'i32'], ['N', 'i32']],
    locals: [['r', 'i32'], ['j', 'i32'], ['e4', 'i32'], ['e', 'i32'], ['zero', V]],
    body: [
      ['v128.const', 0, 0, 0, 0], set('zero'),
      get('N'), i32(2), ['i32.shl'], set('e'),
      get('N'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('e4'),
      ...forRange('r', [i32(0)], [get('rows')], 1, [
        ...forRange('j', [i32(0)], [get('e4')], 16, [
          get('o'), get('j'), ['i32.add'],
          ...act([get('x'), get('j'), ['i32.add'], ['v128.load', 0], get('b'), get('j'), ['i32.add'], ['v128.load', 0], ['f32x4.add']], true),
          ['v128.store', 0],
        ]),
        ...forRange('j', [get('e4')], [get('e')], 4, [
          get('o'), get('j'), ['i32.add'],
          ...act([get('x'), get('j'), ['i32.add'], ['f32.load', 0], get('b'), get('j'), ['i32.add'], ['f32.load', 0], ['f32.add']], false),
          ['f32.store', 0],
        ]),
        ...inc('x', 'e'), ...inc('o', 'e'),
      ]),
    ],
  };
}

/** copy4_32(src, dst, n0, n1, n2, n3, s0, s1, s2, s3): dst (contiguous) = the 4-byte elements of a strided 4-D view */
const copy4Func: FuncDef = {
  name: 'copy4_32',
  params: [['src', 'i32'], ['dst', 'i32'], ['n0', 'i32'], ['n1', 'i32'], ['n2', 'i32'], ['n3', 'i32'],
    ['s0', 'i32'], ['s1', 'i32'], ['s2', 'i32'], ['s3', 'i32']],
  locals: [['i0', 'i32'], ['i1', 'i32'], ['i2', 'i32'], ['p0', 'i32'], ['p1', 'i32'], ['p2', 'i32']],
  body: [
    get('s0'), i32(2), ['i32.shl'], set('s0'), get('s1'), i32(2), ['i32.shl'], set('s1'),
    get('s2'), i32(2), ['i32.shl'], set('s2'), get('s3'), i32(2), ['i32.shl'], set('s3'),
    get('src'), set('p0'),
    ...forRange('i0', [i32(0)], [get('n0')], 1, [
      get('p0'), set('p1'),
      ...forRange('i1', [i32(0)], [get('n1')], 1, [
        get('p1'), set('p2'),
        ...forRange('i2', [i32(0)], [get('n2')], 1, [
          ...ifElse([get('s3'), i32(4), ['i32.eq']], [get('dst'), get('p2'), get('n3'), ['call', 'copy_f32']], [
            get('dst'), get('p2'), get('n3'), get('s3'), ['call', 'copy_strided_f32'],
          ]),
          get('dst'), get('n3'), i32(2), ['i32.shl'], ['i32.add'], set('dst'),
          ...inc('p2', 's2'),
        ]),
        ...inc('p1', 's1'),
      ]),
      ...inc('p0', 's0'),
    ]),
  ],
};

export function convFuncs(): FuncDef[] {
  return [
    fillFunc, copyFunc, copyStridedFunc, accFunc, accStridedFunc,
    unfoldFunc, foldFunc,
    ...RS_OPS.flatMap((op) => [rowScalarFunc(op, 0), rowScalarFunc(op, 1)]),
    rowsSumFunc, colsSumFunc, midExtFunc('max'), midExtFunc('min'), argFunc('max'), argFunc('min'),
    gatherFunc, scatterFunc, stepFunc, copy4Func, biasActFunc(false), biasActFunc(true),
  ];
}

// ---- host side ----------------------------------------------------------------------------------------


/** the threaded passes; jobs.ts splits each (JOB_CONV with one of these as its first parameter) */
export const CONV_UNFOLD = 0, CONV_FOLD = 1, CONV_ROW_SCALAR = 2, CONV_MID_EXT = 3, CONV_STEP = 4, CONV_ARG_EXT = 5;

export interface ConvKernelHost {
  memory: WebAssembly.Memory;
  /** the main module's exports (the conv kernels are part of it) */
  ex: KernelExports;
  alloc(bytes: number, zero: boolean): WasmBlock;
  release(b: WasmBlock): void;
  /**
   * run a CONV_* pass: params after the pass id as jobs.ts reads them, `units` the independent pieces it can be
   * cut into (planes, row groups, outer slices), `bytes` the memory it touches (decides whether to go parallel)
   */
  parallel(pass: number, params: number[], units: number, bytes: number): void;
}

/** The dispatch entry points: each runs the kernel into `o` and returns true, or returns false untouched. */
export interface ConvKernels {
  unfold(o: WasmBlock, x: View<WasmBlock>, p: UnfoldParams): boolean;
  /** zero-fills `o` (allocated unzeroed) first, whether it then runs or not */
  fold(o: WasmBlock, cols: View<WasmBlock>, outShape: readonly [number, number, number, number], p: UnfoldParams): boolean;
  binary(op: BinaryOp, a: View<WasmBlock>, b: View<WasmBlock>, o: WasmBlock, dt: DType): boolean;
  reduce(op: ReduceOp, x: View<WasmBlock>, axes: readonly number[], o: WasmBlock, dt: DType): boolean;
  argReduce(op: ArgReduceOp, x: View<WasmBlock>, axis: number, o: WasmBlock): boolean;
  gather(x: View<WasmBlock>, axis: number, index: View<WasmBlock>, o: WasmBlock): boolean;
  /** zero-fills `o` (allocated unzeroed) first, whether it then runs or not */
  scatterAdd(shape: readonly number[], dt: DType, axis: number, index: View<WasmBlock>, src: View<WasmBlock>, o: WasmBlock): boolean;
  /** a strided view of 4-byte elements (rank ≤ 4 once size-1 dims are dropped) into contiguous `o` */
  copy(o: WasmBlock, x: View<WasmBlock>, dt: DType): boolean;
  unary(op: UnaryOp, x: View<WasmBlock>, dt: DType, params: readonly number[] | undefined, o: WasmBlock): boolean;
  /** o = act(x + bias) over contiguous float32 x [rows, N] and contiguous bias [N]; act 'none' or 'relu' */
  biasAct(x: View<WasmBlock>, bias: View<WasmBlock>, relu: boolean, o: WasmBlock): boolean;
}

const contiguous = (v: View<WasmBlock>): boolean => K.isContiguous(v.shape, v.strides);
const addr = (v: View<WasmBlock>): number => v.data.ptr + 4 * v.offset;

/**
 * b as one scalar per row of a contiguous [rows, inner] walk of `shape`: trailing dims of stride 0 (inner > 1),
 * then a run of dims b addresses with one stride (P scalars, stride sb), leading dims of stride 0 again.
 */
function rowScalar(v: View<WasmBlock>): { inner: number; P: number; sb: number } | null {
  const dims: number[] = [];
  for (let d = 0; d < v.shape.length; d++) if (v.shape[d] !== 1) dims.push(d);
  let k = dims.length - 1, inner = 1;
  while (k >= 0 && v.strides[dims[k]!] === 0) inner *= v.shape[dims[k--]!]!;
  if (inner === 1 || k < 0) return null;
  const sb = v.strides[dims[k]!]!;
  let P = v.shape[dims[k]!]!;
  let prev = dims[k--]!;
  while (k >= 0 && v.strides[dims[k]!] !== 0 && v.strides[dims[k]!] === v.strides[prev]! * v.shape[prev]!) {
    prev = dims[k]!;
    P *= v.shape[dims[k--]!]!;
  }
  for (; k >= 0; k--) if (v.strides[dims[k]!] !== 0) return null;
  return { inner, P, sb };
}

export function createConvKernels(host: ConvKernelHost): ConvKernels {
  const { memory, ex } = host;

  const winArgs = (planes: number, H: number, W: number, p: UnfoldParams, OH: number, OW: number): number[] => [
    planes, H, W, p.kernel[0], p.kernel[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], OH, OW,
  ];

  /** Σ with f64 partials: the biggest pass (the last run of reduced axes) here, the rest by the reference over the f64 partials */
  const reduceSum = (x: View<WasmBlock>, axes: readonly number[], o: WasmBlock): boolean => {
    // collapse to alternating groups of kept / reduced extents (size-1 dims dropped)
    const groups: { red: boolean; size: number }[] = [];
    for (let d = 0; d < x.shape.length; d++) {
      const s = x.shape[d]!;
      if (s === 1) continue;
      const red = axes.includes(d);
      const last = groups[groups.length - 1];
      if (last && last.red === red) last.size *= s;
      else groups.push({ red, size: s });
    }
    let li = -1;
    for (let g = groups.length - 1; g >= 0; g--) if (groups[g]!.red) { li = g; break; }
    if (li < 0) return false;
    const outer = groups.slice(0, li).reduce((a, g) => a * g.size, 1);
    const R = groups[li]!.size;
    const inner = groups.slice(li + 1).reduce((a, g) => a * g.size, 1);
    const partN = outer * inner;
    const tmp = host.alloc(8 * partN, inner > 1);
    try {
      if (inner === 1) ex.rows_sum_f64!(addr(x), tmp.ptr, outer, R);
      else ex.cols_sum_f64!(addr(x), tmp.ptr, outer, R, inner);
      const part = new Float64Array(memory.buffer, tmp.ptr, partN);
      const O = new Float32Array(memory.buffer, o.ptr, o.bytes / 4);
      const rest = groups.slice(0, li);
      const restAxes = rest.flatMap((g, i) => (g.red ? [i] : []));
      if (restAxes.length === 0) {
        O.set(part);
      } else {
        const shape = [...rest.map((g) => g.size), inner];
        K.reduce(O, 'float32', 'sum', { arr: part, shape, strides: K.contiguousStrides(shape), offset: 0 }, restAxes);
      }
    } finally {
      host.release(tmp);
    }
    return true;
  };

  /**
   * V8 starts wasm functions in its baseline compiler and optimises each only after it has run for a while,
   * so run every kernel a few times on scratch data now rather than during the first training steps.
   */
  const warmUp = (): void => {
    const bytes = 1 << 18;
    const blk = host.alloc(3 * bytes, true);
    const a = blk.ptr, b = a + bytes, c = b + bytes;
    try {
      const conv: UnfoldParams = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], padValue: 0 };
      const pool: UnfoldParams = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], padValue: -Infinity };
      for (let round = 0; round < 12; round++) {
        // 4 planes of 28×28 → 36·784 floats (< 2^18 bytes / 4 each side)
        ex.unfold_f32!(a, b, ...winArgs(2, 28, 28, conv, 28, 28), 0);
        ex.fold_f32!(b, c, ...winArgs(2, 28, 28, conv, 28, 28));
        ex.unfold_f32!(a, b, ...winArgs(8, 28, 28, pool, 14, 14), -Infinity);
        ex.fold_f32!(b, c, ...winArgs(8, 28, 28, pool, 14, 14));
        for (const op of RS_OPS) for (const m of [0, 1]) ex[`rs_${op}_${m}`]!(a, b, c, 64, 196, 8, 1);
        ex.rows_sum_f64!(a, c, 64, 196);
        ex.cols_sum_f64!(a, c, 4, 16, 196);
        ex.mid_max_f32!(a, c, 16, 4, 196);
        ex.mid_min_f32!(a, c, 16, 4, 196);
        ex.arg_max_f32!(a, c, 16, 4, 197);
        ex.arg_min_f32!(a, c, 16, 4, 197);
        ex.zero_bytes!(c, bytes);
        ex.gather32!(a, c, b, 16, 4, 1, 196);
        ex.scatter_add_f32!(b, c, a, 16, 4, 1, 196);
        ex.step_f32!(a, b, 16383, 0);
        ex.bias_none_f32!(a, b, c, 64, 257);
        ex.bias_relu_f32!(a, b, c, 64, 257);
      }
    } finally {
      host.release(blk);
    }
  };
  warmUp();

  return {
    unfold(o, x, p) {
      if (x.dtype !== 'float32' || !contiguous(x) || x.shape.length !== 4) return false;
      const [N, C, H, W] = x.shape as [number, number, number, number];
      const [OH, OW] = K.unfoldOutputSize(H, W, p);
      if (N * C * OH * OW === 0) return false;
      host.parallel(CONV_UNFOLD, [addr(x), o.ptr, ...winArgs(N * C, H, W, p, OH, OW), p.padValue], N * C, o.bytes);
      return true;
    },
    fold(o, cols, outShape, p) {
      ex.zero_bytes!(o.ptr, o.bytes);
      if (cols.dtype !== 'float32' || !contiguous(cols)) return false;
      const [N, C, H, W] = outShape;
      const [OH, OW] = K.unfoldOutputSize(H, W, p);
      if (N * C * OH * OW === 0) return false;
      host.parallel(CONV_FOLD, [addr(cols), o.ptr, ...winArgs(N * C, H, W, p, OH, OW)], N * C, 4 * K.numel(cols.shape));
      return true;
    },
    binary(op, a, b, o, dt) {
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || dt !== 'float32' || !(RS_OPS as readonly string[]).includes(op)) return false;
      const n = K.numel(a.shape);
      if (n === 0) return false;
      let mode: 0 | 1, full: View<WasmBlock>, rs: ReturnType<typeof rowScalar>, sc: View<WasmBlock>;
      if (contiguous(a) && (rs = rowScalar(b))) { mode = 0; full = a; sc = b; }
      else if (contiguous(b) && (rs = rowScalar(a))) { mode = 1; full = b; sc = a; }
      else return false;
      // rows come in groups of P (the scalars' period): the groups are independent
      const rows = n / rs.inner;
      host.parallel(CONV_ROW_SCALAR, [RS_OPS.indexOf(op as RsOp), mode, addr(full), addr(sc), o.ptr, rows, rs.inner, rs.P, rs.sb],
        rows / rs.P, 8 * n);
      return true;
    },
    reduce(op, x, axes, o, dt) {
      if (x.dtype !== 'float32' || dt !== 'float32' || !contiguous(x) || axes.length === 0) return false;
      const n = K.numel(x.shape);
      if (n === 0) return false;
      if (op === 'sum') return reduceSum(x, axes, o);
      if (op !== 'max' && op !== 'min') return false;
      // one run of consecutive axes: [outer, R, inner]
      for (let k = 1; k < axes.length; k++) if (axes[k] !== axes[k - 1]! + 1) return false;
      const a0 = axes[0]!, a1 = axes[axes.length - 1]!;
      let outer = 1, R = 1, inner = 1;
      x.shape.forEach((s, d) => { if (d < a0) outer *= s; else if (d <= a1) R *= s; else inner *= s; });
      if (R === 0 || inner < 4) return false;
      host.parallel(CONV_MID_EXT, [op === 'max' ? 1 : 0, addr(x), o.ptr, outer, R, inner], outer, 4 * n);
      return true;
    },
    argReduce(op, x, axis, o) {
      if (x.dtype !== 'float32' || !contiguous(x)) return false;
      let outer = 1, inner = 1;
      x.shape.forEach((s, d) => { if (d < axis) outer *= s; else if (d > axis) inner *= s; });
      const R = x.shape[axis]!;
      if (R === 0 || outer * inner === 0) return false;
      host.parallel(CONV_ARG_EXT, [op === 'argmax' ? 1 : 0, addr(x), o.ptr, outer, R, inner], outer, 4 * outer * R * inner);
      return true;
    },
    gather(x, axis, index, o) {
      if ((x.dtype !== 'float32' && x.dtype !== 'int32') || index.dtype !== 'int32' || !contiguous(x) || !contiguous(index)) return false;
      if (index.shape.length !== x.shape.length) return false;
      let outer = 1, inner = 1;
      for (let d = 0; d < x.shape.length; d++) {
        if (d === axis) continue;
        if (index.shape[d] !== x.shape[d]) return false;
        if (d < axis) outer *= x.shape[d]!; else inner *= x.shape[d]!;
      }
      const R = x.shape[axis]!, RI = index.shape[axis]!;
      if (outer * inner * RI === 0) return false;
      return (ex.gather32!(addr(x), addr(index), o.ptr, outer, R, RI, inner) as number) < 0;
    },
    scatterAdd(shape, dt, axis, index, src, o) {
      ex.zero_bytes!(o.ptr, o.bytes);
      if (dt !== 'float32' || src.dtype !== 'float32' || index.dtype !== 'int32' || !contiguous(src) || !contiguous(index)) return false;
      if (index.shape.length !== shape.length || !src.shape.every((d, k) => d === index.shape[k]) || src.shape.length !== index.shape.length) return false;
      let outer = 1, inner = 1;
      for (let d = 0; d < shape.length; d++) {
        if (d === axis) continue;
        if (index.shape[d] !== shape[d]) return false;
        if (d < axis) outer *= shape[d]!; else inner *= shape[d]!;
      }
      const R = shape[axis]!, RI = index.shape[axis]!;
      if (outer * inner * RI === 0) return false;
      if ((ex.scatter_add_f32!(o.ptr, addr(index), addr(src), outer, R, RI, inner) as number) < 0) return true;
      // an index out of range: undo, and let the reference raise its error
      ex.zero_bytes!(o.ptr, o.bytes);
      return false;
    },
    copy(o, x, dt) {
      if (x.dtype !== dt || (dt !== 'float32' && dt !== 'int32')) return false;
      const n: number[] = [], st: number[] = [];
      x.shape.forEach((s, d) => { if (s !== 1) { n.push(s); st.push(x.strides[d]!); } });
      if (n.length > 4 || K.numel(n) === 0) return false;
      while (n.length < 4) { n.unshift(1); st.unshift(0); }
      ex.copy4_32!(addr(x), o.ptr, ...n, ...st);
      return true;
    },
    unary(op, x, dt, params, o) {
      if (op !== 'step' || x.dtype !== 'float32' || dt !== 'float32' || !contiguous(x)) return false;
      const n = K.numel(x.shape);
      if (n === 0) return false;
      host.parallel(CONV_STEP, [addr(x), o.ptr, n, params?.[0] ?? 0], Math.ceil(n / 16), 8 * n);
      return true;
    },
    biasAct(x, bias, relu, o) {
      if (x.dtype !== 'float32' || bias.dtype !== 'float32' || !contiguous(x) || !contiguous(bias) || x.shape.length === 0) return false;
      const N = x.shape[x.shape.length - 1]!;
      const n = K.numel(x.shape);
      if (n === 0 || bias.shape.length !== 1 || bias.shape[0] !== N) return false;
      ex[relu ? 'bias_relu_f32' : 'bias_none_f32']!(addr(x), addr(bias), o.ptr, n / N, N);
      return true;
    },
  };
}
