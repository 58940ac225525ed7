/**
 * nb.nn: modules (PyTorch semantics, camelCase names; state-dict keys keep PyTorch's snake_case, e.g.
 * 'bn.running_mean', 'attn.in_proj_weight'). See module.ts for how registration and calling work.
 */
export { Module, parameter, Parameter, isParameter, type StateDict, type LoadStateDictResult, type ZeroGradOptions, type ForwardHook } from './module.js';
export { Sequential, ModuleList, ModuleDict } from './containers.js';
export { Linear, Identity, Flatten, Unflatten, type LinearOptions } from './linear.js';
export { Conv1d, Conv2d, type ConvOptions } from './conv.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type Pool2dOptions } from './pooling.js';
export { BatchNormBase, BatchNorm1d, BatchNorm2d, LayerNorm, RMSNorm, type BatchNormOptions, type LayerNormOptions, type RMSNormOptions } from './norm.js';
export { ReLU, LeakyReLU, GELU, SiLU, Tanh, Sigmoid, Softplus, ReLU6, Softmax, LogSoftmax } from './activation.js';
export { Dropout } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions } from './attention.js';
export { LSTM, GRU, type RNNOptions } from './rnn.js';
export { TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder, type TransformerLayerOptions, type TransformerActivation, type TransformerEncoderLayerForwardOptions, type TransformerDecoderLayerForwardOptions, type TransformerEncoderForwardOptions } from './transformerLayers.js';
export { GPT, type GPTOutput, type GenerateOptions } from './gpt.js';
export { CausalSelfAttention, MLP, Block, defaultGPTConfig, resolveGPTConfig, rotaryTables, applyRotary, type GPTConfig, type GPTLayerOptions, type KVCache } from './transformer.js';
export { sampleToken, type SamplingOptions } from './sampling.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, type Reduction, type CrossEntropyLossOptions, type NLLLossOptions } from './loss.js';
export * as init from './init.js';
export * as utils from './utils.js';
export * as functional from './functional.js';
export * as parallel from './parallel.js';
