/**
 * `nb.memory`: callable as before (`nb.memory()` → live storages and the current backend's allocator bytes),
 * and carrying the accounting API:
 * - `nb.memory.stats(backend?)` → { backend, bytesInUse, peakBytes, liveTensors, liveStorages }
 * - `nb.memory.resetPeak()` → peakBytes := bytesInUse on every backend
 * - `nb.memory.record(fn, opts?)` → the allocation/release timeline of fn (see recorder.ts for its shape)
 * - `nb.memory.mark(label)` → a labelled marker in the timeline being recorded
 */
import { memory as legacyMemory } from '../memory.js';
import { currentBackend, listBackends } from '../backends/registry.js';
import { countersFor, resetPeaks } from './accounting.js';
import { mark, record } from './recorder.js';

export interface MemoryStats {
  backend: string;
  /** bytes held by live tensor storages on this backend (Σ numel × itemSize) */
  bytesInUse: number;
  /** the maximum of bytesInUse since the last resetPeak (or since the start) */
  peakBytes: number;
  /** Tensor objects (views included) not yet garbage collected whose storage is live */
  liveTensors: number;
  liveStorages: number;
}

/** Memory accounting of one backend (default: the current one). */
function stats(backend?: string): MemoryStats {
  if (backend !== undefined && !listBackends().includes(backend)) {
    throw new Error(`memory.stats: no backend named "${backend}"; registered: ${listBackends().join(', ')}`);
  }
  const name = backend ?? currentBackend().name;
  const c = countersFor(name);
  return { backend: name, bytesInUse: c.bytesInUse, peakBytes: c.peakBytes, liveTensors: c.liveTensors, liveStorages: c.liveStorages };
}

function resetPeak(): void {
  resetPeaks();
}

export const memory = Object.assign((): ReturnType<typeof legacyMemory> => legacyMemory(), { stats, resetPeak, record, mark });
export type { MemoryEvent, MemoryTimeline, RecordOptions } from './recorder.js';
