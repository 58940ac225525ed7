/**
 * Tensor ops models reach for, composed from differentiable primitives (so each has a backward, and a
 * second derivative, for free): tril/triu and maskedFill (where with a mask), dot and lerp, repeat/tile
 * (expand + reshape), flip/roll (indexSelect with a permuted arange), cumsum (a product with a triangular
 * ones matrix: y_i = Σ_{j ≤ i} x_j), norm, diag, all/any, multinomial (seeded, not differentiable);
 * sort/argsort/topk are op records (src/ops/sort.ts), re-exported here.
 */
import { Tensor } from './tensor.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as M from './ops/movement.js';
import * as I from './ops/indexing.js';
import * as MM from './ops/matmul.js';
import { defaultGenerator, type Generator } from './random.js';
import { describeValue, mergeArgs } from './strict.js';

function tensorIn(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a tensor, got ${describeValue(x)}`);
}
function dimOf(op: string, d: unknown, ndim: number): number {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < -ndim || d >= Math.max(ndim, 1)) throw new RangeError(`${op}: dim ${describeValue(d)} is out of range for a tensor of rank ${ndim}`);
  return d < 0 ? d + ndim : d;
}
const int32 = (v: ArrayLike<number>, shape: number[], like: Tensor) => Tensor.fromValues(v, shape, 'int32', like.backend);
const boolT = (v: ArrayLike<number>, shape: number[], like: Tensor) => Tensor.fromValues(v, shape, 'bool', like.backend);

/** Lower/upper triangle of the last two dims: keeps x[i, j] where j − i ≤ diagonal (tril) or ≥ diagonal (triu). */
function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  tensorIn(op, x);
  if (x.ndim < 2) throw new Error(`${op}: input must have at least 2 dims, got ${x.ndim}`);
  if (!Number.isInteger(diagonal)) throw new TypeError(`${op}: diagonal must be an integer, got ${describeValue(diagonal)}`);
  const [r, c] = x.shape.slice(-2) as [number, number];
  const m = new Uint8Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m[i * c + j] = (lower ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  return keepDType(E.where(boolT(m, [r, c], x), x, 0), x);
}
/** a result in x's own dtype, as PyTorch's tril/triu/masked_fill give (where() promotes a bool x beside the number 0 to
 * int32, an integer x beside a fractional fill value to float32; the cast truncates toward zero, bool is "nonzero") */
const keepDType = (y: Tensor, x: Tensor): Tensor => (y.dtype === x.dtype ? y : E.cast(y, x.dtype));
export function tril(x: Tensor, diagonal = 0): Tensor { mergeArgs('tril', [...arguments].slice(1), ['diagonal']); return triangle('tril', x, diagonal, true); }
export function triu(x: Tensor, diagonal = 0): Tensor { mergeArgs('triu', [...arguments].slice(1), ['diagonal']); return triangle('triu', x, diagonal, false); }

/** maskedFill(x, mask, value): value where mask is true (mask broadcasts to x) */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  tensorIn('maskedFill', x);
  tensorIn('maskedFill', mask);
  if (mask.dtype !== 'bool') throw new TypeError(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  if (typeof value !== 'number') throw new TypeError(`maskedFill: value must be a number, got ${describeValue(value)}`);
  mergeArgs('maskedFill', [...arguments].slice(3), []);
  return M.expand(keepDType(E.where(mask, value, x), x), x.shape);
}

/** dot(a, b) = Σ a_i b_i for 1-D tensors of the same length */
export function dot(a: Tensor, b: Tensor): Tensor {
  tensorIn('dot', a); tensorIn('dot', b);
  if (a.ndim !== 1 || b.ndim !== 1 || a.shape[0] !== b.shape[0]) throw new Error(`dot: expects two 1-D tensors of the same length, got [${a.shape}] and [${b.shape}]`);
  return R.sum(E.mul(a, b));
}

/** lerp(a, b, w) = a + w·(b − a) */
export function lerp(a: Tensor, b: Tensor, w: Tensor | number): Tensor {
  tensorIn('lerp', a); tensorIn('lerp', b);
  return E.add(a, E.mul(w, E.sub(b, a)));
}

/** repeat(x, ...reps): tile each dim reps[d] times (reps may add leading dims), as torch's Tensor.repeat */
export function repeat(x: Tensor, ...repsArg: number[] | [readonly number[]]): Tensor {
  tensorIn('repeat', x);
  const reps = (repsArg.length === 1 && Array.isArray(repsArg[0]) ? repsArg[0] : repsArg) as number[];
  if (!reps.every((r) => Number.isInteger(r) && r >= 0)) throw new TypeError(`repeat: repeats must be non-negative integers, got ${describeValue(reps)}`);
  if (reps.length < x.ndim) throw new Error(`repeat: number of repeat dims (${reps.length}) can not be smaller than the number of tensor dims (${x.ndim})`);
  let y = M.reshape(x, [...new Array(reps.length - x.ndim).fill(1), ...x.shape]);
  const inter: number[] = [], expanded: number[] = [], out: number[] = [];
  y.shape.forEach((n, d) => { inter.push(1, n); expanded.push(reps[d]!, n); out.push(reps[d]! * n); });
  y = M.reshape(y, inter);
  return M.reshape(M.contiguous(M.expand(y, expanded)), out);
}
/** tile(x, reps): repeat with reps padded by leading ones (numpy.tile) */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  tensorIn('tile', x);
  const r = Array.isArray(reps) ? reps : [reps as unknown as number];
  return repeat(x, [...new Array(Math.max(0, x.ndim - r.length)).fill(1), ...r]);
}

/** flip(x, dims): reverse the order along each dim */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  tensorIn('flip', x);
  let y = x;
  for (const d0 of typeof dims === 'number' ? [dims] : dims) {
    const d = dimOf('flip', d0, x.ndim), n = x.shape[d]!;
    y = I.indexSelect(y, d, int32(Array.from({ length: n }, (_, i) => n - 1 - i), [n], x));
  }
  return y;
}

/** roll(x, shifts, dims): y[(i + shift) mod n] = x[i] along each dim (no dims: over the flattened tensor) */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  tensorIn('roll', x);
  if (dims === undefined) return M.reshape(roll(M.reshape(x, [x.numel()]), shifts, 0), x.shape);
  const s = typeof shifts === 'number' ? [shifts] : shifts, ds = typeof dims === 'number' ? [dims] : dims;
  if (s.length !== ds.length) throw new Error(`roll: shifts and dims must have the same length, got ${s.length} and ${ds.length}`);
  let y = x;
  ds.forEach((d0, k) => {
    const d = dimOf('roll', d0, x.ndim), n = x.shape[d]!;
    y = I.indexSelect(y, d, int32(Array.from({ length: n }, (_, i) => (((i - s[k]!) % n) + n) % n), [n], x));
  });
  return y;
}

/** cumsum(x, dim): y_i = Σ_{j ≤ i} x_j, as x (dim moved last) times the upper-triangular ones matrix */
export function cumsum(x: Tensor, dim: number): Tensor {
  tensorIn('cumsum', x);
  const d = dimOf('cumsum', dim, x.ndim), n = x.shape[d]!;
  const u = new Float64Array(n * n);
  for (let j = 0; j < n; j++) for (let i = j; i < n; i++) u[j * n + i] = 1;
  const U = Tensor.fromValues(u, [n, n], E.cast(x, x.dtype).dtype === 'float64' ? 'float64' : 'float32', x.backend);
  const xt = M.transpose(x.dtype === 'float64' || x.dtype === 'float32' ? x : E.cast(x, 'float32'), d, -1);
  return M.transpose(MM.matmul(xt, U), d, -1);
}

/** norm(x, p = 2, dim?, keepdim = false): (Σ|x|^p)^(1/p); p = Infinity gives max |x|; 'fro' = 2 */
export function norm(x: Tensor, ...rest: [p?: number | 'fro', dim?: number | number[] | null, keepdim?: boolean] | [opts: { p?: number | 'fro'; dim?: number | number[]; keepdim?: boolean }]): Tensor {
  tensorIn('norm', x);
  const o = mergeArgs('norm', rest, ['p', 'dim', 'keepdim']);
  const p = o.p === undefined || o.p === 'fro' ? 2 : o.p;
  if (typeof p !== 'number' || !(p > 0)) throw new TypeError(`norm: p must be a positive number, Infinity or 'fro', got ${describeValue(o.p)}`);
  const dim = (o.dim ?? undefined) as number | number[] | undefined, keep = (o.keepdim ?? false) as boolean;
  if (p === Infinity) return R.amax(E.abs(x), dim, keep);
  if (p === 2) return E.sqrt(R.sum(E.mul(x, x), dim, keep));
  return E.pow(R.sum(E.pow(E.abs(x), p), dim, keep), 1 / p);
}

/** diag(v): a 1-D v becomes a diagonal matrix; a 2-D x gives its main diagonal */
export function diag(x: Tensor): Tensor {
  tensorIn('diag', x);
  if (x.ndim === 1) {
    const n = x.shape[0]!, e = new Uint8Array(n * n);
    for (let i = 0; i < n; i++) e[i * n + i] = 1;
    return E.where(boolT(e, [n, n], x), M.expand(M.unsqueeze(x, 0), [n, n]), 0);
  }
  if (x.ndim !== 2) throw new Error(`diag: expects a 1-D or 2-D tensor, got ${x.ndim}-D`);
  const n = Math.min(x.shape[0]!, x.shape[1]!);
  return M.reshape(I.gather(M.narrow(x, 0, 0, n), 1, int32(Array.from({ length: n }, (_, i) => i), [n, 1], x)), [n]);
}

// sort, argsort and topk are op records (src/ops/sort.ts: the backend's stable sort kernel, gradients scattered to
// the sorted positions); re-exported here with the other tensor utilities
export { sort, argsort, topk } from './ops/sort.js';

/** all(x, dim?, keepdim?) / any(...): logical reductions (bool result) */
function logical(op: 'all' | 'any', x: Tensor, rest: unknown[]): Tensor {
  tensorIn(op, x);
  const o = mergeArgs(op, rest, ['dim', 'keepdim']);
  const nz = E.cast(E.ne(x, 0), 'int32');
  const dim = o.dim as number | undefined, keep = (o.keepdim ?? false) as boolean;
  return op === 'any' ? E.gt(R.sum(nz, dim, keep), 0) : E.eq(R.sum(E.sub(1, nz), dim, keep), 0);
}
export function all(x: Tensor, ...rest: [dim?: number, keepdim?: boolean] | [opts: { dim?: number; keepdim?: boolean }]): Tensor { return logical('all', x, rest); }
export function any(x: Tensor, ...rest: [dim?: number, keepdim?: boolean] | [opts: { dim?: number; keepdim?: boolean }]): Tensor { return logical('any', x, rest); }

/** multinomial(probs, numSamples, replacement = false, {generator}): int32 category draws per row (seeded) */
export function multinomial(probs: Tensor, numSamples: number, ...rest: [replacement?: boolean, opts?: { generator?: Generator }] | [opts: { replacement?: boolean; generator?: Generator }]): Tensor {
  tensorIn('multinomial', probs);
  const o = mergeArgs('multinomial', rest, ['replacement'], ['generator']);
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new Error(`multinomial: probs must be 1-D or 2-D, got ${probs.ndim}-D`);
  const g = (o.generator as Generator | undefined) ?? defaultGenerator;
  const rows = probs.ndim === 1 ? 1 : probs.shape[0]!, n = probs.shape[probs.ndim - 1]!;
  if (!Number.isInteger(numSamples) || numSamples < 1 || (!o.replacement && numSamples > n)) throw new RangeError(`multinomial: numSamples must be in [1, ${o.replacement ? '∞' : n}], got ${describeValue(numSamples)}`);
  const p = Float64Array.from(probs.data());
  const out = new Int32Array(rows * numSamples);
  for (let r = 0; r < rows; r++) {
    const w = p.slice(r * n, r * n + n);
    if (w.some((v) => !(v >= 0) || !Number.isFinite(v))) throw new RangeError('multinomial: probabilities must be finite and non-negative');
    for (let s = 0; s < numSamples; s++) {
      const total = w.reduce((a, b) => a + b, 0);
      if (!(total > 0)) throw new RangeError('multinomial: a row has no positive probability left');
      let u = g.random() * total, k = 0;
      while (k < n - 1 && (u -= w[k]!) >= 0) k++;
      while (w[k] === 0) k--; // the last positive category when rounding lands past it
      out[r * numSamples + s] = k;
      if (!o.replacement) w[k] = 0;
    }
  }
  return int32(out, probs.ndim === 1 ? [numSamples] : [rows, numSamples], probs);
}

declare module './tensor.js' {
  interface Tensor {
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
    maskedFill(mask: Tensor, value: number): Tensor;
    maskedFill_(mask: Tensor, value: number): Tensor;
    dot(other: Tensor): Tensor;
    lerp(end: Tensor, weight: Tensor | number): Tensor;
    repeat(...reps: number[] | [readonly number[]]): Tensor;
    tile(reps: readonly number[]): Tensor;
    flip(dims: number | readonly number[]): Tensor;
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    cumsum(dim: number): Tensor;
    norm(p?: number | 'fro', dim?: number | number[] | null, keepdim?: boolean): Tensor;
    diag(): Tensor;
    all(dim?: number, keepdim?: boolean): Tensor;
    any(dim?: number, keepdim?: boolean): Tensor;
    multinomial(numSamples: number, replacement?: boolean, opts?: { generator?: Generator }): Tensor;
    multinomial(numSamples: number, opts: { replacement?: boolean; generator?: Generator }): Tensor;
  }
}
const P = Tensor.prototype as unknown as Record<string, unknown>;
const fns: Record<string, (x: Tensor, ...a: any[]) => unknown> = { tril, triu, maskedFill, dot, lerp, repeat, tile, flip, roll, cumsum, norm, diag, all, any, multinomial };
for (const [name, f] of Object.entries(fns)) P[name] = function (this: Tensor, ...a: unknown[]) { return f(this, ...a); };
P.maskedFill_ = function (this: Tensor, mask: Tensor, value: number) {
  if (arguments.length > 2) throw new TypeError('maskedFill_: expected (mask, value)');
  const filled = maskedFill(this, mask, value);
  return (this as unknown as { copy_(s: Tensor): Tensor }).copy_(filled);
};
