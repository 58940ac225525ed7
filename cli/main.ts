#!/usr/bin/env node
/**
 * `nabla` command line: `nabla train mnist [options]` (what `npm start` runs). `nabla --help` lists the commands
 * of the table in commands.ts; each command's --help lists its options.
 */
import { ArgError } from './args.js';
import type { Command } from './command.js';
import { commands, groupNouns } from './commands.js';

function topHelp(): string {
  const names = commands.map((c) => c.words.join(' '));
  const width = Math.max(...names.map((n) => n.length));
  const lines = ['Usage: nabla <command> [options]', '', 'Commands:'];
  commands.forEach((c, i) => lines.push(`  ${names[i]!.padEnd(width)}  ${c.summary}`));
  lines.push('', `Run "nabla ${names[0]} --help" for its options.`);
  return lines.join('\n');
}

const quoteList = (words: string[]): string => words.map((w) => `"${w}"`).join(' or ');
const unique = (words: string[]): string[] => [...new Set(words)];

/** The command whose words start argv, or an ArgError naming the word that matched none. */
function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } {
  let candidates = commands;
  for (let depth = 0; ; depth++) {
    const exact = candidates.find((c) => c.words.length === depth);
    if (exact) return { command: exact, rest: argv.slice(depth) };
    const word = argv[depth];
    const next = candidates.filter((c) => c.words[depth] === word);
    if (next.length === 0) {
      const expected = quoteList(unique(candidates.map((c) => c.words[depth]!)));
      if (depth === 0) throw new ArgError(`unknown command "${word ?? ''}"; expected ${expected} (see nabla --help)`);
      const group = argv.slice(0, depth).join(' ');
      throw new ArgError(`unknown ${groupNouns[group] ?? 'subcommand'} "${word ?? ''}" for ${group}; expected ${expected}`);
    }
    candidates = next;
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(topHelp());
    return argv.length === 0 ? 1 : 0;
  }
  // "nabla train --help": the command list
  if (argv.length === 2 && (argv[1] === '--help' || argv[1] === '-h') && commands.some((c) => c.words.length > 1 && c.words[0] === argv[0])) {
    console.log(topHelp());
    return 0;
  }
  const { command, rest } = findCommand(argv);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof ArgError) {
      console.error(`nabla: ${e.message}`);
      process.exit(2);
    }
    console.error(e);
    process.exit(1);
  },
);
