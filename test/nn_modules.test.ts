import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import * as nn from '../src/nn/index.js';
import type { Tensor } from '../src/index.js';

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${msg} [${i}]: ${a} vs ${e}`);
  }
}

const arr = (t: Tensor) => t.dataArray();

/** row-major [r, c] matrix from a tensor */
function mat(t: Tensor): number[][] {
  return t.toArray() as number[][];
}

class Net extends nn.Module {
  fc1: nn.Linear;
  bn: nn.BatchNorm1d;
  blocks: nn.ModuleList;
  fc2: nn.Linear;

  constructor(g = new nb.Generator(1)) {
    super();
    this.fc1 = new nn.Linear(4, 8, { generator: g });
    this.bn = new nn.BatchNorm1d(8);
    this.blocks = new nn.ModuleList([new nn.Linear(8, 8, { generator: g }), new nn.ReLU(), new nn.Linear(8, 8, { bias: false, generator: g })]);
    this.fc2 = new nn.Linear(8, 3, { generator: g });
  }

  forward(x: Tensor): Tensor {
    let h = nb.relu(this.bn.call(this.fc1.call(x)));
    for (const m of this.blocks) h = m.call(h);
    return this.fc2.call(h);
  }
}

describe('Module registration and traversal', () => {
  test('parameter names, order and stateDict keys of a nested model', () => {
    const net = new Net();
    assert.deepEqual(net.namedParameters().map(([n]) => n), [
      'fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'blocks.0.weight', 'blocks.0.bias', 'blocks.2.weight', 'fc2.weight', 'fc2.bias',
    ]);
    assert.deepEqual(net.parameters().map((p) => p.shape), [[8, 4], [8], [8], [8], [8, 8], [8], [8, 8], [3, 8], [3]]);
    assert.ok(net.parameters().every((p) => p.requiresGrad && p.isLeaf && nn.isParameter(p)));
    assert.deepEqual(Object.keys(net.stateDict()), [
      'fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked',
      'blocks.0.weight', 'blocks.0.bias', 'blocks.2.weight', 'fc2.weight', 'fc2.bias',
    ]);
    assert.deepEqual(net.namedBuffers().map(([n]) => n), ['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    assert.deepEqual(net.namedChildren().map(([n]) => n), ['fc1', 'bn', 'blocks', 'fc2']);
    assert.deepEqual(net.namedModules().map(([n]) => n), ['', 'fc1', 'bn', 'blocks', 'blocks.0', 'blocks.1', 'blocks.2', 'fc2']);
    assert.equal(net.modules().length, 8);
    assert.equal(net.numParameters(), 8 * 4 + 8 + 8 + 8 + 64 + 8 + 64 + 24 + 3);
    assert.equal(net.getSubmodule('blocks.2'), net.blocks.at(2));
    assert.equal(net.getParameter('blocks.0.bias'), (net.blocks.at(0) as nn.Linear).bias);

    const seq = new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 2));
    assert.deepEqual(Object.keys(seq.stateDict()), [
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '3.weight', '3.bias',
    ]);
    assert.deepEqual(seq.call(nb.randn([5, 4])).shape, [5, 2]);
  });

  test('field assignment registers; reassignment keeps the slot; plain tensors are refused for parameter slots', () => {
    class M extends nn.Module {
      a: Tensor;
      child: nn.Module | null;
      b: Tensor;
      notAParam: Tensor;
      constructor() {
        super();
        this.a = nn.parameter(nb.zeros([2]));
        this.child = new nn.Linear(2, 2);
        this.b = nn.parameter(nb.ones([3]));
        this.notAParam = nb.ones([1]);
        this.registerBuffer('stat', nb.zeros([2]));
        this.registerBuffer('scratch', nb.zeros([2]), false);
      }
      forward(x: Tensor): Tensor { return x; }
    }
    const m = new M();
    assert.deepEqual(m.namedParameters().map(([n]) => n), ['a', 'b', 'child.weight', 'child.bias']);
    assert.deepEqual(Object.keys(m.stateDict()), ['a', 'b', 'stat', 'child.weight', 'child.bias']);
    const a2 = nn.parameter(nb.full([2], 7));
    m.a = a2; // reassigning keeps the position
    assert.equal(m.namedParameters()[0]![1], a2);
    assert.throws(() => { m.b = nb.ones([3]); }, /cannot assign a plain tensor .* as parameter 'b'/);
    m.child = null;
    assert.deepEqual(m.namedParameters().map(([n]) => n), ['a', 'b']);
    assert.equal(m.toString(), 'M(\n  (child): None\n)');
    // shared parameters are reported once
    const lin = new nn.Linear(2, 2);
    const tied = new nn.Sequential(lin, lin);
    assert.equal(tied.parameters().length, 2);
    assert.throws(() => m.registerParameter('x.y', nb.zeros([1])), /can't contain "."/);
  });

  test('toString is a tree like PyTorch repr', () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Sequential(new nn.Dropout(0.25), new nn.BatchNorm1d(3)));
    assert.equal(seq.toString(), [
      'Sequential(',
      '  (0): Linear(in_features=2, out_features=3, bias=True)',
      '  (1): ReLU()',
      '  (2): Sequential(',
      '    (0): Dropout(p=0.25, inplace=False)',
      '    (1): BatchNorm1d(3, eps=0.00001, momentum=0.1, affine=True, track_running_stats=True)',
      '  )',
      ')',
    ].join('\n'));
  });

  test('train()/eval() propagate to every descendant; apply visits all', () => {
    const net = new Net();
    assert.ok(net.modules().every((m) => m.training));
    net.eval();
    assert.ok(net.modules().every((m) => !m.training));
    net.blocks.train();
    assert.equal(net.training, false);
    assert.ok(net.blocks.modules().every((m) => m.training));
    net.train();
    assert.ok(net.modules().every((m) => m.training));
    const names: string[] = [];
    net.apply((m) => names.push(m.constructor.name));
    assert.deepEqual(names, ['Linear', 'BatchNorm1d', 'Linear', 'ReLU', 'Linear', 'ModuleList', 'Linear', 'Net']);
  });

  test('zeroGrad drops grads (default) or fills them with zeros', () => {
    const net = new Net();
    net.call(nb.randn([4, 4], { generator: new nb.Generator(3) })).sum().backward();
    assert.ok(net.parameters().every((p) => p.grad !== null));
    net.zeroGrad({ setToNone: false });
    assert.ok(net.parameters().every((p) => p.grad !== null && arr(p.grad).every((v) => v === 0)));
    net.call(nb.randn([4, 4])).sum().backward();
    assert.ok(net.parameters().some((p) => arr(p.grad!).some((v) => v !== 0)));
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === null));
  });

  test('containers: Sequential append/insert/pop, ModuleList indexing, ModuleDict', () => {
    const a = new nn.Linear(1, 2), b = new nn.ReLU(), c = new nn.Linear(2, 1);
    const s = new nn.Sequential(a).append(c);
    s.insert(1, b);
    assert.deepEqual(s.namedChildren().map(([n, m]) => [n, m]), [['0', a], ['1', b], ['2', c]]);
    assert.equal(s.at(-1), c);
    assert.equal((s as any)[1], b);
    assert.equal(s.pop(0), a);
    assert.deepEqual(Object.keys(s.stateDict()), ['1.weight', '1.bias']);
    assert.equal(s.length, 2);
    const l = new nn.ModuleList([new nn.Linear(2, 2)]);
    l.append(new nn.Linear(2, 3));
    assert.deepEqual([...l].map((m) => (m as nn.Linear).outFeatures), [2, 3]);
    assert.throws(() => l.forward(), /no forward/);
    const d = new nn.ModuleDict({ enc: new nn.Linear(2, 2), keys: new nn.Linear(2, 1) });
    assert.deepEqual(d.keys(), ['enc', 'keys']);
    assert.deepEqual(Object.keys(d.stateDict()), ['enc.weight', 'enc.bias', 'keys.weight', 'keys.bias']);
    assert.equal(typeof d.keys, 'function'); // a key named like a method does not clobber it
  });
});

describe('stateDict / loadStateDict', () => {
  test('round trip copies values in place (including buffers)', () => {
    const src = new Net(new nb.Generator(11));
    src.train();
    src.call(nb.randn([6, 4], { generator: new nb.Generator(2) })); // moves running stats
    const dst = new Net(new nb.Generator(12));
    const before = dst.fc1.weight;
    const res = dst.loadStateDict(src.stateDict());
    assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
    assert.equal(dst.fc1.weight, before, 'copied in place, same tensor');
    assert.ok(dst.fc1.weight.requiresGrad && dst.fc1.weight.isLeaf);
    for (const [k, v] of Object.entries(src.stateDict())) assert.deepEqual(arr(dst.stateDict()[k]!), arr(v), k);
    assert.equal(dst.bn.num_batches_tracked!.item(), 1);
    src.eval(); dst.eval();
    const x = nb.randn([3, 4]);
    close(arr(dst.call(x)), arr(src.call(x)), 1e-6);
  });

  test('stateDict values share storage with the module and are detached', () => {
    const lin = new nn.Linear(2, 2);
    const sd = lin.stateDict();
    assert.equal(sd['weight']!.requiresGrad, false);
    nb.noGrad(() => lin.weight.fill_(3));
    assert.ok(arr(sd['weight']!).every((v) => v === 3));
  });

  test('strict reports missing and unexpected keys; shape mismatch names key and shapes', () => {
    const net = new Net();
    const sd = net.stateDict();
    const missing = { ...sd };
    delete missing['fc2.bias'];
    delete missing['bn.running_var'];
    assert.throws(() => net.loadStateDict(missing), /Missing key\(s\) in state_dict: "bn\.running_var", "fc2\.bias"/);
    assert.throws(() => net.loadStateDict({ ...sd, 'fc3.weight': nb.ones([1]) }), /Unexpected key\(s\) in state_dict: "fc3\.weight"/);
    assert.throws(() => net.loadStateDict({ ...sd, 'fc1.weight': nb.ones([4, 8]) }), /size mismatch for fc1\.weight: .*shape \[4,8\].*shape in current model is \[8,4\]/);
    // non-strict: loads what matches, returns the rest
    const other = new Net(new nb.Generator(99));
    const res = other.loadStateDict({ ...missing, extra: nb.ones([1]) }, { strict: false });
    assert.deepEqual(res, { missingKeys: ['bn.running_var', 'fc2.bias'], unexpectedKeys: ['extra'] });
    assert.deepEqual(arr(other.fc1.weight), arr(net.fc1.weight));
    // shape mismatches throw even when not strict, and nothing is copied
    const third = new Net(new nb.Generator(5));
    const w = arr(third.fc1.weight);
    assert.throws(() => third.loadStateDict({ ...sd, 'fc2.weight': nb.ones([1]) }, { strict: false }), /size mismatch for fc2\.weight/);
    assert.deepEqual(arr(third.fc1.weight), w);
  });
});

describe('layers', () => {
  test('Linear forward is x·Wᵀ + b; init within ±1/√in', () => {
    const lin = new nn.Linear(3, 2, { generator: new nb.Generator(0) });
    const W = mat(lin.weight), b = arr(lin.bias!);
    const x = [[1, 2, 3], [-1, 0.5, 2]];
    const y = lin.call(nb.tensor(x));
    const expected = x.flatMap((row) => W.map((w, o) => w.reduce((s, wi, i) => s + wi * row[i]!, b[o]!)));
    close(arr(y), expected);
    assert.deepEqual(y.shape, [2, 2]);
    assert.deepEqual(lin.call(nb.randn([4, 5, 3])).shape, [4, 5, 2]);

    const big = new nn.Linear(400, 300, { generator: new nb.Generator(7) });
    const bound = 1 / Math.sqrt(400);
    const w = arr(big.weight);
    assert.ok(w.every((v) => Math.abs(v) <= bound));
    const mx = Math.max(...w.map(Math.abs));
    assert.ok(mx > 0.99 * bound, `fills the range: max |w| ${mx}`);
    const varW = w.reduce((s, v) => s + v * v, 0) / w.length;
    close([varW], [bound * bound / 3], 0.02, 'U(−b, b) variance b²/3');
    assert.ok(arr(big.bias!).every((v) => Math.abs(v) <= bound));
    // seeded: same generator seed, same weights
    assert.deepEqual(arr(new nn.Linear(400, 300, { generator: new nb.Generator(7) }).weight), w);
    assert.equal(new nn.Linear(2, 2, { dtype: 'float64' }).weight.dtype, 'float64');
  });

  test('BatchNorm1d running statistics follow momentum 0.1 and the unbiased variance; eval uses them', () => {
    const bn = new nn.BatchNorm1d(3);
    const g = new nb.Generator(5);
    const rm = [0, 0, 0], rv = [1, 1, 1];
    for (let step = 0; step < 3; step++) {
      const xb = nb.randn([4, 3], { generator: g }).mul(step + 1).add(step);
      const rows = mat(xb);
      const y = bn.call(xb);
      for (let c = 0; c < 3; c++) {
        const col = rows.map((r) => r[c]!);
        const mu = col.reduce((s, v) => s + v, 0) / 4;
        const ss = col.reduce((s, v) => s + (v - mu) ** 2, 0);
        rm[c] = 0.9 * rm[c]! + 0.1 * mu;
        rv[c] = 0.9 * rv[c]! + 0.1 * (ss / 3);
        // training output uses the biased batch variance
        const yc = mat(y).map((r) => r[c]!);
        close(yc, col.map((v) => (v - mu) / Math.sqrt(ss / 4 + 1e-5)), 1e-4, `train out c${c}`);
      }
    }
    close(arr(bn.running_mean!), rm, 1e-5, 'running_mean');
    close(arr(bn.running_var!), rv, 1e-5, 'running_var');
    assert.equal(bn.num_batches_tracked!.item(), 3);
    assert.equal(bn.num_batches_tracked!.dtype, 'int32');

    bn.eval();
    nb.noGrad(() => { bn.weight!.copy_(nb.tensor([1, 2, 0.5])); bn.bias!.copy_(nb.tensor([0, 1, -1])); });
    const x = nb.tensor([[0.5, -1, 2], [1, 1, 1]]);
    const y = bn.call(x);
    const w = [1, 2, 0.5], b = [0, 1, -1];
    const expected = (x.toArray() as number[][]).flatMap((r) => r.map((v, c) => ((v - rm[c]!) / Math.sqrt(rv[c]! + 1e-5)) * w[c]! + b[c]!));
    close(arr(y), expected, 1e-5, 'eval out');
    close(arr(bn.running_mean!), rm, 1e-6, 'eval does not update');
    assert.equal(bn.num_batches_tracked!.item(), 3);
  });

  test('BatchNorm momentum=null keeps a cumulative average; BatchNorm2d works per channel', () => {
    const bn = new nn.BatchNorm1d(1, { momentum: null });
    bn.call(nb.tensor([[1], [3]]));
    bn.call(nb.tensor([[5], [9]]));
    close(arr(bn.running_mean!), [(2 + 7) / 2]);
    close(arr(bn.running_var!), [(2 + 8) / 2]);
    const bn2 = new nn.BatchNorm2d(2);
    const x = nb.randn([3, 2, 4, 4], { generator: new nb.Generator(8) });
    const y = bn2.call(x);
    assert.deepEqual(y.shape, [3, 2, 4, 4]);
    const ym = arr(nb.mean(y, [0, 2, 3]));
    close(ym, [0, 0], 1e-5);
    assert.throws(() => bn2.call(nb.randn([2, 2])), /expected 4D input/);
    const noTrack = new nn.BatchNorm1d(2, { trackRunningStats: false, affine: false });
    assert.deepEqual(Object.keys(noTrack.stateDict()), []);
    noTrack.eval();
    close(arr(nb.mean(noTrack.call(nb.tensor([[1, 2], [3, 6]])), 0)), [0, 0], 1e-6, 'batch stats in eval without running stats');
  });

  test('Dropout: identity in eval, masks and rescales in training', () => {
    const d = new nn.Dropout(0.3, { generator: new nb.Generator(4) });
    const x = nb.randn([1000], { generator: new nb.Generator(1) });
    d.eval();
    assert.deepEqual(arr(d.call(x)), arr(x));
    d.train();
    const y = arr(d.call(x)), xs = arr(x);
    const zeros = y.filter((v) => v === 0).length;
    assert.ok(zeros > 240 && zeros < 360, `about 30% dropped, got ${zeros}`);
    y.forEach((v, i) => { if (v !== 0) close([v], [xs[i]! / 0.7], 1e-5); });
    assert.throws(() => new nn.Dropout(1.5), /between 0 and 1/);
  });

  test('Embedding: N(0,1) init, padding row zeroed and gets zero grad', () => {
    const emb = new nn.Embedding(10, 4, { paddingIdx: 0, generator: new nb.Generator(2) });
    assert.deepEqual(arr(emb.weight).slice(0, 4), [0, 0, 0, 0]);
    const idx = nb.tensor([[0, 3, 0], [3, 9, 1]], { dtype: 'int32' });
    const out = emb.call(idx);
    assert.deepEqual(out.shape, [2, 3, 4]);
    assert.deepEqual(arr(out).slice(4, 8), arr(emb.weight).slice(12, 16));
    out.mul(nb.arange(24, undefined, 1, { dtype: 'float32' }).reshape([2, 3, 4])).sum().backward();
    const g = mat(emb.weight.grad!);
    assert.deepEqual(g[0], [0, 0, 0, 0]);
    assert.deepEqual(g[3], [4 + 12, 5 + 13, 6 + 14, 7 + 15]);
    assert.deepEqual(g[2], [0, 0, 0, 0]);
    const big = new nn.Embedding(1000, 20, { generator: new nb.Generator(3) });
    const w = arr(big.weight);
    const m = w.reduce((s, v) => s + v, 0) / w.length;
    const v = w.reduce((s, x) => s + (x - m) ** 2, 0) / w.length;
    assert.ok(Math.abs(m) < 0.02 && Math.abs(v - 1) < 0.03, `mean ${m} var ${v}`);
    assert.equal(new nn.Embedding(5, 2, { paddingIdx: -1 }).paddingIdx, 4);
  });

  test('Conv2d / Conv1d: PyTorch default init bounds, output shapes, parameter names', () => {
    const conv = new nn.Conv2d(3, 8, 3, { padding: 1, stride: 2, generator: new nb.Generator(1) });
    assert.deepEqual(conv.namedParameters().map(([n, p]) => [n, p.shape]), [['weight', [8, 3, 3, 3]], ['bias', [8]]]);
    const bound = 1 / Math.sqrt(27);
    assert.ok(arr(conv.weight).every((v) => Math.abs(v) <= bound));
    assert.ok(arr(conv.bias!).every((v) => Math.abs(v) <= bound));
    assert.deepEqual(conv.call(nb.randn([2, 3, 9, 9])).shape, [2, 8, 5, 5]);
    assert.equal(conv.toString(), 'Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))');
    const c1 = new nn.Conv1d(4, 6, 5, { groups: 2, bias: false });
    assert.deepEqual(c1.weight.shape, [6, 2, 5]);
    assert.equal(c1.bias, null);
    assert.deepEqual(c1.call(nb.randn([2, 4, 12])).shape, [2, 6, 8]);
    const same = new nn.Conv2d(2, 2, 3, { padding: 'same' });
    assert.deepEqual(same.call(nb.randn([1, 2, 5, 7])).shape, [1, 2, 5, 7]);
  });

  test('pooling, Flatten, LayerNorm, RMSNorm and activations', () => {
    const x = nb.arange(16, undefined, 1, { dtype: 'float32' }).reshape([1, 1, 4, 4]);
    assert.deepEqual(arr(new nn.MaxPool2d(2).call(x)), [5, 7, 13, 15]);
    assert.deepEqual(arr(new nn.AvgPool2d(2).call(x)), [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual(new nn.Flatten().call(nb.zeros([2, 3, 4])).shape, [2, 12]);
    const ln = new nn.LayerNorm(4);
    assert.deepEqual(ln.namedParameters().map(([n]) => n), ['weight', 'bias']);
    const row = [1, 2, 3, 6];
    const mu = 3, v = (4 + 1 + 0 + 9) / 4;
    close(arr(ln.call(nb.tensor([row]))), row.map((r) => (r - mu) / Math.sqrt(v + 1e-5)), 1e-5);
    const rms = new nn.RMSNorm(4, { eps: 1e-6 });
    const r = Math.sqrt(row.reduce((s, a) => s + a * a, 0) / 4 + 1e-6);
    close(arr(rms.call(nb.tensor([row]))), row.map((a) => a / r), 1e-5);
    const t = nb.tensor([-2, -0.5, 0, 1.5]);
    assert.deepEqual(arr(new nn.ReLU().call(t)), [0, 0, 0, 1.5]);
    close(arr(new nn.LeakyReLU(0.1).call(t)), [-0.2, -0.05, 0, 1.5]);
    close(arr(new nn.Sigmoid().call(t)), [-2, -0.5, 0, 1.5].map((a) => 1 / (1 + Math.exp(-a))));
    close(arr(new nn.Tanh().call(t)), [-2, -0.5, 0, 1.5].map(Math.tanh));
    close(arr(new nn.SiLU().call(t)), [-2, -0.5, 0, 1.5].map((a) => a / (1 + Math.exp(-a))));
    close(arr(new nn.GELU({ approximate: 'tanh' }).call(t)), [-2, -0.5, 0, 1.5].map((a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3)))), 1e-5);
    assert.equal(new nn.Identity(3, 'x').call(t), t);
    const sm = arr(new nn.Softmax(-1).call(nb.tensor([[1, 2, 3]])));
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    close(sm, [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z]);
    close(arr(new nn.LogSoftmax(1).call(nb.tensor([[1, 2, 3]]))), [1, 2, 3].map((a) => a - Math.log(z)));
  });

  test('loss modules forward their options to the functional losses', () => {
    const logits = nb.tensor([[2, 0, -1], [0.5, 0.5, 3]]);
    const target = nb.tensor([0, 2], { dtype: 'int32' });
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const l0 = lse([2, 0, -1]) - 2, l1 = lse([0.5, 0.5, 3]) - 3;
    close([new nn.CrossEntropyLoss().call(logits, target).item()], [(l0 + l1) / 2]);
    close(arr(new nn.CrossEntropyLoss({ reduction: 'none' }).call(logits, target)), [l0, l1]);
    close([new nn.CrossEntropyLoss({ reduction: 'sum' }).call(logits, target).item()], [l0 + l1]);
    close([new nn.CrossEntropyLoss({ ignoreIndex: 2 }).call(logits, target).item()], [l0]);
    const ce = new nn.CrossEntropyLoss({ weight: nb.tensor([1, 1, 3]) });
    assert.deepEqual(Object.keys(ce.stateDict()), ['weight']);
    close([ce.call(logits, target).item()], [(l0 + 3 * l1) / 4]);
    const a = nb.tensor([1, 2, 5]), b = nb.tensor([1.5, 2, 2]);
    close([new nn.MSELoss().call(a, b).item()], [(0.25 + 0 + 9) / 3]);
    close([new nn.L1Loss({ reduction: 'sum' }).call(a, b).item()], [3.5]);
    close([new nn.HuberLoss({ delta: 1 }).call(a, b).item()], [(0.125 + 0 + 2.5) / 3]);
    const p = nb.tensor([0.9, 0.2]), y = nb.tensor([1, 0]);
    close([new nn.BCELoss().call(p, y).item()], [-(Math.log(0.9) + Math.log(0.8)) / 2]);
    const s = nb.tensor([2, -1]);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    close([new nn.BCEWithLogitsLoss().call(s, y).item()], [-(Math.log(sig(2)) + Math.log(1 - sig(-1))) / 2]);
    close([new nn.BCEWithLogitsLoss({ posWeight: nb.tensor([3]) }).call(s, y).item()], [-(3 * Math.log(sig(2)) + Math.log(1 - sig(-1))) / 2]);
    const lp = nn.functional.logSoftmax(logits, 1);
    close([new nn.NLLLoss().call(lp, target).item()], [(l0 + l1) / 2]);
  });
});

describe('MultiheadAttention', () => {
  /** reference in plain JS from the module's weights: x [L][E] per batch element */
  function reference(mha: nn.MultiheadAttention, q: number[][], k: number[][], v: number[][], mask?: (i: number, j: number) => boolean) {
    const E = mha.embedDim, H = mha.numHeads, D = E / H;
    const W = mat(mha.in_proj_weight), B = arr(mha.in_proj_bias!);
    const Wo = mat(mha.out_proj.weight), Bo = arr(mha.out_proj.bias!);
    const proj = (x: number[][], off: number) => x.map((row) => Array.from({ length: E }, (_, o) => row.reduce((s, xi, i) => s + xi * W[off + o]![i]!, B[off + o]!)));
    const Q = proj(q, 0), K = proj(k, E), V = proj(v, 2 * E);
    const L = q.length, S = k.length;
    const ctx = Array.from({ length: L }, () => new Array<number>(E).fill(0));
    const avgW = Array.from({ length: L }, () => new Array<number>(S).fill(0));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < L; i++) {
        const sc = Array.from({ length: S }, (_, j) => {
          if (mask && mask(i, j)) return -Infinity;
          let s = 0;
          for (let d = 0; d < D; d++) s += Q[i]![h * D + d]! * K[j]![h * D + d]!;
          return s / Math.sqrt(D);
        });
        const m = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        const p = e.map((x) => x / z);
        p.forEach((pj, j) => { avgW[i]![j]! += pj / H; });
        for (let d = 0; d < D; d++) ctx[i]![h * D + d] = p.reduce((s, pj, j) => s + pj * V[j]![h * D + d]!, 0);
      }
    }
    const out = ctx.map((row) => Array.from({ length: E }, (_, o) => row.reduce((s, c, i) => s + c * Wo[o]![i]!, Bo[o]!)));
    return { out, weights: avgW };
  }

  test('parameter names and init follow PyTorch', () => {
    const mha = new nn.MultiheadAttention(8, 2, { generator: new nb.Generator(0) });
    assert.deepEqual(mha.namedParameters().map(([n, p]) => [n, p.shape]), [
      ['in_proj_weight', [24, 8]], ['in_proj_bias', [24]], ['out_proj.weight', [8, 8]], ['out_proj.bias', [8]],
    ]);
    const a = Math.sqrt(6 / (24 + 8));
    assert.ok(arr(mha.in_proj_weight).every((v) => Math.abs(v) <= a));
    assert.ok(arr(mha.in_proj_bias!).every((v) => v === 0) && arr(mha.out_proj.bias!).every((v) => v === 0));
  });

  test('output and averaged weights match a hand computation (self- and cross-attention, causal, batchFirst)', () => {
    const E = 6, H = 3, L = 4, S = 5, N = 2;
    const mha = new nn.MultiheadAttention(E, H, { generator: new nb.Generator(21) });
    nb.noGrad(() => {
      mha.in_proj_bias!.copy_(nb.randn([3 * E], { generator: new nb.Generator(22) }));
      mha.out_proj.bias!.copy_(nb.randn([E], { generator: new nb.Generator(23) }));
    });
    const g = new nb.Generator(24);
    const q = nb.randn([L, N, E], { generator: g }), k = nb.randn([S, N, E], { generator: g }), v = nb.randn([S, N, E], { generator: g });
    const [out, w] = mha.call(q, k, v);
    assert.deepEqual(out.shape, [L, N, E]);
    assert.deepEqual(w!.shape, [N, L, S]);
    const qa = q.toArray() as number[][][], ka = k.toArray() as number[][][], va = v.toArray() as number[][][];
    const outA = out.toArray() as number[][][], wA = w!.toArray() as number[][][];
    for (let n = 0; n < N; n++) {
      const ref = reference(mha, qa.map((r) => r[n]!), ka.map((r) => r[n]!), va.map((r) => r[n]!));
      close(outA.map((r) => r[n]!).flat(), ref.out.flat(), 1e-4, `out n=${n}`);
      close(wA[n]!.flat(), ref.weights.flat(), 1e-5, `weights n=${n}`);
    }
    // needWeights=false takes the fused path: same output
    const [out2, w2] = mha.call(q, k, v, { needWeights: false });
    assert.equal(w2, null);
    close(arr(out2), arr(out), 1e-5, 'fused path');

    // causal self-attention, batch first
    const mhb = new nn.MultiheadAttention(E, H, { batchFirst: true, generator: new nb.Generator(5) });
    const x = nb.randn([N, L, E], { generator: g });
    const [o3, w3] = mhb.call(x, x, x, { isCausal: true });
    const xa = x.toArray() as number[][][];
    for (let n = 0; n < N; n++) {
      const ref = reference(mhb, xa[n]!, xa[n]!, xa[n]!, (i, j) => j > i);
      close((o3.toArray() as number[][][])[n]!.flat(), ref.out.flat(), 1e-4, `causal out n=${n}`);
      close((w3!.toArray() as number[][][])[n]!.flat(), ref.weights.flat(), 1e-5, `causal weights n=${n}`);
    }
    // an explicit boolean mask (true = masked) gives the same result, and so does the fused path
    const boolMask = nb.tensor(Array.from({ length: L }, (_, i) => Array.from({ length: L }, (_, j) => j > i)));
    close(arr(mhb.call(x, x, x, { attnMask: boolMask })[0]), arr(o3), 1e-5, 'bool mask');
    close(arr(mhb.call(x, x, x, { attnMask: boolMask, needWeights: false })[0]), arr(o3), 1e-5, 'bool mask fused');
    // key padding: masking the last key of batch 1
    const kpm = nb.tensor([[false, false, false, false], [false, false, false, true]]);
    const [o4] = mhb.call(x, x, x, { keyPaddingMask: kpm });
    const ref1 = reference(mhb, xa[1]!, xa[1]!, xa[1]!, (_i, j) => j === 3);
    close((o4.toArray() as number[][][])[1]!.flat(), ref1.out.flat(), 1e-4, 'key padding');
    // unbatched
    const [o5, w5] = mhb.call(x.select(0, 0), x.select(0, 0), x.select(0, 0));
    assert.deepEqual(o5.shape, [L, E]);
    assert.deepEqual(w5!.shape, [L, L]);
    const ref0 = reference(mhb, xa[0]!, xa[0]!, xa[0]!);
    close(arr(o5), ref0.out.flat(), 1e-4, 'unbatched');
  });

  test('gradients reach every parameter', () => {
    const mha = new nn.MultiheadAttention(4, 2);
    const x = nb.randn([3, 2, 4]);
    mha.call(x, x, x)[0].sum().backward();
    for (const [n, p] of mha.namedParameters()) assert.ok(p.grad && arr(p.grad).some((v) => v !== 0), n);
  });
});

describe('nn.init', () => {
  const stats = (t: Tensor) => {
    const v = arr(t);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    return { v, mean: m, std: Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length), maxAbs: Math.max(...v.map(Math.abs)) };
  };

  test('calculateGain and fans', () => {
    assert.equal(nn.init.calculateGain('linear'), 1);
    assert.equal(nn.init.calculateGain('relu'), Math.SQRT2);
    assert.equal(nn.init.calculateGain('tanh'), 5 / 3);
    assert.equal(nn.init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.equal(nn.init.calculateGain('selu'), 0.75);
    assert.deepEqual(nn.init.calculateFanInAndFanOut(nb.zeros([16, 3, 5, 5])), [75, 400]);
    assert.throws(() => nn.init.calculateFanInAndFanOut(nb.zeros([3])), /fewer than 2 dimensions/);
  });

  test('uniform/normal/constant with a seeded generator', () => {
    const t = nn.init.uniform_(nb.zeros([200, 100]), -2, 3, { generator: new nb.Generator(1) });
    const s = stats(t);
    assert.ok(s.v.every((x) => x >= -2 && x < 3));
    close([s.mean, s.std], [0.5, 5 / Math.sqrt(12)], 0.02);
    assert.deepEqual(arr(nn.init.uniform_(nb.zeros([200, 100]), -2, 3, { generator: new nb.Generator(1) })), s.v);
    const n = stats(nn.init.normal_(nb.zeros([200, 100]), 1, 0.5, { generator: new nb.Generator(2) }));
    close([n.mean, n.std], [1, 0.5], 0.02);
    assert.deepEqual(arr(nn.init.constant_(nb.zeros([3]), 2.5)), [2.5, 2.5, 2.5]);
    assert.deepEqual(arr(nn.init.ones_(nb.zeros([2]))), [1, 1]);
    assert.deepEqual(arr(nn.init.zeros_(nb.ones([2]))), [0, 0]);
  });

  test('kaiming and xavier have the right bounds and moments', () => {
    const shape = [256, 128];
    const ku = stats(nn.init.kaimingUniform_(nb.zeros(shape), { nonlinearity: 'relu', generator: new nb.Generator(3) }));
    const kb = Math.SQRT2 * Math.sqrt(3 / 128);
    assert.ok(ku.maxAbs <= kb && ku.maxAbs > 0.99 * kb);
    close([ku.std], [kb / Math.sqrt(3)], 0.02);
    const kuOut = stats(nn.init.kaimingUniform_(nb.zeros(shape), { mode: 'fanOut', nonlinearity: 'relu', generator: new nb.Generator(3) }));
    assert.ok(kuOut.maxAbs <= Math.SQRT2 * Math.sqrt(3 / 256));
    const kn = stats(nn.init.kaimingNormal_(nb.zeros(shape), { generator: new nb.Generator(4) }));
    close([kn.mean, kn.std], [0, Math.SQRT2 / Math.sqrt(128)], 0.02);
    const xu = stats(nn.init.xavierUniform_(nb.zeros(shape), 2, { generator: new nb.Generator(5) }));
    const xb = 2 * Math.sqrt(6 / (256 + 128));
    assert.ok(xu.maxAbs <= xb && xu.maxAbs > 0.99 * xb);
    const xn = stats(nn.init.xavierNormal_(nb.zeros(shape), 1, { generator: new nb.Generator(6) }));
    close([xn.mean, xn.std], [0, Math.sqrt(2 / 384)], 0.02);
  });

  test('initializers work in place on parameters (under noGrad) and keep the tensor', () => {
    const lin = new nn.Linear(3, 3);
    const w = lin.weight;
    nn.init.kaimingNormal_(w, { generator: new nb.Generator(1) });
    assert.equal(lin.weight, w);
    assert.ok(w.requiresGrad && w.isLeaf && w.gradFn === null);
  });
});

describe('nn.utils', () => {
  test('clipGradNorm_ returns the total norm and scales grads by maxNorm/(total+1e-6)', () => {
    const a = nn.parameter(nb.zeros([2])), b = nn.parameter(nb.zeros([1])), c = nn.parameter(nb.zeros([1]));
    a.grad = nb.tensor([3, 4]);
    b.grad = nb.tensor([12]);
    // c has no grad: skipped
    const total = nn.utils.clipGradNorm_([a, b, c], 6.5);
    close([total], [13], 1e-7);
    const f = 6.5 / (13 + 1e-6);
    close(arr(a.grad!), [3 * f, 4 * f], 1e-6);
    close(arr(b.grad!), [12 * f], 1e-6);
    // under the limit: untouched
    const t2 = nn.utils.clipGradNorm_([a, b], 100);
    close([t2], [6.5], 1e-5);
    close(arr(b.grad!), [12 * f], 1e-6);
    // infinity norm and 1-norm
    a.grad = nb.tensor([3, -4]); b.grad = nb.tensor([1]);
    close([nn.utils.clipGradNorm_([a, b], 2, Infinity)], [4]);
    close(arr(a.grad!), [1.5, -2], 1e-5);
    a.grad = nb.tensor([3, -4]); b.grad = nb.tensor([1]);
    close([nn.utils.clipGradNorm_(a, 100, 1)], [7]);
  });

  test('clipGradValue_ clamps into [−c, c]', () => {
    const p = nn.parameter(nb.zeros([4]));
    p.grad = nb.tensor([-3, -0.5, 0.2, 9]);
    nn.utils.clipGradValue_([p], 1);
    assert.deepEqual(arr(p.grad!), [-1, -0.5, 0.20000000298023224, 1]);
  });
});

describe('end to end', () => {
  test('a small model trains: loss decreases with manual SGD', () => {
    nb.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 1));
    const x = nb.randn([64, 2], { generator: new nb.Generator(9) });
    const y = x.select(1, 0).mul(x.select(1, 1)).unsqueeze(1);
    const lossFn = new nn.MSELoss();
    const losses: number[] = [];
    for (let i = 0; i < 100; i++) {
      model.zeroGrad();
      const loss = lossFn.call(model.call(x), y);
      loss.backward();
      losses.push(loss.item());
      nb.noGrad(() => { for (const p of model.parameters()) p.sub_(p.grad!.mul(0.1)); });
    }
    assert.ok(losses[99]! < 0.5 * losses[0]!, `loss ${losses[0]} → ${losses[99]}`);
  });

  test('to(float64) casts parameters and float buffers, keeping ties and names', () => {
    const net = new Net();
    const w = arr(net.fc1.weight);
    net.double();
    assert.ok(net.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad && nn.isParameter(p)));
    assert.equal(net.bn.running_var!.dtype, 'float64');
    assert.equal(net.bn.num_batches_tracked!.dtype, 'int32');
    close(arr(net.fc1.weight), w, 1e-7);
    const y = net.call(nb.randn([3, 4], { dtype: 'float64' }));
    assert.equal(y.dtype, 'float64');
    y.sum().backward();
    assert.equal(net.fc2.weight.grad!.dtype, 'float64');
  });

  test('forward hooks run in call() and may replace the output', () => {
    const lin = new nn.Linear(2, 2);
    const seen: number[][] = [];
    const h = lin.registerForwardHook((_m, _args, out) => { seen.push((out as Tensor).shape.slice()); return nb.zerosLike(out as Tensor); });
    assert.deepEqual(arr(lin.call(nb.ones([1, 2]))), [0, 0]);
    assert.deepEqual(seen, [[1, 2]]);
    h.remove();
    assert.notDeepEqual(arr(lin.call(nb.ones([1, 2]))), [0, 0]);
  });

  test('a model is usable through nb.nn', () => {
    assert.equal((nb as any).nn?.Linear, nn.Linear);
  });
});
