/**
 * nabla's functional nn ops (nb.nn.functional: softmax, norms, losses with their options, convolutions,
 * pooling, attention, embedding, unfold/fold) against torch.nn.functional 1.13 in float64 (one
 * /usr/bin/python3 process): outputs and the gradients of Σ out·cotangent with respect to every float input
 * must agree to 1e-12 relative. Fixed integer inputs (targets, indices) and masks are written out on both
 * sides. Where torch 1.13 has no function (rms_norm, scaled_dot_product_attention) the torch side is the
 * formula in torch ops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { maxRelErr, runTorch, toWire, type WireTensor } from './torch_bridge.js';
import { seedOf } from '../test/op_inputs.js';

const F = nb.nn.functional;
const f64 = 'float64' as const;
type T = nb.Tensor;

interface FCase {
  name: string;
  /** shapes of the float64 inputs (all differentiated) */
  shapes: number[][];
  /** 'prob': uniform in (0.05, 0.95); 'positive': (0.5, 2); default: standard normal */
  domain?: ('real' | 'prob' | 'positive')[];
  fn: (...x: T[]) => T;
  torch: string;
}

const i32 = (v: number[] | number[][]) => nb.tensor(v, { dtype: 'int32' });
const f = (v: number[] | number[][]) => nb.tensor(v, { dtype: f64 });
const bool = (v: boolean[][]) => nb.tensor(v, { dtype: 'bool' });

const SDPA = (q: string, k: string, v: string, mask = '', scale = '') =>
  `torch.softmax((${q} @ ${k}.transpose(-2, -1) * ${scale || `(1 / math.sqrt(${q}.shape[-1]))`})${mask}, -1) @ ${v}`;

const CASES: FCase[] = [
  { name: 'softmax dim -1', shapes: [[3, 5]], fn: (x) => F.softmax(x, -1), torch: 'F.softmax(x[0], -1)' },
  { name: 'softmax dim 0 (3-D)', shapes: [[3, 4, 2]], fn: (x) => F.softmax(x, 0), torch: 'F.softmax(x[0], 0)' },
  { name: 'logSoftmax dim 1', shapes: [[2, 5, 3]], fn: (x) => F.logSoftmax(x, 1), torch: 'F.log_softmax(x[0], 1)' },
  { name: 'layerNorm [4] affine', shapes: [[2, 3, 4], [4], [4]], fn: (x, w, b) => F.layerNorm(x, [4], w, b), torch: 'F.layer_norm(x[0], [4], x[1], x[2])' },
  { name: 'layerNorm [3,4] no affine, eps 1e-3', shapes: [[2, 3, 4]], fn: (x) => F.layerNorm(x, [3, 4], null, null, 1e-3), torch: 'F.layer_norm(x[0], [3, 4], eps=1e-3)' },
  { name: 'rmsNorm [4] weight, eps 1e-6 (formula)', shapes: [[2, 3, 4], [4]], fn: (x, w) => F.rmsNorm(x, [4], w, 1e-6), torch: 'x[0] * torch.rsqrt((x[0] * x[0]).mean(-1, keepdim=True) + 1e-6) * x[1]' },
  { name: 'batchNorm training [N,C,L] affine', shapes: [[4, 3, 2], [3], [3]], fn: (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), torch: 'F.batch_norm(x[0], None, None, x[1], x[2], training=True)' },
  { name: 'batchNorm eval with running stats, eps 1e-3', shapes: [[4, 3], [3], [3]], fn: (x, w, b) => F.batchNorm(x, f([0.1, -0.2, 0.3]), f([1.5, 0.5, 2]), w, b, { training: false, eps: 1e-3 }), torch: 'F.batch_norm(x[0], torch.tensor([0.1, -0.2, 0.3]), torch.tensor([1.5, 0.5, 2.0]), x[1], x[2], training=False, eps=1e-3)' },
  { name: 'crossEntropy', shapes: [[4, 5]], fn: (x) => F.crossEntropy(x, i32([1, 0, 4, 2])), torch: 'F.cross_entropy(x[0], torch.tensor([1, 0, 4, 2]))' },
  {
    name: 'crossEntropy weight + ignoreIndex + labelSmoothing, sum', shapes: [[5, 4]],
    fn: (x) => F.crossEntropy(x, i32([1, 3, 1, 0, 2]), { weight: f([0.5, 1, 2, 1.5]), ignoreIndex: 3, labelSmoothing: 0.1, reduction: 'sum' }),
    torch: "F.cross_entropy(x[0], torch.tensor([1, 3, 1, 0, 2]), weight=torch.tensor([0.5, 1.0, 2.0, 1.5]), ignore_index=3, label_smoothing=0.1, reduction='sum')",
  },
  {
    name: 'crossEntropy weight + ignoreIndex, mean', shapes: [[5, 4]],
    fn: (x) => F.crossEntropy(x, i32([1, 3, 1, 0, 2]), { weight: f([0.5, 1, 2, 1.5]), ignoreIndex: 1 }),
    torch: 'F.cross_entropy(x[0], torch.tensor([1, 3, 1, 0, 2]), weight=torch.tensor([0.5, 1.0, 2.0, 1.5]), ignore_index=1)',
  },
  { name: 'crossEntropy probability targets + labelSmoothing', shapes: [[3, 4], [3, 4]], domain: ['real', 'prob'], fn: (x, p) => F.crossEntropy(x, p, { labelSmoothing: 0.2 }), torch: 'F.cross_entropy(x[0], x[1], label_smoothing=0.2)' },
  { name: 'crossEntropy [N,C,d] reduction none', shapes: [[2, 3, 4]], fn: (x) => F.crossEntropy(x, i32([[0, 2, 1, 1], [2, 2, 0, 1]]), { reduction: 'none' }), torch: "F.cross_entropy(x[0], torch.tensor([[0, 2, 1, 1], [2, 2, 0, 1]]), reduction='none')" },
  { name: 'nllLoss weight', shapes: [[4, 3]], fn: (x) => F.nllLoss(x, i32([2, 0, 1, 2]), { weight: f([1, 2, 0.5]) }), torch: 'F.nll_loss(x[0], torch.tensor([2, 0, 1, 2]), weight=torch.tensor([1.0, 2.0, 0.5]))' },
  { name: 'mseLoss', shapes: [[3, 4], [3, 4]], fn: (a, b) => F.mseLoss(a, b), torch: 'F.mse_loss(x[0], x[1])' },
  { name: 'l1Loss sum', shapes: [[3, 4], [3, 4]], fn: (a, b) => F.l1Loss(a, b, { reduction: 'sum' }), torch: "F.l1_loss(x[0], x[1], reduction='sum')" },
  { name: 'huberLoss delta 0.5', shapes: [[3, 4], [3, 4]], fn: (a, b) => F.huberLoss(a, b, { delta: 0.5 }), torch: 'F.huber_loss(x[0], x[1], delta=0.5)' },
  { name: 'binaryCrossEntropy weight', shapes: [[3, 4], [3, 4]], domain: ['prob', 'prob'], fn: (p, y) => F.binaryCrossEntropy(p, y, { weight: f([0.5, 1, 2, 1.5]) }), torch: 'F.binary_cross_entropy(x[0], x[1], weight=torch.tensor([0.5, 1.0, 2.0, 1.5]))' },
  { name: 'binaryCrossEntropyWithLogits posWeight + weight', shapes: [[3, 4], [3, 4]], domain: ['real', 'prob'], fn: (x, y) => F.binaryCrossEntropyWithLogits(x, y, { posWeight: f([2, 0.5, 1, 3]), weight: f([[1], [0.5], [2]]) }), torch: 'F.binary_cross_entropy_with_logits(x[0], x[1], pos_weight=torch.tensor([2.0, 0.5, 1.0, 3.0]), weight=torch.tensor([[1.0], [0.5], [2.0]]))' },
  { name: 'conv2d stride 2 padding 1', shapes: [[2, 3, 5, 5], [4, 3, 3, 3], [4]], fn: (x, w, b) => F.conv2d(x, w, b, 2, 1), torch: 'F.conv2d(x[0], x[1], x[2], 2, 1)' },
  { name: 'conv2d dilation 2 groups 3', shapes: [[1, 3, 6, 6], [6, 1, 3, 3]], fn: (x, w) => F.conv2d(x, w, null, { dilation: 2, groups: 3 }), torch: 'F.conv2d(x[0], x[1], dilation=2, groups=3)' },
  { name: 'conv2d non-square kernel, padding [1,0]', shapes: [[1, 2, 4, 5], [3, 2, 3, 2], [3]], fn: (x, w, b) => F.conv2d(x, w, b, { padding: [1, 0], stride: [1, 2] }), torch: 'F.conv2d(x[0], x[1], x[2], stride=(1, 2), padding=(1, 0))' },
  { name: 'conv1d stride 2 padding 2', shapes: [[2, 2, 7], [3, 2, 3], [3]], fn: (x, w, b) => F.conv1d(x, w, b, 2, 2), torch: 'F.conv1d(x[0], x[1], x[2], 2, 2)' },
  { name: 'maxPool2d 2', shapes: [[1, 2, 4, 4]], fn: (x) => F.maxPool2d(x, 2), torch: 'F.max_pool2d(x[0], 2)' },
  { name: 'maxPool2d 3 stride 2 padding 1', shapes: [[2, 1, 5, 5]], fn: (x) => F.maxPool2d(x, 3, 2, 1), torch: 'F.max_pool2d(x[0], 3, 2, 1)' },
  { name: 'avgPool2d 3 stride 2 padding 1, countIncludePad false', shapes: [[1, 2, 5, 5]], fn: (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }), torch: 'F.avg_pool2d(x[0], 3, 2, 1, count_include_pad=False)' },
  { name: 'avgPool2d 2, divisorOverride 3', shapes: [[1, 2, 4, 4]], fn: (x) => F.avgPool2d(x, { kernelSize: 2, divisorOverride: 3 }), torch: 'F.avg_pool2d(x[0], 2, divisor_override=3)' },
  { name: 'unfold 2×2 stride 1 padding 1', shapes: [[1, 2, 3, 3]], fn: (x) => F.unfold(x, { kernelSize: 2, padding: 1 }), torch: 'F.unfold(x[0], 2, padding=1)' },
  { name: 'fold 2×2 into 3×3 (overlaps add)', shapes: [[1, 8, 4]], fn: (x) => F.fold(x, { kernelSize: 2, outputSize: 3 }), torch: 'F.fold(x[0], 3, 2)' },
  { name: 'scaledDotProductAttention (formula)', shapes: [[2, 3, 4], [2, 5, 4], [2, 5, 4]], fn: (q, k, v) => F.scaledDotProductAttention(q, k, v), torch: SDPA('x[0]', 'x[1]', 'x[2]') },
  { name: 'scaledDotProductAttention isCausal (formula)', shapes: [[1, 2, 4, 3], [1, 2, 4, 3], [1, 2, 4, 3]], fn: (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }), torch: SDPA('x[0]', 'x[1]', 'x[2]', ".masked_fill(torch.ones(4, 4).triu(1).bool(), float('-inf'))") },
  { name: 'scaledDotProductAttention bool mask + scale 0.3 (formula)', shapes: [[3, 4], [2, 4], [2, 5]], fn: (q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: bool([[true, false], [true, true], [false, true]]), scale: 0.3 }), torch: SDPA('x[0]', 'x[1]', 'x[2]', ".masked_fill(~torch.tensor([[True, False], [True, True], [False, True]]), float('-inf'))", '0.3') },
  { name: 'scaledDotProductAttention float mask (formula)', shapes: [[2, 3, 4], [2, 3, 4], [2, 3, 2], [3, 3]], fn: (q, k, v, m) => F.scaledDotProductAttention(q, k, v, { attnMask: m }), torch: SDPA('x[0]', 'x[1]', 'x[2]', ' + x[3]') },
  { name: 'embedding (repeated indices)', shapes: [[5, 3]], fn: (w) => F.embedding(i32([[0, 2, 2], [4, 0, 1]]), w), torch: 'F.embedding(torch.tensor([[0, 2, 2], [4, 0, 1]]), x[0])' },
  { name: 'embedding paddingIdx 2', shapes: [[5, 3]], fn: (w) => F.embedding(i32([0, 2, 2, 4]), w, { paddingIdx: 2 }), torch: 'F.embedding(torch.tensor([0, 2, 2, 4]), x[0], padding_idx=2)' },
  { name: 'gelu tanh', shapes: [[3, 4]], fn: (x) => F.gelu(x, 'tanh'), torch: "F.gelu(x[0], approximate='tanh')" },
  { name: 'leakyRelu 0.1', shapes: [[3, 4]], fn: (x) => F.leakyRelu(x, 0.1), torch: 'F.leaky_relu(x[0], 0.1)' },
  { name: 'relu6', shapes: [[3, 4]], fn: (x) => F.relu6(x.mul(4)), torch: 'F.relu6(x[0] * 4)' },
  { name: 'linear', shapes: [[2, 3], [4, 3], [4]], fn: (x, w, b) => F.linear(x, w, b), torch: 'F.linear(x[0], x[1], x[2])' },
];

function draw(d: 'real' | 'prob' | 'positive', g: nb.Generator): number {
  return d === 'prob' ? 0.05 + 0.9 * g.random() : d === 'positive' ? 0.5 + 1.5 * g.random() : g.normal();
}

const PY = String.raw`
import torch.nn.functional as F
req = json.load(sys.stdin)
res = []
for c in req['cases']:
    x = [dec(w, True) for w in c['inputs']]
    out = eval(c['torch'])
    loss = (out * dec(c['cot'])).sum()
    gs = torch.autograd.grad(loss, x, allow_unused=True)
    res.append({'out': enc(out), 'grads': [enc(g) if g is not None else None for g in gs]})
print(json.dumps(res))
`;

test('nn.functional against torch.nn.functional 1.13: values and gradients (float64)', () => {
  const ours = CASES.map((c) => {
    const g = new nb.Generator(seedOf(c.name));
    const inputs = c.shapes.map((s, i) => {
      const n = s.reduce((a, b) => a * b, 1);
      const d = c.domain?.[i] ?? 'real';
      return nb.tensor(Array.from({ length: n }, () => draw(d, g)), { dtype: f64, shape: s, requiresGrad: true });
    });
    const out = c.fn(...inputs);
    const cot = nb.randn([...out.shape], { dtype: f64, generator: g });
    const grads = nb.autograd.grad(out.mul(cot).sum(), inputs, { allowUnused: true });
    return { c, inputs, out, cot, grads };
  });
  const theirs = runTorch<{ out: WireTensor; grads: (WireTensor | null)[] }[]>(PY.replace('import torch.nn.functional as F', 'import torch.nn.functional as F\nimport math'), {
    cases: ours.map((o) => ({ torch: o.c.torch, inputs: o.inputs.map(toWire), cot: toWire(o.cot) })),
  });
  const failures: string[] = [];
  ours.forEach((o, i) => {
    const t = theirs[i]!;
    if (o.out.shape.join() !== t.out.shape.join()) { failures.push(`${o.c.name}: shape [${o.out.shape}] vs torch [${t.out.shape}]`); return; }
    const e = maxRelErr(o.out.dataArray(), t.out.data);
    if (!(e <= 1e-12)) failures.push(`${o.c.name}: output differs by ${e.toExponential(2)}`);
    o.grads.forEach((gr, j) => {
      const b = t.grads[j];
      const av = gr ? gr.dataArray() : new Array<number>(b?.data.length ?? 0).fill(0);
      const bv = b ? b.data : new Array<number>(av.length).fill(0);
      const ge = maxRelErr(av, bv);
      if (!(ge <= 1e-12)) failures.push(`${o.c.name}: gradient of input ${j} differs by ${ge.toExponential(2)}`);
    });
  });
  assert.deepEqual(failures, []);
  console.log(`torch_functional: ${CASES.length} cases equal to PyTorch 1.13 (values and ${ours.reduce((n, o) => n + o.inputs.length, 0)} input gradients)`);
});
