/**
 * The wasm heap above 2 GiB. A 32-bit WebAssembly memory addresses 4 GiB, but an address ≥ 2^31 is negative as a
 * signed i32: a kernel loop that compares addresses signed, or host code that truncates one with `| 0`, breaks
 * there and only there. This file (one file on purpose: it needs a heap of ~4 GiB of address space, of which only
 * the ~60 MB the kernels touch is ever written, so the filler blocks cost no RAM and no time) runs every kernel
 * family of the wasm backend on blocks that straddle 2^31, lie above it, and lie just below 2^32, with two threads
 * (so pool workers address the same high memory), against the reference backend on the same values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DType, TypedArray } from '../src/dtype.js';
import type { Backend, UnfoldParams, View } from '../src/backends/backend.js';
import * as K from '../src/backends/ts/kernels.js';
import { createTsBackend } from '../src/backends/ts/index.js';
import { createWasmBackend, type WasmBackend, type WasmBlock } from '../src/backends/wasm/index.js';

const TWO_GIB = 2 ** 31;
const FOUR_GIB = 2 ** 32;

let seed = 987654321;
function rnd(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const randn = (n: number, scale = 1): number[] => Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);

let wasm: WasmBackend;
const ref = createTsBackend();

/** every block the wasm side allocated in a suite (kept live so the next suite cannot reuse them) */
let blocks: WasmBlock[] = [];

/** one operand on both backends */
interface Operand { w: View<WasmBlock>; r: View<TypedArray>; }

function operand(dtype: DType, values: number[], shape: number[], strides = K.contiguousStrides(shape)): Operand {
  const w = wasm.fromArray(dtype, values);
  blocks.push(w);
  return { w: { data: w, dtype, shape, strides, offset: 0 }, r: { data: ref.fromArray(dtype, values), dtype, shape, strides, offset: 0 } };
}
const randOp = (shape: number[], scale = 1, strides?: number[]): Operand => {
  const st = strides ?? K.contiguousStrides(shape);
  const span = 1 + shape.reduce((s, n, i) => s + (n - 1) * st[i]!, 0);
  return operand('float32', randn(span, scale), shape, st);
};

/** |got − want| ≤ atol + rtol·|want| everywhere (one message, built only on failure: these arrays are large) */
function close(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, e = want[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what}[${i}]: got ${a}, expected ${e}`);
  }
}

/** read a wasm output block (recording it) and compare it with the reference output */
function same(what: string, w: WasmBlock, r: TypedArray, dtype: DType = 'float32', rtol = 2e-5, atol = 2e-6): void {
  blocks.push(w);
  const got = wasm.read(w, dtype, r.length);
  close(got, r, dtype === 'int32' ? 0 : rtol, dtype === 'int32' ? 0 : atol, what);
}

/** fill the heap (without touching the memory) up to `target` bytes, so the next blocks start just below it */
function raiseHeapTo(target: number): void {
  const top = wasm.stats().heapTop;
  assert.ok(top < target, `heap top ${top} already above ${target}`);
  // powers of two ≥ 1 KiB are exact size classes, so the filler ends exactly where it should (a block that came
  // from a free list instead of the bump pointer leaves a gap the next round fills)
  for (let round = 0; round < 8 && target - wasm.stats().heapTop >= 1024; round++) {
    for (let gap = target - wasm.stats().heapTop, bit = 2 ** 31; bit >= 1024; bit /= 2) {
      if (gap >= bit) { blocks.push(wasm.alloc('float32', bit / 4)); gap -= bit; }
    }
  }
  const now = wasm.stats().heapTop;
  assert.ok(now <= target && now > target - 1024, `filler ended at ${now}, wanted just below ${target}`);
}

/** contiguous float32 views of blocks a kernel returned */
const view = (d: WasmBlock, shape: number[]): View<WasmBlock> => ({ data: d, dtype: 'float32', shape, strides: K.contiguousStrides(shape), offset: 0 });
const rview = (d: TypedArray, shape: number[]): View<TypedArray> => ({ data: d, dtype: 'float32', shape, strides: K.contiguousStrides(shape), offset: 0 });

const n = 2 ** 17 + 13; // large enough that element-wise and Adam jobs split across the pool

/**
 * Called by each family right before its first wasm kernel: the straddling test raises the heap there, so that
 * kernel's output block is the one across 2^31.
 */
let atKernel: () => void = () => {};
function kernelNext(): void {
  const f = atKernel;
  atKernel = () => {};
  f();
}

/** the kernel families, wasm vs reference (each records the wasm blocks it allocates in `blocks`) */
const FAMILIES: [string, () => void][] = [
  ['element-wise', () => {
    // element-wise: unary (polynomial kernels), binary same-shape and broadcast
    const x = randOp([n], 3), y = randOp([n], 3);
    kernelNext();
    for (const op of ['exp', 'gelu', 'tanh'] as const) same(`unary ${op}`, wasm.unary(op, x.w, 'float32'), ref.unary(op, x.r, 'float32'), 'float32', 3e-6, 1e-6);
    same('binary add', wasm.binary('add', x.w, y.w, 'float32'), ref.binary('add', x.r, y.r, 'float32'));
    const c = operand('bool', randn(n).map((t) => (t > 0 ? 1 : 0)), [n]);
    same('where (the reference kernel over views of the heap)', wasm.where(c.w, x.w, y.w, 'float32'), ref.where(c.r, x.r, y.r, 'float32'));
    const m = randOp([256, 513]), row = randOp([256, 513], 1, [0, 1]);
    same('binary mul (broadcast row)', wasm.binary('mul', m.w, row.w, 'float32'), ref.binary('mul', m.r, row.r, 'float32'));
  }],
  ['reductions and copy', () => {
    const x = randOp([n], 3), m = randOp([256, 513]);
    kernelNext();
    // reductions and arg-reductions, strided copy
    same('reduce sum dim 1', wasm.reduce('sum', m.w, [1], 'float32'), ref.reduce('sum', m.r, [1], 'float32'), 'float32', 1e-5, 1e-5);
    same('reduce max dim 0', wasm.reduce('max', m.w, [0], 'float32'), ref.reduce('max', m.r, [0], 'float32'));
    same('reduce sum all', wasm.reduce('sum', x.w, [0], 'float32'), ref.reduce('sum', x.r, [0], 'float32'), 'float32', 1e-5, 1e-3);
    same('argmax dim 1', wasm.argReduce('argmax', m.w, 1), ref.argReduce('argmax', m.r, 1), 'int32');
    const mt = { w: { ...m.w, shape: [513, 256], strides: [1, 513] }, r: { ...m.r, shape: [513, 256], strides: [1, 513] } };
    same('strided copy (transpose)', wasm.copy(mt.w, 'float32'), ref.copy(mt.r, 'float32'));
    // assignments: into a contiguous block from a transposed view; into a row window and a transposed window of
    // a larger block from a contiguous source (the slices of split / cat backward)
    const assignInto = (what: string, dst: Operand, view: { shape: number[]; strides: number[]; offset: number }, src: Operand): void => {
      wasm.assign({ ...dst.w, ...view }, src.w);
      ref.assign({ ...dst.r, ...view }, src.r);
      close(wasm.read(dst.w.data, dst.w.dtype, dst.r.data.length), dst.r.data, 0, 0, what);
    };
    const dc = randOp([513, 256]);
    assignInto('assign (contiguous ← transposed)', dc, { shape: [513, 256], strides: [256, 1], offset: 0 }, mt);
    const big = randOp([256, 600]), rowsSrc = randOp([256, 513]);
    assignInto('assign (row window ← contiguous)', big, { shape: [256, 513], strides: [600, 1], offset: 40 }, rowsSrc);
    const tSrc = randOp([513, 256]);
    assignInto('assign (transposed window ← contiguous)', big, { shape: [513, 256], strides: [1, 600], offset: 7 }, tSrc);
    const ib = operand('int32', randn(64 * 50).map((t) => Math.round(t * 100)), [64, 50]);
    const isrc = operand('int32', randn(64 * 20).map((t) => Math.round(t * 100)), [64, 20]);
    assignInto('assign int32 (column window ← contiguous)', ib, { shape: [64, 20], strides: [50, 1], offset: 3 }, isrc);
  }],
  ['matmul', () => {
    // matmul (big enough to split across the pool), with a transposed right operand
    const a = randOp([2, 96, 160]), b = randOp([2, 160, 136]), bt = randOp([2, 160, 136], 1, [160 * 136, 1, 160]);
    kernelNext();
    same('matmul', wasm.matmul(a.w, b.w, 'float32'), ref.matmul(a.r, b.r, 'float32'), 'float32', 1e-4, 1e-4);
    same('matmul (transposed b)', wasm.matmul(a.w, bt.w, 'float32'), ref.matmul(a.r, bt.r, 'float32'), 'float32', 1e-4, 1e-4);
  }],
  ['row kernels', () => {
    // row kernels: softmax, log-softmax, layer/RMS norm, cross-entropy and its gradient, bias + activation
    const s = randOp([256, 1000], 4);
    kernelNext();
    same('softmax', wasm.softmax(s.w, 1, false), ref.softmax(s.r, 1, false), 'float32', 1e-5, 1e-7);
    same('log-softmax', wasm.softmax(s.w, 1, true), ref.softmax(s.r, 1, true), 'float32', 1e-5, 1e-5);
    for (const rms of [false, true]) {
      const wn = wasm.normRows!(s.w, 256, 1000, 1e-5, rms), rn = ref.normRows!(s.r, 256, 1000, 1e-5, rms);
      same(`normRows rms=${rms} y`, wn.y, rn.y, 'float32', 1e-5, 1e-5);
      same(`normRows rms=${rms} rstd`, wn.rstd, rn.rstd, 'float32', 1e-5, 1e-7);
    }
    const target = operand('int32', Array.from({ length: 256 }, () => Math.floor(rnd() * 1000)), [256]);
    const wce = wasm.crossEntropyRows!(s.w, target.w, -100), rce = ref.crossEntropyRows!(s.r, target.r, -100);
    same('crossEntropyRows loss', wce.loss, rce.loss, 'float32', 1e-5, 1e-5);
    const g = randOp([256]);
    same('crossEntropyRowsGrad',
      wasm.crossEntropyRowsGrad!(s.w, view(wce.max, [256]), view(wce.logSum, [256]), target.w, g.w, -100),
      ref.crossEntropyRowsGrad!(s.r, rview(rce.max, [256]), rview(rce.logSum, [256]), target.r, g.r, -100), 'float32', 1e-5, 1e-7);
    blocks.push(wce.max, wce.logSum);
    const h = randOp([512, 768], 3), bias = randOp([768]);
    const wb = wasm.biasAct!(h.w, bias.w, 'gelu', 'float32', true), rb = ref.biasAct!(h.r, bias.r, 'gelu', 'float32', true);
    same('biasAct gelu y', wb.y, rb.y, 'float32', 3e-6, 1e-6);
    same('biasAct gelu z', wb.z!, rb.z!, 'float32', 1e-6, 1e-7);
  }],
  ['convolution passes', () => {
    // convolution passes: unfold (im2col) and fold (col2im)
    const p: UnfoldParams = { kernel: [3, 3], stride: [1, 2], padding: [1, 1], dilation: [1, 1], padValue: 0 };
    const img = randOp([2, 8, 34, 34]);
    kernelNext();
    const wcols = wasm.unfold(img.w, p), rcols = ref.unfold(img.r, p);
    same('unfold', wcols, rcols);
    const [oh, ow] = K.unfoldOutputSize(34, 34, p);
    const colShape = [2, 8 * 9, oh * ow];
    same('fold', wasm.fold(view(wcols, colShape), [2, 8, 34, 34], p), ref.fold(rview(rcols, colShape), [2, 8, 34, 34], p), 'float32', 1e-5, 1e-6);
  }],
  ['gather / scatter-add', () => {
    // gather / scatter-add along an axis
    const gx = randOp([64, 300]);
    const idx = operand('int32', Array.from({ length: 64 * 200 }, () => Math.floor(rnd() * 300)), [64, 200]);
    kernelNext();
    same('gather', wasm.gather(gx.w, 1, idx.w), ref.gather(gx.r, 1, idx.r));
    const src = randOp([64, 200]);
    same('scatterAdd', wasm.scatterAdd([64, 300], 'float32', 1, idx.w, src.w), ref.scatterAdd([64, 300], 'float32', 1, idx.r, src.r), 'float32', 1e-6, 1e-6);
  }],
  ['fused attention', () => {
    // fused attention (forward and backward), causal
    const q = randOp([2, 3, 64, 32]), k = randOp([2, 3, 80, 32]), v = randOp([2, 3, 80, 24]);
    kernelNext();
    const wa = wasm.attention!(q.w, k.w, v.w, true, 0.2), ra = ref.attention!(q.r, k.r, v.r, true, 0.2);
    same('attention out', wa.out, ra.out, 'float32', 1e-5, 1e-6);
    same('attention lse', wa.lse, ra.lse, 'float32', 1e-5, 1e-6);
    const dOut = randOp([2, 3, 64, 24]);
    const wg = wasm.attentionGrad!(q.w, k.w, v.w, view(wa.out, [2, 3, 64, 24]), view(wa.lse, [2, 3, 64]), dOut.w, true, 0.2);
    const rg = ref.attentionGrad!(q.r, k.r, v.r, rview(ra.out, [2, 3, 64, 24]), rview(ra.lse, [2, 3, 64]), dOut.r, true, 0.2);
    same('attention dq', wg.dq, rg.dq, 'float32', 1e-4, 1e-5);
    same('attention dk', wg.dk, rg.dk, 'float32', 1e-4, 1e-5);
    same('attention dv', wg.dv, rg.dv, 'float32', 1e-4, 1e-5);
  }],
  ['AdamW step', () => {
    // AdamW step in place (split across the pool)
    const hyper = { beta1: 0.9, beta2: 0.95, eps: 1e-8, stepSize: 1e-3 / 0.1, bc2Sqrt: Math.sqrt(0.05), l2: 0, shrink: 1 - 1e-4, maximize: false };
    const prm = randOp([n]), grd = randOp([n]), m1 = randOp([n], 0.1);
    kernelNext(); // (Adam updates in place: its 'output' is the v block made next)
    const v1 = operand('float32', randn(n).map((t) => t * t), [n]);
    wasm.adamStep!(prm.w, grd.w, m1.w, v1.w, null, hyper);
    ref.adamStep!(prm.r, grd.r, m1.r, v1.r, null, hyper);
    for (const [name, o] of [['param', prm], ['m', m1], ['v', v1]] as const) {
      close(wasm.read(o.w.data, 'float32', n), o.r.data, 1e-5, 1e-7, `adamStep ${name}`);
    }
  }],
];

/** every family on one backend (two threads): fresh blocks only, so they lie above the heap top when it starts */
function allFamilies(): WasmBlock[] {
  const all: WasmBlock[] = [];
  for (const [, run] of FAMILIES) {
    blocks = [];
    run();
    all.push(...blocks);
  }
  return all;
}

test('the wasm heap can grow to 4 GiB (65,536 pages)', async () => {
  wasm = await createWasmBackend({ threads: 1, maxMemoryMB: 4096 });
  blocks = [];
  raiseHeapTo(FOUR_GIB - 2 ** 20);
  assert.ok(wasm.stats().memoryBytes > FOUR_GIB - 2 ** 21);
  // the last 64 bytes stay unused (a block's end address must not wrap to 0), so 2 MiB more cannot fit
  assert.throws(() => wasm.alloc('float32', 2 ** 19), /out of memory/);
});

/**
 * One fresh backend per family and placement (a memory has one 2^31): 'input' raises the heap before the operands
 * are made, so the first operand straddles; 'output' raises it before the first kernel, so that kernel's output does.
 */
for (const [name, run] of FAMILIES) {
  for (const place of ['input', 'output'] as const) {
    test(`${name} matches the reference with its first ${place} block across 2^31`, async () => {
      wasm = await createWasmBackend({ threads: 1, maxMemoryMB: 4096 });
      blocks = [];
      if (place === 'input') raiseHeapTo(TWO_GIB - 1024);
      else atKernel = () => raiseHeapTo(TWO_GIB - 1024);
      const before = blocks.length;
      run();
      assert.ok(blocks.slice(before).some((b) => b.ptr < TWO_GIB && b.ptr + b.bytes > TWO_GIB), 'a block straddles 2^31');
      wasm.close();
    });
  }
}

test('every kernel family matches the reference on blocks above 2 GiB and just below 4 GiB, two threads', async () => {
  wasm = await createWasmBackend({ threads: 2, maxMemoryMB: 4096 });
  blocks = [];
  raiseHeapTo(TWO_GIB + 4096);
  const above = allFamilies();
  assert.ok(above.filter((b) => b.ptr >= TWO_GIB).length > 40, 'most blocks lie above 2^31');
  raiseHeapTo(FOUR_GIB - 2 ** 26);
  const top = allFamilies();
  assert.ok(top.filter((b) => b.ptr >= FOUR_GIB - 2 ** 27).length > 40, 'most blocks lie in the top 128 MiB');
  assert.ok(Math.max(...top.map((b) => b.ptr + b.bytes)) > FOUR_GIB - 2 ** 26);
  wasm.close();
});
