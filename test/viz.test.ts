/**
 * nb.viz: the graph JSON of the notes' first example, the DOT text, and the step-by-step backward checked
 * against the engine (order observed independently through tensor hooks, gradients against .grad).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const scalar = (v: number, name: string) => {
  const t = nb.tensor(v, { dtype: 'float64', requiresGrad: true });
  t.name = name;
  return t;
};

describe('viz.graph', () => {
  test('f = x + y·z at (−2, 5, −4): nodes, values and per-edge gradients', () => {
    const x = scalar(-2, 'x'), y = scalar(5, 'y'), z = scalar(-4, 'z');
    const f = nb.viz.trace(() => {
      const f = x.add(y.mul(z));
      f.backward();
      return f;
    });
    const g = nb.viz.graph(f);
    const byName = (n: string) => g.nodes.find((v) => v.name === n)!;
    const add = g.nodes.find((v) => v.op === 'add')!, mul = g.nodes.find((v) => v.op === 'mul')!;
    assert.equal(g.nodes.length, 5);
    assert.equal(g.root, add.id);
    assert.deepEqual(g.nodes.filter((n) => n.kind === 'leaf').map((n) => n.name).sort(), ['x', 'y', 'z']);
    assert.equal(add.value!.values[0], -22);
    assert.equal(mul.value!.values[0], -20);
    assert.deepEqual(add.patterns, ['add distributes']);
    assert.deepEqual(mul.patterns, ['mul swaps']);
    assert.equal(byName('x').grad!.values[0], 1);
    assert.equal(byName('y').grad!.values[0], -4);
    assert.equal(byName('z').grad!.values[0], 5);
    // edges point from input to consumer and carry the gradient sent back along them
    const edge = (from: string, to: string) => g.edges.find((e) => e.from === from && e.to === to)!;
    assert.equal(edge(byName('x').id, add.id).grad!.values[0], 1);
    assert.equal(edge(mul.id, add.id).grad!.values[0], 1);
    assert.equal(edge(byName('y').id, mul.id).grad!.values[0], -4);
    assert.equal(edge(byName('z').id, mul.id).grad!.values[0], 5);
    assert.equal(g.edges.length, 4);
    // mul saved both float64 scalars (8 bytes each), freed by backward
    assert.deepEqual(mul.saved.map((s) => [s.bytes, s.released]), [[8, true], [8, true]]);
    assert.equal(add.savedBytes, 0);
    // plain JSON
    assert.deepEqual(JSON.parse(JSON.stringify(g)), g);
  });

  test('before backward: structure and values, no gradients; a reused input is "copy sums"', () => {
    const a = scalar(3, 'a');
    const y = nb.viz.trace(() => a.mul(a).add(a));
    const g = nb.viz.graph(y);
    const leaf = g.nodes.find((n) => n.kind === 'leaf')!;
    assert.deepEqual(leaf.patterns, ['copy sums']);
    assert.equal(g.nodes.find((n) => n.op === 'add')!.value!.values[0], 12);
    assert.ok(g.nodes.every((n) => n.grad === null && n.backwardOrder === null));
    assert.ok(g.edges.every((e) => e.grad === null));
  });

  test('Module parameters are named by their path; saved bytes of a Linear', () => {
    const model = new nb.nn.Sequential(new nb.nn.Linear(3, 4, { generator: new nb.Generator(0) }), new nb.nn.ReLU());
    const out = model.call(nb.randn([2, 3], { generator: new nb.Generator(1) })).sum();
    const g = nb.viz.graph(out, { names: model });
    const leafNames = g.nodes.filter((n) => n.kind === 'leaf').map((n) => n.name).sort();
    assert.deepEqual(leafNames, ['0.bias', '0.weight']);
    const total = g.nodes.reduce((a, n) => a + n.savedBytes, 0);
    assert.ok(total > 0, 'some op saved tensors');
    for (const n of g.nodes) for (const s of n.saved) assert.equal(s.bytes, s.shape.reduce((p, d) => p * d, 1) * 4);
  });

  test('a tensor without a graph is refused with a clear error', () => {
    assert.throws(() => nb.viz.graph(nb.tensor([1, 2])), /viz\.graph: .*does not require grad/);
  });

  test('toDot names every node and edge', () => {
    const x = scalar(-2, 'x'), y = scalar(5, 'y'), z = scalar(-4, 'z');
    const f = nb.viz.trace(() => x.add(y.mul(z)));
    const g = nb.viz.graph(f);
    const dot = nb.viz.toDot(g);
    assert.match(dot, /^digraph autograd \{/);
    for (const n of g.nodes) assert.ok(dot.includes(`"${n.id}" [`), `node ${n.id}`);
    for (const e of g.edges) assert.ok(dot.includes(`"${e.from}" -> "${e.to}"`));
    assert.match(dot, /value -22/);
  });
});

describe('viz.backwardSteps', () => {
  test('f = x + y·z: one step per node, upstream × local = downstream, leaf gradients equal .grad', () => {
    const x = scalar(-2, 'x'), y = scalar(5, 'y'), z = scalar(-4, 'z');
    const f = x.add(y.mul(z));
    const g = nb.viz.graph(f);
    const steps = [...nb.viz.backwardSteps(f)];
    assert.equal(steps.length, 5);
    assert.deepEqual(new Set(steps.map((s) => s.node)), new Set(g.nodes.map((n) => n.id)));
    const mulStep = steps.find((s) => s.op === 'mul')!;
    assert.equal(mulStep.upstream!.values[0], 1);
    assert.deepEqual(mulStep.local.map((l) => l!.values[0]), [-4, 5]); // mul swaps: ∂(yz)/∂y = z, ∂/∂z = y
    assert.deepEqual(mulStep.downstream.map((d) => d!.values[0]), [-4, 5]);
    assert.equal(mulStep.pattern, 'mul swaps');
    for (const s of steps) {
      if (s.op === 'leaf') continue;
      s.downstream.forEach((d, i) => assert.equal(d!.values[0], s.upstream!.values[0]! * s.local[i]!.values[0]!));
    }
    const leafSteps = steps.filter((s) => s.op === 'leaf');
    const grads = new Map([[g.nodes.find((n) => n.name === 'x')!.id, x], [g.nodes.find((n) => n.name === 'y')!.id, y], [g.nodes.find((n) => n.name === 'z')!.id, z]]);
    for (const s of leafSteps) assert.equal(s.upstream!.values[0], grads.get(s.node)!.grad!.item());
    assert.deepEqual([x.grad!.item(), y.grad!.item(), z.grad!.item()], [1, -4, 5]);
  });

  test('step order is the engine order (observed independently through gradient hooks)', () => {
    const w = nb.tensor([[0.5, -1], [2, 0.25]], { dtype: 'float64', requiresGrad: true });
    const v = nb.tensor([1, -3], { dtype: 'float64', requiresGrad: true });
    const h1 = nb.matmul(w, v), h2 = h1.relu(), h3 = h2.mul(h1), h4 = h3.sigmoid(), loss = h4.sum().add(h2.sum());
    const seen: Tensor[] = [];
    const tensors = [h1, h2, h3, h4, loss];
    for (const t of tensors) t.registerHook(() => void seen.push(t));
    const g = nb.viz.graph(loss);
    const idOf = (t: Tensor) => g.nodes.find((n) => n.op === t.gradFn!.name)!.id;
    const allSteps = [...nb.viz.backwardSteps(loss)];
    const stepIds = allSteps.map((s) => s.node);
    assert.equal(new Set(stepIds).size, stepIds.length, 'each node runs once');
    assert.equal(seen.length, tensors.length);
    // the non-leaf steps, in step order, are exactly the order in which the engine called the hooks
    const nonLeaf = new Set(tensors.map(idOf));
    assert.deepEqual(stepIds.filter((id) => nonLeaf.has(id)), seen.map(idOf));
    // the graph after the watched backward numbers the nodes in that order
    const after = nb.viz.graph(loss);
    const ordered = after.nodes.filter((n) => n.backwardOrder !== null).sort((a, b) => a.backwardOrder! - b.backwardOrder!);
    assert.deepEqual(ordered.map((n) => n.id), stepIds);
  });
});
