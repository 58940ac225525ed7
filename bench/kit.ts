/**
 * Large-model kit measurements (node dist/bench/kit.js [ckpt] [amp] [amp16] [gpt]): peak memory and step time with
 * and without activation checkpointing (8-layer MLP, a 4-block transformer stack, nn.GPT's gradientCheckpointing),
 * and float32 vs bfloat16 / float16 autocast (a large MLP, the GPT). Peaks come from nb.memory.record (eager release on: activations freed when backward is done with them);
 * times are medians of alternated A/B runs after a warm-up. Prints a markdown table and JSON.
 */
import * as nb from '../src/index.js';

type Step = () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Alternate A and B `reps` times (after one measured run each); `reset` (zeroing grads) runs before each, outside
 * the measurement. Returns median ms, the peak bytes over the start, and the bytes held at the 'forward' mark
 * (the activations kept for backward).
 */
function compare(a: Step, b: Step, reps: number, reset: () => void) {
  const peak = (f: Step) => {
    reset();
    const tl = nb.memory.record(f);
    const fwd = tl.events.find((e) => e.kind === 'mark' && e.op === 'forward');
    return { peak: tl.peakBytes - tl.startBytes, forward: (fwd?.bytesInUse ?? tl.startBytes) - tl.startBytes };
  };
  const pa = peak(a), pb = peak(b);
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < reps; i++) {
    for (const [f, out] of [[a, ta], [b, tb]] as const) {
      reset();
      const t0 = performance.now();
      nb.scope(f);
      out.push(performance.now() - t0);
    }
  }
  return { a: { ms: median(ta), ...pa }, b: { ms: median(tb), ...pb } };
}

type Result = ReturnType<typeof compare>;
function row(model: string, technique: string, r: Result) {
  const pct = (on: number, off: number) => `${(100 * (on / off - 1)).toFixed(0)}%`;
  rows.push([model, technique, `${mb(r.a.forward)} → ${mb(r.b.forward)} (${pct(r.b.forward, r.a.forward)})`, `${mb(r.a.peak)} → ${mb(r.b.peak)} (${pct(r.b.peak, r.a.peak)})`, `${r.a.ms.toFixed(0)} → ${r.b.ms.toFixed(0)} (${r.b.ms >= r.a.ms ? '+' : ''}${pct(r.b.ms, r.a.ms)})`]);
}

const rows: string[][] = [];
const json: Record<string, unknown> = {};
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

function mlpCase() {
  const g = new nb.Generator(1);
  const layers = Array.from({ length: 8 }, (_, i) => new nb.nn.Linear(512, 512, { generator: g, activation: i < 7 ? 'relu' : 'none' }));
  const model = new nb.nn.Sequential(...layers);
  const x = nb.keep(nb.randn([256, 512], { generator: g }));
  const plain = () => { const out = model.call(x) as nb.Tensor; nb.memory.mark('forward'); out.square().mean().backward(); };
  const ckpt = () => {
    let h = x;
    for (let s = 0; s < 8; s += 2) h = nb.utils.checkpoint((v: nb.Tensor) => layers[s + 1]!.call(layers[s]!.call(v)) as nb.Tensor, h);
    nb.memory.mark('forward');
    h.square().mean().backward();
  };
  const r = compare(plain, ckpt, 5, () => model.zeroGrad());
  row('MLP 8×(512→512, ReLU), batch 256', 'checkpoint every 2 layers', r);
  json.mlpCheckpoint = r;
}

class Block extends nb.nn.Module {
  ln1: nb.nn.LayerNorm; attn: nb.nn.MultiheadAttention; ln2: nb.nn.LayerNorm; fc1: nb.nn.Linear; fc2: nb.nn.Linear;
  constructor(d: number, heads: number) {
    super();
    this.ln1 = new nb.nn.LayerNorm(d);
    this.attn = new nb.nn.MultiheadAttention(d, heads, { batchFirst: true });
    this.ln2 = new nb.nn.LayerNorm(d);
    this.fc1 = new nb.nn.Linear(d, 4 * d, { activation: 'gelu' });
    this.fc2 = new nb.nn.Linear(4 * d, d);
  }
  forward(x: nb.Tensor): nb.Tensor {
    const h = this.ln1.call(x) as nb.Tensor;
    const [a] = this.attn.call(h, h, h, { needWeights: false, isCausal: true }) as [nb.Tensor, nb.Tensor | null];
    const y = x.add(a);
    return y.add(this.fc2.call(this.fc1.call(this.ln2.call(y) as nb.Tensor) as nb.Tensor) as nb.Tensor);
  }
}

function transformerCase() {
  nb.manualSeed(3);
  const blocks = Array.from({ length: 4 }, () => new Block(128, 4));
  const x = nb.keep(nb.randn([8, 64, 128]));
  const zero = () => blocks.forEach((b) => b.zeroGrad());
  const run = (wrap: (b: Block, h: nb.Tensor) => nb.Tensor) => () => {
    const out = blocks.reduce((h, b) => wrap(b, h), x);
    nb.memory.mark('forward');
    out.square().mean().backward();
  };
  const r = compare(run((b, h) => b.call(h) as nb.Tensor), run((b, h) => nb.utils.checkpoint((v: nb.Tensor) => b.call(v) as nb.Tensor, h)), 5, zero);
  row('4 pre-LN transformer blocks (d 128, 4 heads, causal), [8, 64, 128]', 'checkpoint every block', r);
  json.transformerCheckpoint = r;
}

function ampCase(dtype: 'bfloat16' | 'float16' = 'bfloat16') {
  const g = new nb.Generator(2);
  const model = new nb.nn.Sequential(
    new nb.nn.Linear(784, 1024, { generator: g, activation: 'relu' }),
    new nb.nn.Linear(1024, 1024, { generator: g, activation: 'relu' }),
    new nb.nn.Linear(1024, 10, { generator: g }),
  );
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-3 });
  const x = nb.keep(nb.randn([256, 784], { generator: g }));
  const y = nb.keep(nb.randint(0, 10, [256], { generator: g }));
  const step = (amp: boolean) => () => {
    const loss = nb.autocast({ dtype, enabled: amp }, () => nb.crossEntropy(model.call(x) as nb.Tensor, y));
    nb.memory.mark('forward');
    loss.backward();
    opt.step();
  };
  nb.scope(step(false)); // optimizer state exists before measuring
  const r = compare(step(false), step(true), 5, () => opt.zeroGrad());
  row('MLP 784-1024-1024-10, batch 256, AdamW step', `${dtype === 'bfloat16' ? 'bf16' : 'f16'} autocast (off = float32)`, r);
  json[dtype === 'bfloat16' ? 'autocastMlp' : 'autocastMlpF16'] = r;
}

/** bench/gpt.ts's small step: 6 layers, 6 heads, width 192, block 64, batch 12, vocabulary 83, AdamW */
function gptCase() {
  const config = { nLayer: 6, nHead: 6, nEmbd: 192, blockSize: 64, vocabSize: 83, dropout: 0 };
  const model = new nb.nn.GPT(config, { generator: new nb.Generator(4) });
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-3 });
  const g = new nb.Generator(5);
  const ids = () => nb.keep(nb.Tensor.fromValues(Int32Array.from({ length: 12 * 64 }, () => g.int(0, 83)), [12, 64], 'int32'));
  const x = ids(), y = ids();
  const step = (amp: boolean, ckpt: boolean) => () => {
    model.gradientCheckpointing = ckpt;
    const { loss } = nb.autocast({ dtype: 'bfloat16', enabled: amp }, () => model.forward(x, y));
    nb.memory.mark('forward');
    loss!.backward();
    opt.step();
  };
  nb.scope(step(false, false));
  const name = 'GPT 6L 6H 192w (2.7 M), block 64, batch 12, AdamW step';
  const amp = compare(step(false, false), step(true, false), 5, () => opt.zeroGrad());
  row(name, 'bf16 autocast (off = float32)', amp);
  const ck = compare(step(false, false), step(false, true), 5, () => opt.zeroGrad());
  row(name, 'gradientCheckpointing (every block)', ck);
  json.gpt = { autocast: amp, checkpointing: ck };
}

const which = process.argv.slice(2);
const want = (k: string) => which.length === 0 || which.includes(k);
if (want('ckpt')) { mlpCase(); transformerCase(); }
if (want('amp')) ampCase();
if (want('amp16')) ampCase('float16');
if (want('gpt')) gptCase();
console.log(`backend ${nb.getBackend()}\n`);
console.log('| model | technique | MB held after forward (off → on) | peak MB (off → on) | ms/step (off → on) |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log('\n' + JSON.stringify(json));
