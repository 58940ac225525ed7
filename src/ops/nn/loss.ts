/**
 * Losses (PyTorch semantics). crossEntropy = logSoftmax + NLL, so its gradient w.r.t. the logits is
 * (softmax − onehot)/N for mean reduction and it stays finite at logits ±1e4.
 * With class-index targets on [N, C] logits (the classifier and language-model case) it is one fused node:
 * the backend's crossEntropyRows kernel computes logsumexp and the loss in one pass, without writing the
 * log-probabilities, and backward is one pass of (softmax − onehot)·g.
 */
import { autocastF32 } from '../../amp/autocast.js';
import { isGradEnabled, noGrad } from '../../autograd/gradMode.js';
import { record } from '../../autograd/record.js';
import { isFloat } from '../../dtype.js';
import { fmt } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { abs, add, cast, clamp, div, eq, gt, log, log1p, lt, mul, ne, neg, softplus, square, sub, where } from '../elementwise.js';
import { sum } from '../reduce.js';
import { gather, indexSelect } from '../indexing.js';
import { reshape, squeeze, unsqueeze } from '../movement.js';
import { logSoftmax, softmax } from './activation.js';
import { capabilitiesOf } from '../../backends/backend.js';
import { checkFloat, checkIndexRange, checkReduction, checkTensorArg, reduceLoss, type Reduction } from './_util.js';

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

/**
 * The fused node: per-row loss[r] = logsumexp(x[r]) − x[r, t_r] (0 where t_r = ignoreIndex) of 2-D logits x
 * [N, C], from the backend's crossEntropyRows kernel; null where the backend has none (the caller composes).
 * Backward: dx = (softmax(x) − onehot(t))·g per row (the derivative of logsumexp(x) − x_t). Without createGraph it is the backend's
 * one-pass crossEntropyRowsGrad; with it, the same formula in ops, so it differentiates again.
 */
function crossEntropyRowsFused(x: Tensor, t: Tensor, ignoreIndex: number): Tensor | null {
  const b = x.backend;
  if (!b.crossEntropyRows || !b.crossEntropyRowsGrad || x.ndim !== 2 || x.numel() === 0) return null;
  const xc = x.isContiguous() ? x : x.contiguous();
  const k = b.crossEntropyRows(xc.backendView(), t.backendView(), ignoreIndex);
  const rows = [x.shape[0]!];
  const rowLoss = Tensor.fromData(b, k.loss, rows, x.dtype);
  const max = Tensor.fromData(b, k.max, rows, x.dtype), logSum = Tensor.fromData(b, k.logSum, rows, x.dtype);
  record('crossEntropy', [xc], [rowLoss], [xc, t, max, logSum], ([g], [xs, ts, ms, ls]) => {
    if (!isGradEnabled()) {
      const gc = g!.isContiguous() ? g! : g!.contiguous();
      const dx = b.crossEntropyRowsGrad!(xs!.backendView(), ms!.backendView(), ls!.backendView(), ts!.backendView(), gc.backendView(), ignoreIndex);
      return [Tensor.fromData(b, dx, xs!.shape, xs!.dtype)];
    }
    const C = xs!.shape[1]!;
    const classes = Tensor.fromValues(Int32Array.from({ length: C }, (_, i) => i), [C], 'int32', b);
    const onehot = cast(eq(unsqueeze(ts!, 1), classes), xs!.dtype);
    const gv = mul(g!, cast(ne(ts!, ignoreIndex), xs!.dtype));
    return [mul(sub(softmax(xs!, 1), onehot), unsqueeze(gv, 1))];
  }, ([dx]) => {
    // ẏ[r] = Σ_c (softmax(x) − onehot(t))[r, c]·ẋ[r, c], 0 for ignored rows
    const C = xc.shape[1]!;
    const classes = Tensor.fromValues(Int32Array.from({ length: C }, (_, i) => i), [C], 'int32', b);
    const onehot = cast(eq(unsqueeze(t, 1), classes), xc.dtype);
    return [mul(sum(mul(sub(softmax(xc, 1), onehot), dx!), 1), cast(ne(t, ignoreIndex), xc.dtype))];
  });
  // saved for backward when the node was recorded; otherwise nothing reads it
  if (!rowLoss.requiresGrad) { max.dispose(); logSum.dispose(); }
  return rowLoss;
}

function reduceWeighted(loss: Tensor, w: Tensor, reduction: Reduction, unbatched: boolean): Tensor {
  if (reduction === 'none') return unbatched ? reshape(loss, []) : loss;
  if (reduction === 'sum') return sum(loss);
  return div(sum(loss), sum(w));
}

/** Negative log-likelihood of int32 class targets under log-probabilities [N, C, d1...] (or [C]). */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  [input] = autocastF32(input); // autocast dispatch (src/amp/autocast.ts)
  const op = 'nllLoss';
  checkTensorArg(op, 'input', input);
  checkTensorArg(op, 'target', target);
  checkFloat(op, 'input', input);
  if (target.dtype !== 'int32') throw new TypeError(`${op}: target ${target.describe()} must be an int32 tensor of class indices, got ${target.dtype}`);
  const reduction = checkReduction(op, opts.reduction);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const { x, t, unbatched } = classTargets(op, input, target, 'input', ignoreIndex);
  const weight = checkWeight(op, opts.weight, x.shape[1]!, x);
  const { loss, w } = nllCore(x, t, weight, ignoreIndex);
  return reduceWeighted(loss, w, reduction, unbatched);
}

/**
 * Cross-entropy between logits [N, C, d1...] (or [C]) and either int32 class indices [N, d1...] or
 * class probabilities with the logits' shape. Fused as logSoftmax + NLL: stable at ±1e4, and for mean
 * reduction the gradient w.r.t. the logits is (softmax − onehot)/N.
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  [logits, target] = autocastF32(logits, target); // autocast dispatch (src/amp/autocast.ts)
  const op = 'crossEntropy';
  checkTensorArg(op, 'logits', logits);
  checkTensorArg(op, 'target', target);
  checkFloat(op, 'logits', logits);
  const reduction = checkReduction(op, opts.reduction);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (logits.ndim === 0) throw new Error(`${op}: logits must have at least 1 dimension (classes), got a 0-d tensor`);
  const classDim = logits.ndim === 1 ? 0 : 1;
  const C = logits.shape[classDim]!;

  if (isFloat(target.dtype)) {
    // probability targets: −Σ_c w_c·t_c·log p_c, with 0·log 0 = 0
    if (target.ndim !== logits.ndim || target.shape.some((s, i) => s !== logits.shape[i])) {
      throw new Error(`${op}: probability target ${fmt(target.shape)} does not match logits ${fmt(logits.shape)}: expected ${fmt(logits.shape)} (or int32 class indices of shape ${fmt(logits.ndim === 1 ? [] : [logits.shape[0]!, ...logits.shape.slice(2)])})`);
    }
    const weight = checkWeight(op, opts.weight, C, logits);
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
  const weight = checkWeight(op, opts.weight, C, x);
  if (eps === 0) {
    const rowLoss = crossEntropyRowsFused(x, t, ignoreIndex);
    if (rowLoss) {
      const { w } = targetWeights(t, weight, ignoreIndex, x.dtype);
      return reduceWeighted(weight ? mul(rowLoss, w) : rowLoss, w, reduction, unbatched);
    }
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
}

function elementwiseLossInputs(op: string, input: Tensor, target: Tensor): [Tensor, Tensor] {
  checkTensorArg(op, 'input', input);
  checkTensorArg(op, 'target', target);
  checkFloat(op, 'input', input);
  if (input.ndim !== target.ndim || input.shape.some((s, i) => s !== target.shape[i])) {
    throw new Error(`${op}: target ${fmt(target.shape)} does not match input ${fmt(input.shape)}: expected ${fmt(input.shape)} (broadcasting is not applied; reshape one of them)`);
  }
  return [input, target.dtype === input.dtype ? target : cast(target, input.dtype)];
}

/** mean/sum of (input − target)² */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
  const [x, y] = elementwiseLossInputs('mseLoss', input, target);
  return reduceLoss(square(sub(x, y)), checkReduction('mseLoss', opts.reduction));
}

/** mean/sum of |input − target| (gradient sign(x − y), 0 at equality) */
export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
  const [x, y] = elementwiseLossInputs('l1Loss', input, target);
  return reduceLoss(abs(sub(x, y)), checkReduction('l1Loss', opts.reduction));
}

/** Huber: ½d² where |d| < δ, else δ(|d| − ½δ) (default δ = 1) */
export function huberLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; delta?: number } = {}): Tensor {
  [input, target] = autocastF32(input, target); // autocast dispatch (src/amp/autocast.ts)
  const [x, y] = elementwiseLossInputs('huberLoss', input, target);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
  const d = sub(x, y);
  const ad = abs(d);
  const loss = where(lt(ad, delta), mul(square(d), 0.5), mul(sub(ad, 0.5 * delta), delta));
  return reduceLoss(loss, checkReduction('huberLoss', opts.reduction));
}

/** log clamped at −100, as PyTorch's BCE (finite at p = 0 or 1); the where-guard keeps NaN out. */
function clampedLog(p: Tensor): Tensor {
  const pos = gt(p, 0);
  return clamp(where(pos, log(where(pos, p, 1)), -100), -100);
}

/**
 * Binary cross-entropy on probabilities p ∈ [0, 1]: −w·(y·log p + (1 − y)·log(1 − p)), logs clamped
 * at −100. Backward (PyTorch's): dp = g·w·(p − y) / max(p(1 − p), 1e-12), dy = g·w·(log(1−p) − log p).
 */
export function binaryCrossEntropy(p: Tensor, y: Tensor, opts: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  [p, y] = autocastF32(p, y); // autocast dispatch (src/amp/autocast.ts)
  const op = 'binaryCrossEntropy';
  const [pp, yy] = elementwiseLossInputs(op, p, y);
  const reduction = checkReduction(op, opts.reduction);
  // a host read: checked only where the backend reads synchronously (see checkIndexRange)
  if (capabilitiesOf(pp.backend).syncRead) noGrad(() => {
    const d = pp.data();
    for (let i = 0; i < d.length; i++) {
      if (!(d[i]! >= 0 && d[i]! <= 1)) throw new RangeError(`${op}: all elements of input ${pp.describe()} should be between 0 and 1, found ${d[i]} at flat index ${i}`);
    }
  });
  let w: Tensor | null = null;
  if (opts.weight) {
    checkTensorArg(op, 'weight', opts.weight);
    w = opts.weight.dtype === pp.dtype ? opts.weight : cast(opts.weight, pp.dtype);
  }
  const loss = bceElementwise(pp, yy);
  return reduceLoss(w ? mul(loss, w) : loss, reduction);
}

/** −(y·log p + (1 − y)·log(1 − p)) with its PyTorch backward, recorded as one node. */
function bceElementwise(p: Tensor, y: Tensor): Tensor {
  const out = noGrad(() => neg(add(mul(y, clampedLog(p)), mul(sub(1, y), clampedLog(sub(1, p))))));
  // ∂/∂p = (p − y) / max(p(1 − p), 1e-12); ∂/∂y = log(1 − p) − log p, unclamped: ±Inf at p = 0 or 1 (PyTorch)
  const dP = (ps: Tensor, ys: Tensor) => div(sub(ps, ys), clamp(mul(ps, sub(1, ps)), 1e-12));
  const dY = (ps: Tensor) => sub(log1p(neg(ps)), log(ps));
  record('binaryCrossEntropy', [p, y], [out], [p, y], ([g], [ps, ys], needs) => [
    needs[0] ? mul(g!, dP(ps!, ys!)) : null,
    needs[1] ? mul(g!, dY(ps!)) : null,
  ], ([dp, dy]) => {
    const a = dp ? mul(dp, dP(p, y)) : null, c = dy ? mul(dy, dY(p)) : null;
    return [a && c ? add(a, c) : a ?? c];
  });
  return out;
}

/**
 * BCE on logits, stable for any x: max(x,0) − x·y + log1p(exp(−|x|)), written as (1−y)·x + softplus(−x).
 * With posWeight pw: (1−y)·x + (1 + (pw−1)·y)·softplus(−x). weight scales each element.
 */
export function binaryCrossEntropyWithLogits(
  x: Tensor,
  y: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  [x, y] = autocastF32(x, y); // autocast dispatch (src/amp/autocast.ts)
  const op = 'binaryCrossEntropyWithLogits';
  const [xx, yy] = elementwiseLossInputs(op, x, y);
  const reduction = checkReduction(op, opts.reduction);
  const sp = softplus(neg(xx));
  let loss: Tensor;
  if (opts.posWeight) {
    checkTensorArg(op, 'posWeight', opts.posWeight);
    const pw = opts.posWeight.dtype === xx.dtype ? opts.posWeight : cast(opts.posWeight, xx.dtype);
    loss = add(mul(sub(1, yy), xx), mul(add(mul(sub(pw, 1), yy), 1), sp));
  } else {
    loss = add(mul(sub(1, yy), xx), sp);
  }
  if (loss.ndim !== xx.ndim || loss.shape.some((s, i) => s !== xx.shape[i])) {
    throw new Error(`${op}: posWeight ${fmt(opts.posWeight!.shape)} does not broadcast to input ${fmt(xx.shape)}`);
  }
  if (opts.weight) {
    checkTensorArg(op, 'weight', opts.weight);
    loss = mul(loss, opts.weight.dtype === xx.dtype ? opts.weight : cast(opts.weight, xx.dtype));
    if (loss.ndim !== xx.ndim || loss.shape.some((s, i) => s !== xx.shape[i])) throw new Error(`${op}: weight ${fmt(opts.weight.shape)} does not broadcast to input ${fmt(xx.shape)}`);
  }
  return reduceLoss(loss, reduction);
}
