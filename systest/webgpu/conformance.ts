/**
 * The op table on the webgpu backend, in float32: each row's forward against its float64 reference, and the
 * gradient of Σ w·f(x) (w fixed random weights) against the same computation on the portable `ts` backend in
 * float32. Also a short MLP and CNN training run on webgpu against ts (same init, same batches), and a
 * 1,000-step loop whose buffer pool must stay flat. Runs in Node (node_suite.ts) and in Chromium
 * (chromium.test.ts); it imports nothing Node-specific.
 */
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { opCases, type Arr, type OpCase } from '../../test/ops_table.js';
import { sampleInputs, seedOf } from '../../test/op_inputs.js';
import { backendNamed } from '../../src/backends/registry.js';
import type { WebGPUBackend } from '../../src/backends/webgpu/index.js';

/** float32 tolerance |got − want| ≤ atol + rtol·|want|, looser for the ops whose float32 error grows */
const DEFAULT_TOL = { rtol: 2e-5, atol: 2e-5 };
const TOL: Record<string, { rtol: number; atol: number }> = {
  pow: { rtol: 1e-4, atol: 1e-5 },
  sin: { rtol: 1e-4, atol: 1e-5 },
  cos: { rtol: 1e-4, atol: 1e-5 },
  prod: { rtol: 1e-4, atol: 1e-5 },
  var: { rtol: 1e-4, atol: 1e-5 },
  std: { rtol: 1e-4, atol: 1e-5 },
};
const tolOf = (name: string) => TOL[name.split(/[ (]/)[0]!] ?? DEFAULT_TOL;

const flat = (y: Tensor | Tensor[]): Tensor[] => (Array.isArray(y) ? y : [y]);

/** forward values and input gradients of one case on the current backend */
async function evaluate(c: OpCase, inputs: number[][]): Promise<{ out: number[][]; grads: (number[] | null)[] }> {
  const xs = c.shapes.map((s, i) => nb.tensor(inputs[i]!, { shape: s, dtype: 'float32' }).requiresGrad_());
  const outs = flat(c.fn(...xs));
  const g = new nb.Generator(seedOf(c.name) + 1);
  let loss: Tensor | null = null;
  for (const o of outs) {
    if (!nb.isTensor(o) || o.dtype !== 'float32') continue;
    const w = nb.tensor(Array.from({ length: o.numel() }, () => g.normal()), { shape: o.shape, dtype: 'float32' });
    const term = nb.sum(nb.mul(o, w));
    loss = loss ? nb.add(loss, term) : term;
  }
  if (loss && loss.requiresGrad) loss.backward();
  const out = await Promise.all(outs.map(async (o) => Array.from(await o.dataAsync())));
  const grads = await Promise.all(xs.map(async (x) => (x.grad ? Array.from(await x.grad.dataAsync()) : null)));
  return { out, grads };
}

function compare(what: string, got: readonly number[], want: readonly number[], tol: { rtol: number; atol: number }): string | null {
  if (got.length !== want.length) return `${what}: ${got.length} values, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (a === b) continue; // also ±∞ (an all −∞ row's logsumexp)
    if (Number.isNaN(b) ? !Number.isNaN(a) : !(Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b))) {
      return `${what}: element ${i} is ${a}, expected ${b} (rtol ${tol.rtol}, atol ${tol.atol})`;
    }
  }
  return null;
}

const i32 = (v: number[], shape?: number[]) => nb.tensor(v, { shape, dtype: 'int32' });
const bool = (v: number[], shape: number[]) => nb.tensor(v.map((x) => x !== 0), { shape, dtype: 'bool' });

/**
 * nn ops as rows (no float64 reference: each is checked against the ts backend in float32, forward and
 * gradients). They cover the kernels the op table does not reach: softmax rows, unfold/fold (convolution and
 * its input gradient), pooling, index ops of embeddings and losses, norms, masked attention.
 */
export const nnCases: OpCase[] = [
  { name: 'softmax dim 1', fn: (x) => nb.softmax(x, 1), shapes: [[3, 70]], twiceDifferentiable: true },
  { name: 'softmax dim 0 (strided rows)', fn: (x) => nb.softmax(x, 0), shapes: [[5, 3]], twiceDifferentiable: true },
  { name: 'logSoftmax dim -1', fn: (x) => nb.logSoftmax(x, -1), shapes: [[2, 3, 5]], twiceDifferentiable: true },
  { name: 'crossEntropy', fn: (x) => nb.crossEntropy(x, i32([1, 0, 3, 2])), shapes: [[4, 5]], twiceDifferentiable: true },
  { name: 'crossEntropy ignoreIndex, sum', fn: (x) => nb.crossEntropy(x, i32([1, -100, 3]), { ignoreIndex: -100, reduction: 'sum' }), shapes: [[3, 4]], twiceDifferentiable: true },
  { name: 'nllLoss', fn: (x) => nb.nllLoss(nb.logSoftmax(x, 1), i32([2, 0, 1])), shapes: [[3, 4]], twiceDifferentiable: true },
  { name: 'mseLoss', fn: (x, y) => nb.mseLoss(x, y), shapes: [[3, 4], [3, 4]], twiceDifferentiable: true },
  { name: 'huberLoss', fn: (x, y) => nb.huberLoss(x, y), shapes: [[3, 4], [3, 4]], twiceDifferentiable: true },
  { name: 'binaryCrossEntropyWithLogits', fn: (x) => nb.binaryCrossEntropyWithLogits(x, nb.tensor([[1, 0, 1], [0, 0, 1]])), shapes: [[2, 3]], twiceDifferentiable: true },
  { name: 'layerNorm with affine', fn: (x, w, b) => nb.layerNorm(x, [6], w, b), shapes: [[4, 6], [6], [6]], twiceDifferentiable: true },
  { name: 'rmsNorm', fn: (x, w) => nb.rmsNorm(x, [5], w), shapes: [[3, 5], [5]], twiceDifferentiable: true },
  { name: 'batchNorm training', fn: (x, w, b) => nb.batchNorm(x, null, null, w, b, { training: true }), shapes: [[4, 3, 2, 2], [3], [3]], twiceDifferentiable: true },
  { name: 'embedding', fn: (w) => nb.embedding(i32([3, 1, 3, 0], [2, 2]), w), shapes: [[5, 4]], twiceDifferentiable: true },
  { name: 'conv2d padding 1, bias', fn: (x, w, b) => nb.conv2d(x, w, b, { padding: 1 }), shapes: [[2, 2, 5, 5], [3, 2, 3, 3], [3]], twiceDifferentiable: true },
  { name: 'conv2d stride 2, dilation 2', fn: (x, w) => nb.conv2d(x, w, null, { stride: 2, dilation: 2 }), shapes: [[1, 2, 7, 7], [2, 2, 2, 2]], twiceDifferentiable: true },
  { name: 'conv1d', fn: (x, w) => nb.conv1d(x, w, null, { padding: 1 }), shapes: [[2, 3, 6], [4, 3, 3]], twiceDifferentiable: true },
  { name: 'maxPool2d 2×2', fn: (x) => nb.maxPool2d(x, { kernelSize: 2 }), shapes: [[2, 2, 4, 4]], twiceDifferentiable: true },
  { name: 'maxPool2d 3×3 stride 2 padding 1', fn: (x) => nb.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), shapes: [[1, 2, 5, 5]], twiceDifferentiable: true },
  { name: 'avgPool2d 2×2 padding 1', fn: (x) => nb.avgPool2d(x, { kernelSize: 2, padding: 1 }), shapes: [[1, 2, 4, 4]], twiceDifferentiable: true },
  { name: 'fold (col2im)', fn: (x) => nb.fold(x, { kernelSize: 2, outputSize: [3, 3] }), shapes: [[1, 8, 4]], twiceDifferentiable: true },
  { name: 'unfold (im2col)', fn: (x) => nb.unfold(x, { kernelSize: 2, padding: 1 }), shapes: [[1, 2, 3, 3]], twiceDifferentiable: true },
  {
    name: 'scaledDotProductAttention causal', fn: (q, k, v) => nb.scaledDotProductAttention(q, k, v, { isCausal: true }),
    shapes: [[2, 4, 3], [2, 4, 3], [2, 4, 3]], twiceDifferentiable: true,
  },
  {
    name: 'scaledDotProductAttention bool mask with a dead row', fn: (q, k, v) => nb.scaledDotProductAttention(q, k, v, { attnMask: bool([0, 0, 0, 1, 1, 0, 1, 1, 1], [3, 3]) }),
    shapes: [[1, 3, 2], [1, 3, 2], [1, 3, 2]], twiceDifferentiable: true,
  },
  { name: 'linear + gelu (fused bias + activation, pre-activation kept)', fn: (x, w, b) => nb.linear(x, w, b, { activation: 'gelu' }), shapes: [[5, 3], [4, 3], [4]], twiceDifferentiable: true },
  { name: 'linear + silu, no bias', fn: (x, w) => nb.linear(x, w, null, { activation: 'silu' }), shapes: [[2, 3, 6], [5, 6]], twiceDifferentiable: true },
  { name: 'argmax then gather (index path)', fn: (x) => nb.gather(x, 1, nb.argmax(x, 1, true)), shapes: [[4, 6]], twiceDifferentiable: true },
  { name: 'sum over 200 (workgroup tree)', fn: (x) => nb.sum(x, 1), shapes: [[3, 200]], twiceDifferentiable: true },
  { name: 'max over 150 of a transpose', fn: (x) => nb.amax(x.T, 1), shapes: [[150, 2]], twiceDifferentiable: true },
  { name: 'matmul 37×45·45×33 transposed operand', fn: (x, y) => nb.matmul(x, y.T), shapes: [[37, 45], [33, 45]], twiceDifferentiable: true },
];

export interface ConformanceReport {
  cases: number;
  gradients: number;
  failures: string[];
  /** rows that refused with their documented error (advanced indexing: synchronous read; sort: no kernel) */
  refused: number;
}

/**
 * Rows that must refuse on webgpu, each with the clear error it must give (and only these may throw):
 *  - advanced reads (integer tensors/arrays, masks) and index writes read their index data on the host, which
 *    webgpu cannot do synchronously;
 *  - sort/argsort/topk need Backend.sort, a kernel the webgpu backend does not have yet.
 */
const REFUSED_ROWS: { rows: RegExp; error: RegExp }[] = [
  { rows: /^(index (int32 tensor|full-shape mask)|indexPut)/, error: /webgpu backend cannot read .* synchronously; use await/ },
  { rows: /^(sort|argsort|topk) /, error: /^(sort|argsort|topk): the webgpu backend has no sort kernel \(Backend\.sort\)/ },
];
const refusalOf = (name: string) => REFUSED_ROWS.find((r) => r.rows.test(name));

/** Run every op-table row on webgpu (the current backend must be webgpu) against the references. */
export async function runOpTable(): Promise<ConformanceReport> {
  const failures: string[] = [];
  let cases = 0, gradients = 0, refused = 0;
  // rows over an empty dim (size-0 inputs) are left to the CPU backends: a WebGPU binding cannot be empty
  for (const c of [...opCases, ...nnCases].filter((r) => !r.shapes.some((s) => s.includes(0)))) {
    const inputs = sampleInputs(c); // seeded draws, or the row's fixed edge-point values
    const tol = tolOf(c.name);
    try {
      await nb.setBackend('webgpu');
      const gpu = await evaluate(c, inputs);
      await nb.setBackend('ts');
      const ref = await evaluate(c, inputs);
      cases++;
      if (c.ref) {
        const r = c.ref(...c.shapes.map((s, i): Arr => ({ shape: s.slice(), data: inputs[i]!.map((v) => Math.fround(v)) })));
        const want = (Array.isArray(r) ? r : [r]).flatMap((a) => a.data);
        const err = compare(`${c.name} forward vs float64 reference`, gpu.out.flat(), want, { rtol: tol.rtol * 2, atol: tol.atol * 2 });
        if (err) failures.push(err);
      }
      const err = compare(`${c.name} forward vs ts float32`, gpu.out.flat(), ref.out.flat(), tol);
      if (err) failures.push(err);
      gpu.grads.forEach((gg, i) => {
        const rg = ref.grads[i];
        if ((gg === null) !== (rg === null)) failures.push(`${c.name}: input ${i} has a gradient on one backend only`);
        if (gg && rg) {
          gradients++;
          const e2 = compare(`${c.name} gradient of input ${i} vs ts float32`, gg, rg, { rtol: tol.rtol * 5, atol: tol.atol * 5 });
          if (e2) failures.push(e2);
        }
      });
    } catch (e) {
      // the rows of REFUSED_ROWS must refuse with their clear error — and only they may
      const msg = String((e as Error).message ?? e);
      if (refusalOf(c.name)?.error.test(msg)) refused++;
      else failures.push(`${c.name}: threw ${(e as Error).stack ?? e}`);
    } finally {
      await nb.setBackend('ts');
    }
  }
  const expected = [...opCases, ...nnCases].filter((r) => refusalOf(r.name) && !r.shapes.some((s) => s.includes(0))).length;
  if (refused !== expected) failures.push(`${expected} rows (advanced indexing, sort) should refuse on webgpu with their clear error, ${refused} did`);
  return { cases, gradients, failures, refused };
}

/** A few small batches of a seeded classification problem. */
function batches(n: number, inF: number, classes: number, seed: number): { x: number[]; y: number[] }[] {
  const g = new nb.Generator(seed);
  return Array.from({ length: n }, () => ({
    x: Array.from({ length: 16 * inF }, () => g.normal()),
    y: Array.from({ length: 16 }, () => Math.floor(g.random() * classes)),
  }));
}

async function trainLosses(backend: string, kind: 'mlp' | 'cnn', steps: number): Promise<number[]> {
  await nb.setBackend(backend);
  const g = new nb.Generator(7);
  const model = kind === 'mlp'
    ? new nb.nn.Sequential(new nb.nn.Linear(12, 32, { generator: g }), new nb.nn.GELU(), new nb.nn.Linear(32, 4, { generator: g }))
    : new nb.nn.Sequential(new nb.nn.Conv2d(1, 4, 3, { padding: 1, generator: g }), new nb.nn.ReLU(), new nb.nn.MaxPool2d(2),
      new nb.nn.Flatten(), new nb.nn.Linear(4 * 3 * 3, 4, { generator: g }));
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-2 });
  // one batch, seen every step: the loss must fall (fitting it), and both backends must fall alike
  const data = Array.from({ length: steps }, () => batches(1, kind === 'mlp' ? 12 : 36, 4, 11)[0]!);
  const pending: Tensor[] = [];
  for (const b of data) {
    const x = nb.tensor(b.x, { shape: kind === 'mlp' ? [16, 12] : [16, 1, 6, 6] });
    const y = nb.tensor(b.y, { dtype: 'int32' });
    const loss = nb.crossEntropy(model.call(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    pending.push(loss.detach());
  }
  const out: number[] = [];
  for (const l of pending) out.push(await l.itemAsync()); // the reads come after all steps were enqueued
  await nb.setBackend('ts');
  return out;
}

/** MLP and CNN training on webgpu and on ts from the same init: the loss curves agree within float32 drift. */
export async function runTraining(steps = 12): Promise<{ failures: string[]; losses: Record<string, [number, number]> }> {
  const failures: string[] = [];
  const losses: Record<string, [number, number]> = {};
  for (const kind of ['mlp', 'cnn'] as const) {
    const gpu = await trainLosses('webgpu', kind, steps);
    const ref = await trainLosses('ts', kind, steps);
    losses[kind] = [gpu[gpu.length - 1]!, ref[ref.length - 1]!];
    const err = compare(`${kind} training losses (webgpu vs ts)`, gpu, ref, { rtol: 1e-3, atol: 1e-4 });
    if (err) failures.push(err);
    if (!(gpu[gpu.length - 1]! < gpu[0]!)) failures.push(`${kind}: the loss did not fall on webgpu (${gpu[0]} → ${gpu[gpu.length - 1]})`);
  }
  return { failures, losses };
}

/** 1,000 training steps (reading the loss every 10th): after the first 100, no GPUBuffer is created and bytes in use stay at one level. */
export async function runPoolFlat(steps = 1000): Promise<{ failures: string[]; stats: unknown }> {
  await nb.setBackend('webgpu');
  const be = backendNamed('webgpu') as unknown as WebGPUBackend;
  const g = new nb.Generator(3);
  const model = new nb.nn.Sequential(new nb.nn.Linear(8, 16, { generator: g }), new nb.nn.ReLU(), new nb.nn.Linear(16, 3, { generator: g }));
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nb.randn([32, 8], { generator: g }), y = nb.randint(0, 3, [32], { generator: g });
  const snap: { created: number; bytes: number; blocks: number }[] = [];
  const failures: string[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = nb.scope(() => {
      const l = nb.crossEntropy(model.call(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.detach();
    });
    if (i % 10 === 0) await loss.itemAsync(); // the loss print: staging buffers for reads are pooled too
    loss.dispose();
    if (i % 100 === 99) {
      await be.sync();
      const s = be.poolStats();
      snap.push({ created: s.buffersCreated, bytes: s.bytesInUse, blocks: s.blocksInUse });
    }
  }
  const first = snap[0]!, last = snap[snap.length - 1]!;
  if (last.created !== first.created) failures.push(`buffer pool grew: ${first.created} buffers created after 100 steps, ${last.created} after ${steps}`);
  if (last.bytes !== first.bytes || last.blocks !== first.blocks) failures.push(`bytes/blocks in use drifted: ${JSON.stringify(first)} → ${JSON.stringify(last)}`);
  await nb.setBackend('ts');
  return { failures, stats: { snapshots: snap, pipelines: be.pipelineCount(), submits: be.poolStats().submits } };
}
