/**
 * GPT checkpoints against real PyTorch (Debian's python3-torch): a Python script takes nanoGPT's GPT in plain
 * torch (model.py's modules, written out in examples/torchrun/nanogpt_model.py; no download), reads safetensors with
 * numpy (same module), and
 *   1. loads nabla's checkpoint with load_state_dict(strict=True) and reproduces nabla's logits and loss;
 *   2. initialises a GPT in torch (nanoGPT's init), saves it as a safetensors checkpoint with nabla's metadata,
 *      and nabla loads it and reproduces torch's logits.
 * All cases run in one Python process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';

// the repository root: this file runs compiled, from dist/systest/
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODEL_DIR = path.join(root, 'examples', 'torchrun');

// nanoGPT's GPT and the numpy safetensors helpers come from examples/torchrun/nanogpt_model.py (shared with the
// torchrun example); the script is written to a temporary folder, so that folder's path is put on sys.path first
const PY = String.raw`
import sys
sys.path.insert(0, ${JSON.stringify(MODEL_DIR)})
import json
import torch
from nanogpt_model import GPT, read_safetensors, write_safetensors

job = json.load(open(sys.argv[1]))
results = {'nabla_to_torch': [], 'torch_to_nabla': []}
for case in job['nabla_to_torch']:
    sd, meta = read_safetensors(case['file'])
    c = json.loads(meta['nanogpt_config'])
    m = GPT(c)
    m.load_state_dict(sd, strict=True)
    m.eval()
    with torch.no_grad():
        logits, loss = m(torch.tensor(case['idx']), torch.tensor(case['targets']))
    results['nabla_to_torch'].append({'logits': logits.flatten().tolist(), 'loss': loss.item(), 'tied': m.lm_head.weight.data_ptr() == m.transformer.wte.weight.data_ptr()})
for case in job['torch_to_nabla']:
    torch.manual_seed(case['seed'])
    c = case['config']
    m = GPT(c)
    m.eval()
    sd = m.state_dict()
    write_safetensors(case['file'], sd, {
        'format': 'nabla-gpt/1',
        'config': json.dumps({'nLayer': c['n_layer'], 'nHead': c['n_head'], 'nEmbd': c['n_embd'], 'blockSize': c['block_size'], 'vocabSize': c['vocab_size'], 'dropout': c['dropout'], 'bias': c['bias']}),
        'tokenizer': json.dumps({'kind': 'char', 'vocab': case['vocab']}),
    })
    with torch.no_grad():
        logits, loss = m(torch.tensor(case['idx']), torch.tensor(case['targets']))
    results['torch_to_nabla'].append({'logits': logits.flatten().tolist(), 'loss': loss.item(), 'keys': list(sd.keys())})
json.dump(results, open(sys.argv[2], 'w'))
`;

function close(a: ArrayLike<number>, e: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < e.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!), `${what}[${i}]: nabla ${a[i]} vs torch ${e[i]}`);
}

test('nanoGPT in PyTorch loads nabla\'s GPT checkpoints and nabla loads PyTorch\'s: same logits and loss', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-gpt-torch-'));
  const vocab = [...'abcdefghijklmnopqrstuvwxyz .,;!?ABCDEFGHIJKLMNOPQRS'];
  const tok = new nb.text.CharTokenizer(vocab);
  const idx = [[1, 5, 9, 2, 44, 7, 3, 30, 0, 12, 11, 10], [49, 48, 1, 1, 2, 3, 40, 41, 20, 21, 22, 23]];
  const targets = idx.map((r, b) => r.map((_, i) => (b === 1 && i === 4 ? -1 : (r[i]! * 7 + 3) % vocab.length)));
  const configs = [
    { nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 16, vocabSize: vocab.length, bias: true },
    { nLayer: 3, nHead: 4, nEmbd: 48, blockSize: 12, vocabSize: vocab.length, bias: false },
  ];
  const ours = await Promise.all(configs.map(async (config, i) => {
    // trained a few steps first, so biases and norms hold non-trivial values
    const model = new nb.nn.GPT(config, { generator: new nb.Generator(10 + i) });
    const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-2 });
    for (let s = 0; s < 3; s++) nb.scope(() => { const l = model.forward(nb.tensor(idx, { dtype: 'int32' }), nb.tensor(targets, { dtype: 'int32' })).loss!; opt.zeroGrad(); l.backward(); opt.step(); });
    model.eval();
    const file = path.join(dir, `nabla-${i}.safetensors`);
    await nb.text.saveGPT(file, model, tok);
    const out = nb.noGrad(() => model.forward(nb.tensor(idx, { dtype: 'int32' }), nb.tensor(targets, { dtype: 'int32' })));
    return { file, logits: out.logits.dataArray(), loss: out.loss!.item() };
  }));
  const torchCases = [
    { seed: 3, config: { n_layer: 2, n_head: 4, n_embd: 32, block_size: 16, vocab_size: vocab.length, dropout: 0.0, bias: true }, file: path.join(dir, 'torch-0.safetensors'), vocab, idx, targets },
  ];
  const jobFile = path.join(dir, 'job.json'), resFile = path.join(dir, 'res.json'), script = path.join(dir, 'nanogpt_check.py');
  fs.writeFileSync(jobFile, JSON.stringify({ nabla_to_torch: ours.map((o) => ({ file: o.file, idx, targets })), torch_to_nabla: torchCases }));
  fs.writeFileSync(script, PY);
  const r = spawnSync('/usr/bin/python3', [script, jobFile, resFile], { encoding: 'utf8' });
  assert.equal(r.status, 0, `python failed:\n${r.stderr}`);
  const res = JSON.parse(fs.readFileSync(resFile, 'utf8'));

  ours.forEach((o, i) => {
    const t = res.nabla_to_torch[i];
    assert.equal(t.tied, true, 'torch ties lm_head to wte after loading');
    close(o.logits, t.logits, 2e-5, 1e-4, `config ${i} logits`);
    assert.ok(Math.abs(o.loss - t.loss) <= 1e-5 * Math.abs(t.loss), `config ${i} loss: nabla ${o.loss} vs torch ${t.loss}`);
  });

  const t = res.torch_to_nabla[0];
  const { model, tokenizer } = await nb.text.loadGPT(torchCases[0]!.file);
  assert.deepEqual(t.keys, Object.keys(model.stateDict()), 'torch state_dict keys = nabla state dict keys, in order');
  assert.equal(tokenizer.vocabSize, vocab.length);
  const out = nb.noGrad(() => model.forward(nb.tensor(idx, { dtype: 'int32' }), nb.tensor(targets, { dtype: 'int32' })));
  close(out.logits.dataArray(), t.logits, 2e-5, 1e-4, 'torch-initialised logits');
  assert.ok(Math.abs(out.loss!.item() - t.loss) <= 1e-5 * Math.abs(t.loss), `loss: nabla ${out.loss!.item()} vs torch ${t.loss}`);
  fs.rmSync(dir, { recursive: true });
});
