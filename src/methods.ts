/**
 * Tensor methods: thin forwards to the ops, attached to the prototype once. Declaration merging gives
 * them types, so `x.add(y).relu().sum()` type-checks like the functional form.
 */
import { Tensor } from './tensor.js';
import { assertDType, type DType } from './dtype.js';
import * as E from './ops/elementwise.js';
import * as M from './ops/movement.js';
import * as IP from './ops/inplace.js';
import { backward, type BackwardOptions } from './autograd/engine.js';
import type { TensorLike } from './ops/util.js';

declare module './tensor.js' {
  // the element-wise methods come from their op records (src/ops/elementwise.ts)
  interface Tensor {
    // callForms.ts adds overloads of these three, which hide the inherited record methods: restate the basic form
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    readonly T: Tensor;
    detach(): Tensor;
    to(dtype: DType | Tensor): Tensor;
    float(): Tensor;
    double(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    backward(gradient?: Tensor | null | BackwardOptions, opts?: BackwardOptions): void;
    add_(other: TensorLike, alpha?: number): Tensor;
    sub_(other: TensorLike, alpha?: number): Tensor;
    mul_(other: TensorLike): Tensor;
    div_(other: TensorLike): Tensor;
    zero_(): Tensor;
    fill_(value: number): Tensor;
    copy_(src: Tensor): Tensor;
    clamp_(min?: number | null, max?: number | null): Tensor;
    relu_(): Tensor;
  }
}

const P = Tensor.prototype as any;


Object.defineProperty(P, 'T', { get(this: Tensor) { return M.permute(this, [...Array(this.ndim).keys()].reverse()); } });
P.detach = function (this: Tensor) {
  const t = new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype);
  t._base = this._base ?? this;
  return t;
};
P.to = function (this: Tensor, d: DType | Tensor) {
  if (arguments.length !== 1) throw new TypeError(`to: expected one argument (a dtype such as 'float64', or a tensor whose dtype to take), got ${arguments.length}`);
  const dtype = d instanceof Tensor ? d.dtype : d;
  assertDType('to', dtype);
  return E.cast(this, dtype);
};
P.float = function (this: Tensor) { return E.cast(this, 'float32'); };
P.double = function (this: Tensor) { return E.cast(this, 'float64'); };
P.int = function (this: Tensor) { return E.cast(this, 'int32'); };
P.bool = function (this: Tensor) { return E.cast(this, 'bool'); };
P.backward = function (this: Tensor, ...args: [Tensor | null | BackwardOptions | undefined, BackwardOptions | undefined]) { backward(this, ...args); };
P.add_ = function (this: Tensor, o: TensorLike, a?: number) { return IP.add_(this, o, a); };
P.sub_ = function (this: Tensor, o: TensorLike, a?: number) { return IP.sub_(this, o, a); };
P.mul_ = function (this: Tensor, o: TensorLike) { return IP.mul_(this, o); };
P.div_ = function (this: Tensor, o: TensorLike) { return IP.div_(this, o); };
P.zero_ = function (this: Tensor) { return IP.zero_(this); };
P.fill_ = function (this: Tensor, v: number) { return IP.fill_(this, v); };
P.copy_ = function (this: Tensor, s: Tensor) { return IP.copy_(this, s); };
P.clamp_ = function (this: Tensor, lo?: number | null, hi?: number | null) { return IP.clamp_(this, lo, hi); };
P.relu_ = function (this: Tensor) {
  if (arguments.length !== 0) throw new TypeError(`relu_: expected no arguments, got ${arguments.length}`);
  return IP.relu_(this);
};
