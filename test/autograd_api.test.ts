/**
 * autograd.grad, hvp, the reverse-over-reverse jvp, gradcheck and gradgradcheck: the branches a plain
 * "it passes" test never reaches — argument checks with their messages, the zero shortcuts of hvp, which
 * function, output and element a failure names, the tolerance boundary, NaN entries, outputs and inputs
 * that take no gradient, and the options of gradgradcheck.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { jvpReverseOverReverse } from '../src/autograd/api.js';

const { Function: Fn, gradcheck, gradgradcheck } = nb.autograd;
type Ctx = nb.autograd.FunctionCtx;
const f64 = (values: number[], shape?: number[]) => nb.tensor(values, { dtype: 'float64', shape });
const x64 = (shape: number[], seed: number) => nb.randn(shape, { dtype: 'float64', generator: new nb.Generator(seed) }).requiresGrad_(true);
const values = (t: Tensor | null | undefined) => Array.from(t!.data() as Float64Array);
const close = (a: number[], b: number[], tol = 1e-12) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `element ${i}: ${v} vs ${b[i]}`));
};

/** y = 2x (elementwise) whose backward multiplies by `slope` (a tensor of x's shape): the slope is 2 where right */
const linear = (name: string, slope: Tensor) => {
  const C = class extends Fn {
    static override forward(_ctx: Ctx, a: Tensor): Tensor { return a.mul(2); }
    static override backward(_ctx: Ctx, g: Tensor): Tensor { return g.mul(slope); }
  };
  Object.defineProperty(C, 'name', { value: name });
  return (a: Tensor) => C.apply(a) as Tensor;
};
/** y = x³ whose backward under createGraph adds `extra`·x (first order stays right) */
const cubeOff = (name: string, extra: number) => {
  const C = class extends Fn {
    static override forward(ctx: Ctx, a: Tensor): Tensor { ctx.saveForBackward(a); return a.mul(a).mul(a); }
    static override backward(ctx: Ctx, g: Tensor): Tensor {
      const [a] = ctx.savedTensors;
      return nb.isGradEnabled() ? g.mul(a!.mul(a!).mul(3).add(a!.mul(extra))) : g.mul(a!.mul(a!).mul(3));
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return (a: Tensor) => C.apply(a) as Tensor;
};

describe('autograd.grad', () => {
  test('the implicit seed of a scalar output has its dtype; a non-scalar output without gradOutputs is refused', () => {
    const x = f64([1, 2, 3]).requiresGrad_(true);
    const [g] = nb.autograd.grad(x.mul(x).sum(), [x]);
    assert.equal(g!.dtype, 'float64');
    close(values(g), [2, 4, 6]);
    assert.throws(() => nb.autograd.grad(x.mul(x), [x]), /^Error: autograd\.grad: grad can be implicitly created only for scalar outputs; output 0 has shape \[3\]$/);
  });
});

describe('hvp and the reverse-over-reverse jvp', () => {
  test('hvp: H·v of Σ a²b, an unused input gets zeros, the value is f(x) detached', () => {
    const a = f64([1, 2]), b = f64([3, -1]), c = f64([5, 7]);
    const [y, [ha, hb, hc]] = nb.autograd.hvp((p, q) => p.mul(p).mul(q).sum(), [a, b, c], [f64([1, 0]), f64([0, 1]), f64([1, 1])]);
    // H = [[2b, 2a], [2a, 0]] blockwise per element: Ha·va + Hab·vb = 2b·va + 2a·vb, Hb = 2a·va
    close(values(y), [1 * 3 + 4 * -1]);
    assert.equal(y.requiresGrad, false);
    close(values(ha), [6, 4]);
    close(values(hb), [2, 0]);
    close(values(hc), [0, 0]);
  });

  test('hvp: a function that does not depend on its inputs, and one linear in them, have H = 0', () => {
    const a = f64([1, 2]);
    const [y0, [h0]] = nb.autograd.hvp(() => f64([4]).sum(), [a], [f64([1, 1])]);
    close(values(y0), [4]);
    close(values(h0), [0, 0]);
    const [y1, [h1]] = nb.autograd.hvp((p) => p.mul(f64([3, 5])).sum(), [a], [f64([1, 1])]);
    close(values(y1), [13]);
    close(values(h1), [0, 0]);
  });

  test('jvpReverseOverReverse: an unused input adds nothing; an output reached from no input has J·t = 0', () => {
    const a = f64([1, 2]), b = f64([3, 4]);
    const [y, jt] = jvpReverseOverReverse((p, _q) => p.mul(p), [a, b], [f64([1, 10]), f64([100, 100])]);
    close(values(y), [1, 4]);
    close(values(jt), [2, 40]);
    const w = f64([5, 6]).requiresGrad_(true);
    const [y2, jt2] = jvpReverseOverReverse((_p) => w.mul(2), [a], [f64([1, 1])]);
    close(values(y2), [10, 12]);
    close(values(jt2), [0, 0]);
  });
});

describe('gradcheck and gradgradcheck: argument checks', () => {
  const x = x64([2, 3], 1);
  const id = (a: Tensor) => a.mul(1);
  const cases: [string, () => unknown, RegExp][] = [
    ['fn not a function', () => gradcheck('f' as never, x), /^TypeError: gradcheck: fn must be a function, got the string 'f'$/],
    ['an input not a tensor', () => gradcheck(id, [x, 3 as never]), /^TypeError: gradcheck: inputs must be a tensor or an array of tensors, got an array \[…, 3\]$/],
    ['inputs a number', () => gradgradcheck(id, 3 as never), /^TypeError: gradgradcheck: inputs must be a tensor or an array of tensors, got number 3$/],
    ['gradcheck has no seed', () => gradcheck(id, x, { seed: 1 } as never), /^TypeError: gradcheck: unknown option 'seed'; expected one of: eps, atol, rtol, raiseException, name$/],
    ['gradgradcheck: a misspelt option', () => gradgradcheck(id, x, { tol: 1 } as never), /^TypeError: gradgradcheck: unknown option 'tol' \(did you mean atol\?\); expected one of: eps, atol, rtol, raiseException, name, seed$/],
    ['a fourth argument', () => (gradcheck as (...a: unknown[]) => unknown)(id, x, {}, 4), /^TypeError: gradcheck: expected at most 3 arguments \(fn, inputs, \{eps, atol, rtol, raiseException, name\}\), got 4/],
    ['a float32 input', () => gradcheck(id, x.float()), /^Error: gradcheck: input 0 of id is float32; gradcheck needs float64 inputs/],
    ['a named function, float32', () => gradcheck(function named(a: Tensor) { return a; }, [x.detach(), x.float()]), /^Error: gradcheck: input 1 of named is float32/],
    ['an opts.name, float32', () => gradcheck(id, x.float(), { name: 'mine' }), /^Error: gradcheck: input 0 of mine is float32/],
    ['no input requires grad', () => gradcheck(id, x.detach()), /^Error: gradcheck: no input of id requires grad$/],
  ];
  for (const [what, call, message] of cases) test(what, () => assert.throws(call, (e: Error) => { assert.match(`${e.name}: ${e.message}`, message); return true; }));

  test('an input that takes no gradient is held fixed: gradcheck and gradgradcheck pass with it', () => {
    const c = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.equal(gradcheck((a: Tensor, k: Tensor) => a.mul(a).mul(k), [x, c], { rtol: 1e-7, atol: 1e-9 }), true);
    assert.equal(gradgradcheck((a: Tensor, k: Tensor) => a.mul(a).mul(k), [x, c]), true);
  });
});

describe('gradcheck: what a failure names', () => {
  const zero = f64([0, 0]).requiresGrad_(true);

  test('the tolerance boundary is inclusive: |analytical − numerical| = atol + rtol·|numerical| passes', () => {
    // at x = 0 with eps 0.5 the central difference of 2x is exactly 2; a slope of 2.5 is off by exactly 0.5
    const f = linear('Off', f64([2.5, 3]));
    assert.equal(gradcheck(linear('Off', f64([2.5, 2.5])), zero, { eps: 0.5, atol: 0.5, rtol: 0 }), true);
    assert.equal(gradcheck(linear('Off', f64([2.5, 2.5])), zero, { eps: 0.5, atol: 0, rtol: 0.25 }), true);
    assert.equal(gradcheck(linear('Off', f64([2.5, 2.5])), zero, { eps: 0.5, atol: 0.25, rtol: 0.125 - 1e-9, raiseException: false }), false);
    // one entry on the boundary, one past it: only the second counts as failing
    assert.throws(() => gradcheck(f, zero, { eps: 0.5, atol: 0.5, rtol: 0 }),
      /gradcheck failed for Off: Jacobian mismatch of output \[float64 \[2\]\] element 1 \[1\] with respect to input 0 \[float64 \[2\]\], element 1 \[1\] \(the worst of 1 failing entries\):\n {2}numerical: {2}2\n {2}analytical: 3\n {2}\(eps 0\.5, atol 0\.5, rtol 0\)/);
  });

  test('of several failing entries the worst is named; a NaN entry is worse than any number', () => {
    const four = f64([0, 0, 0, 0]).requiresGrad_(true);
    assert.throws(() => gradcheck(linear('Two', f64([2.5, 2, 2, 5])), four, { eps: 0.5 }), /element 3 \[3\] \(the worst of 2 failing entries\):\n {2}numerical: {2}2\n {2}analytical: 5\n/);
    assert.throws(() => gradcheck(linear('Two', f64([2, 9, 2, 2.5])), four, { eps: 0.5 }), /element 1 \[1\] \(the worst of 2 failing entries\):\n {2}numerical: {2}2\n {2}analytical: 9\n/);
    // NaN at the diagonal entry of element 2 only (√−|g|·mask: √−1 there, √−0 = −0 elsewhere), after a wrong 9
    const C = class NanAt extends Fn {
      static override forward(_ctx: Ctx, a: Tensor): Tensor { return a.mul(2); }
      static override backward(_ctx: Ctx, g: Tensor): Tensor { return g.mul(f64([9, 2, 2, 2])).add(g.abs().mul(f64([0, 0, 1, 0])).neg().sqrt()); }
    };
    assert.throws(() => gradcheck([(a: Tensor) => C.apply(a) as Tensor][0]!, four, { eps: 0.5 }), /element 2 \[2\] with respect to input 0 \[float64 \[4\]\], element 2 \[2\] \(the worst of 2 failing entries\):\n {2}numerical: {2}2\n {2}analytical: NaN\n/);
  });

  test('the name: opts.name, else the function\'s name, else the op(s) that produced the outputs', () => {
    const bad = linear('Producer', f64([3, 3]));
    assert.throws(() => gradcheck(bad, zero, { name: 'given' }), /^Error: gradcheck failed for given: /);
    const named = function wrapper(a: Tensor) { return bad(a); };
    assert.throws(() => gradcheck(named, zero), /^Error: gradcheck failed for wrapper: /);
    assert.throws(() => gradcheck([(a: Tensor) => bad(a)][0]!, zero), /^Error: gradcheck failed for Producer: /);
    const other = linear('Other', f64([2, 2]));
    assert.throws(() => gradcheck([(a: Tensor) => [other(a), bad(a)]][0]!, zero), /^Error: gradcheck failed for Other, Producer: Jacobian mismatch of output 1 \[float64 \[2\]\] element 0 \[0\]/);
  });

  test('the element of the second output and a 3-d index are located by row and column', () => {
    const x = x64([2, 1, 3], 7);
    const mask = f64([0, 0, 0, 0, 1, 0], [2, 1, 3]);
    const C = class Pair extends Fn {
      static override forward(_ctx: Ctx, a: Tensor): Tensor[] { return [a.mul(2), a.mul(3)]; }
      static override backward(_ctx: Ctx, g0: Tensor, g1: Tensor): Tensor { return g0.mul(2).add(g1.mul(mask.mul(0.5).add(3))); }
    };
    assert.throws(() => gradcheck([(a: Tensor) => C.apply(a) as Tensor[]][0]!, [x]),
      /gradcheck failed for Pair: Jacobian mismatch of output 1 \[float64 \[2,1,3\]\] element 4 \[1, 0, 1\] with respect to input 0 \[float64 \[2,1,3\]\], element 4 \[1, 0, 1\] \(the worst of 1 failing entries\)/);
  });
});

describe('gradgradcheck: options, names and outputs without gradient', () => {
  const x = x64([2, 3], 4);

  test('the first-order equality check uses atol/rtol, its name, and raiseException', () => {
    const off = cubeOff('Off', 0.01);
    assert.throws(() => gradgradcheck(off, [x]), /^Error: gradgradcheck failed for Off: the createGraph backward differs/);
    assert.throws(() => gradgradcheck(off, [x], { name: 'mine' }), /^Error: gradgradcheck failed for mine: /);
    assert.throws(() => gradgradcheck(function outer(a: Tensor) { return off(a); }, [x]), /^Error: gradgradcheck failed for outer: /);
    assert.equal(gradgradcheck(off, [x], { raiseException: false }), false);
    // loose enough for 0.01·x·v (|x|, |v| < 4), the createGraph branch then also passes its own gradcheck
    assert.equal(gradgradcheck(off, [x], { atol: 0.2 }), true);
    assert.equal(gradgradcheck(off, [x], { atol: 0, rtol: 0.2 }), true);
  });

  test('the seed chooses the random cotangent: the same seed gives the same report, another a different one', () => {
    const off = cubeOff('Seeded', 0.01);
    const report = (seed?: number) => { try { gradgradcheck(off, [x], seed === undefined ? {} : { seed }); } catch (e) { return (e as Error).message; } return 'passed'; };
    assert.equal(report(5), report(5));
    assert.notEqual(report(5), report(6));
    assert.equal(report(), report(1234));
  });

  test('an output that takes no gradient and an input nothing depends on are allowed', () => {
    assert.equal(gradgradcheck((a: Tensor) => [a.mul(a).mul(a), a.detach().mul(2)], [x]), true);
    assert.equal(gradgradcheck((a: Tensor, _b: Tensor) => a.mul(a).mul(a), [x, x64([2], 5)]), true);
    // the second-order gradcheck is named after the function
    const C = class WrongSecond extends Fn {
      static override forward(ctx: Ctx, a: Tensor): Tensor { ctx.saveForBackward(a); return a.mul(a).mul(a); }
      static override backward(ctx: Ctx, g: Tensor): Tensor { const [a] = ctx.savedTensors; return g.mul(a!.mul(a!).mul(3).add(a!.sub(a!.detach()).mul(0.6).mul(a!.detach()))); }
    };
    assert.throws(() => gradgradcheck([(a: Tensor, b: Tensor) => [C.apply(a) as Tensor, b.mul(2)]][0]!, [x, x64([2], 5)]), /^Error: gradcheck failed for WrongSecond, mul \(second order\): /);
  });
});

describe('the review of api.js\'s surviving mutants', () => {
  const zero2 = f64([0, 0]).requiresGrad_(true);

  test('autograd.grad: gradOutputs null is no gradOutputs, also for several outputs', () => {
    const x = f64([1, 2]).requiresGrad_(true);
    const gs = nb.autograd.grad([x.mul(x).sum(), x.mul(3).sum()], [x], { gradOutputs: null as never });
    close(values(gs[0]), [5, 7]);
  });

  test('hvp of a function of no inputs (it may still use other tensors) returns f and no blocks', () => {
    const w = f64([1, 2]).requiresGrad_(true);
    const [y, hs] = nb.autograd.hvp(() => w.mul(w).sum(), [], []);
    close(values(y), [5]);
    assert.deepEqual(hs, []);
  });

  test('gradcheck: an output that takes no gradient — constant passes, a detached copy of the input fails as "function"', () => {
    const x = f64([0.5, 1.5]).requiresGrad_(true);
    assert.equal(gradcheck([(_a: Tensor) => f64([1, 2])][0]!, x), true);
    assert.throws(() => gradcheck([(a: Tensor) => a.detach().mul(2)][0]!, x), /^Error: gradcheck failed for function: Jacobian mismatch of output \[float64 \[2\]\] element 0 \[0\]/);
    assert.throws(() => gradcheck([(a: Tensor) => a.float()][0]!, x.float()), /^Error: gradcheck: input 0 of function is float32/);
  });

  test('gradcheck: the worst entry is named even when it is the first one checked', () => {
    // entry 0 (element 0) is off by 7, entry 5 (element 1) by 0.5
    assert.throws(() => gradcheck(linear('FirstWorst', f64([9, 2.5])), zero2, { eps: 0.5 }), /element 0 \[0\] with respect to input 0 \[float64 \[2\]\], element 0 \[0\] \(the worst of 2 failing entries\):\n {2}numerical: {2}2\n {2}analytical: 9\n/);
  });

  test('gradcheck: the names of the producing ops skip outputs no op produced; a failure in the first of two outputs', () => {
    const bad = linear('Producer', f64([3, 3]));
    assert.throws(() => gradcheck([(a: Tensor) => [a, bad(a)]][0]!, zero2), /^Error: gradcheck failed for Producer: Jacobian mismatch of output 1 \[float64 \[2\]\] element 0 \[0\]/);
    assert.throws(() => gradcheck([(a: Tensor) => [bad(a), a.mul(2)]][0]!, zero2), /^Error: gradcheck failed for Producer, mul: Jacobian mismatch of output 0 \[float64 \[2\]\] element 0 \[0\] with respect to input 0 \[float64 \[2\]\], element 0 \[0\]/);
  });

  test('gradgradcheck: the backward\'s dependence on the upstream gradient is checked too (input nIn + k is the cotangent)', () => {
    // right at g (value), right in x (d/dx), but d/dg is 3x² + 1 instead of 3x²
    const C = class GradNonlinear extends Fn {
      static override forward(ctx: Ctx, a: Tensor): Tensor { ctx.saveForBackward(a); return a.mul(a).mul(a); }
      static override backward(ctx: Ctx, g: Tensor): Tensor { const [a] = ctx.savedTensors; return g.mul(a!.mul(a!).mul(3)).add(g.sub(g.detach())); }
    };
    assert.throws(() => gradgradcheck(applyOf(C), [x64([3], 8)]), /^Error: gradcheck failed for GradNonlinear \(second order\): .* with respect to input 1 \[float64 \[3\]\]/s);
  });

  test('gradgradcheck: the first-order equality boundary is inclusive', () => {
    // the createGraph branch is 2.5·g against 2·g: |2.5v − 2v| with v the seeded cotangent, exactly as computed here
    const C = class Slope extends Fn {
      static override forward(_ctx: Ctx, a: Tensor): Tensor { return a.mul(2); }
      static override backward(_ctx: Ctx, g: Tensor): Tensor { return nb.isGradEnabled() ? g.mul(2.5) : g.mul(2); }
    };
    const v = nb.randn([1], { dtype: 'float64', generator: new nb.Generator(1234) }).item();
    const gap = Math.abs(v * 2.5 - v * 2);
    const x = f64([0.25]).requiresGrad_(true);
    assert.equal(gradgradcheck(applyOf(C), [x], { atol: gap, rtol: 0 }), true);
    assert.equal(gradgradcheck(applyOf(C), [x], { atol: gap * (1 - 1e-12), rtol: 0, raiseException: false }), false);
  });
});

/** an anonymous wrapper: gradcheck then names the Function that produced the output */
function applyOf(C: typeof Fn) { return [(a: Tensor) => C.apply(a) as Tensor][0]!; }
