/**
 * Fused bias + activation (Backend.biasAct) and linear's `activation` option (nabla's fused Linear +
 * activation): forward against Sequential(Linear, Act) on the current backend, gradcheck / gradgradcheck in
 * float64 through both graph shapes (relu inside the linear node, the transcendental ones as a second node
 * over z), the wasm kernel against the reference on odd widths, and nn.Linear's state dict and repr.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { close } from './assertClose.js';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { BiasActivation, View } from '../src/backends/backend.js';
import { createTsBackend } from '../src/backends/ts/index.js';
import { createWasmBackend, wasmAvailable, type WasmBackend, type WasmBlock } from '../src/backends/wasm/index.js';

const ACTS: BiasActivation[] = ['none', 'relu', 'gelu', 'geluTanh', 'silu', 'sigmoid', 'tanh'];

const actModule = (act: BiasActivation): nb.nn.Module | null => {
  switch (act) {
    case 'none': return null;
    case 'relu': return new nb.nn.ReLU();
    case 'gelu': return new nb.nn.GELU();
    case 'geluTanh': return new nb.nn.GELU({ approximate: 'tanh' });
    case 'silu': return new nb.nn.SiLU();
    case 'sigmoid': return new nb.nn.Sigmoid();
    case 'tanh': return new nb.nn.Tanh();
  }
};


describe('nn.Linear with a fused activation against Sequential(Linear, Act)', () => {
  for (const act of ACTS) {
    for (const bias of [true, false]) {
      test(`${act}${bias ? '' : ', no bias'}: forward, input / weight / bias gradients (float32, 3-D input)`, () => {
        const fused = new nb.nn.Linear(37, 21, { activation: act, bias, generator: new nb.Generator(5) });
        const plain = new nb.nn.Linear(37, 21, { bias, generator: new nb.Generator(5) });
        const am = actModule(act);
        const seq = am ? new nb.nn.Sequential(plain, am) : new nb.nn.Sequential(plain);
        const x = nb.randn([3, 11, 37], { generator: new nb.Generator(9) });
        const xa = x.detach().requiresGrad_(true), xb = x.detach().requiresGrad_(true);
        const ya = fused.forward(xa), yb = seq.forward(xb);
        assert.deepEqual(ya.shape, [3, 11, 21]);
        close(ya.data(), yb.data(), 1e-6, 1e-6, 'forward');
        const w = nb.randn([3, 11, 21], { generator: new nb.Generator(2) });
        ya.mul(w).sum().backward();
        yb.mul(w).sum().backward();
        close(xa.grad!.data(), xb.grad!.data(), 1e-5, 1e-5, 'dx');
        close(fused.weight.grad!.data(), plain.weight.grad!.data(), 1e-5, 1e-5, 'dW');
        if (bias) close(fused.bias!.grad!.data(), plain.bias!.grad!.data(), 1e-5, 1e-5, 'db');
      });
    }
  }

  test('no grad: the forward alone (z is not kept) equals the composition', () => {
    for (const act of ACTS) {
      const w = nb.randn([9, 6], { generator: new nb.Generator(1) }), b = nb.randn([9], { generator: new nb.Generator(2) });
      const x = nb.randn([5, 6], { generator: new nb.Generator(3) });
      const y = nb.noGrad(() => nb.linear(x, w, b, { activation: act }));
      const m = actModule(act);
      const ref = nb.noGrad(() => { const z = nb.linear(x, w, b); return m ? m.forward(z) : z; });
      close(y.data(), ref.data(), 1e-6, 1e-6, act);
    }
  });

  test('stateDict keys are unchanged and the activation shows in the repr', () => {
    const m = new nb.nn.Linear(4, 3, { activation: 'relu' });
    assert.deepEqual(Object.keys(m.stateDict()).sort(), ['bias', 'weight']);
    assert.equal(m.toString(), "Linear(in_features=4, out_features=3, bias=True, activation='relu')");
    assert.equal(new nb.nn.Linear(4, 3).toString(), 'Linear(in_features=4, out_features=3, bias=True)');
    // a state dict moves between the fused and the plain layer
    const plain = new nb.nn.Linear(4, 3);
    plain.loadStateDict(m.stateDict());
    close(plain.weight.data(), m.weight.data(), 0, 0, 'weight');
    assert.throws(() => new nb.nn.Linear(4, 3, { activation: 'softmax' as never }), /unknown activation 'softmax'/);
    assert.throws(() => nb.linear(nb.ones([2, 4]), nb.ones([3, 4]), null, { activation: 'elu' as never }), /unknown activation 'elu'/);
  });

  test('training a small MLP: Linear(relu) + Linear follows Sequential(Linear, ReLU, Linear) step for step', () => {
    const mk = (fused: boolean): nb.nn.Module => {
      const g = new nb.Generator(11);
      return fused
        ? new nb.nn.Sequential(new nb.nn.Linear(20, 16, { activation: 'relu', generator: g }), new nb.nn.Linear(16, 4, { generator: g }))
        : new nb.nn.Sequential(new nb.nn.Linear(20, 16, { generator: g }), new nb.nn.ReLU(), new nb.nn.Linear(16, 4, { generator: g }));
    };
    const a = mk(true), b = mk(false);
    const oa = new nb.optim.SGD(a.parameters(), { lr: 0.1 }), ob = new nb.optim.SGD(b.parameters(), { lr: 0.1 });
    const x = nb.randn([32, 20], { generator: new nb.Generator(4) });
    const t = nb.randint(0, 4, [32], { generator: new nb.Generator(6) });
    for (let s = 0; s < 5; s++) {
      for (const [m, o] of [[a, oa], [b, ob]] as const) {
        o.zeroGrad();
        nb.nn.functional.crossEntropy(m.forward(x), t).backward();
        o.step();
      }
    }
    const pa = a.parameters(), pb = b.parameters();
    pa.forEach((p, i) => close(p.data(), pb[i]!.data(), 1e-5, 1e-5, `param ${i}`));
  });
});

describe('nb.linear with an activation: gradcheck and gradgradcheck (float64)', () => {
  const { gradcheck, gradgradcheck } = nb.autograd;
  for (const act of ACTS) {
    for (const bias of [true, false]) {
      test(`${act}${bias ? '' : ', no bias'} (2-D and batched 3-D input)`, () => {
        const g = new nb.Generator(act.length * 7 + (bias ? 1 : 0));
        const r = (shape: number[]): Tensor => nb.randn(shape, { dtype: 'float64', generator: g }).requiresGrad_(true);
        for (const xs of [[4, 5], [2, 3, 5]]) {
          const x = r(xs), w = r([3, 5]), b = r([3]);
          const fn = bias
            ? (x: Tensor, w: Tensor, b: Tensor): Tensor => nb.linear(x, w, b, { activation: act })
            : (x: Tensor, w: Tensor): Tensor => nb.linear(x, w, null, { activation: act });
          const inputs = bias ? [x, w, b] : [x, w];
          const name = `linear ${act} ${JSON.stringify(xs)}`;
          assert.ok(gradcheck(fn as (...t: Tensor[]) => Tensor, inputs, { name }), name);
          assert.ok(gradgradcheck(fn as (...t: Tensor[]) => Tensor, inputs, { name }), name);
        }
      });
    }
  }
});

for (const threads of [1, 2]) describe(`biasAct kernels: wasm (${threads} thread${threads > 1 ? 's' : ''}) against the reference`, { skip: !wasmAvailable() }, () => {
  let wb: WasmBackend;
  const ts = createTsBackend();
  before(async () => { wb = await createWasmBackend({ threads }); });
  after(() => wb.close());

  let seed = 12345;
  const rnd = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return ((seed >>> 0) / 4294967296) * 8 - 4; };

  for (const act of ACTS) {
    test(`${act}: odd widths (tails), widths of whole vectors (one-pass kernel; threaded when large), many rows, with and without bias, an offset x, special values`, () => {
      for (const N of [1, 3, 4, 5, 37, 257, 64, 1024]) {
        for (const rows of [1, 7, 300]) {
          for (const withBias of [true, false]) {
            const off = 3;
            const xs = Array.from({ length: rows * N + off }, rnd);
            if (rows * N > 8) { xs[off] = NaN; xs[off + 1] = -0; xs[off + 2] = Infinity; xs[off + 3] = -Infinity; }
            const bs = Array.from({ length: N }, rnd);
            const tx = Float32Array.from(xs), tb = Float32Array.from(bs);
            const wx = wb.fromArray('float32', xs), wbias = wb.fromArray('float32', bs);
            const xv = <D>(d: D): View<D> => ({ data: d, dtype: 'float32', shape: [rows, N], strides: [N, 1], offset: off });
            const bv = <D>(d: D): View<D> => ({ data: d, dtype: 'float32', shape: [N], strides: [1], offset: 0 });
            for (const keep of [false, true]) {
              const r = ts.biasAct!(xv(tx), withBias ? bv(tb) : null, act, 'float32', keep);
              const w = wb.biasAct!(xv(wx), withBias ? bv(wbias) : null, act, 'float32', keep);
              const what = `${act} N=${N} rows=${rows} bias=${withBias} keep=${keep}`;
              const exact = act === 'none' || act === 'relu';
              close(wb.read(w.y, 'float32', rows * N), r.y, exact ? 0 : 2e-6, exact ? 0 : 1e-6, `${what}: y`);
              assert.equal(w.z === null, r.z === null, `${what}: z returned`);
              if (r.z && w.z) close(wb.read(w.z, 'float32', rows * N), r.z, 0, 0, `${what}: z`);
              wb.dispose(w.y);
              if (w.z) wb.dispose(w.z);
            }
            wb.dispose(wx); wb.dispose(wbias);
          }
        }
      }
    });
  }

  test('relu keeps −0 → +0 and NaN as NaN; no block leaks', () => {
    const before = wb.bytesInUse();
    const x = wb.fromArray('float32', [-0, NaN, -1, 2, 0.5]), b = wb.fromArray('float32', [0, 0, 0, 0, -0.5]);
    const r = wb.biasAct!({ data: x, dtype: 'float32', shape: [1, 5], strides: [5, 1], offset: 0 }, { data: b, dtype: 'float32', shape: [5], strides: [1], offset: 0 }, 'relu', 'float32', true);
    const y = Array.from(wb.read(r.y, 'float32', 5));
    assert.ok(Object.is(y[0], 0) && Number.isNaN(y[1]) && y[2] === 0 && y[3] === 2 && Object.is(y[4], 0), String(y));
    assert.equal(r.z, null);
    wb.dispose(r.y); wb.dispose(x); wb.dispose(b);
    assert.equal(wb.bytesInUse(), before);
  });
});
