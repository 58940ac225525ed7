/** Pooling layers over [N, C, H, W] (or [C, H, W]). */
import type { Tensor } from '../tensor.js';
import { maxPool2d, avgPool2d } from '../ops/nn/index.js';
import { mean } from '../ops/reduce.js';
import { Module, reprValue } from './module.js';

export interface Pool2dOptions {
  /** default: kernelSize */
  stride?: number | readonly number[] | null;
  padding?: number | readonly number[];
}

/** Window, stride (default: the window) and padding shared by the pooling layers. */
abstract class Pool2d extends Module {
  readonly stride: number | readonly number[];
  readonly padding: number | readonly number[];

  constructor(readonly kernelSize: number | readonly number[], opts: Pool2dOptions = {}) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
  }

  protected window(): { kernelSize: number | readonly number[]; stride: number | readonly number[]; padding: number | readonly number[] } {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding };
  }

  override extraRepr(): string {
    return `kernel_size=${reprValue(this.kernelSize)}, stride=${reprValue(this.stride)}, padding=${reprValue(this.padding)}`;
  }
}

export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.window());
  }
}

export interface AvgPool2dLayerOptions extends Pool2dOptions {
  /** count the zero padding in the divisor (default true, as PyTorch) */
  countIncludePad?: boolean;
  divisorOverride?: number;
}

export class AvgPool2d extends Pool2d {
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | undefined;

  constructor(kernelSize: number | readonly number[], opts: AvgPool2dLayerOptions = {}) {
    super(kernelSize, opts);
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, { ...this.window(), countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride });
  }
}

/** AdaptiveAvgPool2d with output size 1 (global average pooling): [N, C, H, W] → [N, C, 1, 1]. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number, number] = 1) {
    super();
    const o = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
    if (o[0] !== 1 || o[1] !== 1) throw new Error('AdaptiveAvgPool2d: only outputSize 1 is supported');
  }

  forward(x: Tensor): Tensor {
    return mean(x, [x.ndim - 2, x.ndim - 1], true);
  }

  override extraRepr(): string {
    return `output_size=${reprValue(this.outputSize)}`;
  }
}
