/**
 * Shared by the PyTorch differential suites (systest/torch_*.test.ts): one /usr/bin/python3 process per
 * suite, fed one JSON document on stdin and answering one on stdout. Numbers travel as JSON, which is exact
 * for float64 (JavaScript writes the shortest string that reads back to the same double; Python reads it
 * exactly). Tensors are {shape, dtype, data} with data row-major.
 */
import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';

export interface WireTensor {
  shape: number[];
  dtype: string;
  data: number[];
}

export const toWire = (t: nb.Tensor): WireTensor => ({ shape: [...t.shape], dtype: t.dtype, data: t.dataArray() });

/** Python helpers every suite's script starts with: dec(wire) → tensor, enc(tensor) → wire. */
export const PY_PRELUDE = String.raw`
import json, math, sys
import numpy as np
import torch
torch.set_default_dtype(torch.float64)
DT = {'float64': torch.float64, 'float32': torch.float32, 'bool': torch.bool, 'int32': torch.int64, 'int64': torch.int64}
def dec(w, grad=False):
    t = torch.tensor(w['data'], dtype=DT[w['dtype']]).reshape(w['shape'])
    if grad: t.requires_grad_(True)
    return t
def enc(t):
    t = t.detach()
    if t.dtype == torch.bool: t = t.to(torch.float64)
    return {'shape': list(t.shape), 'dtype': 'float64', 'data': t.reshape(-1).tolist()}
`;

/** Run `code` (after the prelude) with `input` as JSON on stdin; returns its JSON answer. */
export function runTorch<T = unknown>(code: string, input: unknown): T {
  // non-finite numbers travel as Python's json tokens (NaN, Infinity, -Infinity), which JSON proper lacks
  const special = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `@@${String(v)}@@` : v);
  const text = JSON.stringify(input, (_, v) => special(v)).replace(/"@@(-?Infinity|NaN)@@"/g, '$1');
  const r = spawnSync('/usr/bin/python3', ['-c', PY_PRELUDE + code], { input: text, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed (status ${r.status}):\n${r.stderr}`);
  const back: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
  return JSON.parse(r.stdout.replace(/(-?Infinity|NaN)/g, '"@@$1@@"'), (_, v) => (typeof v === 'string' && v.startsWith('@@') ? back[v.slice(2, -2)] : v)) as T;
}

/** max |a − b| / max(1, |b|) over the elements (Infinity when lengths differ; equal non-finite values count as equal). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return Infinity;
    m = Math.max(m, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return m;
}
