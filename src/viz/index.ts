/**
 * nb.viz: look inside autograd. `graph(t)` describes the graph behind a tensor as JSON, `toDot` renders it for
 * Graphviz, `trace(fn)` remembers forward values (and gradients of any backward run inside), and
 * `backwardSteps(loss)` runs backward and yields each node's upstream, local and downstream gradients in
 * the engine's order.
 */
export { graph, ownPattern, type VizGraph, type VizNode, type VizEdge, type SavedInfo, type FlowPattern, type GraphOptions } from './graph.js';
export { toDot } from './dot.js';
export { backwardSteps, type BackwardStep, type StepOptions } from './steps.js';
export { summarize, formatSummary, type ValueSummary } from './summary.js';
import { watch } from './tape.js';

/** Run fn, remembering the forward value of every node it records and the gradients of any backward it runs. */
export function trace<T>(fn: () => T): T {
  return watch(fn);
}
