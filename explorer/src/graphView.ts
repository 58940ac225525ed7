/**
 * Draws a VizGraph as SVG: dagre lays it out (left to right, inputs first), we draw boxes and arrows.
 * Each box shows the name or op, the forward value and — once the stepper has passed it — the gradient; each
 * arrow shows the gradient sent back along it. Nodes are coloured by their gradient-flow pattern.
 */
import dagre from '@dagrejs/dagre';
import * as nb from 'nabla';

type VizGraph = nb.viz.VizGraph;
type VizNode = nb.viz.VizNode;

export const PATTERN_COLOURS: Record<nb.viz.FlowPattern, string> = {
  'add distributes': '#2f7ed8',
  'mul swaps': '#e8871e',
  'max routes': '#8e44ad',
  'copy sums': '#27ae60',
};

export interface ViewState {
  /** node ids whose gradient is revealed (the stepper's past) */
  revealed: Set<string>;
  /** the node of the current step, highlighted */
  current: string | null;
}

const SVG = 'http://www.w3.org/2000/svg';
const el = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

const fmt = (s: nb.viz.ValueSummary | null) => nb.viz.formatSummary(s, 4);
/** an edge's gradient: its values when short, else just its shape (the consumer box shows the rest) */
const edgeLabel = (s: nb.viz.ValueSummary | null) => {
  if (!s) return '';
  const size = s.shape.reduce((a, b) => a * b, 1);
  return size <= 4 ? fmt(s) : `[${s.shape.join('×')}]`;
};
const title = (n: VizNode) => (n.kind === 'leaf' ? n.name ?? 'input' : n.name ? `${n.name} = ${n.op}` : n.op);

export function renderGraph(container: HTMLElement, g: VizGraph, state: ViewState): void {
  const layout = new dagre.graphlib.Graph({ multigraph: true });
  // left to right while it fits a screen; top to bottom for longer chains
  const ranks = g.nodes.length > 9 ? 'TB' : 'LR';
  layout.setGraph({ rankdir: ranks, nodesep: 28, ranksep: ranks === 'LR' ? 90 : 50, marginx: 16, marginy: 16 });
  layout.setDefaultEdgeLabel(() => ({}));
  // box width from the longest of its three lines (12 px monospace ≈ 7.3 px a character)
  const H = 62;
  const width = new Map(g.nodes.map((n) => [n.id, Math.max(120, 16 + 7.3 * Math.max(title(n).length, fmt(n.value).length, n.grad ? fmt(n.grad).length + 2 : 0))]));
  for (const n of g.nodes) layout.setNode(n.id, { width: width.get(n.id)!, height: H });
  for (const e of g.edges) layout.setEdge(e.from, e.to, { width: Math.max(40, 7.3 * edgeLabel(e.grad).length), height: 18, labelpos: 'c' }, `${e.to}:${e.inputIndex}`);
  dagre.layout(layout);

  const gl = layout.graph();
  const gw = gl.width ?? 400, gh = gl.height ?? 200;
  // scaled down to the container's width when wider (never up)
  const svg = el('svg', { viewBox: `0 0 ${gw} ${gh}`, width: gw, height: gh, class: 'graph', role: 'img', style: 'max-width: 100%; height: auto' });
  const defs = el('defs', {});
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.appendChild(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#777' }));
  defs.appendChild(marker);
  svg.appendChild(defs);

  for (const e of g.edges) {
    const info = layout.edge(e.from, e.to, `${e.to}:${e.inputIndex}`);
    const pts: { x: number; y: number }[] = info.points;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' ');
    const grp = el('g', { class: 'edge', 'data-from': e.from, 'data-to': e.to, 'data-input': e.inputIndex });
    grp.appendChild(el('path', { d, fill: 'none', stroke: '#888', 'stroke-width': 1.5, 'marker-end': 'url(#arrow)' }));
    if (e.grad && state.revealed.has(e.to) && info.x !== undefined && info.y !== undefined) {
      grp.appendChild(el('text', { x: info.x, y: info.y - 4, class: 'edge-grad', 'text-anchor': 'middle' }, edgeLabel(e.grad)));
    }
    svg.appendChild(grp);
  }

  for (const n of g.nodes) {
    const p = layout.node(n.id);
    const W = width.get(n.id)!;
    const x = p.x - W / 2, y = p.y - H / 2;
    const own = n.patterns.find((q) => q !== 'copy sums');
    const grp = el('g', {
      class: `node ${n.kind}${state.current === n.id ? ' current' : ''}`,
      'data-node-id': n.id, 'data-op': n.op, 'data-name': n.name ?? '', 'data-patterns': n.patterns.join(','),
    });
    grp.appendChild(el('rect', {
      x, y, width: W, height: H, rx: n.kind === 'leaf' ? 22 : 6,
      fill: own ? `${PATTERN_COLOURS[own]}22` : '#fff',
      stroke: state.current === n.id ? '#d62728' : n.patterns.includes('copy sums') ? PATTERN_COLOURS['copy sums'] : own ? PATTERN_COLOURS[own] : '#555',
      'stroke-width': state.current === n.id ? 3 : n.patterns.length ? 2 : 1,
    }));
    grp.appendChild(el('text', { x: p.x, y: y + 17, class: 'node-title', 'text-anchor': 'middle' }, title(n)));
    grp.appendChild(el('text', { x: p.x, y: y + 35, class: 'value', 'text-anchor': 'middle' }, fmt(n.value)));
    const showGrad = n.grad && state.revealed.has(n.id);
    grp.appendChild(el('text', { x: p.x, y: y + 53, class: 'grad', 'text-anchor': 'middle' }, showGrad ? `∂ ${fmt(n.grad)}` : ''));
    const tip = el('title', {}, `${n.op} [${n.shape.join('×')}] ${n.dtype}${n.savedBytes ? `, saves ${n.savedBytes} B` : ''}${n.patterns.length ? ` — ${n.patterns.join(', ')}` : ''}`);
    grp.appendChild(tip);
    svg.appendChild(grp);
  }
  container.replaceChildren(svg);
}
