/**
 * Autograd details pinned by the mutation review (tools/mutation): the implicit seed of backward() on a
 * scalar has the scalar's dtype (PyTorch: torch.ones_like(loss)), visible in a retained root gradient.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { forwardJvp } from '../src/autograd/jvp.js';
import { alias, observeRecords } from '../src/autograd/record.js';

test('backward() seeds a scalar with ones of its own dtype (float64, float16, bfloat16)', () => {
  for (const dtype of ['float64', 'float16', 'bfloat16'] as const) {
    const x = nb.tensor([1, 2], { dtype, requiresGrad: true });
    const loss = x.mul(3).sum();
    loss.retainGrad();
    loss.backward();
    assert.equal(loss.grad!.dtype, dtype, `root grad of a ${dtype} loss`);
    assert.equal(loss.grad!.item(), 1);
    assert.equal(x.grad!.dtype, dtype);
    assert.deepEqual(x.grad!.dataArray(), [3, 3]);
  }
});

test('autograd.jvp: argument checks name the function and the argument; a tangent of another dtype is cast to the primal\'s', () => {
  const x = nb.tensor([1, 2], { dtype: 'float64' });
  const f = (a: nb.Tensor) => a.mul(a);
  const rejects = (fn: () => unknown, type: ErrorConstructor, msg: string) =>
    assert.throws(fn, (e: Error) => e instanceof type && e.message === msg);
  rejects(() => nb.autograd.jvp(f, [x], []), Error, 'autograd.jvp: got 1 primals but 0 tangents');
  rejects(() => nb.autograd.jvp(f, [[1, 2] as never], [x]), TypeError, 'autograd.jvp: primals[0] must be a Tensor');
  rejects(() => nb.autograd.jvp(f, [x], [[1, 1] as never]), TypeError, 'autograd.jvp: tangents[0] must be a Tensor');
  assert.throws(() => nb.autograd.jvp(f, [x], [nb.ones([3], { dtype: 'float64' })]), /^Error: autograd\.jvp: tangents\[0\] has shape \[3\], but primals\[0\] has shape \[2\]$/);
  rejects(() => nb.autograd.jvp(() => 3 as never, [x], [x]), TypeError, 'autograd.jvp: the function must return a Tensor');
  // d(a²) = 2a·ȧ with a float32 tangent on a float64 primal: the result is float64
  const [y, dy] = nb.autograd.jvp(f, [x], [nb.tensor([1, 0.5], { dtype: 'float32' })]);
  assert.deepEqual(y.dataArray(), [1, 4]);
  assert.equal(dy.dtype, 'float64');
  assert.deepEqual(dy.dataArray(), [2, 2]);
});

test('forwardJvp (the engine under autograd.jvp and func.jvp) names itself "jvp" when the caller gives no name', () => {
  const x = nb.tensor([1, 2]);
  assert.throws(() => forwardJvp((a) => a, [x], []), (e: Error) => e.message === 'jvp: got 1 primals but 0 tangents');
  assert.throws(() => nb.func.jvp((a: nb.Tensor) => a, [x], []), (e: Error) => e.message === 'func.jvp: got 1 primals but 0 tangents');
});

test('forwardAD: makeDual/unpackDual argument checks with their messages; the views they return are named in the graph', () => {
  const { dualLevel, makeDual, unpackDual } = nb.autograd.forwardAD;
  const x = nb.tensor([1, 2], { requiresGrad: true });
  const rejects = (fn: () => unknown, type: ErrorConstructor, msg: string) =>
    assert.throws(fn, (e: Error) => e instanceof type && e.message === msg);
  dualLevel(() => {
    rejects(() => makeDual([1, 2] as never, nb.ones([2])), TypeError, 'forwardAD.makeDual: argument primal must be a Tensor');
    rejects(() => makeDual(x, [1, 1] as never), TypeError, 'forwardAD.makeDual: argument tangent must be a Tensor');
    rejects(() => makeDual(nb.tensor([1, 2], { dtype: 'int32' }), nb.ones([2], { dtype: 'int32' })), TypeError, 'forwardAD.makeDual: argument primal must be a floating point tensor, got int32');
    rejects(() => unpackDual(3 as never), TypeError, 'forwardAD.unpackDual: argument must be a Tensor');
    const y = makeDual(x, nb.ones([2]));
    assert.equal(y.gradFn!.name, 'makeDual');
    const { primal, tangent } = unpackDual(y.mul(3));
    assert.equal(primal.gradFn!.name, 'unpackDual');
    assert.deepEqual(tangent!.dataArray(), [3, 3]);
    assert.deepEqual(primal.dataArray(), [3, 6]);
  });
});

test('record: observers see each node until they stop; integer outputs stay out of the graph; a stack is kept only under detectAnomaly; alias\'s default name', () => {
  const x = nb.tensor([3, 1, 2], { requiresGrad: true });
  const seen: string[] = [];
  const stop = observeRecords((node, outputs) => { seen.push(`${node.name}:${outputs.length}`); });
  x.mul(2).sum();
  stop();
  x.mul(2);
  assert.deepEqual(seen, ['mul:1', 'sum:1']);
  // sort's indices are int32: no gradFn and no requiresGrad, while its values join the graph
  const { values, indices } = x.sort();
  assert.equal(values.gradFn!.name, 'sort');
  assert.equal(indices.gradFn, null);
  assert.equal(indices.requiresGrad, false);
  assert.equal(values.gradFn!.forwardTrace, undefined);
  const traced = nb.detectAnomaly(() => x.mul(2));
  assert.match(traced.gradFn!.forwardTrace!, /Error/);
  const a = alias(x);
  assert.equal(a.gradFn!.name, 'alias');
  assert.deepEqual(a.dataArray(), [3, 1, 2]);
  // an alias of a dual tensor carries its tangent unchanged
  nb.autograd.forwardAD.dualLevel(() => {
    const d = nb.autograd.forwardAD.makeDual(x, nb.tensor([1, -1, 0.5]));
    assert.deepEqual(nb.autograd.forwardAD.unpackDual(alias(d)).tangent!.dataArray(), [1, -1, 0.5]);
  });
});

test('forward mode: an input without a tangent counts as zeros; integer outputs (sort\'s indices, a cast to int32) carry no tangent', () => {
  const { dualLevel, makeDual, unpackDual } = nb.autograd.forwardAD;
  const x = nb.tensor([3, 1, 2]);
  const y = nb.tensor([0.5, -2, 4]);
  dualLevel(() => {
    const d = makeDual(x, nb.tensor([1, 10, 100]));
    // z = x·y + y: ż = ẋ·y + x·0 + 0
    const z = unpackDual(d.mul(y).add(y));
    assert.deepEqual(z.tangent!.dataArray(), [0.5, -20, 400]);
    const { values, indices } = d.sort();
    assert.deepEqual(unpackDual(values).tangent!.dataArray(), [10, 100, 1]);
    assert.equal(unpackDual(indices).tangent, null);
    assert.equal(unpackDual(d.to('int32')).tangent, null);
  });
});

test('graph nodes: toString, a saved tensor\'s release (isReleased, its message when read after backward, released twice), a second backward\'s message', () => {
  const x = nb.tensor([1, 2], { requiresGrad: true });
  const y = x.mul(x);
  const node = y.gradFn!;
  const saved = node.saved[0]!;
  assert.equal(String(node), '<mul>');
  assert.equal(saved.isReleased, false);
  y.sum().backward();
  assert.equal(saved.isReleased, true);
  assert.throws(() => saved.unpack(), (e: Error) => e.message === 'mul: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retainGraph: true if you need to backward through the graph a second time.');
  saved.release();
  node.release();
  // the engine refuses a released node before any saved tensor is read, with its own (shorter) message
  assert.throws(() => y.sum().backward(), (e: Error) => e.message === 'mul: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Specify retainGraph: true if you need to backward through the graph a second time.');
  assert.deepEqual(x.grad!.dataArray(), [2, 4]);
});

test('custom Function: what is not implemented, a forward returning a non-tensor, a backward or jvp returning the wrong number of results', () => {
  const F = nb.autograd.Function;
  const x = nb.tensor([1, 2], { requiresGrad: true });
  class NoForward extends F {}
  assert.throws(() => NoForward.apply(x), (e: Error) => e.message === 'NoForward.forward is not implemented');
  class NoBackward extends F { static override forward(_c: unknown, a: nb.Tensor) { return a.mul(2); } }
  assert.throws(() => (NoBackward.apply(x) as nb.Tensor).sum().backward(), /NoBackward\.backward is not implemented: this custom Function cannot be differentiated$/);
  class Num extends F { static override forward() { return 3 as never; } }
  assert.throws(() => Num.apply(x), (e: Error) => e instanceof TypeError && e.message === 'Num.forward must return a Tensor or an array of Tensors; output 0 is number');
  class ThreeGrads extends F {
    static override forward(_c: unknown, a: nb.Tensor) { return a.mul(2); }
    static override backward(_c: unknown, g: nb.Tensor) { return [g, g, g] as never; }
  }
  assert.throws(() => (ThreeGrads.apply(x, 5) as nb.Tensor).sum().backward(), /ThreeGrads\.backward returned 3 gradients, expected 2 \(one per forward argument, null for non-tensors\)$/);
  class TwoTangents extends F {
    static override forward(_c: unknown, a: nb.Tensor) { return a.mul(2); }
    static override jvp(_c: unknown, t: nb.Tensor) { return [t, t] as never; }
  }
  nb.autograd.forwardAD.dualLevel(() => {
    const d = nb.autograd.forwardAD.makeDual(nb.tensor([1, 2]), nb.ones([2]));
    assert.throws(() => TwoTangents.apply(d), /TwoTangents\.jvp returned 2 tangents, expected 1 \(one per differentiable output\)$/);
  });
});

test('custom Function: needsInputGrad, an input returned unchanged, markNonDifferentiable on it, gradients per argument or per tensor argument, zeros for a missing upstream gradient, jvp\'s tangents per argument', () => {
  const F = nb.autograd.Function;
  const f64 = (v: number[], requiresGrad = false) => nb.tensor(v, { dtype: 'float64', requiresGrad });
  // needsInputGrad: one flag per forward argument, true only for a tensor that requires grad
  let seen: boolean[] = [];
  let savedInForward: unknown[] = [];
  class Scale extends F {
    static override forward(ctx: nb.autograd.FunctionCtx, s: number, a: nb.Tensor, _b: nb.Tensor) {
      seen = ctx.needsInputGrad.slice();
      savedInForward = ctx.savedTensors.slice();
      return a.mul(s);
    }
    // one gradient per tensor argument (a, b): d(s·a)/da = s, b gets none
    static override backward(_c: nb.autograd.FunctionCtx, g: nb.Tensor) { return [g.mul(3), null]; }
  }
  const a = f64([1, 2], true);
  const b = f64([5, 6]);
  const y = Scale.apply(3, a, b) as nb.Tensor;
  assert.deepEqual(seen, [false, true, false]);
  assert.deepEqual(savedInForward, []); // nothing saved: an empty list, not a placeholder
  assert.deepEqual(y.dataArray(), [3, 6]);
  y.sum().backward();
  assert.deepEqual(a.grad!.dataArray(), [3, 3]);
  assert.equal(b.grad, null);
  Scale.apply(3, f64([1]), f64([1]));
  assert.deepEqual(seen, [false, false, false]);

  // one gradient per forward argument (PyTorch's form), the tensor not first: null for the number
  class ScaleArgs extends F {
    static override forward(_c: nb.autograd.FunctionCtx, s: number, a2: nb.Tensor) { return a2.mul(s); }
    static override backward(_c: nb.autograd.FunctionCtx, g: nb.Tensor) { return [null, g.mul(2)]; }
  }
  const a2 = f64([1, 2], true);
  (ScaleArgs.apply(2, a2) as nb.Tensor).sum().backward();
  assert.deepEqual(a2.grad!.dataArray(), [2, 2]);
  // one gradient per tensor argument with a number before it: [g] is a2's gradient, not the number's
  class ScaleTensorOnly extends F {
    static override forward(_c: nb.autograd.FunctionCtx, s: number, a3: nb.Tensor) { return a3.mul(s); }
    static override backward(_c: nb.autograd.FunctionCtx, g: nb.Tensor) { return g.mul(4); }
  }
  const a3 = f64([1, 2], true);
  (ScaleTensorOnly.apply(4, a3) as nb.Tensor).sum().backward();
  assert.deepEqual(a3.grad!.dataArray(), [4, 4]);

  // an output made in forward is returned as that very tensor (now with a gradFn), as in PyTorch
  let made: nb.Tensor | null = null;
  class Twice extends F {
    static override forward(_c: nb.autograd.FunctionCtx, t: nb.Tensor) { made = t.mul(2); return made; }
    static override backward(_c: nb.autograd.FunctionCtx, g: nb.Tensor) { return g.mul(2); }
  }
  const yt = Twice.apply(f64([1, 2], true)) as nb.Tensor;
  assert.ok(yt === (made as unknown), "the returned tensor is the one forward made");
  assert.equal(yt.gradFn!.name, 'Twice');
  // an input returned unchanged becomes a new node's output; the input stays a leaf
  class Id extends F {
    static override forward(_c: nb.autograd.FunctionCtx, x: nb.Tensor) { return x; }
    static override backward(_c: nb.autograd.FunctionCtx, g: nb.Tensor) { return g.mul(5); }
  }
  const x = f64([1, 2], true);
  const yi = Id.apply(x) as nb.Tensor;
  assert.notEqual(yi, x);
  assert.equal(x.gradFn, null);
  assert.equal(yi.gradFn!.name, 'Id');
  yi.sum().backward();
  assert.deepEqual(x.grad!.dataArray(), [5, 5]);

  // markNonDifferentiable on an input returned unchanged: its output (a new view) is not differentiable
  class PassAndDouble extends F {
    static override forward(ctx: nb.autograd.FunctionCtx, x2: nb.Tensor) { ctx.markNonDifferentiable(x2); return [x2, x2.mul(2)]; }
    static override backward(_c: nb.autograd.FunctionCtx, g: nb.Tensor) { return g.mul(2); }
  }
  const x2 = f64([1, 2], true);
  const [p, d] = PassAndDouble.apply(x2) as nb.Tensor[];
  assert.equal(p!.requiresGrad, false);
  assert.equal(d!.requiresGrad, true);
  d!.sum().backward();
  assert.deepEqual(x2.grad!.dataArray(), [2, 2]);

  // a missing upstream gradient reaches backward as zeros of that output's shape and dtype
  let g2seen: nb.Tensor | null = null;
  class TwoOut extends F {
    static override forward(_c: nb.autograd.FunctionCtx, x3: nb.Tensor) { return [x3.mul(2), x3.reshape([2, 1]).to('float16')]; }
    static override backward(_c: nb.autograd.FunctionCtx, g1: nb.Tensor, g2: nb.Tensor) { g2seen = g2; return g1.mul(2); }
  }
  const x3 = f64([1, 2], true);
  const [o1] = TwoOut.apply(x3) as nb.Tensor[];
  o1!.sum().backward();
  assert.deepEqual(x3.grad!.dataArray(), [2, 2]);
  const g2 = g2seen as unknown as nb.Tensor;
  assert.deepEqual([g2.shape, g2.dtype, g2.dataArray()], [[2, 1], 'float16', [0, 0]]);

  // no input requires grad: no node, the output has no gradFn
  const plain = Id.apply(f64([1])) as nb.Tensor;
  assert.equal(plain.gradFn, null);
  assert.equal(plain.requiresGrad, false);

  // jvp: one tangent per forward argument: null for a number, zeros for a tensor without a tangent
  let tangents: (nb.Tensor | null)[] = [];
  class Mix extends F {
    static override forward(_c: nb.autograd.FunctionCtx, s: number, u: nb.Tensor, v: nb.Tensor) { return u.mul(v).mul(s); }
    static override jvp(_c: nb.autograd.FunctionCtx, ...t: (nb.Tensor | null)[]) { tangents = t; return t[1]!.mul(10); }
  }
  nb.autograd.forwardAD.dualLevel(() => {
    const u = nb.autograd.forwardAD.makeDual(f64([1, 2]), f64([7, 8]));
    const out = Mix.apply(2, f64([3, 4]), u) as nb.Tensor;
    assert.equal(tangents.length, 3);
    assert.equal(tangents[0], null);
    assert.deepEqual(tangents[1]!.dataArray(), [0, 0]);
    assert.deepEqual(tangents[2]!.dataArray(), [7, 8]);
    assert.deepEqual(nb.autograd.forwardAD.unpackDual(out).tangent!.dataArray(), [0, 0]);
  });
});

test('nb.func: argument checks with their messages, argnums as a number or a list, unused inputs get zeros, empty inputs and outputs, vjp\'s output and cotangent, hessian blocks for several argnums', () => {
  const { grad, vjp, jacrev, jacfwd, hessian } = nb.func;
  const f64 = (v: number[], requiresGrad = false) => nb.tensor(v, { dtype: 'float64', requiresGrad });
  const msg = (fn: () => unknown, type: ErrorConstructor, text: string) =>
    assert.throws(fn, (e: Error) => { assert.ok(e instanceof type, `${e.name}: ${e.message}`); assert.equal(e.message, text); return true; });
  const a = f64([1, 2]);
  const b = f64([3, 4]);
  const sumxy = (x: nb.Tensor, y: nb.Tensor) => x.mul(y).sum();
  // argnums: an integer index in [0, number of arguments)
  msg(() => grad(sumxy, { argnums: 2 })(a, b), RangeError, 'func.grad: argnums 2 is out of range for a function called with 2 arguments');
  msg(() => grad((x: nb.Tensor) => x.sum(), { argnums: 1 })(a), RangeError, 'func.grad: argnums 1 is out of range for a function called with 1 argument');
  msg(() => jacrev(sumxy, { argnums: [0, -1] })(a, b), RangeError, 'func.jacrev: argnums -1 is out of range for a function called with 2 arguments');
  msg(() => jacfwd(sumxy, { argnums: 0.5 })(a, b), RangeError, 'func.jacfwd: argnums 0.5 is out of range for a function called with 2 arguments');
  // every argument must be a tensor
  msg(() => grad(sumxy)(a, 3 as never), TypeError, 'func.grad: argument 1 must be a Tensor, got number');
  msg(() => vjp(sumxy, 'x' as never, a), TypeError, 'func.vjp: argument 0 must be a Tensor, got string');
  msg(() => jacrev(sumxy)(a, null as never), TypeError, 'func.jacrev: argument 1 must be a Tensor, got object');
  msg(() => jacfwd(sumxy)(a, true as never), TypeError, 'func.jacfwd: argument 1 must be a Tensor, got boolean');
  // the function must return a tensor
  msg(() => grad(() => 1 as never)(a), Error, 'func.grad: the function must return a one-element Tensor, got number');
  msg(() => vjp(() => 1 as never, a), TypeError, 'func.vjp: the function must return a Tensor');
  msg(() => jacrev(() => 1 as never)(a), TypeError, 'func.jacrev: the function must return a Tensor');
  msg(() => jacfwd(() => 1 as never)(a), TypeError, 'func.jacfwd: the function must return a Tensor');
  // jacfwd does not nest in forward mode
  nb.autograd.forwardAD.dualLevel(() => {
    msg(() => jacfwd((x: nb.Tensor) => x)(a), Error, 'func.jacfwd: nested forward-mode transforms (jacfwd/jvp inside jacfwd/jvp) are not supported');
  });
  // argnums as a list gives a list (also of one); an input the function does not use gets zeros; a number gives one tensor
  const one = grad(sumxy, { argnums: [1] })(a, b) as nb.Tensor[];
  assert.equal(one.length, 1);
  assert.deepEqual(one[0]!.dataArray(), [1, 2]);
  const [gx, gy] = grad((x: nb.Tensor, _y: nb.Tensor) => x.mul(x).sum(), { argnums: [0, 1] })(a, b) as nb.Tensor[];
  assert.deepEqual([gx!.dataArray(), gy!.dataArray(), gy!.dtype], [[2, 4], [0, 0], 'float64']);
  assert.deepEqual((grad(sumxy, { argnums: 1 })(a, b) as nb.Tensor).dataArray(), [1, 2]);
  // an output that depends on no input at all: zero gradients (no backward to run)
  assert.deepEqual((grad(() => f64([5]).sum())(a) as nb.Tensor).dataArray(), [0, 0]);
  assert.deepEqual((jacrev(() => f64([5, 6]))(a) as nb.Tensor).dataArray(), [0, 0, 0, 0]);
  const jz = jacfwd(() => f64([5, 6]))(a) as nb.Tensor;
  assert.deepEqual([jz.shape, jz.dataArray()], [[2, 2], [0, 0, 0, 0]]);
  // Jacobians with an empty output or an empty input: shape [...y.shape, ...x.shape], no elements
  const e0 = f64([]);
  const jr = jacrev((x: nb.Tensor) => x.sum().reshape([1]).narrow(0, 0, 0))(a) as nb.Tensor;
  assert.deepEqual([jr.shape, jr.dtype], [[0, 2], 'float64']);
  const jf = jacfwd((x: nb.Tensor) => x.sum().reshape([1]).add(f64([1, 2, 3])))(e0) as nb.Tensor;
  assert.deepEqual([jf.shape, jf.numel()], [[3, 0], 0]);
  // vjp: the output is detached unless a primal takes part in an outer reverse pass; the cotangent must match its shape
  const [y0, pull0] = vjp((x: nb.Tensor) => x.mul(3), a);
  assert.equal(y0.requiresGrad, false);
  assert.deepEqual((pull0(f64([1, 1])) as nb.Tensor[])[0]!.dataArray(), [3, 3]);
  const [y1] = vjp((x: nb.Tensor) => x.mul(3), f64([1, 2], true));
  assert.equal(y1.requiresGrad, true);
  for (const bad of [f64([1, 1, 1]), f64([1, 1]).reshape([2, 1]), f64([1]).reshape([]), 7]) {
    msg(() => pull0(bad as never), Error, 'func.vjp: the cotangent must be a Tensor of the output\'s shape [2]');
  }
  // hessian over two arguments: f = Σ x²·y, blocks [Hxx, Hxy, Hyx, Hyy] = [diag(2y), diag(2x), diag(2x), 0]
  const hs = hessian((x: nb.Tensor, y: nb.Tensor) => x.mul(x).mul(y).sum(), { argnums: [0, 1] })(a, b) as nb.Tensor[];
  assert.deepEqual(hs.map((h) => h.dataArray()), [[6, 0, 0, 8], [2, 0, 0, 4], [2, 0, 0, 4], [0, 0, 0, 0]]);
  assert.deepEqual(hs.map((h) => h.shape), [[2, 2], [2, 2], [2, 2], [2, 2]]);
  // one argument (the default argnums): the Hessian of Σ x³ is diag(6x)
  assert.deepEqual((hessian((x: nb.Tensor) => x.mul(x).mul(x).sum())(a) as nb.Tensor).dataArray(), [6, 0, 0, 12]);
  // grad only of a one-element output
  msg(() => grad((x: nb.Tensor) => x.mul(2))(a), Error, 'func.grad: the function must return a one-element Tensor, got shape [2]');
  // transforms compose: an input that requires grad (here: from an outer grad) is differentiated through, d/dx Σ 3x² = 6x
  assert.deepEqual((grad((x: nb.Tensor) => (grad((z: nb.Tensor) => z.mul(z).mul(z).sum())(x) as nb.Tensor).sum())(a) as nb.Tensor).dataArray(), [6, 12]);
  // one primal in an outer reverse pass is enough to keep vjp's output in the graph
  const [y2] = vjp((x: nb.Tensor, z: nb.Tensor) => x.mul(z), f64([1, 2], true), b);
  assert.equal(y2.requiresGrad, true);
  // an input that requires grad enters the inner pass through a view named 'func'
  let handle = '';
  grad((x: nb.Tensor) => { handle = x.gradFn?.name ?? 'none'; return x.sum(); })(f64([1, 2], true));
  assert.equal(handle, 'func');
  // without an outer reverse pass, the results carry no graph (the caller's arguments are not replaced by the inner handles)
  assert.equal((grad((x: nb.Tensor) => x.mul(x).sum())(a) as nb.Tensor).requiresGrad, false);
  assert.equal((jacrev((x: nb.Tensor) => x.mul(x))(a) as nb.Tensor).requiresGrad, false);
  // a cotangent of the output's rank that differs in one dimension only
  const [, pull2] = vjp((x: nb.Tensor) => x.reshape([1, 2]), a);
  msg(() => pull2(nb.zeros([1, 3], { dtype: 'float64' })), Error, 'func.vjp: the cotangent must be a Tensor of the output\'s shape [1,2]');
  // jacfwd of a rank-2 output: J[i, j, k] = ∂y[i, j]/∂x[k] for y = x ⊗ [1, 10] (y[i, j] = x[i]·c[j])
  const c = f64([1, 10]);
  const jo = jacfwd((x: nb.Tensor) => x.reshape([2, 1]).mul(c.reshape([1, 2])))(a) as nb.Tensor;
  assert.deepEqual(jo.shape, [2, 2, 2]);
  assert.deepEqual(jo.dataArray(), [1, 0, 10, 0, 0, 1, 0, 10]);
  // hessian with argnums a number: ∂²/∂y² of Σ x·y³ is diag(6·x·y) (not ∂/∂x of ∂f/∂y, diag(3y²))
  assert.deepEqual((hessian((x: nb.Tensor, y: nb.Tensor) => x.mul(y.mul(y).mul(y)).sum(), { argnums: 1 })(a, b) as nb.Tensor).dataArray(), [18, 0, 0, 48]);
});

test('autograd.grad: gradOutputs count, a non-tensor output and a gradOutputs shape are refused with their messages', () => {
  const x = nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  const y = x.mul(3);
  const msg = (fn: () => unknown, type: ErrorConstructor, text: string) =>
    assert.throws(fn, (e: Error) => { assert.ok(e instanceof type, `${e.name}: ${e.message}`); assert.equal(e.message, text); return true; });
  msg(() => nb.autograd.grad(y, x, { gradOutputs: [nb.onesLike(y), nb.onesLike(y)] }), Error, 'autograd.grad: got 2 gradOutputs for 1 outputs');
  msg(() => nb.autograd.grad([y, 3 as never], x, { gradOutputs: [nb.onesLike(y), nb.onesLike(y)] }), TypeError, 'autograd.grad: output 1 is not a Tensor');
  msg(() => nb.autograd.grad(y, x, { gradOutputs: nb.ones([3], { dtype: 'float64' }) }), Error, 'autograd.grad: gradOutputs[0] has shape [3], but output 0 has shape [2]');
  // a matching gradOutputs seeds the pass: d(3x)ᵀ·[1, 10] = [3, 30]
  assert.deepEqual(nb.autograd.grad(y, x, { gradOutputs: nb.tensor([1, 10], { dtype: 'float64' }) })[0]!.dataArray(), [3, 30]);
});
