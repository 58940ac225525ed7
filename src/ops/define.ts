/**
 * Op records: one declaration per op is the single source of truth for it.
 *
 *   defineOp({ name, method, args, forward, saves, vjp, jvp, cases })
 *
 * gives the `nb.*` function (which validates its arguments against `args`), the Tensor method `method`,
 * the graph node (backward = `vjp`, written in nabla ops so it differentiates again), the forward-mode
 * rule (`jvp`, also in nabla ops) and the rows of the op test table (`cases`; test/op_records.ts turns
 * them into gradcheck/gradgradcheck/forward-mode/float32 rows, and fails for a record without cases).
 *
 * Rule contexts: `vjp(g, c)` gets the upstream gradient g and c = the named non-tensor arguments, the
 * tensors listed in `saves` ('result' is the output) and `shapes` of every tensor input; it returns a
 * gradient per tensor input name. `jvp(t, c)` gets the tangent of every tensor input (zeros where an
 * input has none) and c = all named arguments plus `result`; it returns the output's tangent.
 * 'linear' as jvp means the op is linear in its tensor inputs: ẏ = f(ẋ, same options).
 */
import { floatOf, type DType } from '../dtype.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { needsGraph, record } from '../autograd/record.js';
import { isForwardActive, zerosShaped } from '../autograd/forward.js';
import type { AnySpec, Named, Params, TensorNames } from './args.js';
import { ops } from './registry.js';

/** How the op-table tests sample an input. */
export type Domain =
  /** standard normal */
  | 'real'
  /** uniform in [0.5, 2] */
  | 'positive'
  /** ±[0.3, 1.5]: away from 0 (abs, relu, sign, division, reciprocal, prod) */
  | 'nonzero'
  /** uniform in [-0.9, 0.9] */
  | 'unit'
  /** uniform in [0.05, 0.95]: probabilities */
  | 'prob'
  /** normal, but never within 0.05 of ±0.5 or 0.2 (the clamp/maximum bounds the cases use) */
  | 'clampSafe';

/** One row of the op test table. Inputs are float64 tensors of `shapes`, sampled from `domain`. */
export interface CaseSpec<F> {
  /** appended to the op name to name the row ("add broadcast [3,1]+[1,4]") */
  label?: string;
  /** one shape per sampled input */
  shapes: number[][];
  /** how to call the op on the sampled inputs (default: op(...inputs)) */
  call?: (op: F, ...xs: Tensor[]) => Tensor | Tensor[];
  domain?: Domain | Domain[];
  /** element-wise float64 reference of the output from the input elements (broadcast like the op) */
  ref?: (...v: number[]) => number;
  /** gradgradcheck runs unless false */
  twice?: false;
  /** gradcheck runs unless false (a forward that rounds to float32 cannot be checked by float64 differences) */
  gradcheck?: false;
  /** view() needs contiguous input by definition: skip the non-contiguous layouts */
  contiguousOnly?: true;
  noExpanded?: true;
  /** float32 closeness to the float64 result (default atol 1e-5, rtol 1e-4) */
  f32?: { atol: number; rtol: number };
}

type Outputs = Tensor | Tensor[];
type Grads<A extends readonly AnySpec[]> = { [K in TensorNames<A>]?: Tensor | null };
export type RuleCtx<A extends readonly AnySpec[]> = Named<A> & {
  result: Tensor;
  results: Tensor[];
  shapes: { [K in TensorNames<A>]: Shape };
  dtypes: { [K in TensorNames<A>]: DType };
};

export type OpFn<A extends readonly AnySpec[], O extends Outputs> = (...args: Params<A>) => O;

export interface OpDef<A extends readonly AnySpec[], M extends string, O extends Outputs> {
  name: string;
  /** the Tensor method (x.name(...rest)); its first argument is the tensor itself */
  method?: M;
  args: A;
  /** turn checked arguments into what forward and the rules see (lift scalars to tensors, ...) */
  prepare?: (a: Named<A>) => Named<A>;
  /** kernel calls (no autograd), or — with composite — a composition of differentiable ops */
  forward: (a: Named<A>) => O;
  /** forward is built from differentiable ops: its gradient and tangent come from theirs */
  composite?: true;
  /** tensors the backward reads (version-checked against in-place changes) */
  saves?: readonly (TensorNames<A> | 'result')[];
  vjp?: (g: O extends Tensor[] ? (Tensor | null)[] : Tensor, c: RuleCtx<A> & { needs: { [K in TensorNames<A>]: boolean } }) => Grads<A>;
  jvp?: 'linear' | ((t: { [K in TensorNames<A>]: Tensor }, c: RuleCtx<A>) => O extends Tensor[] ? (Tensor | null)[] : Tensor);
  /** inputs broadcast against each other: each gradient is summed back to its input's shape */
  broadcast?: true;
  cases: CaseSpec<OpFn<A, O>>[];
}

export interface OpRecord {
  readonly name: string;
  readonly method?: string;
  readonly args: readonly AnySpec[];
  readonly differentiable: boolean;
  readonly composite: boolean;
  readonly cases: readonly CaseSpec<any>[];
  readonly fn: (...args: any[]) => Outputs;
}

/** Every op declared so far, in declaration order (the test table iterates it). */
export const opRecords: OpRecord[] = [];

export type Op<A extends readonly AnySpec[], M extends string, O extends Outputs> = OpFn<A, O> & { readonly record: OpRecord; readonly methodName?: M };

/** The method an op brings: x.method(...rest) ≡ op(x, ...rest). */
export type Method<F> = F extends (x: any, ...r: infer R) => infer O ? (...r: R) => O : never;
/** Method names declared by the ops of a module (for the exhaustiveness check beside each declare-module block). */
export type MethodNames<T> = { [K in keyof T]: T[K] extends { readonly methodName?: infer M extends string } ? (string extends M ? never : M) : never }[keyof T];
/** Compiles only when every name in Want is a key of Have: a record's method missing from the Tensor declarations fails to compile. */
export type AssertDeclared<Want extends string, Have> = [Exclude<Want, keyof Have>] extends [never] ? true : { missingMethodDeclarations: Exclude<Want, keyof Have> };

export function defineOp<const A extends readonly AnySpec[], const M extends string = never, O extends Outputs = Tensor>(def: OpDef<A, M, O>): Op<A, M, O> {
  const { name, args: specs, prepare, forward, vjp, jvp, broadcast } = def;
  if (vjp && !jvp) throw new Error(`defineOp ${name}: a differentiable op needs a forward-mode rule (jvp) beside its vjp`);
  if (!def.cases.length) throw new Error(`defineOp ${name}: an op record needs at least one test case`);
  const n = specs.length;
  const required = specs.filter((s) => !s.optional).length;
  const signature = `${name}(${specs.map((s) => (s.optional ? `${s.name}?` : s.name)).join(', ')})`;
  const saves = (def.saves ?? []) as readonly string[];
  const saveResult = saves.includes('result');
  const savedInputs = saves.filter((s) => s !== 'result');

  const fn = function (...args: unknown[]): Outputs {
    if (args.length > n || args.length < required) {
      throw new TypeError(`${name}: expected ${required === n ? n : `${required} to ${n}`} argument${n === 1 ? '' : 's'} ${signature}, got ${args.length}`);
    }
    let a: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) a[specs[i]!.name] = specs[i]!.check(name, args[i]);
    if (prepare) a = prepare(a as Named<A>) as Record<string, unknown>;
    const out = forward(a as Named<A>);
    if (def.composite || !vjp) return out;
    const outs: Tensor[] = Array.isArray(out) ? out : [out as Tensor];
    const inputs: (Tensor | null)[] = [];
    const inputNames: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = a[specs[i]!.name];
      if (v instanceof Tensor) { inputs.push(v); inputNames.push(specs[i]!.name); }
    }
    // an op that hands back an input unchanged (reshape to the same shape) adds no node
    for (const o of outs) if (inputs.includes(o)) return out;
    const fw = isForwardActive();
    if (!fw && !needsGraph(inputs)) return out;

    // what backward may read: non-tensor arguments and shapes (never an unsaved tensor, so it can be freed)
    const base: Record<string, unknown> = {};
    const shapes: Record<string, Shape> = {};
    const dtypes: Record<string, DType> = {};
    for (const k in a) if (!(a[k] instanceof Tensor)) base[k] = a[k];
    for (let i = 0; i < inputs.length; i++) { shapes[inputNames[i]!] = inputs[i]!.shape; dtypes[inputNames[i]!] = inputs[i]!.dtype; }
    base.shapes = shapes;
    base.dtypes = dtypes;
    const savedNames = savedInputs.filter((k) => a[k] instanceof Tensor);
    const save: Tensor[] = savedNames.map((k) => a[k] as Tensor);
    if (saveResult) save.push(outs[0]!);

    record(
      name, inputs, outs, save,
      (gs, saved, needs) => {
        const c: Record<string, unknown> = { ...base };
        savedNames.forEach((k, i) => (c[k] = saved[i]));
        if (saveResult) c.result = saved[savedNames.length];
        const nd: Record<string, boolean> = {};
        inputNames.forEach((k, i) => (nd[k] = needs[i]!));
        c.needs = nd;
        const g = Array.isArray(out) ? gs : gs[0]!;
        const r = vjp(g as never, c as never) as Record<string, Tensor | null | undefined>;
        return inputNames.map((k, i) => {
          const gi = needs[i] ? r[k] : null;
          if (!gi) return null;
          return broadcast ? ops.sumToShape(gi, shapes[k]!) : gi;
        });
      },
      fw ? (tin) => {
        if (jvp === 'linear') {
          const pos = specs.map((s) => {
            const v = a[s.name];
            if (!(v instanceof Tensor)) return v;
            const t = tin[inputNames.indexOf(s.name)];
            return t ?? zerosShaped(v);
          });
          const r = (fn as (...x: unknown[]) => Outputs)(...pos);
          return Array.isArray(r) ? r : [r];
        }
        const t: Record<string, Tensor> = {};
        inputNames.forEach((k, i) => (t[k] = tin[i] ?? zerosShaped(inputs[i]!)));
        const c = { ...a, result: outs[0], results: outs, shapes, dtypes };
        const r = (jvp as (t: unknown, c: unknown) => Outputs)(t, c);
        return Array.isArray(r) ? r : [r];
      } : null,
    );
    return out;
  };
  Object.defineProperty(fn, 'name', { value: name });
  const rec: OpRecord = { name, method: def.method, args: specs, differentiable: !!vjp || !!def.composite, composite: !!def.composite, cases: def.cases, fn };
  (fn as unknown as { record: OpRecord }).record = rec;
  opRecords.push(rec);
  if (def.method) {
    const m = def.method as string;
    Object.defineProperty(Tensor.prototype, m, {
      value: function (this: Tensor, ...rest: unknown[]) { return fn(this, ...rest); },
      writable: true, configurable: true, enumerable: false,
    });
  }
  return fn as unknown as Op<A, M, O>;
}

/** The float dtype an op on x computes in (integers and bool compute in float32). */
export const floatDtypeOf = (x: Tensor) => floatOf(x.dtype);
