/**
 * The wasm backend's SIMD softmax / log-softmax row kernel against the reference kernel: odd row lengths
 * (the overlapping tail vector), rows split across threads, non-finite rows (all −Inf, NaN, +Inf), huge
 * logits, and the layouts that fall back to the reference. Also: zero-filled allocation of reused blocks.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { View } from '../src/backends/backend.js';
import * as K from '../src/backends/ts/kernels.js';
import { createWasmBackend, type WasmBackend, type WasmBlock } from '../src/backends/wasm/index.js';

let seed = 987654;
function rnd(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const randn = (n: number, scale: number): number[] => Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);

/** softmax of `values` viewed as shape/strides on the wasm backend and on the reference, compared */
function check(be: WasmBackend, values: number[], shape: number[], axis: number, log: boolean, what: string, strides = K.contiguousStrides(shape)): void {
  const data = be.fromArray('float32', values);
  const v: View<WasmBlock> = { data, dtype: 'float32', shape, strides, offset: 0 };
  const n = K.numel(shape);
  const o = be.softmax(v, axis, log);
  const got = be.read(o, 'float32', n).slice();
  be.dispose(o); be.dispose(data);
  const exp = new Float32Array(n);
  K.softmax(exp, { arr: Float32Array.from(values), shape, strides, offset: 0 }, axis, log);
  const tag = `${log ? 'logSoftmax' : 'softmax'} ${what} [${shape}]`;
  for (let i = 0; i < n; i++) {
    const g = got[i]!, e = exp[i]!;
    if (!Number.isFinite(e)) { assert.ok(Object.is(g, e), `${tag}[${i}]: got ${g}, expected ${e}`); continue; }
    // a few float32 ulps: exp on the SIMD core, the sum in f64 like the reference
    assert.ok(Math.abs(g - e) <= 1e-7 + 2e-6 * Math.abs(e), `${tag}[${i}]: got ${g}, expected ${e}`);
  }
}

const configs = [
  { threads: 1, name: '1 thread' },
  { threads: 2, name: '2 threads' },
  { threads: 2, sharedMemory: false, name: 'unshared memory' },
];
for (const { name, ...opts } of configs) {
  describe(`wasm softmax kernel (${name})`, () => {
    let be: WasmBackend;
    before(async () => { be = await createWasmBackend(opts); });
    after(() => be.close());

    for (const log of [false, true]) {
      test(`${log ? 'logSoftmax' : 'softmax'}: row lengths with and without tails, small and threaded sizes`, () => {
        for (const cols of [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 1023, 1027]) {
          check(be, randn(3 * cols, 4), [3, cols], 1, log, 'random');
        }
        // ≥ 64K elements: split across threads by rows (uneven row counts per part)
        check(be, randn(301 * 333, 6), [301, 333], 1, log, 'threaded');
        check(be, randn(70 * 1024, 3), [7, 10, 1024], 2, log, '3-d threaded');
        // one long row (no split) and a trailing size-1 axis
        check(be, randn(70001, 5), [70001], 0, log, 'long row');
        check(be, randn(6 * 37, 5), [6, 37, 1], 1, log, 'trailing 1');
      });

      test(`${log ? 'logSoftmax' : 'softmax'}: all −Inf, NaN, +Inf and mixed rows, logits ±1e4, −0`, () => {
        const I = Infinity;
        for (const cols of [4, 5, 7, 8, 13]) {
          const rows: number[][] = [
            new Array(cols).fill(-I),
            Array.from({ length: cols }, (_, j) => (j === cols - 1 ? NaN : j)),
            Array.from({ length: cols }, (_, j) => (j === 1 ? NaN : -I)),
            Array.from({ length: cols }, (_, j) => (j === cols - 2 ? I : j)),
            Array.from({ length: cols }, (_, j) => (j % 2 ? -I : j)),
            Array.from({ length: cols }, (_, j) => (j % 3 === 0 ? 1e4 : j % 3 === 1 ? -1e4 : 0)),
            Array.from({ length: cols }, (_, j) => (j % 2 ? -0 : 0)),
            Array.from({ length: cols }, (_, j) => -80 - 5 * j),
            Array.from({ length: cols }, (_, j) => 3e38 * (j % 2 ? -1 : 1)),
          ];
          check(be, rows.flat(), [rows.length, cols], 1, log, `special ${cols}`);
        }
        // a non-finite row inside a threaded job keeps its neighbours intact
        const big = randn(1000 * 80, 3);
        for (let j = 0; j < 80; j++) { big[500 * 80 + j] = -I; big[10 * 80 + j] = j === 40 ? NaN : 0; }
        check(be, big, [1000, 80], 1, log, 'threaded specials');
      });

      test(`${log ? 'logSoftmax' : 'softmax'}: other axes and strided inputs take the reference path`, () => {
        check(be, randn(5 * 9, 3), [5, 9], 0, log, 'axis 0');
        check(be, randn(5 * 9, 3), [9, 5], 1, log, 'transposed', [1, 9]);
        check(be, randn(4 * 6 * 8, 3), [4, 6, 8], 1, log, 'middle axis');
      });
    }

    test('alloc zero-fills a reused block', () => {
      const n = 100_003;
      const a = be.fromArray('float32', randn(n, 1).map((v) => v + 2));
      be.dispose(a);
      const z = be.alloc('float32', n);
      assert.ok(be.read(z, 'float32', n).every((v) => v === 0));
      be.dispose(z);
    });
  });
}
