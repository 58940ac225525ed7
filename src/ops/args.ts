/**
 * Argument schemas for op records. Each spec names an argument, says what it accepts and, for optional
 * ones, its default; `check` validates one value and returns it normalised (defaults filled in). A bad
 * value raises an error naming the op, the argument and what was expected. The checks are a few
 * typeof/instanceof tests: cheap enough for every call of an element-wise op.
 */
import { DTYPES, type DType } from '../dtype.js';
import { Tensor } from '../tensor.js';

export type TensorLike = Tensor | number;

/** In: what callers pass; Out: what forward and the rules see; N: the name; Opt: may be omitted. */
export interface ArgSpec<In = unknown, Out = In, N extends string = string, Opt extends boolean = boolean> {
  readonly name: N;
  readonly optional: Opt;
  /** the value the op's forward sees, or an error naming the op, the argument and what it must be */
  check(op: string, v: unknown): Out;
  /** the rest of the call's arguments, gathered into one array (a shape given as numbers or as one array) */
  readonly rest?: true;
  /** phantom: the caller-side type */
  readonly __in?: In;
}
export type AnySpec = ArgSpec<any, any, string, boolean>;

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `a Tensor ${v.describe()}`;
  if (Array.isArray(v)) return `an array [${v.slice(0, 6).map((x) => (typeof x === 'object' ? typeof x : String(x))).join(', ')}${v.length > 6 ? ', ...' : ''}]`;
  if (typeof v === 'string') return `the string '${v}'`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function argError(op: string, name: string, expected: string, v: unknown): TypeError {
  return new TypeError(`${op}: argument '${name}' must be ${expected}, got ${describeValue(v)}`);
}

/** A Tensor (required). */
export function tensor<const N extends string>(name: N): ArgSpec<Tensor, Tensor, N, false> {
  return {
    name, optional: false,
    check(op, v) {
      if (!(v instanceof Tensor)) throw argError(op, name, 'a Tensor', v);
      return v;
    },
  };
}

/** A Tensor or null/undefined (an optional bias, weight, ...). */
export function optTensor<const N extends string>(name: N): ArgSpec<Tensor | null | undefined, Tensor | null, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined || v === null) return null;
      if (!(v instanceof Tensor)) throw argError(op, name, 'a Tensor or null', v);
      return v;
    },
  };
}

/**
 * A Tensor or a number. The family's `prepare` step lifts numbers to 0-d tensors of the common dtype, so
 * forward and the rules see Tensors (`Out` = Tensor).
 */
export function tensorLike<const N extends string>(name: N): ArgSpec<TensorLike, Tensor, N, false> {
  return {
    name, optional: false,
    check(op, v) {
      if (!(v instanceof Tensor) && typeof v !== 'number') throw argError(op, name, 'a Tensor or a number', v);
      return v as Tensor;
    },
  };
}

/** A number; with a default it may be omitted (undefined takes the default). */
export function num<const N extends string>(name: N): ArgSpec<number, number, N, false>;
export function num<const N extends string>(name: N, dflt: number): ArgSpec<number | undefined, number, N, true>;
export function num<const N extends string>(name: N, dflt?: number): AnySpec {
  const optional = dflt !== undefined;
  return {
    name, optional,
    check(op: string, v: unknown) {
      if (v === undefined && optional) return dflt;
      if (typeof v !== 'number') throw argError(op, name, 'a number', v);
      return v;
    },
  };
}

/** An integer; with a default it may be omitted. */
export function int<const N extends string>(name: N): ArgSpec<number, number, N, false>;
export function int<const N extends string>(name: N, dflt: number): ArgSpec<number | undefined, number, N, true>;
export function int<const N extends string>(name: N, dflt?: number): AnySpec {
  const optional = dflt !== undefined;
  return {
    name, optional,
    check(op: string, v: unknown) {
      if (v === undefined && optional) return dflt;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw argError(op, name, 'an integer', v);
      return v;
    },
  };
}

/** One dim (an integer) or undefined/null (absent: all dims, flattened). */
export function optDim<const N extends string>(name: N): ArgSpec<number | null | undefined, number | undefined, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw argError(op, name, 'one integer or undefined', v);
      return v;
    },
  };
}

/** A boolean or undefined (absent: the op decides, e.g. var's unbiased against its correction). */
export function optBool<const N extends string>(name: N): ArgSpec<boolean | undefined, boolean | undefined, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined) return undefined;
      if (typeof v !== 'boolean') throw argError(op, name, 'a boolean', v);
      return v;
    },
  };
}

/** A number, null or undefined (clamp's bounds): normalised to null when absent. */
export function optNum<const N extends string>(name: N): ArgSpec<number | null | undefined, number | null, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined || v === null) return null;
      if (typeof v !== 'number') throw argError(op, name, 'a number or null', v);
      return v;
    },
  };
}

export function bool<const N extends string>(name: N, dflt: boolean): ArgSpec<boolean | undefined, boolean, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined) return dflt;
      if (typeof v !== 'boolean') throw argError(op, name, 'a boolean', v);
      return v;
    },
  };
}

/** One of a few strings. */
export function oneOf<const N extends string, const V extends string>(name: N, values: readonly V[], dflt: V): ArgSpec<V | undefined, V, N, true> {
  const expected = `one of ${values.map((v) => `'${v}'`).join(', ')}`;
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined) return dflt;
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw argError(op, name, expected, v);
      return v as V;
    },
  };
}

export function dtypeArg<const N extends string>(name: N): ArgSpec<DType, DType, N, false> {
  const expected = `a dtype (${DTYPES.map((d) => `'${d}'`).join(', ')})`;
  return {
    name, optional: false,
    check(op, v) {
      if (typeof v !== 'string' || !(DTYPES as readonly string[]).includes(v)) throw argError(op, name, expected, v);
      return v as DType;
    },
  };
}

/** A dim, a list of dims, or undefined/null (all dims). Normalisation against the rank happens in forward. */
export function dims<const N extends string>(name: N): ArgSpec<number | readonly number[] | null | undefined, number | number[] | undefined, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isInteger(d))) return v;
      throw argError(op, name, 'an integer, an array of integers or undefined', v);
    },
  };
}

/**
 * A shape as the rest of the arguments: reshape(x, 2, 3) ≡ reshape(x, [2, 3]). Integers (−1 where the op
 * infers a size) or one array of them.
 */
export function shapeRest<const N extends string>(name: N): ArgSpec<number | readonly number[], number[], N, true> & { readonly rest: true } {
  return {
    name, optional: true, rest: true,
    check(op, v) {
      const list = v as unknown[];
      const flat = list.length === 1 && Array.isArray(list[0]) ? (list[0] as unknown[]) : list;
      if (!flat.every((d) => typeof d === 'number' && Number.isInteger(d))) throw argError(op, name, 'integers or one array of integers', list.length === 1 ? list[0] : list);
      return flat.slice() as number[];
    },
  };
}

/** An array of Tensors (cat's inputs); each one is a differentiable input of the op. */
export function tensorList<const N extends string>(name: N): ArgSpec<readonly Tensor[], Tensor[], N, false> {
  return {
    name, optional: false,
    check(op, v) {
      if (!Array.isArray(v) || v.length === 0) throw new Error(`${op}: expected a non-empty array of tensors`);
      v.forEach((t, i) => { if (!(t instanceof Tensor)) throw new TypeError(`${op}: argument ${name}[${i}] must be a Tensor, got ${describeValue(t)}`); });
      return v as Tensor[];
    },
  };
}

// ---- option objects

type FieldIn<S> = S extends ArgSpec<infer I, any, any, any> ? I : never;
type FieldOut<S> = S extends ArgSpec<any, infer O, any, any> ? O : never;
export type OptionsIn<F extends Record<string, AnySpec>> = { [K in keyof F]?: Exclude<FieldIn<F[K]>, undefined> };
export type OptionsOut<F extends Record<string, AnySpec>> = { [K in keyof F]: FieldOut<F[K]> };

/**
 * An options object ({ beta, threshold }). Fields are specs named by their keys (`beta: num('beta', 1)`). An unknown key raises; a snake_case spelling of a known key gets "did you mean weightDecay?".
 */
export function options<const N extends string, const F extends Record<string, AnySpec>>(name: N, fields: F): ArgSpec<OptionsIn<F> | undefined, OptionsOut<F>, N, true> {
  const keys = Object.keys(fields);
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined || v === null) v = {};
      if (typeof v !== 'object' || Array.isArray(v) || v instanceof Tensor) throw argError(op, name, `an options object { ${keys.join(', ')} }`, v);
      const src = v as Record<string, unknown>;
      for (const k in src) {
        if (Object.prototype.hasOwnProperty.call(fields, k)) continue;
        // weight_decay, weight-decay and weightdecay all suggest weightDecay: compare without case and separators
        const guess = keys.find((c) => c.toLowerCase() === k.toLowerCase().replace(/[_-]/g, ''));
        throw new TypeError(`${op}: unknown option '${k}' in argument '${name}'${guess ? `; did you mean ${guess}?` : ''} (known options: ${keys.join(', ') || 'none'})`);
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = fields[k]!.check(op, src[k]);
      return out as OptionsOut<F>;
    },
  };
}

// ---- tuple types for the generated function

type InOf<S> = S extends ArgSpec<infer I, any, any, any> ? I : never;
type OutOf<S> = S extends ArgSpec<any, infer O, any, any> ? O : never;

/** The parameter list of the op function: optional specs become optional parameters. */
export type Params<A extends readonly AnySpec[]> = A extends readonly [infer H, ...infer R extends readonly AnySpec[]]
  ? H extends { readonly rest: true } ? number[] | [readonly number[]]
  : H extends ArgSpec<any, any, any, true>
    ? [arg?: InOf<H>, ...rest: Params<R>]
    : [arg: InOf<H>, ...rest: Params<R>]
  : [];

/** The named, normalised arguments forward and the rules receive. */
export type Named<A extends readonly AnySpec[]> = { [S in A[number] as S['name']]: OutOf<S> };
/** Names of the arguments that reach forward as Tensors (the op's differentiable inputs). */
export type TensorNames<A extends readonly AnySpec[]> = { [S in A[number] as OutOf<S> extends Tensor ? S['name'] : OutOf<S> extends Tensor | null ? S['name'] : OutOf<S> extends Tensor[] ? S['name'] : never]: true } extends infer T ? keyof T & string : never;
