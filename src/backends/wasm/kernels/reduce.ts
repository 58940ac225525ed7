/**
 * float32 reductions in WebAssembly SIMD over contiguous data:
 *  - sum_f32 / sum_f32_store / max_f32 / min_f32: a whole range (sums accumulate in f64 lanes like the reference);
 *  - sum_cols_f32: Σ over leading axes (bias gradients), vertical so every load is a full vector;
 *  - rows_sum_f64 / cols_sum_f64: Σ over [outer, R, inner] with f64 partials;
 *  - mid_<max|min>_f32 and arg_<max|min>_f32: extreme and arg-extreme over a middle axis, SIMD over the inner one
 *    (the max-pooling window axis).
 */
import type { FuncDef } from '../emitter.js';
import { type Code, forRange, get, i32, ifElse, inc, set } from '../asm.js';
import { defineJob, type KernelSpec } from './spec.js';
import { elemRange, elementChunks, share, unitChunks } from './split.js';

const V = 'v128';

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


// ---- reductions over [outer, R, inner] --------------------------------------------------------------------

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


/** sum_f32_store over [0, n) (n a multiple of 8) split by elements: chunk p writes its f64 partial sum to partials[p] */
export const sumJob = defineJob({
  name: 'sum',
  fields: ['src', 'n', 'partials'],
  chunks: (p, threads) => elementChunks(p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    ex.sum_f32_store!(p.src + 4 * lo, hi - lo, p.partials + 8 * part);
  },
});

/** mid_<max|min>_f32 (isMax 1: max) split by outer slices */
export const midExtJob = defineJob({
  name: 'midExt',
  fields: ['isMax', 'x', 'o', 'outer', 'R', 'inner'],
  chunks: (p, threads) => unitChunks(p.outer, 4 * p.outer * p.R * p.inner, threads),
  run(ex, p, part, nparts) {
    const [o0, o1] = share(p.outer, part, nparts);
    if (o1 > o0) ex[p.isMax ? 'mid_max_f32' : 'mid_min_f32']!(p.x + 4 * o0 * p.R * p.inner, p.o + 4 * o0 * p.inner, o1 - o0, p.R, p.inner);
  },
});

/** arg_<max|min>_f32 (isMax 1: argmax; o int32) split by outer slices */
export const argExtJob = defineJob({
  name: 'argExt',
  fields: ['isMax', 'x', 'o', 'outer', 'R', 'inner'],
  chunks: (p, threads) => unitChunks(p.outer, 4 * p.outer * p.R * p.inner, threads),
  run(ex, p, part, nparts) {
    const [o0, o1] = share(p.outer, part, nparts);
    if (o1 > o0) ex[p.isMax ? 'arg_max_f32' : 'arg_min_f32']!(p.x + 4 * o0 * p.R * p.inner, p.o + 4 * o0 * p.inner, o1 - o0, p.R, p.inner);
  },
});

export const reduceSpec: KernelSpec = {
  name: 'reduce',
  emit: () => [sumFunc(), sumStoreFunc(), maxFunc('max_f32'), maxFunc('min_f32'), sumColsFunc()],
  jobs: [sumJob],
  warmCalls: (ex, { a, bytes }) => ex.sum_f32!(a, bytes / 4),
};

export const axisReduceSpec: KernelSpec = {
  name: 'axisReduce',
  emit: () => [rowsSumFunc, colsSumFunc, midExtFunc('max'), midExtFunc('min'), argFunc('max'), argFunc('min')],
  jobs: [midExtJob, argExtJob],
  warmCalls(ex, { a, c }) {
    ex.rows_sum_f64!(a, c, 64, 196);
    ex.cols_sum_f64!(a, c, 4, 16, 196);
    ex.mid_max_f32!(a, c, 16, 4, 196);
    ex.mid_min_f32!(a, c, 16, 4, 196);
    ex.arg_max_f32!(a, c, 16, 4, 197);
    ex.arg_min_f32!(a, c, 16, 4, 197);
  },
};
