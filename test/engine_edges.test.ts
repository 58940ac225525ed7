/**
 * The reverse-mode engine (src/autograd/engine.ts) at its edges: which nodes autograd.grad runs (only those
 * leading to the inputs asked for), roots that are ancestors of other roots, hooks on outputs that get no
 * gradient, retained gradients over two passes, .grad never aliasing a buffer a hook kept, accumulation after a
 * createGraph pass (out of place), gradients cast to the input's dtype, the "in XBackward:" prefix of errors,
 * anomaly mode's forward trace, backward observers, and releasing gradients on zeroGrad. Written against the
 * mutants that survived the mutation run of engine.js (tools/mutation/review.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { observeBackward } from '../src/autograd/engine.js';

const f64 = (data: nb.NestedArray, requiresGrad = false) => nb.tensor(data, { dtype: 'float64', requiresGrad });
const arr = (t: Tensor | null) => [...t!.data()].map(Number);

/** y = 2x whose backward throws: a branch the engine must not run */
class Poison extends nb.autograd.Function {
  static override forward(_ctx: nb.autograd.FunctionCtx, x: Tensor) { return x.mul(2); }
  static override backward(): Tensor { throw new Error('poisoned branch ran'); }
}

test('autograd.grad runs only the nodes that lead to the inputs asked for', () => {
  const x = f64([1, 2], true), w = f64([3, 4], true);
  const y = x.mul(w).add(Poison.apply(w) as Tensor).sum();
  const [gx] = nb.autograd.grad(y, [x], { retainGraph: true });
  assert.deepEqual(arr(gx!), [3, 4]);
  // asking for w runs the poisoned node, which fails naming the node
  assert.throws(() => nb.autograd.grad(y, [w]), /in PoisonBackward: poisoned branch ran/);
});

test('a root that is an ancestor of another root waits for the other\'s gradient', () => {
  const x = f64([1, 2], true);
  const y = x.mul(2);
  const z = y.mul(3);
  // d/dx (Σy + Σz) = 2 + 6
  const [g] = nb.autograd.grad([y.sum(), z.sum()], [x], { retainGraph: true });
  assert.deepEqual(arr(g!), [8, 8]);
  const [h] = nb.autograd.grad([z.sum(), y], [x], { gradOutputs: [null, f64([1, 10])] } as never);
  assert.deepEqual(arr(h!), [8, 26]);
});

test('a hook on an output of a two-output node that gets no gradient is not called', () => {
  class Two extends nb.autograd.Function {
    static override forward(_ctx: nb.autograd.FunctionCtx, x: Tensor): Tensor[] { return [x.mul(2), x.add(3)]; }
    static override backward(_ctx: nb.autograd.FunctionCtx, g1: Tensor | null, g2: Tensor | null): Tensor {
      return g1 && g2 ? g1.mul(2).add(g2) : g1 ? g1.mul(2) : g2!;
    }
  }
  const x = f64([1, 2], true);
  const [p, q] = Two.apply(x) as Tensor[];
  let calledQ = 0;
  q!.registerHook(() => { calledQ++; });
  p!.sum().backward();
  assert.equal(calledQ, 0);
  assert.deepEqual(arr(x.grad), [2, 2]);
});

test('split pieces that get no gradient: their hooks are not called; hooks see the summed gradient', () => {
  const x = f64([1, 2, 3, 4], true);
  const [a, b] = x.mul(1).split(2);
  let calledB = 0;
  const seenA: number[][] = [];
  b!.registerHook(() => { calledB++; });
  a!.registerHook((g) => { seenA.push(arr(g)); });
  a!.mul(2).add(a!.mul(3)).sum().backward();
  assert.equal(calledB, 0);
  assert.deepEqual(seenA, [[5, 5]]);
  assert.deepEqual(arr(x.grad), [5, 5, 0, 0]);
});

test('retainGrad on an intermediate accumulates over two backward passes, like a leaf', () => {
  const x = f64([1, 2], true);
  const y = x.mul(3);
  y.retainGrad();
  const l = y.pow(2).sum();
  l.backward({ retainGraph: true });
  assert.deepEqual(arr(y.grad), [6, 12]);
  l.backward();
  assert.deepEqual(arr(y.grad), [12, 24]);
  assert.deepEqual(arr(x.grad), [36, 72]);
});

test('.grad never aliases a gradient a hook kept: a later accumulation leaves the kept tensor as it was', () => {
  const x = f64([1, 2], true);
  const kept: Tensor[] = [];
  x.registerHook((g) => { kept.push(g); });
  x.mul(2).sum().backward();
  x.mul(5).sum().backward();
  assert.deepEqual(arr(x.grad), [7, 7]);
  assert.deepEqual(kept.map(arr), [[2, 2], [5, 5]]); // each pass's gradient, untouched by the accumulation
});

test('after a createGraph pass, .grad accumulates out of place (the graph tensor a caller holds is unchanged; PyTorch adds in place there)', () => {
  const x = f64([1, 2], true);
  x.pow(3).sum().backward({ createGraph: true });
  const first = x.grad!;
  assert.equal(first.requiresGrad, true);
  x.pow(2).sum().backward();
  assert.deepEqual(arr(first), [3, 12]);
  assert.deepEqual(arr(x.grad), [5, 16]); // 3x² + 2x
  assert.notEqual(x.grad, first);
});

test('a gradient of another float dtype is cast to its input\'s dtype', () => {
  class Wide extends nb.autograd.Function {
    static override forward(_ctx: nb.autograd.FunctionCtx, x: Tensor) { return x.mul(2); }
    static override backward(_ctx: nb.autograd.FunctionCtx, g: Tensor): Tensor { return g.double().mul(2); }
  }
  const x = nb.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
  const h = x.mul(1);
  (Wide.apply(h) as Tensor).sum().backward();
  assert.equal(x.grad!.dtype, 'float32');
  assert.deepEqual(arr(x.grad), [2, 2]);
});

test('errors from a backward name its node once; anomaly mode adds where the forward ran', () => {
  class Named extends nb.autograd.Function {
    static override forward(_ctx: nb.autograd.FunctionCtx, x: Tensor) { return x.mul(2); }
    static override backward(): Tensor { throw new Error('SomeBackward already named'); }
  }
  const x = f64([1], true);
  assert.throws(() => (Poison.apply(x) as Tensor).sum().backward(), { message: 'in PoisonBackward: poisoned branch ran' });
  assert.throws(() => (Named.apply(x) as Tensor).sum().backward(), { message: 'SomeBackward already named' });
  const y = f64([-1, 4], true);
  nb.detectAnomaly(() => {
    const out = y.sqrt().sum();
    assert.throws(() => out.backward(), (e: Error) => {
      const [head, , trace] = e.message.split('\n');
      assert.equal(head, "Function 'sqrtBackward' returned nan or inf values in its 0th output.");
      assert.ok(!/^Error/.test(trace ?? ''), 'the trace starts below the "Error" line');
      assert.match(trace ?? '', /at /);
      return true;
    });
  });
});

test('backward observers see every node once, leaves with nothing sent, until they stop', () => {
  const x = f64([1, 2], true);
  const seen: [string, number, number][] = [];
  const stop = observeBackward((n, up, sent) => seen.push([n.isAccumulate ? 'AccumulateGrad' : n.name, up.length, sent.length]));
  x.mul(2).sum().backward();
  stop();
  assert.deepEqual(seen, [['sum', 1, 1], ['mul', 1, 2], ['AccumulateGrad', 1, 0]]);
  x.mul(2).sum().backward();
  assert.equal(seen.length, 3);
});

test('zeroGrad releases the gradients the engine made and leaves one the user assigned alone', () => {
  const p = f64([1, 2], true);
  const opt = new nb.optim.SGD([p], { lr: 0.1 });
  p.mul(2).sum().backward();
  const engineMade = p.grad!;
  opt.zeroGrad();
  assert.equal(p.grad, null);
  assert.throws(() => engineMade.data(), /dispos|released|freed/i);
  const mine = f64([7, 7]);
  p.grad = mine;
  opt.zeroGrad();
  assert.equal(p.grad, null);
  assert.deepEqual(arr(mine), [7, 7]);
});

test('hooks under createGraph, the same input asked for twice, a post-accumulate hook that removes itself, a createGraph .grad kept across zeroGrad', () => {
  // a hook runs (and may replace the gradient) while the backward graph is recorded
  const x = f64([1, 2], true);
  x.registerHook((g) => g.mul(2));
  x.pow(2).sum().backward({ createGraph: true });
  assert.deepEqual(arr(x.grad), [4, 8]);
  assert.equal(x.grad!.requiresGrad, true);
  // grad(y, [x, x]) fills both slots
  const z = f64([1, 2], true);
  const [a, b] = nb.autograd.grad(z.mul(3).sum(), [z, z]);
  assert.deepEqual(arr(a!), [3, 3]);
  assert.deepEqual(arr(b!), [3, 3]);
  // removing a post-accumulate hook inside it does not skip the next one
  const p = f64([1], true);
  const calls: string[] = [];
  const h1 = p.registerPostAccumulateGradHook(() => { calls.push('first'); h1.remove(); });
  p.registerPostAccumulateGradHook(() => calls.push('second'));
  p.mul(2).sum().backward();
  p.mul(2).sum().backward();
  assert.deepEqual(calls, ['first', 'second', 'second']);
  // a .grad made under createGraph belongs to a graph: zeroGrad drops it without releasing its memory
  const w = f64([1, 2], true);
  const opt = new nb.optim.SGD([w], { lr: 0.1 });
  w.pow(2).sum().backward({ createGraph: true });
  const g = w.grad!;
  opt.zeroGrad();
  assert.equal(w.grad, null);
  assert.deepEqual(arr(g), [2, 4]);
  const [h] = nb.autograd.grad(g.sum(), [w]);
  assert.deepEqual(arr(h!), [2, 2]);
});
