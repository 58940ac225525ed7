/**
 * How an op joins the graph. Every differentiable op computes its outputs with kernels and then calls
 * `record` with the backward (its vector-Jacobian product) and its forward rule (its Jacobian-vector
 * product), both written in nabla's own ops — so both differentiate again (createGraph: true gives
 * higher derivatives; a backward run inside a dual level carries tangents).
 * Ops declared with defineOp (src/ops/define.ts) call this for you.
 */
import { isFloat } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { isAnomalyEnabled, isGradEnabled } from './gradMode.js';
import { Node, SavedTensor, type BackwardFn, type Edge } from './node.js';
import { isForwardActive, propagateTangents, type JvpFn } from './forward.js';
import { noteOp } from '../memory/context.js';

/** Called with each node as it is recorded and the tensors it produced (inspection tools such as nb.viz). */
export type RecordObserver = (node: Node, outputs: readonly Tensor[]) => void;
const recordObservers = new Set<RecordObserver>();

/** Watch nodes being recorded until the returned function is called. No observer: no cost beyond one size check. */
export function observeRecords(fn: RecordObserver): () => void {
  recordObservers.add(fn);
  return () => void recordObservers.delete(fn);
}

export function edgeOf(t: Tensor): Edge | null {
  if (!t.requiresGrad) return null;
  return t.gradFn ? { node: t.gradFn, index: t.outputIndex } : { node: t._gradAccumulator(), index: 0 };
}

/** True when an op on these inputs must record a node. */
export function needsGraph(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Record `name` producing `outputs` from `inputs`. `save` lists the tensors backward reads (checked
 * against in-place modification); they reach backward as its second argument, in the same order.
 * Non-float outputs (indices, masks) never require grad.
 */
export function record(
  name: string,
  inputs: readonly (Tensor | null | undefined)[],
  outputs: readonly Tensor[],
  save: readonly Tensor[],
  backward: BackwardFn,
  /** the forward-mode rule; without one, using the op on a dual tensor raises */
  jvp?: JvpFn | null,
): void {
  noteOp(name);
  if (isForwardActive()) propagateTangents(name, inputs, outputs, jvp);
  if (!needsGraph(inputs)) return;
  const node = new Node(
    name,
    inputs.map((t) => (t ? edgeOf(t) : null)),
    backward,
    save.map((t) => new SavedTensor(t, name)),
    outputs.map((o) => ({ shape: o.shape, dtype: o.dtype })),
  );
  if (isAnomalyEnabled()) node.forwardTrace = new Error().stack;
  outputs.forEach((o, i) => {
    if (!isFloat(o.dtype)) return;
    o.gradFn = node;
    o.outputIndex = i;
    o._setRequiresGrad(true);
  });
  if (recordObservers.size) for (const obs of recordObservers) obs(node, outputs);
}

/** y = x as a new view sharing x's storage; the gradient and the tangent pass through unchanged. */
export function alias(x: Tensor, name = 'alias'): Tensor {
  const y = x._restride(x.shape, x.strides, x.offset);
  record(name, [x], [y], [], ([g]) => [g], ([dx]) => [dx]);
  return y;
}
