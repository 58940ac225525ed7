/**
 * Differential test against TensorFlow.js (cpu backend): forward values and gradients (tf.grads with
 * the same seeded cotangent) of every op both libraries have, on seeded random float32 inputs, within
 * float32 tolerance. Where tfjs has no fused op (silu, gelu-tanh) its composition is the reference.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { register } from 'node:module';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

// tfjs-core's Node bundle ships no gradients: they are registered by dist/register_all_gradients.js,
// an ES module whose imports omit the '.js' extension (it is written for bundlers). A resolve hook
// adds the extension for files inside tfjs-core/dist; the registries are global, so the gradients
// land where the bundle's engine looks for them.
const resolveHook = `
export async function resolve(specifier, context, next) {
  try { return await next(specifier, context); }
  catch (e) {
    const code = e && e.code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') && context.parentURL &&
        context.parentURL.includes('/@tensorflow/tfjs-core/dist/') && !specifier.endsWith('.js')) {
      try { return await next(specifier + '.js', context); } catch { return await next(specifier + '/index.js', context); }
    }
    throw e;
  }
}`;
register('data:text/javascript,' + encodeURIComponent(resolveHook));
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');

type TfT = tf.Tensor;
type Domain = 'real' | 'positive' | 'nonzero' | 'clampSafe';

interface DiffCase {
  name: string;
  shapes: number[][];
  nb: (...xs: Tensor[]) => Tensor;
  tf: (...xs: TfT[]) => TfT;
  domain?: Domain | Domain[];
  /** looser tolerance for ops whose float32 rounding differs more (pow, prod, std) */
  rtol?: number;
}

const i32 = (d: number[]) => nb.tensor(d, { dtype: 'int32' });
const mask = [true, false, false, true, true, false, true, false, true, true, false, false];

const cases: DiffCase[] = [
  // elementwise binary (with broadcasting)
  { name: 'add', shapes: [[3, 4], [3, 4]], nb: (a, b) => a.add(b), tf: (a, b) => tf.add(a, b) },
  { name: 'add broadcast [3,1]+[1,4]', shapes: [[3, 1], [1, 4]], nb: (a, b) => a.add(b), tf: (a, b) => tf.add(a, b) },
  { name: 'sub broadcast [2,3]-[3]', shapes: [[2, 3], [3]], nb: (a, b) => a.sub(b), tf: (a, b) => tf.sub(a, b) },
  { name: 'mul', shapes: [[3, 4], [3, 4]], nb: (a, b) => a.mul(b), tf: (a, b) => tf.mul(a, b) },
  { name: 'mul broadcast [3,1]*[1,4]', shapes: [[3, 1], [1, 4]], nb: (a, b) => a.mul(b), tf: (a, b) => tf.mul(a, b) },
  { name: 'div', shapes: [[3, 4], [3, 4]], domain: ['real', 'nonzero'], nb: (a, b) => a.div(b), tf: (a, b) => tf.div(a, b) },
  { name: 'div broadcast [2,3]/[3]', shapes: [[2, 3], [3]], domain: ['real', 'nonzero'], nb: (a, b) => a.div(b), tf: (a, b) => tf.div(a, b) },
  { name: 'pow tensor exponent', shapes: [[3, 4], [3, 4]], domain: ['positive', 'real'], nb: (a, b) => a.pow(b), tf: (a, b) => tf.pow(a, b), rtol: 5e-4 },
  { name: 'pow scalar exponent 3', shapes: [[3, 4]], nb: (a) => a.pow(3), tf: (a) => tf.pow(a, tf.scalar(3)) },
  { name: 'pow scalar exponent 0.5', shapes: [[3, 4]], domain: 'positive', nb: (a) => a.pow(0.5), tf: (a) => tf.pow(a, tf.scalar(0.5)) },
  { name: 'maximum', shapes: [[3, 4], [3, 4]], nb: (a, b) => a.maximum(b), tf: (a, b) => tf.maximum(a, b) },
  // (tfjs's Maximum/Minimum gradients do not sum back over broadcast dims, so these use equal shapes)
  { name: 'minimum', shapes: [[3, 4], [3, 4]], nb: (a, b) => a.minimum(b), tf: (a, b) => tf.minimum(a, b) },
  { name: 'where', shapes: [[3, 4], [3, 4]], nb: (a, b) => nb.where(nb.tensor(mask).reshape(3, 4), a, b), tf: (a, b) => tf.where(tf.tensor(mask, [3, 4], 'bool'), a, b) },
  // elementwise unary
  { name: 'neg', shapes: [[3, 4]], nb: (a) => a.neg(), tf: (a) => tf.neg(a) },
  { name: 'exp', shapes: [[3, 4]], nb: (a) => a.exp(), tf: (a) => tf.exp(a) },
  { name: 'log', shapes: [[3, 4]], domain: 'positive', nb: (a) => a.log(), tf: (a) => tf.log(a) },
  { name: 'sqrt', shapes: [[3, 4]], domain: 'positive', nb: (a) => a.sqrt(), tf: (a) => tf.sqrt(a) },
  { name: 'rsqrt', shapes: [[3, 4]], domain: 'positive', nb: (a) => a.rsqrt(), tf: (a) => tf.rsqrt(a) },
  { name: 'abs', shapes: [[3, 4]], domain: 'nonzero', nb: (a) => a.abs(), tf: (a) => tf.abs(a) },
  { name: 'sign', shapes: [[3, 4]], domain: 'nonzero', nb: (a) => a.sign(), tf: (a) => tf.sign(a) },
  { name: 'square', shapes: [[3, 4]], nb: (a) => a.square(), tf: (a) => tf.square(a) },
  { name: 'reciprocal', shapes: [[3, 4]], domain: 'nonzero', nb: (a) => a.reciprocal(), tf: (a) => tf.reciprocal(a) },
  { name: 'erf', shapes: [[3, 4]], nb: (a) => a.erf(), tf: (a) => tf.erf(a) },
  { name: 'log1p', shapes: [[3, 4]], domain: 'positive', nb: (a) => a.log1p(), tf: (a) => tf.log1p(a) },
  { name: 'expm1', shapes: [[3, 4]], nb: (a) => a.expm1(), tf: (a) => tf.expm1(a) },
  { name: 'sin', shapes: [[3, 4]], nb: (a) => a.sin(), tf: (a) => tf.sin(a) },
  { name: 'cos', shapes: [[3, 4]], nb: (a) => a.cos(), tf: (a) => tf.cos(a) },
  { name: 'clamp', shapes: [[3, 4]], domain: 'clampSafe', nb: (a) => a.clamp(-0.5, 0.5), tf: (a) => tf.clipByValue(a, -0.5, 0.5) },
  // activations
  { name: 'relu', shapes: [[3, 4]], domain: 'nonzero', nb: (a) => a.relu(), tf: (a) => tf.relu(a) },
  { name: 'leakyRelu 0.2', shapes: [[3, 4]], domain: 'nonzero', nb: (a) => a.leakyRelu(0.2), tf: (a) => tf.leakyRelu(a, 0.2) },
  { name: 'sigmoid', shapes: [[3, 4]], nb: (a) => a.sigmoid(), tf: (a) => tf.sigmoid(a) },
  { name: 'tanh', shapes: [[3, 4]], nb: (a) => a.tanh(), tf: (a) => tf.tanh(a) },
  { name: 'softplus', shapes: [[3, 4]], nb: (a) => a.softplus(), tf: (a) => tf.softplus(a) },
  { name: 'silu (tf: x·σ(x))', shapes: [[3, 4]], nb: (a) => a.silu(), tf: (a) => tf.mul(a, tf.sigmoid(a)) },
  {
    name: 'gelu tanh (tf: composed)', shapes: [[3, 4]], nb: (a) => a.gelu({ approximate: 'tanh' }),
    tf: (a) => tf.mul(tf.mul(a, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(a, tf.mul(0.044715, tf.pow(a, tf.scalar(3)))))))),
  },
  { name: 'gelu erf (tf: composed with tf.erf)', shapes: [[3, 4]], nb: (a) => a.gelu(), tf: (a) => tf.mul(tf.mul(a, 0.5), tf.add(1, tf.erf(tf.mul(a, Math.SQRT1_2)))) },
  // reductions
  { name: 'sum', shapes: [[3, 4]], nb: (a) => a.sum(), tf: (a) => tf.sum(a) },
  { name: 'sum axis 1', shapes: [[3, 4]], nb: (a) => a.sum(1), tf: (a) => tf.sum(a, 1) },
  { name: 'sum axes [0,2] keepdim', shapes: [[2, 3, 4]], nb: (a) => a.sum([0, 2], true), tf: (a) => tf.sum(a, [0, 2], true) },
  { name: 'mean', shapes: [[3, 4]], nb: (a) => a.mean(), tf: (a) => tf.mean(a) },
  { name: 'mean axis 0', shapes: [[3, 4]], nb: (a) => a.mean(0), tf: (a) => tf.mean(a, 0) },
  { name: 'var (population) axis 1', shapes: [[3, 5]], nb: (a) => a.var(1, { correction: 0 }), tf: (a) => tf.moments(a, 1).variance },
  { name: 'std (population)', shapes: [[3, 5]], nb: (a) => a.std(undefined, { correction: 0 }), tf: (a) => tf.sqrt(tf.moments(a).variance), rtol: 5e-4 },
  { name: 'max axis 1', shapes: [[3, 4]], nb: (a) => a.amax(1), tf: (a) => tf.max(a, 1) },
  { name: 'max (all)', shapes: [[3, 4]], nb: (a) => a.max(), tf: (a) => tf.max(a) },
  { name: 'min axis 0 keepdim', shapes: [[3, 4]], nb: (a) => a.min(0, true).values, tf: (a) => tf.min(a, 0, true) },
  // (prod is left out: tfjs's Prod gradient calls a chained method missing from tensors made by its Node bundle)
  { name: 'logsumexp axis 1', shapes: [[3, 4]], nb: (a) => a.logsumexp(1), tf: (a) => tf.logSumExp(a, 1) },
  { name: 'logsumexp (all)', shapes: [[3, 4]], nb: (a) => a.logsumexp(), tf: (a) => tf.logSumExp(a) },
  // matmul
  { name: 'matmul 2-D', shapes: [[3, 4], [4, 5]], nb: (a, b) => a.matmul(b), tf: (a, b) => tf.matMul(a, b) },
  { name: 'matmul batched', shapes: [[2, 3, 4], [2, 4, 5]], nb: (a, b) => a.matmul(b), tf: (a, b) => tf.matMul(a, b) },
  { name: 'matmul with transposed operands', shapes: [[4, 3], [5, 4]], nb: (a, b) => a.T.matmul(b.T), tf: (a, b) => tf.matMul(a, b, true, true) },
  { name: 'linear (x·Wᵀ + b)', shapes: [[5, 3], [4, 3], [4]], nb: (x, w, b) => nb.linear(x, w, b), tf: (x, w, b) => tf.add(tf.matMul(x, w, false, true), b) },
  // movement
  { name: 'transpose', shapes: [[3, 4]], nb: (a) => a.T, tf: (a) => tf.transpose(a) },
  { name: 'permute', shapes: [[2, 3, 4]], nb: (a) => a.permute(2, 0, 1), tf: (a) => tf.transpose(a, [2, 0, 1]) },
  { name: 'reshape', shapes: [[2, 3, 4]], nb: (a) => a.reshape(4, 6), tf: (a) => tf.reshape(a, [4, 6]) },
  { name: 'unsqueeze / expandDims', shapes: [[3, 4]], nb: (a) => a.unsqueeze(1), tf: (a) => tf.expandDims(a, 1) },
  { name: 'squeeze', shapes: [[3, 1, 4]], nb: (a) => a.squeeze(1), tf: (a) => tf.squeeze(a, [1]) },
  { name: 'expand / broadcastTo', shapes: [[3, 1]], nb: (a) => a.expand(2, 3, 4), tf: (a) => tf.broadcastTo(a, [2, 3, 4]) },
  { name: 'slice', shapes: [[4, 5]], nb: (a) => a.slice(0, 1, 3).slice(1, 2, 5), tf: (a) => tf.slice(a, [1, 2], [2, 3]) },
  { name: 'cat / concat axis 1', shapes: [[2, 3], [2, 2]], nb: (a, b) => nb.cat([a, b], 1), tf: (a, b) => tf.concat([a, b], 1) },
  { name: 'stack', shapes: [[2, 3], [2, 3]], nb: (a, b) => nb.stack([a, b], 1), tf: (a, b) => tf.stack([a, b], 1) },
  { name: 'indexSelect / gather axis 0', shapes: [[4, 3]], nb: (a) => a.indexSelect(0, i32([3, 0, 3, 1])), tf: (a) => tf.gather(a, tf.tensor1d([3, 0, 3, 1], 'int32'), 0) },
  { name: 'indexSelect / gather axis 1', shapes: [[2, 5]], nb: (a) => a.indexSelect(1, i32([4, 4, 0])), tf: (a) => tf.gather(a, tf.tensor1d([4, 4, 0], 'int32'), 1) },
  // a small network end to end
  {
    name: 'MLP: relu(x·W1 + b1)·W2 → logsumexp', shapes: [[4, 3], [3, 5], [5], [5, 2]],
    nb: (x, w1, b1, w2) => x.matmul(w1).add(b1).relu().matmul(w2).logsumexp(1),
    tf: (x, w1, b1, w2) => tf.logSumExp(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), 1),
  },
];

// softmax / logSoftmax are compared once nabla exports them (src/ops/nn is another engineer's work)
const nbAny = nb as unknown as Record<string, unknown>;
if (typeof nbAny.softmax === 'function') {
  const softmax = nbAny.softmax as (x: Tensor, dim: number) => Tensor;
  cases.push({ name: 'softmax', shapes: [[3, 5]], nb: (a) => softmax(a, -1), tf: (a) => tf.softmax(a) });
}
if (typeof nbAny.logSoftmax === 'function') {
  const logSoftmax = nbAny.logSoftmax as (x: Tensor, dim: number) => Tensor;
  cases.push({ name: 'logSoftmax', shapes: [[3, 5]], nb: (a) => logSoftmax(a, -1), tf: (a) => tf.logSoftmax(a) });
}

function draw(d: Domain, g: nb.Generator): number {
  switch (d) {
    case 'real': return g.normal();
    case 'positive': return 0.5 + 1.5 * g.random();
    case 'nonzero': return (g.random() < 0.5 ? -1 : 1) * (0.3 + 1.2 * g.random());
    case 'clampSafe': for (;;) { const v = g.normal(); if (Math.abs(Math.abs(v) - 0.5) > 0.05) return v; }
  }
}

function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: size`);
  const atol = 1e-5;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: nabla ${a} vs tfjs ${e}`);
  }
}

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('nabla vs TensorFlow.js (cpu), float32', () => {
  cases.forEach((c, ci) => {
    test(c.name, () => {
      const g = new nb.Generator(1000 + ci);
      const values = c.shapes.map((s, i) => {
        const d: Domain = Array.isArray(c.domain) ? c.domain[i]! : c.domain ?? 'real';
        return Float32Array.from({ length: s.reduce((p, q) => p * q, 1) }, () => draw(d, g));
      });
      const rtol = c.rtol ?? 1e-4;

      // nabla: forward and vector-Jacobian product with a seeded cotangent
      const xs = values.map((v, i) => nb.tensor(v, { shape: c.shapes[i]! }).requiresGrad_());
      const y = c.nb(...xs);
      assert.equal(y.dtype, 'float32');
      const dyVals = Float32Array.from({ length: y.numel() }, () => g.normal());
      const grads = nb.autograd.grad(y, xs, { gradOutputs: nb.tensor(dyVals, { shape: y.shape }) });

      tf.tidy(() => {
        const txs = values.map((v, i) => tf.tensor(v, c.shapes[i]!, 'float32'));
        const ty = c.tf(...txs);
        assert.deepEqual([...y.shape], ty.shape, 'output shape');
        compare(y.data(), ty.dataSync(), rtol, 'forward');
        const tgrads = tf.grads((...a: TfT[]) => c.tf(...a))(txs, tf.tensor(dyVals, ty.shape, 'float32'));
        tgrads.forEach((tg, i) => {
          assert.deepEqual([...grads[i]!.shape], tg.shape, `gradient ${i} shape`);
          assert.equal(grads[i]!.dtype, 'float32');
          compare(grads[i]!.data(), tg.dataSync(), rtol, `gradient ${i}`);
        });
      });
    });
  });

  test('tf.variableGrads agrees for a loss over variables (MSE of a linear model)', () => {
    const g = new nb.Generator(77);
    const xv = Float32Array.from({ length: 12 }, () => g.normal());
    const wv = Float32Array.from({ length: 6 }, () => g.normal());
    const tv = Float32Array.from({ length: 8 }, () => g.normal());
    const w = nb.tensor(wv, { shape: [3, 2] }).requiresGrad_();
    const loss = nb.tensor(xv, { shape: [4, 3] }).matmul(w).sub(nb.tensor(tv, { shape: [4, 2] })).square().mean();
    loss.backward();
    tf.tidy(() => {
      const tw = tf.variable(tf.tensor(wv, [3, 2]), true, 'w');
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.matMul(tf.tensor(xv, [4, 3]), tw), tf.tensor(tv, [4, 2])))) as tf.Scalar);
      compare([loss.item()], value.dataSync(), 1e-4, 'loss');
      compare(w.grad!.data(), grads.w!.dataSync(), 1e-4, 'w.grad');
      tw.dispose();
    });
  });
});
