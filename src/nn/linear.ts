/** Linear (y = x·Wᵀ + b), Bilinear-free; Identity and Flatten/Unflatten live here too. */
import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../random.js';
import { empty } from './_util.js';
import { linear, type LinearActivation } from '../ops/matmul.js';
import { flatten, reshape } from '../ops/movement.js';
import { Module, parameter, reprValue } from './module.js';
import { defaultLayerInit_ } from './layerInit.js';
import { checkArity, mergeArgs } from '../strict.js';

export interface LinearOptions {
  /** add a learnable bias (default true) */
  bias?: boolean;
  /** generator for the initial weights (default: the global one) */
  generator?: Generator;
  dtype?: DType;
  /**
   * nabla's fused Linear + activation (default 'none'): forward is act(x·Wᵀ + b), equivalent to
   * Sequential(Linear, ReLU) for 'relu' (and likewise GELU ('gelu', or 'geluTanh' for approximate='tanh'),
   * SiLU, Sigmoid, Tanh) with the same parameters and state-dict keys, but the bias add and the activation run
   * as one pass after the GEMM and the backward starts from the activation's derivative inside the node.
   */
  activation?: LinearActivation;
}

/**
 * y = x·Wᵀ + b with weight [outFeatures, inFeatures] and bias [outFeatures]. PyTorch's default init:
 * kaiming_uniform(a=√5) → W ~ U(−1/√in, 1/√in), and b ~ U(−1/√in, 1/√in).
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  /** the fused activation (LinearOptions.activation) */
  readonly activation: LinearActivation;

  readonly inFeatures: number;
  readonly outFeatures: number;

  /** Linear(in, out), Linear(in, out, bias), Linear(in, out, {bias, generator, dtype, activation}) */
  constructor(inFeatures: number, outFeatures: number, ...rest: [opts?: LinearOptions] | [bias: boolean, opts?: LinearOptions]) {
    super();
    const opts = mergeArgs('Linear', [inFeatures, outFeatures, ...rest], ['inFeatures', 'outFeatures', 'bias'], ['generator', 'dtype', 'activation']) as LinearOptions;
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`Linear: bias must be true or false, got ${JSON.stringify(opts.bias)}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    if (!(Number.isInteger(inFeatures) && inFeatures >= 0 && Number.isInteger(outFeatures) && outFeatures >= 0)) {
      throw new Error(`Linear: inFeatures and outFeatures must be non-negative integers, got ${inFeatures}, ${outFeatures}`);
    }
    const dtype = opts.dtype ?? 'float32';
    this.activation = opts.activation ?? 'none';
    if (!['none', 'relu', 'gelu', 'geluTanh', 'silu', 'sigmoid', 'tanh'].includes(this.activation)) {
      throw new Error(`Linear: unknown activation '${String(this.activation)}' (expected none, relu, gelu, geluTanh, silu, sigmoid or tanh)`);
    }
    this.weight = parameter(empty([outFeatures, inFeatures], dtype));
    this.bias = opts.bias === false ? null : parameter(empty([outFeatures], dtype));
    if (this.bias === null) this.registerParameter('bias', null);
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    defaultLayerInit_(this.weight, this.bias, generator);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, this.activation === 'none' ? undefined : { activation: this.activation });
  }

  override extraRepr(): string {
    const act = this.activation === 'none' ? '' : `, activation=${reprValue(this.activation)}`;
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${reprValue(this.bias !== null)}${act}`;
  }
}

/** Returns its input unchanged (accepts and ignores constructor arguments, as PyTorch). */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (default 1..-1: keeps the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    checkArity('Flatten', arguments, 2, '(startDim, endDim)');
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) throw new TypeError(`Flatten: startDim and endDim must be integers, got ${JSON.stringify(startDim)}, ${JSON.stringify(endDim)}`);
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Expands dim into unflattenedSize (the inverse of Flatten). */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly unflattenedSize: readonly number[]) {
    super();
    checkArity('Unflatten', arguments, 2, '(dim, unflattenedSize)');
    if (!Number.isInteger(dim) || !Array.isArray(unflattenedSize) || !unflattenedSize.every((v) => Number.isInteger(v))) {
      throw new TypeError(`Unflatten: expected (dim: integer, unflattenedSize: integer array), got (${JSON.stringify(dim)}, ${JSON.stringify(unflattenedSize)})`);
    }
  }

  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    return reshape(x, [...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${reprValue([...this.unflattenedSize])}`;
  }
}
