/** The default initialisation of Linear and Conv layers (not part of nn.init's public functions). */
import type { Tensor } from '../tensor.js';
import type { Generator } from '../random.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from './init.js';

/**
 * PyTorch's default initialisation of Linear and Conv layers: weight kaiming-uniform with a = √5 (uniform in
 * ±1/√fanIn), bias uniform in ±1/√fanIn.
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, { generator });
  }
}
