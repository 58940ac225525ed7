/**
 * Every rejection branch of the checkpoint layer, each with its message, plus the safetensors branches the
 * format suite leaves out (negative offsets), a metadata record nested 5,000 deep, and the removal of temp
 * files left by a writer killed mid-save.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as nb from '../src/index.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../src/io/safetensors.js';
import { STRUCTURE_KEY } from '../src/io/checkpoint.js';

const { CheckpointError, encodeCheckpoint, decodeCheckpoint } = nb;

function fileFrom(header: unknown, data: Uint8Array | number[] = []): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (begin: number, end: number) => ({ dtype: 'F32', shape: [2], data_offsets: [begin, end] });

test('safetensors: negative or fractional data_offsets are a format error, not a TypeError later', () => {
  for (const offsets of [[-8, 0], [0, -8], [-4, 4], [0.5, 8.5]]) {
    assert.throws(() => decodeSafetensors(fileFrom({ w: { ...f32(0, 8), data_offsets: offsets } }, new Uint8Array(8))), (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `offsets ${JSON.stringify(offsets)}: ${String(e)}`);
      assert.match((e as Error).message, new RegExp(`tensor "w": data_offsets must be non-negative integers, got \\[${offsets.join(',').replace(/\./g, '\\.')}\\]`));
      return true;
    });
  }
});

/** a structured checkpoint file whose structure record and tensors are given by hand */
function checkpointFile(structure: string | undefined, tensors: Record<string, number[]>): Uint8Array {
  const entries = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, { dtype: 'float32' as const, shape: [v.length], data: Float32Array.from(v) }]));
  return encodeSafetensors(entries, structure === undefined ? {} : { [STRUCTURE_KEY]: structure });
}

const rejectsCk = (bytes: Uint8Array, re: RegExp) =>
  assert.throws(() => decodeCheckpoint(bytes, "'x.ckpt'"), (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected CheckpointError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });

test('checkpoint: every load-side rejection, with its message', () => {
  rejectsCk(new Uint8Array(3), /^checkpoint: 'x\.ckpt' is not a valid safetensors file \(corrupt or truncated\?\): file is 3 bytes, too short/);
  rejectsCk(checkpointFile('{"format": 1, "tree"', {}), /^checkpoint: 'x\.ckpt' has a corrupt 'nabla\.checkpoint' structure record: /);
  rejectsCk(checkpointFile('{"format": 2, "tree": {}}', {}), /^checkpoint: 'x\.ckpt' has an unsupported structure record \(format 2, expected 1\)/);
  rejectsCk(checkpointFile('{"format": 1}', {}), /unsupported structure record \(format 1, expected 1\)/);
  rejectsCk(checkpointFile('null', {}), /unsupported structure record \(format undefined, expected 1\)/);
  rejectsCk(checkpointFile('{"format": 1, "tree": {"w": {"$tensor": "w"}}}', {}), /^checkpoint: 'x\.ckpt' refers to tensor 'w', which the file does not contain/);
  rejectsCk(checkpointFile('{"format": 1, "tree": {"w": {"$tensor": "toString"}}}', {}), /refers to tensor 'toString', which the file does not contain/);
  // tensors the structure record does not name are refused, not silently dropped
  rejectsCk(checkpointFile('{"format": 1, "tree": {"w": {"$tensor": "w"}}}', { w: [1], stray: [2], other: [3] }), /^checkpoint: 'x\.ckpt' holds tensors its structure record does not mention: other, stray$/);
  rejectsCk(checkpointFile('{"format": 1, "tree": {"n": 3}}', { a: [1] }), /does not mention: a$/);
});

test('checkpoint: a structure record nested 5,000 arrays deep is a CheckpointError, not a RangeError', () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  rejectsCk(checkpointFile(`{"format": 1, "tree": ${deep}}`, {}), /^checkpoint: 'x\.ckpt' has a structure record nested deeper than 1000 levels/);
  const deepObj = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  rejectsCk(checkpointFile(`{"format": 1, "tree": ${deepObj}}`, {}), /nested deeper than 1000 levels/);
  // 900 levels is a legal (if odd) structure and comes back
  const ok = decodeCheckpoint(checkpointFile(`{"format": 1, "tree": ${'['.repeat(900) + '7' + ']'.repeat(900)}}`, {})).state;
  let v: unknown = ok, depth = 0;
  while (Array.isArray(v)) { v = v[0]; depth++; }
  assert.equal(depth, 900);
  assert.equal(v, 7);
});

test('checkpoint: every save-side rejection, with its message', () => {
  const rejectsSave = (state: unknown, re: RegExp, meta?: Record<string, string>) =>
    assert.throws(() => encodeCheckpoint(state as nb.Tensor, meta), (e: unknown) => e instanceof CheckpointError && re.test((e as Error).message));
  const cyc: Record<string, unknown> = { a: 1 };
  cyc['self'] = cyc;
  rejectsSave({ x: cyc }, /^checkpoint: cannot save a cyclic structure \(at x\.self\)/);
  const arr: unknown[] = [1];
  arr.push(arr);
  rejectsSave(arr, /cannot save a cyclic structure \(at 1\)/);
  rejectsSave({ a: new Map() }, /^checkpoint: cannot save a value of type Map at a; only tensors, numbers/);
  rejectsSave({ a: () => 1 }, /cannot save a value of type function at a/);
  rejectsSave({ a: 1n }, /cannot save a value of type bigint at a/);
  rejectsSave({ t: nb.zeros([1]) }, /^checkpoint: metadata key 'nabla\.checkpoint' is reserved/, { [STRUCTURE_KEY]: 'x' });
  let deep: unknown = 1;
  for (let i = 0; i < 1500; i++) deep = [deep];
  rejectsSave({ deep }, /^checkpoint: cannot save a structure nested deeper than 1000 levels/);
  // the same structure one level shallower than the limit saves and loads
  let fine: unknown = 1;
  for (let i = 0; i < 990; i++) fine = [fine];
  assert.doesNotThrow(() => decodeCheckpoint(encodeCheckpoint({ fine } as never)));
});

test('checkpoint: reading a missing file names it', async () => {
  const missing = path.join(os.tmpdir(), `nabla-missing-${process.pid}.ckpt`);
  await assert.rejects(nb.load(missing), (e: Error) => e instanceof CheckpointError && e.message === `checkpoint: cannot read '${missing}': no such file`);
  assert.throws(() => nb.loadSync(missing), (e: Error) => e instanceof CheckpointError && /no such file/.test(e.message));
});

test('a save removes temp files left by writers that died mid-write, and only those', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-stale-'));
  try {
    const target = path.join(dir, 'model.ckpt');
    // a PID that is certainly gone: a child that has already exited
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    assert.ok(deadPid > 0);
    const stale = [`.model.ckpt.${deadPid}.0123456789ab.tmp`, `.model.ckpt.${deadPid}.ba9876543210.tmp`];
    const kept = [
      `.model.ckpt.${process.pid}.00000000000a.tmp`, // this process: possibly a concurrent save
      `.model.ckpt.1.00000000000b.tmp`, // PID 1 is alive
      `.other.ckpt.${deadPid}.00000000000c.tmp`, // another target's temporary
      `.model.ckpt.${deadPid}.tmp`, // not the writer's pattern
    ];
    for (const n of [...stale, ...kept]) fs.writeFileSync(path.join(dir, n), 'partial');
    nb.saveSync({ w: nb.ones([2]) }, target);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.ckpt', ...kept].sort());
    // the async save cleans up too
    fs.writeFileSync(path.join(dir, stale[0]!), 'partial');
    await nb.save({ w: nb.ones([2]) }, target);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.ckpt', ...kept].sort());
    assert.deepEqual(Array.from(nb.loadSync(target).w.data()), [1, 1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
