/** How jobs are cut into chunks for the worker pool, and when a job is big enough to be worth it. */

/** below these sizes the wake-up of the workers (tens of µs) costs more than it saves */
export const PAR_GEMM_FLOPS = 1 << 21;
export const PAR_ELEMS = 1 << 16;

/** [lo, hi) of `part` when `units` units are dealt to `nparts` parts: part p gets ⌊u·p/n⌋ … ⌊u·(p+1)/n⌋ */
export function share(units: number, part: number, nparts: number): [number, number] {
  return [Math.floor((units * part) / nparts), Math.floor((units * (part + 1)) / nparts)];
}

/** chunks for an element-wise job over n elements: ≥ 32K elements each, a few per thread for balance */
export function elemChunks(n: number, threads: number): number {
  return Math.max(1, Math.min(4 * threads, Math.floor(n / 32768)));
}

/** element range [lo, hi) of `part`, cut at 16-element (64-byte) boundaries so threads never share a cache line */
export function elemRange(n: number, part: number, nparts: number): [number, number] {
  const [u0, u1] = share(Math.ceil(n / 16), part, nparts);
  const lo = u0 * 16, hi = Math.min(n, u1 * 16);
  return [lo, Math.max(lo, hi)];
}

/** an element-wise job over n floats: elemChunks when n ≥ PAR_ELEMS, else whole */
export const elementChunks = (n: number, threads: number): number => (n >= PAR_ELEMS ? elemChunks(n, threads) : 1);

/** a job over `rows` independent rows of n floats in all: at most one chunk per row */
export const rowChunks = (rows: number, n: number, threads: number): number => (n >= PAR_ELEMS ? Math.min(rows, elemChunks(n, threads)) : 1);

/** a job of `units` independent pieces touching `bytes` bytes of memory */
export const unitChunks = (units: number, bytes: number, threads: number): number =>
  (bytes >= 4 * PAR_ELEMS ? Math.min(units, elemChunks(bytes / 4, threads)) : 1);
