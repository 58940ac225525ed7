/**
 * The op table in float32 on the backend under test (npm test runs this file on NABLA_BACKEND=ts and =wasm,
 * so the wasm kernels are exercised by the same rows as the reference): every row's outputs and the
 * gradients of Σ v·outputs, computed from float32 inputs, against the same op in float64 on the same
 * (float32-representable) values. Tolerance |f32 − f64| ≤ atol + rtol·|f64|, per row (`f32` in a record
 * case) or the default below.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { opCases, type OpCase } from './ops_table.js';
import { sampleInputs, seedOf } from './op_inputs.js';

const DEFAULT = { atol: 2e-5, rtol: 2e-4 };

const outputsOf = (r: Tensor | Tensor[]): Tensor[] => (Array.isArray(r) ? r : [r]);

function run(c: OpCase, values: number[][], dtype: 'float32' | 'float64'): { outs: Float64Array[]; dtypes: string[]; grads: Float64Array[] } {
  const xs = values.map((v, i) => nb.tensor(Float64Array.from(v), { shape: c.shapes[i]!, dtype: 'float64' }).to(dtype).requiresGrad_(true));
  const outs = outputsOf(c.fn(...xs));
  const g = new nb.Generator(seedOf(c.name) ^ 0x32);
  const diff = outs.filter((o) => o.requiresGrad);
  const vs = diff.map((o) => nb.randn(o.shape, { dtype: 'float64', generator: g }).to(o.dtype));
  const grads = diff.length ? nb.autograd.grad(diff, xs, { gradOutputs: vs, allowUnused: true }) : xs.map(() => null);
  return {
    outs: outs.map((o) => Float64Array.from(o.data())),
    dtypes: outs.map((o) => o.dtype),
    grads: grads.map((gr, i) => (gr ? Float64Array.from(gr.data()) : new Float64Array(xs[i]!.numel()))),
  };
}

function compare(a: Float64Array, b: Float64Array, what: string, tol: { atol: number; rtol: number }): void {
  assert.equal(a.length, b.length, `${what}: size`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    assert.ok(Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y), `${what}[${i}]: float32 ${x}, float64 ${y}`);
  }
}

describe(`op table in float32 on the ${nb.getBackend()} backend`, () => {
  for (const c of opCases) {
    test(c.name, () => {
      // float32-representable inputs, so both precisions see the same values
      const values = sampleInputs(c).map((v) => v.map(Math.fround));
      const tol = c.f32 ?? DEFAULT;
      const lo = run(c, values, 'float32'), hi = run(c, values, 'float64');
      lo.dtypes.forEach((d, k) => assert.equal(d, c.differentiable === false ? 'bool' : 'float32', `output ${k} dtype`));
      lo.outs.forEach((o, k) => compare(o, hi.outs[k]!, `output ${k}`, tol));
      if (c.differentiable !== false) lo.grads.forEach((gr, k) => compare(gr, hi.grads[k]!, `gradient of input ${k}`, tol));
    });
  }
});
