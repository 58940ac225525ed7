/**
 * nb.data details pinned by the mutation review (tools/mutation): index checks (negative, fractional), every
 * constructor/option rejection with its message, Subset batching, randomSplit's PyTorch rounding and its
 * errors, defaultCollate for each item kind, a sampler's order and length, the per-iteration scopes
 * (what a loop frees and when), and SeededRandom's unbiased integers against a re-implementation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { SeededRandom, shuffleInPlace } from '../src/data/prng.js';

const { data } = nb;
const ds = (n: number) => new data.TensorDataset(nb.arange(0, n * 2, 1, { dtype: 'float32' }).reshape(n, 2), nb.arange(n));
const throwsMsg = (fn: () => unknown, type: ErrorConstructor, msg: string) =>
  assert.throws(fn, (e: Error) => { assert.ok(e instanceof type, `${e.name}: ${e.message}`); assert.equal(e.message, msg); return true; });

test('TensorDataset and Subset: negative indices count from the end; out-of-range and fractional indices name the caller', () => {
  const d = ds(5);
  assert.equal(d.get(-1)[1]!.item(), 4);
  assert.equal(d.get(-5)[1]!.item(), 0);
  throwsMsg(() => d.get(-6), RangeError, 'TensorDataset.get: index -6 is out of range for a dataset of length 5');
  throwsMsg(() => d.get(5), RangeError, 'TensorDataset.get: index 5 is out of range for a dataset of length 5');
  throwsMsg(() => d.get(1.5), RangeError, 'TensorDataset.get: index 1.5 is out of range for a dataset of length 5');
  const s = new data.Subset(d, Int32Array.from([4, -2, 0])); // -2 → 3
  assert.deepEqual(Array.from(s.indices), [4, 3, 0]);
  assert.equal(s.length, 3);
  assert.equal(s.get(-1)[1]!.item(), 0);
  throwsMsg(() => s.get(3), RangeError, 'Subset.get: index 3 is out of range for a dataset of length 3');
  throwsMsg(() => new data.Subset(d, Int32Array.from([5])), RangeError, 'Subset: index 5 is out of range for a dataset of length 5');
  assert.deepEqual((s.getBatch(Int32Array.from([2, -3])) as Tensor[])[1]!.dataArray(), [0, 4]);
  throwsMsg(() => s.getBatch(Int32Array.from([3])), RangeError, 'Subset.getBatch: index 3 is out of range for a dataset of length 3');
  const plain: nb.data.Dataset<number> = { length: 3, get: (i) => i * 10 };
  const ps = new data.Subset(plain, Int32Array.from([2, 0]));
  assert.equal(ps.get(0), 20);
  throwsMsg(() => ps.getBatch(Int32Array.from([0])), Error, 'Subset.getBatch: the underlying dataset has no getBatch');
});

test('TensorDataset rejections with their messages', () => {
  throwsMsg(() => new data.TensorDataset(), Error, 'TensorDataset: expected at least one tensor');
  throwsMsg(() => new data.TensorDataset(nb.zeros([2]), [1, 2] as never), TypeError, 'TensorDataset: every argument must be a Tensor');
  throwsMsg(() => new data.TensorDataset(nb.tensor(1)), Error, 'TensorDataset: tensors must have a first (sample) dimension, got a 0-d tensor');
  assert.throws(() => new data.TensorDataset(nb.zeros([3, 2]), nb.zeros([4])), /^Error: TensorDataset: size mismatch between tensors: \[3, ?2\], \[4\] \(all must share dimension 0\)$/);
});

test('randomSplit: PyTorch rounding of fractions (floors, then the remainder round-robin), and its errors', () => {
  const g = () => new nb.Generator(3);
  const sizes = (n: number, l: number[]) => data.randomSplit(ds(n), l, { generator: g() }).map((s) => s.length);
  assert.deepEqual(sizes(10, [0.25, 0.25, 0.25, 0.25]), [3, 3, 2, 2]);
  assert.deepEqual(sizes(5, [0.3, 0.7]), [2, 3]);
  assert.deepEqual(sizes(7, [1, 0]), [7, 0]); // integers summing to 1 are fractions when n ≠ 1 (torch: isclose(sum, 1))
  assert.deepEqual(sizes(1, [0, 1]), [0, 1]); // ... but lengths when n = 1
  assert.deepEqual(sizes(4, [4]), [4]);
  // the subsets are consecutive slices of one permutation (torch.randperm's draws)
  const parts = data.randomSplit(ds(9), [4, 5], { generator: g() });
  assert.deepEqual(parts.flatMap((p) => Array.from(p.indices)), Array.from(data.permutation(9, g())));
  const g1 = g(), g2 = g();
  assert.deepEqual(Array.from(data.permutation(9, g1)), nb.randperm(9, { generator: g2 }).dataArray());
  assert.equal(g1.random(), g2.random(), 'the same number of draws as randperm (n − 1)');
  throwsMsg(() => data.randomSplit(ds(4), [0.5, 0.6]), Error, 'randomSplit: fractions must be in [0, 1] and sum to 1, got [0.5, 0.6]');
  throwsMsg(() => data.randomSplit(ds(4), [1.5, -0.5]), Error, 'randomSplit: fractions must be in [0, 1] and sum to 1, got [1.5, -0.5]');
  throwsMsg(() => data.randomSplit(ds(4), [0.6, 0.6, -0.2]), Error, 'randomSplit: fractions must be in [0, 1] and sum to 1, got [0.6, 0.6, -0.2]');
  // one fractional entry makes them all fractions
  throwsMsg(() => data.randomSplit(ds(4), [2, 2.5]), Error, 'randomSplit: fractions must be in [0, 1] and sum to 1, got [2, 2.5]');
  throwsMsg(() => data.randomSplit(ds(4), [-1, 5]), Error, 'randomSplit: lengths must be non-negative, got [-1, 5]');
  throwsMsg(() => data.randomSplit(ds(4), [2, 3]), Error, 'randomSplit: sum of input lengths (5) does not equal the length of the input dataset (4)');
});

test('defaultCollate: booleans, floats, nested arrays and objects, strings; empty and ragged batches are refused', () => {
  const b = data.defaultCollate([true, false, true]) as Tensor;
  assert.equal(b.dtype, 'bool');
  assert.deepEqual(b.dataArray(), [1, 0, 1]);
  const f = data.defaultCollate([1, 2.5]) as Tensor;
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(f.dataArray(), [1, 2.5]);
  assert.equal((data.defaultCollate([1, 2]) as Tensor).dtype, 'int32');
  const nested = data.defaultCollate([{ a: [1, { c: true }] }, { a: [2, { c: false }] }]) as { a: [Tensor, { c: Tensor }] };
  assert.deepEqual(nested.a[0].dataArray(), [1, 2]);
  assert.deepEqual(nested.a[1].c.dataArray(), [1, 0]);
  assert.deepEqual(data.defaultCollate(['x', 'y']), ['x', 'y']);
  const m = new Map();
  assert.deepEqual(data.defaultCollate([m, null]), [m, null]); // not a plain object: left as a list
  assert.deepEqual(data.defaultCollate([null, null]), [null, null]);
  throwsMsg(() => data.defaultCollate([]), Error, 'defaultCollate: empty batch');
  throwsMsg(() => data.defaultCollate([[1, 2], [3]]), Error, 'defaultCollate: each element in the batch should be an array of the same length');
  throwsMsg(() => data.defaultCollate([[1, 2], 3]), Error, 'defaultCollate: each element in the batch should be an array of the same length');
});

test('DataLoader option rejections with their messages; positional (ds, batchSize, shuffle)', () => {
  const d = ds(4);
  throwsMsg(() => new data.DataLoader(d, { scopePerBatch: 1 as never }), TypeError, 'DataLoader: scopePerBatch must be true or false, got 1');
  throwsMsg(() => new data.DataLoader(d, { shuffle: 'yes' as never }), TypeError, 'DataLoader: shuffle must be true or false, got "yes"');
  throwsMsg(() => new data.DataLoader(d, { dropLast: 0 as never }), TypeError, 'DataLoader: dropLast must be true or false, got 0');
  throwsMsg(() => new data.DataLoader(d, { collate: 3 as never }), TypeError, 'DataLoader: collate must be a function (items) => batch');
  throwsMsg(() => new data.DataLoader({ length: 3 } as never), TypeError, 'DataLoader: dataset must have a numeric length and a get(i) method');
  throwsMsg(() => new data.DataLoader(null as never), TypeError, 'DataLoader: dataset must have a numeric length and a get(i) method');
  throwsMsg(() => new data.DataLoader({ length: '3', get: () => 1 } as never), TypeError, 'DataLoader: dataset must have a numeric length and a get(i) method');
  const badSampler = 'DataLoader: sampler must be an iterable of indices with a numeric length (e.g. nb.data.DistributedSampler)';
  throwsMsg(() => new data.DataLoader(d, { sampler: { length: 2 } as never }), TypeError, badSampler);
  throwsMsg(() => new data.DataLoader(d, { sampler: null as never }), TypeError, badSampler);
  throwsMsg(() => new data.DataLoader(d, { sampler: new data.DistributedSampler(d, { numReplicas: 2, rank: 0 }), shuffle: true }), Error, 'DataLoader: sampler option is mutually exclusive with shuffle');
  throwsMsg(() => new data.DataLoader(d, { batchSize: 1.5 }), RangeError, 'DataLoader: batchSize should be a positive integer, got 1.5');
  const l = new data.DataLoader(d, 3, false);
  assert.equal(l.batchSize, 3);
  assert.equal(l.shuffle, false);
  assert.equal(l.length, 2);
});

test('a dataset\'s getBatch builds the batch unless a custom collate is given', () => {
  const calls: number[][] = [];
  const d: nb.data.Dataset<number> & { getBatch(idx: Int32Array): string } = {
    length: 5, get: (i) => i, getBatch: (idx) => { calls.push(Array.from(idx)); return `batch ${Array.from(idx).join(',')}`; },
  };
  assert.deepEqual([...new data.DataLoader(d, { batchSize: 2, scopePerBatch: false })], ['batch 0,1', 'batch 2,3', 'batch 4']);
  assert.deepEqual(calls, [[0, 1], [2, 3], [4]]);
  assert.deepEqual([...new data.DataLoader(d, { batchSize: 5, collate: (its) => its.join('+'), scopePerBatch: false })], ['0+1+2+3+4']);
  assert.equal(calls.length, 3);
});

test('a sampler gives the order and the length', () => {
  const d = ds(10);
  const sampler = new data.DistributedSampler(d, { numReplicas: 3, rank: 1, shuffle: false });
  const l = new data.DataLoader(d, { sampler, batchSize: 3 });
  assert.equal(l.length, 2); // ceil(10/3) = 4 samples → 2 batches
  assert.deepEqual([...l].map(([, y]) => y!.dataArray()), [[1, 4, 7], [0]]);
  assert.equal(new data.DataLoader(d, { sampler, batchSize: 3, dropLast: true }).length, 1);
});

test('iteration scopes: a computed tensor dies when the next batch is asked for, the last lives until the next epoch', () => {
  const l = new data.DataLoader(ds(6), { batchSize: 2 });
  const made: Tensor[] = [];
  let kept: Tensor | null = null;
  for (const [x] of l) {
    const y = x!.mul(2);
    made.push(y);
    if (made.length === 1) kept = nb.keep(x!.add(1));
  }
  // the message says why and both ways out
  assert.throws(() => made[0]!.dataArray(), /created inside a DataLoader iteration that has ended, and each iteration frees its temporaries\. To keep a tensor past its iteration call nb\.keep\(t\) on it .*; to turn this off construct the DataLoader with \{scopePerBatch: false\}/);
  assert.throws(() => made[1]!.dataArray(), /DataLoader iteration that has ended/);
  assert.deepEqual(made[2]!.dataArray(), [16, 18, 20, 22]); // the last iteration outlives the loop
  assert.deepEqual(kept!.dataArray(), [1, 2, 3, 4]);
  // breaking out keeps that iteration too, and the next epoch frees it when it starts
  let last: Tensor | null = null;
  for (const [x] of l) { last = x!.neg(); break; }
  assert.deepEqual(last!.dataArray(), [-0, -1, -2, -3]);
  assert.throws(() => made[2]!.dataArray(), /DataLoader iteration that has ended/, 'the second epoch freed the first one\'s last iteration');
  const it = l[Symbol.iterator]();
  assert.equal(it[Symbol.iterator](), it);
  it.next();
  assert.throws(() => last!.dataArray(), /DataLoader iteration that has ended/);
  it.return!(undefined);
  // collecting batches without computing keeps them all
  const all = [...l];
  assert.deepEqual(all.map(([, y]) => y!.dataArray()), [[0, 1], [2, 3], [4, 5]]);
  // scopePerBatch: false frees nothing
  const free = new data.DataLoader(ds(4), { batchSize: 2, scopePerBatch: false });
  const ys: Tensor[] = [];
  for (const [x] of free) ys.push(x!.mul(3));
  assert.deepEqual(ys.map((y) => y.dataArray()), [[0, 3, 6, 9], [12, 15, 18, 21]]);
  // an error inside the dataset propagates and leaves the loader usable
  let fail = true;
  const flaky: nb.data.Dataset<number> = { length: 2, get: (i) => { if (fail && i === 1) throw new Error('bad item'); return i; } };
  const fl = new data.DataLoader(flaky, { batchSize: 1 });
  assert.throws(() => { for (const _ of fl) { /* consume */ } }, /bad item/);
  fail = false;
  assert.deepEqual([...fl].map((t) => (t as Tensor).item()), [0, 1]);
});

test('SeededRandom: unbiased integers by rejection (checked against a re-implementation), its argument checks, Fisher–Yates', () => {
  const a = new SeededRandom(11), ref = new nb.Generator(11);
  for (const n of [1, 3, 7, 1000, 2 ** 31 + 1, 2 ** 32]) {
    for (let k = 0; k < 50; k++) {
      const limit = 2 ** 32 - (2 ** 32 % n);
      let r: number;
      do r = ref.nextUint32(); while (r >= limit);
      assert.equal(a.nextInt(n), r % n, `n=${n}`);
    }
  }
  const b = new SeededRandom(5), ref2 = new nb.Generator(5);
  for (let k = 0; k < 20; k++) assert.equal(b.next(), ref2.nextUint32() / 2 ** 32);
  for (const n of [0, -1, 1.5, 2 ** 32 + 1, NaN]) throwsMsg(() => a.nextInt(n), RangeError, `SeededRandom.nextInt: n must be an integer in [1, 2^32], got ${n}`);
  for (const s of [NaN, Infinity]) throwsMsg(() => new SeededRandom(s), RangeError, `SeededRandom: seed must be a finite number, got ${s}`);
  // Fisher–Yates from the last position down, j = nextInt(i + 1)
  const arr = [0, 1, 2, 3, 4, 5], exp = arr.slice(), rng = new SeededRandom(9), rref = new SeededRandom(9);
  for (let i = exp.length - 1; i > 0; i--) { const j = rref.nextInt(i + 1); [exp[i], exp[j]] = [exp[j]!, exp[i]!]; }
  assert.equal(shuffleInPlace(arr, rng), arr);
  assert.deepEqual(arr, exp);
  // exactly n − 1 draws: the stream after the shuffle continues where the reference's does
  assert.equal(rng.nextUint32(), rref.nextUint32());
  assert.notDeepEqual(exp, [0, 1, 2, 3, 4, 5]);
});

test('DistributedSampler: every rejection with its message; -0 never leaks into numSamples; dropLast when R divides n', () => {
  const S = data.DistributedSampler;
  const four = { length: 4 };
  const badLen = 'DistributedSampler: dataset must have a non-negative integer length';
  for (const d of [null, { length: -1 }, { length: 1.5 }, { length: '3' }]) throwsMsg(() => new S(d as never, { numReplicas: 1, rank: 0 }), TypeError, badLen);
  for (const o of [null, 5]) throwsMsg(() => new S(four, o as never), TypeError, 'DistributedSampler: options must be an object {numReplicas, rank, shuffle, seed, dropLast}');
  throwsMsg(() => new S(four, { numReplicas: 1, rank: 0, drop_last: true } as never), TypeError, "DistributedSampler: unknown option 'drop_last' (did you mean dropLast?); expected numReplicas, rank, shuffle, seed, dropLast");
  throwsMsg(() => new S(four, { numReplicas: 1, rank: 0, foo: 1 } as never), TypeError, "DistributedSampler: unknown option 'foo'; expected numReplicas, rank, shuffle, seed, dropLast");
  for (const R of [0, 1.5]) throwsMsg(() => new S(four, { numReplicas: R, rank: 0 }), RangeError, `DistributedSampler: numReplicas must be a positive integer, got ${R}`);
  throwsMsg(() => new S(four, { numReplicas: 2 }), Error, 'DistributedSampler: rank not given and the default process group has not been initialized (call nb.distributed.initProcessGroup() or pass rank)');
  for (const r of [-1, 0.5]) throwsMsg(() => new S(four, { numReplicas: 2, rank: r }), RangeError, `DistributedSampler: invalid rank ${r}, rank should be in the interval [0, 1]`);
  throwsMsg(() => new S(four, { numReplicas: 2, rank: 0, shuffle: 'yes' as never }), TypeError, 'DistributedSampler: shuffle must be true or false, got "yes"');
  throwsMsg(() => new S(four, { numReplicas: 2, rank: 0, dropLast: 1 as never }), TypeError, 'DistributedSampler: dropLast must be true or false, got 1');
  for (const seed of [-1, 1.5]) throwsMsg(() => new S(four, { numReplicas: 2, rank: 0, seed }), RangeError, `DistributedSampler: seed must be a non-negative integer, got ${seed}`);
  assert.equal(new S(four, { numReplicas: 2, rank: 0, seed: 0 }).seed, 0);
  const s = new S(four, { numReplicas: 2, rank: 1 });
  for (const e of [-1, 2.5]) throwsMsg(() => s.setEpoch(e), RangeError, `DistributedSampler.setEpoch: epoch must be a non-negative integer, got ${e}`);
  // torch: num_samples = ceil((n - R) / R) with drop_last when R does not divide n, else ceil(n / R)
  const one = new S({ length: 1 }, { numReplicas: 2, rank: 1, dropLast: true });
  assert.ok(Object.is(one.length, 0), `numSamples ${one.length}`);
  assert.deepEqual(one.indices(), []);
  const even = new S(four, { numReplicas: 2, rank: 1, dropLast: true, shuffle: false });
  assert.equal(even.length, 2);
  assert.deepEqual(even.indices(), [1, 3]);
  const empty = new S({ length: 0 }, { numReplicas: 3, rank: 2 });
  assert.equal(empty.length, 0);
  assert.deepEqual(empty.indices(), []);
});

test('DataLoader: an empty epoch and a return() before the first batch end cleanly; a sampler needs a numeric length; undefined items stay a list', () => {
  // an epoch of an empty dataset ends at the first next(), before any iteration scope exists
  const empty = new data.DataLoader({ length: 0, get: (i: number) => i }, { batchSize: 2 });
  assert.deepEqual([...empty], []);
  assert.equal(empty.length, 0);
  const it = new data.DataLoader(ds(4), { batchSize: 2 })[Symbol.iterator]();
  assert.deepEqual(it.return!(undefined), { value: undefined, done: true });
  // a Set is iterable but has `size`, not `length`
  throwsMsg(() => new data.DataLoader(ds(4), { sampler: new Set([0, 1]) as never }), TypeError,
    'DataLoader: sampler must be an iterable of indices with a numeric length (e.g. nb.data.DistributedSampler)');
  // undefined (like strings) is no tensor, array or plain object: the batch is the list itself
  const items = [undefined, undefined];
  assert.equal(data.defaultCollate(items as never), items);
  assert.deepEqual([...new data.DataLoader({ length: 3, get: () => undefined }, { batchSize: 2, scopePerBatch: false })], [[undefined, undefined], [undefined]]);
});
