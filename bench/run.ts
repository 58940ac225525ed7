/**
 * Kernel-level benchmark: nabla backends vs TensorFlow.js (wasm, cpu) and jax-js (wasm) in one process,
 * on the same shapes. Reports medians of several timed runs (after warm-up, so V8 has tiered the wasm up),
 * a table with nabla/peer ratios, and bench/results.json. NumPy's matmul (if python3 + numpy exist) is
 * the native ceiling.
 *
 * Phases: everything without V8's relaxed-SIMD flag first; then the flag is set (process-wide) and the
 * nabla matmuls are re-measured with f32x4.relaxed_madd, so the peers never run under the flag.
 *
 * Env: NABLA_BENCH_2048=1 adds 2048³; NABLA_BENCH_QUICK=1 uses fewer repetitions;
 * NABLA_BENCH_ONLY=matmul|elementwise runs one half.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import * as jax from '@jax-js/jax';
import type { Backend, View } from '../src/backends/backend.js';
import { createTsBackend } from '../src/backends/ts/index.js';
import { createWasmBackend } from '../src/backends/wasm/index.js';

const QUICK = process.env.NABLA_BENCH_QUICK === '1';
/** NABLA_BENCH_ONLY=matmul or =elementwise runs one half */
const ONLY = process.env.NABLA_BENCH_ONLY ?? '';

/** median ms of fn over ≥ minReps runs lasting ≥ minMs in total (after `warm` untimed runs) */
async function timeit(fn: () => unknown | Promise<unknown>, opts: { warm?: number; minReps?: number; minMs?: number; maxReps?: number } = {}): Promise<number> {
  const { warm = 2, minReps = QUICK ? 3 : 5, minMs = QUICK ? 100 : 400, maxReps = 50 } = opts;
  for (let i = 0; i < warm; i++) await fn();
  const t: number[] = [];
  const start = performance.now();
  while (t.length < minReps || (performance.now() - start < minMs && t.length < maxReps)) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

interface MatCase { name: string; M: number; K: number; N: number; ta: boolean; tb: boolean; }
interface EwCase { op: 'add' | 'mul' | 'exp' | 'gelu' | 'sum' | 'copy'; n: number; }
interface Row { kind: 'matmul' | 'elementwise'; case: string; impl: string; ms: number; value: number; unit: string; }

const rows: Row[] = [];
const record = (kind: Row['kind'], c: string, impl: string, ms: number, value: number, unit: string): void => {
  rows.push({ kind, case: c, impl, ms, value, unit });
  console.log(`  ${c.padEnd(22)} ${impl.padEnd(18)} ${ms.toFixed(3).padStart(10)} ms ${value.toFixed(2).padStart(9)} ${unit}`);
};

const sizes = [128, 256, 512, 1024, ...(process.env.NABLA_BENCH_2048 === '1' ? [2048] : [])];
const matCases: MatCase[] = ONLY === 'elementwise' ? [] : [
  ...sizes.map((s) => ({ name: `${s}³`, M: s, K: s, N: s, ta: false, tb: false })),
  // the three matmuls of a 784→256 linear layer at batch 128: forward, weight gradient, input gradient
  { name: 'x·W 128×784×256', M: 128, K: 784, N: 256, ta: false, tb: false },
  { name: 'xᵀ·dy 784×128×256', M: 784, K: 128, N: 256, ta: true, tb: false },
  { name: 'dy·Wᵀ 128×256×784', M: 128, K: 256, N: 784, ta: false, tb: true },
];
const ewCases: EwCase[] = [];
if (ONLY !== 'matmul') for (const n of [1 << 20, 1 << 24]) for (const op of ['copy', 'add', 'mul', 'exp', 'gelu', 'sum'] as const) ewCases.push({ op, n });
/** bytes moved per element: reads + writes */
const ewBytes: Record<EwCase['op'], number> = { copy: 8, add: 12, mul: 12, exp: 8, gelu: 8, sum: 4 };
const ewName = (c: EwCase): string => `${c.op} ${c.n === 1 << 20 ? '1M' : '16M'}`;
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
const gflops = (c: MatCase, ms: number): number => (2 * c.M * c.N * c.K) / ms / 1e6;
const gbs = (c: EwCase, ms: number): number => (ewBytes[c.op] * c.n) / ms / 1e6;

// ---- nabla ------------------------------------------------------------------------------------
function view<D>(data: D, shape: number[], strides: number[]): View<D> {
  return { data, dtype: 'float32', shape, strides, offset: 0 };
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

async function benchNablaEw(be: Backend, impl: string, c: EwCase): Promise<void> {
  const a = be.fromArray('float32', rand(c.n)), b = be.fromArray('float32', rand(c.n));
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

// ---- TensorFlow.js ----------------------------------------------------------------------------
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
    if (c.op === 'gelu' || c.op === 'copy') continue; // tfjs-core has no gelu kernel; copy is the plain-JS baseline
    const a = tf.tensor1d(rand(c.n)), b = tf.tensor1d(rand(c.n));
    const f = { add: () => tf.add(a, b), mul: () => tf.mul(a, b), exp: () => tf.exp(a), sum: () => tf.sum(a) }[c.op];
    const ms = await timeit(() => { const r = f(); r.dataSync(); r.dispose(); });
    record('elementwise', ewName(c), impl, ms, gbs(c, ms), 'GB/s');
    a.dispose(); b.dispose();
  }
}

// ---- jax-js -----------------------------------------------------------------------------------
async function benchJax(cases: { mat: MatCase[]; ew: EwCase[] }): Promise<void> {
  await jax.init('wasm');
  jax.defaultDevice('wasm');
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
    if (c.op === 'copy') continue;
    const a = np.array(rand(c.n)), b = np.array(rand(c.n));
    const f = {
      add: () => np.add(a.ref, b.ref), mul: () => np.multiply(a.ref, b.ref), exp: () => np.exp(a.ref),
      gelu: () => jax.nn.gelu(a.ref, { approximate: false }), sum: () => np.sum(a.ref),
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

function numpyCeiling(): string | null {
  const script = `
import numpy as np, time, json, sys
cases = json.loads(sys.argv[1]); out = []
for (name, M, K, N, ta, tb) in cases:
    a = np.random.rand(K, M).astype(np.float32).T if ta else np.random.rand(M, K).astype(np.float32)
    b = np.random.rand(N, K).astype(np.float32).T if tb else np.random.rand(K, N).astype(np.float32)
    for _ in range(2): a @ b
    t = []
    while len(t) < 5 or (sum(t) < 0.4 and len(t) < 50):
        t0 = time.perf_counter(); a @ b; t.append(time.perf_counter() - t0)
    t.sort(); out.append([name, t[len(t)//2] * 1000])
print(json.dumps(out))`;
  try {
    const cases = matCases.map((c) => [c.name, c.M, c.K, c.N, c.ta, c.tb]);
    return execFileSync('python3', ['-c', script, JSON.stringify(cases)], { encoding: 'utf8', timeout: 120_000 });
  } catch {
    return null;
  }
}

function printTable(kind: Row['kind'], cases: string[], nablaImpl: string, peers: string[]): void {
  const impls = [...new Set(rows.filter((r) => r.kind === kind).map((r) => r.impl))];
  const unit = kind === 'matmul' ? 'GFLOP/s' : 'GB/s';
  console.log(`\n${kind} (${unit}, median)`);
  const head = ['case'.padEnd(22), ...impls.map((i) => i.padStart(16)), ...peers.map((p) => `/${p}`.padStart(14))];
  console.log(head.join(' '));
  for (const c of cases) {
    const v = (impl: string): number | undefined => rows.find((r) => r.kind === kind && r.case === c && r.impl === impl)?.value;
    const cells = impls.map((i) => { const x = v(i); return (x === undefined ? '—' : x.toFixed(1)).padStart(16); });
    const n = v(nablaImpl);
    // the copy baseline is its own row ("copy 16M"): compare against the copy of the same size
    const peerValue = (p: string): number | undefined =>
      p === 'TypedArray.set' ? rows.find((r) => r.case === `copy ${c.split(' ')[1]}` && r.impl === p)?.value : v(p);
    const ratios = peers.map((p) => { const x = peerValue(p); return (n !== undefined && x && !c.startsWith('copy') ? `${(n / x).toFixed(2)}×` : '—').padStart(14); });
    console.log([c.padEnd(22), ...cells, ...ratios].join(' '));
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const cores = os.availableParallelism();
  console.log(`node ${process.version}, ${cpu}, ${cores} cores`);
  const wasmT = await createWasmBackend();
  const wasm1 = await createWasmBackend({ threads: 1 });
  const ts = createTsBackend() as Backend;
  const nablaAll = `nabla-wasm-${wasmT.threads}t`;

  console.log('\nelement-wise');
  for (const c of ewCases) {
    if (c.op === 'copy') { await benchCopy(c); continue; }
    await benchNablaEw(wasmT as Backend, nablaAll, c);
    await benchNablaEw(wasm1 as Backend, 'nabla-wasm-1t', c);
    if (c.n === 1 << 20) await benchNablaEw(ts, 'nabla-ts', c);
  }
  await benchTf('wasm', { mat: [], ew: ewCases });
  await benchTf('cpu', { mat: [], ew: ewCases.filter((c) => c.n === 1 << 20) });
  await benchJax({ mat: [], ew: ewCases });

  // let background threads of the previous section (GC, optimising compiler, peers' pools) go quiet:
  // on a 2-core machine they compete with the worker threads directly
  await new Promise((res) => setTimeout(res, 1000));
  console.log('\nmatmul');
  for (const c of matCases) {
    await benchNablaMatmul(wasmT as Backend, nablaAll, c);
    await benchNablaMatmul(wasm1 as Backend, 'nabla-wasm-1t', c);
    if (c.M * c.K * c.N <= 512 ** 3) await benchNablaMatmul(ts, 'nabla-ts', c);
  }
  await benchTf('wasm', { mat: matCases, ew: [] });
  await benchTf('cpu', { mat: matCases.filter((c) => c.M * c.K * c.N <= 512 ** 3), ew: [] });
  await benchJax({ mat: matCases, ew: [] });

  // let background threads of the previous section (GC, optimising compiler, peers' pools) go quiet:
  // on a 2-core machine they compete with the worker threads directly
  await new Promise((res) => setTimeout(res, 1000));
  // phase 2: relaxed SIMD (sets a process-wide V8 flag, so it runs after every peer)
  console.log('\nmatmul with relaxed SIMD (V8 flag --experimental-wasm-relaxed-simd)');
  wasmT.close(); wasm1.close();
  const relT = await createWasmBackend({ relaxedSimd: true });
  const rel1 = await createWasmBackend({ relaxedSimd: true, threads: 1 });
  const relaxedOk = relT.features.relaxed;
  if (relaxedOk) {
    for (const c of matCases) {
      await benchNablaMatmul(relT as Backend, `nabla-relaxed-${relT.threads}t`, c);
      await benchNablaMatmul(rel1 as Backend, 'nabla-relaxed-1t', c);
    }
  } else console.log('  relaxed SIMD not available in this runtime');
  relT.close(); rel1.close();

  const np = numpyCeiling();
  let numpyNote = 'python3 with numpy not found: no native ceiling';
  if (np) {
    for (const [name, ms] of JSON.parse(np) as [string, number][]) {
      const c = matCases.find((m) => m.name === name)!;
      record('matmul', name, 'numpy', ms, gflops(c, ms), 'GFLOP/s');
    }
    numpyNote = 'numpy (OpenBLAS, all cores) as the native ceiling';
  }

  printTable('matmul', matCases.map((c) => c.name), nablaAll, ['tfjs-wasm', 'jax-js-wasm', 'numpy']);
  printTable('matmul', matCases.map((c) => c.name), 'nabla-wasm-1t', ['tfjs-wasm', 'jax-js-wasm']);
  if (relaxedOk) printTable('matmul', matCases.map((c) => c.name), `nabla-relaxed-${relT.threads}t`, ['tfjs-wasm', 'jax-js-wasm', 'numpy']);
  printTable('elementwise', [...new Set(ewCases.map(ewName))], nablaAll, ['TypedArray.set', 'tfjs-wasm', 'jax-js-wasm']);
  console.log(`\n${numpyNote}; tfjs-wasm runs ${tfwasm.getThreadsCount()} thread(s) (stock Node build).`);

  const out = {
    date: new Date().toISOString(),
    env: { node: process.version, cpu, cores, nablaThreads: wasmT.threads, relaxedSimd: relaxedOk, tfjsWasmThreads: tfwasm.getThreadsCount() },
    notes: [numpyNote, 'GB/s counts bytes read + written per element (copy 8, add/mul 12, exp/gelu 8, sum 4).'],
    rows,
  };
  writeFileSync(new URL('../../bench/results.json', import.meta.url), JSON.stringify(out, null, 1));
  console.log('wrote bench/results.json');
}

await main();
