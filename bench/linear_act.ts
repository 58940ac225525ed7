/**
 * Fused Linear + ReLU against Sequential(Linear, ReLU): one training step (forward, backward, AdamW) of MLP
 * 784-256-10 at batch 128 on the current backend (NABLA_BACKEND), the two models stepped alternately so
 * machine noise hits both alike; medians of the per-step times (plus forward / backward medians).
 *
 *   NABLA_BACKEND=wasm node dist/bench/linear_act.js [steps]
 */
import * as nb from '../src/index.js';

const STEPS = Number(process.argv[2] ?? 200);
const WARM = 20;
const B = 128;

function model(fused: boolean): nb.nn.Module {
  const g = new nb.Generator(7);
  return fused
    ? new nb.nn.Sequential(new nb.nn.Linear(784, 256, { activation: 'relu', generator: g }), new nb.nn.Linear(256, 10, { generator: g }))
    : new nb.nn.Sequential(new nb.nn.Linear(784, 256, { generator: g }), new nb.nn.ReLU(), new nb.nn.Linear(256, 10, { generator: g }));
}

const x = nb.keep(nb.randn([B, 784], { generator: new nb.Generator(1) }));
const y = nb.keep(nb.randint(0, 10, [B], { generator: new nb.Generator(2) }));
const variants = [false, true].map((fused) => {
  const m = model(fused);
  const opt = new nb.optim.AdamW(m.parameters(), { lr: 1e-3 });
  const t = { name: fused ? 'Linear(784,256,{activation:relu}) + Linear' : 'Sequential(Linear, ReLU, Linear)', step: [] as number[], fwd: [] as number[], bwd: [] as number[], loss: NaN };
  const step = (rec: boolean): void => nb.scope(() => {
    const t0 = performance.now();
    opt.zeroGrad();
    const loss = nb.crossEntropy(m.forward(x), y);
    const t1 = performance.now();
    loss.backward();
    const t2 = performance.now();
    opt.step();
    t.loss = loss.item();
    const t3 = performance.now();
    if (rec) { t.step.push(t3 - t0); t.fwd.push(t1 - t0); t.bwd.push(t2 - t1); }
  });
  return { t, step };
});

for (let i = 0; i < WARM; i++) for (const v of variants) v.step(false);
for (let i = 0; i < STEPS; i++) for (const v of (i & 1 ? [...variants].reverse() : variants)) v.step(true);

const med = (a: number[]): number => { const s = [...a].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]!; };
console.log(`backend ${nb.memory().backend}, ${STEPS} interleaved steps each after ${WARM} warm-up`);
for (const { t } of variants) {
  console.log(`${t.name.padEnd(44)} step ${med(t.step).toFixed(3)} ms (fwd ${med(t.fwd).toFixed(3)}, bwd ${med(t.bwd).toFixed(3)}), loss ${t.loss.toFixed(4)}`);
}
const [a, b] = variants.map((v) => med(v.t.step)) as [number, number];
console.log(`fused / unfused step: ${(b / a).toFixed(3)}`);
