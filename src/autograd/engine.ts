/**
 * The reverse-mode engine. It knows no op: it orders the graph topologically (iteratively, so a chain
 * of 100,000 ops cannot overflow the stack), feeds each node the sum of the gradients of its outputs
 * ("copy sums"), calls the node's backward, and routes the results along its edges. Leaves receive
 * their gradient through AccumulateGrad nodes; saved tensors are freed afterwards unless retainGraph.
 */
import { isFloat } from '../dtype.js';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isAnomalyEnabled, setGradEnabled, noGrad } from './gradMode.js';
import { Node } from './node.js';
import { add, addInPlace, zeros, clone, hasNonFinite } from './engineOps.js';
import { edgeOf } from './record.js';
import { isForwardActive } from './forward.js';
import { GradBufferRelease } from './eagerRelease.js';
import { withMemoryContext } from '../memory/context.js';
import { scope } from '../memory.js';

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

interface RunOptions extends BackwardOptions {
  /** autograd.grad: return gradients for these tensors instead of accumulating into leaves */
  capture?: readonly Tensor[];
  allowUnused?: boolean;
}

/**
 * Called once per node in the order the engine runs them: the summed gradient w.r.t. each of its outputs
 * (`upstream`) and what its backward returned for each input edge (`sent`; empty for AccumulateGrad).
 * It runs before the node's saved tensors are freed. Inspection tools (nb.viz) use it; none by default.
 */
export type BackwardObserver = (node: Node, upstream: readonly (Tensor | null)[], sent: readonly (Tensor | null | undefined)[]) => void;
const backwardObservers = new Set<BackwardObserver>();

/** Watch backward passes until the returned function is called. */
export function observeBackward(fn: BackwardObserver): () => void {
  backwardObservers.add(fn);
  return () => void backwardObservers.delete(fn);
}

function rootEdge(t: Tensor, op: string) {
  const e = edgeOf(t);
  if (!e) throw new Error(`${op}: element ${t.describe()} of tensors does not require grad and does not have a gradFn`);
  return e;
}

export function runBackward(roots: readonly Tensor[], rootGrads: readonly Tensor[], opts: RunOptions, op: string): (Tensor | null)[] {
  return withMemoryContext(op, 'backward', () => runBackwardIn(roots, rootGrads, opts, op));
}

function runBackwardIn(roots: readonly Tensor[], rootGrads: readonly Tensor[], opts: RunOptions, op: string): (Tensor | null)[] {
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const rootEdges = roots.map((r) => rootEdge(r, op));

  // ---- 1. collect the reachable graph and count, for each node, the edges pointing into it
  const deps = new Map<Node, number>();
  const stack: Node[] = [];
  for (const e of rootEdges) if (!deps.has(e.node)) { deps.set(e.node, 0); stack.push(e.node); }
  const order: Node[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    order.push(n);
    for (const e of n.next) {
      if (!e) continue;
      const d = deps.get(e.node);
      if (d === undefined) { deps.set(e.node, 1); stack.push(e.node); }
      else deps.set(e.node, d + 1);
    }
  }

  // ---- 2. for autograd.grad, find which nodes lead to a captured tensor; others need not run
  const captureAt = new Map<Node, Map<number, number[]>>(); // node → output index → capture slots
  let needed: Set<Node> | null = null;
  if (opts.capture) {
    opts.capture.forEach((t, slot) => {
      const e = edgeOf(t);
      if (!e) throw new Error(`${op}: input ${slot} ${t.describe()} does not require grad`);
      let m = captureAt.get(e.node);
      if (!m) captureAt.set(e.node, (m = new Map()));
      (m.get(e.index) ?? m.set(e.index, []).get(e.index)!).push(slot);
    });
    needed = new Set();
    // reverse of a DFS pre-order is not topological in general; do a proper post-order pass
    const visit = new Map<Node, boolean>();
    const work: [Node, number][] = [];
    for (const e of rootEdges) work.push([e.node, 0]);
    while (work.length) {
      const top = work[work.length - 1]!;
      const [n, i] = top;
      if (i === 0 && visit.has(n)) { work.pop(); continue; }
      if (i < n.next.length) {
        top[1]++;
        const e = n.next[i];
        if (e && !visit.has(e.node)) work.push([e.node, 0]);
        continue;
      }
      work.pop();
      let need = captureAt.has(n);
      for (const e of n.next) if (e && needed.has(e.node)) need = true;
      if (need) needed.add(n);
      visit.set(n, need);
    }
  }

  // ---- 3. seed the root gradients and process nodes in topological order (Kahn)
  const buffers = new Map<Node, (Tensor | null)[]>();
  let addTo = (node: Node, index: number, g: Tensor) => {
    let buf = buffers.get(node);
    if (!buf) buffers.set(node, (buf = new Array(node.outputs.length).fill(null)));
    const prev = buf[index];
    buf[index] = prev ? add(prev, g) : g;
  };
  const captured: (Tensor | null)[] = opts.capture ? opts.capture.map(() => null) : [];
  // free spent gradient buffers and backward temporaries as soon as they are done; not while a graph of the
  // backward is built (every gradient may be an input of a later backward) nor while forward-mode AD is on (the
  // backward's temporaries carry tangents that the caller's jvp reads: forward-over-reverse)
  const eager = !createGraph && !isForwardActive() ? new GradBufferRelease() : null;
  if (eager) {
    rootGrads.forEach((g) => eager.escape(g));
    const inner = addTo;
    addTo = (node, index, g) => {
      const prev = buffers.get(node)?.[index] ?? null;
      inner(node, index, g);
      eager.hold(buffers.get(node)![index]!);
      if (prev) { eager.drop(prev); eager.consider(g); }
    };
  }

  return setGradEnabled(createGraph, () => {
    rootEdges.forEach((e, i) => addTo(e.node, e.index, rootGrads[i]!));
    const ready: Node[] = [];
    for (const e of rootEdges) if (deps.get(e.node) === 0 && !ready.includes(e.node)) ready.push(e.node);
    while (ready.length) {
      const node = ready.pop()!;
      const grads = buffers.get(node) ?? new Array(node.outputs.length).fill(null);
      buffers.delete(node);
      const run = needed === null || needed.has(node);
      // what the memory timeline charges this node's allocations and releases to
      const label = node.isAccumulate ? 'AccumulateGrad' : `${node.name}Backward`;

      // hooks and retained grads see the summed incoming gradient
      const incoming = eager ? grads.slice() : null;
      for (let i = 0; i < grads.length; i++) {
        let g = grads[i];
        if (!g) continue;
        for (const h of node.hooks[i]!) {
          eager?.escape(g);
          const r = h(g);
          if (r) eager?.escape(r);
          if (r) {
            if (!sameShape(r.shape, g.shape)) throw new Error(`hook: returned a gradient of shape ${fmt(r.shape)}, expected ${fmt(g.shape)}`);
            g = r;
          }
        }
        grads[i] = g;
        const kept = node.retained[i];
        if (kept && !opts.capture) kept.grad = kept.grad ? noGrad(() => add(kept.grad!, g!)) : createGraph ? g : noGrad(() => clone(g!));
        const slots = captureAt.get(node)?.get(i);
        if (slots) for (const s of slots) { captured[s] = g; eager?.escape(g); }
      }

      if (node.isAccumulate) {
        if (!opts.capture) {
          const g = grads[0] ?? null;
          // a gradient buffer no one else holds or sees becomes the leaf's .grad as it is (no copy)
          const own = !!g && !!eager && !node.hooks[0]!.length && !backwardObservers.size && eager.sole(g);
          withMemoryContext('AccumulateGrad', 'backward', () => accumulate(node.variable!, g, createGraph, own));
        }
        if (!opts.capture && grads[0] && node.postAccumulateHooks.length) for (const h of node.postAccumulateHooks.slice()) h(node.variable!);
      } else if (run && grads.some((g) => g !== null)) {
        // a node that saved nothing can run again (as in PyTorch); one that did has lost its saved tensors
        if (node.released && node.saved.length > 0) {
          throw new Error(
            `${node.name}: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ` +
              'Specify retainGraph: true if you need to backward through the graph a second time.',
          );
        }
        const saved = node.saved.map((s) => s.unpack());
        const needs = node.next.map((e) => e !== null && (needed === null || needed.has(e.node)));
        let inGrads: (Tensor | null | undefined)[];
        try {
          const call = () => node.backwardFn!(grads, saved, needs);
          // a custom Function's backward is user code: what it makes may be kept by the user, so no scope there
          const user = node.userBackward;
          inGrads = withMemoryContext(label, 'backward', eager && !user ? () => scope(call) : call);
          if (eager && user) for (const g of inGrads) if (g) eager.escape(g);
        } catch (err) {
          if (err instanceof Error && !err.message.includes('Backward')) err.message = `in ${node.name}Backward: ${err.message}`;
          throw err;
        }
        node.next.forEach((e, i) => {
          const g = inGrads[i];
          if (g && eager) eager.consider(g);
          if (!e || !needs[i] || !g) return;
          const meta = e.node.outputs[e.index]!;
          if (!sameShape(g.shape, meta.shape)) {
            throw new Error(`${node.name}Backward returned an invalid gradient at index ${i}: got shape ${fmt(g.shape)}, expected ${fmt(meta.shape)}`);
          }
          if (isAnomalyEnabled() && hasNonFinite(g)) {
            throw new Error(
              `Function '${node.name}Backward' returned nan or inf values in its ${i}th output.` +
                (node.forwardTrace ? `\nForward of ${node.name} was called at:\n${node.forwardTrace.split('\n').slice(1).join('\n')}` : ''),
            );
          }
          addTo(e.node, e.index, isFloat(meta.dtype) && g.dtype !== meta.dtype ? g.to(meta.dtype) : g);
        });
        if (backwardObservers.size) for (const obs of backwardObservers) obs(node, grads, inGrads);
      }
      if (node.isAccumulate && backwardObservers.size) for (const obs of backwardObservers) obs(node, grads, []);
      if (!retainGraph && !node.isAccumulate) withMemoryContext(label, 'backward', () => node.release());
      if (eager && incoming) {
        for (const g of incoming) if (g) eager.drop(g);
        for (const g of grads) if (g) eager.consider(g);
        withMemoryContext(label, 'backward', () => eager.flush());
      }

      for (const e of node.next) {
        if (!e) continue;
        const d = deps.get(e.node)! - 1;
        deps.set(e.node, d);
        if (d === 0) ready.push(e.node);
      }
    }
    void order;
    if (opts.capture) {
      captured.forEach((g, i) => {
        if (!g && !opts.allowUnused) {
          throw new Error(`${op}: one of the differentiated tensors (input ${i}, ${opts.capture![i]!.describe()}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`);
        }
      });
    }
    return captured;
  });
}

/** Gradient buffers the engine allocated for leaves (no one else holds them unless the user took p.grad). */
const engineGrads = new WeakSet<Tensor>();

/**
 * Drop `p.grad`, releasing its buffer at once when the engine allocated it (optimizer/module zeroGrad with
 * setToNone). Waiting for the garbage collector would let the WebAssembly heap grow, since the collector
 * cannot see that memory. A user who keeps a reference to an old `.grad` across zeroGrad must clone it.
 */
export function releaseGrad(p: Tensor): void {
  const g = p.grad;
  p.grad = null;
  if (g && engineGrads.has(g)) {
    engineGrads.delete(g);
    g.dispose();
  }
}

/**
 * .grad accumulates across backward calls, as in PyTorch. The first gradient is copied, so no two leaves alias one
 * buffer, unless the engine owns it outright (`own`: a whole buffer of this pass that no other slot, graph node,
 * hook or caller holds), which then becomes .grad without a copy.
 */
function accumulate(leaf: Tensor, g: Tensor | null, createGraph: boolean, own: boolean): void {
  if (!g) return;
  leaf.storage; // a disposed leaf fails in add/clone with a clear message
  if (leaf.grad === null) {
    leaf.grad = createGraph ? g : own ? g : noGrad(() => clone(g));
    if (!createGraph) engineGrads.add(leaf.grad);
  }
  else if (createGraph || leaf.grad.requiresGrad) leaf.grad = add(leaf.grad, g);
  // accumulate in place (as PyTorch): a fresh buffer per step would outlive any scope, since .grad is kept
  else noGrad(() => addInPlace(leaf.grad!, g));
  leaf.grad.storage.kept = true;
}

/** backward(t), backward(t, gradient), backward(t, gradient, {retainGraph, createGraph}), backward(t, {retainGraph, createGraph}) */
export function backward(t: Tensor, gradient?: Tensor | null | BackwardOptions, opts: BackwardOptions = {}): void {
  const isOptions = (v: unknown): v is BackwardOptions => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
  if (isOptions(gradient)) {
    if (arguments[2] !== undefined) throw new TypeError('backward: options given twice (call backward(gradient, {retainGraph, createGraph}) or backward({retainGraph, createGraph}))');
    opts = gradient;
    gradient = null;
  }
  if (arguments.length > 3) throw new TypeError(`backward: expected at most 2 arguments (gradient, {retainGraph, createGraph}), got ${arguments.length - 1}`);
  if (!isOptions(opts)) throw new TypeError('backward: options must be an object {retainGraph, createGraph}');
  for (const k of Object.keys(opts)) {
    if (k !== 'retainGraph' && k !== 'createGraph' && k !== 'inputs') {
      const hint = k === 'retain_graph' ? ' (did you mean retainGraph?)' : k === 'create_graph' ? ' (did you mean createGraph?)' : '';
      throw new TypeError(`backward: unknown option '${k}'${hint}; expected one of: retainGraph, createGraph`);
    }
  }
  if ('inputs' in opts) throw new TypeError('backward: the inputs option is not supported; use nb.autograd.grad(outputs, inputs) for gradients of chosen tensors');
  if (gradient !== undefined && gradient !== null && !(typeof gradient === 'object' && 'shape' in gradient && 'dtype' in gradient)) {
    throw new TypeError(`backward: gradient must be a tensor (or null), got ${typeof gradient === 'number' ? `the number ${gradient}` : typeof gradient}`);
  }
  if (!t.requiresGrad) {
    throw new Error('backward: element 0 of tensors does not require grad and does not have a gradFn (did you forget requiresGrad: true, or run under noGrad?)');
  }
  let g = gradient ?? null;
  if (g === null) {
    if (t.numel() !== 1) throw new Error(`backward: grad can be implicitly created only for scalar outputs; got shape ${fmt(t.shape)}. Pass a gradient of that shape.`);
    // the implicit seed ones(t.shape) is charged to backward in memory timelines
    g = withMemoryContext('backward', 'backward', () => noGrad(() => zeros(t.shape, t.dtype, t).add(1)));
  } else if (!sameShape(g.shape, t.shape)) {
    throw new Error(`backward: gradient has shape ${fmt(g.shape)}, but the tensor has shape ${fmt(t.shape)}`);
  }
  runBackward([t], [g], opts, 'backward');
}
