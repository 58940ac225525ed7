/** Dropout: zeroes elements with probability p while training (scaling the rest by 1/(1−p)); identity in eval. */
import type { Tensor } from '../tensor.js';
import type { Generator } from '../random.js';
import { dropout } from '../ops/nn/index.js';
import { Module } from './module.js';
import { mergeArgs } from '../strict.js';

export class Dropout extends Module {
  /** generator for the masks (default: the global one); settable for reproducible runs */
  generator: Generator | undefined;

  readonly p: number;
  /** write the result into the input (PyTorch's inplace flag) */
  readonly inplace: boolean;

  /** Dropout(), Dropout(p), Dropout(p, inplace), Dropout({p, inplace, generator}); inplace writes x ⊙ mask into x */
  constructor(...args: [p?: number, inplace?: boolean, opts?: { generator?: Generator }] | [p: number, opts: { generator?: Generator }] | [opts: { p?: number; inplace?: boolean; generator?: Generator }]) {
    super();
    const o = mergeArgs('Dropout', args, ['p', 'inplace'], ['generator']);
    const p = (o.p ?? 0.5) as number;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, but got ${JSON.stringify(p)}`);
    if (o.inplace !== undefined && typeof o.inplace !== 'boolean') throw new TypeError(`Dropout: inplace must be true or false, got ${JSON.stringify(o.inplace)}`);
    this.p = p;
    this.inplace = o.inplace === true;
    this.generator = o.generator as Generator | undefined;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, { p: this.p, training: true, inplace: this.inplace, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}
