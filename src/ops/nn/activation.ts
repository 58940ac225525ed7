/**
 * softmax / logSoftmax (max-shifted backend kernel) and SwiGLU, as op records (see ../define.ts).
 * Backward in ops, reading the saved output y so it differentiates again:
 *   softmax:    dx = y ⊙ (g − Σ g⊙y)
 *   logSoftmax: dx = g − exp(y) ⊙ Σ g
 */
import { autocastF32 } from '../../amp/autocast.js';
import { fmt, normDim } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { exp, mul, silu, sub } from '../elementwise.js';
import { sum } from '../reduce.js';
import { chunk } from '../movement.js';
import { floatInput } from './_util.js';
import { rank1 } from '../util.js';
import { defineOp, type Arr, type RefLib, type AssertMethods, type MethodsOf } from '../define.js';
import { int, tensor } from '../args.js';

function softmaxRaw(x: Tensor, axis: number, log: boolean): Tensor {
  const b = x.backend;
  // a 0-d tensor is a one-element row. The kernels give a row of all −Inf −Inf log-probs (and NaN
  // probabilities, as PyTorch's softmax)
  return Tensor.fromData(b, b.softmax(rank1(x.backendView()), x.ndim === 0 ? 0 : axis, log), x.shape, x.dtype);
}

/** (input, dim): integer inputs compute in float32; autocast runs them in float32 */
const softmaxArgs = [tensor('input'), int('dim')] as const;
const prepareSoftmax = (name: string) => ({ input, dim }: { input: Tensor; dim: number }) => {
  const [x] = autocastF32(input); // autocast dispatch (src/amp/autocast.ts)
  const xf = floatInput(name, 'input', x);
  normDim(name, dim, xf.ndim);
  return { input: xf, dim };
};
const axisOf = (dim: number, ndim: number) => normDim('softmax', dim, ndim);
/** y_i = exp(x_i − lse(x)) along dim, the float64 reference */
const softmaxRef = (R: RefLib, x: Arr, d: number, logOut: boolean) => R.bin((v, l) => (logOut ? v - l : Math.exp(v - l)))(x, R.reduce(R.lse, [d], true)(x));

/**
 * softmax along dim: exp(x − max) / Σ exp(x − max). dx = y ⊙ (g − Σ g⊙y); the Jacobian diag(y) − y·yᵀ is
 * symmetric, so the tangent has the gradient's formula: ẏ = y ⊙ (ẋ − Σ ẋ⊙y).
 */
export const softmax = defineOp({
  name: 'softmax', method: 'softmax', args: softmaxArgs, kwargs: true, prepare: prepareSoftmax('softmax'),
  forward: ({ input, dim }) => softmaxRaw(input, axisOf(dim, input.ndim), false),
  saves: ['result'],
  vjp: (g, { result, dim }) => ({ input: softmaxBackward(g, result, axisOf(dim, result.ndim)) }),
  jvp: (t, { result, dim }) => softmaxBackward(t.input, result, axisOf(dim, result.ndim)),
  cases: [
    { label: 'dim 1', shapes: [[3, 4]], call: (f, x) => f(x, 1), expect: (R, x) => softmaxRef(R, x, 1, false), torch: 'F.softmax(x[0], 1)' },
    { label: 'dim 0', shapes: [[3, 4]], call: (f, x) => f(x, 0), expect: (R, x) => softmaxRef(R, x, 0, false), torch: 'F.softmax(x[0], 0)' },
    { label: 'dim -1 of 3-D', shapes: [[2, 3, 4]], call: (f, x) => f(x, -1), expect: (R, x) => softmaxRef(R, x, 2, false), torch: 'F.softmax(x[0], -1)' },
    { label: 'all −∞ row (NaN, as PyTorch)', shapes: [[2, 3]], call: (f, x) => f(x, 1), values: [[-Infinity, -Infinity, -Infinity, 0.5, -1, 2]], gradcheck: false, expect: (R, x) => softmaxRef(R, x, 1, false), torch: 'F.softmax(x[0], 1)' },
  ],
});

/** dx = y ⊙ (g − Σ g⊙y) */
export function softmaxBackward(g: Tensor, y: Tensor, dim: number): Tensor {
  if (y.ndim === 0) return mul(g, 0);
  return mul(y, sub(g, sum(mul(g, y), dim, true)));
}

/**
 * logSoftmax along dim: x − max − log Σ exp(x − max); a row of all −Inf gives −Inf, not NaN.
 * dx = g − exp(y) ⊙ Σ g; ẏ = ẋ − Σ softmax(x)⊙ẋ (softmax(x) = exp(y)).
 */
export const logSoftmax = defineOp({
  name: 'logSoftmax', method: 'logSoftmax', args: softmaxArgs, kwargs: true, prepare: prepareSoftmax('logSoftmax'),
  forward: ({ input, dim }) => softmaxRaw(input, axisOf(dim, input.ndim), true),
  saves: ['result'],
  vjp: (g, { result, dim }) => ({ input: logSoftmaxBackward(g, result, axisOf(dim, result.ndim)) }),
  jvp: (t, { result, dim }) => (result.ndim === 0 ? mul(t.input, 0) : sub(t.input, sum(mul(exp(result), t.input), axisOf(dim, result.ndim), true))),
  cases: [
    { label: 'dim 1', shapes: [[3, 4]], call: (f, x) => f(x, 1), expect: (R, x) => softmaxRef(R, x, 1, true), torch: 'F.log_softmax(x[0], 1)' },
    { label: 'dim 0 of 3-D', shapes: [[2, 3, 4]], call: (f, x) => f(x, 0), expect: (R, x) => softmaxRef(R, x, 0, true), torch: 'F.log_softmax(x[0], 0)' },
    // a row of all −∞ gives −∞ log-probabilities (not NaN) and passes the gradient through (exp(y) = 0, so
    // dx = g); PyTorch 1.13 gives NaN values and gradients there (systest/torch_ops lists the difference)
    {
      label: 'all −∞ row', shapes: [[2, 3]], call: (f, x) => f(x, 1), values: [[-Infinity, -Infinity, -Infinity, 0.5, -1, 2]], gradcheck: false,
      expect: (R, x) => R.bin((v, l) => (l === -Infinity ? -Infinity : v - l))(x, R.reduce((r) => (r.every((e) => e === -Infinity) ? -Infinity : R.lse(r)), [1], true)(x)),
      torch: 'F.log_softmax(x[0], 1)',
    },
  ],
});

/** dx = g − exp(y) ⊙ Σ g */
export function logSoftmaxBackward(g: Tensor, y: Tensor, dim: number): Tensor {
  if (y.ndim === 0) return mul(g, 0);
  return sub(g, mul(exp(y), sum(g, dim, true)));
}

/** SwiGLU activation: split x in half along dim into (a, b) and return silu(a) ⊙ b. */
export const swiglu = defineOp({
  name: 'swiglu', args: [tensor('input'), int('dim', -1)], composite: true,
  forward: ({ input, dim }) => {
    const xf = floatInput('swiglu', 'input', input);
    if (xf.ndim === 0) throw new Error('swiglu: input must have at least 1 dimension, got a 0-d tensor');
    const d = normDim('swiglu', dim, xf.ndim);
    const n = xf.shape[d]!;
    if (n % 2 !== 0) throw new Error(`swiglu: dimension ${dim} of input ${fmt(xf.shape)} has odd size ${n}: expected an even size to split in half`);
    const [a, b] = chunk(xf, 2, d) as [Tensor, Tensor];
    return mul(silu(a), b);
  },
  cases: [
    { shapes: [[2, 6]], expect: (R, x) => R.bin((a, b) => (a / (1 + Math.exp(-a))) * b)(R.slice(1, 0, 3)(x), R.slice(1, 3, 3)(x)), torch: '(lambda a, b: F.silu(a) * b)(*x[0].chunk(2, -1))' },
    { label: 'dim 0', shapes: [[4, 3]], call: (f, x) => f(x, 0), expect: (R, x) => R.bin((a, b) => (a / (1 + Math.exp(-a))) * b)(R.slice(0, 0, 2)(x), R.slice(0, 2, 2)(x)), torch: '(lambda a, b: F.silu(a) * b)(*x[0].chunk(2, 0))' },
  ],
});

// every export is a record whose Tensor method has its name, except these (no method)
type NoMethod = 'softmaxBackward' | 'logSoftmaxBackward' | 'swiglu';
type Methods = MethodsOf<typeof import('./activation.js'), NoMethod>;
declare module '../../tensor.js' {
  // the methods defineOp attaches above, typed from the records
  interface Tensor extends Methods {}
}
// compiles only when those names agree with the records (a new export without a method joins NoMethod)
const methodsAgree: AssertMethods<typeof import('./activation.js'), NoMethod> = true;
void methodsAgree;
