/**
 * Element-wise ops (src/ops/elementwise.ts) at their edges: bool arithmetic PyTorch refuses, integer inputs of
 * float ops, pow's integer and zero exponents, the zero gradients of piecewise-constant ops, casts to the same
 * dtype, and the messages of calls without a tensor. PyTorch 1.13 is the reference for every dtype and refusal;
 * written against the mutants that survived the mutation run of elementwise.js (tools/mutation/review.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const f64 = (data: nb.NestedArray) => nb.tensor(data, { dtype: 'float64' });
const i32 = (data: nb.NestedArray) => nb.tensor(data, { dtype: 'int32' });
const mask = () => nb.tensor([true, false]);
/** values, with −0 read as 0 (a zero gradient's sign is not part of the contract) */
const vals = (t: nb.Tensor) => [...t.data()].map((v) => Number(v) + 0);

test('bool arithmetic PyTorch refuses: −mask and any subtraction with a bool tensor (they gave int32 −1 and a nonzero "true")', () => {
  const neg = { name: 'TypeError', message: 'neg: negation of a bool tensor is not supported (as in PyTorch); to invert a mask use logicalNot(x)' };
  const sub = { name: 'TypeError', message: 'sub: subtraction with a bool tensor is not supported (as in PyTorch); to invert a mask use logicalNot(x), for two masks ne(a, b) (exclusive or)' };
  assert.throws(() => nb.neg(mask()), neg);
  assert.throws(() => mask().neg(), neg);
  assert.throws(() => nb.sub(mask(), mask()), sub);
  assert.throws(() => nb.sub(1, mask()), sub);
  assert.throws(() => mask().sub(1.5), sub);
  assert.throws(() => nb.sub(f64([1, 2]), mask()), sub);
  assert.throws(() => nb.rsub(mask(), f64([1, 2])), { ...sub, message: `r${sub.message}` });
  // what PyTorch allows: addition and multiplication of masks (logical or / and), int and float negation
  assert.deepEqual(vals(mask().add(mask())), [1, 0]);
  assert.equal(mask().add(mask()).dtype, 'bool');
  assert.equal(nb.neg(i32([1, -2])).dtype, 'int32');
  assert.deepEqual(vals(nb.neg(i32([1, -2]))), [-1, 2]);
  assert.deepEqual(vals(nb.logicalNot(mask())), [0, 1]);
  assert.deepEqual(vals(nb.ne(mask(), nb.tensor([true, true]))), [0, 1]);
});

test('pow: an integer tensor keeps its dtype for an integer exponent, becomes float32 for a fractional one (PyTorch)', () => {
  const r = nb.pow(i32([4, 9]), 0.5);
  assert.equal(r.dtype, 'float32');
  assert.deepEqual(vals(r), [2, 3]);
  const q = nb.pow(i32([4, 9]), 2);
  assert.equal(q.dtype, 'int32');
  assert.deepEqual(vals(q), [16, 81]);
  assert.throws(() => nb.pow(2, 3), { name: 'TypeError', message: 'pow: expected at least one Tensor argument, got number and number' });
  // an int32 tensor exponent keeps int32 (PyTorch: tensor([8, 9], dtype=torch.int32))
  const ii = nb.pow(i32([2, 3]), i32([3, 2]));
  assert.equal(ii.dtype, 'int32');
  assert.deepEqual(vals(ii), [8, 9]);
  // a tensor exponent: d/de bᵉ = bᵉ·log b
  const e = f64([2, 0.5]).requiresGrad_(true);
  nb.pow(f64([3, 4]), e).sum().backward();
  assert.deepEqual(vals(e.grad!).map((v) => +v.toFixed(12)), [9 * Math.log(3), 2 * Math.log(4)].map((v) => +v.toFixed(12)));
});

test('pow(x, 0) has gradient 0 everywhere, also at x = 0 (0·x⁻¹ would be NaN there)', () => {
  const x = f64([0, 2, -3]).requiresGrad_(true);
  x.pow(0).sum().backward();
  assert.deepEqual(vals(x.grad!), [0, 0, 0]);
  const [, dt] = nb.func.jvp((v: nb.Tensor) => v.pow(0), [f64([0, 2])], [f64([1, 1])]);
  assert.deepEqual(vals(dt), [0, 0]);
  // pow(x, 1): gradient 1, also at 0
  const y = f64([0, 2]).requiresGrad_(true);
  y.pow(1).sum().backward();
  assert.deepEqual(vals(y.grad!), [1, 1]);
});

test('piecewise-constant ops (floor, ceil, round, sign) give a zero gradient, not none, as PyTorch', () => {
  for (const op of ['floor', 'ceil', 'round', 'sign'] as const) {
    const x = f64([0.5, -2.25]).requiresGrad_(true);
    (nb[op] as (t: nb.Tensor) => nb.Tensor)(x).mul(3).sum().backward();
    assert.ok(x.grad, `${op}: a gradient`);
    assert.deepEqual(vals(x.grad!), [0, 0], op);
  }
});

test('float ops of integer inputs compute in float32: softplus of int32 (PyTorch\'s softplus of a float copy)', () => {
  const s = nb.nn.functional.softplus(i32([0, 1]));
  assert.equal(s.dtype, 'float32');
  assert.deepEqual(vals(s), [Math.log(2), Math.log(1 + Math.E)].map(Math.fround));
  const b = nb.nn.functional.softplus(i32([0, 1]), { beta: 2 });
  assert.deepEqual(vals(b), [Math.log(2) / 2, Math.log(1 + Math.exp(2)) / 2].map(Math.fround));
});

test('casting to a tensor\'s own dtype returns the tensor itself (PyTorch\'s .to); binary ops need a tensor', () => {
  const x = nb.tensor([1, 2], { dtype: 'float32' });
  assert.equal(x.to('float32'), x);
  assert.equal(x.float(), x);
  assert.notEqual(x.double(), x);
  assert.throws(() => nb.add(1, 2), { name: 'TypeError', message: 'add: expected at least one Tensor argument, got number and number' });
  assert.throws(() => nb.maximum(1, 2), { name: 'TypeError', message: 'maximum: expected at least one Tensor argument, got number and number' });
  assert.throws(() => nb.where(true as never, x, x), { name: 'TypeError', message: "where: argument 'condition' must be a Tensor, got boolean true" });
  assert.throws(() => nb.where(mask(), nb.zeros([3]), nb.zeros([3])), { message: 'where: shapes [2] and [3] cannot be broadcast together (dimension 0: 2 vs 3)' });
  assert.throws(() => nb.where(nb.tensor([true, false, true]), nb.zeros([3]), nb.zeros([2])), { message: 'where: shapes [3] and [2] cannot be broadcast together (dimension 0: 3 vs 2)' });
  const w = nb.where(mask(), 1, 2);
  assert.equal(w.dtype, 'float32');
  assert.deepEqual(vals(w), [1, 2]);
});

test('clamp with scalar bounds promotes as PyTorch: a fractional bound makes an int tensor float32, bool with integer bounds is int32', () => {
  // torch.clamp(tensor([0, 1, 2], int32), 0.5) → tensor([0.5, 1., 2.]); it gave int32 [0, 1, 2]
  const a = nb.clamp(i32([0, 1, 2]), 0.5);
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(vals(a), [0.5, 1, 2]);
  const b = nb.clamp(i32([0, 5]), null, 2.5);
  assert.equal(b.dtype, 'float32');
  assert.deepEqual(vals(b), [0, 2.5]);
  const c = nb.clamp(i32([0, 5]), 1, 3);
  assert.equal(c.dtype, 'int32');
  assert.deepEqual(vals(c), [1, 3]);
  const d = nb.clamp(mask(), 0, 1); // PyTorch: int64 [1, 0]
  assert.equal(d.dtype, 'int32');
  assert.deepEqual(vals(d), [1, 0]);
  const e = nb.clamp(mask(), 0.5);
  assert.equal(e.dtype, 'float32');
  assert.deepEqual(vals(e), [1, 0.5]);
  assert.equal(nb.clamp(f64([1, 2]), 0.5).dtype, 'float64');
});

test('gelu takes approximate \'none\' and \'tanh\' by name and refuses anything else', () => {
  const x = nb.tensor([-1, 0.5, 2], { dtype: 'float64' });
  assert.deepEqual(nb.gelu(x, { approximate: 'none' }).toArray(), nb.gelu(x).toArray());
  assert.notDeepEqual(nb.gelu(x, { approximate: 'tanh' }).toArray(), nb.gelu(x).toArray());
  assert.throws(() => nb.gelu(x, { approximate: 'erf' as never }), /^TypeError: gelu: /);
});
