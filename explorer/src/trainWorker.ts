/**
 * Trains an MLP on the bundled MNIST digits inside a Web Worker, with nabla on its default backend (WebAssembly
 * SIMD; a worker pool of its own when the page is cross-origin isolated). Messages in: start, stop, predict.
 * Messages out: ready, progress (step, loss), eval (accuracy on held-out digits, a grid of predictions),
 * prediction (class probabilities of a drawn digit), done, error.
 */
import type * as NB from 'nabla';
import { loadDigits, type Digits } from './mnistData.js';

// nabla is imported dynamically: its module start is asynchronous (the wasm backend starts its own worker pool),
// and a module worker's messages that arrive before a static import settles would find no onmessage yet
const nabla: Promise<typeof NB> = import('nabla');
let nb: typeof NB;

export type WorkerIn =
  | { type: 'start'; url: string; steps: number; batch: number; lr: number; evalEvery: number }
  | { type: 'stop' }
  | { type: 'predict'; pixels: Float32Array };
export type WorkerOut =
  | { type: 'ready'; backend: string; threads: number; isolated: boolean; train: number; test: number }
  | { type: 'progress'; step: number; loss: number; msPerStep: number }
  | { type: 'eval'; step: number; accuracy: number; grid: { pixels: number[]; label: number; pred: number }[] }
  | { type: 'prediction'; probs: number[] }
  | { type: 'done'; step: number }
  | { type: 'error'; message: string };

const post = (m: WorkerOut) => (self as unknown as Worker).postMessage(m);
const TEST = 1000, GRID = 32;

let model: NB.nn.Sequential | null = null;
let stopRequested = false;

function split(d: Digits) {
  // a fixed shuffle (Park–Miller LCG) so train/test are mixed classes and reproducible
  const idx = Array.from({ length: d.count }, (_, i) => i);
  let s = 12345;
  for (let i = idx.length - 1; i > 0; i--) {
    s = (s * 16807) % 2147483647;
    const j = s % (i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return { test: idx.slice(0, TEST), train: idx.slice(TEST) };
}

function batchOf(d: Digits, ids: number[]): { x: NB.Tensor; y: NB.Tensor } {
  const x = new Float32Array(ids.length * 784), y = new Int32Array(ids.length);
  ids.forEach((id, r) => {
    for (let p = 0; p < 784; p++) x[r * 784 + p] = d.pixels[id * 784 + p]! / 255;
    y[r] = d.labels[id]!;
  });
  return { x: nb.tensor(x, { shape: [ids.length, 784] }), y: nb.tensor(y, { shape: [ids.length], dtype: 'int32' }) };
}

async function train(msg: Extract<WorkerIn, { type: 'start' }>): Promise<void> {
  nb = await nabla;
  const digits = await loadDigits(msg.url);
  const { train: trainIds, test: testIds } = split(digits);
  const gen = new nb.Generator(0);
  model = new nb.nn.Sequential(new nb.nn.Linear(784, 128, { generator: gen }), new nb.nn.ReLU(), new nb.nn.Linear(128, 10, { generator: gen }));
  const opt = new nb.optim.Adam(model.parameters(), { lr: msg.lr });
  const be = nb.getBackend();
  post({ type: 'ready', backend: be, threads: (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1, isolated: self.crossOriginIsolated, train: trainIds.length, test: testIds.length });
  const testSet = batchOf(digits, testIds);
  const evaluate = (step: number) => {
    const { accuracy, preds } = nb.scope(() => nb.noGrad(() => {
      const logits = model!.call(testSet.x);
      const pred = nb.argmax(logits, 1);
      const acc = nb.eq(pred, testSet.y).to('float32').mean().item();
      return { accuracy: acc, preds: Array.from(pred.data(), Number) };
    }));
    const grid = testIds.slice(0, GRID).map((id, i) => ({
      pixels: Array.from(digits.pixels.subarray(id * 784, id * 784 + 784)),
      label: digits.labels[id]!,
      pred: preds[i]!,
    }));
    post({ type: 'eval', step, accuracy, grid });
  };
  evaluate(0);
  let cursor = 0;
  const t0 = performance.now();
  for (let step = 1; step <= msg.steps && !stopRequested; step++) {
    const ids: number[] = [];
    for (let i = 0; i < msg.batch; i++) ids.push(trainIds[(cursor++) % trainIds.length]!);
    const loss = nb.scope(() => {
      const { x, y } = batchOf(digits, ids);
      const l = nb.crossEntropy(model!.call(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.item();
    });
    post({ type: 'progress', step, loss, msPerStep: (performance.now() - t0) / step });
    if (step % msg.evalEvery === 0 || step === msg.steps) evaluate(step);
    // let 'stop' and 'predict' messages in
    if (step % 5 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  post({ type: 'done', step: msg.steps });
}

self.onmessage = (e: MessageEvent<WorkerIn>) => {
  const msg = e.data;
  if (msg.type === 'start') {
    stopRequested = false;
    train(msg).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) }));
  } else if (msg.type === 'stop') {
    stopRequested = true;
  } else if (msg.type === 'predict') {
    if (!model) return post({ type: 'error', message: 'predict: no model yet; start training first' });
    const probs = nb.scope(() => nb.noGrad(() => Array.from(nb.softmax(model!.call(nb.tensor(msg.pixels, { shape: [1, 784] })), 1).data(), Number)));
    post({ type: 'prediction', probs });
  }
};
