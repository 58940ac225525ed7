/**
 * The fused GELU backward in WGSL (webgpu geluBackward, one shader for the six element-wise passes of the composed
 * form) against the float64 reference kernel of the ts backend: x over [−12, 12] plus the edge points (±0, ±Inf,
 * NaN, large |x|), g contiguous and as a transposed (strided) view. Runs in Node and in Chromium.
 */
import * as nb from '../../src/index.js';
import { backendNamed } from '../../src/backends/registry.js';
import type { Backend } from '../../src/backends/backend.js';

/** |dx − ref| ≤ 3e-7·|g| + 2e-6·|ref|: Φ from the WGSL erf (|error| < 1.5e-7), the rest float32 rounding */
function check(what: string, x: ArrayLike<number>, g: ArrayLike<number>, got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (Number.isNaN(b) ? Number.isNaN(a) : Math.abs(a - b) <= 3e-7 * Math.abs(g[i]!) + 2e-6 * Math.abs(b)) continue;
    return `geluBackward ${what}: x = ${x[i]}, g = ${g[i]}: got ${a}, expected ${b}`;
  }
  return null;
}

export async function runGeluBackward(): Promise<{ failures: string[]; n: number }> {
  const failures: string[] = [];
  const gen = new nb.Generator(21);
  const edges = [0, -0, Infinity, -Infinity, NaN, 13.5, -13.5, 40, -40, 1e-20, -1e-20, 5, -5, 0.5, -0.5];
  const xs = Float32Array.from([...edges, ...Array.from({ length: 12 * 16 - edges.length }, () => (gen.random() - 0.5) * 24)]);
  const gs = Float32Array.from(xs, () => gen.normal());
  const rows = 12, cols = 16;
  for (const strided of [false, true]) {
    const run = async (name: string): Promise<Float32Array> => {
      await nb.setBackend(name);
      const be = backendNamed(name) as Backend;
      const x = nb.tensor(xs, { shape: [rows, cols] });
      // the strided g: a transpose of the [cols, rows] layout of the same values
      const g = strided ? nb.tensor(Float32Array.from({ length: rows * cols }, (_, k) => gs[(k % rows) * cols + Math.floor(k / rows)]!), { shape: [cols, rows] }).T : nb.tensor(gs, { shape: [rows, cols] });
      const dx = nb.Tensor.fromData(be, be.geluBackward!(x.backendView(), g.backendView()), [rows, cols], 'float32');
      return (await dx.dataAsync()) as Float32Array;
    };
    try {
      const got = await run('webgpu');
      const want = await run('ts');
      const err = check(strided ? 'strided g' : 'contiguous', xs, gs, got, want);
      if (err) failures.push(err);
    } catch (e) {
      failures.push(`geluBackward: threw ${(e as Error).stack ?? e}`);
    } finally {
      await nb.setBackend('ts');
    }
  }
  return { failures, n: xs.length };
}
