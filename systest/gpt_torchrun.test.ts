/**
 * The README's round trip nabla → PyTorch DDP under torchrun → nabla, run for real (Debian's python3-torch 1.13,
 * CPU, gloo): a tiny nabla GPT is trained a few steps on a text and saved; examples/torchrun/nanogpt_ddp.py (nanoGPT's
 * GPT in plain torch, the README's command) continues training it with 2 processes under
 * `python3 -m torch.distributed.run`, and writes a safetensors checkpoint with nabla's metadata; nabla loads that
 * checkpoint and must reproduce torch's logits and evaluation loss (float32 tolerance). Also checked: torch's loss of
 * the loaded nabla checkpoint before training equals nabla's, the evaluation loss went down under DDP, and both ranks
 * ended with identical parameters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(root, 'examples', 'torchrun', 'nanogpt_ddp.py');

const TEXT = `Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse,
and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of
the world. It is a way I have of driving off the spleen and regulating the circulation. Whenever I find myself
growing grim about the mouth; whenever it is a damp, drizzly November in my soul; then, I account it high time to
get to sea as soon as I can.
`.repeat(3);

function close(a: ArrayLike<number>, e: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < e.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!), `${what}[${i}]: nabla ${a[i]} vs torch ${e[i]}`);
}

test('nabla GPT → nanoGPT under torchrun (2 processes, DDP, gloo) → nabla: same logits, loss went down', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-torchrun-'));
  const textFile = path.join(dir, 'text.txt'), ckpt = path.join(dir, 'gpt.safetensors');
  const out = path.join(dir, 'torch.safetensors'), report = path.join(dir, 'report.json');
  fs.writeFileSync(textFile, TEXT);

  // 1. a tiny nabla GPT, trained a few steps (so biases and norms are not at their initial values), saved
  const tok = nb.text.CharTokenizer.fromText(TEXT);
  const config = { nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 32, vocabSize: tok.vocabSize, bias: true, dropout: 0 };
  const model = new nb.nn.GPT(config, { generator: new nb.Generator(7) });
  const ids = tok.encode(TEXT);
  const T = config.blockSize;
  const batch = (s: number) => {
    const starts = [0, 1, 2, 3].map((k) => (s * 97 + k * 131) % (ids.length - T - 1));
    return [nb.tensor(starts.map((i) => ids.slice(i, i + T)), { dtype: 'int32' }), nb.tensor(starts.map((i) => ids.slice(i + 1, i + T + 1)), { dtype: 'int32' })] as const;
  };
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 3e-3 });
  for (let s = 0; s < 5; s++) nb.scope(() => { const [x, y] = batch(s); const l = model.forward(x, y).loss!; opt.zeroGrad(); l.backward(); opt.step(); });
  model.eval();
  await nb.text.saveGPT(ckpt, model, tok);

  // 2. torchrun: the README's command
  const args = ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '--redirects', '2', '--tee', '2',
    SCRIPT, '--checkpoint', ckpt, '--text', textFile, '--out', out, '--steps', '30', '--batch-size', '4', '--lr', '3e-3', '--report', report];
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', cwd: dir, timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `torchrun failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
  assert.equal(rep.world_size, 2);
  assert.equal(rep.ranks_in_sync, true, 'both DDP ranks end with identical parameters');
  assert.equal(rep.losses.length, 30);

  // torch's loss of the nabla checkpoint on the evaluation batch = nabla's
  const ex = nb.tensor(rep.eval_idx, { dtype: 'int32' }), ey = nb.tensor(rep.eval_targets, { dtype: 'int32' });
  const before = nb.noGrad(() => model.forward(ex, ey).loss!.item());
  assert.ok(Math.abs(before - rep.loss_before) <= 1e-5 * rep.loss_before, `loss before: nabla ${before} vs torch ${rep.loss_before}`);
  t.diagnostic(`evaluation loss ${rep.loss_before.toFixed(4)} (nabla checkpoint) -> ${rep.loss_after.toFixed(4)} after 30 DDP steps`);
  assert.ok(rep.loss_after < rep.loss_before - 0.1, `evaluation loss went down under DDP: ${rep.loss_before} → ${rep.loss_after}`);

  // 3. back in nabla: torch's trained weights give torch's logits and loss
  const { model: back, tokenizer } = await nb.text.loadGPT(out);
  assert.equal(tokenizer.vocabSize, tok.vocabSize);
  const logits = nb.noGrad(() => back.forward(nb.tensor([rep.eval_idx[0]], { dtype: 'int32' })).logits.dataArray());
  close(logits, rep.logits, 2e-5, 1e-4, 'logits after torchrun');
  const after = nb.noGrad(() => back.forward(ex, ey).loss!.item());
  assert.ok(Math.abs(after - rep.loss_after) <= 1e-5 * rep.loss_after, `loss after: nabla ${after} vs torch ${rep.loss_after}`);
  // and the weights moved: the trained model is not the one nabla saved
  assert.ok(Math.abs(after - before) > 0.1);
  fs.rmSync(dir, { recursive: true });
});
