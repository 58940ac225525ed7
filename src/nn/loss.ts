/** Loss modules: hold their options (and weight buffers, as PyTorch) and forward to the functional losses. */
import type { Tensor } from '../tensor.js';
import { crossEntropy, nllLoss, mseLoss, l1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits } from '../ops/nn/index.js';
import { Module, reprValue } from './module.js';
import { mergeArgs } from '../strict.js';

export type Reduction = 'none' | 'mean' | 'sum';

abstract class Loss extends Module {
  readonly reduction: Reduction;

  constructor(opts: { reduction?: Reduction }) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    if (typeof this.reduction !== 'string') throw new TypeError(`${this.constructor.name}: reduction must be 'none', 'mean' or 'sum', got ${JSON.stringify(this.reduction)}`);
    if (!['none', 'mean', 'sum'].includes(this.reduction)) throw new Error(`${this.constructor.name}: reduction must be 'none', 'mean' or 'sum', got '${this.reduction}'`);
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;

  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction=${reprValue(this.reduction)}`;
  }
}

export interface CrossEntropyLossOptions {
  /** per-class weight [C] (a buffer named 'weight') */
  weight?: Tensor | null;
  /** targets equal to this are skipped (default −100) */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** mix the targets with the uniform distribution (default 0) */
  labelSmoothing?: number;
}

/** logits [N, C] (or [N, C, d...]) and class indices [N] (int32) or class probabilities [N, C]. */
export class CrossEntropyLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  /** CrossEntropyLoss(), CrossEntropyLoss(weight), CrossEntropyLoss({weight, ignoreIndex, reduction, labelSmoothing}) */
  constructor(...args: [opts?: CrossEntropyLossOptions] | [weight: Tensor | null, opts?: CrossEntropyLossOptions]) {
    const opts = mergeArgs('CrossEntropyLoss', args, ['weight'], ['ignoreIndex', 'reduction', 'labelSmoothing']) as CrossEntropyLossOptions;
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight ?? undefined, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

export interface NLLLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** log-probabilities [N, C] and class indices [N]. */
export class NLLLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;

  constructor(...args: [opts?: NLLLossOptions] | [weight: Tensor | null, opts?: NLLLossOptions]) {
    const opts = mergeArgs('NLLLoss', args, ['weight'], ['ignoreIndex', 'reduction']) as NLLLossOptions;
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight ?? undefined, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class MSELoss extends Loss {
  constructor(opts: { reduction?: Reduction } = {}) {
    super(mergeArgs('MSELoss', arguments, [], ['reduction']));
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(opts: { reduction?: Reduction } = {}) {
    super(mergeArgs('L1Loss', arguments, [], ['reduction']));
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** ½d² for |d| ≤ delta, delta·(|d| − ½delta) beyond (default delta 1). */
export class HuberLoss extends Loss {
  readonly delta: number;

  constructor(opts: { reduction?: Reduction; delta?: number } = {}) {
    super(mergeArgs('HuberLoss', arguments, [], ['reduction', 'delta']));
    this.delta = opts.delta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }

  override extraRepr(): string {
    return [super.extraRepr(), `delta=${this.delta}`].filter(Boolean).join(', ');
  }
}

/** Binary cross-entropy on probabilities (log clamped at −100, as PyTorch). */
export class BCELoss extends Loss {
  declare weight: Tensor | null;

  constructor(...args: [opts?: { weight?: Tensor | null; reduction?: Reduction }] | [weight: Tensor | null, opts?: { reduction?: Reduction }]) {
    const opts = mergeArgs('BCELoss', args, ['weight'], ['reduction']) as { weight?: Tensor | null; reduction?: Reduction };
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight ?? undefined, reduction: this.reduction });
  }
}

/** Sigmoid + BCE in one stable expression; posWeight weighs the positive class (buffer 'pos_weight'). */
export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;

  constructor(...args: [opts?: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction }] | [weight: Tensor | null, opts?: { posWeight?: Tensor | null; reduction?: Reduction }]) {
    const opts = mergeArgs('BCEWithLogitsLoss', args, ['weight'], ['posWeight', 'reduction']) as { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction };
    super(opts);
    this.registerBuffer('weight', opts.weight ?? null);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight ?? undefined, posWeight: this.pos_weight ?? undefined, reduction: this.reduction });
  }
}
