/** Dropout: y = x ⊙ m / (1 − p), m ~ Bernoulli(1 − p); the same mask scales the gradient. */
import { arrayFor } from '../../dtype.js';
import { Tensor } from '../../tensor.js';
import { defaultGenerator, type Generator } from '../../random.js';
import { mul } from '../elementwise.js';
import { floatInput } from './_util.js';

export interface DropoutOptions {
  /** probability of zeroing an element (default 0.5) */
  p?: number;
  /** identity when false (default true, as torch.nn.functional.dropout) */
  training?: boolean;
  /** seeded generator for the mask (default: the global generator) */
  generator?: Generator;
}

/** The scaled keep-mask m/(1 − p) with x's shape, dtype and backend. */
export function dropoutMask(x: Tensor, p: number, generator?: Generator): Tensor {
  const g = generator ?? defaultGenerator;
  const n = x.numel();
  const v = arrayFor(x.dtype, n);
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) v[i] = g.random() >= p ? scale : 0;
  return Tensor.fromValues(v, x.shape, x.dtype, x.backend);
}

export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  const xf = floatInput('dropout', 'input', x);
  const p = opts.p ?? 0.5;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability p has to be between 0 and 1, but got ${p}`);
  const training = opts.training ?? true;
  if (!training || p === 0) return xf;
  if (p === 1) return mul(xf, 0);
  return mul(xf, dropoutMask(xf, p, opts.generator));
}
