/** nb.autograd: the user-facing autograd API. */
export { grad, jvp, hvp, gradcheck, gradgradcheck, type GradOptions, type GradcheckOptions } from './api.js';
export { Function, FunctionCtx } from './function.js';
export * as forwardAD from './forwardAD.js';
export { backward, type BackwardOptions } from './engine.js';
export { noGrad, enableGrad, detectAnomaly, isGradEnabled } from './gradMode.js';
export { Node } from './node.js';
