/** nb.viz.toDot: a VizGraph as Graphviz DOT text (`dot -Tsvg`), values and gradients in the labels. */
import type { VizGraph } from './graph.js';
import { formatSummary } from './summary.js';

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function toDot(g: VizGraph): string {
  const lines = ['digraph autograd {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=11];'];
  for (const n of g.nodes) {
    const title = n.kind === 'leaf' ? (n.name ?? 'leaf') : n.op;
    const parts = [title, `[${n.shape.join('×')}] ${n.dtype}`];
    if (n.value) parts.push(`value ${formatSummary(n.value)}`);
    if (n.grad) parts.push(`grad ${formatSummary(n.grad)}`);
    if (n.savedBytes) parts.push(`saved ${n.savedBytes} B`);
    const shape = n.kind === 'leaf' ? 'ellipse' : 'box';
    lines.push(`  ${quote(n.id)} [shape=${shape}, label=${quote(parts.join('\n'))}];`);
  }
  for (const e of g.edges) {
    const label = e.grad ? ` [label=${quote(`∂ ${formatSummary(e.grad)}`)}]` : '';
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)}${label};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
