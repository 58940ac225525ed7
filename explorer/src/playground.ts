/**
 * Page 1, the playground: a program → nabla ops → the autograd graph with forward values; "backward" steps
 * through the engine's real backward order one node at a time (upstream × local = downstream).
 */
import * as nb from 'nabla';
import { runProgram, type Program } from './evaluate.js';
import { EXAMPLES, type Example, type Lookup } from './examples.js';
import { PATTERN_COLOURS, renderGraph } from './graphView.js';

/** document.createElement with properties (`dataset` and `style` as plain objects/strings) and children. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.setAttribute('style', String(v));
    else (e as unknown as Record<string, unknown>)[k] = v;
  }
  e.append(...kids);
  return e;
}
const fmt = (s: nb.viz.ValueSummary | null) => nb.viz.formatSummary(s, 4);
const fmtNums = (v: number[]) => (v.length === 1 ? nb.viz.formatSummary({ shape: [], dtype: 'float64', values: v, truncated: false, min: v[0]!, max: v[0]!, mean: v[0]!, bytes: 8 }) : `[${v.map((x) => Number(x.toPrecision(4))).join(', ')}]`);

interface State {
  example: Example | null;
  program: Program | null;
  graph: nb.viz.VizGraph | null;
  steps: nb.viz.BackwardStep[] | null;
  shown: number;
}

export function mountPlayground(root: HTMLElement): void {
  const state: State = { example: null, program: null, graph: null, steps: null, shown: 0 };
  const source = h('textarea', { id: 'source', spellcheck: false, rows: 9 });
  const error = h('pre', { id: 'error', className: 'error' });
  const note = h('p', { id: 'note', className: 'note' });
  const graphBox = h('div', { id: 'graph', className: 'graph-box' });
  const stepPanel = h('div', { id: 'step-panel', className: 'step-panel' });
  const checks = h('div', { id: 'checks' });
  const stepBtn = h('button', { id: 'step', textContent: 'backward: one step' });
  const allBtn = h('button', { id: 'step-all', textContent: 'all steps' });
  const runBtn = h('button', { id: 'run', textContent: 'run forward' });
  const exampleBar = h('div', { className: 'examples' }, 'Examples: ',
    ...EXAMPLES.map((ex) => h('button', { className: 'example', textContent: ex.title, dataset: { example: ex.id }, onclick: () => load(ex) })));
  const legend = h('div', { className: 'legend' },
    ...Object.entries(PATTERN_COLOURS).map(([name, c]) => h('span', { className: 'swatch' }, h('i', { style: `background:${c}` }), name)));

  root.replaceChildren(
    h('h2', {}, 'Playground'),
    exampleBar,
    h('div', { className: 'editor' }, source, h('div', { className: 'buttons' }, runBtn, stepBtn, allBtn)),
    h('p', { className: 'help' }, 'One statement per line. "x = 3" or "W = [[1, 2], [3, 4]]" defines an input (a leaf that requires grad); "const y = 1" a constant; other lines compute with + − * / @ ^ and sigmoid, relu, tanh, exp, log, max, min, sum, mean, softmax, crossEntropy. The last line is the output.'),
    error, note, legend, graphBox, stepPanel, checks,
  );

  const lookup = (): Lookup => {
    const p = state.program!;
    const tensorOf = (name: string) => {
      const t = p.named[name];
      if (!t) throw new Error(`example check: no tensor named ${name}`);
      return t;
    };
    return {
      value: (name) => Array.from(tensorOf(name).data(), Number),
      shape: (name) => tensorOf(name).shape.slice(),
      grad: (name) => {
        const t = tensorOf(name);
        if (t.isLeaf) return t.grad ? Array.from(t.grad.data(), Number) : [];
        return state.graph?.nodes.find((n) => n.name === name)?.grad?.values ?? [];
      },
    };
  };

  function draw(): void {
    const g = state.graph;
    if (!g) { graphBox.replaceChildren(); return; }
    const steps = state.steps ?? [];
    const revealed = new Set(steps.slice(0, state.shown).map((s) => s.node));
    const current = state.shown > 0 ? steps[state.shown - 1]!.node : null;
    renderGraph(graphBox, g, { revealed, current });
    stepBtn.disabled = state.steps !== null && state.shown >= state.steps.length;
    allBtn.disabled = stepBtn.disabled;
    drawStep();
    drawChecks();
  }

  function nodeLabel(id: string | null): string {
    if (!id) return '—';
    const n = state.graph?.nodes.find((v) => v.id === id);
    return n ? n.name ?? n.op : id;
  }

  function drawStep(): void {
    const steps = state.steps;
    if (!steps || state.shown === 0) {
      stepPanel.replaceChildren(h('p', {}, 'Press "backward: one step" to run the engine\'s backward and walk it node by node.'));
      stepPanel.dataset.stepIndex = '-1';
      return;
    }
    const s = steps[state.shown - 1]!;
    stepPanel.dataset.stepIndex = String(s.index);
    stepPanel.dataset.node = s.node;
    const head = h('p', { className: 'step-head' }, `Step ${s.index + 1} of ${steps.length}: `, h('b', {}, nodeLabel(s.node)),
      s.op === 'leaf' ? ' (input: its gradient is accumulated into .grad)' : ` (${s.op})`,
      s.pattern ? h('span', { className: 'pattern', style: `color:${PATTERN_COLOURS[s.pattern]}` }, ` — ${s.pattern}`) : '');
    const rows = s.op === 'leaf'
      ? [h('tr', {}, h('td', {}, 'upstream'), h('td', { className: 'upstream' }, fmt(s.upstream)))]
      : s.inputs.map((inp, i) => h('tr', { dataset: { input: String(i) } },
          h('td', {}, `→ ${nodeLabel(inp)}`),
          h('td', { className: 'upstream' }, fmt(s.upstream)), h('td', {}, '×'),
          h('td', { className: 'local' }, fmt(s.local[i] ?? null)), h('td', {}, '='),
          h('td', { className: 'downstream' }, fmt(s.downstream[i] ?? null))));
    const header = s.op === 'leaf' ? [] : [h('tr', {}, h('th', {}, 'input'), h('th', {}, 'upstream'), h('th'), h('th', {}, 'local'), h('th'), h('th', {}, 'downstream'))];
    stepPanel.replaceChildren(head, h('table', { className: 'step-table' }, ...header, ...rows),
      s.op !== 'leaf' && s.upstream && s.upstream.values.length > 1 ? h('p', { className: 'help' }, 'For tensors, "local" is this node\'s backward applied to an upstream of ones (Jᵀ·1); downstream is the true vector-Jacobian product.') : '');
  }

  function drawChecks(): void {
    const ex = state.example;
    const done = state.steps !== null && state.shown >= state.steps.length;
    if (!ex?.check || !done || !state.program) { checks.replaceChildren(); return; }
    let rows;
    try {
      rows = ex.check(lookup());
    } catch (e) {
      checks.replaceChildren(h('pre', { className: 'error' }, String(e)));
      return;
    }
    checks.replaceChildren(
      h('h3', {}, 'Hand-written backward beside the engine'),
      h('table', { className: 'checks' },
        h('tr', {}, h('th', {}, 'gradient'), h('th', {}, 'formula'), h('th', {}, 'by hand'), h('th', {}, 'engine'), h('th', {}, '')),
        ...rows.map((r) => {
          const ok = r.hand.length === r.engine.length && r.hand.every((v, i) => Math.abs(v - r.engine[i]!) <= 1e-9 * (1 + Math.abs(v)));
          return h('tr', { dataset: { label: r.label } }, h('td', {}, r.label), h('td', {}, r.formula),
            h('td', { className: 'hand' }, fmtNums(r.hand)), h('td', { className: 'engine' }, fmtNums(r.engine)), h('td', { className: ok ? 'ok' : 'bad' }, ok ? '✓' : '✗'));
        })),
    );
  }

  function run(): void {
    error.textContent = '';
    state.program = null; state.graph = null; state.steps = null; state.shown = 0;
    try {
      state.program = runProgram(source.value);
      state.graph = nb.viz.graph(state.program.output, { names: state.program.named });
    } catch (e) {
      error.textContent = (e as Error).message;
    }
    draw();
  }

  function ensureSteps(): boolean {
    if (!state.program) return false;
    if (state.steps === null) {
      try {
        state.steps = [...nb.viz.backwardSteps(state.program.output)];
        state.graph = nb.viz.graph(state.program.output, { names: state.program.named });
      } catch (e) {
        error.textContent = (e as Error).message;
        return false;
      }
    }
    return true;
  }

  function load(ex: Example): void {
    state.example = ex;
    source.value = ex.source;
    note.textContent = ex.note;
    root.dataset.example = ex.id;
    run();
  }

  runBtn.onclick = () => { state.example = EXAMPLES.find((e) => e.source === source.value) ?? null; note.textContent = state.example?.note ?? ''; run(); };
  stepBtn.onclick = () => { if (ensureSteps() && state.shown < state.steps!.length) { state.shown++; draw(); } };
  allBtn.onclick = () => { if (ensureSteps()) { state.shown = state.steps!.length; draw(); } };
  load(EXAMPLES[0]!);
}
