/**
 * autograd.grad, Jacobian-vector and Hessian-vector products, gradcheck/gradgradcheck.
 * jvp is true forward mode (forwardAD.ts: one forward pass carrying tangents). The reverse-over-reverse
 * form (the double-vjp trick: u ↦ Jᵀu is linear in u, so its derivative along t is J·t) stays as
 * jvpReverseOverReverse, for comparison.
 */
import { fmt, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { runBackward } from './engine.js';
import { enableGrad, noGrad } from './gradMode.js';
import { full, zerosLike, randn } from '../creation.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Generator } from '../random.js';
import { checkArity, checkOptions, describeValue } from '../strict.js';
import { forwardJvp } from './jvp.js';

export interface GradOptions {
  gradOutputs?: (Tensor | null)[] | Tensor | null;
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/** Gradients of outputs w.r.t. inputs, without touching any .grad (torch.autograd.grad). */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? inputs : [inputs as Tensor];
  const gos = opts.gradOutputs === undefined || opts.gradOutputs === null ? outs.map(() => null) : Array.isArray(opts.gradOutputs) ? opts.gradOutputs : [opts.gradOutputs as Tensor];
  if (gos.length !== outs.length) throw new Error(`autograd.grad: got ${gos.length} gradOutputs for ${outs.length} outputs`);
  const seeds = outs.map((o, i) => {
    if (!(o instanceof Tensor)) throw new TypeError(`autograd.grad: output ${i} is not a Tensor`);
    const g = gos[i];
    if (g) {
      if (!sameShape(g.shape, o.shape)) throw new Error(`autograd.grad: gradOutputs[${i}] has shape ${fmt(g.shape)}, but output ${i} has shape ${fmt(o.shape)}`);
      return g;
    }
    if (o.numel() !== 1) throw new Error(`autograd.grad: grad can be implicitly created only for scalar outputs; output ${i} has shape ${fmt(o.shape)}`);
    return full(o.shape, 1, { dtype: o.dtype });
  });
  return runBackward(outs, seeds, { retainGraph: opts.retainGraph, createGraph: opts.createGraph, capture: ins, allowUnused: opts.allowUnused }, 'autograd.grad');
}

/** Jacobian-vector product by forward mode (one pass carrying tangents): returns [f(primals), J·tangents]. */
export function jvp(fn: (...xs: Tensor[]) => Tensor, primals: readonly Tensor[], tangents: readonly Tensor[]): [Tensor, Tensor] {
  return forwardJvp(fn, primals, tangents, 'autograd.jvp');
}

/** The same product by reverse-over-reverse (two backward passes and a graph of the backward): [f(primals), J·tangents]. */
export function jvpReverseOverReverse(fn: (...xs: Tensor[]) => Tensor, primals: readonly Tensor[], tangents: readonly Tensor[]): [Tensor, Tensor] {
  return enableGrad(() => {
    const xs = primals.map((p) => noGrad(() => p.detach()).requiresGrad_(true));
    const y = fn(...xs);
    const u = zerosLike(y).requiresGrad_(true);
    const g = grad(y, xs, { gradOutputs: u, createGraph: true, allowUnused: true });
    // Σ_i <g_i(u), t_i> is linear in u; its gradient w.r.t. u is J·t
    let acc: Tensor | null = null;
    g.forEach((gi, i) => {
      if (!gi) return;
      const term = sum(mul(gi, tangents[i]!));
      acc = acc ? acc.add(term) : term;
    });
    if (!acc) return [y.detach(), zerosLike(y)];
    const [jt] = grad(acc, [u], { allowUnused: true });
    return [y.detach(), jt ?? zerosLike(y)];
  });
}

/** Hessian-vector product of a scalar function: returns [f(x), H·v] (reverse-over-reverse). */
export function hvp(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], v: readonly Tensor[]): [Tensor, Tensor[]] {
  return enableGrad(() => {
    const xs = inputs.map((p) => p.detach().requiresGrad_(true));
    const y = fn(...xs);
    if (!y.requiresGrad) return [y.detach(), xs.map((x) => zerosLike(x))];
    const g = grad(y, xs, { createGraph: true, allowUnused: true }).map((gi, i) => gi ?? zerosLike(xs[i]!));
    let dot: Tensor | null = null;
    g.forEach((gi, i) => { const t = sum(mul(gi!, v[i]!)); dot = dot ? dot.add(t) : t; });
    // a gradient that does not depend on x (f linear in x) has no graph: H = 0
    if (!(dot as Tensor | null)?.requiresGrad) return [y.detach(), xs.map((x) => zerosLike(x))];
    const hv = grad(dot!, xs, { allowUnused: true });
    return [y.detach(), hv.map((h, i) => h ?? zerosLike(xs[i]!))];
  });
}

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** throw on failure (default) or return false */
  raiseException?: boolean;
  /** name used in the failure message (defaults to fn.name) */
  name?: string;
}

/** gradcheck(fn, x) with one tensor or gradcheck(fn, [x, y]); options checked like every public function. */
function checkInputs(op: string, fn: unknown, inputs: Tensor | readonly Tensor[], opts: unknown, args: ArrayLike<unknown>, extra: string[] = []): readonly Tensor[] {
  checkArity(op, args, 3, '(fn, inputs, {eps, atol, rtol, raiseException, name})');
  if (typeof fn !== 'function') throw new TypeError(`${op}: fn must be a function, got ${describeValue(fn)}`);
  checkOptions(op, opts, ['eps', 'atol', 'rtol', 'raiseException', 'name', ...extra]);
  const list = inputs instanceof Tensor ? [inputs] : inputs;
  if (!Array.isArray(list) || !list.every((x) => x instanceof Tensor)) throw new TypeError(`${op}: inputs must be a tensor or an array of tensors, got ${describeValue(inputs)}`);
  return list;
}

function flatOutputs(r: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(r) ? r : [r];
}

/**
 * Compare the Jacobian from backward with central differences (f(x+eps) − f(x−eps)) / 2eps, in float64,
 * element by element: |analytical − numerical| ≤ atol + rtol·|numerical|. Defaults as PyTorch: eps 1e-6,
 * atol 1e-5, rtol 1e-3.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputsArg: Tensor | readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  const inputs = checkInputs('gradcheck', fn, inputsArg, opts, arguments);
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  let name = opts.name ?? (fn.name || 'function');
  inputs.forEach((x, i) => {
    if (x.requiresGrad && x.dtype !== 'float64') {
      throw new Error(`gradcheck: input ${i} of ${name} is ${x.dtype}; gradcheck needs float64 inputs (float32 differences are too coarse for its tolerances)`);
    }
  });
  const diffIdx = inputs.map((x, i) => (x.requiresGrad ? i : -1)).filter((i) => i >= 0);
  if (diffIdx.length === 0) throw new Error(`gradcheck: no input of ${name} requires grad`);

  const evalAt = (xs: Tensor[]) => noGrad(() => flatOutputs(fn(...xs)).map((o) => Float64Array.from(o.data())));
  const base = inputs.map((x) => (x.requiresGrad ? noGrad(() => x.detach().contiguous()) : x));
  const outs0 = evalAt(base);
  const outSizes = outs0.map((o) => o.length);
  const totalOut = outSizes.reduce((a, b) => a + b, 0);

  // numerical Jacobian: one column per input element
  const numJ = new Map<number, Float64Array>();
  for (const i of diffIdx) {
    const x = base[i]!;
    const vals = Float64Array.from(x.data());
    const J = new Float64Array(vals.length * totalOut);
    for (let k = 0; k < vals.length; k++) {
      const orig = vals[k]!;
      vals[k] = orig + eps;
      const plus = evalAt(base.map((b, j) => (j === i ? Tensor.fromValues(vals, x.shape, 'float64', x.backend) : b)));
      vals[k] = orig - eps;
      const minus = evalAt(base.map((b, j) => (j === i ? Tensor.fromValues(vals, x.shape, 'float64', x.backend) : b)));
      vals[k] = orig;
      let r = 0;
      plus.forEach((p, o) => {
        for (let e = 0; e < p.length; e++, r++) J[r * vals.length + k] = (p[e]! - minus[o]![e]!) / (2 * eps);
      });
    }
    numJ.set(i, J);
  }

  // analytical Jacobian: one backward per output element
  const xs = inputs.map((x) => (x.requiresGrad ? noGrad(() => x.detach()).requiresGrad_(true) : x));
  const outs = enableGrad(() => flatOutputs(fn(...xs)));
  // an anonymous wrapper is named by the op(s) that produced its outputs
  if (opts.name === undefined && !fn.name) name = producerNames(outs) ?? name;
  const anaJ = new Map<number, Float64Array>(diffIdx.map((i) => [i, new Float64Array(inputs[i]!.numel() * totalOut)]));
  let r = 0;
  outs.forEach((o, oi) => {
    for (let e = 0; e < outSizes[oi]!; e++, r++) {
      if (!o.requiresGrad) continue;
      const seedVals = new Float64Array(o.numel());
      seedVals[e] = 1;
      const gos = outs.map((oo, j) => (j === oi ? Tensor.fromValues(seedVals, o.shape, o.dtype, o.backend) : zerosLike(oo)));
      const diffOuts = outs.filter((oo) => oo.requiresGrad);
      const gs = grad(diffOuts, diffIdx.map((i) => xs[i]!), { gradOutputs: gos.filter((_, j) => outs[j]!.requiresGrad), retainGraph: true, allowUnused: true });
      diffIdx.forEach((i, gi) => {
        const g = gs[gi];
        // the engine has checked g's shape against the input's and cast it to the input's dtype
        if (!g) return;
        const d = g.data();
        const J = anaJ.get(i)!;
        for (let k = 0; k < d.length; k++) J[r * d.length + k] = d[k]!;
      });
    }
  });

  for (const i of diffIdx) {
    const N = numJ.get(i)!, A = anaJ.get(i)!;
    let worst = -1, worstErr = 0;
    for (let k = 0; k < N.length; k++) {
      const err = Math.abs(A[k]! - N[k]!) - (atol + rtol * Math.abs(N[k]!));
      if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) { worst = k; worstErr = err; }
    }
    if (worst >= 0) {
      const n = inputs[i]!.numel();
      const [oi, oe] = outputElement(Math.floor(worst / n), outSizes);
      const outName = outSizes.length > 1 ? `output ${oi} ${outs[oi]!.describe()}` : `output ${outs[oi]!.describe()}`;
      const msg =
        `gradcheck failed for ${name}: Jacobian mismatch of ${outName} element ${oe} ${indexOf(oe, outs[oi]!.shape)} with respect to input ${i} ${inputs[i]!.describe()}, element ${worst % n} ${indexOf(worst % n, inputs[i]!.shape)} (the worst of ${countFailures(N, A, atol, rtol)} failing entries):\n` +
        `  numerical:  ${N[worst]}\n  analytical: ${A[worst]}\n  (eps ${eps}, atol ${atol}, rtol ${rtol})`;
      if (opts.raiseException === false) return false;
      throw new Error(msg);
    }
  }
  return true;
}

/** the names of the graph nodes that produced these outputs ("mul", "MyFunction"), or null when none did */
function producerNames(outs: readonly Tensor[]): string | null {
  const names = [...new Set(outs.map((o) => o.gradFn?.name).filter((n): n is string => !!n))];
  return names.length ? names.join(', ') : null;
}

/** which output a flat row of the stacked Jacobian belongs to, and its flat index there */
function outputElement(row: number, sizes: readonly number[]): [number, number] {
  let o = 0;
  while (o < sizes.length - 1 && row >= sizes[o]!) row -= sizes[o++]!;
  return [o, row];
}

/** the row-major multi-index of a flat position, e.g. "[1, 2]" */
function indexOf(flat: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = flat % shape[d]!; flat = Math.floor(flat / shape[d]!); }
  return `[${idx.join(', ')}]`;
}

function countFailures(N: Float64Array, A: Float64Array, atol: number, rtol: number): number {
  let c = 0;
  for (let k = 0; k < N.length; k++) if (!(Math.abs(A[k]! - N[k]!) <= atol + rtol * Math.abs(N[k]!))) c++;
  return c;
}

/**
 * gradgradcheck: gradcheck of (inputs, v) ↦ vᵀ·J, i.e. of the backward formulas themselves.
 * v is a seeded random float64 cotangent per output. First it checks that the backward run with
 * createGraph (which several ops compute by a separate, differentiable branch) gives the same vᵀ·J as
 * the plain first-order backward, within atol + rtol·|first order|.
 */
export function gradgradcheck(fn: (...xs: Tensor[]) => Tensor | Tensor[], inputsArg: Tensor | readonly Tensor[], opts: GradcheckOptions & { seed?: number } = {}): boolean {
  const inputs = checkInputs('gradgradcheck', fn, inputsArg, opts, arguments, ['seed']);
  let name = opts.name ?? (fn.name || 'function');
  const outs = noGrad(() => flatOutputs(fn(...inputs)));
  const gen = new Generator(opts.seed ?? 1234);
  const vs = outs.map((o) => randn(o.shape, { dtype: 'float64', generator: gen }).requiresGrad_(true));
  const diffIdx = inputs.map((x, i) => (x.requiresGrad ? i : -1)).filter((i) => i >= 0);
  const nIn = inputs.length;
  const backwardFn = (...args: Tensor[]): Tensor[] => enableGrad(() => {
    // gradcheck's numerical pass hands in plain (non-grad) copies: the inner backward still needs a graph
    const xs = args.slice(0, nIn).map((a, i) => (inputs[i]!.requiresGrad && !a.requiresGrad ? a.detach().requiresGrad_(true) : a));
    const v = args.slice(nIn);
    const ys = flatOutputs(fn(...xs));
    const gs = grad(ys.filter((y) => y.requiresGrad), diffIdx.map((i) => xs[i]!), {
      gradOutputs: v.filter((_, j) => ys[j]!.requiresGrad),
      createGraph: true,
      allowUnused: true,
    });
    return gs.map((g, k) => g ?? zerosLike(xs[diffIdx[k]!]!));
  });
  // the createGraph backward (a separate branch in several ops) must give the first-order gradient itself
  const firstOrder = enableGrad(() => {
    const xs = inputs.map((x) => (x.requiresGrad ? noGrad(() => x.detach()).requiresGrad_(true) : x));
    const ys = flatOutputs(fn(...xs));
    if (opts.name === undefined && !fn.name) name = producerNames(ys) ?? name;
    const gs = grad(ys.filter((y) => y.requiresGrad), diffIdx.map((i) => xs[i]!), {
      gradOutputs: vs.filter((_, j) => ys[j]!.requiresGrad).map((v) => v.detach()),
      allowUnused: true,
    });
    return gs.map((g) => (g ? Float64Array.from(g.data()) : null));
  });
  const graphed = noGrad(() => backwardFn(...inputs.map((x) => (x.requiresGrad ? x.detach() : x)), ...vs.map((v) => v.detach())))
    .map((g) => Float64Array.from(g.data()));
  const atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-3;
  for (let k = 0; k < diffIdx.length; k++) {
    const i = diffIdx[k]!, a = firstOrder[k], b = graphed[k]!;
    for (let e = 0; e < b.length; e++) {
      const ref = a ? a[e]! : 0;
      if (!(Math.abs(b[e]! - ref) <= atol + rtol * Math.abs(ref))) {
        const msg = `gradgradcheck failed for ${name}: the createGraph backward differs from the first-order backward for input ${i} ${inputs[i]!.describe()}, element ${e} ${indexOf(e, inputs[i]!.shape)}:\n` +
          `  first order: ${ref}\n  createGraph: ${b[e]}\n  (atol ${atol}, rtol ${rtol})`;
        if (opts.raiseException === false) return false;
        throw new Error(msg);
      }
    }
  }
  return gradcheck(backwardFn, [...inputs, ...vs], { ...opts, name: `${name} (second order)` });
}

