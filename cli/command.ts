/**
 * What a `nabla` command is: the words that select it (`train mnist`), a one-line summary for `nabla --help`,
 * its typed options (args.ts) and what it does with them. The command table in commands.ts lists them all.
 */
import { formatHelp, parseArgs, type ArgSpec, type ParsedValues } from './args.js';

export interface Command {
  /** the words after `nabla`, e.g. ['train', 'mnist'] */
  readonly words: readonly string[];
  /** one line shown by `nabla --help` */
  readonly summary: string;
  /** parse argv (the words after the command's own) and run; resolves to the process exit code */
  run(argv: readonly string[]): Promise<number>;
}

export interface CommandDefinition<S extends ArgSpec> {
  words: readonly string[];
  summary: string;
  /** a paragraph under the usage line of the command's --help */
  description: string;
  args: S;
  /** how many positional arguments the command accepts (default 0) */
  maxPositionals?: number;
  /** the usage line's tail after the command words (default "[options]") */
  usage?: string;
  run(values: ParsedValues<S>, positionals: string[]): Promise<number>;
}

/** A command whose --help text and argument checking come from its option spec. */
export function defineCommand<const S extends ArgSpec>(def: CommandDefinition<S>): Command {
  return {
    words: def.words,
    summary: def.summary,
    async run(argv) {
      const { values, positionals, help } = parseArgs(def.args, argv, { maxPositionals: def.maxPositionals ?? 0 });
      if (help) {
        console.log(formatHelp(def.args, { usage: `nabla ${def.words.join(' ')} ${def.usage ?? '[options]'}`, description: def.description }));
        return 0;
      }
      return def.run(values, positionals);
    },
  };
}
