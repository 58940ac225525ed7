/**
 * Tokenizers for language models: text ↔ token ids.
 *
 *  - CharTokenizer: one id per character (Unicode code point), the vocabulary being the sorted distinct
 *    characters of a training text (nanoGPT's shakespeare_char). Its spec carries the vocabulary itself.
 *  - Gpt2Tokenizer: GPT-2's byte-level BPE (50257 ids) from the js-tiktoken package and its GPT-2 ranks, loaded
 *    on first use (`await gpt2Tokenizer()`): the 1.6 MB rank table stays out of programs that never ask for it.
 *    Text is encoded as ordinary text (as nanoGPT's encode_ordinary: "<|endoftext|>" in the text is not special).
 *
 * A tokenizer's spec (`toSpec()`) is plain JSON; checkpoints store it so that a checkpoint alone can be sampled.
 */

export type TokenizerKind = 'char' | 'gpt2';

export type TokenizerSpec = { kind: 'char'; vocab: string[] } | { kind: 'gpt2' };

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  toSpec(): TokenizerSpec;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocab: readonly string[];
  private readonly index = new Map<string, number>();

  /** a tokenizer over exactly these characters (ids in the given order) */
  constructor(vocab: readonly string[]) {
    if (!Array.isArray(vocab) || vocab.length === 0) throw new Error('CharTokenizer: vocab must be a non-empty array of characters');
    vocab.forEach((c, i) => {
      if (typeof c !== 'string' || Array.from(c).length !== 1) throw new Error(`CharTokenizer: vocab[${i}] must be one character, got ${JSON.stringify(c)}`);
      if (this.index.has(c)) throw new Error(`CharTokenizer: vocab holds ${JSON.stringify(c)} twice (at ${this.index.get(c)} and ${i})`);
      this.index.set(c, i);
    });
    this.vocab = [...vocab];
  }

  /** the sorted distinct characters of `text` (by code point, as Python's sorted(set(text))) */
  static fromText(text: string): CharTokenizer {
    const chars = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let pos = 0;
    for (const c of text) {
      const id = this.index.get(c);
      if (id === undefined) throw new Error(`CharTokenizer.encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at offset ${pos} is not in the ${this.vocab.length}-character vocabulary`);
      out.push(id);
      pos += c.length;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    let s = '';
    for (const id of ids) {
      const c = this.vocab[id];
      if (c === undefined) throw new RangeError(`CharTokenizer.decode: id ${id} is outside the vocabulary [0, ${this.vocab.length})`);
      s += c;
    }
    return s;
  }

  toSpec(): TokenizerSpec {
    return { kind: 'char', vocab: [...this.vocab] };
  }
}

interface Tiktoken {
  encode(text: string, allowedSpecial?: string[] | 'all', disallowedSpecial?: string[] | 'all'): number[];
  decode(tokens: number[]): string;
}

export class Gpt2Tokenizer implements Tokenizer {
  readonly kind = 'gpt2' as const;
  /** GPT-2's 50,256 merges + 256 bytes + <|endoftext|> */
  readonly vocabSize = 50257;
  /** id of <|endoftext|> */
  readonly eot = 50256;

  /** @internal use gpt2Tokenizer() */
  constructor(private readonly enc: Tiktoken) {}

  encode(text: string): number[] {
    return this.enc.encode(text, [], []);
  }

  decode(ids: readonly number[]): string {
    for (const id of ids) if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) throw new RangeError(`Gpt2Tokenizer.decode: id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
    return this.enc.decode([...ids]);
  }

  toSpec(): TokenizerSpec {
    return { kind: 'gpt2' };
  }
}

let gpt2: Promise<Gpt2Tokenizer> | null = null;

/** GPT-2's BPE tokenizer (js-tiktoken with its gpt2 ranks); the ranks are loaded once, on the first call. */
export function gpt2Tokenizer(): Promise<Gpt2Tokenizer> {
  gpt2 ??= (async () => {
    const [{ Tiktoken }, ranks] = await Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/gpt2')]);
    return new Gpt2Tokenizer(new Tiktoken(ranks.default) as Tiktoken);
  })();
  return gpt2;
}

/** Rebuild a tokenizer from its spec (as stored in a checkpoint). */
export async function tokenizerFromSpec(spec: unknown): Promise<Tokenizer> {
  const s = spec as { kind?: unknown; vocab?: unknown };
  if (s && s.kind === 'char') {
    if (!Array.isArray(s.vocab)) throw new Error('tokenizerFromSpec: a char tokenizer spec needs its vocab (an array of characters)');
    return new CharTokenizer(s.vocab as string[]);
  }
  if (s && s.kind === 'gpt2') return gpt2Tokenizer();
  throw new Error(`tokenizerFromSpec: unknown tokenizer kind ${JSON.stringify(s?.kind)} (expected 'char' or 'gpt2')`);
}
