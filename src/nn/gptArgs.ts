/**
 * Argument checks of the GPT modules (GPT, Block, CausalSelfAttention, MLP): each takes (config, opts?).
 * An extra argument, an unknown config key or an unknown option raises an error naming the module and, for a
 * misspelt or snake_case key, the key it meant ("did you mean nEmbd?").
 */
import { checkArity, checkOptions, describeValue, isPlainObject } from '../strict.js';

/** The keys a GPT config may hold (GPTConfig in transformer.ts). */
export const GPT_CONFIG_KEYS = ['blockSize', 'vocabSize', 'nLayer', 'nHead', 'nEmbd', 'dropout', 'bias', 'norm', 'mlp', 'positions', 'mlpHidden', 'ropeBase', 'normEps'] as const;
/** The layer options (GPTLayerOptions). */
export const GPT_LAYER_OPTIONS = ['generator', 'dtype'] as const;

export function checkGPTArgs(name: string, args: ArrayLike<unknown>): void {
  checkArity(name, args, 2, '(config, options?)');
  const config = args[0];
  if (config === undefined || !isPlainObject(config)) throw new TypeError(`${name}: config must be an object {${GPT_CONFIG_KEYS.join(', ')}}, got ${describeValue(config)}`);
  checkOptions(name, config, GPT_CONFIG_KEYS, 'config');
  checkOptions(name, args[1], GPT_LAYER_OPTIONS);
}
