/**
 * The shared memory of a 'threads' process group: one SharedArrayBuffer that every rank (a worker thread) maps.
 *
 *   bytes [0, HEADER_BYTES)            Int32 control words (below) and the abort message
 *   then worldSize slots of slotBytes  rank r writes its contribution to a collective into slot r
 *   then one result area of slotBytes  the reduced chunk (each rank reduces 1/worldSize of it)
 *
 * Control words (Int32, indices): GEN and COUNT make a generation barrier (the last rank to arrive resets
 * COUNT and bumps GEN; the others Atomics.wait on GEN). ABORT is set once (compareExchange 0 → 1) by the first
 * rank that fails or by the launcher; ABORT_RANK names it and the message bytes say why, so a rank waiting in
 * a collective stops with the cause instead of hanging. Per rank (RANK_BASE + r·RANK_STRIDE): the sequence
 * number and descriptor of the collective it is in (checked against the others'), and an "exited" flag the
 * launcher sets when its thread ends.
 *
 * This file imports nothing from nabla: the launcher and the worker bootstrap use it without loading the library.
 */
export const HEADER_BYTES = 8192;
export const GEN = 0;
export const COUNT = 1;
export const ABORT = 2;
export const ABORT_RANK = 3;
export const MSG_LEN = 4;
export const RANK_BASE = 16;
export const RANK_STRIDE = 8;
/** offsets inside a rank's words */
export const W_SEQ = 0, W_KIND = 1, W_COUNT = 2, W_DTYPE = 3, W_ARG = 4, W_EXITED = 5, W_ARRIVALS = 6;
const MSG_OFFSET = 4096;
const MSG_MAX = 4096;
export const MAX_WORLD_SIZE = Math.floor((MSG_OFFSET - RANK_BASE * 4) / (RANK_STRIDE * 4));
/** default bytes of one rank's slot: collectives on larger tensors run in chunks of this size */
export const DEFAULT_SLOT_BYTES = 8 << 20;

/** Where the launcher's worker bootstrap leaves the group description for initProcessGroup() (any copy of nabla in the thread finds it). */
export const GROUP_SLOT = Symbol.for('nabla.distributed.group');

/** What a worker thread of `nabla run` receives (node:worker_threads workerData.nablaDistributed). */
export interface SharedGroupInit {
  sab: SharedArrayBuffer;
  worldSize: number;
  rank: number;
  slotBytes: number;
  /** milliseconds a collective waits for the other ranks before it fails */
  timeout: number;
}

export function createSharedBuffer(worldSize: number, slotBytes: number): SharedArrayBuffer {
  if (!Number.isInteger(worldSize) || worldSize < 1 || worldSize > MAX_WORLD_SIZE) {
    throw new RangeError(`distributed: worldSize must be an integer in [1, ${MAX_WORLD_SIZE}], got ${worldSize}`);
  }
  if (!Number.isInteger(slotBytes) || slotBytes < 64 || slotBytes % 8 !== 0) {
    throw new RangeError(`distributed: slotBytes must be a multiple of 8 and at least 64, got ${slotBytes}`);
  }
  if (typeof SharedArrayBuffer !== 'function') {
    throw new Error('distributed: SharedArrayBuffer is unavailable (in a browser the page must be cross-origin isolated)');
  }
  return new SharedArrayBuffer(HEADER_BYTES + (worldSize + 1) * slotBytes);
}

/** Mark the group aborted by `rank` (the first call wins) and wake every waiter. Returns whether this call won. */
export function abortGroup(sab: SharedArrayBuffer, rank: number, message: string): boolean {
  const ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
  if (Atomics.compareExchange(ctl, ABORT, 0, 1) !== 0) return false;
  const bytes = new TextEncoder().encode(message).subarray(0, MSG_MAX);
  new Uint8Array(sab, MSG_OFFSET, MSG_MAX).set(bytes);
  Atomics.store(ctl, MSG_LEN, bytes.length);
  Atomics.store(ctl, ABORT_RANK, rank);
  Atomics.store(ctl, ABORT, 2); // 2: message written
  Atomics.notify(ctl, GEN);
  return true;
}

/** The abort record, or null while the group is healthy. */
export function abortInfo(sab: SharedArrayBuffer): { rank: number; message: string } | null {
  const ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
  const state = Atomics.load(ctl, ABORT);
  if (state === 0) return null;
  if (state === 1) return { rank: -1, message: '(message being written)' };
  const len = Atomics.load(ctl, MSG_LEN);
  const copy = new Uint8Array(len);
  copy.set(new Uint8Array(sab, MSG_OFFSET, len));
  return { rank: Atomics.load(ctl, ABORT_RANK), message: new TextDecoder().decode(copy) };
}

/** The launcher marks a rank whose thread ended, so ranks waiting for it stop at once. */
export function markExited(sab: SharedArrayBuffer, rank: number): void {
  const ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
  Atomics.store(ctl, RANK_BASE + rank * RANK_STRIDE + W_EXITED, 1);
  Atomics.notify(ctl, GEN);
}

/** A thrown value as one line plus its stack, for abort messages. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.stack && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}`;
  return String(e);
}
