/**
 * The op table (test/ops_table.ts: the op records' cases and the hand-written rows) through real PyTorch 1.13
 * (one /usr/bin/python3 process): every row is run on the inputs the table's sampler draws for it (float64),
 * and the outputs and the gradients of Σ outᵢ·cotangentᵢ (a seeded random cotangent per output) with respect
 * to every input must equal torch's to 1e-12 relative (max(1, |torch|) as the scale). Each row carries its
 * torch expression in its case (`torch: 'F.softplus(x[0], beta=2)'`, `x` the list of input tensors); a row
 * without one fails the test unless UNMAPPED below says why it has none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { opCases } from '../test/ops_table.js';
import { sampleInputs, seedOf } from '../test/op_inputs.js';
import { maxRelErr, runTorch, toWire, type WireTensor } from './torch_bridge.js';

const f64 = 'float64' as const;

/** rows deliberately not compared, with the reason */
const UNMAPPED: Record<string, string> = {
  // torch's index_put with a repeated position and accumulate=False keeps the last write in the forward but
  // its backward hands the output gradient at that position to every value written there (grad[indices]);
  // nabla gives it to the value that was kept only (the forward values agree)
  'indexPut overwrite a repeated position (last write wins)': "torch's value gradient counts overwritten values",
  // a deliberate difference: for a row of all −∞ (a fully masked row), torch 1.13's log_softmax gives NaN
  // values and NaN gradients; nabla gives −∞ values and passes the gradient through (dx = g, as exp(y) = 0),
  // so one masked row does not turn a whole loss into NaN; the op table checks nabla's values there
  'logSoftmax all −∞ row': 'deliberately −∞ where torch 1.13 gives NaN',
};

const PY = String.raw`
import torch.nn.functional as F
req = json.load(sys.stdin)
def flat(o):
    if isinstance(o, torch.Tensor): return [o]
    if isinstance(o, (tuple, list)): return [t for e in o for t in flat(e)]
    raise TypeError('unexpected result %r' % (o,))
res = []
for c in req['rows']:
    x = [dec(w, c['diff']) for w in c['inputs']]
    outs = flat(eval(c['torch']))
    r = {'outs': [enc(o) for o in outs], 'dtypes': [str(o.dtype).replace('torch.', '') for o in outs]}
    if c['diff']:
        loss = sum((o * dec(ct)).sum() for o, ct in zip(outs, c['cot']) if o.requires_grad)
        gs = torch.autograd.grad(loss, x, allow_unused=True)
        r['grads'] = [enc(g) if g is not None else None for g in gs]
    res.append(r)
print(json.dumps(res))
`;

test('the op table through PyTorch 1.13: forward values and gradients of every row (float64)', () => {
  const missing = opCases.filter((c) => !c.torch && !(c.name in UNMAPPED)).map((c) => c.name);
  assert.deepEqual(missing, [], 'op-table rows without a torch expression (the `torch` field of their case)');
  const rows = opCases.filter((c) => c.torch && !(c.name in UNMAPPED));
  const ours = rows.map((c) => {
    const diff = c.differentiable !== false;
    const inputs = sampleInputs(c).map((v, i) => nb.tensor(v, { dtype: f64, shape: c.shapes[i]!, requiresGrad: diff }));
    const r = c.fn(...inputs);
    const outs = Array.isArray(r) ? r : [r];
    const g = new nb.Generator(seedOf(`cotangent ${c.name}`));
    const cot = outs.map((o) => nb.randn([...o.shape], { dtype: f64, generator: g }));
    let grads: (nb.Tensor | null)[] = [];
    if (diff) {
      const terms = outs.map((o, i) => o.mul(cot[i]!).sum());
      const loss = terms.reduce((a, b) => a.add(b));
      grads = nb.autograd.grad(loss, inputs, { allowUnused: true });
    }
    return { c, diff, inputs, outs, cot, grads };
  });
  const theirs = runTorch<{ outs: WireTensor[]; dtypes: string[]; grads?: (WireTensor | null)[] }[]>(PY, {
    rows: ours.map((o) => ({ torch: o.c.torch!, diff: o.diff, inputs: o.inputs.map(toWire), cot: o.cot.map(toWire) })),
  });
  const failures: string[] = [];
  let values = 0, grads = 0;
  ours.forEach((o, i) => {
    const t = theirs[i]!;
    const name = o.c.name;
    if (t.outs.length !== o.outs.length) { failures.push(`${name}: ${o.outs.length} outputs, torch ${t.outs.length}`); return; }
    o.outs.forEach((out, j) => {
      const ref = t.outs[j]!;
      if (out.shape.join() !== ref.shape.join()) { failures.push(`${name} output ${j}: shape [${out.shape}] vs torch [${ref.shape}]`); return; }
      const isBool = t.dtypes[j] === 'bool';
      if (isBool !== (out.dtype === 'bool')) failures.push(`${name} output ${j}: dtype ${out.dtype} vs torch ${t.dtypes[j]}`);
      const e = maxRelErr(out.dataArray(), ref.data);
      if (!(e <= 1e-12)) failures.push(`${name} output ${j}: max rel error ${e.toExponential(2)}`);
      values++;
    });
    if (!o.diff) return;
    o.inputs.forEach((_, j) => {
      const a = o.grads[j] ?? null, b = t.grads![j] ?? null;
      // an input that does not reach the output: no gradient on one side equals zeros on the other
      const av = a ? a.dataArray() : b ? new Array<number>(b.data.length).fill(0) : [];
      const bv = b ? b.data : a ? new Array<number>(av.length).fill(0) : [];
      const e = maxRelErr(av, bv);
      if (!(e <= 1e-12)) failures.push(`${name} gradient of input ${j}: max rel error ${e.toExponential(2)}`);
      grads++;
    });
  });
  assert.deepEqual(failures, []);
  // the whole table was compared (numbers for the README: rows, output tensors, input gradients)
  assert.equal(rows.length, opCases.length - Object.keys(UNMAPPED).length);
  console.log(`torch_ops: ${rows.length} rows, ${values} outputs and ${grads} input gradients equal to PyTorch 1.13`);
});
