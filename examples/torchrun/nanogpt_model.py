"""
nanoGPT's GPT in plain PyTorch and safetensors read/written with numpy: the pieces shared by
examples/torchrun/nanogpt_ddp.py (DDP training under torchrun) and systest/gpt_torch.test.ts (checkpoint round trips).

The model is nanoGPT's model.py (GPT-2: pre-LayerNorm blocks, GELU MLP, learned positions, lm_head tied to wte)
with nanoGPT's parameter names, so a nabla GPT checkpoint loads with load_state_dict(strict=True); the config is a
dict with nanoGPT's keys (n_layer, n_head, n_embd, block_size, vocab_size, dropout, bias), as in a nabla checkpoint's
`nanogpt_config` metadata. The safetensors helpers need no safetensors package.
"""
import json, math, os, struct
import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F


# ---- nanoGPT's model.py (GPT-2), the torch-1.13 path: attention written out with a causal mask ----
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
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
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
        # nanoGPT's init: N(0, 0.02) for linear and embedding weights, zero biases, and the residual projections
        # (c_proj) at N(0, 0.02 / sqrt(2 * n_layer)). A loaded checkpoint overwrites all of it.
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
        """idx, targets: (B, T) int64 token ids, T <= block_size; targets -1 are ignored.
        Returns the logits (B, T, vocab_size) and the mean cross-entropy over the counted targets."""
        pos = torch.arange(0, idx.size(1), dtype=torch.long)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


# ---- safetensors with numpy: 8-byte little-endian header length, JSON header, raw little-endian data ----
def read_safetensors(path):
    """Returns ({name: float32 tensor}, metadata dict). Only F32 tensors are read (nabla's GPT checkpoints are
    float32); any other dtype raises ValueError naming the file, the tensor and its dtype."""
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for k, e in header.items():
        if e['dtype'] != 'F32':
            raise ValueError(f'{path}: tensor {k} is {e["dtype"]}; read_safetensors reads float32 (F32) tensors only')
        a, b = e['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(data[base + a:base + b], dtype='<f4').reshape(e['shape']).copy())
    return out, meta


def write_safetensors(path, tensors, meta):
    """Writes {name: tensor} as F32 with `meta` (str -> str) as __metadata__; the header is space-padded to a
    multiple of 8 bytes. The file is written to path + '.tmp' and renamed, so a reader never sees half a file."""
    header, offset, blobs = {}, 0, []
    for k, t in tensors.items():
        b = t.detach().cpu().contiguous().numpy().astype('<f4').tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header['__metadata__'] = meta
    h = json.dumps(header).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
    os.replace(tmp, path)
