/** Functional nn ops (torch.nn.functional): activations, norms, losses, attention, dropout, embedding, conv/pool. */

export { softmax, logSoftmax, swiglu } from './activation.js';
export { layerNorm, rmsNorm, batchNorm, type BatchNormOptions } from './norm.js';
export {
  crossEntropy, nllLoss, mseLoss, l1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits,
  type CrossEntropyOptions, type NllLossOptions,
} from './loss.js';
export { scaledDotProductAttention, type AttentionOptions } from './attention.js';
export { dropout, type DropoutOptions } from './dropout.js';
export { embedding } from './embedding.js';
export {
  unfold, fold, conv1d, conv2d, maxPool2d, avgPool2d,
  type WindowOptions, type FoldOptions, type Conv1dOptions, type Conv2dOptions, type Pool2dOptions, type AvgPool2dOptions,
} from './conv.js';
export type { Reduction } from './_util.js';
