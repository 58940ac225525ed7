/**
 * Edges of the shared op helpers (src/ops: sumToShape, activationSlope, writeInPlace, util, nn/_util,
 * nn/dropout, nn/embedding, nn/activation, …) that the op table and the error tests leave open: guards reached only by internal
 * callers, error messages, boundary values. Each case was written against a mutant that survived the
 * mutation run of its file (tools/mutation/review.md, "ops/..." sections). References are float64 JS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { sumToShape } from '../src/ops/sumToShape.js';
import { backendOf, hasNonFinite, resultDType } from '../src/ops/util.js';
import { floatInput } from '../src/ops/nn/_util.js';

const f64 = (data: nb.NestedArray) => nb.tensor(data, { dtype: 'float64' });

test('sumToShape refuses a target shape of higher rank than the gradient', () => {
  // [6] → [1, 6] has the same element count, so without the rank check a reshape would silently succeed
  assert.throws(() => sumToShape(f64([1, 2, 3, 4, 5, 6]), [1, 6]), {
    name: 'Error', message: 'sumToShape: cannot reduce [6] to the larger shape [1,6]',
  });
  // and the broadcast sums themselves: [2, 3] → [3] sums the lead dim, [2, 3] → [2, 1] the last
  assert.deepEqual([...sumToShape(f64([[1, 2, 3], [4, 5, 6]]), [3]).data()], [5, 7, 9]);
  assert.deepEqual([...sumToShape(f64([[1, 2, 3], [4, 5, 6]]), [2, 1]).data()], [6, 15]);
});

test('in-place writes: an expanded view is refused, a single element behind stride 0 is written', () => {
  const x = nb.ones([1], { dtype: 'float64' }).expand([3]);
  assert.throws(() => x.add_(1), {
    name: 'Error',
    message: 'add_: unsupported operation: more than one element of the written-to tensor [float64 [3]] refers to a single memory location (it is an expanded view); call .clone() before writing in place',
  });
  // shape [1] with stride 0 (a 0-d tensor expanded to [1]): one element, one location; PyTorch writes it
  const base = nb.tensor(2, { dtype: 'float64' });
  const one = base.expand([1]);
  assert.deepEqual([...one.strides], [0]);
  one.add_(3);
  assert.equal(base.item(), 5);
});

test('in-place writes: a leaf that requires grad is refused only while grad is enabled', () => {
  const w = nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  nb.noGrad(() => w.mul_(3)); // as optimizers do
  assert.deepEqual([...w.data()], [3, 6]);
  // a leaf that does not require grad is written freely, also with grad enabled
  const c = nb.tensor([1, 2], { dtype: 'float64' });
  c.add_(1);
  assert.deepEqual([...c.data()], [2, 3]);
});

test('in-place writes: the result is cast to self\'s dtype, the version bumps, and self takes the graph node', () => {
  // float32 self, float64 other: the float64 sum is rounded to float32 (a cast PyTorch allows in place)
  const h = nb.tensor([1, 2, 3], { dtype: 'float32' });
  const v0 = h.storage.version;
  h.add_(nb.tensor([1 / 3, 1 / 3, 1 / 3], { dtype: 'float64' }));
  assert.equal(h.dtype, 'float32');
  assert.deepEqual([...h.data()], [1 + 1 / 3, 2 + 1 / 3, 3 + 1 / 3].map(Math.fround));
  assert.equal(h.storage.version, v0 + 1);
  // a tensor that does not require grad written with one that does: self joins the graph
  const a = nb.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
  const s = nb.zeros([3], { dtype: 'float64' });
  s.add_(a.mul(a));
  assert.equal(s.requiresGrad, true);
  s.sum().backward();
  assert.deepEqual([...a.grad!.data()], [2, 4, 6]); // d/da Σ a² = 2a
  // under noGrad the same write does not join the graph
  const n = nb.zeros([3], { dtype: 'float64' });
  nb.noGrad(() => n.add_(a));
  assert.equal(n.requiresGrad, false);
});

test('in-place writes in forward mode: self carries the result\'s tangent, cast to self\'s dtype', () => {
  const { forwardAD } = nb.autograd;
  const out = forwardAD.dualLevel(() => {
    const x = forwardAD.makeDual(nb.tensor([1, 2], { dtype: 'float64' }), nb.tensor([0.5, -1], { dtype: 'float64' }));
    const s = nb.zeros([2], { dtype: 'float32' });
    s.mul_(0).add_(x.mul(x)); // s ← x², ṡ = 2x·ẋ
    const { primal, tangent } = forwardAD.unpackDual(s);
    return { primal: [...primal.data()], tangent: tangent && [...tangent.data()], dtype: tangent?.dtype };
  });
  assert.deepEqual(out.primal, [1, 4]);
  assert.deepEqual(out.tangent, [1, -4]); // 2·1·0.5, 2·2·(−1)
  assert.equal(out.dtype, 'float32');
});

test('backendOf skips absent operands and needs at least one tensor', () => {
  const x = nb.ones([2]);
  assert.equal(backendOf('op', null, x, undefined), x.backend);
  assert.throws(() => backendOf('op', null, undefined), { name: 'Error', message: 'op: expected at least one tensor argument' });
});

test('max(x) of a non-tensor names the op, the argument and what it got', () => {
  assert.throws(() => nb.max(null as never), { name: 'TypeError', message: 'max: argument input must be a Tensor, got null' });
  assert.throws(() => nb.min(3 as never), { name: 'TypeError', message: 'min: argument input must be a Tensor, got number' });
});

test('resultDType: two tensors promote, a JS number does not widen a tensor, two numbers compute in float32', () => {
  const i32 = nb.tensor([1, 2], { dtype: 'int32' }), f64t = nb.tensor([0.5, 0.25], { dtype: 'float64' });
  assert.equal(resultDType(i32, f64t), 'float64');
  assert.equal(nb.add(i32, f64t).dtype, 'float64');
  assert.deepEqual([...nb.add(i32, f64t).data()], [1.5, 2.25]);
  assert.equal(nb.add(nb.tensor([1, 2], { dtype: 'float32' }), f64t).dtype, 'float64');
  assert.equal(resultDType(2, f64t), 'float64');
  assert.equal(resultDType(2.5, i32), 'float32');
  assert.equal(resultDType(2, 3), 'float32');
});

test('a 0-d tensor beside a dimensioned one widens it only from a higher category (bool < integer < floating), as in PyTorch', () => {
  const f32 = nb.tensor([1, 2], { dtype: 'float32' }), i32 = nb.tensor([1, 2], { dtype: 'int32' }), b = nb.tensor([true, false]);
  const f64z = nb.tensor(0.5, { dtype: 'float64' }), i32z = nb.tensor(3, { dtype: 'int32' }), f32z = nb.tensor(0.5, { dtype: 'float32' });
  assert.equal(nb.add(f32, f64z).dtype, 'float32'); // same category: the dimensioned tensor decides
  assert.equal(nb.add(f64z, f32).dtype, 'float32');
  assert.equal(nb.add(i32, f64z).dtype, 'float64'); // floating beats integer: promoted
  assert.deepEqual([...nb.add(i32, f64z).data()], [1.5, 2.5]);
  assert.equal(nb.mul(b, i32z).dtype, 'int32');
  assert.equal(nb.add(nb.tensor([1], { dtype: 'bfloat16' }), f32z).dtype, 'bfloat16');
  assert.equal(nb.add(nb.tensor(1, { dtype: 'float64' }), f32z).dtype, 'float64'); // both 0-d: ordinary promotion
  assert.equal(nb.where(nb.tensor([true, false]), f32, f64z).dtype, 'float32');
});

test('anomaly mode: a NaN/Inf anywhere in a gradient is reported, finite gradients pass', () => {
  // d/dx √x = 1/(2√x): infinite at the last element only
  const bad = nb.tensor([4, 0], { dtype: 'float64', requiresGrad: true });
  assert.throws(() => nb.detectAnomaly(() => bad.sqrt().sum().backward()), /^Error: Function 'sqrtBackward' returned nan or inf values in its 0th output\./);
  const good = nb.tensor([4, 1], { dtype: 'float64', requiresGrad: true });
  nb.detectAnomaly(() => good.sqrt().sum().backward());
  assert.deepEqual([...good.grad!.data()], [0.25, 0.5]);
  // the helper itself: integer tensors hold no NaN/Inf; NaN at the first or the last place is found
  assert.equal(hasNonFinite(nb.tensor([1, 2], { dtype: 'int32' })), false);
  assert.equal(hasNonFinite(nb.tensor([NaN, 1], { dtype: 'float32' })), true);
  assert.equal(hasNonFinite(nb.tensor([1, -Infinity], { dtype: 'float64' })), true);
  assert.equal(hasNonFinite(nb.tensor([1, 2], { dtype: 'float64' })), false);
});

test('loss reductions: sum, mean (the default) and none of the element-wise loss', () => {
  const x = f64([[1, 2, 3], [4, 5, 6]]), y = nb.zeros([2, 3], { dtype: 'float64' });
  // (x − 0)² = 1, 4, 9, 16, 25, 36: Σ = 91
  assert.equal(nb.mseLoss(x, y, { reduction: 'sum' }).item(), 91);
  assert.equal(nb.mseLoss(x, y).item(), 91 / 6);
  assert.deepEqual([...nb.mseLoss(x, y, { reduction: 'none' }).data()], [1, 4, 9, 16, 25, 36]);
  assert.equal(nb.l1Loss(x, y, { reduction: 'sum' }).item(), 21);
});

test('nn input checks: float inputs, tensors, and the messages that name them', () => {
  const i = nb.tensor([1, 2], { dtype: 'int32' });
  assert.throws(() => nb.mseLoss(i, i), {
    name: 'TypeError', message: 'mseLoss: input [int32 [2]] must be a floating point tensor (float32 or float64), got int32',
  });
  // floatInput: ints compute in float32; a non-tensor is named (the op records check first, so called directly)
  assert.equal(floatInput('op', 'input', i).dtype, 'float32');
  assert.deepEqual([...floatInput('op', 'input', i).data()], [1, 2]);
  assert.throws(() => floatInput('op', 'input', null), { name: 'TypeError', message: 'op: input must be a Tensor, got null' });
  assert.throws(() => floatInput('op', 'input', 3), { name: 'TypeError', message: 'op: input must be a Tensor, got number' });
});

test('window pairs (stride, padding): one number, a one-element array, a pair; the rest refused by name', () => {
  const x = nb.ones([1, 1, 4, 4], { dtype: 'float64' }), w = nb.ones([1, 1, 2, 2], { dtype: 'float64' });
  const s = [2];
  // stride [2] = (2, 2): out = ⌊(4 − 2)/2⌋ + 1 = 2 per side, and the caller's array is left as it was
  assert.deepEqual([...nb.conv2d(x, w, null, s).shape], [1, 1, 2, 2]);
  assert.deepEqual(s, [2]);
  assert.throws(() => nb.conv2d(x, w, null, [1, 2, 3]), { message: 'conv2d: stride must be a positive integer or a pair of them, got [1,2,3]' });
  assert.throws(() => nb.conv2d(x, w, null, [1, 0]), { message: 'conv2d: stride must be a positive integer or a pair of them, got [1,0]' });
  assert.throws(() => nb.conv2d(x, w, null, 1, -1), { message: 'conv2d: padding must be a non-negative integer or a pair of them, got -1' });
  assert.deepEqual([...nb.conv2d(x, w, null, 1, [0, 1]).shape], [1, 1, 3, 5]);
});

test('index ranges: negative and too-large indices are refused, ignoreIndex named only where there is one', () => {
  const w = nb.ones([3, 2], { dtype: 'float64' });
  assert.throws(() => nb.embedding(nb.tensor([0, -1], { dtype: 'int32' }), w), {
    name: 'RangeError', message: 'embedding: index value -1 is out of bounds: expected values in [0, 3)',
  });
  assert.throws(() => nb.embedding(nb.tensor([3], { dtype: 'int32' }), w), { message: 'embedding: index value 3 is out of bounds: expected values in [0, 3)' });
  assert.throws(() => nb.crossEntropy(nb.ones([2, 3], { dtype: 'float64' }), nb.tensor([0, 3], { dtype: 'int32' })), {
    name: 'RangeError', message: 'crossEntropy: target value 3 is out of bounds: expected values in [0, 3) or -100 (ignoreIndex)',
  });
});

test('dropout: p outside [0, 1] (and NaN) refused by value, the generator argument checked, the default generator used', () => {
  const x = nb.ones([8], { dtype: 'float64' });
  for (const p of [1.5, -0.1, NaN]) {
    assert.throws(() => nb.dropout(x, p), { name: 'RangeError', message: `dropout: probability p has to be between 0 and 1, but got ${p}` });
  }
  assert.throws(() => nb.dropout(x, { generator: 5 as never }), { name: 'TypeError', message: "dropout: argument 'generator' must be a Generator, got number 5" });
  // p = 1 zeros everything; p = 0 and training false return the input itself
  assert.deepEqual([...nb.dropout(x, 1).data()], new Array(8).fill(0));
  assert.equal(nb.dropout(x, 0), x);
  assert.equal(nb.dropout(x, 0.5, false), x);
  // the mask: element i kept (scaled by 1/(1 − p)) when the generator's i-th draw u_i ≥ p, else 0
  const want = (g: nb.Generator, p: number) => Array.from({ length: 8 }, () => (g.random() >= p ? 1 / (1 - p) : 0));
  nb.manualSeed(3);
  assert.deepEqual([...nb.dropout(x, 0.25).data()], want(new nb.Generator(3), 0.25), 'the default generator');
  nb.manualSeed(3);
  assert.deepEqual([...nb.dropout(x, { p: 0.25, generator: null as never }).data()], want(new nb.Generator(3), 0.25), 'generator null: the default one');
  assert.deepEqual([...nb.dropout(x, { p: 0.75, generator: new nb.Generator(11) }).data()], want(new nb.Generator(11), 0.75));
  // an int32 input computes in float32
  const y = nb.dropout(nb.tensor([1, 2, 3, 4], { dtype: 'int32' }), { p: 0.5, generator: new nb.Generator(1) });
  assert.equal(y.dtype, 'float32');
  assert.deepEqual([...y.data()], want(new nb.Generator(1), 0.5).slice(0, 4).map((m, i) => m * (i + 1)));
});

test('dropout draws exactly one number per element (none at p = 1), keeping an element when its draw u ≥ p', () => {
  const x = nb.ones([8], { dtype: 'float64' });
  const draws = (seed: number, n: number) => { const g = new nb.Generator(seed); return Array.from({ length: n }, () => g.random()); };
  const mask = (u: number[], p: number) => u.map((v) => (v >= p ? 1 / (1 - p) : 0));
  // two calls on one generator: the second mask comes from draws 8..15
  const g = new nb.Generator(7), u = draws(7, 16);
  assert.deepEqual([...nb.dropout(x, { p: 0.5, generator: g }).data()], mask(u.slice(0, 8), 0.5));
  assert.deepEqual([...nb.dropout(x, { p: 0.5, generator: g }).data()], mask(u.slice(8), 0.5));
  // p = 1 returns zeros without drawing (as PyTorch): the generator's next draw is still its first
  const h = new nb.Generator(9);
  assert.deepEqual([...nb.dropout(x, { p: 1, generator: h }).data()], new Array(8).fill(0));
  assert.equal(h.random(), draws(9, 1)[0]);
  // the boundary: with p equal to the first draw, that element is kept (u ≥ p)
  const p = draws(21, 1)[0]!;
  const first = nb.dropout(x, { p, generator: new nb.Generator(21) }).data()[0]!;
  assert.equal(first, 1 / (1 - p));
});

test('embedding: paddingIdx range (negative counts from the end), its zero gradient and tangent, 2-D weight, strided indices', () => {
  const w = f64([[1, 2], [3, 4], [5, 6]]);
  const ids = (d: number[]) => nb.tensor(d, { dtype: 'int32' });
  for (const pad of [3, -4, 1.5]) {
    assert.throws(() => nb.embedding(ids([0]), w, { paddingIdx: pad }), { name: 'RangeError', message: `embedding: paddingIdx ${pad} must be within [-3, 3) for weight [3,2]` });
  }
  assert.deepEqual([...nb.embedding(ids([0, 2]), w, { paddingIdx: -3 }).data()], [1, 2, 5, 6]);
  assert.throws(() => nb.embedding(ids([0]), f64([1, 2, 3])), { name: 'Error', message: 'embedding: weight [3] must be 2-D [numEmbeddings, embeddingDim]' });
  // paddingIdx −1 is row 2: Σ out over rows [2, 0, 2, 1] sends 1 per lookup to rows 0 and 1, nothing to row 2
  const wl = w.clone().requiresGrad_(true);
  nb.embedding(ids([2, 0, 2, 1]), wl, { paddingIdx: -1 }).sum().backward();
  assert.deepEqual([...wl.grad!.data()], [1, 1, 1, 1, 0, 0]);
  // the tangent of the lookup is the lookup of ẇ, 0 on the padding rows
  const { forwardAD } = nb.autograd;
  const tan = forwardAD.dualLevel(() => {
    const d = forwardAD.makeDual(w, f64([[0.5, -1], [2, 3], [7, 8]]));
    return [...forwardAD.unpackDual(nb.embedding(ids([2, 0, 1]), d, { paddingIdx: -1 })).tangent!.data()];
  });
  assert.deepEqual(tan, [0, 0, 0.5, -1, 2, 3]);
  // non-contiguous indices (a transpose): out[i, j] = w[ids[j, i]]
  const t = nb.tensor([[0, 1], [2, 0]], { dtype: 'int32' }).t();
  assert.equal(t.isContiguous(), false);
  assert.deepEqual([...nb.embedding(t, w).data()], [1, 2, 5, 6, 3, 4, 1, 2]);
});

test('embedding: every looked-up row gets its gradient without paddingIdx; paddingIdx 0 zeroes row 0\'s tangent; int weight refused', () => {
  const w = f64([[1, 2], [3, 4], [5, 6]]);
  const ids = (d: number[]) => nb.tensor(d, { dtype: 'int32' });
  const wl = w.clone().requiresGrad_(true);
  nb.embedding(ids([0, 0, 1]), wl).sum().backward();
  assert.deepEqual([...wl.grad!.data()], [2, 2, 1, 1, 0, 0]);
  const { forwardAD } = nb.autograd;
  const tan = forwardAD.dualLevel(() => {
    const d = forwardAD.makeDual(w, f64([[0.5, -1], [2, 3], [7, 8]]));
    return [...forwardAD.unpackDual(nb.embedding(ids([2, 0, 1]), d, { paddingIdx: 0 })).tangent!.data()];
  });
  assert.deepEqual(tan.map((v) => v + 0), [7, 8, 0, 0, 2, 3]); // (−1)·0 is −0: compared as 0
  // the record's name: in its argument errors
  assert.throws(() => nb.embedding(null as never, w), { name: 'TypeError', message: "embedding: argument 'indices' must be a Tensor, got null" });
  assert.throws(() => nb.embedding(ids([0]), nb.ones([3, 2], { dtype: 'int32' })), {
    name: 'TypeError', message: 'embedding: weight [int32 [3,2]] must be a floating point tensor (float32 or float64), got int32',
  });
});

test('in-place arithmetic refuses a result self cannot hold (PyTorch\'s can_cast): float into int, non-bool into bool', () => {
  const i = nb.tensor([1, 2], { dtype: 'int32' });
  assert.throws(() => i.add_(0.75), { name: 'TypeError', message: /^add_: result type float32 can't be cast to the desired output type int32/ });
  assert.throws(() => i.div_(2), { message: /^div_: result type float32 can't be cast to the desired output type int32/ });
  assert.throws(() => i.mul_(nb.tensor([0.5, 0.5])), { message: /^mul_: result type float32 can't be cast/ });
  assert.deepEqual([...i.data()], [1, 2]); // nothing was written
  const b = nb.tensor([true, false]);
  assert.throws(() => b.add_(1), { message: /^add_: result type int32 can't be cast to the desired output type bool/ });
  // what PyTorch allows: an integer result into int, bool into int, any float into another float
  i.add_(2).add_(nb.tensor([true, false]));
  assert.deepEqual([...i.data()], [4, 4]);
  // subtraction with a bool tensor is refused, in place too (PyTorch: "Subtraction, the `-` operator, with a bool tensor is not supported")
  assert.throws(() => i.sub_(nb.tensor([true, false])), { name: 'TypeError', message: /^sub: subtraction with a bool tensor is not supported/ });
  const h = nb.tensor([1, 2], { dtype: 'float32' }).mul_(nb.tensor([3, 4], { dtype: 'int32' }));
  assert.deepEqual([...h.data()], [3, 8]);
});

test('softmax/logSoftmax of a 0-d tensor: 1 and 0, gradient and tangent 0 (PyTorch: F.softmax(tensor(2.), 0) = 1)', () => {
  for (const [op, value] of [[nb.softmax, 1], [nb.logSoftmax, 0]] as const) {
    const x = nb.tensor(2, { dtype: 'float64', requiresGrad: true });
    const y = op(x, 0);
    assert.deepEqual([y.shape, y.item()], [[], value]);
    y.mul(3).backward();
    assert.deepEqual([x.grad!.shape, x.grad!.item()], [[], 0]);
    const [, t] = nb.autograd.jvp((a: nb.Tensor) => op(a, -1), [nb.tensor(2, { dtype: 'float64' })], [nb.tensor(5, { dtype: 'float64' })]);
    assert.deepEqual([t.shape, t.item()], [[], 0]);
  }
});

test('softmax/logSoftmax: integer and bool inputs compute in float32, dim as an option, errors named per op', () => {
  const y = nb.softmax(nb.tensor([[1, 2], [3, 5]], { dtype: 'int32' }), 1);
  assert.equal(y.dtype, 'float32');
  const want = [1 / (1 + Math.E), Math.E / (1 + Math.E), 1 / (1 + Math.E ** 2), Math.E ** 2 / (1 + Math.E ** 2)];
  [...y.data()].forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `softmax int32 ${i}`));
  assert.equal(nb.logSoftmax(nb.tensor([true, false]), 0).dtype, 'float32');
  assert.deepEqual([...nb.softmax(f64([1, 1]), { dim: 0 } as never).data()], [0.5, 0.5]);
  assert.deepEqual([...nb.logSoftmax(f64([1, 1]), { dim: 0 } as never).data()], [-Math.LN2, -Math.LN2]);
  assert.throws(() => nb.logSoftmax(f64([1, 2]), 3), /^RangeError: logSoftmax: dim 3 is out of range for a tensor of rank 1 \(expected -1..0\)$/);
  assert.throws(() => nb.softmax(f64([1, 2]), 3), /^RangeError: softmax: dim 3 is out of range for a tensor of rank 1 \(expected -1..0\)$/);
  assert.equal(nb.softmax(f64([1, 2]).requiresGrad_(true), 0).gradFn!.name, 'softmax');
  assert.equal(nb.logSoftmax(f64([1, 2]).requiresGrad_(true), 0).gradFn!.name, 'logSoftmax');
});

test('swiglu: silu(a)·b of the two halves; 0-d, odd and out-of-range dims refused, naming swiglu', () => {
  const F = nb.nn.functional;
  const silu = (a: number) => a / (1 + Math.exp(-a));
  assert.deepEqual([...F.swiglu(f64([1, -2, 3, 4])).data()], [silu(1) * 3, silu(-2) * 4]);
  assert.throws(() => F.swiglu(f64(2)), /^Error: swiglu: input must have at least 1 dimension, got a 0-d tensor$/);
  assert.throws(() => F.swiglu(f64([1, 2, 3])), /^Error: swiglu: dimension -1 of input \[3\] has odd size 3: expected an even size to split in half$/);
  assert.throws(() => F.swiglu(f64([1, 2]), 2), /^RangeError: swiglu: dim 2 is out of range for a tensor of rank 1 \(expected -1..0\)$/);
  assert.equal(F.swiglu(nb.tensor([1, 2], { dtype: 'int32' })).dtype, 'float32');
});

test('scaledDotProductAttention: argument checks name the op and the argument', () => {
  const sdpa = nb.nn.functional.scaledDotProductAttention;
  const q = f64([[1, 2], [3, 4], [5, 6]]), k = f64([[1, 0], [0, 1]]), v = f64([[1, 2, 3], [4, 5, 6]]);
  const op = 'scaledDotProductAttention';
  assert.throws(() => sdpa(f64([1, 2]), k, v), new RegExp(`^Error: ${op}: query \\[2\\] must have at least 2 dimensions \\[\\.\\.\\., L, E\\]$`));
  assert.throws(() => sdpa(q, f64([1, 2]), v), new RegExp(`^Error: ${op}: key \\[2\\] must have at least 2 dimensions`));
  assert.throws(() => sdpa(q, k, f64([1, 2])), new RegExp(`^Error: ${op}: value \\[2\\] must have at least 2 dimensions`));
  for (const [name, args] of [['query', [q.int(), k, v]], ['key', [q, k.int(), v]], ['value', [q, k, v.int()]]] as const) {
    assert.throws(() => sdpa(...(args as [nb.Tensor, nb.Tensor, nb.Tensor])), (e: Error) => { assert.match(e.message, new RegExp(`^${op}: .*\\b${name}\\b`)); return true; }, name);
  }
  assert.throws(() => sdpa(3 as never, k, v), new RegExp(`^TypeError: ${op}: `));
  const keep = nb.tensor([[true, false], [true, true], [false, true]]);
  assert.throws(() => sdpa(q, k, v, { attnMask: keep, isCausal: true }), new RegExp(`^Error: ${op}: pass either attnMask or isCausal, not both$`));
  for (const p of [-0.1, 1.5, NaN]) assert.throws(() => sdpa(q, k, v, { dropoutP: p }), new RegExp(`^RangeError: ${op}: dropoutP must be in \\[0, 1\\], got ${p}$`));
  assert.throws(() => sdpa(q, k, v, { attnMask: nb.tensor([[1, 0], [1, 1], [0, 1]], { dtype: 'int32' }) }),
    new RegExp(`^TypeError: ${op}: attnMask must be bool \\(true = attend\\) or float \\(added to the scores\\), got int32$`));
  assert.throws(() => sdpa(q, k, v, { attnMask: nb.ones([2, 2], { dtype: 'bool' }) }),
    new RegExp(`^Error: ${op}: attnMask \\[2,2\\] does not broadcast to the attention weights \\[\\.\\.\\., 3, 2\\] \\(query \\[3,2\\], key \\[2,2\\]\\)$`));
  assert.throws(() => sdpa(q, k, v, { attnMask: nb.ones([3, 3], { dtype: 'bool' }) }), /does not broadcast to the attention weights/);
  // a 0-d mask broadcasts to every score (as PyTorch 2): true is no mask, false masks every row (zeros), a float is
  // added to every score (softmax does not change)
  const plain = sdpa(q, k, v);
  assert.deepEqual([...sdpa(q, k, v, { attnMask: nb.tensor(true) }).data()], [...plain.data()]);
  assert.ok([...sdpa(q, k, v, { attnMask: nb.tensor(false) }).data()].every((x) => x === 0));
  [...sdpa(q, k, v, { attnMask: nb.tensor(0.5, { dtype: q.dtype }) }).data()].forEach((x, i) => assert.ok(Math.abs(x - Number(plain.data()[i])) < 1e-12));
});

test('scaledDotProductAttention: masks that broadcast ([S], [L, 1]), a float mask\'s all −∞ row gives zeros, dropoutP 1 and training: false', () => {
  const sdpa = nb.nn.functional.scaledDotProductAttention;
  const q = f64([[1, 2], [3, 4], [5, 6]]), k = f64([[1, 0], [0, 1]]), v = f64([[1, 2, 3], [4, 5, 6]]);
  const full = (m: boolean[][]) => sdpa(q, k, v, { attnMask: nb.tensor(m) });
  const same = (a: nb.Tensor, b: nb.Tensor) => assert.deepEqual([...a.data()], [...b.data()]);
  same(sdpa(q, k, v, { attnMask: nb.tensor([false, true]) }), full([[false, true], [false, true], [false, true]]));
  same(sdpa(q, k, v, { attnMask: nb.tensor([[true], [false], [true]]) }), full([[true, true], [false, false], [true, true]]));
  // row 1 fully masked by −∞ in a float mask: zero weights there (no NaN), the other rows as without the mask
  const qq = q.detach().requiresGrad_(true);
  const o = sdpa(qq, k, v, { attnMask: f64([[0, 0], [-Infinity, -Infinity], [0, 0]]) });
  assert.deepEqual([...o.data()].slice(3, 6), [0, 0, 0]);
  same(o.select(0, 0), sdpa(q, k, v).select(0, 0));
  o.sum().backward();
  assert.ok([...qq.grad!.data()].every(Number.isFinite));
  // dropoutP 1 drops every weight (PyTorch: zeros); training: false turns dropout off
  assert.deepEqual([...sdpa(q, k, v, { dropoutP: 1, generator: new nb.Generator(1) }).data()], [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  same(sdpa(q, k, v, { dropoutP: 0.5, training: false, generator: new nb.Generator(1) }), sdpa(q, k, v));
});

test('scaledDotProductAttention on the fused path (batch·L·S ≥ 2¹⁶ on a CPU backend) equals the composed one; dropout there too', () => {
  const sdpa = nb.nn.functional.scaledDotProductAttention;
  const g = new nb.Generator(3);
  const [q, k, v] = [0, 1, 2].map(() => nb.randn([256, 4], { dtype: 'float64', generator: g }));
  const zero = nb.zeros([256, 256], { dtype: 'float64' }); // a float mask forces the composed path
  const causal = nb.ones([256, 256], { dtype: 'bool' }).tril();
  const close = (a: nb.Tensor, b: nb.Tensor) => {
    const x = a.data(), y = b.data();
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) < 1e-12, `element ${i}: ${x[i]} vs ${y[i]}`);
  };
  close(sdpa(q!, k!, v!), sdpa(q!, k!, v!, { attnMask: zero }));
  close(sdpa(q!, k!, v!, { isCausal: true }), sdpa(q!, k!, v!, { attnMask: causal }));
  const plain = sdpa(q!, k!, v!);
  const dropped = sdpa(q!, k!, v!, { dropoutP: 0.5, generator: new nb.Generator(4) });
  assert.ok([...dropped.data()].some((x, i) => Math.abs(x - plain.data()[i]!) > 1e-6), 'dropout is applied by default (training)');
  close(sdpa(q!, k!, v!, { dropoutP: 0.5, training: false, generator: new nb.Generator(4) }), plain);
  // float16 has no fused kernel: the composed path runs at that size too
  const h = sdpa(q!.to('float16'), k!.to('float16'), v!.to('float16'));
  assert.deepEqual([h.dtype, h.shape], ['float16', [256, 4]]);
  assert.ok([...h.data()].every((x, i) => Math.abs(x - plain.data()[i]!) < 0.05));
});

test('gather/scatterAdd/indexSelect/indexAdd: refusals with their messages', () => {
  const x = f64([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  const i32 = (a: nb.NestedArray) => nb.tensor(a, { dtype: 'int32' });
  const cases: [() => unknown, string][] = [
    [() => nb.gather(x, 1, i32([0, 3])), 'Error: gather: index [2] must have the same rank as input [3,4]'],
    [() => nb.gather(x, 0, i32([[0, 1, 2, 0, 1]])), 'Error: gather: index [1,5] is larger than input [3,4] in dimension 1'],
    [() => nb.gather(x, 1, [[0]] as never), "TypeError: gather: argument 'index' must be an int32 Tensor, got an array [object]"],
    [() => nb.gather(x, 1, nb.tensor([[0]])), 'TypeError: gather: index must be an int32 tensor, got float32'],
    [() => nb.gather(x, 2, i32([[0]])), 'RangeError: gather: dim 2 is out of range for a tensor of rank 2 (expected -2..1)'],
    [() => nb.scatterAdd([3, -1], 1, i32([[0]]), x), "TypeError: scatterAdd: argument 'shape' must be a shape (an array of non-negative integers), got an array [3, -1]"],
    [() => nb.scatterAdd([3, 1.5], 1, i32([[0]]), x), "TypeError: scatterAdd: argument 'shape' must be a shape (an array of non-negative integers), got an array [3, 1.5]"],
    [() => nb.scatterAdd(3 as never, 0, i32([0]), x), "TypeError: scatterAdd: argument 'shape' must be a shape (an array of non-negative integers), got number 3"],
    [() => nb.scatterAdd([3, 4], 1, i32([0]), x), 'Error: scatterAdd: index [1] must have rank 2'],
    [() => nb.scatterAdd([3, 4], 1, i32([[0, 1, 2, 3, 0]]), x), 'Error: scatterAdd: index [1,5] is larger than src [3,4] in dimension 1'],
    [() => nb.scatterAdd([3, 4], 2, i32([[0]]), x), 'RangeError: scatterAdd: dim 2 is out of range for a tensor of rank 2 (expected -2..1)'],
    [() => nb.indexAdd([3, 4], 0, i32([0, 1]), x), 'Error: indexAdd: src must have shape [2,4], got [3,4]'],
    [() => nb.indexAdd([3, 4], 0, i32([0, 1, 2]), x.reshape([12])), 'Error: indexAdd: src must have shape [3,4], got [12]'],
    [() => nb.indexSelect(x, 0, i32([[0]])), 'Error: indexSelect: index must be 0-D or 1-D, got shape [1,1]'],
    [() => nb.indexSelect(x, -3, i32([0])), 'RangeError: indexSelect: dim -3 is out of range for a tensor of rank 2 (expected -2..1)'],
  ];
  for (const [call, message] of cases) assert.throws(call, (e: Error) => { assert.equal(`${e.name}: ${e.message}`, message); return true; });
});

test('gather with an index smaller than the input (and longer along dim), scatterAdd with src larger than index: values, gradients, second order', () => {
  const i32 = (a: nb.NestedArray) => nb.tensor(a, { dtype: 'int32' });
  // torch.gather(x, 1, [[0, 3], [2, 2]]) → [[1, 4], [7, 7]]; [[0, 3, 1, 1, 2, 0]] → [[1, 4, 2, 2, 3, 1]]
  const x = nb.tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], { dtype: 'float64', requiresGrad: true });
  assert.deepEqual(nb.gather(x, 1, i32([[0, 3], [2, 2]])).toArray(), [[1, 4], [7, 7]]);
  const long = nb.gather(x, 1, i32([[0, 3, 1, 1, 2, 0]]));
  assert.deepEqual(long.toArray(), [[1, 4, 2, 2, 3, 1]]);
  long.mul(f64([[1, 2, 3, 4, 5, 6]])).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [[7, 7, 5, 2], [0, 0, 0, 0], [0, 0, 0, 0]]);
  // zeros(3, 4).scatter_add(1, [[0, 1], [2, 3]], src[3, 4]): only src[:2, :2] is read, so only it gets gradient
  const src = nb.tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], { dtype: 'float64', requiresGrad: true });
  const index = i32([[0, 1], [2, 3]]);
  const out = nb.scatterAdd([3, 4], 1, index, src);
  assert.deepEqual(out.toArray(), [[1, 2, 0, 0], [0, 0, 5, 6], [0, 0, 0, 0]]);
  out.mul(nb.arange(12, { dtype: 'float64' }).reshape([3, 4])).sum().backward();
  assert.deepEqual(src.grad!.toArray(), [[0, 1, 0, 0], [6, 7, 0, 0], [0, 0, 0, 0]]);
  const fn = (s: nb.Tensor) => nb.scatterAdd([3, 4], 1, index, s).mul(nb.scatterAdd([3, 4], 1, index, s));
  const s0 = nb.randn([3, 4], { dtype: 'float64', generator: new nb.Generator(2) }).requiresGrad_(true);
  assert.equal(nb.autograd.gradcheck(fn, [s0], { rtol: 1e-7, atol: 1e-9 }), true);
  assert.equal(nb.autograd.gradgradcheck(fn, [s0]), true);
  const [, tangent] = nb.autograd.jvp((s: nb.Tensor) => nb.scatterAdd([3, 4], 1, index, s), [s0.detach()], [nb.ones([3, 4], { dtype: 'float64' })]);
  assert.deepEqual(tangent.toArray(), [[1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0]]);
});

test('scaledDotProductAttention at 2¹⁶ scores with inputs the fused kernel does not take (mixed dtypes, broadcast batch, ranks, Ev = 0) equals the composed path', () => {
  const sdpa = nb.nn.functional.scaledDotProductAttention;
  const g = new nb.Generator(5);
  const r = (shape: number[]) => nb.randn(shape, { dtype: 'float64', generator: g });
  const close = (a: nb.Tensor, b: nb.Tensor, tol: number) => {
    assert.deepEqual(a.shape, b.shape);
    assert.equal(a.dtype, b.dtype);
    const x = a.data(), y = b.data();
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) < tol, `element ${i}: ${x[i]} vs ${y[i]}`);
  };
  const composed = (q: nb.Tensor, k: nb.Tensor, v: nb.Tensor) => sdpa(q, k, v, { attnMask: nb.zeros([q.shape.at(-2)!, k.shape.at(-2)!], { dtype: q.dtype }) });
  const q = r([256, 4]), k = r([256, 4]), v = r([256, 4]);
  // key and value in float32 beside a float64 query: the scores promote to float64
  close(sdpa(q, k.float(), v.float()), composed(q, k.float(), v.float()), 1e-12);
  // batch dims that broadcast ([2] against [1]) and ranks that differ (3-D query, 2-D key/value)
  const qb = r([2, 128, 4]), kb = r([1, 256, 4]), vb = r([1, 256, 4]);
  close(sdpa(qb, kb, vb), composed(qb, kb, vb), 1e-12);
  close(sdpa(qb, k, v), composed(qb, k, v), 1e-12);
  // value rows of width 0
  assert.deepEqual(sdpa(q, k, nb.zeros([256, 0], { dtype: 'float64' })).shape, [256, 0]);
});

test('sort/topk: a 0-d input, 16-bit floats, k checked against the dim, k = n and k = 0', () => {
  // torch.sort(torch.tensor(3.)) → (3., 0); dim 0 and −1 name the only position of a 0-d tensor
  for (const dim of [0, -1]) {
    const x = nb.tensor(3, { dtype: 'float64', requiresGrad: true });
    const [v, i] = nb.sort(x, dim);
    assert.deepEqual([v.shape, v.item(), i.shape, i.item(), i.dtype], [[], 3, [], 0, 'int32']);
    v.mul(2).backward();
    assert.equal(x.grad!.item(), 2);
  }
  assert.throws(() => nb.sort(f64(3), 1), /^RangeError: sort: dim 1 is out of range/);
  const [tv, ti] = nb.topk(nb.tensor(3, { dtype: 'float64' }), 1);
  assert.deepEqual([tv!.shape, tv!.item(), ti!.item()], [[], 3, 0]);
  // float16 and bfloat16 sort by their exact values and stay in their dtype
  for (const dtype of ['float16', 'bfloat16'] as const) {
    const [v, i] = nb.sort(nb.tensor([0.5, -2, 1.5, 0.25], { dtype }), 0, true);
    assert.deepEqual([v.dtype, [...v.data()], [...i.data()]], [dtype, [1.5, 0.5, 0.25, -2], [2, 0, 3, 1]]);
  }
  const x = f64([[3, 1, 2], [0, 5, 4]]);
  assert.throws(() => nb.topk(x, 1.5), /^TypeError: topk: argument 'k' must be an integer, got number 1\.5$/);
  for (const k of [-1, 4]) assert.throws(() => nb.topk(x, k), new RegExp(`^RangeError: topk: k \\(${k}\\) must be an integer in \\[0, 3\\] for input \\[2,3\\] along dim -1$`));
  assert.throws(() => nb.topk(x, 3, 0), /^RangeError: topk: k \(3\) must be an integer in \[0, 2\] for input \[2,3\] along dim 0$/);
  const [av, ai] = nb.topk(x, 3);
  assert.deepEqual([av!.toArray(), ai!.toArray()], [[[3, 2, 1], [5, 4, 0]], [[0, 2, 1], [1, 2, 0]]]);
  const [nv, ni] = nb.topk(x, 0);
  assert.deepEqual([nv!.shape, ni!.shape], [[2, 0], [2, 0]]);
  const [sv, si] = nb.topk(x, 2, 0, false);
  assert.deepEqual([sv!.toArray(), si!.toArray()], [[[0, 1, 2], [3, 5, 4]], [[1, 0, 0], [0, 1, 1]]]);
});

test('op records\' calling conventions: options objects, positional limits, counts, with their messages', () => {
  const x = nb.tensor([[3, 1, 2]]);
  const q = nb.ones([2, 2]);
  const sdpa = nb.nn.functional.scaledDotProductAttention as (...a: unknown[]) => nb.Tensor;
  const sort = nb.sort as unknown as (...a: unknown[]) => nb.Tensor[];
  const msg = (call: () => unknown, m: string) => assert.throws(call, (e: Error) => { assert.equal(`${e.name}: ${e.message}`, m); return true; });
  msg(() => (nb.softmax as (...a: unknown[]) => unknown)(x, 0, { dim: 1 }), 'TypeError: softmax: dim given twice (as an argument and as an option)');
  msg(() => nb.softmax(x, { dim: 1, dims: 2 } as never), "TypeError: softmax: unknown option 'dims' (did you mean dim?); expected one of: dim");
  msg(() => sdpa(q, q, q, null, 0, false, null, new nb.Generator(1)),
    'TypeError: scaledDotProductAttention: expected at most 7 positional arguments (query, key, value, attnMask, dropoutP, isCausal, scale), got 8; give generator, training by name ({generator: ...})');
  msg(() => sdpa(q, q, q, null, 0, false, null, new nb.Generator(1), { training: false }),
    'TypeError: scaledDotProductAttention: expected at most 7 positional arguments (query, key, value, attnMask, dropoutP, isCausal, scale) and an options object, got 8');
  msg(() => sort(x, -1, false, true, 5), 'TypeError: sort: expected 1 to 4 arguments sort(input, dim?, descending?, stable?), got 5');
  msg(() => (nb.sum as (...a: unknown[]) => unknown)(), 'TypeError: sum: expected 1 to 3 arguments sum(input, dim?, keepdim?), got 0');
  msg(() => (nb.softmax as (...a: unknown[]) => unknown)(x, { dim: 1 }, 3), 'TypeError: softmax: expected 2 arguments softmax(input, dim), got 3');
  // an option fills its own place, positions before it stay defaults; an undefined option is no option
  const [v1] = sort(x, { descending: true });
  assert.deepEqual(v1!.toArray(), [[3, 2, 1]]);
  const [v2] = sort(x, { descending: true, dim: undefined });
  assert.deepEqual(v2!.toArray(), [[3, 2, 1]]);
  const [v3] = sort(x, 0, { descending: true });
  assert.deepEqual(v3!.toArray(), [[3, 1, 2]]);
  const [v5] = sort(x, 0, { dim: undefined, descending: true });
  assert.deepEqual(v5!.toArray(), [[3, 1, 2]]);
  const [v4] = sort(x, undefined, { descending: true });
  assert.deepEqual(v4!.toArray(), [[3, 2, 1]]);
  assert.deepEqual(sdpa(q, q, q, { training: false }).toArray(), [[1, 1], [1, 1]]);
});

test('einsum: equation errors with their messages; upper- and lower-case labels, traces, an ellipsis in the middle of the output', () => {
  const a = nb.ones([2, 3]);
  const msg = (call: () => unknown, m: string) => assert.throws(call, (e: Error) => { assert.equal(`${e.name}: ${e.message}`, m); return true; });
  msg(() => nb.einsum('i...j...->ij', a), "Error: einsum: found a second ellipsis ('...') for operand 0 at index 5 in the equation; each term has at most one");
  msg(() => nb.einsum('ii->i', a), "Error: einsum: subscript i is repeated for operand 0 but the sizes don't match, 3 != 2");
  msg(() => nb.einsum('ij->i->j', a), "Error: einsum: the equation 'ij->i->j' has more than one '->'");
  msg(() => nb.einsum('ijk->i', a), 'Error: einsum: the number of subscripts in the equation (3) does not match the number of dimensions (2) for operand 0 (shape [2,3]) and no ellipsis was given');
  msg(() => nb.einsum('i1->i', a), "Error: einsum: invalid subscript '1' at index 1 in the equation (term 'i1', operand 0); subscripts must be letters a-z, A-Z (or '...')");
  // torch.einsum('Zz->zZ', [[1, 2], [3, 4]]) → [[1, 3], [2, 4]]; 'ii' → 5 (the trace); 'AZaz' labels at both ends of each range
  const m = f64([[1, 2], [3, 4]]);
  assert.deepEqual(nb.einsum('Zz->zZ', m).toArray(), [[1, 3], [2, 4]]);
  assert.deepEqual(nb.einsum('Aa->aA', m).toArray(), [[1, 3], [2, 4]]);
  assert.equal(nb.einsum('ii', m).item(), 5);
  assert.deepEqual(nb.einsum('i...k->k...i', nb.arange(8, { dtype: 'float64' }).reshape([2, 2, 2])).toArray(), [[[0, 4], [2, 6]], [[1, 5], [3, 7]]]);
});

test('layerNorm/rmsNorm/batchNorm: refusals with their messages, eps 0 allowed, rmsNorm\'s default eps is its dtype\'s machine epsilon', () => {
  const F = nb.nn.functional;
  const x = f64([[1, 2, 3], [4, 6, 8]]);
  const w2 = nb.ones([2], { dtype: 'float64' });
  const msg = (call: () => unknown, m: string) => assert.throws(call, (e: Error) => { assert.equal(`${e.name}: ${e.message}`, m); return true; });
  msg(() => F.layerNorm(x, [3], null, null, -1), 'RangeError: layerNorm: eps must be non-negative, got -1');
  msg(() => F.layerNorm(x, [3], null, null, NaN), 'RangeError: layerNorm: eps must be non-negative, got NaN');
  msg(() => F.layerNorm(x, []), 'Error: layerNorm: normalizedShape must name at least one dimension, got []');
  msg(() => F.layerNorm(x, [2]), 'Error: layerNorm: input [2,3] does not end with normalizedShape [2]: expected input of shape [*, 2]');
  msg(() => F.layerNorm(x, [2, 2, 3]), 'Error: layerNorm: input [2,3] does not end with normalizedShape [2,2,3]: expected input of shape [*, 2,2,3]');
  msg(() => F.layerNorm(x, [3], w2), 'Error: layerNorm: weight [2] does not match input [2,3]: expected [3]');
  msg(() => F.layerNorm(x, [3], null, nb.ones([3, 1], { dtype: 'float64' })), 'Error: layerNorm: bias [3,1] does not match input [2,3]: expected [3]');
  msg(() => F.layerNorm(x, [1.5]), "TypeError: layerNorm: argument 'normalizedShape' must be an integer or an array of integers, got an array [1.5]");
  msg(() => F.rmsNorm(x, [3], null, -1), 'RangeError: rmsNorm: eps must be non-negative, got -1');
  msg(() => F.rmsNorm(x, [3], w2), 'Error: rmsNorm: weight [2] does not match input [2,3]: expected [3]');
  msg(() => F.batchNorm(x, nb.zeros([3], { dtype: 'float64' }), null), 'Error: batchNorm: runningMean and runningVar must both be given or both be null');
  msg(() => F.batchNorm(x, null, null, null, null, { training: true, eps: -1 }), 'RangeError: batchNorm: eps must be non-negative, got -1');
  msg(() => F.batchNorm(x, null, null, w2, null, { training: true }), 'Error: batchNorm: weight [2] does not match input [2,3]: expected [3]');
  msg(() => F.batchNorm(x, null, null, null, w2, { training: true }), 'Error: batchNorm: bias [2] does not match input [2,3]: expected [3]');
  // training updates the running stats in place: (1 − m)·running + m·batch (variance unbiased), as PyTorch:
  // F.batch_norm(x, ones(3), full((3,), 2.), training=True, momentum=0.1) leaves [1.15, 1.3, 1.45] and [2.25, 2.6, 3.05]
  const rm = nb.ones([3], { dtype: 'float64' }), rv = nb.full([3], 2, { dtype: 'float64' });
  F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.1 });
  [...rm.data(), ...rv.data()].forEach((v, i) => assert.ok(Math.abs(v - [1.15, 1.3, 1.45, 2.25, 2.6, 3.05][i]!) < 1e-12, `running stat ${i}: ${v}`));
  msg(() => F.batchNorm(x, null, null, null, null, { training: false }), 'Error: batchNorm: runningMean and runningVar are required when training is false (input [2,3])');
  // eps 0 is allowed: (x − mean)/σ exactly; an integer normalizedShape is one dim
  const r = 1 / Math.sqrt(2 / 3); // each row's (x − mean)/σ: [−r, 0, r]
  [...F.layerNorm(x, [3], null, null, 0).data()].forEach((v, i) => assert.ok(Math.abs(v - [-r, 0, r][i % 3]!) < 1e-12, `layerNorm eps 0, element ${i}: ${v}`));
  assert.deepEqual([...F.layerNorm(x, 3).data()], [...F.layerNorm(x, [3]).data()]);
  // rmsNorm with eps 0: x / √mean(x²) exactly ([3, 4] → rms √12.5; [1, 1] → 1)
  const rz = [...F.rmsNorm(f64([[3, 4], [1, 1]]), [2], null, 0).data()];
  [3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5), 1, 1].forEach((w, i) => assert.ok(Math.abs(rz[i]! - w) < 1e-15, `rmsNorm eps 0, element ${i}: ${rz[i]}`));
  // rmsNorm: y = x / √(mean(x²) + eps), eps = finfo(dtype).eps by default (2⁻²³ for float32, 2⁻⁵² for float64)
  const tiny = [1e-4, 1e-4, 1e-4];
  const y32 = F.rmsNorm(nb.tensor(tiny, { dtype: 'float32' }), [3]).data()[0]!;
  assert.ok(Math.abs(y32 - 1e-4 / Math.sqrt(1e-8 + 2 ** -23)) < 1e-6, `float32: ${y32}`);
  const y64 = F.rmsNorm(nb.tensor(tiny, { dtype: 'float64' }), [3]).data()[0]!;
  assert.ok(Math.abs(y64 - 1e-4 / Math.sqrt(1e-8 + 2 ** -52)) < 1e-12, `float64: ${y64}`);
});

test('matmul/bmm: refusals; mixed float dtypes promote; batched operands of any layout (expanded, permuted, sliced) equal their contiguous copies', () => {
  const msg = (call: () => unknown, m: string) => assert.throws(call, (e: Error) => { assert.equal(`${e.name}: ${e.message}`, m); return true; });
  msg(() => nb.bmm(nb.ones([2, 2, 3]), nb.ones([3, 3, 2])), 'Error: bmm: expected 3-D tensors with equal batch, got [2,2,3] and [3,3,2]');
  msg(() => nb.bmm(nb.ones([2, 3]), nb.ones([2, 3, 2])), 'Error: bmm: expected 3-D tensors with equal batch, got [2,3] and [2,3,2]');
  msg(() => nb.bmm(nb.ones([2, 2, 3]), nb.ones([3, 2])), 'Error: bmm: expected 3-D tensors with equal batch, got [2,2,3] and [3,2]');
  msg(() => nb.matmul(nb.ones([2, 3]), nb.ones([2, 3])), 'Error: matmul: cannot multiply [2,3] by [2,3]: inner dimensions 3 and 2 differ');
  msg(() => nb.matmul(nb.ones([4, 2, 3]), nb.ones([4, 2, 3])), 'Error: matmul: cannot multiply [4,2,3] by [4,2,3]: inner dimensions 3 and 2 differ');
  // nabla promotes where PyTorch 1.13 refuses ("expected scalar type"): float32 @ float64 is float64, exact
  const m = nb.matmul(nb.tensor([[1, 2]], { dtype: 'float32' }), f64([[0.1], [0.2]]));
  assert.deepEqual([m.dtype, m.item()], ['float64', Math.fround(1) * 0.1 + 2 * 0.2]);
  const g = new nb.Generator(7);
  const r = (shape: number[]) => nb.randn(shape, { dtype: 'float64', generator: g });
  const same = (a: nb.Tensor, b: nb.Tensor, what = '') => {
    assert.deepEqual(a.shape, b.shape, what);
    const x = a.data(), y = b.data();
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) < 1e-12, `${what}: element ${i}`);
  };
  const b = r([3, 4, 2]);
  const views: [string, nb.Tensor][] = [
    ['batch expanded (stride 0)', r([1, 5, 4]).expand([3, 5, 4])],
    ['batch and rows permuted', r([5, 3, 4]).permute([1, 0, 2])],
    ['every other batch', r([6, 5, 4]).slice(0, 0, 6, 2)],
    ['transposed matrices', r([3, 4, 5]).transpose(-2, -1)],
    ['4-D with an expanded middle batch', r([2, 1, 5, 4]).expand([2, 3, 5, 4])],
  ];
  for (const [what, a] of views) {
    same(nb.matmul(a, b), nb.matmul(a.contiguous(), b), what);
    same(nb.matmul(b.transpose(-2, -1), a.transpose(-2, -1)), nb.matmul(b.transpose(-2, -1).contiguous(), a.transpose(-2, -1).contiguous()), `${what}, on the right`);
  }
  // a stride-0 right operand across the batch (one matrix for every batch entry)
  const shared = r([1, 4, 2]).expand([3, 4, 2]);
  const a3 = r([3, 5, 4]);
  same(nb.matmul(a3, shared), nb.matmul(a3, shared.contiguous()));
  same(nb.bmm(a3, shared), nb.bmm(a3, shared.contiguous()));
});

test('reductions: max/min\'s three forms and their refusals, empty dims, 0-d inputs, bool prod, var\'s unbiased/correction', () => {
  const x = f64([[1, 5, 2], [7, 0, 3]]);
  const e = nb.zeros([2, 0]);
  const msg = (call: () => unknown, m: string) => assert.throws(call, (err: Error) => { assert.equal(`${err.name}: ${err.message}`, m); return true; });
  const anyMax = nb.max as (...a: unknown[]) => unknown;
  msg(() => anyMax(x, x, 1), 'TypeError: max: max(x, other) takes no further arguments');
  msg(() => anyMax(x, { keepdim: true }), 'TypeError: max: keepdim needs a dim');
  msg(() => anyMax(x, [0, 1]), 'TypeError: max: dim must be one integer (use amax/amin for several dims), got an array [0, 1]');
  msg(() => (nb.min as (...a: unknown[]) => unknown)(x, [1]), 'TypeError: min: dim must be one integer (use amax/amin for several dims), got an array [1]');
  msg(() => nb.max(e, 1), 'Error: max: cannot reduce over dimension 1 of size 0 (shape [2,0])');
  msg(() => nb.argmax(e, 1), 'Error: argmax: cannot reduce over dimension 1 of size 0');
  msg(() => nb.argmin(e, -1), 'Error: argmin: cannot reduce over dimension -1 of size 0');
  msg(() => nb.amax(e, 1), 'Error: amax: cannot reduce over a zero-size dimension of shape [2,0]');
  msg(() => nb.var(x, 1, { unbiased: true, correction: 0 } as never), 'TypeError: var: give either unbiased or correction, not both');
  // the forms: max(x) the largest element, max(x, other) elementwise, max(x, {dim, keepdim}) values and indices
  assert.equal(nb.max(x).item(), 7);
  assert.deepEqual(anyMax(x, f64([[2, 2, 2], [2, 2, 2]])) instanceof nb.Tensor && (anyMax(x, f64([[2, 2, 2], [2, 2, 2]])) as nb.Tensor).toArray(), [[2, 5, 2], [7, 2, 3]]);
  const [mv, mi] = (nb.min as unknown as (...a: unknown[]) => nb.Tensor[])(x, { dim: 1, keepdim: true });
  assert.deepEqual([mv!.toArray(), mi!.toArray()], [[[1], [0]], [[0], [1]]]);
  assert.equal(anyMax(x, undefined, undefined) instanceof nb.Tensor && (anyMax(x, undefined) as nb.Tensor).item(), 7);
  // empty dims a sum can take: zeros, as PyTorch
  assert.deepEqual(nb.sum(e, 1).toArray(), [0, 0]);
  // a 0-d input: max over dim 0 is itself at index 0, with its gradient and tangent; argmax keepdim stays 0-d
  const s = nb.tensor(4, { dtype: 'float64', requiresGrad: true });
  const [sv, si] = nb.max(s, 0);
  assert.deepEqual([sv!.shape, sv!.item(), si!.shape, si!.item()], [[], 4, [], 0]);
  sv!.mul(3).backward();
  assert.equal(s.grad!.item(), 3);
  const [, st] = nb.autograd.jvp((a: nb.Tensor) => nb.min(a, -1)[0]!, [nb.tensor(4, { dtype: 'float64' })], [nb.tensor(2, { dtype: 'float64' })]);
  assert.deepEqual([st.shape, st.item()], [[], 2]);
  const am = nb.argmax(nb.tensor(4), 0, true);
  assert.deepEqual([am.shape, am.item()], [[], 0]);
  assert.deepEqual(nb.argmax(x, undefined, true).toArray(), [[3]]);
  // prod of bool counts as int32 (PyTorch: int64), over a dim and over everything
  const p = nb.prod(nb.tensor([[true, true], [true, false]]), 1);
  assert.deepEqual([p.dtype, p.toArray()], ['int32', [1, 0]]);
  assert.equal(nb.prod(nb.tensor([true, true])).dtype, 'int32');
  // correction 0 is the population variance; integer inputs compute in float32
  assert.deepEqual([...nb.var(x, 1, { correction: 0 } as never).data()].map((v) => Math.round(v * 1e9) / 1e9), [2.888888889, 8.222222222]);
  assert.equal(nb.var(nb.tensor([[1, 2], [3, 5]], { dtype: 'int32' }), 1).dtype, 'float32');
  assert.equal(nb.logsumexp(nb.tensor([1, 2], { dtype: 'int32' }), 0).dtype, 'float32');
});

test('gather/scatterAdd of 0-d tensors read and write the one element (they gave 0), as PyTorch', () => {
  // torch.gather(torch.tensor(4.), 0, torch.tensor(0)) → 4; torch.zeros(()).scatter_add(0, torch.tensor(0), torch.tensor(3.)) → 3
  const i = nb.tensor(0, { dtype: 'int32' });
  const x = nb.tensor(4, { dtype: 'float64', requiresGrad: true });
  const y = nb.gather(x, 0, i);
  assert.deepEqual([y.shape, y.item()], [[], 4]);
  y.mul(5).backward();
  assert.equal(x.grad!.item(), 5);
  assert.equal(nb.scatterAdd([], -1, i, nb.tensor(3, { dtype: 'float64' })).item(), 3);
});
