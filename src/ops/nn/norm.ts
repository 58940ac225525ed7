/**
 * Normalisation: layerNorm, rmsNorm, batchNorm.
 * layerNorm and batchNorm share one fused node `normalize` (x ↦ x̂ = (x − μ)/√(σ² + ε), biased σ²)
 * whose backward is the closed form below, written in ops:
 *   dx = rstd ⊙ (g − mean(g) − x̂ ⊙ mean(x̂ ⊙ g)),   rstd = 1/√(σ² + ε)
 * The affine part (x̂·w + b) is ordinary ops, so dw = Σ g⊙x̂ and db = Σ g come from broadcasting.
 * For higher derivatives (createGraph) the backward recomputes x̂ and rstd from x with ops.
 * rmsNorm (x̂ = x·rstd, rstd = 1/√(mean(x²) + ε)) is a node of the same kind: dx = rstd ⊙ (g − x̂ ⊙ mean(x̂ ⊙ g)).
 * The forward of layerNorm and rmsNorm runs the backend's fused normRows kernel (one pass per row for the
 * statistics, one for the output) when it has one; the backward stays in ops either way.
 */
import { autocastF32 } from '../../amp/autocast.js';
import { isGradEnabled, noGrad } from '../../autograd/gradMode.js';
import { record } from '../../autograd/record.js';
import { fmt, numel } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { add, mul, rsqrt, square, sub } from '../elementwise.js';
import { mean } from '../reduce.js';
import { reshape } from '../movement.js';
import { add_, mul_ } from '../inplace.js';
import { checkFloat, checkTensorArg } from './_util.js';

interface Normalized {
  xhat: Tensor;
  /** batch mean and biased variance, keepdim shape (no graph) */
  mean: Tensor;
  var: Tensor;
}

function stats(x: Tensor, dims: readonly number[], eps: number): { mu: Tensor; v: Tensor; rstd: Tensor; xhat: Tensor } {
  const mu = mean(x, dims as number[], true);
  const xc = sub(x, mu);
  const v = mean(square(xc), dims as number[], true);
  const rstd = rsqrt(add(v, eps));
  return { mu, v, rstd, xhat: mul(xc, rstd) };
}

/** Record x ↦ x̂ (saved x̂ and rstd) with the closed-form backward of layer norm (centred) or RMS norm. */
function recordNorm(op: string, x: Tensor, xhat: Tensor, rstd: Tensor, dims: readonly number[], eps: number, centred: boolean): void {
  // dx = rstd·(gc − x̂·mean(x̂⊙g)), gc = g − mean(g) (layer norm) or g (RMS norm). The Jacobian
  // rstd·(I − 1/n − x̂x̂ᵀ/n) (RMS: without 1/n) is symmetric, so the tangent is the same formula of ẋ.
  const rule = (g: Tensor, xs: Tensor, xh: Tensor, rs: Tensor): Tensor => {
    // first order: the saved x̂ and rstd; with a graph: rebuild them from x so the result differentiates again
    const r = isGradEnabled() ? (centred ? stats(xs, dims, eps) : rmsStats(xs, dims, eps)) : { xhat: xh, rstd: rs };
    const d = dims as number[];
    const gc = centred ? sub(g, mean(g, d, true)) : g;
    return mul(r.rstd, sub(gc, mul(r.xhat, mean(mul(r.xhat, g), d, true))));
  };
  record(op, [x], [xhat], [x, xhat, rstd], ([g], [xs, xh, rs]) => [rule(g!, xs!, xh!, rs!)], ([dx]) => [rule(dx!, x, xhat, rstd)]);
}

/** The fused node: x̂ over `dims` with the closed-form backward. */
function normalize(op: string, x: Tensor, dims: readonly number[], eps: number): Normalized {
  const s = noGrad(() => stats(x, dims, eps));
  recordNorm(op, x, s.xhat, s.rstd, dims, eps, true);
  return { xhat: s.xhat, mean: s.mu, var: s.v };
}

function rmsStats(x: Tensor, dims: readonly number[], eps: number): { rstd: Tensor; xhat: Tensor } {
  const rstd = rsqrt(add(mean(square(x), dims as number[], true), eps));
  return { rstd, xhat: mul(x, rstd) };
}

/**
 * x̂ and rstd over the trailing `dims` from the backend's one-pass normRows kernel, where it has one and x is
 * contiguous; null otherwise (the caller composes ops).
 */
function fusedRows(x: Tensor, dims: readonly number[], eps: number, rms: boolean): { xhat: Tensor; rstd: Tensor } | null {
  const b = x.backend;
  if (!b.normRows || !x.isContiguous() || x.numel() === 0) return null;
  const cols = dims.reduce((n, d) => n * x.shape[d]!, 1);
  const { y, rstd } = b.normRows(x.backendView(), x.numel() / cols, cols, eps, rms);
  const keptShape = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
  return { xhat: Tensor.fromData(b, y, x.shape, x.dtype), rstd: Tensor.fromData(b, rstd, keptShape, x.dtype) };
}

function checkParam(op: string, name: string, p: Tensor | null | undefined, shape: readonly number[], x: Tensor): Tensor | null {
  if (p === undefined || p === null) return null;
  checkTensorArg(op, name, p);
  if (p.ndim !== shape.length || p.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`${op}: ${name} ${fmt(p.shape)} does not match input ${fmt(x.shape)}: expected ${fmt(shape)}`);
  }
  return p;
}

function trailingDims(op: string, x: Tensor, normalizedShape: number | readonly number[]): { shape: number[]; dims: number[] } {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = shape.length;
  if (k === 0) throw new Error(`${op}: normalizedShape must name at least one dimension, got []`);
  if (x.ndim < k || shape.some((s, i) => x.shape[x.ndim - k + i] !== s)) {
    throw new Error(`${op}: input ${fmt(x.shape)} does not end with normalizedShape ${fmt(shape)}: expected input of shape [*, ${shape.join(',')}]`);
  }
  return { shape, dims: shape.map((_, i) => x.ndim - k + i) };
}

/**
 * LayerNorm over the trailing `normalizedShape` dims: (x − μ)/√(σ² + ε)·w + b with the biased
 * variance and ε inside the square root; a constant row gives exactly b and finite gradients.
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  [x, weight, bias] = autocastF32(x, weight, bias); // autocast dispatch (src/amp/autocast.ts)
  const op = 'layerNorm';
  checkTensorArg(op, 'input', x);
  checkFloat(op, 'input', x);
  const { shape, dims } = trailingDims(op, x, normalizedShape);
  const w = checkParam(op, 'weight', weight, shape, x);
  const b = checkParam(op, 'bias', bias, shape, x);
  if (!(eps >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${eps}`);
  const f = fusedRows(x, dims, eps, false);
  if (f) recordNorm(op, x, f.xhat, f.rstd, dims, eps, true);
  let y = f ? f.xhat : normalize(op, x, dims, eps).xhat;
  if (w) y = mul(y, w);
  if (b) y = add(y, b);
  return y;
}

/**
 * RMSNorm over the trailing dims: x / √(mean(x²) + ε) · w. ε defaults to the dtype's machine epsilon
 * (PyTorch's default when eps is None).
 */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, eps?: number | null): Tensor {
  [x, weight] = autocastF32(x, weight); // autocast dispatch (src/amp/autocast.ts)
  const op = 'rmsNorm';
  checkTensorArg(op, 'input', x);
  checkFloat(op, 'input', x);
  const { shape, dims } = trailingDims(op, x, normalizedShape);
  const w = checkParam(op, 'weight', weight, shape, x);
  const e = eps ?? (x.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);
  if (!(e >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${e}`);
  const f = fusedRows(x, dims, e, true);
  if (f) recordNorm(op, x, f.xhat, f.rstd, dims, e, false);
  const y = f ? f.xhat : mul(x, rsqrt(add(mean(square(x), dims, true), e)));
  return w ? mul(y, w) : y;
}

export interface BatchNormOptions {
  /** batch statistics (and running-stat updates) when true; running statistics when false */
  training?: boolean;
  /** running = (1 − momentum)·running + momentum·batch (default 0.1) */
  momentum?: number;
  eps?: number;
}

/**
 * BatchNorm over [N, C] or [N, C, *] (statistics per channel C). Training normalises with the batch
 * mean and biased variance and updates runningMean / runningVar in place (no graph) with the unbiased
 * variance, as PyTorch; eval normalises with the running statistics.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight?: Tensor | null,
  bias?: Tensor | null,
  opts: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  checkTensorArg(op, 'input', x);
  checkFloat(op, 'input', x);
  if (x.ndim < 2) throw new Error(`${op}: input ${fmt(x.shape)} must be [N, C] or [N, C, *]: expected at least 2 dimensions`);
  const C = x.shape[1]!;
  const rm = checkParam(op, 'runningMean', runningMean, [C], x);
  const rv = checkParam(op, 'runningVar', runningVar, [C], x);
  if ((rm === null) !== (rv === null)) throw new Error(`${op}: runningMean and runningVar must both be given or both be null`);
  const w = checkParam(op, 'weight', weight, [C], x);
  const b = checkParam(op, 'bias', bias, [C], x);
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!(eps >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${eps}`);
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let y: Tensor;
  if (training) {
    const n = numel(x.shape) / C;
    if (n <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input of shape ${fmt(x.shape)}`);
    const r = normalize(op, x, dims, eps);
    y = r.xhat;
    if (rm && rv) {
      noGrad(() => {
        add_(mul_(rm, 1 - momentum), mul(reshape(r.mean, [C]), momentum));
        add_(mul_(rv, 1 - momentum), mul(reshape(r.var, [C]), (momentum * n) / (n - 1)));
      });
    }
  } else {
    if (!rm || !rv) throw new Error(`${op}: runningMean and runningVar are required when training is false (input ${fmt(x.shape)})`);
    y = mul(sub(x, reshape(rm, bshape)), rsqrt(add(reshape(rv, bshape), eps)));
  }
  if (w) y = mul(y, reshape(w, bshape));
  if (b) y = add(y, reshape(b, bshape));
  return y;
}
