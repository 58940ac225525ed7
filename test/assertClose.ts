/** Shared assertion of the kernel tests: elementwise |actual − expected| ≤ atol + rtol·|expected| (atol may vary per element). */
import assert from 'node:assert/strict';

/** NaN must meet NaN and ±Inf must meet itself exactly; everything else within atol + rtol·|expected|. */
export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number | ((i: number) => number), what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e)) { assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`); continue; }
    if (!Number.isFinite(e)) { assert.equal(a, e, `${what}[${i}]`); continue; }
    const at = typeof atol === 'number' ? atol : atol(i);
    assert.ok(Math.abs(a - e) <= at + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e}`);
  }
}
