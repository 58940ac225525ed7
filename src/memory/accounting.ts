/**
 * Byte accounting for tensor storages, per backend. Every `Storage` reports its allocation and its release
 * here (explicit dispose, scope close, engine release, or the garbage collector's finalizer), so
 * `bytesInUse` is the sum of live storages' `numel × itemSize` and `peakBytes` its running maximum since the
 * last `resetPeak`. A backend's own scratch blocks (GEMM panels, copies made by `.data()`) are not counted:
 * these figures are what the tensors hold. Listeners (the timeline recorder) see every event as it happens.
 */
import type { DType } from '../dtype.js';

export interface BackendCounters {
  bytesInUse: number;
  peakBytes: number;
  liveStorages: number;
  liveTensors: number;
}

/** One allocation or release, as a listener sees it. */
export interface StorageEvent {
  /** 'save': a graph node saved a tensor viewing this storage for its backward (no bytes change) */
  kind: 'alloc' | 'free' | 'save';
  /** unique id of the storage (stable across its alloc and free events) */
  storageId: number;
  backend: string;
  dtype: DType;
  /** elements in the storage */
  numel: number;
  bytes: number;
  /** the backend's accounted bytes right after this event */
  bytesInUse: number;
}

const counters = new Map<string, BackendCounters>();
const listeners = new Set<(e: StorageEvent) => void>();
let nextId = 1;

export function countersFor(backend: string): BackendCounters {
  let c = counters.get(backend);
  if (!c) counters.set(backend, (c = { bytesInUse: 0, peakBytes: 0, liveStorages: 0, liveTensors: 0 }));
  return c;
}

export function allCounters(): ReadonlyMap<string, BackendCounters> {
  return counters;
}

export function newStorageId(): number {
  return nextId++;
}

/** The id the next storage will get: ids only grow, so a storage with id ≥ this value was allocated after the call. */
export function upcomingStorageId(): number {
  return nextId;
}

export function noteAlloc(storageId: number, backend: string, dtype: DType, numel: number, bytes: number): void {
  const c = countersFor(backend);
  c.bytesInUse += bytes;
  c.liveStorages++;
  if (c.bytesInUse > c.peakBytes) c.peakBytes = c.bytesInUse;
  if (listeners.size) {
    const e: StorageEvent = { kind: 'alloc', storageId, backend, dtype, numel, bytes, bytesInUse: c.bytesInUse };
    for (const l of listeners) l(e);
  }
}

export function noteFree(storageId: number, backend: string, dtype: DType, numel: number, bytes: number): void {
  const c = countersFor(backend);
  c.bytesInUse -= bytes;
  c.liveStorages--;
  if (listeners.size) {
    const e: StorageEvent = { kind: 'free', storageId, backend, dtype, numel, bytes, bytesInUse: c.bytesInUse };
    for (const l of listeners) l(e);
  }
}

export function noteSaved(storageId: number, backend: string, dtype: DType, numel: number, bytes: number): void {
  if (!listeners.size) return;
  const e: StorageEvent = { kind: 'save', storageId, backend, dtype, numel, bytes, bytesInUse: countersFor(backend).bytesInUse };
  for (const l of listeners) l(e);
}

/** Peak := current bytes, on every backend. */
export function resetPeaks(): void {
  for (const c of counters.values()) c.peakBytes = c.bytesInUse;
}

export function addListener(l: (e: StorageEvent) => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/**
 * Eager release (used by the timeline recorder): while on, a storage allocated during the current epoch and
 * saved for backward is freed as soon as the last graph node that saved it has run its backward, instead of
 * when the garbage collector finds it (JavaScript has no reference counts, so that is the only moment a
 * framework can know the graph is done with it).
 */
let epoch = 0;
let eager = false;

export function allocEpoch(): number {
  return epoch;
}

export function eagerReleaseEpoch(): number | null {
  return eager ? epoch : null;
}

/** Start a new epoch with eager release on; returns a function restoring the previous state. */
export function beginEagerRelease(): () => void {
  const prevEager = eager, prevEpoch = epoch;
  epoch = nextId++; // unique, never reused
  eager = true;
  return () => { eager = prevEager; epoch = prevEpoch; };
}
