import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, MAX_HEADER_BYTES } from '../src/io/safetensors.js';
import { writeFileAtomic, writeFileAtomicSync } from '../src/io/atomicWrite.js';
import type { DType, TypedArray } from '../src/dtype.js';
import * as nb from '../src/index.js';

type Entry = { dtype: DType; shape: number[]; data: TypedArray };

/** Bytes of a file with the given header (object or raw JSON text) and data section, built by hand. */
function fileFrom(header: unknown, data: Uint8Array | number[] = [], opts: { rawHeader?: Uint8Array } = {}): Uint8Array {
  const json = opts.rawHeader ?? new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeSafetensors(bytes),
    (err: unknown) => {
      assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${String(err)}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

function sameBits(a: TypedArray, b: TypedArray): void {
  assert.equal(a.constructor, b.constructor);
  assert.deepEqual(
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
  );
}

// ---------------------------------------------------------------------------------------------- round trips

test('round trip of every dtype, incl. rank-0, zero-size, NaN/Inf, with metadata', () => {
  const tensors: Record<string, Entry> = {
    f32: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 3.4028234663852886e38]) },
    f64: { dtype: 'float64', shape: [4], data: new Float64Array([Math.PI, Number.MIN_VALUE, NaN, -Infinity]) },
    i32: { dtype: 'int32', shape: [3, 1], data: new Int32Array([-2147483648, 0, 2147483647]) },
    b: { dtype: 'bool', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    scalar: { dtype: 'float64', shape: [], data: new Float64Array([-7.25]) },
    scalarBool: { dtype: 'bool', shape: [], data: new Uint8Array([1]) },
    empty: { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
    emptyInt: { dtype: 'int32', shape: [3, 0], data: new Int32Array(0) },
    // a view into a larger buffer: only its own elements may be written
    view: { dtype: 'float32', shape: [2], data: new Float32Array([9, 8, 7, 6]).subarray(1, 3) },
  };
  const metadata = { format: 'nabla', note: 'ünïcödé ✓' };
  const bytes = encodeSafetensors(tensors, metadata);
  // header length is a multiple of 8 so the data section is aligned
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);

  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(Object.keys(back.tensors).sort(), Object.keys(tensors).sort());
  for (const [k, t] of Object.entries(tensors)) {
    const got = back.tensors[k]!;
    assert.equal(got.dtype, t.dtype, k);
    assert.deepEqual(got.shape, t.shape, k);
    sameBits(got.data, t.data); // bit-exact: also keeps -0 and NaN payloads
  }
  // deterministic: encoding the decoded tensors again gives the same bytes
  assert.deepEqual(encodeSafetensors(back.tensors, back.metadata), bytes);
});

test('byte-exact encoding of a small hand-computed file', () => {
  const bytes = encodeSafetensors(
    { b: { dtype: 'bool', shape: [], data: new Uint8Array([1]) }, a: { dtype: 'int32', shape: [2], data: new Int32Array([1, -2]) } },
    { format: 'pt' },
  );
  // 138 bytes of JSON, padded with 6 spaces to 144 = 0x90; keys sorted, data in key order
  const json =
    '{"__metadata__":{"format":"pt"},"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BOOL","shape":[],"data_offsets":[8,9]}}' +
    '      ';
  const expected = new Uint8Array([
    0x90, 0, 0, 0, 0, 0, 0, 0,
    ...Array.from(json, (c) => c.charCodeAt(0)),
    0x01, 0x00, 0x00, 0x00, // int32 1, little-endian
    0xfe, 0xff, 0xff, 0xff, // int32 -2
    0x01, // bool true
  ]);
  assert.equal(expected.length, 161);
  assert.deepEqual(bytes, expected);
});

test('decoded arrays are aligned copies, independent of the input bytes', () => {
  // "a" is 1 byte, so "b" (float64) starts at data offset 1: not 8-aligned in the file
  const src = encodeSafetensors({
    a: { dtype: 'bool', shape: [1], data: new Uint8Array([1]) },
    b: { dtype: 'float64', shape: [2], data: new Float64Array([1.25, -3.5]) },
  });
  // also read it from an odd offset inside a larger buffer
  const big = new Uint8Array(src.length + 3);
  big.set(src, 3);
  const view = big.subarray(3);
  const out = decodeSafetensors(view);
  const b = out.tensors['b']!.data;
  assert.ok(b instanceof Float64Array);
  assert.deepEqual(Array.from(b), [1.25, -3.5]);
  assert.notEqual(b.buffer, big.buffer);
  big.fill(0);
  assert.deepEqual(Array.from(b), [1.25, -3.5]);
  assert.deepEqual(Array.from(out.tensors['a']!.data), [1]);
});

test('a tensor named __proto__ is stored as data, not as a prototype', () => {
  const tensors = Object.create(null) as Record<string, Entry>;
  Object.defineProperty(tensors, '__proto__', { value: { dtype: 'int32', shape: [1], data: new Int32Array([7]) }, enumerable: true });
  const out = decodeSafetensors(encodeSafetensors(tensors));
  assert.ok(Object.prototype.hasOwnProperty.call(out.tensors, '__proto__'));
  assert.deepEqual(Array.from(Object.getOwnPropertyDescriptor(out.tensors, '__proto__')!.value.data), [7]);
  assert.equal(Object.getPrototypeOf(out.tensors), Object.prototype);
});

test('F16 and BF16 entries load as float16/bfloat16 tensors, bit for bit, and re-encode to the same bytes', () => {
  // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), +Inf, NaN, -0
  const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00, 0x8000];
  // BF16: 1, -0.5, 3.140625 (0x4049), -Inf
  const bf16 = [0x3f80, 0xbf00, 0x4049, 0xff80];
  const data = new Uint8Array((f16.length + bf16.length) * 2);
  const dv = new DataView(data.buffer);
  [...f16, ...bf16].forEach((h, i) => dv.setUint16(i * 2, h, true));
  const bytes = fileFrom(
    {
      h: { dtype: 'F16', shape: [f16.length], data_offsets: [0, f16.length * 2] },
      bh: { dtype: 'BF16', shape: [2, 2], data_offsets: [f16.length * 2, data.length] },
    },
    data,
  );
  const out = decodeSafetensors(bytes);
  assert.equal(out.tensors['h']!.dtype, 'float16');
  assert.equal(out.tensors['bh']!.dtype, 'bfloat16');
  assert.ok(out.tensors['h']!.data instanceof Uint16Array);
  assert.deepEqual(Array.from(out.tensors['h']!.data), f16);
  assert.deepEqual(out.tensors['bh']!.shape, [2, 2]);
  assert.deepEqual(Array.from(out.tensors['bh']!.data), bf16);
  // the values a tensor built from them reads back (decoded by the dtype's own conversion)
  const loaded = nb.decodeCheckpoint(bytes).state as Record<string, nb.Tensor>;
  assert.equal(loaded['h']!.dtype, 'float16');
  assert.deepEqual(Array.from(loaded['h']!.rawData()), f16);
  assert.deepEqual(Array.from(loaded['bh']!.rawData()), bf16);
  const h = loaded['h']!.dataArray() as number[];
  assert.deepEqual(h.slice(0, 5), [1, -2, 65504, 2 ** -24, Infinity]);
  assert.ok(Number.isNaN(h[5]));
  assert.ok(Object.is(h[6], -0));
  assert.deepEqual(loaded['bh']!.dataArray(), [1, -0.5, 3.140625, -Infinity]);
  // re-encoding writes the same file
  assert.deepEqual(Buffer.from(encodeSafetensors(out.tensors)), Buffer.from(encodeSafetensors({
    h: { dtype: 'float16', shape: [f16.length], data: new Uint16Array(f16) },
    bh: { dtype: 'bfloat16', shape: [2, 2], data: new Uint16Array(bf16) },
  })));
});

test('a bfloat16 checkpoint loads into a float32 model (cast on load) and a bfloat16 model (bit for bit)', () => {
  nb.manualSeed(3);
  const src = new nb.nn.Linear(5, 3).to('bfloat16');
  const bytes = nb.encodeCheckpoint(src.stateDict());
  const raw = decodeSafetensors(bytes);
  assert.equal(raw.tensors['weight']!.dtype, 'bfloat16');
  const state = nb.decodeCheckpoint(bytes).state as Record<string, nb.Tensor>;
  assert.equal(state['weight']!.dtype, 'bfloat16');
  const f32 = new nb.nn.Linear(5, 3);
  f32.loadStateDict(state);
  assert.equal(f32.weight.dtype, 'float32');
  assert.deepEqual(f32.weight.dataArray(), src.weight.dataArray());
  const b16 = new nb.nn.Linear(5, 3).to('bfloat16');
  b16.loadStateDict(state);
  assert.deepEqual(Array.from(b16.weight.rawData()), Array.from(src.weight.rawData()));
});

// ---------------------------------------------------------------------------------------------- rejections

const f32Entry = (begin: number, end: number, shape: unknown = [2]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

test('rejects a file shorter than 8 bytes', () => {
  rejects(new Uint8Array(0), /0 bytes, too short/);
  rejects(new Uint8Array(7), /7 bytes, too short/);
});

test('rejects a header length over 100,000,000', () => {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
  rejects(b, /header length 100000001 exceeds the limit of 100000000/);
  new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true); // would be negative as a signed read
  rejects(b, /exceeds the limit/);
});

test('rejects a header length running past the end of the file', () => {
  const b = new Uint8Array(20);
  new DataView(b.buffer).setBigUint64(0, 13n, true);
  rejects(b, /header length 13 runs past the end of the 20-byte file/);
});

test('rejects a header that is not UTF-8, not JSON, or not an object', () => {
  rejects(fileFrom(null, [], { rawHeader: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), /not valid UTF-8/);
  rejects(fileFrom('{"a":'), /not valid JSON/);
  rejects(fileFrom(''), /not valid JSON/);
  rejects(fileFrom('\ufeff{}'), /not valid JSON/); // a BOM is not JSON whitespace
  rejects(fileFrom('[1,2]'), /must be a JSON object, got an array/);
  rejects(fileFrom('null'), /must be a JSON object, got null/);
  rejects(fileFrom('"x"'), /must be a JSON object, got "x"/);
});

test('rejects malformed entries, naming the tensor', () => {
  rejects(fileFrom({ w: 5 }), /tensor "w": entry must be an object/);
  rejects(fileFrom({ w: { dtype: 'F32', shape: [0] } }), /tensor "w": missing field "data_offsets"/);
  rejects(fileFrom({ w: { ...f32Entry(0, 0, [0]), extra: 1 } }), /tensor "w": unexpected field "extra"/);
  rejects(fileFrom({ w: { dtype: 'F32', shape: [2], data_offsets: [0] } }, new Uint8Array(8)), /tensor "w": data_offsets must be \[begin, end\]/);
  rejects(fileFrom({ w: { dtype: 'F32', shape: [2], data_offsets: [0, '8'] } }, new Uint8Array(8)), /tensor "w": data_offsets must be non-negative integers/);
});

test('rejects an unknown dtype, naming it and the tensor', () => {
  rejects(fileFrom({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor "w": unsupported dtype "I64"/);
  rejects(fileFrom({ w: { dtype: 'float32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w": unsupported dtype "float32"/);
  rejects(fileFrom({ w: { dtype: 7, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w": dtype must be a string, got 7/);
  rejects(fileFrom({ w: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unsupported dtype "toString"/);
});

test('rejects offsets that are not contiguous from 0, overlap, or run backwards', () => {
  rejects(fileFrom({ w: f32Entry(4, 12) }, new Uint8Array(12)), /tensor "w": data_offsets \[4, 12\) leave a gap at bytes \[0, 4\)/);
  rejects(fileFrom({ a: f32Entry(0, 8), b: f32Entry(12, 20) }, new Uint8Array(20)), /tensor "b": .*leave a gap at bytes \[8, 12\)/);
  rejects(fileFrom({ a: f32Entry(0, 8), b: f32Entry(4, 12) }, new Uint8Array(12)), /tensor "b": data_offsets \[4, 12\) overlap tensor "a" \[0, 8\)/);
  rejects(fileFrom({ a: f32Entry(0, 8), b: f32Entry(0, 8) }, new Uint8Array(16)), /overlap tensor "a"/);
  rejects(fileFrom({ w: f32Entry(8, 0) }, new Uint8Array(8)), /tensor "w": data_offsets end 0 is before begin 8/);
  rejects(fileFrom({ w: f32Entry(0, 8) }, new Uint8Array(4)), /tensor "w": data_offsets \[0, 8\) run past the end of the 4-byte data section/);
});

test('rejects a byte span that does not match numel × itemsize', () => {
  rejects(fileFrom({ w: f32Entry(0, 4) }, new Uint8Array(4)), /tensor "w": data_offsets \[0, 4\) span 4 bytes but shape \[2\] of F32 needs 8/);
  rejects(fileFrom({ w: { dtype: 'F64', shape: [], data_offsets: [0, 4] } }, new Uint8Array(4)), /span 4 bytes but shape \[\] of F64 needs 8/);
});

test('rejects bad shapes and shapes whose size overflows, before allocating', () => {
  rejects(fileFrom({ w: f32Entry(0, 8, [-2]) }, new Uint8Array(8)), /tensor "w": shape entries must be non-negative integers, got -2/);
  rejects(fileFrom({ w: f32Entry(0, 8, [2.5]) }, new Uint8Array(8)), /non-negative integers, got 2.5/);
  rejects(fileFrom({ w: f32Entry(0, 8, ['2']) }, new Uint8Array(8)), /non-negative integers, got "2"/);
  rejects(fileFrom({ w: f32Entry(0, 8, 2) }, new Uint8Array(8)), /tensor "w": shape must be an array/);
  rejects(fileFrom({ w: f32Entry(0, 8, [2 ** 53]) }, new Uint8Array(8)), /non-negative integers, got 9007199254740992/);
  // 2^30 · 2^30 · 2^30 elements: only BigInt arithmetic sees the true size
  rejects(fileFrom({ w: f32Entry(0, 8, [2 ** 30, 2 ** 30, 2 ** 30]) }, new Uint8Array(8)), /tensor "w": shape \[1073741824, 1073741824, 1073741824\] overflows/);
  // a consistent header asking for 8 GB against a tiny file: refused on the offsets, nothing allocated
  rejects(fileFrom({ w: { dtype: 'F64', shape: [1e9], data_offsets: [0, 8e9] } }, new Uint8Array(8)), /run past the end of the 8-byte data section/);
});

test('rejects trailing bytes after the last tensor', () => {
  rejects(fileFrom({ w: f32Entry(0, 8) }, new Uint8Array(9)), /1 trailing bytes after the last tensor/);
  rejects(fileFrom({}, new Uint8Array(3)), /3 trailing bytes/);
});

test('rejects duplicate keys that JSON.parse would hide', () => {
  const e = JSON.stringify(f32Entry(0, 8));
  rejects(fileFrom(`{"a":${e},"a":${e}}`, new Uint8Array(8)), /duplicate key "a"/);
  rejects(fileFrom(`{"a":${e},"\\u0061":${e}}`, new Uint8Array(8)), /duplicate key "a"/);
  rejects(fileFrom(`{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, new Uint8Array(8)), /duplicate key "dtype" inside "a"/);
  rejects(fileFrom(`{"__metadata__":{"k":"1","k":"2"}}`), /duplicate key "k" inside "__metadata__"/);
  // the same key in two different objects is fine, and so is a key-like string value
  assert.doesNotThrow(() => decodeSafetensors(fileFrom(`{"__metadata__":{"a":"a"},"a":${e}}`, new Uint8Array(8))));
});

test('rejects metadata that is not a string→string object', () => {
  rejects(fileFrom({ __metadata__: { k: 1 } }), /metadata value for "k" must be a string, got 1/);
  rejects(fileFrom({ __metadata__: { k: null } }), /metadata value for "k" must be a string, got null/);
  rejects(fileFrom({ __metadata__: ['x'] }), /"__metadata__" must be an object of strings/);
  assert.deepEqual(decodeSafetensors(fileFrom({ __metadata__: null })).metadata, {});
});

test('rejects BOOL bytes other than 0 and 1', () => {
  rejects(fileFrom({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [0, 1, 2]), /tensor "m": BOOL element 2 has byte value 2/);
});

test('accepts zero-size tensors anywhere and an empty file', () => {
  const out = decodeSafetensors(
    fileFrom({ a: f32Entry(0, 0, [0, 7]), b: f32Entry(0, 8), c: { dtype: 'I32', shape: [0], data_offsets: [8, 8] } }, new Uint8Array(8)),
  );
  assert.deepEqual(out.tensors['a']!.shape, [0, 7]);
  assert.equal(out.tensors['a']!.data.length, 0);
  assert.equal(out.tensors['c']!.data.length, 0);
  assert.deepEqual(decodeSafetensors(encodeSafetensors({})), { tensors: {}, metadata: {} });
});

test('encode refuses inconsistent input', () => {
  const throwsSt = (fn: () => unknown, re: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof SafetensorsError && re.test(e.message));
  };
  throwsSt(() => encodeSafetensors({ w: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }), /tensor "w": shape \[3\] has 3 elements but data has 2/);
  throwsSt(() => encodeSafetensors({ w: { dtype: 'float32', shape: [2], data: new Float64Array(2) } }), /tensor "w": dtype float32 needs a Float32Array, got Float64Array/);
  throwsSt(() => encodeSafetensors({ w: { dtype: 'int32', shape: [-1], data: new Int32Array(0) } }), /non-negative integers/);
  throwsSt(() => encodeSafetensors({ __metadata__: { dtype: 'int32', shape: [], data: new Int32Array(1) } }), /reserved/);
  throwsSt(() => encodeSafetensors({}, { k: 3 as unknown as string }), /metadata value for "k" must be a string/);
});

// ---------------------------------------------------------------------------------------------- atomic write

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-atomic-'));
}

const OLD = new Uint8Array([1, 2, 3, 4]);
const NEW = new Uint8Array(Array.from({ length: 64 }, (_, i) => i));

test('writeFileAtomicSync replaces the file and leaves no temp file', () => {
  const dir = tmpDir();
  const target = path.join(dir, 'model.safetensors');
  writeFileAtomicSync(target, OLD); // creates
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD);
  writeFileAtomicSync(target, NEW, { chunkSize: 7 });
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), NEW);
  assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
  fs.rmSync(dir, { recursive: true });
});

test('writeFileAtomicSync keeps the old file when a write fails midway or just before the rename', () => {
  const dir = tmpDir();
  const target = path.join(dir, 'ckpt.bin');
  fs.writeFileSync(target, OLD);
  let sawPartial = false;
  assert.throws(
    () =>
      writeFileAtomicSync(target, NEW, {
        chunkSize: 16,
        onChunk: (n) => {
          if (n >= 32) {
            // the temp file really exists and is half written at this point
            sawPartial = fs.readdirSync(dir).some((f) => f.endsWith('.tmp'));
            throw new Error('injected disk failure');
          }
        },
      }),
    /injected disk failure/,
  );
  assert.ok(sawPartial);
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD);
  assert.deepEqual(fs.readdirSync(dir), ['ckpt.bin']);

  assert.throws(() => writeFileAtomicSync(target, NEW, { beforeRename: () => { throw new Error('crash before rename'); } }), /crash before rename/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD);
  assert.deepEqual(fs.readdirSync(dir), ['ckpt.bin']);
  fs.rmSync(dir, { recursive: true });
});

test('writeFileAtomic (async) replaces on success and keeps the old file on injected failure', async () => {
  const dir = tmpDir();
  const target = path.join(dir, 'w.safetensors');
  fs.writeFileSync(target, OLD);
  await assert.rejects(writeFileAtomic(target, NEW, { chunkSize: 8, onChunk: (n) => { if (n === 24) throw new Error('injected'); } }), /injected/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD);
  assert.deepEqual(fs.readdirSync(dir), ['w.safetensors']);
  await assert.rejects(writeFileAtomic(target, NEW, { beforeRename: () => { throw new Error('late'); } }), /late/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD);
  assert.deepEqual(fs.readdirSync(dir), ['w.safetensors']);
  await writeFileAtomic(target, NEW);
  assert.deepEqual(new Uint8Array(fs.readFileSync(target)), NEW);
  assert.deepEqual(fs.readdirSync(dir), ['w.safetensors']);
  fs.rmSync(dir, { recursive: true });
});

test('atomic write into a missing directory fails cleanly', async () => {
  const dir = tmpDir();
  const target = path.join(dir, 'nope', 'x.bin');
  assert.throws(() => writeFileAtomicSync(target, NEW), /ENOENT/);
  await assert.rejects(writeFileAtomic(target, NEW), /ENOENT/);
  assert.deepEqual(fs.readdirSync(dir), []);
  fs.rmSync(dir, { recursive: true });
});

test('atomic write keeps the permissions of the file it replaces', { skip: process.platform === 'win32' ? 'POSIX modes only' : false }, () => {
  const dir = tmpDir();
  const target = path.join(dir, 'secret.bin');
  fs.writeFileSync(target, OLD);
  fs.chmodSync(target, 0o640);
  writeFileAtomicSync(target, NEW);
  assert.equal(fs.statSync(target).mode & 0o777, 0o640);
  fs.rmSync(dir, { recursive: true });
});

test('encode → atomic write → read → decode', async () => {
  const dir = tmpDir();
  const target = path.join(dir, 'm.safetensors');
  const tensors = { w: { dtype: 'float32' as const, shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } };
  await writeFileAtomic(target, encodeSafetensors(tensors, { epoch: '3' }));
  const back = decodeSafetensors(fs.readFileSync(target)); // a Node Buffer is a Uint8Array
  assert.deepEqual(Array.from(back.tensors['w']!.data), [1, 2, 3, 4]);
  assert.deepEqual(back.metadata, { epoch: '3' });
  fs.rmSync(dir, { recursive: true });
});

// ---------------------------------------------------------------------------------------------- reference implementation

const PY_CROSSCHECK = String.raw`
import sys, json
import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open
ours, theirs = sys.argv[1], sys.argv[2]
loaded = load_file(ours)
with safe_open(ours, framework="np") as fh:
    meta = fh.metadata()
out = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "hex": np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<")).tobytes().hex()} for k, v in loaded.items()}
save_file({
    "f32": np.array([[1.5, -2.0], [np.inf, np.nan]], dtype=np.float32),
    "i32": np.arange(-3, 3, dtype=np.int32).reshape(2, 3),
    "f64": np.array(3.25, dtype=np.float64),
    "b": np.array([True, False, True]),
    "z": np.zeros((0, 3), dtype=np.float32),
    "h": np.array([1.0, -2.0, 65504.0], dtype=np.float16),
}, theirs, metadata={"source": "python"})
print(json.dumps({"tensors": out, "metadata": meta}))
`;

function pythonSafetensorsMissing(): string | false {
  const r = spawnSync('python3', ['-c', 'import safetensors.numpy, numpy'], { encoding: 'utf8' });
  if (r.error) return `python3 not runnable (${r.error.message})`;
  if (r.status !== 0) return `python3 cannot import safetensors/numpy: ${r.stderr.trim().split('\n').pop()}`;
  return false;
}

const pyMissing = pythonSafetensorsMissing();

/** The tensors of both directions of the cross-check (Python reads nabla's file of these). */
const CROSS_TENSORS: Record<string, Entry> = {
  a: { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, NaN, -Infinity, 0.1]) },
  b: { dtype: 'float64', shape: [], data: new Float64Array([Math.E]) },
  c: { dtype: 'int32', shape: [3], data: new Int32Array([-1, 0, 2147483647]) },
  d: { dtype: 'bool', shape: [2], data: new Uint8Array([0, 1]) },
  e: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
};

type PythonView = { tensors: Record<string, { dtype: string; shape: number[]; hex: string }>; metadata: Record<string, string> };

function assertPythonSawOurs(seen: PythonView): void {
  assert.deepEqual(seen.metadata, { who: 'nabla' });
  const npName: Record<DType, string> = { float32: 'float32', float64: 'float64', int32: 'int32', bool: 'bool', bfloat16: 'bfloat16', float16: 'float16' };
  for (const [k, t] of Object.entries(CROSS_TENSORS)) {
    const s = seen.tensors[k]!;
    assert.equal(s.dtype, npName[t.dtype], k);
    assert.deepEqual(s.shape, t.shape, k);
    assert.equal(s.hex, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'), k);
  }
}

function assertWeReadTheirs(bytes: Uint8Array): void {
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { source: 'python' });
  const T = back.tensors;
  assert.deepEqual(T['f32']!.shape, [2, 2]);
  const f32 = Array.from(T['f32']!.data);
  assert.deepEqual(f32.slice(0, 3), [1.5, -2, Infinity]);
  assert.ok(Number.isNaN(f32[3]));
  assert.equal(T['i32']!.dtype, 'int32');
  assert.deepEqual(Array.from(T['i32']!.data), [-3, -2, -1, 0, 1, 2]);
  assert.deepEqual(T['f64']!.shape, []);
  assert.deepEqual(Array.from(T['f64']!.data), [3.25]);
  assert.equal(T['b']!.dtype, 'bool');
  assert.deepEqual(Array.from(T['b']!.data), [1, 0, 1]);
  assert.deepEqual(T['z']!.shape, [0, 3]);
  assert.equal(T['h']!.dtype, 'float16');
  assert.deepEqual(Array.from(T['h']!.data), [0x3c00, 0xc000, 0x7bff]); // 1, -2, 65504 as IEEE half bits
}

// Fixtures written and read by Python's safetensors 0.8.0 (the reference implementation) with the script
// above, so the cross-check runs on machines without it too: test/fixtures/python-written.safetensors is
// Python's file; nabla-written.safetensors is our encoding of CROSS_TENSORS and .python-view.json what
// Python's load_file/safe_open reported reading it.
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures');

test('a file written by Python safetensors decodes to its values (fixture)', () => {
  assertWeReadTheirs(new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'python-written.safetensors'))));
});

test('our encoding is byte-identical to the file Python safetensors read back correctly (fixture)', () => {
  const ours = encodeSafetensors(CROSS_TENSORS, { who: 'nabla' });
  assert.deepEqual(Buffer.from(ours), fs.readFileSync(path.join(FIXTURES, 'nabla-written.safetensors')));
  assertPythonSawOurs(JSON.parse(fs.readFileSync(path.join(FIXTURES, 'nabla-written.python-view.json'), 'utf8')) as PythonView);
});

test('live cross-check with Python safetensors where it is installed, else with a numpy reader', () => {
  const dir = tmpDir();
  const ours = path.join(dir, 'ours.safetensors');
  const theirs = path.join(dir, 'theirs.safetensors');
  fs.writeFileSync(ours, encodeSafetensors(CROSS_TENSORS, { who: 'nabla' }));
  if (!pyMissing) {
    const r = spawnSync('python3', ['-c', PY_CROSSCHECK, ours, theirs], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assertPythonSawOurs(JSON.parse(r.stdout) as PythonView);
    assertWeReadTheirs(new Uint8Array(fs.readFileSync(theirs)));
  } else {
    // without the package: parse the format by its specification with json + numpy (or plain struct)
    const r = spawnSync('python3', ['-c', PY_SPEC_READER, ours], { encoding: 'utf8' });
    if (r.error) {
      // no python at all: the fixtures above carry the cross-check; check the header by hand here
      const bytes = fs.readFileSync(ours);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
      assert.deepEqual(header.a, { dtype: 'F32', shape: [2, 2], data_offsets: header.a.data_offsets });
    } else {
      assert.equal(r.status, 0, r.stderr);
      assertPythonSawOurs(JSON.parse(r.stdout) as PythonView);
    }
  }
  fs.rmSync(dir, { recursive: true });
});

const PY_SPEC_READER = String.raw`
import sys, json, struct
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
meta = header.pop("__metadata__", {})
names = {"F32": "float32", "F64": "float64", "I32": "int32", "BOOL": "bool"}
out = {k: {"dtype": names[v["dtype"]], "shape": v["shape"], "hex": raw[8 + n + v["data_offsets"][0]: 8 + n + v["data_offsets"][1]].hex()} for k, v in header.items()}
print(json.dumps({"tensors": out, "metadata": meta}))
`;


test('safetensors: exact messages and small rules (error name, F16/BOOL header dtypes, bool bytes normalised to 0/1, the header-size limit is inclusive)', () => {
  const fails = (fn: () => unknown, msg: string) =>
    assert.throws(fn, (e: Error) => { assert.ok(e instanceof SafetensorsError, `${e.name}: ${e.message}`); assert.equal(e.name, 'SafetensorsError'); assert.equal(e.message, msg); return true; });
  fails(() => encodeSafetensors({ a: { dtype: 'int8', shape: [1], data: new Int8Array(1) } } as never), 'tensor "a": unsupported dtype "int8"');
  fails(() => encodeSafetensors({ a: { dtype: 'float32', shape: 3, data: new Float32Array(3) } } as never), 'tensor "a": shape must be an array, got 3');
  fails(() => encodeSafetensors({ a: { dtype: 'float32', shape: [2, 3], data: new Float32Array(5) } }), 'tensor "a": shape [2, 3] has 6 elements but data has 5');
  fails(() => decodeSafetensors([1, 2] as never), 'expected a Uint8Array, got an array');
  // float16 is written as F16; bool bytes other than 0/1 are written as 1
  const b = encodeSafetensors({ h: { dtype: 'float16', shape: [1], data: new Uint16Array([0x3c00]) }, m: { dtype: 'bool', shape: [3], data: new Uint8Array([0, 2, 1]) } });
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))), { h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, m: { dtype: 'BOOL', shape: [3], data_offsets: [2, 5] } });
  assert.deepEqual(Array.from(b.subarray(8 + n)), [0, 0x3c, 0, 1, 1]);
  // a header of exactly MAX_HEADER_BYTES is allowed (then refused for running past this 8-byte file); one more is over the limit
  const z = new Uint8Array(8);
  new DataView(z.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES), true);
  fails(() => decodeSafetensors(z), `header length ${MAX_HEADER_BYTES} runs past the end of the 8-byte file`);
  new DataView(z.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
  fails(() => decodeSafetensors(z), `header length ${MAX_HEADER_BYTES + 1} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const file = (h: unknown) => {
    const j = new TextEncoder().encode(JSON.stringify(h));
    const o = new Uint8Array(8 + j.length + 16);
    new DataView(o.buffer).setBigUint64(0, BigInt(j.length), true);
    o.set(j, 8);
    return o;
  };
  fails(() => decodeSafetensors(file({ a: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } })), 'tensor "a": unsupported dtype "Q8" (readable: F32, F64, I32, BOOL, F16, BF16)');
  fails(() => decodeSafetensors(file({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [4, 8] } })), 'tensor "a": data_offsets [4, 8) span 4 bytes but shape [2, 2] of F32 needs 16');
  fails(() => decodeSafetensors(file({ a: null })), 'tensor "a": entry must be an object with dtype, shape and data_offsets, got null');
  fails(() => decodeSafetensors(file({ __metadata__: 5 })), '"__metadata__" must be an object of strings, got 5');
});

test('safetensors: the header\'s entry order, whitespace before a colon, duplicate-key paths, code-unit key order, plain result objects, exact descriptions', () => {
  const fails = (bytes: Uint8Array, msg: string) =>
    assert.throws(() => decodeSafetensors(bytes), (e: Error) => { assert.ok(e instanceof SafetensorsError, `${e.name}: ${e.message}`); assert.equal(e.message, msg); return true; });
  // entries in any order in the header: b [4, 8), an empty e [4, 4) and a [0, 4) tile the 8 bytes once sorted by (begin, end)
  const data = new Uint8Array(new Float32Array([1.5, -2]).buffer);
  const text = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  const out = decodeSafetensors(fileFrom(text, data));
  assert.deepEqual(Array.from(out.tensors['a']!.data), [1.5]);
  assert.deepEqual(Array.from(out.tensors['b']!.data), [-2]);
  assert.equal(out.tensors['e']!.data.length, 0);
  // JSON allows whitespace between a key and its colon: a duplicate key is found all the same
  const e8 = JSON.stringify(f32Entry(0, 8));
  fails(fileFrom(`{"a" \t\n\r:${e8}, "a"  :${e8}}`, new Uint8Array(8)), 'header has duplicate key "a"');
  assert.doesNotThrow(() => decodeSafetensors(fileFrom(`{"a" : ${e8} }`, new Uint8Array(8))));
  // a duplicate at the top level names no path; one in an object inside an array is named by the array's key
  fails(fileFrom(`{"a":${e8},"a":${e8}}`, new Uint8Array(8)), 'header has duplicate key "a"');
  fails(fileFrom('{"w":{"dtype":"F32","shape":[{"y":1},{"x":1,"x":2}],"data_offsets":[0,0]}}'), 'header has duplicate key "x" inside "shape"');
  // shape entries: the message lists the whole shape, comma-separated; a byte length of exactly 2^53 - 1 is not an overflow
  fails(fileFrom({ w: f32Entry(0, 8, [2, -1]) }, new Uint8Array(8)), 'tensor "w": shape entries must be non-negative integers, got -1 in [2, -1]');
  const big = Number.MAX_SAFE_INTEGER;
  fails(fileFrom({ m: { dtype: 'BOOL', shape: [big], data_offsets: [0, big] } }, new Uint8Array(8)), `tensor "m": data_offsets [0, ${big}) run past the end of the 8-byte data section`);
  fails(fileFrom({ m: { dtype: 'BOOL', shape: [2 ** 52, 2], data_offsets: [0, big] } }, new Uint8Array(8)), `tensor "m": shape [${2 ** 52}, 2] overflows: ${2 ** 53} elements × 1 bytes`);
  // describe(): an object, a boolean
  fails(fileFrom({ w: f32Entry(0, 8, {}) }, new Uint8Array(8)), 'tensor "w": shape must be an array, got an object');
  fails(fileFrom({ w: { dtype: true, shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), 'tensor "w": dtype must be a string, got boolean');
  // keys are written in UTF-16 code-unit order (not locale order): "B" < "a" < "b" < "é" < "😀" (U+D83D…) < "Ａ" (U+FF21)
  const one = () => ({ dtype: 'float32' as const, shape: [1], data: new Float32Array([0]) });
  const enc = encodeSafetensors({ '\uff21': one(), b: one(), '\u00e9': one(), a: one(), '\ud83d\ude00': one(), B: one() });
  const n = Number(new DataView(enc.buffer, enc.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(enc.subarray(8, 8 + n))) as Record<string, { data_offsets: number[] }>;
  assert.deepEqual(Object.keys(header), ['B', 'a', 'b', '\u00e9', '\ud83d\ude00', '\uff21']);
  assert.deepEqual(Object.values(header).map((h) => h.data_offsets[0]), [0, 4, 8, 12, 16, 20]);
  // the decoded tensors and metadata are plain objects: their entries can be replaced and deleted
  const dec = decodeSafetensors(encodeSafetensors({ w: one() }, { k: 'v' }));
  dec.tensors['w'] = one();
  dec.metadata['k'] = 'w';
  assert.equal(dec.metadata['k'], 'w');
  assert.ok(delete dec.tensors['w']);
  assert.deepEqual(Object.keys(dec.tensors), []);
});
