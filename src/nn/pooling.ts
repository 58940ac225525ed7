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

export class MaxPool2d extends Module {
  readonly stride: number | readonly number[];
  readonly padding: number | readonly number[];

  constructor(readonly kernelSize: number | readonly number[], opts: Pool2dOptions = {}) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding });
  }

  override extraRepr(): string {
    return `kernel_size=${reprValue(this.kernelSize)}, stride=${reprValue(this.stride)}, padding=${reprValue(this.padding)}`;
  }
}

export class AvgPool2d extends Module {
  readonly stride: number | readonly number[];
  readonly padding: number | readonly number[];

  constructor(readonly kernelSize: number | readonly number[], opts: Pool2dOptions = {}) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding });
  }

  override extraRepr(): string {
    return `kernel_size=${reprValue(this.kernelSize)}, stride=${reprValue(this.stride)}, padding=${reprValue(this.padding)}`;
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
