/** Pooling layers over [N, C, H, W] (or [C, H, W]). */
import type { Tensor } from '../tensor.js';
import { maxPool2d, avgPool2d } from '../ops/nn/index.js';
import { mean } from '../ops/reduce.js';
import { Module, reprValue } from './module.js';
import { mergeArgs } from '../strict.js';

export interface Pool2dOptions {
  /** default: kernelSize */
  stride?: number | readonly number[] | null;
  padding?: number | readonly number[];
}

/** PyTorch options nabla's pooling does not implement: accepted at their default value only. */
function checkUnsupported(op: string, o: Record<string, unknown>, defaults: Record<string, unknown>): void {
  for (const [k, d] of Object.entries(defaults)) {
    if (o[k] !== undefined && o[k] !== d) throw new Error(`${op}: ${k}=${JSON.stringify(o[k])} is not supported (only ${JSON.stringify(d)})`);
  }
}

/** Window, stride (default: the window) and padding shared by the pooling layers. */
abstract class Pool2d extends Module {
  readonly stride: number | readonly number[];
  readonly padding: number | readonly number[];

  constructor(readonly kernelSize: number | readonly number[], opts: Pool2dOptions = {}) {
    super();
    if (kernelSize === undefined) throw new TypeError(`${this.constructor.name}: kernelSize is required`);
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
  /** MaxPool2d(kernelSize, stride, padding, dilation=1, returnIndices=false, ceilMode=false), or with {stride, padding} */
  constructor(kernelSize: number | readonly number[], ...rest: [opts?: Pool2dOptions] | [stride: number | readonly number[] | null, padding?: number | readonly number[], dilation?: 1, returnIndices?: false, ceilMode?: false]) {
    const o = mergeArgs('MaxPool2d', [kernelSize, ...rest], ['kernelSize', 'stride', 'padding', 'dilation', 'returnIndices', 'ceilMode']);
    checkUnsupported('MaxPool2d', o, { dilation: 1, returnIndices: false, ceilMode: false });
    super(kernelSize, o as Pool2dOptions);
  }

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

  /** AvgPool2d(kernelSize, stride, padding, ceilMode=false, countIncludePad, divisorOverride), or with options */
  constructor(kernelSize: number | readonly number[], ...rest: [opts?: AvgPool2dLayerOptions] | [stride: number | readonly number[] | null, padding?: number | readonly number[], ceilMode?: false, countIncludePad?: boolean, divisorOverride?: number]) {
    const o = mergeArgs('AvgPool2d', [kernelSize, ...rest], ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
    checkUnsupported('AvgPool2d', o, { ceilMode: false });
    const opts = o as AvgPool2dLayerOptions;
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
    mergeArgs('AdaptiveAvgPool2d', arguments, ['outputSize']);
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
