/**
 * `nabla run --nproc N script.js [args]`: torchrun for threads. Starts N worker threads sharing one
 * SharedArrayBuffer, each running script.js as one rank (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE in its
 * environment; `nb.distributed.initProcessGroup()` with no arguments joins the group) and each with
 * cores/N wasm backend threads. Everything after the script goes to the script (process.argv[2...]).
 * A rank that fails stops the group; the launcher prints which rank failed and why, and exits with status 1.
 */
import { ArgError, formatHelp, parseArgs, type ArgSpec } from '../args.js';
import type { Command } from '../command.js';
import { spawn, WorkerFailedError } from '../../src/distributed/spawn.js';

const spec = {
  nproc: { type: 'int', positive: true, max: 64, required: true, help: 'number of ranks (worker threads) to start' },
  timeout: { type: 'int', positive: true, default: 300000, help: 'milliseconds a collective waits for the other ranks before the group is stopped' },
  threads: { type: 'int', positive: true, help: 'wasm backend threads per rank (default: NABLA_THREADS, else cores / nproc, at least 1)' },
} satisfies ArgSpec;

const description = 'Run a script as N data-parallel ranks (worker threads sharing memory), as torchrun does with processes. '
  + 'Arguments after the script are passed to it. Each rank calls nb.distributed.initProcessGroup() and typically wraps its '
  + 'model in nb.nn.parallel.DistributedDataParallel and its dataset in nb.data.DistributedSampler.';

/** The index of the script in argv: the first word that is neither an option nor an option's value. */
function scriptIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1;
    if (!a.startsWith('-')) return i;
    if (a === '-h' || a === '--help' || a.includes('=')) continue;
    i++; // the option's value
  }
  return argv.length;
}

export const runCommand: Command = {
  words: ['run'],
  summary: 'run a script as N data-parallel ranks (worker threads), like torchrun',
  async run(argv) {
    const at = scriptIndex(argv);
    const head = argv.slice(0, at).filter((a) => a !== '--');
    const { values, help } = parseArgs(spec, head, { maxPositionals: 0 });
    if (help) {
      console.log(formatHelp(spec, { usage: 'nabla run --nproc N [options] script.js [script args]', description }));
      return 0;
    }
    const script = argv[at];
    if (script === undefined) throw new ArgError('run: expected the script to run after the options (nabla run --nproc N script.js [args])');
    try {
      await spawn(script, { nproc: values.nproc, args: argv.slice(at + 1), timeout: values.timeout, ...(values.threads !== undefined ? { threads: values.threads } : {}) });
      return 0;
    } catch (e) {
      if (e instanceof WorkerFailedError) {
        console.error(`nabla run: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
