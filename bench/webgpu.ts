/**
 * WebGPU benchmark section: nabla's webgpu backend against TensorFlow.js's webgpu backend and jax-js's WebGPU
 * backend, in one process on one adapter (all three take navigator.gpu, set here to one Dawn GPU object in
 * Node): matmul GFLOP/s (square, and with a transposed operand) and one MLP training step (784-256-10, batch
 * 128, forward + backward + Adam). Every timed run ends with reading the result back, for all three alike.
 *
 * Runs only when an adapter exists (on CPU-only machines: SwiftShader, see the README — figures there are a
 * smoke check of the code path, not a measure of anything). Standalone: `node dist/bench/webgpu.js`.
 */
/// <reference types="@webgpu/types" />

type JaxArray = import('@jax-js/jax').Array;

interface Row { case: string; impl: string; ms: number; value: number; unit: string }

async function median(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn(); // warm-up: pipelines compile on first use
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296 - 0.5; }
  return a;
}

/** Share one GPU object (Dawn in Node) through navigator.gpu; returns a reason string when there is no adapter. */
async function provideGpu(): Promise<string | null> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu) return null;
  try {
    const spec = 'webgpu';
    const mod = (await import(spec)) as { create(flags: string[]): GPU; globals: object };
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create([]);
    (globalThis as { __nablaBenchGpu?: GPU }).__nablaBenchGpu = gpu; // keep Dawn's instance alive
    if (!(await gpu.requestAdapter())) return 'Dawn found no adapter (on a CPU-only machine set VK_ICD_FILENAMES to a SwiftShader ICD, see README)';
    // jax-js reads navigator.userAgent when its WebGPU backend loads (Node 20 has no navigator: give it one)
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js/${process.versions.node}` }, configurable: true });
    return null;
  } catch (e) {
    return `the 'webgpu' package did not load (${(e as Error).message.split('\n')[0]})`;
  }
}

export async function benchWebGPU(opts: { quick?: boolean } = {}): Promise<Row[]> {
  const rows: Row[] = [];
  const why = await provideGpu();
  if (why) {
    console.log(`\n## webgpu: skipped — ${why}`);
    return rows;
  }
  const nb = await import('../src/index.js');
  await nb.initBackend('webgpu');
  const adapter = nb.backendCapabilities('webgpu').device;
  const reps = opts.quick ? 3 : 7;
  const sizes = opts.quick ? [128, 256] : [128, 256, 512];
  const add = (c: string, impl: string, ms: number, value: number, unit: string) => rows.push({ case: c, impl, ms, value, unit });

  // ---- nabla
  await nb.setBackend('webgpu');
  for (const n of sizes) {
    const a = nb.tensor(seeded(n * n, 1), { shape: [n, n] }), b = nb.tensor(seeded(n * n, 2), { shape: [n, n] });
    for (const tb of [false, true]) {
      const ms = await median(async () => { const c = nb.matmul(a, tb ? b.T : b); await c.dataAsync(); c.dispose(); }, reps);
      add(`matmul ${n}³${tb ? ' B^T' : ''}`, 'nabla-webgpu', ms, (2 * n ** 3) / ms / 1e6, 'GFLOP/s');
    }
  }
  {
    const g = new nb.Generator(0);
    const model = new nb.nn.Sequential(new nb.nn.Linear(784, 256, { generator: g }), new nb.nn.ReLU(), new nb.nn.Linear(256, 10, { generator: g }));
    const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = nb.tensor(seeded(128 * 784, 3), { shape: [128, 784] }), y = nb.tensor(Array.from({ length: 128 }, (_, i) => i % 10), { dtype: 'int32' });
    const ms = await median(async () => {
      const l = nb.scope(() => { const loss = nb.crossEntropy(model.call(x), y); opt.zeroGrad(); loss.backward(); opt.step(); return loss.detach(); });
      await l.itemAsync();
      l.dispose();
    }, reps);
    add('MLP 784-256-10 step (b128)', 'nabla-webgpu', ms, ms, 'ms/step');
  }
  await nb.setBackend('ts');

  // ---- TensorFlow.js webgpu
  try {
    // tfjs-core's Node bundle registers no gradients; its ESM gradient modules use extensionless relative imports,
    // which Node's resolver rejects: retry those with '.js' (bench/run.ts installs the same hook; twice is harmless)
    const { register } = await import('node:module');
    register('data:text/javascript,' + encodeURIComponent(`export async function resolve(s, c, n) {
      try { return await n(s, c); } catch (e) {
        if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'ERR_UNSUPPORTED_DIR_IMPORT') && s.startsWith('.')) return n(s + '.js', c);
        throw e;
      }
    }`));
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
    await tf.ready();
    for (const n of sizes) {
      const a = tf.tensor2d(seeded(n * n, 1), [n, n]), b = tf.tensor2d(seeded(n * n, 2), [n, n]);
      for (const tb of [false, true]) {
        const ms = await median(async () => { const c = tf.matMul(a, b, false, tb); await c.data(); c.dispose(); }, reps);
        add(`matmul ${n}³${tb ? ' B^T' : ''}`, 'tfjs-webgpu', ms, (2 * n ** 3) / ms / 1e6, 'GFLOP/s');
      }
      a.dispose(); b.dispose();
    }
    const w1 = tf.variable(tf.randomNormal([784, 256], 0, 0.05)), b1 = tf.variable(tf.zeros([256]));
    const w2 = tf.variable(tf.randomNormal([256, 10], 0, 0.05)), b2 = tf.variable(tf.zeros([10]));
    const opt = tf.train.adam(1e-3);
    const x = tf.tensor2d(seeded(128 * 784, 3), [128, 784]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32'), 10);
    const ms = await median(async () => {
      const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as never, true);
      await l!.data();
      l!.dispose();
    }, reps);
    add('MLP 784-256-10 step (b128)', 'tfjs-webgpu', ms, ms, 'ms/step');
  } catch (e) {
    console.log(`webgpu: tfjs-webgpu unavailable (${(e as Error).message.split('\n')[0]})`);
  }

  // ---- jax-js WebGPU
  try {
    const jax = await import('@jax-js/jax');
    await jax.init('webgpu');
    jax.defaultDevice('webgpu');
    const np = jax.numpy;
    for (const n of sizes) {
      const a = np.array(seeded(n * n, 1)).reshape([n, n]), b = np.array(seeded(n * n, 2)).reshape([n, n]);
      for (const tb of [false, true]) {
        const ms = await median(async () => { const c = np.matmul(a.ref, tb ? np.transpose(b.ref) : b.ref); await c.data(); }, reps);
        add(`matmul ${n}³${tb ? ' B^T' : ''}`, 'jax-js-webgpu', ms, (2 * n ** 3) / ms / 1e6, 'GFLOP/s');
      }
      a.dispose(); b.dispose();
    }
    // the MLP step under jit: loss and gradients, then Adam by hand; step sizes come in as arrays so it compiles once
    type P = Record<string, JaxArray>;
    const shapes: Record<string, number[]> = { w1: [784, 256], b1: [256], w2: [256, 10], b2: [10] };
    let params: P = Object.fromEntries(Object.entries(shapes).map(([k, sh], i) => [k, np.array(seeded(sh.reduce((x, y) => x * y, 1), 10 + i)).mul(0.1).reshape(sh)]));
    let m: P = Object.fromEntries(Object.entries(shapes).map(([k, sh]) => [k, np.zeros(sh)]));
    let v: P = Object.fromEntries(Object.entries(shapes).map(([k, sh]) => [k, np.zeros(sh)]));
    const x = np.array(seeded(128 * 784, 3)).reshape([128, 784]);
    const y = jax.nn.oneHot(np.array(Array.from({ length: 128 }, (_, i) => i % 10), { dtype: np.int32 }), 10);
    const lossFn = (p: P, xx: JaxArray, yy: JaxArray) =>
      jax.nn.logSoftmax(np.matmul(jax.nn.relu(np.matmul(xx, p.w1!).add(p.b1!)), p.w2!).add(p.b2!), -1).mul(yy).sum().mul(-1 / 128);
    const stepJ = jax.jit((p: P, mm: P, vv: P, xx: JaxArray, yy: JaxArray, stepSize: JaxArray, invBc2: JaxArray) => {
      const [loss, gr] = jax.valueAndGrad(lossFn)(jax.tree.ref(p), xx, yy);
      const np2: P = {}, nm: P = {}, nv: P = {};
      for (const k of Object.keys(shapes)) {
        const gk = gr[k]!;
        const mk = mm[k]!.mul(0.9).add(gk.ref.mul(0.1));
        const vk = vv[k]!.mul(0.999).add(gk.ref.mul(gk).mul(0.001));
        np2[k] = p[k]!.sub(mk.ref.mul(stepSize.ref).div(np.sqrt(vk.ref).mul(invBc2.ref).add(1e-8)));
        nm[k] = mk; nv[k] = vk;
      }
      stepSize.dispose(); invBc2.dispose();
      return [np2, nm, nv, loss] as [P, P, P, JaxArray];
    });
    let t = 0;
    const ms = await median(async () => {
      t++;
      const out = stepJ(params, m, v, x.ref, y.ref, np.array(new Float32Array([1e-3 / (1 - 0.9 ** t)])), np.array(new Float32Array([1 / Math.sqrt(1 - 0.999 ** t)])));
      [params, m, v] = out;
      await out[3].data();
    }, reps);
    add('MLP 784-256-10 step (b128)', 'jax-js-webgpu', ms, ms, 'ms/step');
    stepJ.dispose();
    jax.tree.dispose([params, m, v]);
    x.dispose(); y.dispose();
  } catch (e) {
    console.log(`webgpu: jax-js webgpu unavailable (${(e as Error).message.split('\n')[0]})`);
  }

  console.log(`\n## webgpu (${adapter}; medians of ${reps}; each run includes reading the result back)`);
  if (/swiftshader/i.test(adapter)) console.log('SwiftShader is a CPU emulation of a GPU: these figures are a smoke check only, not a speed measure.');
  const cases = [...new Set(rows.map((r) => r.case))];
  const impls = [...new Set(rows.map((r) => r.impl))];
  console.log(`| case | ${impls.join(' | ')} |\n|---|${impls.map(() => '---').join('|')}|`);
  for (const c of cases) {
    const cells = impls.map((i) => { const r = rows.find((x) => x.case === c && x.impl === i); return r ? `${r.value.toFixed(r.unit === 'ms/step' ? 1 : 2)} ${r.unit}` : '—'; });
    console.log(`| ${c} | ${cells.join(' | ')} |`);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchWebGPU({ quick: process.env.NABLA_BENCH_QUICK === '1' });
