/**
 * `nb.memory.record(fn)`: run fn and return the timeline of every storage allocation and release it caused,
 * each tagged with the op responsible: which activations are alive at each moment of forward and backward (the
 * "pebble" view of a graph's memory, from which checkpointing trades recomputation for peak bytes).
 *
 * Timeline shape (stable; the explorer draws it):
 *   { result, backend, startBytes, endBytes, peakBytes, peakIndex, events: MemoryEvent[] }
 *   MemoryEvent = { index, kind: 'alloc' | 'free' | 'mark', op, phase: 'forward' | 'backward' | 'optimizer',
 *                   storageId, backend, dtype, numel, bytes, bytesInUse, timeMs, savedForBackward? }
 * `bytesInUse` is the recorded backend's accounted bytes right after the event (marks carry the current value),
 * `peakBytes` the maximum of startBytes and every event's bytesInUse on that backend, `peakIndex` the index of
 * the first event that reached it (−1 when nothing exceeded startBytes).
 *
 * Who caused an event: inside backward, the node being differentiated (`linearBackward`); inside
 * `optimizer.step`, that; in forward code, the op whose `record()` call follows the allocation (an op allocates
 * its outputs, then records itself), so temporaries an op makes are charged to it. Allocations not followed by
 * any op before the recording ends (e.g. a trailing `zeros`) are labelled '(untracked)'; releases outside any
 * context (a scope closing, an explicit dispose) are labelled '(release)'.
 *
 * Release semantics while recording (options, both default true):
 * - `eagerRelease`: a storage allocated inside fn and saved for backward is freed when the last node that saved
 *   it has run its backward (a leaf that requires grad is never freed this way), and a backward formula's
 *   temporaries and spent gradient buffers are freed as soon as the engine is done with them. This is when
 *   PyTorch's reference counts would free them; without it they would wait for the garbage collector, which
 *   the timeline cannot see. Consequence: read any activation you need before calling backward inside fn.
 * - `scope`: fn runs inside `nb.scope`, so what it created and did not return (or keep) is freed when it ends.
 */
import { addListener, beginEagerRelease, type StorageEvent } from './accounting.js';
import { currentMemoryContext, setOpListener, type MemoryPhase } from './context.js';
import { scope } from '../memory.js';
import { currentBackend } from '../backends/registry.js';
import { countersFor } from './accounting.js';
import type { DType } from '../dtype.js';

export interface MemoryEvent {
  index: number;
  kind: 'alloc' | 'free' | 'mark';
  /** the op responsible ('linear', 'reluBackward', 'optimizer.step', ...) or the mark's label */
  op: string;
  phase: MemoryPhase;
  storageId: number;
  backend: string;
  dtype: DType | null;
  numel: number;
  bytes: number;
  bytesInUse: number;
  /** milliseconds since the recording started */
  timeMs: number;
  /** alloc events only: a graph node saved this storage for its backward (an activation) */
  savedForBackward?: boolean;
}

export interface MemoryTimeline<T> {
  result: T;
  /** the backend whose bytes startBytes/endBytes/peakBytes describe (the current one when recording began) */
  backend: string;
  startBytes: number;
  endBytes: number;
  peakBytes: number;
  peakIndex: number;
  events: MemoryEvent[];
}

export interface RecordOptions {
  eagerRelease?: boolean;
  scope?: boolean;
}

let active: { events: MemoryEvent[]; t0: number } | null = null;

/** Add a labelled marker to the timeline being recorded (no-op when none is). */
export function mark(label: string): void {
  if (!active) return;
  const b = currentBackend().name;
  active.events.push({
    index: active.events.length, kind: 'mark', op: label, phase: currentMemoryContext()?.phase ?? 'forward', storageId: 0,
    backend: b, dtype: null, numel: 0, bytes: 0, bytesInUse: countersFor(b).bytesInUse, timeMs: performance.now() - active.t0,
  });
}

export function record<T>(fn: () => T, opts: RecordOptions = {}): MemoryTimeline<T> {
  if (typeof fn !== 'function') throw new TypeError(`memory.record: expected a function, got ${typeof fn}`);
  if (active) throw new Error('memory.record: a recording is already running (recordings do not nest)');
  const backend = currentBackend().name;
  const startBytes = countersFor(backend).bytesInUse;
  const events: MemoryEvent[] = [];
  const rec = { events, t0: performance.now() };
  let pending: MemoryEvent[] = []; // forward allocations waiting for the op that made them to record itself
  const flushPending = (label: string) => {
    for (const e of pending) e.op = label;
    pending = [];
  };
  const allocOf = new Map<number, MemoryEvent>();
  const removeListener = addListener((e: StorageEvent) => {
    if (e.kind === 'save') {
      const a = allocOf.get(e.storageId);
      if (a) a.savedForBackward = true;
      return;
    }
    const ctx = currentMemoryContext();
    const ev: MemoryEvent = {
      index: events.length, kind: e.kind, op: ctx?.op ?? (e.kind === 'free' ? '(release)' : '(untracked)'),
      phase: ctx?.phase ?? 'forward', storageId: e.storageId, backend: e.backend, dtype: e.dtype, numel: e.numel,
      bytes: e.bytes, bytesInUse: e.bytesInUse, timeMs: performance.now() - rec.t0,
    };
    events.push(ev);
    if (e.kind === 'alloc') {
      ev.savedForBackward = false;
      allocOf.set(e.storageId, ev);
      if (!ctx) pending.push(ev);
    }
  });
  const prevOpListener = setOpListener((name) => flushPending(name));
  const endEager = opts.eagerRelease === false ? null : beginEagerRelease();
  active = rec;
  let result: T;
  try {
    result = opts.scope === false ? fn() : scope(fn);
  } finally {
    active = null;
    endEager?.();
    setOpListener(prevOpListener);
    removeListener();
  }
  flushPending('(untracked)');
  let peakBytes = startBytes, peakIndex = -1;
  for (const e of events) {
    if (e.backend === backend && e.bytesInUse > peakBytes) { peakBytes = e.bytesInUse; peakIndex = e.index; }
  }
  return { result, backend, startBytes, endBytes: countersFor(backend).bytesInUse, peakBytes, peakIndex, events };
}
