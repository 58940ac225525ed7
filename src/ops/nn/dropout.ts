/**
 * Dropout as an op record (see ../define.ts): y = x ⊙ m / (1 − p), m ~ Bernoulli(1 − p). A composite record:
 * y is mul(x, mask), so the gradient g ⊙ m/(1 − p) and the tangent ẋ ⊙ m/(1 − p) come from mul with the same mask.
 * PyTorch's call forms: dropout(x, p = 0.5, training = true, inplace = false) or by keyword
 * dropout(x, {p, training, generator}) (generator, a seeded Generator for the mask, is keyword-only).
 */
import { arrayFor } from '../../dtype.js';
import { Tensor } from '../../tensor.js';
import { defaultGenerator, Generator } from '../../random.js';
import { mul } from '../elementwise.js';
import { mul_ } from '../inplace.js';
import { floatInput } from './_util.js';
import { defineOp } from '../define.js';
import { argError, bool, num, tensor, type ArgSpec } from '../args.js';

export interface DropoutOptions {
  /** probability of zeroing an element (default 0.5) */
  p?: number;
  /** identity when false (default true, as torch.nn.functional.dropout) */
  training?: boolean;
  /** seeded generator for the mask (default: the global generator) */
  generator?: Generator;
  /** write x ⊙ mask into x and return x (default false) */
  inplace?: boolean;
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

/** an optional Generator */
export function generatorArg<const N extends string>(name: N): ArgSpec<Generator | null | undefined, Generator | undefined, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined || v === null) return undefined;
      if (!(v instanceof Generator)) throw argError(op, name, 'a Generator', v);
      return v;
    },
  };
}

/** the mask a seeded Generator(seed) draws for n elements, scaled (the reference of the seeded rows) */
const maskOf = (seed: number, n: number, p: number) => {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => (g.random() >= p ? 1 / (1 - p) : 0));
};

const dropoutOp = defineOp({
  name: 'dropout', kwargs: true, positional: 4,
  args: [tensor('input'), num('p', 0.5), bool('training', true), bool('inplace', false), generatorArg('generator')],
  composite: true,
  forward: ({ input, p, training, inplace, generator }) => {
    const xf = floatInput('dropout', 'input', input);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability p has to be between 0 and 1, but got ${p}`);
    if (inplace && xf !== input) throw new TypeError(`dropout: inplace needs a floating-point input to write into, got ${input.describe()}`);
    if (!training || p === 0) return xf;
    const m = p === 1 ? 0 : dropoutMask(xf, p, generator);
    // inplace (PyTorch's flag): the input itself becomes x ⊙ m (version bumped; a non-leaf takes the new node)
    return inplace ? mul_(xf, m) : mul(xf, m);
  },
  cases: [
    {
      label: 'p 0.4, seeded', shapes: [[3, 4]], call: (f, x) => (f as unknown as DropoutKw)(x, { p: 0.4, generator: new Generator(5) }),
      expect: (R, x) => R.bin((v, m) => v * m)(x, { shape: [3, 4], data: maskOf(5, 12, 0.4) }),
      // torch checks x ⊙ mask and its gradient with the mask nabla's Generator(5) draws, written out
      torch: `x[0] * torch.tensor([${maskOf(5, 12, 0.4).join(', ')}], dtype=torch.float64).reshape(3, 4)`,
    },
    { label: 'p 1 (zeros)', shapes: [[2, 3]], call: (f, x) => f(x, 1), ref: () => 0, torch: 'F.dropout(x[0], 1.0)' },
  ],
});
type DropoutKw = (input: Tensor, opts: DropoutOptions & { inplace?: boolean }) => Tensor;
type DropoutKw2 = (input: Tensor, p: number | undefined, opts: DropoutOptions & { inplace?: boolean }) => Tensor;
export const dropout: typeof dropoutOp & DropoutKw & DropoutKw2 = dropoutOp as never;
