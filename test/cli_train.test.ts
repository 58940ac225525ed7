/**
 * The main job's command line: a quick `train mnist` on a slice of the digits writes a checkpoint that
 * loads back into the same model with the same predictions, an HTML report, and the accuracy line; bad
 * options fail with exit code 2 and a message naming the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { evaluate, mnistMlp, trainMnist } from '../cli/trainMnist.js';

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

test('trainMnist: checkpoint reloads into an identical model; report and per-class accuracy are written', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-cli-'));
  const r = await trainMnist({ model: 'mlp', epochs: 1, limit: 1200, batchSize: 50, warmupSteps: 5, out, verbose: false });
  assert.equal(r.perClassAccuracy.length, 10);
  assert.ok(r.testAccuracy > 0.6, `1 epoch on 1,200 digits gives ${r.testAccuracy}`);
  assert.ok(r.epochs[0]!.trainLoss < Math.log(10), 'the loss fell below chance level');
  assert.ok(fs.readFileSync(r.report!, 'utf8').includes('<svg'));

  const restored = mnistMlp(new nb.Generator(123)); // different initial weights
  const sd = await nb.load(r.checkpoint!);
  assert.deepEqual(Object.keys(sd).sort(), Object.keys(r.model.stateDict()).sort());
  restored.loadStateDict(sd);
  const { test: held } = nb.datasets.mnist({ seed: 0 });
  const again = evaluate(restored, held.images, held.labels);
  assert.equal(again.accuracy, r.testAccuracy);
  assert.deepEqual(again.perClass, r.perClassAccuracy);
  fs.rmSync(out, { recursive: true });
});

test('nabla train mnist: bad options exit 2 with a message naming the option', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  const cases: [string[], RegExp][] = [
    [['train', 'mnist', '--epochs', 'x'], /--epochs expects a positive integer/],
    [['train', 'mnist', '--model', 'resnet'], /--model/],
    [['train', 'mnist', '--lr', '-1'], /--lr/],
    [['train', 'mnist', '--bogus'], /--bogus/],
    [['train', 'cifar'], /unknown dataset "cifar"/],
    [['fly'], /unknown command "fly"/],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const help = run('train', 'mnist', '--help');
  assert.equal(help.status, 0);
  for (const flag of ['--model', '--epochs', '--batch-size', '--lr', '--seed', '--out']) assert.ok(help.stdout.includes(flag), flag);
});
