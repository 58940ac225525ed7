/**
 * What nb.viz remembers about nodes while it watches: the forward value of each recorded node's outputs, and
 * for each node the engine ran in a watched backward, the gradients it received and sent. Keyed weakly by
 * node, so nothing here outlives the graph; ids are stable for a node's life (graph() and backwardSteps()
 * of the same graph agree on them).
 */
import type { Node } from '../autograd/node.js';
import { observeRecords } from '../autograd/record.js';
import { observeBackward } from '../autograd/engine.js';
import { noGrad } from '../autograd/gradMode.js';
import { ones } from '../creation.js';
import { scope } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { summarize, type ValueSummary } from './summary.js';

export interface NodeGrads {
  /** position in the engine's run order within its backward pass (0 = first node run) */
  order: number;
  /** summed gradient w.r.t. each output */
  upstream: (ValueSummary | null)[];
  /** the node's backward applied to an upstream of ones, per input: ∂out/∂in for a scalar output, Jᵀ·1 otherwise */
  local: (ValueSummary | null)[];
  /** gradient sent along each input edge (null: no edge or not needed) */
  sent: (ValueSummary | null)[];
}

const ids = new WeakMap<Node, number>();
let nextId = 0;
export function nodeId(n: Node): string {
  let id = ids.get(n);
  if (id === undefined) ids.set(n, (id = nextId++));
  return `n${id}`;
}

export const forwardValues = new WeakMap<Node, ValueSummary[]>();
export const backwardGrads = new WeakMap<Node, NodeGrads>();

const orNull = (t: Tensor | null | undefined) => (t ? summarize(t) : null);

/** J^T·1 per input, from the node's own backward (written in nabla ops), while its saved tensors still exist. */
function localDerivatives(node: Node): (ValueSummary | null)[] {
  if (!node.backwardFn) return [];
  try {
    return scope(() =>
      noGrad(() => {
        const seeds = node.outputs.map((o) => ones(o.shape, { dtype: o.dtype }));
        const saved = node.saved.map((s) => s.unpack());
        const out = node.backwardFn!(seeds, saved, node.next.map((e) => e !== null));
        return node.next.map((e, i) => (e ? orNull(out[i]) : null));
      }),
    );
  } catch {
    return node.next.map(() => null); // an op whose backward needs more than a seed (none known); show no local
  }
}

/** Watch forward recording and backward passes while `fn` runs. Returns fn's result. */
export function watch<T>(fn: () => T, onStep?: (node: Node, grads: NodeGrads) => void): T {
  let order = 0;
  const stopRecords = observeRecords((node, outputs) => {
    forwardValues.set(node, outputs.map((o) => summarize(o)));
  });
  const stopBackward = observeBackward((node, upstream, sent) => {
    const g: NodeGrads = {
      order: order++,
      upstream: upstream.map(orNull),
      local: localDerivatives(node),
      sent: node.next.map((e, i) => (e ? orNull(sent[i]) : null)),
    };
    backwardGrads.set(node, g);
    onStep?.(node, g);
  });
  try {
    return fn();
  } finally {
    stopRecords();
    stopBackward();
  }
}
