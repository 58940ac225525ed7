/**
 * einsum, cumprod and advanced indexing (reads and writes) against real PyTorch 1.13 in float64: for each case
 * the same inputs go through nabla and torch, and the outputs and the gradients of Σ w·out (w a fixed weight)
 * with respect to every input must agree to 1e-12. One /usr/bin/python3 process evaluates every case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';

interface Case {
  /** Python: a function of the input tensors (float64, requires_grad) */
  torch: string;
  nabla: (...xs: nb.Tensor[]) => nb.Tensor;
  /** input shapes (values drawn from a seeded normal), or explicit values */
  inputs: (number[] | { values: number[]; shape: number[] })[];
}

const i32 = (v: number[]) => nb.tensor(v, { dtype: 'int32' });
const CASES: Case[] = [
  // einsum: 16 equations
  { torch: "lambda a, b: torch.einsum('ij,jk->ik', a, b)", nabla: (a, b) => nb.einsum('ij,jk->ik', a, b), inputs: [[3, 4], [4, 2]] },
  { torch: "lambda a, b: torch.einsum('bij,bjk->bik', a, b)", nabla: (a, b) => nb.einsum('bij,bjk->bik', a, b), inputs: [[2, 3, 4], [2, 4, 5]] },
  { torch: "lambda a: torch.einsum('ii->', a)", nabla: (a) => nb.einsum('ii->', a), inputs: [[4, 4]] },
  { torch: "lambda a: torch.einsum('ii->i', a)", nabla: (a) => nb.einsum('ii->i', a), inputs: [[4, 4]] },
  { torch: "lambda a: torch.einsum('bii->bi', a)", nabla: (a) => nb.einsum('bii->bi', a), inputs: [[2, 3, 3]] },
  { torch: "lambda a: torch.einsum('iji->j', a)", nabla: (a) => nb.einsum('iji->j', a), inputs: [[3, 2, 3]] },
  { torch: "lambda a, b: torch.einsum('i,j->ij', a, b)", nabla: (a, b) => nb.einsum('i,j->ij', a, b), inputs: [[3], [5]] },
  { torch: "lambda a, b: torch.einsum('...ij,...jk->...ik', a, b)", nabla: (a, b) => nb.einsum('...ij,...jk->...ik', a, b), inputs: [[2, 1, 3, 4], [3, 4, 2]] },
  { torch: "lambda a: torch.einsum('...ij->...ji', a)", nabla: (a) => nb.einsum('...ij->...ji', a), inputs: [[2, 3, 4]] },
  { torch: "lambda a: torch.einsum('i...->...', a)", nabla: (a) => nb.einsum('i...->...', a), inputs: [[3, 2, 2]] },
  { torch: "lambda a, b: torch.einsum('ij,jk', a, b)", nabla: (a, b) => nb.einsum('ij,jk', a, b), inputs: [[2, 3], [3, 4]] },
  { torch: "lambda a, b, c: torch.einsum('ij,jk,kl->il', a, b, c)", nabla: (a, b, c) => nb.einsum('ij,jk,kl->il', a, b, c), inputs: [[2, 3], [3, 4], [4, 2]] },
  { torch: "lambda a, b, c: torch.einsum('bn,anm,bm->ba', a, b, c)", nabla: (a, b, c) => nb.einsum('bn,anm,bm->ba', a, b, c), inputs: [[2, 3], [4, 3, 2], [2, 2]] },
  { torch: "lambda a, b: torch.einsum('bhqd,bhkd->bhqk', a, b)", nabla: (a, b) => nb.einsum('bhqd,bhkd->bhqk', a, b), inputs: [[2, 2, 3, 4], [2, 2, 5, 4]] },
  { torch: "lambda a, b: torch.einsum('ij,ij->i', a, b)", nabla: (a, b) => nb.einsum('ij,ij->i', a, b), inputs: [[1, 4], [3, 4]] },
  { torch: "lambda a, b: torch.einsum('iij,jk->ik', a, b)", nabla: (a, b) => nb.einsum('iij,jk->ik', a, b), inputs: [[3, 3, 2], [2, 4]] },
  { torch: "lambda a: torch.einsum('ij->', a)", nabla: (a) => nb.einsum('ij->', a), inputs: [[3, 4]] },
  // cumprod, with zeros
  { torch: 'lambda a: a.cumprod(1)', nabla: (a) => a.cumprod(1), inputs: [[3, 6]] },
  { torch: 'lambda a: torch.cumprod(a, -2)', nabla: (a) => nb.cumprod(a, -2), inputs: [[5, 2, 3]] },
  { torch: 'lambda a: a.cumprod(0)', nabla: (a) => a.cumprod(0), inputs: [{ values: [0.7, 0, -1.3, 2.1, 0.9], shape: [5] }] },
  { torch: 'lambda a: a.cumprod(1)', nabla: (a) => a.cumprod(1), inputs: [{ values: [0.7, 0, -1.3, 0, 2.1, 0.8, 0, 1.1, -0.6, 0.5, 0.5, 0], shape: [2, 6] }] },
  { torch: 'lambda a: a.cumprod(0)', nabla: (a) => a.cumprod(0), inputs: [{ values: [0, 0, 0, 1.5], shape: [4] }] },
  // advanced reads
  { torch: 'lambda a: a[:, [2, 0, 2]]', nabla: (a) => a.index([':', [2, 0, 2]]), inputs: [[3, 4]] },
  { torch: 'lambda a: a[[0, 1, 1], :, [3, 0, 3]]', nabla: (a) => a.index([[0, 1, 1], ':', [3, 0, 3]]), inputs: [[2, 3, 4]] },
  { torch: 'lambda a: a[:, [0, 1], [[0], [2]]]', nabla: (a) => a.index([':', [0, 1], [[0], [2]]]), inputs: [[2, 3, 4]] },
  { torch: 'lambda a: a[0, :, [0, 1]]', nabla: (a) => a.index([0, ':', [0, 1]]), inputs: [[2, 3, 4]] },
  { torch: 'lambda a: a[None, [1, 0], :, [2, -1]]', nabla: (a) => a.index(['None', [1, 0], ':', [2, -1]]), inputs: [[2, 3, 4]] },
  { torch: 'lambda a: a[..., [3, 1]]', nabla: (a) => a.index(['...', [3, 1]]), inputs: [[2, 3, 4]] },
  { torch: 'lambda a: a[torch.tensor([[0, 2], [1, 1]])]', nabla: (a) => a.index([nb.tensor([[0, 2], [1, 1]], { dtype: 'int32' })]), inputs: [[3, 4]] },
  { torch: 'lambda a: a[a > 0]', nabla: (a) => a.index([a.gt(0)]), inputs: [[3, 4]] },
  { torch: 'lambda a: a[:, [True, False, True]]', nabla: (a) => a.index([':', [true, false, true]]), inputs: [[2, 3, 4]] },
  { torch: 'lambda a: a[torch.tensor([[True, False, True], [False, False, True]])]', nabla: (a) => a.index([[[true, false, true], [false, false, true]]]), inputs: [[2, 3, 4]] },
  { torch: 'lambda a: a[1:, [0, 2], ::2]', nabla: (a) => a.index(['1:', [0, 2], '::2']), inputs: [[3, 4, 5]] },
  // writes
  { torch: 'lambda a, v: a.index_put((torch.tensor([0, 2, 0]),), v, accumulate=True)', nabla: (a, v) => a.indexPut([i32([0, 2, 0])], v, true), inputs: [[4, 3], [3, 3]] },
  // (a repeated position with accumulate false is undefined behaviour in PyTorch; nabla's last write wins and
  // the overwritten values get gradient 0, the exact derivative of that forward: checked in test/advanced_index)
  { torch: 'lambda a, v: a.index_put((torch.tensor([1, 4, 0]),), v)', nabla: (a, v) => a.indexPut([i32([1, 4, 0])], v), inputs: [[5], [3]] },
  { torch: 'lambda a, v: a.clone().index_put_((torch.tensor([0, 2]), torch.tensor([3, -1])), v, accumulate=True)', nabla: (a, v) => a.clone().indexPut_([[0, 2], [3, -1]], v, true), inputs: [[3, 4], [2]] },
  { torch: 'lambda a, v: setitem(a, (slice(None), slice(1, 3)), v)', nabla: (a, v) => a.clone().indexSet_(':, 1:3', v), inputs: [[3, 4], [3, 2]] },
  { torch: 'lambda a, v: setitem(a, ([2, 0],), v)', nabla: (a, v) => a.clone().indexSet_([[2, 0]], v), inputs: [[3, 4], [4]] },
  { torch: 'lambda a, v: setitem(a, (a > 0,), v)', nabla: (a, v) => a.clone().indexSet_([a.gt(0)], v), inputs: [{ values: [1, -2, 3, -4, 5, 6], shape: [2, 3] }, [4]] },
  { torch: 'lambda a, v: setitem(a, (slice(None), [0, 1], [[0], [2]]), v)', nabla: (a, v) => a.clone().indexSet_([':', [0, 1], [[0], [2]]], v), inputs: [[2, 3, 4], [2, 2, 2]] },
];

const PY = String.raw`
import json, sys, torch
def setitem(x, idx, v):
    y = x.clone()
    y[idx] = v
    return y
out = []
for c in json.load(sys.stdin):
    xs = [torch.tensor(i['data'], dtype=torch.float64).reshape(i['shape']).requires_grad_(True) for i in c['inputs']]
    y = eval(c['torch'])(*xs)
    w = torch.tensor(c['w'], dtype=torch.float64).reshape(y.shape)
    gs = torch.autograd.grad((y * w).sum(), xs, allow_unused=True)
    out.append({'shape': list(y.shape), 'y': y.detach().reshape(-1).tolist(),
                'grads': [(g if g is not None else torch.zeros_like(x)).reshape(-1).tolist() for g, x in zip(gs, xs)]})
print(json.dumps(out))
`;

test(`einsum, cumprod and advanced indexing agree with torch 1.13: ${CASES.length} cases, values and gradients (float64)`, () => {
  const gen = new nb.Generator(2024);
  const runs = CASES.map((c) => {
    const xs = c.inputs.map((s) => Array.isArray(s)
      ? nb.randn(s, { dtype: 'float64', generator: gen })
      : nb.tensor(s.values, { dtype: 'float64' }).reshape(s.shape));
    const leaves = xs.map((x) => x.detach().requiresGrad_(true));
    const y = c.nabla(...leaves);
    const w = nb.tensor(Array.from({ length: y.numel() }, (_, i) => Math.cos(1 + 0.7 * i)), { dtype: 'float64' }).reshape(y.size());
    const grads = nb.autograd.grad(y.mul(w).sum(), leaves, { allowUnused: true }).map((g, i) => (g ?? nb.zerosLike(leaves[i]!)));
    return { xs, y, w, grads };
  });
  const payload = CASES.map((c, k) => ({
    torch: c.torch,
    inputs: runs[k]!.xs.map((x) => ({ shape: x.size(), data: Array.from(x.data()) })),
    w: Array.from(runs[k]!.w.data()),
  }));
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(payload), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout) as { shape: number[]; y: number[]; grads: number[][] }[];
  const near = (a: ArrayLike<number>, b: number[], what: string) => {
    assert.equal(a.length, b.length, `${what}: length`);
    for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-12 * (1 + Math.abs(b[i]!)), `${what}[${i}]: nabla ${a[i]}, torch ${b[i]}`);
  };
  CASES.forEach((c, k) => {
    const got = runs[k]!, w = want[k]!;
    assert.deepEqual(got.y.size(), w.shape, `${c.torch}: shape`);
    near(got.y.data(), w.y, `${c.torch}: value`);
    got.grads.forEach((g, i) => near(g.data(), w.grads[i]!, `${c.torch}: gradient of input ${i}`));
  });
});
