import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTrainingReport, renderLineChart, renderContourPaths, contourSegments, niceStep, formatTick } from '../cli/plot.js';

test('niceStep and tick labels', () => {
  assert.equal(niceStep(10, 5), 2);
  assert.equal(niceStep(1, 4), 0.2);
  assert.equal(niceStep(730, 6), 100);
  assert.equal(formatTick(0.30000000000000004, [0, 0.1, 0.2, 0.3]), '0.3');
  assert.equal(formatTick(2000, [0, 1000, 2000]), '2000');
  assert.equal(formatTick(1e-5, [1e-5, 1e-4]), '1e-5');
});

test('training report: self-contained HTML with one path per series, axes and legend', () => {
  const x = Array.from({ length: 50 }, (_, i) => i);
  const html = renderTrainingReport({
    title: 'MNIST <MLP> & friends',
    series: [
      { name: 'train loss', x, y: x.map((i) => 2 * Math.exp(-i / 10)) },
      { name: 'test acc', x, y: x.map((i) => 1 - Math.exp(-i / 8)), axis: 'right' },
    ],
    xLabel: 'epoch',
    yLabel: 'loss',
    yRightLabel: 'accuracy',
    summary: { 'final acc': '97.1%', seconds: 12.5 },
    notes: ['seed 0'],
  });
  assert.match(html, /^<!doctype html>/);
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), 'no scripts or external resources');
  assert.ok(html.includes('MNIST &lt;MLP&gt; &amp; friends'), 'title escaped');
  assert.ok(!html.includes('<MLP>'));
  const paths = html.match(/<path d="M[^"]*"/g) ?? [];
  assert.equal(paths.length, 2);
  // 50 points each: one M and 49 L commands
  for (const p of paths) assert.equal((p.match(/L/g) ?? []).length, 49);
  for (const label of ['train loss', 'test acc (right)', 'epoch', 'accuracy', 'final acc', '97.1%', 'seed 0']) assert.ok(html.includes(label), label);
  // left axis ticks span the loss values, right axis ticks the accuracy values
  assert.ok(html.includes('>2.0<') || html.includes('>2<'));
  assert.ok(html.includes('>1.0<') || html.includes('>1<'));
});

test('line chart: non-finite values break the line; log scale drops non-positive values', () => {
  const svg = renderLineChart({ series: [{ name: 's', x: [0, 1, 2, 3, 4], y: [1, 2, NaN, 4, 5] }] });
  const d = svg.match(/<path d="([^"]*)"/)![1]!;
  assert.equal((d.match(/M/g) ?? []).length, 2);
  assert.ok(!/NaN|Infinity/.test(svg));
  const logSvg = renderLineChart({ series: [{ name: 'loss', x: [0, 1, 2, 3], y: [10, 1, 0, 0.01] }], yScale: 'log' });
  assert.ok(!/NaN|Infinity/.test(logSvg));
  for (const t of ['>0.01<', '>0.1<', '>1<', '>10<']) assert.ok(logSvg.includes(t), t);
  assert.throws(() => renderLineChart({ series: [{ name: 'bad', x: [1, 2], y: [1] }] }), /2 x values but 1 y values/);
});

test('marching squares: segments of a circular bowl lie on the circle', () => {
  const n = 41;
  const values = new Float64Array(n * n);
  // f(i, j) = (i−20)² + (j−20)² on grid coordinates
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) values[j * n + i] = (i - 20) ** 2 + (j - 20) ** 2;
  // 99.5 is never exactly a grid value, so no contour passes through a vertex (a degenerate case)
  const seg = contourSegments(values, n, n, 99.5);
  assert.ok(seg.length / 4 > 40, `${seg.length / 4} segments`);
  for (let k = 0; k < seg.length; k += 2) {
    const r = Math.hypot(seg[k]! - 20, seg[k + 1]! - 20);
    assert.ok(Math.abs(r - Math.sqrt(99.5)) < 0.3, `point at radius ${r}`);
  }
  // every endpoint is shared by exactly two segments: the contour is closed
  const count = new Map<string, number>();
  for (let k = 0; k < seg.length; k += 2) {
    const key = `${seg[k]!.toFixed(6)},${seg[k + 1]!.toFixed(6)}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  assert.ok([...count.values()].every((c) => c === 2));
  assert.deepEqual(contourSegments(values, n, n, -1), []);
});

test('marching squares: saddle cells are split by the centre value', () => {
  // corners (0,0)=1, (1,0)=0, (1,1)=1, (0,1)=0; centre 0.5
  const v = new Float64Array([1, 0, 0, 1]); // row j=0: [v(0,0), v(1,0)], row j=1: [v(0,1), v(1,1)]
  // centre above the level: the two high corners join through the middle; the low corners (1,0) and (0,1) are cut off
  const above = contourSegments(v, 2, 2, 0.4);
  assert.deepEqual(above, [0.6, 0, 1, 0.4, 0.4, 1, 0, 0.6]);
  const below = contourSegments(v, 2, 2, 0.6); // centre below: the high corners are cut off
  assert.equal(below.length, 8);
  const pts = [[below[0], below[1], below[2], below[3]], [below[4], below[5], below[6], below[7]]];
  // each segment cuts off one high corner: (0,0) or (1,1)
  const corners = pts.map(([a, b, c, d]) => Math.round((a! + c!) / 2 + (b! + d!) / 2));
  assert.deepEqual(corners.sort(), [0, 2]);
});

test('contour page: heat map, contour lines, one path per optimizer with legend, NaN-safe', () => {
  const nx = 60;
  const ny = 50;
  const extent = { xMin: -2, xMax: 2, yMin: -1, yMax: 3 };
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x = extent.xMin + (i / (nx - 1)) * (extent.xMax - extent.xMin);
      const y = extent.yMin + (j / (ny - 1)) * (extent.yMax - extent.yMin);
      values[j * nx + i] = (1 - x) ** 2 + 100 * (y - x * x) ** 2; // Rosenbrock
    }
  }
  const html = renderContourPaths({
    title: 'Rosenbrock',
    values,
    nx,
    ny,
    extent,
    paths: [
      { name: 'SGD', points: [[-1.5, 2], [-1, 1], [0, 0.2], [0.5, 0.3]] },
      { name: 'Adam & co', points: { x: [-1.5, -1.2, NaN, 0.9], y: [2, 1.5, NaN, 0.8] } },
    ],
    markers: [{ x: 1, y: 1, label: 'minimum' }],
    levels: 10,
  });
  assert.match(html, /^<!doctype html>/);
  assert.ok(!/NaN|Infinity/.test(html));
  assert.ok(html.includes('SGD') && html.includes('Adam &amp; co') && html.includes('minimum'));
  const rects = (html.match(/<rect /g) ?? []).length;
  assert.ok(rects > 100 && rects < 14400, `${rects} heat-map rects`);
  const levelPaths = html.match(/<title>f = [^<]*<\/title>/g) ?? [];
  assert.equal(levelPaths.length, 10);
  // auto level scale is logarithmic for Rosenbrock: most levels sit in the lower part of the range
  const lv = levelPaths.map((t) => Number(t.slice('<title>f = '.length, -'</title>'.length)));
  assert.ok(lv.filter((v) => v < 100).length >= 5, `levels ${lv.join(', ')}`);
  assert.throws(() => renderContourPaths({ values: new Float64Array(5), nx: 2, ny: 2, extent, paths: [] }), /expected nx·ny = 4/);
});
