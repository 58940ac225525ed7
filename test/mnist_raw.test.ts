import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMnistRaw, stratifiedSplit, MNIST_PIXELS } from '../src/data/mnistRaw.js';
import { SeededRandom, shuffleInPlace } from '../src/data/prng.js';

const mnist = loadMnistRaw();

test('loads all 10,000 digits, 784 pixels each, values in [0, 1]', () => {
  assert.equal(mnist.count, 10000);
  assert.equal(mnist.images.length, 10000 * MNIST_PIXELS);
  assert.equal(mnist.labels.length, 10000);
  let min = Infinity;
  let max = -Infinity;
  for (const v of mnist.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  // real digits, not blanks or noise: every image has ink, and only a minority of pixels are lit
  for (let n = 0; n < mnist.count; n++) {
    let lit = 0;
    for (let p = 0; p < MNIST_PIXELS; p++) if (mnist.images[n * MNIST_PIXELS + p]! > 0.5) lit++;
    assert.ok(lit > 5 && lit < 400, `image ${n} has ${lit} lit pixels`);
  }
});

test('labels cover every class and sum to 10,000; loading is deterministic', () => {
  const counts = new Array(10).fill(0);
  for (const l of mnist.labels) {
    assert.ok(Number.isInteger(l) && l >= 0 && l <= 9);
    counts[l]++;
  }
  assert.equal(counts.reduce((a, b) => a + b, 0), 10000);
  for (let c = 0; c < 10; c++) assert.ok(counts[c] > 800, `class ${c} has ${counts[c]} samples`);
  const again = loadMnistRaw();
  assert.deepEqual(again.labels, mnist.labels);
  assert.deepEqual(again.images, mnist.images);
});

test('the mean "1" is narrower than the mean "0" (labels match the pictures)', () => {
  // column spread of ink: a 1 is a vertical stroke, a 0 a wide ring
  const spread = (digit: number): number => {
    const colMass = new Float64Array(28);
    for (let n = 0; n < mnist.count; n++) {
      if (mnist.labels[n] !== digit) continue;
      for (let p = 0; p < MNIST_PIXELS; p++) colMass[p % 28]! += mnist.images[n * MNIST_PIXELS + p]!;
    }
    const total = colMass.reduce((a, b) => a + b, 0);
    const mean = colMass.reduce((a, m, c) => a + m * c, 0) / total;
    return Math.sqrt(colMass.reduce((a, m, c) => a + m * (c - mean) ** 2, 0) / total);
  };
  assert.ok(spread(1) < 0.6 * spread(0), `spread(1)=${spread(1)}, spread(0)=${spread(0)}`);
});

test('stratifiedSplit is deterministic, disjoint, complete and stratified within ±1 per class', () => {
  const a = stratifiedSplit(mnist.labels, 0.2, 42);
  const b = stratifiedSplit(mnist.labels, 0.2, 42);
  assert.deepEqual(a.train, b.train);
  assert.deepEqual(a.test, b.test);
  const c = stratifiedSplit(mnist.labels, 0.2, 43);
  assert.notDeepEqual(c.test, a.test);

  const seen = new Uint8Array(mnist.count);
  for (const i of a.train) seen[i]! += 1;
  for (const i of a.test) seen[i]! += 2;
  assert.ok(seen.every((s) => s === 1 || s === 2), 'every index in exactly one of train/test');
  for (let k = 1; k < a.test.length; k++) assert.ok(a.test[k - 1]! < a.test[k]!, 'test indices sorted');

  const perClass = new Array(10).fill(0);
  const perClassTest = new Array(10).fill(0);
  for (const l of mnist.labels) perClass[l]++;
  for (const i of a.test) perClassTest[mnist.labels[i]!]++;
  for (let cl = 0; cl < 10; cl++) {
    assert.ok(Math.abs(perClassTest[cl] - perClass[cl] * 0.2) <= 1, `class ${cl}: ${perClassTest[cl]} of ${perClass[cl]}`);
  }
  assert.ok(Math.abs(a.test.length - 2000) <= 10);
});

test('stratifiedSplit edge fractions and bad input', () => {
  const labels = new Int32Array([0, 1, 0, 1, 2]);
  assert.deepEqual(Array.from(stratifiedSplit(labels, 0, 1).train), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(stratifiedSplit(labels, 1, 1).test), [0, 1, 2, 3, 4]);
  assert.throws(() => stratifiedSplit(labels, 1.5, 1), /testFraction must be in \[0, 1\]/);
  assert.throws(() => stratifiedSplit(labels, NaN, 1), /testFraction/);
});

test('SeededRandom: reproducible, in range, roughly uniform; shuffle is a permutation', () => {
  const r1 = new SeededRandom(7);
  const r2 = new SeededRandom(7);
  const xs = Array.from({ length: 1000 }, () => r1.next());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => r2.next()));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => new SeededRandom(8).next()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));

  const rng = new SeededRandom(123);
  const bins = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) bins[rng.nextInt(6)]++;
  for (const b of bins) assert.ok(Math.abs(b - 10000) < 400, `bin count ${b}`); // ~4σ
  assert.throws(() => rng.nextInt(0), RangeError);
  assert.throws(() => rng.nextInt(2.5), RangeError);

  const arr = Int32Array.from({ length: 50 }, (_, i) => i);
  shuffleInPlace(arr, new SeededRandom(1));
  assert.notDeepEqual(Array.from(arr), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(Array.from(arr).sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  const arr2 = Int32Array.from({ length: 50 }, (_, i) => i);
  shuffleInPlace(arr2, new SeededRandom(1));
  assert.deepEqual(arr2, arr);
});
