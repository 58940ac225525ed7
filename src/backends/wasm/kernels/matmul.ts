/**
 * float32 GEMM in WebAssembly SIMD, BLIS style: B is packed into kc×NR column panels, A into MR×kc row
 * panels, and a register-blocked micro-kernel keeps an MR×NR tile of C in registers (MR·NR/4 f32x4
 * accumulators) while streaming the two panels. Packing reads any strides, so transposed operands
 * (xᵀ·dy, dy·Wᵀ) cost one strided copy instead of a slow inner loop.
 *
 * All pointers are byte addresses; strides are in elements.
 */
import type { FuncDef } from '../emitter.js';
import { type Code, forRange, forRangeSigned, get, i32, ifElse, inc, minI32, set, tee } from '../asm.js';

/**
 * Cache blocking and micro-tile of one kernel variant. The micro-tile is MR rows × NR = 4·NV columns of C,
 * held in MR·NV f32x4 accumulators. Each accumulator takes one multiply-add per k step, so a k step lasts
 * at least one multiply-add latency: the tile needs as many accumulators as latency × throughput.
 */
export interface GemmBlocking {
  /** micro-tile rows (A values broadcast per k step); MC is a multiple of it */
  MR: number;
  /** f32x4 vectors per micro-tile row */
  NV: number;
  /** micro-tile columns, 4·NV */
  NR: number;
  /** k-block: one packed B micro-panel (KC·NR·4 bytes = 8 KiB) stays in L1 */
  KC: number;
  /** m-block: the packed A block (MC·KC·4 ≈ 128 KiB) stays in L2 */
  MC: number;
  /** n-block: the packed B block (KC·NC·4 = 2 MiB) lives in L2/L3 */
  NC: number;
  /** A's MR values of a k step come from one vector load and lane shuffles (true) or from MR splat loads */
  shuffleA: boolean;
}

/**
 * Plain SIMD: mul then add, so an accumulator's chain is the add alone (3–4 cycles) and 4×8 = 8 chains keep
 * the units busy; here splat loads measured faster than shuffles (31 vs 27 GFLOP/s a thread on Zen 2).
 */
const PLAIN: GemmBlocking = { MR: 4, NV: 2, NR: 8, KC: 256, MC: 128, NC: 2048, shuffleA: false };
/**
 * Relaxed SIMD: the fused multiply-add is the whole chain, 5 cycles on Zen 2 for 2 per cycle, so 8 chains cap
 * at 80% of the FMA rate; 5×8 has 10. V8 hoists every load of a loop body above its arithmetic, so all
 * values loaded in a k step are live at once: five splat loads + 2 B vectors + 10 accumulators spill (V8
 * allocates xmm0–14), but one vector load of rows 0–3, four lane shuffles (pure, so scheduled next to their
 * uses) and one splat for row 4 fit in 14 registers. Measured on a 1024³ GEMM, one thread: 41.5 GFLOP/s
 * against 40.0 for 4×8 (and 43.7 against 33.5 with both panels in L1). 6×8 and 4×12 need 17+ registers.
 */
const RELAXED: GemmBlocking = { MR: 5, NV: 2, NR: 8, KC: 256, MC: 120, NC: 2048, shuffleA: true };

export function gemmBlocking(relaxed: boolean): GemmBlocking {
  return relaxed ? RELAXED : PLAIN;
}

/** the blocking of a compiled module, which reports its micro-tile rows (gemm_mr) */
export function blockingOfModule(mr: number): GemmBlocking {
  const b = [PLAIN, RELAXED].find((x) => x.MR === mr);
  if (!b) throw new Error(`wasm gemm: no blocking with MR = ${mr}`);
  return b;
}

const scratchBytes = (b: GemmBlocking): number => (b.MC * b.KC + b.KC * b.NC + b.MR * b.NR) * 4;
/** bytes of per-thread scratch the GEMM needs (packed A, packed B, one edge tile), for either variant */
export const GEMM_SCRATCH_BYTES = Math.max(scratchBytes(PLAIN), scratchBytes(RELAXED));

const acc = (i: number, v: number): string => `c${i}_${v}`;
/** i8x16.shuffle byte indices that copy 32-bit lane i into all four lanes */
const splatLane = (i: number): number[] => Array.from({ length: 16 }, (_, j) => 4 * i + (j % 4));

/**
 * microkernel(pa, pb, c, ldc, kc, accum, rows): C[0:rows, 0:NR] (+)= (Apanel · Bpanel)[0:rows], rows ≤ MR.
 * ldc in bytes. accum = 0 overwrites C (first k-block), 1 adds to it.
 */
function microKernel(b: GemmBlocking, relaxed: boolean): FuncDef {
  const { MR, NV, NR } = b;
  const locals: [string, 'v128' | 'i32'][] = [];
  for (let i = 0; i < MR; i++) for (let v = 0; v < NV; v++) locals.push([acc(i, v), 'v128']);
  for (let v = 0; v < NV; v++) locals.push([`b${v}`, 'v128']);
  locals.push(['a', 'v128'], ['a4', 'v128'], ['k', 'i32'], ['row', 'i32']);
  const body: Code = [];
  // accumulators start at zero (locals are zero-initialised by the spec, but be explicit per call)
  for (let i = 0; i < MR; i++) for (let v = 0; v < NV; v++) body.push(['v128.const', 0, 0, 0, 0], set(acc(i, v)));
  // one k step reading the panels at byte offsets (oa, ob) from pa/pb
  const step = (oa: number, ob: number): Code => {
    const c: Code = [];
    for (let v = 0; v < NV; v++) c.push(get('pb'), ['v128.load', ob + 16 * v], set(`b${v}`));
    if (b.shuffleA) c.push(get('pa'), ['v128.load', oa], set('a4'));
    for (let i = 0; i < MR; i++) {
      // lane i of rows 0–3 copied to all lanes (i32x4 shuffle i,i,i,i as bytes); rows past 3 splat-load
      if (b.shuffleA && i < 4) c.push(get('a4'), get('a4'), ['i8x16.shuffle', ...splatLane(i)], set('a'));
      else c.push(get('pa'), ['v128.load32_splat', oa + 4 * i], set('a'));
      for (let v = 0; v < NV; v++) {
        if (relaxed) c.push(get('a'), get(`b${v}`), get(acc(i, v)), ['f32x4.relaxed_madd'], set(acc(i, v)));
        else c.push(get(acc(i, v)), get('a'), get(`b${v}`), ['f32x4.mul'], ['f32x4.add'], set(acc(i, v)));
      }
    }
    return c;
  };
  // (unrolling k by two measured slower under V8 11.3: the second step's B vectors add register pressure)
  body.push(
    get('kc'), set('k'),
    ['block', 'done'],
    get('k'), ['i32.eqz'], ['br_if', 'done'],
    ['loop', 'kl'],
    ...step(0, 0),
    ...inc('pa', 4 * MR),
    ...inc('pb', 4 * NR),
    get('k'), i32(1), ['i32.sub'], ['local.tee', 'k'], ['br_if', 'kl'],
    ['end'],
    ['end'],
  );
  // write back row by row, the first `rows` rows only: a tile on the bottom edge of C (its packed A rows past the
  // edge are zeros) is written in place instead of through the scratch tile and a scalar copy
  body.push(get('c'), set('row'));
  for (let i = 0; i < MR; i++) {
    const store: Code = [];
    for (let v = 0; v < NV; v++) {
      store.push(get('row'));
      store.push(...ifElseValue(
        [get('accum')],
        [get('row'), ['v128.load', 16 * v], get(acc(i, v)), ['f32x4.add']],
        [get(acc(i, v))],
      ));
      store.push(['v128.store', 16 * v]);
    }
    body.push(...(i === 0 ? store : ifElse([get('rows'), i32(i), ['i32.gt_s']], store)));
    if (i < MR - 1) body.push(...inc('row', 'ldc'));
  }
  return {
    name: 'gemm_micro',
    params: [['pa', 'i32'], ['pb', 'i32'], ['c', 'i32'], ['ldc', 'i32'], ['kc', 'i32'], ['accum', 'i32'], ['rows', 'i32']],
    locals,
    body,
    export: false,
  };
}

/** `cond ? a : b` producing a v128 value */
function ifElseValue(cond: Code, a: Code, b: Code): Code {
  return [...cond, ['if', 'v128'], ...a, ['else'], ...b, ['end']];
}

/**
 * gemm_macro(pa, pb, c, ldc, mc, nc, kc, accum, tile): C[0:mc, 0:nc] (+)= Ablock · Bblock over packed
 * blocks. Tiles with all NR columns go straight to C (on the bottom edge, only their valid rows); tiles on the
 * right edge are computed into `tile` and copied element by element.
 */
function macroKernel({ MR, NR }: GemmBlocking): FuncDef {
  const body: Code = forRange('jr', [i32(0)], [get('nc')], NR, [
    ...minI32([i32(NR)], [get('nc'), get('jr'), ['i32.sub']], 't0', 't1'), set('nr'),
    ...forRange('ir', [i32(0)], [get('mc')], MR, [
      ...minI32([i32(MR)], [get('mc'), get('ir'), ['i32.sub']], 't0', 't1'), set('mr'),
      // packed panels: A panel ir/MR starts at ir·kc floats, B panel jr/NR at jr·kc floats
      get('pa'), get('ir'), get('kc'), ['i32.mul'], i32(2), ['i32.shl'], ['i32.add'], set('ap'),
      get('pb'), get('jr'), get('kc'), ['i32.mul'], i32(2), ['i32.shl'], ['i32.add'], set('bp'),
      get('c'), get('ir'), get('ldc'), ['i32.mul'], ['i32.add'], get('jr'), i32(2), ['i32.shl'], ['i32.add'], set('cp'),
      ...ifElse(
        [get('nr'), i32(NR), ['i32.eq']],
        [get('ap'), get('bp'), get('cp'), get('ldc'), get('kc'), get('accum'), get('mr'), ['call', 'gemm_micro']],
        [
          get('ap'), get('bp'), get('tile'), i32(NR * 4), get('kc'), i32(0), i32(MR), ['call', 'gemm_micro'],
          ...forRange('i', [i32(0)], [get('mr')], 1, [
            ...forRange('j', [i32(0)], [get('nr')], 1, [
              // dst = cp + i·ldc + 4j ; src = tile + 4(i·NR + j)
              get('cp'), get('i'), get('ldc'), ['i32.mul'], ['i32.add'], get('j'), i32(2), ['i32.shl'], ['i32.add'], set('t0'),
              get('t0'),
              get('tile'), get('i'), i32(NR), ['i32.mul'], get('j'), ['i32.add'], i32(2), ['i32.shl'], ['i32.add'], ['f32.load'],
              get('accum'), ['if', 'f32'], get('t0'), ['f32.load'], ['else'], ['f32.const', 0], ['end'], ['f32.add'],
              ['f32.store'],
            ]),
          ]),
        ],
      ),
    ]),
  ]);
  return {
    name: 'gemm_macro',
    params: [['pa', 'i32'], ['pb', 'i32'], ['c', 'i32'], ['ldc', 'i32'], ['mc', 'i32'], ['nc', 'i32'], ['kc', 'i32'],
      ['accum', 'i32'], ['tile', 'i32']],
    locals: [['jr', 'i32'], ['ir', 'i32'], ['nr', 'i32'], ['mr', 'i32'], ['ap', 'i32'], ['bp', 'i32'], ['cp', 'i32'],
      ['i', 'i32'], ['j', 'i32'], ['t0', 'i32'], ['t1', 'i32']],
    body,
  };
}

/**
 * The element type a pack reads. The packed panels are always float32: a 16-bit source is widened while it is
 * packed (exact), so the micro-kernel is the same and a bfloat16/float16 operand costs no separate widening pass
 * or float32 temporary — the pack reads half the bytes of a float32 operand.
 *   float32:  4 bytes, copied
 *   bfloat16: 2 bytes, f32 bits = h << 16
 *   float16:  2 bytes, f32 bits as kernels/half.ts f16_widen (exponent rebiased by a multiply with 2^112)
 */
export type PackSource = 'float32' | 'bfloat16' | 'float16';
const SOURCES: readonly PackSource[] = ['float32', 'bfloat16', 'float16'];
/** the pack functions' name suffix for a source type */
export const packSuffix = (t: PackSource): string => (t === 'float32' ? '' : t === 'bfloat16' ? '_bf16' : '_f16');
/** the source type code of GemmTask.ta / tb */
export const packSourceCode = (t: PackSource): number => SOURCES.indexOf(t);
export const packSourceOf = (code: number): PackSource => SOURCES[code]!;
const shift = (t: PackSource): number => (t === 'float32' ? 2 : 1);

/** four zero-extended 16-bit lanes (an i32x4 on the stack) → their float32 bits; uses locals hw, hm */
const widenTop = (t: PackSource): Code => t === 'bfloat16' ? [i32(16), ['i32x4.shl']] : [
  set('hw'),
  get('hw'), i32(0x7fff), ['i32x4.splat'], ['v128.and'], i32(13), ['i32x4.shl'], tee('hm'),
  ['v128.const', 2 ** 112, 2 ** 112, 2 ** 112, 2 ** 112], ['f32x4.mul'],
  get('hm'), i32(0x7f800000), ['i32x4.splat'], ['v128.or'],
  i32(0x7c00 << 13), ['i32x4.splat'], get('hm'), ['i32x4.gt_s'],
  ['v128.bitselect'],
  get('hw'), i32(16), ['i32x4.shl'], i32(0x80000000 | 0), ['i32x4.splat'], ['v128.and'], ['v128.or'],
];
/** locals the widening needs */
const widenLocals = (t: PackSource): [string, 'v128'][] => (t === 'float16' ? [['hw', 'v128'], ['hm', 'v128']] : []);
/** four elements at address (on the stack) + element offset off/4 (off counts float32 bytes) → a v128 of float32 */
const loadVec = (t: PackSource, off: number): Code =>
  t === 'float32' ? [['v128.load', off]] : [['v128.load16x4_u', off / 2], ...widenTop(t)];
/** one element at address (on the stack) + element offset off/4 → f32 */
const loadOne = (t: PackSource, off: number): Code =>
  t === 'float32' ? [['f32.load', off]]
    : t === 'bfloat16' ? [['i32.load16_u', off / 2], i32(16), ['i32.shl'], ['f32.reinterpret_i32']]
      : [['i32.load16_u', off / 2], ['i32x4.splat'], ...widenTop(t), ['f32x4.extract_lane', 0]];

/** src + size·(r·sr + q·sq) as a byte address */
const addr = (t: PackSource, base: string, r: string, sr: string, q: string, sq: string): Code =>
  [get(base), get(r), get(sr), ['i32.mul'], get(q), get(sq), ['i32.mul'], ['i32.add'], i32(shift(t)), ['i32.shl'], ['i32.add']];

/**
 * A pack's scalar panel (ragged edge or strided source): for each k, `width` values stored in order at dst —
 * lane < `valid` loads src at `address` (with local `pos` = `start` + lane), the lanes past it are zero.
 */
function edgePanel(t: PackSource, width: number, lane: string, valid: string, start: string, pos: string, address: Code): Code {
  return forRange('k', [i32(0)], [get('kc')], 1, [
    ...forRange(lane, [i32(0)], [i32(width)], 1, [
      get('dst'),
      get(lane), get(valid), ['i32.lt_s'],
      ['if', 'f32'],
      get(start), get(lane), ['i32.add'], set(pos),
      ...address, ...loadOne(t, 0),
      ['else'],
      ['f32.const', 0],
      ['end'],
      ['f32.store'],
      ...inc('dst', 4),
    ]),
  ]);
}

/** 32-bit lanes `lanes` (0–3 from a, 4–7 from b) of two vectors */
const shuffle32 = (a: string, b: string, lanes: number[]): Code =>
  [get(a), get(b), ['i8x16.shuffle', ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])]];

/** locals for slotsFromRows(n) */
const slotLocals = (n: number): [string, 'i32' | 'v128'][] => [
  ...Array.from({ length: n }, (_, r): [string, 'i32'] => [`rp${r}`, 'i32']),
  ...Array.from({ length: n }, (_, r): [string, 'v128'] => [`rv${r}`, 'v128']),
  ['x0', 'v128'], ['x1', 'v128'], ['x2', 'v128'], ['x3', 'v128'],
];

/**
 * A panel from `n` source rows that each run contiguously along k (row r from local rp<r>): for each k, the n
 * values side by side at dst. Four k at a time: one vector load per row, a 4×4 transpose in 8 shuffles per four
 * rows, lanes of the rows past a multiple of four stored one by one; the last kc mod 4 steps one k at a time.
 * (A transposed operand otherwise costs one scalar load and store per element, a tenth of a training step.)
 */
function slotsFromRows(t: PackSource, n: number): Code {
  const slot = 4 * n, groups = Math.floor(n / 4), size = 1 << shift(t);
  const quad: Code = [];
  for (let r = 0; r < n; r++) quad.push(get(`rp${r}`), ...loadVec(t, 0), set(`rv${r}`));
  for (let g = 0; g < groups; g++) {
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => `rv${4 * g + i}`) as [string, string, string, string];
    quad.push(
      ...shuffle32(a, b, [0, 4, 1, 5]), set('x0'), ...shuffle32(a, b, [2, 6, 3, 7]), set('x1'),
      ...shuffle32(c, d, [0, 4, 1, 5]), set('x2'), ...shuffle32(c, d, [2, 6, 3, 7]), set('x3'),
    );
    // k slot j gets lane j of rows 4g..4g+3
    ([['x0', 'x2', [0, 1, 4, 5]], ['x0', 'x2', [2, 3, 6, 7]], ['x1', 'x3', [0, 1, 4, 5]], ['x1', 'x3', [2, 3, 6, 7]]] as const)
      .forEach(([x, y, lanes], j) => quad.push(get('dst'), ...shuffle32(x, y, [...lanes]), ['v128.store', j * slot + 16 * g]));
  }
  for (let r = 4 * groups; r < n; r++) {
    for (let j = 0; j < 4; j++) quad.push(get('dst'), get(`rv${r}`), ['f32x4.extract_lane', j], ['f32.store', j * slot + 4 * r]);
  }
  for (let r = 0; r < n; r++) quad.push(...inc(`rp${r}`, 4 * size));
  quad.push(...inc('dst', 4 * slot));
  const single: Code = [];
  for (let r = 0; r < n; r++) single.push(get('dst'), get(`rp${r}`), ...loadOne(t, 0), ['f32.store', 4 * r], ...inc(`rp${r}`, size));
  single.push(...inc('dst', slot));
  return [
    ...forRangeSigned('k', [i32(0)], [get('kc'), i32(3), ['i32.sub']], 4, quad),
    ...forRange('k', [get('k')], [get('kc')], 1, single),
  ];
}

/** rp<r> = src + size·(first + r)·stride for r < n */
const rowPointers = (t: PackSource, n: number, first: string, stride: string): Code => Array.from({ length: n }, (_, r): Code =>
  [get('src'), get(first), i32(r), ['i32.add'], get(stride), ['i32.mul'], i32(shift(t)), ['i32.shl'], ['i32.add'], set(`rp${r}`)]).flat();

/**
 * gemm_pack_b(src, sk, sn, kc, nc, dst): dst panel p (columns p·NR..) holds, for each k, NR values
 * src[k, p·NR + jj] (zero past nc). Contiguous rows (sn = 1) copy whole vectors.
 */
function packB({ NV, NR }: GemmBlocking, t: PackSource): FuncDef {
  const scalarPanel = edgePanel(t, NR, 'jj', 'nr', 'j0', 'col', addr(t, 'src', 'k', 'sk', 'col', 'sn'));
  const vectorPanel: Code = forRange('k', [i32(0)], [get('kc')], 1, [
    ...addr(t, 'src', 'k', 'sk', 'j0', 'sn'), set('p'),
    ...Array.from({ length: NV }, (_, v): Code => [get('dst'), get('p'), ...loadVec(t, 16 * v), ['v128.store', 16 * v]]).flat(),
    ...inc('dst', 4 * NR),
  ]);
  // columns contiguous along k (a transposed operand: Linear's Wᵀ, im2col's colsᵀ): NR rows side by side
  const columnPanel: Code = [...rowPointers(t, NR, 'j0', 'sn'), ...slotsFromRows(t, NR)];
  const full = [get('nr'), i32(NR), ['i32.eq']] as Code;
  const body: Code = forRange('j0', [i32(0)], [get('nc')], NR, [
    ...minI32([i32(NR)], [get('nc'), get('j0'), ['i32.sub']], 't0', 't1'), set('nr'),
    ...ifElse([...full, get('sn'), i32(1), ['i32.eq'], ['i32.and']], vectorPanel,
      ifElse([...full, get('sk'), i32(1), ['i32.eq'], ['i32.and']], columnPanel, scalarPanel)),
  ]);
  return {
    name: `gemm_pack_b${packSuffix(t)}`,
    params: [['src', 'i32'], ['sk', 'i32'], ['sn', 'i32'], ['kc', 'i32'], ['nc', 'i32'], ['dst', 'i32']],
    locals: [['j0', 'i32'], ['k', 'i32'], ['jj', 'i32'], ['nr', 'i32'], ['col', 'i32'], ['p', 'i32'], ['t0', 'i32'], ['t1', 'i32'],
      ...slotLocals(NR), ...widenLocals(t)],
    body,
  };
}

/** copy `n` elements from local p to local dst as float32: whole vectors while 4 remain, then single elements */
function copyRow(t: PackSource, n: number): Code {
  const c: Code = [];
  for (let i = 0; i < n; i += i + 4 <= n ? 4 : 1) {
    if (i + 4 <= n) c.push(get('dst'), get('p'), ...loadVec(t, 4 * i), ['v128.store', 4 * i]);
    else c.push(get('dst'), get('p'), ...loadOne(t, 4 * i), ['f32.store', 4 * i]);
  }
  return c;
}

/**
 * gemm_pack_a(src, sm, sk, mc, kc, dst): dst panel p (rows p·MR..) holds, for each k, MR values
 * src[p·MR + ii, k] (zero past mc). Column-contiguous A (sm = 1, i.e. a transposed operand) loads vectors.
 */
function packA({ MR }: GemmBlocking, t: PackSource): FuncDef {
  const scalarPanel = edgePanel(t, MR, 'ii', 'mr', 'i0', 'row', addr(t, 'src', 'row', 'sm', 'k', 'sk'));
  // MR rows adjacent in memory (a transposed operand): one v128 per 4 rows, then single floats
  const vectorPanel: Code = forRange('k', [i32(0)], [get('kc')], 1, [
    ...addr(t, 'src', 'i0', 'sm', 'k', 'sk'), set('p'),
    ...copyRow(t, MR),
    ...inc('dst', 4 * MR),
  ]);
  // rows contiguous along k (the common case): MR rows side by side
  const rowPanel: Code = [...rowPointers(t, MR, 'i0', 'sm'), ...slotsFromRows(t, MR)];
  const full = [get('mr'), i32(MR), ['i32.eq']] as Code;
  const body: Code = [
    ...forRange('i0', [i32(0)], [get('mc')], MR, [
      ...minI32([i32(MR)], [get('mc'), get('i0'), ['i32.sub']], 't0', 't1'), set('mr'),
      ...ifElse([...full, get('sm'), i32(1), ['i32.eq'], ['i32.and']], vectorPanel,
        ifElse([...full, get('sk'), i32(1), ['i32.eq'], ['i32.and']], rowPanel, scalarPanel)),
    ]),
  ];
  return {
    name: `gemm_pack_a${packSuffix(t)}`,
    params: [['src', 'i32'], ['sm', 'i32'], ['sk', 'i32'], ['mc', 'i32'], ['kc', 'i32'], ['dst', 'i32']],
    locals: [['i0', 'i32'], ['k', 'i32'], ['ii', 'i32'], ['mr', 'i32'], ['row', 'i32'], ['p', 'i32'], ['t0', 'i32'], ['t1', 'i32'],
      ...slotLocals(MR), ...widenLocals(t)],
    body,
  };
}

export function matmulFuncs(relaxed: boolean): FuncDef[] {
  const b = gemmBlocking(relaxed);
  // gemm_mr tells the JavaScript side (gemm.ts, on every thread) which blocking this module was built with
  const mr: FuncDef = { name: 'gemm_mr', params: [], result: 'i32', locals: [], body: [i32(b.MR)] };
  return [microKernel(b, relaxed), macroKernel(b), ...SOURCES.flatMap((t) => [packA(b, t), packB(b, t)]), mr];
}
