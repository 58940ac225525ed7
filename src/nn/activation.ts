/** Activation modules: thin wrappers over the functional ops. */
import type { Tensor } from '../tensor.js';
import { gelu, leakyRelu, relu, sigmoid, silu, tanh, softplus, clamp } from '../ops/elementwise.js';
import { softmax, logSoftmax } from '../ops/nn/index.js';
import { Module, reprValue } from './module.js';
import { checkArity, mergeArgs } from '../strict.js';
import { clamp_, leakyRelu_, relu_, silu_ } from '../ops/inplace.js';

/**
 * `inplace` (PyTorch's flag): forward writes the activation into its input and returns that same tensor (version
 * bumped, so a backward that saved the old values fails; a leaf that requires grad refuses, as in PyTorch).
 */
function checkInplace(op: string, v: unknown): boolean {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${op}: inplace must be true or false, got ${JSON.stringify(v)}`);
  return v === true;
}

export class ReLU extends Module {
  readonly inplace: boolean;

  /** ReLU(), ReLU(inplace), ReLU({inplace}) */
  constructor(...args: [inplace?: boolean] | [opts: { inplace?: boolean }]) {
    super();
    this.inplace = checkInplace('ReLU', mergeArgs('ReLU', args, ['inplace']).inplace);
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? relu_(x) : relu(x);
  }

  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  readonly inplace: boolean;

  constructor(...args: [negativeSlope?: number, inplace?: boolean] | [opts: { negativeSlope?: number; inplace?: boolean }]) {
    super();
    const o = mergeArgs('LeakyReLU', args, ['negativeSlope', 'inplace']);
    this.inplace = checkInplace('LeakyReLU', o.inplace);
    this.negativeSlope = (o.negativeSlope ?? 0.01) as number;
    if (typeof this.negativeSlope !== 'number') throw new TypeError(`LeakyReLU: negativeSlope must be a number, got ${JSON.stringify(this.negativeSlope)}`);
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? leakyRelu_(x, this.negativeSlope) : leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}${this.inplace ? ', inplace=True' : ''}`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  /** GELU(), GELU('tanh'), GELU({approximate: 'tanh'}) */
  constructor(...args: [approximate?: 'none' | 'tanh'] | [opts: { approximate?: 'none' | 'tanh' }]) {
    super();
    const o = mergeArgs('GELU', args, ['approximate']);
    this.approximate = (o.approximate ?? 'none') as 'none' | 'tanh';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new TypeError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(this.approximate)}`);
  }

  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate=${reprValue(this.approximate)}`;
  }
}

export class SiLU extends Module {
  readonly inplace: boolean;

  /** SiLU(), SiLU(inplace), SiLU({inplace}) */
  constructor(...args: [inplace?: boolean] | [opts: { inplace?: boolean }]) {
    super();
    this.inplace = checkInplace('SiLU', mergeArgs('SiLU', args, ['inplace']).inplace);
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? silu_(x) : silu(x);
  }

  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

export class Tanh extends Module {
  constructor() {
    super();
    checkArity('Tanh', arguments, 0, '()');
  }

  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  constructor() {
    super();
    checkArity('Sigmoid', arguments, 0, '()');
  }

  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;

  constructor(...args: [beta?: number, threshold?: number] | [opts: { beta?: number; threshold?: number }]) {
    super();
    const o = mergeArgs('Softplus', args, ['beta', 'threshold']);
    this.beta = (o.beta ?? 1) as number;
    this.threshold = (o.threshold ?? 20) as number;
    if (typeof this.beta !== 'number' || typeof this.threshold !== 'number') throw new TypeError(`Softplus: beta and threshold must be numbers`);
  }

  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold } as { beta: number });
  }

  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** ReLU6 = min(max(0, x), 6) */
export class ReLU6 extends Module {
  readonly inplace: boolean;

  /** ReLU6(), ReLU6(inplace), ReLU6({inplace}) */
  constructor(...args: [inplace?: boolean] | [opts: { inplace?: boolean }]) {
    super();
    this.inplace = checkInplace('ReLU6', mergeArgs('ReLU6', args, ['inplace']).inplace);
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? clamp_(x, 0, 6) : clamp(x, 0, 6);
  }

  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/** Softmax over `dim` (default −1; PyTorch requires it, we default to the last dim). */
export class Softmax extends Module {
  readonly dim: number;

  constructor(...args: [dim?: number] | [opts: { dim?: number }]) {
    super();
    this.dim = (mergeArgs('Softmax', args, ['dim']).dim ?? -1) as number;
    if (!Number.isInteger(this.dim)) throw new TypeError(`Softmax: dim must be an integer, got ${JSON.stringify(this.dim)}`);
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  readonly dim: number;

  constructor(...args: [dim?: number] | [opts: { dim?: number }]) {
    super();
    this.dim = (mergeArgs('LogSoftmax', args, ['dim']).dim ?? -1) as number;
    if (!Number.isInteger(this.dim)) throw new TypeError(`LogSoftmax: dim must be an integer, got ${JSON.stringify(this.dim)}`);
  }

  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
