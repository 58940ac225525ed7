/**
 * Fused attention (Backend.attention / attentionGrad) in WebAssembly SIMD, the tiling of the reference kernel
 * (ts/attention.ts) on float32 rows whose last dimension is contiguous and a multiple of 4 wide. Letters: L queries,
 * S keys, E query/key width, F value width, s = scale; TILE keys at a time.
 *
 * attn_fwd_f32, per query row i, over key tiles with an online softmax (running max m and sum l):
 *   x_j = s·q_i·k_j (j < n_i = min(i + 1, S) when causal, else S);  m' = max(m, max_j x_j);
 *   l ← l·e^{m−m'} + Σ_j e^{x_j−m'};  o_i ← o_i·e^{m−m'} + Σ_j e^{x_j−m'}·v_j;  m ← m'
 *   finally o_i ← o_i / l and lse_i = m + log l.
 * The output row is the accumulator, so nothing L×S (or even L×F beyond the output) is held.
 *
 * attn_bwd_f32, per batch entry (its dk and dv rows gather from every query row), recomputing each tile from lse:
 *   D_i = dOut_i·o_i;  P_ij = e^{x_ij − lse_i};  dP_ij = dOut_i·v_j;  dX_ij = P_ij·(dP_ij − D_i)
 *   dv_j += P_ij·dOut_i;  dq_i += s·dX_ij·k_j;  dk_j += s·dX_ij·q_i      (dq, dk, dv start zeroed)
 *
 * Threads: the forward splits (batch entry, tile of ATTN_ROWS query rows) units across the pool; the backward
 * splits batch entries. Up to two batch dims, each with its own strides per operand.
 */
import type { FuncDef } from '../emitter.js';
import { type Code, forRange, get, i32, ifElse, inc, set, f32 } from '../asm.js';
import { type KernelContext, constLocals } from './context.js';
import { V, expFull } from './simdMath.js';
import { LOG_F64_LOCALS, logF64 } from './rows.js';
import { defineJob, type FusedPlans, type KernelSpec, warmRun } from './spec.js';
import type { Backend, View } from '../../backend.js';
import { contiguousStrides, numel } from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { addr, contiguous, out } from '../host/runtime.js';
import { elemChunks, share } from './split.js';

/** keys per tile: the tile's scores (and then weights) live in the calling thread's scratch */
export const ATTN_TILE = 64;
/** query rows per unit of the forward's split */
export const ATTN_ROWS = 16;

const EXP_LOCALS: [string, 'v128'][] = ['e_x', 'e_f', 'e_r', 'e_y', 'e_n', 'e_h', 'e_z', 'e_q', 'e_s', 'pw2', 'pw4', 'pw8', 'xv']
  .map((n): [string, 'v128'] => [n, V]);

/** a function with its vector-constant locals loaded first */
function withConsts(f: Omit<FuncDef, 'locals'> & { locals: FuncDef['locals'] }): FuncDef {
  const k = constLocals(f.body as Code);
  return { ...f, locals: [...f.locals, ...k.locals], body: [...k.init, ...f.body] };
}

/** attn_dot(a, b, n) → Σ_{t<n} a[t]·b[t] over n floats (n a multiple of 4), two vector accumulators */
function dotFunc(ctx: KernelContext): FuncDef {
  return withConsts({
    name: 'attn_dot', export: false, result: 'f32',
    params: [['a', 'i32'], ['b', 'i32'], ['n', 'i32']],
    locals: [['x', 'i32'], ['e8', 'i32'], ['eb', 'i32'], ['s0', V], ['s1', V]],
    body: [
      ['v128.const', 0, 0, 0, 0], set('s0'), ['v128.const', 0, 0, 0, 0], set('s1'),
      get('n'), i32(2), ['i32.shl'], set('eb'),
      get('eb'), i32(-32), ['i32.and'], set('e8'),
      ...forRange('x', [i32(0)], [get('e8')], 32, [
        ...ctx.fma([get('a'), get('x'), ['i32.add'], ['v128.load', 0]], [get('b'), get('x'), ['i32.add'], ['v128.load', 0]], [get('s0')]), set('s0'),
        ...ctx.fma([get('a'), get('x'), ['i32.add'], ['v128.load', 16]], [get('b'), get('x'), ['i32.add'], ['v128.load', 16]], [get('s1')]), set('s1'),
      ]),
      ...ifElse([get('e8'), get('eb'), ['i32.ne']], [
        ...ctx.fma([get('a'), get('e8'), ['i32.add'], ['v128.load', 0]], [get('b'), get('e8'), ['i32.add'], ['v128.load', 0]], [get('s0')]), set('s0'),
      ]),
      get('s0'), get('s1'), ['f32x4.add'], set('s0'),
      get('s0'), ['f32x4.extract_lane', 0], get('s0'), ['f32x4.extract_lane', 1], ['f32.add'],
      get('s0'), ['f32x4.extract_lane', 2], get('s0'), ['f32x4.extract_lane', 3], ['f32.add'], ['f32.add'],
    ],
  });
}

/** attn_axpy(y, x, alpha, n): y[t] += alpha·x[t] over n floats (n a multiple of 4) */
function axpyFunc(ctx: KernelContext): FuncDef {
  return withConsts({
    name: 'attn_axpy', export: false,
    params: [['y', 'i32'], ['x', 'i32'], ['alpha', 'f32'], ['n', 'i32']],
    locals: [['t', 'i32'], ['eb', 'i32'], ['av', V]],
    body: [
      get('alpha'), ['f32x4.splat'], set('av'),
      get('n'), i32(2), ['i32.shl'], set('eb'),
      ...forRange('t', [i32(0)], [get('eb')], 16, [
        get('y'), get('t'), ['i32.add'],
        ...ctx.fma([get('x'), get('t'), ['i32.add'], ['v128.load', 0]], [get('av')], [get('y'), get('t'), ['i32.add'], ['v128.load', 0]]),
        ['v128.store', 0],
      ]),
    ],
  });
}

/** attn_scale(y, alpha, n): y[t] *= alpha over n floats (n a multiple of 4); alpha = 0 writes zeros (y may hold anything) */
const scaleFunc: FuncDef = {
  name: 'attn_scale', export: false,
  params: [['y', 'i32'], ['alpha', 'f32'], ['n', 'i32']],
  locals: [['t', 'i32'], ['eb', 'i32'], ['av', V]],
  body: [
    get('alpha'), ['f32x4.splat'], set('av'),
    get('n'), i32(2), ['i32.shl'], set('eb'),
    ...ifElse([get('alpha'), f32(0), ['f32.eq']], [
      ...forRange('t', [i32(0)], [get('eb')], 16, [get('y'), get('t'), ['i32.add'], get('av'), ['v128.store', 0]]),
    ], [
      ...forRange('t', [i32(0)], [get('eb')], 16, [
        get('y'), get('t'), ['i32.add'], get('y'), get('t'), ['i32.add'], ['v128.load', 0], get('av'), ['f32x4.mul'], ['v128.store', 0],
      ]),
    ]),
  ],
};

/** attn_exp_sub(buf, c, n): buf[t] = e^{buf[t] − c} for t < n rounded up to 4 (full range: −Inf gives 0) */
function expSubFunc(ctx: KernelContext): FuncDef {
  return withConsts({
    name: 'attn_exp_sub', export: false,
    params: [['buf', 'i32'], ['c', 'f32'], ['n', 'i32']],
    locals: [['t', 'i32'], ['eb', 'i32'], ['cv', V], ...EXP_LOCALS],
    body: [
      get('c'), ['f32x4.splat'], set('cv'),
      get('n'), i32(3), ['i32.add'], i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('eb'),
      ...forRange('t', [i32(0)], [get('eb')], 16, [
        get('buf'), get('t'), ['i32.add'], ['v128.load', 0], get('cv'), ['f32x4.sub'], set('xv'),
        get('buf'), get('t'), ['i32.add'], ...expFull(ctx, 'xv'), ['v128.store', 0],
      ]),
    ],
  });
}

/** attn_exp1(x) → e^x for one float (the full-range vector exp on a splat) */
function exp1Func(ctx: KernelContext): FuncDef {
  return withConsts({
    name: 'attn_exp1', export: false, result: 'f32',
    params: [['x', 'f32']],
    locals: EXP_LOCALS,
    body: [get('x'), ['f32x4.splat'], set('xv'), ...expFull(ctx, 'xv'), ['f32x4.extract_lane', 0]],
  });
}

/** the scores of keys [j0, j0 + jn) against query row qr into buf: buf[jj] = s·q·k_{j0+jj} */
const tileScores: Code = forRange('jj', [i32(0)], [get('jn')], 1, [
  get('buf'), get('jj'), i32(2), ['i32.shl'], ['i32.add'],
  get('qr'), get('kb'), get('j0'), get('jj'), ['i32.add'], get('sk'), ['i32.mul'], ['i32.add'], get('E'), ['call', 'attn_dot'],
  get('scale'), ['f32.mul'], ['f32.store', 0],
]);

/** jn = min(TILE, nk − j0) */
const tileLen: Code = [
  get('nk'), get('j0'), ['i32.sub'], set('jn'),
  ...ifElse([get('jn'), i32(ATTN_TILE), ['i32.gt_s']], [i32(ATTN_TILE), set('jn')]),
];

/** nk = the keys query row i sees: min(i + 1, S) when causal, else S */
const keyCount: Code = [
  get('S'), set('nk'),
  ...ifElse([get('causal'), get('i'), get('S'), ['i32.lt_s'], ['i32.and']], [get('i'), i32(1), ['i32.add'], set('nk')]),
];

/**
 * attn_fwd_f32(q, kb, v, o, lse, i0, i1, S, E, F, sq, sk, sv, scale, causal, buf): query rows [i0, i1) of one batch
 * entry; q, kb (k), v at their row 0 with row strides sq, sk, sv in bytes; o ([L, F]) and lse ([L]) contiguous at row 0;
 * buf: TILE floats of scratch.
 */
const fwdFunc: FuncDef = {
  name: 'attn_fwd_f32',
  params: [['q', 'i32'], ['kb', 'i32'], ['v', 'i32'], ['o', 'i32'], ['lse', 'i32'], ['i0', 'i32'], ['i1', 'i32'], ['S', 'i32'],
    ['E', 'i32'], ['F', 'i32'], ['sq', 'i32'], ['sk', 'i32'], ['sv', 'i32'], ['scale', 'f32'], ['causal', 'i32'], ['buf', 'i32']],
  locals: [['i', 'i32'], ['j0', 'i32'], ['jn', 'i32'], ['jj', 'i32'], ['nk', 'i32'], ['qr', 'i32'], ['orow', 'i32'],
    ['m', 'f32'], ['mn', 'f32'], ['l', 'f32'], ['alpha', 'f32'], ['ts', 'f32'], ['p', 'f32'], ...LOG_F64_LOCALS],
  body: forRange('i', [get('i0')], [get('i1')], 1, [
    ...keyCount,
    get('q'), get('i'), get('sq'), ['i32.mul'], ['i32.add'], set('qr'),
    get('o'), get('i'), get('F'), ['i32.mul'], i32(2), ['i32.shl'], ['i32.add'], set('orow'),
    get('orow'), f32(0), get('F'), ['call', 'attn_scale'],
    f32(-Infinity), set('m'), f32(0), set('l'),
    ...forRange('j0', [i32(0)], [get('nk')], ATTN_TILE, [
      ...tileLen,
      ...tileScores,
      // m' = max(m, tile max)
      get('m'), set('mn'),
      ...forRange('jj', [i32(0)], [get('jn')], 1, [
        get('mn'), get('buf'), get('jj'), i32(2), ['i32.shl'], ['i32.add'], ['f32.load', 0], ['f32.max'], set('mn'),
      ]),
      get('m'), get('mn'), ['f32.sub'], ['call', 'attn_exp1'], set('alpha'),
      // the first tile: m = −Inf, m − m' = −Inf → alpha = 0 (o and l hold zeros then)
      get('buf'), get('mn'), get('jn'), ['call', 'attn_exp_sub'],
      f32(0), set('ts'),
      ...forRange('jj', [i32(0)], [get('jn')], 1, [
        get('ts'), get('buf'), get('jj'), i32(2), ['i32.shl'], ['i32.add'], ['f32.load', 0], ['f32.add'], set('ts'),
      ]),
      get('l'), get('alpha'), ['f32.mul'], get('ts'), ['f32.add'], set('l'),
      ...ifElse([get('alpha'), f32(1), ['f32.ne']], [get('orow'), get('alpha'), get('F'), ['call', 'attn_scale']]),
      ...forRange('jj', [i32(0)], [get('jn')], 1, [
        get('orow'),
        get('v'), get('j0'), get('jj'), ['i32.add'], get('sv'), ['i32.mul'], ['i32.add'],
        get('buf'), get('jj'), i32(2), ['i32.shl'], ['i32.add'], ['f32.load', 0],
        get('F'), ['call', 'attn_axpy'],
      ]),
      get('mn'), set('m'),
    ]),
    get('orow'), f32(1), get('l'), ['f32.div'], get('F'), ['call', 'attn_scale'],
    // lse_i = m + log l (l ≥ 1: the row's largest weight is e^0)
    get('lse'), get('i'), i32(2), ['i32.shl'], ['i32.add'],
    get('l'), ['f64.promote_f32'], set('ss'), ...logF64(), get('m'), ['f64.promote_f32'], ['f64.add'], ['f32.demote_f64'],
    ['f32.store', 0],
  ]),
};

/**
 * attn_bwd_f32(q, kb, v, o, lse, d, dq, dk, dv, L, S, E, F, sq, sk, sv, sd, scale, causal, buf): one batch entry;
 * q, kb (k), v, d (dOut) at their row 0 with byte row strides sq, sk, sv, sd; o [L, F], lse [L] contiguous; dq [L, E],
 * dk [S, E], dv [S, F] contiguous and zeroed; buf: TILE floats of scratch.
 */
const bwdFunc: FuncDef = {
  name: 'attn_bwd_f32',
  params: [['q', 'i32'], ['kb', 'i32'], ['v', 'i32'], ['o', 'i32'], ['lse', 'i32'], ['d', 'i32'], ['dq', 'i32'], ['dk', 'i32'],
    ['dv', 'i32'], ['L', 'i32'], ['S', 'i32'], ['E', 'i32'], ['F', 'i32'], ['sq', 'i32'], ['sk', 'i32'], ['sv', 'i32'],
    ['sd', 'i32'], ['scale', 'f32'], ['causal', 'i32'], ['buf', 'i32']],
  locals: [['i', 'i32'], ['j0', 'i32'], ['jn', 'i32'], ['jj', 'i32'], ['j', 'i32'], ['nk', 'i32'], ['qr', 'i32'], ['dr', 'i32'],
    ['dqr', 'i32'], ['kr', 'i32'], ['Di', 'f32'], ['li', 'f32'], ['p', 'f32'], ['ds', 'f32']],
  body: forRange('i', [i32(0)], [get('L')], 1, [
    ...keyCount,
    get('q'), get('i'), get('sq'), ['i32.mul'], ['i32.add'], set('qr'),
    get('d'), get('i'), get('sd'), ['i32.mul'], ['i32.add'], set('dr'),
    get('dq'), get('i'), get('E'), ['i32.mul'], i32(2), ['i32.shl'], ['i32.add'], set('dqr'),
    get('dr'), get('o'), get('i'), get('F'), ['i32.mul'], i32(2), ['i32.shl'], ['i32.add'], get('F'), ['call', 'attn_dot'], set('Di'),
    get('lse'), get('i'), i32(2), ['i32.shl'], ['i32.add'], ['f32.load', 0], set('li'),
    ...forRange('j0', [i32(0)], [get('nk')], ATTN_TILE, [
      ...tileLen,
      ...tileScores,
      get('buf'), get('li'), get('jn'), ['call', 'attn_exp_sub'],
      ...forRange('jj', [i32(0)], [get('jn')], 1, [
        get('j0'), get('jj'), ['i32.add'], set('j'),
        get('buf'), get('jj'), i32(2), ['i32.shl'], ['i32.add'], ['f32.load', 0], set('p'),
        // ds = s·P·(dOut_i·v_j − D_i)
        get('dr'), get('v'), get('j'), get('sv'), ['i32.mul'], ['i32.add'], get('F'), ['call', 'attn_dot'],
        get('Di'), ['f32.sub'], get('p'), ['f32.mul'], get('scale'), ['f32.mul'], set('ds'),
        get('dv'), get('j'), get('F'), ['i32.mul'], i32(2), ['i32.shl'], ['i32.add'], get('dr'), get('p'), get('F'), ['call', 'attn_axpy'],
        get('kb'), get('j'), get('sk'), ['i32.mul'], ['i32.add'], set('kr'),
        get('dqr'), get('kr'), get('ds'), get('E'), ['call', 'attn_axpy'],
        get('dk'), get('j'), get('E'), ['i32.mul'], i32(2), ['i32.shl'], ['i32.add'], get('qr'), get('ds'), get('E'), ['call', 'attn_axpy'],
      ]),
    ]),
  ]),
};

/** byte offsets of batch entry b (of B0·B1, row-major) in an operand with batch strides s0, s1 (elements) */
const entry = (b: number, B1: number, s0: number, s1: number): number => 4 * (Math.floor(b / B1) * s0 + (b % B1) * s1);

/** pairs (query, key) of the attention: the work of a job, to decide whether it is worth splitting */
const pairs = (batch: number, L: number, S: number, causal: number): number => batch * (causal ? Math.min(L, S) * (Math.min(L, S) + 1) / 2 + Math.max(0, L - S) * S : L * S);

/**
 * The forward split into units of (batch entry, ATTN_ROWS query rows); strides in elements (batch: sX0, sX1; rows:
 * sX); o and lse contiguous.
 */
export const attnFwdJob = defineJob({
  name: 'attentionForward',
  fields: ['q', 'k', 'v', 'o', 'lse', 'B0', 'B1', 'sq0', 'sq1', 'sk0', 'sk1', 'sv0', 'sv1', 'L', 'S', 'E', 'F', 'sq', 'sk', 'sv', 'scale', 'causal'],
  chunks(p, threads) {
    const units = p.B0 * p.B1 * Math.ceil(p.L / ATTN_ROWS);
    const work = pairs(p.B0 * p.B1, p.L, p.S, p.causal) * (p.E + p.F);
    return work >= 1 << 18 ? Math.min(units, 2 * elemChunks(work / 16, threads)) : 1;
  },
  run(ex, p, part, nparts, scratch) {
    const tiles = Math.ceil(p.L / ATTN_ROWS);
    const [lo, hi] = share(p.B0 * p.B1 * tiles, part, nparts);
    for (let u = lo; u < hi;) {
      // the units of one batch entry in this chunk run as one call
      const b = Math.floor(u / tiles), last = Math.min(hi, (b + 1) * tiles);
      const i0 = (u - b * tiles) * ATTN_ROWS, i1 = Math.min(p.L, (last - b * tiles) * ATTN_ROWS);
      ex.attn_fwd_f32!(p.q + entry(b, p.B1, p.sq0, p.sq1), p.k + entry(b, p.B1, p.sk0, p.sk1), p.v + entry(b, p.B1, p.sv0, p.sv1),
        p.o + 4 * b * p.L * p.F, p.lse + 4 * b * p.L, i0, i1, p.S, p.E, p.F, 4 * p.sq, 4 * p.sk, 4 * p.sv, p.scale, p.causal, scratch);
      u = last;
    }
  },
});

/** The backward split by batch entries (each owns its dk, dv rows); d is dOut, with its own strides. */
export const attnBwdJob = defineJob({
  name: 'attentionBackward',
  fields: ['q', 'k', 'v', 'o', 'lse', 'd', 'dq', 'dk', 'dv', 'B0', 'B1', 'sq0', 'sq1', 'sk0', 'sk1', 'sv0', 'sv1', 'sd0', 'sd1',
    'L', 'S', 'E', 'F', 'sq', 'sk', 'sv', 'sd', 'scale', 'causal'],
  chunks(p, threads) {
    const batch = p.B0 * p.B1;
    const work = pairs(batch, p.L, p.S, p.causal) * (p.E + p.F);
    return work >= 1 << 17 ? Math.min(batch, 4 * threads) : 1;
  },
  run(ex, p, part, nparts, scratch) {
    const [lo, hi] = share(p.B0 * p.B1, part, nparts);
    for (let b = lo; b < hi; b++) {
      ex.attn_bwd_f32!(p.q + entry(b, p.B1, p.sq0, p.sq1), p.k + entry(b, p.B1, p.sk0, p.sk1), p.v + entry(b, p.B1, p.sv0, p.sv1),
        p.o + 4 * b * p.L * p.F, p.lse + 4 * b * p.L, p.d + entry(b, p.B1, p.sd0, p.sd1),
        p.dq + 4 * b * p.L * p.E, p.dk + 4 * b * p.S * p.E, p.dv + 4 * b * p.S * p.F,
        p.L, p.S, p.E, p.F, 4 * p.sq, 4 * p.sk, 4 * p.sv, 4 * p.sd, p.scale, p.causal, scratch);
    }
  },
});

// ---- host side

/** the batch dims of size > 1 (at most two, else null) as [B0, B1] and each operand's [stride0, stride1] */
function batchPlan(ops: View<WasmBlock>[]): { B0: number; B1: number; strides: [number, number][] } | null {
  const shape = ops[0]!.shape.slice(0, -2);
  const dims = shape.map((_, d) => d).filter((d) => shape[d]! > 1);
  if (dims.length > 2) return null;
  while (dims.length < 2) dims.unshift(-1);
  const size = (d: number) => (d < 0 ? 1 : shape[d]!);
  const st = (v: View<WasmBlock>, d: number) => (d < 0 ? 0 : v.strides[d]!);
  return { B0: size(dims[0]!), B1: size(dims[1]!), strides: ops.map((v) => [st(v, dims[0]!), st(v, dims[1]!)]) };
}

/** rows contiguous (last stride 1) */
const unitRows = (v: View<WasmBlock>): boolean => v.shape[v.shape.length - 1] === 1 || v.strides[v.shape.length - 1] === 1;
const rowStride = (v: View<WasmBlock>): number => v.strides[v.shape.length - 2]!;

/** the same view seen contiguous [batch, rows, cols] */
const flat3 = (v: View<WasmBlock>, data: WasmBlock, offset: number): View<WasmBlock> => {
  const r = v.shape.length, R = v.shape[r - 2]!, C = v.shape[r - 1]!;
  return { data, dtype: v.dtype, shape: [numel(v.shape.slice(0, -2)), R, C], strides: [R * C, C, 1], offset };
};

/**
 * The operands as the SIMD kernels take them: float32, widths multiples of 4 floats, rows contiguous and at most two
 * batch dims of size > 1. A view that fails the layout (a broadcast gradient, rows with a stride) is copied to a
 * contiguous block first, O(n) next to the O(L·S) kernel; if the batch dims still do not fit, every operand is
 * (copied) contiguous and seen with its batch dims merged into one. Returns null where the kernels do not apply
 * (another dtype, a width not a multiple of 4): the reference kernel runs then. `temps` collects the copies.
 */
function simdOperands(ops: View<WasmBlock>[], backend: Backend<WasmBlock>, temps: WasmBlock[]): { views: View<WasmBlock>[]; plan: NonNullable<ReturnType<typeof batchPlan>> } | null {
  if (!ops.every((v) => v.dtype === 'float32' && v.shape.length >= 2 && v.shape[v.shape.length - 1]! % 4 === 0)) return null;
  const contig = (v: View<WasmBlock>): View<WasmBlock> => {
    const b = backend.copy(v, v.dtype);
    temps.push(b);
    return { data: b, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
  };
  let views = ops.map((v) => (unitRows(v) ? v : contig(v)));
  let plan = batchPlan(views);
  if (!plan) {
    views = views.map((v) => (contiguous(v) ? v : contig(v))).map((v) => flat3(v, v.data, v.offset));
    plan = batchPlan(views)!;
  }
  return { views, plan };
}



const keepTemp = (b: WasmBlock, temps: WasmBlock[]): WasmBlock => { temps.push(b); return b; };

/**
 * Host plans of Backend.attention / attentionGrad: float32 operands whose widths are multiples of 4 floats run the
 * SIMD flash-attention kernels above, split across the pool (see simdOperands for the layouts); other dtypes and
 * widths return null and the reference (ts/attention.ts) runs over the heap. Nothing L×S is allocated either way.
 */
const attentionPlans: FusedPlans = {
  attention({ rt, backend }, q, k, v, causal, scale) {
    const r = q.shape.length;
    const rows = numel(q.shape.slice(0, -1)), F = v.shape[r - 1]!;
    if (rows === 0) return null;
    const temps: WasmBlock[] = [];
    try {
      const s = simdOperands([q, k, v], backend, temps);
      if (!s) return null;
      const [qs, ks, vs] = s.views as [View<WasmBlock>, View<WasmBlock>, View<WasmBlock>];
      const [[sq0, sq1], [sk0, sk1], [sv0, sv1]] = s.plan.strides as [[number, number], [number, number], [number, number]];
      // every row of o and lse is written by the kernel
      const o = out(rt, q.dtype, rows * F), lse = out(rt, q.dtype, rows);
      rt.run(attnFwdJob, {
        q: addr(qs), k: addr(ks), v: addr(vs), o: o.ptr, lse: lse.ptr, B0: s.plan.B0, B1: s.plan.B1, sq0, sq1, sk0, sk1, sv0, sv1,
        L: q.shape[r - 2]!, S: k.shape[r - 2]!, E: q.shape[r - 1]!, F, sq: rowStride(qs), sk: rowStride(ks), sv: rowStride(vs), scale, causal: causal ? 1 : 0,
      });
      return { out: o, lse };
    } finally {
      for (const t of temps) rt.release(t);
    }
  },
  attentionGrad({ rt, backend }, q, k, v, o, lse, dOut, causal, scale) {
    const dt = q.dtype, r = q.shape.length;
    if (numel(q.shape) === 0 || o.dtype !== 'float32' || lse.dtype !== 'float32') return null;
    const temps: WasmBlock[] = [];
    try {
      const s = simdOperands([q, k, v, dOut], backend, temps);
      if (!s) return null;
      const [qs, ks, vs, ds] = s.views as [View<WasmBlock>, View<WasmBlock>, View<WasmBlock>, View<WasmBlock>];
      const [[sq0, sq1], [sk0, sk1], [sv0, sv1], [sd0, sd1]] = s.plan.strides as [[number, number], [number, number], [number, number], [number, number]];
      // o and lse as the kernel reads them: contiguous
      const oc = contiguous(o) ? o : { ...o, data: keepTemp(backend.copy(o, o.dtype), temps), strides: contiguousStrides(o.shape), offset: 0 };
      const lc = contiguous(lse) ? lse : { ...lse, data: keepTemp(backend.copy(lse, lse.dtype), temps), strides: contiguousStrides(lse.shape), offset: 0 };
      const dq = out(rt, dt, numel(q.shape), true), dk = out(rt, dt, numel(k.shape), true), dv = out(rt, dt, numel(v.shape), true);
      rt.run(attnBwdJob, {
        q: addr(qs), k: addr(ks), v: addr(vs), o: addr(oc), lse: addr(lc), d: addr(ds), dq: dq.ptr, dk: dk.ptr, dv: dv.ptr,
        B0: s.plan.B0, B1: s.plan.B1, sq0, sq1, sk0, sk1, sv0, sv1, sd0, sd1,
        L: q.shape[r - 2]!, S: k.shape[r - 2]!, E: q.shape[r - 1]!, F: v.shape[r - 1]!,
        sq: rowStride(qs), sk: rowStride(ks), sv: rowStride(vs), sd: rowStride(ds), scale, causal: causal ? 1 : 0,
      });
      return { dq, dk, dv };
    } finally {
      for (const t of temps) rt.release(t);
    }
  },
};

export const attentionSpec: KernelSpec = {
  name: 'attention',
  fused: attentionPlans,
  emit: (ctx) => [dotFunc(ctx), axpyFunc(ctx), scaleFunc, expSubFunc(ctx), exp1Func(ctx), fwdFunc, bwdFunc],
  jobs: [attnFwdJob, attnBwdJob],
  // one entry per thread of 64 queries × 64 keys × width 32 on zeroed blocks (a: q, k, v, d; b: o, lse; o: grads)
  warmJobs: ({ a, b, o, threads }) => {
    const shape = { B0: threads, B1: 1, sq0: 2048, sq1: 0, sk0: 2048, sk1: 0, sv0: 2048, sv1: 0, L: 64, S: 64, E: 32, F: 32, sq: 32, sk: 32, sv: 32, scale: 0.2, causal: 1 };
    return [
      warmRun(attnFwdJob, { q: a, k: a, v: a, o: b, lse: b + 8192 * threads, ...shape }),
      warmRun(attnBwdJob, { ...shape, q: a, k: a, v: a, o: b, lse: b + 8192 * threads, d: a, dq: o, dk: o, dv: o, sd0: 2048, sd1: 0, sd: 32 }),
    ];
  },
};
