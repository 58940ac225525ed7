/**
 * The command table of `nabla`. Adding a command: write cli/commands/<name>.ts with defineCommand (its words,
 * summary, option spec and run function) and add it to this list; dispatch and `nabla --help` follow from it.
 */
import type { Command } from './command.js';
import { trainMnistCommand } from './commands/trainMnist.js';
import { trainGptCommand } from './commands/trainGpt.js';
import { sampleCommand } from './commands/sample.js';
import { runCommand } from './commands/run.js';

export const commands: readonly Command[] = [trainMnistCommand, trainGptCommand, sampleCommand, runCommand];

/**
 * What the second word names under a first word that groups several commands, for the error on an unknown one
 * (`nabla train cifar` → `unknown dataset "cifar" for train`). Groups not listed here say "subcommand".
 */
export const groupNouns: Readonly<Record<string, string>> = { train: 'dataset' };
