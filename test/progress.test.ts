import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, formatDuration } from '../cli/progress.js';

function fakeStream(isTTY: boolean): { write(s: string): void; isTTY: boolean; out: string[] } {
  const out: string[] = [];
  return { out, isTTY, write: (s: string) => void out.push(s) };
}

test('renders the bar, counts and stats', () => {
  let t = 0;
  const bar = new ProgressBar({ total: 10, width: 10, stream: fakeStream(false), now: () => t });
  bar.update(5, { loss: 0.34123, acc: 0.912, samplesPerSec: 5320.4 });
  t = 5000;
  assert.equal(bar.render(), '[=====>    ] 5/10 loss 0.3412 acc 91.2% 5320 samples/s eta 5s');
  const labelled = new ProgressBar({ total: 469, width: 10, label: 'epoch 1', stream: fakeStream(false), now: () => 0 });
  labelled.update(0);
  assert.equal(labelled.render(), 'epoch 1 [>         ] 0/469');
  labelled.update(469, { loss: 1.5e-5 });
  assert.equal(labelled.render(), 'epoch 1 [==========] 469/469 loss 1.500e-5 in 0s');
});

test('non-TTY output: whole lines, throttled, final line on finish', () => {
  let t = 0;
  const s = fakeStream(false);
  const bar = new ProgressBar({ total: 100, width: 4, stream: s, now: () => t, throttleMs: 1000 });
  for (let i = 1; i <= 100; i++) {
    t = i * 50; // 5 s in all → about one line a second
    bar.update(i, { loss: 1 / i });
  }
  bar.finish();
  bar.finish(); // idempotent
  assert.ok(s.out.length >= 5 && s.out.length <= 7, `${s.out.length} lines`);
  assert.ok(s.out.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.match(s.out.at(-1)!, /^\[====\] 100\/100 loss 0\.0100 in 5s\n$/);
});

test('TTY output: redraws in place with \\r, pads over longer lines, newline at the end', () => {
  let t = 0;
  const s = fakeStream(true);
  const bar = new ProgressBar({ total: 3, width: 3, stream: s, now: () => t, redrawMs: 0 });
  bar.update(1, { loss: 12345.678 });
  t = 1;
  bar.update(2, {});
  bar.finish();
  assert.ok(s.out.every((w) => w.startsWith('\r')));
  assert.equal(s.out.length, 3);
  // the second line is shorter than the first; it is padded so no stale characters remain
  assert.equal(s.out[1]!.length, s.out[0]!.length);
  assert.ok(s.out[2]!.endsWith('\n'));
  bar.update(3, {});
  assert.equal(s.out.length, 3, 'no output after finish');
});

test('formatDuration', () => {
  assert.equal(formatDuration(4.4), '4s');
  assert.equal(formatDuration(65), '1m05s');
  assert.equal(formatDuration(3725), '1h02m');
  assert.equal(formatDuration(NaN), '?');
});
