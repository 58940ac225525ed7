/**
 * Data-parallel measurements (node dist/bench/distributed.js [allreduce] [mnist] [gpt]):
 *  - all-reduce bandwidth with 2 ranks (worker threads) for 1, 16 and 64 MB float32 tensors: the flat-array
 *    collective (what DistributedDataParallel's buckets use) and nb.distributed.allReduce on a tensor (adds the
 *    copies out of and back into the backend). algbw = bytes / time; busbw = algbw · 2(N−1)/N (nccl-tests'
 *    convention: the bytes each rank must move in an all-reduce);
 *  - an MNIST MLP (784-256-10, AdamW, global batch 128) training step: samples/s for one rank using all cores
 *    (the ordinary single-process run), one rank with one thread, and 2 ranks (one thread each) under
 *    DistributedDataParallel on halves of the batch;
 *  - the `nabla train gpt` default GPT (4 layers, 4 heads, width 128, block 64, batch 12; vocabulary 96, random
 *    tokens): tokens/s in the same three set-ups.
 * Each rank times its steps after warm-up; steps are synchronised by the gradient all-reduce, so rank 0's median
 * is the job's (NABLA_BENCH_QUICK=1: a smoke run). Run it alone on the machine (under the heavy-work lock). Prints a markdown table and JSON.
 * The file is both the driver (main thread) and the ranks' script (worker threads started by spawn).
 */
import { isMainThread } from 'node:worker_threads';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { allReduceArray } from '../src/distributed/processGroup.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** NABLA_BENCH_QUICK=1: one warm-up and two timed runs per case (a smoke run, not a measurement) */
const QUICK = process.env.NABLA_BENCH_QUICK === '1';

function timeSteps(step: () => void, warm: number, reps: number): number[] {
  if (QUICK) { warm = 1; reps = 2; }
  for (let i = 0; i < warm; i++) nb.scope(step);
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    nb.distributed.barrier();
    const t0 = performance.now();
    nb.scope(step);
    ms.push(performance.now() - t0);
  }
  return ms;
}

// ---- rank side -------------------------------------------------------------------------------------------

function rankAllReduce(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const mb of [1, 16, 64]) {
    const n = (mb * 2 ** 20) / 4;
    const a = new Float32Array(n).fill(nb.distributed.getRank() + 1);
    out[`flat${mb}`] = median(timeSteps(() => allReduceArray(a, 'sum'), 2, mb >= 64 ? 5 : 9));
    const t = nb.ones([n]);
    out[`tensor${mb}`] = median(timeSteps(() => { nb.distributed.allReduce(t, 'sum'); }, 2, mb >= 64 ? 5 : 9));
    t.dispose();
  }
  return out;
}

function rankMnist(): number {
  const world = nb.distributed.getWorldSize(), rank = nb.distributed.getRank();
  const B = 128 / world;
  const g = new nb.Generator(1);
  const net = new nb.nn.Sequential(new nb.nn.Linear(784, 256), new nb.nn.ReLU(), new nb.nn.Linear(256, 10));
  const model = world > 1 ? new nb.nn.parallel.DistributedDataParallel(net) : net;
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-3 });
  const x = nb.keep(nb.rand([128, 784], { generator: g }).narrow(0, rank * B, B).contiguous());
  const y = nb.keep(nb.randint(0, 10, [128], { generator: g }).narrow(0, rank * B, B).contiguous());
  return median(timeSteps(() => { opt.zeroGrad(); nb.crossEntropy(model.call(x) as nb.Tensor, y).backward(); opt.step(); }, 3, 15));
}

function rankGpt(): number {
  const world = nb.distributed.getWorldSize(), rank = nb.distributed.getRank();
  const B = 12 / world, T = 64;
  const g = new nb.Generator(1337);
  const gpt = new nb.nn.GPT({ nLayer: 4, nHead: 4, nEmbd: 128, blockSize: T, vocabSize: 96, dropout: 0, bias: true }, { generator: g });
  const model = world > 1 ? new nb.nn.parallel.DistributedDataParallel(gpt) : gpt;
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
  const idx = nb.keep(nb.randint(0, 96, [12, T + 1], { generator: g }).narrow(0, rank * B, B));
  const xb = nb.keep(idx.narrow(1, 0, T).contiguous()), yb = nb.keep(idx.narrow(1, 1, T).contiguous());
  return median(timeSteps(() => {
    opt.zeroGrad();
    const { loss } = (model as nb.nn.Module).call(xb, yb) as nb.nn.GPTOutput;
    loss!.backward();
    opt.step();
  }, 2, 8));
}

if (!isMainThread) {
  const [what, out] = process.argv.slice(2) as [string, string];
  nb.distributed.initProcessGroup();
  const r = what === 'allreduce' ? rankAllReduce() : what === 'mnist' ? rankMnist() : rankGpt();
  if (nb.distributed.getRank() === 0) writeFileSync(out, JSON.stringify(r));
}

// ---- driver -------------------------------------------------------------------------------------------------

async function measure(what: string, nproc: number, threads: number): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-bench-ddp-'));
  try {
    const out = join(dir, 'r.json');
    await nb.distributed.spawn(fileURLToPath(import.meta.url), { nproc, threads, args: [what, out] });
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (s: string) => only.length === 0 || only.includes(s);
  const cores = availableParallelism();
  const backend = process.env.NABLA_BACKEND ?? 'wasm';
  const json: Record<string, unknown> = { cores, backend };
  const lines: string[] = [];
  if (want('allreduce')) {
    const r = (await measure('allreduce', 2, 1)) as Record<string, number>;
    json.allreduce = r;
    lines.push('| all-reduce, 2 ranks, float32 | time (ms) | algbw GB/s | busbw GB/s |', '|---|---|---|---|');
    for (const mb of [1, 16, 64]) {
      for (const k of ['flat', 'tensor'] as const) {
        const ms = r[`${k}${mb}`]!, bytes = mb * 2 ** 20, alg = bytes / (ms / 1000) / 1e9, bus = (alg * 2 * (2 - 1)) / 2;
        lines.push(`| ${mb} MB, ${k === 'flat' ? 'flat array (DDP buckets)' : 'tensor (nb.distributed.allReduce)'} | ${ms.toFixed(2)} | ${alg.toFixed(2)} | ${bus.toFixed(2)} |`);
      }
    }
  }
  const setups: [string, number, number][] = [[`1 rank × ${cores} threads`, 1, cores], ['1 rank × 1 thread', 1, 1], ['2 ranks × 1 thread (DDP)', 2, 1]];
  for (const [what, unit, per] of [['mnist', 'samples/s', 128], ['gpt', 'tokens/s', 12 * 64]] as const) {
    if (!want(what)) continue;
    lines.push('', `| ${what === 'mnist' ? 'MNIST MLP 784-256-10, batch 128' : 'GPT 4×128, block 64, batch 12'} | ms/step | ${unit} |`, '|---|---|---|');
    for (const [label, nproc, threads] of setups) {
      const ms = (await measure(what, nproc, threads)) as number;
      json[`${what} ${label}`] = ms;
      lines.push(`| ${label} | ${ms.toFixed(1)} | ${((per * 1000) / ms).toFixed(0)} |`);
    }
  }
  console.log(lines.join('\n'));
  console.log(JSON.stringify(json));
}

if (isMainThread) await main();
