#!/usr/bin/env node
/**
 * `nabla` command line: `nabla train mnist [options]` (what `npm start` runs). `nabla --help` lists commands.
 */
import * as nb from '../index.js';
import { ArgError, defineArgs, formatHelp, parseArgs } from './args.js';
import { defaultTrainMnistOptions as d, trainMnist } from './trainMnist.js';

const trainMnistArgs = defineArgs({
  model: { type: 'enum', choices: ['cnn', 'mlp'], default: d.model, help: 'network: small CNN or 784-256-10 MLP' },
  epochs: { type: 'int', positive: true, max: 1000, default: d.epochs, short: 'e', help: 'passes over the training digits' },
  batchSize: { type: 'int', positive: true, max: 10000, default: d.batchSize, short: 'b', help: 'digits per step' },
  lr: { type: 'number', positive: true, max: 10, default: d.lr, help: 'peak learning rate of AdamW (after warmup)' },
  weightDecay: { type: 'number', min: 0, max: 1, default: d.weightDecay, help: 'AdamW decoupled weight decay' },
  warmupSteps: { type: 'int', min: 0, default: d.warmupSteps, help: 'linear warmup steps before cosine decay' },
  seed: { type: 'int', min: 0, default: d.seed, help: 'seed of the split, the initialisation and the shuffling' },
  out: { type: 'string', default: 'runs/mnist', help: 'folder for the checkpoint and report.html' },
  limit: { type: 'int', min: 0, default: 0, help: 'train on only the first N digits (0 = all)' },
  shift: { type: 'int', min: 0, max: 8, default: d.shift, help: 'augment: shift digits by up to N pixels (0 = off)' },
  backend: { type: 'enum', choices: ['wasm', 'ts'], help: `kernels to run on (default: ${nb.getBackend()})` },
  quiet: { type: 'boolean', help: 'print only the final accuracy line' },
});

const TOP_HELP = `Usage: nabla <command> [options]

Commands:
  train mnist    train a CNN or MLP on the MNIST digits shipped by the mnist npm package

Run "nabla train mnist --help" for its options.`;

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(TOP_HELP);
    return argv.length === 0 ? 1 : 0;
  }
  const [command, what, ...rest] = argv;
  if (command !== 'train') throw new ArgError(`unknown command "${command}"; expected "train" (see nabla --help)`);
  if (what === '--help' || what === '-h') {
    console.log(TOP_HELP);
    return 0;
  }
  if (what !== 'mnist') throw new ArgError(`unknown dataset "${what ?? ''}" for train; expected "mnist"`);
  const { values, help } = parseArgs(trainMnistArgs, rest);
  if (help) {
    console.log(formatHelp(trainMnistArgs, { usage: 'nabla train mnist [options]', description: 'Train on MNIST with AdamW + warmup/cosine; prints "held-out accuracy: NN.NN%".' }));
    return 0;
  }
  if (values.backend) nb.setBackend(values.backend);
  const { quiet, backend: _backend, ...opts } = values;
  const result = await trainMnist({ ...opts, verbose: !quiet });
  if (quiet) console.log(`held-out accuracy: ${(100 * result.testAccuracy).toFixed(2)}%`);
  return 0;
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
