/**
 * writeFileAtomic / writeFileAtomicSync details pinned by the mutation review (tools/mutation): no file
 * descriptor is left open on success or on a failure at any step, a last chunk shorter than chunkSize, the
 * chunkSize check, permissions a umask would filter, and which leftover temp files removeStaleTemps touches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { removeStaleTemps, writeFileAtomic, writeFileAtomicSync } from '../src/io/atomicWrite.js';

const fdDir = fs.existsSync('/proc/self/fd') ? '/proc/self/fd' : '/dev/fd';
const openFds = () => fs.readdirSync(fdDir).length;
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);
const withDir = async (fn: (dir: string) => void | Promise<void>) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-aw-'));
  try { await fn(dir); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
};
const injectAt = (limit: number) => ({ chunkSize: 10, onChunk: (n: number) => { if (n >= limit) throw new Error('injected'); } });

test('no file descriptor stays open after a save, or after a failure midway or before the rename', () => withDir(async (dir) => {
  const target = path.join(dir, 'f.bin');
  const data = bytes(100);
  const before = openFds();
  writeFileAtomicSync(target, data);
  await writeFileAtomic(target, data);
  assert.equal(openFds(), before, 'after successful saves');
  for (const opts of [injectAt(30), { beforeRename: () => { throw new Error('injected'); } }]) {
    assert.throws(() => writeFileAtomicSync(target, data, opts), /injected/);
    assert.equal(openFds(), before, 'after a failed sync save');
    await assert.rejects(writeFileAtomic(target, data, opts), /injected/);
    assert.equal(openFds(), before, 'after a failed async save');
  }
  assert.deepEqual(fs.readdirSync(dir), ['f.bin']);
}));

test('a last chunk shorter than chunkSize is written whole, by both writers', () => withDir(async (dir) => {
  const data = bytes(100);
  const seen: number[] = [];
  writeFileAtomicSync(path.join(dir, 's.bin'), data, { chunkSize: 30, onChunk: (n) => seen.push(n) });
  await writeFileAtomic(path.join(dir, 'a.bin'), data, { chunkSize: 30, onChunk: (n) => seen.push(-n) });
  assert.deepEqual(seen, [30, 60, 90, 100, -30, -60, -90, -100]);
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 's.bin'))), data);
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, 'a.bin'))), data);
}));

test('chunkSize must be a positive safe integer; the error says which value came', () => withDir(async (dir) => {
  const target = path.join(dir, 'c.bin');
  for (const c of [0, -1, 1.5, NaN, 2 ** 53]) {
    const msg = `writeFileAtomic: chunkSize must be a positive integer, got ${c}`;
    assert.throws(() => writeFileAtomicSync(target, bytes(4), { chunkSize: c }), (e: Error) => e instanceof RangeError && e.message === msg);
    await assert.rejects(writeFileAtomic(target, bytes(4), { chunkSize: c }), (e: Error) => e instanceof RangeError && e.message === msg);
  }
  writeFileAtomicSync(target, bytes(3), { chunkSize: 1 });
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), bytes(3));
  assert.deepEqual(fs.readdirSync(dir), ['c.bin']);
}));

test('replacing a file keeps permissions that the umask would filter (0o666, 0o777), sync and async', { skip: process.platform === 'win32' ? 'POSIX modes only' : false }, () => withDir(async (dir) => {
  const old = process.umask(0o022);
  try {
    for (const mode of [0o666, 0o777, 0o600]) {
      const s = path.join(dir, `s${mode}`), a = path.join(dir, `a${mode}`);
      for (const f of [s, a]) { fs.writeFileSync(f, 'x'); fs.chmodSync(f, mode); }
      writeFileAtomicSync(s, bytes(5));
      await writeFileAtomic(a, bytes(5));
      assert.equal(fs.statSync(s).mode & 0o777, mode, `sync ${mode.toString(8)}`);
      assert.equal(fs.statSync(a).mode & 0o777, mode, `async ${mode.toString(8)}`);
    }
    // a new file gets 0o666 filtered by the umask, like fs.writeFileSync
    writeFileAtomicSync(path.join(dir, 'new'), bytes(1));
    assert.equal(fs.statSync(path.join(dir, 'new')).mode & 0o777, 0o644);
  } finally {
    process.umask(old);
  }
}));

test('removeStaleTemps removes exactly `.NAME.<dead pid>.<12 hex>.tmp` and reports it; a missing folder is no error', () => withDir((dir) => {
  const target = path.join(dir, 'm.ckpt');
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  assert.ok(dead > 0);
  const stale = `.m.ckpt.${dead}.0123456789ab.tmp`;
  const kept = [
    `.m.ckpt.old${dead}.0123456789ab.tmp`, // something before the pid
    `.m.ckpt.${dead}.0123456789ab.tmp.bak`, // something after .tmp
    `.m.ckpt.${dead}.0123456789abc.tmp`, // 13 hex digits
    `.m.ckpt.${process.pid}.0123456789ab.tmp`, // this (live) process
  ];
  for (const n of [stale, ...kept]) fs.writeFileSync(path.join(dir, n), 'partial');
  assert.deepEqual(removeStaleTemps(target), [stale]);
  assert.deepEqual(fs.readdirSync(dir).sort(), [...kept].sort());
  assert.deepEqual(removeStaleTemps(target), []);
  assert.deepEqual(removeStaleTemps(path.join(dir, 'no', 'such', 'dir', 'x.ckpt')), []);
}));
