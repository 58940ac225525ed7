/** Activation modules: thin wrappers over the functional ops. */
import type { Tensor } from '../tensor.js';
import { gelu, leakyRelu, relu, sigmoid, silu, tanh, softplus, clamp } from '../ops/elementwise.js';
import { softmax, logSoftmax } from '../ops/nn/index.js';
import { Module, reprValue } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
  }

  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate=${reprValue(this.approximate)}`;
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Softplus extends Module {
  constructor(readonly beta = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta });
  }

  override extraRepr(): string {
    return `beta=${this.beta}`;
  }
}

/** ReLU6 = min(max(0, x), 6) */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return clamp(x, 0, 6);
  }
}

/** Softmax over `dim` (default −1; PyTorch requires it, we default to the last dim). */
export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
