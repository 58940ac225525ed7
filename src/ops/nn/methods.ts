/** Tensor methods for the nn ops (x.softmax(dim), x.logSoftmax(dim)), attached like src/methods.ts. */
import { Tensor } from '../../tensor.js';
import { logSoftmax, softmax } from './activation.js';

declare module '../../tensor.js' {
  interface Tensor {
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
  }
}

const P = Tensor.prototype as any;
P.softmax = function (this: Tensor, dim: number) { return softmax(this, dim); };
P.logSoftmax = function (this: Tensor, dim: number) { return logSoftmax(this, dim); };
