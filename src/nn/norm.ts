/** Normalization layers: BatchNorm1d/2d (running statistics as buffers), LayerNorm, RMSNorm. */
import { mergeArgs } from '../strict.js';
import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { ones, zeros, tensor } from '../creation.js';
import { noGrad } from '../autograd/gradMode.js';
import { add_ } from '../ops/inplace.js';
import { batchNorm, layerNorm, rmsNorm } from '../ops/nn/index.js';
import { Module, parameter, reprValue } from './module.js';
import { ones_, zeros_ } from './init.js';

function checkNormalizedShape(op: string, s: unknown): void {
  const list = typeof s === 'number' ? [s] : s;
  if (!Array.isArray(list) || !list.every((v) => Number.isInteger(v) && v > 0)) throw new TypeError(`${op}: normalizedShape must be a positive integer or an array of them, got ${JSON.stringify(s)}`);
}

export interface BatchNormOptions {
  /** added to the variance (default 1e-5) */
  eps?: number;
  /** running = (1 − momentum)·running + momentum·batch (default 0.1); null: cumulative average */
  momentum?: number | null;
  /** learnable weight (γ, ones) and bias (β, zeros); default true */
  affine?: boolean;
  /** keep running_mean / running_var / num_batches_tracked buffers and use them in eval; default true */
  trackRunningStats?: boolean;
  dtype?: DType;
}

/**
 * Shared BatchNorm logic. Buffers use PyTorch's names: running_mean, running_var (unbiased batch variance
 * goes into it), num_batches_tracked (int32 here). In training the batch statistics normalise; in eval the
 * running ones do (when tracked).
 */
export abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  readonly numFeatures: number;

  /** (numFeatures), (numFeatures, eps, momentum, affine, trackRunningStats), or with {eps, momentum, affine, trackRunningStats, dtype} */
  constructor(numFeatures: number, ...rest: [opts?: BatchNormOptions] | [eps: number, momentum?: number | null, affine?: boolean, trackRunningStats?: boolean, opts?: BatchNormOptions]) {
    super();
    const opts = mergeArgs(this.constructor.name, [numFeatures, ...rest], ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats'], ['dtype']) as BatchNormOptions;
    this.numFeatures = numFeatures;
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = this.affine ? parameter(ones([numFeatures], { dtype })) : null;
    this.bias = this.affine ? parameter(zeros([numFeatures], { dtype })) : null;
    if (!this.affine) { this.registerParameter('weight', null); this.registerParameter('bias', null); }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], { dtype }));
      this.registerBuffer('running_var', ones([numFeatures], { dtype }));
      this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int32' }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }

  /** camelCase views of the buffers */
  get runningMean(): Tensor | null { return this.running_mean; }
  get runningVar(): Tensor | null { return this.running_var; }
  get numBatchesTracked(): Tensor | null { return this.num_batches_tracked; }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    zeros_(this.running_mean!);
    ones_(this.running_var!);
    noGrad(() => this.num_batches_tracked!.fill_(0));
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.affine) { ones_(this.weight!); zeros_(this.bias!); }
  }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}: expected ${this.numFeatures} channels in dim 1, got input of shape [${x.shape.join(', ')}]`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const nbt = this.num_batches_tracked;
      noGrad(() => add_(nbt, 1));
      factor = this.momentum === null ? 1 / nbt.item() : this.momentum;
    }
    // batch statistics in training, or in eval when there are no running ones
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    const track = !this.training || this.trackRunningStats;
    return batchNorm(x, track ? this.running_mean : null, track ? this.running_var : null, this.weight, this.bias, {
      training: useBatchStats, momentum: factor, eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${reprValue(this.momentum)}, affine=${reprValue(this.affine)}, track_running_stats=${reprValue(this.trackRunningStats)}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L] inputs (statistics per channel C). */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/** BatchNorm over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${x.ndim}D input)`);
  }
}

export interface LayerNormOptions {
  /** default 1e-5 */
  eps?: number;
  /** learnable weight (ones) and bias (zeros) of normalizedShape; default true */
  elementwiseAffine?: boolean;
  /** with elementwiseAffine, whether to have a bias (default true) */
  bias?: boolean;
  dtype?: DType;
}

/** Normalises over the last dims (normalizedShape): (x − mean) / √(var + eps) · weight + bias (biased var). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Tensor | null;
  bias: Tensor | null;

  /** (normalizedShape), (normalizedShape, eps, elementwiseAffine, bias), or with {eps, elementwiseAffine, bias, dtype} */
  constructor(normalizedShape: number | readonly number[], ...rest: [opts?: LayerNormOptions] | [eps: number, elementwiseAffine?: boolean, bias?: boolean, opts?: LayerNormOptions]) {
    super();
    const opts = mergeArgs('LayerNorm', [normalizedShape, ...rest], ['normalizedShape', 'eps', 'elementwiseAffine', 'bias'], ['dtype']) as LayerNormOptions;
    checkNormalizedShape('LayerNorm', normalizedShape);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = this.elementwiseAffine ? parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias = this.elementwiseAffine && (opts.bias ?? true) ? parameter(zeros(this.normalizedShape, { dtype })) : null;
    if (!this.weight) this.registerParameter('weight', null);
    if (!this.bias) this.registerParameter('bias', null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${reprValue(this.normalizedShape)}, eps=${this.eps}, elementwise_affine=${reprValue(this.elementwiseAffine)}`;
  }
}

export interface RMSNormOptions {
  /** default: null, meaning the dtype's machine epsilon (as PyTorch) */
  eps?: number | null;
  /** learnable weight (ones); default true */
  elementwiseAffine?: boolean;
  dtype?: DType;
}

/** x / √(mean(x², normalizedShape) + eps) · weight */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  weight: Tensor | null;

  /** (normalizedShape), (normalizedShape, eps, elementwiseAffine), or with {eps, elementwiseAffine, dtype} */
  constructor(normalizedShape: number | readonly number[], ...rest: [opts?: RMSNormOptions] | [eps: number | null, elementwiseAffine?: boolean, opts?: RMSNormOptions]) {
    super();
    const opts = mergeArgs('RMSNorm', [normalizedShape, ...rest], ['normalizedShape', 'eps', 'elementwiseAffine'], ['dtype']) as RMSNormOptions;
    checkNormalizedShape('RMSNorm', normalizedShape);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? null;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? parameter(ones(this.normalizedShape, { dtype: opts.dtype ?? 'float32' })) : null;
    if (!this.weight) this.registerParameter('weight', null);
  }

  forward(x: Tensor): Tensor {
    const eps = this.eps ?? (x.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7);
    return rmsNorm(x, this.normalizedShape, this.weight, eps);
  }

  override extraRepr(): string {
    return `${reprValue(this.normalizedShape)}, eps=${reprValue(this.eps)}, elementwise_affine=${reprValue(this.elementwiseAffine)}`;
  }
}
