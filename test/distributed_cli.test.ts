/**
 * `nabla run --nproc N script.js [args]`: the README's example (examples/ddp.ts, MNIST MLP under
 * DistributedDataParallel) runs with 2 ranks, learns and ends with identical weights on both ranks; a rank that
 * throws makes the launcher print that rank and its error and exit 1; usage errors exit 2.
 * Also the engine hook DDP builds on: Tensor.registerPostAccumulateGradHook.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(DIST, 'cli', 'main.js');
const nabla = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: join(DIST, '..'), timeout: 120_000 });

describe('nabla run', () => {
  test('the README example: 2 ranks learn MNIST and end with the same weights', { timeout: 120_000 }, () => {
    const r = nabla('run', '--nproc', '2', 'dist/examples/ddp.js', '--epochs', '1', '--batch', '128', '--lr', '0.004');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^2 rank\(s\), 4167 samples per rank per epoch, batch 128 per rank \(256 in all\)/m);
    const acc = Number(/test accuracy ([\d.]+)%/.exec(r.stdout)?.[1]);
    assert.ok(acc > 80, `test accuracy ${acc}% after one epoch`);
    assert.match(r.stdout, /max weight difference between ranks: 0$/m);
  });
  test('a failing rank: its rank and error on stderr, exit status 1', { timeout: 60_000 }, () => {
    const r = nabla('run', '--nproc', '2', 'dist/test/fixtures/dist_worker.js', 'throw', '');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^nabla run: rank 1 failed: Error: planted failure in the training step/m);
  });
  test('usage errors exit 2; --help describes the command', () => {
    const none = nabla('run', '--nproc', '2');
    assert.equal(none.status, 2);
    assert.match(none.stderr, /expected the script to run after the options/);
    const bad = nabla('run', '--nproc', '0', 'x.js');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--nproc/);
    const help = nabla('run', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /nabla run --nproc N \[options\] script\.js \[script args\]/);
  });
});

describe('Tensor.registerPostAccumulateGradHook', () => {
  test('runs after .grad has been accumulated, once per backward; not for autograd.grad; removable', () => {
    const w = nb.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const seen: number[][] = [];
    const h = w.registerPostAccumulateGradHook((leaf) => { seen.push(leaf.grad!.dataArray()); });
    w.mul(3).sum().add(w.sum()).backward(); // w used twice: one accumulation of 3 + 1
    w.mul(2).sum().backward();
    assert.deepEqual(seen, [[4, 4], [6, 6]]);
    nb.autograd.grad(w.sum(), [w]);
    assert.equal(seen.length, 2);
    h.remove();
    w.sum().backward();
    assert.equal(seen.length, 2);
    assert.throws(() => w.mul(2).registerPostAccumulateGradHook(() => {}), /non-leaf/);
  });
});
