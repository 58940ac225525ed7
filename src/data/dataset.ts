/**
 * Datasets: anything with a `length` and `get(i)` (torch.utils.data's map-style Dataset). A dataset may
 * also offer `getBatch(indices)` returning a whole, already-collated batch; DataLoader uses it when no
 * custom collate is given (TensorDataset does, with one indexSelect per tensor instead of stacking).
 */
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import { select } from '../ops/movement.js';
import { indexSelect } from '../ops/indexing.js';
import { defaultGenerator, type Generator } from '../random.js';
import { fmt } from '../shape.js';

export interface Dataset<T = unknown> {
  readonly length: number;
  get(index: number): T;
  /** optional fast path: the collated batch of these indices */
  getBatch?(indices: Int32Array): unknown;
}

function checkIndex(name: string, i: number, n: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`${name}: index ${i} is out of range for a dataset of length ${n}`);
  return i < 0 ? i + n : i;
}

/** Rows of equally long tensors: item i is [t0[i], t1[i], ...]; a batch is [t0[idx], t1[idx], ...]. */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  readonly length: number;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: expected at least one tensor');
    for (const t of tensors) {
      if (!(t instanceof Tensor)) throw new TypeError('TensorDataset: every argument must be a Tensor');
      if (t.ndim === 0) throw new Error('TensorDataset: tensors must have a first (sample) dimension, got a 0-d tensor');
    }
    const n = tensors[0]!.shape[0]!;
    for (const t of tensors) {
      if (t.shape[0] !== n) throw new Error(`TensorDataset: size mismatch between tensors: ${tensors.map((x) => fmt(x.shape)).join(', ')} (all must share dimension 0)`);
    }
    this.tensors = tensors;
    this.length = n;
  }

  get(index: number): Tensor[] {
    const i = checkIndex('TensorDataset.get', index, this.length);
    return this.tensors.map((t) => select(t, 0, i));
  }

  getBatch(indices: Int32Array): Tensor[] {
    const idx = tensor(indices, { dtype: 'int32' });
    return this.tensors.map((t) => indexSelect(t, 0, idx));
  }
}

/** The items of `dataset` at `indices`, in that order. */
export class Subset<T> implements Dataset<T> {
  readonly indices: Int32Array;
  constructor(readonly dataset: Dataset<T>, indices: ArrayLike<number>) {
    this.indices = Int32Array.from(indices, (i) => checkIndex('Subset', i, dataset.length));
  }
  get length(): number {
    return this.indices.length;
  }
  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex('Subset.get', index, this.indices.length)]!);
  }
  getBatch(indices: Int32Array): unknown {
    const inner = this.dataset.getBatch;
    if (!inner) throw new Error('Subset.getBatch: the underlying dataset has no getBatch');
    return inner.call(this.dataset, indices.map((i) => this.indices[checkIndex('Subset.getBatch', i, this.indices.length)]!));
  }
}

/** Split lengths from fractions as PyTorch does: floor each, then hand the remainder out one by one. */
function splitLengths(n: number, lengths: readonly number[]): number[] {
  const total = lengths.reduce((a, b) => a + b, 0);
  const fractional = lengths.some((l) => !Number.isInteger(l)) || (Math.abs(total - 1) < 1e-9 && n !== 1);
  if (fractional) {
    if (Math.abs(total - 1) > 1e-9 || lengths.some((f) => f < 0 || f > 1)) throw new Error(`randomSplit: fractions must be in [0, 1] and sum to 1, got [${lengths.join(', ')}]`);
    const out = lengths.map((f) => Math.floor(n * f));
    let rem = n - out.reduce((a, b) => a + b, 0);
    for (let i = 0; rem > 0; i = (i + 1) % out.length, rem--) out[i]!++;
    return out;
  }
  if (lengths.some((l) => l < 0)) throw new Error(`randomSplit: lengths must be non-negative, got [${lengths.join(', ')}]`);
  if (total !== n) throw new Error(`randomSplit: sum of input lengths (${total}) does not equal the length of the input dataset (${n})`);
  return lengths.slice();
}

/**
 * Randomly split a dataset into non-overlapping subsets of the given lengths, or of the given fractions
 * (summing to 1; PyTorch's rounding: floors, then the remainder round-robin). Deterministic under a
 * seeded generator.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], opts: { generator?: Generator } = {}): Subset<T>[] {
  const n = dataset.length;
  const sizes = splitLengths(n, lengths);
  const perm = permutation(n, opts.generator ?? defaultGenerator);
  const out: Subset<T>[] = [];
  let off = 0;
  for (const s of sizes) {
    out.push(new Subset(dataset, perm.subarray(off, off + s)));
    off += s;
  }
  return out;
}

/** A random permutation of 0..n−1 (Fisher–Yates, the same draws as nb.randperm). */
export function permutation(n: number, g: Generator): Int32Array {
  const v = new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    const t = v[i]!; v[i] = v[j]!; v[j] = t;
  }
  return v;
}
