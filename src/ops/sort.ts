/**
 * sort, argsort and topk as op records. The forward is the backend's stable sort kernel (Backend.sort, the
 * reference kernel sortAlong on the ts and wasm backends): values and the int32 index each came from along the
 * dim. Ties keep their input order (PyTorch's stable=True; topk takes the first k of that order) and NaN orders
 * as the largest value. The values are x gathered at the indices, so
 *   dx = g scattered (added) at the indices along dim into zeros of x's shape,   ẏ = ẋ gathered at the indices;
 * at a tie the whole gradient of an output goes to the element it was taken from (a subgradient, as PyTorch's).
 */
import { isHalf } from '../half.js';
import { fmt, normDim } from '../shape.js';
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/gradMode.js';
import { cast } from './elementwise.js';
import { gather, scatterAdd } from './indexing.js';
import { contiguous, narrow } from './movement.js';
import { defineOp, type Arr, type AssertDeclared, type Method, type MethodNames, type RefLib } from './define.js';
import { bool, int, optBool, tensor } from './args.js';
import type { ValuesIndicesPair } from './reduce.js';

/** values and indices of x sorted along dim d (kernel level: no graph) */
function sortKernel(op: string, x: Tensor, d: number, descending: boolean): [Tensor, Tensor] {
  const b = x.backend;
  if (!b.sort) throw new Error(`${op}: the ${b.name} backend has no sort kernel (Backend.sort)`);
  if (x.ndim === 0) return [x, Tensor.fromValues([0], [], 'int32', b)];
  // 16-bit floats sort as their exact float32 values (the kernel reads plain typed arrays)
  const xs = isHalf(x.dtype) ? noGrad(() => cast(x, 'float32')) : x;
  const r = b.sort(xs.backendView(), d, descending);
  let values = Tensor.fromData(b, r.values, x.shape, xs.dtype);
  if (xs !== x) values = noGrad(() => cast(values, x.dtype));
  return [values, Tensor.fromData(b, r.indices, x.shape, 'int32')];
}


/**
 * the rules of an op whose outputs are [values, indices] with values = input gathered at the indices along dim
 * (sort and topk; the indices are distinct along dim, and saved as 'indices'):
 *   vjp: dx = g added at the indices along dim into zeros of x's shape,   jvp: ẏ = ẋ gathered at the indices
 * (a 0-d input, its own single value, needs no case of its own: gather and scatterAdd take dim 0 of a 0-d tensor
 * as its one element); the indices output has no gradient or tangent.
 */
const gatheredVjp = (op: string, [g]: (Tensor | null)[], c: { dim: number; shapes: { input: readonly number[] } }): { input: Tensor | null } => {
  const indices = (c as unknown as { indices: Tensor }).indices;
  const shape = c.shapes.input;
  // g is always given: values is the only differentiable output, so the node runs only when it has a gradient
  return { input: scatterAdd(shape, normDim(op, c.dim, shape.length), indices, g!) };
};
const gatheredJvp = (op: string, t: { input: Tensor }, { input, results, dim }: { input: Tensor; results: Tensor[]; dim: number }): (Tensor | null)[] =>
  [gather(t.input, normDim(op, dim, input.ndim), results[1]!), null];

/** float64 reference: each line along dim sorted stably (NaN largest), values and indices */
function sortRef(x: Arr, dim: number, descending: boolean, k?: number): { values: Arr; indices: Arr } {
  const shape = x.shape, d = dim < 0 ? dim + shape.length : dim;
  const n = shape[d]!, inner = shape.slice(d + 1).reduce((a, b) => a * b, 1), outer = x.data.length / (n * inner);
  const kk = k ?? n;
  const outShape = shape.slice();
  outShape[d] = kk;
  const values = new Array<number>(outer * kk * inner), indices = new Array<number>(outer * kk * inner);
  const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const line = Array.from({ length: n }, (_, r) => x.data[(o * n + r) * inner + i]!);
    const order = line.map((_, r) => r).sort((a, b) => {
      const na = Number.isNaN(line[a]!), nb = Number.isNaN(line[b]!);
      if (na !== nb) return (na ? 1 : -1) * (descending ? -1 : 1);
      const c = key(line[a]!) - key(line[b]!);
      return (descending ? -c : c) || a - b;
    });
    for (let r = 0; r < kk; r++) {
      values[(o * kk + r) * inner + i] = line[order[r]!]!;
      indices[(o * kk + r) * inner + i] = order[r]!;
    }
  }
  return { values: { shape: outShape, data: values }, indices: { shape: outShape, data: indices } };
}
/** x gathered along dim at the reference's indices (what a "selects" row computes) */
const selectRef = (R: RefLib, x: Arr, dim: number, descending: boolean): Arr => R.gather(dim, sortRef(x, dim, descending).indices)(x);

/**
 * sort(input, dim = −1, descending = false, {stable}) → {values, indices} (also [values, indices]); PyTorch's
 * torch.sort(input, dim, descending, *, stable). The sort is always stable (stable: false is accepted: any order
 * of ties is allowed then).
 */
const sortOp = defineOp({
  name: 'sort', method: 'sort', kwargs: true, positional: 3, outputs: ['values', 'indices'],
  args: [tensor('input'), int('dim', -1), bool('descending', false), optBool('stable')],
  forward: ({ input: x, dim, descending }): Tensor[] => sortKernel('sort', x, normDim('sort', dim, x.ndim), descending),
  saves: ['indices'],
  vjp: (g, c) => gatheredVjp('sort', g, c),
  jvp: (t, c) => gatheredJvp('sort', t, c),
  cases: [
    { label: 'dim 1 values', shapes: [[3, 5]], call: (f, x) => (f as unknown as SortFn)(x, 1).values, expect: (_R, x) => sortRef(x, 1, false).values, torch: 'x[0].sort(1).values' },
    {
      label: 'dim 0 descending by keyword', shapes: [[4, 3]], call: (f, x) => (f as unknown as SortFn)(x, { dim: 0, descending: true }).values,
      expect: (_R, x) => sortRef(x, 0, true).values, torch: 'x[0].sort(0, descending=True).values',
    },
    {
      label: 'dim -1 of 3-D, indices (select the sorted order)', shapes: [[2, 3, 4]], differentiable: true,
      call: (f, x) => gather(x, -1, (f as unknown as SortFn)(x).indices), expect: (R, x) => selectRef(R, x, 2, false), torch: 'x[0].gather(-1, x[0].sort().indices)',
    },
    {
      // stable: the two 1s, the two 3s and the three 0s keep their order; the gradient of each output goes to its source
      label: 'dim 1 with ties (stable)', shapes: [[2, 5]], values: [[3, 1, 3, 1, 2, 0, 0, 0, 5, 5]],
      call: (f, x) => (f as unknown as SortFn)(x, 1).values, expect: (_R, x) => sortRef(x, 1, false).values,
      gradWant: [[4, 1, 5, 2, 3, 6, 7, 8, 9, 10]], torch: 'x[0].sort(dim=1, stable=True).values',
    },
    {
      label: 'dim 1 descending with ties (stable)', shapes: [[2, 5]], values: [[3, 1, 3, 1, 2, 0, 0, 0, 5, 5]],
      call: (f, x) => (f as unknown as SortFn)(x, 1, true).values, expect: (_R, x) => sortRef(x, 1, true).values,
      gradWant: [[1, 4, 2, 5, 3, 8, 9, 10, 6, 7]], torch: 'x[0].sort(dim=1, descending=True, stable=True).values',
    },
    {
      // NaN sorts as the largest value, above +∞ (first when descending), ties and NaNs keep their order (the
      // gradient says where each value came from): PyTorch 1.13's values [1, 1, 3, ∞, NaN, NaN]
      label: 'NaN largest, with ties (stable)', shapes: [[1, 6]], values: [[3, NaN, 1, NaN, Infinity, 1]],
      call: (f, x) => (f as unknown as SortFn)(x, 1).values, expect: (_R, x) => sortRef(x, 1, false).values,
      gradWant: [[3, 5, 1, 6, 4, 2]], torch: 'x[0].sort(dim=1, stable=True).values',
    },
    {
      label: 'NaN first when descending, with ties (stable)', shapes: [[1, 6]], values: [[3, NaN, 1, NaN, Infinity, 1]],
      call: (f, x) => (f as unknown as SortFn)(x, 1, true).values, expect: (_R, x) => sortRef(x, 1, true).values,
      gradWant: [[4, 1, 5, 2, 3, 6]], torch: 'x[0].sort(dim=1, descending=True, stable=True).values',
    },
  ],
});
type SortKw = { dim?: number; descending?: boolean; stable?: boolean };
type SortFn = {
  (input: Tensor, dim?: number, descending?: boolean, opts?: { stable?: boolean }): ValuesIndicesPair;
  (input: Tensor, opts: SortKw): ValuesIndicesPair;
  (input: Tensor, dim: number, opts: { descending?: boolean; stable?: boolean }): ValuesIndicesPair;
};
export const sort: typeof sortOp & SortFn = sortOp as never;

/**
 * argsort(input, dim = −1, descending = false, {stable}): the indices of sort (int32, not differentiable); a
 * composite record over sort.
 */
const argsortOp = defineOp({
  name: 'argsort', method: 'argsort', kwargs: true, positional: 3,
  args: [tensor('input'), int('dim', -1), bool('descending', false), optBool('stable')],
  composite: true,
  forward: ({ input, dim, descending }) => (sort(input, dim, descending) as unknown as ValuesIndicesPair).indices,
  cases: [
    {
      label: 'dim 1 (select the sorted order)', shapes: [[3, 4]], differentiable: true,
      call: (f, x) => gather(x, 1, f(x, 1)), expect: (R, x) => selectRef(R, x, 1, false), torch: 'x[0].gather(1, x[0].argsort(1))',
    },
    {
      label: 'dim 0 descending with ties by keyword (select the stable order)', shapes: [[4, 2]], values: [[1, 5, 2, 5, 1, 5, 2, 0]], differentiable: true,
      call: (f, x) => gather(x, 0, (f as unknown as ArgsortFn)(x, { dim: 0, descending: true })), expect: (R, x) => selectRef(R, x, 0, true),
      // column 0 [1, 2, 1, 2] → indices 1, 3, 0, 2; column 1 [5, 5, 5, 0] → 0, 1, 2, 3 (w = 1…8 row-major)
      gradWant: [[5, 2, 1, 4, 7, 6, 3, 8]], torch: 'x[0].gather(0, torch.sort(x[0], dim=0, descending=True, stable=True).indices)',
    },
  ],
});
type ArgsortFn = {
  (input: Tensor, dim?: number, descending?: boolean, opts?: { stable?: boolean }): Tensor;
  (input: Tensor, opts: SortKw): Tensor;
};
export const argsort: typeof argsortOp & ArgsortFn = argsortOp as never;

/**
 * topk(input, k, dim = −1, largest = true, sorted = true) → {values, indices}: the first k of the stable sort
 * (descending for largest), so among equal values the lower indices are taken, in index order. (PyTorch 1.13's CPU
 * topk leaves the order of ties unspecified and differs: [3, 1, 3, 3, 2].topk(3) gives indices [2, 3, 0] there,
 * [0, 2, 3] here; both are valid subgradient choices.) sorted = false is accepted: any order is allowed then.
 */
const topkOp = defineOp({
  name: 'topk', method: 'topk', kwargs: true, outputs: ['values', 'indices'],
  args: [tensor('input'), int('k'), int('dim', -1), bool('largest', true), bool('sorted', true)],
  forward: ({ input: x, k, dim, largest }): Tensor[] => {
    const d = normDim('topk', dim, x.ndim);
    const n = x.ndim === 0 ? 1 : x.shape[d]!;
    if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`topk: k (${k}) must be an integer in [0, ${n}] for input ${fmt(x.shape)} along dim ${dim}`);
    const [values, indices] = sortKernel('topk', x, d, largest);
    if (x.ndim === 0 || k === n) return [values, indices];
    return noGrad(() => [contiguous(narrow(values, d, 0, k)), contiguous(narrow(indices, d, 0, k))]);
  },
  saves: ['indices'],
  vjp: (g, c) => gatheredVjp('topk', g, c),
  jvp: (t, c) => gatheredJvp('topk', t, c),
  cases: [
    { label: 'k 2 dim 1 values', shapes: [[3, 5]], call: (f, x) => (f as unknown as TopkFn)(x, 2, 1).values, expect: (_R, x) => sortRef(x, 1, true, 2).values, torch: 'x[0].topk(2, 1).values' },
    {
      label: 'k 3 dim 0 smallest by keyword', shapes: [[4, 3]], call: (f, x) => (f as unknown as TopkFn)(x, 3, { dim: 0, largest: false }).values,
      expect: (_R, x) => sortRef(x, 0, false, 3).values, torch: 'x[0].topk(3, 0, largest=False).values',
    },
    {
      label: 'k 2 indices (select the top 2)', shapes: [[2, 3, 4]], differentiable: true,
      call: (f, x) => gather(x, -1, (f as unknown as TopkFn)(x, 2).indices), expect: (R, x) => R.gather(2, sortRef(x, 2, true, 2).indices)(x), torch: 'x[0].gather(-1, x[0].topk(2).indices)',
    },
    {
      // row 1: the three 3s tie for the top 3 (taken in index order: 0, 2, 3); row 2: four 7s for three places, the
      // first three (1, 2, 4) are taken. torch's topk orders ties differently (see above): the torch side is its stable sort
      label: 'k 3 with ties (stable: lower indices first)', shapes: [[2, 6]], values: [[3, 1, 3, 3, 2, 0, 2, 7, 7, 1, 7, 7]],
      call: (f, x) => (f as unknown as TopkFn)(x, 3, 1).values, expect: (_R, x) => sortRef(x, 1, true, 3).values,
      gradWant: [[1, 0, 2, 3, 0, 0, 0, 4, 5, 0, 6, 0]], torch: 'x[0].sort(dim=1, descending=True, stable=True).values[:, :3]',
    },
    {
      label: 'k 2 smallest with ties (stable)', shapes: [[1, 6]], values: [[1, 0, 1, 0, 2, 0]],
      call: (f, x) => (f as unknown as TopkFn)(x, 2, -1, false).values, expect: (_R, x) => sortRef(x, 1, false, 2).values,
      gradWant: [[0, 1, 0, 2, 0, 0]], torch: 'x[0].sort(dim=1, stable=True).values[:, :2]',
    },
  ],
});
type TopkFn = {
  (input: Tensor, k: number, dim?: number, largest?: boolean, sorted?: boolean): ValuesIndicesPair;
  (input: Tensor, k: number, opts: { dim?: number; largest?: boolean; sorted?: boolean }): ValuesIndicesPair;
};
export const topk: typeof topkOp & TopkFn = topkOp as never;

interface Methods {
  sort: Method<typeof sort>;
  argsort: Method<typeof argsort>;
  topk: Method<typeof topk>;
}
declare module '../tensor.js' {
  interface Tensor {
    sort(dim?: number, descending?: boolean, opts?: { stable?: boolean }): ValuesIndicesPair;
    sort(opts: SortKw): ValuesIndicesPair;
    sort(dim: number, opts: { descending?: boolean; stable?: boolean }): ValuesIndicesPair;
    argsort(dim?: number, descending?: boolean, opts?: { stable?: boolean }): Tensor;
    argsort(opts: SortKw): Tensor;
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): ValuesIndicesPair;
    topk(k: number, opts: { dim?: number; largest?: boolean; sorted?: boolean }): ValuesIndicesPair;
  }
}
// a record with a method name that is missing above fails to compile here
const methodsDeclared: AssertDeclared<MethodNames<typeof import('./sort.js')>, Methods> = true;
void methodsDeclared;
