/** Dropout: zeroes elements with probability p while training (scaling the rest by 1/(1−p)); identity in eval. */
import type { Tensor } from '../tensor.js';
import type { Generator } from '../random.js';
import { dropout } from '../ops/nn/index.js';
import { Module } from './module.js';

export class Dropout extends Module {
  /** generator for the masks (default: the global one); settable for reproducible runs */
  generator: Generator | undefined;

  constructor(readonly p = 0.5, opts: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, but got ${p}`);
    this.generator = opts.generator;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, { p: this.p, training: true, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}
