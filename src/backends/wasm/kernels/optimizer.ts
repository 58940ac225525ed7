/**
 * The fused Adam / AdamW step in WebAssembly SIMD: adam_f32 updates θ, m, v (and the amsgrad maximum) of a
 * contiguous float32 parameter in one pass.
 */
import type { FuncDef } from '../emitter.js';
import { type Code, forRange, get, i32, set } from '../asm.js';
import { type KernelContext, mul, sub } from './context.js';
import { defineJob, type KernelSpec, warmRun } from './spec.js';
import { elemRange, elementChunks } from './split.js';
import * as K from '../../ts/kernels.js';
import { addr, av, contiguous } from '../host/runtime.js';

/**
 * adam_f32(p, g, m, v, x, n, c1, b2, c2, eps, invBc2Sqrt, negStep, l2, shrink, sign): one Adam/AdamW step over
 * the first n − n mod 4 elements, in place (x = 0: no amsgrad buffer). With d = sign·g (+ l2·θ):
 * θ ← θ·shrink; m ← m + (d − m)·c1; v ← v·b2 + d²·c2; [x ← max(x, v); v' = x]; θ ← θ + negStep·m/(√v'·invBc2Sqrt + eps).
 * The optional terms are loop-invariant branches (predicted), so a plain Adam step pays nothing for them.
 */
function adamFunc(ctx: KernelContext): FuncDef {
  const { fma } = ctx;
  const L = (name: string, o = 0): Code => [get(name), get('i'), ['i32.add'], ['v128.load', o]];
  const S = (name: string): Code => [get(name), get('i'), ['i32.add']];
  const sp = (name: string): Code => [get(name), ['f32x4.splat']];
  return {
    name: 'adam_f32',
    params: [['p', 'i32'], ['g', 'i32'], ['m', 'i32'], ['v', 'i32'], ['x', 'i32'], ['n', 'i32'],
      ['c1', 'f32'], ['b2', 'f32'], ['c2', 'f32'], ['eps', 'f32'], ['ibc', 'f32'], ['nstep', 'f32'], ['l2', 'f32'],
      ['shrink', 'f32'], ['sign', 'f32']],
    locals: [['i', 'i32'], ['hasL2', 'i32'], ['hasShrink', 'i32'],
      ...(['C1', 'B2', 'C2', 'EPS', 'IBC', 'NSTEP', 'L2', 'SHRINK', 'SIGN', 'd', 'th', 'mm', 'vv'] as const).map((n): [string, 'v128'] => [n, 'v128'])],
    body: [
      get('n'), i32(-4), ['i32.and'], i32(2), ['i32.shl'], set('n'),
      get('l2'), ['f32.const', 0], ['f32.ne'], set('hasL2'),
      get('shrink'), ['f32.const', 1], ['f32.ne'], set('hasShrink'),
      ...sp('c1'), set('C1'), ...sp('b2'), set('B2'), ...sp('c2'), set('C2'), ...sp('eps'), set('EPS'),
      ...sp('ibc'), set('IBC'), ...sp('nstep'), set('NSTEP'), ...sp('l2'), set('L2'), ...sp('shrink'), set('SHRINK'),
      ...sp('sign'), set('SIGN'),
      ...forRange('i', [i32(0)], [get('n')], 16, [
        ...L('g'), get('SIGN'), mul(), set('d'),
        ...L('p'), set('th'),
        get('hasL2'), ['if'], ...fma([get('th')], [get('L2')], [get('d')]), set('d'), ['end'],
        get('hasShrink'), ['if'], get('th'), get('SHRINK'), mul(), set('th'), ['end'],
        // m ← m + (d − m)·c1
        ...L('m'), set('mm'),
        ...fma([get('d'), get('mm'), sub()], [get('C1')], [get('mm')]), set('mm'),
        ...S('m'), get('mm'), ['v128.store', 0],
        // v ← v·b2 + d²·c2
        ...fma([get('d'), get('d'), mul()], [get('C2')], [...L('v'), get('B2'), mul()]), set('vv'),
        ...S('v'), get('vv'), ['v128.store', 0],
        get('x'), ['if'],
        ...L('x'), get('vv'), ['f32x4.max'], set('vv'),
        ...S('x'), get('vv'), ['v128.store', 0],
        ['end'],
        // θ ← θ + negStep·m/(√v·invBc2Sqrt + eps)
        ...S('p'),
        ...fma([get('mm'), ...fma([get('vv'), ['f32x4.sqrt']], [get('IBC')], [get('EPS')]), ['f32x4.div']], [get('NSTEP')], [get('th')]),
        ['v128.store', 0],
      ]),
    ],
  };
}


/** adam_f32 over [0, n − n mod 4) split by elements; x = 0: no amsgrad buffer; the scalars as adam_f32 takes them */
export const adamJob = defineJob({
  name: 'adam',
  fields: ['p', 'g', 'm', 'v', 'x', 'n', 'c1', 'b2', 'c2', 'eps', 'ibc', 'nstep', 'l2', 'shrink', 'sign'],
  chunks: (p, threads) => elementChunks(p.n, threads),
  run(ex, p, part, nparts) {
    const [lo, hi] = elemRange(p.n, part, nparts);
    if (hi > lo) {
      const o = 4 * lo;
      ex.adam_f32!(p.p + o, p.g + o, p.m + o, p.v + o, p.x ? p.x + o : 0, hi - lo, p.c1, p.b2, p.c2, p.eps, p.ibc, p.nstep, p.l2, p.shrink, p.sign);
    }
  },
});

export const optimizerSpec: KernelSpec = {
  name: 'optimizer',
  fused: {
    /** float32 contiguous state: adam_f32 split by elements, the ≤ 3-element tail by the reference */
    adamStep({ rt }, p, g, m, v, vmax, h) {
      const n = K.numel(p.shape);
      const views = vmax ? [p, g, m, v, vmax] : [p, g, m, v];
      if (n === 0) return;
      if (!views.every((w) => w.dtype === 'float32' && contiguous(w))) return null;
      // adam_f32's scalars: c1 = 1 − β₁, b2 = β₂, c2 = 1 − β₂, eps, ibc = 1/√(1 − β₂ᵗ), nstep = −step size, l2, shrink, sign
      rt.run(adamJob, {
        p: addr(p), g: addr(g), m: addr(m), v: addr(v), x: vmax ? addr(vmax) : 0, n,
        c1: 1 - h.beta1, b2: h.beta2, c2: 1 - h.beta2, eps: h.eps, ibc: 1 / h.bc2Sqrt, nstep: -h.stepSize, l2: h.l2, shrink: h.shrink, sign: h.maximize ? -1 : 1,
      });
      if (n & 3) K.adamStep(av(rt, p), av(rt, g), av(rt, m), av(rt, v), vmax ? av(rt, vmax) : null, h, n - (n & 3), n);
    },
  },
  emit: (ctx) => [adamFunc(ctx)],
  jobs: [adamJob],
  // zeros in, so the in-place update of the scratch blocks stays finite
  warmJobs: ({ a, n }) => [warmRun(adamJob, { p: a, g: a, m: a, v: a, x: 0, n, c1: 0.1, b2: 0.999, c2: 0.001, eps: 1e-8, ibc: 1, nstep: -1e-3, l2: 0, shrink: 1, sign: 1 })],
};
