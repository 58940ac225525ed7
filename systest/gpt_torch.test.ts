/**
 * GPT checkpoints against real PyTorch (Debian's python3-torch): a Python script defines nanoGPT's GPT in plain
 * torch (model.py's modules, written out below; no download), reads safetensors with numpy, and
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
import * as nb from '../src/index.js';

const PY = String.raw`
import json, math, sys, struct
import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

# ---- nanoGPT's model.py (GPT-2), torch-1.13 path: attention written out with a causal mask ----
class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None
    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c['n_embd'], 3 * c['n_embd'], bias=c['bias'])
        self.c_proj = nn.Linear(c['n_embd'], c['n_embd'], bias=c['bias'])
        self.n_head, self.n_embd = c['n_head'], c['n_embd']
        # nanoGPT registers this mask only without flash attention (torch < 2); not part of the weights
        self.register_buffer('bias', torch.tril(torch.ones(c['block_size'], c['block_size'])).view(1, 1, c['block_size'], c['block_size']), persistent=False)
    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c['n_embd'], 4 * c['n_embd'], bias=c['bias'])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * c['n_embd'], c['n_embd'], bias=c['bias'])
    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = LayerNorm(c['n_embd'], bias=c['bias'])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = LayerNorm(c['n_embd'], bias=c['bias'])
        self.mlp = MLP(c)
    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c['vocab_size'], c['n_embd']),
            wpe=nn.Embedding(c['block_size'], c['n_embd']),
            drop=nn.Dropout(c['dropout']),
            h=nn.ModuleList([Block(c) for _ in range(c['n_layer'])]),
            ln_f=LayerNorm(c['n_embd'], bias=c['bias'])))
        self.lm_head = nn.Linear(c['n_embd'], c['vocab_size'], bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c['n_layer']))
    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
    def forward(self, idx, targets):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss

# ---- safetensors with numpy ----
def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for k, e in header.items():
        assert e['dtype'] == 'F32', e['dtype']
        a, b = e['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(data[base + a:base + b], dtype='<f4').reshape(e['shape']).copy())
    return out, meta

def write_safetensors(path, tensors, meta):
    header, offset, blobs = {}, 0, []
    for k, t in tensors.items():
        b = t.detach().cpu().numpy().astype('<f4').tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header['__metadata__'] = meta
    h = json.dumps(header).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

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
