/**
 * linear (src/ops/matmul.ts) off its fused fast path: a 1-D input, mixed float dtypes (nabla promotes; PyTorch
 * 1.13 refuses), integer tensors, an expanded bias, each fused activation against its composition, and the shape
 * refusals with their messages. Written against the mutants that survived the mutation run of matmul.js
 * (tools/mutation/review.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const F = nb.nn.functional;
const d = (v: nb.NestedArray, dtype: nb.DType = 'float64') => nb.tensor(v, { dtype });
const vals = (t: nb.Tensor) => [...t.data()].map(Number);
const w = () => d([[1, 2, 3], [4, 5, 6]]);

test('linear: shape refusals name the weight and the bias', () => {
  assert.throws(() => F.linear(d([1, 1, 1]), d([1, 2, 3])), { message: 'linear: weight must be 2-D [out, in], got [3]' });
  assert.throws(() => F.linear(d([[1, 1, 1]]), w(), d([1, 2, 3])), { message: 'linear: bias must have shape [2], got [3]' });
  assert.throws(() => F.linear(d([[1, 1, 1]]), w(), d([[1], [2]])), { message: 'linear: bias must have shape [2], got [2,1]' });
});

test('linear off the fused path: 1-D input, mixed float dtypes, integer tensors, an expanded bias', () => {
  const one = F.linear(d([1, 0, 2]), w(), d([10, 20]));
  assert.deepEqual(one.shape, [2]);
  assert.deepEqual(vals(one), [17, 36]);
  const mixed = F.linear(d([[1, 0, 2]], 'float32'), w());
  assert.equal(mixed.dtype, 'float64');
  assert.deepEqual(vals(mixed), [7, 16]);
  const mixedBias = F.linear(d([[1, 0, 2]]), w(), d([10, 20], 'float32'));
  assert.equal(mixedBias.dtype, 'float64');
  assert.deepEqual(vals(mixedBias), [17, 36]);
  const ints = F.linear(d([[1, 0, 2]], 'int32'), d([[1, 2, 3], [4, 5, 6]], 'int32'), d([1, 1], 'int32'));
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(vals(ints), [8, 17]);
  assert.deepEqual(vals(F.linear(d([[1, 0, 2]]), w(), d([10]).expand(2))), [17, 26]);
});

test('each fused activation equals the activation of the plain linear, values and gradients', () => {
  const x = d([[0.1, -0.2, 0.3], [0.5, 0.4, -0.6]]), wt = d([[0.3, -0.1, 0.2], [-0.4, 0.5, 0.1]]), b = d([0.05, -0.02]);
  const acts = { relu: F.relu, gelu: F.gelu, silu: F.silu, sigmoid: nb.sigmoid, tanh: nb.tanh } as const;
  for (const [name, f] of Object.entries(acts)) {
    const xs = [x, wt, b].map((t) => t.detach().requiresGrad_(true));
    const fused = nb.linear(xs[0]!, xs[1]!, xs[2]!, { activation: name as 'relu' });
    const ys = [x, wt, b].map((t) => t.detach().requiresGrad_(true));
    const plain = (f as (t: nb.Tensor) => nb.Tensor)(F.linear(ys[0]!, ys[1]!, ys[2]!));
    vals(fused).forEach((v, i) => assert.ok(Math.abs(v - vals(plain)[i]!) < 1e-12, `${name} value ${i}`));
    fused.pow(2).sum().backward();
    plain.pow(2).sum().backward();
    xs.forEach((t, k) => vals(t.grad!).forEach((v, i) => assert.ok(Math.abs(v - vals(ys[k]!.grad!)[i]!) < 1e-12, `${name} grad ${k}[${i}]`)));
  }
});

test('linear\'s graph nodes are named for what they compute; an unknown activation and outer of non-vectors are refused', () => {
  const x = d([[0.1, -0.2, 0.3]]).requiresGrad_(true), wt = d([[0.3, -0.1, 0.2], [-0.4, 0.5, 0.1]]);
  assert.equal(nb.linear(x, wt).gradFn?.name, 'linear');
  assert.equal(nb.linear(x, wt, null, { activation: 'relu' }).gradFn?.name, 'linearRelu');
  const t = nb.linear(x, wt, null, { activation: 'tanh' });
  assert.equal(t.gradFn?.name, 'tanh');
  assert.throws(() => nb.linear(x, wt, null, { activation: 'swish' as never }), { message: "linear: unknown activation 'swish' (expected one of none, relu, gelu, geluTanh, silu, sigmoid, tanh)" });
  assert.throws(() => nb.outer(d([[1, 2]]), d([1, 2])), { message: 'outer: expected 1-D tensors, got [1,2] and [2]' });
  assert.throws(() => nb.outer(d([1, 2]), d([[1, 2]])), { message: 'outer: expected 1-D tensors, got [2] and [1,2]' });
  assert.deepEqual(nb.outer(d([1, 2]), d([3, 4, 5])).toArray(), [[3, 4, 5], [6, 8, 10]]);
});

test('linear with a wider bias than the weight promotes off the fused path (float32 x·Wᵀ + float64 b is float64)', () => {
  const y = F.linear(d([[1, 0, 2]], 'float32'), d([[1, 2, 3], [4, 5, 6]], 'float32'), d([0.1, 0.2]));
  assert.equal(y.dtype, 'float64');
  assert.deepEqual(vals(y), [7 + 0.1, 16 + 0.2]);
});

test('a split activation records two nodes: the activation over a linear node', () => {
  const x = d([[0.1, -0.2, 0.3]]).requiresGrad_(true), wt = d([[0.3, -0.1, 0.2], [-0.4, 0.5, 0.1]]);
  for (const act of ['gelu', 'geluTanh', 'silu', 'sigmoid', 'tanh'] as const) {
    const y = nb.linear(x, wt, d([0.5, -0.5]), { activation: act });
    assert.equal(y.gradFn?.name, act);
    assert.deepEqual(y.gradFn!.nextFunctions.map((e) => e?.name), ['linear'], `${act}: its input`);
  }
});

test('linear on a backend without the fused bias-activation kernel: the same values and gradients through plain ops', () => {
  const inner = nb.ones([1]).backend;
  const plain = Object.assign(Object.create(inner) as typeof inner, { biasAct: undefined });
  const on = (t: nb.Tensor, be: typeof inner) => nb.Tensor.fromValues(Array.from(t.data()), [...t.shape], t.dtype, be).requiresGrad_(true);
  const x = d([[0.1, -0.2, 0.3], [0.5, 0.4, -0.6]]), wt = d([[0.3, -0.1, 0.2], [-0.4, 0.5, 0.1]]), b = d([0.05, -0.02]);
  for (const act of ['none', 'relu', 'gelu', 'tanh'] as const) {
    const a = [x, wt, b].map((t) => on(t, inner)), p = [x, wt, b].map((t) => on(t, plain));
    const ya = nb.linear(a[0]!, a[1]!, a[2]!, { activation: act }), yp = nb.linear(p[0]!, p[1]!, p[2]!, { activation: act });
    vals(yp).forEach((v, i) => assert.ok(Math.abs(v - vals(ya)[i]!) < 1e-12, `${act} value ${i}`));
    ya.pow(2).sum().backward();
    yp.pow(2).sum().backward();
    a.forEach((t, k) => vals(t.grad!).forEach((v, i) => assert.ok(Math.abs(v - vals(p[k]!.grad!)[i]!) < 1e-12, `${act} grad ${k}[${i}]`)));
  }
  // and tensors on two backends are refused with the op named
  assert.throws(() => nb.linear(on(x, plain), on(wt, inner)), /^Error: linear: tensors live on different backends/);
});
