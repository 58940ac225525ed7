"""
Continue training a nabla GPT checkpoint in PyTorch with DistributedDataParallel, then hand it back to nabla.

  python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 2 --tee 2 \
      examples/torchrun/nanogpt_ddp.py --checkpoint runs/gpt/gpt.safetensors --text moby.txt \
      --out runs/gpt/torch.safetensors --steps 200

(--redirects 2 --tee 2: torch 1.13's launcher on Python >= 3.11 cannot parse its default "0" for these options;
any non-zero single-stream value works around it. Plain `torchrun` is the same launcher.)

The model is nanoGPT's GPT (model.py: pre-LayerNorm blocks, GELU MLP, learned positions, lm_head tied to wte)
in plain torch, with nanoGPT's parameter names, so nabla's checkpoint loads with load_state_dict(strict=True).
The safetensors format is read and written with numpy (no safetensors package needed); both live in
nanogpt_model.py next to this file (shared with systest/gpt_torch.test.ts). The output keeps the
input's metadata (config, nanogpt_config, tokenizer), so `nb.text.loadGPT(out)` and `nabla sample` read it.
Training: nanoGPT's recipe per rank — random blocks of the character-tokenised text (seeded by --seed and the rank),
AdamW (betas 0.9/0.99, weight decay 0.1 on matmul/embedding weights only), gradient clipping at 1.0, constant lr;
DDP averages the gradients over the ranks (gloo backend, CPU).
--report FILE (rank 0) writes JSON: the loss on a fixed evaluation batch before and after training, the per-step
training losses (averaged over ranks), the logits of the trained model on the first block of the text, and
whether every rank ends with identical parameters.
"""
import argparse, json
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

# the model and the safetensors helpers, shared with systest/gpt_torch.test.ts; torch.distributed.run starts this
# file as a script, so its own folder (examples/torchrun) is on sys.path
from nanogpt_model import GPT, read_safetensors, write_safetensors


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

    try:
        sd, meta = read_safetensors(args.checkpoint)
    except ValueError as e:  # a tensor that is not float32
        raise SystemExit(str(e))
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
