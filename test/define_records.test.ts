/**
 * defineOp itself (src/ops/define.ts), with throwaway records built here: what a rule's context holds (non-tensor
 * arguments, saved inputs, the saved result and named outputs, shapes and dtypes of every input, tensor lists
 * included, and `needs` per argument), that a gradient reaches each member of a tensor list that follows another
 * tensor, the forward-mode rule of an op with a tensor list, named outputs' own keys, and defineOp's refusals of a
 * record without a forward-mode rule or without a test case. The library's records cover the common shapes of a
 * record; these cover the combinations none of them has (a tensor before a list, a saved result beside a saved
 * output, a custom tangent rule over a list).
 */
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { defineOp } from '../src/ops/define.js';
import { num, tensor, tensorList } from '../src/ops/args.js';

/** what the last backward of `twoOut` saw */
let seen: Record<string, unknown> = {};

/**
 * twoOut(x, xs, alpha) → {total, sq}: total = alpha·x + Σ_k (k + 1)·xs_k, sq = x².
 * ∂total/∂x = alpha, ∂total/∂xs_k = k + 1, ∂sq/∂x = 2x.
 */
const twoOut = defineOp({
  name: 'testTwoOut',
  args: [tensor('x'), tensorList('xs'), num('alpha', 1)],
  outputs: ['total', 'sq'],
  forward: ({ x, xs, alpha }) => [xs.reduce((acc, t, k) => nb.add(acc, nb.mul(t, k + 1)), nb.mul(x, alpha)), nb.mul(x, x)],
  saves: ['x', 'result', 'sq'],
  vjp: ([gT, gS], c) => {
    seen = { x: c.x, result: c.result, sq: (c as unknown as { sq: nb.Tensor }).sq, alpha: c.alpha, needs: { ...c.needs }, shapes: c.shapes, dtypes: c.dtypes };
    const gx = nb.add(gT ? nb.mul(gT, c.alpha) : nb.zerosLike(c.x), gS ? nb.mul(gS, nb.mul(c.x, 2)) : 0);
    // a list argument's gradient is a list, one entry per member
    return { x: gx, xs: (c.shapes.xs as unknown as number[][]).map((_, k) => (gT ? nb.mul(gT, k + 1) : null)) as never };
  },
  jvp: (t, c) => {
    const tx = t.x, txs = t.xs as unknown as nb.Tensor[];
    return [txs.reduce((acc, d, k) => nb.add(acc, nb.mul(d, k + 1)), nb.mul(tx, c.alpha)), nb.mul(nb.mul(c.x, 2), tx)];
  },
  cases: [{ shapes: [[2], [2], [2]], call: (f, x, a, b) => [...(f(x, [a, b], 3) as unknown as nb.Tensor[])] }],
});
const call = (x: nb.Tensor, xs: nb.Tensor[], alpha: number) => twoOut(x, xs, alpha) as unknown as { total: nb.Tensor; sq: nb.Tensor };

test('a record with a tensor, a tensor list and a number: gradients reach x and each member of the list', () => {
  const x = nb.tensor([1, -2], { dtype: 'float64', requiresGrad: true });
  const a = nb.tensor([3, 4], { dtype: 'float64', requiresGrad: true }), b = nb.tensor([5, 6], { dtype: 'float64', requiresGrad: true });
  const { total, sq } = call(x, [a, b], 3);
  assert.deepEqual(total.toArray(), [3 + 3 + 10, -6 + 4 + 12]);
  assert.deepEqual(sq.toArray(), [1, 4]);
  // L = Σ total·[1, 2] + Σ sq·[1, 1]: ∂L/∂x = 3·[1, 2] + 2x, ∂L/∂a = [1, 2], ∂L/∂b = 2·[1, 2]
  nb.add(total.mul(nb.tensor([1, 2], { dtype: 'float64' })).sum(), sq.sum()).backward();
  assert.deepEqual(x.grad!.toArray(), [3 + 2, 6 - 4]);
  assert.deepEqual(a.grad!.toArray(), [1, 2]);
  assert.deepEqual(b.grad!.toArray(), [2, 4]);
  // the rule's context: the number, the saved input, the saved result (first output) and the named output
  assert.equal(seen.alpha, 3);
  assert.deepEqual((seen.x as nb.Tensor).toArray(), [1, -2]);
  assert.deepEqual((seen.result as nb.Tensor).toArray(), total.toArray());
  assert.deepEqual((seen.sq as nb.Tensor).toArray(), [1, 4]);
  assert.deepEqual(seen.shapes, { x: [2], xs: [[2], [2]] });
  assert.deepEqual(seen.dtypes, { x: 'float64', xs: ['float64', 'float64'] });
  assert.deepEqual(seen.needs, { x: true, xs: true });
});

test('needs: false for an argument none of whose tensors requires grad, true for a list where one member does', () => {
  const x = nb.tensor([1, 2], { dtype: 'float64' });
  const a = nb.tensor([3, 4], { dtype: 'float64' }), b = nb.tensor([5, 6], { dtype: 'float64', requiresGrad: true });
  call(x, [a, b], 2).total.sum().backward();
  assert.deepEqual(seen.needs, { x: false, xs: true });
  assert.equal(a.grad, null);
  assert.deepEqual(b.grad!.toArray(), [2, 2]);
});

test('forward mode through a record with a tensor list: its own tangent rule gets the list\'s tangents in order', () => {
  const x = nb.tensor([1, -2], { dtype: 'float64' }), a = nb.tensor([3, 4], { dtype: 'float64' }), b = nb.tensor([5, 6], { dtype: 'float64' });
  const tx = nb.tensor([0.5, 1], { dtype: 'float64' }), ta = nb.tensor([1, 0], { dtype: 'float64' }), tb = nb.tensor([0, 1], { dtype: 'float64' });
  const [total, dTotal] = nb.func.jvp((p, q, r) => call(p, [q, r], 3).total, [x, a, b], [tx, ta, tb]);
  const [sq, dSq] = nb.func.jvp((p, q, r) => call(p, [q, r], 3).sq, [x, a, b], [tx, ta, tb]);
  assert.deepEqual(total.toArray(), [16, 10]);
  assert.deepEqual(sq.toArray(), [1, 4]);
  // total' = 3·tx + ta + 2·tb, sq' = 2x·tx
  assert.deepEqual(dTotal.toArray(), [1.5 + 1, 3 + 2]);
  assert.deepEqual(dSq.toArray(), [1, -4]);
  // a member that carries no tangent (a plain tensor beside a dual one) counts as zero
  const [, dOnlyB] = nb.func.jvp((r) => call(x, [a, r], 3).total, [b], [tb]);
  assert.deepEqual(dOnlyB.toArray(), [0, 2]);
});

test('named outputs have exactly their names as own keys (they destructure and index as an array too)', () => {
  const out = call(nb.tensor([1]), [nb.tensor([2])], 1);
  assert.deepEqual(Object.keys(out), ['total', 'sq']);
  // each set of names has its own prototype (index getters and iterator): sort's does not serve this record
  const [total, sq] = out as unknown as nb.Tensor[];
  assert.deepEqual([total!.toArray(), sq!.toArray(), (out as unknown as nb.Tensor[])[1]!.toArray()], [[3], [1], [1]]);
  const s = nb.sort(nb.tensor([3, 1, 2]));
  assert.deepEqual(Object.keys(s), ['values', 'indices']);
  const [values, indices] = s;
  assert.deepEqual([values!.toArray(), indices!.toArray(), s[0]!.toArray()], [[1, 2, 3], [1, 2, 0], [1, 2, 3]]);
});

test('defineOp refuses a record with a backward rule but no forward-mode rule, and one without a test case', () => {
  assert.throws(() => defineOp({ name: 'testNoJvp', args: [tensor('x')], forward: ({ x }: { x: nb.Tensor }) => x, vjp: (g: nb.Tensor) => ({ x: g }), cases: [{ shapes: [[1]] }] } as never),
    /^Error: defineOp testNoJvp: a differentiable op needs a forward-mode rule \(jvp\) beside its vjp$/);
  assert.throws(() => defineOp({ name: 'testNoCases', args: [tensor('x')], forward: ({ x }) => x, cases: [] }),
    /^Error: defineOp testNoCases: an op record needs at least one test case$/);
});

test('the call conventions of a record: one argument in the singular, a lone options object is not read as options, trailing undefineds are dropped', () => {
  assert.throws(() => (nb.relu as unknown as () => void)(), /^TypeError: relu: expected 1 argument relu\(input\), got 0$/);
  assert.throws(() => (nb.exp as unknown as (...a: unknown[]) => void)(nb.ones([1]), 1), /^TypeError: exp: expected 1 argument exp\(input\), got 2$/);
  assert.throws(() => (nb.softmax as unknown as (...a: unknown[]) => void)({ dim: 1 }), /^TypeError: softmax: expected 2 arguments softmax\(input, dim\), got 1$/);
  const x = nb.tensor([[1, 2], [3, 5]]);
  assert.deepEqual((nb.softmax as unknown as (...a: unknown[]) => nb.Tensor)(x, { dim: 1 }, undefined).toArray(), nb.softmax(x, 1).toArray());
});

test('a graph node holds no input it does not save: an unsaved intermediate is collectable while the output lives', async () => {
  // V8's full collection on demand (the flag is read when gc is looked up); WeakRefs clear between jobs
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const collect = async () => { for (let i = 0; i < 2; i++) { await new Promise((r) => setTimeout(r, 0)); gc(); } };
  const leaf = nb.randn([3], { requiresGrad: true });
  let mid: nb.Tensor | null = leaf.mul(2);
  const unsaved = new WeakRef(mid);
  const y = nb.add(mid, 1); // add saves neither operand
  let kept: nb.Tensor | null = leaf.mul(3);
  const saved = new WeakRef(kept);
  const z = nb.mul(kept, kept); // mul saves both
  mid = null; kept = null;
  await collect();
  assert.equal(unsaved.deref(), undefined, 'add\'s node let its unsaved input go');
  assert.ok(saved.deref() !== undefined, 'mul\'s node keeps its saved input (its backward reads it)');
  y.sum().backward();
  z.sum().backward();
  assert.equal(leaf.grad!.shape[0], 3);
});
