/**
 * In-place ops (add_, mul_, zero_, copy_ ...). The result is computed out of place and written into the
 * tensor's storage, bumping its version counter so that any backward that saved the old values fails
 * loudly instead of computing a wrong gradient. A non-leaf takes over the new result's graph node.
 */
import { isGradEnabled } from '../autograd/gradMode.js';
import { Tensor } from '../tensor.js';
import { describeValue } from '../strict.js';
import { isFloat, type DType } from '../dtype.js';
import { add, cast, clamp, div, leakyRelu, mul, relu, silu, sub, where } from './elementwise.js';
import { broadcastView, type TensorLike } from './util.js';
import { clone } from './movement.js';
import { needsGraph } from '../autograd/record.js';
import { noGrad } from '../autograd/gradMode.js';
import { setTangent } from '../autograd/forward.js';
import { checkWritable, commit } from './writeInPlace.js';

/**
 * The operand an in-place op computes from. When a graph is recorded, the op's backward may save self
 * (mul_, div_, clamp_ do), and commit() is about to overwrite self's storage: compute from a
 * (differentiable) copy so the saved values stay valid, as PyTorch saves the original self.
 */
function operand(self: Tensor, other?: TensorLike): Tensor {
  return needsGraph([self, other instanceof Tensor ? other : null]) ? clone(self) : self;
}

/**
 * Whether an in-place result of dtype `from` may be written into a tensor of dtype `to` (PyTorch's can_cast):
 * not a floating-point result into an integer or bool tensor, not a non-bool result into a bool tensor.
 */
const canCast = (from: DType, to: DType): boolean => !(isFloat(from) && !isFloat(to)) && !(from !== 'bool' && to === 'bool');

/** commit() a result PyTorch's can_cast lets self hold, else refuse naming both dtypes */
function commitCast(op: string, self: Tensor, result: Tensor): Tensor {
  if (!canCast(result.dtype, self.dtype)) {
    throw new TypeError(`${op}: result type ${result.dtype} can't be cast to the desired output type ${self.dtype} (writing into ${self.describe()}); use the out-of-place op or convert self first`);
  }
  return commit(op, self, result);
}

function binaryInplace(op: string, f: (a: Tensor, b: TensorLike) => Tensor, self: Tensor, other: TensorLike): Tensor {
  checkWritable(op, self, other instanceof Tensor ? other : undefined);
  return commitCast(op, self, f(operand(self, other), other));
}

const scaled = (b: TensorLike, alpha: number): TensorLike => (alpha === 1 ? b : typeof b === 'number' ? b * alpha : mul(b, alpha));
export const add_ = (self: Tensor, other: TensorLike, alpha = 1) => binaryInplace('add_', (a, b) => add(a, scaled(b, alpha)), self, other);
export const sub_ = (self: Tensor, other: TensorLike, alpha = 1) => binaryInplace('sub_', (a, b) => sub(a, scaled(b, alpha)), self, other);
export const mul_ = (self: Tensor, other: TensorLike) => binaryInplace('mul_', mul, self, other);
export const div_ = (self: Tensor, other: TensorLike) => binaryInplace('div_', div, self, other);

export function clamp_(self: Tensor, min?: number | null, max?: number | null): Tensor {
  checkWritable('clamp_', self);
  if (min == null && max == null) throw new TypeError('clamp_: at least one of min and max must be given');
  return commitCast('clamp_', self, clamp(operand(self), min, max));
}

/**
 * An element-wise activation written into self: self ← f(self). Its result must have self's dtype (leakyRelu and
 * silu of an integer tensor are floating point: there is nothing to write them into, as in PyTorch).
 */
function unaryInplace(op: string, f: (x: Tensor) => Tensor, self: Tensor): Tensor {
  if (!(self instanceof Tensor)) throw new TypeError(`${op}: self must be a Tensor, got ${typeof self}`);
  checkWritable(op, self);
  const result = f(operand(self));
  if (result.dtype !== self.dtype) throw new TypeError(`${op}: the result (${result.dtype}) cannot be written into ${self.describe()}; use the out-of-place op`);
  return commit(op, self, result);
}

/** relu_(x): x ← max(0, x) (PyTorch's torch.relu_, nn.ReLU(inplace=True)) */
export const relu_ = (self: Tensor): Tensor => unaryInplace('relu_', relu, self);
/** leakyRelu_(x, negativeSlope = 0.01): x ← x if x > 0 else negativeSlope·x (F.leaky_relu_) */
export function leakyRelu_(self: Tensor, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== 'number') throw new TypeError(`leakyRelu_: negativeSlope must be a number, got ${JSON.stringify(negativeSlope)}`);
  return unaryInplace('leakyRelu_', (x) => leakyRelu(x, negativeSlope), self);
}
/** silu_(x): x ← x·σ(x) (F.silu(x, inplace=True)) */
export const silu_ = (self: Tensor): Tensor => unaryInplace('silu_', silu, self);

/**
 * fill_(value): every element of self becomes value. A non-leaf in a recorded graph stays in it, as in PyTorch
 * (FillBackward): self ← where(false, self, value), whose gradient to the old values is zero; elsewhere a plain
 * write (and self's tangent, if any, is dropped: a constant has none).
 */
export function fill_(self: Tensor, value: number): Tensor {
  checkWritable('fill_', self);
  if (!self.isLeaf && needsGraph([self])) {
    return commit('fill_', self, where(Tensor.fromValues([0], [], 'bool', self.backend), operand(self), value));
  }
  self.backend.fill(self.backendView(), value);
  self.storage.version++;
  setTangent(self, null);
  return self;
}

export const zero_ = (self: Tensor) => fill_(self, 0);

/** copy_(src): write src (broadcast, cast) into self; differentiable w.r.t. src. */
export function copy_(self: Tensor, src: Tensor): Tensor {
  // src is checked first: checkWritable reads its shape
  if (!(src instanceof Tensor)) throw new TypeError(`copy_: src must be a Tensor, got ${describeValue(src)}`);
  checkWritable('copy_', self, src);
  if (isGradEnabled() && src.requiresGrad) return commit('copy_', self, add(mul(src, 1), 0));
  self.backend.assign(self.backendView(), broadcastView(src.dtype === self.dtype ? src : noGrad(() => cast(src, self.dtype)), self.shape));
  self.storage.version++;
  return self;
}
