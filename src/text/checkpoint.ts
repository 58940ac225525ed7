/**
 * A GPT checkpoint that is enough on its own to sample: a plain safetensors file whose tensors are the model's
 * state dict under nanoGPT's names (float32 unless the model is float64), and whose `__metadata__` holds
 *
 *   format:          "nabla-gpt/1"
 *   config:          the GPTConfig as JSON (camelCase)
 *   nanogpt_config:  the same in nanoGPT's GPTConfig fields (n_layer, n_head, n_embd, block_size, vocab_size,
 *                    dropout, bias), for a PyTorch script to build the model from the file alone
 *   tokenizer:       the tokenizer spec as JSON ({"kind":"char","vocab":[...]} or {"kind":"gpt2"})
 *
 * plus any extra string entries the caller adds (the training loop records step and losses). Both keys of the
 * tied weight (transformer.wte.weight, lm_head.weight) are written, as PyTorch's state_dict has both; a file
 * with only transformer.wte.weight loads too.
 */
import { Tensor } from '../tensor.js';
import { decodeCheckpoint, encodeCheckpoint, loadWithMetadata, save } from '../io/checkpoint.js';
import { GPT } from '../nn/gpt.js';
import { resolveGPTConfig, type GPTConfig } from '../nn/transformer.js';
import type { DType } from '../dtype.js';
import { tokenizerFromSpec, type Tokenizer } from './tokenizer.js';

export const GPT_FORMAT = 'nabla-gpt/1';

export interface LoadedGPT {
  model: GPT;
  tokenizer: Tokenizer;
  /** every metadata entry of the file (format, config, tokenizer and the caller's extras) */
  metadata: Record<string, string>;
}

/** nanoGPT's GPTConfig fields of a config (the GPT-2 architecture; Llama-style switches are not nanoGPT's). */
export function nanoGptConfig(c: GPTConfig): Record<string, number | boolean> {
  return { n_layer: c.nLayer, n_head: c.nHead, n_embd: c.nEmbd, block_size: c.blockSize, vocab_size: c.vocabSize, dropout: c.dropout, bias: c.bias };
}

function gptMetadata(model: GPT, tokenizer: Tokenizer, extra: Record<string, string>): Record<string, string> {
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(`saveGPT: the tokenizer has ${tokenizer.vocabSize} ids but the model only ${model.config.vocabSize}`);
  }
  return {
    ...extra,
    format: GPT_FORMAT,
    config: JSON.stringify(model.config),
    nanogpt_config: JSON.stringify(nanoGptConfig(model.config)),
    tokenizer: JSON.stringify(tokenizer.toSpec()),
  };
}

/** The checkpoint as bytes (for the browser, or to write yourself). */
export function encodeGPTCheckpoint(model: GPT, tokenizer: Tokenizer, extra: Record<string, string> = {}): Uint8Array {
  return encodeCheckpoint(model.stateDict(), gptMetadata(model, tokenizer, extra));
}

/** Write model + tokenizer to `path` atomically. */
export async function saveGPT(path: string, model: GPT, tokenizer: Tokenizer, extra: Record<string, string> = {}): Promise<void> {
  await save(model.stateDict(), path, { metadata: gptMetadata(model, tokenizer, extra) });
}

async function build(state: Record<string, Tensor>, metadata: Record<string, string>, source: string, opts: { dtype?: DType }): Promise<LoadedGPT> {
  const need = (k: string) => {
    const v = metadata[k];
    if (v === undefined) throw new Error(`loadGPT: ${source} has no '${k}' metadata entry; is it a GPT checkpoint written by nabla (format ${GPT_FORMAT})?`);
    try { return JSON.parse(v) as unknown; } catch (e) { throw new Error(`loadGPT: ${source} has a malformed '${k}' entry: ${(e as Error).message}`); }
  };
  const config = resolveGPTConfig(need('config') as Partial<GPTConfig>);
  const tokenizer = await tokenizerFromSpec(need('tokenizer'));
  if (tokenizer.vocabSize > config.vocabSize) throw new Error(`loadGPT: ${source}: tokenizer has ${tokenizer.vocabSize} ids but the model's vocabSize is ${config.vocabSize}`);
  const dtype = opts.dtype ?? (state['transformer.wte.weight']?.dtype === 'float64' ? 'float64' : 'float32');
  const model = new GPT(config, { dtype });
  const sd: Record<string, Tensor> = { ...state };
  if (!('lm_head.weight' in sd) && 'transformer.wte.weight' in sd) sd['lm_head.weight'] = sd['transformer.wte.weight']!;
  model.loadStateDict(sd);
  return { model, tokenizer, metadata };
}

/** Read a checkpoint written by saveGPT (or by PyTorch with the same names and metadata). */
export async function loadGPT(path: string, opts: { dtype?: DType } = {}): Promise<LoadedGPT> {
  const { state, metadata } = await loadWithMetadata(path);
  return build(state as Record<string, Tensor>, metadata, `'${path}'`, opts);
}

/** decodeGPTCheckpoint(bytes) = loadGPT without the file system. */
export async function decodeGPTCheckpoint(bytes: Uint8Array, opts: { dtype?: DType } = {}): Promise<LoadedGPT> {
  const { state, metadata } = decodeCheckpoint(bytes, 'GPT checkpoint');
  return build(state as Record<string, Tensor>, metadata, 'the checkpoint bytes', opts);
}
