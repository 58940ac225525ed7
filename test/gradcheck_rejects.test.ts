/**
 * gradcheck and gradgradcheck as products: each must REJECT a deliberately wrong backward, and say which
 * function, which input and which element is wrong. Every row is a custom autograd.Function with one
 * realistic mistake; its correct twin must pass, so a rejection is caused by the mistake alone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { Function: Fn, gradcheck, gradgradcheck } = nb.autograd;
type Ctx = nb.autograd.FunctionCtx;

const x64 = (shape: number[], seed: number) => nb.randn(shape, { dtype: 'float64', generator: new nb.Generator(seed) }).requiresGrad_(true);

/** y = x³ (elementwise), backward scaled by `scale` and shifted by `sign` */
const cube = (name: string, dydx: (x: Tensor) => Tensor) => {
  const C = class extends Fn {
    static override forward(ctx: Ctx, x: Tensor): Tensor { ctx.saveForBackward(x); return x.mul(x).mul(x); }
    static override backward(ctx: Ctx, g: Tensor): Tensor { const [x] = ctx.savedTensors; return g.mul(dydx(x!)); }
  };
  Object.defineProperty(C, 'name', { value: name });
  return (x: Tensor) => C.apply(x) as Tensor;
};

/** y = sin(x) whose derivative constant is off by a relative `rel` */
const sine = (name: string, rel: number) => {
  const C = class extends Fn {
    static override forward(ctx: Ctx, x: Tensor): Tensor { ctx.saveForBackward(x); return x.sin(); }
    static override backward(ctx: Ctx, g: Tensor): Tensor { const [x] = ctx.savedTensors; return g.mul(x!.cos()).mul(1 + rel); }
  };
  Object.defineProperty(C, 'name', { value: name });
  return (x: Tensor) => C.apply(x) as Tensor;
};

/** y = a + b with a [3, 4], b [4] broadcast over rows; `reduceB` turns the upstream gradient into b's */
const bcastAdd = (name: string, reduceB: (g: Tensor) => Tensor) => {
  const C = class extends Fn {
    static override forward(_ctx: Ctx, a: Tensor, b: Tensor): Tensor { return a.add(b); }
    static override backward(_ctx: Ctx, g: Tensor): Tensor[] { return [g, reduceB(g)]; }
  };
  Object.defineProperty(C, 'name', { value: name });
  return (a: Tensor, b: Tensor) => C.apply(a, b) as Tensor;
};

/** y = x³ whose backward is right to first order, but `secondOrder` decides what it is under createGraph */
const cubeGraph = (name: string, underGraph: (g: Tensor, x: Tensor) => Tensor) => {
  const C = class extends Fn {
    static override forward(ctx: Ctx, x: Tensor): Tensor { ctx.saveForBackward(x); return x.mul(x).mul(x); }
    static override backward(ctx: Ctx, g: Tensor): Tensor {
      const [x] = ctx.savedTensors;
      return nb.isGradEnabled() ? underGraph(g, x!) : g.mul(x!.mul(x!).mul(3));
    }
  };
  Object.defineProperty(C, 'name', { value: name });
  return (x: Tensor) => C.apply(x) as Tensor;
};

describe('gradcheck rejects wrong backwards, naming function, input and worst element', () => {
  const x = x64([2, 3], 1);
  const rows: { name: string; fn: (...xs: Tensor[]) => Tensor; inputs: Tensor[]; opts?: nb.autograd.GradcheckOptions; input: number; element: RegExp }[] = [
    { name: 'WrongSign', fn: cube('WrongSign', (x) => x.mul(x).mul(-3)), inputs: [x], input: 0, element: /element \d \[\d, \d\]/ },
    { name: 'WrongScale', fn: cube('WrongScale', (x) => x.mul(x).mul(2)), inputs: [x], input: 0, element: /element \d \[\d, \d\]/ },
    // a 1e-4 relative error passes PyTorch's default rtol 1e-3, and must fail at a tolerance central
    // differences can resolve: truncation eps²·f'''/6 ≈ 2e-13 and rounding ≈ 1e-16/eps = 1e-10
    { name: 'SineOff1e4', fn: sine('SineOff1e4', 1e-4), inputs: [x], opts: { rtol: 1e-7, atol: 1e-9 }, input: 0, element: /element \d \[\d, \d\]/ },
    // b's gradient must be the column sums; the mean (÷3) and the first row only are both wrong
    { name: 'BcastMean', fn: bcastAdd('BcastMean', (g) => g.mean(0)), inputs: [x64([3, 4], 2), x64([4], 3)], input: 1, element: /element \d \[\d\]/ },
    { name: 'BcastFirstRow', fn: bcastAdd('BcastFirstRow', (g) => g.select(0, 0)), inputs: [x64([3, 4], 2), x64([4], 3)], input: 1, element: /element \d \[\d\]/ },
  ];
  for (const r of rows) {
    test(`${r.name} is rejected`, () => {
      assert.throws(() => gradcheck(r.fn, r.inputs, r.opts), (e: Error) => {
        assert.match(e.message, new RegExp(`gradcheck failed for ${r.name}: `));
        assert.match(e.message, new RegExp(`with respect to input ${r.input} \\[float64 `));
        assert.match(e.message, r.element);
        assert.match(e.message, /numerical: +-?\d/);
        assert.match(e.message, /analytical: +-?\d/);
        return true;
      });
      assert.equal(gradcheck(r.fn, r.inputs, { ...r.opts, raiseException: false }), false, 'raiseException: false returns false');
    });
  }

  test('the worst element is the one named: a wrong gradient at one position only', () => {
    // dy/dx wrong only where the flat index is 4 → element 4 = [1, 1] of a [2, 3] input
    const mask = nb.tensor([0, 0, 0, 0, 1, 0], { dtype: 'float64', shape: [2, 3] });
    const f = cube('OneWrong', (x) => x.mul(x).mul(3).add(mask.mul(0.5)));
    assert.throws(() => gradcheck(f, [x]), /output \[float64 \[2,3\]\] element 4 \[1, 1\] with respect to input 0 \[float64 \[2,3\]\], element 4 \[1, 1\] \(the worst of 1 failing entries\)/);
  });

  test('a gradient of the wrong shape (broadcast never reduced) is rejected naming the Function and the input', () => {
    const f = bcastAdd('BcastUnreduced', (g) => g);
    assert.throws(() => gradcheck(f, [x64([3, 4], 2), x64([4], 3)]), /^Error: BcastUnreducedBackward returned an invalid gradient at index 1: got shape \[3,4\], expected \[4\]$/);
  });

  test('the correct twins pass, also at the tight tolerance', () => {
    const tight = { rtol: 1e-7, atol: 1e-9 };
    assert.equal(gradcheck(cube('Cube', (x) => x.mul(x).mul(3)), [x], tight), true);
    assert.equal(gradcheck(sine('Sine', 0), [x], tight), true);
    assert.equal(gradcheck(bcastAdd('BcastSum', (g) => g.sum(0)), [x64([3, 4], 2), x64([4], 3)], tight), true);
    // the 1e-4 error hides under PyTorch's default rtol 1e-3: why the op table needs its own tolerances
    assert.equal(gradcheck(sine('SineOff1e4', 1e-4), [x]), true);
  });

  test('a multi-output function names which output', () => {
    const C = class TwoOut extends Fn {
      static override forward(_ctx: Ctx, a: Tensor): Tensor[] { return [a.mul(2), a.mul(3)]; }
      static override backward(_ctx: Ctx, g0: Tensor, g1: Tensor): Tensor { return g0.mul(2).add(g1.mul(-3)); }
    };
    assert.throws(() => gradcheck((a: Tensor) => C.apply(a) as Tensor[], [x]), /TwoOut.*output 1 \[float64 \[2,3\]\] element \d/);
  });
});

/** an anonymous wrapper: gradcheck then names the Function that produced the output */
const applyOf = (C: typeof Fn) => (a: Tensor) => C.apply(a) as Tensor;

describe('gradgradcheck rejects wrong second derivatives', () => {
  const x = x64([2, 3], 4);

  test('a backward that detaches (first order right, second derivative 0) is rejected', () => {
    const f = cubeGraph('DetachedBackward', (g, x) => g.mul(x.detach().mul(x.detach()).mul(3)));
    assert.equal(gradcheck(f, [x]), true, 'first order is right');
    assert.throws(() => gradgradcheck(f, [x]), /gradcheck failed for DetachedBackward \(second order\): .*with respect to input 0 \[float64 \[2,3\]\], element \d \[\d, \d\]/s);
  });

  test('a createGraph branch that differs from the first-order backward is rejected by the equality check', () => {
    // the createGraph branch is self-consistent (d/dx of 3x²+x is exact) but not the first-order gradient
    const f = cubeGraph('GraphBranchOff', (g, x) => g.mul(x.mul(x).mul(3).add(x)));
    assert.equal(gradcheck(f, [x]), true);
    assert.throws(() => gradgradcheck(f, [x]), /gradgradcheck failed for GraphBranchOff: the createGraph backward differs from the first-order backward for input 0 \[float64 \[2,3\]\], element \d \[\d, \d\]:\n  first order: .*\n  createGraph: /);
  });

  test('a wrong second-derivative constant inside a differentiable backward is rejected', () => {
    // backward g·3x² written so its own derivative is 6.6x instead of 6x, yet equal to 3x² at the point:
    // 3x² + 0.3·(x − x₀)² ... evaluated at x₀ the first order agrees, the second does not
    const C = class WrongSecond extends Fn {
      static override forward(ctx: Ctx, a: Tensor): Tensor { ctx.saveForBackward(a); return a.mul(a).mul(a); }
      static override backward(ctx: Ctx, g: Tensor): Tensor {
        const [a] = ctx.savedTensors;
        return g.mul(a!.mul(a!).mul(3).add(a!.sub(a!.detach()).mul(0.6).mul(a!.detach())));
      }
    };
    const f = applyOf(C);
    assert.equal(gradcheck(f, [x]), true);
    assert.throws(() => gradgradcheck(f, [x]), /gradcheck failed for WrongSecond \(second order\)/);
  });

  test('the correct twin passes', () => {
    const f = cubeGraph('CubeGraph', (g, x) => g.mul(x.mul(x).mul(3)));
    assert.equal(gradgradcheck(f, [x], { rtol: 1e-7, atol: 1e-9 }), true);
  });
});
