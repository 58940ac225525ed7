/**
 * The checkpoint structure record's exact rules, pinned by the mutation review (tools/mutation): the on-disk
 * form of a small nested state, markers ($tensor/$num/$obj) counting only as a lone key, -0, undefined, typed
 * arrays, null-prototype objects, a bare tensor, colliding tensor paths, the nesting limit at its exact
 * boundary on both sides, and the wording of the errors (type, path, file name, error class).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { STRUCTURE_KEY } from '../src/io/checkpoint.js';

const { CheckpointError, encodeCheckpoint, decodeCheckpoint } = nb;
const roundTrip = (state: unknown) => decodeCheckpoint(encodeCheckpoint(state as never)).state as unknown;
const record = (bytes: Uint8Array) => JSON.parse(decodeSafetensors(bytes).metadata[STRUCTURE_KEY]!);

/** a structured checkpoint file whose structure record and float32 tensors are given by hand */
function checkpointFile(tree: string, tensors: Record<string, number[]> = {}): Uint8Array {
  const entries = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, { dtype: 'float32' as const, shape: [v.length], data: Float32Array.from(v) }]));
  return encodeSafetensors(entries, { [STRUCTURE_KEY]: `{"format": 1, "tree": ${tree}}` });
}
const nested = (k: number, inner: unknown): unknown => { let v = inner; for (let i = 0; i < k; i++) v = [v]; return v; };
const depthOf = (v: unknown) => { let d = 0; while (Array.isArray(v)) { v = v[0]; d++; } return d; };

test('the structure record of a small nested state is exactly this JSON (the on-disk format)', () => {
  const bytes = encodeCheckpoint({ step: 3, lr: [0.1, 0.01], opt: { w: nb.tensor([1, 2]), name: 'sgd', on: true, none: null }, meta: { $weird: 1, k: 2 } } as never);
  assert.deepEqual(record(bytes), {
    format: 1,
    tree: { step: 3, lr: [0.1, 0.01], opt: { w: { $tensor: 'opt.w' }, name: 'sgd', on: true, none: null }, meta: { $obj: { $weird: 1, k: 2 } } },
  });
  assert.deepEqual(Object.keys(decodeSafetensors(bytes).tensors), ['opt.w']);
});

test('markers count only as a lone key; a hand-written record with a marker beside other keys is a plain object', () => {
  const { state } = decodeCheckpoint(checkpointFile(
    '{"t": {"$tensor": "w"}, "a": {"$tensor": "w", "n": 1}, "b": {"$num": "5", "m": 2}, "c": {"$obj": {"x": 1}, "y": 2}, "d": {"$obj": null}, "e": {"$num": "Infinity"}}',
    { w: [4] }));
  const s = state as Record<string, unknown>;
  assert.ok(s.t instanceof nb.Tensor);
  assert.deepEqual(Array.from((s.t as Tensor).data()), [4]);
  assert.deepEqual(s.a, { $tensor: 'w', n: 1 });
  assert.deepEqual(s.b, { $num: '5', m: 2 });
  assert.deepEqual(s.c, { $obj: { x: 1 }, y: 2 });
  assert.deepEqual(s.d, { $obj: null });
  assert.equal(s.e, Infinity);
});

test('-0, NaN and ±Infinity survive; undefined members are dropped; typed arrays come back as arrays', () => {
  const back = roundTrip({ z: -0, n: NaN, p: Infinity, m: -Infinity, u: undefined, keep: 1, f: new Float64Array([1.5, -2]), i: new Int32Array([7]) }) as Record<string, unknown>;
  assert.ok(Object.is(back.z, -0), `-0 came back as ${String(back.z)}`);
  assert.ok(Number.isNaN(back.n));
  assert.equal(back.p, Infinity);
  assert.equal(back.m, -Infinity);
  assert.deepEqual(Object.keys(back).sort(), ['f', 'i', 'keep', 'm', 'n', 'p', 'z']);
  assert.deepEqual(back.f, [1.5, -2]);
  assert.deepEqual(back.i, [7]);
  assert.ok(Object.is((roundTrip([-0, 0]) as number[])[0], -0));
});

test('null-prototype objects save like plain ones; loaded objects are ordinary, writable and deletable', () => {
  const bare = Object.create(null) as Record<string, unknown>;
  bare.a = 1;
  bare.t = nb.tensor([2, 3]);
  const back = roundTrip({ bare, flat: 5 }) as { bare: { a: number; t: Tensor }; flat: number };
  assert.equal(back.bare.a, 1);
  assert.deepEqual(Array.from(back.bare.t.data()), [2, 3]);
  back.bare.a = 2; // strict mode: throws if the property were read-only
  delete (back as { flat?: number }).flat;
  assert.equal(back.bare.a, 2);
  assert.equal('flat' in back, false);
  // a flat tensor dict (no structure record) too
  const flat = decodeCheckpoint(encodeCheckpoint({ w: nb.ones([1]) })).state as Record<string, Tensor>;
  flat.w = nb.zeros([1]);
  delete (flat as Partial<Record<string, Tensor>>).w;
  assert.deepEqual(Object.keys(flat), []);
});

test('a bare tensor is saved under "_", and tensors whose paths collide keep apart', () => {
  const t = nb.tensor([[1, 2]], { dtype: 'float64' });
  const bytes = encodeCheckpoint(t as never);
  assert.deepEqual(record(bytes).tree, { $tensor: '_' });
  const back = decodeCheckpoint(bytes).state as Tensor;
  assert.ok(back instanceof nb.Tensor);
  assert.deepEqual(back.shape, [1, 2]);
  assert.equal(back.dtype, 'float64');
  // 'a.b' as one key and a → b nested both flatten to 'a.b': the second becomes 'a.b~1', then 'a.b~2'
  const state = { 'a.b': nb.tensor([1]), a: { b: nb.tensor([2]) }, x: [nb.tensor([3])], 'x.0': nb.tensor([4]) };
  const enc = encodeCheckpoint(state as never);
  assert.deepEqual(Object.keys(decodeSafetensors(enc).tensors).sort(), ['a.b', 'a.b~1', 'x.0', 'x.0~1']);
  const got = decodeCheckpoint(enc).state as { 'a.b': Tensor; a: { b: Tensor }; x: Tensor[]; 'x.0': Tensor };
  assert.deepEqual([got['a.b'], got.a.b, got.x[0]!, got['x.0']].map((v) => v.item()), [1, 2, 3, 4]);
  // three paths to 'a.b.c': suffixes count up
  const three = encodeCheckpoint({ 'a.b.c': nb.tensor([1]), 'a.b': { c: nb.tensor([2]) }, a: { 'b.c': nb.tensor([3]) } } as never);
  assert.deepEqual(Object.keys(decodeSafetensors(three).tensors).sort(), ['a.b.c', 'a.b.c~1', 'a.b.c~2']);
});

test('nesting limit at its exact boundary: save takes 1000 levels, load reads 1001, one more is refused', () => {
  // save: the innermost value of k arrays at the root sits at path length k; the limit is 1000
  assert.equal(depthOf(roundTrip(nested(1000, 7))), 1000);
  assert.throws(() => encodeCheckpoint(nested(1001, 7) as never), (e: Error) =>
    e instanceof CheckpointError && e.message === 'checkpoint: cannot save a structure nested deeper than 1000 levels (at 0.0.0.0.0.0.0.0...)');
  // load: arrays at depth 0..k-1, the check refuses a container deeper than 1000
  const arr = (k: number) => '['.repeat(k) + '7' + ']'.repeat(k);
  assert.equal(depthOf(decodeCheckpoint(checkpointFile(arr(1001))).state), 1001);
  assert.throws(() => decodeCheckpoint(checkpointFile(arr(1002))), /^CheckpointError: checkpoint: checkpoint has a structure record nested deeper than 1000 levels/);
});

test('save-side errors name the type and the dotted path (or the root); the error class is CheckpointError', () => {
  const saveError = (state: unknown) => { try { encodeCheckpoint(state as never); } catch (e) { return e as Error; } assert.fail('no error'); };
  const e1 = saveError(new Map());
  assert.equal(e1.name, 'CheckpointError');
  assert.equal(String(e1), 'CheckpointError: checkpoint: cannot save a value of type Map at the root; only tensors, numbers, strings, booleans, null, arrays and plain objects');
  // an object whose prototype chain has no constructor
  const orphan = Object.create(Object.create(null)) as object;
  assert.match(saveError({ a: { b: orphan } }).message, /^checkpoint: cannot save a value of type object at a\.b;/);
  assert.match(saveError({ a: [1, new Set()] }).message, /^checkpoint: cannot save a value of type Set at a\.1;/);
});

test('load-side messages: default source name, at most five stray tensors listed, the file name and read errors', () => {
  assert.throws(() => decodeCheckpoint(new Uint8Array(3)), (e: Error) => e.name === 'CheckpointError' && /^checkpoint: checkpoint is not a valid safetensors file/.test(e.message));
  const stray = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => [k, [1]]));
  assert.throws(() => decodeCheckpoint(checkpointFile('{"n": 1}', stray)), (e: Error) =>
    e.message === 'checkpoint: checkpoint holds tensors its structure record does not mention: a, b, c, d, e');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-ckfmt-'));
  try {
    const bad = path.join(dir, 'bad.ckpt');
    fs.writeFileSync(bad, new Uint8Array(5));
    assert.throws(() => nb.loadSync(bad), (e: Error) => e instanceof CheckpointError && e.message.startsWith(`checkpoint: '${bad}' is not a valid safetensors file`));
    // a read error other than a missing file keeps the system's message (here: a directory)
    assert.throws(() => nb.loadSync(dir), (e: Error) => e instanceof CheckpointError && e.message.startsWith(`checkpoint: cannot read '${dir}': `) && /EISDIR/.test(e.message) && !/no such file/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
