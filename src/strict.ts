/**
 * Strict arguments for the public constructors and functions outside the op records: nothing a caller
 * passes is ever silently ignored. An unknown option key, a surplus argument or a wrong type is an error
 * that names the function, the argument and what was expected; a snake_case key (what a PyTorch user
 * types first) gets "did you mean weightDecay?".
 *
 * `mergeArgs` turns PyTorch's positional call forms into one options object: `new Conv2d(1, 4, 3, 1, 1)`
 * and `new Conv2d(1, 4, 3, {stride: 1, padding: 1})` read the same. The trailing argument is the options
 * object when it is a plain object; a name given both positionally and as a key is an error.
 */
import { Tensor } from './tensor.js';

/** A plain `{...}` object (not a tensor, array, class instance or null). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || x instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed key a mistyped one most likely meant (snake_case → camelCase, case, or ≤ 2 edits), if any. */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  const c = camel(key);
  if (c !== key && allowed.includes(c)) return c;
  const lower = key.toLowerCase().replace(/_/g, '');
  const byCase = allowed.find((a) => a.toLowerCase() === lower);
  if (byCase) return byCase;
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const dist = editDistance(key.toLowerCase(), a.toLowerCase());
    if (dist < bestD && dist < Math.max(2, a.length / 2)) { best = a; bestD = dist; }
  }
  return best;
}

export function unknownKeyMessage(fn: string, key: string, allowed: readonly string[], what = 'option'): string {
  const s = suggestKey(key, allowed);
  const hint = s ? ` (did you mean ${s}?)` : '';
  const list = allowed.length ? `; expected one of: ${allowed.join(', ')}` : '; it takes no options';
  return `${fn}: unknown ${what} '${key}'${hint}${list}`;
}

/** Throw unless `opts` is undefined or a plain object whose keys are all in `allowed`. */
export function checkOptions(fn: string, opts: unknown, allowed: readonly string[], argName = 'options'): void {
  if (opts === undefined) return;
  if (!isPlainObject(opts)) throw new TypeError(`${fn}: ${argName} must be an object {${allowed.join(', ')}}, got ${describeValue(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new TypeError(unknownKeyMessage(fn, k, allowed));
  }
}

/** Throw when more than `max` arguments were passed. */
export function checkArity(fn: string, args: ArrayLike<unknown>, max: number, signature: string): void {
  let n = args.length;
  while (n > max && args[n - 1] === undefined) n--;
  if (n > max) {
    throw new TypeError(`${fn}: expected at most ${max} argument${max === 1 ? '' : 's'} ${signature}, got ${n} (extra: ${describeValue(args[max])})`);
  }
}

/** A short description of a value for error messages. */
export function describeValue(v: unknown): string {
  if (v instanceof Tensor) return `a tensor ${v.describe()}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array [${v.slice(0, 6).map((x) => (typeof x === 'object' && x !== null ? '…' : String(x))).join(', ')}${v.length > 6 ? ', …' : ''}]`;
  if (typeof v === 'string') return `the string '${v}'`;
  if (typeof v === 'function') return 'a function';
  if (v instanceof Promise) return 'a Promise (did you forget await?)';
  if (typeof v === 'object') {
    const name = Object.getPrototypeOf(v)?.constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : `an object with keys {${Object.keys(v as object).join(', ')}}`;
  }
  return `${typeof v} ${String(v)}`;
}

/**
 * Read PyTorch-style arguments: `names` lists every parameter in order (positional ones first);
 * `args` are the values passed, optionally ending in an options object whose keys may be any of
 * `names` or `extraKeys`. Returns one record; undefined entries are left out.
 */
export function mergeArgs(fn: string, args: ArrayLike<unknown>, names: readonly string[], extraKeys: readonly string[] = []): Record<string, unknown> {
  const list = Array.from(args);
  while (list.length && list[list.length - 1] === undefined) list.pop();
  let opts: Record<string, unknown> = {};
  if (list.length && isPlainObject(list[list.length - 1])) opts = list.pop() as Record<string, unknown>;
  const allowed = [...names, ...extraKeys];
  if (list.length > names.length) {
    throw new TypeError(`${fn}: expected at most ${names.length} positional argument${names.length === 1 ? '' : 's'} (${names.join(', ')}) and an options object, got ${list.length} (extra: ${describeValue(list[names.length])})`);
  }
  for (const k of Object.keys(opts)) if (!allowed.includes(k)) throw new TypeError(unknownKeyMessage(fn, k, allowed));
  const out: Record<string, unknown> = {};
  list.forEach((v, i) => {
    if (v === undefined) return;
    const name = names[i]!;
    if (opts[name] !== undefined) throw new TypeError(`${fn}: ${name} given twice (as argument ${i + 1} and as an option)`);
    out[name] = v;
  });
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) out[k] = v;
  return out;
}

/** Type checks for merged arguments; each names the function and the argument. */
export function expectNumber(fn: string, name: string, v: unknown, what = 'a number'): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${fn}: ${name} must be ${what}, got ${describeValue(v)}`);
  return v;
}

export function expectInt(fn: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new TypeError(`${fn}: ${name} must be ${min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : 'an integer'}, got ${describeValue(v)}`);
  }
  return v;
}

export function expectBool(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be true or false, got ${describeValue(v)}`);
  return v;
}

export function expectOneOf<T extends string>(fn: string, name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !choices.includes(v as T)) {
    throw new TypeError(`${fn}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(v)}`);
  }
  return v as T;
}
