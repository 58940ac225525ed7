/**
 * nb.viz.graph: the autograd graph reachable from a tensor as plain JSON (nodes, edges, values, saved tensors,
 * gradients), ready for JSON.stringify, a layout library or toDot.
 */
import { itemSize } from '../dtype.js';
import { edgeOf } from '../autograd/record.js';
import type { Node } from '../autograd/node.js';
import type { Tensor } from '../tensor.js';
import { summarize, type ValueSummary } from './summary.js';
import { backwardGrads, forwardValues, nodeId } from './tape.js';

/**
 * The four ways gradient flows through a node: add hands the upstream gradient to every input unchanged, mul
 * hands each input the gradient times the other input, max routes it to the larger input only, and a tensor
 * used several times (a copy) receives the sum of the gradients of its uses.
 */
export type FlowPattern = 'add distributes' | 'mul swaps' | 'max routes' | 'copy sums';

export interface SavedInfo {
  shape: number[];
  dtype: Tensor['dtype'];
  bytes: number;
  /** freed by backward (bytes are what it held) */
  released: boolean;
}

export interface VizNode {
  id: string;
  /** 'leaf' for a tensor created by the user (its AccumulateGrad node), 'op' for an op's output */
  kind: 'leaf' | 'op';
  /** the op's name ('add', 'matmul', ...), or 'leaf' */
  op: string;
  /** a leaf's name (the Module parameter path, else tensor.name), or the name given for an op's output in `names` */
  name: string | null;
  /** shape and dtype of output 0 (ops with several outputs list them in `outputs`) */
  shape: number[];
  dtype: Tensor['dtype'];
  outputs: { shape: number[]; dtype: Tensor['dtype'] }[];
  /** forward value: leaves and the root always; other ops when recorded under nb.viz.trace */
  value: ValueSummary | null;
  saved: SavedInfo[];
  savedBytes: number;
  /** gradient w.r.t. this node's output 0, after a watched backward (leaf: its .grad) */
  grad: ValueSummary | null;
  /** gradient-flow patterns of this node (an op's own rule, plus 'copy sums' when its output feeds several consumers) */
  patterns: FlowPattern[];
  /** position in the engine's backward order, after a watched backward */
  backwardOrder: number | null;
}

export interface VizEdge {
  /** producer of the input (data flows from → to; gradients flow back) */
  from: string;
  to: string;
  /** which input of `to` and which output of `from` */
  inputIndex: number;
  outputIndex: number;
  /** the gradient `to` sent back along this edge, after a watched backward */
  grad: ValueSummary | null;
}

export interface VizGraph {
  root: string;
  nodes: VizNode[];
  edges: VizEdge[];
}

export interface GraphOptions {
  /** names for tensors: a Module (its namedParameters) or a record / list of [name, tensor]; a non-leaf's name labels its op */
  names?: { namedParameters(): [string, Tensor][] } | Record<string, Tensor> | [string, Tensor][];
}

const OWN_PATTERN: Record<string, FlowPattern> = {
  add: 'add distributes', sub: 'add distributes', sum: 'add distributes',
  mul: 'mul swaps',
  maximum: 'max routes', minimum: 'max routes', max: 'max routes', min: 'max routes', amax: 'max routes', amin: 'max routes', relu: 'max routes',
};

/** The gradient-flow pattern an op's own backward follows, or null for other ops. */
export function ownPattern(op: string): FlowPattern | null {
  return OWN_PATTERN[op] ?? null;
}

/** Leaf tensor → name, and for named non-leaf tensors, the node that produced them → name. */
function nameTable(opts: GraphOptions): Map<Tensor | Node, string> {
  const m = new Map<Tensor | Node, string>();
  const n = opts.names;
  if (!n) return m;
  const list: [string, Tensor][] = Array.isArray(n) ? n : typeof (n as { namedParameters?: unknown }).namedParameters === 'function'
    ? (n as { namedParameters(): [string, Tensor][] }).namedParameters()
    : Object.entries(n as Record<string, Tensor>);
  for (const [k, t] of list) m.set(t.gradFn && t.outputIndex === 0 ? t.gradFn : t, k);
  return m;
}

export function graph(t: Tensor, opts: GraphOptions = {}): VizGraph {
  const rootEdge = edgeOf(t);
  if (!rootEdge) throw new Error(`viz.graph: the tensor ${t.describe()} does not require grad, so it has no autograd graph (create its inputs with requiresGrad: true)`);
  const names = nameTable(opts);

  // reachable nodes, in depth-first order from the root
  const seen = new Set<Node>([rootEdge.node]);
  const order: Node[] = [];
  const stack: Node[] = [rootEdge.node];
  while (stack.length) {
    const n = stack.pop()!;
    order.push(n);
    for (let i = n.next.length - 1; i >= 0; i--) {
      const e = n.next[i];
      if (e && !seen.has(e.node)) { seen.add(e.node); stack.push(e.node); }
    }
  }

  const consumers = new Map<Node, number>();
  const edges: VizEdge[] = [];
  for (const n of order) {
    const g = backwardGrads.get(n);
    n.next.forEach((e, i) => {
      if (!e) return;
      consumers.set(e.node, (consumers.get(e.node) ?? 0) + 1);
      edges.push({ from: nodeId(e.node), to: nodeId(n), inputIndex: i, outputIndex: e.index, grad: g?.sent[i] ?? null });
    });
  }

  const nodes = order.map((n): VizNode => {
    const leaf = n.variable;
    const saved = n.saved.map((s): SavedInfo => {
      const size = s.shape.reduce((a, b) => a * b, 1);
      return { shape: s.shape.slice(), dtype: s.dtype, bytes: size * itemSize[s.dtype], released: s.isReleased };
    });
    const g = backwardGrads.get(n);
    let value: ValueSummary | null = forwardValues.get(n)?.[0] ?? null;
    if (leaf) value = summarize(leaf);
    else if (n === rootEdge.node && rootEdge.index === 0) value = summarize(t);
    const patterns: FlowPattern[] = [];
    const own = leaf ? null : ownPattern(n.name);
    if (own) patterns.push(own);
    if ((consumers.get(n) ?? 0) > 1) patterns.push('copy sums');
    return {
      id: nodeId(n),
      kind: leaf ? 'leaf' : 'op',
      op: leaf ? 'leaf' : n.name,
      name: leaf ? names.get(leaf) ?? leaf.name ?? null : names.get(n) ?? null,
      shape: n.outputs[0]!.shape.slice(),
      dtype: n.outputs[0]!.dtype,
      outputs: n.outputs.map((o) => ({ shape: o.shape.slice(), dtype: o.dtype })),
      value,
      saved,
      savedBytes: saved.reduce((a, s) => a + s.bytes, 0),
      grad: leaf?.grad ? summarize(leaf.grad) : g?.upstream[0] ?? null,
      patterns,
      backwardOrder: g ? g.order : null,
    };
  });
  return { root: nodeId(rootEdge.node), nodes, edges };
}
