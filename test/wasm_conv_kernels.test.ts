/**
 * The wasm backend's convolution-step kernels (src/backends/wasm/kernels/: unfold/fold in conv.ts, row-scalar
 * binaries and the relu mask in binary.ts, middle-axis reductions and arg-reductions in reduce.ts, gather/scatter-add
 * along an axis in gatherScatter.ts)
 * against the ts backend through the public ops, forward and backward, on the same data — including
 * odd sizes whose rows are not a multiple of 4 floats, padding, strides and dilation.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { close } from './assertClose.js';
import * as nb from '../src/index.js';
import { createWasmBackend, wasmAvailable } from '../src/backends/wasm/index.js';

let seed = 4242;
function rnd(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const randn = (n: number, scale = 1): number[] => Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
/** small integers: many ties, so first-index tie breaking is exercised */
const randInt = (n: number, k = 3): number[] => Array.from({ length: n }, () => Math.floor(rnd() * k));
const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);


/** run `f` on a backend with inputs built from the same arrays; returns every output as a plain array */
function onBackend(name: string, f: () => nb.Tensor[]): number[][] {
  const prev = nb.getBackend();
  nb.setBackend(name);
  try {
    return f().map((t) => Array.from(t.data()));
  } finally {
    nb.setBackend(prev);
  }
}

function compare(what: string, f: () => nb.Tensor[], rtol = 1e-5, atol = 1e-5, exact = false): void {
  const w = onBackend('wasm', f), t = onBackend('ts', f);
  assert.equal(w.length, t.length);
  w.forEach((a, k) => {
    if (exact) assert.deepEqual(a, t[k], `${what} output ${k}`);
    else close(a, t[k]!, rtol, atol, `${what} output ${k}`);
  });
}

const leaf = (vals: number[], shape: number[]): nb.Tensor => nb.tensor(vals, { shape }).requiresGrad_();

describe('wasm conv/pool kernels match the ts backend', { skip: !wasmAvailable() }, () => {
  before(async () => {
    if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 2 }));
  });

  const convCases: { x: number[]; w: number[]; opts: nb.Conv2dOptions }[] = [
    { x: [2, 3, 11, 13], w: [5, 3, 3, 3], opts: { padding: 1 } },
    { x: [3, 2, 28, 28], w: [4, 2, 3, 3], opts: { padding: 1 } },
    { x: [2, 3, 9, 10], w: [4, 3, 3, 3], opts: { stride: 2 } },
    { x: [1, 2, 13, 17], w: [3, 2, 3, 3], opts: { padding: 2, dilation: 2 } },
    { x: [2, 2, 7, 9], w: [3, 2, 2, 3], opts: { stride: [1, 2], padding: [0, 1] } },
    { x: [2, 4, 6, 7], w: [4, 2, 3, 1], opts: { padding: [1, 0], groups: 2, dilation: [2, 1] } },
    { x: [1, 1, 5, 5], w: [2, 1, 5, 5], opts: { padding: 3 } },
  ];
  for (const c of convCases) {
    test(`conv2d ${JSON.stringify(c)}: forward and gradients`, () => {
      seed = 11;
      const xv = randn(numel(c.x)), wv = randn(numel(c.w), 0.5), bv = randn(c.w[0]!);
      let gv: number[] | null = null;
      compare('conv2d', () => {
        const x = leaf(xv, c.x), w = leaf(wv, c.w), b = leaf(bv, [c.w[0]!]);
        const y = nb.conv2d(x, w, b, c.opts);
        gv ??= randn(y.numel());
        y.mul(nb.tensor(gv, { shape: y.shape })).sum().backward();
        return [y, x.grad!, w.grad!, b.grad!];
      }, 1e-4, 1e-5);
    });
  }

  const poolCases: { shape: number[]; opts: nb.AvgPool2dOptions }[] = [
    { shape: [2, 3, 28, 28], opts: { kernelSize: 2 } },
    { shape: [2, 3, 9, 7], opts: { kernelSize: 2 } },
    { shape: [1, 2, 11, 13], opts: { kernelSize: 3, stride: 2, padding: 1 } },
    { shape: [2, 2, 10, 9], opts: { kernelSize: [3, 2], stride: [1, 2], dilation: [2, 1] } },
    { shape: [1, 3, 7, 7], opts: { kernelSize: 3, stride: 1, padding: 1 } },
  ];
  for (const c of poolCases) {
    test(`maxPool2d / avgPool2d ${JSON.stringify(c)}: forward and gradients (ties included)`, () => {
      for (const data of ['randn', 'ties']) {
        seed = 23;
        const xv = data === 'ties' ? randInt(numel(c.shape)) : randn(numel(c.shape));
        let gv: number[] | null = null;
        compare(`maxPool2d ${data}`, () => {
          const x = leaf(xv, c.shape);
          const y = nb.maxPool2d(x, c.opts);
          gv ??= randn(y.numel());
          y.mul(nb.tensor(gv, { shape: y.shape })).sum().backward();
          return [y, x.grad!];
        }, 0, 0, true);
        for (const countIncludePad of [true, false]) {
          compare(`avgPool2d ${data}`, () => {
            const x = leaf(xv, c.shape);
            const y = nb.avgPool2d(x, { ...c.opts, countIncludePad });
            y.mul(nb.tensor(gv!.slice(0, y.numel()), { shape: y.shape })).sum().backward();
            return [y, x.grad!];
          }, 1e-5, 1e-6);
        }
      }
    });
  }

  test('unfold / fold with a pad value and odd sizes', () => {
    seed = 5;
    const xv = randn(2 * 3 * 9 * 11);
    compare('unfold/fold', () => {
      const x = leaf(xv, [2, 3, 9, 11]);
      const u = nb.unfold(x, { kernelSize: [2, 3], stride: [2, 1], padding: [1, 2], dilation: [1, 2] });
      const f = nb.fold(u.mul(1.5), { outputSize: [9, 11], kernelSize: [2, 3], stride: [2, 1], padding: [1, 2], dilation: [1, 2] });
      f.sum().backward();
      return [u, f, x.grad!];
    }, 1e-5, 1e-6);
  });

  test('row-broadcast add/sub/mul/div (both operand orders) and their gradients', () => {
    const cases: [number[], number[]][] = [
      [[4, 5, 7, 9], [5, 1, 1]],
      [[3, 6, 5, 5], [1, 6, 1, 1]],
      [[4, 5, 7, 9], [1, 5, 7, 1]],
      [[2, 3, 4, 3], [2, 3, 1, 1]],
      [[5, 7, 3], [7, 1]],
      [[6, 13], [6, 1]],
    ];
    for (const [sa, sb] of cases) {
      seed = 99;
      const av = randn(numel(sa)), bv = randn(numel(sb)).map((v) => v + (v >= 0 ? 0.5 : -0.5));
      compare(`broadcast ${sa} ∘ ${sb}`, () => {
        const a = leaf(av, sa), b = leaf(bv, sb);
        const outs = [a.add(b), a.sub(b), a.mul(b), a.div(b), b.add(a), b.sub(a), b.mul(a), b.div(a)];
        outs.reduce((s, t) => s.add(t.sum()), nb.tensor(0)).backward();
        return [...outs, a.grad!, b.grad!];
      }, 1e-5, 1e-5);
    }
  });

  test('sum / amax / amin over middle and mixed axes', () => {
    seed = 31;
    const shape = [3, 5, 7, 6];
    const xv = randn(numel(shape), 4);
    const xn = xv.slice();
    xn[17] = NaN; xn[100] = NaN;
    const axesList: number[][] = [[1], [0, 2], [2], [0, 2, 3], [1, 2], [0], [3], [0, 1, 3], [0, 3]];
    for (const vals of [xv, xn]) {
      compare('reductions', () => {
        const x = nb.tensor(vals, { shape });
        const out: nb.Tensor[] = [];
        for (const axes of axesList) {
          out.push(nb.sum(x, axes));
          if (axes.every((d, i) => i === 0 || d === axes[i - 1]! + 1)) out.push(nb.amax(x, axes), nb.amin(x, axes));
        }
        return out;
      }, 1e-5, 1e-5);
    }
  });

  test('argmax / argmin / max(dim) over every axis, with ties and NaN, and the gradient through them', () => {
    const shape = [3, 6, 5, 9];
    for (const kind of ['randn', 'ties', 'nan']) {
      seed = 57;
      const xv = kind === 'ties' ? randInt(numel(shape)) : randn(numel(shape));
      if (kind === 'nan') { xv[3] = NaN; xv[50] = NaN; xv[51] = NaN; xv[400] = NaN; }
      const gv = randn(numel(shape));
      compare(`arg-reductions ${kind}`, () => {
        const out: nb.Tensor[] = [];
        for (let d = 0; d < shape.length; d++) {
          const x = leaf(xv, shape);
          out.push(nb.argmax(x, d), nb.argmin(x, d));
          const mx = nb.max(x, d), mn = nb.min(x, d, true);
          mx.values.mul(nb.tensor(gv.slice(0, mx.values.numel()), { shape: mx.values.shape })).sum()
            .add(mn.values.mul(2).sum()).backward();
          out.push(mx.values, mx.indices, mn.values, mn.indices, x.grad!);
        }
        return out;
      }, 0, 0, true);
    }
  });

  test('gather / scatterAdd along an axis, and out-of-range indices fail the same way', () => {
    seed = 71;
    const shape = [4, 5, 7];
    const xv = randn(numel(shape));
    const iv = Array.from({ length: 4 * 3 * 7 }, () => Math.floor(rnd() * 10) - 5);
    compare('gather/scatterAdd', () => {
      const x = nb.tensor(xv, { shape });
      const idx = nb.tensor(Int32Array.from(iv), { shape: [4, 3, 7] });
      const g = nb.gather(x, 1, idx);
      const s = nb.scatterAdd([4, 5, 7], 1, idx, g);
      return [g, s];
    }, 0, 0, true);
    for (const be of ['ts', 'wasm']) {
      const prev = nb.getBackend();
      nb.setBackend(be);
      try {
        const x = nb.tensor(xv, { shape });
        const bad = nb.tensor(Int32Array.from(iv.map((v, i) => (i === 30 ? 5 : v))), { shape: [4, 3, 7] });
        assert.throws(() => nb.gather(x, 1, bad).data(), /out of bounds/);
        assert.throws(() => nb.scatterAdd([4, 5, 7], 1, bad, nb.ones([4, 3, 7])).data(), /out of bounds/);
      } finally {
        nb.setBackend(prev);
      }
    }
  });

  test('relu backward (step mask) with zeros, negatives and odd lengths', () => {
    for (const n of [1, 3, 4, 7, 37, 1001]) {
      seed = n;
      const xv = randn(n).map((v, i) => (i % 5 === 0 ? 0 : v));
      const gv = randn(n);
      compare(`relu n=${n}`, () => {
        const x = leaf(xv, [n]);
        const y = nb.relu(x);
        y.mul(nb.tensor(gv)).sum().backward();
        return [y, x.grad!];
      }, 0, 0, true);
    }
  });

  test('the MNIST CNN step: loss and every gradient agree', () => {
    seed = 3;
    const xv = randn(8 * 28 * 28);
    const yv = Int32Array.from({ length: 8 }, () => Math.floor(rnd() * 10));
    const w1 = randn(8 * 9, 0.3), w2 = randn(16 * 8 * 9, 0.1), l1 = randn(64 * 784, 0.03), l2 = randn(10 * 64, 0.1);
    compare('cnn', () => {
      const x = nb.tensor(xv, { shape: [8, 1, 28, 28] });
      const p = [leaf(w1, [8, 1, 3, 3]), leaf(w2, [16, 8, 3, 3]), leaf(l1, [64, 784]), leaf(l2, [10, 64])];
      const b1 = leaf(new Array(8).fill(0.1), [8]), b2 = leaf(new Array(16).fill(-0.05), [16]);
      let h = nb.maxPool2d(nb.relu(nb.conv2d(x, p[0]!, b1, { padding: 1 })), { kernelSize: 2 });
      h = nb.maxPool2d(nb.relu(nb.conv2d(h, p[1]!, b2, { padding: 1 })), { kernelSize: 2 });
      const logits = nb.relu(h.reshape([8, 784]).matmul(p[2]!.transpose(0, 1))).matmul(p[3]!.transpose(0, 1));
      const loss = nb.crossEntropy(logits, nb.tensor(yv));
      loss.backward();
      return [loss, p[0]!.grad!, b1.grad!, p[1]!.grad!, b2.grad!, p[2]!.grad!, p[3]!.grad!];
    }, 1e-3, 1e-5);
  });
});

describe('wasm strided copy matches the ts backend', { skip: !wasmAvailable() }, () => {
  before(async () => {
    if (!nb.listBackends().includes('wasm')) nb.registerBackend(await createWasmBackend({ threads: 2 }));
  });
  test('transposes, permutes, slices and broadcasts made contiguous (float32 and int32)', () => {
    seed = 13;
    const xv = randn(3 * 5 * 7 * 9);
    compare('copy', () => {
      const x = nb.tensor(xv, { shape: [3, 5, 7, 9] });
      const xi = nb.tensor(Int32Array.from(xv.map((v) => Math.round(v * 100))), { shape: [3, 5, 7, 9] });
      const out = [
        x.reshape([15, 63]).transpose(0, 1).contiguous(),
        x.permute([3, 1, 0, 2]).contiguous(),
        x.permute([2, 0, 3, 1]).contiguous(),
        xi.permute([3, 2, 1, 0]).contiguous(),
        x.reshape([3, 5, 63]).transpose(1, 2).contiguous(),
        nb.tensor(xv.slice(0, 9), { shape: [1, 9, 1] }).expand([4, 9, 3]).contiguous(),
      ];
      return out;
    }, 0, 0, true);
  });
});
