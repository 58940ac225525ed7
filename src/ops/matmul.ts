/**
 * matmul and linear, as op records (see define.ts). Forward Y = A·B; backward dA = dY·Bᵀ, dB = Aᵀ·dY — two more matmuls,
 * each summed back over broadcast batch dims. Transposes are stride views: kernels read them in place.
 */
import { autocastLow } from '../amp/autocast.js';
import { isFloat, promote } from '../dtype.js';
import { noGrad } from '../autograd/gradMode.js';
import { needsGraph, record } from '../autograd/record.js';
import { isForwardActive } from '../autograd/forward.js';
import { broadcastShapes, fmt, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, checkTensor } from './util.js';
import { add, cast, gelu, mul, relu, sigmoid, silu, tanh } from './elementwise.js';
import { unaryRaw } from './kernelCalls.js';
import { activationSlope } from './activationSlope.js';
import { sumToShape } from './sumToShape.js';
import { expand, reshape, squeeze, transpose, unsqueeze, contiguous } from './movement.js';
import type { BiasActivation, View } from '../backends/backend.js';
import { provide } from './registry.js';
import { defineOp, type AssertMethods, type MethodsOf } from './define.js';
import { optTensor, options, tensor, type ArgSpec } from './args.js';

/** Collapse batch dims of a (broadcast) view into one stride, if its layout allows it. */
function collapseBatch(shape: readonly number[], strides: readonly number[]): number | null {
  // dims of size 1 can take any stride; otherwise stride[i] must equal stride[i+1]*shape[i+1] (or all 0)
  let stride: number | null = null;
  let expected: number | null = null;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (expected === null) { stride = strides[i]!; expected = strides[i]! * shape[i]!; continue; }
    if (strides[i] !== expected) return null;
    expected = strides[i]! * shape[i]!;
  }
  return stride ?? 0;
}

/** The kernel call: a [..., M, K] · b [..., K, N] with batch dims already broadcast to `batch`. */
function matmulKernel(a: Tensor, b: Tensor, batch: readonly number[]): Tensor {
  const be = backendOf('matmul', a, b);
  const M = a.shape[a.ndim - 2]!, K = a.shape[a.ndim - 1]!, N = b.shape[b.ndim - 1]!;
  const dtype = a.dtype;
  let ea = expand(a, [...batch, M, K]), eb = expand(b, [...batch, K, N]);
  const B = numel(batch);
  let sa = collapseBatch(batch, ea.strides.slice(0, -2));
  let sb = collapseBatch(batch, eb.strides.slice(0, -2));
  if (sa === null) { ea = contiguous(ea); sa = M * K; }
  if (sb === null) { eb = contiguous(eb); sb = K * N; }
  // a shared (broadcast) right operand with a row-contiguous left one: one big [B·M, K]·[K, N] product
  const av = ea.backendView(), bv = eb.backendView();
  let va: View, vb: View;
  if (sb === 0 && B > 1 && sa === M * ea.strides[ea.ndim - 2]!) {
    va = { ...av, shape: [1, B * M, K], strides: [0, ea.strides[ea.ndim - 2]!, ea.strides[ea.ndim - 1]!] };
    vb = { ...bv, shape: [1, K, N], strides: [0, eb.strides[eb.ndim - 2]!, eb.strides[eb.ndim - 1]!] };
  } else {
    va = { ...av, shape: [B, M, K], strides: [sa, ea.strides[ea.ndim - 2]!, ea.strides[ea.ndim - 1]!] };
    vb = { ...bv, shape: [B, K, N], strides: [sb, eb.strides[eb.ndim - 2]!, eb.strides[eb.ndim - 1]!] };
  }
  return Tensor.fromData(be, be.matmul(va, vb, dtype), [...batch, M, N], dtype);
}

/**
 * The batched product of ≥ 2-D operands of one dtype, batch dims broadcast: Y = A·B.
 * dA = dY·Bᵀ, dB = Aᵀ·dY, each summed back over broadcast batch dims; Ẏ = Ȧ·B + A·Ḃ (bilinear).
 */
const batchedMatmul = defineOp({
  name: 'matmul', args: [tensor('input'), tensor('other')],
  // the public matmul (below) has checked the inner dimensions, naming the shapes it was given
  forward: ({ input: A, other: Bt }) => {
    const batch = broadcastShapes('matmul (batch dimensions)', A.shape.slice(0, -2), Bt.shape.slice(0, -2));
    return matmulKernel(A, Bt, batch);
  },
  saves: ['input', 'other'],
  vjp: (g, { input: sa, other: sb, needs }): { input: Tensor | null; other: Tensor | null } => ({
    input: needs.input ? sumToShape(matmul(g, transpose(sb, -1, -2)), sa.shape) : null,
    other: needs.other ? sumToShape(matmul(transpose(sa, -1, -2), g), sb.shape) : null,
  }),
  jvp: (t, { input: A, other: Bt }): Tensor => add(matmul(t.input, Bt), matmul(A, t.other)),
  cases: [
    { label: '2-D·2-D', shapes: [[2, 3], [3, 4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: 'batched 3-D·3-D', shapes: [[2, 2, 3], [2, 3, 4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: 'broadcast 3-D·2-D', shapes: [[2, 2, 3], [3, 4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: 'broadcast 2-D·3-D', shapes: [[2, 3], [2, 3, 4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: 'broadcast batch [2,1]·[3]', shapes: [[2, 1, 2, 3], [3, 3, 2]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
  ],
});

/**
 * matmul with PyTorch's rules: 1-D·1-D is a dot product, a 1-D left operand is a row vector, a 1-D
 * right operand a column vector (the added dim is removed again), batch dims broadcast; mixed dtypes promote.
 */
export const matmul = defineOp({
  name: 'matmul', method: 'matmul', args: [tensor('input'), tensor('other')], composite: true,
  forward: ({ input: a0, other: b0 }): Tensor => {
    const [a, b] = autocastLow(a0, b0); // autocast dispatch (src/amp/autocast.ts)
    if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both arguments need at least 1 dimension, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
    const dt = promote(a.dtype, b.dtype);
    if (dt === 'bool') throw new TypeError('matmul: not implemented for bool tensors');
    const A = a.dtype === dt ? a : cast(a, dt), Bt = b.dtype === dt ? b : cast(b, dt);
    if (A.ndim === 1 && Bt.ndim === 1) {
      if (A.shape[0] !== Bt.shape[0]) throw new Error(`matmul: inconsistent tensor size: 1-D tensors of ${A.shape[0]} and ${Bt.shape[0]} elements (dot product)`);
      return reshape(batchedMatmul(unsqueeze(A, 0), unsqueeze(Bt, 1)), []);
    }
    if (A.ndim === 1) return squeeze(batchedMatmul(unsqueeze(A, 0), Bt), -2);
    if (Bt.ndim === 1) return squeeze(batchedMatmul(A, unsqueeze(Bt, 1)), -1);
    if (A.shape[A.ndim - 1] !== Bt.shape[Bt.ndim - 2]) {
      throw new Error(`matmul: cannot multiply ${fmt(a0.shape)} by ${fmt(b0.shape)}: inner dimensions ${A.shape[A.ndim - 1]} and ${Bt.shape[Bt.ndim - 2]} differ`);
    }
    return batchedMatmul(A, Bt);
  },
  cases: [
    { label: '1-D·1-D (dot)', shapes: [[4], [4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: '1-D·2-D', shapes: [[3], [3, 4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: '2-D·1-D', shapes: [[2, 3], [3]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: '1-D·3-D', shapes: [[3], [2, 3, 4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
    { label: '3-D·1-D', shapes: [[2, 3, 4], [4]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.matmul(x[0], x[1])' },
  ],
});

/** mm: matmul (PyTorch's name for the 2-D product) */
export const mm = defineOp({
  name: 'mm', method: 'mm', args: [tensor('input'), tensor('other')], composite: true,
  forward: ({ input, other }) => matmul(input, other),
  cases: [{ shapes: [[3, 2], [2, 3]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.mm(x[0], x[1])' }],
});

/** Batched matmul of two 3-D tensors (no broadcasting, as torch.bmm). */
export const bmm = defineOp({
  name: 'bmm', args: [tensor('input'), tensor('other')], composite: true,
  forward: ({ input: a0, other: b0 }) => {
    const [a, b] = autocastLow(a0, b0); // autocast dispatch (src/amp/autocast.ts)
    if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) throw new Error(`bmm: expected 3-D tensors with equal batch, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
    return matmul(a, b);
  },
  cases: [{ shapes: [[2, 3, 2], [2, 2, 3]], expect: (R, x, y) => R.matmul(x, y), torch: 'torch.bmm(x[0], x[1])' }],
});

/** activations linear can fuse after its bias (Linear's `activation` option) */
export type LinearActivation = BiasActivation;
const LINEAR_ACTS: readonly LinearActivation[] = ['none', 'relu', 'gelu', 'geluTanh', 'silu', 'sigmoid', 'tanh'];

export interface LinearOpts {
  /**
   * nabla's fused Linear + activation (default 'none'): act(x·Wᵀ + b), equal to the activation applied to
   * linear's output (Sequential(Linear, ReLU) for 'relu'; 'gelu' is the exact erf form, 'geluTanh' the tanh
   * approximation). The bias add and the activation run as one backend pass after the GEMM.
   */
  activation?: LinearActivation;
}

/** the activation as ordinary differentiable ops (the path for layouts and dtypes the fused node does not take) */
function applyAct(y: Tensor, act: LinearActivation): Tensor {
  switch (act) {
    case 'none': return y;
    case 'relu': return relu(y);
    case 'gelu': return gelu(y);
    case 'geluTanh': return gelu(y, { approximate: 'tanh' });
    case 'silu': return silu(y);
    case 'sigmoid': return sigmoid(y);
    case 'tanh': return tanh(y);
  }
}

/**
 * g·act'(z) in nabla ops (the formulas of src/ops/elementwise.ts), so it differentiates again. `s` is the saved
 * output y for sigmoid and tanh, the pre-activation z for the others.
 */
function actBackward(act: Exclude<LinearActivation, 'none' | 'relu'>, g: Tensor, s: Tensor): Tensor {
  return activationSlope[act](g, s);
}

/**
 * linear: y = act(x·Wᵀ + b) with W of shape [out, in] (∇W = ∇yᵀ·x, ∇b = Σ∇y, ∇x = ∇y·W), act 'none'
 * unless opts.activation names one (see LinearOpts).
 *
 * Forward: one GEMM, then one backend biasAct pass for the bias add and the activation (bias-free 'none' skips
 * it). Graph: x·Wᵀ + b is one node with the hand-written backward above; relu joins that node (its mask is the
 * output's sign: ∇z = ∇y ⊙ [y > 0]); gelu / geluTanh / silu / sigmoid / tanh record a second node z → y whose
 * backward ∇z = ∇y ⊙ act'(z) reads the saved pre-activation z (or y), so the double backward reaches z's
 * dependence on x, W and b.
 */
function linearImpl(x: Tensor, weight: Tensor, bias: Tensor | null, act: LinearActivation): Tensor {
  [x, weight, bias] = autocastLow(x, weight, bias); // autocast dispatch (src/amp/autocast.ts)
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${fmt(weight.shape)}`);
  const inF = x.shape[x.ndim - 1];
  if (inF !== weight.shape[1]) {
    throw new Error(`linear: input ${fmt(x.shape)} has ${inF} features but weight ${fmt(weight.shape)} expects ${weight.shape[1]} (weight is [out, in])`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) throw new Error(`linear: bias must have shape [${weight.shape[0]}], got ${fmt(bias.shape)}`);
  const dt = weight.dtype;
  if (x.ndim < 2 || x.dtype !== dt || (bias && bias.dtype !== dt) || !isFloat(dt)) {
    const y = matmul(x, transpose(weight, 0, 1));
    return applyAct(bias ? add(y, bias) : y, act);
  }
  // one node for x·Wᵀ + b: ∇W = ∇yᵀ·x comes out as a contiguous [out, in] (a generic matmul node would
  // produce (xᵀ·∇y)ᵀ, a transposed view the engine then copies into .grad element by element)
  const outF = weight.shape[0]!;
  const be = backendOf('linear', x, weight);
  const graph = needsGraph([x, weight, bias]) || isForwardActive();
  const split = act !== 'none' && act !== 'relu'; // a second node for the activation
  const { y, z } = noGrad(() => {
    const y0 = matmulKernel(x, transpose(weight, 0, 1), x.shape.slice(0, -2));
    if (!bias && act === 'none') return { y: y0, z: null };
    if (be.biasAct) {
      const b = bias ? (bias.isContiguous() ? bias : contiguous(bias)) : null;
      const shape = y0.shape;
      const r = be.biasAct(y0.backendView(), b ? b.backendView() : null, act, dt, graph && split);
      y0.dispose();
      return { y: Tensor.fromData(be, r.y, shape, dt), z: r.z === null ? null : Tensor.fromData(be, r.z, shape, dt) };
    }
    const z0 = bias ? add(y0, bias) : y0;
    return { y: act === 'none' ? z0 : unaryRaw(act, z0, dt), z: split ? z0 : null };
  });
  if (!graph) return y;
  // ẏ = ẋ·Wᵀ + x·Ẇᵀ + ḃ (before the activation)
  const linearJvp = ([dx, dw, db]: (Tensor | null)[]): Tensor => {
    let t: Tensor | null = dx ? matmul(dx, transpose(weight, 0, 1)) : null;
    if (dw) { const r = matmul(x, transpose(dw, 0, 1)); t = t ? add(t, r) : r; }
    if (db) t = t ? add(t, db) : expand(db, y.shape);
    return t!;
  };
  const linearBackward = (g: Tensor, sx: Tensor, sw: Tensor, needs: readonly boolean[]): (Tensor | null)[] => {
    const g2 = g.ndim === 2 ? g : reshape(g, [-1, outF]);
    const x2 = sx.ndim === 2 ? sx : reshape(sx, [-1, inF!]);
    return [
      needs[0] ? matmul(g, sw) : null,
      needs[1] ? matmul(transpose(g2, 0, 1), x2) : null,
      needs[2] ? sumToShape(g2, [outF]) : null,
    ];
  };
  if (act === 'none') {
    record('linear', [x, weight, bias], [y], [x, weight], ([g], [sx, sw], needs) => linearBackward(g!, sx!, sw!, needs), (ts) => [linearJvp(ts)]);
  } else if (act === 'relu') {
    // the mask is a constant of the graph (relu'' = 0 almost everywhere): one raw 'step' pass over the output
    record('linearRelu', [x, weight, bias], [y], [x, weight, y], ([g], [sx, sw, sy], needs) =>
      linearBackward(mul(g!, unaryRaw('step', sy!, g!.dtype)), sx!, sw!, needs), (ts) => [mul(linearJvp(ts), unaryRaw('step', y, y.dtype))]);
  } else {
    const zt = z!;
    record('linear', [x, weight, bias], [zt], [x, weight], ([g], [sx, sw], needs) => linearBackward(g!, sx!, sw!, needs), (ts) => [linearJvp(ts)]);
    const fromY = act === 'sigmoid' || act === 'tanh';
    record(act, [zt], [y], [fromY ? y : zt], ([g], [s]) => [actBackward(act, g!, s!)], ([dz]) => [actBackward(act, dz!, fromY ? y : zt)]);
  }
  return y;
}

/** linear's fused activation: one of LINEAR_ACTS, 'none' when absent */
const activationArg: ArgSpec<LinearActivation | undefined, LinearActivation, 'activation', true> = {
  name: 'activation', optional: true,
  check(_op, v) {
    if (v === undefined) return 'none';
    if (!LINEAR_ACTS.includes(v as LinearActivation)) throw new Error(`linear: unknown activation '${String(v)}' (expected one of ${LINEAR_ACTS.join(', ')})`);
    return v as LinearActivation;
  },
};

/**
 * The record of linear: its graph nodes come from linearImpl (one fused node for x·Wᵀ + b, and one for the
 * activation where it has its own backward), so the record is composite.
 */
export const linear = defineOp({
  name: 'linear', args: [tensor('input'), tensor('weight'), optTensor('bias'), options('opts', { activation: activationArg })], composite: true,
  forward: ({ input, weight, bias, opts }) => linearImpl(input, weight, bias, opts.activation),
  cases: [
    { label: 'with bias', shapes: [[5, 3], [4, 3], [4]], expect: (R, x, w, b) => R.bin((p, q) => p + q)(R.matmul(x, R.permute([1, 0])(w)), b), torch: 'F.linear(x[0], x[1], x[2])' },
    { label: 'without bias', shapes: [[5, 3], [4, 3]], expect: (R, x, w) => R.matmul(x, R.permute([1, 0])(w)), torch: 'F.linear(x[0], x[1])' },
    { label: '3-D input', shapes: [[2, 5, 3], [4, 3], [4]], expect: (R, x, w, b) => R.bin((p, q) => p + q)(R.matmul(x, R.permute([1, 0])(w)), b), torch: 'F.linear(x[0], x[1], x[2])' },
    {
      label: 'fused tanh', shapes: [[5, 3], [4, 3], [4]], call: (f, x, w, b) => f(x, w, b, { activation: 'tanh' }),
      expect: (R, x, w, b) => R.un(Math.tanh)(R.bin((p, q) => p + q)(R.matmul(x, R.permute([1, 0])(w)), b)),
      torch: 'torch.tanh(F.linear(x[0], x[1], x[2]))',
    },
    {
      label: 'fused relu', shapes: [[5, 3], [4, 3], [4]], domain: 'nonzero', call: (f, x, w, b) => f(x, w, b, { activation: 'relu' }), twice: false,
      expect: (R, x, w, b) => R.un((v) => Math.max(v, 0))(R.bin((p, q) => p + q)(R.matmul(x, R.permute([1, 0])(w)), b)),
      torch: 'torch.relu(F.linear(x[0], x[1], x[2]))',
    },
  ],
});

/** Outer product of two 1-D tensors. */
export const outer = defineOp({
  name: 'outer', args: [tensor('input'), tensor('vec2')], composite: true,
  forward: ({ input: a, vec2: b }) => {
    if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`outer: expected 1-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
    return matmul(unsqueeze(a, 1), unsqueeze(b, 0));
  },
  cases: [{ shapes: [[3], [4]], expect: (R, x, y) => R.matmul(R.reshape([3, 1])(x), R.reshape([1, 4])(y)), torch: 'torch.outer(x[0], x[1])' }],
});

// every export is a record whose Tensor method has its name, except these (no method)
type NoMethod = 'bmm' | 'linear' | 'outer';
type Methods = MethodsOf<typeof import('./matmul.js'), NoMethod>;
declare module '../tensor.js' {
  // the methods defineOp attaches above, typed from the records
  interface Tensor extends Methods {}
}
// compiles only when those names agree with the records (a new export without a method joins NoMethod)
const methodsAgree: AssertMethods<typeof import('./matmul.js'), NoMethod> = true;
void methodsAgree;

provide({ matmul, mm, bmm, linear, outer });
