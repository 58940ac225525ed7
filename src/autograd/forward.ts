/**
 * Forward-mode automatic differentiation (PyTorch's torch.autograd.forward_ad).
 *
 * Inside `dualLevel(fn)` a tensor may carry a tangent ẋ beside its value x (`makeDual(x, ẋ)`). Every op
 * that sees a tangent on an input computes the tangent of its output with its forward rule (its
 * Jacobian-vector product, written in nabla ops) in the same forward pass: ẏ = J_f(x)·ẋ. No graph is
 * walked backwards. `unpackDual(y)` returns {primal, tangent}.
 *
 * Forward rules run with tangent propagation suspended (their ops act on primals and tangents, whose
 * own tangents are not wanted) but with reverse-mode recording as usual, so a tangent is itself
 * differentiable by backward (reverse-over-forward), and a backward pass run inside a dual level
 * carries tangents through its ops (forward-over-reverse: the Hessian-vector product).
 * One level at a time: nesting dualLevel throws, as PyTorch does today.
 * This module holds the state and the per-op step; the user API is in forwardAD.ts.
 */
import { isFloat } from '../dtype.js';
import { Tensor } from '../tensor.js';

/** ẏ per output from ẋ per input (null for an input without a tangent / an output without one). */
export type JvpFn = (tangents: (Tensor | null)[]) => (Tensor | null | undefined)[];

let active = false;
let suspended = 0;
let tangents = new WeakMap<Tensor, Tensor>();

/** True while tangents propagate (inside dualLevel, outside a forward rule). A plain boolean read: ops call it on every call. */
/** Internal: enter/leave the one level (forwardAD.ts). */
export function enterLevel(): void {
  if (active) throw new Error('forwardAD.dualLevel: nested forward-mode levels are not supported (one dual level at a time)');
  active = true;
  tangents = new WeakMap();
}
export function exitLevel(): void {
  active = false;
  tangents = new WeakMap();
}
export function isLevelActive(): boolean {
  return active;
}

export function isForwardActive(): boolean {
  return active && suspended === 0;
}

export function tangentOf(t: Tensor): Tensor | undefined {
  return active ? tangents.get(t) : undefined;
}

/** Attach ẋ to x (internal; users go through makeDual). */
export function setTangent(t: Tensor, tangent: Tensor | null | undefined): void {
  if (!active) return;
  if (tangent) tangents.set(t, tangent);
  else tangents.delete(t);
}

/** Run fn with tangent propagation off (forward rules, custom Function forwards). */
export function withoutTangents<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

/** A stride-0 view of zeros shaped like t: the tangent of an input that has none (no memory per element). */
export function zerosShaped(t: Tensor): Tensor {
  const z = Tensor.fromValues([0], [], t.dtype, t.backend);
  return z._restride(t.shape, t.shape.map(() => 0), 0);
}

/**
 * Called by `record` for every op: when an input carries a tangent, run the op's forward rule and attach
 * the output tangents. An op without a forward rule raises, naming itself.
 */
export function propagateTangents(name: string, inputs: readonly (Tensor | null | undefined)[], outputs: readonly Tensor[], jvp: JvpFn | null | undefined): void {
  let tin: (Tensor | null)[] | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    const d = t ? tangents.get(t) : undefined;
    if (d) (tin ??= inputs.map(() => null))[i] = d;
  }
  if (!tin) return;
  if (!jvp) throw new Error(`${name}: this op has no forward-mode rule (jvp), so it cannot be used on dual tensors inside forwardAD.dualLevel`);
  const tout = withoutTangents(() => jvp(tin!));
  for (let i = 0; i < outputs.length; i++) {
    const d = tout[i];
    if (d && isFloat(outputs[i]!.dtype)) tangents.set(outputs[i]!, d);
  }
}

