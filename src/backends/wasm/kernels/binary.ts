/**
 * float32 binary kernels in WebAssembly SIMD over contiguous data:
 *  - bin_<op>(a, b, dst, n, mode): a ∘ b element by element (mode 0), with b (mode 1) or a (mode 2) one scalar;
 *  - rs_<op>_<mode>(a, b, o, rows, inner, P, sb): one operand is one scalar per row of the other (a conv bias [C]
 *    added to [N, C, H, W]);
 *  - step_f32(x, o, n, t): o = x > t ? 1 : 0, the mask of relu's backward;
 *  - bias_<none|relu>_f32(x, b, o, rows, N): act(x + b[j]) over [rows, N] after a GEMM (Linear), and the host
 *    plan of the fused biasAct kernel (biasActSpec.fused) that picks between them and unary.ts's ub_<act>.
 * Vector loops cover n rounded down to a multiple of 4 where the doc says so; the host finishes the tail.
 */
import type { FuncDef, Instr } from '../emitter.js';
import { type Code, forRange, get, i32, ifElse, inc, set } from '../asm.js';
import { defineJob, type KernelSpec, warmRun } from './spec.js';
import { elemRange, elementChunks, rowChunks, share, unitChunks } from './split.js';
import { BIASED_UNARY, biasUnaryJob } from './unary.js';
import type { View } from '../../backend.js';
import type { WasmBlock } from '../allocator.js';
import { addr, contiguous, out, type WasmRuntime } from '../host/runtime.js';
import { biasActNeedsPre, contiguousStrides, numel } from '../../ts/kernels.js';

const V = 'v128';

export type Bin = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
export const SIMD_BINARY: readonly Bin[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
const binOp: Record<Bin, string> = {
  add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div', maximum: 'f32x4.max', minimum: 'f32x4.min',
};


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


// ---- row-scalar binaries --------------------------------------------------------------------------------

export type RsOp = 'add' | 'sub' | 'mul' | 'div';
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


/** bin_<op> over [0, n) split by elements; a scalar operand (mode 1: b, mode 2: a) keeps its address */
export const binaryJob = defineJob({
  name: 'binary',
  fields: ['op', 'a', 'b', 'dst', 'n', 'mode'],
  chunks: (p, threads) => elementChunks(p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    if (hi > lo) ex[`bin_${SIMD_BINARY[p.op]}`]!(p.a + (p.mode === 2 ? 0 : 4 * lo), p.b + (p.mode === 1 ? 0 : 4 * lo), p.dst + 4 * lo, hi - lo, p.mode);
  },
});

/**
 * bin_<op> over `rows` rows of L floats (L a multiple of 4) where one operand is a single row that every row of
 * the other meets (mode 1: b is the row, 2: a is); split by rows
 */
export const binaryRowsJob = defineJob({
  name: 'binaryRows',
  fields: ['op', 'a', 'b', 'dst', 'rows', 'L', 'mode'],
  chunks: (p, threads) => rowChunks(p.rows, p.rows * p.L, threads),
  run(ex, p, part, nparts) {
    const [r0, r1] = share(p.rows, part, nparts);
    const f = ex[`bin_${SIMD_BINARY[p.op]}`]!;
    for (let r = r0; r < r1; r++) {
      const off = 4 * r * p.L;
      f(p.a + (p.mode === 2 ? 0 : off), p.b + (p.mode === 1 ? 0 : off), p.dst + off, p.L, 0);
    }
  },
});

/** rs_<op>_<mode> split by groups of P rows (the scalars' period: the groups are independent) */
export const rowScalarJob = defineJob({
  name: 'rowScalar',
  fields: ['op', 'mode', 'full', 'scalars', 'dst', 'rows', 'inner', 'P', 'sb'],
  chunks: (p, threads) => unitChunks(p.rows / p.P, 8 * p.rows * p.inner, threads),
  run(ex, p, part, nparts) {
    const [g0, g1] = share(p.rows / p.P, part, nparts);
    const off = 4 * g0 * p.P * p.inner;
    if (g1 > g0) ex[`rs_${RS_OPS[p.op]}_${p.mode}`]!(p.full + off, p.scalars, p.dst + off, (g1 - g0) * p.P, p.inner, p.P, p.sb);
  },
});

/** step_f32 split by elements */
export const stepJob = defineJob({
  name: 'step',
  fields: ['x', 'o', 'n', 'threshold'],
  chunks: (p, threads) => unitChunks(Math.ceil(p.n / 16), 8 * p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    if (hi > lo) ex.step_f32!(p.x + 4 * lo, p.o + 4 * lo, hi - lo, p.threshold);
  },
});

export const binarySpec: KernelSpec = {
  name: 'binary',
  emit: () => SIMD_BINARY.map(binaryFunc),
  jobs: [binaryJob, binaryRowsJob],
  warmJobs: ({ a, b, o, n }) => SIMD_BINARY.map((_, op) => warmRun(binaryJob, { op, a, b, dst: o, n, mode: 0 })),
};

export const rowScalarSpec: KernelSpec = {
  name: 'rowScalar',
  emit: () => RS_OPS.flatMap((op) => [rowScalarFunc(op, 0), rowScalarFunc(op, 1)]),
  jobs: [rowScalarJob],
  warmCalls(ex, { a, b, c }) {
    for (const op of RS_OPS) for (const m of [0, 1]) ex[`rs_${op}_${m}`]!(a, b, c, 64, 196, 8, 1);
  },
};

export const stepSpec: KernelSpec = {
  name: 'step',
  emit: () => [stepFunc],
  jobs: [stepJob],
  warmCalls: (ex, { a, b }) => ex.step_f32!(a, b, 16383, 0),
};

/** o = act(x + bias) over contiguous float32 x [rows, N] and contiguous bias [N]; act 'none' or 'relu' */
function biasNoneOrRelu(rt: WasmRuntime, x: View<WasmBlock>, bias: View<WasmBlock>, relu: boolean, o: WasmBlock): boolean {
  if (x.dtype !== 'float32' || bias.dtype !== 'float32' || !contiguous(x) || !contiguous(bias) || x.shape.length === 0) return false;
  const N = x.shape[x.shape.length - 1]!;
  const n = numel(x.shape);
  if (n === 0 || bias.shape.length !== 1 || bias.shape[0] !== N) return false;
  rt.ex[relu ? 'bias_relu_f32' : 'bias_none_f32']!(addr(x), addr(bias), o.ptr, n / N, N);
  return true;
}

export const biasActSpec: KernelSpec = {
  name: 'biasAct',
  emit: () => [biasActFunc(false), biasActFunc(true)],
  fused: {
    /**
     * float32, contiguous: gelu, geluTanh, silu, sigmoid and tanh with a row length that is a multiple of 4 run
     * ub_<act> (z = x + b, y = act(z), z stored too when backward needs it), rows split across threads; relu and
     * none run bias_<act>_f32; the other activations take z = x + b from bias_none_f32 and then the backend's
     * unary over z (two passes); no bias: the backend's unary (or copy). Other dtypes and layouts: the reference.
     */
    biasAct({ rt, backend }, x, bias, act, dt, keepPre) {
      const n = numel(x.shape);
      const N = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
      const pre = keepPre && biasActNeedsPre(act);
      if (!(x.dtype === 'float32' && dt === 'float32' && n > 0 && contiguous(x) && (!bias || (bias.dtype === 'float32' && contiguous(bias))))) return null;
      if (!bias) {
        if (act === 'none') return { y: backend.copy(x, dt), z: null };
        return { y: backend.unary(act, x, dt), z: pre ? backend.copy(x, dt) : null };
      }
      const relu = act === 'relu';
      const bi = (BIASED_UNARY as readonly string[]).indexOf(act);
      if (bi >= 0 && N % 4 === 0 && bias.shape.length === 1 && bias.shape[0] === N) {
        const y = out(rt, dt, n), z = pre ? out(rt, dt, n) : null;
        rt.run(biasUnaryJob, { act: bi, src: addr(x), bias: addr(bias), dst: y.ptr, zdst: z ? z.ptr : 0, rows: n / N, N });
        return { y, z };
      }
      const o = out(rt, dt, n);
      if (biasNoneOrRelu(rt, x, bias, relu, o)) {
        if (relu || act === 'none') return { y: o, z: null };
        const y = backend.unary(act, { data: o, dtype: dt, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 }, dt);
        if (pre) return { y, z: o };
        rt.release(o);
        return { y, z: null };
      }
      rt.release(o);
      return null;
    },
  },
  warmCalls(ex, { a, b, c }) {
    ex.bias_none_f32!(a, b, c, 64, 257);
    ex.bias_relu_f32!(a, b, c, 64, 257);
  },
};
