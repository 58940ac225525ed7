/**
 * The `train gpt` job: a run stopped part-way and resumed from its checkpoint ends bitwise identical to one
 * never stopped (weights, optimizer state, curves, samples), with dropout, accumulation and the schedule on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nb from '../src/index.js';
import { mobyDick, trainGpt, type TrainGptOptions } from '../cli/trainGpt.js';

test('train gpt: stop at step 3 + --resume = an uninterrupted run, bitwise', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-gpt-train-'));
  const textFile = path.join(root, 'text.txt');
  fs.writeFileSync(textFile, mobyDick().slice(0, 20000));
  const base: Partial<TrainGptOptions> = {
    text: textFile, nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, batchSize: 4, accum: 2, dropout: 0.1,
    steps: 7, warmupSteps: 2, evalEvery: 2, evalBatches: 2, sampleEvery: 3, sampleTokens: 12, checkpointEvery: 0, verbose: false,
  };
  const a = await trainGpt({ ...base, out: path.join(root, 'a') });
  const stopped = await trainGpt({ ...base, out: path.join(root, 'b'), stopAfter: 3 });
  assert.equal(stopped.interrupted, true);
  assert.equal(stopped.step, 3);
  const b = await trainGpt({ ...base, out: path.join(root, 'b'), resume: true });
  assert.equal(b.step, 7);
  assert.deepEqual(b.valCurve, a.valCurve);
  assert.deepEqual(b.trainCurve, a.trainCurve);
  assert.deepEqual(b.samples, a.samples);
  const sa = a.model.stateDict(), sb = b.model.stateDict();
  for (const k of Object.keys(sa)) assert.deepEqual(sb[k]!.data(), sa[k]!.data(), k);
  const oa = await nb.load(path.join(root, 'a', 'gpt.state.safetensors')), ob = await nb.load(path.join(root, 'b', 'gpt.state.safetensors'));
  for (const [i, st] of Object.entries(oa.optimizer.state) as [string, Record<string, nb.Tensor | number>][]) {
    const other = ob.optimizer.state[i] as Record<string, nb.Tensor | number>;
    assert.equal(other.step, st.step);
    assert.deepEqual((other.exp_avg_sq as nb.Tensor).data(), (st.exp_avg_sq as nb.Tensor).data(), `exp_avg_sq of parameter ${i}`);
  }
  // the run really changed the model, the checkpoint alone samples, and the report plots both curves
  assert.ok(a.valCurve[a.valCurve.length - 1]![1] < a.valCurve[0]![1] + 1e-9 || a.valCurve.length > 1);
  const { model, tokenizer } = await nb.text.loadGPT(path.join(root, 'b', 'gpt.safetensors'));
  const prompt = nb.tensor([tokenizer.encode('Call')], { dtype: 'int32' });
  assert.equal(tokenizer.decode(model.generate(prompt, 5, { generator: new nb.Generator(0) }).dataArray()).length, 9);
  const html = fs.readFileSync(b.report!, 'utf8');
  assert.ok(html.includes('<svg') && html.includes('validation') && html.includes('sample at step 3'));
  // a mismatched configuration refuses to resume
  await assert.rejects(trainGpt({ ...base, nEmbd: 8, out: path.join(root, 'b'), resume: true }), /checkpoint's model .* differs/);
  fs.rmSync(root, { recursive: true });
});

test('nabla train gpt: Ctrl-C writes a checkpoint and exits 130; --resume picks it up; bad options exit 2', async () => {
  const { spawn, spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-gpt-cli-'));
  const textFile = path.join(root, 'text.txt');
  fs.writeFileSync(textFile, mobyDick().slice(0, 5000));
  const out = path.join(root, 'run');
  const args = ['train', 'gpt', '--text', textFile, '--n-layer', '1', '--n-head', '1', '--n-embd', '8', '--block-size', '8', '--batch-size', '2',
    '--eval-every', '1', '--eval-batches', '1', '--sample-every', '0', '--out', out];
  const child = spawn(process.execPath, [main, ...args, '--steps', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (/step 2:/.test(stdout) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  assert.equal(code, 130, stdout);
  assert.match(stdout, /stopped at step \d+; checkpoint .*gpt\.safetensors; continue with --resume/);
  const { metadata } = await import('../src/io/checkpoint.js').then((m) => m.loadWithMetadata(path.join(out, 'gpt.safetensors')));
  assert.ok(Number(metadata.step) >= 2);
  const resumed = spawnSync(process.execPath, [main, ...args, '--steps', String(Number(metadata.step) + 1), '--resume', '--quiet'], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout.trim().split('\n').pop()!, /^val loss: \d+\.\d{4}$/);
  const run = (...a: string[]) => spawnSync(process.execPath, [main, ...a], { encoding: 'utf8' });
  for (const [a, msg] of [[['train', 'gpt', '--tokenizer', 'bpe'], /--tokenizer/], [['train', 'gpt', '--n-embd', '30', '--n-head', '4'], /divisible by --n-head/], [['sample'], /missing required option --checkpoint/]] as const) {
    const r = run(...a);
    assert.equal(r.status, 2, `${a.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  const sample = run('sample', '--checkpoint', path.join(out, 'gpt.safetensors'), '--prompt', 'Call', '--tokens', '5', '--top-k', '3');
  assert.equal(sample.status, 0, sample.stderr);
  assert.ok(sample.stdout.startsWith('Call'));
  fs.rmSync(root, { recursive: true });
});
