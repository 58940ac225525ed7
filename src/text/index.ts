/** nb.text: tokenizers and self-contained GPT checkpoints (weights + config + tokenizer). */
export { CharTokenizer, Gpt2Tokenizer, gpt2Tokenizer, tokenizerFromSpec, type Tokenizer, type TokenizerKind, type TokenizerSpec } from './tokenizer.js';
export { saveGPT, loadGPT, encodeGPTCheckpoint, decodeGPTCheckpoint, nanoGptConfig, GPT_FORMAT, type LoadedGPT } from './checkpoint.js';
