/**
 * nb.viz.backwardSteps: run the real engine's backward on `loss` and yield one step per node, in the order
 * the engine ran them: the gradient it received (upstream), its local derivative and what it sent to each
 * input (downstream = upstream × local, exactly so for scalar nodes).
 */
import { backward, type BackwardOptions } from '../autograd/engine.js';
import type { Tensor } from '../tensor.js';
import type { FlowPattern } from './graph.js';
import { ownPattern } from './graph.js';
import type { ValueSummary } from './summary.js';
import { nodeId, watch } from './tape.js';

export interface BackwardStep {
  /** 0 for the first node the engine ran */
  index: number;
  node: string;
  op: string;
  /** the node ids of its inputs (null where an input needs no gradient) */
  inputs: (string | null)[];
  upstream: ValueSummary | null;
  local: (ValueSummary | null)[];
  downstream: (ValueSummary | null)[];
  pattern: FlowPattern | null;
}

export interface StepOptions extends BackwardOptions {
  /** gradient of the loss (default: 1 for a scalar) */
  gradient?: Tensor | null;
}

export function* backwardSteps(loss: Tensor, opts: StepOptions = {}): Generator<BackwardStep, void, undefined> {
  const steps: BackwardStep[] = [];
  watch(
    () => backward(loss, opts.gradient ?? null, opts),
    (node, g) => {
      steps.push({
        index: steps.length,
        node: nodeId(node),
        op: node.isAccumulate ? 'leaf' : node.name,
        inputs: node.next.map((e) => (e ? nodeId(e.node) : null)),
        upstream: g.upstream[0] ?? null,
        local: g.local,
        downstream: g.sent,
        pattern: node.isAccumulate ? null : ownPattern(node.name),
      });
    },
  );
  yield* steps;
}
