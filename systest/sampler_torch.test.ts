/**
 * nb.data.DistributedSampler against torch.utils.data.distributed.DistributedSampler (PyTorch 1.13, the system
 * interpreter) without shuffling: for every dataset length 0…23, numReplicas 1…5, every rank and both dropLast
 * settings, the same indices in the same order (the partition, the padding by repetition and the drop-last cut).
 * With shuffle the permutation itself comes from each framework's own generator and cannot match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';

const PY = String.raw`
import json
from torch.utils.data.distributed import DistributedSampler
out = {}
for n in range(0, 24):
    for R in range(1, 6):
        for rank in range(R):
            for drop in (False, True):
                s = DistributedSampler(range(n), num_replicas=R, rank=rank, shuffle=False, drop_last=drop)
                out[f"{n},{R},{rank},{int(drop)}"] = [len(s), list(iter(s))]
print(json.dumps(out))
`;

test('DistributedSampler (shuffle false) equals PyTorch 1.13 for n < 24, numReplicas ≤ 5, every rank, dropLast both ways', () => {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const torch = JSON.parse(r.stdout) as Record<string, [number, number[]]>;
  let cases = 0;
  for (const [key, [len, idx]] of Object.entries(torch)) {
    const [n, R, rank, drop] = key.split(',').map(Number) as [number, number, number, number];
    const s = new nb.data.DistributedSampler({ length: n }, { numReplicas: R, rank, shuffle: false, dropLast: drop === 1 });
    assert.equal(s.length, len, `length for ${key}`);
    assert.deepEqual([...s], idx, `indices for n=${n} R=${R} rank=${rank} dropLast=${drop === 1}`);
    cases++;
  }
  assert.equal(cases, 24 * 15 * 2);
});
