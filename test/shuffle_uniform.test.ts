/**
 * A shuffling DataLoader gives every sample every position with equal probability (Fisher–Yates), checked by
 * a chi-square test over the n×n table of (sample, position) counts. With E epochs each cell expects E/n;
 * every row and column of the table sums to E, so under uniformity the statistic Σ (count − E/n)² / (E/n)
 * follows χ² with (n − 1)² degrees of freedom. For n = 6, df = 25, and the threshold 52.62 is χ²₂₅'s 0.999
 * quantile: a correct shuffle fails with probability 0.1% per seed (the seed is fixed, so the test is
 * deterministic; changing the generator or the seed re-draws that 0.1% chance). A biased shuffle such as
 * Sattolo's algorithm (no sample ever stays in place) gives an expected statistic of about E·n/(n − 1) ≈ 7,200.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const CHI2_DF25_P999 = 52.62;

test('DataLoader shuffle: chi-square over (sample, position) counts is below the 0.999 quantile', () => {
  const n = 6, epochs = 6000;
  const ds = new nb.data.TensorDataset(nb.arange(0, n, 1, { dtype: 'int32' }));
  const loader = new nb.data.DataLoader(ds, { batchSize: n, shuffle: true, generator: new nb.Generator(2024) });
  const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let e = 0; e < epochs; e++) {
    for (const [batch] of loader) {
      Array.from(batch.data()).forEach((sample, pos) => counts[sample as number]![pos]!++);
    }
  }
  const expected = epochs / n;
  let chi2 = 0;
  for (const row of counts) for (const c of row) chi2 += (c - expected) ** 2 / expected;
  assert.ok(chi2 < CHI2_DF25_P999, `chi-square ${chi2.toFixed(2)} ≥ ${CHI2_DF25_P999} (df 25): the shuffle is not uniform; counts ${JSON.stringify(counts)}`);
  // and every sample did stay in place sometimes (Sattolo's algorithm never lets it)
  for (let i = 0; i < n; i++) assert.ok(counts[i]![i]! > 0);
});
