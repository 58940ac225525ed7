/**
 * Losses (PyTorch semantics), one op record each (see ../define.ts): schema (input, target, {options}), forward and
 * test cases. The public losses are compositions of differentiable ops (composite records: their gradients and
 * tangents come from the ops they are made of); the two nodes with their own rules are records too:
 *   crossEntropyRows — with class-index targets on [N, C] logits (the classifier and language-model case) the
 *     backend's kernel computes logsumexp and the loss in one pass, without writing the log-probabilities, and
 *     backward is one pass of (softmax − onehot)·g;
 *   binaryCrossEntropyTerms — PyTorch's BCE backward (finite at p = 0 or 1).
 * crossEntropy = logSoftmax + NLL, so its gradient w.r.t. the logits is (softmax − onehot)/N for mean reduction
 * and it stays finite at logits ±1e4.
 */
import { autocastF32 } from '../../amp/autocast.js';
import { isGradEnabled, noGrad } from '../../autograd/gradMode.js';
import { isForwardActive } from '../../autograd/forward.js';
import { isFloat } from '../../dtype.js';
import { fmt, sameShape } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { abs, add, cast, clamp, div, eq, gt, log, log1p, lt, mul, ne, neg, softplus, square, sub, where } from '../elementwise.js';
import { sum } from '../reduce.js';
import { gather, indexSelect } from '../indexing.js';
import { reshape, squeeze, unsqueeze } from '../movement.js';
import { logSoftmax, softmax } from './activation.js';
import { capabilitiesOf } from '../../backends/backend.js';
import { checkFloat, checkIndexRange, checkTensorArg, reduceLoss, reductionArg, type Reduction } from './_util.js';
import { defineOp, type Arr, type RefLib } from '../define.js';
import { int, num, optTensor, options, tensor } from '../args.js';

export interface NllLossOptions {
  reduction?: Reduction;
  /** target value that contributes neither loss nor gradient (default −100) */
  ignoreIndex?: number;
  /** per-class rescaling weight, shape [C] */
  weight?: Tensor | null;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C */
  labelSmoothing?: number;
}

/** [C, 1, 1...] view of a [C] weight, broadcasting against [N, C, d1...]. */
function classView(w: Tensor, ndim: number): Tensor {
  return ndim <= 2 ? w : reshape(w, [w.shape[0]!, ...new Array<number>(ndim - 2).fill(1)]);
}

function checkWeight(op: string, weight: Tensor | null | undefined, C: number, like: Tensor): Tensor | null {
  if (weight === undefined || weight === null) return null;
  checkTensorArg(op, 'weight', weight);
  if (weight.ndim !== 1 || weight.shape[0] !== C) throw new Error(`${op}: weight ${fmt(weight.shape)} does not match the ${C} classes of input ${fmt(like.shape)}: expected [${C}]`);
  return weight.dtype === like.dtype ? weight : cast(weight, like.dtype);
}

/** Validate (input [N, C, d...] or [C], int32 target [N, d...] or []) and return the batched forms. */
function classTargets(op: string, input: Tensor, target: Tensor, inName: string, ignoreIndex: number): { x: Tensor; t: Tensor; unbatched: boolean } {
  if (input.ndim === 0) throw new Error(`${op}: ${inName} must have at least 1 dimension (classes), got a 0-d tensor`);
  const unbatched = input.ndim === 1;
  const expected = unbatched ? [] : [input.shape[0]!, ...input.shape.slice(2)];
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new Error(`${op}: target ${fmt(target.shape)} does not match ${inName} ${fmt(input.shape)}: expected ${fmt(expected)}`);
  }
  const C = input.shape[unbatched ? 0 : 1]!;
  checkIndexRange(op, 'target', target, C, ignoreIndex);
  return { x: unbatched ? unsqueeze(input, 0) : input, t: unbatched ? reshape(target, [1]) : target, unbatched };
}

/**
 * Per-element NLL on batched log-probs lp [N, C, d...] and int32 target [N, d...]; also returns the
 * per-element weight w[t]·(t ≠ ignoreIndex) (the mean reduction divides by its sum).
 */
function nllCore(lp: Tensor, t: Tensor, weight: Tensor | null, ignoreIndex: number): { loss: Tensor; w: Tensor } {
  const { w, safeT } = targetWeights(t, weight, ignoreIndex, lp.dtype);
  const picked = squeeze(gather(lp, 1, unsqueeze(safeT, 1)), 1);
  return { loss: neg(mul(picked, w)), w };
}

/** per-element weight w[t]·(t ≠ ignoreIndex), and the targets with ignored positions set to class 0 */
function targetWeights(t: Tensor, weight: Tensor | null, ignoreIndex: number, dtype: Tensor['dtype']): { w: Tensor; safeT: Tensor } {
  const valid = ne(t, ignoreIndex);
  const safeT = where(valid, t, 0);
  let w: Tensor = cast(valid, dtype);
  if (weight) w = mul(w, reshape(indexSelect(weight, 0, reshape(safeT, [safeT.numel()])), safeT.shape));
  return { w, safeT };
}

/** an int32 tensor of class indices on x's backend (the test cases close over these) */
const classes = (like: Tensor, v: number[], shape: number[] = [v.length]) => Tensor.fromValues(v, shape, 'int32', like.backend);
/** a float tensor of x's dtype and backend (weights the test cases close over) */
const floats = (like: Tensor, v: number[], shape: number[] = [v.length]) => Tensor.fromValues(v, shape, like.dtype, like.backend);
/** onehot(t) [N, C] of int32 targets t [N] in x's dtype */
function onehotOf(x: Tensor, t: Tensor): Tensor {
  const C = x.shape[1]!;
  const cls = Tensor.fromValues(Int32Array.from({ length: C }, (_, i) => i), [C], 'int32', x.backend);
  return cast(eq(unsqueeze(t, 1), cls), x.dtype);
}

/**
 * The fused node under crossEntropy with class targets on 2-D logits: per row loss[r] = logsumexp(x[r]) − x[r, t_r]
 * (0 where t_r = ignoreIndex) from the backend's crossEntropyRows kernel, which also returns each row's max and
 * log Σ exp(x − max) (saved, so the first-order backward is one pass). The caller checks that the backend has
 * the kernels. d loss[r]/dx[r] = softmax(x[r]) − onehot(t_r): dx = (softmax(x) − onehot(t))·g per row (the
 * backend's one-pass crossEntropyRowsGrad for a first-order backward; with createGraph or under forward mode, the
 * same formula in ops, so it differentiates again); ẏ[r] = Σ_c (softmax(x) − onehot(t))[r, c]·ẋ[r, c], 0 on ignored rows.
 */
export const crossEntropyRows = defineOp({
  name: 'crossEntropyRows', args: [tensor('input'), tensor('target'), int('ignoreIndex', -100)],
  outputs: ['loss', 'max', 'logSum'],
  prepare: (a) => ({ ...a, input: a.input.isContiguous() ? a.input : a.input.contiguous() }),
  forward: ({ input: x, target: t, ignoreIndex }): Tensor[] => {
    const b = x.backend;
    if (!b.crossEntropyRows || !b.crossEntropyRowsGrad) throw new Error(`crossEntropyRows: the ${b.name} backend has no crossEntropyRows kernel`);
    if (x.ndim !== 2 || t.dtype !== 'int32' || t.ndim !== 1 || t.shape[0] !== x.shape[0]) throw new Error(`crossEntropyRows: expected logits [N, C] and int32 targets [N], got ${fmt(x.shape)} and ${t.describe()}`);
    const k = b.crossEntropyRows(x.backendView(), t.backendView(), ignoreIndex);
    const rows = [x.shape[0]!];
    return [Tensor.fromData(b, k.loss, rows, x.dtype), Tensor.fromData(b, k.max, rows, x.dtype), Tensor.fromData(b, k.logSum, rows, x.dtype)];
  },
  saves: ['input', 'target', 'max', 'logSum'],
  vjp: (gs, c) => {
    const { input: x, target: t, ignoreIndex } = c;
    const g = gs[0];
    // max and logSum are the saved row statistics, not outputs to differentiate: a gradient through them would be
    // silently dropped, so it is refused (logsumexp(x, 1) = max + logSum is the differentiable form)
    if (!g || gs[1] || gs[2]) throw new Error('crossEntropyRows: only the loss output is differentiable; max and logSum are saved statistics (use logsumexp for a differentiable log Σ exp)');
    // the one-pass kernel only for a first-order backward: with createGraph, or under a forward-mode level
    // (forward-over-reverse), the backward must be ops so that it differentiates / carries tangents
    if (!isGradEnabled() && !isForwardActive()) {
      const { max, logSum } = c as unknown as { max: Tensor; logSum: Tensor };
      const b = x.backend;
      const gc = g.isContiguous() ? g : g.contiguous();
      const dx = b.crossEntropyRowsGrad!(x.backendView(), max.backendView(), logSum.backendView(), t.backendView(), gc.backendView(), ignoreIndex);
      return { input: Tensor.fromData(b, dx, x.shape, x.dtype) };
    }
    const gv = mul(g, cast(ne(t, ignoreIndex), x.dtype));
    return { input: mul(sub(softmax(x, 1), onehotOf(x, t)), unsqueeze(gv, 1)) };
  },
  jvp: (d, { input: x, target: t, ignoreIndex }) => [mul(sum(mul(sub(softmax(x, 1), onehotOf(x, t)), d.input), 1), cast(ne(t, ignoreIndex), x.dtype)), null, null],
  cases: [{
    label: 'row losses, an ignored row', shapes: [[3, 5]], call: (f, x) => (f(x, classes(x, [1, -100, 4])) as unknown as { loss: Tensor }).loss,
    expect: (_R, x) => ceRef(x, [1, -100, 4], { reduction: 'none' }),
    torch: "F.cross_entropy(x[0], torch.tensor([1, -100, 4]), reduction='none')",
  }],
});

/**
 * The float64 reference of crossEntropy with class targets t (flat over [N, d...]; [C] logits with one target
 * when unbatched): per position (1 − ε)·(−w_t·lp_t) + ε/C·(−Σ_c w_c·lp_c), 0 where t = ignoreIndex; mean divides
 * by Σ w_t over the kept positions.
 */
function ceRef(x: Arr, t: number[], o: { weight?: number[]; ignoreIndex?: number; eps?: number; reduction?: Reduction }): Arr {
  const unbatched = x.shape.length === 1;
  const C = x.shape[unbatched ? 0 : 1]!;
  const D = unbatched ? 1 : x.shape.slice(2).reduce((a, b) => a * b, 1);
  const N = unbatched ? 1 : x.shape[0]!;
  const w = (c: number) => (o.weight ? o.weight[c]! : 1);
  const eps = o.eps ?? 0, ignore = o.ignoreIndex ?? -100;
  const loss: number[] = [];
  let wSum = 0;
  for (let n = 0; n < N; n++) for (let j = 0; j < D; j++) {
    const tc = t[n * D + j]!;
    if (tc === ignore) { loss.push(0); continue; }
    const row = Array.from({ length: C }, (_, c) => x.data[(n * C + c) * D + j]!);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    const nll = -w(tc) * (row[tc]! - lse);
    const smooth = -row.reduce((a, v, c) => a + w(c) * (v - lse), 0);
    loss.push((1 - eps) * nll + (eps / C) * smooth);
    wSum += w(tc);
  }
  const total = loss.reduce((a, b) => a + b, 0);
  if (o.reduction === 'none') return { shape: unbatched ? [] : [N, ...x.shape.slice(2)], data: loss };
  return { shape: [], data: [o.reduction === 'sum' ? total : total / wSum] };
}

function reduceWeighted(loss: Tensor, w: Tensor, reduction: Reduction, unbatched: boolean): Tensor {
  if (reduction === 'none') return unbatched ? reshape(loss, []) : loss;
  if (reduction === 'sum') return sum(loss);
  return div(sum(loss), sum(w));
}

/** nllLoss's float64 reference: −w_t·x_t per position (0 where t = ignoreIndex), mean over Σ w_t */
function nllRef(x: Arr, t: number[], o: { weight?: number[]; ignoreIndex?: number; reduction?: Reduction }): Arr {
  const [N, C] = x.shape as [number, number];
  const ignore = o.ignoreIndex ?? -100;
  const w = (c: number) => (o.weight ? o.weight[c]! : 1);
  const loss = t.map((tc, n) => (tc === ignore ? 0 : -w(tc) * x.data[n * C + tc]!));
  const total = loss.reduce((a, b) => a + b, 0);
  if (o.reduction === 'none') return { shape: [N], data: loss };
  return { shape: [], data: [o.reduction === 'sum' ? total : total / t.reduce((a, tc) => a + (tc === ignore ? 0 : w(tc)), 0)] };
}

const nllWeight = [1, 0.3, 2];

/** Negative log-likelihood of int32 class targets under log-probabilities [N, C, d1...] (or [C]): −w_t·input_t. */
export const nllLoss = defineOp({
  name: 'nllLoss',
  args: [tensor('input'), tensor('target'), options('options', { weight: optTensor('weight'), ignoreIndex: int('ignoreIndex', -100), reduction: reductionArg() })],
  composite: true,
  forward: ({ input, target, options: o }) => {
    [input] = autocastF32(input); // autocast dispatch (src/amp/autocast.ts)
    const op = 'nllLoss';
    checkFloat(op, 'input', input);
    if (target.dtype !== 'int32') throw new TypeError(`${op}: target ${target.describe()} must be an int32 tensor of class indices, got ${target.dtype}`);
    const { x, t, unbatched } = classTargets(op, input, target, 'input', o.ignoreIndex);
    const weight = checkWeight(op, o.weight, x.shape[1]!, x);
    const { loss, w } = nllCore(x, t, weight, o.ignoreIndex);
    return reduceWeighted(loss, w, o.reduction, unbatched);
  },
  cases: (['mean', 'sum', 'none'] as const).map((reduction) => ({
    label: `${reduction}, weight, ignoreIndex`, shapes: [[4, 3]],
    call: (f: (...a: never[]) => Tensor, x: Tensor) => (f as unknown as NllFn)(x, classes(x, [0, 2, -100, 1]), { reduction, weight: floats(x, nllWeight) }),
    expect: (_R: RefLib, x: Arr) => nllRef(x, [0, 2, -100, 1], { reduction, weight: nllWeight }),
    // class targets are int64 in torch, weights float64
    torch: `F.nll_loss(x[0], torch.tensor([0, 2, -100, 1]), weight=torch.tensor([1, 0.3, 2], dtype=torch.float64), reduction='${reduction}')`,
  })),
});
type NllFn = (x: Tensor, t: Tensor, o: { reduction: Reduction; weight: Tensor }) => Tensor;

const ceWeight = [0.5, 2, 1.5];

/**
 * Cross-entropy between logits [N, C, d1...] (or [C]) and either int32 class indices [N, d1...] or class
 * probabilities with the logits' shape: logSoftmax + NLL, stable at ±1e4; for mean reduction the gradient
 * w.r.t. the logits is (softmax − onehot)/N. Class targets on 2-D logits without smoothing run the fused
 * crossEntropyRows node where the backend has its kernels. Label smoothing ε mixes the target with the uniform
 * distribution: (1 − ε)·nll + ε/C·Σ_c −w_c·lp_c.
 */
export const crossEntropy = defineOp({
  name: 'crossEntropy',
  args: [tensor('logits'), tensor('target'), options('options', {
    weight: optTensor('weight'), ignoreIndex: int('ignoreIndex', -100), reduction: reductionArg(), labelSmoothing: num('labelSmoothing', 0),
  })],
  composite: true,
  forward: ({ logits, target, options: o }) => {
    [logits, target] = autocastF32(logits, target); // autocast dispatch (src/amp/autocast.ts)
    const op = 'crossEntropy';
    checkFloat(op, 'logits', logits);
    const { reduction, ignoreIndex, labelSmoothing: eps } = o;
    if (!(eps >= 0 && eps <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
    if (logits.ndim === 0) throw new Error(`${op}: logits must have at least 1 dimension (classes), got a 0-d tensor`);
    const classDim = logits.ndim === 1 ? 0 : 1;
    const C = logits.shape[classDim]!;

    if (isFloat(target.dtype)) {
      // probability targets: −Σ_c w_c·t_c·log p_c, with 0·log 0 = 0
      if (target.ndim !== logits.ndim || target.shape.some((s, i) => s !== logits.shape[i])) {
        throw new Error(`${op}: probability target ${fmt(target.shape)} does not match logits ${fmt(logits.shape)}: expected ${fmt(logits.shape)} (or int32 class indices of shape ${fmt(logits.ndim === 1 ? [] : [logits.shape[0]!, ...logits.shape.slice(2)])})`);
      }
      const weight = checkWeight(op, o.weight, C, logits);
      const lp = logSoftmax(logits, classDim);
      let tp: Tensor = target.dtype === lp.dtype ? target : cast(target, lp.dtype);
      if (eps > 0) tp = add(mul(tp, 1 - eps), eps / C);
      const zero = eq(tp, 0);
      let term = mul(tp, where(zero, 0, lp));
      if (weight) term = mul(term, classView(weight, logits.ndim));
      const perElem = neg(sum(term, classDim));
      if (reduction === 'none') return perElem;
      if (reduction === 'sum') return sum(perElem);
      return div(sum(perElem), logits.numel() / C);
    }

    if (target.dtype !== 'int32') throw new TypeError(`${op}: target ${target.describe()} must be int32 class indices or float probabilities, got ${target.dtype}`);
    const { x, t, unbatched } = classTargets(op, logits, target, 'logits', ignoreIndex);
    const weight = checkWeight(op, o.weight, C, x);
    const b = x.backend;
    if (eps === 0 && b.crossEntropyRows && b.crossEntropyRowsGrad && x.ndim === 2 && x.numel() > 0) {
      const r = crossEntropyRows(x, t, ignoreIndex) as unknown as { loss: Tensor; max: Tensor; logSum: Tensor };
      // max and logSum are saved for backward when the node was recorded; otherwise nothing reads them
      if (!r.loss.requiresGrad) { r.max.dispose(); r.logSum.dispose(); }
      const { w } = targetWeights(t, weight, ignoreIndex, x.dtype);
      return reduceWeighted(weight ? mul(r.loss, w) : r.loss, w, reduction, unbatched);
    }
    const lp = logSoftmax(x, 1);
    const { loss, w } = nllCore(lp, t, weight, ignoreIndex);
    const nll = reduceWeighted(loss, w, reduction, unbatched);
    if (eps === 0) return nll;
    // label smoothing (PyTorch): (1 − ε)·nll + ε/C · Σ_c −w_c·lp_c, ignored positions masked out
    const valid = cast(ne(t, ignoreIndex), lp.dtype);
    const wl = weight ? mul(lp, classView(weight, x.ndim)) : lp;
    let smooth = mul(neg(sum(wl, 1)), valid);
    if (reduction === 'none') smooth = unbatched ? reshape(smooth, []) : smooth;
    else if (reduction === 'sum') smooth = sum(smooth);
    else smooth = div(sum(smooth), sum(w));
    return add(mul(nll, 1 - eps), mul(smooth, eps / C));
  },
  cases: [
    ...(['mean', 'sum', 'none'] as const).map((reduction) => ({
      label: `class targets ${reduction}`, shapes: [[4, 3]],
      call: (f: CeFn, x: Tensor) => f(x, classes(x, [2, 0, 1, 2]), { reduction }),
      expect: (_R: RefLib, x: Arr) => ceRef(x, [2, 0, 1, 2], { reduction }),
      torch: `F.cross_entropy(x[0], torch.tensor([2, 0, 1, 2]), reduction='${reduction}')`,
    })),
    {
      label: 'weight, ignoreIndex, labelSmoothing 0.1', shapes: [[4, 3]],
      call: (f, x) => f(x, classes(x, [2, -1, 1, 0]), { weight: floats(x, ceWeight), ignoreIndex: -1, labelSmoothing: 0.1 }),
      expect: (_R, x) => ceRef(x, [2, -1, 1, 0], { weight: ceWeight, ignoreIndex: -1, eps: 0.1 }),
      torch: 'F.cross_entropy(x[0], torch.tensor([2, -1, 1, 0]), weight=torch.tensor([0.5, 2, 1.5], dtype=torch.float64), ignore_index=-1, label_smoothing=0.1)',
    },
    {
      label: 'weight, ignoreIndex, none (fused rows)', shapes: [[4, 3]],
      call: (f, x) => f(x, classes(x, [2, -1, 1, 0]), { weight: floats(x, ceWeight), ignoreIndex: -1, reduction: 'none' }),
      expect: (_R, x) => ceRef(x, [2, -1, 1, 0], { weight: ceWeight, ignoreIndex: -1, reduction: 'none' }),
      torch: "F.cross_entropy(x[0], torch.tensor([2, -1, 1, 0]), weight=torch.tensor([0.5, 2, 1.5], dtype=torch.float64), ignore_index=-1, reduction='none')",
    },
    { label: '9 classes', shapes: [[3, 9]], call: (f, x) => f(x, classes(x, [8, 0, 4])), expect: (_R, x) => ceRef(x, [8, 0, 4], {}), torch: 'F.cross_entropy(x[0], torch.tensor([8, 0, 4]))' },
    {
      label: '[N, C, d] labelSmoothing 0.3', shapes: [[2, 3, 3]],
      call: (f, x) => f(x, classes(x, [0, 2, 1, 1, 0, 2], [2, 3]), { labelSmoothing: 0.3 }),
      expect: (_R, x) => ceRef(x, [0, 2, 1, 1, 0, 2], { eps: 0.3 }),
      torch: 'F.cross_entropy(x[0], torch.tensor([[0, 2, 1], [1, 0, 2]]), label_smoothing=0.3)',
    },
    { label: 'unbatched', shapes: [[4]], call: (f, x) => f(x, classes(x, [1], [])), expect: (_R, x) => ceRef(x, [1], {}), torch: 'F.cross_entropy(x[0], torch.tensor(1))' },
    {
      // −Σ_c w_c·t'_c·lp_c, t' = (1 − ε)·t + ε/C, mean over the N rows; the target is differentiable too
      label: 'probability targets, weight, labelSmoothing 0.1', shapes: [[3, 4], [3, 4]], domain: ['real', 'prob'],
      call: (f, x, tp) => f(x, tp, { labelSmoothing: 0.1, weight: floats(x, [1, 2, 0.5, 1]) }),
      expect: (R, x, tp) => {
        const lp = R.bin((v, l) => v - l)(x, R.reduce(R.lse, [1], true)(x));
        const wt = { shape: [1, 4], data: [1, 2, 0.5, 1] };
        const term = R.nary((p, q, w) => -w * (0.9 * q + 0.1 / 4) * p)(lp, tp, wt);
        return { shape: [], data: [R.sum(term.data) / 3] };
      },
      torch: 'F.cross_entropy(x[0], x[1], weight=torch.tensor([1, 2, 0.5, 1], dtype=torch.float64), label_smoothing=0.1)',
    },
  ],
});
type CeFn = (x: Tensor, t: Tensor, o?: { reduction?: Reduction; weight?: Tensor; ignoreIndex?: number; labelSmoothing?: number }) => Tensor;

function elementwiseLossInputs(op: string, input: Tensor, target: Tensor): [Tensor, Tensor] {
  checkFloat(op, 'input', input);
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new Error(`${op}: target ${fmt(target.shape)} does not match input ${fmt(input.shape)}: expected ${fmt(input.shape)} (broadcasting is not applied; reshape one of them)`);
  }
  return [input, target.dtype === input.dtype ? target : cast(target, input.dtype)];
}

/** (input, target, {reduction}): the element-wise losses' schema */
const pairArgs = [tensor('input'), tensor('target'), options('options', { reduction: reductionArg() })] as const;
type PairFn = (x: Tensor, y: Tensor, o?: { reduction?: Reduction }) => Tensor;
/** mean (or sum, or none) of an element-wise reference f(x, y) */
const reducedRef = (R: RefLib, f: (x: number, y: number) => number, reduction: Reduction, x: Arr, y: Arr): Arr => {
  const e = R.bin(f)(x, y);
  return reduction === 'none' ? e : { shape: [], data: [reduction === 'sum' ? R.sum(e.data) : R.mean(e.data)] };
};
/** rows of a pair loss, one per reduction; torchFn is its torch.nn.functional name */
const pairCases = (f: (x: number, y: number) => number, torchFn: string, shape: number[], reductions: readonly Reduction[]) => reductions.map((reduction) => ({
  label: reduction, shapes: [shape, shape],
  call: (op: PairFn, x: Tensor, y: Tensor) => op(x, y, { reduction }),
  expect: (R: RefLib, x: Arr, y: Arr) => reducedRef(R, f, reduction, x, y),
  torch: `F.${torchFn}(x[0], x[1], reduction='${reduction}')`,
}));

/** mean/sum of (input − target)²; both inputs are differentiable (d/dx = 2(x − y), d/dy = −2(x − y)) */
export const mseLoss = defineOp({
  name: 'mseLoss', args: pairArgs, composite: true,
  forward: ({ input, target, options: o }) => {
    [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
    const [x, y] = elementwiseLossInputs('mseLoss', input, target);
    return reduceLoss(square(sub(x, y)), o.reduction);
  },
  cases: pairCases((x, y) => (x - y) ** 2, 'mse_loss', [3, 4], ['mean', 'none', 'sum']),
});

/** mean/sum of |input − target| (gradient sign(x − y), 0 at equality) */
export const l1Loss = defineOp({
  name: 'l1Loss', args: pairArgs, composite: true,
  forward: ({ input, target, options: o }) => {
    [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
    const [x, y] = elementwiseLossInputs('l1Loss', input, target);
    return reduceLoss(abs(sub(x, y)), o.reduction);
  },
  cases: pairCases((x, y) => Math.abs(x - y), 'l1_loss', [3, 4], ['mean', 'sum']),
});

/** Huber: ½d² where |d| < δ, else δ(|d| − ½δ) (default δ = 1); d = input − target */
export const huberLoss = defineOp({
  name: 'huberLoss',
  args: [tensor('input'), tensor('target'), options('options', { reduction: reductionArg(), delta: num('delta', 1) })],
  composite: true,
  forward: ({ input, target, options: o }) => {
    [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
    const [x, y] = elementwiseLossInputs('huberLoss', input, target);
    const delta = o.delta;
    if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
    const d = sub(x, y);
    const ad = abs(d);
    const loss = where(lt(ad, delta), mul(square(d), 0.5), mul(sub(ad, 0.5 * delta), delta));
    return reduceLoss(loss, o.reduction);
  },
  cases: ([['mean', 0.5], ['none', 0.7]] as const).map(([reduction, delta]) => ({
    label: `${reduction} delta ${delta}`, shapes: [[3, 4], [3, 4]],
    call: (f: (...a: never[]) => Tensor, x: Tensor, y: Tensor) => (f as unknown as (x: Tensor, y: Tensor, o: object) => Tensor)(x, y, { reduction, delta }),
    expect: (R: RefLib, x: Arr, y: Arr) => reducedRef(R, (a, b) => (Math.abs(a - b) < delta ? 0.5 * (a - b) ** 2 : delta * (Math.abs(a - b) - 0.5 * delta)), reduction, x, y),
    torch: `F.huber_loss(x[0], x[1], reduction='${reduction}', delta=${delta})`,
  })),
});

/** A per-element weight broadcasts to the input, never the other way: `loss` (weighted) must keep the input's shape. */
function checkWidens(op: string, name: string, w: Tensor, loss: Tensor, input: Tensor): void {
  if (!sameShape(loss.shape, input.shape)) throw new Error(`${op}: ${name} ${fmt(w.shape)} does not broadcast to input ${fmt(input.shape)}`);
}

/** log clamped at −100, as PyTorch's BCE (finite at p = 0 or 1); the where-guard keeps NaN out. */
function clampedLog(p: Tensor): Tensor {
  const pos = gt(p, 0);
  return clamp(where(pos, log(where(pos, p, 1)), -100), -100);
}
/** ∂/∂p of −(y·log p + (1 − y)·log(1 − p)): (p − y) / max(p(1 − p), 1e-12) (PyTorch's) */
const bceDp = (p: Tensor, y: Tensor) => div(sub(p, y), clamp(mul(p, sub(1, p)), 1e-12));
/** ∂/∂y: log(1 − p) − log p, unclamped: ±Inf at p = 0 or 1 (PyTorch) */
const bceDy = (p: Tensor) => sub(log1p(neg(p)), log(p));
const bceRef = (p: number, y: number) => -(y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100));

/**
 * The element-wise terms of binaryCrossEntropy, one node: −(y·log p + (1 − y)·log(1 − p)) with the logs clamped
 * at −100. dp = g·(p − y)/max(p(1 − p), 1e-12), dy = g·(log(1 − p) − log p); ẏ = ṗ·∂/∂p + ẏ_t·∂/∂y.
 */
export const binaryCrossEntropyTerms = defineOp({
  name: 'binaryCrossEntropyTerms', args: [tensor('input'), tensor('target')],
  forward: ({ input: p, target: y }) => noGrad(() => neg(add(mul(y, clampedLog(p)), mul(sub(1, y), clampedLog(sub(1, p)))))),
  saves: ['input', 'target'],
  vjp: (g, { input: p, target: y, needs }) => ({ input: needs.input ? mul(g, bceDp(p, y)) : null, target: needs.target ? mul(g, bceDy(p)) : null }),
  // a target without a tangent contributes nothing (its zero tangent times an infinite ∂/∂y at p = 0 or 1 would be NaN)
  jvp: (t, { input: p, target: y }) => add(mul(t.input, bceDp(p, y)), where(ne(t.target, 0), mul(t.target, bceDy(p)), 0)),
  cases: [{ shapes: [[2, 3], [2, 3]], domain: 'prob', ref: bceRef, torch: "F.binary_cross_entropy(x[0], x[1], reduction='none')" }],
});

/**
 * Binary cross-entropy on probabilities p ∈ [0, 1]: −w·(y·log p + (1 − y)·log(1 − p)), logs clamped
 * at −100. Backward (PyTorch's): dp = g·w·(p − y) / max(p(1 − p), 1e-12), dy = g·w·(log(1−p) − log p).
 */
export const binaryCrossEntropy = defineOp({
  name: 'binaryCrossEntropy',
  args: [tensor('input'), tensor('target'), options('options', { weight: optTensor('weight'), reduction: reductionArg() })],
  composite: true,
  forward: ({ input, target, options: o }) => {
    [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
    const op = 'binaryCrossEntropy';
    const [pp, yy] = elementwiseLossInputs(op, input, target);
    // a host read: checked only where the backend reads synchronously (see checkIndexRange)
    if (capabilitiesOf(pp.backend).syncRead) noGrad(() => {
      const d = pp.data();
      for (let i = 0; i < d.length; i++) {
        if (!(d[i]! >= 0 && d[i]! <= 1)) throw new RangeError(`${op}: all elements of input ${pp.describe()} should be between 0 and 1, found ${d[i]} at flat index ${i}`);
      }
    });
    const w = o.weight ? (o.weight.dtype === pp.dtype ? o.weight : cast(o.weight, pp.dtype)) : null;
    let loss = binaryCrossEntropyTerms(pp, yy);
    if (w) {
      loss = mul(loss, w);
      // the weight broadcasts to the input, never the other way (PyTorch refuses a weight that widens the loss)
      checkWidens(op, 'weight', w, loss, pp);
    }
    return reduceLoss(loss, o.reduction);
  },
  cases: [
    {
      label: 'weight', shapes: [[2, 3], [2, 3]], domain: 'prob',
      call: (f, p, y) => f(p, y, { weight: floats(p, [1, 2, 0.5]) }),
      expect: (R, p, y) => ({ shape: [], data: [R.mean(R.nary((a, b, w) => w * bceRef(a, b))(p, y, { shape: [3], data: [1, 2, 0.5] }).data)] }),
      torch: 'F.binary_cross_entropy(x[0], x[1], weight=torch.tensor([1, 2, 0.5], dtype=torch.float64))',
    },
    { label: 'sum', shapes: [[2, 2], [2, 2]], domain: 'prob', call: (f, p, y) => f(p, y, { reduction: 'sum' }), expect: (R, p, y) => ({ shape: [], data: [R.sum(R.bin(bceRef)(p, y).data)] }), torch: "F.binary_cross_entropy(x[0], x[1], reduction='sum')" },
  ],
});

/** −w·[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))] */
const bceLogitsRef = (x: number, y: number, pw: number, w: number) => -w * (pw * y * -Math.log1p(Math.exp(-x)) + (1 - y) * (-x - Math.log1p(Math.exp(-x))));

/**
 * BCE on logits, stable for any x: max(x,0) − x·y + log1p(exp(−|x|)), written as (1−y)·x + softplus(−x).
 * With posWeight pw: (1−y)·x + (1 + (pw−1)·y)·softplus(−x). weight scales each element.
 */
export const binaryCrossEntropyWithLogits = defineOp({
  name: 'binaryCrossEntropyWithLogits',
  args: [tensor('input'), tensor('target'), options('options', { weight: optTensor('weight'), posWeight: optTensor('posWeight'), reduction: reductionArg() })],
  composite: true,
  forward: ({ input, target, options: o }) => {
    [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
    const op = 'binaryCrossEntropyWithLogits';
    const [xx, yy] = elementwiseLossInputs(op, input, target);
    const sp = softplus(neg(xx));
    let loss: Tensor;
    if (o.posWeight) {
      const pw = o.posWeight.dtype === xx.dtype ? o.posWeight : cast(o.posWeight, xx.dtype);
      loss = add(mul(sub(1, yy), xx), mul(add(mul(sub(pw, 1), yy), 1), sp));
    } else {
      loss = add(mul(sub(1, yy), xx), sp);
    }
    if (o.posWeight) checkWidens(op, 'posWeight', o.posWeight, loss, xx);
    if (o.weight) {
      loss = mul(loss, o.weight.dtype === xx.dtype ? o.weight : cast(o.weight, xx.dtype));
      checkWidens(op, 'weight', o.weight, loss, xx);
    }
    return reduceLoss(loss, o.reduction);
  },
  cases: [
    { shapes: [[2, 3], [2, 3]], domain: ['real', 'prob'], expect: (R, x, y) => ({ shape: [], data: [R.mean(R.bin((a, b) => bceLogitsRef(a, b, 1, 1))(x, y).data)] }), torch: 'F.binary_cross_entropy_with_logits(x[0], x[1])' },
    {
      label: 'posWeight, weight', shapes: [[2, 3], [2, 3]], domain: ['real', 'prob'],
      call: (f, x, y) => f(x, y, { posWeight: floats(x, [1.5, 0.5, 2]), weight: floats(x, [1, 3], [2, 1]) }),
      expect: (R, x, y) => ({ shape: [], data: [R.mean(R.nary(bceLogitsRef)(x, y, { shape: [3], data: [1.5, 0.5, 2] }, { shape: [2, 1], data: [1, 3] }).data)] }),
      torch: 'F.binary_cross_entropy_with_logits(x[0], x[1], weight=torch.tensor([[1], [3]], dtype=torch.float64), pos_weight=torch.tensor([1.5, 0.5, 2], dtype=torch.float64))',
    },
  ],
});
