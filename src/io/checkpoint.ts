/**
 * Checkpoints in the safetensors format: `save(state, path)` / `load(path)`.
 *
 * `state` is either a flat `Record<string, Tensor>` (a model's stateDict) — written as plain safetensors
 * with those keys, readable by any safetensors tool — or any nesting of plain objects and arrays whose
 * leaves are tensors, numbers, strings, booleans or null (an optimizer's stateDict, a scheduler's, a
 * training-loop record `{model, optim, sched, epoch}`). Nested tensors are stored under their dotted
 * path (`optim.state.0.exp_avg`); everything else (numbers, lr, betas, step counts, the structure itself)
 * goes into the safetensors `__metadata__` as JSON under the key `nabla.checkpoint`, and `load` rebuilds
 * the same structure. Non-finite numbers (NaN, ±Infinity, e.g. a Generator state) survive the round trip.
 *
 * Files are written atomically (temp file + fsync + rename): a failure part-way leaves any previous
 * checkpoint at `path` intact. A corrupt or truncated file is rejected with a CheckpointError naming
 * the file and the problem. Node only.
 */
import { requireNode } from '../platform/node.js';
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import type { DType, TypedArray } from '../dtype.js';
import { decodeHalf } from '../half.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry } from './safetensors.js';
import { writeFileAtomic, writeFileAtomicSync, type AtomicWriteOptions } from './atomicWrite.js';

/** What a checkpoint can hold. */
export type CheckpointValue = Tensor | number | string | boolean | null | CheckpointValue[] | { [key: string]: CheckpointValue };

export interface SaveOptions {
  /** extra string metadata stored in the header (returned by loadWithMetadata) */
  metadata?: Record<string, string>;
  /** passed to the atomic writer (chunk size; test hooks that inject failures) */
  write?: AtomicWriteOptions;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** The metadata key holding the structure of a nested checkpoint. */
export const STRUCTURE_KEY = 'nabla.checkpoint';
const FORMAT_VERSION = 1;
/** deepest nesting of arrays/objects a checkpoint may hold (save and load both refuse more) */
const MAX_DEPTH = 1000;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function entryOf(t: Tensor): SafetensorsEntry {
  // bfloat16/float16 are written as their bit patterns (BF16/F16 entries, readable by PyTorch)
  return { dtype: t.dtype, shape: t.shape.slice(), data: t.rawData() };
}

/** Split `state` into safetensors entries and a JSON skeleton (null when `state` is a flat tensor dict). */
function flatten(state: unknown): { tensors: Record<string, SafetensorsEntry>; skeleton: Json | null } {
  const tensors: Record<string, SafetensorsEntry> = Object.create(null);
  if (isPlainObject(state) && Object.values(state).every((v) => v instanceof Tensor)) {
    for (const [k, v] of Object.entries(state)) tensors[k] = entryOf(v as Tensor);
    return { tensors, skeleton: null };
  }
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string[]): Json => {
    if (path.length > MAX_DEPTH) throw new CheckpointError(`checkpoint: cannot save a structure nested deeper than ${MAX_DEPTH} levels (at ${path.slice(0, 8).join('.')}...)`);
    if (v instanceof Tensor) {
      let key = path.join('.') || '_';
      for (let n = 1; key in tensors; n++) key = `${path.join('.')}~${n}`;
      tensors[key] = entryOf(v);
      return { $tensor: key };
    }
    if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? { $num: '-0' } : v) : { $num: String(v) };
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'object' && seen.has(v)) throw new CheckpointError(`checkpoint: cannot save a cyclic structure (at ${path.join('.') || 'the root'})`);
    if (Array.isArray(v)) {
      seen.add(v);
      const out = v.map((x, i) => walk(x, [...path, String(i)]));
      seen.delete(v);
      return out;
    }
    if (ArrayBuffer.isView(v)) return walk(Array.from(v as TypedArray), path);
    if (isPlainObject(v)) {
      seen.add(v);
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        Object.defineProperty(out, k, { value: walk(x, [...path, k]), enumerable: true, writable: true, configurable: true });
      }
      seen.delete(v);
      // objects whose keys look like our markers are wrapped so that load cannot mistake them
      return Object.keys(out).some((k) => k.startsWith('$')) ? { $obj: out } : out;
    }
    throw new CheckpointError(`checkpoint: cannot save a value of type ${typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v} at ${path.join('.') || 'the root'}; only tensors, numbers, strings, booleans, null, arrays and plain objects`);
  };
  const skeleton = walk(state, []);
  return { tensors, skeleton };
}

/** Encode a checkpoint to safetensors bytes. */
export function encodeCheckpoint(state: CheckpointValue | Record<string, unknown>, metadata: Record<string, string> = {}): Uint8Array {
  if (Object.prototype.hasOwnProperty.call(metadata, STRUCTURE_KEY)) throw new CheckpointError(`checkpoint: metadata key '${STRUCTURE_KEY}' is reserved`);
  const { tensors, skeleton } = flatten(state);
  const meta: Record<string, string> = { ...metadata };
  if (skeleton !== null) meta[STRUCTURE_KEY] = JSON.stringify({ format: FORMAT_VERSION, tree: skeleton });
  return encodeSafetensors(tensors, meta);
}

/** bfloat16/float16 entries hold bit patterns: decoding them is exact, so re-encoding gives the same bits. */
function toTensor(e: SafetensorsEntry): Tensor {
  if (e.dtype === 'bfloat16' || e.dtype === 'float16') return tensor(decodeHalf(e.dtype, e.data), { dtype: e.dtype, shape: e.shape });
  return tensor(e.data, { dtype: e.dtype as DType, shape: e.shape });
}

/** Decode checkpoint bytes: the saved structure and the user metadata. `source` names the file in errors. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { state: any; metadata: Record<string, string> } {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError(`checkpoint: ${source} is not a valid safetensors file (corrupt or truncated?): ${(e as Error).message}`);
  }
  const { [STRUCTURE_KEY]: structure, ...metadata } = decoded.metadata;
  if (structure === undefined) {
    const state: Record<string, Tensor> = {};
    for (const [k, e] of Object.entries(decoded.tensors)) Object.defineProperty(state, k, { value: toTensor(e), enumerable: true, writable: true, configurable: true });
    return { state, metadata };
  }
  let parsed: { format?: unknown; tree?: Json };
  try {
    parsed = JSON.parse(structure);
  } catch (e) {
    throw new CheckpointError(`checkpoint: ${source} has a corrupt '${STRUCTURE_KEY}' structure record: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.format !== FORMAT_VERSION || !('tree' in parsed)) {
    throw new CheckpointError(`checkpoint: ${source} has an unsupported structure record (format ${JSON.stringify((parsed as { format?: unknown })?.format)}, expected ${FORMAT_VERSION})`);
  }
  const used = new Set<string>();
  // a structure nested deeper than any real state dict is a corrupt (or hostile) file, not a stack overflow
  const build = (j: Json, depth: number): unknown => {
    if (j === null || typeof j !== 'object') return j;
    if (depth > MAX_DEPTH) throw new CheckpointError(`checkpoint: ${source} has a structure record nested deeper than ${MAX_DEPTH} levels (corrupt?)`);
    if (Array.isArray(j)) return j.map((x) => build(x, depth + 1));
    if (typeof j.$tensor === 'string' && Object.keys(j).length === 1) {
      const e = decoded.tensors[j.$tensor];
      if (!e || !Object.prototype.hasOwnProperty.call(decoded.tensors, j.$tensor)) throw new CheckpointError(`checkpoint: ${source} refers to tensor '${j.$tensor}', which the file does not contain`);
      used.add(j.$tensor);
      return toTensor(e);
    }
    if (typeof j.$num === 'string' && Object.keys(j).length === 1) return j.$num === '-0' ? -0 : Number(j.$num);
    const src = isPlainObject(j.$obj) && Object.keys(j).length === 1 ? (j.$obj as Record<string, Json>) : j;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(src)) Object.defineProperty(out, k, { value: build(x, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  };
  const state = build(parsed.tree as Json, 0);
  const extra = Object.keys(decoded.tensors).filter((k) => !used.has(k));
  if (extra.length) throw new CheckpointError(`checkpoint: ${source} holds tensors its structure record does not mention: ${extra.slice(0, 5).join(', ')}`);
  return { state, metadata };
}

/** Write a checkpoint atomically (async). */
export async function save(state: CheckpointValue | Record<string, unknown>, path: string, opts: SaveOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(state, opts.metadata), opts.write);
}

/** Write a checkpoint atomically (sync). */
export function saveSync(state: CheckpointValue | Record<string, unknown>, path: string, opts: SaveOptions = {}): void {
  writeFileAtomicSync(path, encodeCheckpoint(state, opts.metadata), opts.write);
}

function readError(path: string, e: unknown): CheckpointError {
  const err = e as NodeJS.ErrnoException;
  return new CheckpointError(`checkpoint: cannot read '${path}': ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
}

/** Read a checkpoint and its user metadata (async). */
export async function loadWithMetadata(path: string): Promise<{ state: any; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await requireNode('nb.load', 'decode bytes you fetched with decodeCheckpoint').fs.promises.readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
  return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), `'${path}'`);
}

/** Read a checkpoint and its user metadata (sync). */
export function loadWithMetadataSync(path: string): { state: any; metadata: Record<string, string> } {
  let bytes: Uint8Array;
  try {
    bytes = requireNode('nb.loadSync', 'decode bytes you fetched with decodeCheckpoint').fs.readFileSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), `'${path}'`);
}

/**
 * Read a checkpoint (async): a `Record<string, Tensor>` for a flat tensor dict (or any plain safetensors
 * file), else the nested structure that was saved. Typed `any` so it can be handed straight to
 * `module.loadStateDict(...)` / `optimizer.loadStateDict(...)`.
 */
export async function load(path: string): Promise<any> {
  return (await loadWithMetadata(path)).state;
}

/** Read a checkpoint (sync); see `load`. */
export function loadSync(path: string): any {
  return loadWithMetadataSync(path).state;
}
