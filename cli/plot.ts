/**
 * Self-contained HTML reports with inline SVG, no dependencies, nothing fetched at view time:
 *  - renderTrainingReport: line charts (loss / accuracy curves, optional right-hand axis, log scale),
 *  - renderContourPaths: a 2-D function as a heat map plus contour lines (marching squares over a grid the
 *    caller evaluated) with optimizer trajectories drawn over it.
 * Strings and numbers only, so it runs in Node and browsers alike.
 */

export interface Series {
  name: string;
  x: number[];
  y: number[];
  /** which y axis the series uses (default left) */
  axis?: 'left' | 'right';
  /** CSS colour; defaults to the next palette colour */
  color?: string;
  dashed?: boolean;
}

export interface LineChartSpec {
  title?: string;
  series: Series[];
  xLabel?: string;
  yLabel?: string;
  yRightLabel?: string;
  /** 'log' suits loss curves; non-positive values are then left out of the line */
  yScale?: 'linear' | 'log';
  yRightScale?: 'linear' | 'log';
  width?: number;
  height?: number;
}

export interface TrainingReportOptions {
  title: string;
  /** the first chart; may be empty when only `charts` is used */
  series: Series[];
  xLabel?: string;
  yLabel?: string;
  yRightLabel?: string;
  yScale?: 'linear' | 'log';
  yRightScale?: 'linear' | 'log';
  /** further charts below the first */
  charts?: LineChartSpec[];
  /** key/value table shown under the title (final accuracy, wall time, ...) */
  summary?: Record<string, string | number>;
  /** free-text paragraphs at the end */
  notes?: string[];
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const CHAR_W = 6.6; // rough width of one 12px character, for laying out legends without a DOM

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Coordinates rounded to 0.01 px: plenty for a screen, and keeps long curves small. */
function f(n: number): string {
  return String(Math.round(n * 100) / 100);
}

// ---------------------------------------------------------------------------------------------- scales

interface Scale {
  lo: number;
  hi: number;
  log: boolean;
  /** value → [0, 1] */
  unit(v: number): number;
  ticks: number[];
}

/** 1, 2 or 5 times a power of ten, the step that gives about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function makeScale(values: number[], log: boolean, tickCount = 6): Scale {
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = usable.length ? Math.min(...usable) : log ? 1 : 0;
  let hi = usable.length ? Math.max(...usable) : log ? 10 : 1;
  if (log) {
    let a = Math.floor(Math.log10(lo));
    let b = Math.ceil(Math.log10(hi));
    if (a === b) b = a + 1; // a single value that is an exact power of ten
    lo = 10 ** a;
    hi = 10 ** b;
    const ticks: number[] = [];
    const decades = b - a;
    const stepDec = Math.max(1, Math.ceil(decades / tickCount));
    for (let e = a; e <= b; e += stepDec) ticks.push(10 ** e);
    if (decades <= 2) {
      // few decades: add 2× and 5× marks so the axis still has several labels
      for (let e = a; e < b; e++) ticks.push(2 * 10 ** e, 5 * 10 ** e);
      ticks.sort((x, y) => x - y);
    }
    const la = Math.log10(lo);
    const lb = Math.log10(hi);
    return { lo, hi, log, ticks, unit: (v) => (Math.log10(v) - la) / (lb - la) };
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, tickCount);
  lo = Math.floor(lo / step + 1e-9) * step;
  hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0, t = lo; t <= hi + step * 1e-9; k++, t = lo + k * step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return { lo, hi, log, ticks, unit: (v) => (v - lo) / (hi - lo) };
}

/** Tick label: as many decimals as the spacing needs, exponent form for very large or small magnitudes. */
export function formatTick(v: number, ticks: number[], log = false): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(0).replace('e+', 'e');
  // log ticks (1, 2, 5, 10, ...) share no common spacing: give each its own shortest form
  if (log) return String(Number(v.toPrecision(3)));
  let step = Infinity;
  for (let i = 1; i < ticks.length; i++) step = Math.min(step, Math.abs(ticks[i]! - ticks[i - 1]!));
  if (!Number.isFinite(step) || step === 0) step = a;
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

// ---------------------------------------------------------------------------------------------- line charts

/** One chart as an <svg> element. */
export function renderLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 380;
  const series = spec.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]! }));
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new RangeError(`renderLineChart: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`);
  }
  const left = series.filter((s) => (s.axis ?? 'left') === 'left');
  const right = series.filter((s) => s.axis === 'right');
  const hasRight = right.length > 0;

  // legend rows first: their height decides where the plot starts
  const legend = layoutLegend(series.map((s) => ({ name: s.name + (s.axis === 'right' && left.length ? ' (right)' : ''), color: s.color, dashed: s.dashed })), width - 80);
  const top = (spec.title ? 30 : 10) + legend.height + 6;
  const margin = { top, left: 64, right: hasRight ? 64 : 20, bottom: 48 };
  const pw = width - margin.left - margin.right;
  const ph = height - margin.top - margin.bottom;

  const xs = makeScale(series.flatMap((s) => s.x), false, Math.max(2, Math.floor(pw / 90)));
  const yl = makeScale(left.flatMap((s) => s.y), spec.yScale === 'log');
  const yr = hasRight ? makeScale(right.flatMap((s) => s.y), spec.yRightScale === 'log') : undefined;
  const X = (v: number): number => margin.left + xs.unit(v) * pw;
  const Y = (sc: Scale, v: number): number => margin.top + (1 - sc.unit(v)) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  if (spec.title) out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(spec.title)}</text>`);

  // grid and ticks
  for (const t of yl.ticks) {
    const y = Y(yl, t);
    out.push(`<line x1="${margin.left}" x2="${margin.left + pw}" y1="${f(y)}" y2="${f(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${margin.left - 6}" y="${f(y + 4)}" text-anchor="end" fill="#333">${escapeXml(formatTick(t, yl.ticks, yl.log))}</text>`);
  }
  if (yr) {
    for (const t of yr.ticks) {
      const y = Y(yr, t);
      out.push(`<line x1="${margin.left + pw}" x2="${margin.left + pw + 5}" y1="${f(y)}" y2="${f(y)}" stroke="#333"/>`);
      out.push(`<text x="${margin.left + pw + 8}" y="${f(y + 4)}" fill="#333">${escapeXml(formatTick(t, yr.ticks, yr.log))}</text>`);
    }
  }
  for (const t of xs.ticks) {
    const x = X(t);
    out.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${margin.top}" y2="${margin.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${margin.top + ph}" y2="${margin.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${f(x)}" y="${margin.top + ph + 18}" text-anchor="middle" fill="#333">${escapeXml(formatTick(t, xs.ticks))}</text>`);
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (spec.xLabel) out.push(`<text x="${margin.left + pw / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  if (spec.yLabel) out.push(`<text transform="translate(14 ${margin.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  if (spec.yRightLabel && hasRight) out.push(`<text transform="translate(${width - 10} ${margin.top + ph / 2}) rotate(90)" text-anchor="middle">${escapeXml(spec.yRightLabel)}</text>`);

  // curves, clipped to the plot area
  const clipId = `clip${uid()}`;
  out.push(`<clipPath id="${clipId}"><rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}"/></clipPath>`);
  out.push(`<g clip-path="url(#${clipId})" fill="none" stroke-width="1.8" stroke-linejoin="round">`);
  for (const s of series) {
    const sc = s.axis === 'right' ? yr! : yl;
    const d = polylinePath(s.x.map((x, i) => [X(x), sc.log && !(s.y[i]! > 0) ? NaN : Y(sc, s.y[i]!)]));
    if (d) out.push(`<path d="${d}" stroke="${s.color}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeXml(s.name)}</title></path>`);
    // a lone point would be invisible as a path; mark single-sample series
    if (s.x.length === 1 && Number.isFinite(s.y[0]!)) out.push(`<circle cx="${f(X(s.x[0]!))}" cy="${f(Y(sc, s.y[0]!))}" r="3" fill="${s.color}"/>`);
  }
  out.push('</g>');
  out.push(renderLegend(legend, margin.left, (spec.title ? 30 : 10)));
  out.push('</svg>');
  return out.join('\n');
}

/** "M x y L x y ..." with a new subpath after every non-finite point (a diverged run, a log of 0). */
function polylinePath(points: [number, number][]): string {
  const parts: string[] = [];
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${f(x)} ${f(y)}`);
    pen = true;
  }
  return parts.join('');
}

interface LegendItem {
  name: string;
  color: string;
  dashed?: boolean | undefined;
  marker?: boolean;
}

interface LegendLayout {
  items: { item: LegendItem; x: number; y: number }[];
  height: number;
}

function layoutLegend(items: LegendItem[], maxWidth: number): LegendLayout {
  const placed: LegendLayout['items'] = [];
  let x = 0;
  let y = 0;
  for (const item of items) {
    const w = 28 + item.name.length * CHAR_W + 18;
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      y += 18;
    }
    placed.push({ item, x, y });
    x += w;
  }
  return { items: placed, height: items.length ? y + 18 : 0 };
}

function renderLegend(layout: LegendLayout, ox: number, oy: number): string {
  return layout.items
    .map(({ item, x, y }) => {
      const cx = ox + x;
      const cy = oy + y + 9;
      const swatch = item.marker
        ? `<circle cx="${f(cx + 11)}" cy="${f(cy)}" r="4" fill="${item.color}"/>`
        : `<line x1="${f(cx)}" x2="${f(cx + 22)}" y1="${f(cy)}" y2="${f(cy)}" stroke="${item.color}" stroke-width="2.5"${item.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
      return `${swatch}<text x="${f(cx + 28)}" y="${f(cy + 4)}">${escapeXml(item.name)}</text>`;
    })
    .join('\n');
}

let uidCounter = 0;
function uid(): number {
  return ++uidCounter;
}

/** A complete HTML page: title, optional summary table, the charts, notes. */
export function renderTrainingReport(opts: TrainingReportOptions): string {
  const charts: LineChartSpec[] = [];
  if (opts.series.length) {
    const first: LineChartSpec = { series: opts.series };
    if (opts.xLabel !== undefined) first.xLabel = opts.xLabel;
    if (opts.yLabel !== undefined) first.yLabel = opts.yLabel;
    if (opts.yRightLabel !== undefined) first.yRightLabel = opts.yRightLabel;
    if (opts.yScale !== undefined) first.yScale = opts.yScale;
    if (opts.yRightScale !== undefined) first.yRightScale = opts.yRightScale;
    if (opts.width !== undefined) first.width = opts.width;
    if (opts.height !== undefined) first.height = opts.height;
    charts.push(first);
  }
  charts.push(...(opts.charts ?? []));
  const body: string[] = [];
  if (opts.summary && Object.keys(opts.summary).length) {
    body.push('<table class="summary">');
    for (const [k, v] of Object.entries(opts.summary)) body.push(`<tr><th>${escapeXml(k)}</th><td>${escapeXml(String(v))}</td></tr>`);
    body.push('</table>');
  }
  for (const c of charts) body.push(`<figure>${renderLineChart(c)}</figure>`);
  for (const n of opts.notes ?? []) body.push(`<p>${escapeXml(n)}</p>`);
  return htmlPage(opts.title, body.join('\n'));
}

function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
figure { margin: 16px 0; }
svg { max-width: 100%; height: auto; }
table.summary { border-collapse: collapse; margin: 8px 0 16px; }
table.summary th { text-align: left; padding: 2px 16px 2px 0; font-weight: 600; }
table.summary td { padding: 2px 0; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
${body}
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------- contours

export interface Extent {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export interface OptimizerPath {
  name: string;
  /** visited points in function coordinates, either as [x, y] pairs or as parallel arrays */
  points: ReadonlyArray<readonly [number, number]> | { x: ArrayLike<number>; y: ArrayLike<number> };
  color?: string;
}

export interface ContourOptions {
  title?: string;
  /** f on an nx × ny grid, row-major by y: values[j * nx + i] = f(x_i, y_j), x_i = xMin + i·(xMax−xMin)/(nx−1), y likewise */
  values: Float64Array;
  nx: number;
  ny: number;
  extent: Extent;
  paths: OptimizerPath[];
  /** number of contour levels (default 14) or the explicit level values */
  levels?: number | number[];
  /** spacing of generated levels and of the heat map's colours; 'auto' picks log when most of the grid sits near the minimum */
  levelScale?: 'linear' | 'log' | 'auto';
  /** filled heat map under the contour lines (default true) */
  heatmap?: boolean;
  /** labelled points such as the true minimum */
  markers?: { x: number; y: number; label: string }[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/**
 * Marching squares: the line segments where the grid crosses `level`, in grid coordinates (i along x, j along y),
 * flattened as [i0, j0, i1, j1, ...]. Crossings are linearly interpolated along cell edges; saddle cells are
 * resolved by the cell-centre average. Cells with a non-finite corner are skipped.
 */
export function contourSegments(values: ArrayLike<number>, nx: number, ny: number, level: number): number[] {
  const seg: number[] = [];
  const above = (v: number): boolean => v >= level;
  // where along edge a→b (0..1) the field crosses the level
  const cross = (a: number, b: number): number => (level - a) / (b - a);
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const v0 = values[j * nx + i]!; // (i, j)
      const v1 = values[j * nx + i + 1]!; // (i+1, j)
      const v2 = values[(j + 1) * nx + i + 1]!; // (i+1, j+1)
      const v3 = values[(j + 1) * nx + i]!; // (i, j+1)
      if (!(Number.isFinite(v0) && Number.isFinite(v1) && Number.isFinite(v2) && Number.isFinite(v3))) continue;
      const a0 = above(v0), a1 = above(v1), a2 = above(v2), a3 = above(v3);
      // crossing points on edges e0: v0–v1 (bottom), e1: v1–v2 (right), e2: v3–v2 (top), e3: v0–v3 (left)
      const e: ([number, number] | null)[] = [
        a0 !== a1 ? [i + cross(v0, v1), j] : null,
        a1 !== a2 ? [i + 1, j + cross(v1, v2)] : null,
        a3 !== a2 ? [i + cross(v3, v2), j + 1] : null,
        a0 !== a3 ? [i, j + cross(v0, v3)] : null,
      ];
      const hits = e.filter((p): p is [number, number] => p !== null);
      if (hits.length === 2) {
        seg.push(hits[0]![0], hits[0]![1], hits[1]![0], hits[1]![1]);
      } else if (hits.length === 4) {
        // saddle: if the centre is on v0's side, v0 and v2 are joined through the middle, so cut off v1 and v3
        const centreAbove = above((v0 + v1 + v2 + v3) / 4);
        const pairs = centreAbove === a0 ? [[0, 1], [2, 3]] : [[3, 0], [1, 2]];
        for (const [p, q] of pairs) seg.push(e[p!]![0], e[p!]![1], e[q!]![0], e[q!]![1]);
      }
    }
  }
  return seg;
}

/** Maps f values to [0, 1] for colour and level placement; log spacing is measured from the grid minimum. */
function valueTransform(min: number, max: number, log: boolean): { unit: (v: number) => number; inverse: (t: number) => number } {
  const range = max - min || 1;
  if (!log) return { unit: (v) => (v - min) / range, inverse: (t) => min + t * range };
  const d0 = range * 1e-4; // offset so the minimum itself (often exactly 0) has a finite log
  const la = Math.log(d0);
  const lb = Math.log(range + d0);
  return {
    unit: (v) => (Math.log(Math.max(v - min, 0) + d0) - la) / (lb - la),
    inverse: (t) => min + Math.exp(la + t * (lb - la)) - d0,
  };
}

// a perceptually ordered ramp (viridis anchors), interpolated in RGB
const RAMP = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];
function rampColor(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const k = Math.min(RAMP.length - 2, Math.floor(x));
  const u = x - k;
  const c = RAMP[k]!.map((a, n) => Math.round(a + (RAMP[k + 1]![n]! - a) * u));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** The contour plot with optimizer paths as an <svg> element. */
export function renderContourSvg(opts: ContourOptions): string {
  const { values, nx, ny, extent } = opts;
  if (!Number.isInteger(nx) || !Number.isInteger(ny) || nx < 2 || ny < 2) throw new RangeError(`renderContourSvg: nx and ny must be integers ≥ 2, got ${nx}×${ny}`);
  if (values.length !== nx * ny) throw new RangeError(`renderContourSvg: values has ${values.length} entries, expected nx·ny = ${nx * ny}`);
  if (!(extent.xMax > extent.xMin && extent.yMax > extent.yMin)) throw new RangeError('renderContourSvg: extent must have xMax > xMin and yMax > yMin');

  const width = opts.width ?? 640;
  const height = opts.height ?? 560;
  const paths = opts.paths.map((p, i) => ({ ...p, color: p.color ?? PALETTE[(i + 1) % PALETTE.length]! }));
  const legendItems: LegendItem[] = paths.map((p) => ({ name: p.name, color: p.color }));
  for (const m of opts.markers ?? []) legendItems.push({ name: m.label, color: '#000', marker: true });
  const legend = layoutLegend(legendItems, width - 80);
  const margin = { top: (opts.title ? 30 : 10) + legend.height + 6, left: 56, right: 16, bottom: 44 };
  const pw = width - margin.left - margin.right;
  const ph = height - margin.top - margin.bottom;
  const X = (x: number): number => margin.left + ((x - extent.xMin) / (extent.xMax - extent.xMin)) * pw;
  const Y = (y: number): number => margin.top + (1 - (y - extent.yMin) / (extent.yMax - extent.yMin)) * ph;
  // grid index → pixel
  const GX = (i: number): number => margin.left + (i / (nx - 1)) * pw;
  const GY = (j: number): number => margin.top + (1 - j / (ny - 1)) * ph;

  let min = Infinity;
  let max = -Infinity;
  const finite: number[] = [];
  for (const v of values) {
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
      finite.push(v);
    }
  }
  if (!finite.length) [min, max] = [0, 1];
  let scaleKind = opts.levelScale ?? 'auto';
  if (scaleKind === 'auto') {
    finite.sort((a, b) => a - b);
    const median = finite.length ? finite[finite.length >> 1]! : 0;
    scaleKind = max > min && median - min < 0.1 * (max - min) ? 'log' : 'linear';
  }
  const tf = valueTransform(min, max, scaleKind === 'log');
  const requested = opts.levels ?? 14;
  const levels = Array.isArray(requested)
    ? requested
    : Array.from({ length: requested }, (_, k) => tf.inverse((k + 1) / (requested + 1)));

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  if (opts.title) out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(opts.title)}</text>`);
  const clipId = `clip${uid()}`;
  out.push(`<clipPath id="${clipId}"><rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}"/></clipPath>`);
  out.push(`<g clip-path="url(#${clipId})">`);

  if (opts.heatmap ?? true) {
    // The plot is split into ≤ 120 × 120 cells, each coloured by the grid value nearest its centre; runs of equal
    // (quantised) colour along a row merge into one rect, which keeps the page small.
    const cols = Math.min(nx, 120);
    const rows = Math.min(ny, 120);
    const cw = pw / cols;
    const ch = ph / rows;
    for (let r = 0; r < rows; r++) {
      // the grid point nearest this cell's centre
      const j = Math.round(((r + 0.5) / rows) * (ny - 1));
      let runStart = 0;
      let runColor = '';
      const flush = (end: number): void => {
        if (runColor) out.push(`<rect x="${f(margin.left + runStart * cw)}" y="${f(margin.top + (rows - 1 - r) * ch)}" width="${f((end - runStart) * cw + 0.5)}" height="${f(ch + 0.5)}" fill="${runColor}"/>`);
      };
      for (let c = 0; c < cols; c++) {
        const i = Math.round(((c + 0.5) / cols) * (nx - 1));
        const v = values[j * nx + i]!;
        const color = Number.isFinite(v) ? rampColor(Math.round(tf.unit(v) * 32) / 32) : '#ddd';
        if (color !== runColor) {
          flush(c);
          runStart = c;
          runColor = color;
        }
      }
      flush(cols);
    }
  }

  // contour lines
  out.push('<g fill="none" stroke="#fff" stroke-opacity="0.75" stroke-width="0.9">');
  for (const level of levels) {
    const s = contourSegments(values, nx, ny, level);
    if (!s.length) continue;
    const d: string[] = [];
    for (let k = 0; k < s.length; k += 4) d.push(`M${f(GX(s[k]!))} ${f(GY(s[k + 1]!))}L${f(GX(s[k + 2]!))} ${f(GY(s[k + 3]!))}`);
    out.push(`<path d="${d.join('')}"><title>f = ${escapeXml(formatLevel(level))}</title></path>`);
  }
  out.push('</g>');

  // optimizer paths: a line with a dot per step, a ring at the start
  for (const p of paths) {
    const pts = pathPoints(p.points);
    const d = polylinePath(pts.map(([x, y]) => [X(x), Y(y)]));
    out.push(`<g><title>${escapeXml(p.name)}</title>`);
    if (d) out.push(`<path d="${d}" fill="none" stroke="${p.color}" stroke-width="2" stroke-linejoin="round"/>`);
    const dots = pts.length <= 400 ? pts : pts.filter((_, k) => k % Math.ceil(pts.length / 400) === 0);
    for (const [x, y] of dots) if (Number.isFinite(x) && Number.isFinite(y)) out.push(`<circle cx="${f(X(x))}" cy="${f(Y(y))}" r="1.8" fill="${p.color}"/>`);
    const first = pts.find(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (first) out.push(`<circle cx="${f(X(first[0]))}" cy="${f(Y(first[1]))}" r="5" fill="none" stroke="${p.color}" stroke-width="2"/>`);
    out.push('</g>');
  }
  for (const m of opts.markers ?? []) {
    out.push(`<g><title>${escapeXml(m.label)}</title><circle cx="${f(X(m.x))}" cy="${f(Y(m.y))}" r="4.5" fill="#000" stroke="#fff" stroke-width="1.5"/></g>`);
  }
  out.push('</g>');

  // axes
  const xs = makeScale([extent.xMin, extent.xMax], false, Math.max(2, Math.floor(pw / 80)));
  const ys = makeScale([extent.yMin, extent.yMax], false, Math.max(2, Math.floor(ph / 60)));
  for (const t of xs.ticks) {
    if (t < extent.xMin - 1e-12 || t > extent.xMax + 1e-12) continue;
    out.push(`<line x1="${f(X(t))}" x2="${f(X(t))}" y1="${margin.top + ph}" y2="${margin.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${f(X(t))}" y="${margin.top + ph + 18}" text-anchor="middle">${escapeXml(formatTick(t, xs.ticks))}</text>`);
  }
  for (const t of ys.ticks) {
    if (t < extent.yMin - 1e-12 || t > extent.yMax + 1e-12) continue;
    out.push(`<line x1="${margin.left - 5}" x2="${margin.left}" y1="${f(Y(t))}" y2="${f(Y(t))}" stroke="#333"/>`);
    out.push(`<text x="${margin.left - 8}" y="${f(Y(t) + 4)}" text-anchor="end">${escapeXml(formatTick(t, ys.ticks))}</text>`);
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${margin.left + pw / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(opts.xLabel ?? 'x')}</text>`);
  out.push(`<text transform="translate(14 ${margin.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel ?? 'y')}</text>`);
  out.push(renderLegend(legend, margin.left, opts.title ? 30 : 10));
  out.push('</svg>');
  return out.join('\n');
}

function pathPoints(points: OptimizerPath['points']): [number, number][] {
  if ('x' in points && 'y' in points && !Array.isArray(points)) {
    const { x, y } = points as { x: ArrayLike<number>; y: ArrayLike<number> };
    if (x.length !== y.length) throw new RangeError(`optimizer path has ${x.length} x values but ${y.length} y values`);
    return Array.from({ length: x.length }, (_, k) => [x[k]!, y[k]!]);
  }
  return (points as ReadonlyArray<readonly [number, number]>).map(([x, y]) => [x, y]);
}

function formatLevel(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/** The contour plot as a complete HTML page, with optional notes under it. */
export function renderContourPaths(opts: ContourOptions & { pageTitle?: string; notes?: string[] }): string {
  const body = [`<figure>${renderContourSvg(opts)}</figure>`, ...(opts.notes ?? []).map((n) => `<p>${escapeXml(n)}</p>`)];
  return htmlPage(opts.pageTitle ?? opts.title ?? 'Optimizer paths', body.join('\n'));
}
