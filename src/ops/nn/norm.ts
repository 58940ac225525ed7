/**
 * Normalisation as op records (see ../define.ts): layerNorm, rmsNorm, batchNorm are composite records (schema,
 * checks, the affine part x̂·w + b in ordinary ops, so dw = Σ g⊙x̂ and db = Σ g come from broadcasting) over two
 * nodes with their own rules:
 *   normRows (layerNorm, rmsNorm): x ↦ x̂ over the trailing dims, from the backend's fused normRows kernel (one
 *     pass per row for the statistics, one for the output) when it has one, ops otherwise;
 *   batchNormalize (batchNorm in training): x ↦ x̂ over all dims but the channel, also returning the batch mean and
 *     variance for the running statistics.
 * x̂ = (x − μ)/√(σ² + ε) (biased σ²), or x·rstd with rstd = 1/√(mean(x²) + ε) for RMS norm; both backwards are
 * the closed form, written in ops:
 *   dx = rstd ⊙ (g − mean(g) − x̂ ⊙ mean(x̂ ⊙ g))   (RMS: without − mean(g))
 */
import { autocastF32 } from '../../amp/autocast.js';
import { isGradEnabled, noGrad } from '../../autograd/gradMode.js';
import { isForwardActive } from '../../autograd/forward.js';
import { fmt, numel } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { add, mul, rsqrt, square, sub } from '../elementwise.js';
import { mean } from '../reduce.js';
import { reshape } from '../movement.js';
import { add_, mul_ } from '../inplace.js';
import { checkFloat, checkTensorArg } from './_util.js';
import { defineOp, type Arr, type RefLib } from '../define.js';
import { argError, bool, num, optNum, optTensor, options, tensor, type ArgSpec } from '../args.js';

function stats(x: Tensor, dims: readonly number[], eps: number): { mu: Tensor; v: Tensor; rstd: Tensor; xhat: Tensor } {
  const mu = mean(x, dims as number[], true);
  const xc = sub(x, mu);
  const v = mean(square(xc), dims as number[], true);
  const rstd = rsqrt(add(v, eps));
  return { mu, v, rstd, xhat: mul(xc, rstd) };
}

function rmsStats(x: Tensor, dims: readonly number[], eps: number): { rstd: Tensor; xhat: Tensor } {
  const rstd = rsqrt(add(mean(square(x), dims as number[], true), eps));
  return { rstd, xhat: mul(x, rstd) };
}

/**
 * The closed-form backward of x ↦ x̂: dx = rstd·(gc − x̂·mean(x̂⊙g)), gc = g − mean(g) (centred) or g (RMS).
 * The Jacobian rstd·(I − 1/n − x̂x̂ᵀ/n) (RMS: without 1/n) is symmetric, so the tangent is the same formula of ẋ.
 * A first-order backward reads the saved x̂ and rstd; with a graph (createGraph) or under forward mode
 * (forward-over-reverse) it rebuilds them from x with ops, so the result differentiates again / carries tangents.
 */
function normRule(g: Tensor, x: Tensor, xhat: Tensor, rstd: Tensor, dims: readonly number[], eps: number, centred: boolean): Tensor {
  const r = isGradEnabled() || isForwardActive() ? (centred ? stats(x, dims, eps) : rmsStats(x, dims, eps)) : { xhat, rstd };
  const d = dims as number[];
  const gc = centred ? sub(g, mean(g, d, true)) : g;
  return mul(r.rstd, sub(gc, mul(r.xhat, mean(mul(r.xhat, g), d, true))));
}

/** the dims to normalise over: integers */
const dimList = <const N extends string>(name: N): ArgSpec<readonly number[], number[], N, false> => ({
  name, optional: false,
  check(op, v) {
    if (!Array.isArray(v) || !v.every((d) => Number.isInteger(d))) throw argError(op, name, 'an array of dims', v);
    return v as number[];
  },
});

/** float64 reference: x̂ over the trailing `k` dims (centred or RMS) */
function normRef(x: Arr, k: number, eps: number, centred: boolean): Arr {
  const n = x.shape.slice(x.shape.length - k).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let r = 0; r < x.data.length; r += n) {
    const row = x.data.slice(r, r + n);
    const mu = centred ? row.reduce((a, b) => a + b, 0) / n : 0;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / n;
    for (const e of row) out.push((e - mu) / Math.sqrt(v + eps));
  }
  return { shape: x.shape.slice(), data: out };
}

/**
 * The fused node of layerNorm and rmsNorm: x ↦ x̂ over the trailing `dims`, x̂ = (x − μ)·rstd with
 * rstd = 1/√(σ² + ε) (biased σ²) or, with rms, x̂ = x·rstd with rstd = 1/√(mean(x²) + ε). Outputs x̂ and rstd
 * (kept dims of size 1). The forward is the backend's one-pass normRows kernel (statistics, then the output) for a
 * contiguous input, a composition of ops without a graph otherwise. Backward and tangent: normRule.
 */
export const normRows = defineOp({
  name: 'normRows', args: [tensor('input'), dimList('dims'), num('eps'), bool('rms', false)],
  outputs: ['xhat', 'rstd'],
  forward: ({ input: x, dims, eps, rms }): Tensor[] => {
    const b = x.backend;
    if (b.normRows && x.isContiguous() && x.numel() > 0) {
      const cols = dims.reduce((n, d) => n * x.shape[d]!, 1);
      const { y, rstd } = b.normRows(x.backendView(), x.numel() / cols, cols, eps, rms);
      const keptShape = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
      return [Tensor.fromData(b, y, x.shape, x.dtype), Tensor.fromData(b, rstd, keptShape, x.dtype)];
    }
    const r = noGrad(() => (rms ? rmsStats(x, dims, eps) : stats(x, dims, eps)));
    return [r.xhat, r.rstd];
  },
  saves: ['input', 'xhat', 'rstd'],
  vjp: ([g], c) => {
    const { xhat, rstd } = c as unknown as { xhat: Tensor; rstd: Tensor };
    return { input: g ? normRule(g, c.input, xhat, rstd, c.dims, c.eps, !c.rms) : null };
  },
  jvp: (t, { input: x, results: [xhat, rstd], dims, eps, rms }) => [normRule(t.input, x, xhat!, rstd!, dims, eps, !rms), null],
  cases: [false, true].map((rms) => ({
    label: rms ? 'rms' : 'centred', shapes: [[3, 4]],
    call: (f: (...a: never[]) => unknown, x: Tensor) => (f as unknown as (x: Tensor, d: number[], e: number, r: boolean) => { xhat: Tensor })(x, [1], 1e-5, rms).xhat,
    expect: (_R: RefLib, x: Arr) => normRef(x, 1, 1e-5, !rms),
    torch: rms ? 'x[0] * torch.rsqrt(x[0].pow(2).mean(1, keepdim=True) + 1e-5)' : 'F.layer_norm(x[0], [4], eps=1e-5)',
  })),
});

/**
 * The node of batchNorm in training: x̂ over `dims` (all but the channel dim) with the batch mean μ and biased
 * variance σ², which it also returns (kept dims; the running statistics are updated from them). Backward and
 * tangent: normRule, centred.
 */
export const batchNormalize = defineOp({
  name: 'batchNormalize', args: [tensor('input'), dimList('dims'), num('eps')],
  outputs: ['xhat', 'rstd', 'mean', 'var'],
  forward: ({ input: x, dims, eps }): Tensor[] => {
    const s = noGrad(() => stats(x, dims, eps));
    return [s.xhat, s.rstd, s.mu, s.v];
  },
  saves: ['input', 'xhat', 'rstd'],
  vjp: ([g], c) => {
    const { xhat, rstd } = c as unknown as { xhat: Tensor; rstd: Tensor };
    return { input: g ? normRule(g, c.input, xhat, rstd, c.dims, c.eps, true) : null };
  },
  jvp: (t, { input: x, results: [xhat, rstd], dims, eps }) => [normRule(t.input, x, xhat!, rstd!, dims, eps, true), null, null, null],
  cases: [{
    label: 'over N, H of [N, C, H]', shapes: [[3, 2, 2]],
    call: (f, x) => (f as unknown as (x: Tensor, d: number[], e: number) => { xhat: Tensor })(x, [0, 2], 1e-5).xhat,
    expect: (R, x) => {
      const p = R.permute([1, 0, 2])(x); // channels first: each channel's values are one row
      const y = normRef({ shape: [2, 6], data: p.data }, 1, 1e-5, true);
      return R.permute([1, 0, 2])({ shape: [2, 3, 2], data: y.data });
    },
    torch: 'F.batch_norm(x[0], None, None, training=True, eps=1e-5)',
  }],
});

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

/** a size or a list of sizes (layerNorm's normalizedShape) */
const sizes = <const N extends string>(name: N): ArgSpec<number | readonly number[], number | number[], N, false> => ({
  name, optional: false,
  check(op, v) {
    if (Number.isInteger(v) || (Array.isArray(v) && v.every((d) => Number.isInteger(d)))) return v as number | number[];
    throw argError(op, name, 'an integer or an array of integers', v);
  },
});

/** y = x̂·w + b of the trailing dims; w, b broadcast over the leading ones */
const affineRef = (R: RefLib, y: Arr, w?: Arr, b?: Arr): Arr => {
  let r = w ? R.bin((p, q) => p * q)(y, w) : y;
  if (b) r = R.bin((p, q) => p + q)(r, b);
  return r;
};

/**
 * LayerNorm over the trailing `normalizedShape` dims: (x − μ)/√(σ² + ε)·w + b with the biased
 * variance and ε inside the square root; a constant row gives exactly b and finite gradients.
 * F.layer_norm's keywords: layerNorm(x, [d], {weight, bias, eps}).
 */
const layerNormOp = defineOp({
  name: 'layerNorm', kwargs: true,
  args: [tensor('input'), sizes('normalizedShape'), optTensor('weight'), optTensor('bias'), num('eps', 1e-5)],
  composite: true,
  forward: ({ input, normalizedShape, weight, bias, eps }) => {
    const [x, wt, bs] = autocastF32(input, weight, bias); // autocast dispatch (src/amp/autocast.ts)
    const op = 'layerNorm';
    checkFloat(op, 'input', x!);
    const { shape, dims } = trailingDims(op, x!, normalizedShape);
    const w = checkParam(op, 'weight', wt, shape, x!);
    const b = checkParam(op, 'bias', bs, shape, x!);
    if (!(eps >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${eps}`);
    let y = (normRows(x!, dims, eps, false) as unknown as { xhat: Tensor }).xhat;
    if (w) y = mul(y, w);
    if (b) y = add(y, b);
    return y;
  },
  cases: [
    { label: 'with affine', shapes: [[3, 4], [4], [4]], call: (f, x, w, b) => f(x, [4], w, b), expect: (R, x, w, b) => affineRef(R, normRef(x, 1, 1e-5, true), w, b), torch: 'F.layer_norm(x[0], [4], x[1], x[2])' },
    { label: 'no affine, normalizedShape 3', shapes: [[2, 3]], call: (f, x) => f(x, 3), expect: (_R, x) => normRef(x, 1, 1e-5, true), torch: 'F.layer_norm(x[0], [3])' },
    {
      label: 'two dims, weight, eps 1e-3 by keyword', shapes: [[2, 2, 3], [2, 3]],
      call: (f, x, w) => (f as unknown as LayerNormKw)(x, [2, 3], { weight: w, eps: 1e-3 }), expect: (R, x, w) => affineRef(R, normRef(x, 2, 1e-3, true), w),
      torch: 'F.layer_norm(x[0], [2, 3], weight=x[1], eps=1e-3)',
    },
  ],
});
type LayerNormKw = (input: Tensor, normalizedShape: number | readonly number[], opts: { weight?: Tensor | null; bias?: Tensor | null; eps?: number }) => Tensor;
export const layerNorm: typeof layerNormOp & LayerNormKw = layerNormOp as never;

/**
 * RMSNorm over the trailing dims: x / √(mean(x²) + ε) · w. ε defaults to the dtype's machine epsilon
 * (PyTorch's default when eps is None).
 */
const rmsNormOp = defineOp({
  name: 'rmsNorm', kwargs: true,
  args: [tensor('input'), sizes('normalizedShape'), optTensor('weight'), optNum('eps')],
  composite: true,
  forward: ({ input, normalizedShape, weight, eps }) => {
    const [x, wt] = autocastF32(input, weight); // autocast dispatch (src/amp/autocast.ts)
    const op = 'rmsNorm';
    checkFloat(op, 'input', x!);
    const { shape, dims } = trailingDims(op, x!, normalizedShape);
    const w = checkParam(op, 'weight', wt, shape, x!);
    const e = eps ?? (x!.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);
    if (!(e >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${e}`);
    const y = (normRows(x!, dims, e, true) as unknown as { xhat: Tensor }).xhat;
    return w ? mul(y, w) : y;
  },
  cases: [
    { label: 'weight, eps 1e-6', shapes: [[2, 3], [3]], call: (f, x, w) => f(x, [3], w, 1e-6), expect: (R, x, w) => affineRef(R, normRef(x, 1, 1e-6, false), w), torch: 'x[0] * torch.rsqrt(x[0].pow(2).mean(-1, keepdim=True) + 1e-6) * x[1]' },
    { label: 'two dims, default eps', shapes: [[2, 2, 3]], call: (f, x) => f(x, [2, 3]), expect: (_R, x) => normRef(x, 2, 2.220446049250313e-16, false), torch: 'x[0] * torch.rsqrt(x[0].pow(2).mean((-2, -1), keepdim=True) + torch.finfo(torch.float64).eps)' },
  ],
});
type RmsNormKw = (input: Tensor, normalizedShape: number | readonly number[], opts: { weight?: Tensor | null; eps?: number | null }) => Tensor;
export const rmsNorm: typeof rmsNormOp & RmsNormKw = rmsNormOp as never;

export interface BatchNormOptions {
  /** batch statistics (and running-stat updates) when true; running statistics when false */
  training?: boolean;
  /** running = (1 − momentum)·running + momentum·batch (default 0.1) */
  momentum?: number;
  eps?: number;
}

/** float64 reference of batchNorm with the batch statistics over all dims but 1, affine per channel */
function batchNormRef(R: RefLib, x: Arr, w?: Arr, b?: Arr): Arr {
  const perm = [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)];
  const p = R.permute(perm)(x);
  const C = x.shape[1]!;
  const y = normRef({ shape: [C, p.data.length / C], data: p.data }, 1, 1e-5, true);
  const back = R.permute(perm)({ shape: p.shape, data: y.data });
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  return affineRef(R, back, w && { shape: bshape, data: w.data }, b && { shape: bshape, data: b.data });
}

/**
 * BatchNorm over [N, C] or [N, C, *] (statistics per channel C). Training normalises with the batch
 * mean and biased variance and updates runningMean / runningVar in place (no graph) with the unbiased
 * variance, as PyTorch; eval normalises with the running statistics.
 */
export const batchNorm = defineOp({
  name: 'batchNorm',
  args: [tensor('input'), optTensor('runningMean'), optTensor('runningVar'), optTensor('weight'), optTensor('bias'),
    options('options', { training: bool('training', false), momentum: num('momentum', 0.1), eps: num('eps', 1e-5) })],
  composite: true,
  forward: ({ input: x, runningMean, runningVar, weight, bias, options: { training, momentum, eps } }) => {
    const op = 'batchNorm';
    checkFloat(op, 'input', x);
    if (x.ndim < 2) throw new Error(`${op}: input ${fmt(x.shape)} must be [N, C] or [N, C, *]: expected at least 2 dimensions`);
    const C = x.shape[1]!;
    const rm = checkParam(op, 'runningMean', runningMean, [C], x);
    const rv = checkParam(op, 'runningVar', runningVar, [C], x);
    if ((rm === null) !== (rv === null)) throw new Error(`${op}: runningMean and runningVar must both be given or both be null`);
    const w = checkParam(op, 'weight', weight, [C], x);
    const b = checkParam(op, 'bias', bias, [C], x);
    if (!(eps >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${eps}`);
    const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
    const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
    let y: Tensor;
    if (training) {
      const n = numel(x.shape) / C;
      if (n <= 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input of shape ${fmt(x.shape)}`);
      const r = batchNormalize(x, dims, eps) as unknown as { xhat: Tensor; mean: Tensor; var: Tensor };
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
  },
  cases: [
    {
      label: 'training [N, C], affine, running statistics', shapes: [[4, 3], [3], [3]],
      call: (f, x, w, b) => f(x, Tensor.fromValues([0, 0, 0], [3], x.dtype, x.backend), Tensor.fromValues([1, 1, 1], [3], x.dtype, x.backend), w, b, { training: true }),
      expect: (R, x, w, b) => batchNormRef(R, x, w, b),
      torch: 'F.batch_norm(x[0], torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), x[1], x[2], training=True)',
    },
    { label: 'training [N, C, H, W], weight', shapes: [[2, 2, 2, 2], [2]], call: (f, x, w) => f(x, null, null, w, null, { training: true }), expect: (R, x, w) => batchNormRef(R, x, w), torch: 'F.batch_norm(x[0], None, None, x[1], None, training=True)' },
    {
      // (x − running mean)/√(running var + ε)·w + b
      label: 'eval', shapes: [[3, 2, 2], [2], [2]],
      call: (f, x, w, b) => f(x, Tensor.fromValues([0.1, -0.2], [2], x.dtype, x.backend), Tensor.fromValues([1.5, 0.7], [2], x.dtype, x.backend), w, b),
      expect: (R, x, w, b) => R.nary((v, m, s, ww, bb) => ((v - m) / Math.sqrt(s + 1e-5)) * ww + bb)(x,
        { shape: [1, 2, 1], data: [0.1, -0.2] }, { shape: [1, 2, 1], data: [1.5, 0.7] }, { shape: [1, 2, 1], data: w.data }, { shape: [1, 2, 1], data: b.data }),
      torch: 'F.batch_norm(x[0], torch.tensor([0.1, -0.2], dtype=torch.float64), torch.tensor([1.5, 0.7], dtype=torch.float64), x[1], x[2], training=False)',
    },
  ],
});
