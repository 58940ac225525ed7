/**
 * The kernels take fast paths by layout (contiguous rows, broadcast rows, a reduced middle axis, gather /
 * scatter with matching extents, im2col's valid-column ranges). The op-case table uses small shapes; these
 * cases use shapes large enough to reach every path and compare with plain index arithmetic in float64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const g = new nb.Generator(11);
const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5, what = ''): void => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!, v = got[i]!;
    assert.ok(Math.abs(v - w) <= tol * (1 + Math.abs(w)), `${what}: element ${i}: got ${v}, want ${w}`);
  }
};
const strides = (shape: number[]): number[] => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
const at = (data: ArrayLike<number>, shape: number[], idx: number[]): number => data[idx.reduce((o, v, d) => o + v * strides(shape)[d]!, 0)]!;
const indices = (shape: number[]): number[][] => {
  const out: number[][] = [];
  const n = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) out.push(shape.map((_, d) => Math.floor(i / strides(shape)[d]!) % shape[d]!));
  return out;
};

test('binary ops on broadcast and strided operands with long rows', () => {
  const cases: [number[], number[]][] = [
    [[6, 10], [6, 1]],
    [[6, 10], [1, 10]],
    [[3, 4, 9, 9], [1, 4, 1, 1]],
    [[2, 3, 16], [2, 1, 16]],
    [[5, 1, 12], [1, 7, 12]],
  ];
  for (const [sa, sb] of cases) {
    const a = nb.randn(sa, { generator: g }), b = nb.randn(sb, { generator: g });
    const out = sa.map((d, i) => Math.max(d, sb[i]!));
    const A = a.data(), B = b.data();
    for (const [name, f] of [['add', (x: number, y: number) => x + y], ['mul', (x: number, y: number) => x * y], ['sub', (x: number, y: number) => x - y], ['maximum', Math.max]] as const) {
      const got = (nb as unknown as Record<string, (x: nb.Tensor, y: nb.Tensor) => nb.Tensor>)[name]!(a, b).data();
      const want = indices(out).map((ix) => f(at(A, sa, ix.map((v, d) => (sa[d] === 1 ? 0 : v))), at(B, sb, ix.map((v, d) => (sb[d] === 1 ? 0 : v)))));
      close(got, want, 1e-6, `${name} ${JSON.stringify(sa)} ⊕ ${JSON.stringify(sb)}`);
    }
    const gt = nb.gt(a, b).data();
    const wantGt = indices(out).map((ix) => (at(A, sa, ix.map((v, d) => (sa[d] === 1 ? 0 : v))) > at(B, sb, ix.map((v, d) => (sb[d] === 1 ? 0 : v))) ? 1 : 0));
    close(gt, wantGt, 0, 'gt');
  }
  // a transposed operand (strided rows) against a contiguous one
  const t = nb.randn([12, 9], { generator: g }).transpose(0, 1);
  const c = nb.randn([9, 12], { generator: g });
  close(t.add(c).data(), Array.from(t.contiguous().data(), (v, i) => v + c.data()[i]!), 1e-6, 'transposed + contiguous');
});

test('sum / max / min / argmax over a middle axis and over axis runs', () => {
  const shape = [3, 7, 10];
  const x = nb.randn(shape, { generator: g });
  const X = x.data();
  for (const axis of [0, 1]) {
    const outShape = shape.filter((_, d) => d !== axis);
    const want = (f: (vals: number[]) => number): number[] =>
      indices(outShape).map((ix) => f(Array.from({ length: shape[axis]! }, (_, r) => at(X, shape, [...ix.slice(0, axis), r, ...ix.slice(axis)]))));
    close(nb.sum(x, axis).data(), want((v) => v.reduce((a, b) => a + b, 0)), 1e-5, `sum ${axis}`);
    close(nb.amax(x, axis).data(), want((v) => Math.max(...v)), 0, `amax ${axis}`);
    close(nb.amin(x, axis).data(), want((v) => Math.min(...v)), 0, `amin ${axis}`);
    close(nb.argmax(x, axis).data(), want((v) => v.indexOf(Math.max(...v))), 0, `argmax ${axis}`);
    close(nb.argmin(x, axis).data(), want((v) => v.indexOf(Math.min(...v))), 0, `argmin ${axis}`);
    close(nb.prod(x, axis).data(), want((v) => v.reduce((a, b) => a * b, 1)), 1e-5, `prod ${axis}`);
  }
  close(nb.sum(nb.randn([2, 3, 4, 5], { generator: g }), [1, 2]).shape, [2, 5], 0, 'sum over a run of axes keeps the rest');
  // separate runs of axes (a conv bias gradient: [N, C, H, W] summed over 0, 2, 3) reduce in two passes
  const y4 = nb.randn([3, 4, 5, 6], { generator: g });
  const Y4 = y4.data();
  for (const [name, f, init] of [['sum', (a: number, b: number) => a + b, 0], ['amax', Math.max, -Infinity], ['amin', Math.min, Infinity]] as const) {
    const want = new Float64Array(4).fill(init);
    for (const [n, c, h, w] of indices([3, 4, 5, 6])) want[c!] = f(want[c!]!, at(Y4, [3, 4, 5, 6], [n!, c!, h!, w!]));
    const got = (nb as unknown as Record<string, (x: nb.Tensor, d: number[]) => nb.Tensor>)[name]!(y4, [0, 2, 3]);
    close(got.data(), want, 1e-5, `${name} over [0, 2, 3]`);
  }
  // NaN propagates through max and is the arg-extreme, as in PyTorch
  const withNaN = nb.tensor([[1, 5, 2, 0, 0, 0, 0, 0, 0], [3, NaN, 4, 0, 0, 0, 0, 0, 0], [9, 0, NaN, 0, 0, 0, 0, 0, 0]]);
  const m = Array.from(nb.amax(withNaN, 0).data());
  assert.ok(Number.isNaN(m[1]) && Number.isNaN(m[2]) && m[0] === 9);
  assert.deepEqual(Array.from(nb.argmax(withNaN, 0).data()).slice(0, 3), [2, 1, 2]);
});

test('gather and scatter-add along an axis with matching extents', () => {
  const x = nb.randn([5, 6, 4], { generator: g, requiresGrad: true });
  const idx = nb.randint(0, 6, [5, 3, 4], { generator: g });
  const y = nb.gather(x, 1, idx);
  const X = x.data(), I = idx.data();
  close(y.data(), indices([5, 3, 4]).map(([a, b, c]) => at(X, [5, 6, 4], [a!, at(I, [5, 3, 4], [a!, b!, c!]), c!])), 0, 'gather');
  const w = nb.randn([5, 3, 4], { generator: g });
  y.mul(w).sum().backward();
  const want = new Float64Array(5 * 6 * 4);
  for (const [a, b, c] of indices([5, 3, 4])) want[(a! * 6 + at(I, [5, 3, 4], [a!, b!, c!])) * 4 + c!] += at(w.data(), [5, 3, 4], [a!, b!, c!]);
  close(x.grad!.data(), want, 1e-6, 'scatter-add (gather backward)');
  assert.throws(() => nb.gather(x, 1, nb.full([5, 3, 4], 6, { dtype: 'int32' })), /out of bounds/);
});

test('im2col / col2im with stride, padding and dilation against direct loops', () => {
  for (const [stride, padding, dilation, k] of [[1, 1, 1, 3], [2, 0, 1, 3], [2, 2, 2, 3], [3, 1, 1, 2]] as const) {
    const x = nb.randn([2, 3, 9, 11], { generator: g, requiresGrad: true });
    const w = nb.randn([4, 3, k, k], { generator: g });
    const y = nb.conv2d(x, w, null, { stride, padding, dilation });
    const [N, C, H, W] = [2, 3, 9, 11];
    const OH = Math.floor((H + 2 * padding - dilation * (k - 1) - 1) / stride) + 1;
    const OW = Math.floor((W + 2 * padding - dilation * (k - 1) - 1) / stride) + 1;
    assert.deepEqual(y.shape, [N, 4, OH, OW]);
    const X = x.data(), Wd = w.data();
    const want = new Float64Array(N * 4 * OH * OW);
    const gy = nb.randn(y.shape, { generator: g });
    const GY = gy.data();
    const dx = new Float64Array(N * C * H * W);
    for (let n = 0; n < N; n++)
      for (let o = 0; o < 4; o++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            const oi = ((n * 4 + o) * OH + oy) * OW + ox;
            for (let c = 0; c < C; c++)
              for (let ki = 0; ki < k; ki++)
                for (let kj = 0; kj < k; kj++) {
                  const yy = oy * stride - padding + ki * dilation, xx = ox * stride - padding + kj * dilation;
                  if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
                  const xi = ((n * C + c) * H + yy) * W + xx, wi = ((o * C + c) * k + ki) * k + kj;
                  want[oi] += X[xi]! * Wd[wi]!;
                  dx[xi] += GY[oi]! * Wd[wi]!;
                }
          }
    close(y.data(), want, 1e-4, `conv2d s${stride} p${padding} d${dilation} k${k}`);
    y.mul(gy).sum().backward();
    close(x.grad!.data(), dx, 1e-4, `conv2d input gradient (col2im) s${stride} p${padding} d${dilation} k${k}`);
  }
});
