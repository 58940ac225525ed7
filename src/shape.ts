/** Shape arithmetic shared by every op: broadcasting, dim normalisation, and the error text for bad shapes. */
export type Shape = readonly number[];

export const fmt = (s: Shape): string => `[${s.join(',')}]`;

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting: align from the right; each pair of sizes must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dimension ${i}: ${x} vs ${y})`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Normalise a possibly negative dim against a rank, with an error naming the op. */
export function normDim(op: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim)) throw new TypeError(`${op}: dim must be an integer, got ${dim}`);
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of rank ${rank} (expected ${-r}..${r - 1})`);
  }
  return dim < 0 ? dim + r : dim;
}

export function normDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return [...Array(rank).keys()];
  const list = typeof dims === 'number' ? [dims] : dims;
  const out = list.map((d) => normDim(op, d, rank));
  if (new Set(out).size !== out.length) throw new Error(`${op}: dim ${JSON.stringify(dims)} repeats a dimension`);
  return out.sort((x, y) => x - y);
}

export function checkShape(op: string, shape: readonly number[]): void {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`${op}: invalid shape ${fmt(shape)}: sizes must be non-negative integers`);
  }
}
