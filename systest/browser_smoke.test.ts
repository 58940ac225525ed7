/**
 * The kernels in real Chromium: tools/browser-smoke.mjs serves the built package and loads it twice, cross-origin
 * isolated (shared memory, worker threads) and not (one thread), checking the first example, a short training loop,
 * a convolution and a ragged transposed GEMM against float64 loops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('browser smoke: nabla in headless Chromium, isolated and not', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'tools', 'browser-smoke.mjs')], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `browser-smoke failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
});
