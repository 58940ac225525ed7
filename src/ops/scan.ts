/**
 * Scans along a dim: cumprod. y_i = Π_{j≤i} x_j.
 *
 * Forward: a doubling scan (Hillis–Steele): log₂ n rounds of y ← y · shift(y, s), s = 1, 2, 4, … (shift pads
 * with ones), in nabla ops on any backend.
 *
 * Backward, exact where x has zeros (no division by x):
 *   ∂L/∂x_k = Σ_{i≥k} g_i Π_{j≤i, j≠k} x_j = P_{k−1} · S_k,   P_{k−1} = Π_{j<k} x_j (the exclusive cumprod),
 *   S_k = Σ_{i≥k} g_i Π_{k<j≤i} x_j, which satisfies S_k = g_k + x_{k+1} S_{k+1} (S_n = 0): a linear
 *   recurrence, solved by a doubling affine scan. All products and sums, so the rule differentiates again.
 * Forward mode: ẏ_i = x_i ẏ_{i−1} + y_{i−1} ẋ_i, the same affine scan run forwards.
 */
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/gradMode.js';
import { withoutTangents } from '../autograd/forward.js';
import { normDim } from '../shape.js';
import { defineOp, type AssertMethods, type MethodsOf } from './define.js';
import { int, tensor } from './args.js';
import { add, cast, mul } from './elementwise.js';
import { cat, expand, reshape, slice, transpose } from './movement.js';

/** `fill` repeated over the last dim's first (or last) s places, the rest of v shifted along: v_{i−s} (or v_{i+s}). */
function shift(v: Tensor, s: number, fill: number, reverse = false): Tensor {
  const n = v.shape[v.ndim - 1]!;
  const pad = expand(Tensor.fromValues([fill], v.shape.map(() => 1), v.dtype, v.backend), [...v.shape.slice(0, -1), Math.min(s, n)]);
  if (s >= n) return pad;
  return reverse ? cat([slice(v, -1, s, n), pad], -1) : cat([pad, slice(v, -1, 0, n - s)], -1);
}

/** y_i = Π_{j≤i} x_j along the last dim (doubling scan). */
function prodScan(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1]!;
  let y = x;
  for (let s = 1; s < n; s *= 2) y = mul(y, shift(y, s, 1));
  return y;
}

/**
 * z_i = a_i z_{i−1} + b_i (z_{−1} = 0) along the last dim, or z_i = a_i z_{i+1} + b_i (z_n = 0) when reverse.
 * Doubling: after the round with shift s, b_i holds the recurrence over the window of 2s terms ending at i and
 * a_i the product of its a's: b_i ← b_i + a_i·b_{i∓s}, a_i ← a_i·a_{i∓s} (out-of-range terms are 0).
 */
function affineScan(a: Tensor, b: Tensor, reverse: boolean): Tensor {
  const n = b.shape[b.ndim - 1]!;
  for (let s = 1; s < n; s *= 2) {
    b = add(b, mul(a, shift(b, s, 0, reverse)));
    if (2 * s < n) a = mul(a, shift(a, s, 0, reverse));
  }
  return b;
}

/** Run f with dim d moved last (a transposed view) and move it back; a 0-d tensor is treated as [1]. */
function alongLast(x: Tensor, d: number, f: (v: Tensor) => Tensor): Tensor {
  if (x.ndim === 0) return reshape(f(reshape(x, [1])), []);
  return transpose(f(transpose(x, d, -1)), d, -1);
}
const lastOf = (x: Tensor, d: number) => (x.ndim === 0 ? reshape(x, [1]) : transpose(x, d, -1));
/** the inverse of lastOf for a tensor shaped like `like` */
const backFrom = (v: Tensor, like: Tensor, d: number) => (like.ndim === 0 ? reshape(v, []) : transpose(v, d, -1));

/** cumprod(x, dim): y_i = Π_{j≤i} x_j along dim (bool counts as int32). Backward and tangent as above. */
export const cumprod = defineOp({
  name: 'cumprod', method: 'cumprod',
  args: [tensor('input'), int('dim')],
  prepare: (a) => ({ ...a, dim: normDim('cumprod', a.dim, a.input.ndim) }),
  forward: ({ input, dim }) => noGrad(() => withoutTangents(() => {
    const x = input.dtype === 'bool' ? cast(input, 'int32') : input;
    return alongLast(x, dim, prodScan);
  })),
  saves: ['input', 'result'],
  vjp: (g, { input, result, dim }) => {
    const x = lastOf(input, dim), y = lastOf(result, dim);
    const before = shift(y, 1, 1); // P_{k−1}
    const after = affineScan(shift(x, 1, 0, true), lastOf(g, dim), true); // S_k
    return { input: backFrom(mul(before, after), input, dim) };
  },
  jvp: (t, { input, result, dim }) => {
    const x = lastOf(input, dim), y = lastOf(result, dim);
    const z = affineScan(x, mul(shift(y, 1, 1), lastOf(t.input, dim)), false);
    return backFrom(z, input, dim);
  },
  cases: [
    { label: 'dim 1', shapes: [[3, 4]], call: (op, x) => op(x, 1), torch: 'torch.cumprod(x[0], 1)' },
    { label: 'dim 0', shapes: [[5, 2]], call: (op, x) => op(x, 0), torch: 'torch.cumprod(x[0], 0)' },
    { label: 'dim -1 of a 3-D tensor (length 7)', shapes: [[2, 2, 7]], call: (op, x) => op(x, -1), torch: 'torch.cumprod(x[0], -1)' },
    { label: 'length 1', shapes: [[3, 1]], call: (op, x) => op(x, 1), torch: 'torch.cumprod(x[0], 1)' },
  ],
});

// every export is a record whose Tensor method has its name, except these (no method)
type NoMethod = never;
type Methods = MethodsOf<typeof import('./scan.js'), NoMethod>;
declare module '../tensor.js' {
  // the methods defineOp attaches above, typed from the records
  interface Tensor extends Methods {}
}
// compiles only when those names agree with the records (a new export without a method joins NoMethod)
const methodsAgree: AssertMethods<typeof import('./scan.js'), NoMethod> = true;
void methodsAgree;
