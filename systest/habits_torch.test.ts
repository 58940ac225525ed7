/**
 * The PyTorch side of the habit suite, from real torch 1.13 (one /usr/bin/python3 process): every case's
 * `torch` line is evaluated by tools/habits_torch.py and must give the result recorded in
 * test/fixtures/habits_torch.json, which test/habits.test.ts compares nabla with. NABLA_WRITE_HABITS=1
 * rewrites the fixture (after adding cases).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HABIT_CASES } from '../test/habit_cases.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = path.join(root, 'test', 'fixtures', 'habits_torch.json');

test('the recorded PyTorch results of the habit cases are what torch 1.13 gives', () => {
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'tools', 'habits_torch.py')], { input: JSON.stringify(HABIT_CASES), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as unknown[];
  const rows = HABIT_CASES.map((c, i) => ({ torch: c.torch, result: results[i] }));
  if (process.env.NABLA_WRITE_HABITS === '1') fs.writeFileSync(FIXTURE, '[\n' + rows.map((o) => '  ' + JSON.stringify(o)).join(',\n') + '\n]\n');
  const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as unknown[];
  assert.deepEqual(recorded, rows);
});
