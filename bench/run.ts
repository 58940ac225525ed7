/**
 * Benchmark: nabla backends vs TensorFlow.js (wasm, cpu) and jax-js (wasm) in one process, on the same
 * shapes. Reports medians of several timed runs (after warm-up, so V8 has tiered the wasm up), tables
 * with nabla/peer ratios, and bench/results.json. NumPy (if python3 + numpy exist) is the native ceiling.
 *
 * Sections (run all, or name some: `node dist/bench/run.js matmul train`):
 *   elementwise  add, mul, exp, GELU, sum, softmax, cross-entropy fwd+bwd in GB/s at 1M and 16M elements, next to a plain copy
 *   matmul       GFLOP/s at 128³…2048³ and at the MNIST MLPs' forward / xᵀ·dy / dy·Wᵀ shapes
 *   conv         conv2d forward and forward+backward at the MNIST CNN's two layers (batch 64)
 *   train        one full training step (forward, backward, AdamW) of MLP 784-256-10 (batch 128),
 *                MLP 784-1024-1024-10 (batch 256) and the CNN (batch 64), ms/step
 *   gpt          the GPT job (bench/gpt.ts): fused vs composed attention, the nanoGPT-recipe step in nabla and jax-js, GPT-2-124M step
 *
 * Phases: everything without V8's relaxed-SIMD flag first; then the flag is set (process-wide) and nabla's
 * matmuls and training steps are re-measured with f32x4.relaxed_madd (nabla's default where available),
 * so the peers never run under the flag. (jax-js has a relaxed-madd path too; it probes once, in phase 1.)
 *
 * Slow cases are capped: a case stops after ~5 s of timed runs (at least 3 runs; 1 warm-up when one run
 * takes over a second, and 1 timed run when it takes over 2 s); the tables mark medians of fewer than 5
 * runs with '*'.
 *
 * Env: NABLA_BENCH_QUICK=1 uses fewer repetitions; NABLA_BENCH_ONLY=matmul,… is the same as the arguments.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { register } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import * as jax from '@jax-js/jax';
import type { Backend, View } from '../src/backends/backend.js';
import { createWasmBackend, type WasmBackend } from '../src/backends/wasm/index.js';
import { currentBackend } from '../src/backends/registry.js';

// tfjs-core's Node bundle registers no gradients; its ESM gradient modules use extensionless relative imports,
// which Node's resolver rejects: retry those with '.js' (they share tfjs' global engine and registries)
register('data:text/javascript,' + encodeURIComponent(`export async function resolve(s, c, n) {
  try { return await n(s, c); } catch (e) {
    if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'ERR_UNSUPPORTED_DIR_IMPORT') && s.startsWith('.')) return n(s + '.js', c);
    throw e;
  }
}`));
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');

// nabla's default backend turns the relaxed-SIMD flag on at import; phase 1 must run without it
const userRelaxed = process.env.NABLA_RELAXED_SIMD;
process.env.NABLA_RELAXED_SIMD = '0';
const nb = await import('../src/index.js');
type T = InstanceType<typeof nb.Tensor>;

const QUICK = process.env.NABLA_BENCH_QUICK === '1';
const SECTIONS = ['elementwise', 'matmul', 'conv', 'train', 'gpt', 'jvp'] as const;
type Section = (typeof SECTIONS)[number];
const wanted = [...process.argv.slice(2), ...(process.env.NABLA_BENCH_ONLY ?? '').split(',')].map((s) => s.trim()).filter(Boolean);
for (const w of wanted) if (!SECTIONS.includes(w as Section)) throw new Error(`bench: unknown section "${w}"; sections: ${SECTIONS.join(', ')}`);
const run = (s: Section): boolean => wanted.length === 0 || wanted.includes(s);

/** a case stops after this many ms of timed runs (but runs at least 3 times, or once when a run takes over 2 s) */
const CAP_MS = 5000;
let lastReps = 0;

/** median ms of fn over ≥ minReps runs lasting ≥ minMs in total (after `warm` untimed runs); capped, see CAP_MS */
const WARM_MS = QUICK ? 30 : 100;

async function timeit(fn: () => unknown | Promise<unknown>, opts: { warm?: number; minReps?: number; minMs?: number; maxReps?: number } = {}): Promise<number> {
  const { warm = 2, minReps = QUICK ? 3 : 5, minMs = QUICK ? 100 : 400, maxReps = 50 } = opts;
  // warm up for `warm` runs and at least WARM_MS: a fast case needs more than two runs before the engines'
  // optimising compilers (V8's for JavaScript, on every worker thread too) have caught up with it
  fullGc(); // start each case with no garbage of the previous one
  let slowest = 0;
  const warmStart = performance.now();
  for (let i = 0; i < warm || (performance.now() - warmStart < WARM_MS && i < 5000); i++) {
    const t0 = performance.now();
    await fn();
    slowest = Math.max(slowest, performance.now() - t0);
    if (slowest > 1000) break; // a slow case: one warm-up is enough
  }
  // a very slow case (a warm-up run over 2 s) is timed once
  const t: number[] = [];
  const start = performance.now();
  while (t.length < minReps || (performance.now() - start < minMs && t.length < maxReps)) {
    const least = Math.max(slowest, t[0] ?? 0) > 2000 ? 1 : 3;
    if (t.length >= least && performance.now() - start > CAP_MS) break;
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  lastReps = t.length;
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

type Kind = 'matmul' | 'elementwise' | 'conv' | 'train';
interface Row { kind: Kind; case: string; impl: string; ms: number; value: number; unit: string; reps: number; note?: string; }
const rows: Row[] = [];
const notes: string[] = [];
const record = (kind: Kind, c: string, impl: string, ms: number, value: number, unit: string, note?: string): void => {
  rows.push({ kind, case: c, impl, ms, value, unit, reps: lastReps, ...(note ? { note } : {}) });
  const v = unit === 'ms' ? '' : `${value.toFixed(2).padStart(9)} ${unit}`;
  console.log(`  ${c.padEnd(24)} ${impl.padEnd(18)} ${ms.toFixed(3).padStart(10)} ms ${v}${lastReps < 5 ? ` (${lastReps} runs)` : ''}${note ? `  ${note}` : ''}`);
};
/** run a peer's case; a missing kernel or unsupported op becomes a note instead of ending the run */
async function attempt(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const msg = `${what}: not measured (${(e as Error).message.split('\n')[0]})`;
    console.log(`  ${msg}`);
    notes.push(msg);
  }
}
const pause = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

// a full garbage collection between sections: the peers leave hundreds of MB of JavaScript garbage (tfjs-cpu's
// training step alone allocates GBs), and collecting it inside a later case's timed runs charged nabla's
// relaxed-SIMD training steps, measured last, up to 2× (4.1 ms against 2.2 for the small MLP)
v8.setFlagsFromString('--expose-gc');
const fullGc = vm.runInNewContext('gc') as () => void;

/** collect garbage, then let background threads (GC, optimising compiler, peers' pools) go quiet */
async function settle(): Promise<void> {
  fullGc();
  await pause(1000);
}

/** seeded uniform [-1, 1) data, so every implementation sees the same inputs */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = seeded(1234);
const rand = (n: number, scale = 1): Float32Array => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = (rng() * 2 - 1) * scale; return a; };
/** standard normal draws (Box–Muller): GELU is timed on N(0,1) data, what pre-activations look like */
const randn = (n: number): Float32Array => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()); return a; };
/** input of an element-wise case */
const ewInput = (c: { op: string; n: number }): Float32Array => (c.op === 'gelu' ? randn(c.n) : rand(c.n));
const randInt = (n: number, k: number): Int32Array => { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = Math.floor(rng() * k); return a; };

/** make `be` the backend new nabla tensors are created on while fn runs */
async function onBackend<R>(be: Backend, fn: () => R | Promise<R>): Promise<R> {
  const prevName = nb.getBackend();
  const prev = currentBackend();
  nb.registerBackend(be);
  nb.setBackend(be.name);
  try {
    return await fn();
  } finally {
    nb.registerBackend(prev);
    nb.setBackend(prevName);
  }
}

// ---- cases ------------------------------------------------------------------------------------
interface MatCase { name: string; M: number; K: number; N: number; ta: boolean; tb: boolean; }
type EwOp = 'copy' | 'add' | 'mul' | 'exp' | 'gelu' | 'sum' | 'softmax' | 'xent';
interface EwCase { op: EwOp; n: number; }

const sizes = [128, 256, 512, 1024, 2048];
const matCases: MatCase[] = run('matmul') ? [
  ...sizes.map((s) => ({ name: `${s}³`, M: s, K: s, N: s, ta: false, tb: false })),
  // the three products of a linear layer (W stored [in, out]): forward x·W, weight gradient xᵀ·dy, input gradient dy·Wᵀ
  // MLP 784-256-10 at batch 128, first layer
  { name: 'x·W 128×784×256', M: 128, K: 784, N: 256, ta: false, tb: false },
  { name: 'xᵀ·dy 784×128×256', M: 784, K: 128, N: 256, ta: true, tb: false },
  { name: 'dy·Wᵀ 128×256×784', M: 128, K: 256, N: 784, ta: false, tb: true },
  // MLP 784-1024-1024-10 at batch 256, hidden layer
  { name: 'x·W 256×1024×1024', M: 256, K: 1024, N: 1024, ta: false, tb: false },
  { name: 'xᵀ·dy 1024×256×1024', M: 1024, K: 256, N: 1024, ta: true, tb: false },
  { name: 'dy·Wᵀ 256×1024×1024', M: 256, K: 1024, N: 1024, ta: false, tb: true },
] : [];
/** the slow portable peers (nabla-ts, tfjs-cpu) only up to this many multiply-adds */
const SLOW_MAX = 512 ** 3;
const ewCases: EwCase[] = [];
if (run('elementwise')) for (const n of [1 << 20, 1 << 24]) for (const op of ['copy', 'add', 'mul', 'exp', 'gelu', 'sum', 'softmax', 'xent'] as const) ewCases.push({ op, n });
/** bytes moved per element: reads + writes (xent: cross-entropy forward reads the logits, backward reads them and writes their gradient) */
const ewBytes: Record<EwOp, number> = { copy: 8, add: 12, mul: 12, exp: 8, gelu: 8, sum: 4, softmax: 8, xent: 12 };
/** softmax and cross-entropy run over rows of this length */
const ROW = 1024;
const ewName = (c: EwCase): string => `${c.op} ${c.n === 1 << 20 ? '1M' : '16M'}`;
const gflops = (c: MatCase, ms: number): number => (2 * c.M * c.N * c.K) / ms / 1e6;
const gbs = (c: EwCase, ms: number): number => (ewBytes[c.op] * c.n) / ms / 1e6;

// ---- nabla kernels ------------------------------------------------------------------------------
function view<D>(data: D, shape: number[], strides: number[]): View<D> {
  return { data, dtype: 'float32', shape, strides, offset: 0 };
}

/** run small and medium matmuls on `be` for `ms` milliseconds (results discarded) */
async function warmUpMatmul(be: Backend, ms: number): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (const [M, K, N] of [[128, 128, 128], [256, 256, 256], [128, 784, 256]] as const) {
      const a = be.fromArray('float32', rand(M * K)), b = be.fromArray('float32', rand(K * N));
      for (let i = 0; i < 10; i++) be.dispose(be.matmul(view(a, [1, M, K], [0, K, 1]), view(b, [1, K, N], [0, N, 1]), 'float32'));
      be.dispose(a); be.dispose(b);
    }
    await pause(0);
  }
}

async function benchNablaMatmul(be: Backend, impl: string, c: MatCase): Promise<void> {
  // A stored [M,K] or, transposed, [K,M]; B stored [K,N] or [N,K]
  const a = be.fromArray('float32', rand(c.M * c.K)), b = be.fromArray('float32', rand(c.K * c.N));
  const av = view(a, [1, c.M, c.K], c.ta ? [0, 1, c.M] : [0, c.K, 1]);
  const bv = view(b, [1, c.K, c.N], c.tb ? [0, 1, c.K] : [0, c.N, 1]);
  const ms = await timeit(() => be.dispose(be.matmul(av, bv, 'float32')));
  record('matmul', c.name, impl, ms, gflops(c, ms), 'GFLOP/s');
  be.dispose(a); be.dispose(b);
}

async function benchNablaEw(be: Backend, impl: string, c: EwCase, composed = false): Promise<void> {
  if (c.op === 'xent') {
    // cross-entropy forward + backward w.r.t. the logits, class targets: the fused node, and (first phase only)
    // the same loss composed as logSoftmax + nllLoss, which writes and re-reads the log-probabilities
    await onBackend(be, async () => {
      const x = nb.tensor(rand(c.n, 4), { shape: [c.n / ROW, ROW], requiresGrad: true });
      const t = nb.tensor(randInt(c.n / ROW, ROW), { dtype: 'int32' });
      const step = (loss: () => T) => (): void => { nb.scope(() => loss().backward()); x.grad!.dispose(); x.grad = null; };
      const ms = await timeit(step(() => nb.crossEntropy(x, t)));
      record('elementwise', ewName(c), impl, ms, gbs(c, ms), 'GB/s');
      if (composed) {
        const mc = await timeit(step(() => nb.nllLoss(nb.logSoftmax(x, 1), t)));
        record('elementwise', ewName(c), 'nabla-composed', mc, gbs(c, mc), 'GB/s');
      }
      x.dispose(); t.dispose();
    });
    return;
  }
  if (c.op === 'softmax') {
    // softmax is a backend kernel, reached through the op layer (nb.softmax)
    await onBackend(be, async () => {
      const x = nb.tensor(rand(c.n), { shape: [c.n / ROW, ROW] });
      const ms = await timeit(() => nb.noGrad(() => nb.softmax(x, -1)).dispose());
      record('elementwise', ewName(c), impl, ms, gbs(c, ms), 'GB/s');
      x.dispose();
    });
    return;
  }
  const a = be.fromArray('float32', ewInput(c)), b = be.fromArray('float32', rand(c.n));
  const av = view(a, [c.n], [1]), bv = view(b, [c.n], [1]);
  const fn = {
    copy: () => be.copy(av, 'float32'),
    add: () => be.binary('add', av, bv, 'float32'),
    mul: () => be.binary('mul', av, bv, 'float32'),
    exp: () => be.unary('exp', av, 'float32'),
    gelu: () => be.unary('gelu', av, 'float32'),
    sum: () => be.reduce('sum', av, [0], 'float32'),
  }[c.op];
  const ms = await timeit(() => be.dispose(fn()));
  record('elementwise', ewName(c), impl, ms, gbs(c, ms), 'GB/s');
  be.dispose(a); be.dispose(b);
}

// ---- TensorFlow.js kernels ----------------------------------------------------------------------
async function benchTf(backend: 'wasm' | 'cpu', cases: { mat: MatCase[]; ew: EwCase[] }): Promise<void> {
  await tf.setBackend(backend);
  const impl = `tfjs-${backend}`;
  for (const c of cases.mat) {
    const a = tf.tensor2d(rand(c.M * c.K), c.ta ? [c.K, c.M] : [c.M, c.K]);
    const b = tf.tensor2d(rand(c.K * c.N), c.tb ? [c.N, c.K] : [c.K, c.N]);
    const ms = await timeit(() => { const r = tf.matMul(a, b, c.ta, c.tb); r.dataSync(); r.dispose(); });
    record('matmul', c.name, impl, ms, gflops(c, ms), 'GFLOP/s');
    a.dispose(); b.dispose();
  }
  for (const c of cases.ew) {
    // tfjs-core has no gelu kernel; copy is the plain-JS baseline; cross-entropy is nabla's fused node against its own composition
    if (c.op === 'gelu' || c.op === 'copy' || c.op === 'xent') continue;
    const a = c.op === 'softmax' ? tf.tensor2d(rand(c.n), [c.n / ROW, ROW]) : tf.tensor1d(rand(c.n));
    const b = tf.tensor1d(rand(c.n));
    const f = { add: () => tf.add(a, b), mul: () => tf.mul(a, b), exp: () => tf.exp(a), sum: () => tf.sum(a), softmax: () => tf.softmax(a) }[c.op];
    const ms = await timeit(() => { const r = f(); r.dataSync(); r.dispose(); });
    record('elementwise', ewName(c), impl, ms, gbs(c, ms), 'GB/s');
    a.dispose(); b.dispose();
  }
}

// ---- jax-js kernels -----------------------------------------------------------------------------
let jaxReady = false;
async function jaxInit(): Promise<void> {
  if (jaxReady) return;
  await jax.init('wasm');
  jax.defaultDevice('wasm');
  jaxReady = true;
}

async function benchJax(cases: { mat: MatCase[]; ew: EwCase[] }): Promise<void> {
  await jaxInit();
  const np = jax.numpy;
  for (const c of cases.mat) {
    const a = np.array(rand(c.M * c.K)).reshape(c.ta ? [c.K, c.M] : [c.M, c.K]);
    const b = np.array(rand(c.K * c.N)).reshape(c.tb ? [c.N, c.K] : [c.K, c.N]);
    const ms = await timeit(async () => {
      const r = np.matmul(c.ta ? np.transpose(a.ref) : a.ref, c.tb ? np.transpose(b.ref) : b.ref);
      await r.blockUntilReady();
      r.dispose();
    });
    record('matmul', c.name, 'jax-js-wasm', ms, gflops(c, ms), 'GFLOP/s');
    a.dispose(); b.dispose();
  }
  for (const c of cases.ew) {
    if (c.op === 'copy' || c.op === 'xent') continue;
    const a = c.op === 'softmax' ? np.array(rand(c.n)).reshape([c.n / ROW, ROW]) : np.array(ewInput(c));
    const b = np.array(rand(c.n));
    const f = {
      add: () => np.add(a.ref, b.ref), mul: () => np.multiply(a.ref, b.ref), exp: () => np.exp(a.ref),
      gelu: () => jax.nn.gelu(a.ref, { approximate: false }), sum: () => np.sum(a.ref), softmax: () => jax.nn.softmax(a.ref, -1),
    }[c.op];
    const ms = await timeit(async () => { const r = f(); await r.blockUntilReady(); r.dispose(); });
    record('elementwise', ewName(c), 'jax-js-wasm', ms, gbs(c, ms), 'GB/s');
    a.dispose(); b.dispose();
  }
}

/** the plain memory-copy baseline for the element-wise table */
async function benchCopy(c: EwCase): Promise<void> {
  const src = rand(c.n), dst = new Float32Array(c.n);
  const ms = await timeit(() => dst.set(src));
  record('elementwise', ewName(c), 'TypedArray.set', ms, gbs(c, ms), 'GB/s');
}

// ---- conv2d at the MNIST CNN's layers -------------------------------------------------------------
interface ConvCase { name: string; N: number; Cin: number; S: number; Cout: number; dx: boolean; }
/** 3×3, stride 1, padding 1; the first layer's input gradient is not needed (its input is the data) */
const convCases: ConvCase[] = run('conv') ? [
  { name: 'conv1 1→8 28²', N: 64, Cin: 1, S: 28, Cout: 8, dx: false },
  { name: 'conv2 8→16 14²', N: 64, Cin: 8, S: 14, Cout: 16, dx: true },
] : [];
const convData = new Map<ConvCase, { x: Float32Array; w: Float32Array; b: Float32Array; dy: Float32Array }>();
const convIn = (c: ConvCase) => {
  let d = convData.get(c);
  if (!d) convData.set(c, (d = { x: rand(c.N * c.Cin * c.S * c.S), w: rand(c.Cout * c.Cin * 9, 1 / 3), b: rand(c.Cout, 0.1), dy: rand(c.N * c.Cout * c.S * c.S) }));
  return d;
};
const convFlop = (c: ConvCase): number => 2 * c.N * c.Cout * c.S * c.S * c.Cin * 9;
function recordConv(c: ConvCase, impl: string, fwd: number, both: number): void {
  const f = convFlop(c);
  record('conv', `${c.name} fwd`, impl, fwd, f / fwd / 1e6, 'GFLOP/s');
  record('conv', `${c.name} fwd+bwd`, impl, both, (f * (c.dx ? 3 : 2)) / both / 1e6, 'GFLOP/s');
}

async function benchNablaConv(be: Backend, impl: string, c: ConvCase): Promise<void> {
  const d = convIn(c);
  await onBackend(be, async () => {
    const x = nb.tensor(d.x, { shape: [c.N, c.Cin, c.S, c.S], requiresGrad: c.dx });
    const w = nb.tensor(d.w, { shape: [c.Cout, c.Cin, 3, 3], requiresGrad: true });
    const b = nb.tensor(d.b, { shape: [c.Cout], requiresGrad: true });
    const dy = nb.tensor(d.dy, { shape: [c.N, c.Cout, c.S, c.S] });
    // in a scope like the fwd+bwd case, so the im2col buffer is released at once rather than by the GC
    const fwd = await timeit(() => nb.scope(() => nb.noGrad(() => nb.conv2d(x, w, b, { padding: 1 })).dispose()));
    const both = await timeit(() => {
      nb.scope(() => nb.conv2d(x, w, b, { padding: 1 }).backward(dy));
      for (const t of [x, w, b]) { t.grad?.dispose(); t.grad = null; }
    });
    recordConv(c, impl, fwd, both);
    for (const t of [x, w, b, dy]) t.dispose();
  });
}

async function benchTfConv(backend: 'wasm' | 'cpu', c: ConvCase): Promise<void> {
  await tf.setBackend(backend);
  const d = convIn(c);
  // tfjs convolves NHWC with HWIO filters (its NCHW path is not implemented on every backend)
  const x = tf.tensor4d(d.x, [c.N, c.S, c.S, c.Cin]), w = tf.tensor4d(d.w, [3, 3, c.Cin, c.Cout]);
  const b = tf.tensor1d(d.b), dy = tf.tensor4d(d.dy, [c.N, c.S, c.S, c.Cout]);
  const f = (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D) => tf.add(tf.conv2d(xx, ww, 1, 'same'), bb) as tf.Tensor4D;
  const fwd = await timeit(() => { const y = tf.tidy(() => f(x, w, b)); y.dataSync(); y.dispose(); });
  record('conv', `${c.name} fwd`, `tfjs-${backend}`, fwd, convFlop(c) / fwd / 1e6, 'GFLOP/s');
  const g = c.dx
    ? tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => f(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D))
    : tf.grads((ww: tf.Tensor, bb: tf.Tensor) => f(x, ww as tf.Tensor4D, bb as tf.Tensor1D));
  const both = await timeit(() => {
    const gs = g(c.dx ? [x, w, b] : [w, b], dy);
    for (const t of gs) t.dataSync();
    tf.dispose(gs);
  });
  record('conv', `${c.name} fwd+bwd`, `tfjs-${backend}`, both, (convFlop(c) * (c.dx ? 3 : 2)) / both / 1e6, 'GFLOP/s');
  tf.dispose([x, w, b, dy]);
}

async function benchJaxConv(c: ConvCase): Promise<void> {
  await jaxInit();
  const np = jax.numpy;
  const d = convIn(c);
  const x = np.array(d.x).reshape([c.N, c.Cin, c.S, c.S]), w = np.array(d.w).reshape([c.Cout, c.Cin, 3, 3]);
  const b = np.array(d.b), dy = np.array(d.dy).reshape([c.N, c.Cout, c.S, c.S]);
  const f = (xx: jax.Array, ww: jax.Array, bb: jax.Array): jax.Array => jax.lax.conv(xx, ww, [1, 1], [[1, 1], [1, 1]]).add(bb.reshape([c.Cout, 1, 1]));
  const fwdJ = jax.jit(f);
  // vjp with cotangent dy, as the sum of dy·y differentiated
  const bothJ = jax.jit((xx: jax.Array, ww: jax.Array, bb: jax.Array, g: jax.Array) => c.dx
    ? jax.grad((a: jax.Array, b2: jax.Array, c2: jax.Array) => f(a, b2, c2).mul(g).sum(), { argnums: [0, 1, 2] })(xx, ww, bb)
    : jax.grad((b2: jax.Array, c2: jax.Array) => f(xx, b2, c2).mul(g).sum(), { argnums: [0, 1] })(ww, bb));
  const fwd = await timeit(async () => { const y = fwdJ(x.ref, w.ref, b.ref); await y.blockUntilReady(); y.dispose(); });
  const both = await timeit(async () => { const r = bothJ(x.ref, w.ref, b.ref, dy.ref); await jax.blockUntilReady(r); jax.tree.dispose(r); });
  recordConv(c, 'jax-js-wasm', fwd, both);
  fwdJ.dispose(); bothJ.dispose();
  x.dispose(); w.dispose(); b.dispose(); dy.dispose();
}

// ---- one training step ---------------------------------------------------------------------------
interface TrainCase { name: string; short: string; cnn: boolean; layers: number[]; B: number; }
const trainCases: TrainCase[] = run('train') ? [
  { name: 'MLP 784-256-10 b128', short: 'mlp-small', cnn: false, layers: [784, 256, 10], B: 128 },
  { name: 'MLP 784-1024-1024-10 b256', short: 'mlp-large', cnn: false, layers: [784, 1024, 1024, 10], B: 256 },
  { name: 'CNN b64', short: 'cnn', cnn: true, layers: [784, 64, 10], B: 64 },
] : [];
const LR = 1e-3, WD = 1e-2, B1 = 0.9, B2 = 0.999, EPS = 1e-8;
const trainData = new Map<TrainCase, { x: Float32Array; y: Int32Array }>();
const trainIn = (c: TrainCase) => {
  let d = trainData.get(c);
  if (!d) trainData.set(c, (d = { x: rand(c.B * 784), y: randInt(c.B, 10) }));
  return d;
};
/** the CNN: conv 1→8 (3×3, pad 1) + ReLU + maxpool 2, conv 8→16 + ReLU + maxpool 2, flatten 784 → 64 → ReLU → 10 */
const cnnParams: [string, number[], number][] = [
  ['c1w', [8, 1, 3, 3], 9], ['c1b', [8], 9], ['c2w', [16, 8, 3, 3], 72], ['c2b', [16], 72],
  ['f1w', [784, 64], 784], ['f1b', [64], 784], ['f2w', [64, 10], 64], ['f2b', [10], 64],
];
const WARM_STEPS = 3;

async function benchNablaTrain(be: Backend, impl: string, c: TrainCase): Promise<void> {
  const d = trainIn(c);
  await onBackend(be, async () => {
    const nn = nb.nn;
    const gen = new nb.Generator(7);
    const model = c.cnn
      ? new nn.Sequential(
        new nn.Conv2d(1, 8, 3, { padding: 1, generator: gen }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(8, 16, 3, { padding: 1, generator: gen }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Flatten(), new nn.Linear(784, 64, { generator: gen }), new nn.ReLU(), new nn.Linear(64, 10, { generator: gen }))
      : new nn.Sequential(...c.layers.slice(1).flatMap((o, i) => {
        const lin = new nn.Linear(c.layers[i]!, o, { generator: gen });
        return i < c.layers.length - 2 ? [lin, new nn.ReLU()] : [lin];
      }));
    const x = nb.tensor(d.x, { shape: c.cnn ? [c.B, 1, 28, 28] : [c.B, 784] });
    const y = nb.tensor(d.y, { shape: [c.B], dtype: 'int32' });
    const opt = new nb.optim.AdamW(model.parameters(), { lr: LR, weightDecay: WD, betas: [B1, B2], eps: EPS });
    const parts: number[][] = [[], [], []];
    let firstLoss = NaN, lastLoss = NaN;
    const step = (): number => nb.scope(() => {
      const t0 = performance.now();
      opt.zeroGrad();
      const loss = nb.crossEntropy(model.forward(x), y);
      const t1 = performance.now();
      loss.backward();
      const t2 = performance.now();
      opt.step();
      const t3 = performance.now();
      lastLoss = loss.item();
      parts[0]!.push(t1 - t0); parts[1]!.push(t2 - t1); parts[2]!.push(t3 - t2);
      return lastLoss;
    });
    firstLoss = step();
    for (let i = 1; i < WARM_STEPS; i++) step();
    for (const p of parts) p.length = 0;
    const m0 = nb.memory();
    const ms = await timeit(step, { warm: 0, minReps: QUICK ? 5 : 10, minMs: QUICK ? 300 : 1500 });
    const m1 = nb.memory();
    const med = (a: number[]): number => { const s = [...a].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]!; };
    const mem = m1.numStorages === m0.numStorages && m1.bytes === m0.bytes
      ? `memory flat (${m0.numStorages} storages, ${(m0.bytes / 2 ** 20).toFixed(1)} MiB)`
      : `MEMORY GREW: storages ${m0.numStorages}→${m1.numStorages}, bytes ${m0.bytes}→${m1.bytes} over ${lastReps} steps`;
    const note = `fwd ${med(parts[0]!).toFixed(2)} / bwd ${med(parts[1]!).toFixed(2)} / AdamW ${med(parts[2]!).toFixed(2)} ms; ${mem}; loss ${firstLoss.toFixed(3)}→${lastLoss.toFixed(3)}`;
    record('train', c.name, impl, ms, ms, 'ms', note);
    if (m1.numStorages !== m0.numStorages || m1.bytes !== m0.bytes) notes.push(`${impl} ${c.name}: ${mem}`);
    for (const p of model.parameters()) { p.grad?.dispose(); p.grad = null; }
    for (const st of opt.state.values()) for (const v of Object.values(st)) if (v instanceof nb.Tensor) v.dispose();
    for (const p of model.parameters()) p.dispose();
    x.dispose(); y.dispose();
  });
}

async function benchTfTrain(backend: 'wasm' | 'cpu', c: TrainCase): Promise<void> {
  await tf.setBackend(backend);
  const d = trainIn(c);
  const v = (shape: number[], fanIn: number): tf.Variable => tf.variable(tf.tensor(rand(shape.reduce((a, b) => a * b, 1), 1 / Math.sqrt(fanIn)), shape));
  const vars: tf.Variable[] = [];
  let forward: () => tf.Tensor2D;
  const x = c.cnn ? tf.tensor4d(d.x, [c.B, 28, 28, 1]) : tf.tensor2d(d.x, [c.B, 784]);
  if (c.cnn) {
    // NHWC activations, HWIO filters
    const [c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b] = [
      v([3, 3, 1, 8], 9), v([8], 9), v([3, 3, 8, 16], 72), v([16], 72), v([784, 64], 784), v([64], 784), v([64, 10], 64), v([10], 64)];
    vars.push(c1w!, c1b!, c2w!, c2b!, f1w!, f1b!, f2w!, f2b!);
    forward = () => {
      let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, c1w as tf.Tensor4D, 1, 'same'), c1b!)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2w as tf.Tensor4D, 1, 'same'), c2b!)) as tf.Tensor4D, 2, 2, 'valid');
      const z = tf.relu(tf.add(tf.matMul(tf.reshape(h, [c.B, 784]), f1w!), f1b!));
      return tf.add(tf.matMul(z, f2w!), f2b!) as tf.Tensor2D;
    };
  } else {
    const ws = c.layers.slice(1).map((o, i) => [v([c.layers[i]!, o], c.layers[i]!), v([o], c.layers[i]!)] as const);
    for (const [w, b] of ws) vars.push(w, b);
    forward = () => {
      let h = x as tf.Tensor2D;
      ws.forEach(([w, b], i) => { h = tf.add(tf.matMul(h, w), b); if (i < ws.length - 1) h = tf.relu(h); });
      return h;
    };
  }
  const labels = tf.oneHot(tf.tensor1d(d.y, 'int32'), 10);
  const opt = tf.train.adam(LR, B1, B2, EPS); // tfjs has no AdamW: plain Adam (no weight decay)
  const step = (): void => {
    const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward()) as tf.Scalar, true, vars)!;
    l.dataSync();
    l.dispose();
  };
  for (let i = 0; i < WARM_STEPS; i++) {
    const t0 = performance.now();
    step();
    if (performance.now() - t0 > 1000) break; // a slow case: one warm-up step is enough
  }
  const n0 = tf.memory().numTensors;
  const ms = await timeit(step, { warm: 0, minReps: QUICK ? 5 : 10, minMs: QUICK ? 300 : 1500 });
  const n1 = tf.memory().numTensors;
  record('train', c.name, `tfjs-${backend}`, ms, ms, 'ms', `Adam (tfjs has no AdamW)${n1 !== n0 ? `; tensors ${n0}→${n1}` : ''}`);
  opt.dispose();
  tf.dispose([...vars, x, labels]);
}

async function benchJaxTrain(c: TrainCase): Promise<void> {
  await jaxInit();
  const np = jax.numpy;
  const d = trainIn(c);
  type P = Record<string, jax.Array>;
  const specs: [string, number[], number][] = c.cnn ? cnnParams
    : c.layers.slice(1).flatMap((o, i) => [[`w${i}`, [c.layers[i]!, o], c.layers[i]!], [`b${i}`, [o], c.layers[i]!]] as [string, number[], number][]);
  const keys = specs.map((s) => s[0]);
  let params: P = Object.fromEntries(specs.map(([k, shape, fanIn]) => [k, np.array(rand(shape.reduce((a, b) => a * b, 1), 1 / Math.sqrt(fanIn))).reshape(shape)]));
  let m: P = Object.fromEntries(specs.map(([k, shape]) => [k, np.zeros(shape)]));
  let v: P = Object.fromEntries(specs.map(([k, shape]) => [k, np.zeros(shape)]));
  const x = np.array(d.x).reshape(c.cnn ? [c.B, 1, 28, 28] : [c.B, 784]);
  const y = jax.nn.oneHot(np.array(d.y, { dtype: np.int32 }), 10);
  const B = c.B;
  const pool = (h: jax.Array, C: number, S: number): jax.Array => h.reshape([B, C, S / 2, 2, S / 2, 2]).max([3, 5]);
  const conv = (h: jax.Array, w: jax.Array, b: jax.Array, C: number): jax.Array => jax.lax.conv(h, w, [1, 1], [[1, 1], [1, 1]]).add(b.reshape([C, 1, 1]));
  // every array is used exactly once (jax-js moves its arguments)
  const lossFn = (p: P, xx: jax.Array, yy: jax.Array): jax.Array => {
    let logits: jax.Array;
    if (c.cnn) {
      let h = pool(jax.nn.relu(conv(xx, p.c1w!, p.c1b!, 8)), 8, 28);
      h = pool(jax.nn.relu(conv(h, p.c2w!, p.c2b!, 16)), 16, 14).reshape([B, 784]);
      h = jax.nn.relu(np.matmul(h, p.f1w!).add(p.f1b!));
      logits = np.matmul(h, p.f2w!).add(p.f2b!);
    } else {
      let h = xx;
      const L = c.layers.length - 1;
      for (let i = 0; i < L; i++) { h = np.matmul(h, p[`w${i}`]!).add(p[`b${i}`]!); if (i < L - 1) h = jax.nn.relu(h); }
      logits = h;
    }
    return jax.nn.logSoftmax(logits, -1).mul(yy).sum().mul(-1 / B);
  };
  // the whole step under jit: loss and gradients, then AdamW (decoupled weight decay, as torch.optim.AdamW) by hand;
  // step size lr/(1−β₁ᵗ) and 1/√(1−β₂ᵗ) come in as arrays so the step compiles once
  const stepJ = jax.jit((p: P, mm: P, vv: P, xx: jax.Array, yy: jax.Array, stepSize: jax.Array, invBc2: jax.Array) => {
    const [loss, g] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), xx, yy);
    const np2: P = {}, nm: P = {}, nv: P = {};
    for (const k of keys) {
      const gk = g[k]!;
      const mk = mm[k]!.mul(B1).add(gk.ref.mul(1 - B1));
      const vk = vv[k]!.mul(B2).add(gk.ref.mul(gk).mul(1 - B2));
      const denom = np.sqrt(vk.ref).mul(invBc2.ref).add(EPS);
      np2[k] = p[k]!.mul(1 - LR * WD).sub(mk.ref.mul(stepSize.ref).div(denom));
      nm[k] = mk; nv[k] = vk;
    }
    stepSize.dispose(); invBc2.dispose();
    return [np2, nm, nv, loss] as [P, P, P, jax.Array];
  });
  let t = 0, firstLoss = NaN, lastLoss = NaN;
  const step = async (): Promise<void> => {
    t++;
    const out = stepJ(params, m, v, x.ref, y.ref, np.array(new Float32Array([LR / (1 - B1 ** t)])), np.array(new Float32Array([1 / Math.sqrt(1 - B2 ** t)])));
    await jax.blockUntilReady(out);
    [params, m, v] = out;
    lastLoss = (await out[3].data())[0]!; // data() consumes the array
    if (t === 1) firstLoss = lastLoss;
  };
  for (let i = 0; i < WARM_STEPS; i++) await step(); // the first call traces and compiles
  const ms = await timeit(step, { warm: 0, minReps: QUICK ? 5 : 10, minMs: QUICK ? 300 : 1500 });
  record('train', c.name, 'jax-js-wasm', ms, ms, 'ms', `jit(valueAndGrad + hand-written AdamW); loss ${firstLoss.toFixed(3)}→${lastLoss.toFixed(3)}`);
  stepJ.dispose();
  jax.tree.dispose([params, m, v]);
  x.dispose(); y.dispose();
}

// ---- numpy, the native ceiling ----------------------------------------------------------------------
const NUMPY = `
import numpy as np, time, json, sys
args = json.loads(sys.argv[1]); out = {"mat": [], "train": []}
def timeit(f, warm=2):
    for _ in range(warm): f()
    t = []; s = time.perf_counter()
    while len(t) < 5 or (time.perf_counter() - s < 0.4 and len(t) < 50):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    t.sort(); return t[len(t)//2] * 1000
for (name, M, K, N, ta, tb) in args["mat"]:
    a = np.random.rand(K, M).astype(np.float32).T if ta else np.random.rand(M, K).astype(np.float32)
    b = np.random.rand(N, K).astype(np.float32).T if tb else np.random.rand(K, N).astype(np.float32)
    out["mat"].append([name, timeit(lambda: a @ b)])
for (name, layers, B) in args["train"]:
    rng = np.random.default_rng(0)
    Ws = [(rng.uniform(-1, 1, (i, o)) / np.sqrt(i)).astype(np.float32) for i, o in zip(layers, layers[1:])]
    bs = [np.zeros(o, np.float32) for o in layers[1:]]
    ps = Ws + bs; ms = [np.zeros_like(p) for p in ps]; vs = [np.zeros_like(p) for p in ps]
    x = rng.uniform(-1, 1, (B, layers[0])).astype(np.float32); y = rng.integers(0, layers[-1], B)
    st = [0]
    def step():
        hs = [x]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = hs[-1] @ W + b
            hs.append(np.maximum(z, 0) if i < len(Ws) - 1 else z)
        z = hs[-1]; z = z - z.max(1, keepdims=True); e = np.exp(z); p = e / e.sum(1, keepdims=True)
        loss = -np.log(p[np.arange(B), y]).mean()
        g = p; g[np.arange(B), y] -= 1; g /= B
        gW = [None] * len(Ws); gb = [None] * len(Ws)
        for i in reversed(range(len(Ws))):
            gW[i] = hs[i].T @ g; gb[i] = g.sum(0)
            if i > 0: g = (g @ Ws[i].T) * (hs[i] > 0)
        st[0] += 1; t = st[0]; lr, b1, b2, eps, wd = 1e-3, 0.9, 0.999, 1e-8, 1e-2
        for p_, g_, m_, v_ in zip(ps, gW + gb, ms, vs):
            p_ *= (1 - lr * wd); m_ *= b1; m_ += (1 - b1) * g_; v_ *= b2; v_ += (1 - b2) * g_ * g_
            p_ -= (lr / (1 - b1 ** t)) * m_ / (np.sqrt(v_) / np.sqrt(1 - b2 ** t) + eps)
        return loss
    out["train"].append([name, timeit(step, 3)])
print(json.dumps(out))`;

function numpyCeiling(): { mat: [string, number][]; train: [string, number][] } | null {
  if (matCases.length === 0 && trainCases.length === 0) return null;
  try {
    const args = { mat: matCases.map((c) => [c.name, c.M, c.K, c.N, c.ta, c.tb]), train: trainCases.filter((c) => !c.cnn).map((c) => [c.name, c.layers, c.B]) };
    return JSON.parse(execFileSync('python3', ['-c', NUMPY, JSON.stringify(args)], { encoding: 'utf8', timeout: 180_000 }));
  } catch {
    return null;
  }
}

// ---- tables -------------------------------------------------------------------------------------------
/** ratios > 1 mean nabla is faster: nabla/peer for throughputs, peer/nabla for times */
function printTable(kind: Kind, cases: string[], nablaImpl: string, peers: string[], title = ''): void {
  const impls = [...new Set(rows.filter((r) => r.kind === kind && cases.includes(r.case)).map((r) => r.impl))];
  if (impls.length === 0 || !impls.includes(nablaImpl)) return;
  const unit = rows.find((r) => r.kind === kind)!.unit;
  console.log(`\n${kind}${title} (${unit}, median; ratio > 1 ⇒ ${nablaImpl} faster; * fewer than 5 runs)`);
  const w = kind === 'train' || kind === 'conv' ? 26 : 22;
  const head = ['case'.padEnd(w), ...impls.map((i) => i.padStart(16)), ...peers.map((p) => `vs ${p}`.padStart(17))];
  console.log(head.join(' '));
  for (const c of cases) {
    const r = (impl: string): Row | undefined => rows.find((x) => x.kind === kind && x.case === c && x.impl === impl);
    const cells = impls.map((i) => { const x = r(i); return (x === undefined ? '—' : `${x.value.toFixed(kind === 'train' ? 1 : 2)}${x.reps < 5 ? '*' : ''}`).padStart(16); });
    const n = r(nablaImpl)?.value;
    // the copy baseline is its own row ("copy 16M"): compare against the copy of the same size
    const peerValue = (p: string): number | undefined =>
      p === 'TypedArray.set' ? rows.find((x) => x.case === `copy ${c.split(' ')[1]}` && x.impl === p)?.value : r(p)?.value;
    const ratios = peers.map((p) => {
      const x = peerValue(p);
      if (n === undefined || !x || c.startsWith('copy')) return '—'.padStart(17);
      return `${(unit === 'ms' ? x / n : n / x).toFixed(2)}×`.padStart(17);
    });
    console.log([c.padEnd(w), ...cells, ...ratios].join(' '));
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const cores = os.availableParallelism();
  console.log(`node ${process.version}, ${cpu}, ${cores} cores; sections: ${SECTIONS.filter(run).join(', ')}`);
  const t0 = performance.now();
  // nabla's default backend (created at import, relaxed SIMD held back), a single-threaded one, the portable one
  const wasmT = currentBackend() as WasmBackend;
  if (wasmT.name !== 'wasm') throw new Error(`bench: nabla's default backend is "${wasmT.name}", expected "wasm" (NABLA_BACKEND set?)`);
  const wasm1 = await createWasmBackend({ threads: 1 });
  nb.setBackend('ts');
  const ts = currentBackend();
  nb.setBackend('wasm');
  const nablaAll = `nabla-wasm-${wasmT.threads}t`;
  if (run('gpt')) await (await import('./gpt.js')).benchGpt([]); // the GPT job's section (bench/gpt.ts)

  if (ewCases.length) {
    console.log('\nelement-wise');
    for (const c of ewCases) {
      if (c.op === 'copy') { await benchCopy(c); continue; }
      await benchNablaEw(wasmT as Backend, nablaAll, c, true);
      await benchNablaEw(wasm1 as Backend, 'nabla-wasm-1t', c);
      if (c.n === 1 << 20) await benchNablaEw(ts, 'nabla-ts', c);
    }
    await benchTf('wasm', { mat: [], ew: ewCases });
    await benchTf('cpu', { mat: [], ew: ewCases.filter((c) => c.n === 1 << 20) });
    await benchJax({ mat: [], ew: ewCases });
  }

  // let background threads of the previous section (GC, optimising compiler, peers' pools) go quiet:
  // on a 2-core machine they compete with the worker threads directly
  if (matCases.length) {
    await settle();
    console.log('\nmatmul');
    for (const c of matCases) {
      await benchNablaMatmul(wasmT as Backend, nablaAll, c);
      await benchNablaMatmul(wasm1 as Backend, 'nabla-wasm-1t', c);
      if (c.M * c.K * c.N <= SLOW_MAX) await benchNablaMatmul(ts, 'nabla-ts', c);
    }
    await benchTf('wasm', { mat: matCases, ew: [] });
    await benchTf('cpu', { mat: matCases.filter((c) => c.M * c.K * c.N <= SLOW_MAX), ew: [] });
    await benchJax({ mat: matCases, ew: [] });
  }

  if (convCases.length) {
    await settle();
    console.log('\nconv2d (3×3, padding 1, batch 64; fwd+bwd: dW, db and, for conv2, dx)');
    for (const c of convCases) {
      await benchNablaConv(wasmT as Backend, nablaAll, c);
      await benchNablaConv(wasm1 as Backend, 'nabla-wasm-1t', c);
      await benchNablaConv(ts, 'nabla-ts', c);
      await attempt(`tfjs-wasm ${c.name}`, () => benchTfConv('wasm', c));
      await attempt(`tfjs-cpu ${c.name}`, () => benchTfConv('cpu', c));
      await attempt(`jax-js ${c.name}`, () => benchJaxConv(c));
    }
  }

  if (trainCases.length) {
    await settle();
    console.log('\ntraining step (forward, backward, AdamW; cross-entropy on seeded random data)');
    for (const c of trainCases) {
      await benchNablaTrain(wasmT as Backend, nablaAll, c);
      await benchNablaTrain(wasm1 as Backend, 'nabla-wasm-1t', c);
      if (c.short !== 'mlp-large') await benchNablaTrain(ts, 'nabla-ts', c);
      await attempt(`tfjs-wasm ${c.name}`, () => benchTfTrain('wasm', c));
      await attempt(`tfjs-cpu ${c.name}`, () => benchTfTrain('cpu', c));
      await attempt(`jax-js ${c.name}`, () => benchJaxTrain(c));
    }
  }

  // phase 2: relaxed SIMD (sets a process-wide V8 flag, so it runs after every peer)
  let relaxedOk = false, relThreads = 0;
  if (matCases.length || trainCases.length || ewCases.length) {
    await settle();
    console.log('\nrelaxed SIMD (V8 flag --experimental-wasm-relaxed-simd, nabla\'s default where available)');
    wasmT.close(); wasm1.close();
    const relT = await createWasmBackend({ relaxedSimd: true });
    const rel1 = await createWasmBackend({ relaxedSimd: true, threads: 1 });
    relaxedOk = relT.features.relaxed;
    relThreads = relT.threads;
    if (relaxedOk) {
      // fresh backends, fresh worker threads: their JavaScript (job dispatch, GEMM blocking loops) runs
      // unoptimised for the first ~150 ms, which halves a small 2-thread matmul; phase 1's backends had the
      // element-wise section for that
      for (const be of [relT, rel1]) await warmUpMatmul(be as Backend, 400);
      for (const c of matCases) {
        await benchNablaMatmul(relT as Backend, `nabla-relaxed-${relT.threads}t`, c);
        await benchNablaMatmul(rel1 as Backend, 'nabla-relaxed-1t', c);
      }
      for (const c of trainCases) await benchNablaTrain(relT as Backend, `nabla-relaxed-${relT.threads}t`, c);
      // the transcendentals' polynomials and the softmax use the fused multiply-add too
      for (const c of ewCases) if (c.op !== 'copy') await benchNablaEw(relT as Backend, `nabla-relaxed-${relT.threads}t`, c);
    } else console.log('  relaxed SIMD not available in this runtime');
    relT.close(); rel1.close();
  }
  if (userRelaxed === undefined) delete process.env.NABLA_RELAXED_SIMD;
  else process.env.NABLA_RELAXED_SIMD = userRelaxed;

  const np = numpyCeiling();
  let numpyNote = matCases.length || trainCases.length ? 'python3 with numpy not found: no native ceiling' : 'no matmul or train section: numpy not run';
  if (np) {
    for (const [name, ms] of np.mat) record('matmul', name, 'numpy', ms, gflops(matCases.find((m) => m.name === name)!, ms), 'GFLOP/s');
    for (const [name, ms] of np.train) record('train', name, 'numpy', ms, ms, 'ms', 'hand-written MLP step with AdamW');
    numpyNote = 'numpy (OpenBLAS, all cores) as the native ceiling; its MLP step is hand-written (no CNN)';
  }

  const relName = `nabla-relaxed-${relThreads}t`;
  const matNames = matCases.map((c) => c.name);
  printTable('matmul', matNames, nablaAll, ['tfjs-wasm', 'jax-js-wasm', 'numpy']);
  printTable('matmul', matNames, 'nabla-wasm-1t', ['tfjs-wasm', 'jax-js-wasm'], ' single thread');
  if (relaxedOk) printTable('matmul', matNames, relName, ['tfjs-wasm', 'jax-js-wasm', 'numpy'], ' relaxed SIMD');
  printTable('elementwise', [...new Set(ewCases.map(ewName))], nablaAll, ['TypedArray.set', 'tfjs-wasm', 'jax-js-wasm']);
  if (relaxedOk) printTable('elementwise', [...new Set(ewCases.map(ewName))], relName, ['TypedArray.set', 'tfjs-wasm', 'jax-js-wasm'], ' relaxed SIMD');
  const convNames = convCases.flatMap((c) => [`${c.name} fwd`, `${c.name} fwd+bwd`]);
  printTable('conv', convNames, nablaAll, ['tfjs-wasm', 'tfjs-cpu', 'jax-js-wasm']);
  const trainNames = trainCases.map((c) => c.name);
  const trainKind = 'train' as const;
  // the train table shows ms/step (printTable shows `value`, which is ms here)
  printTable(trainKind, trainNames, nablaAll, ['tfjs-wasm', 'tfjs-cpu', 'jax-js-wasm', 'numpy']);
  if (relaxedOk) printTable(trainKind, trainNames, relName, ['tfjs-wasm', 'tfjs-cpu', 'jax-js-wasm', 'numpy'], ' relaxed SIMD');
  for (const r of rows) if (r.kind === 'train' && r.impl.startsWith('nabla') && r.note) console.log(`  ${r.impl.padEnd(18)} ${r.case.padEnd(26)} ${r.note}`);
  for (const n of notes) console.log(`NOTE ${n}`);
  const tfThreads = tfwasm.getThreadsCount();
  console.log(`\n${numpyNote}; tfjs-wasm runs ${tfThreads} thread(s) and jax-js 1 (stock Node: no Web Worker global);`);
  console.log(`tfjs trains with Adam (no AdamW in tfjs); nabla-ts and tfjs-cpu skip matmuls above 512³ and nabla-ts the large MLP; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  if (wanted.length === 0) await (await import('./webgpu.js')).benchWebGPU({ quick: QUICK }); // prints its own table; skips itself without an adapter
  const out = {
    date: new Date().toISOString(),
    env: { node: process.version, cpu, cores, nablaThreads: wasmT.threads, relaxedSimd: relaxedOk, tfjsWasmThreads: tfThreads, sections: SECTIONS.filter(run) },
    notes: [
      numpyNote,
      'GB/s counts bytes read + written per element (copy 8, add/mul 12, exp/gelu/softmax 8, sum 4, xent 12: cross-entropy forward + backward w.r.t. the logits, nabla-composed = logSoftmax + nllLoss); softmax and xent over rows of 1024; inputs uniform in [−1, 1] except GELU on N(0, 1) and xent logits uniform in [−4, 4].',
      'conv: 3×3, stride 1, padding 1, batch 64 (the MNIST CNN\'s layers); GFLOP/s counts 2·N·Cout·H·W·Cin·9 per product (fwd 1, fwd+bwd 2 for conv1 (dW), 3 for conv2 (dW, dx)); tfjs runs NHWC.',
      'train: ms per step (forward, backward, optimizer), median after 3 warm-up steps; nabla and jax-js use AdamW, tfjs Adam (no AdamW in tfjs), numpy a hand-written AdamW MLP step.',
      `a case stops after ${CAP_MS / 1000} s of timed runs (at least 3, or 1 when a run takes over 2 s); reps < 5 marked '*' in the printed tables.`,
      ...notes,
    ],
    rows,
  };
  if (run('jvp')) await (await import('./jvp.js')).benchJvp();
  // with a section filter, keep the other sections' rows of the previous results
  let prev: { rows?: Row[] } = {};
  const file = new URL('../../bench/results.json', import.meta.url);
  if (wanted.length) {
    try { prev = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')); } catch { prev = {}; }
    out.rows = [...(prev.rows ?? []).filter((r) => !SECTIONS.filter(run).includes(r.kind as Section)), ...rows];
  }
  writeFileSync(file, JSON.stringify(out, null, 1));
  console.log('wrote bench/results.json');
  process.exit(0); // worker pools of the peers may keep the event loop alive
}

await main();
