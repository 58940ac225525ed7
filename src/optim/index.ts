/** nb.optim: optimizers (torch.optim's algorithms and state-dict layout) and learning-rate schedulers. */
export { Optimizer, type ParamGroup, type ParamGroupInit, type ParamsArg, type ParamState, type OptimizerStateDict, type ZeroGradOptions, type BaseOptions } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { LAMB, type LAMBOptions } from './lamb.js';
export { Adafactor, type AdafactorOptions } from './adafactor.js';
export * as lrScheduler from './lrScheduler.js';
