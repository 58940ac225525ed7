/**
 * A tiny typed argv parser. Options are declared once, in a spec keyed by camelCase name; the flag is the
 * kebab-case form (`batchSize` → `--batch-size`). The parsed values are typed from the spec, `--help` text is
 * generated from it, and anything unknown or malformed throws an ArgError whose message names the flag,
 * what it expects and what it got — e.g. `--epochs expects a positive integer, got "x"`.
 *
 * Accepted forms: `--name value`, `--name=value`, `--flag` / `--no-flag` for booleans, `--` ends options.
 * A repeated option takes its last value. Tokenising is node:util's parseArgs.
 */
import { parseArgs as nodeParseArgs } from 'node:util';

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

/** A negative number like -2 or -.5 is a value, not an option. */
const NEGATIVE_NUMBER = /^-\d|^-\.\d/;

/**
 * Parse argv (without the node and script entries) against a spec. Throws ArgError on bad input.
 * node:util parseArgs does the tokenising (long/short flags, `=` values, `--`); this function maps the tokens onto
 * the spec: kebab-case flag → camelCase key, `--no-flag` for booleans, typed conversion and the error messages.
 */
export function parseArgs<const S extends ArgSpec>(spec: S, argv: readonly string[], opts: ParseOptions = {}): ParseResult<S> {
  const byFlag = new Map<string, string>();
  const byShort = new Map<string, string>();
  // every option is tokenised as a string (booleans too) so that `--flag=false` and `--epochs=` reach the converter
  const nodeOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const key of Object.keys(spec)) {
    const o = spec[key]!;
    byFlag.set(kebab(key), key);
    if (o.short !== undefined) byShort.set(o.short, key);
    nodeOptions[kebab(key)] = o.short === undefined ? { type: o.type === 'boolean' ? 'boolean' : 'string' } : { type: o.type === 'boolean' ? 'boolean' : 'string', short: o.short };
    // a bad default is a bug in the program, not the user's input: say so plainly
    if (o.default !== undefined && o.type !== 'boolean') {
      try {
        convert(key, o, String(o.default));
      } catch (err) {
        throw new Error(`parseArgs: default for --${kebab(key)} is invalid: ${(err as Error).message}`);
      }
    }
  }

  const { tokens } = nodeParseArgs({ args: [...argv], options: nodeOptions, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  const negativeArgs = new Set<number>(); // argv indices of negative numbers node tokenised as short flags
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue; // what follows "--" arrives as positionals
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    const arg = argv[token.index]!;
    if (!arg.startsWith('--') && NEGATIVE_NUMBER.test(arg)) {
      // "-2.5" in a positional place: node splits it into short flags; it is one positional number
      if (!negativeArgs.has(token.index)) positionals.push(arg);
      negativeArgs.add(token.index);
      continue;
    }
    if (token.name === 'help') {
      help = true;
      continue;
    }
    const isLong = token.rawName.startsWith('--');
    if (!isLong && arg.length !== 2) throw new ArgError(`unknown option ${arg}`); // "-ab" groups and "-l5" are not accepted
    let key = isLong ? byFlag.get(token.name) : byShort.get(token.rawName.slice(1));
    let negated = false;
    if (key === undefined && isLong && token.name.startsWith('no-')) {
      const k = byFlag.get(token.name.slice(3));
      if (k !== undefined && spec[k]!.type === 'boolean' && !token.inlineValue) {
        key = k;
        negated = true;
      }
    }
    if (key === undefined) throw new ArgError(isLong ? `unknown option --${token.name}${suggest(token.name, [...byFlag.keys()])}` : `unknown option ${token.rawName}`);

    const o = spec[key]!;
    if (o.type === 'boolean') {
      const inline = token.inlineValue ? token.value : undefined;
      if (inline === undefined) values[key] = !negated;
      else if (inline === 'true' || inline === '1') values[key] = true;
      else if (inline === 'false' || inline === '0') values[key] = false;
      else throw new ArgError(`--${kebab(key)} expects true or false, got ${JSON.stringify(inline)}`);
      continue;
    }
    const raw = token.value;
    // node takes the next argument as the value even when it looks like an option; "--epochs --verbose" is
    // a missing value here (negative numbers like -0.5 are values)
    if (raw === undefined || (!token.inlineValue && raw.startsWith('-') && !NEGATIVE_NUMBER.test(raw))) {
      throw new ArgError(`--${kebab(key)} expects ${expectation(o)}, got nothing`);
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
