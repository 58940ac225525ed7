/**
 * nb.func: composable function transforms with torch.func's names.
 *   grad(f)(x)            ∇f(x) of a scalar f (reverse mode)
 *   vjp(f, ...x)          [f(x), u ↦ uᵀ·J]
 *   jvp(f, x, v)          [f(x), J·v] in ONE forward pass carrying tangents (forward mode, no backward)
 *   jacrev(f)(x)          the Jacobian, one backward per output element
 *   jacfwd(f)(x)          the Jacobian, one forward-mode pass per input element
 *   hessian(f)(x)         jacfwd(jacrev(f)): forward-over-reverse
 * A Jacobian of f: [...x.shape] → [...y.shape] has shape [...y.shape, ...x.shape]. `argnums` picks the
 * inputs to differentiate (default 0; an array gives one result per index).
 * They compose: an input that already takes part in an outer transform (it requires grad, or carries a
 * tangent) is differentiated through, not cut off.
 */
import { Tensor } from '../tensor.js';
import { runBackward } from './engine.js';
import { enableGrad } from './gradMode.js';
import { alias } from './record.js';
import { isLevelActive, setTangent, tangentOf, withoutTangents } from './forward.js';
import { dualLevel, makeDual, unpackDual } from './forwardAD.js';
import { forwardJvp } from './jvp.js';
import { fmt } from '../shape.js';
import { stack } from '../ops/movement.js';
import { reshape } from '../ops/movement.js';

type Fn = (...xs: Tensor[]) => Tensor;
export interface ArgnumsOptions {
  argnums?: number | readonly number[];
}

function argnumsOf(op: string, n: number, a: ArgnumsOptions['argnums']): { list: number[]; single: boolean } {
  const list = a === undefined ? [0] : typeof a === 'number' ? [a] : [...a];
  for (const i of list) if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${op}: argnums ${i} is out of range for a function called with ${n} argument${n === 1 ? '' : 's'}`);
  return { list, single: typeof a === 'number' || a === undefined };
}

function checkInputs(op: string, xs: readonly unknown[]): asserts xs is Tensor[] {
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument ${i} must be a Tensor, got ${typeof x}`);
  });
}

/** A fresh differentiable handle on x for an inner reverse pass, keeping x's links to outer transforms. */
function differentiable(x: Tensor): Tensor {
  if (x.requiresGrad) return alias(x, 'func');
  const h = withoutTangents(() => x.detach()).requiresGrad_(true);
  setTangent(h, tangentOf(x));
  return h;
}

/** Gradients of `ys` (seeded by `seeds`) w.r.t. `xs`, zeros where an input is unused. */
function pullback(op: string, ys: Tensor[], seeds: Tensor[], xs: Tensor[], createGraph: boolean): Tensor[] {
  const live = ys.map((y) => y.requiresGrad);
  if (!live.some(Boolean)) return xs.map(zerosOf);
  const gs = runBackward(ys.filter((_, i) => live[i]), seeds.filter((_, i) => live[i]), { retainGraph: true, createGraph, capture: xs, allowUnused: true }, op);
  return gs.map((g, i) => g ?? zerosOf(xs[i]!));
}

function zerosOf(t: Tensor): Tensor {
  return Tensor.fromValues(new Float64Array(t.numel()), t.shape, t.dtype, t.backend);
}

/** createGraph when an outer reverse transform will differentiate the result */
const outerReverse = (xs: readonly Tensor[]) => xs.some((x) => x.requiresGrad);

/** grad(f)(...xs): the gradient of a scalar-valued f w.r.t. xs[argnums]. */
export function grad(f: Fn, opts: ArgnumsOptions = {}): (...xs: Tensor[]) => Tensor | Tensor[] {
  return (...xs: Tensor[]) => {
    checkInputs('func.grad', xs);
    const { list, single } = argnumsOf('func.grad', xs.length, opts.argnums);
    return enableGrad(() => {
      const args = xs.slice();
      const hs = list.map((i) => (args[i] = differentiable(xs[i]!)));
      const y = f(...args);
      if (!(y instanceof Tensor) || y.numel() !== 1) throw new Error(`func.grad: the function must return a one-element Tensor, got ${y instanceof Tensor ? `shape ${fmt(y.shape)}` : typeof y}`);
      const gs = pullback('func.grad', [y], [Tensor.fromValues([1], y.shape, y.dtype, y.backend)], hs, outerReverse(xs));
      return single ? gs[0]! : gs;
    });
  };
}

/** vjp(f, ...primals) → [f(primals), u ↦ [uᵀ·∂f/∂primals[i] for each i]]. */
export function vjp(f: Fn, ...primals: Tensor[]): [Tensor, (cotangent: Tensor) => Tensor[]] {
  checkInputs('func.vjp', primals);
  return enableGrad(() => {
    const hs = primals.map(differentiable);
    const y = f(...hs);
    if (!(y instanceof Tensor)) throw new TypeError('func.vjp: the function must return a Tensor');
    const create = outerReverse(primals);
    const pull = (u: Tensor): Tensor[] => {
      if (!(u instanceof Tensor) || u.shape.length !== y.shape.length || u.shape.some((s, i) => s !== y.shape[i])) {
        throw new Error(`func.vjp: the cotangent must be a Tensor of the output's shape ${fmt(y.shape)}`);
      }
      return enableGrad(() => pullback('func.vjp', [y], [u], hs, create));
    };
    return [create ? y : y.detach(), pull];
  });
}

/** jvp(f, primals, tangents) → [f(primals), J·tangents], one forward pass carrying tangents. */
export function jvp(f: Fn, primals: readonly Tensor[], tangents: readonly Tensor[]): [Tensor, Tensor] {
  return forwardJvp(f, primals, tangents, 'func.jvp');
}

/** The Jacobian by reverse mode: one backward per output element, rows stacked. */
export function jacrev(f: Fn, opts: ArgnumsOptions = {}): (...xs: Tensor[]) => Tensor | Tensor[] {
  return (...xs: Tensor[]) => {
    checkInputs('func.jacrev', xs);
    const { list, single } = argnumsOf('func.jacrev', xs.length, opts.argnums);
    return enableGrad(() => {
      const args = xs.slice();
      const hs = list.map((i) => (args[i] = differentiable(xs[i]!)));
      const y = f(...args);
      if (!(y instanceof Tensor)) throw new TypeError('func.jacrev: the function must return a Tensor');
      const create = outerReverse(xs);
      const rows: Tensor[][] = hs.map(() => []);
      for (let e = 0; e < y.numel(); e++) {
        const seed = new Float64Array(y.numel());
        seed[e] = 1;
        const gs = pullback('func.jacrev', [y], [Tensor.fromValues(seed, y.shape, y.dtype, y.backend)], hs, create);
        gs.forEach((g, k) => rows[k]!.push(g));
      }
      const js = hs.map((h, k) => (y.numel() === 0 ? zerosOf(Tensor.fromValues([], [...y.shape, ...h.shape], h.dtype, h.backend)) : reshape(stack(rows[k]!), [...y.shape, ...h.shape])));
      return single ? js[0]! : js;
    });
  };
}

/** The Jacobian by forward mode: one pass per input element with a one-hot tangent, columns stacked. */
export function jacfwd(f: Fn, opts: ArgnumsOptions = {}): (...xs: Tensor[]) => Tensor | Tensor[] {
  return (...xs: Tensor[]) => {
    checkInputs('func.jacfwd', xs);
    const { list, single } = argnumsOf('func.jacfwd', xs.length, opts.argnums);
    if (isLevelActive()) throw new Error('func.jacfwd: nested forward-mode transforms (jacfwd/jvp inside jacfwd/jvp) are not supported');
    const js = list.map((i) => {
      const x = xs[i]!;
      const cols: Tensor[] = [];
      let yShape: readonly number[] = [];
      for (let k = 0; k < x.numel(); k++) {
        const t = new Float64Array(x.numel());
        t[k] = 1;
        const col = dualLevel(() => {
          const args = xs.slice();
          args[i] = makeDual(x, Tensor.fromValues(t, x.shape, x.dtype, x.backend));
          const y = f(...args);
          if (!(y instanceof Tensor)) throw new TypeError('func.jacfwd: the function must return a Tensor');
          yShape = y.shape;
          return unpackDual(y).tangent ?? zerosOf(y);
        });
        cols.push(col);
      }
      if (x.numel() === 0) return Tensor.fromValues([], [...f(...xs).shape, ...x.shape], x.dtype, x.backend);
      return reshape(stack(cols, -1), [...yShape, ...x.shape]);
    });
    return single ? js[0]! : js;
  };
}

/** The Hessian of a scalar f: jacfwd(jacrev(f)) — forward mode over reverse mode. */
export function hessian(f: Fn, opts: ArgnumsOptions = {}): (...xs: Tensor[]) => Tensor | Tensor[] {
  const a = opts.argnums;
  const inner = jacrev(f, { argnums: a });
  if (a === undefined || typeof a === 'number') return jacfwd(inner as Fn, { argnums: a });
  // several argnums: the Hessian block [i][j] = ∂/∂x_j of ∂f/∂x_i
  return (...xs: Tensor[]) => a.map((i, k) => jacfwd((...ys: Tensor[]) => (inner(...ys) as Tensor[])[k]!, { argnums: a })(...xs)).flat();
}
