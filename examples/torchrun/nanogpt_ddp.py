"""
Continue training a nabla GPT checkpoint in PyTorch with DistributedDataParallel, then hand it back to nabla.

  python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 2 --tee 2 \
      examples/torchrun/nanogpt_ddp.py --checkpoint runs/gpt/gpt.safetensors --text moby.txt \
      --out runs/gpt/torch.safetensors --steps 200

(--redirects 2 --tee 2: torch 1.13's launcher on Python >= 3.11 cannot parse its default "0" for these options;
any non-zero single-stream value works around it. Plain `torchrun` is the same launcher.)

The model is nanoGPT's GPT (model.py: pre-LayerNorm blocks, GELU MLP, learned positions, lm_head tied to wte)
in plain torch, with nanoGPT's parameter names, so nabla's checkpoint loads with load_state_dict(strict=True).
The safetensors format is read and written with numpy (no safetensors package needed); the output keeps the
input's metadata (config, nanogpt_config, tokenizer), so `nb.text.loadGPT(out)` and `nabla sample` read it.
Training: nanoGPT's recipe per rank — random blocks of the character-tokenised text (seeded by --seed and the rank),
AdamW (betas 0.9/0.99, weight decay 0.1 on matmul/embedding weights only), gradient clipping at 1.0, constant lr;
DDP averages the gradients over the ranks (gloo backend, CPU).
--report FILE (rank 0) writes JSON: the loss on a fixed evaluation batch before and after training, the per-step
training losses (averaged over ranks), the logits of the trained model on the first block of the text, and
whether every rank ends with identical parameters.
"""
import argparse, json, math, os, struct
import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


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
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c['vocab_size'], c['n_embd']),
            wpe=nn.Embedding(c['block_size'], c['n_embd']),
            drop=nn.Dropout(c['dropout']),
            h=nn.ModuleList([Block(c) for _ in range(c['n_layer'])]),
            ln_f=LayerNorm(c['n_embd'], bias=c['bias'])))
        self.lm_head = nn.Linear(c['n_embd'], c['vocab_size'], bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, targets):
        pos = torch.arange(0, idx.size(1), dtype=torch.long)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


# ---- safetensors with numpy: 8-byte little-endian header length, JSON header, raw little-endian data ----
def read_safetensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    out = {}
    for k, e in header.items():
        if e['dtype'] != 'F32':
            raise SystemExit(f'{path}: {k} is {e["dtype"]}; this script reads float32 checkpoints')
        a, b = e['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype='<f4').reshape(e['shape']).copy())
    return out, meta


def write_safetensors(path, tensors, meta):
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--checkpoint', required=True, help="nabla GPT checkpoint (.safetensors from 'nabla train gpt' or nb.text.saveGPT)")
    ap.add_argument('--text', required=True, help='training text (tokenised with the checkpoint\'s character vocabulary)')
    ap.add_argument('--out', required=True, help='where to write the trained checkpoint (.safetensors, nabla metadata kept)')
    ap.add_argument('--steps', type=int, default=200)
    ap.add_argument('--batch-size', type=int, default=12, help='per rank')
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--seed', type=int, default=1337)
    ap.add_argument('--report', help='rank 0 writes a JSON report here')
    args = ap.parse_args()

    dist.init_process_group('gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)

    sd, meta = read_safetensors(args.checkpoint)
    c = json.loads(meta['nanogpt_config'])
    tok = json.loads(meta['tokenizer'])
    if tok.get('kind') != 'char':
        raise SystemExit(f"{args.checkpoint}: tokenizer kind {tok.get('kind')!r}; this script tokenises character-level checkpoints")
    stoi = {ch: i for i, ch in enumerate(tok['vocab'])}
    text = open(args.text, encoding='utf-8').read()
    unknown = sorted(set(text) - set(stoi))
    if unknown:
        raise SystemExit(f'{args.text}: characters outside the checkpoint\'s vocabulary: {unknown[:10]}')
    data = torch.tensor([stoi[ch] for ch in text], dtype=torch.long)
    T = c['block_size']
    if len(data) < T + 2:
        raise SystemExit(f'{args.text}: {len(data)} characters, need more than block_size + 1 = {T + 1}')

    model = GPT(c)
    model.load_state_dict(sd, strict=True)
    ddp = DDP(model)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.99))

    # a fixed evaluation batch: the first blocks of the text, the same on every rank
    starts = list(range(0, min(len(data) - T - 1, 8 * T) + 1, T))[:8]
    ex = torch.stack([data[s:s + T] for s in starts])
    ey = torch.stack([data[s + 1:s + T + 1] for s in starts])

    def eval_loss():
        model.eval()
        with torch.no_grad():
            _, l = model(ex, ey)
        model.train()
        return l.item()

    loss_before = eval_loss()
    g = torch.Generator().manual_seed(args.seed * 1000 + rank)
    losses = []
    for step in range(args.steps):
        ix = torch.randint(len(data) - T, (args.batch_size,), generator=g)
        x = torch.stack([data[i:i + T] for i in ix])
        y = torch.stack([data[i + 1:i + T + 1] for i in ix])
        _, loss = ddp(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # DDP all-reduces (averages) the gradients here
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        l = loss.detach().clone()
        dist.all_reduce(l)
        losses.append(l.item() / world)
        if rank == 0 and (step % 50 == 0 or step == args.steps - 1):
            print(f'step {step}: loss {losses[-1]:.4f}', flush=True)
    loss_after = eval_loss()

    # every rank must hold the same parameters (DDP's invariant)
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    in_sync = all(torch.equal(gathered[0], t) for t in gathered)

    if rank == 0:
        write_safetensors(args.out, model.state_dict(), meta)
        print(f'eval loss {loss_before:.4f} -> {loss_after:.4f}; wrote {args.out}', flush=True)
        if args.report:
            model.eval()
            with torch.no_grad():
                logits, _ = model(ex[:1], ey[:1])
            json.dump({'world_size': world, 'loss_before': loss_before, 'loss_after': loss_after, 'losses': losses,
                       'ranks_in_sync': in_sync, 'eval_idx': ex.tolist(), 'eval_targets': ey.tolist(),
                       'logits': logits.flatten().tolist()}, open(args.report, 'w'))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
