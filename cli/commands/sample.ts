/** `nabla sample`: continue a prompt with a GPT checkpoint (its config and tokenizer are inside the file). */
import * as nb from '../../src/index.js';
import { ArgError } from '../args.js';
import { defineCommand } from '../command.js';

export const sampleCommand = defineCommand({
  words: ['sample'],
  summary: 'continue a prompt with a GPT checkpoint written by nabla train gpt',
  description: 'Continue a prompt with a GPT checkpoint (its config and tokenizer are inside the file); prints the prompt and its continuation.',
  usage: '--checkpoint FILE [options]',
  args: {
    checkpoint: { type: 'string', required: true, help: 'a gpt.safetensors written by nabla train gpt (or converted from nanoGPT)' },
    prompt: { type: 'string', default: '\n', help: 'text to continue' },
    tokens: { type: 'int', positive: true, max: 100000, default: 200, help: 'tokens to generate' },
    temperature: { type: 'number', min: 0, max: 100, default: 0.8, help: 'softmax temperature (0 = greedy)' },
    topK: { type: 'int', positive: true, help: 'sample from the k most likely tokens only' },
    topP: { type: 'number', positive: true, max: 1, help: 'nucleus sampling: the smallest set of tokens with this much probability' },
    seed: { type: 'int', min: 0, default: 1337, help: 'seed of the sampling' },
    backend: { type: 'enum', choices: ['wasm', 'ts'], help: `kernels to run on (default: ${nb.getBackend()})` },
  },
  async run(values) {
    if (values.backend) nb.setBackend(values.backend);
    const { model, tokenizer } = await nb.text.loadGPT(values.checkpoint);
    const ids = tokenizer.encode(values.prompt);
    if (ids.length === 0) throw new ArgError('--prompt must hold at least one token');
    const out = model.generate(nb.tensor([ids], { dtype: 'int32' }), values.tokens, {
      temperature: values.temperature, topK: values.topK ?? null, topP: values.topP ?? null, generator: new nb.Generator(values.seed),
    });
    console.log(tokenizer.decode(out.dataArray()));
    return 0;
  },
});
