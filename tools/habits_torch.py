"""Evaluate the PyTorch side of the habit cases (JSON list of {torch} on stdin); print a JSON list of results.

Results: tensors as nested lists, torch.Size as a list, dtypes as names without 'torch.', tuples/lists
recursively; an exception becomes {"error": "<TypeName>"}. Run with Debian's /usr/bin/python3 (torch 1.13).
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.tensor([[1., 5., 3.], [4., 2., 6.]])
v = torch.tensor([1., -2., 3.])
img = torch.ones(1, 1, 5, 5)
ker = torch.ones(1, 1, 3, 3)
labels = torch.tensor([1, 2])


def step(make):
    w = torch.ones(2, requires_grad=True)
    opt = make([w])
    (w * w).sum().backward()
    opt.step()
    return w.detach()


def lrs(make, n):
    w = torch.ones(2, requires_grad=True)
    opt = torch.optim.SGD([w], 1.0)
    scheds = make(opt)
    out = [opt.param_groups[0]['lr']]
    for _ in range(n):
        opt.step()
        for s in scheds:
            s.step()
        out.append(opt.param_groups[0]['lr'])
    return out


def conv(r):
    if isinstance(r, torch.Tensor):
        return r.detach().tolist()
    if isinstance(r, torch.Size):
        return list(r)
    if isinstance(r, torch.dtype):
        return str(r).replace('torch.', '')
    if isinstance(r, (list, tuple)):
        return [conv(e) for e in r]
    if isinstance(r, float) and not math.isfinite(r):
        return str(r)
    if r is None or isinstance(r, (bool, int, float, str)):
        return r
    return {'object': type(r).__name__}


out = []
for case in json.load(sys.stdin):
    try:
        out.append(conv(eval(case['torch'])))
    except Exception as e:  # noqa: BLE001 - the error type is the result
        out.append({'error': type(e).__name__})
    torch.set_grad_enabled(True)
print(json.dumps(out))
