/**
 * The two steps every in-place write shares (src/ops/inplace.ts, the index writes in src/ops/advancedIndex.ts):
 * checkWritable refuses what PyTorch refuses (an expanded view, a leaf that requires grad, a result that does
 * not fit), commit writes the out-of-place result into the tensor and hands the tensor the result's graph node.
 */
import { isGradEnabled, noGrad } from '../autograd/gradMode.js';
import { isFloat } from '../dtype.js';
import { isLevelActive, setTangent, tangentOf } from '../autograd/forward.js';
import { broadcastShapes, fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './elementwise.js';
import { broadcastView } from './util.js';

export function checkWritable(op: string, self: Tensor, result?: Tensor): void {
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
export function commit(op: string, self: Tensor, result: Tensor): Tensor {
  // an integer or bool tensor holds no gradient (copy_ of a float tensor that requires grad into an int32 one, as in
  // PyTorch: the values are cast, the graph stays behind)
  const tracked = isGradEnabled() && result.requiresGrad && isFloat(self.dtype);
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

