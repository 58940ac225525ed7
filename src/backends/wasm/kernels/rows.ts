/**
 * float32 row kernels in WebAssembly SIMD over contiguous rows: layer / RMS norm (norm_rows_f32), softmax and
 * log-softmax (softmax_rows_f32), softmax cross-entropy against int32 targets and its gradient w.r.t. the logits
 * (ce_rows_f32, ce_grad_rows_f32). The pool splits them by rows.
 */
import type { FuncDef, Instr } from '../emitter.js';
import { type Code, forRange, get, i32, set } from '../asm.js';
import { type KernelContext, constLocals, add, mul, sub } from './context.js';
import { EXP_FAST, V, expCore, interleave, renamed, unaryLocalNames } from './simdMath.js';
import { defineJob, type KernelSpec, warmRun } from './spec.js';
import { rowChunks, share } from './split.js';
import type { View } from '../../backend.js';
import type { WasmBlock } from '../allocator.js';
import { addr, contiguous, out } from '../host/runtime.js';
import { numel } from '../../ts/kernels.js';

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
export function logF64(): Code {
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

/** the locals logF64 uses */
export const LOG_F64_LOCALS: [string, 'i32' | 'f64'][] = [['ss', 'f64'], ['ff', 'f64'], ['k', 'i32'], ['tt', 'f64'], ['tt2', 'f64']];

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
const expShifted = (ctx: KernelContext, o: number, c: number): Code => renamed([
  get('q'), ['v128.load', o], get('M'), sub(), set('x'),
  get('x'), ...ctx.vk(-EXP_FAST), ['f32x4.pmax'], set('u'),
  get('x'), ...ctx.vk(-EXP_FAST), ['f32x4.ge'], set('mk'),
  ...expCore(ctx, 'u'), get('mk'), ['v128.and'], set('s'),
], c);

function softmaxRowsFunc(ctx: KernelContext): FuncDef {
  const U = 4;
  const ld = ldRow;
  /** e for the vector at byte offset o of q (row) into p (out row): copy c's statements */
  const eCopy = (o: number, c: number): Code => [...expShifted(ctx, o, c), ...renamed([get('p'), get('s'), ['v128.store', o]], c)];
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
function crossEntropyRowsFunc(ctx: KernelContext): FuncDef {
  const { kc } = ctx;
  const U = 4;
  /** f64 ss += the four lanes of f32x4 local a */
  const addLanes: Code = [0, 1, 2, 3].flatMap((k): Code => [get('ss'), get('a'), ['f32x4.extract_lane', k], ['f64.promote_f32'], ['f64.add'], set('ss')]);
  const eGroup = (n: number): Code => [
    get('row'), get('j'), ['i32.add'], set('q'),
    ...interleave([...Array(n).keys()].map((c) => expShifted(ctx, 16 * c, c))),
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
      ...expShifted(ctx, 0, 0), get('s'), get('L'), ['v128.and'], set('a'),
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
function crossEntropyGradRowsFunc(ctx: KernelContext): FuncDef {
  const U = 4;
  const eGroup = (n: number): Code => [
    get('row'), get('j'), ['i32.add'], set('q'), get('orow'), get('j'), ['i32.add'], set('p'),
    ...interleave([...Array(n).keys()].map((c) => [...expShifted(ctx, 16 * c, c), ...renamed([get('p'), get('s'), get('L'), mul(), ['v128.store', 16 * c]], c)])),
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
      ...expCore(ctx, 'u'), get('L'), mul(), set('L'),
      ...forRange('j', [i32(0)], [get('nu')], 16 * U, eGroup(U)),
      ...forRange('j', [get('nu')], [get('c4')], 16, eGroup(1)),
      get('c4'), get('cb'), ['i32.ne'], ['if'],
      get('row'), get('last'), ['i32.add'], set('q'), get('orow'), get('last'), ['i32.add'], set('p'),
      ...expShifted(ctx, 0, 0), get('p'), get('s'), get('L'), mul(), ['v128.store', 0],
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


/** norm_rows_f32 (rms 1: RMS norm) split by rows */
export const normRowsJob = defineJob({
  name: 'normRows',
  fields: ['src', 'dst', 'rstd', 'rows', 'cols', 'eps', 'rms'],
  chunks: (p, threads) => rowChunks(p.rows, p.rows * p.cols, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = share(p.rows, part, nparts);
    if (hi > lo) ex.norm_rows_f32!(p.src + 4 * lo * p.cols, p.dst + 4 * lo * p.cols, p.rstd + 4 * lo, hi - lo, p.cols, p.eps, p.rms);
  },
});

/** softmax_rows_f32 (log 1: log-softmax) split by rows */
export const softmaxRowsJob = defineJob({
  name: 'softmaxRows',
  fields: ['src', 'dst', 'rows', 'cols', 'log'],
  chunks: (p, threads) => rowChunks(p.rows, p.rows * p.cols, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = share(p.rows, part, nparts);
    if (hi > lo) ex.softmax_rows_f32!(p.src + 4 * lo * p.cols, p.dst + 4 * lo * p.cols, hi - lo, p.cols, p.log);
  },
});

/** ce_rows_f32 split by rows */
export const crossEntropyRowsJob = defineJob({
  name: 'crossEntropyRows',
  fields: ['src', 'tgt', 'loss', 'max', 'lsum', 'rows', 'cols', 'ignore'],
  chunks: (p, threads) => rowChunks(p.rows, p.rows * p.cols, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = share(p.rows, part, nparts);
    if (hi > lo) ex.ce_rows_f32!(p.src + 4 * lo * p.cols, p.tgt + 4 * lo, p.loss + 4 * lo, p.max + 4 * lo, p.lsum + 4 * lo, hi - lo, p.cols, p.ignore);
  },
});

/** ce_grad_rows_f32 split by rows; gs is g's row stride in bytes (0: one g for every row) */
export const crossEntropyGradRowsJob = defineJob({
  name: 'crossEntropyGradRows',
  fields: ['src', 'max', 'lsum', 'tgt', 'g', 'dst', 'rows', 'cols', 'ignore', 'gs'],
  chunks: (p, threads) => rowChunks(p.rows, p.rows * p.cols, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = share(p.rows, part, nparts);
    if (hi > lo) {
      ex.ce_grad_rows_f32!(p.src + 4 * lo * p.cols, p.max + 4 * lo, p.lsum + 4 * lo, p.tgt + 4 * lo, p.g + p.gs * lo,
        p.dst + 4 * lo * p.cols, hi - lo, p.cols, p.ignore, p.gs);
    }
  },
});

const unitRow = (v: View<WasmBlock>, rows: number): boolean => rows <= 1 || v.strides[0] === 1;

export const rowsSpec: KernelSpec = {
  name: 'rows',
  fused: {
    /** float32 contiguous rows: norm_rows_f32, rows split across threads */
    normRows({ rt }, x, rows, cols, eps, rms) {
      if (x.dtype !== 'float32' || !contiguous(x)) return null;
      const y = out(rt, x.dtype, rows * cols), rstd = out(rt, x.dtype, rows);
      rt.run(normRowsJob, { src: addr(x), dst: y.ptr, rstd: rstd.ptr, rows, cols, eps, rms: rms ? 1 : 0 });
      return { y, rstd };
    },
    /** float32 rows of ≥ 4 classes with a unit-stride target: ce_rows_f32, rows split across threads */
    crossEntropyRows({ rt }, x, target, ignoreIndex) {
      const rows = numel(target.shape), cols = rows ? numel(x.shape) / rows : 0;
      if (x.dtype !== 'float32' || cols < 4 || !contiguous(x) || !contiguous(target)) return null;
      const loss = out(rt, x.dtype, rows), max = out(rt, x.dtype, rows), logSum = out(rt, x.dtype, rows);
      rt.run(crossEntropyRowsJob, { src: addr(x), tgt: addr(target), loss: loss.ptr, max: max.ptr, lsum: logSum.ptr, rows, cols, ignore: ignoreIndex });
      return { loss, max, logSum };
    },
    /** its gradient: ce_grad_rows_f32 where max, logSum, target have unit row stride and g unit or zero stride */
    crossEntropyRowsGrad({ rt }, x, max, logSum, target, g, ignoreIndex) {
      const rows = numel(target.shape), n = numel(x.shape), cols = rows ? n / rows : 0;
      const gs = g.shape.length && rows > 1 ? g.strides[0]! : 0;
      if (x.dtype !== 'float32' || cols < 4 || !contiguous(x) || !unitRow(max, rows) || !unitRow(logSum, rows) || !unitRow(target, rows) || (gs !== 0 && gs !== 1)) return null;
      const dx = out(rt, x.dtype, n);
      rt.run(crossEntropyGradRowsJob, { src: addr(x), max: addr(max), lsum: addr(logSum), tgt: addr(target), g: addr(g), dst: dx.ptr, rows, cols, ignore: ignoreIndex, gs: 4 * gs });
      return dx;
    },
  },
  emit: (ctx) => [normRowsFunc(), softmaxRowsFunc(ctx), crossEntropyRowsFunc(ctx), crossEntropyGradRowsFunc(ctx)],
  jobs: [normRowsJob, softmaxRowsJob, crossEntropyRowsJob, crossEntropyGradRowsJob],
  warmJobs: ({ a, b, o, n, threads, round }) => [
    warmRun(normRowsJob, { src: a, dst: o, rstd: b, rows: 64 * threads, cols: n / (64 * threads), eps: 1e-5, rms: 0 }),
    warmRun(softmaxRowsJob, { src: a, dst: o, rows: 64 * threads, cols: n / (64 * threads), log: round & 1 }),
  ],
};
