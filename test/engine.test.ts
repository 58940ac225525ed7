/**
 * The autograd engine's promises: accumulation, graph freeing, deep graphs, version counters, hooks,
 * grad modes, autograd.grad, custom Functions, anomaly mode, determinism, in-place ops,
 * views and memory.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const f64 = (data: nb.NestedArray, requiresGrad = false) => nb.tensor(data, { dtype: 'float64', requiresGrad });
const arr = (t: Tensor | null) => {
  assert.ok(t, 'expected a tensor');
  return Array.from(t.data());
};
const close = (a: readonly number[], b: readonly number[], tol = 1e-12) => {
  assert.equal(a.length, b.length, `lengths ${a.length} vs ${b.length}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `element ${i}: ${x} vs ${b[i]}`));
};

describe('accumulation and graph lifetime', () => {
  test('gradients accumulate into leaf .grad across backward calls', () => {
    const x = f64([1, 2, 3], true);
    x.mul(x).sum().backward();
    assert.deepEqual(arr(x.grad), [2, 4, 6]);
    x.mul(3).sum().backward();
    assert.deepEqual(arr(x.grad), [5, 7, 9]);
    x.grad!.zero_();
    x.exp().sum().backward();
    close(arr(x.grad), [1, 2, 3].map(Math.exp));
  });

  test('retainGraph allows a second backward and the gradients add', () => {
    const x = f64([0.5, -1], true);
    const y = x.mul(x).mul(x).sum();
    y.backward(null, { retainGraph: true });
    close(arr(x.grad), [0.75, 3]);
    y.backward();
    close(arr(x.grad), [1.5, 6]);
  });

  test('a second backward without retainGraph throws', () => {
    const x = f64([0.5, -1], true);
    const y = x.exp().sum();
    y.backward();
    assert.throws(() => y.backward(), /second time/);
  });

  test('a second backward through nodes that saved nothing works (as PyTorch)', () => {
    const x = f64([1, 2], true);
    const y = x.add(1).sum();
    y.backward();
    y.backward();
    assert.deepEqual(arr(x.grad), [2, 2]);
  });

  test('a chain of 100,000 ops backpropagates without overflowing the stack', () => {
    const x = f64([1], true);
    const c = 1 + 1e-6;
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(c);
    y.sum().backward();
    close(arr(x.grad), [c ** 100_000], 1e-9);
    close(arr(y), [c ** 100_000], 1e-9);
  });

  test('a wide fan-out (one tensor used 10,000 times) sums its gradients', () => {
    const x = f64([2], true);
    let acc = x.mul(0);
    for (let i = 0; i < 10_000; i++) acc = acc.add(x);
    acc.sum().backward();
    assert.deepEqual(arr(x.grad), [10_000]);
  });

  test('repeated backward passes give bitwise-equal gradients', () => {
    const g = new nb.Generator(3);
    const X = nb.randn([8, 5], { dtype: 'float64', generator: g });
    const W = nb.randn([5, 4], { dtype: 'float64', generator: g }).requiresGrad_();
    const b = nb.randn([4], { dtype: 'float64', generator: g }).requiresGrad_();
    const run = () => {
      W.grad = null; b.grad = null;
      X.matmul(W).add(b).tanh().logsumexp(1).mean().backward();
      return [Float64Array.from(W.grad!.data()), Float64Array.from(b.grad!.data())];
    };
    const first = run();
    for (let k = 0; k < 3; k++) {
      const again = run();
      assert.deepEqual(again, first);
    }
  });

  test('the gradient of a broadcast input has its shape and dtype', () => {
    const a = nb.randn([3, 4], { dtype: 'float64' }).requiresGrad_();
    const b = nb.randn([4]).requiresGrad_(); // float32, promoted to float64 in the add
    const c = nb.randn([3, 1], { dtype: 'float64' }).requiresGrad_();
    const y = a.add(b).mul(c);
    assert.equal(y.dtype, 'float64');
    y.sum().backward();
    assert.deepEqual(b.grad!.shape, [4]);
    assert.equal(b.grad!.dtype, 'float32');
    assert.deepEqual(c.grad!.shape, [3, 1]);
    assert.equal(c.grad!.dtype, 'float64');
    // ∂/∂b Σ (a + b)·c = Σ_rows c
    const cs = arr(c).reduce((s, v) => s + v, 0);
    close(arr(b.grad), [cs, cs, cs, cs], 1e-6);
    // ∂/∂c = Σ_cols (a + b)
    const ab = arr(a.add(b));
    close(arr(c.grad), [0, 1, 2].map((r) => ab.slice(4 * r, 4 * r + 4).reduce((s, v) => s + v, 0)));
  });
});

describe('version counter', () => {
  test('modifying a saved tensor in place makes backward throw, naming the op and versions', () => {
    const x = f64([1, 2, 3], true);
    const a = x.mul(2);
    const y = a.sin(); // sin saves a
    a.add_(1);
    assert.throws(() => y.sum().backward(), (err: Error) => {
      assert.match(err.message, /modified by an inplace operation/);
      assert.match(err.message, /sin/);
      assert.match(err.message, /\[float64 \[3\]\]/);
      assert.match(err.message, /version 1; expected version 0/);
      return true;
    });
  });

  test('an in-place change through a view bumps the version seen by every view', () => {
    const x = f64([[1, 2], [3, 4]], true);
    const a = x.mul(1);
    const y = a.exp(); // saves its output, and a view shares its storage
    const yv = nb.noGrad(() => y.select(0, 0));
    nb.noGrad(() => yv.mul_(2));
    assert.throws(() => y.sum().backward(), /inplace operation.*version 1; expected version 0/);
  });

  test('in-place modification of a tensor no backward needs is fine', () => {
    const x = f64([1, 2, 3], true);
    const a = x.mul(2);
    const y = a.add(1); // add saves its inputs but its gradient does not read them
    const z = y.sum();
    void z;
    const b = x.mul(3);
    b.mul_(2); // b is not saved by anything
    b.sum().backward();
    assert.deepEqual(arr(x.grad), [6, 6, 6]);
  });
});

describe('hooks and retained gradients', () => {
  test('registerHook on a leaf can replace its gradient; remove() undoes it', () => {
    const x = f64([1, 2], true);
    const h = x.registerHook((g) => g.mul(10));
    x.mul(x).sum().backward();
    assert.deepEqual(arr(x.grad), [20, 40]);
    h.remove();
    x.grad = null;
    x.mul(x).sum().backward();
    assert.deepEqual(arr(x.grad), [2, 4]);
  });

  test('a hook on an intermediate changes what flows further back, and sees the summed gradient', () => {
    const x = f64([1, 2], true);
    const a = x.mul(3);
    const seen: number[][] = [];
    a.registerHook((g) => { seen.push(Array.from(g.data())); return g.mul(0.5); });
    a.add(a).sum().backward(); // two uses of a: the hook sees 1 + 1 = 2 once
    assert.deepEqual(seen, [[2, 2]]);
    assert.deepEqual(arr(x.grad), [3, 3]);
  });

  test('retainGrad keeps .grad on an intermediate; without it .grad stays null', () => {
    const x = f64([1, 2, 3], true);
    const a = x.mul(2).retainGrad();
    const b = a.exp();
    b.sum().backward();
    close(arr(a.grad), [2, 4, 6].map(Math.exp));
    assert.equal(b.grad, null);
    assert.throws(() => f64([1]).retainGrad(), /does not require grad/);
  });
});

describe('grad mode', () => {
  test('noGrad stops recording; enableGrad inside noGrad records again', () => {
    const x = f64([1, 2], true);
    const y = nb.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    const z = nb.noGrad(() => {
      assert.equal(nb.isGradEnabled(), false);
      return nb.enableGrad(() => x.mul(2));
    });
    assert.equal(z.requiresGrad, true);
    assert.equal(z.gradFn!.name, 'mul');
    assert.equal(nb.isGradEnabled(), true);
  });

  test('an exception inside forward (or backward) leaves grad mode restored', () => {
    assert.throws(() => nb.noGrad(() => nb.matmul(nb.ones([2, 3]), nb.ones([4, 5]))), /inner dimensions/);
    assert.equal(nb.isGradEnabled(), true);
    assert.throws(() => nb.noGrad(() => nb.enableGrad(() => { throw new Error('boom'); })), /boom/);
    assert.equal(nb.isGradEnabled(), true);

    class Broken extends nb.autograd.Function {
      static override forward(_ctx: nb.autograd.FunctionCtx, x: Tensor) { return x.mul(2); }
      static override backward(): Tensor { throw new Error('broken backward'); }
    }
    const x = f64([1], true);
    const y: Tensor = Broken.apply(x);
    assert.throws(() => y.sum().backward(), /broken backward/);
    assert.equal(nb.isGradEnabled(), true);
    // the engine is still usable
    x.mul(4).sum().backward();
    assert.deepEqual(arr(x.grad), [4]);
  });
});

describe('autograd.grad', () => {
  test('returns gradients without touching .grad', () => {
    const x = f64([1, 2], true), w = f64([3, 4], true);
    const [gx, gw] = nb.autograd.grad(x.mul(w).sum(), [x, w]);
    assert.deepEqual(arr(gx!), [3, 4]);
    assert.deepEqual(arr(gw!), [1, 2]);
    assert.equal(x.grad, null);
    assert.equal(w.grad, null);
  });

  test('allowUnused gives null for an unused input; without it grad throws', () => {
    const x = f64([1, 2], true), unused = f64([5], true);
    const y = x.mul(x).sum();
    const [gx, gu] = nb.autograd.grad(y, [x, unused], { allowUnused: true, retainGraph: true });
    assert.deepEqual(arr(gx!), [2, 4]);
    assert.equal(gu, null);
    assert.throws(() => nb.autograd.grad(y, [x, unused]), /not have been used in the graph/);
  });

  test('gradOutputs weight a non-scalar output', () => {
    const x = f64([1, 2, 3], true);
    const [g] = nb.autograd.grad(x.mul(x), x, { gradOutputs: f64([1, 0, -1]) });
    assert.deepEqual(arr(g!), [2, 0, -6]);
  });
});

describe('custom autograd.Function', () => {
  class MaxWithIndices extends nb.autograd.Function {
    static override forward(ctx: nb.autograd.FunctionCtx, x: Tensor): Tensor[] {
      const { values, indices } = x.max(1);
      ctx.saveForBackward(indices);
      ctx.shape = x.shape;
      ctx.markNonDifferentiable(indices); // an int tensor has no gradient
      return [values, indices];
    }
    static override backward(ctx: nb.autograd.FunctionCtx, gradOutput: Tensor): Tensor {
      const [indices] = ctx.savedTensors;
      return nb.scatterAdd(ctx.shape as number[], 1, indices!.unsqueeze(1), gradOutput.unsqueeze(1));
    }
  }

  class DoubleOutput extends nb.autograd.Function {
    static override forward(_ctx: nb.autograd.FunctionCtx, x: Tensor): Tensor[] {
      return [x.mul(2), x.add(3)]; // dy1/dx = 2, dy2/dx = 1
    }
    static override backward(_ctx: nb.autograd.FunctionCtx, g1: Tensor, g2: Tensor): Tensor {
      return g1.mul(2).add(g2);
    }
  }

  test('max with indices: markNonDifferentiable, saveForBackward, gradient routed to the arg-max', () => {
    const x = f64([[[0.1, 0.9], [0.7, -0.3]]], true); // shape [1, 2, 2], max over dim 1
    const [values, indices] = MaxWithIndices.apply(x) as Tensor[];
    assert.deepEqual(values!.toArray(), [[0.7, 0.9]]);
    assert.deepEqual(indices!.toArray(), [[1, 0]]);
    assert.equal(indices!.requiresGrad, false);
    assert.equal(values!.requiresGrad, true);
    assert.equal(values!.gradFn!.name, 'MaxWithIndices');
    const dy = f64([[0.25, -2]]);
    values!.backward(dy);
    assert.deepEqual(x.grad!.toArray(), [[[0, -2], [0.25, 0]]]);
    // same as the built-in max(dim)
    const x2 = f64([[[0.1, 0.9], [0.7, -0.3]]], true);
    x2.max(1).values.backward(dy);
    assert.deepEqual(x2.grad!.toArray(), x.grad!.toArray());
  });

  test('two outputs: gradients add, whether computed together or one after another', () => {
    const x1 = f64(1, true);
    const [y1, y2] = DoubleOutput.apply(x1) as Tensor[];
    const [g] = nb.autograd.grad([y1!, y2!], [x1], { retainGraph: true });
    assert.equal(g!.item(), 3);
    y1!.backward(f64(1));
    y2!.backward(f64(1));
    assert.equal(x1.grad!.item(), 3);
  });

  test('null for a non-differentiable input; non-tensor arguments pass through', () => {
    class ScaledMasked extends nb.autograd.Function {
      static override forward(ctx: nb.autograd.FunctionCtx, x: Tensor, scale: number, mask: Tensor): Tensor {
        ctx.saveForBackward(mask);
        ctx.scale = scale;
        return x.mul(mask).mul(scale);
      }
      static override backward(ctx: nb.autograd.FunctionCtx, g: Tensor): (Tensor | null)[] {
        const [mask] = ctx.savedTensors;
        return [g.mul(mask!).mul(ctx.scale as number), null, null];
      }
    }
    const x = f64([1, 2, 3], true);
    const mask = f64([1, 0, 1]);
    const y: Tensor = ScaledMasked.apply(x, 2.5, mask);
    assert.deepEqual(arr(y), [2.5, 0, 7.5]);
    y.sum().backward();
    assert.deepEqual(arr(x.grad), [2.5, 0, 2.5]);
    assert.equal(mask.grad, null);
  });

  test('a custom Function whose saved tensor is modified in place fails its backward', () => {
    class Square extends nb.autograd.Function {
      static override forward(ctx: nb.autograd.FunctionCtx, x: Tensor): Tensor {
        ctx.saveForBackward(x);
        return x.mul(x);
      }
      static override backward(ctx: nb.autograd.FunctionCtx, g: Tensor): Tensor {
        const [x] = ctx.savedTensors;
        return g.mul(x!).mul(2);
      }
    }
    const x = f64([1, 2], true);
    const a = x.mul(1);
    const y: Tensor = Square.apply(a);
    assert.equal(nb.autograd.gradcheck((t: Tensor) => Square.apply(t), [f64([0.3, -1.2], true)]), true);
    a.mul_(2);
    assert.throws(() => y.sum().backward(), /inplace operation.*Square/);
  });
});

describe('anomaly mode', () => {
  test('sqrt at 0 produces inf in backward: the error names sqrtBackward and the forward site', () => {
    const x = f64([0, 4], true);
    nb.detectAnomaly(() => {
      const y = x.sqrt().sum();
      assert.throws(() => y.backward(), (err: Error) => {
        assert.match(err.message, /Function 'sqrtBackward' returned nan or inf values/);
        assert.match(err.message, /Forward of sqrt was called at/);
        return true;
      });
    });
  });

  test('log of 0 names logBackward; outside anomaly mode the inf just flows', () => {
    const x = f64([0, 1], true);
    assert.throws(() => nb.detectAnomaly(() => x.log().sum().backward()), /'logBackward' returned nan or inf/);
    x.grad = null;
    x.log().sum().backward();
    assert.deepEqual(arr(x.grad), [Infinity, 1]);
  });
});

describe('tensor autograd attributes', () => {
  test('detach, requiresGrad_, isLeaf and gradFn.name are inspectable', () => {
    const x = f64([1, 2]);
    assert.equal(x.requiresGrad, false);
    assert.equal(x.isLeaf, true);
    x.requiresGrad_();
    assert.equal(x.requiresGrad, true);
    const y = x.mul(2).exp();
    assert.equal(y.isLeaf, false);
    assert.equal(y.gradFn!.name, 'exp');
    assert.equal(y.gradFn!.nextFunctions[0]!.name, 'mul');
    assert.equal(y.gradFn!.nextFunctions[0]!.node.nextFunctions[0]!.name, 'AccumulateGrad');
    const d = y.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.isLeaf, true);
    assert.equal(d.gradFn, null);
    assert.equal(d.storage, y.storage, 'detach shares storage');
    assert.throws(() => y.requiresGrad_(false), /leaf/);
    assert.throws(() => nb.tensor([1, 2], { dtype: 'int32' }).requiresGrad_(), /only floating point/);
    assert.match(String(y), /grad_fn=<ExpBackward0>/);
  });
});

describe('in-place ops', () => {
  test('add_, sub_, mul_, div_, zero_, fill_, copy_, clamp_ give the right values and bump the version', () => {
    const t = f64([1, -2, 3]);
    const v0 = t.storage.version;
    t.add_(1);
    assert.deepEqual(arr(t), [2, -1, 4]);
    t.add_(f64([1, 1, 1]), 2);
    assert.deepEqual(arr(t), [4, 1, 6]);
    t.sub_(1);
    assert.deepEqual(arr(t), [3, 0, 5]);
    t.mul_(f64([2, 3, -1]));
    assert.deepEqual(arr(t), [6, 0, -5]);
    t.div_(2);
    assert.deepEqual(arr(t), [3, 0, -2.5]);
    t.clamp_(-1, 2);
    assert.deepEqual(arr(t), [2, 0, -1]);
    t.copy_(f64([7, 8, 9]));
    assert.deepEqual(arr(t), [7, 8, 9]);
    t.fill_(4);
    assert.deepEqual(arr(t), [4, 4, 4]);
    t.zero_();
    assert.deepEqual(arr(t), [0, 0, 0]);
    assert.equal(t.storage.version, v0 + 9);
    // broadcasting into self works, resizing self does not
    const m = nb.zeros([2, 3], { dtype: 'float64' });
    m.add_(f64([1, 2, 3]));
    assert.deepEqual(m.toArray(), [[1, 2, 3], [1, 2, 3]]);
    assert.throws(() => f64([1, 2, 3]).add_(nb.ones([2, 3], { dtype: 'float64' })), /doesn't match the broadcast shape/);
  });

  test('in-place on a leaf that requires grad throws; under noGrad it is allowed (optimizer step)', () => {
    const w = f64([1, 2], true);
    for (const op of [() => w.add_(1), () => w.mul_(2), () => w.zero_(), () => w.fill_(1), () => w.copy_(f64([0, 0])), () => w.clamp_(0, 1)]) {
      assert.throws(op, /leaf tensor that requires grad/);
    }
    nb.noGrad(() => w.sub_(f64([0.5, 0.5])));
    assert.deepEqual(arr(w), [0.5, 1.5]);
    assert.equal(w.requiresGrad, true);
  });

  test('in-place ops on non-leaves are differentiable and agree with the out-of-place ones', () => {
    const x = f64([0.5, -1.5, 2], true);
    const a = x.mul(2);
    a.mul_(x).add_(1).clamp_(-10, 3); // (2x·x + 1) clamped at 3
    assert.equal(a.gradFn!.name, 'clamp');
    a.sum().backward();
    const x2 = f64([0.5, -1.5, 2], true);
    x2.mul(2).mul(x2).add(1).clamp(-10, 3).sum().backward();
    assert.deepEqual(arr(a), [1.5, 3, 3]);
    assert.deepEqual(arr(x.grad), arr(x2.grad));
    close(arr(x.grad), [2, 0, 0]);
  });

  test('copy_ from a tensor that requires grad is differentiable w.r.t. the source', () => {
    const src = f64([1, 2], true);
    const dst = nb.zeros([2], { dtype: 'float64' });
    dst.copy_(src);
    dst.mul(3).sum().backward();
    assert.deepEqual(arr(src.grad), [3, 3]);
  });
});

describe('views share storage', () => {
  test('a write through a slice, select or transpose is visible in the base', () => {
    const base = nb.zeros([3, 4], { dtype: 'float64' });
    base.slice(1, 1, 3).fill_(5);
    assert.deepEqual(base.toArray(), [[0, 5, 5, 0], [0, 5, 5, 0], [0, 5, 5, 0]]);
    base.select(0, 2).add_(1);
    assert.deepEqual(base.toArray(), [[0, 5, 5, 0], [0, 5, 5, 0], [1, 6, 6, 1]]);
    base.T.select(0, 0).fill_(-1); // column 0
    assert.deepEqual(base.toArray(), [[-1, 5, 5, 0], [-1, 5, 5, 0], [-1, 6, 6, 1]]);
    const step = base.slice(1, 0, 4, 2); // columns 0 and 2
    step.zero_();
    assert.deepEqual(base.toArray(), [[0, 5, 0, 0], [0, 5, 0, 0], [0, 6, 0, 1]]);
    assert.equal(step.storage, base.storage);
    const r = base.reshape(12);
    assert.equal(r.storage, base.storage, 'reshape of contiguous data is a view');
  });

  test('an in-place write into a base is visible in a view taken earlier', () => {
    const base = nb.arange(0, 6, 1, { dtype: 'float64' }).reshape(2, 3);
    const col = base.select(1, 1);
    base.mul_(10);
    assert.deepEqual(arr(col), [10, 40]);
  });
});

describe('memory', () => {
  test('numStorages is stable over 1000 training steps inside nb.scope, and the values are right', () => {
    const g = new nb.Generator(11);
    const X = nb.keep(nb.randn([16, 3], { dtype: 'float64', generator: g }));
    const trueW = [[1.5], [-2], [0.5]];
    const Y = nb.keep(X.matmul(f64(trueW)));
    const w = nb.keep(nb.zeros([3, 1], { dtype: 'float64', requiresGrad: true }));
    const lr = 0.05;
    const step = () => nb.scope(() => {
      const loss = X.matmul(w).sub(Y).square().mean();
      w.grad?.zero_();
      loss.backward();
      nb.noGrad(() => w.sub_(w.grad!.mul(lr)));
      return loss.item();
    });
    step();
    const before = nb.memory().numStorages;
    let last = 0;
    for (let i = 1; i < 1000; i++) {
      last = step();
      if (i % 100 === 0) assert.equal(nb.memory().numStorages, before, `live storages after step ${i}`);
    }
    assert.equal(nb.memory().numStorages, before);

    // the same 1000 SGD steps in plain float64 JS
    const xs = Array.from(X.data()), ys = Array.from(Y.data());
    const wj = [0, 0, 0];
    let lossJ = 0;
    for (let it = 0; it < 1000; it++) {
      const grad = [0, 0, 0];
      lossJ = 0;
      for (let n = 0; n < 16; n++) {
        const r = xs[3 * n]! * wj[0]! + xs[3 * n + 1]! * wj[1]! + xs[3 * n + 2]! * wj[2]! - ys[n]!;
        lossJ += (r * r) / 16;
        for (let k = 0; k < 3; k++) grad[k]! += (2 * r * xs[3 * n + k]!) / 16;
      }
      for (let k = 0; k < 3; k++) wj[k]! -= lr * grad[k]!;
    }
    close(arr(w), wj, 1e-10);
    close([last], [lossJ], 1e-8);
    close(arr(w), [1.5, -2, 0.5], 1e-6);
  });

  test('an op and its disposal leave the live count unchanged; scope frees temporaries', () => {
    const a = nb.ones([4]);
    const before = nb.memory().numStorages;
    const b = a.add(a);
    assert.equal(nb.memory().numStorages, before + 1);
    b.dispose();
    assert.equal(nb.memory().numStorages, before);
    assert.throws(() => b.data(), /disposed/);
    const kept = nb.scope(() => a.add(1).mul(2).exp().sum());
    assert.equal(nb.memory().numStorages, before + 1, 'only the returned tensor survives the scope');
    assert.ok(Math.abs(kept.item() - 4 * Math.exp(4)) < 1e-3);
    kept.dispose();
    assert.equal(nb.memory().numStorages, before);
  });
});
