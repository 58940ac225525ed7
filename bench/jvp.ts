/**
 * Forward-mode cost: the Jacobian-vector product of an MLP (784-256-10, tanh, batch 128, float32) w.r.t.
 * its input, as a multiple of one forward pass — true forward mode (one pass carrying tangents) next to
 * the reverse-over-reverse form it replaced (two backward passes through a graph of the backward).
 * Run: node dist/bench/jvp.js (or `npm run bench jvp`).
 */
import * as nb from '../src/index.js';
import { jvpReverseOverReverse } from '../src/autograd/api.js';

type T = nb.Tensor;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time(fn: () => unknown, reps: number): number {
  for (let i = 0; i < 3; i++) nb.scope(() => { fn(); });
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    nb.scope(() => { fn(); });
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

export async function benchJvp(reps = 30): Promise<{ forwardMs: number; jvpMs: number; reverseOverReverseMs: number }> {
  const g = new nb.Generator(0);
  const w1 = nb.randn([256, 784], { generator: g }).mul(0.05), b1 = nb.zeros([256]);
  const w2 = nb.randn([10, 256], { generator: g }).mul(0.05), b2 = nb.zeros([10]);
  const x = nb.randn([128, 784], { generator: g }), v = nb.randn([128, 784], { generator: g });
  const mlp = (a: T) => nb.linear(nb.linear(a, w1, b1).tanh(), w2, b2);
  const forwardMs = time(() => nb.noGrad(() => mlp(x)), reps);
  const jvpMs = time(() => nb.autograd.jvp(mlp, [x], [v]), reps);
  const reverseOverReverseMs = time(() => jvpReverseOverReverse(mlp, [x], [v]), reps);
  console.log(`\njvp of MLP 784-256-10 (tanh, b128, float32) on ${(nb.getBackend() as unknown as { name: string }).name ?? nb.getBackend()}, median of ${reps}`);
  console.log(`  forward                 ${forwardMs.toFixed(2)} ms`);
  console.log(`  jvp (forward mode)      ${jvpMs.toFixed(2)} ms  ${(jvpMs / forwardMs).toFixed(2)}× forward`);
  console.log(`  jvp (reverse-over-rev.) ${reverseOverReverseMs.toFixed(2)} ms  ${(reverseOverReverseMs / forwardMs).toFixed(2)}× forward`);
  return { forwardMs, jvpMs, reverseOverReverseMs };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) await benchJvp();
