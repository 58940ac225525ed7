/**
 * Element-wise ops, one record each (see define.ts): forward kernel, backward (vjp) and forward-mode rule
 * (jvp) in nabla ops, saved tensors, Tensor method and test cases side by side.
 * Gradient flow: add distributes the gradient unchanged, mul swaps the operands, max routes it to the
 * larger input; an input that was broadcast gets its gradient summed back to its shape (broadcast: true).
 */
import type { BinaryOp, UnaryOp } from '../backends/backend.js';
import { floatOf, isFloat, type DType } from '../dtype.js';
import { noGrad } from '../autograd/gradMode.js';
import { broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, broadcastView, lift, resultDType, type TensorLike } from './util.js';
import { defineOp, type AssertMethods, type MethodsOf } from './define.js';
import { dtypeArg, num, oneOf, optNum, options, tensor, tensorLike, type Named } from './args.js';
import { provide } from './registry.js';
import { binaryRaw, unaryRaw } from './kernelCalls.js';
import { activationSlope } from './activationSlope.js';

/** forward of a float unary op: integer and bool inputs compute in float32 */
const unaryKernel = (op: UnaryOp, params?: readonly number[]) => ({ input }: { input: Tensor }) => unaryRaw(op, input, floatOf(input.dtype), params);

const one = [tensor('input')] as const;
const x34 = [{ shapes: [[3, 4]] }];

/** Cast (differentiable between float dtypes): dx = cast(g, x.dtype); ẏ = cast(ẋ). */
export const cast = defineOp({
  name: 'to',
  args: [tensor('input'), dtypeArg('dtype')],
  forward: ({ input, dtype }): Tensor => {
    if (input.dtype === dtype) return input;
    const b = input.backend;
    return Tensor.fromData(b, b.copy(input.backendView(), dtype), input.shape, dtype);
  },
  vjp: (g, c): { input: Tensor } => ({ input: cast(g, c.dtypes.input) }),
  jvp: 'linear',
  cases: [{ label: 'to float32 and back', shapes: [[3, 4]], call: (to, x) => to(to(x, 'float32'), x.dtype), ref: (x) => Math.fround(x), f32: { atol: 1e-5, rtol: 1e-5 }, gradcheck: false, torch: 'x[0].to(torch.float32).to(torch.float64)' }],
});

// ---------------------------------------------------------------------------------------------
// unary ops: y = f(x), dx = g · f'(x), ẏ = f'(x) · ẋ

/** -x: dx = −g; ẏ = −ẋ. A bool tensor is refused, as in PyTorch (−mask is no mask inversion). */
export const neg = defineOp({
  name: 'neg', method: 'neg', args: one,
  forward: ({ input }): Tensor => {
    if (input.dtype === 'bool') throw new TypeError('neg: negation of a bool tensor is not supported (as in PyTorch); to invert a mask use logicalNot(x)');
    return unaryRaw('neg', input, input.dtype);
  },
  vjp: (g): { input: Tensor } => ({ input: neg(g) }),
  jvp: 'linear',
  cases: [{ shapes: [[2, 3]], ref: (x) => -x, torch: 'torch.neg(x[0])' }],
});

/** y = eˣ: dy/dx = y */
export const exp = defineOp({
  name: 'exp', method: 'exp', args: one, forward: unaryKernel('exp'), saves: ['result'],
  vjp: (g, { result }) => ({ input: mul(g, result) }),
  jvp: ({ input }, { result }) => mul(input, result),
  cases: [{ shapes: [[3, 4]], ref: Math.exp, torch: 'torch.exp(x[0])' }],
});

/** y = ln x: dy/dx = 1/x */
export const log = defineOp({
  name: 'log', method: 'log', args: one, forward: unaryKernel('log'), saves: ['input'],
  vjp: (g, { input }) => ({ input: div(g, input) }),
  jvp: (t, { input }) => div(t.input, input),
  cases: [
    { shapes: [[3, 4]], domain: 'positive', ref: Math.log, torch: 'torch.log(x[0])' },
    // at 0: log 0 = −∞ and d/dx = 1/0 = +∞ (PyTorch's values), weights 1, 2, 3
    { label: 'at zero', shapes: [[3]], values: [[0, 0.5, 2]], ref: Math.log, gradWant: [[Infinity, 4, 1.5]], torch: 'torch.log(x[0])' },
  ],
});

/** y = √x: dy/dx = 1/(2y) */
export const sqrt = defineOp({
  name: 'sqrt', method: 'sqrt', args: one, forward: unaryKernel('sqrt'), saves: ['result'],
  vjp: (g, { result }) => ({ input: div(g, mul(result, 2)) }),
  jvp: ({ input }, { result }) => div(input, mul(result, 2)),
  cases: [
    { shapes: [[3, 4]], domain: 'positive', ref: Math.sqrt, torch: 'torch.sqrt(x[0])' },
    // at 0: √0 = 0 and d/dx = 1/(2√x) = +∞ (PyTorch's values), weights 1, 2, 3
    { label: 'at zero', shapes: [[3]], values: [[0, 4, 0.25]], ref: Math.sqrt, gradWant: [[Infinity, 0.5, 3]], torch: 'torch.sqrt(x[0])' },
  ],
});

/** y = x^(−1/2): dy/dx = −y³/2 */
export const rsqrt = defineOp({
  name: 'rsqrt', method: 'rsqrt', args: one, forward: unaryKernel('rsqrt'), saves: ['result'],
  vjp: (g, { result }) => ({ input: mul(g, mul(pow(result, 3), -0.5)) }),
  jvp: ({ input }, { result }) => mul(input, mul(pow(result, 3), -0.5)),
  cases: [
    { shapes: [[3, 4]], domain: 'positive', ref: (x) => 1 / Math.sqrt(x), torch: 'torch.rsqrt(x[0])' },
    // at 0: 1/√0 = +∞ and d/dx = −x^{−3/2}/2 = −∞ (PyTorch's values), weights 1, 2, 3
    { label: 'at zero', shapes: [[3]], values: [[0, 4, 0.25]], ref: (x) => 1 / Math.sqrt(x), gradWant: [[-Infinity, -0.125, -12]], torch: 'torch.rsqrt(x[0])' },
  ],
});

/** y = |x|: dy/dx = sign(x) (0 at 0, as PyTorch) */
export const abs = defineOp({
  name: 'abs', method: 'abs', args: one, forward: unaryKernel('abs'), saves: ['input'],
  vjp: (g, { input }) => ({ input: mul(g, sign(input)) }),
  jvp: (t, { input }) => mul(t.input, sign(input)),
  cases: [{ shapes: [[3, 4]], domain: 'nonzero', ref: Math.abs, torch: 'torch.abs(x[0])' }],
});

/** A piecewise-constant op: zero gradient and zero tangent everywhere. */
const constantRules = {
  vjp: (g: Tensor) => ({ input: mul(g, 0) }),
  jvp: (t: { input: Tensor }) => mul(t.input, 0),
};

/** sign(x) ∈ {−1, 0, 1}: piecewise constant */
export const sign = defineOp({ name: 'sign', method: 'sign', args: one, forward: unaryKernel('sign'), ...constantRules, cases: [{ shapes: [[3, 4]], domain: 'nonzero', ref: Math.sign, torch: 'torch.sign(x[0])' }] });
export const floor = defineOp({ name: 'floor', method: 'floor', args: one, forward: unaryKernel('floor'), ...constantRules, cases: [{ shapes: [[3, 4]], domain: 'nonzero', ref: Math.floor, torch: 'torch.floor(x[0])' }] });
export const ceil = defineOp({ name: 'ceil', method: 'ceil', args: one, forward: unaryKernel('ceil'), ...constantRules, cases: [{ shapes: [[3, 4]], domain: 'nonzero', ref: Math.ceil, torch: 'torch.ceil(x[0])' }] });
/** round half to even, as PyTorch */
export const round = defineOp({
  name: 'round', method: 'round', args: one, forward: unaryKernel('round'), ...constantRules,
  cases: [{ shapes: [[3, 4]], domain: 'nonzero', ref: (x) => { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; }, torch: 'torch.round(x[0])' }],
});

/** tanh: dy/dx = 1 − y² */
export const tanh = defineOp({
  name: 'tanh', method: 'tanh', args: one, forward: unaryKernel('tanh'), saves: ['result'],
  vjp: (g, { result }) => ({ input: mul(g, sub(1, mul(result, result))) }),
  jvp: ({ input }, { result }) => mul(input, sub(1, mul(result, result))),
  cases: [{ shapes: [[3, 4]], ref: Math.tanh, torch: 'torch.tanh(x[0])' }],
});

/** σ(x) = 1/(1+e^−x), computed sign-split so σ(±1000) is exactly 1 or 0; dy/dx = y(1−y) */
export const sigmoid = defineOp({
  name: 'sigmoid', method: 'sigmoid', args: one, forward: unaryKernel('sigmoid'), saves: ['result'],
  vjp: (g, { result }) => ({ input: mul(g, mul(result, sub(1, result))) }),
  jvp: ({ input }, { result }) => mul(input, mul(result, sub(1, result))),
  cases: [{ shapes: [[3, 4]], ref: (x) => 1 / (1 + Math.exp(-x)), torch: 'torch.sigmoid(x[0])' }],
});

/**
 * relu = max(0, x); relu'(0) = 0 (the mask is x > 0). The mask is a constant of the graph (its
 * derivative is 0 almost everywhere), so one raw 'step' pass builds it.
 */
export const relu = defineOp({
  name: 'relu', method: 'relu', args: one, forward: unaryKernel('relu'), saves: ['input'],
  vjp: (g, { input }) => ({ input: mul(g, unaryRaw('step', input, g.dtype)) }),
  jvp: (t, { input }) => mul(t.input, unaryRaw('step', input, t.input.dtype)),
  cases: [{ shapes: [[3, 4]], domain: 'nonzero', ref: (x) => Math.max(x, 0), torch: 'torch.relu(x[0])' }],
});

/** erf: d/dx = 2/√π · e^(−x²) */
const erfSlope = (x: Tensor) => mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI));
export const erf = defineOp({
  name: 'erf', method: 'erf', args: one, forward: unaryKernel('erf'), saves: ['input'],
  vjp: (g, { input }) => ({ input: mul(g, erfSlope(input)) }),
  jvp: (t, { input }) => mul(t.input, erfSlope(input)),
  cases: [
    { shapes: [[3, 4]], ref: erfRef, torch: 'torch.erf(x[0])' },
    // the tails, where erf is within 1e-5 of ±1 (the reference switches to erfc's continued fraction at |x| = 3)
    { label: 'tails', shapes: [[5]], values: [[-4, -3, 2.5, 3, 5.5]], ref: erfRef, torch: 'torch.erf(x[0])' },
  ],
});

/** log1p: y = ln(1 + x), dy/dx = 1/(1+x) */
export const log1p = defineOp({
  name: 'log1p', method: 'log1p', args: one, forward: unaryKernel('log1p'), saves: ['input'],
  vjp: (g, { input }) => ({ input: div(g, add(input, 1)) }),
  jvp: (t, { input }) => div(t.input, add(input, 1)),
  cases: [{ shapes: [[3, 4]], domain: 'unit', ref: Math.log1p, torch: 'torch.log1p(x[0])' }],
});

/** expm1: y = eˣ − 1, dy/dx = y + 1 */
export const expm1 = defineOp({
  name: 'expm1', method: 'expm1', args: one, forward: unaryKernel('expm1'), saves: ['result'],
  vjp: (g, { result }) => ({ input: mul(g, add(result, 1)) }),
  jvp: ({ input }, { result }) => mul(input, add(result, 1)),
  cases: [{ shapes: [[3, 4]], ref: Math.expm1, torch: 'torch.expm1(x[0])' }],
});

/** sin: d/dx = cos x */
export const sin = defineOp({
  name: 'sin', method: 'sin', args: one, forward: unaryKernel('sin'), saves: ['input'],
  vjp: (g, { input }): { input: Tensor } => ({ input: mul(g, cos(input)) }),
  jvp: (t, { input }): Tensor => mul(t.input, cos(input)),
  cases: [{ shapes: [[3, 4]], ref: Math.sin, torch: 'torch.sin(x[0])' }],
});

/** cos: d/dx = −sin x */
export const cos = defineOp({
  name: 'cos', method: 'cos', args: one, forward: unaryKernel('cos'), saves: ['input'],
  vjp: (g, { input }): { input: Tensor } => ({ input: neg(mul(g, sin(input))) }),
  jvp: (t, { input }): Tensor => neg(mul(t.input, sin(input))),
  cases: [{ shapes: [[3, 4]], ref: Math.cos, torch: 'torch.cos(x[0])' }],
});

/** y = 1/x: dy/dx = −y² */
export const reciprocal = defineOp({
  name: 'reciprocal', method: 'reciprocal', args: one, forward: unaryKernel('reciprocal'), saves: ['result'],
  vjp: (g, { result }) => ({ input: neg(mul(g, mul(result, result))) }),
  jvp: ({ input }, { result }) => neg(mul(input, mul(result, result))),
  cases: [{ shapes: [[3, 4]], domain: 'nonzero', ref: (x) => 1 / x, torch: 'torch.reciprocal(x[0])' }],
});

/** y = x²: dy/dx = 2x */
export const square = defineOp({
  name: 'square', method: 'square', args: one, forward: unaryKernel('square'), saves: ['input'],
  vjp: (g, { input }) => ({ input: mul(g, mul(input, 2)) }),
  jvp: (t, { input }) => mul(t.input, mul(input, 2)),
  cases: [{ shapes: [[3, 4]], ref: (x) => x * x, torch: 'torch.square(x[0])' }],
});

/**
 * softplus(x) = log(1 + e^{βx}) / β, and x itself where βx > threshold (PyTorch's linear regime);
 * log(1+eᶻ) = max(z,0) + log1p(e^−|z|) in the kernel (stable).
 * dy/dx = σ(βx), 1 above the threshold; ẏ = the same factor · ẋ.
 */
const softplusSlope = (x: Tensor, beta: number, threshold: number) => {
  const z = beta === 1 ? x : mul(x, beta);
  return where(gt(z, threshold), 1, sigmoid(z));
};
export const softplus = defineOp({
  name: 'softplus', method: 'softplus',
  args: [tensor('input'), options('options', { beta: num('beta', 1), threshold: num('threshold', 20) })],
  forward: ({ input, options: { beta, threshold } }) => {
    const dt = floatOf(input.dtype);
    const x = input.dtype === dt ? input : noGrad(() => cast(input, dt));
    const z = beta === 1 ? x : binaryRaw('softplus', 'mul', x, lift(beta, dt, x), dt);
    const s = unaryRaw('softplus', z, dt);
    const y = beta === 1 ? s : binaryRaw('softplus', 'div', s, lift(beta, dt, x), dt);
    const be = x.backend;
    const above = binaryRaw('softplus', 'gt', z, lift(threshold, dt, x), 'bool');
    return Tensor.fromData(be, be.where(above.backendView(), x.backendView(), y.backendView(), dt), x.shape, dt);
  },
  saves: ['input'],
  vjp: (g, { input, options: o }) => ({ input: mul(g, softplusSlope(input, o.beta, o.threshold)) }),
  jvp: (t, { input, options: o }) => mul(t.input, softplusSlope(input, o.beta, o.threshold)),
  cases: [
    { shapes: [[3, 4]], ref: (x) => Math.log1p(Math.exp(x)), torch: 'F.softplus(x[0])' },
    { label: 'beta 2', shapes: [[3, 4]], call: (sp, x) => sp(x, { beta: 2 }), ref: (x) => Math.log1p(Math.exp(2 * x)) / 2, torch: 'F.softplus(x[0], beta=2)' },
    // 4x above 1 on part of the samples: the linear regime (y = x, slope 1) is exercised
    { label: 'beta 4 threshold 1', shapes: [[3, 4]], domain: 'nonzero', call: (sp, x) => sp(x, { beta: 4, threshold: 1 }), ref: (x) => (4 * x > 1 ? x : Math.log1p(Math.exp(4 * x)) / 4), torch: 'F.softplus(x[0], beta=4, threshold=1)' },
  ],
});

/** leaky relu: x if x > 0 else slope·x; dx = g where x > 0, slope·g elsewhere (slope in g's dtype) */
const leakyRule = (g: Tensor, x: Tensor, slope: number) => where(gt(x, 0), g, mul(g, slope));
export const leakyRelu = defineOp({
  name: 'leakyRelu', method: 'leakyRelu',
  args: [tensor('input'), num('negativeSlope', 0.01)],
  forward: ({ input, negativeSlope }) => unaryRaw('leakyRelu', input, floatOf(input.dtype), [negativeSlope]),
  saves: ['input'],
  vjp: (g, { input, negativeSlope }) => ({ input: leakyRule(g, input, negativeSlope) }),
  jvp: (t, { input, negativeSlope }) => leakyRule(t.input, input, negativeSlope),
  cases: [
    { shapes: [[3, 4]], domain: 'nonzero', ref: (x) => (x > 0 ? x : 0.01 * x), torch: 'F.leaky_relu(x[0])' },
    { label: '0.2', shapes: [[3, 4]], domain: 'nonzero', call: (lr, x) => lr(x, 0.2), ref: (x) => (x > 0 ? x : 0.2 * x), torch: 'F.leaky_relu(x[0], 0.2)' },
  ],
});

/** GELU. Exact: x·Φ(x). approximate 'tanh': 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). Slopes in activationSlope. */
export const gelu = defineOp({
  name: 'gelu', method: 'gelu',
  args: [tensor('input'), options('options', { approximate: oneOf('approximate', ['none', 'tanh'], 'none') })],
  forward: ({ input, options: o }) => unaryRaw(o.approximate === 'tanh' ? 'geluTanh' : 'gelu', input, floatOf(input.dtype)),
  saves: ['input'],
  vjp: (g, { input, options: o }) => ({ input: (o.approximate === 'tanh' ? activationSlope.geluTanh : activationSlope.gelu)(g, input) }),
  jvp: (t, { input, options: o }) => (o.approximate === 'tanh' ? activationSlope.geluTanh : activationSlope.gelu)(t.input, input),
  cases: [
    { label: '(erf)', shapes: [[3, 4]], ref: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)), torch: 'F.gelu(x[0])' },
    { label: '(tanh)', shapes: [[3, 4]], call: (f, x) => f(x, { approximate: 'tanh' }), ref: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), torch: "F.gelu(x[0], approximate='tanh')" },
  ],
});

/** SiLU / swish: x·σ(x) */
export const silu = defineOp({
  name: 'silu', method: 'silu', args: one, forward: unaryKernel('silu'), saves: ['input'],
  vjp: (g, { input }) => ({ input: activationSlope.silu(g, input) }),
  jvp: (t, { input }) => activationSlope.silu(t.input, input),
  cases: [{ shapes: [[3, 4]], ref: (x) => x / (1 + Math.exp(-x)), torch: 'F.silu(x[0])' }],
});

/**
 * clamp(x, min, max); the gradient passes where min ≤ x ≤ max (inclusive, as PyTorch). Its callers (nb.clamp,
 * x.clamp, clamp_) refuse a call without either bound, naming themselves.
 */
const clampMask = (x: Tensor, lo: number | null, hi: number | null, dt: DType) => cast(logicalAnd(ge(x, lo ?? -Infinity), le(x, hi ?? Infinity)), dt);
export const clamp = defineOp({
  name: 'clamp', method: 'clamp',
  args: [tensor('input'), optNum('min'), optNum('max')],
  forward: ({ input, min, max }) => {
    // PyTorch's promotion with scalar bounds: a fractional bound makes an integer or bool tensor float32, an
    // integer bound makes a bool tensor int32 (PyTorch: int64); a float tensor keeps its dtype
    const fractional = [min, max].some((b) => b !== null && !Number.isInteger(b));
    const dt: DType = isFloat(input.dtype) ? input.dtype : fractional ? 'float32' : input.dtype === 'bool' ? 'int32' : input.dtype;
    const x = dt === input.dtype ? input : cast(input, dt);
    return unaryRaw('clamp', x, dt, [min ?? -Infinity, max ?? Infinity]);
  },
  saves: ['input'],
  vjp: (g, { input, min, max }) => ({ input: mul(g, clampMask(input, min, max, g.dtype)) }),
  jvp: (t, { input, min, max }) => mul(t.input, clampMask(input, min, max, t.input.dtype)),
  cases: [
    { label: '[-0.5, 0.5]', shapes: [[3, 4]], domain: 'clampSafe', call: (c, x) => c(x, -0.5, 0.5), ref: (x) => Math.min(Math.max(x, -0.5), 0.5), torch: 'torch.clamp(x[0], -0.5, 0.5)' },
    { label: 'min only', shapes: [[3, 4]], domain: 'clampSafe', call: (c, x) => c(x, -0.5), ref: (x) => Math.max(x, -0.5), torch: 'torch.clamp(x[0], min=-0.5)' },
    { label: 'max only', shapes: [[3, 4]], domain: 'clampSafe', call: (c, x) => c(x, null, 0.5), ref: (x) => Math.min(x, 0.5), torch: 'torch.clamp(x[0], max=0.5)' },
  ],
});

// ---------------------------------------------------------------------------------------------
// binary ops with NumPy broadcasting; each input's gradient is summed back to its own shape

const two = [tensorLike('input'), tensorLike('other')] as const;

/** Lift number operands to 0-d tensors of the common dtype (PyTorch's promotion: a scalar does not widen a tensor). */
function liftPair(name: string, a: TensorLike, b: TensorLike, floatOnly = false): { input: Tensor; other: Tensor } {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${name}: expected at least one Tensor argument, got ${typeof a} and ${typeof b}`);
  const like = (a instanceof Tensor ? a : b) as Tensor;
  let dt = resultDType(a, b);
  if (floatOnly && !isFloat(dt)) dt = 'float32';
  return { input: lift(a, dt, like), other: lift(b, dt, like) };
}
const prepareBinary = (name: string, floatOnly = false) => (a: Named<typeof two>) => liftPair(name, a.input, a.other, floatOnly);
/** subtraction refuses bool tensors, as PyTorch (true − true is no mask operation): logicalNot / logicalXor are */
const prepareSub = (name: string) => (a: Named<typeof two>) => {
  for (const v of [a.input, a.other]) {
    if (v instanceof Tensor && v.dtype === 'bool') throw new TypeError(`${name}: subtraction with a bool tensor is not supported (as in PyTorch); to invert a mask use logicalNot(x), for two masks ne(a, b) (exclusive or)`);
  }
  return liftPair(name, a.input, a.other);
};
const binaryKernel = (name: string, op: BinaryOp, out?: DType) => ({ input, other }: { input: Tensor; other: Tensor }) => binaryRaw(name, op, input, other, out ?? input.dtype);

/** a + b: the gradient is distributed unchanged to both; ẏ = ȧ + ḃ */
export const add = defineOp({
  name: 'add', method: 'add', args: two, prepare: prepareBinary('add'), forward: binaryKernel('add', 'add'), broadcast: true,
  vjp: (g) => ({ input: g, other: g }),
  jvp: 'linear',
  cases: [
    { shapes: [[3, 4], [3, 4]], ref: (x, y) => x + y, torch: 'x[0] + x[1]' },
    { label: 'broadcast [3,1]+[1,4]', shapes: [[3, 1], [1, 4]], ref: (x, y) => x + y, torch: 'x[0] + x[1]' },
    { label: 'broadcast [2,3]+[3]', shapes: [[2, 3], [3]], ref: (x, y) => x + y, torch: 'x[0] + x[1]' },
    { label: '0-d tensor', shapes: [[2, 3], []], ref: (x, y) => x + y, torch: 'x[0] + x[1]' },
    { label: 'scalar', shapes: [[2, 3]], call: (f, x) => f(x, 2.5), ref: (x) => x + 2.5, torch: 'x[0] + 2.5' },
  ],
});

/** a − b: da = g, db = −g; ẏ = ȧ − ḃ */
export const sub = defineOp({
  name: 'sub', method: 'sub', args: two, prepare: prepareSub('sub'), forward: binaryKernel('sub', 'sub'), broadcast: true,
  vjp: (g) => ({ input: g, other: neg(g) }),
  jvp: 'linear',
  cases: [
    { shapes: [[3, 4], [3, 4]], ref: (x, y) => x - y, torch: 'x[0] - x[1]' },
    { label: 'broadcast [3,1]-[1,4]', shapes: [[3, 1], [1, 4]], ref: (x, y) => x - y, torch: 'x[0] - x[1]' },
    { label: 'scalar - tensor', shapes: [[2, 3]], call: (f, x) => f(1.5, x), ref: (x) => 1.5 - x, torch: '1.5 - x[0]' },
  ],
});

/** b − a (scalar − tensor) */
export const rsub = defineOp({
  name: 'rsub', args: two, composite: true, prepare: prepareSub('rsub'), forward: ({ input, other }) => sub(other, input),
  cases: [{ shapes: [[2, 3], [2, 3]], ref: (x, y) => y - x, torch: 'torch.rsub(x[0], x[1])' }],
});

/** a · b: each input's gradient is the upstream times the other ("mul swaps"); ẏ = ȧ·b + a·ḃ */
export const mul = defineOp({
  name: 'mul', method: 'mul', args: two, prepare: prepareBinary('mul'), forward: binaryKernel('mul', 'mul'), broadcast: true,
  saves: ['input', 'other'],
  vjp: (g, { input, other, needs }): { input: Tensor | null; other: Tensor | null } => ({ input: needs.input ? mul(g, other) : null, other: needs.other ? mul(g, input) : null }),
  jvp: (t, { input, other }): Tensor => add(mul(t.input, other), mul(input, t.other)),
  cases: [
    { shapes: [[3, 4], [3, 4]], ref: (x, y) => x * y, torch: 'x[0] * x[1]' },
    { label: 'broadcast [2,3]*[3]', shapes: [[2, 3], [3]], ref: (x, y) => x * y, torch: 'x[0] * x[1]' },
    { label: 'broadcast [3,1]*[1,4]', shapes: [[3, 1], [1, 4]], ref: (x, y) => x * y, torch: 'x[0] * x[1]' },
    { label: 'scalar', shapes: [[2, 3]], call: (f, x) => f(x, -3), ref: (x) => x * -3, torch: 'x[0] * -3' },
    { label: 'self (x·x)', shapes: [[2, 3]], call: (f, x) => f(x, x), ref: (x) => x * x, torch: 'x[0] * x[0]' },
  ],
});

/** a / b (integer ÷ integer is true division, as in PyTorch): da = g/b, db = −g·a/b²; ẏ = ȧ/b − a·ḃ/b² */
export const div = defineOp({
  name: 'div', method: 'div', args: two, prepare: prepareBinary('div', true), forward: binaryKernel('div', 'div'), broadcast: true,
  saves: ['input', 'other'],
  vjp: (g, { input, other, needs }): { input: Tensor | null; other: Tensor | null } => ({
    input: needs.input ? div(g, other) : null,
    other: needs.other ? neg(div(mul(g, input), mul(other, other))) : null,
  }),
  jvp: (t, { input, other }): Tensor => sub(div(t.input, other), div(mul(input, t.other), mul(other, other))),
  cases: [
    { shapes: [[3, 4], [3, 4]], domain: ['real', 'nonzero'], ref: (x, y) => x / y, torch: 'x[0] / x[1]' },
    { label: 'broadcast [3,1]/[1,4]', shapes: [[3, 1], [1, 4]], domain: ['real', 'nonzero'], ref: (x, y) => x / y, torch: 'x[0] / x[1]' },
    { label: 'scalar / tensor', shapes: [[2, 3]], domain: 'nonzero', call: (f, x) => f(1.5, x), ref: (x) => 1.5 / x, torch: '1.5 / x[0]' },
    { label: 'tensor / scalar', shapes: [[2, 3]], call: (f, x) => f(x, 4), ref: (x) => x / 4, torch: 'x[0] / 4' },
    // a zero denominator: ±∞ and 0/0 = NaN forward; da = g/0 = +∞, db = −g·a/0² = ∓∞ and NaN at 0/0 (PyTorch's values)
    { label: 'zero denominator', shapes: [[3], [3]], values: [[1, -1, 0], [0, 0, 0]], ref: (x, y) => x / y, gradWant: [[Infinity, Infinity, Infinity], [-Infinity, Infinity, NaN]], torch: 'x[0] / x[1]' },
    { label: 'zero numerator', shapes: [[3], [3]], values: [[0, -0, 1.5], [2, -0.5, 3]], ref: (x, y) => x / y, torch: 'x[0] / x[1]' },
  ],
});

/**
 * a ** b.
 * Number exponent e (a single unary kernel): da = g·e·a^(e−1) (0 for e = 0).
 * Tensor exponent: da = g·b·a^(b−1), 0 where b = 0 (so 0⁰ has base gradient 0, not 0·∞ = NaN, as PyTorch);
 * db = g·y·ln a, 0 where a = 0 and b ≥ 0 (the limit PyTorch uses). The tangent is the same two terms.
 */
const powBaseSlope = (a: Tensor, b: Tensor | number): Tensor => {
  if (typeof b === 'number') return b === 0 ? mul(a, 0) : mul(pow(a, b - 1), b);
  return where(eq(b, 0), 0, mul(b, pow(a, sub(b, 1))));
};
const powExpSlope = (a: Tensor, b: Tensor, y: Tensor): Tensor => mul(y, where(logicalAnd(eq(a, 0), ge(b, 0)), 0, log(where(eq(a, 0), 1, a))));
export const pow = defineOp({
  name: 'pow', method: 'pow', args: [tensorLike('input'), tensorLike('exponent')],
  prepare: ({ input, exponent }) => {
    const e = exponent as TensorLike;
    if (input instanceof Tensor && typeof e === 'number') {
      const x = isFloat(input.dtype) || Number.isInteger(e) ? input : cast(input, 'float32');
      return { input: x, exponent: e as unknown as Tensor };
    }
    const p = liftPair('pow', input, e);
    return { input: p.input, exponent: p.other };
  },
  forward: ({ input, exponent }) => {
    const e = exponent as TensorLike;
    if (typeof e === 'number') return unaryRaw('powScalar', input, input.dtype, [e]);
    return binaryRaw('pow', 'pow', input, e, input.dtype);
  },
  broadcast: true,
  saves: ['input', 'exponent', 'result'],
  vjp: (g, { input, exponent, result, needs }): { input: Tensor | null; exponent: Tensor | null } => {
    const e = exponent as TensorLike;
    return {
      input: needs.input ? mul(g, powBaseSlope(input, e)) : null,
      exponent: typeof e !== 'number' && needs.exponent ? mul(g, powExpSlope(input, e, result)) : null,
    };
  },
  jvp: (t, { input, exponent, result }): Tensor => {
    const e = exponent as TensorLike;
    const da = mul(t.input, powBaseSlope(input, e));
    return typeof e === 'number' ? da : add(da, mul(t.exponent, powExpSlope(input, e, result)));
  },
  cases: [
    { label: 'tensor exponent', shapes: [[3, 4], [3, 4]], domain: ['positive', 'real'], ref: (x, y) => x ** y, torch: 'torch.pow(x[0], x[1])' },
    { label: 'broadcast [2,3]**[3]', shapes: [[2, 3], [3]], domain: ['positive', 'real'], ref: (x, y) => x ** y, torch: 'torch.pow(x[0], x[1])' },
    { label: 'scalar base', shapes: [[2, 3]], call: (f, x) => f(2, x), ref: (x) => 2 ** x, torch: 'torch.pow(2, x[0])' },
    { label: 'scalar exponent 3', shapes: [[2, 3]], call: (f, x) => f(x, 3), ref: (x) => x ** 3, torch: 'torch.pow(x[0], 3)' },
    { label: 'scalar exponent 2.5', shapes: [[2, 3]], domain: 'positive', call: (f, x) => f(x, 2.5), ref: (x) => x ** 2.5, torch: 'torch.pow(x[0], 2.5)' },
    { label: 'scalar exponent -1.5', shapes: [[2, 3]], domain: 'positive', call: (f, x) => f(x, -1.5), ref: (x) => x ** -1.5, torch: 'torch.pow(x[0], -1.5)' },
    { label: 'scalar exponent 0', shapes: [[2, 3]], call: (f, x) => f(x, 0), ref: () => 1, torch: 'torch.pow(x[0], 0)' },
    // base 0 with exponents ≥ 2: base gradient b·0^(b−1) = 0, exponent gradient y·ln 0 taken as 0 (PyTorch's limit)
    { label: 'zero base', shapes: [[3], [3]], values: [[0, 0, 1.5], [2, 3, 2.2]], ref: (x, y) => x ** y, twice: false, torch: 'torch.pow(x[0], x[1])' }, // second differences step to a negative base (ln of it: NaN)
  ],
});

/** max(a, b) element-wise: the gradient is routed to the larger input; ties split it in half (PyTorch). */
const routeTo = (win: Tensor, tie: Tensor, dt: DType) => add(cast(win, dt), mul(cast(tie, dt), 0.5));
export const maximum = defineOp({
  name: 'maximum', method: 'maximum', args: two, prepare: prepareBinary('maximum'), forward: binaryKernel('maximum', 'maximum'), broadcast: true,
  saves: ['input', 'other'],
  vjp: (g, { input, other }) => {
    const m = routeTo(gt(input, other), eq(input, other), g.dtype);
    return { input: mul(g, m), other: mul(g, sub(1, m)) };
  },
  jvp: (t, { input, other }) => {
    const m = routeTo(gt(input, other), eq(input, other), t.input.dtype);
    return add(mul(t.input, m), mul(t.other, sub(1, m)));
  },
  cases: [
    { shapes: [[3, 4], [3, 4]], ref: Math.max, torch: 'torch.maximum(x[0], x[1])' },
    { label: 'broadcast [3,1],[1,4]', shapes: [[3, 1], [1, 4]], ref: Math.max, torch: 'torch.maximum(x[0], x[1])' },
    { label: 'with scalar', shapes: [[3, 4]], domain: 'clampSafe', call: (f, x) => f(x, 0.2), ref: (x) => Math.max(x, 0.2), torch: 'torch.maximum(x[0], torch.tensor(0.2))' },
    // a tie splits the gradient in half between the inputs (PyTorch); weights 1, 2, 3 per output
    { label: 'ties', shapes: [[3], [3]], values: [[1, 2, 4], [1, 3, 4]], ref: Math.max, gradWant: [[0.5, 0, 1.5], [0.5, 2, 1.5]], torch: 'torch.maximum(x[0], x[1])' },
  ],
});
export const minimum = defineOp({
  name: 'minimum', method: 'minimum', args: two, prepare: prepareBinary('minimum'), forward: binaryKernel('minimum', 'minimum'), broadcast: true,
  saves: ['input', 'other'],
  vjp: (g, { input, other }) => {
    const m = routeTo(lt(input, other), eq(input, other), g.dtype);
    return { input: mul(g, m), other: mul(g, sub(1, m)) };
  },
  jvp: (t, { input, other }) => {
    const m = routeTo(lt(input, other), eq(input, other), t.input.dtype);
    return add(mul(t.input, m), mul(t.other, sub(1, m)));
  },
  cases: [
    { shapes: [[3, 4], [3, 4]], ref: Math.min, torch: 'torch.minimum(x[0], x[1])' },
    { label: 'broadcast [2,3],[3]', shapes: [[2, 3], [3]], ref: Math.min, torch: 'torch.minimum(x[0], x[1])' },
    { label: 'ties', shapes: [[3], [3]], values: [[1, 2, 4], [1, 3, 4]], ref: Math.min, gradWant: [[0.5, 2, 1.5], [0.5, 0, 1.5]], torch: 'torch.minimum(x[0], x[1])' },
    { label: 'tie with a broadcast operand', shapes: [[3], [1]], values: [[0, 1, 2], [1]], ref: Math.min, gradWant: [[1, 1, 0], [4]], torch: 'torch.minimum(x[0], x[1])' },
  ],
});

// comparisons and logic: bool results, no gradient
const compare = <const N extends string>(name: N, op: BinaryOp, ref: (x: number, y: number) => boolean) =>
  defineOp({
    name, method: name, args: two, prepare: prepareBinary(name), forward: binaryKernel(name, op, 'bool'),
    cases: [
      { shapes: [[3, 4], [3, 4]], ref: (x, y) => Number(ref(x, y)), torch: `torch.${name}(x[0], x[1])` },
      { label: 'scalar', shapes: [[3, 4]], call: (f, x) => f(x, 0.25), ref: (x) => Number(ref(x, 0.25)), torch: `torch.${name}(x[0], 0.25)` },
      // equal elements, where < and ≤ (and = and ≠) part ways
      { label: 'ties', shapes: [[6], [6]], values: [[1, 2, 3, -1, 0, 5], [2, 2, 2, -1, -0, 4]], ref: (x, y) => Number(ref(x, y)), torch: `torch.${name}(x[0], x[1])` },
    ],
  });
export const eq = compare('eq', 'eq', (x, y) => x === y);
export const ne = compare('ne', 'ne', (x, y) => x !== y);
export const lt = compare('lt', 'lt', (x, y) => x < y);
export const le = compare('le', 'le', (x, y) => x <= y);
export const gt = compare('gt', 'gt', (x, y) => x > y);
export const ge = compare('ge', 'ge', (x, y) => x >= y);
export const logicalAnd = defineOp({
  name: 'logicalAnd', args: two, prepare: prepareBinary('logicalAnd'), forward: binaryKernel('logicalAnd', 'logicalAnd', 'bool'),
  cases: [{ shapes: [[3, 4], [3, 4]], domain: 'nonzero', call: (f, x, y) => f(x.gt(0), y.gt(0)), ref: (x, y) => Number(x > 0 && y > 0), torch: 'torch.logical_and(x[0] > 0, x[1] > 0)' }],
});
export const logicalOr = defineOp({
  name: 'logicalOr', args: two, prepare: prepareBinary('logicalOr'), forward: binaryKernel('logicalOr', 'logicalOr', 'bool'),
  cases: [{ shapes: [[3, 4], [3, 4]], domain: 'nonzero', call: (f, x, y) => f(x.gt(0), y.gt(0)), ref: (x, y) => Number(x > 0 || y > 0), torch: 'torch.logical_or(x[0] > 0, x[1] > 0)' }],
});
export const logicalNot = defineOp({
  name: 'logicalNot', method: 'logicalNot', args: one, forward: ({ input }) => unaryRaw('logicalNot', input, 'bool'),
  cases: [{ shapes: [[3, 4]], domain: 'nonzero', call: (f, x) => f(x.gt(0)), ref: (x) => Number(!(x > 0)), torch: 'torch.logical_not(x[0] > 0)' }],
});
export const isnan = defineOp({
  name: 'isnan', args: one, forward: ({ input }) => unaryRaw('isnan', input, 'bool'),
  cases: [{ shapes: [[3, 4]], call: (f, x) => f(x.log()), ref: (x) => Number(Number.isNaN(Math.log(x))), torch: 'torch.isnan(torch.log(x[0]))' }],
});

/**
 * where(cond, a, b): the gradient goes to a where cond holds, to b elsewhere; ẏ = where(cond, ȧ, ḃ).
 * Note the "double where" pattern: where(x > 0, log(x), 0) still differentiates log at x ≤ 0 and
 * produces NaN·0 = NaN; write where(x > 0, log(where(x > 0, x, 1)), 0) instead.
 */
export const where = defineOp({
  name: 'where', args: [tensor('condition'), tensorLike('input'), tensorLike('other')],
  prepare: ({ condition, input, other }) => {
    if (condition.dtype !== 'bool') throw new TypeError(`where: argument 'condition' must be a bool tensor, got ${condition.dtype}`);
    const a = input as TensorLike, b = other as TensorLike;
    const like = a instanceof Tensor ? a : b instanceof Tensor ? b : condition;
    const dt = resultDType(a, b); // two numbers: float32 (a JS number cannot say whether it was written 2 or 2.0)
    return { condition, input: lift(a, dt, like), other: lift(b, dt, like) };
  },
  forward: ({ condition, input, other }): Tensor => {
    const be = backendOf('where', condition, input, other);
    const shape = broadcastShapes('where', broadcastShapes('where', condition.shape, input.shape), other.shape);
    return Tensor.fromData(be, be.where(broadcastView(condition, shape), broadcastView(input, shape), broadcastView(other, shape), input.dtype), shape, input.dtype);
  },
  broadcast: true,
  saves: ['condition'],
  vjp: (g, { condition, needs }): { input: Tensor | null; other: Tensor | null } => ({ input: needs.input ? where(condition, g, 0) : null, other: needs.other ? where(condition, 0, g) : null }),
  jvp: (t, { condition }): Tensor => where(condition, t.input, t.other),
  cases: [
    { shapes: [[3, 4], [3, 4]], call: (w, x, y) => w(x.gt(0.3), x, y), ref: (x, y) => (x > 0.3 ? x : y), torch: 'torch.where(x[0] > 0.3, x[0], x[1])' },
    { label: 'broadcast cond [3,1], a [1,4], b []', shapes: [[3, 1], [1, 4], []], call: (w, c, x, y) => w(c.gt(0), x, y), ref: (c, x, y) => (c > 0 ? x : y), torch: 'torch.where(x[0] > 0, x[1], x[2])' },
    { label: 'with scalar branch', shapes: [[3, 4]], call: (w, x) => w(x.gt(0.3), x, 0), ref: (x) => (x > 0.3 ? x : 0), torch: 'torch.where(x[0] > 0.3, x[0], torch.zeros(()))' },
  ],
});

/** erf to float64 accuracy: Maclaurin series for |x| < 3, erfc's continued fraction beyond (the test reference) */
function erfRef(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax, s = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      s += term / (2 * n + 1);
      if (Math.abs(term) < 1e-20) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * s;
  } else {
    // erfc x = exp(-x²)/(x√π) · 1/(1 + 1/(2x²)/(1 + 2/(2x²)/(1 + ...))) evaluated bottom-up
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

// every export is a record whose Tensor method has its name, except these (no method)
type NoMethod = 'cast' | 'rsub' | 'logicalAnd' | 'logicalOr' | 'isnan' | 'where';
type Methods = MethodsOf<typeof import('./elementwise.js'), NoMethod>;
declare module '../tensor.js' {
  // the methods defineOp attaches above, typed from the records
  interface Tensor extends Methods {}
}
// compiles only when those names agree with the records (a new export without a method joins NoMethod)
const methodsAgree: AssertMethods<typeof import('./elementwise.js'), NoMethod> = true;
void methodsAgree;

provide({
  cast, neg, exp, log, sqrt, rsqrt, abs, sign, floor, ceil, round, tanh, sigmoid, relu, erf, log1p, expm1, sin, cos,
  reciprocal, square, softplus, leakyRelu, gelu, silu, clamp, add, sub, rsub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge,
  logicalAnd, logicalOr, logicalNot, isnan, where,
});
