/**
 * Benchmark of the GPT job (`node dist/bench/gpt.js [attention] [step] [small] [jax] [tfjs] [gpt2]`; no names: all
 * but gpt2, which is also what `npm run bench gpt` runs; gpt2 runs only when named, or with NABLA_BENCH_GPT2=1):
 *   attention  fused (flash) vs composed causal attention, forward + backward, at T = 256 and 1024 (B = 1, H = 4,
 *              D = 32): median ms and the peak of the backend's bytesInUse (sampled after every kernel)
 *   step       one training step (forward, backward, clip, AdamW) of nanoGPT's CPU recipe shape (4 layers, 4 heads,
 *              width 128, block 64, batch 12, vocabulary 83, dropout 0): ms/step and tokens/s
 *   small      the same step at 2.7 M parameters (6 layers, 6 heads, width 192, block 64, batch 12, vocabulary 83),
 *              the size of the external anchors (TinyGPT 2.74 M, gpt-tfjs 2.5 M)
 *   jax        the recipe step in jax-js (jit(valueAndGrad) + hand-written AdamW, wasm backend), same shapes
 *   tfjs       the recipe step in TensorFlow.js (its wasm backend; tf.variableGrads-based minimize, Adam: tfjs has no
 *              AdamW), the same GPT written in tfjs ops, same shapes and tokens
 *   gpt2       a GPT-2-124M-shaped step (12 layers, 12 heads, 768 wide, vocabulary 50257, B = 4, T = 64): ms/step
 *              and peak bytes (nb.memory.stats; parameters, gradients and AdamW state alone are ~2 GB)
 * Wall-clock medians and the process CPU time per run are both printed: on a shared machine the CPU time is
 * the steadier figure.
 */
import * as nb from '../src/index.js';
import type { Backend } from '../src/backends/backend.js';
import type * as jax from '@jax-js/jax';
import type * as tf from '@tensorflow/tfjs-core';

let sections = process.argv.slice(2).filter((a) => !a.startsWith('-'));
/** gpt2 (minutes, ~3 GB of heap) runs only when asked for */
const want = (s: string) => sections.includes(s) || (sections.length === 0 && (s !== 'gpt2' || process.env.NABLA_BENCH_GPT2 === '1'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** median wall ms and CPU ms (all threads) of fn over `reps` runs after `warm` */
async function time(fn: () => unknown, reps: number, warm = 1): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < warm; i++) await fn();
  const walls: number[] = [], cpus: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    await fn();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

/** run fn while sampling the backend's bytesInUse after every kernel call; returns the peak above the start */
function peakBytes<R>(fn: () => R): { result: R; peak: number } {
  const be = nb.ones([1]).backend as Backend & Record<string, unknown>;
  const start = be.bytesInUse();
  let peak = start;
  const saved: [string, unknown][] = [];
  for (const k of Object.keys(be)) {
    const f = be[k];
    if (typeof f !== 'function' || k === 'bytesInUse' || k === 'read') continue;
    saved.push([k, f]);
    be[k] = (...a: unknown[]) => { const r = (f as (...x: unknown[]) => unknown).apply(be, a); const b = be.bytesInUse(); if (b > peak) peak = b; return r; };
  }
  try {
    return { result: fn(), peak: peak - start };
  } finally {
    for (const [k, f] of saved) be[k] = f;
  }
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

async function benchAttention(): Promise<void> {
  const g = new nb.Generator(0);
  const { fusedAttention } = await import('../src/ops/nn/flashAttention.js');
  for (const T of [256, 1024]) {
    const [B, H, D] = [1, 4, 32];
    const q = nb.randn([B, H, T, D], { generator: g }).requiresGrad_(true), k = nb.randn([B, H, T, D], { generator: g }).requiresGrad_(true), v = nb.randn([B, H, T, D], { generator: g }).requiresGrad_(true);
    const m = new Uint8Array(T * T);
    for (let i = 0; i < T; i++) m.fill(1, i * T, i * T + i + 1);
    const keep = nb.tensor(m, { dtype: 'bool', shape: [T, T] });
    const run = (fused: boolean) => nb.scope(() => {
      const o = fused ? fusedAttention(q, k, v, true, 1 / Math.sqrt(D))! : nb.scaledDotProductAttention(q, k, v, { attnMask: keep });
      nb.autograd.grad(o.sum(), [q, k, v]);
      return 0;
    });
    for (const fused of [true, false, true, false]) {
      const t = await time(() => run(fused), T >= 1024 ? 3 : 5);
      const { peak } = peakBytes(() => run(fused));
      if (fused === (fused && true)) console.log(`attention fwd+bwd T=${T} (B·H=${B * H}, D=${D}) ${fused ? 'fused   ' : 'composed'}: ${t.wall.toFixed(1)} ms wall, ${t.cpu.toFixed(1)} ms CPU, peak ${MB(peak)}`);
    }
  }
}

const RECIPE = { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64, vocabSize: 83, dropout: 0 };

async function benchStep(config: Partial<nb.nn.GPTConfig>, B: number, label: string, reps: number): Promise<void> {
  const g = new nb.Generator(1);
  const t0 = performance.now();
  // built inside a scope: init's temporaries (and the output head's own weight, replaced by the tied embedding) go at once
  const model = nb.scope(() => new nb.nn.GPT(config, { generator: g }));
  const init = performance.now() - t0;
  const T = config.blockSize!;
  const opt = new nb.optim.AdamW([
    { params: model.parameters().filter((p) => p.ndim >= 2), weightDecay: 0.1 },
    { params: model.parameters().filter((p) => p.ndim < 2), weightDecay: 0 },
  ], { lr: 1e-3 });
  const ids = (n: number) => nb.Tensor.fromValues(Int32Array.from({ length: n }, () => g.int(0, config.vocabSize!)), [B, T], 'int32');
  const x = ids(B * T), y = ids(B * T);
  let loss = NaN;
  const step = () => nb.scope(() => {
    const l = model.forward(x, y).loss!;
    l.backward();
    nb.nn.utils.clipGradNorm_(model.parameters(), 1);
    opt.step();
    opt.zeroGrad();
    loss = l.item();
    return 0;
  });
  const before = nb.memory.stats().bytesInUse;
  nb.memory.resetPeak();
  const t = await time(step, reps, 1); // the warm-up step also creates AdamW's state
  const st = nb.memory.stats();
  console.log(`${label}: ${model.numParameters().toLocaleString('en-US')} parameters, B=${B} T=${T}: ${t.wall.toFixed(0)} ms/step wall (${Math.round((B * T) / t.wall * 1000)} tokens/s), ${t.cpu.toFixed(0)} ms CPU (median of ${reps} after 1 warm-up); ` +
    `held ${MB(st.bytesInUse)} (parameters ${MB(before)}), peak ${MB(st.peakBytes)}; init ${init.toFixed(0)} ms; loss ${loss.toFixed(3)}`);
  for (const st2 of opt.state.values()) for (const v of Object.values(st2)) if (v instanceof nb.Tensor) v.dispose();
  for (const p of model.parameters()) p.dispose();
  x.dispose(); y.dispose();
}

/** The recipe GPT in jax-js: jit(valueAndGrad(loss)) + AdamW by hand, the same shapes and init scheme. */
async function benchJax(): Promise<void> {
  const jaxm = await import('@jax-js/jax');
  await jaxm.init('wasm');
  jaxm.defaultDevice('wasm');
  const np = jaxm.numpy;
  const { nLayer: L, nHead: H, nEmbd: C, blockSize: T, vocabSize: V } = RECIPE;
  const B = 12, D = C / H;
  const g = new nb.Generator(2);
  const randn = (shape: number[], std: number) => np.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g.normal() * std)).reshape(shape);
  type P = Record<string, jax.Array>;
  const p: P = { wte: randn([V, C], 0.02), wpe: randn([T, C], 0.02), lnfw: np.ones([C]), lnfb: np.zeros([C]) };
  for (let i = 0; i < L; i++) {
    Object.assign(p, {
      [`l${i}.ln1w`]: np.ones([C]), [`l${i}.ln1b`]: np.zeros([C]), [`l${i}.attnw`]: randn([C, 3 * C], 0.02), [`l${i}.attnb`]: np.zeros([3 * C]),
      [`l${i}.projw`]: randn([C, C], 0.02 / Math.sqrt(2 * L)), [`l${i}.projb`]: np.zeros([C]), [`l${i}.ln2w`]: np.ones([C]), [`l${i}.ln2b`]: np.zeros([C]),
      [`l${i}.fcw`]: randn([C, 4 * C], 0.02), [`l${i}.fcb`]: np.zeros([4 * C]), [`l${i}.fc2w`]: randn([4 * C, C], 0.02 / Math.sqrt(2 * L)), [`l${i}.fc2b`]: np.zeros([C]),
    });
  }
  const keys = Object.keys(p);
  let params = p;
  let m: P = Object.fromEntries(keys.map((k) => [k, np.zerosLike(p[k]!.ref)]));
  let v: P = Object.fromEntries(keys.map((k) => [k, np.zerosLike(p[k]!.ref)]));
  const xs = Int32Array.from({ length: B * T }, () => g.int(0, V)), ys = Int32Array.from({ length: B * T }, () => g.int(0, V));
  const x = np.array(xs, { dtype: np.int32 }).reshape([B, T]);
  const y = jaxm.nn.oneHot(np.array(ys, { dtype: np.int32 }).reshape([B * T]), V);
  const maskVals = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskVals[i * T + j] = -1e9;
  const mask = np.array(maskVals).reshape([T, T]);
  const ln = (h: jax.Array, w: jax.Array, b: jax.Array) => {
    const mu = np.mean(h.ref, -1, { keepdims: true });
    const va = np.var_(h.ref, -1, { keepdims: true });
    return h.sub(mu).div(np.sqrt(va.add(1e-5))).mul(w).add(b);
  };
  // every array is used exactly once (jax-js moves its arguments; .ref keeps one for a second use)
  const lossFn = (q: P, xx: jax.Array, yy: jax.Array, mk: jax.Array): jax.Array => {
    let h = np.take(q.wte!, xx, 0).add(q.wpe!);
    for (let i = 0; i < L; i++) {
      const a = ln(h.ref, q[`l${i}.ln1w`]!, q[`l${i}.ln1b`]!);
      const qkv = np.matmul(a, q[`l${i}.attnw`]!).add(q[`l${i}.attnb`]!).reshape([B, T, 3, H, D]);
      const heads = (j: number) => np.swapaxes(qkv.ref.slice([], [], [j, j + 1]).reshape([B, T, H, D]), 1, 2);
      const qq = heads(0), kk = heads(1), vv = heads(2);
      qkv.dispose();
      const att = jaxm.nn.softmax(np.matmul(qq, np.swapaxes(kk, 2, 3)).mul(1 / Math.sqrt(D)).add(mk.ref), -1);
      const o = np.swapaxes(np.matmul(att, vv), 1, 2).reshape([B, T, C]);
      h = h.add(np.matmul(o, q[`l${i}.projw`]!).add(q[`l${i}.projb`]!));
      const f = jaxm.nn.gelu(np.matmul(ln(h.ref, q[`l${i}.ln2w`]!, q[`l${i}.ln2b`]!), q[`l${i}.fcw`]!).add(q[`l${i}.fcb`]!), { approximate: false });
      h = h.add(np.matmul(f, q[`l${i}.fc2w`]!).add(q[`l${i}.fc2b`]!));
    }
    mk.dispose();
    const logits = np.matmul(ln(h, q.lnfw!, q.lnfb!).reshape([B * T, C]), np.swapaxes(q.wte_out!, 0, 1));
    return jaxm.nn.logSoftmax(logits, -1).mul(yy).sum().mul(-1 / (B * T));
  };
  const [B1, B2, EPS, LR] = [0.9, 0.99, 1e-8, 1e-3];
  const stepJ = jaxm.jit((q: P, mm: P, vv: P, xx: jax.Array, yy: jax.Array, mk: jax.Array, stepSize: jax.Array, invBc2: jax.Array) => {
    // weight tying: the output head reads wte too (its gradient sums both uses)
    const withTie = (r: P) => lossFn({ ...r, wte_out: r.wte!.ref }, xx, yy, mk);
    const [loss, gr] = jaxm.valueAndGrad(withTie)(jaxm.tree.ref(q));
    const nq: P = {}, nm: P = {}, nv: P = {};
    for (const k of keys) {
      const gk = gr[k]!;
      const mk2 = mm[k]!.mul(B1).add(gk.ref.mul(1 - B1));
      const vk = vv[k]!.mul(B2).add(gk.ref.mul(gk).mul(1 - B2));
      const denom = np.sqrt(vk.ref).mul(invBc2.ref).add(EPS);
      nq[k] = q[k]!.sub(mk2.ref.mul(stepSize.ref).div(denom));
      nm[k] = mk2; nv[k] = vk;
    }
    stepSize.dispose(); invBc2.dispose();
    return [nq, nm, nv, loss] as [P, P, P, jax.Array];
  });
  let t = 0, last = NaN;
  const step = async () => {
    t++;
    const out = stepJ(params, m, v, x.ref, y.ref, mask.ref, np.array(new Float32Array([LR / (1 - B1 ** t)])), np.array(new Float32Array([1 / Math.sqrt(1 - B2 ** t)])));
    await jaxm.blockUntilReady(out);
    [params, m, v] = out;
    last = (await out[3].data())[0]!;
  };
  await step(); // traces and compiles
  const r = await time(step, 5, 1);
  console.log(`jax-js (jit, wasm) recipe step: B=${B} T=${T}: ${r.wall.toFixed(0)} ms/step wall (${Math.round((B * T) / r.wall * 1000)} tokens/s), ${r.cpu.toFixed(0)} ms CPU; loss ${last.toFixed(3)}`);
}

/**
 * TensorFlow.js with the tfjs-core gradients registered. tfjs-core's ESM gradient modules use extensionless relative
 * imports, which Node's resolver rejects: a resolve hook retries those with '.js' (bench/run.ts installs the same
 * one; installing it twice is harmless).
 */
async function loadTf(): Promise<typeof tf> {
  const { register } = await import('node:module');
  register('data:text/javascript,' + encodeURIComponent(`export async function resolve(s, c, n) {
    try { return await n(s, c); } catch (e) {
      if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'ERR_UNSUPPORTED_DIR_IMPORT') && s.startsWith('.')) return n(s + '.js', c);
      throw e;
    }
  }`));
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await import('@tensorflow/tfjs-backend-wasm');
  return tf;
}

/**
 * The recipe GPT written in tfjs ops (a bench peer, not a product feature): the same blocks (pre-LayerNorm,
 * causal attention by an additive −1e9 mask, GELU MLP, tied output head), shapes, init scheme and tokens as
 * benchStep's; GELU is the tanh form (tfjs-core has no erf-based gelu op); Adam (tfjs has no AdamW).
 */
async function benchTf(): Promise<void> {
  const tfm = await loadTf();
  await tfm.setBackend('wasm');
  await tfm.ready();
  const { nLayer: L, nHead: H, nEmbd: C, blockSize: T, vocabSize: V } = RECIPE;
  const B = 12, D = C / H;
  const g = new nb.Generator(2);
  const randn = (shape: number[], std: number) => tfm.variable(tfm.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g.normal() * std), shape));
  const ones = (n: number) => tfm.variable(tfm.ones([n])), zeros = (n: number) => tfm.variable(tfm.zeros([n]));
  const wte = randn([V, C], 0.02), wpe = randn([T, C], 0.02), lnfw = ones(C), lnfb = zeros(C);
  const layers = Array.from({ length: L }, () => ({
    ln1w: ones(C), ln1b: zeros(C), attnw: randn([C, 3 * C], 0.02), attnb: zeros(3 * C), projw: randn([C, C], 0.02 / Math.sqrt(2 * L)), projb: zeros(C),
    ln2w: ones(C), ln2b: zeros(C), fcw: randn([C, 4 * C], 0.02), fcb: zeros(4 * C), fc2w: randn([4 * C, C], 0.02 / Math.sqrt(2 * L)), fc2b: zeros(C),
  }));
  const vars = [wte, wpe, lnfw, lnfb, ...layers.flatMap((l) => Object.values(l))];
  // the token embedding as a one-hot matmul: tfjs-wasm has no kernel for gather's gradient (UnsortedSegmentSum)
  const x = tfm.tensor1d(Int32Array.from({ length: B * T }, () => g.int(0, V)), 'int32');
  const xOneHot = tfm.cast(tfm.oneHot(x, V), 'float32');
  const y = tfm.oneHot(tfm.tensor1d(Int32Array.from({ length: B * T }, () => g.int(0, V)), 'int32'), V);
  const maskVals = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskVals[i * T + j] = -1e9;
  const mask = tfm.tensor2d(maskVals, [T, T]);
  const ln = (h: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tfm.moments(h, -1, true);
    return tfm.add(tfm.mul(tfm.div(tfm.sub(h, mean), tfm.sqrt(tfm.add(variance, 1e-5))), w), b);
  };
  const gelu = (u: tf.Tensor) => tfm.mul(tfm.mul(u, 0.5), tfm.add(1, tfm.tanh(tfm.mul(Math.sqrt(2 / Math.PI), tfm.add(u, tfm.mul(0.044715, tfm.pow(u, 3)))))));
  const heads = (t: tf.Tensor) => tfm.transpose(tfm.reshape(t, [B, T, H, D]), [0, 2, 1, 3]);
  const lossFn = (): tf.Scalar => {
    let h: tf.Tensor = tfm.add(tfm.reshape(tfm.matMul(xOneHot, wte), [B, T, C]), wpe);
    for (const l of layers) {
      const qkv = tfm.add(tfm.matMul(tfm.reshape(ln(h, l.ln1w, l.ln1b), [B * T, C]), l.attnw), l.attnb);
      const [q, k, v] = tfm.split(tfm.reshape(qkv, [B, T, 3 * C]), 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const att = tfm.softmax(tfm.add(tfm.mul(tfm.matMul(heads(q!), heads(k!), false, true), 1 / Math.sqrt(D)), mask));
      const o = tfm.reshape(tfm.transpose(tfm.matMul(att, heads(v!)), [0, 2, 1, 3]), [B * T, C]);
      h = tfm.add(h, tfm.reshape(tfm.add(tfm.matMul(o, l.projw), l.projb), [B, T, C]));
      const f = gelu(tfm.add(tfm.matMul(tfm.reshape(ln(h, l.ln2w, l.ln2b), [B * T, C]), l.fcw), l.fcb));
      h = tfm.add(h, tfm.reshape(tfm.add(tfm.matMul(f, l.fc2w), l.fc2b), [B, T, C]));
    }
    const logits = tfm.matMul(tfm.reshape(ln(h, lnfw, lnfb), [B * T, C]), wte, false, true);
    return tfm.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  };
  const opt = tfm.train.adam(1e-3, 0.9, 0.99, 1e-8);
  let last = NaN;
  const step = () => {
    const l = opt.minimize(lossFn, true, vars)!;
    last = l.dataSync()[0]!;
    l.dispose();
  };
  const n0 = tfm.memory().numTensors;
  const r = await time(step, 5, 2);
  const leak = tfm.memory().numTensors - n0;
  console.log(`tfjs (wasm backend, ${(await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount()} threads) recipe step: B=${B} T=${T}: ${r.wall.toFixed(0)} ms/step wall (${Math.round((B * T) / r.wall * 1000)} tokens/s), ${r.cpu.toFixed(0)} ms CPU; Adam (tfjs has no AdamW); loss ${last.toFixed(3)}${leak > 0 ? `; ${leak} tensors left (optimizer state)` : ''}`);
  opt.dispose();
  tfm.dispose([...vars, x, xOneHot, y, mask]);
}

/** ~2.7 M parameters: 12·C² per layer · 6 layers + embeddings */
const SMALL = { nLayer: 6, nHead: 6, nEmbd: 192, blockSize: 64, vocabSize: 83, dropout: 0 };

/** Run the named parts (attention, step, jax, gpt2; none = all). */
export async function benchGpt(parts: string[] = sections): Promise<void> {
  sections = parts;
  console.log(`gpt bench on ${nb.getBackend()}; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (want('attention')) await benchAttention();
  if (want('step')) await benchStep(RECIPE, 12, 'nabla recipe step (4L 4H 128w, char)', 10);
  if (want('small')) await benchStep(SMALL, 12, 'nabla 2.7M step (6L 6H 192w, block 64, char)', 10);
  if (want('jax')) {
    try { await benchJax(); } catch (e) { console.log(`jax-js recipe step: failed: ${(e as Error).message.split('\n')[0]}`); }
  }
  if (want('tfjs')) {
    try { await benchTf(); } catch (e) { console.log(`tfjs recipe step: failed: ${(e as Error).message.split('\n')[0]}`); }
  }
  if (want('gpt2')) await benchStep({ nLayer: 12, nHead: 12, nEmbd: 768, blockSize: 64, vocabSize: 50257, dropout: 0 }, 4, 'nabla GPT-2-124M-shaped step', 3);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchGpt(sections);
