/**
 * Element-wise ops. Each forward sits beside its backward, written in nabla ops so it differentiates again.
 * Gradient flow (seed 004): add distributes, mul swaps, max routes; broadcasting sums back (sumToShape).
 */
import { capabilitiesOf, type BinaryOp, type UnaryOp } from '../backends/backend.js';
import { floatOf, isFloat, type DType } from '../dtype.js';
import { record, needsGraph } from '../autograd/record.js';
import { noGrad } from '../autograd/gradMode.js';
import { broadcastShapes, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, broadcastView, checkTensor, lift, resultDType, type TensorLike } from './util.js';
import { sumToShape } from './reduce.js';
import { activationBackward } from './activationGrad.js';

// ---------------------------------------------------------------------------------------------
// kernel wrappers (no autograd)

export function unaryRaw(op: UnaryOp, x: Tensor, outDtype: DType, params?: readonly number[]): Tensor {
  const b = x.backend;
  return Tensor.fromData(b, b.unary(op, x.backendView(), outDtype, params), x.shape, outDtype);
}

export function binaryRaw(name: string, op: BinaryOp, a: Tensor, b: Tensor, outDtype: DType): Tensor {
  const be = backendOf(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  return Tensor.fromData(be, be.binary(op, broadcastView(a, shape), broadcastView(b, shape), outDtype), shape, outDtype);
}

/** Cast (differentiable between float dtypes). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const b = x.backend;
  const y = Tensor.fromData(b, b.copy(x.backendView(), dtype), x.shape, dtype);
  if (isFloat(dtype)) record('to', [x], [y], [], ([g]) => [cast(g!, x.dtype)]);
  return y;
}

// ---------------------------------------------------------------------------------------------
// unary ops: y = f(x), dx = g · f'(x)

/**
 * `saves` names the one tensor the backward reads — the input x (default) or the output y — and it
 * reaches backward as `s`. Saving only that (as PyTorch) keeps an in-place op on the other one legal.
 */
function unaryOp(name: string, op: UnaryOp, x: Tensor, backward: ((g: Tensor, s: Tensor) => Tensor) | null, params?: readonly number[], saves: 'x' | 'y' | 'none' = 'x'): Tensor {
  checkTensor(name, 'input', x);
  const dt = floatOf(x.dtype);
  const y = unaryRaw(op, x, dt, params);
  if (backward && needsGraph([x])) record(name, [x], [y], saves === 'x' ? [x] : saves === 'y' ? [y] : [], ([g], [s]) => [backward(g!, s!)]);
  return y;
}

/** -x; d = -g */
export function neg(x: Tensor): Tensor {
  checkTensor('neg', 'input', x);
  const y = unaryRaw('neg', x, x.dtype === 'bool' ? 'int32' : x.dtype);
  record('neg', [x], [y], [], ([g]) => [neg(g!)]);
  return y;
}
/** exp: dy/dx = y */
export const exp = (x: Tensor) => unaryOp('exp', 'exp', x, (g, y) => mul(g, y), undefined, 'y');
/** log: dy/dx = 1/x */
export const log = (x: Tensor) => unaryOp('log', 'log', x, (g, x) => div(g, x));
/** sqrt: dy/dx = 1/(2y) */
export const sqrt = (x: Tensor) => unaryOp('sqrt', 'sqrt', x, (g, y) => div(g, mul(y, 2)), undefined, 'y');
/** rsqrt: y = x^(-1/2), dy/dx = -y³/2 */
export const rsqrt = (x: Tensor) => unaryOp('rsqrt', 'rsqrt', x, (g, y) => mul(g, mul(pow(y, 3), -0.5)), undefined, 'y');
/** |x|: d = g·sign(x) (0 at 0, as PyTorch) */
export const abs = (x: Tensor) => unaryOp('abs', 'abs', x, (g, x) => mul(g, sign(x)));
/** sign: piecewise constant, zero gradient */
export const sign = (x: Tensor) => unaryOp('sign', 'sign', x, (g) => mul(g, 0), undefined, 'none');
/** tanh: dy/dx = 1 − y² */
export const tanh = (x: Tensor) => unaryOp('tanh', 'tanh', x, (g, y) => activationBackward.tanh(g, y), undefined, 'y');
/** sigmoid σ(x) = 1/(1+e^−x), computed sign-split so σ(±1000) is exactly 1/0; dy/dx = y(1−y) */
export const sigmoid = (x: Tensor) => unaryOp('sigmoid', 'sigmoid', x, (g, y) => activationBackward.sigmoid(g, y), undefined, 'y');
/** relu = max(0, x); relu'(0) = 0 (the mask is x > 0) */
// the mask is a constant of the graph (its derivative is 0 almost everywhere), so one raw 'step' pass builds it
export const relu = (x: Tensor) => unaryOp('relu', 'relu', x, (g, x) => mul(g, unaryRaw('step', x, g.dtype)));
/** erf: d/dx = 2/√π · e^(−x²) */
export const erf = (x: Tensor) => unaryOp('erf', 'erf', x, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
/** log1p: d = 1/(1+x) */
export const log1p = (x: Tensor) => unaryOp('log1p', 'log1p', x, (g, x) => div(g, add(x, 1)));
/** expm1: d = y + 1 */
export const expm1 = (x: Tensor) => unaryOp('expm1', 'expm1', x, (g, y) => mul(g, add(y, 1)), undefined, 'y');
export const sin = (x: Tensor): Tensor => unaryOp('sin', 'sin', x, (g, x) => mul(g, cos(x)));
export const cos = (x: Tensor): Tensor => unaryOp('cos', 'cos', x, (g, x) => neg(mul(g, sin(x))));
/** 1/x: d = −y² */
export const reciprocal = (x: Tensor) => unaryOp('reciprocal', 'reciprocal', x, (g, y) => neg(mul(g, mul(y, y))), undefined, 'y');
/** x²: d = 2x */
export const square = (x: Tensor) => unaryOp('square', 'square', x, (g, x) => mul(g, mul(x, 2)));
export const floor = (x: Tensor) => unaryOp('floor', 'floor', x, (g) => mul(g, 0), undefined, 'none');
export const ceil = (x: Tensor) => unaryOp('ceil', 'ceil', x, (g) => mul(g, 0), undefined, 'none');
export const round = (x: Tensor) => unaryOp('round', 'round', x, (g) => mul(g, 0), undefined, 'none');

/** softplus(x) = log(1+e^x) = max(x,0) + log1p(e^−|x|) (stable); d = σ(x). With beta: softplus(βx)/β. */
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (beta !== 1) return div(softplus(mul(x, beta)), beta);
  return unaryOp('softplus', 'softplus', x, (g, x) => mul(g, sigmoid(x)));
}

/** leaky relu: x if x > 0 else slope·x; d = 1 or slope */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unaryOp('leakyRelu', 'leakyRelu', x, (g, x) => mul(g, where(gt(x, 0), 1, negativeSlope)), [negativeSlope]);
}

/** GELU. Exact: x·Φ(x), d = Φ(x) + x·φ(x). 'tanh': 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  if (opts.approximate === 'tanh') return unaryOp('geluTanh', 'geluTanh', x, activationBackward.geluTanh);
  return unaryOp('gelu', 'gelu', x, activationBackward.gelu);
}

/** SiLU / swish: x·σ(x); d = σ(x)(1 + x(1 − σ(x))) */
export function silu(x: Tensor): Tensor {
  return unaryOp('silu', 'silu', x, activationBackward.silu);
}


/** clamp(x, min, max); the gradient passes where min ≤ x ≤ max (inclusive, as PyTorch). */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor('clamp', 'input', x);
  const lo = min ?? -Infinity, hi = max ?? Infinity;
  if (min == null && max == null) throw new Error('clamp: at least one of min or max must be given');
  const y = unaryRaw('clamp', x, x.dtype, [lo, hi]);
  record('clamp', [x], [y], [x], ([g], [xs]) => [mul(g!, cast(logicalAnd(ge(xs!, lo), le(xs!, hi)), g!.dtype))]);
  return y;
}

// ---------------------------------------------------------------------------------------------
// binary ops with NumPy broadcasting; each input's gradient is summed back to its own shape

function binaryOp(
  name: string,
  op: BinaryOp,
  a: TensorLike,
  b: TensorLike,
  outDtype: (dt: DType) => DType,
  backward: ((g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null]) | null,
  /** what backward reads (the rest arrive undefined): saving less keeps in-place ops on them legal */
  saves: 'none' | 'inputs' | 'all' = 'inputs',
): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${name}: expected at least one Tensor argument, got ${typeof a} and ${typeof b}`);
  if (!(a instanceof Tensor) && typeof a !== 'number') throw new TypeError(`${name}: argument must be a Tensor or a number, got ${typeof a}`);
  if (!(b instanceof Tensor) && typeof b !== 'number') throw new TypeError(`${name}: argument must be a Tensor or a number, got ${typeof b}`);
  const like = (a instanceof Tensor ? a : b) as Tensor;
  const dt = resultDType(a, b);
  const ta = lift(a, dt, like), tb = lift(b, dt, like);
  const y = binaryRaw(name, op, ta, tb, outDtype(dt));
  if (backward && needsGraph([ta, tb])) {
    const aShape = ta.shape, bShape = tb.shape;
    const save = saves === 'none' ? [] : saves === 'inputs' ? [ta, tb] : [ta, tb, y];
    record(name, [ta, tb], [y], save, ([g], [sa, sb, sy], needs) => {
      const [ga, gb] = backward(g!, sa!, sb!, sy!);
      return [needs[0] && ga ? sumToShape(ga, aShape) : null, needs[1] && gb ? sumToShape(gb, bShape) : null];
    });
  }
  return y;
}

const same = (d: DType) => d;
const toBool = () => 'bool' as DType;

/** a + b: the gradient is distributed unchanged to both */
export const add = (a: TensorLike, b: TensorLike) => binaryOp('add', 'add', a, b, same, (g) => [g, g], 'none');
/** a − b */
export const sub = (a: TensorLike, b: TensorLike) => binaryOp('sub', 'sub', a, b, same, (g) => [g, neg(g)], 'none');
/** b − a (scalar − tensor) */
export const rsub = (a: TensorLike, b: TensorLike) => sub(b, a);
/** a · b: each input's gradient is the upstream times the other ("mul swaps") */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryOp('mul', 'mul', a, b, same, (g, a, b) => [mul(g, b), mul(g, a)]);
/** a / b: da = g/b, db = −g·a/b² */
export function div(a: TensorLike, b: TensorLike): Tensor {
  if (!isFloat(resultDType(a, b))) {
    // integer ÷ integer is true division, as in PyTorch
    return div(a instanceof Tensor ? cast(a, 'float32') : a, b instanceof Tensor ? cast(b, 'float32') : b);
  }
  return binaryOp('div', 'div', a, b, same, (g, a, b) => [div(g, b), neg(div(mul(g, a), mul(b, b)))]);
}
/**
 * a ** b. Tensor exponent: da = g·b·a^(b−1), db = g·y·log(a) (0 where a = 0 and b ≥ 0, as PyTorch).
 * Number exponent: a single unary kernel, da = g·e·a^(e−1).
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    const e = b;
    const x = isFloat(a.dtype) || Number.isInteger(e) ? a : cast(a, 'float32');
    const y = unaryRaw('powScalar', x, x.dtype, [e]);
    record('pow', [x], [y], [x], ([g], [xs]) => [e === 0 ? mul(g!, 0) : mul(g!, mul(pow(xs!, e - 1), e))]);
    return y;
  }
  return binaryOp('pow', 'pow', a, b, same, (g, a, b, y) => {
    const da = mul(g, mul(b, pow(a, sub(b, 1))));
    const safeLog = where(logicalAnd(eq(a, 0), ge(b, 0)), 0, log(where(eq(a, 0), 1, a)));
    return [da, mul(g, mul(y, safeLog))];
  }, 'all');
}
/** max(a, b) element-wise: the gradient is routed to the larger input; ties split it in half (PyTorch). */
export const maximum = (a: TensorLike, b: TensorLike) =>
  binaryOp('maximum', 'maximum', a, b, same, (g, a, b) => {
    const ma = add(cast(gt(a, b), g.dtype), mul(cast(eq(a, b), g.dtype), 0.5));
    return [mul(g, ma), mul(g, sub(1, ma))];
  });
export const minimum = (a: TensorLike, b: TensorLike) =>
  binaryOp('minimum', 'minimum', a, b, same, (g, a, b) => {
    const ma = add(cast(lt(a, b), g.dtype), mul(cast(eq(a, b), g.dtype), 0.5));
    return [mul(g, ma), mul(g, sub(1, ma))];
  });

// comparisons and logic: bool results, no gradient
export const eq = (a: TensorLike, b: TensorLike) => binaryOp('eq', 'eq', a, b, toBool, null);
export const ne = (a: TensorLike, b: TensorLike) => binaryOp('ne', 'ne', a, b, toBool, null);
export const lt = (a: TensorLike, b: TensorLike) => binaryOp('lt', 'lt', a, b, toBool, null);
export const le = (a: TensorLike, b: TensorLike) => binaryOp('le', 'le', a, b, toBool, null);
export const gt = (a: TensorLike, b: TensorLike) => binaryOp('gt', 'gt', a, b, toBool, null);
export const ge = (a: TensorLike, b: TensorLike) => binaryOp('ge', 'ge', a, b, toBool, null);
export const logicalAnd = (a: TensorLike, b: TensorLike) => binaryOp('logicalAnd', 'logicalAnd', a, b, toBool, null);
export const logicalOr = (a: TensorLike, b: TensorLike) => binaryOp('logicalOr', 'logicalOr', a, b, toBool, null);
export function logicalNot(x: Tensor): Tensor {
  return unaryRaw('logicalNot', x, 'bool');
}
export function isnan(x: Tensor): Tensor {
  return unaryRaw('isnan', x, 'bool');
}

/**
 * where(cond, a, b): the gradient goes to a where cond holds, to b elsewhere.
 * Note the "double where" pattern: where(x > 0, log(x), 0) still differentiates log at x ≤ 0 and
 * produces NaN·0 = NaN; write where(x > 0, log(where(x > 0, x, 1)), 0) instead.
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', 'condition', cond);
  if (cond.dtype !== 'bool') throw new TypeError(`where: condition must be a bool tensor, got ${cond.dtype}`);
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : cond;
  const dt = a instanceof Tensor || b instanceof Tensor ? resultDType(a, b) : 'float32';
  const ta = lift(a, dt, like), tb = lift(b, dt, like);
  const be = backendOf('where', cond, ta, tb);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const y = Tensor.fromData(be, be.where(broadcastView(cond, shape), broadcastView(ta, shape), broadcastView(tb, shape), dt), shape, dt);
  record('where', [ta, tb], [y], [cond], ([g], [c], needs) => [
    needs[0] ? sumToShape(where(c!, g!, 0), ta.shape) : null,
    needs[1] ? sumToShape(where(c!, 0, g!), tb.shape) : null,
  ]);
  return y;
}

/** True when any element is NaN or ±Inf (for anomaly mode and tests): a host read, so it needs syncRead. */
export function hasNonFinite(x: Tensor): boolean {
  if (!isFloat(x.dtype)) return false;
  if (!capabilitiesOf(x.backend).syncRead) {
    throw new Error(`anomaly mode: checking ${x.describe()} for NaN/Inf reads it on the host, which the ${x.backend.name} backend cannot do synchronously; turn anomaly mode off on this backend`);
  }
  return noGrad(() => {
    const d = x.data();
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return true;
    return false;
  });
}

export function sameShapeOrThrow(op: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: expected tensors of the same shape, got [${a.shape}] and [${b.shape}]`);
}
