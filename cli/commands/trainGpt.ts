/**
 * `nabla train gpt`: the options of trainGpt (../trainGpt.ts) as command-line flags. Ctrl-C finishes the
 * current step, writes a checkpoint (continue with --resume) and exits 130; a second Ctrl-C quits at once.
 */
import * as nb from '../../src/index.js';
import { ArgError } from '../args.js';
import { defineCommand } from '../command.js';
import { defaultTrainGptOptions as d, trainGpt } from '../trainGpt.js';

export const trainGptCommand = defineCommand({
  words: ['train', 'gpt'],
  summary: 'train a GPT on Moby-Dick (or --text FILE), character level or GPT-2 BPE',
  description: 'Train a GPT (nanoGPT layout) on Moby-Dick or --text; checkpoints to --out; prints "val loss: N.NNNN" last.',
  args: {
    text: { type: 'string', help: 'train on this UTF-8 text file instead of Moby-Dick' },
    tokenizer: { type: 'enum', choices: ['char', 'gpt2'], default: d.tokenizer, help: 'character level (vocabulary from the text) or GPT-2 BPE' },
    nLayer: { type: 'int', positive: true, max: 96, default: d.nLayer, help: 'transformer blocks' },
    nHead: { type: 'int', positive: true, max: 128, default: d.nHead, help: 'attention heads' },
    nEmbd: { type: 'int', positive: true, max: 8192, default: d.nEmbd, help: 'width (must divide by --n-head)' },
    blockSize: { type: 'int', positive: true, max: 8192, default: d.blockSize, help: 'context length' },
    dropout: { type: 'number', min: 0, max: 0.9, default: d.dropout, help: 'dropout on embeddings, attention and residuals' },
    bias: { type: 'boolean', default: d.bias, help: 'biases in Linears and LayerNorms (--no-bias to drop them)' },
    batchSize: { type: 'int', positive: true, max: 4096, default: d.batchSize, short: 'b', help: 'sequences per micro-batch' },
    accum: { type: 'int', positive: true, max: 1024, default: d.accum, help: 'micro-batches per optimizer step (gradient accumulation)' },
    steps: { type: 'int', positive: true, default: d.steps, help: 'optimizer steps' },
    lr: { type: 'number', positive: true, max: 10, default: d.lr, help: 'peak learning rate of AdamW (after warmup)' },
    minLr: { type: 'number', min: 0, max: 10, default: d.minLr, help: 'learning rate at the end of the cosine decay' },
    warmupSteps: { type: 'int', min: 0, default: d.warmupSteps, help: 'linear warmup steps' },
    weightDecay: { type: 'number', min: 0, max: 10, default: d.weightDecay, help: 'AdamW weight decay (matmul weights only)' },
    gradClip: { type: 'number', positive: true, default: d.gradClip, help: 'clip the global gradient norm to this' },
    evalEvery: { type: 'int', positive: true, default: d.evalEvery, help: 'validation loss every N steps' },
    evalBatches: { type: 'int', positive: true, default: d.evalBatches, help: 'batches per validation estimate' },
    sampleEvery: { type: 'int', min: 0, default: d.sampleEvery, help: 'print a sample every N steps (0 = never)' },
    sampleTokens: { type: 'int', positive: true, default: d.sampleTokens, help: 'tokens per printed sample' },
    checkpointEvery: { type: 'int', min: 0, default: d.checkpointEvery, help: 'checkpoint every N steps (0 = only at the end)' },
    seed: { type: 'int', min: 0, default: d.seed, help: 'seed of the initialisation, batches, dropout and samples' },
    out: { type: 'string', default: d.out ?? 'runs/gpt', help: 'folder for the checkpoint and report.html' },
    resume: { type: 'boolean', help: 'continue from the checkpoint in --out (bitwise as if never stopped)' },
    autocast: { type: 'enum', choices: ['off', 'bfloat16', 'float16'], default: d.autocast, help: 'mixed precision: forward under nb.autocast in this dtype (float16 adds loss scaling)' },
    backend: { type: 'enum', choices: ['wasm', 'ts'], help: `kernels to run on (default: ${nb.getBackend()})` },
    quiet: { type: 'boolean', help: 'print only the final "val loss" line' },
  },
  async run(values) {
    if (values.nEmbd % values.nHead !== 0) throw new ArgError(`--n-embd (${values.nEmbd}) must be divisible by --n-head (${values.nHead})`);
    if (values.backend) nb.setBackend(values.backend);
    const { quiet, backend: _b, text, ...opts } = values;
    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      process.stderr.write('\ninterrupted: finishing this step and writing a checkpoint (Ctrl-C again to quit at once)\n');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const r = await trainGpt({ ...opts, text: text ?? null, verbose: !quiet, signal: abort.signal });
      if (quiet && !r.interrupted) console.log(`val loss: ${r.valLoss.toFixed(4)}`);
      return r.interrupted ? 130 : 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
});
