/**
 * In-place ops (add_, mul_, zero_, copy_ ...). The result is computed out of place and written into the
 * tensor's storage, bumping its version counter so that any backward that saved the old values fails
 * loudly instead of computing a wrong gradient. A non-leaf takes over the new result's graph node.
 */
import { isGradEnabled } from '../autograd/gradMode.js';
import { broadcastShapes, fmt, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, cast, clamp, div, mul, sub } from './elementwise.js';
import { broadcastView, type TensorLike } from './util.js';
import { clone } from './movement.js';
import { needsGraph } from '../autograd/record.js';
import { noGrad } from '../autograd/gradMode.js';
import { isLevelActive, setTangent, tangentOf } from '../autograd/forward.js';

function checkWritable(op: string, self: Tensor, result?: Tensor): void {
  // an expanded view (stride 0 over a dim longer than 1) has several elements sharing one memory location
  if (self.shape.some((n, i) => n > 1 && self.strides[i] === 0)) {
    throw new Error(`${op}: unsupported operation: more than one element of the written-to tensor ${self.describe()} refers to a single memory location (it is an expanded view); call .clone() before writing in place`);
  }
  if (isGradEnabled() && self.requiresGrad && self.isLeaf) {
    throw new Error(`${op}: a leaf tensor that requires grad ${self.describe()} is being used in an in-place operation; wrap it in noGrad() (as optimizers do) or clone it first`);
  }
  if (result && !sameShape(broadcastShapes(op, self.shape, result.shape), self.shape)) {
    throw new Error(`${op}: output with shape ${fmt(self.shape)} doesn't match the broadcast shape ${fmt(broadcastShapes(op, self.shape, result.shape))}`);
  }
}

/** Write `result` into self (casting to self's dtype), then hand self result's graph node. */
function commit(op: string, self: Tensor, result: Tensor): Tensor {
  const tracked = isGradEnabled() && result.requiresGrad;
  if (tracked && self._base !== null) {
    throw new Error(`${op}: in-place modification of a view ${self.describe()} that requires grad is not supported; use the out-of-place op`);
  }
  const src = result.dtype === self.dtype ? result : noGrad(() => cast(result, self.dtype));
  self.backend.assign(self.backendView(), broadcastView(src, self.shape));
  self.storage.version++;
  // forward mode: self now holds result, so it carries result's tangent (cast to self's dtype)
  if (isLevelActive()) {
    const t = tangentOf(result);
    setTangent(self, t && t.dtype !== self.dtype ? cast(t, self.dtype) : t);
  }
  if (tracked) {
    self.gradFn = result.gradFn;
    self.outputIndex = result.outputIndex;
    self._setRequiresGrad(true);
  }
  return self;
}

/**
 * The operand an in-place op computes from. When a graph is recorded, the op's backward may save self
 * (mul_, div_, clamp_ do), and commit() is about to overwrite self's storage: compute from a
 * (differentiable) copy so the saved values stay valid, as PyTorch saves the original self.
 */
function operand(self: Tensor, other?: TensorLike): Tensor {
  return needsGraph([self, other instanceof Tensor ? other : null]) ? clone(self) : self;
}

function binaryInplace(op: string, f: (a: Tensor, b: TensorLike) => Tensor, self: Tensor, other: TensorLike): Tensor {
  checkWritable(op, self, other instanceof Tensor ? other : undefined);
  return commit(op, self, f(operand(self, other), other));
}

const scaled = (b: TensorLike, alpha: number): TensorLike => (alpha === 1 ? b : typeof b === 'number' ? b * alpha : mul(b, alpha));
export const add_ = (self: Tensor, other: TensorLike, alpha = 1) => binaryInplace('add_', (a, b) => add(a, scaled(b, alpha)), self, other);
export const sub_ = (self: Tensor, other: TensorLike, alpha = 1) => binaryInplace('sub_', (a, b) => sub(a, scaled(b, alpha)), self, other);
export const mul_ = (self: Tensor, other: TensorLike) => binaryInplace('mul_', mul, self, other);
export const div_ = (self: Tensor, other: TensorLike) => binaryInplace('div_', div, self, other);

export function clamp_(self: Tensor, min?: number | null, max?: number | null): Tensor {
  checkWritable('clamp_', self);
  return commit('clamp_', self, clamp(operand(self), min, max));
}

export function fill_(self: Tensor, value: number): Tensor {
  checkWritable('fill_', self);
  self.backend.fill(self.backendView(), value);
  self.storage.version++;
  setTangent(self, null);
  if (!self.isLeaf) { self.gradFn = null; self._setRequiresGrad(false); }
  return self;
}

export const zero_ = (self: Tensor) => fill_(self, 0);

/** copy_(src): write src (broadcast, cast) into self; differentiable w.r.t. src. */
export function copy_(self: Tensor, src: Tensor): Tensor {
  checkWritable('copy_', self, src);
  if (!(src instanceof Tensor)) throw new TypeError('copy_: src must be a Tensor');
  if (isGradEnabled() && src.requiresGrad) return commit('copy_', self, add(mul(src, 1), 0));
  self.backend.assign(self.backendView(), broadcastView(src.dtype === self.dtype ? src : noGrad(() => cast(src, self.dtype)), self.shape));
  self.storage.version++;
  return self;
}
