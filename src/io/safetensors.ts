/**
 * The safetensors format (https://github.com/huggingface/safetensors), with no dependencies:
 *
 *   [8 bytes: u64 little-endian N][N bytes: UTF-8 JSON header][data bytes]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end)} (offsets relative to the
 * start of the data section) plus an optional "__metadata__" string→string map. The data section is the
 * tensors' row-major little-endian bytes, packed back to back from 0 with no holes and nothing after.
 *
 * dtypes: F32, F64, I32, BOOL, BF16 and F16 map one-to-one onto nabla's float32, float64, int32, bool,
 * bfloat16 and float16. BF16/F16 entries (what most published checkpoints use) keep their 16-bit patterns
 * (a Uint16Array), so a bfloat16 checkpoint loads at half the memory of float32 and re-encodes bit for bit;
 * `loadStateDict` casts them to the model's dtype. Every other safetensors dtype (I8, U8, I16, I64, F8_*, ...)
 * is rejected with an "unsupported dtype" SafetensorsError naming the tensor.
 *
 * The decoder treats the file as untrusted: every check on the header happens before any allocation the
 * header asks for, so a hostile header cannot make it allocate more than the file's own size.
 */
import type { DType, TypedArray } from '../dtype.js';

/** Every way a safetensors file (or a request to encode one) can be malformed. `key` names the tensor, if any. */
export class SafetensorsError extends Error {
  readonly key: string | undefined;
  constructor(message: string, key?: string) {
    super(key === undefined ? message : `tensor ${JSON.stringify(key)}: ${message}`);
    this.name = 'SafetensorsError';
    this.key = key;
  }
}

export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export interface DecodedSafetensors {
  tensors: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** Upper bound on the header size, as in the reference implementation: a larger one is a hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/** bfloat16/float16 entries carry their 16-bit patterns (a Uint16Array) and are written as BF16/F16. */
const toFileDType: { [D in DType]: string } = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL', bfloat16: 'BF16', float16: 'F16' };
const itemBytes: { [D in DType]: number } = { float32: 4, float64: 8, int32: 4, bool: 1, bfloat16: 2, float16: 2 };

/** How each readable file dtype is stored in the file and what nabla dtype it decodes to. */
const fromFileDType: Record<string, { dtype: DType; bytes: number }> = {
  F32: { dtype: 'float32', bytes: 4 },
  F64: { dtype: 'float64', bytes: 8 },
  I32: { dtype: 'int32', bytes: 4 },
  BOOL: { dtype: 'bool', bytes: 1 },
  F16: { dtype: 'float16', bytes: 2 },
  BF16: { dtype: 'bfloat16', bytes: 2 },
};

// Typed arrays use the host's byte order; the format is little-endian. Every mainstream JS host is
// little-endian, so the fast path copies bytes, and the DataView path keeps big-endian hosts correct.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------- encode

/**
 * Serialise tensors to safetensors bytes. Keys are written in sorted (UTF-16 code unit) order and the data
 * in the same order; the header is padded with spaces so the data section starts 8-byte aligned.
 * Throws SafetensorsError for an inconsistent entry (shape vs data length, dtype vs array type, ...).
 */
export function encodeSafetensors(
  tensors: Record<string, { dtype: DType; shape: number[]; data: TypedArray }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort(compareCodeUnits);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const k of Object.keys(metadata)) {
      const v = metadata[k];
      if (typeof v !== 'string') {
        throw new SafetensorsError(`metadata value for ${JSON.stringify(k)} must be a string, got ${describe(v)}`);
      }
      defineOwn(meta, k, v);
    }
    header[METADATA_KEY] = meta;
  }

  let offset = 0;
  const plan: { entry: SafetensorsEntry; begin: number }[] = [];
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    const entry = tensors[name]!;
    checkEncodable(name, entry);
    const bytes = entry.data.length * itemBytes[entry.dtype];
    defineOwn(header, name, { dtype: toFileDType[entry.dtype], shape: [...entry.shape], data_offsets: [offset, offset + bytes] });
    plan.push({ entry, begin: offset });
    offset += bytes;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // space padding is valid trailing JSON whitespace
  const dataStart = 8 + headerLen;
  for (const { entry, begin } of plan) writeData(out, dataStart + begin, entry);
  return out;
}

function checkEncodable(name: string, e: { dtype: DType; shape: number[]; data: TypedArray }): void {
  if (!(e.dtype in toFileDType)) throw new SafetensorsError(`unsupported dtype ${describe(e.dtype)}`, name);
  if (!Array.isArray(e.shape)) throw new SafetensorsError(`shape must be an array, got ${describe(e.shape)}`, name);
  let numel = 1n;
  for (const d of e.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(`shape entries must be non-negative integers, got ${describe(d)}`, name);
    }
    numel *= BigInt(d);
  }
  const expected = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array, bfloat16: Uint16Array, float16: Uint16Array }[e.dtype];
  if (!(e.data instanceof expected)) {
    throw new SafetensorsError(`dtype ${e.dtype} needs a ${expected.name}, got ${describe(e.data)}`, name);
  }
  if (BigInt(e.data.length) !== numel) {
    throw new SafetensorsError(`shape [${e.shape.join(', ')}] has ${numel} elements but data has ${e.data.length}`, name);
  }
}

function writeData(out: Uint8Array, at: number, e: SafetensorsEntry): void {
  const { dtype, data } = e;
  if (dtype === 'bool') {
    // bool storage is 0/1 by convention; normalise so the file never carries other byte values
    for (let i = 0; i < data.length; i++) out[at + i] = data[i] ? 1 : 0;
    return;
  }
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'float32') view.setFloat32(i * 4, data[i]!, true);
    else if (dtype === 'float64') view.setFloat64(i * 8, data[i]!, true);
    else if (dtype === 'bfloat16' || dtype === 'float16') view.setUint16(i * 2, data[i]!, true);
    else view.setInt32(i * 4, data[i]!, true);
  }
}

// ---------------------------------------------------------------------------------------------- decode

interface PlannedTensor {
  name: string;
  fileDType: string;
  dtype: DType;
  itemBytes: number;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

/**
 * Parse safetensors bytes. Returns fresh, independent, aligned typed arrays (never views of `bytes`).
 * Throws SafetensorsError describing the first problem found; see the module comment for dtype handling.
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) {
    throw new SafetensorsError(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw new SafetensorsError(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  }

  const header = parseHeader(bytes.subarray(8, 8 + headerLen));
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  let metadata: Record<string, string> = {};
  const planned: PlannedTensor[] = [];
  for (const name of Object.keys(header)) {
    const value = header[name];
    if (name === METADATA_KEY) metadata = parseMetadata(value);
    else planned.push(planEntry(name, value, dataLen));
  }
  checkLayout(planned, dataLen);

  // Only now, with every size bounded by the file's own length, allocate.
  const tensors: Record<string, SafetensorsEntry> = {};
  for (const p of planned) {
    defineOwn(tensors, p.name, { dtype: p.dtype, shape: p.shape, data: readData(bytes, dataStart, p) });
  }
  return { tensors, metadata };
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // fatal: reject malformed UTF-8 instead of substituting U+FFFD; ignoreBOM: keep a BOM so JSON.parse rejects it
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`header is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SafetensorsError(`header must be a JSON object, got ${describe(parsed)}`);
  }
  const dup = findDuplicateKey(text);
  if (dup !== undefined) {
    throw new SafetensorsError(`header has duplicate key ${JSON.stringify(dup.key)}${dup.path ? ` inside ${JSON.stringify(dup.path)}` : ''}`);
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(value: unknown): Record<string, string> {
  const meta: Record<string, string> = {};
  if (value === null) return meta; // the reference writer's "no metadata"
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError(`"${METADATA_KEY}" must be an object of strings, got ${describe(value)}`);
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(`metadata value for ${JSON.stringify(k)} must be a string, got ${describe(v)}`);
    }
    defineOwn(meta, k, v);
  }
  return meta;
}

const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

function planEntry(name: string, value: unknown, dataLen: number): PlannedTensor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError(`entry must be an object with dtype, shape and data_offsets, got ${describe(value)}`, name);
  }
  const v = value as Record<string, unknown>;
  for (const field of Object.keys(v)) {
    if (!ENTRY_FIELDS.has(field)) throw new SafetensorsError(`unexpected field ${JSON.stringify(field)}`, name);
  }
  for (const field of ENTRY_FIELDS) {
    if (!(field in v)) throw new SafetensorsError(`missing field "${field}"`, name);
  }

  const fileDType = v['dtype'];
  if (typeof fileDType !== 'string') throw new SafetensorsError(`dtype must be a string, got ${describe(fileDType)}`, name);
  const info = Object.prototype.hasOwnProperty.call(fromFileDType, fileDType) ? fromFileDType[fileDType] : undefined;
  if (info === undefined) {
    throw new SafetensorsError(
      `unsupported dtype ${JSON.stringify(fileDType)} (readable: ${Object.keys(fromFileDType).join(', ')})`,
      name,
    );
  }

  const shape = v['shape'];
  if (!Array.isArray(shape)) throw new SafetensorsError(`shape must be an array, got ${describe(shape)}`, name);
  let numel = 1n;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new SafetensorsError(`shape entries must be non-negative integers, got ${describe(d)} in [${shape.map(describe).join(', ')}]`, name);
    }
    numel *= BigInt(d);
  }
  const byteLen = numel * BigInt(info.bytes);
  if (byteLen > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SafetensorsError(`shape [${shape.join(', ')}] overflows: ${numel} elements × ${info.bytes} bytes`, name);
  }

  const offsets = v['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new SafetensorsError(`data_offsets must be [begin, end], got ${describe(offsets)}`, name);
  }
  const [begin, end] = offsets as unknown[];
  for (const o of [begin, end]) {
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) {
      throw new SafetensorsError(`data_offsets must be non-negative integers, got ${JSON.stringify(offsets)}`, name);
    }
  }
  const b = begin as number;
  const e = end as number;
  if (e < b) throw new SafetensorsError(`data_offsets end ${e} is before begin ${b}`, name);
  if (BigInt(e - b) !== byteLen) {
    throw new SafetensorsError(
      `data_offsets [${b}, ${e}) span ${e - b} bytes but shape [${shape.join(', ')}] of ${fileDType} needs ${byteLen}`,
      name,
    );
  }
  if (e > dataLen) {
    throw new SafetensorsError(`data_offsets [${b}, ${e}) run past the end of the ${dataLen}-byte data section`, name);
  }
  return { name, fileDType, dtype: info.dtype, itemBytes: info.bytes, shape: shape as number[], numel: Number(numel), begin: b, end: e };
}

/** Tensors must tile the data section exactly: from 0, no gaps, no overlaps, nothing after. */
function checkLayout(planned: PlannedTensor[], dataLen: number): void {
  const sorted = [...planned].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let cursor = 0;
  let prev: PlannedTensor | undefined;
  for (const p of sorted) {
    if (p.begin > cursor) {
      throw new SafetensorsError(
        `data_offsets [${p.begin}, ${p.end}) leave a gap at bytes [${cursor}, ${p.begin}); tensors must be contiguous from 0`,
        p.name,
      );
    }
    if (p.begin < cursor) {
      throw new SafetensorsError(`data_offsets [${p.begin}, ${p.end}) overlap tensor ${JSON.stringify(prev!.name)} [${prev!.begin}, ${prev!.end})`, p.name);
    }
    cursor = p.end;
    prev = p;
  }
  if (cursor !== dataLen) {
    throw new SafetensorsError(`${dataLen - cursor} trailing bytes after the last tensor (data ends at ${cursor}, file data section is ${dataLen} bytes)`);
  }
}

function readData(bytes: Uint8Array, dataStart: number, p: PlannedTensor): TypedArray {
  const src = bytes.subarray(dataStart + p.begin, dataStart + p.end);
  if (p.fileDType === 'BOOL') {
    const out = new Uint8Array(p.numel);
    for (let i = 0; i < src.length; i++) {
      const b = src[i]!;
      if (b > 1) throw new SafetensorsError(`BOOL element ${i} has byte value ${b}; expected 0 or 1`, p.name);
      out[i] = b;
    }
    return out;
  }
  // Copy into a fresh buffer: this aligns the data whatever its file offset, and detaches it from `bytes`.
  const copy = new Uint8Array(src.length);
  copy.set(src);
  if (!HOST_LITTLE_ENDIAN) swapBytes(copy, p.itemBytes);
  switch (p.dtype) {
    case 'float32': return new Float32Array(copy.buffer);
    case 'float64': return new Float64Array(copy.buffer);
    case 'bfloat16': case 'float16': return new Uint16Array(copy.buffer);
    default: return new Int32Array(copy.buffer);
  }
}

function swapBytes(b: Uint8Array, width: number): void {
  for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
}

// ---------------------------------------------------------------------------------------------- helpers

/**
 * JSON.parse keeps the last of duplicate keys silently; a safetensors header with two entries for one name
 * is ambiguous, so scan the (already valid) JSON text for any object that repeats a key, at any depth.
 */
function findDuplicateKey(text: string): { key: string; path: string } | undefined {
  // One frame per open container: a Set of seen keys for objects, null for arrays.
  const stack: { keys: Set<string> | null; name: string }[] = [];
  let pendingName = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const str = JSON.parse(text.slice(i, j + 1)) as string; // canonical form: "a" and "\u0061" collide
      i = j + 1;
      let k = i;
      while (k < text.length && ' \t\n\r'.includes(text[k]!)) k++;
      const top = stack[stack.length - 1];
      if (text[k] === ':' && top && top.keys) {
        if (top.keys.has(str)) return { key: str, path: top.name };
        top.keys.add(str);
        pendingName = str;
      }
      continue;
    }
    if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      // a container directly inside an object is named by the key before it, for the error message
      const name = stack.length === 0 ? '' : top && top.keys ? pendingName : top!.name;
      stack.push({ keys: c === '{' ? new Set() : null, name });
    } else if (c === '}' || c === ']') {
      stack.pop();
    }
    i++;
  }
  return undefined;
}

/** Assign without invoking setters, so a tensor named "__proto__" is stored as data, not as a prototype. */
function defineOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  return typeof v;
}
