/**
 * bfloat16/float16 against real PyTorch and NumPy (one Python process): nabla's encodings of ~515,000 float32
 * values (every 16-bit value, every midpoint between neighbours, a float32 step either side, specials) equal
 * torch's `.to(torch.bfloat16)` and NumPy's `astype(float16)` bit for bit (NaN: any NaN pattern); nabla's decoding of all 65,536
 * patterns of each equals theirs; and a checkpoint nabla saves with BF16/F16 entries reads back in Python
 * (safetensors parsed with NumPy, as the format is laid out) to the same values, and one written from torch's
 * bfloat16/float16 tensors loads in nabla as bfloat16/float16 with torch's bits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as nb from '../src/index.js';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../src/half.js';

const PY = String.raw`
import json, struct, sys
import numpy as np, torch
d = sys.argv[1]
x = np.fromfile(d + '/inputs.f32', dtype=np.float32)
ours_bf = np.fromfile(d + '/bf16.u16', dtype=np.uint16)
ours_h = np.fromfile(d + '/f16.u16', dtype=np.uint16)
torch_bf = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
np_h = x.astype(np.float16).view(np.uint16)
pats = np.arange(65536, dtype=np.uint32).astype(np.uint16)
dec_bf = torch.from_numpy(pats.view(np.int16)).view(torch.bfloat16).float().numpy()
dec_h = pats.view(np.float16).astype(np.float32)
ours_dec_bf = np.fromfile(d + '/dec_bf16.f32', dtype=np.float32)
ours_dec_h = np.fromfile(d + '/dec_f16.f32', dtype=np.float32)
def same(a, b):
    a = a.view(np.uint32); b = b.view(np.uint32)
    nan_a = (a & 0x7fffffff) > 0x7f800000; nan_b = (b & 0x7fffffff) > 0x7f800000
    return int(np.sum((a != b) & ~(nan_a & nan_b)))
raw = open(d + '/ckpt.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n]); base = 8 + n
vals = {}
for k, e in header.items():
    if k == '__metadata__': continue
    b, en = e['data_offsets']; buf = raw[base + b: base + en]
    if e['dtype'] == 'BF16': v = (np.frombuffer(buf, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
    elif e['dtype'] == 'F16': v = np.frombuffer(buf, dtype=np.float16).astype(np.float32)
    else: v = np.frombuffer(buf, dtype=np.float32)
    vals[k] = {'dtype': e['dtype'], 'shape': e['shape'], 'values': [float(t) for t in v.reshape(-1)]}
# a BF16/F16 file written from torch tensors, for nabla to load
tb = torch.linspace(-3, 3, 7).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
th = np.linspace(-3, 3, 7).astype(np.float16).view(np.uint16)
hdr = json.dumps({'tb': {'dtype': 'BF16', 'shape': [7], 'data_offsets': [0, 14]}, 'th': {'dtype': 'F16', 'shape': [7], 'data_offsets': [14, 28]}}).encode()
hdr += b' ' * (-len(hdr) % 8)
open(d + '/torch16.safetensors', 'wb').write(struct.pack('<Q', len(hdr)) + hdr + tb.tobytes() + th.tobytes())
# NaN: any NaN pattern matches any NaN pattern (torch 1.13's vectorised CPU cast writes 0xFFFF, c10's scalar
# BFloat16 0x7FC0, which nabla follows; NumPy keeps payload bits)
bf_nan = ((ours_bf & 0x7fff) > 0x7f80) & ((torch_bf & 0x7fff) > 0x7f80)
h_nan = ((ours_h & 0x7fff) > 0x7c00) & ((np_h & 0x7fff) > 0x7c00)
bad_bf = (ours_bf != torch_bf) & ~bf_nan
bad_h = (ours_h != np_h) & ~h_nan
print(json.dumps({'n': int(x.size), 'bf16_mismatch': int(np.sum(bad_bf)), 'f16_mismatch': int(np.sum(bad_h)), 'nan_inputs': int(np.sum(np.isnan(x))),
  'bf16_decode_mismatch': same(ours_dec_bf, dec_bf), 'f16_decode_mismatch': same(ours_dec_h, dec_h),
  'first_bf16': [int(i) for i in np.nonzero(bad_bf)[0][:3]], 'first_f16': [int(i) for i in np.nonzero(bad_h)[0][:3]],
  'ckpt': vals, 'torch16': {'tb': [int(v) for v in tb], 'th': [int(v) for v in th],
  'tb_values': [float(v) for v in torch.linspace(-3, 3, 7).to(torch.bfloat16).float()]}}))
`;

test('bfloat16/float16 conversions equal torch and NumPy bit for bit; BF16/F16 checkpoints read in Python', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-half-'));
  const inputs: number[] = [];
  const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
  const step = (x: number, d: number) => { f32[0] = x; u32[0] = u32[0]! + d; return f32[0]!; };
  for (const dec of [fromBfloat16Bits, fromFloat16Bits]) {
    const vals: number[] = [];
    for (let h = 0; h < 65536; h++) { const v = dec(h); if (Number.isFinite(v)) vals.push(v); }
    vals.sort((a, b) => a - b);
    for (let i = 0; i + 1 < vals.length; i++) {
      const mid = Math.fround((vals[i]! + vals[i + 1]!) / 2);
      inputs.push(vals[i]!, mid);
      if (mid !== 0) inputs.push(step(mid, 1), step(mid, -1));
    }
  }
  inputs.push(Infinity, -Infinity, NaN, -NaN, 3.4028234663852886e38, -3.4028234663852886e38, 2 ** -149, 65520, 65519.99, -65520);
  const x = Float32Array.from(inputs);
  fs.writeFileSync(path.join(dir, 'inputs.f32'), x);
  fs.writeFileSync(path.join(dir, 'bf16.u16'), Uint16Array.from(x, toBfloat16Bits));
  fs.writeFileSync(path.join(dir, 'f16.u16'), Uint16Array.from(x, toFloat16Bits));
  const pats = Array.from({ length: 65536 }, (_, h) => h);
  fs.writeFileSync(path.join(dir, 'dec_bf16.f32'), Float32Array.from(pats, fromBfloat16Bits));
  fs.writeFileSync(path.join(dir, 'dec_f16.f32'), Float32Array.from(pats, fromFloat16Bits));
  const src = [0.1, -2.5, 1e-6, 70000, 3.14159];
  const state = {
    b: nb.tensor(src, { dtype: 'bfloat16' }),
    h: nb.tensor([[0.1, -2.5], [1e-6, 65504]], { dtype: 'float16' }),
    f: nb.tensor([1.5, 2]),
  };
  nb.saveSync(state, path.join(dir, 'ckpt.safetensors'));

  const r = spawnSync('/usr/bin/python3', ['-c', PY, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.n, x.length);
  assert.ok(out.n > 500_000, `${out.n} inputs`);
  assert.equal(out.bf16_mismatch, 0, `bf16 encodings differing from torch at ${out.first_bf16.map((i: number) => x[i])}`);
  assert.equal(out.f16_mismatch, 0, `f16 encodings differing from numpy at ${out.first_f16.map((i: number) => x[i])}`);
  assert.equal(out.nan_inputs, 2);
  assert.equal(out.bf16_decode_mismatch, 0);
  assert.equal(out.f16_decode_mismatch, 0);
  assert.deepEqual(out.ckpt.b, { dtype: 'BF16', shape: [5], values: state.b.dataArray() });
  assert.deepEqual(out.ckpt.h, { dtype: 'F16', shape: [2, 2], values: state.h.dataArray() });
  assert.deepEqual(out.ckpt.f, { dtype: 'F32', shape: [2], values: [1.5, 2] });
  // and back: loading gives the same dtypes and exact values (F16/BF16 entries load as float16/bfloat16)
  const back = nb.loadSync(path.join(dir, 'ckpt.safetensors')) as Record<string, nb.Tensor>;
  assert.deepEqual(back.b!.dataArray(), state.b.dataArray());
  assert.deepEqual(back.h!.dataArray(), state.h.dataArray());
  assert.equal(back.b!.dtype, 'bfloat16');
  assert.equal(back.h!.dtype, 'float16');
  // a file written from torch's bfloat16/float16 tensors loads as bfloat16/float16 with torch's bits
  const t16 = nb.loadSync(path.join(dir, 'torch16.safetensors')) as Record<string, nb.Tensor>;
  assert.equal(t16.tb!.dtype, 'bfloat16');
  assert.equal(t16.th!.dtype, 'float16');
  assert.deepEqual(Array.from(t16.tb!.rawData()), out.torch16.tb);
  assert.deepEqual(Array.from(t16.th!.rawData()), out.torch16.th);
  assert.deepEqual(t16.tb!.dataArray(), out.torch16.tb_values);
  fs.rmSync(dir, { recursive: true, force: true });
});
