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
import { record } from '../autograd/record.js';
import { isGradEnabled } from '../autograd/gradMode.js';
import type { BackwardFn } from '../autograd/node.js';
import type { JvpFn } from '../autograd/forward.js';
import { isForwardActive, zerosShaped } from '../autograd/forward.js';
import type { AnySpec, Named, Params, TensorNames } from './args.js';
import { sumToShape } from './sumToShape.js';
import { isPlainObject, unknownKeyMessage } from '../strict.js';

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

/** A float64 array of the op-table references: row-major data of `shape`. */
export interface Arr {
  shape: number[];
  data: number[];
}
type ArrFn = (...xs: Arr[]) => Arr;
/**
 * The float64 reference helpers the op-table harness hands to a case's `expect` (plain-JS implementations in
 * test/ops_table.ts, independent of nabla's kernels). Declared here as a type only: the library never runs them.
 */
export interface RefLib {
  /** element-wise f */
  un(f: (x: number) => number): ArrFn;
  /** element-wise f of two arrays, broadcast */
  bin(f: (x: number, y: number) => number): ArrFn;
  /** element-wise f of three arrays, broadcast */
  tern(f: (c: number, x: number, y: number) => number): ArrFn;
  /** any number of arrays, broadcast against each other */
  nary(f: (...v: number[]) => number): ArrFn;
  /** f of each group's values over dims (all when undefined) */
  reduce(f: (vals: number[]) => number, dims?: number[], keepdim?: boolean): ArrFn;
  permute(p: number[]): ArrFn;
  reshape(shape: number[]): ArrFn;
  expand(shape: number[]): ArrFn;
  /** len elements from start with step along dim */
  slice(dim: number, start: number, len: number, step?: number): ArrFn;
  cat(dim: number): ArrFn;
  gather(dim: number, index: Arr): ArrFn;
  indexSelect(dim: number, index: number[]): ArrFn;
  scatterAdd(shape: number[], dim: number, index: Arr): ArrFn;
  indexAdd(shape: number[], dim: number, index: number[]): ArrFn;
  /** matmul with PyTorch's 1-D promotion and batch broadcasting */
  matmul(a: Arr, b: Arr): Arr;
  sum(v: number[]): number;
  mean(v: number[]): number;
  prod(v: number[]): number;
  max(v: number[]): number;
  min(v: number[]): number;
  var(correction: number): (v: number[]) => number;
  /** log Σ exp */
  lse(v: number[]): number;
}

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
  /** float64 reference of the whole output (several outputs: an array), built with the harness's helpers */
  expect?: (R: RefLib, ...xs: Arr[]) => Arr | Arr[];
  /** the row is differentiable although the record is not (call composes it with a differentiable op) */
  differentiable?: true;
  /** gradgradcheck runs unless false */
  twice?: false;
  /** gradcheck runs unless false (a forward that rounds to float32 cannot be checked by float64 differences) */
  gradcheck?: false;
  /** view() needs contiguous input by definition: skip the non-contiguous layouts */
  contiguousOnly?: true;
  noExpanded?: true;
  /** float32 closeness to the float64 result (default atol 1e-5, rtol 1e-4) */
  f32?: { atol: number; rtol: number };
  /**
   * fixed input values (row-major, one list per input) instead of sampled ones: an edge point of the op (ties,
   * zeros, −∞ rows), where the derivative is PyTorch's chosen subgradient
   */
  values?: number[][];
  /**
   * the gradient of Σ w·outputs with w = 1, 2, 3, … (row-major over the first output) at `values`, checked
   * instead of gradcheck (central differences cannot see a subgradient at a tie)
   */
  gradWant?: number[][];
  /**
   * the same computation in PyTorch, on the list `x` of the row's input tensors (`F.softplus(x[0], beta=2)`):
   * the PyTorch differential suite (systest/torch_ops) compares values and gradients with it
   */
  torch?: string;
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
  /** tensors the backward reads (version-checked against in-place changes); 'result' is the (first) output, an
   * output name (see `outputs`) that output */
  saves?: readonly (TensorNames<A> | 'result' | (string & {}))[];
  /**
   * PyTorch keyword arguments: a trailing plain object may give any argument after the first by name
   * (x.sum(1, {keepdim: true}) ≡ x.sum({dim: 1, keepdim: true}) ≡ x.sum(1, true)); an unknown key raises with
   * "did you mean", a name given both positionally and as a key raises.
   */
  kwargs?: true;
  /** how many arguments may be given by position (the rest are keyword-only); default all */
  positional?: number;
  /** rewrite a call before it is matched against `args` (a PyTorch form the positional schema cannot express) */
  callForm?: (args: unknown[]) => unknown[];
  /**
   * names of the outputs of a multi-output op (forward returns them as an array): the op returns an object
   * {values, indices} that also destructures as [values, indices] (PyTorch's named tuple)
   */
  outputs?: readonly string[];
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
  readonly fn: (...args: any[]) => any;
}

/** An op's outputs by name that also destructure and index as an array (PyTorch's named tuple). */
export function namedOutputs<T extends Record<string, Tensor>>(names: readonly string[], outs: readonly Tensor[], proto: object = namedProto(names)): T & Iterable<Tensor> & { [i: number]: Tensor } {
  const r = Object.create(proto) as Record<string, Tensor>;
  for (let i = 0; i < names.length; i++) r[names[i]!] = outs[i]!;
  return r as unknown as T & Iterable<Tensor> & { [i: number]: Tensor };
}

/** the shared prototype of one op's named outputs: index getters and the iterator (not own, not enumerable) */
const namedProtos = new Map<string, object>();
function namedProto(names: readonly string[]): object {
  const key = names.join(',');
  let p = namedProtos.get(key);
  if (!p) {
    p = {};
    Object.defineProperty(p, Symbol.iterator, { value: function* (this: Record<string, Tensor>) { for (const n of names) yield this[n]!; } });
    names.forEach((n, i) => Object.defineProperty(p, i, { get(this: Record<string, Tensor>) { return this[n]; } }));
    namedProtos.set(key, p);
  }
  return p;
}

/** Attach x.name(...rest) ≡ fn(x, ...rest) to Tensor (for call-form dispatchers that are not records themselves). */
export function attachMethod(name: string, fn: (x: Tensor, ...rest: any[]) => unknown): void {
  Object.defineProperty(Tensor.prototype, name, {
    // fixed arities spare the rest-array and spread of the common calls; arguments.length keeps trailing undefineds
    value: function (this: Tensor, p?: unknown, q?: unknown, r?: unknown) {
      switch (arguments.length) {
        case 0: return fn(this);
        case 1: return fn(this, p);
        case 2: return fn(this, p, q);
        case 3: return fn(this, p, q, r);
        default: return fn(this, ...arguments);
      }
    },
    writable: true, configurable: true, enumerable: false,
  });
}

/** Every op declared so far, in declaration order (the test table iterates it). */
export const opRecords: OpRecord[] = [];

export type Op<A extends readonly AnySpec[], M extends string, O extends Outputs> = OpFn<A, O> & { readonly record: OpRecord; readonly methodName?: M };

/** The method an op brings: x.method(...rest) ≡ op(x, ...rest). */
export type Method<F> = F extends (x: any, ...r: infer R) => infer O ? (...r: R) => O : never;
/**
 * The Tensor methods of an op module, from its namespace type: each export but those in Skip becomes the
 * method of the same name, typed Method<op>. The keys come from the export names alone (never from their
 * types), which is what lets `interface Tensor extends MethodsOf<...>` compile: a key that needed the records'
 * types would make Tensor's base type depend on Tensor. MethodsMismatch checks the names against the records.
 */
export type MethodsOf<NS, Skip extends keyof NS = never> = { [K in keyof NS as K extends Skip ? never : K]: Method<NS[K]> };
/**
 * The exports of an op module that MethodsOf gets wrong: one outside Skip that is not an op record with a
 * method of its own name, or one in Skip whose record has a method (never when all agree; checked beside each
 * declaration, so a new export without a method must be named in Skip).
 */
export type MethodsMismatch<NS, Skip extends keyof NS> = {
  [K in keyof NS]: NS[K] extends { readonly methodName?: infer M } ? Agrees<K, Exclude<M, undefined>, K extends Skip ? true : false> : K extends Skip ? never : K;
}[keyof NS];
/** Compiles (as `true`) only when MethodsMismatch is empty; otherwise the type names the disagreeing exports. */
export type AssertMethods<NS, Skip extends keyof NS> = [MethodsMismatch<NS, Skip>] extends [never] ? true : { methodNameDisagreesWithExport: MethodsMismatch<NS, Skip> };
/** K when a record named K with method M disagrees with being skipped (no method) or not (method K) */
type Agrees<K, M, Skipped extends boolean> = Skipped extends true ? ([M] extends [never] ? never : K) : [M] extends [K] ? ([K] extends [M] ? never : K) : K;
/** Method names declared by the ops of a module (for the exhaustiveness check beside each declare-module block). */
export type MethodNames<T> = { [K in keyof T]: T[K] extends { readonly methodName?: infer M extends string } ? (string extends M ? never : M) : never }[keyof T];
/** Compiles only when every name in Want is a key of Have: a record's method missing from the Tensor declarations fails to compile. */
export type AssertDeclared<Want extends string, Have> = [Exclude<Want, keyof Have>] extends [never] ? true : { missingMethodDeclarations: Exclude<Want, keyof Have> };

type VjpRule = (g: Tensor | (Tensor | null)[], c: Record<string, unknown>) => Record<string, Tensor | (Tensor | null)[] | null | undefined>;
type JvpRule = 'linear' | ((t: Record<string, Tensor | Tensor[]>, c: Record<string, unknown>) => Outputs);

/** What a record's graph node needs from the record itself (built once per record, shared by its calls). */
interface RuleInfo {
  readonly name: string;
  readonly specs: readonly AnySpec[];
  readonly specNames: readonly string[];
  readonly vjp: VjpRule | undefined;
  readonly jvp: JvpRule | undefined;
  readonly broadcast: boolean;
  readonly savedInputs: readonly string[];
  readonly saveResult: boolean;
  readonly savedOutputs: readonly string[];
  readonly outNames: readonly string[];
  readonly restLast: boolean;
  readonly call: (...args: unknown[]) => Outputs;
  /** argument patterns seen so far (see patternOf) */
  readonly patterns: Map<number, ArgPattern>;
}

/** (x, 2, 3) → (x, [2, 3]): the trailing arguments of a rest-shaped schema gathered into one array */
function gatherRest(args: unknown[], n: number): unknown[] {
  const head = args.slice(0, n - 1);
  head.push(args.slice(n - 1));
  return head;
}

/** grad mode is on and a tensor argument (or a member of a tensor-list argument) requires grad */
function anyNeedsGrad(specNames: readonly string[], a: Record<string, unknown>): boolean {
  if (!isGradEnabled()) return false;
  for (let i = 0; i < specNames.length; i++) {
    const v = a[specNames[i]!];
    if (v instanceof Tensor) { if (v.requiresGrad) return true; }
    else if (Array.isArray(v)) { for (const t of v) if (t instanceof Tensor && t.requiresGrad) return true; }
  }
  return false;
}

/**
 * Which arguments of a call are tensors, by the set of argument positions that hold one (a bit per position):
 * their names and the names of the other (plain) arguments. One entry per pattern an op is called with, so a
 * call's graph node needs no per-call name lists.
 */
interface ArgPattern { readonly tensorNames: readonly string[]; readonly plainNames: readonly string[] }
function patternOf(r: RuleInfo, mask: number): ArgPattern {
  let p = r.patterns.get(mask);
  if (!p) {
    p = { tensorNames: r.specNames.filter((_, i) => mask & (1 << i)), plainNames: r.specNames.filter((_, i) => !(mask & (1 << i))) };
    r.patterns.set(mask, p);
  }
  return p;
}
const NONE: readonly never[] = [];

/**
 * Record the graph node of one call. Kept out of the call wrapper so that the backward closure captures only
 * what it reads (names, shapes, dtypes, non-tensor arguments): an input that is not saved stays collectable.
 */
function attach(r: RuleInfo, a: Record<string, unknown>, out: Outputs): Outputs {
  const fw = isForwardActive();
  if (!fw && !anyNeedsGrad(r.specNames, a)) return out; // no node: nothing to build (noGrad, or no input requires grad)
  const multi = Array.isArray(out);
  const outs: Tensor[] = multi ? out : [out];
  const specNames = r.specNames;
  // the common case, tensors and plain values only (no tensor lists; at most 31 arguments): names by pattern
  let mask = 0, count = 0, hasList = specNames.length > 31;
  for (let i = 0; i < specNames.length && !hasList; i++) {
    const v = a[specNames[i]!];
    if (v instanceof Tensor) { mask |= 1 << i; count++; }
    else if (Array.isArray(v) && v[0] instanceof Tensor) hasList = true;
  }
  let inputs: Tensor[], inputNames: readonly string[], plainNames: readonly string[], lists: Record<string, number> | null = null;
  if (!hasList) {
    const p = patternOf(r, mask);
    inputNames = p.tensorNames;
    plainNames = p.plainNames;
    inputs = new Array<Tensor>(count);
    for (let i = 0; i < count; i++) inputs[i] = a[inputNames[i]!] as Tensor;
  } else {
    inputs = [];
    const names: string[] = [], plain: string[] = [];
    for (let i = 0; i < specNames.length; i++) {
      const k = specNames[i]!;
      const v = a[k];
      if (v instanceof Tensor) { inputs.push(v); names.push(k); }
      else if (Array.isArray(v) && v[0] instanceof Tensor) {
        (lists ??= {})[k] = inputs.length;
        for (const t of v as Tensor[]) { inputs.push(t); names.push(k); }
      } else plain.push(k);
    }
    inputNames = names;
    plainNames = plain;
  }
  // an op that hands back an input unchanged (reshape to the same shape) adds no node
  for (let i = 0; i < outs.length; i++) if (inputs.includes(outs[i]!)) return out;

  // what backward may read: non-tensor arguments and shapes (never an unsaved tensor, so it can be freed)
  const shapes: Record<string, Shape | Shape[]> = {};
  const dtypes: Record<string, DType | DType[]> = {};
  for (let i = 0; i < inputs.length; i++) {
    const k = inputNames[i]!;
    if (lists && k in lists) continue;
    shapes[k] = inputs[i]!.shape;
    dtypes[k] = inputs[i]!.dtype;
  }
  if (lists) for (const k in lists) { const l = a[k] as Tensor[]; shapes[k] = l.map((t) => t.shape); dtypes[k] = l.map((t) => t.dtype); }
  let save: Tensor[] | readonly never[] = NONE, savedNames: string[] | readonly never[] = NONE;
  if (r.savedInputs.length || r.saveResult || r.savedOutputs.length) {
    const sv: Tensor[] = [], sn: string[] = [];
    for (const k of r.savedInputs) if (a[k] instanceof Tensor) { sn.push(k); sv.push(a[k] as Tensor); }
    if (r.saveResult) sv.push(outs[0]!);
    for (const k of r.savedOutputs) sv.push(outs[r.outNames.indexOf(k)]!);
    save = sv;
    savedNames = sn;
  }
  const plainValues = new Array<unknown>(plainNames.length);
  for (let i = 0; i < plainNames.length; i++) plainValues[i] = a[plainNames[i]!];

  record(r.name, inputs, outs, save, backwardOf(r, plainNames, plainValues, lists, shapes, dtypes, inputNames, savedNames, multi), fw ? jvpOf(r, a, lists, inputs, inputNames, outs, shapes, dtypes) : null);
  return out;
}

/** The node's backward: builds the rule context (non-tensor arguments, saved tensors, shapes) only when it runs. */
function backwardOf(
  r: RuleInfo, plainNames: readonly string[], plainValues: readonly unknown[], lists: Record<string, number> | null,
  shapes: Record<string, unknown>, dtypes: Record<string, unknown>, inputNames: readonly string[], savedNames: readonly string[], multi: boolean,
): BackwardFn {
  return (gs, saved, needs) => {
    const c: Record<string, unknown> = {};
    for (let i = 0; i < plainNames.length; i++) c[plainNames[i]!] = plainValues[i];
    c.shapes = shapes;
    c.dtypes = dtypes;
    for (let i = 0; i < savedNames.length; i++) c[savedNames[i]!] = saved[i];
    let j = savedNames.length;
    if (r.saveResult) c.result = saved[j++];
    for (const k of r.savedOutputs) c[k] = saved[j++];
    const nd: Record<string, boolean> = {};
    for (let i = 0; i < inputNames.length; i++) nd[inputNames[i]!] = nd[inputNames[i]!] || needs[i]!;
    c.needs = nd;
    const g = r.vjp!(multi ? gs : gs[0]!, c);
    const grads: (Tensor | null)[] = new Array(inputNames.length);
    for (let i = 0; i < inputNames.length; i++) {
      const k = inputNames[i]!;
      const ri = g[k];
      const gi = !needs[i] ? null : Array.isArray(ri) ? ri[i - lists![k]!] : ri;
      grads[i] = gi ? (r.broadcast ? sumToShape(gi, shapes[k] as Shape) : gi) : null;
    }
    return grads;
  };
}

/** The node's forward-mode rule (only while a dual level is active; it may hold the call's arguments). */
function jvpOf(
  r: RuleInfo, a: Record<string, unknown>, lists: Record<string, number> | null, inputs: readonly Tensor[], inputNames: readonly string[],
  outs: readonly Tensor[], shapes: Record<string, unknown>, dtypes: Record<string, unknown>,
): JvpFn {
  return (tin) => {
    if (r.jvp === 'linear') {
      const pos = r.specs.map((s) => {
        const v = a[s.name];
        if (lists && s.name in lists) return (v as Tensor[]).map((x, j) => tin[lists[s.name]! + j] ?? zerosShaped(x));
        if (!(v instanceof Tensor)) return v;
        const t = tin[inputNames.indexOf(s.name)];
        return t ?? zerosShaped(v);
      });
      if (r.restLast) pos.push(...(pos.pop() as unknown[]));
      const y = r.call(...pos);
      return Array.isArray(y) ? y : [y];
    }
    const t: Record<string, Tensor | Tensor[]> = {};
    inputNames.forEach((k, i) => {
      const ti = tin[i] ?? zerosShaped(inputs[i]!);
      if (lists && k in lists) ((t[k] ??= []) as Tensor[]).push(ti);
      else t[k] = ti;
    });
    const y = r.jvp!(t, { ...a, result: outs[0], results: outs, shapes, dtypes });
    return Array.isArray(y) ? y : [y];
  };
}

export function defineOp<const A extends readonly AnySpec[], const M extends string = never, O extends Outputs = Tensor>(def: OpDef<A, M, O>): Op<A, M, O> {
  const { name, args: specs, prepare, forward, vjp, jvp, broadcast } = def;
  if (vjp && !jvp) throw new Error(`defineOp ${name}: a differentiable op needs a forward-mode rule (jvp) beside its vjp`);
  if (!def.cases.length) throw new Error(`defineOp ${name}: an op record needs at least one test case`);
  const n = specs.length;
  const required = specs.filter((s) => !s.optional).length;
  const signature = `${name}(${specs.map((s) => (s.optional ? `${s.name}?` : s.name)).join(', ')})`;
  const saves = (def.saves ?? []) as readonly string[];
  const saveResult = saves.includes('result');
  const outNames = def.outputs ?? [];
  const savedOutputs = saves.filter((s) => outNames.includes(s));
  const savedInputs = saves.filter((s) => s !== 'result' && !outNames.includes(s));
  const { kwargs, callForm } = def;
  const maxPositional = def.positional ?? n;
  const kwNames = specs.slice(1).map((s) => s.name);
  const restLast = n > 0 && !!specs[n - 1]!.rest;
  const specNames = specs.map((s) => s.name);

  /** (a, b, {c: 1}) → (a, b, 1): keyword arguments to positions */
  const placeKeywords = (args: unknown[]): unknown[] => {
    let k = args.length;
    while (k > 0 && args[k - 1] === undefined) k--;
    const last = args[k - 1];
    if (k < 2 || !isPlainObject(last)) {
      if (k > maxPositional && k <= n) throw new TypeError(`${name}: expected at most ${maxPositional} positional arguments (${specs.slice(0, maxPositional).map((s) => s.name).join(', ')}), got ${k}; give ${specs.slice(maxPositional).map((s) => s.name).join(', ')} by name ({${specs[maxPositional]!.name}: ...})`);
      return args;
    }
    const list = args.slice(0, k - 1);
    if (list.length > maxPositional) throw new TypeError(`${name}: expected at most ${maxPositional} positional arguments (${specs.slice(0, maxPositional).map((s) => s.name).join(', ')}) and an options object, got ${list.length}`);
    for (const key of Object.keys(last)) {
      const i = kwNames.indexOf(key) + 1;
      if (i === 0) throw new TypeError(unknownKeyMessage(name, key, kwNames));
      const v = last[key];
      if (v === undefined) continue;
      if (list[i] !== undefined) throw new TypeError(`${name}: ${key} given twice (as an argument and as an option)`);
      while (list.length <= i) list.push(undefined);
      list[i] = v;
    }
    return list;
  };

  const call = function (...args: unknown[]): Outputs {
    if (callForm) args = callForm(args);
    if (kwargs) args = placeKeywords(args);
    if (restLast) args = gatherRest(args, n);
    if (args.length > n || args.length < required) {
      throw new TypeError(`${name}: expected ${required === n ? n : `${required} to ${n}`} argument${n === 1 ? '' : 's'} ${signature}, got ${args.length}`);
    }
    let a: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) a[specNames[i]!] = specs[i]!.check(name, args[i]);
    if (prepare) a = prepare(a as Named<A>) as Record<string, unknown>;
    const out = forward(a as Named<A>);
    if (def.composite || !vjp) return out;
    return attach(rule, a, out);
  };
  const rule: RuleInfo = {
    name, specs, specNames, vjp: vjp as VjpRule | undefined, jvp: jvp as JvpRule | undefined, broadcast: !!broadcast,
    savedInputs, saveResult, savedOutputs, outNames, restLast, call: call as (...args: unknown[]) => Outputs, patterns: new Map(),
  };
  const proto = def.outputs ? namedProto(outNames) : null;
  const fn = proto ? (...args: unknown[]) => namedOutputs(outNames, call(...args) as Tensor[], proto) : call;
  Object.defineProperty(fn, 'name', { value: name });
  const rec: OpRecord = { name, method: def.method, args: specs, differentiable: !!vjp || !!def.composite, composite: !!def.composite, cases: def.cases, fn };
  (fn as unknown as { record: OpRecord }).record = rec;
  opRecords.push(rec);
  if (def.method) {
    attachMethod(def.method as string, fn as (x: Tensor, ...rest: unknown[]) => unknown);
  }
  return fn as unknown as Op<A, M, O>;
}

/** The float dtype an op on x computes in (integers and bool compute in float32). */
export const floatDtypeOf = (x: Tensor) => floatOf(x.dtype);
