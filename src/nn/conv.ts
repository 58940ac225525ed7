/** Conv1d / Conv2d with PyTorch's default init (kaiming_uniform(a=√5): weight and bias ~ U(−1/√fanIn, 1/√fanIn)). */
import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../random.js';
import { conv1d, conv2d } from '../ops/nn/index.js';
import { empty, pair } from './_util.js';
import { Module, parameter, reprValue } from './module.js';
import { defaultLayerInit_ } from './layerInit.js';
import { mergeArgs } from '../strict.js';

export interface ConvOptions {
  stride?: number | readonly number[];
  /** an integer (or one per spatial dim), or 'same' / 'valid' */
  padding?: number | readonly number[] | 'same' | 'valid';
  dilation?: number | readonly number[];
  groups?: number;
  bias?: boolean;
  generator?: Generator;
  dtype?: DType;
  /** only 'zeros' (PyTorch's default) */
  paddingMode?: 'zeros';
}

/** PyTorch's positional form after kernelSize: (stride, padding, dilation, groups, bias), then options. */
export type ConvRest = [opts?: ConvOptions]
  | [stride: number | readonly number[], padding?: ConvOptions['padding'], dilation?: number | readonly number[], groups?: number, bias?: boolean, opts?: ConvOptions];

const CONV_NAMES = ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias'];
const CONV_EXTRA = ['generator', 'dtype', 'paddingMode'];

abstract class ConvNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same';
  readonly dilation: number[];
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;

  readonly inChannels: number;
  readonly outChannels: number;

  constructor(nd: number, args: ArrayLike<unknown>) {
    super();
    const op = this.constructor.name;
    const o = mergeArgs(op, args, CONV_NAMES, CONV_EXTRA);
    const { inChannels, outChannels, kernelSize } = o as { inChannels: number; outChannels: number; kernelSize: number | readonly number[] };
    const opts = o as ConvOptions;
    for (const [n, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new TypeError(`${op}: ${n} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    if (kernelSize === undefined) throw new TypeError(`${op}: kernelSize is required (${op}(inChannels, outChannels, kernelSize, ...))`);
    if (opts.paddingMode !== undefined && opts.paddingMode !== 'zeros') throw new Error(`${op}: paddingMode '${String(opts.paddingMode)}' is not supported (only 'zeros')`);
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw new TypeError(`${op}: bias must be true or false, got ${JSON.stringify(opts.bias)}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups <= 0) throw new Error(`${op}: groups must be a positive integer`);
    if (inChannels % this.groups !== 0) throw new Error(`${op}: inChannels (${inChannels}) must be divisible by groups (${this.groups})`);
    if (outChannels % this.groups !== 0) throw new Error(`${op}: outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    this.kernelSize = pair(kernelSize, op, 'kernelSize', nd);
    this.stride = pair(opts.stride ?? 1, op, 'stride', nd);
    this.dilation = pair(opts.dilation ?? 1, op, 'dilation', nd);
    const p = opts.padding ?? 0;
    if (p === 'valid') this.padding = new Array<number>(nd).fill(0);
    else if (p === 'same') {
      if (this.stride.some((s) => s !== 1)) throw new Error(`${op}: padding='same' is not supported for strided convolutions`);
      this.padding = 'same';
    } else this.padding = pair(p, op, 'padding', nd);
    const dtype = opts.dtype ?? 'float32';
    this.weight = parameter(empty([outChannels, inChannels / this.groups, ...this.kernelSize], dtype));
    this.bias = opts.bias === false ? null : parameter(empty([outChannels], dtype));
    if (!this.bias) this.registerParameter('bias', null);
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    defaultLayerInit_(this.weight, this.bias, generator);
  }

  /** Explicit per-dim padding ('same' resolved: total dilation·(k−1), split evenly; odd totals are not supported). */
  protected paddingFor(op: string): number[] {
    if (this.padding !== 'same') return this.padding;
    return this.kernelSize.map((k, i) => {
      const total = this.dilation[i]! * (k - 1);
      if (total % 2 !== 0) throw new Error(`${op}: padding='same' with an even effective kernel size is not supported`);
      return total / 2;
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${reprValue(this.kernelSize)}, stride=${reprValue(this.stride)}`;
    if (this.padding === 'same') s += `, padding='same'`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${reprValue(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${reprValue(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}

/** x [N, Cin, L] (or [Cin, L]) → [N, Cout, Lout]; weight [Cout, Cin/groups, k]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], ...rest: ConvRest) {
    super(1, [inChannels, outChannels, kernelSize, ...rest]);
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, { stride: this.stride[0]!, padding: this.paddingFor('Conv1d')[0]!, dilation: this.dilation[0]!, groups: this.groups });
  }
}

/** x [N, Cin, H, W] (or [Cin, H, W]) → [N, Cout, Hout, Wout]; weight [Cout, Cin/groups, kh, kw]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], ...rest: ConvRest) {
    super(2, [inChannels, outChannels, kernelSize, ...rest]);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.paddingFor('Conv2d'), dilation: this.dilation, groups: this.groups });
  }
}
