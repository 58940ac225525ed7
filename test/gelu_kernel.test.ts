/**
 * The GELU backward kernel (Backend.geluBackward: dx = g·(Φ(x) + x·φ(x))) and the SIMD erf of the wasm backend
 * (src/backends/wasm/kernels/gelu.ts):
 *  - the float64 reference kernel against central differences of the float64 GELU (an independent derivation);
 *  - the wasm float32 kernel against that float64 reference on the same float32 inputs, with 1 and 2 threads,
 *    with and without relaxed SIMD, odd lengths (the scalar tail), pool-split lengths, strided and broadcast
 *    operands, and special values. Tolerance: |Δ| ≤ 2.5e-7·|g| + (1e-6 + 1e-7·x²/2)·|ref| — an absolute part of
 *    two float32 ulp of GELU' ≤ 1.13, and a relative part that grows with the exp argument's rounding (|x²/2|·6e-8,
 *    PyTorch's float32 has the same). For |x| > 13.19 GELU' < 1e-37 and the kernel flushes it to 0 (within the
 *    absolute part);
 *  - erf against the float64 reference: relative 3e-6 (measured 1.5e-7), signs of zeros, ±Inf, NaN;
 *  - the GPT MLP's geluFast: its gradient is the kernel's, equal to the float64 gradient of nb.gelu.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { close } from './assertClose.js';
import * as nb from '../src/index.js';
import type { View } from '../src/backends/backend.js';
import * as K from '../src/backends/ts/kernels.js';
import { createWasmBackend, type WasmBackend, type WasmBlock } from '../src/backends/wasm/index.js';

let seed = 24680;
function rnd(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-4, -1e-4, 0.5, -0.5, -0.7518, 1, -1, 2.9, -2.9, 3, -3, 4, -4, 5.3, -5.3, 6, -6,
  8.49, -8.49, 10, -10, 13.1, -13.1, 13.3, -13.3, 20, -20, 100, -100, 3.3e38, -3.3e38, Infinity, -Infinity, NaN];

const ref64 = (x: Float32Array, g: Float32Array): Float64Array => {
  const o = new Float64Array(x.length);
  K.geluBackward(o, { arr: x, shape: [x.length], strides: [1], offset: 0 }, { arr: g, shape: [g.length], strides: [1], offset: 0 });
  return o;
};
const tolOf = (x: ArrayLike<number>, g: ArrayLike<number>, ref: ArrayLike<number>) => (i: number): number =>
  2.5e-7 * Math.abs(g[i]!) + (Number.isFinite(x[i]!) ? (1e-6 + 1e-7 * x[i]! * x[i]! / 2) * Math.abs(ref[i]!) : 0);

test('reference geluBackward = central differences of the float64 GELU, and its limits', () => {
  const gelu = K.unaryFn('gelu');
  const xs = Float64Array.from({ length: 2001 }, (_, i) => -10 + i / 100);
  const gs = Float64Array.from(xs, (_, i) => 0.5 + (i % 5));
  const o = new Float64Array(xs.length);
  K.geluBackward(o, { arr: xs, shape: [xs.length], strides: [1], offset: 0 }, { arr: gs, shape: [gs.length], strides: [1], offset: 0 });
  // h = 1e-4: truncation h²·|GELU'''|/6 < 2e-9, rounding of the reference GELU (~1e-13) / h ~ 1e-9
  const h = 1e-4;
  xs.forEach((x, i) => {
    const fd = gs[i]! * (gelu(x + h) - gelu(x - h)) / (2 * h);
    assert.ok(Math.abs(o[i]! - fd) <= 1e-8 * gs[i]!, `x = ${x}: ${o[i]} vs ${fd}`);
  });
  // the lower tail relative to itself: GELU'(x) = Φ(x) + x·φ(x) ≈ −φ(x)(x − 1/x + ...) for x → −∞
  const one = Float64Array.of(1);
  for (const x of [-10, -20, -30]) {
    const d = new Float64Array(1);
    K.geluBackward(d, { arr: Float64Array.of(x), shape: [1], strides: [1], offset: 0 }, { arr: one, shape: [1], strides: [1], offset: 0 });
    const phi = Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    // Φ(x) by its asymptotic series φ/|x|·(1 − 1/x² + 3/x⁴ − 15/x⁶ + 105/x⁸)
    const x2 = x * x, cdf = phi / -x * (1 - 1 / x2 + 3 / x2 ** 2 - 15 / x2 ** 3 + 105 / x2 ** 4);
    assert.ok(Math.abs(d[0]! - (cdf + x * phi)) <= 1e-6 * Math.abs(d[0]!), `x = ${x}: ${d[0]} vs ${cdf + x * phi}`);
  }
  const lim = new Float64Array(3);
  K.geluBackward(lim, { arr: Float64Array.of(Infinity, -Infinity, NaN), shape: [3], strides: [1], offset: 0 }, { arr: Float64Array.of(2, 2, 2), shape: [3], strides: [1], offset: 0 });
  assert.deepEqual([...lim], [2, 0, NaN]);
});

const configs = [
  { threads: 1, relaxedSimd: true, name: '1 thread' },
  { threads: 2, relaxedSimd: true, name: '2 threads' },
  { threads: 2, relaxedSimd: false, name: 'plain SIMD, 2 threads' },
];
for (const { name, ...opts } of configs) {
  describe(`wasm GELU backward and erf kernels (${name})`, () => {
    let be: WasmBackend;
    before(async () => { be = await createWasmBackend(opts); });
    after(() => be.close());
    const view = (b: WasmBlock, shape: number[], strides?: number[], offset = 0): View<WasmBlock> =>
      ({ data: b, dtype: 'float32', shape, strides: strides ?? K.contiguousStrides(shape), offset });
    const read = (b: WasmBlock, n: number): Float32Array => { const r = be.read(b, 'float32', n).slice() as Float32Array; be.dispose(b); return r; };

    test('geluBackward: contiguous sizes (tails, pool-split), within the stated tolerance of float64', () => {
      for (const n of [1, 3, 4, 7, 64, 1003, 100003, 589824 + 5]) {
        const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * (rnd() < 0.1 ? 15 : 4));
        const g = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * 3);
        const xb = be.fromArray('float32', x), gb = be.fromArray('float32', g);
        const got = read(be.geluBackward!(view(xb, [n]), view(gb, [n])), n);
        const ref = ref64(x, g);
        close(got, ref, 0, tolOf(x, g, ref), `geluBackward n=${n}`);
        be.dispose(xb); be.dispose(gb);
      }
    });

    test('geluBackward: a dense sweep of [−16, 16] and the special values', () => {
      const sweep = Array.from({ length: 64001 }, (_, i) => -16 + i / 2000);
      const vals = Float32Array.from([...sweep, ...SPECIAL]);
      const g = Float32Array.from(vals, (_, i) => 1 + (i % 3) / 4);
      const xb = be.fromArray('float32', vals), gb = be.fromArray('float32', g);
      const got = read(be.geluBackward!(view(xb, [vals.length]), view(gb, [vals.length])), vals.length);
      const ref = ref64(vals, g);
      close(got, ref, 0, tolOf(vals, g, ref), 'geluBackward sweep');
      const at = (v: number) => got[sweep.length + SPECIAL.findIndex((s) => Object.is(s, v))]! / g[sweep.length + SPECIAL.findIndex((s) => Object.is(s, v))]!;
      assert.equal(at(Infinity), 1);
      assert.equal(at(-Infinity), 0);
      assert.ok(Number.isNaN(at(NaN)));
      assert.equal(at(3.3e38), 1);
      be.dispose(xb); be.dispose(gb);
    });

    test('geluBackward: transposed x, broadcast g, and an offset view', () => {
      const [R, C] = [37, 29];
      const x = Float32Array.from({ length: R * C + 3 }, () => (rnd() * 2 - 1) * 5);
      const gRow = Float32Array.from({ length: R }, () => rnd() * 2 - 1);
      const xb = be.fromArray('float32', x), gb = be.fromArray('float32', gRow);
      // x viewed transposed [R, C] with strides [1, R]; g a column broadcast along C (stride 0)
      const xt = { arr: x, shape: [R, C], strides: [1, R], offset: 3 }, gt = { arr: gRow, shape: [R, C], strides: [1, 0], offset: 0 };
      const got = read(be.geluBackward!(view(xb, [R, C], [1, R], 3), view(gb, [R, C], [1, 0])), R * C);
      const ref = new Float64Array(R * C);
      K.geluBackward(ref, xt, gt);
      const xd = new Float64Array(R * C), gd = new Float64Array(R * C);
      K.unary(xd, 'float64', 'neg', xt); K.unary(gd, 'float64', 'neg', gt);
      close(got, ref, 0, tolOf(xd, gd, ref), 'geluBackward strided');
      be.dispose(xb); be.dispose(gb);
    });

    test('erf: contiguous sizes, a sweep and special values, relative 3e-6 of float64', () => {
      const f = K.unaryFn('erf');
      for (const n of [3, 1003, 100003]) {
        const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * (rnd() < 0.5 ? 1.2 : 5));
        const xb = be.fromArray('float32', x);
        close(read(be.unary('erf', view(xb, [n]), 'float32'), n), Array.from(x, f), 3e-6, 1e-37, `erf n=${n}`);
        be.dispose(xb);
      }
      const vals = Float32Array.from([...Array.from({ length: 20001 }, (_, i) => -5 + i / 2000), ...SPECIAL]);
      const xb = be.fromArray('float32', vals);
      const got = read(be.unary('erf', view(xb, [vals.length]), 'float32'), vals.length);
      close(got, Array.from(vals, f), 3e-6, 1e-37, 'erf sweep');
      const at = (v: number) => got[20001 + SPECIAL.findIndex((s) => Object.is(s, v))]!;
      assert.ok(Object.is(at(-0), -0) && Object.is(at(0), 0), 'erf keeps the sign of zero');
      assert.equal(at(Infinity), 1); assert.equal(at(-Infinity), -1); assert.equal(at(4), 1);
      be.dispose(xb);
    });
  });
}

test('the GPT MLP\'s geluFast takes the backend kernel, and its gradient is float64 nb.gelu\'s', async () => {
  const { geluFast } = await import('../src/nn/geluFast.js');
  const be = nb.ones([1]).backend;
  assert.equal(typeof be.geluBackward, 'function', `backend ${be.name} has the geluBackward kernel`);
  const vals = Array.from({ length: 3001 }, (_, i) => -15 + i / 100);
  const x = nb.tensor(vals, { dtype: 'float32' }).requiresGrad_(true);
  const w = nb.tensor(vals.map((_, i) => 1 + (i % 4) / 3), { dtype: 'float32' });
  const [g32] = nb.autograd.grad(geluFast(x).mul(w).sum(), [x]);
  const x64 = nb.tensor(vals, { dtype: 'float64' }).requiresGrad_(true);
  const [g64] = nb.autograd.grad(nb.gelu(x64).mul(w.to('float64')).sum(), [x64]);
  const a = g32!.dataArray(), e = g64!.dataArray(), ws = w.dataArray();
  close(a, e, 0, tolOf(vals, ws, e), 'geluFast gradient');
});
