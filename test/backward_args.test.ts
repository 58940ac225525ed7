/**
 * Tensor.backward's calling conventions (src/autograd/engine.ts): the argument forms PyTorch users type
 * (`backward(gradient, {retainGraph})`, snake_case options, a number as the gradient), each refusal with its
 * message, a hook that returns a gradient of the wrong shape, post-accumulate hooks, and where a second backward
 * accumulates. Written against the mutants that survived the mutation run of engine.js (tools/mutation/review.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const err = (message: string, name = 'TypeError') => ({ name, message });
const leaf = () => nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
const loss = (x = leaf()) => x.mul(2).sum();

test('backward: at most a gradient and an options object, options once, known keys only (snake_case gets a hint)', () => {
  assert.throws(() => (loss().backward as (...a: unknown[]) => void)(null, { retainGraph: true }, {}), err('backward: expected at most 2 arguments (gradient, {retainGraph, createGraph}), got 3'));
  assert.throws(() => (loss().backward as (...a: unknown[]) => void)(null, {}, {}, 1), err('backward: expected at most 2 arguments (gradient, {retainGraph, createGraph}), got 4'));
  assert.throws(() => (loss().backward as (...a: unknown[]) => void)({ retainGraph: true }, { createGraph: true }), err('backward: options given twice (call backward(gradient, {retainGraph, createGraph}) or backward({retainGraph, createGraph}))'));
  assert.throws(() => loss().backward(null, 3 as never), err('backward: options must be an object {retainGraph, createGraph}'));
  assert.throws(() => loss().backward(null, { create_graph: true } as never), err("backward: unknown option 'create_graph' (did you mean createGraph?); expected one of: retainGraph, createGraph"));
  assert.throws(() => loss().backward({ retain_graph: true } as never), err("backward: unknown option 'retain_graph' (did you mean retainGraph?); expected one of: retainGraph, createGraph"));
  assert.throws(() => loss().backward(null, { foo: 1 } as never), err("backward: unknown option 'foo'; expected one of: retainGraph, createGraph"));
  assert.throws(() => loss().backward({ inputs: [] } as never), err('backward: the inputs option is not supported; use nb.autograd.grad(outputs, inputs) for gradients of chosen tensors'));
  assert.throws(() => loss().backward('x' as never), err('backward: gradient must be a tensor (or null), got string'));
  assert.throws(() => loss().backward(2 as never), err('backward: gradient must be a tensor (or null), got the number 2'));
  // the accepted forms: options alone, gradient then options, a null gradient for a scalar
  const x = leaf();
  const y = loss(x);
  y.backward({ retainGraph: true });
  y.backward(null, { retainGraph: true });
  y.backward(nb.tensor(0.5, { dtype: 'float64' }));
  assert.deepEqual([...x.grad!.data()], [5, 5]); // 2 + 2 + 1: a second backward accumulates
});

test('a hook that returns a gradient of another shape is refused; one that returns nothing keeps the gradient', () => {
  const x = leaf();
  x.registerHook(() => nb.zeros([3], { dtype: 'float64' }));
  assert.throws(() => loss(x).backward(), err('hook: returned a gradient of shape [3], expected [2]', 'Error'));
  const z = leaf();
  let seen: number[] = [];
  z.registerHook((g) => { seen = [...g.data()].map(Number); });
  loss(z).backward();
  assert.deepEqual(seen, [2, 2]);
  assert.deepEqual([...z.grad!.data()], [2, 2]);
  // a hook's replacement is what accumulates
  const w = leaf();
  w.registerHook((g) => g.mul(10));
  loss(w).backward();
  assert.deepEqual([...w.grad!.data()], [20, 20]);
});

test('post-accumulate hooks run once per backward, after the leaf\'s .grad holds the sum', () => {
  const x = leaf();
  const calls: number[][] = [];
  x.registerPostAccumulateGradHook((t) => { calls.push([...t.grad!.data()].map(Number)); });
  // x is used twice: both contributions are summed before the hook runs
  x.mul(2).add(x.mul(3)).sum().backward();
  assert.deepEqual(calls, [[5, 5]]);
  x.mul(1).sum().backward();
  assert.deepEqual(calls, [[5, 5], [6, 6]]);
  // nb.autograd.grad does not touch .grad, so the hook does not run
  nb.autograd.grad(x.mul(4).sum(), [x]);
  assert.equal(calls.length, 2);
});

test('backward of a tensor outside any graph names the problem', () => {
  assert.throws(() => nb.autograd.backward(nb.tensor(1)), err('backward: element 0 of tensors does not require grad and does not have a gradFn (did you forget requiresGrad: true, or run under noGrad?)', 'Error'));
  assert.throws(() => nb.autograd.grad(nb.tensor([1]).sum(), [nb.tensor([1])]), err('autograd.grad: element [float32 []] of tensors does not require grad and does not have a gradFn', 'Error'));
});

test('createGraph: the leaf\'s gradient is itself differentiable; without it, it is not', () => {
  const x = leaf();
  x.pow(3).sum().backward({ createGraph: true });
  assert.equal(x.grad!.requiresGrad, true);
  const [h] = nb.autograd.grad(x.grad!.sum(), [x]);
  assert.deepEqual([...h!.data()], [6, 12]); // d/dx Σ 3x² = 6x
  const y = leaf();
  y.pow(3).sum().backward();
  assert.equal(y.grad!.requiresGrad, false);
});
