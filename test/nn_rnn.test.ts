/**
 * LSTM and GRU: equal to an independent float64 cell loop written with plain arrays (gate order i, f, g, o
 * and r, z, n as PyTorch), gradcheck of inputs, states and every parameter, PyTorch's parameter names,
 * argument checks. (Agreement with torch itself: systest/torch_modules.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { withParams } from './module_params.js';

const nn = nb.nn;
const f64 = 'float64' as const;

type Mat = Float64Array; // row-major [rows, cols]
const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** W·v (+ b) for W [rows, cols] */
function affine(W: Mat, rows: number, cols: number, v: ArrayLike<number>, b: Mat | null): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b ? b[r]! : 0;
    for (let c = 0; c < cols; c++) s += W[r * cols + c]! * v[c]!;
    out[r] = s;
  }
  return out;
}

/**
 * The reference: x [L][N][in] as nested arrays, states [layers·D][N][H]; returns output [L][N][D·H], h_n, c_n.
 */
function reference(m: nb.nn.LSTM | nb.nn.GRU, mode: 'LSTM' | 'GRU', x: number[][][], h0: number[][][], c0: number[][][] | null) {
  const sd = m.stateDict();
  const get = (k: string) => (sd[k] ? Float64Array.from(sd[k]!.data()) : null);
  const H = m.hiddenSize, D = m.bidirectional ? 2 : 1, L = x.length, N = x[0]!.length;
  let input = x;
  const hn: number[][][] = [], cn: number[][][] = [];
  for (let layer = 0; layer < m.numLayers; layer++) {
    const inSize = input[0]![0]!.length;
    const out: number[][][] = Array.from({ length: L }, () => Array.from({ length: N }, () => new Array<number>(D * H).fill(0)));
    for (let dir = 0; dir < D; dir++) {
      const s = `_l${layer}${dir ? '_reverse' : ''}`;
      const wih = get(`weight_ih${s}`)!, whh = get(`weight_hh${s}`)!, bih = get(`bias_ih${s}`), bhh = get(`bias_hh${s}`);
      const hFinal: number[][] = [], cFinal: number[][] = [];
      for (let n = 0; n < N; n++) {
        let h = h0[layer * D + dir]![n]!.slice();
        let c = c0 ? c0[layer * D + dir]![n]!.slice() : [];
        for (let s2 = 0; s2 < L; s2++) {
          const t = dir ? L - 1 - s2 : s2;
          if (mode === 'LSTM') {
            const gi = affine(wih, 4 * H, inSize, input[t]![n]!, bih), gh = affine(whh, 4 * H, H, h, bhh);
            const nc: number[] = [], nh: number[] = [];
            for (let j = 0; j < H; j++) {
              const i = sig(gi[j]! + gh[j]!), f = sig(gi[H + j]! + gh[H + j]!), g = Math.tanh(gi[2 * H + j]! + gh[2 * H + j]!), o = sig(gi[3 * H + j]! + gh[3 * H + j]!);
              nc[j] = f * c[j]! + i * g;
              nh[j] = o * Math.tanh(nc[j]!);
            }
            h = nh; c = nc;
          } else {
            const gi = affine(wih, 3 * H, inSize, input[t]![n]!, bih), gh = affine(whh, 3 * H, H, h, bhh);
            const nh: number[] = [];
            for (let j = 0; j < H; j++) {
              const r = sig(gi[j]! + gh[j]!), z = sig(gi[H + j]! + gh[H + j]!);
              const nn2 = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
              nh[j] = (1 - z) * nn2 + z * h[j]!;
            }
            h = nh;
          }
          for (let j = 0; j < H; j++) out[t]![n]![dir * H + j] = h[j]!;
        }
        hFinal.push(h); cFinal.push(c);
      }
      hn.push(hFinal); cn.push(cFinal);
    }
    input = out;
  }
  return { output: input, hn, cn };
}

const close = (a: number[], b: number[], what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-13, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

for (const mode of ['LSTM', 'GRU'] as const) {
  for (const cfg of [
    { numLayers: 1, bidirectional: false, bias: true },
    { numLayers: 2, bidirectional: true, bias: true },
    { numLayers: 3, bidirectional: false, bias: false },
  ]) {
    test(`${mode} ${JSON.stringify(cfg)} equals a hand-written float64 cell loop (with given initial states)`, () => {
      const g = new nb.Generator(7);
      const Ctor = mode === 'LSTM' ? nn.LSTM : nn.GRU;
      const m = new Ctor(3, 4, { ...cfg, dtype: f64, generator: g });
      const S = cfg.numLayers * (cfg.bidirectional ? 2 : 1);
      const x = nb.randn([5, 2, 3], { dtype: f64, generator: g });
      const h0 = nb.randn([S, 2, 4], { dtype: f64, generator: g });
      const c0 = nb.randn([S, 2, 4], { dtype: f64, generator: g });
      const ref = reference(m, mode, x.toArray() as number[][][], h0.toArray() as number[][][], mode === 'LSTM' ? (c0.toArray() as number[][][]) : null);
      if (m instanceof nn.LSTM) {
        const [out, [h, c]] = m.forward(x, [h0, c0]);
        assert.deepEqual(out.shape, [5, 2, 4 * (cfg.bidirectional ? 2 : 1)]);
        close(out.dataArray(), flat(ref.output), 'output');
        close(h.dataArray(), flat(ref.hn), 'h_n');
        close(c.dataArray(), flat(ref.cn), 'c_n');
      } else {
        const [out, h] = (m as nb.nn.GRU).forward(x, h0);
        close(out.dataArray(), flat(ref.output), 'output');
        close(h.dataArray(), flat(ref.hn), 'h_n');
      }
    });
  }
}

test('batchFirst and unbatched inputs give the same numbers as the [L, N, ·] layout; missing states are zeros', () => {
  const g = new nb.Generator(3);
  const a = new nn.LSTM(3, 4, 2, true, false, 0, true, { dtype: f64, generator: g });
  const b = new nn.LSTM(3, 4, 2, true, true, 0, true, { dtype: f64 });
  b.loadStateDict(a.stateDict());
  const x = nb.randn([5, 2, 3], { dtype: f64, generator: g });
  const [oa, [ha, ca]] = a.forward(x);
  const [ob, [hb, cb]] = b.forward(x.transpose(0, 1));
  assert.deepEqual(ob.shape, [2, 5, 8]);
  close(ob.transpose(0, 1).contiguous().dataArray(), oa.dataArray(), 'batchFirst output');
  close(hb.dataArray(), ha.dataArray(), 'batchFirst h_n');
  close(cb.dataArray(), ca.dataArray(), 'batchFirst c_n');
  const zeros = nb.zeros([4, 2, 4], { dtype: f64 });
  close(a.forward(x, [zeros, zeros])[0].dataArray(), oa.dataArray(), 'zero states');
  const gru = new nn.GRU(3, 4, { dtype: f64, generator: g });
  const x1 = nb.randn([5, 3], { dtype: f64, generator: g });
  const [o1, h1] = gru.forward(x1);
  assert.deepEqual(o1.shape, [5, 4]);
  assert.deepEqual(h1.shape, [1, 4]);
  const [o2, h2] = gru.forward(x1.unsqueeze(1));
  close(o1.dataArray(), o2.dataArray(), 'unbatched output');
  close(h1.dataArray(), h2.dataArray(), 'unbatched h_n');
});

test('PyTorch parameter names, shapes and init bounds U(−1/√H, 1/√H)', () => {
  const m = new nn.LSTM(3, 4, 2, { bidirectional: true, generator: new nb.Generator(1) });
  const names = Object.entries(m.stateDict()).map(([k, v]) => `${k} ${v.shape.join('x')}`);
  assert.deepEqual(names, [
    'weight_ih_l0 16x3', 'weight_hh_l0 16x4', 'bias_ih_l0 16', 'bias_hh_l0 16',
    'weight_ih_l0_reverse 16x3', 'weight_hh_l0_reverse 16x4', 'bias_ih_l0_reverse 16', 'bias_hh_l0_reverse 16',
    'weight_ih_l1 16x8', 'weight_hh_l1 16x4', 'bias_ih_l1 16', 'bias_hh_l1 16',
    'weight_ih_l1_reverse 16x8', 'weight_hh_l1_reverse 16x4', 'bias_ih_l1_reverse 16', 'bias_hh_l1_reverse 16',
  ]);
  const all = m.parameters().flatMap((p) => p.dataArray());
  assert.ok(all.every((v) => Math.abs(v) <= 0.5) && Math.max(...all) > 0.45 && Math.min(...all) < -0.45);
  assert.deepEqual(Object.keys(new nn.GRU(2, 3, { bias: false }).stateDict()), ['weight_ih_l0', 'weight_hh_l0']);
  assert.equal(String(new nn.GRU(2, 3, 2, { batchFirst: true, bidirectional: true })), 'GRU(2, 3, num_layers=2, batch_first=True, bidirectional=True)');
});

test('gradcheck of LSTM and GRU: input, initial states and every parameter (float64)', () => {
  const g = new nb.Generator(5);
  const lstm = new nn.LSTM(2, 2, 2, { bidirectional: true, dtype: f64, generator: g });
  const x = nb.randn([3, 2, 2], { dtype: f64, generator: g, requiresGrad: true });
  const h0 = nb.randn([4, 2, 2], { dtype: f64, generator: g, requiresGrad: true });
  const c0 = nb.randn([4, 2, 2], { dtype: f64, generator: g, requiresGrad: true });
  const ps = lstm.parameters();
  assert.ok(nb.autograd.gradcheck((xx, hh, cc, ...p) => withParams(lstm, p, () => {
    const [o, [h, c]] = lstm.forward(xx!, [hh!, cc!]);
    return [o, h, c];
  }), [x, h0, c0, ...ps], { atol: 1e-8, rtol: 1e-6 }));
  const gru = new nn.GRU(2, 2, 2, { batchFirst: true, dtype: f64, generator: g });
  const xg = nb.randn([2, 3, 2], { dtype: f64, generator: g, requiresGrad: true });
  const hg = nb.randn([2, 2, 2], { dtype: f64, generator: g, requiresGrad: true });
  assert.ok(nb.autograd.gradcheck((xx, hh, ...p) => withParams(gru, p, () => gru.forward(xx!, hh!)), [xg, hg, ...gru.parameters()], { atol: 1e-8, rtol: 1e-6 }));
});

test('dropout between layers only while training; eval is deterministic', () => {
  const g = new nb.Generator(9);
  const m = new nn.GRU(3, 4, 2, { dropout: 0.5, dtype: f64, generator: g });
  const ref = new nn.GRU(3, 4, 2, { dtype: f64 });
  ref.loadStateDict(m.stateDict());
  const x = nb.randn([4, 2, 3], { dtype: f64, generator: g });
  m.eval();
  close(m.forward(x)[0].dataArray(), ref.forward(x)[0].dataArray(), 'eval output');
  m.train();
  const a = m.forward(x)[0].dataArray(), b = ref.forward(x)[0].dataArray();
  assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-6), 'training output uses dropout');
  // with one layer there is no dropout at all
  const one = new nn.LSTM(3, 4, { dropout: 0.9, dtype: f64, generator: g });
  const oneRef = new nn.LSTM(3, 4, { dtype: f64 });
  oneRef.loadStateDict(one.stateDict());
  close(one.forward(x)[0].dataArray(), oneRef.forward(x)[0].dataArray(), 'single layer');
});

test('LSTM / GRU arguments are checked and errors name the module and the argument', () => {
  assert.throws(() => new nn.LSTM(3, 4, { numLayer: 2 } as never), /LSTM: unknown option 'numLayer' \(did you mean numLayers\?\)/);
  assert.throws(() => new nn.GRU(3, 4, { batch_first: true } as never), /GRU: unknown option 'batch_first' \(did you mean batchFirst\?\)/);
  assert.throws(() => new nn.LSTM(3, 4, { projSize: 2 } as never), /LSTM: unknown option 'projSize'/);
  assert.throws(() => new (nn.LSTM as any)(3, 4, 1, true, false, 0, false, 7), /LSTM: expected at most 7 positional/);
  assert.throws(() => new nn.GRU(3, 0), /GRU: hiddenSize must be an integer ≥ 1, got number 0/);
  assert.throws(() => new nn.LSTM(3, 4, 1, 'yes' as never), /LSTM: bias must be true or false/);
  assert.throws(() => new nn.LSTM(3, 4, { dropout: 1.5 }), /LSTM: dropout must be a number in \[0, 1\]/);
  const m = new nn.LSTM(3, 4, 2);
  assert.throws(() => m.forward(nb.zeros([5, 2, 2])), /LSTM: input.size\(-1\) must be equal to inputSize. Expected 3, got 2/);
  assert.throws(() => m.forward(nb.zeros([5, 2, 3]), [nb.zeros([1, 2, 4]), nb.zeros([2, 2, 4])]), /LSTM: Expected h0 size \(2, 2, 4\), got \[1, 2, 4\]/);
  assert.throws(() => m.forward(nb.zeros([5, 2, 3]), nb.zeros([2, 2, 4]) as never), /LSTM.forward: hx must be a pair \[h0, c0\]/);
  assert.throws(() => new nn.GRU(3, 4).forward(nb.zeros([2, 3, 4, 3])), /GRU: Expected input to be 2-D \(unbatched\) or 3-D/);
  assert.throws(() => new nn.GRU(3, 4).forward(nb.zeros([0, 2, 3])), /GRU: the input sequence is empty/);
});
