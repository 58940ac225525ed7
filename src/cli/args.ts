/**
 * A tiny typed argv parser. Options are declared once, in a spec keyed by camelCase name; the flag is the
 * kebab-case form (`batchSize` → `--batch-size`). The parsed values are typed from the spec, `--help` text is
 * generated from it, and anything unknown or malformed throws an ArgError whose message names the flag,
 * what it expects and what it got — e.g. `--epochs expects a positive integer, got "x"`.
 *
 * Accepted forms: `--name value`, `--name=value`, `--flag` / `--no-flag` for booleans, `--` ends options.
 * A repeated option takes its last value.
 */

export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgError';
  }
}

interface BaseOption {
  help: string;
  /** Short alias, one letter, used as `-e 3`. */
  short?: string;
  /** Fail when absent (only meaningful without a default). */
  required?: boolean;
}

export interface NumberOption extends BaseOption {
  type: 'number' | 'int';
  default?: number;
  /** inclusive lower bound */
  min?: number;
  /** inclusive upper bound */
  max?: number;
  /** strictly greater than zero */
  positive?: boolean;
  /** extra check: return an error text (e.g. "must be a power of two") or undefined when fine */
  validate?: (v: number) => string | undefined;
}

export interface StringOption extends BaseOption {
  type: 'string';
  default?: string;
  validate?: (v: string) => string | undefined;
}

export interface EnumOption<C extends string = string> extends BaseOption {
  type: 'enum';
  choices: readonly C[];
  default?: C;
}

export interface BooleanOption extends BaseOption {
  type: 'boolean';
  /** defaults to false */
  default?: boolean;
}

export type OptionSpec = NumberOption | StringOption | EnumOption | BooleanOption;
export type ArgSpec = Record<string, OptionSpec>;

type ValueOf<O> = O extends { type: 'number' | 'int' }
  ? number
  : O extends { type: 'string' }
    ? string
    : O extends { type: 'enum'; choices: readonly (infer C)[] }
      ? C
      : O extends { type: 'boolean' }
        ? boolean
        : never;

/** An option is always present when it has a default, is required, or is a boolean (absent means false). */
export type ParsedValues<S extends ArgSpec> = {
  [K in keyof S]: S[K] extends { default: unknown } | { required: true } | { type: 'boolean' } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

export interface ParseResult<S extends ArgSpec> {
  values: ParsedValues<S>;
  positionals: string[];
  /** true when --help or -h was given; values then hold defaults only and the caller should print formatHelp */
  help: boolean;
}

export interface ParseOptions {
  /** how many positional arguments are allowed (default 0: any positional is an error) */
  maxPositionals?: number;
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/**
 * Declare a spec outside the parseArgs call while keeping enum choices as literal types
 * (a plain object literal would widen ['sgd', 'adam'] to string[]).
 */
export function defineArgs<const S extends ArgSpec>(spec: S): S {
  return spec;
}

/** Parse argv (without the node and script entries) against a spec. Throws ArgError on bad input. */
export function parseArgs<const S extends ArgSpec>(spec: S, argv: readonly string[], opts: ParseOptions = {}): ParseResult<S> {
  const byFlag = new Map<string, string>();
  const byShort = new Map<string, string>();
  for (const key of Object.keys(spec)) {
    const o = spec[key]!;
    byFlag.set(kebab(key), key);
    if (o.short !== undefined) byShort.set(o.short, key);
    // a bad default is a bug in the program, not the user's input: say so plainly
    if (o.default !== undefined && o.type !== 'boolean') {
      try {
        convert(key, o, String(o.default));
      } catch (err) {
        throw new Error(`parseArgs: default for --${kebab(key)} is invalid: ${(err as Error).message}`);
      }
    }
  }

  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    let key: string | undefined;
    let inline: string | undefined;
    let negated = false;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      key = byFlag.get(flag);
      if (key === undefined && flag.startsWith('no-')) {
        const k = byFlag.get(flag.slice(3));
        if (k !== undefined && spec[k]!.type === 'boolean' && inline === undefined) {
          key = k;
          negated = true;
        }
      }
      if (key === undefined) throw new ArgError(`unknown option --${flag}${suggest(flag, [...byFlag.keys()])}`);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      key = byShort.get(arg[1]!);
      if (key === undefined) throw new ArgError(`unknown option ${arg}`);
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d|^-\.\d/.test(arg)) {
      throw new ArgError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }

    const o = spec[key]!;
    if (o.type === 'boolean') {
      if (inline === undefined) values[key] = !negated;
      else if (inline === 'true' || inline === '1') values[key] = true;
      else if (inline === 'false' || inline === '0') values[key] = false;
      else throw new ArgError(`--${kebab(key)} expects true or false, got ${JSON.stringify(inline)}`);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      // a following "--x" is another option, not this one's value (negative numbers like -0.5 are values)
      if (next === undefined || (next.startsWith('-') && !/^-\d|^-\.\d/.test(next))) {
        throw new ArgError(`--${kebab(key)} expects ${expectation(o)}, got nothing`);
      }
      raw = next;
      i++;
    }
    values[key] = convert(key, o, raw);
  }

  const maxPos = opts.maxPositionals ?? 0;
  if (!help && positionals.length > maxPos) {
    const extra = positionals[maxPos]!;
    throw new ArgError(maxPos === 0 ? `unexpected argument ${JSON.stringify(extra)}` : `too many arguments: at most ${maxPos} allowed, got ${JSON.stringify(extra)} extra`);
  }

  for (const key of Object.keys(spec)) {
    if (key in values) continue;
    const o = spec[key]!;
    if (o.default !== undefined) values[key] = o.default;
    else if (o.type === 'boolean') values[key] = false;
    else if (o.required && !help) throw new ArgError(`missing required option --${kebab(key)} (${expectation(o)})`);
  }
  return { values: values as ParsedValues<S>, positionals, help };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function convert(key: string, o: OptionSpec, raw: string): unknown {
  const flag = `--${kebab(key)}`;
  const bad = (): ArgError => new ArgError(`${flag} expects ${expectation(o)}, got ${JSON.stringify(raw)}`);
  switch (o.type) {
    case 'number':
    case 'int': {
      // Number() alone would accept "", "0x10" and "Infinity"; require a plain decimal literal
      if (!(o.type === 'int' ? INTEGER : DECIMAL).test(raw)) throw bad();
      const v = Number(raw);
      if (!Number.isFinite(v) || (o.type === 'int' && !Number.isSafeInteger(v))) throw bad();
      if (o.positive && !(v > 0)) throw bad();
      if (o.min !== undefined && v < o.min) throw bad();
      if (o.max !== undefined && v > o.max) throw bad();
      const msg = o.validate?.(v);
      if (msg !== undefined) throw new ArgError(`${flag} ${msg}, got ${JSON.stringify(raw)}`);
      return v;
    }
    case 'string': {
      const msg = o.validate?.(raw);
      if (msg !== undefined) throw new ArgError(`${flag} ${msg}, got ${JSON.stringify(raw)}`);
      return raw;
    }
    case 'enum':
      if (!o.choices.includes(raw)) throw bad();
      return raw;
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw bad();
  }
}

/** "a positive integer", "a number in [0, 1]", "one of adam, sgd", ... */
export function expectation(o: OptionSpec): string {
  switch (o.type) {
    case 'number':
    case 'int': {
      const noun = o.type === 'int' ? 'integer' : 'number';
      const lo = o.positive ? undefined : o.min;
      if (o.positive && o.max === undefined) return `a positive ${noun}`;
      if (lo === 0 && o.max === undefined) return `a non-negative ${noun}`;
      if (o.positive) return `a positive ${noun} ≤ ${o.max}`;
      if (lo !== undefined && o.max !== undefined) return `${o.type === 'int' ? 'an' : 'a'} ${noun} in [${lo}, ${o.max}]`;
      if (lo !== undefined) return `${o.type === 'int' ? 'an' : 'a'} ${noun} ≥ ${lo}`;
      if (o.max !== undefined) return `${o.type === 'int' ? 'an' : 'a'} ${noun} ≤ ${o.max}`;
      return o.type === 'int' ? 'an integer' : 'a number';
    }
    case 'string':
      return 'a string';
    case 'enum':
      return `one of ${o.choices.join(', ')}`;
    case 'boolean':
      return 'true or false';
  }
}

/** Nearest flag by edit distance, if close enough to be a plausible typo. */
function suggest(flag: string, known: string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(flag, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(flag.length / 3)) ? ` (did you mean --${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export interface HelpOptions {
  /** first line, e.g. "nabla train mnist [options]" */
  usage: string;
  description?: string;
}

/** The --help text: usage, description, then one aligned line per option with its expectation and default. */
export function formatHelp(spec: ArgSpec, h: HelpOptions): string {
  const rows: [string, string][] = [];
  for (const key of Object.keys(spec)) {
    const o = spec[key]!;
    const short = o.short !== undefined ? `-${o.short}, ` : '    ';
    const left = o.type === 'boolean' ? `${short}--${kebab(key)}` : `${short}--${kebab(key)} <${o.type === 'enum' ? o.choices.join('|') : o.type}>`;
    const notes: string[] = [];
    if (o.type === 'number' || o.type === 'int') {
      const exp = expectation(o);
      if (exp !== 'a number' && exp !== 'an integer') notes.push(exp);
    }
    if (o.default !== undefined && !(o.type === 'boolean' && o.default === false)) notes.push(`default ${String(o.default)}`);
    if (o.required && o.default === undefined) notes.push('required');
    rows.push([left, o.help + (notes.length ? ` (${notes.join('; ')})` : '')]);
  }
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length));
  const lines = [`Usage: ${h.usage}`];
  if (h.description) lines.push('', h.description);
  lines.push('', 'Options:');
  for (const [l, r] of rows) lines.push(`  ${l.padEnd(width)}  ${r}`);
  return lines.join('\n') + '\n';
}
