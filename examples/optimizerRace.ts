/**
 * Optimizer race: SGD, SGD + momentum, Nesterov, RMSprop, Adam and AdamW, each from the same starting point,
 * on two 2-D landscapes that show what momentum and adaptive steps are for:
 *
 *   ravine  f(x, y) = ½(x² + 50·y²)        ill-conditioned (curvatures 1 and 50): plain SGD must keep its step
 *                                          under 2/50 for the steep y direction, so it zig-zags across the ravine
 *                                          and crawls along the flat x direction; momentum accumulates the
 *                                          consistent x gradient and damps the alternating y one.
 *   saddle  f(x, y) = x² − y² + ½·y⁴       a saddle at the origin between minima at (0, ±1), f = −½. Starting
 *                                          almost on the ridge (y₀ = 10⁻³), the gradient along y is tiny: SGD
 *                                          lingers at the saddle; momentum and the adaptive methods (which rescale
 *                                          the tiny gradient) escape sooner.
 *
 * Every optimizer is nabla's own (nb.optim.*), stepping a 2-element float64 parameter θ = (x, y) on f computed
 * with nabla ops and differentiated by autograd. The paths are drawn over contour plots into a self-contained
 * HTML page (inline SVG), and a table of the final f values is printed.
 *
 *   npm run example:race                       → out/optimizer-race.html
 *   node dist/examples/optimizerRace.js --out /tmp/race --steps 150
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nb from '../src/index.js';
import { renderContourPaths, renderContourSvg, type ContourOptions, type Extent } from '../cli/plot.js';

export type OptimizerName = 'SGD' | 'Momentum' | 'Nesterov' | 'RMSprop' | 'Adam' | 'AdamW';
export const OPTIMIZERS: readonly OptimizerName[] = ['SGD', 'Momentum', 'Nesterov', 'RMSprop', 'Adam', 'AdamW'];

export interface Surface {
  name: string;
  formula: string;
  /** f on tensors, elementwise (so it serves both the parameter and the plotting grid) */
  f: (x: nb.Tensor, y: nb.Tensor) => nb.Tensor;
  start: [number, number];
  extent: Extent;
  minima: { x: number; y: number; label: string }[];
  /** the race's finish line: steps until f < target are reported */
  target: number;
  /** learning rate of each optimizer on this surface */
  lr: Record<OptimizerName, number>;
}

export const SURFACES: readonly Surface[] = [
  {
    name: 'ravine',
    formula: 'f(x, y) = ½(x² + 50·y²)',
    f: (x, y) => x.square().add(y.square().mul(50)).mul(0.5),
    start: [-4.5, 1],
    extent: { xMin: -5, xMax: 5, yMin: -1.5, yMax: 1.5 },
    minima: [{ x: 0, y: 0, label: 'minimum (0, 0)' }],
    // SGD's lr is just under 2/50, the stability limit of the steep direction; the momentum variants share it
    target: 0.01,
    // roughly each optimizer's best lr from a sweep over 0.01…0.5 for 100 steps. Plain SGD diverges above 2/50 = 0.04
    // (the steep direction); Nesterov, whose step adds μ·b on top of g, diverges from about 0.03 on.
    lr: { SGD: 0.035, Momentum: 0.03, Nesterov: 0.02, RMSprop: 0.1, Adam: 0.3, AdamW: 0.3 },
  },
  {
    name: 'saddle',
    formula: 'f(x, y) = x² − y² + ½·y⁴',
    f: (x, y) => x.square().sub(y.square()).add(y.pow(4).mul(0.5)),
    start: [1.8, 1e-6],
    extent: { xMin: -2, xMax: 2, yMin: -1.6, yMax: 1.6 },
    minima: [{ x: 0, y: 1, label: 'minimum (0, 1)' }, { x: 0, y: -1, label: 'minimum (0, −1)' }],
    target: -0.25,
    // one lr for all: near the saddle SGD's y grows by (1 + 2·lr) per step, so from y₀ = 10⁻⁶ it needs
    // ln(10⁶)/ln(1.1) ≈ 145 steps to leave; the adaptive methods move y by about lr per step whatever the gradient's size
    lr: { SGD: 0.05, Momentum: 0.05, Nesterov: 0.05, RMSprop: 0.05, Adam: 0.05, AdamW: 0.05 },
  },
];

export interface RaceEntry {
  optimizer: OptimizerName;
  lr: number;
  /** θ before each step and after the last: steps + 1 points */
  path: [number, number][];
  /** f at each point of the path */
  values: number[];
  final: number;
  /** first step at which f < the surface's target, or null if never within the steps */
  stepsToTarget: number | null;
}

export interface SurfaceResult {
  surface: string;
  formula: string;
  start: [number, number];
  startValue: number;
  entries: RaceEntry[];
}

export interface RaceOptions {
  /** optimizer steps per race (default 100) */
  steps?: number;
  /** output directory for optimizer-race.html (default "out"); null writes nothing */
  out?: string | null;
  quiet?: boolean;
}

export interface RaceResult {
  steps: number;
  surfaces: SurfaceResult[];
  /** absolute path of the HTML page, when written */
  htmlPath: string | null;
}

function makeOptimizer(name: OptimizerName, params: nb.Tensor[], lr: number): nb.optim.Optimizer<any> {
  switch (name) {
    case 'SGD': return new nb.optim.SGD(params, { lr });
    case 'Momentum': return new nb.optim.SGD(params, { lr, momentum: 0.9 });
    case 'Nesterov': return new nb.optim.SGD(params, { lr, momentum: 0.9, nesterov: true });
    case 'RMSprop': return new nb.optim.RMSprop(params, { lr, alpha: 0.9 }); // RMSprop's decay ρ = 0.9 (s ← ρs + (1 − ρ)g²)
    case 'Adam': return new nb.optim.Adam(params, { lr });
    case 'AdamW': return new nb.optim.AdamW(params, { lr, weightDecay: 0.01 });
  }
}

/** Run one optimizer for `steps` steps on a surface, recording θ and f before each step and after the last. */
export function race(surface: Surface, optimizer: OptimizerName, steps: number): RaceEntry {
  const lr = surface.lr[optimizer];
  const theta = nb.nn.parameter(nb.tensor(surface.start, { dtype: 'float64' }));
  const opt = makeOptimizer(optimizer, [theta], lr);
  const path: [number, number][] = [];
  const values: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const [x, y] = theta.data();
    path.push([x!, y!]);
    values.push(nb.scope(() => {
      opt.zeroGrad();
      const f = surface.f(theta.select(0, 0), theta.select(0, 1));
      if (k < steps) {
        f.backward();
        opt.step();
      }
      return f.item();
    }));
  }
  const hit = values.findIndex((v) => v < surface.target);
  return { optimizer, lr, path, values, final: values[values.length - 1]!, stepsToTarget: hit < 0 ? null : hit };
}

/** f on an nx × ny grid over the extent, row-major by y, evaluated with the same tensor function. */
export function grid(surface: Surface, nx = 121, ny = 101): { values: Float64Array; nx: number; ny: number } {
  const { xMin, xMax, yMin, yMax } = surface.extent;
  const values = nb.scope(() => {
    const xs = nb.linspace(xMin, xMax, nx, { dtype: 'float64' }).reshape(1, nx);
    const ys = nb.linspace(yMin, yMax, ny, { dtype: 'float64' }).reshape(ny, 1);
    return surface.f(xs.expand(ny, nx), ys.expand(ny, nx)).data() as Float64Array;
  });
  return { values, nx, ny };
}

function contourOptions(surface: Surface, result: SurfaceResult, steps: number): ContourOptions {
  const g = grid(surface);
  return {
    title: `${surface.name}: ${surface.formula}, ${steps} steps from (${surface.start.join(', ')})`,
    values: g.values,
    nx: g.nx,
    ny: g.ny,
    extent: surface.extent,
    paths: result.entries.map((e) => ({ name: `${e.optimizer} (lr ${e.lr})`, points: e.path })),
    markers: surface.minima,
    levels: 16,
    width: 760,
    height: surface.name === 'ravine' ? 420 : 560,
  };
}

function tableRows(r: SurfaceResult, target: number): string[] {
  const rows = [`${'optimizer'.padEnd(9)}  ${'lr'.padEnd(6)}  ${'final f'.padStart(11)}  ${`steps to f < ${target}`.padEnd(20)}  final (x, y)`];
  for (const e of r.entries) {
    const at = e.path[e.path.length - 1]!.map((v) => v.toFixed(4)).join(', ');
    rows.push(`${e.optimizer.padEnd(9)}  ${String(e.lr).padEnd(6)}  ${fmt(e.final).padStart(11)}  ${String(e.stepsToTarget ?? `> ${e.values.length - 1}`).padEnd(20)}  (${at})`);
  }
  return rows;
}

function fmt(v: number): string {
  return Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(5);
}

export function run(opts: RaceOptions = {}): RaceResult {
  const steps = opts.steps ?? 100;
  const log = opts.quiet ? () => {} : (s = '') => console.log(s);
  const surfaces: SurfaceResult[] = [];
  for (const s of SURFACES) {
    const entries = OPTIMIZERS.map((o) => race(s, o, steps));
    const startValue = entries[0]!.values[0]!;
    const result: SurfaceResult = { surface: s.name, formula: s.formula, start: s.start, startValue, entries };
    surfaces.push(result);
    log(`${s.name}: ${s.formula}, start (${s.start.join(', ')}) with f = ${fmt(startValue)}, ${steps} steps`);
    for (const row of tableRows(result, s.target)) log(`  ${row}`);
    log();
  }

  let htmlPath: string | null = null;
  if (opts.out !== null) {
    const dir = resolve(opts.out ?? 'out');
    mkdirSync(dir, { recursive: true });
    const [first, ...rest] = SURFACES.map((s, i) => contourOptions(s, surfaces[i]!, steps));
    const notes = [
      'Each optimizer is nabla’s (nb.optim.SGD / RMSprop / Adam / AdamW) stepping a 2-element float64 parameter; gradients come from autograd.',
      'Adam and AdamW (weightDecay 0.01) nearly coincide here: the decoupled decay only shrinks θ by lr·0.01 per step, so AdamW’s path lies on top of Adam’s.',
      'Momentum and Nesterov use PyTorch’s form (buffer b ← 0.9·b + g, step lr·b), whose steady-state step is 10× the plain SGD step at the same lr: that is what lets them move along the flat x direction of the ravine while the steep y direction, which limits plain SGD to lr < 2/50, stays stable.',
      ...surfaces.map((r) => `${r.surface} — final f after ${steps} steps: ${r.entries.map((e) => `${e.optimizer} ${fmt(e.final)}`).join(', ')} (start ${fmt(r.startValue)}).`),
    ];
    let page = renderContourPaths({ ...first!, pageTitle: 'nabla optimizer race', notes });
    // further surfaces go into the same page, one figure each
    const figures = rest.map((o) => `<figure>${renderContourSvg(o)}</figure>`).join('\n');
    page = page.replace('</body>', `${figures}\n</body>`);
    htmlPath = join(dir, 'optimizer-race.html');
    writeFileSync(htmlPath, page);
    log(`wrote ${htmlPath}`);
  }
  return { steps, surfaces, htmlPath };
}

function parseFlags(argv: string[]): RaceOptions {
  const o: RaceOptions = {};
  const usage = 'usage: optimizerRace [--out DIR] [--steps N]';
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!, value = argv[i + 1];
    if (value === undefined) throw new Error(usage);
    if (name === '--out') o.out = value;
    else if (name === '--steps' && Number.isInteger(Number(value)) && Number(value) > 0) o.steps = Number(value);
    else throw new Error(`${usage} (bad argument "${name}")`);
  }
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(parseFlags(process.argv.slice(2)));
}
