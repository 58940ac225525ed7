/**
 * nb.scope keeps what it returns, at any depth and in any container (arrays, plain objects, class
 * instances, Maps, Sets), and hands it to the enclosing scope, which frees it when it closes in turn.
 * Counts are exact: memory().numStorages before and after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const live = () => nb.memory().numStorages;

/** value wrapped `depth` times, alternating array, object, Map and Set */
function nest(value: unknown, depth: number): unknown {
  let v = value;
  for (let i = 0; i < depth; i++) {
    switch (i % 4) {
      case 0: v = [v]; break;
      case 1: v = { inner: v }; break;
      case 2: v = new Map([['k', v]]); break;
      default: v = new Set([v]);
    }
  }
  return v;
}

function unnest(v: unknown): Tensor {
  for (;;) {
    if (v instanceof nb.Tensor) return v;
    if (Array.isArray(v)) v = v[0];
    else if (v instanceof Map) v = v.get('k');
    else if (v instanceof Set) v = [...v][0];
    else v = (v as { inner: unknown }).inner;
  }
}

for (const depth of [0, 1, 4, 5, 8, 50]) {
  test(`a result nested ${depth} levels deep survives its scope with its values`, () => {
    const before = live();
    const r = nb.scope(() => {
      const a = nb.arange(0, 6).reshape([2, 3]);
      const tmp = a.mul(2); // a temporary, freed
      return nest(tmp.add(1), depth);
    });
    const t = unnest(r);
    assert.deepEqual(Array.from(t.data()), [1, 3, 5, 7, 9, 11]);
    assert.equal(live(), before + 1, 'only the returned tensor stays');
  });
}

test('Map keys, class instances and .grad buffers are kept; cycles do not hang', () => {
  class Holder { constructor(readonly t: Tensor) {} }
  const before = live();
  const r = nb.scope(() => {
    const k = nb.ones([2]);
    const w = nb.ones([2]).requiresGrad_(true);
    w.mul(3).sum().backward();
    const m = new Map<unknown, unknown>([[k, new Holder(nb.full([2], 5))]]);
    const cyc: Record<string, unknown> = { m, w };
    cyc['self'] = cyc;
    return cyc;
  });
  const m = r['m'] as Map<Tensor, { t: Tensor }>;
  const [[k, h]] = [...m];
  assert.deepEqual(Array.from(k!.data()), [1, 1]);
  assert.deepEqual(Array.from(h!.t.data()), [5, 5]);
  assert.deepEqual(Array.from((r['w'] as Tensor).grad!.data()), [3, 3]);
  assert.equal(live(), before + 4, 'key, holder tensor, w and w.grad');
});

test('100 nested iterations: each inner result goes to the outer scope, which frees them all', () => {
  const before = live();
  const total = nb.scope(() => {
    let acc = nb.zeros([4]);
    for (let i = 0; i < 100; i++) {
      acc = nb.scope(() => acc.add(nb.ones([4]).mul(i)));
    }
    // inner results belong to the outer scope now: 101 accumulators alive until it closes
    assert.ok(live() >= before + 100, `inner results handed outward (${live() - before} alive)`);
    return acc.sum().item();
  });
  assert.equal(total, 4 * 4950);
  assert.equal(live(), before, 'the outer scope freed every inner result');
});

test('an exception inside a scope frees its temporaries and leaves outer scopes working', () => {
  const before = live();
  assert.throws(() => nb.scope(() => { nb.ones([3]).mul(2); throw new Error('boom'); }), /boom/);
  assert.equal(live(), before);
  const kept = nb.scope(() => nb.scope(() => [nb.ones([1])]));
  assert.equal(live(), before + 1);
  assert.equal(kept[0]!.item(), 1);
});
