/**
 * The conformance suite every backend runs: `describeBackend(name, factory)` starts the backend the factory makes
 * and runs the whole op table on it —
 *   float32: every row's outputs and the gradients of Σ v·outputs against the same op in float64 on the same
 *            (float32-representable) values, within the row's `f32` tolerance (or the default below), so the SIMD
 *            kernels are exercised by the same rows as the reference;
 *   float64 (where the backend's capabilities list it): outputs against the row's float64 reference and the
 *            gradients against the reference (`ts`) backend in float64.
 * The rows come from test/ops_table.ts (the op records' cases plus the hand-written rows), their inputs from
 * test/op_inputs.ts: one shared sampler for every suite that runs the table.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Backend, Tensor } from '../src/index.js';
import { opCases, type Arr, type OpCase } from './ops_table.js';
import { sampleInputs, seedOf } from './op_inputs.js';

/** |f32 − f64| ≤ atol + rtol·|f64| unless a row gives its own `f32` */
export const F32_DEFAULT = { atol: 2e-5, rtol: 2e-4 };

const outputsOf = (r: Tensor | Tensor[]): Tensor[] => (Array.isArray(r) ? r : [r]);

interface Run { outs: Float64Array[]; dtypes: string[]; grads: Float64Array[] }

/** outputs and gradients of Σ v·outputs (v seeded by the row's name) of a row on `backend` in `dtype` */
function run(c: OpCase, values: number[][], dtype: 'float32' | 'float64', backend: string): Run {
  const prev = nb.getBackend();
  void nb.setBackend(backend); // started backends switch synchronously
  try {
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
  } finally {
    void nb.setBackend(prev);
  }
}

function compare(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol: { atol: number; rtol: number }): void {
  assert.equal(a.length, b.length, `${what}: size`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (Object.is(x, y) || x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    assert.ok(Math.abs(x - y) <= tol.atol + tol.rtol * Math.abs(y), `${what}[${i}]: got ${x}, expected ${y}`);
  }
}

/** Run the op table on the backend `factory` makes (registered under `name` unless a backend of that name exists). */
export async function describeBackend(name: string, factory: () => Backend | Promise<Backend>): Promise<void> {
  if (!nb.listBackends().includes(name)) nb.registerBackendFactory(name, async () => factory());
  await nb.initBackend(name);
  const caps = nb.backendCapabilities(name);
  const outDtype = (c: OpCase, float: string) => (c.differentiable === false ? 'bool' : float);

  describe(`op table on the ${name} backend`, () => {
    let prev = '';
    before(() => { prev = nb.getBackend(); });
    after(() => { void nb.setBackend(prev); });

    describe('float32 against float64', () => {
      for (const c of opCases) {
        test(c.name, () => {
          // float32-representable inputs, so both precisions see the same values
          const values = sampleInputs(c).map((v) => v.map(Math.fround));
          const tol = c.f32 ?? F32_DEFAULT;
          const lo = run(c, values, 'float32', name);
          const hi = run(c, values, caps.dtypes.includes('float64') ? 'float64' : 'float32', caps.dtypes.includes('float64') ? name : 'ts');
          lo.dtypes.forEach((d, k) => assert.equal(d, outDtype(c, 'float32'), `output ${k} dtype`));
          lo.outs.forEach((o, k) => compare(o, hi.outs[k]!, `output ${k}`, tol));
          if (c.differentiable !== false) lo.grads.forEach((gr, k) => compare(gr, hi.grads[k]!, `gradient of input ${k}`, tol));
        });
      }
    });

    if (caps.dtypes.includes('float64')) {
      describe('float64 against the reference', () => {
        for (const c of opCases) {
          test(c.name, () => {
            const values = sampleInputs(c);
            const got = run(c, values, 'float64', name);
            got.dtypes.forEach((d, k) => assert.equal(d, outDtype(c, 'float64'), `output ${k} dtype`));
            if (c.ref) {
              const r = c.ref(...values.map((v, i): Arr => ({ shape: c.shapes[i]!.slice(), data: v.slice() })));
              (Array.isArray(r) ? r : [r]).forEach((a, k) => compare(got.outs[k]!, a.data, `output ${k} vs the float64 reference`, { atol: 1e-12, rtol: 1e-10 }));
            }
            if (c.differentiable !== false && name !== 'ts') {
              const want = run(c, values, 'float64', 'ts');
              got.grads.forEach((gr, k) => compare(gr, want.grads[k]!, `gradient of input ${k} vs the ts backend`, { atol: 1e-12, rtol: 1e-10 }));
            }
          });
        }
      });
    }
  });
}
