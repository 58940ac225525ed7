/**
 * Shared pieces of the SIMD kernels: polynomial evaluation (Horner, Estrin), the float32 exp cores, and the
 * statement interleaving that keeps several independent vectors in flight in the unrolled loops.
 */
import type { Instr } from '../emitter.js';
import { type Code, get, i32, set } from '../asm.js';
import { type KernelContext, add, mul, sub } from './context.js';

/**
 * Polynomial c[0] + c[1]t + ... by Horner's rule: fewest operations. The unrolled loops keep enough vectors in
 * flight to hide its longer dependency chain (measured a few % faster than Estrin for exp and GELU).
 */
export function horner(ctx: KernelContext, t: string, c: readonly number[]): Code {
  const { vk, fma } = ctx;
  let code = vk(c[c.length - 1]!);
  for (let k = c.length - 2; k >= 0; k--) code = fma([get(t)], code, vk(c[k]!));
  return code;
}

/** Polynomial c[0] + c[1]t + ... in Estrin's scheme (short dependency chains); sets t², t⁴, t⁸ in pw2/pw4/pw8 as needed. */
export function poly(ctx: KernelContext, t: string, c: readonly number[]): Code {
  const { vk, fma } = ctx;
  const pre: Code = [get(t), get(t), mul(), set('pw2')];
  if (c.length > 4) pre.push(get('pw2'), get('pw2'), mul(), set('pw4'));
  if (c.length > 8) pre.push(get('pw4'), get('pw4'), mul(), set('pw8'));
  const pw = (k: number): Code => [get(k === 1 ? t : `pw${k}`)];
  const est = (lo: number, hi: number): Code => {
    if (hi - lo === 1) return vk(c[lo]!);
    let k = 1;
    while (lo + k * 2 < hi) k *= 2;
    return fma(pw(k), est(lo + k, hi), est(lo, lo + k));
  };
  return [...pre, ...est(0, c.length)];
}

// ---- exp -------------------------------------------------------------------------------------
// 1.5·2^23: adding it rounds to an integer held in the low mantissa bits (replaces nearest + trunc_sat,
// whose NaN/saturation handling costs V8 a dozen instructions)
const MAGIC = 12582912;
/** Cody–Waite split of ln 2: C1 has 9 significant bits, so n·C1 is exact for |n| < 2^15 */
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
/** (e^r − 1 − r)/r² ≈ P(r) on |r| ≤ 0.35 (least-squares fit in float32 coefficients; e^r−1 relative error 2.6e-8) */
const EXPM1_P = [0.5, 0.16666573286056519, 0.041666362434625626, 0.008363769389688969, 0.0013942149234935641];

/**
 * The fast exp core for |x| ≤ 87 (so n = round(x/ln2) ∈ [−126, 126] and 2^n is a normal float):
 * x = n·ln2 + r, e^r − 1 = r + r²P(r), e^x = 2^n + 2^n(e^r − 1); `m1` gives e^x − 1 = 2^n(e^r − 1) + (2^n − 1)
 * instead, accurate to a few ulp relative to itself (2^n − 1 is exact for the n that matter).
 * Clobbers the e_* and pw* locals; result on the stack. Arguments outside the range give garbage: callers
 * check or clamp first.
 */
export function expCore(ctx: KernelContext, x: string, m1 = false): Code {
  const { vk, ik, fma, fnma } = ctx;
  return [
    ...fma([get(x)], vk(Math.LOG2E), vk(MAGIC)), set('e_z'),
    get('e_z'), ...vk(MAGIC), sub(), set('e_n'),
    ...fnma([get('e_n')], vk(LN2_HI), [get(x)]), set('e_r'),
    ...fnma([get('e_n')], vk(LN2_LO), [get('e_r')]), set('e_r'),
    // q = r + r²·P(r) = e^r − 1
    get('e_r'), get('e_r'), mul(), set('pw2'),
    ...horner(ctx, 'e_r', EXPM1_P), set('e_q'),
    ...fma([get('e_q')], [get('pw2')], [get('e_r')]), set('e_q'),
    // 2^n: bits(z) = bits(MAGIC) + n, and bits(MAGIC) << 23 = 0, so (bits(z) << 23) + bits(1.0) = bits(2^n)
    get('e_z'), i32(23), ['i32x4.shl'], ...ik(0x3f800000), ['i32x4.add'], set('e_s'),
    ...fma([get('e_q')], [get('e_s')], m1 ? [get('e_s'), ...vk(1), sub()] : [get('e_s')]),
  ];
}

/**
 * exp over the whole float32 range (the slow path of vectors with some |x| > 87): Cephes expf (Cody–Waite
 * reduction, degree-7 polynomial) with the scale 2^n split in two factors so inputs near ±88 neither
 * overflow early nor flush early (denormal results stay accurate); NaN propagates, ±Inf give Inf / 0.
 */
export function expFull(ctx: KernelContext, x: string): Code {
  const { vk, ik } = ctx;
  return [
    // clamp with pmin/pmax (one instruction each; NaN passes through as the first operand)
    get(x), ...vk(89), ['f32x4.pmin'], ...vk(-104), ['f32x4.pmax'], set('e_x'),
    get('e_x'), ...vk(Math.LOG2E), mul(), ...vk(MAGIC), add(), set('e_n'),
    get('e_n'), ...vk(MAGIC), sub(), set('e_f'),
    get('e_x'), get('e_f'), ...vk(LN2_HI), mul(), sub(), get('e_f'), ...vk(LN2_LO), mul(), sub(), set('e_r'),
    ...poly(ctx, 'e_r', [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4]),
    get('pw2'), mul(), get('e_r'), add(), ...vk(1), add(), set('e_y'),
    // n as i32 = bits(f + MAGIC) − bits(MAGIC); 2^n = 2^(n>>1) · 2^(n − n>>1), both normal for n in [−150, 128]
    get('e_n'), ...vk(MAGIC), ['i32x4.sub'], set('e_n'),
    get('e_n'), i32(1), ['i32x4.shr_s'], set('e_h'),
    get('e_y'),
    get('e_h'), ...ik(127), ['i32x4.add'], i32(23), ['i32x4.shl'], mul(),
    get('e_n'), get('e_h'), ['i32x4.sub'], ...ik(127), ['i32x4.add'], i32(23), ['i32x4.shl'], mul(),
  ];
}

/** largest |x| the fast exp core takes */
export const EXP_FAST = 87;

export const V = 'v128' as const;
/** the v128 locals the unary kernel code uses (renamed apart per interleaved copy) */
export const unaryLocalNames = ['x', 't', 'u', 'a', 's', 'mk', 'pw2', 'pw4', 'pw8', 'e_x', 'e_f', 'e_r', 'e_y', 'e_n', 'e_h', 'e_z', 'e_q', 'e_s'];

/** net stack effect of the instructions the unary kernels use (for splitting them into statements) */
function stackEffect(ins: Instr): number {
  const op = ins[0];
  if (op === 'local.get' || op === 'i32.const') return 1;
  if (op === 'local.set') return -1;
  if (op === 'v128.store') return -2;
  if (op === 'v128.bitselect' || op === 'f32x4.relaxed_madd' || op === 'f32x4.relaxed_nmadd') return -2;
  if (op === 'v128.load' || op === 'i32x4.all_true' || op === 'v128.not' || op === 'local.tee') return 0;
  if (/^f32x4\.(abs|neg|sqrt)$/.test(op)) return 0;
  if (/^(f32x4|i32x4|v128|i32)\./.test(op)) return -1;
  throw new Error(`wasm kernels: no stack effect for ${op}`);
}

/** the code as statements: runs of instructions that start and end with an empty stack */
function statements(code: Code): Code[] {
  const out: Code[] = [];
  let cur: Code = [], depth = 0;
  for (const ins of code) {
    cur.push(ins);
    depth += stackEffect(ins);
    if (depth === 0) { out.push(cur); cur = []; }
  }
  if (cur.length) throw new Error('wasm kernels: unbalanced kernel code');
  return out;
}

/**
 * The statements of several independent copies of a kernel, round-robin. Each vector's computation is one
 * long dependency chain (~100 cycles for GELU); V8 keeps the wasm order, so without interleaving the
 * core's reorder window holds only two or three vectors and the loop runs latency-bound.
 */
export function interleave(copies: Code[]): Code {
  const st = copies.map(statements);
  const out: Code = [];
  for (let j = 0; st.some((s) => j < s.length); j++) for (const s of st) if (j < s.length) out.push(...s[j]!);
  return out;
}

/** copy `k` of kernel code: its locals renamed apart (the loop's i/p/src/dst/n are shared) */
export function renamed(code: Code, k: number): Code {
  if (k === 0) return code;
  return code.map((ins): Instr => (ins[0] === 'local.get' || ins[0] === 'local.set' || ins[0] === 'local.tee') &&
    unaryLocalNames.includes(ins[1] as string) ? [ins[0], `${ins[1]}_${k}`] : ins);
}
