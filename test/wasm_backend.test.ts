/**
 * The wasm backend against the reference kernels: every kernel of the interface on random data,
 * contiguous, strided (transposed) and broadcast (stride 0) inputs, single- and multi-threaded.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { close } from './assertClose.js';
import { arrayFor, type DType, type TypedArray } from '../src/dtype.js';
import type { BinaryOp, UnaryOp, View } from '../src/backends/backend.js';
import * as K from '../src/backends/ts/kernels.js';
import { createWasmBackend, wasmAvailable, type WasmBackend, type WasmBlock } from '../src/backends/wasm/index.js';
import { UNARY_OPS } from '../src/backends/unaryOps.js';

// Node 20 and current browsers validate WebAssembly SIMD: these tests run everywhere nabla supports, never skip
test('this runtime has WebAssembly SIMD (the wasm backend is available)', () => assert.equal(wasmAvailable(), true));

let seed = 12345;
function rnd(): number {
  // xorshift: deterministic inputs make failures reproducible
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const randn = (n: number, scale = 1): number[] => Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);

/** the same strided view on both sides: wasm block and plain typed array */
interface Pair { w: View<WasmBlock>; t: K.ArrView; }

function makePair(be: WasmBackend, dtype: DType, values: number[], shape: number[], strides?: number[], offset = 0): Pair {
  const data = be.fromArray(dtype, values);
  const t = arrayFor(dtype, values.length);
  if (dtype === 'bool') values.forEach((v, i) => (t[i] = v ? 1 : 0)); else t.set(values);
  const st = strides ?? K.contiguousStrides(shape);
  return { w: { data, dtype, shape, strides: st, offset }, t: { arr: t, shape, strides: st, offset } };
}

/** storage size a strided view needs */
function span(shape: number[], strides: number[], offset = 0): number {
  return offset + 1 + shape.reduce((s, n, i) => s + (n - 1) * strides[i]!, 0);
}

function randPair(be: WasmBackend, dtype: DType, shape: number[], strides?: number[], scale = 3, map?: (v: number) => number): Pair {
  const st = strides ?? K.contiguousStrides(shape);
  const n = span(shape, st);
  let vals = randn(n, scale);
  if (map) vals = vals.map(map);
  if (dtype === 'int32') vals = vals.map((v) => Math.round(v * 3));
  if (dtype === 'bool') vals = vals.map((v) => (v > 0 ? 1 : 0));
  return makePair(be, dtype, vals, shape, st);
}


function readOut(be: WasmBackend, d: WasmBlock, dtype: DType, n: number): TypedArray {
  const r = be.read(d, dtype, n).slice();
  be.dispose(d);
  return r;
}

// every unary op: the keys of the reference kernel table (which defines the set)
const UNARY = Object.keys(UNARY_OPS) as UnaryOp[];
const PARAMS: Partial<Record<UnaryOp, number[]>> = { leakyRelu: [0.1], clamp: [-1, 1.5], powScalar: [3], step: [0.25] };
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'logicalAnd', 'logicalOr'];
const boolOut = (op: string): boolean => ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalNot', 'isnan'].includes(op);

/** values exercising the edges of the SIMD approximations */
const SPECIAL = [0, -0, 1, -1, 0.39, 0.41, -0.39, -0.41, 1e-4, -1e-4, 1e-30, 5, -5, 9, -9, 20, -20, 80, -80, 88.5, 88.8,
  -87.5, -100, -104, 120, -120, NaN, Infinity, -Infinity, 3.3e38, -3.3e38, 1.5, 2.5, -2.5];

/**
 * The absolute part of the unary tolerance (the relative part is 3e-6: float32 SIMD approximations are within a few
 * ulp of the correctly rounded value). The GELUs' tails (|result| < 1e-9 for x < −6) carry the rounding of the
 * float32 exp argument (~z²·eps relative); exact GELU's fast form on [−3, 0) computes Φ as 1/2 + x·R, which
 * cancels, so its error there is absolute in Φ: documented ≤ 2.4e-7·|x| (4 float32 ulp of 1/2; measured 1.2e-7·|x|).
 */
function unaryAtol(op: UnaryOp, x: K.ArrView): number | ((i: number) => number) {
  if (op === 'geluTanh') return 1e-9;
  if (op !== 'gelu') return 1e-37;
  const xs = new Float64Array(K.numel(x.shape));
  K.unary(xs, 'float64', 'neg', x);
  return (i) => 1e-9 + (xs[i]! > 0 && xs[i]! <= 3 ? 2.4e-7 * xs[i]! : 0);
}

const configs = [
  // relaxed SIMD (fused multiply-add, the 5×8 GEMM tile) as nabla's default backend uses it in Node
  { threads: 1, relaxedSimd: true, name: '1 thread' },
  { threads: 2, relaxedSimd: true, name: '2 threads' },
  // plain SIMD kernels (the other GEMM blocking, no fused multiply-add) where the runtime also has relaxed SIMD
  { threads: 2, relaxedSimd: false, name: 'plain SIMD, 2 threads' },
  // a browser page without cross-origin isolation: unshared memory (views must follow its growth), one thread
  { threads: 2, sharedMemory: false, relaxedSimd: true, name: 'unshared memory' },
];
for (const { name, ...opts } of configs) {
  describe(`wasm backend (${name})`, () => {
    let be: WasmBackend;
    before(async () => { be = await createWasmBackend(opts); });
    after(() => be.close());

    test('reports its thread count and memory kind', () => {
      assert.equal(be.threads, opts.sharedMemory === false ? 1 : opts.threads);
      assert.equal(be.features.shared, opts.sharedMemory !== false);
      // Node 20 has relaxed SIMD behind a flag that relaxedSimd: true turns on; false keeps the plain kernels
      assert.equal(be.features.relaxed, opts.relaxedSimd);
    });

    test('unary: every op, contiguous (odd length), transposed, broadcast and special values (float32)', () => {
      for (const op of UNARY) {
        const dt: DType = boolOut(op) ? 'bool' : 'float32';
        const p = PARAMS[op];
        const cases: Pair[] = [
          randPair(be, 'float32', [1003]),
          randPair(be, 'float32', [17, 9], [1, 17]),
          randPair(be, 'float32', [5, 7], [0, 1]),
          makePair(be, 'float32', SPECIAL, [SPECIAL.length]),
        ];
        for (const c of cases) {
          const n = K.numel(c.t.shape);
          const exp = arrayFor(dt, n);
          K.unary(exp, dt, op, c.t, p);
          const got = readOut(be, be.unary(op, c.w, dt, p), dt, n);
          close(got, exp, 3e-6, unaryAtol(op, c.t), `${op} ${c.t.shape}`);
          be.dispose(c.w.data);
        }
      }
    });

    test('unary: large arrays (split across threads) match the reference', () => {
      for (const op of ['exp', 'gelu', 'tanh', 'sigmoid', 'silu', 'geluTanh', 'relu', 'sqrt', 'neg'] as UnaryOp[]) {
        const x = randPair(be, 'float32', [100003], undefined, 12);
        const exp = new Float32Array(100003);
        K.unary(exp, 'float32', op, x.t);
        close(readOut(be, be.unary(op, x.w, 'float32'), 'float32', 100003), exp, 3e-6, unaryAtol(op, x.t), op);
        be.dispose(x.w.data);
      }
    });

    test('unary: float64 and int32 inputs go through the reference path', () => {
      const x = randPair(be, 'float64', [33]);
      const exp = new Float64Array(33);
      K.unary(exp, 'float64', 'gelu', x.t);
      assert.deepEqual(readOut(be, be.unary('gelu', x.w, 'float64'), 'float64', 33), exp);
      const y = randPair(be, 'int32', [20]);
      const e2 = new Float32Array(20);
      K.unary(e2, 'float32', 'exp', y.t);
      close(readOut(be, be.unary('exp', y.w, 'float32'), 'float32', 20), e2, 3e-6, 0, 'exp int32');
      be.dispose(x.w.data); be.dispose(y.w.data);
    });

    test('binary: every op over contiguous, scalar, row/column broadcast and transposed operands', () => {
      const layouts: [number[], number[] | undefined, number[] | undefined][] = [
        [[1001], undefined, undefined],
        [[70, 45], undefined, [0, 0]],
        [[70, 45], [0, 0], undefined],
        [[6, 64], undefined, [0, 1]],
        [[6, 64], [0, 1], undefined],
        [[64, 6], undefined, [1, 0]],
        [[8, 40], [1, 8], undefined],
        [[3, 4, 50], [0, 50, 1], [200, 0, 1]],
        // a [4, 8] row block broadcast over two leading axes (x + pos): merged into one 32-float row per step
        [[5, 3, 4, 8], undefined, [0, 0, 8, 1]],
        [[5, 3, 4, 8], [0, 0, 8, 1], undefined],
        // rows of 15 (not whole vectors) and a size-1 axis between broadcast ones
        [[5, 3, 3, 5], undefined, [0, 0, 5, 1]],
        [[4, 1, 64], [0, 0, 1], [64, 64, 1]],
        // large enough to split the rows across threads
        [[300, 1024], undefined, [0, 1]],
      ];
      for (const op of BINARY) {
        const dt: DType = boolOut(op) ? 'bool' : 'float32';
        for (const [shape, sa, sb] of layouts) {
          // pow of a negative base is NaN for most exponents: keep bases positive so values are compared
          const a = randPair(be, 'float32', shape, sa, 3, op === 'pow' ? Math.abs : undefined), b = randPair(be, 'float32', shape, sb);
          const n = K.numel(shape);
          const exp = arrayFor(dt, n);
          K.binary(exp, dt, op, a.t, b.t);
          close(readOut(be, be.binary(op, a.w, b.w, dt), dt, n), exp, 2e-6, 1e-37, `${op} ${shape} ${sa} ${sb}`);
          be.dispose(a.w.data); be.dispose(b.w.data);
        }
      }
    });

    test('binary: large operands (threaded) and int32 / float64 fall back exactly', () => {
      const a = randPair(be, 'float32', [200001]), b = randPair(be, 'float32', [200001]);
      for (const op of ['add', 'mul', 'sub', 'div', 'maximum'] as BinaryOp[]) {
        const exp = new Float32Array(200001);
        K.binary(exp, 'float32', op, a.t, b.t);
        assert.deepEqual(readOut(be, be.binary(op, a.w, b.w, 'float32'), 'float32', 200001), exp);
      }
      const s = randPair(be, 'float32', [200001], [0]);
      const e2 = new Float32Array(200001);
      K.binary(e2, 'float32', 'mul', a.t, s.t);
      assert.deepEqual(readOut(be, be.binary('mul', a.w, s.w, 'float32'), 'float32', 200001), e2);
      const x = randPair(be, 'int32', [30]), y = randPair(be, 'int32', [30]);
      y.t.arr.forEach((v, i) => { if (v === 0) { y.t.arr[i] = 1; be.read(y.w.data, 'int32', 30)[i] = 1; } });
      const e3 = new Int32Array(30);
      K.binary(e3, 'int32', 'div', x.t, y.t);
      assert.deepEqual(readOut(be, be.binary('div', x.w, y.w, 'int32'), 'int32', 30), e3);
      const f = randPair(be, 'float64', [30]), g = randPair(be, 'float64', [30]);
      const e4 = new Float64Array(30);
      K.binary(e4, 'float64', 'add', f.t, g.t);
      assert.deepEqual(readOut(be, be.binary('add', f.w, g.w, 'float64'), 'float64', 30), e4);
      for (const q of [a, b, s, x, y, f, g]) be.dispose(q.w.data);
    });

    test('reduce: sum/max/min/prod over trailing, leading, middle and all axes, strided and float64', () => {
      const shapes: [number[], number[] | undefined, number[]][] = [
        [[1003], undefined, [0]],
        [[13, 37], undefined, [1]],
        [[13, 37], undefined, [0]],
        [[37, 13], undefined, [0]],
        [[4, 5, 19], undefined, [1, 2]],
        [[4, 5, 19], undefined, [0, 1]],
        [[4, 5, 19], undefined, [1]],
        [[4, 5, 19], undefined, [0, 1, 2]],
        [[20, 30], [1, 20], [1]],
        [[6, 3], undefined, [1]],
      ];
      for (const op of ['sum', 'max', 'min', 'prod'] as const) {
        for (const [shape, st, axes] of shapes) {
          for (const dt of ['float32', 'float64'] as DType[]) {
            const x = randPair(be, dt, shape, st, op === 'prod' ? 1.2 : 3);
            const n = K.numel(shape.filter((_, d) => !axes.includes(d)));
            const exp = arrayFor(dt, n);
            K.reduce(exp, dt, op, x.t, axes);
            close(readOut(be, be.reduce(op, x.w, axes, dt), dt, n), exp, 1e-6, 1e-6, `${op} ${shape} ${axes} ${dt}`);
            be.dispose(x.w.data);
          }
        }
      }
      // NaN propagates through SIMD max and sum
      const vals = randn(40); vals[37] = NaN;
      const x = makePair(be, 'float32', vals, [40]);
      assert.ok(Number.isNaN(readOut(be, be.reduce('max', x.w, [0], 'float32'), 'float32', 1)[0]!));
      assert.ok(Number.isNaN(readOut(be, be.reduce('sum', x.w, [0], 'float32'), 'float32', 1)[0]!));
      be.dispose(x.w.data);
    });

    test('argReduce, softmax, where, copy, assign, fill', () => {
      const x = randPair(be, 'float32', [7, 11], [1, 7]);
      for (const op of ['argmax', 'argmin'] as const) {
        for (const axis of [0, 1]) {
          const n = axis === 0 ? 11 : 7;
          const exp = new Int32Array(n);
          K.argReduce(exp, op, x.t, axis);
          assert.deepEqual(readOut(be, be.argReduce(op, x.w, axis), 'int32', n), exp);
        }
      }
      for (const log of [false, true]) for (const axis of [0, 1]) {
        const exp = new Float32Array(77);
        K.softmax(exp, x.t, axis, log);
        assert.deepEqual(readOut(be, be.softmax(x.w, axis, log), 'float32', 77), exp);
      }
      const c = randPair(be, 'bool', [7, 11]), y = randPair(be, 'float32', [7, 11], [0, 1]);
      const ew = new Float32Array(77);
      K.where(ew, 'float32', c.t, x.t, y.t);
      assert.deepEqual(readOut(be, be.where(c.w, x.w, y.w, 'float32'), 'float32', 77), ew);
      for (const dt of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
        const e = arrayFor(dt, 77);
        K.copy(e, dt, x.t);
        assert.deepEqual(readOut(be, be.copy(x.w, dt), dt, 77), e);
      }
      const cont = randPair(be, 'float32', [77]);
      assert.deepEqual(readOut(be, be.copy(cont.w, 'float32'), 'float32', 77), cont.t.arr);
      // assign / fill into a strided window of a destination block
      const d = randPair(be, 'float32', [7, 11], [1, 7]);
      const src = randPair(be, 'float32', [7, 11], [0, 1]);
      K.assign(d.t, 'float32', src.t);
      be.assign(d.w, src.w);
      assert.deepEqual(be.read(d.w.data, 'float32', 77), d.t.arr);
      const win = { shape: [3, 4], strides: [1, 7], offset: 2 };
      K.fill({ ...d.t, ...win }, 0.5);
      be.fill({ ...d.w, ...win }, 0.5);
      assert.deepEqual(be.read(d.w.data, 'float32', 77), d.t.arr);
      for (const q of [x, c, y, cont, d, src]) be.dispose(q.w.data);
    });

    test('gather, scatterAdd, indexSelect, indexAdd, unfold, fold', () => {
      const x = randPair(be, 'float32', [5, 6]);
      const idx = makePair(be, 'int32', Array.from({ length: 15 }, () => Math.floor(rnd() * 5)), [3, 5]);
      const g = new Float32Array(15);
      K.gather(g, x.t, 0, idx.t);
      assert.deepEqual(readOut(be, be.gather(x.w, 0, idx.w), 'float32', 15), g);
      const src = randPair(be, 'float32', [3, 5]);
      const sa = new Float32Array(30);
      K.scatterAdd(sa, [5, 6], 0, idx.t, src.t);
      assert.deepEqual(readOut(be, be.scatterAdd([5, 6], 'float32', 0, idx.w, src.w), 'float32', 30), sa);
      const i1 = makePair(be, 'int32', [4, 0, 4, 2], [4]);
      const is = new Float32Array(20);
      K.indexSelect(is, x.t, 1, i1.t);
      assert.deepEqual(readOut(be, be.indexSelect(x.w, 1, i1.w), 'float32', 20), is);
      const s2 = randPair(be, 'float32', [5, 4]);
      const ia = new Float32Array(30);
      K.indexAdd(ia, [5, 6], 1, i1.t, s2.t);
      assert.deepEqual(readOut(be, be.indexAdd([5, 6], 'float32', 1, i1.w, s2.w), 'float32', 30), ia);
      const img = randPair(be, 'float32', [2, 3, 6, 5]);
      const p = { kernel: [3, 2] as [number, number], stride: [2, 1] as [number, number], padding: [1, 1] as [number, number], dilation: [1, 2] as [number, number], padValue: 0 };
      const [oh, ow] = K.unfoldOutputSize(6, 5, p);
      const nCols = 2 * 3 * 6 * oh * ow;
      const u = new Float32Array(nCols);
      K.unfold(u, img.t, p);
      const cols = be.unfold(img.w, p);
      assert.deepEqual(be.read(cols, 'float32', nCols), u);
      const f = new Float32Array(180);
      K.fold(f, { arr: u, shape: [2, 18, oh * ow], strides: K.contiguousStrides([2, 18, oh * ow]), offset: 0 }, [2, 3, 6, 5], p);
      const fw = be.fold({ data: cols, dtype: 'float32', shape: [2, 18, oh * ow], strides: K.contiguousStrides([2, 18, oh * ow]), offset: 0 }, [2, 3, 6, 5], p);
      assert.deepEqual(readOut(be, fw, 'float32', 180), f);
      be.dispose(cols);
      for (const q of [x, idx, src, i1, s2, img]) be.dispose(q.w.data);
    });

    test('matmul packing edges: every k remainder mod 4 and across a k-block, ragged tile rows and columns, all layouts', () => {
      // the packs copy four k at a time (4×4 transposes for operands stored along k) and the last kc mod 4 one by
      // one; tiles are 4×8 (plain) or 5×8 (relaxed) with ragged edges computed apart
      for (const M of [1, 4, 5, 6, 9, 11]) for (const N of [1, 7, 8, 9, 17]) for (const Kd of [1, 3, 4, 5, 8, 255, 256, 257, 262]) {
        for (const ta of [false, true]) for (const tb of [false, true]) {
          const a = randPair(be, 'float32', [1, M, Kd], ta ? [M * Kd, 1, M] : [M * Kd, Kd, 1]);
          const b = randPair(be, 'float32', [1, Kd, N], tb ? [Kd * N, 1, Kd] : [Kd * N, N, 1]);
          const exp = new Float64Array(M * N);
          K.matmul(exp, { ...a.t, arr: Float64Array.from(a.t.arr) }, { ...b.t, arr: Float64Array.from(b.t.arr) });
          close(readOut(be, be.matmul(a.w, b.w, 'float32'), 'float32', M * N), exp, 1e-5, Kd * 9 * 1.2e-7, `matmul ${M}x${Kd}x${N} ta=${ta} tb=${tb}`);
          be.dispose(a.w.data); be.dispose(b.w.data);
        }
      }
    });

    test('convolution-side passes large enough to split across threads match the reference', () => {
      // im2col / col2im by image planes: a 3×3 conv window, a strided and dilated one, a max-pool window
      const img = randPair(be, 'float32', [4, 8, 24, 20]);
      const wins = [
        { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], padValue: 0 },
        { kernel: [3, 2], stride: [2, 1], padding: [2, 1], dilation: [2, 3], padValue: 0 },
        { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], padValue: -Infinity },
      ] as { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number]; padValue: number }[];
      for (const p of wins) {
        const [oh, ow] = K.unfoldOutputSize(24, 20, p);
        const rows = 8 * p.kernel[0] * p.kernel[1], nCols = 4 * rows * oh * ow;
        const u = new Float32Array(nCols);
        K.unfold(u, img.t, p);
        const cols = be.unfold(img.w, p);
        assert.deepEqual(be.read(cols, 'float32', nCols), u, `unfold ${JSON.stringify(p)}`);
        const cv = { shape: [4, rows, oh * ow], strides: K.contiguousStrides([4, rows, oh * ow]), offset: 0 };
        const f = new Float32Array(4 * 8 * 24 * 20);
        K.fold(f, { arr: u, ...cv }, [4, 8, 24, 20], p);
        assert.deepEqual(readOut(be, be.fold({ data: cols, dtype: 'float32', ...cv }, [4, 8, 24, 20], p), 'float32', f.length), f, `fold ${JSON.stringify(p)}`);
        be.dispose(cols);
      }
      // a per-channel scalar broadcast over [N, C, H, W] (a conv bias), either side of the op
      const x = randPair(be, 'float32', [16, 12, 30, 20]), c = randPair(be, 'float32', [16, 12, 30, 20], [0, 1, 0, 0]);
      for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
        for (const [a, b] of [[x, c], [c, x]]) {
          const exp = new Float32Array(16 * 12 * 600);
          K.binary(exp, 'float32', op, a!.t, b!.t);
          close(readOut(be, be.binary(op, a!.w, b!.w, 'float32'), 'float32', exp.length), exp, 2e-6, 1e-37, `row-scalar ${op}`);
        }
      }
      // max / min over a middle axis (max pooling's window axis) and the relu mask
      const m = randPair(be, 'float32', [64, 4, 1024]);
      for (const op of ['max', 'min'] as const) {
        const exp = new Float32Array(64 * 1024);
        K.reduce(exp, 'float32', op, m.t, [1]);
        assert.deepEqual(readOut(be, be.reduce(op, m.w, [1], 'float32'), 'float32', exp.length), exp, `${op} over the middle axis`);
        const arg = new Int32Array(64 * 1024);
        K.argReduce(arg, op === 'max' ? 'argmax' : 'argmin', m.t, 1);
        assert.deepEqual(readOut(be, be.argReduce(op === 'max' ? 'argmax' : 'argmin', m.w, 1), 'int32', arg.length), arg, `arg${op} over the middle axis`);
      }
      const exp = new Float32Array(64 * 4 * 1024);
      K.unary(exp, 'float32', 'step', m.t, [0.25]);
      assert.deepEqual(readOut(be, be.unary('step', m.w, 'float32', [0.25]), 'float32', exp.length), exp, 'step');
      for (const q of [img, x, c, m]) be.dispose(q.w.data);
    });

    test('matmul: odd sizes, transposed operands, batches with broadcast, float64 fallback', () => {
      const sizes: [number, number, number][] = [[1, 1, 1], [1, 7, 1], [7, 7, 7], [33, 17, 65], [127, 129, 31], [4, 256, 8],
        [5, 300, 9], [64, 1, 33], [130, 70, 260]];
      for (const [M, Kd, N] of sizes) {
        for (const ta of [false, true]) for (const tb of [false, true]) for (const batch of [1, 3]) for (const bcast of [false, true]) {
          if (bcast && batch === 1) continue;
          // A: [batch, M, K] stored either row-major or as [batch, K, M] (a transposed operand); likewise B
          const aSt = ta ? [M * Kd, 1, M] : [M * Kd, Kd, 1];
          const bSt = tb ? [Kd * N, 1, Kd] : [Kd * N, N, 1];
          if (bcast) bSt[0] = 0;
          const a = randPair(be, 'float32', [batch, M, Kd], aSt), b = randPair(be, 'float32', [batch, Kd, N], bSt);
          const exp = new Float64Array(batch * M * N);
          const a64: K.ArrView = { ...a.t, arr: Float64Array.from(a.t.arr) }, b64: K.ArrView = { ...b.t, arr: Float64Array.from(b.t.arr) };
          K.matmul(exp, a64, b64);
          const got = readOut(be, be.matmul(a.w, b.w, 'float32'), 'float32', batch * M * N);
          // float32 accumulation over K terms of size ≤ 9: bound ~ K·eps·9
          close(got, exp, 1e-5, Kd * 9 * 1.2e-7, `matmul ${M}x${Kd}x${N} ta=${ta} tb=${tb} batch=${batch} bcast=${bcast}`);
          be.dispose(a.w.data); be.dispose(b.w.data);
        }
      }
      const a = randPair(be, 'float64', [2, 9, 5]), b = randPair(be, 'float64', [2, 5, 4], [0, 1, 5]);
      const exp = new Float64Array(72);
      K.matmul(exp, a.t, b.t);
      assert.deepEqual(readOut(be, be.matmul(a.w, b.w, 'float64'), 'float64', 72), exp);
      const z1 = randPair(be, 'float32', [1, 3, 0]), z2 = randPair(be, 'float32', [1, 0, 4]);
      assert.deepEqual([...readOut(be, be.matmul(z1.w, z2.w, 'float32'), 'float32', 12)], new Array(12).fill(0));
      for (const q of [a, b, z1, z2]) be.dispose(q.w.data);
    });

    test('allocator: blocks are reused, zero-filled, and bytesInUse returns to the baseline', () => {
      const base = be.bytesInUse();
      const b1 = be.alloc('float32', 1000);
      assert.equal(be.bytesInUse(), base + 4000);
      be.read(b1, 'float32', 1000).fill(7);
      const top = be.stats().heapTop;
      be.dispose(b1);
      assert.equal(be.bytesInUse(), base);
      const b2 = be.alloc('float32', 1000);
      assert.equal(b2.ptr, b1.ptr, 'same size class reuses the freed block');
      assert.equal(be.stats().heapTop, top);
      assert.ok(be.read(b2, 'float32', 1000).every((v) => v === 0), 'alloc zero-fills reused blocks');
      be.dispose(b2);
      assert.throws(() => be.dispose(b2), /twice/);
      // a training-like loop: same shapes every step leaves memory flat
      const x = randPair(be, 'float32', [64, 100]), w = randPair(be, 'float32', [1, 100, 32]);
      const step = (): void => {
        const y = be.matmul({ ...x.w, shape: [1, 64, 100], strides: [0, 100, 1] }, w.w, 'float32');
        const z = be.unary('gelu', { data: y, dtype: 'float32', shape: [64, 32], strides: [32, 1], offset: 0 }, 'float32');
        const s = be.reduce('sum', { data: z, dtype: 'float32', shape: [64, 32], strides: [32, 1], offset: 0 }, [0], 'float32');
        be.dispose(y); be.dispose(z); be.dispose(s);
      };
      const inUse = be.bytesInUse();
      step();
      const top2 = be.stats().heapTop;
      for (let i = 0; i < 20; i++) step();
      assert.equal(be.stats().heapTop, top2);
      assert.equal(be.bytesInUse(), inUse);
      be.dispose(x.w.data); be.dispose(w.w.data);
      assert.equal(be.bytesInUse(), base);
    });

    test('memory grows past its initial size and earlier blocks keep their contents', () => {
      const first = makePair(be, 'float32', [1, 2, 3, 4], [4]);
      const big = be.alloc('float32', 6_000_000); // 24 MB > initial 4 MiB
      const v = be.read(big, 'float32', 6_000_000);
      v[5_999_999] = 42;
      assert.deepEqual([...be.read(first.w.data, 'float32', 4)], [1, 2, 3, 4]);
      const s = be.reduce('sum', { data: big, dtype: 'float32', shape: [6_000_000], strides: [1], offset: 0 }, [0], 'float32');
      assert.equal(readOut(be, s, 'float32', 1)[0], 42);
      be.dispose(big); be.dispose(first.w.data);
    });
  });
}

describe('wasm backend: threaded and single-threaded agree bit for bit', () => {
  test('large matmuls (split by N, by M and by batch)', async () => {
    const one = await createWasmBackend({ threads: 1 });
    const two = await createWasmBackend({ threads: 2 });
    try {
      for (const [batch, M, Kd, N, ta] of [[1, 200, 300, 150, false], [1, 333, 100, 40, true], [4, 70, 90, 80, false]] as const) {
        const aVals = randn(batch * M * Kd), bVals = randn(Kd * N);
        const aSt = ta ? [M * Kd, 1, M] : [M * Kd, Kd, 1];
        const run = (be: WasmBackend): number[] => {
          const a = makePair(be, 'float32', aVals, [batch, M, Kd], aSt);
          const b = makePair(be, 'float32', bVals, [batch, Kd, N], [0, N, 1]);
          const r = [...readOut(be, be.matmul(a.w, b.w, 'float32'), 'float32', batch * M * N)];
          be.dispose(a.w.data); be.dispose(b.w.data);
          return r;
        };
        assert.deepEqual(run(two), run(one));
      }
    } finally {
      one.close(); two.close();
    }
  });
});
