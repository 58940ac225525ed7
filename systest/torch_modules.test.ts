/**
 * nabla's modules against real PyTorch 1.13 (one /usr/bin/python3 process):
 *   1. forward and backward: each module is built and initialised in nabla (float64), its state dict is loaded
 *      into the torch module of the same configuration with load_state_dict(strict=True), both run the same
 *      inputs, and outputs, input gradients and every parameter's gradient of Σ out·cotangent must agree;
 *   2. state-dict layouts: the key lists (in order) and shapes of nabla's modules equal torch's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { maxRelErr, runTorch, toWire, type WireTensor } from './torch_bridge.js';

const nn = nb.nn;
const f64 = 'float64' as const;
const g = new nb.Generator(1311);
const randn = (...shape: number[]) => nb.randn(shape, { dtype: f64, generator: g });
const causal = (n: number) => nb.tensor(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => j > i)), { dtype: 'bool' });
const padMask = (rows: boolean[][]) => nb.tensor(rows, { dtype: 'bool' });

/** Flatten a module's result (tensor, nested arrays, nulls) to a list of tensors, as the Python side does. */
const flat = (o: unknown): nb.Tensor[] => (o instanceof nb.Tensor ? [o] : Array.isArray(o) ? o.flatMap(flat) : []);

interface ModuleCase {
  name: string;
  /** the nabla module (float64) */
  make: () => nb.nn.Module;
  /** the same module in torch (a Python expression; nn is torch.nn) */
  torch: string;
  inputs: () => nb.Tensor[];
  /** which inputs are differentiated (float inputs by default) */
  grads?: boolean[];
  call: (m: any, x: nb.Tensor[]) => unknown;
  /** the same call in Python, on m and the list x */
  pycall: string;
  eval?: boolean;
}

const lstmCases: ModuleCase[] = [
  { name: 'LSTM(3, 4)', make: () => new nn.LSTM(3, 4, { dtype: f64, generator: g }), torch: 'nn.LSTM(3, 4)', inputs: () => [randn(5, 2, 3)], call: (m, x) => m.forward(x[0]), pycall: 'm(x[0])' },
  { name: 'LSTM(3, 4, 2 layers) with [h0, c0]', make: () => new nn.LSTM(3, 4, 2, { dtype: f64, generator: g }), torch: 'nn.LSTM(3, 4, 2)', inputs: () => [randn(4, 3, 3), randn(2, 3, 4), randn(2, 3, 4)], call: (m, x) => m.forward(x[0], [x[1], x[2]]), pycall: 'm(x[0], (x[1], x[2]))' },
  { name: 'LSTM bidirectional', make: () => new nn.LSTM(3, 4, { bidirectional: true, dtype: f64, generator: g }), torch: 'nn.LSTM(3, 4, bidirectional=True)', inputs: () => [randn(5, 2, 3)], call: (m, x) => m.forward(x[0]), pycall: 'm(x[0])' },
  { name: 'LSTM 2 layers, bidirectional, batchFirst, with state', make: () => new nn.LSTM(3, 4, 2, true, true, 0, true, { dtype: f64, generator: g }), torch: 'nn.LSTM(3, 4, 2, True, True, 0.0, True)', inputs: () => [randn(2, 5, 3), randn(4, 2, 4), randn(4, 2, 4)], call: (m, x) => m.forward(x[0], [x[1], x[2]]), pycall: 'm(x[0], (x[1], x[2]))' },
  { name: 'LSTM bias=false', make: () => new nn.LSTM(2, 3, { bias: false, dtype: f64, generator: g }), torch: 'nn.LSTM(2, 3, bias=False)', inputs: () => [randn(3, 2, 2)], call: (m, x) => m.forward(x[0]), pycall: 'm(x[0])' },
  { name: 'LSTM unbatched, 2 layers, bidirectional', make: () => new nn.LSTM(3, 2, 2, { bidirectional: true, dtype: f64, generator: g }), torch: 'nn.LSTM(3, 2, 2, bidirectional=True)', inputs: () => [randn(4, 3), randn(4, 2), randn(4, 2)], call: (m, x) => m.forward(x[0], [x[1], x[2]]), pycall: 'm(x[0], (x[1], x[2]))' },
];

const gruCases: ModuleCase[] = [
  { name: 'GRU(3, 4)', make: () => new nn.GRU(3, 4, { dtype: f64, generator: g }), torch: 'nn.GRU(3, 4)', inputs: () => [randn(5, 2, 3)], call: (m, x) => m.forward(x[0]), pycall: 'm(x[0])' },
  { name: 'GRU 2 layers with h0', make: () => new nn.GRU(3, 4, 2, { dtype: f64, generator: g }), torch: 'nn.GRU(3, 4, 2)', inputs: () => [randn(4, 3, 3), randn(2, 3, 4)], call: (m, x) => m.forward(x[0], x[1]), pycall: 'm(x[0], x[1])' },
  { name: 'GRU 2 layers, bidirectional, batchFirst', make: () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, dtype: f64, generator: g }), torch: 'nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)', inputs: () => [randn(2, 5, 3), randn(4, 2, 4)], call: (m, x) => m.forward(x[0], x[1]), pycall: 'm(x[0], x[1])' },
  { name: 'GRU bias=false, unbatched', make: () => new nn.GRU(2, 3, 1, false, { dtype: f64, generator: g }), torch: 'nn.GRU(2, 3, 1, False)', inputs: () => [randn(4, 2)], call: (m, x) => m.forward(x[0]), pycall: 'm(x[0])' },
];

const enc = (normFirst: boolean, activation: 'relu' | 'gelu', batchFirst: boolean) => ({
  make: () => new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, activation, batchFirst, normFirst, dtype: f64, generator: g }),
  torch: `nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation='${activation}', batch_first=${batchFirst ? 'True' : 'False'}, norm_first=${normFirst ? 'True' : 'False'})`,
});
const dec = (normFirst: boolean, activation: 'relu' | 'gelu') => ({
  make: () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, dropout: 0, activation, normFirst, dtype: f64, generator: g }),
  torch: `nn.TransformerDecoderLayer(8, 2, dim_feedforward=12, dropout=0.0, activation='${activation}', norm_first=${normFirst ? 'True' : 'False'})`,
});

const transformerCases: ModuleCase[] = [
  { name: 'MultiheadAttention self, with weights', make: () => new nn.MultiheadAttention(8, 2, { dtype: f64, generator: g }), torch: 'nn.MultiheadAttention(8, 2)', inputs: () => [randn(4, 2, 8)], call: (m, x) => m.forward(x[0], x[0], x[0]), pycall: 'm(x[0], x[0], x[0])', eval: true },
  { name: 'MultiheadAttention cross, key padding', make: () => new nn.MultiheadAttention(8, 4, { batchFirst: true, dtype: f64, generator: g }), torch: 'nn.MultiheadAttention(8, 4, batch_first=True)', inputs: () => [randn(2, 3, 8), randn(2, 5, 8), randn(2, 5, 8), padMask([[false, false, false, true, true], [false, false, false, false, false]])], call: (m, x) => m.forward(x[0], x[1], x[2], { keyPaddingMask: x[3] }), pycall: 'm(x[0], x[1], x[2], key_padding_mask=x[3])', eval: true },
  { name: 'TransformerEncoderLayer post-norm relu', ...enc(false, 'relu', false), inputs: () => [randn(5, 2, 8)], call: (m, x) => m.forward(x[0]), pycall: 'm(x[0])', eval: true },
  { name: 'TransformerEncoderLayer normFirst gelu', ...enc(true, 'gelu', false), inputs: () => [randn(5, 2, 8)], call: (m, x) => m.forward(x[0]), pycall: 'm(x[0])', eval: true },
  { name: 'TransformerEncoderLayer post-norm, causal srcMask + key padding, batchFirst', ...enc(false, 'relu', true), inputs: () => [randn(2, 4, 8), causal(4), padMask([[false, false, false, true], [false, false, false, false]])], call: (m, x) => m.forward(x[0], x[1], x[2]), pycall: 'm(x[0], x[1], x[2])', eval: true },
  { name: 'TransformerEncoderLayer normFirst, float srcMask', ...enc(true, 'relu', false), inputs: () => [randn(4, 2, 8), randn(4, 4)], grads: [true, false], call: (m, x) => m.forward(x[0], { srcMask: x[1] }), pycall: 'm(x[0], src_mask=x[1])', eval: true },
  { name: 'TransformerDecoderLayer post-norm', ...dec(false, 'relu'), inputs: () => [randn(4, 2, 8), randn(6, 2, 8)], call: (m, x) => m.forward(x[0], x[1]), pycall: 'm(x[0], x[1])', eval: true },
  { name: 'TransformerDecoderLayer normFirst gelu, tgtMask + memoryKeyPaddingMask', ...dec(true, 'gelu'), inputs: () => [randn(4, 2, 8), randn(5, 2, 8), causal(4), padMask([[false, false, true, true, true], [false, false, false, false, true]])], call: (m, x) => m.forward(x[0], x[1], { tgtMask: x[2], memoryKeyPaddingMask: x[3] }), pycall: 'm(x[0], x[1], tgt_mask=x[2], memory_key_padding_mask=x[3])', eval: true },
  { name: 'TransformerDecoderLayer post-norm, memoryMask + tgtKeyPaddingMask', ...dec(false, 'gelu'), inputs: () => [randn(3, 2, 8), randn(5, 2, 8), padMask([[false, true, false, false, false], [false, false, true, false, false], [true, false, false, false, false]]), padMask([[false, false, true], [false, false, false]])], call: (m, x) => m.forward(x[0], x[1], null, x[2], x[3]), pycall: 'm(x[0], x[1], None, x[2], x[3])', eval: true },
  {
    name: 'TransformerEncoder(2 layers, final LayerNorm) with mask',
    make: () => new nn.TransformerEncoder(enc(false, 'relu', false).make(), 2, new nn.LayerNorm(8, { dtype: f64 })),
    torch: `nn.TransformerEncoder(${enc(false, 'relu', false).torch}, 2, nn.LayerNorm(8))`,
    inputs: () => [randn(4, 2, 8), causal(4)], call: (m, x) => m.forward(x[0], x[1]), pycall: 'm(x[0], x[1])', eval: true,
  },
  {
    name: 'TransformerDecoder(2 layers)',
    make: () => new nn.TransformerDecoder(dec(true, 'relu').make(), 2),
    torch: `nn.TransformerDecoder(${dec(true, 'relu').torch}, 2)`,
    inputs: () => [randn(3, 2, 8), randn(4, 2, 8), causal(3)], call: (m, x) => m.forward(x[0], x[1], x[2]), pycall: 'm(x[0], x[1], x[2])', eval: true,
  },
];

const CASES = [...lstmCases, ...gruCases, ...transformerCases];

/** Modules whose state-dict keys and shapes must equal torch's (the nabla module, the torch expression). */
const LAYOUTS: [string, () => nb.nn.Module, string][] = [
  ['Linear', () => new nn.Linear(3, 4), 'nn.Linear(3, 4)'],
  ['Linear no bias', () => new nn.Linear(3, 4, false), 'nn.Linear(3, 4, False)'],
  ['Conv2d', () => new nn.Conv2d(2, 4, 3), 'nn.Conv2d(2, 4, 3)'],
  ['Conv1d no bias', () => new nn.Conv1d(2, 4, 3, { bias: false }), 'nn.Conv1d(2, 4, 3, bias=False)'],
  ['BatchNorm2d', () => new nn.BatchNorm2d(3), 'nn.BatchNorm2d(3)'],
  ['BatchNorm1d affine=false', () => new nn.BatchNorm1d(3, { affine: false }), 'nn.BatchNorm1d(3, affine=False)'],
  ['LayerNorm', () => new nn.LayerNorm([2, 5]), 'nn.LayerNorm([2, 5])'],
  ['Embedding', () => new nn.Embedding(10, 3), 'nn.Embedding(10, 3)'],
  ['LSTM 2 layers bidirectional', () => new nn.LSTM(3, 4, 2, { bidirectional: true }), 'nn.LSTM(3, 4, 2, bidirectional=True)'],
  ['LSTM bias=false', () => new nn.LSTM(3, 4, { bias: false }), 'nn.LSTM(3, 4, bias=False)'],
  ['GRU 3 layers', () => new nn.GRU(5, 2, 3), 'nn.GRU(5, 2, 3)'],
  ['GRU bidirectional', () => new nn.GRU(5, 2, { bidirectional: true }), 'nn.GRU(5, 2, bidirectional=True)'],
  ['MultiheadAttention', () => new nn.MultiheadAttention(8, 2), 'nn.MultiheadAttention(8, 2)'],
  ['MultiheadAttention no bias', () => new nn.MultiheadAttention(8, 2, { bias: false }), 'nn.MultiheadAttention(8, 2, bias=False)'],
  ['TransformerEncoderLayer', () => new nn.TransformerEncoderLayer(8, 2), 'nn.TransformerEncoderLayer(8, 2)'],
  ['TransformerDecoderLayer', () => new nn.TransformerDecoderLayer(8, 2, 32), 'nn.TransformerDecoderLayer(8, 2, 32)'],
  ['TransformerEncoder + norm', () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, 16), 3, new nn.LayerNorm(8)), 'nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 3, nn.LayerNorm(8))'],
  ['TransformerDecoder', () => new nn.TransformerDecoder(new nn.TransformerDecoderLayer(8, 2, 16), 2), 'nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2)'],
  [
    'Sequential nesting',
    () => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.Sequential(new nn.Flatten(), new nn.Linear(8, 4)), new nn.ModuleList([new nn.Linear(4, 2), new nn.LayerNorm(2)])),
    'nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Sequential(nn.Flatten(), nn.Linear(8, 4)), nn.ModuleList([nn.Linear(4, 2), nn.LayerNorm(2)]))',
  ],
  ['ModuleDict', () => new nn.ModuleDict({ enc: new nn.Linear(2, 3), rnn: new nn.GRU(3, 3) }), "nn.ModuleDict({'enc': nn.Linear(2, 3), 'rnn': nn.GRU(3, 3)})"],
];

const PY = String.raw`
import torch.nn as nn
req = json.load(sys.stdin)
out = {'cases': [], 'layouts': []}
def flat(o):
    if isinstance(o, torch.Tensor): return [o]
    if isinstance(o, (tuple, list)): return [t for e in o for t in flat(e)]
    return []
for c in req['cases']:
    m = eval(c['torch']).double()
    m.load_state_dict({k: dec(v) for k, v in c['state'].items()}, strict=True)
    if c['eval']: m.eval()
    x = [dec(w, gr) for w, gr in zip(c['inputs'], c['grads'])]
    outs = flat(eval(c['pycall']))
    loss = sum((o * dec(ct)).sum() for o, ct in zip(outs, c['cot']))
    loss.backward()
    out['cases'].append({
        'outs': [enc(o) for o in outs],
        'inputGrads': [enc(t.grad) if gr else None for t, gr in zip(x, c['grads'])],
        'paramGrads': {n: enc(p.grad) for n, p in m.named_parameters()},
    })
for expr in req['layouts']:
    m = eval(expr)
    out['layouts'].append([[k, list(v.shape)] for k, v in m.state_dict().items()])
print(json.dumps(out))
`;

interface TorchCase {
  outs: WireTensor[];
  inputGrads: (WireTensor | null)[];
  paramGrads: Record<string, WireTensor>;
}

test('modules against PyTorch 1.13: outputs, input gradients and parameter gradients (float64), and state-dict layouts', () => {
  const built = CASES.map((c) => {
    const m = c.make();
    // every parameter random (LayerNorm weights start at ones and attention biases at zeros: a mix-up of
    // two norms or a dropped bias would not show with the initial values)
    const n = m.parameters().reduce((k, p) => k + p.numel(), 0);
    nn.utils.vectorToParameters(randn(n).mul(0.5), m.parameters());
    if (c.eval) m.eval();
    const inputs = c.inputs();
    const grads = c.grads ?? inputs.map((t) => t.dtype === f64);
    inputs.forEach((t, i) => { if (grads[i]) t.requiresGrad = true; });
    const outs = flat(c.call(m, inputs));
    const cot = outs.map((o) => randn(...o.shape));
    outs.reduce((acc: nb.Tensor | null, o, i) => { const s = o.mul(cot[i]!).sum(); return acc ? acc.add(s) : s; }, null)!.backward();
    return { c, m, inputs, grads, outs, cot };
  });
  const req = {
    cases: built.map((b) => ({
      torch: b.c.torch, pycall: b.c.pycall, eval: !!b.c.eval, grads: b.grads,
      state: Object.fromEntries(Object.entries(b.m.stateDict()).map(([k, v]) => [k, toWire(v)])),
      inputs: b.inputs.map(toWire), cot: b.cot.map(toWire),
    })),
    layouts: LAYOUTS.map(([, , expr]) => expr),
  };
  const res = runTorch<{ cases: TorchCase[]; layouts: [string, number[]][][] }>(PY, req);
  const failures: string[] = [];
  const check = (what: string, a: nb.Tensor | null | undefined, b: WireTensor | null | undefined) => {
    if (!a || !b) { if (a || b) failures.push(`${what}: present on one side only`); return; }
    if (a.shape.join() !== b.shape.join()) { failures.push(`${what}: shape [${a.shape}] vs torch [${b.shape}]`); return; }
    const e = maxRelErr(a.dataArray(), b.data);
    if (!(e <= 1e-10)) failures.push(`${what}: max rel error ${e.toExponential(2)}`);
  };
  let compared = 0;
  built.forEach((b, i) => {
    const t = res.cases[i]!;
    if (t.outs.length !== b.outs.length) failures.push(`${b.c.name}: ${b.outs.length} outputs vs torch ${t.outs.length}`);
    b.outs.forEach((o, j) => check(`${b.c.name} output ${j}`, o, t.outs[j]));
    b.inputs.forEach((x, j) => { if (b.grads[j]) check(`${b.c.name} grad of input ${j}`, x.grad, t.inputGrads[j]); });
    const names = b.m.namedParameters().map(([n]) => n);
    assert.deepEqual(names, Object.keys(t.paramGrads), `${b.c.name}: parameter names`);
    for (const [n, p] of b.m.namedParameters()) check(`${b.c.name} grad of ${n}`, p.grad, t.paramGrads[n]);
    compared++;
  });
  assert.deepEqual(failures, []);
  assert.equal(compared, CASES.length);

  LAYOUTS.forEach(([name, make], i) => {
    const ours = Object.entries(make().stateDict()).map(([k, v]) => [k, [...v.shape]]);
    assert.deepEqual(ours, res.layouts[i], `${name}: state-dict keys and shapes`);
  });
});
