/**
 * nb.autograd.forwardAD: PyTorch's forward-mode API. Inside dualLevel(fn), makeDual(x, ẋ) gives a tensor
 * carrying a tangent; every op then computes its output tangent ẏ = J·ẋ in the same forward pass
 * (see forward.ts); unpackDual(y) returns {primal, tangent}.
 */
import { isFloat } from '../dtype.js';
import { fmt, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { enterLevel, exitLevel, isLevelActive, setTangent, tangentOf, withoutTangents } from './forward.js';
import { alias as aliasOf } from './record.js';

/** Run fn inside a forward-AD level; every tangent made inside is dropped when it returns (or throws). */
export function dualLevel<T>(fn: () => T): T {
  enterLevel();
  try {
    return fn();
  } finally {
    exitLevel();
  }
}

/** A view of `primal` carrying `tangent` (same shape, same float dtype, same backend). Differentiable w.r.t. primal. */
export function makeDual(primal: Tensor, tangent: Tensor): Tensor {
  if (!isLevelActive()) throw new Error('forwardAD.makeDual: must be called inside forwardAD.dualLevel(() => ...)');
  if (!(primal instanceof Tensor)) throw new TypeError('forwardAD.makeDual: argument primal must be a Tensor');
  if (!(tangent instanceof Tensor)) throw new TypeError('forwardAD.makeDual: argument tangent must be a Tensor');
  if (!isFloat(primal.dtype)) throw new TypeError(`forwardAD.makeDual: argument primal must be a floating point tensor, got ${primal.dtype}`);
  if (!sameShape(primal.shape, tangent.shape)) throw new Error(`forwardAD.makeDual: argument tangent must have the primal's shape ${fmt(primal.shape)}, got ${fmt(tangent.shape)}`);
  if (tangent.dtype !== primal.dtype) throw new TypeError(`forwardAD.makeDual: argument tangent must have the primal's dtype ${primal.dtype}, got ${tangent.dtype}`);
  if (tangent.backend !== primal.backend) throw new Error(`forwardAD.makeDual: primal and tangent live on different backends (${primal.backend.name} and ${tangent.backend.name})`);
  const y = withoutTangents(() => aliasOf(primal, 'makeDual'));
  setTangent(y, tangent);
  return y;
}

/** {primal, tangent} of a dual tensor; tangent is null for a tensor without one (or outside a level). */
export function unpackDual(t: Tensor): { primal: Tensor; tangent: Tensor | null } {
  if (!(t instanceof Tensor)) throw new TypeError('forwardAD.unpackDual: argument must be a Tensor');
  const d = tangentOf(t);
  if (!d) return { primal: t, tangent: null };
  return { primal: withoutTangents(() => aliasOf(t, 'unpackDual')), tangent: d };
}


