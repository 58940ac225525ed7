/**
 * The losses (src/ops/nn/loss.ts) at their edges: every refusal with its message, probability targets in
 * every reduction and unbatched, label smoothing on an unbatched input, an empty batch, and the weights that
 * must broadcast to the input. Values are PyTorch 1.13's (F.cross_entropy, F.nll_loss, …, float64), printed to
 * full precision; written against the mutants that survived the mutation run of nn/loss.js
 * (tools/mutation/review.md).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { crossEntropyRows } from '../src/ops/nn/loss.js';

const F = nb.nn.functional;
const f64 = (data: nb.NestedArray) => nb.tensor(data, { dtype: 'float64' });
const i32 = (data: nb.NestedArray) => nb.tensor(data, { dtype: 'int32' });
const vals = (t: nb.Tensor) => [...t.data()].map(Number);
const err = (message: string, name = 'Error') => ({ name, message });
const close = (a: number[], b: number[], tol = 1e-12) => {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  a.forEach((v, k) => assert.ok(Math.abs(v - b[k]!) <= tol * Math.max(1, Math.abs(b[k]!)), `entry ${k}: ${v} vs ${b[k]}`));
};

const lg = () => f64([0.5, -1.0, 2.0]);
const L = () => f64([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]);
const P = () => f64([[0.2, 0.3, 0.5], [1.0, 0, 0]]);

describe('crossEntropy with probability targets', () => {
  test('reduction none and sum, a class weight; the values of PyTorch', () => {
    close(vals(F.crossEntropy(L(), P(), { reduction: 'none' })), [1.441311296657157, 0.3519518638028018]);
    assert.deepEqual(F.crossEntropy(L(), P(), { reduction: 'none' }).shape, [2]);
    close(vals(F.crossEntropy(L(), P(), { reduction: 'sum' })), [1.793263160459959]);
    close(vals(F.crossEntropy(L(), P(), { weight: f64([1, 2, 0.5]), reduction: 'none' })), [2.353376861490015, 0.3519518638028018]);
  });

  test('unbatched logits [C] with a [C] target and label smoothing: one value in every reduction', () => {
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const y = F.crossEntropy(lg(), f64([0.2, 0.3, 0.5]), { reduction, labelSmoothing: 0.2 });
      assert.deepEqual(y.shape, []);
      close(vals(y), [1.5013112966571571]);
    }
  });

  test('a target of another shape is refused, naming both forms it could take', () => {
    assert.throws(() => F.crossEntropy(L(), f64([0, 1])), err('crossEntropy: probability target [2] does not match logits [2,3]: expected [2,3] (or int32 class indices of shape [2])'));
    assert.throws(() => F.crossEntropy(lg(), f64(1)), err('crossEntropy: probability target [] does not match logits [3]: expected [3] (or int32 class indices of shape [])'));
    assert.throws(() => F.crossEntropy(f64([[[1, 2]], [[3, 4]]]), f64([[1, 2]])), err('crossEntropy: probability target [1,2] does not match logits [2,1,2]: expected [2,1,2] (or int32 class indices of shape [2,2])'));
    assert.throws(() => F.crossEntropy(L(), nb.tensor([true, false])), err("crossEntropy: target [bool [2]] must be int32 class indices or float probabilities, got bool", 'TypeError'));
  });
});

describe('crossEntropy and nllLoss with class targets', () => {
  test('an unbatched input with label smoothing gives a 0-d loss in every reduction (PyTorch: 2.9413…)', () => {
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const y = F.crossEntropy(lg(), i32(1), { reduction, labelSmoothing: 0.2 });
      assert.deepEqual(y.shape, []);
      close(vals(y), [2.9413112966571573]);
    }
  });

  test('labelSmoothing: 1 is allowed (PyTorch: 1.5883…), outside [0, 1] refused', () => {
    close(vals(F.crossEntropy(L(), i32([0, 1]), { labelSmoothing: 1 })), [1.5882982468966462]);
    close(vals(F.crossEntropy(L(), i32([0, 1]), { labelSmoothing: 0 })), [1.6716315802299795]);
    assert.throws(() => F.crossEntropy(L(), i32([0, 1]), { labelSmoothing: -0.1 }), err('crossEntropy: labelSmoothing must be in [0, 1], got -0.1', 'RangeError'));
    assert.throws(() => F.crossEntropy(L(), i32([0, 1]), { labelSmoothing: 1.5 }), err('crossEntropy: labelSmoothing must be in [0, 1], got 1.5', 'RangeError'));
  });

  test('an empty batch: none is empty, sum 0, mean NaN (0/0, as PyTorch)', () => {
    const x = nb.zeros([0, 3], { dtype: 'float64' }), t = i32([]);
    assert.deepEqual(F.crossEntropy(x, t, { reduction: 'none' }).shape, [0]);
    assert.deepEqual(vals(F.crossEntropy(x, t, { reduction: 'sum' })), [0]);
    assert.ok(Number.isNaN(vals(F.crossEntropy(x, t))[0]));
  });

  test('refusals: 0-d and integer inputs, a target of the wrong shape, a weight that is not [C]', () => {
    assert.throws(() => F.crossEntropy(f64(1), i32(0)), err('crossEntropy: logits must have at least 1 dimension (classes), got a 0-d tensor'));
    assert.throws(() => F.nllLoss(f64(1), i32(0)), err('nllLoss: input must have at least 1 dimension (classes), got a 0-d tensor'));
    assert.throws(() => F.crossEntropy(i32([[1, 2, 3]]), i32([0])), err('crossEntropy: logits [int32 [1,3]] must be a floating point tensor (float32 or float64), got int32', 'TypeError'));
    assert.throws(() => F.nllLoss(i32([[1, 2, 3]]), i32([0])), err('nllLoss: input [int32 [1,3]] must be a floating point tensor (float32 or float64), got int32', 'TypeError'));
    // a 0-d target for a batch: PyTorch "Expected input batch_size (2) to match target batch_size (0)"
    assert.throws(() => F.nllLoss(nb.zeros([2, 3]), i32(0)), err('nllLoss: target [] does not match input [2,3]: expected [2]'));
    assert.throws(() => F.crossEntropy(nb.zeros([2, 3, 4]), i32([[0, 1, 2, 0]])), err('crossEntropy: target [1,4] does not match logits [2,3,4]: expected [2,4]'));
    // PyTorch: "weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [3, 1]"
    assert.throws(() => F.nllLoss(nb.zeros([2, 3]), i32([0, 0]), { weight: nb.ones([3, 1]) }), err('nllLoss: weight [3,1] does not match the 3 classes of input [2,3]: expected [3]'));
    assert.throws(() => F.crossEntropy(nb.zeros([2, 3]), i32([0, 0]), { weight: nb.ones([2]) }), err('crossEntropy: weight [2] does not match the 3 classes of input [2,3]: expected [3]'));
  });
});

describe('the fused crossEntropyRows node', () => {
  test('its argument checks, and its statistics outputs are not differentiated (a gradient there would be dropped)', () => {
    const x = f64([[0.5, -1, 2], [1.5, 0.25, -0.5]]);
    const msg = (xs: string, t: string) => err(`crossEntropyRows: expected logits [N, C] and int32 targets [N], got ${xs} and ${t}`);
    assert.throws(() => crossEntropyRows(f64([1, 2]), i32([0])), msg('[2]', '[int32 [1]]'));
    assert.throws(() => crossEntropyRows(x, f64([0, 1])), msg('[2,3]', '[float64 [2]]'));
    assert.throws(() => crossEntropyRows(x, i32([[0, 1]])), msg('[2,3]', '[int32 [1,2]]'));
    assert.throws(() => crossEntropyRows(x, i32([0, 1, 2])), msg('[2,3]', '[int32 [3]]'));
    // each check alone: 1-D logits with a matching [N] target, a [N, 1] target
    assert.throws(() => crossEntropyRows(f64([1, 2]), i32([0, 1])), msg('[2]', '[int32 [2]]'));
    assert.throws(() => crossEntropyRows(x, i32([[0], [1]])), msg('[2,3]', '[int32 [2,1]]'));
    const xr = x.detach().requiresGrad_(true);
    const r = crossEntropyRows(xr, i32([2, 0])) as unknown as { loss: nb.Tensor; max: nb.Tensor; logSum: nb.Tensor };
    // loss = max + logSum − x[t] per row
    close(vals(r.loss), vals(r.max.add(r.logSum).sub(f64([2, 1.5]))));
    assert.throws(() => r.max.sum().backward({ retainGraph: true }), /crossEntropyRows: only the loss output is differentiable/);
    assert.throws(() => r.loss.add(r.logSum).sum().backward({ retainGraph: true }), /crossEntropyRows: only the loss output is differentiable/);
    assert.throws(() => r.loss.add(r.max).sum().backward({ retainGraph: true }), /crossEntropyRows: only the loss output is differentiable/);
    r.loss.sum().backward();
    assert.deepEqual(xr.grad!.shape, [2, 3]);
  });
});

describe('element-wise losses and BCE', () => {
  test('shapes must agree exactly (no broadcasting), each loss named; integer inputs refused', () => {
    const m = (op: string, t: string, x: string) => err(`${op}: target ${t} does not match input ${x}: expected ${x} (broadcasting is not applied; reshape one of them)`);
    assert.throws(() => F.mseLoss(f64([[1, 2, 3], [4, 5, 6]]), f64([1, 2, 3])), m('mseLoss', '[3]', '[2,3]'));
    assert.throws(() => F.l1Loss(f64([1, 2]), f64([1])), m('l1Loss', '[1]', '[2]'));
    assert.throws(() => F.huberLoss(f64([1, 2]), f64([1])), m('huberLoss', '[1]', '[2]'));
    assert.throws(() => F.mseLoss(f64([1, 2]), f64([[1, 2]])), m('mseLoss', '[1,2]', '[2]'));
    assert.throws(() => F.mseLoss(nb.zeros([2, 3], { dtype: 'float64' }), nb.zeros([2, 4], { dtype: 'float64' })), m('mseLoss', '[2,4]', '[2,3]'));
    assert.throws(() => F.l1Loss(nb.zeros([1, 3], { dtype: 'float64' }), nb.zeros([2, 3], { dtype: 'float64' })), m('l1Loss', '[2,3]', '[1,3]'));
    assert.throws(() => F.binaryCrossEntropy(f64([0.5]), f64([[1]])), m('binaryCrossEntropy', '[1,1]', '[1]'));
    assert.throws(() => F.binaryCrossEntropyWithLogits(f64([0.5, 1]), f64([1, 0, 1])), m('binaryCrossEntropyWithLogits', '[3]', '[2]'));
    assert.throws(() => F.mseLoss(i32([1, 2]), i32([1, 2])), err('mseLoss: input [int32 [2]] must be a floating point tensor (float32 or float64), got int32', 'TypeError'));
    // a float32 target beside a float64 input is cast to the input's dtype
    assert.equal(F.mseLoss(f64([1, 2]), nb.tensor([0, 0], { dtype: 'float32' })).dtype, 'float64');
  });

  test('huberLoss needs delta > 0 (PyTorch: "does not support non-positive values for delta")', () => {
    assert.throws(() => F.huberLoss(f64([0, 0]), f64([1, 1]), { delta: 0 }), err('huberLoss: delta must be positive, got 0', 'RangeError'));
    assert.throws(() => F.huberLoss(f64([0, 0]), f64([1, 1]), { delta: -1 }), err('huberLoss: delta must be positive, got -1', 'RangeError'));
    close(vals(F.huberLoss(f64([0, 0]), f64([1, 3]), { delta: 1e-3 })), [(1e-3 * (1 - 5e-4) + 1e-3 * (3 - 5e-4)) / 2]);
  });

  test('binaryCrossEntropy: inputs outside [0, 1] refused (the first one named), the ends allowed; a weight must broadcast to the input', () => {
    assert.throws(() => F.binaryCrossEntropy(f64([0.5, -0.1]), f64([1, 1])), err('binaryCrossEntropy: all elements of input [float64 [2]] should be between 0 and 1, found -0.1 at flat index 1', 'RangeError'));
    assert.throws(() => F.binaryCrossEntropy(f64([1.5, 0.5]), f64([1, 1])), err('binaryCrossEntropy: all elements of input [float64 [2]] should be between 0 and 1, found 1.5 at flat index 0', 'RangeError'));
    close(vals(F.binaryCrossEntropy(f64([0, 1]), f64([0, 1]))), [0]);
    // PyTorch: "output with shape [2] doesn't match the broadcast shape [2, 2]" (nabla widened the loss and averaged 4 terms)
    assert.throws(() => F.binaryCrossEntropy(f64([0.1, 0.5]), f64([1, 1]), { weight: nb.ones([2, 2], { dtype: 'float64' }) }), err('binaryCrossEntropy: weight [2,2] does not broadcast to input [2]'));
    close(vals(F.binaryCrossEntropy(f64([0.1, 0.5]), f64([1, 1]), { weight: f64([2]) })), [-(Math.log(0.1) + Math.log(0.5))]);
    // same rank, a larger size: [1, 2] against a [3, 2] weight
    assert.throws(() => F.binaryCrossEntropy(f64([[0.1, 0.5]]), f64([[1, 1]]), { weight: nb.ones([3, 2], { dtype: 'float64' }) }), err('binaryCrossEntropy: weight [3,2] does not broadcast to input [1,2]'));
  });

  test('binaryCrossEntropyWithLogits: posWeight and weight must broadcast to the input, as PyTorch', () => {
    const x = f64([0.1, 0.5]), y = f64([1, 1]);
    assert.throws(() => F.binaryCrossEntropyWithLogits(x, y, { posWeight: nb.ones([2, 2], { dtype: 'float64' }) }), err('binaryCrossEntropyWithLogits: posWeight [2,2] does not broadcast to input [2]'));
    assert.throws(() => F.binaryCrossEntropyWithLogits(x, y, { weight: nb.ones([3, 2], { dtype: 'float64' }) }), err('binaryCrossEntropyWithLogits: weight [3,2] does not broadcast to input [2]'));
    assert.throws(() => F.binaryCrossEntropyWithLogits(x, y, { posWeight: f64([1, 2]), weight: nb.ones([2, 1], { dtype: 'float64' }) }), err('binaryCrossEntropyWithLogits: weight [2,1] does not broadcast to input [2]'));
    const x12 = f64([[0.1, 0.5]]), y12 = f64([[1, 1]]), w32 = nb.ones([3, 2], { dtype: 'float64' });
    assert.throws(() => F.binaryCrossEntropyWithLogits(x12, y12, { posWeight: w32 }), err('binaryCrossEntropyWithLogits: posWeight [3,2] does not broadcast to input [1,2]'));
    assert.throws(() => F.binaryCrossEntropyWithLogits(x12, y12, { weight: w32 }), err('binaryCrossEntropyWithLogits: weight [3,2] does not broadcast to input [1,2]'));
    // a float32 posWeight and weight beside float64 logits (cast); −w·pw·log σ(x) for y = 1
    const ls = (v: number) => Math.log1p(Math.exp(-v));
    close(vals(F.binaryCrossEntropyWithLogits(x, y, { posWeight: nb.tensor([3], { dtype: 'float32' }), weight: nb.tensor([0.5, 2], { dtype: 'float32' }), reduction: 'none' })), [0.5 * 3 * ls(0.1), 2 * 3 * ls(0.5)]);
  });
});
