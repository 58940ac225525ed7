/** The one-pass Jacobian-vector product behind autograd.jvp and func.jvp. */
import { fmt, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { withoutTangents } from './forward.js';
import { dualLevel, makeDual, unpackDual } from './forwardAD.js';

/**
 * ẏ = J_f(primals)·tangents in one forward pass carrying tangents (no backward): returns [f(primals), ẏ].
 * The outputs are plain tensors (their tangents are read before the level closes).
 */
export function forwardJvp(fn: (...xs: Tensor[]) => Tensor, primals: readonly Tensor[], tangents: readonly Tensor[], op = 'jvp'): [Tensor, Tensor] {
  if (primals.length !== tangents.length) throw new Error(`${op}: got ${primals.length} primals but ${tangents.length} tangents`);
  return dualLevel(() => {
    const duals = primals.map((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${op}: primals[${i}] must be a Tensor`);
      const t = tangents[i];
      if (!(t instanceof Tensor)) throw new TypeError(`${op}: tangents[${i}] must be a Tensor`);
      if (!sameShape(p.shape, t.shape)) throw new Error(`${op}: tangents[${i}] has shape ${fmt(t.shape)}, but primals[${i}] has shape ${fmt(p.shape)}`);
      return makeDual(p, t.dtype === p.dtype ? t : withoutTangents(() => t.to(p.dtype)));
    });
    const y = fn(...duals);
    if (!(y instanceof Tensor)) throw new TypeError(`${op}: the function must return a Tensor`);
    const { primal, tangent } = unpackDual(y);
    return [primal, tangent ?? zerosOf(primal)];
  });
}

function zerosOf(t: Tensor): Tensor {
  return Tensor.fromValues(new Float64Array(t.numel()), t.shape, t.dtype, t.backend);
}
