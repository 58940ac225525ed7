/**
 * Fused backend kernels against their references: the wasm backend's adamStep (float32 SIMD, threaded
 * when large) against the portable kernel, and the Adam/AdamW optimizers on both backends against each
 * other and against their own op-by-op path. Also the edges of the wasm SIMD transcendentals that the
 * random-data comparison in wasm_backend.test.ts cannot see (signed zeros, denormal results).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { close } from './assertClose.js';
import * as nb from '../src/index.js';
import type { AdamHyper, View } from '../src/backends/backend.js';
import * as K from '../src/backends/ts/kernels.js';
import { createWasmBackend, type WasmBackend, type WasmBlock } from '../src/backends/wasm/index.js';

let seed = 987654321;
function rnd(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const randn = (n: number, scale = 1): number[] => Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);


const hyper = (over: Partial<AdamHyper> = {}): AdamHyper => ({
  beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** 3), bc2Sqrt: Math.sqrt(1 - 0.999 ** 3),
  l2: 0, shrink: 1, maximize: false, ...over,
});

const CASES: [string, Partial<AdamHyper>, boolean][] = [
  ['plain', {}, false],
  ['maximize', { maximize: true }, false],
  ['L2 (Adam weight decay)', { l2: 0.05 }, false],
  ['decoupled (AdamW shrink)', { shrink: 1 - 1e-3 * 0.01 }, false],
  ['amsgrad', {}, true],
  ['all at once', { maximize: true, l2: 0.01, stepSize: 0.05 }, true],
];

for (const threads of [1, 2]) {
  describe(`wasm adamStep (${threads} thread${threads > 1 ? 's' : ''}) against the reference kernel`, () => {
    let be: WasmBackend;
    before(async () => { be = await createWasmBackend({ threads }); });
    after(() => be.close());

    for (const [name, over, ams] of CASES) {
      test(`${name}: odd, vector-multiple and threaded sizes, with an offset, several steps`, () => {
        for (const n of [1, 3, 8, 1003, 100003]) {
          const off = n > 100 ? 5 : 0;
          const init = [randn(n + off, 2), randn(n + off), randn(n + off, 0.5), randn(n + off, 0.3).map((x) => x * x), randn(n + off, 0.3).map((x) => x * x)];
          const refs = init.map((a) => Float32Array.from(a));
          const blocks = init.map((a) => be.fromArray('float32', a));
          const wv = (b: WasmBlock): View<WasmBlock> => ({ data: b, dtype: 'float32', shape: [n], strides: [1], offset: off });
          const tv = (a: Float32Array): K.ArrView => ({ arr: a, shape: [n], strides: [1], offset: off });
          const [P, G, M, V, X] = blocks as [WasmBlock, WasmBlock, WasmBlock, WasmBlock, WasmBlock];
          const [rp, rg, rm, rv, rx] = refs as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
          for (let step = 0; step < 3; step++) {
            const h = hyper(over);
            be.adamStep!(wv(P), wv(G), wv(M), wv(V), ams ? wv(X) : null, h);
            K.adamStep(tv(rp), tv(rg), tv(rm), tv(rv), ams ? tv(rx) : null, h);
          }
          const read = (b: WasmBlock): Float32Array => be.read(b, 'float32', n + off) as Float32Array;
          // float32 arithmetic (SIMD) against double rounded once per store: a few ulp of the operands apart
          // (m and v are differences/sums of terms of the inputs' size, so their error is absolute)
          close(read(P), rp, 2e-6, 5e-7, `${name} n=${n} param`);
          close(read(M), rm, 2e-6, 3e-7, `${name} n=${n} m`);
          close(read(V), rv, 2e-6, 1e-8, `${name} n=${n} v`);
          if (ams) close(read(X), rx, 2e-6, 1e-8, `${name} n=${n} vmax`);
          assert.deepEqual(Array.from(read(G)), Array.from(rg), 'grad is only read');
          if (off) assert.deepEqual(Array.from(read(P).subarray(0, off)), Array.from(rp.subarray(0, off)), 'elements before the offset untouched');
          blocks.forEach((b) => be.dispose(b));
        }
      });
    }

    test('float64 and strided views take the reference path exactly', () => {
      const n = 37;
      const init = [randn(n), randn(n), randn(n), randn(n).map((x) => x * x)];
      const blocks = init.map((a) => be.fromArray('float64', a));
      const refs = init.map((a) => Float64Array.from(a));
      const wv = (b: WasmBlock): View<WasmBlock> => ({ data: b, dtype: 'float64', shape: [n], strides: [1], offset: 0 });
      const tv = (a: Float64Array): K.ArrView => ({ arr: a, shape: [n], strides: [1], offset: 0 });
      const h = hyper({ l2: 0.1 });
      be.adamStep!(wv(blocks[0]!), wv(blocks[1]!), wv(blocks[2]!), wv(blocks[3]!), null, h);
      K.adamStep(tv(refs[0]!), tv(refs[1]!), tv(refs[2]!), tv(refs[3]!), null, h);
      for (let k = 0; k < 4; k++) assert.deepEqual(Array.from(be.read(blocks[k]!, 'float64', n)), Array.from(refs[k]!));
      blocks.forEach((b) => be.dispose(b));
    });
  });
}

describe('Adam / AdamW through the fused kernel', () => {
  /** a few optimizer steps on a fixed quadratic-ish loss; returns the final parameters */
  function run(backend: string, opt: 'Adam' | 'AdamW', opts: Record<string, unknown>, dtype: 'float32' | 'float64' = 'float32'): number[][] {
    const prev = nb.getBackend();
    nb.setBackend(backend);
    try {
      seed = 42;
      const w = nb.tensor(randn(3 * 70001).map((x) => x * 0.5), { dtype, requiresGrad: true }).reshape([3, 70001]).detach().requiresGrad_();
      const b = nb.tensor(randn(5), { dtype, requiresGrad: true });
      const target = nb.tensor(randn(3 * 70001), { dtype }).reshape([3, 70001]);
      const o = new nb.optim[opt]([w, b], { lr: 0.01, ...opts });
      for (let s = 0; s < 4; s++) {
        o.zeroGrad();
        w.sub(target).square().mean().add(b.mul(b).sum()).backward();
        o.step();
      }
      return [Array.from(w.data()), Array.from(b.data())];
    } finally {
      nb.setBackend(prev);
    }
  }

  const variants: ['Adam' | 'AdamW', Record<string, unknown>][] = [
    ['Adam', {}], ['Adam', { weightDecay: 0.1, amsgrad: true }], ['Adam', { maximize: true }], ['AdamW', {}], ['AdamW', { amsgrad: true }],
  ];

  for (const [opt, opts] of variants) {
    test(`${opt} ${JSON.stringify(opts)}: fused equals op-by-op (ts, float64 bitwise; float32 within rounding)`, () => {
      const f64 = run('ts', opt, { ...opts, fused: true }, 'float64'), o64 = run('ts', opt, { ...opts, fused: false }, 'float64');
      assert.deepEqual(f64, o64);
      const f = run('ts', opt, { ...opts, fused: true }), o = run('ts', opt, { ...opts, fused: false });
      f.forEach((a, k) => close(a, o[k]!, 1e-5, 1e-7, `${opt} param ${k}`));
    });
  }

  test('wasm backend: fused SIMD step matches the ts backend and its own op-by-op path', async () => {
    if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 2 }));
    for (const [opt, opts] of variants) {
      const w = run('wasm', opt, { ...opts, fused: true });
      const t = run('ts', opt, { ...opts, fused: true });
      const wo = run('wasm', opt, { ...opts, fused: false });
      w.forEach((a, k) => close(a, t[k]!, 1e-5, 1e-7, `${opt} ${JSON.stringify(opts)} wasm vs ts, param ${k}`));
      w.forEach((a, k) => close(a, wo[k]!, 1e-5, 1e-7, `${opt} ${JSON.stringify(opts)} wasm fused vs op-by-op, param ${k}`));
    }
  });
});

describe('wasm SIMD transcendentals at the edges', () => {
  let be: WasmBackend;
  before(async () => { be = await createWasmBackend({ threads: 1 }); });
  after(() => be.close());
  const un = (op: 'relu' | 'sigmoid' | 'silu' | 'exp' | 'tanh' | 'gelu' | 'geluTanh', xs: number[]): number[] => {
    const d = be.fromArray('float32', xs);
    const o = be.unary(op, { data: d, dtype: 'float32', shape: [xs.length], strides: [1], offset: 0 }, 'float32');
    const r = Array.from(be.read(o, 'float32', xs.length));
    be.dispose(d); be.dispose(o);
    return r;
  };
  const ref = (op: Parameters<typeof un>[0], xs: number[]): number[] => {
    const out = new Float32Array(xs.length);
    K.unary(out, 'float32', op, { arr: Float32Array.from(xs), shape: [xs.length], strides: [1], offset: 0 });
    return Array.from(out);
  };

  test('relu gives +0 for negative inputs (not −0) and keeps −0 → +0, NaN → NaN', () => {
    // 8 elements: every one goes through the SIMD loop
    const r = un('relu', [-2, -0.5, -0, 0, 1.5, NaN, -Infinity, Infinity]);
    assert.ok(Object.is(r[0], 0) && Object.is(r[1], 0) && Object.is(r[6], 0), `${r}`);
    assert.ok(Number.isNaN(r[5]) && r[7] === Infinity && r[4] === 1.5);
  });

  test('sigmoid / silu / exp keep denormal results accurate; saturate to exact 0/1 and ±0', () => {
    const xs = [-100, -95, -88, -87.5, -1000, 1000, 100, 20];
    const s = un('sigmoid', xs), e = ref('sigmoid', xs);
    for (let i = 0; i < xs.length; i++) {
      assert.ok(Math.abs(s[i]! - e[i]!) <= 0.02 * Math.abs(e[i]!) + 1e-45, `sigmoid(${xs[i]}) = ${s[i]}, expected ${e[i]}`);
    }
    assert.equal(s[4], 0); assert.equal(s[5], 1);
    const si = un('silu', xs), esi = ref('silu', xs);
    for (let i = 0; i < xs.length; i++) {
      assert.ok(Math.abs(si[i]! - esi[i]!) <= 0.02 * Math.abs(esi[i]!) + 1e-43, `silu(${xs[i]}) = ${si[i]}, expected ${esi[i]}`);
    }
    assert.ok(Object.is(si[4], -0) && si[5] === 1000);
    const ex = [-87.5, -100, -103, 88, 88.7, 88.8, 89, 0, -0, 1e-30];
    const ge = un('exp', [...ex, 0, 0]).slice(0, ex.length), ee = ref('exp', ex);
    for (let i = 0; i < ex.length; i++) {
      assert.ok(ge[i] === ee[i] || Math.abs(ge[i]! - ee[i]!) <= 4e-7 * Math.abs(ee[i]!) + 1e-45, `exp(${ex[i]}) = ${ge[i]}, expected ${ee[i]}`);
    }
  });

  test('tanh, gelu and geluTanh: signs of zero, saturation, ±Inf and NaN as the reference', () => {
    const xs = [-0, 0, 1e-30, -1e-30, 30, -30, 1000, -1000, Infinity, -Infinity, NaN, 3.3e38, -3.3e38, 1e-3, -1e-3, -6];
    for (const op of ['tanh', 'gelu', 'geluTanh'] as const) {
      const g = un(op, xs), e = ref(op, xs);
      for (let i = 0; i < xs.length; i++) {
        if (Number.isNaN(e[i])) { assert.ok(Number.isNaN(g[i]), `${op}(${xs[i]}) = ${g[i]}, expected NaN`); continue; }
        if (e[i] === 0 || !Number.isFinite(e[i]!)) { assert.ok(Object.is(g[i], e[i]) || (op === 'geluTanh' && g[i] === e[i]), `${op}(${xs[i]}) = ${g[i]}, expected ${e[i]}`); continue; }
        assert.ok(Math.abs(g[i]! - e[i]!) <= 1e-6 * Math.abs(e[i]!) + 1e-9, `${op}(${xs[i]}) = ${g[i]}, expected ${e[i]}`);
      }
    }
  });
});

describe('softmax / logSoftmax of a row of all −Infinity (both backends agree, no workaround)', () => {
  test('logSoftmax gives −Inf, softmax gives NaN; mixed rows are finite; 0-d follows the same rule', () => {
    const x = nb.tensor([[-Infinity, -Infinity], [0, -Infinity]]);
    assert.deepEqual(Array.from(nb.logSoftmax(x, 1).data()), [-Infinity, -Infinity, 0, -Infinity]);
    const s = Array.from(nb.softmax(x, 1).data());
    assert.ok(Number.isNaN(s[0]) && Number.isNaN(s[1]));
    assert.deepEqual(s.slice(2), [1, 0]);
    assert.equal(nb.logSoftmax(nb.tensor(-Infinity), 0).item(), -Infinity);
    assert.equal(nb.logSoftmax(nb.tensor(3), 0).item(), 0);
    assert.equal(nb.softmax(nb.tensor(3), 0).item(), 1);
  });
});

for (const threads of [1, 2]) {
  describe(`wasm normRows (${threads} thread${threads > 1 ? 's' : ''}) against the reference kernel`, () => {
    let be: WasmBackend;
    before(async () => { be = await createWasmBackend({ threads }); });
    after(() => be.close());

    for (const rms of [false, true]) {
      test(`${rms ? 'RMS' : 'layer'} norm: row lengths 1..13, 64, 1001; many rows (threaded); an offset; a constant row`, () => {
        for (const [rows, cols] of [[3, 1], [5, 2], [4, 3], [2, 4], [7, 5], [3, 7], [2, 8], [3, 13], [9, 64], [5, 1001], [3000, 37]] as const) {
          const off = 3;
          const vals = randn(rows * cols + off, 3).map((v, i) => (i < off + cols ? 1.5 : v + 10 * Math.sin(i))); // first row constant
          const d = be.fromArray('float32', vals);
          const x: View<WasmBlock> = { data: d, dtype: 'float32', shape: [rows, cols], strides: [cols, 1], offset: off };
          const { y, rstd } = be.normRows!(x, rows, cols, 1e-5, rms);
          const ey = new Float32Array(rows * cols), er = new Float32Array(rows);
          K.normRows(ey, er, { arr: Float32Array.from(vals), shape: [rows, cols], strides: [cols, 1], offset: off }, cols, 1e-5, rms);
          close(be.read(y, 'float32', rows * cols), ey, 1e-5, 2e-5, `${rows}x${cols} y`);
          close(be.read(rstd, 'float32', rows), er, 1e-6, 0, `${rows}x${cols} rstd`);
          be.dispose(d); be.dispose(y); be.dispose(rstd);
        }
      });
    }
  });
}

describe('layerNorm / rmsNorm through the fused normRows forward', () => {
  const rnd = (shape: number[], s: number): nb.Tensor => {
    seed = s;
    return nb.tensor(randn(shape.reduce((a, b) => a * b, 1)), { dtype: 'float64', requiresGrad: true }).reshape(shape).detach().requiresGrad_();
  };
  test('gradcheck and gradgradcheck (affine, several trailing dims, a transposed input that takes the op path)', () => {
    const { gradcheck, gradgradcheck } = nb.autograd;
    const cases: [string, (...xs: nb.Tensor[]) => nb.Tensor, nb.Tensor[]][] = [
      ['layerNorm', (x, w, b) => nb.layerNorm(x, [5], w, b), [rnd([3, 5], 1), rnd([5], 2), rnd([5], 3)]],
      ['layerNorm 2 dims', (x) => nb.layerNorm(x, [2, 3]), [rnd([2, 2, 3], 4)]],
      ['layerNorm transposed', (x) => nb.layerNorm(x.transpose(0, 1), 3), [rnd([3, 2], 5)]],
      ['rmsNorm', (x, w) => nb.rmsNorm(x, [4], w), [rnd([3, 4], 6), rnd([4], 7)]],
      ['rmsNorm 2 dims', (x) => nb.rmsNorm(x, [2, 2], null, 1e-3), [rnd([3, 2, 2], 8)]],
    ];
    for (const [name, fn, xs] of cases) {
      assert.ok(gradcheck(fn, xs, { name }), name);
      assert.ok(gradgradcheck(fn, xs, { name }), `${name} (second order)`);
    }
  });

  test('values match the op-by-op definition (float32 on the current backend, float64 exactly-ish)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      seed = 11;
      const x = nb.tensor(randn(6 * 37, 4), { dtype }).reshape([2, 3, 37]);
      const w = nb.tensor(randn(37), { dtype }), b = nb.tensor(randn(37), { dtype });
      const mu = x.mean(-1, true), xc = x.sub(mu), v = xc.square().mean(-1, true);
      const ref = xc.mul(v.add(1e-5).rsqrt()).mul(w).add(b);
      const tol = dtype === 'float32' ? 2e-5 : 1e-12;
      close(nb.layerNorm(x, 37, w, b).data(), ref.data(), tol, tol, `layerNorm ${dtype}`);
      const rref = x.mul(x.square().mean(-1, true).add(1e-6).rsqrt()).mul(w);
      close(nb.rmsNorm(x, [37], w, 1e-6).data(), rref.data(), tol, tol, `rmsNorm ${dtype}`);
    }
  });

  test('wasm backend: layerNorm/rmsNorm forward and gradients match the ts backend (float32)', async () => {
    if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 2 }));
    const run = (backend: string): number[][] => {
      const prev = nb.getBackend();
      nb.setBackend(backend);
      try {
        seed = 77;
        const x = nb.tensor(randn(64 * 129, 2)).reshape([64, 129]).requiresGrad_();
        const w = nb.tensor(randn(129)).requiresGrad_();
        const y = nb.layerNorm(x, 129, w, null).add(nb.rmsNorm(x.mul(0.5), 129, w));
        y.mul(nb.tensor(randn(64 * 129)).reshape([64, 129])).sum().backward();
        return [Array.from(y.data()), Array.from(x.grad!.data()), Array.from(w.grad!.data())];
      } finally {
        nb.setBackend(prev);
      }
    };
    const a = run('wasm'), b = run('ts');
    close(a[0]!, b[0]!, 1e-5, 1e-5, 'y');
    close(a[1]!, b[1]!, 1e-4, 1e-5, 'dx');
    close(a[2]!, b[2]!, 1e-4, 1e-4, 'dw');
  });
});

for (const threads of [1, 2]) {
  describe(`wasm crossEntropyRows (${threads} thread${threads > 1 ? 's' : ''}) against the reference kernel`, () => {
    let be: WasmBackend;
    before(async () => { be = await createWasmBackend({ threads }); });
    after(() => be.close());

    const IGNORE = -100;
    /** rows of random logits (scale 8) plus, when cols allows, rows at ±1e4, one with NaN, one of all −Inf, one with +Inf */
    function problem(rows: number, cols: number): { x: number[]; t: number[] } {
      const x = randn(rows * cols, 8);
      const t = Array.from({ length: rows }, (_, r) => (r % 7 === 3 ? IGNORE : Math.floor(rnd() * cols)));
      if (rows >= 6) {
        for (let j = 0; j < cols; j++) { x[j] = j % 2 ? -1e4 : 1e4 - j; x[cols + j] = -Infinity; }
        x[2 * cols + (cols >> 1)] = NaN;
        x[4 * cols + 1] = Infinity;
        x[5 * cols] = -Infinity; // one −Inf logit in an ordinary row: probability exactly 0
      }
      return { x, t };
    }

    test('loss, max and log-sum: row lengths 4..9, 16, 17, 63, 1000, 4097; many rows (threaded); special rows', () => {
      for (const [rows, cols] of [[7, 4], [7, 5], [9, 6], [8, 7], [6, 9], [30, 16], [6, 17], [50, 63], [40, 1000], [3, 4097], [300, 300]] as const) {
        const { x, t } = problem(rows, cols);
        const xb = be.fromArray('float32', x), tb = be.fromArray('int32', t);
        const got = be.crossEntropyRows!({ data: xb, dtype: 'float32', shape: [rows, cols], strides: [cols, 1], offset: 0 },
          { data: tb, dtype: 'int32', shape: [rows], strides: [1], offset: 0 }, IGNORE);
        const ref = [new Float32Array(rows), new Float32Array(rows), new Float32Array(rows)] as const;
        K.crossEntropyRows(ref[0], ref[1], ref[2], { arr: Float32Array.from(x), shape: [rows, cols], strides: [cols, 1], offset: 0 },
          { arr: Int32Array.from(t), shape: [rows], strides: [1], offset: 0 }, cols, IGNORE);
        const what = `${rows}×${cols}`;
        close(be.read(got.loss, 'float32', rows), ref[0], 2e-6, 2e-6, `${what} loss`);
        close(be.read(got.max, 'float32', rows), ref[1], 0, 0, `${what} max`);
        close(be.read(got.logSum, 'float32', rows), ref[2], 1e-6, 1e-7, `${what} logSum`);
        // the gradient: g per row (stride 1), and a broadcast g (stride 0, as the mean's backward gives)
        for (const gStride of [1, 0]) {
          const g = randn(rows, 2);
          const gb = be.fromArray('float32', g);
          const v = (b: WasmBlock): View<WasmBlock> => ({ data: b, dtype: 'float32', shape: [rows], strides: [1], offset: 0 });
          const dx = be.crossEntropyRowsGrad!({ data: xb, dtype: 'float32', shape: [rows, cols], strides: [cols, 1], offset: 0 },
            v(got.max), v(got.logSum), { data: tb, dtype: 'int32', shape: [rows], strides: [1], offset: 0 },
            { data: gb, dtype: 'float32', shape: [rows], strides: [gStride], offset: 0 }, IGNORE);
          const rdx = new Float32Array(rows * cols);
          const tv = (a: Float32Array): K.ArrView => ({ arr: a, shape: [rows], strides: [1], offset: 0 });
          K.crossEntropyRowsGrad(rdx, { arr: Float32Array.from(x), shape: [rows, cols], strides: [cols, 1], offset: 0 }, tv(ref[1]), tv(ref[2]),
            { arr: Int32Array.from(t), shape: [rows], strides: [1], offset: 0 }, { arr: Float32Array.from(g), shape: [rows], strides: [gStride], offset: 0 }, cols, IGNORE);
          close(be.read(dx, 'float32', rows * cols), rdx, 2e-6, 1e-7, `${what} grad (g stride ${gStride})`);
          be.dispose(dx); be.dispose(gb);
        }
        for (const b of [xb, tb, got.loss, got.max, got.logSum]) be.dispose(b);
      }
    });
  });
}

describe('crossEntropy through the fused node', () => {
  test('float32 on the wasm backend matches the ts backend: loss and logit gradients (mean, sum, weighted, ignored rows)', async () => {
    if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 2 }));
    const rows = 97, cols = 37;
    const x = randn(rows * cols, 5), t = Array.from({ length: rows }, (_, r) => (r % 11 === 0 ? -100 : (r * 7) % cols));
    const w = randn(cols, 1).map((v) => 1 + v / 2);
    for (const opts of [{}, { reduction: 'sum' as const }, { weight: true }]) {
      const run = (backend: string): [number, Float32Array] => {
        const prev = nb.getBackend();
        nb.setBackend(backend);
        try {
          const xt = nb.tensor(x).reshape([rows, cols]).requiresGrad_();
          const loss = nb.crossEntropy(xt, nb.tensor(t, { dtype: 'int32' }), { reduction: opts.reduction, weight: opts.weight ? nb.tensor(w) : undefined });
          loss.backward();
          return [loss.item(), Float32Array.from(xt.grad!.data())];
        } finally { nb.setBackend(prev); }
      };
      const [lt, gt] = run('ts'), [lw, gw] = run('wasm');
      close([lw], [lt], 2e-6, 0, `loss ${JSON.stringify(opts)}`);
      close(gw, gt, 2e-5, 1e-8, `grad ${JSON.stringify(opts)}`);
    }
  });
});
