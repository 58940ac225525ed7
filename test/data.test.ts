/** nb.data (Dataset, TensorDataset, DataLoader, randomSplit) and nb.datasets.mnist(). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { data } = nb;

function ds(n: number) {
  const x = nb.arange(0, n * 2, 1, { dtype: 'float32' }).reshape(n, 2);
  const y = nb.arange(n);
  return new data.TensorDataset(x, y);
}

test('TensorDataset: get and getBatch', () => {
  const d = ds(5);
  assert.equal(d.length, 5);
  const [x, y] = d.get(3);
  assert.deepEqual(x!.dataArray(), [6, 7]);
  assert.equal(y!.item(), 3);
  const [xb, yb] = d.getBatch(Int32Array.from([4, 0]));
  assert.deepEqual(xb!.toArray(), [[8, 9], [0, 1]]);
  assert.deepEqual(yb!.dataArray(), [4, 0]);
  assert.throws(() => d.get(5), RangeError);
  assert.throws(() => new data.TensorDataset(nb.zeros([3]), nb.zeros([4])), /size mismatch/);
});

test('DataLoader: batch counts, order, dropLast', () => {
  const d = ds(10);
  const l = new data.DataLoader(d, { batchSize: 4 });
  assert.equal(l.length, 3);
  const batches = [...l];
  assert.equal(batches.length, 3);
  assert.deepEqual(batches.map(([, y]) => y!.dataArray()), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  assert.deepEqual(batches[0]![0]!.shape, [4, 2]);
  const dl = new data.DataLoader(d, { batchSize: 4, dropLast: true });
  assert.equal(dl.length, 2);
  assert.deepEqual([...dl].map(([, y]) => y!.numel()), [4, 4]);
  assert.equal(new data.DataLoader(d).length, 10);
  assert.equal(new data.DataLoader(ds(8), { batchSize: 4, dropLast: true }).length, 2);
  assert.throws(() => new data.DataLoader(d, { batchSize: 0 }), RangeError);
});

test('DataLoader: shuffle covers every index once per epoch, deterministic under a seed', () => {
  const d = ds(23);
  const epochs = (seed: number) => {
    const l = new data.DataLoader(d, { batchSize: 5, shuffle: true, generator: new nb.Generator(seed) });
    return [0, 1, 2].map(() => [...l].flatMap(([, y]) => y!.dataArray()));
  };
  const a = epochs(7), b = epochs(7), c = epochs(8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (const e of a) assert.deepEqual([...e].sort((p, q) => p - q), [...Array(23).keys()]);
  assert.notDeepEqual(a[0], a[1], 'each epoch draws a new order');
  assert.notDeepEqual(a[0], [...Array(23).keys()]);
});

test('DataLoader: default collate of items (tensors, numbers, objects) and custom collate', () => {
  const items = [0, 1, 2, 3, 4].map((i) => ({ x: nb.tensor([i, i * 10]), label: i, w: i / 2, flag: i % 2 === 0 }));
  const dataset: nb.data.Dataset<(typeof items)[number]> = { length: items.length, get: (i) => items[i]! };
  const l = new data.DataLoader(dataset, { batchSize: 3 });
  const [first, second] = [...l];
  assert.deepEqual(first!.x.toArray(), [[0, 0], [1, 10], [2, 20]]);
  assert.equal(first!.label.dtype, 'int32');
  assert.deepEqual(first!.label.dataArray(), [0, 1, 2]);
  assert.equal(first!.w.dtype, 'float32');
  assert.deepEqual(first!.flag.dataArray(), [1, 0, 1]);
  assert.deepEqual(second!.x.shape, [2, 2]);
  // tuples
  const tup: nb.data.Dataset<[Tensor, number]> = { length: 4, get: (i) => [nb.full([3], i), i] };
  const [[xb, yb]] = [...new data.DataLoader(tup, { batchSize: 4 })];
  assert.deepEqual(xb.shape, [4, 3]);
  assert.deepEqual(yb.dataArray(), [0, 1, 2, 3]);
  // custom collate
  const sums = [...new data.DataLoader(tup, { batchSize: 2, collate: (its) => its.reduce((s, [, y]) => s + y, 0) })];
  assert.deepEqual(sums, [1, 5]);
  // a TensorDataset with a custom collate goes through get()
  const viaGet = [...new data.DataLoader(ds(3), { batchSize: 3, collate: (its) => its.length })];
  assert.deepEqual(viaGet, [3]);
});

test('randomSplit: sizes, disjointness, fractions, determinism', () => {
  const d = ds(10);
  const [a, b, c] = data.randomSplit(d, [5, 3, 2], { generator: new nb.Generator(1) });
  assert.deepEqual([a!.length, b!.length, c!.length], [5, 3, 2]);
  const all = [a!, b!, c!].flatMap((s) => Array.from(s.indices));
  assert.deepEqual([...all].sort((p, q) => p - q), [...Array(10).keys()]);
  assert.equal(a!.get(0)[1]!.item(), a!.indices[0]);
  const again = data.randomSplit(d, [5, 3, 2], { generator: new nb.Generator(1) });
  assert.deepEqual(Array.from(again[0]!.indices), Array.from(a!.indices));
  // fractions: floor then round-robin remainder (PyTorch)
  const f = data.randomSplit(ds(11), [0.5, 0.3, 0.2], { generator: new nb.Generator(2) });
  assert.deepEqual(f.map((s) => s.length), [6, 3, 2]);
  assert.throws(() => data.randomSplit(d, [5, 4]), /sum of input lengths/);
  // a subset of a TensorDataset batches through indexSelect too
  const l = new data.DataLoader(a!, { batchSize: 5 });
  const [[xb, yb]] = [...l] as Tensor[][];
  assert.deepEqual(yb!.dataArray(), Array.from(a!.indices));
  assert.deepEqual(xb!.shape, [5, 2]);
});

test('nb.datasets.mnist(): 10,000 digits, stratified split, shapes and dtypes', () => {
  const { train, test: testSet } = nb.datasets.mnist();
  const n = train.labels.numel() + testSet.labels.numel();
  assert.equal(n, 10000);
  assert.deepEqual(train.images.shape, [train.labels.numel(), 1, 28, 28]);
  assert.deepEqual(testSet.images.shape, [testSet.labels.numel(), 1, 28, 28]);
  assert.equal(train.images.dtype, 'float32');
  assert.equal(train.labels.dtype, 'int32');
  assert.ok(Math.abs(testSet.labels.numel() - 10000 / 6) <= 10);
  // stratified: each class's test share is ≈ 1/6
  const count = (t: Tensor) => { const c = new Array(10).fill(0); for (const y of t.dataArray()) c[y]++; return c; };
  const ctr = count(train.labels), cte = count(testSet.labels);
  for (let k = 0; k < 10; k++) {
    assert.ok(ctr[k] > 0 && cte[k] > 0);
    assert.ok(Math.abs(cte[k] - (ctr[k] + cte[k]) / 6) <= 0.5 + 1e-9, `class ${k}: ${cte[k]} of ${ctr[k] + cte[k]}`);
  }
  const px = testSet.images.dataArray();
  assert.ok(px.every((v) => v >= 0 && v <= 1));
  assert.ok(px.some((v) => v > 0.5));
  // reproducible, and flatten gives [n, 784]
  const again = nb.datasets.mnist({ flatten: true });
  assert.deepEqual(again.test.images.shape, [testSet.labels.numel(), 784]);
  assert.deepEqual(again.test.labels.dataArray(), testSet.labels.dataArray());
});
