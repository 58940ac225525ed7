/** nabla: define-by-run tensors with reverse-mode autodiff for TypeScript. `import * as nb from 'nabla'`. */
import './methods.js';
import './callForms.js';
import './composites.js';
import { initDefaultBackend } from './backends/default.js';

// The fast backend needs an async start (compiling its kernels, spawning its workers): ES modules let the
// import itself wait for it, so `import * as nb from 'nabla'` returns with the default backend ready.
await initDefaultBackend();

export { Tensor, isTensor, type NestedArray } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export { Generator, manualSeed, defaultGenerator } from './random.js';
export { tensor, full, zeros, ones, empty, zerosLike, onesLike, emptyLike, fullLike, randLike, randnLike, arange, linspace, eye, rand, randn, randint, randperm, type CreateOptions, type RandomOptions, type Shape } from './creation.js';
// every element-wise record (add/sub/clamp/gelu/leakyRelu are re-exported below with PyTorch's call forms, which take precedence)
export * from './ops/elementwise.js';
// reductions with PyTorch's call forms (dim, keepdim) / {dim, keepdim}, destructurable max/min (their records' schemas)
export * from './ops/reduce.js';
export { variance as var } from './ops/reduce.js';
// clamp and add/sub with PyTorch's call forms
export { clamp, clip, add, sub, index } from './callForms.js';
export * from './ops/movement.js';
export * from './ops/indexing.js';
export * from './ops/matmul.js';
export { einsum } from './ops/einsum.js';
export { cumprod } from './ops/scan.js';
export { indexPut, indexPut_ } from './ops/advancedIndex.js';
export * from './ops/inplace.js';
export * from './ops/nn/index.js';
// PyTorch's positional call forms (conv2d(x, w, b, 1, 1), dropout(x, 0.1), gelu(x, 'tanh')) override the ops' own exports
export { conv1d, conv2d, maxPool2d, avgPool2d, dropout, gelu, leakyRelu } from './nn/functional.js';
export { tril, triu, maskedFill, dot, lerp, repeat, tile, flip, roll, cumsum, norm, diag, sort, argsort, topk, all, any, multinomial } from './composites.js';
export { noGrad, enableGrad, isGradEnabled, detectAnomaly } from './autograd/gradMode.js';
export { setBackend, getBackend, registerBackend, registerBackendFactory, initBackend, listBackends, backendCapabilities } from './backends/registry.js';
export type { Backend, View, BackendCapabilities } from './backends/backend.js';
export { scope, keep } from './memory.js';
export { memory, type MemoryStats, type MemoryEvent, type MemoryTimeline, type RecordOptions } from './memory/api.js';
export * as autograd from './autograd/index.js';
export * as func from './autograd/func.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as datasets from './data/datasetsIndex.js';
export * as viz from './viz/index.js';
export * as text from './text/index.js';
export { save, load, saveSync, loadSync, encodeCheckpoint, decodeCheckpoint, CheckpointError } from './io/checkpoint.js';
export * as utils from './utils/index.js';
export * as distributed from './distributed/index.js';
export * as amp from './amp/index.js';
export { autocast } from './amp/autocast.js';
