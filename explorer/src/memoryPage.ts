/**
 * Page 2, the pebble graph: nb.memory.record of one training step (forward + backward) of each model, with
 * checkpointing off and on, side by side. Top: bytes in use after every allocation/release (forward blue,
 * backward red). Below: one bar per activation saved for backward, from its allocation to its release — the
 * notes' pebbles, put down in forward and picked up in backward.
 */
import * as nb from 'nabla';
import { mlpModel, transformerModel, type MemoryModel } from './memoryModels.js';

type Timeline = ReturnType<typeof nb.memory.record<void>>;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) (e as unknown as Record<string, unknown>)[k] = v;
  e.append(...kids);
  return e;
}
const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const PHASE_COLOURS: Record<string, string> = { forward: '#2f7ed8', backward: '#c0392b', optimizer: '#27ae60' };

/** Curve of bytes in use above the step's start (what the step itself holds), and the pebbles below it. */
function drawTimeline(canvas: HTMLCanvasElement, t: Timeline, maxBytes: number): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width, H = canvas.height, L = 58, top = 10, curveH = 150, B = H - 14;
  ctx.clearRect(0, 0, W, H);
  const ev = t.events.filter((e) => e.kind !== 'mark' && e.backend === t.backend);
  if (ev.length === 0) return;
  const px = (i: number) => L + (i / Math.max(1, ev.length - 1)) * (W - L - 8);
  const py = (b: number) => top + (1 - (b - t.startBytes) / maxBytes) * curveH;
  ctx.font = '11px system-ui';
  ctx.fillStyle = '#555';
  ctx.fillText(kb(maxBytes), 2, top + 8);
  ctx.fillText('0', 2, top + curveH);
  ctx.strokeStyle = '#bbb';
  ctx.beginPath(); ctx.moveTo(L, top); ctx.lineTo(L, top + curveH); ctx.lineTo(W - 8, top + curveH); ctx.stroke();
  // peak line
  ctx.strokeStyle = '#999'; ctx.setLineDash([4, 3]);
  ctx.beginPath(); ctx.moveTo(L, py(t.peakBytes)); ctx.lineTo(W - 8, py(t.peakBytes)); ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillText(`peak +${kb(t.peakBytes - t.startBytes)}`, W - 110, py(t.peakBytes) - 3);
  for (let i = 1; i < ev.length; i++) {
    ctx.strokeStyle = PHASE_COLOURS[ev[i]!.phase] ?? '#444';
    ctx.beginPath(); ctx.moveTo(px(i - 1), py(ev[i - 1]!.bytesInUse)); ctx.lineTo(px(i), py(ev[i]!.bytesInUse)); ctx.stroke();
  }
  // pebbles: activations saved for backward, alloc → free
  const freeAt = new Map<number, number>();
  ev.forEach((e, i) => { if (e.kind === 'free') freeAt.set(e.storageId, i); });
  const saved = ev.map((e, i) => ({ e, i })).filter(({ e }) => e.kind === 'alloc' && e.savedForBackward);
  const rowsTop = top + curveH + 16, rowH = Math.max(2, Math.min(8, (B - rowsTop) / Math.max(1, saved.length)));
  ctx.fillStyle = '#555';
  ctx.fillText('saved', 2, rowsTop + 8);
  ctx.fillText('activations', 2, rowsTop + 20);
  saved.forEach(({ e, i }, r) => {
    const end = freeAt.get(e.storageId) ?? ev.length - 1;
    ctx.fillStyle = '#f39c12';
    ctx.fillRect(px(i), rowsTop + r * rowH, Math.max(1, px(end) - px(i)), rowH - 1);
  });
}

export function mountMemory(root: HTMLElement): void {
  const results = h('div', { id: 'memory-results' });
  root.replaceChildren(
    h('h2', {}, 'Memory: the pebble graph'),
    h('p', { className: 'help' }, 'One training step (forward, then backward of a sum loss) recorded with nb.memory.record. Curve: bytes in use, above what the step started with, after each allocation and release (blue forward, red backward). Orange bars: activations saved for backward, from allocation to release. Right: the same step with activation checkpointing (nb.utils.checkpoint per block): forward keeps only block inputs, backward recomputes.'),
    results,
  );
  results.dataset.ready = 'false';
  // let the page paint before the recordings run
  setTimeout(() => {
    try {
      for (const make of [mlpModel, transformerModel]) results.append(card(make()));
      results.dataset.ready = 'true';
    } catch (e) {
      results.append(h('pre', { className: 'error' }, String((e as Error).stack ?? e)));
    }
  }, 30);
}

function card(model: MemoryModel): HTMLElement {
  model.step(false); // warm-up: lazily created buffers (optimizer-free here, but kernels and caches) stay out of the recording
  const off = nb.memory.record(() => model.step(false));
  const on = nb.memory.record(() => model.step(true));
  // one scale for both panels: bytes above the start of the step
  const maxBytes = Math.max(off.peakBytes - off.startBytes, on.peakBytes - on.startBytes);
  const panel = (t: Timeline, label: string) => {
    const c = h('canvas', { width: 540, height: 300, className: 'plot' });
    drawTimeline(c, t, maxBytes);
    const savedBytes = t.events.filter((e) => e.kind === 'alloc' && e.savedForBackward).reduce((a, e) => a + e.bytes, 0);
    const div = h('div', { className: 'mem-panel' }, h('h4', {}, label), c,
      h('p', { className: 'stat' }, `peak +${kb(t.peakBytes - t.startBytes)} · ${t.events.filter((e) => e.kind === 'alloc').length} allocations · ${kb(savedBytes)} saved for backward`));
    return div;
  };
  const el = h('div', { className: 'card mem-model' },
    h('h3', {}, model.title),
    h('p', { className: 'help' }, model.detail),
    h('div', { className: 'row' }, panel(off, 'checkpointing off'), panel(on, 'checkpointing on')),
    h('p', { className: 'stat summary' }, `peak above what the step started with (parameters, gradients, input): ${kb(off.peakBytes - off.startBytes)} → ${kb(on.peakBytes - on.startBytes)} with checkpointing (${((1 - (on.peakBytes - on.startBytes) / (off.peakBytes - off.startBytes)) * 100).toFixed(0)}% less)`));
  el.dataset.model = model.id;
  el.dataset.peakOff = String(off.peakBytes - off.startBytes);
  el.dataset.peakOn = String(on.peakBytes - on.startBytes);
  return el;
}
