/**
 * DataLoader: iterate a dataset in (optionally shuffled) batches, as torch.utils.data.DataLoader.
 *
 *   const loader = new nb.data.DataLoader(new nb.data.TensorDataset(x, y), {batchSize: 64, shuffle: true, generator: new nb.Generator(0)});
 *   for (const [xb, yb] of loader) { ... }
 *
 * Each `for…of` is one epoch; with shuffle, every epoch draws a fresh permutation from the generator (the
 * default generator when none is given), so a seeded generator makes the whole run reproducible.
 * `length` is the number of batches per epoch. Batches are built by the dataset's `getBatch` when it has
 * one and no custom collate is given (TensorDataset: one indexSelect per tensor), else by collating the
 * items: tensors are stacked, numbers become a tensor (int32 when all are integers, else float32),
 * booleans a bool tensor, arrays and plain objects are collated field by field.
 *
 * Gradient accumulation (the documented pattern): for k micro-batches of a batch, scale each micro-loss
 * by its share (microBatchSize/batchSize for a mean loss), call backward() on each — gradients add up in
 * .grad — then step once and zeroGrad(). The accumulated gradient equals the large batch's gradient.
 */
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import { stack } from '../ops/movement.js';
import { defaultGenerator, type Generator } from '../random.js';
import { permutation, type Dataset } from './dataset.js';
import { mergeArgs } from '../strict.js';
import { closeIterationScope, detachIterationScope, openIterationScope, releaseStorages, type Storage } from '../storage.js';

/** The type default collation produces from an item type. */
export type Collated<T> = T extends Tensor ? Tensor
  : T extends number | boolean ? Tensor
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Collated<T[K]> }
  : T extends object ? { [K in keyof T]: Collated<T[K]> }
  : T[];

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  generator?: Generator;
  /** the sample indices of an epoch, in order (e.g. a DistributedSampler); excludes shuffle. Batches count from its length. */
  sampler?: Iterable<number> & { readonly length: number };
  collate?: (items: T[]) => B;
  /**
   * Free each iteration's temporaries when the next batch is requested (default true): a plain
   * `for (const [x, y] of loader) { loss…; backward; step }` then holds memory flat without nb.scope.
   */
  scopePerBatch?: boolean;
}

/** The error text for a tensor read after its DataLoader iteration freed it. */
export const RELEASED_BY_LOADER = 'it was created inside a DataLoader iteration that has ended, and each iteration frees its temporaries. '
  + 'To keep a tensor past its iteration call nb.keep(t) on it (or keep numbers: t.item(), t.toArray()); '
  + 'to turn this off construct the DataLoader with {scopePerBatch: false}';

/** Stack a list of items into a batch (see the module comment). */
export function defaultCollate<T>(items: T[]): Collated<T> {
  if (items.length === 0) throw new Error('defaultCollate: empty batch');
  const first = items[0] as unknown;
  if (first instanceof Tensor) return stack(items as unknown as Tensor[], 0) as Collated<T>;
  if (typeof first === 'number') {
    const nums = items as unknown as number[];
    return tensor(nums, { dtype: nums.every(Number.isInteger) ? 'int32' : 'float32' }) as Collated<T>;
  }
  if (typeof first === 'boolean') return tensor(items as unknown as boolean[], { dtype: 'bool' }) as Collated<T>;
  if (Array.isArray(first)) {
    const n = first.length;
    for (const it of items) if (!Array.isArray(it) || it.length !== n) throw new Error('defaultCollate: each element in the batch should be an array of the same length');
    return first.map((_, k) => defaultCollate((items as unknown as unknown[][]).map((it) => it[k]))) as Collated<T>;
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = defaultCollate(items.map((it) => (it as Record<string, unknown>)[key]));
    return out as Collated<T>;
  }
  // strings and other values: a plain list, as PyTorch leaves them
  return items as unknown as Collated<T>;
}

export class DataLoader<T, B = Collated<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  private readonly collate: ((items: T[]) => B) | null;
  readonly sampler: (Iterable<number> & { readonly length: number }) | null;

  /** DataLoader(ds, {batchSize, shuffle, dropLast, generator, collate}) or torch's positional DataLoader(ds, batchSize, shuffle) */
  constructor(dataset: Dataset<T>, ...rest: [opts?: DataLoaderOptions<T, B>] | [batchSize: number, shuffle?: boolean, opts?: DataLoaderOptions<T, B>]) {
    const opts = mergeArgs('DataLoader', rest, ['batchSize', 'shuffle'], ['dropLast', 'generator', 'collate', 'scopePerBatch', 'sampler']) as DataLoaderOptions<T, B>;
    if (opts.scopePerBatch !== undefined && typeof opts.scopePerBatch !== 'boolean') throw new TypeError(`DataLoader: scopePerBatch must be true or false, got ${JSON.stringify(opts.scopePerBatch)}`);
    if (opts.shuffle !== undefined && typeof opts.shuffle !== 'boolean') throw new TypeError(`DataLoader: shuffle must be true or false, got ${JSON.stringify(opts.shuffle)}`);
    if (opts.dropLast !== undefined && typeof opts.dropLast !== 'boolean') throw new TypeError(`DataLoader: dropLast must be true or false, got ${JSON.stringify(opts.dropLast)}`);
    if (opts.collate !== undefined && typeof opts.collate !== 'function') throw new TypeError('DataLoader: collate must be a function (items) => batch');
    if (!dataset || typeof dataset.length !== 'number' || typeof dataset.get !== 'function') {
      throw new TypeError('DataLoader: dataset must have a numeric length and a get(i) method');
    }
    if (opts.sampler !== undefined) {
      const sm = opts.sampler as { length?: unknown; [Symbol.iterator]?: unknown } | null;
      if (!sm || typeof sm[Symbol.iterator] !== 'function' || typeof sm.length !== 'number') throw new TypeError('DataLoader: sampler must be an iterable of indices with a numeric length (e.g. nb.data.DistributedSampler)');
      if (opts.shuffle) throw new Error('DataLoader: sampler option is mutually exclusive with shuffle');
    }
    const bs = opts.batchSize ?? 1;
    if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`DataLoader: batchSize should be a positive integer, got ${bs}`);
    this.dataset = dataset;
    this.batchSize = bs;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.generator = opts.generator ?? defaultGenerator;
    this.collate = opts.collate ?? null;
    this.sampler = opts.sampler ?? null;
    this.scopePerBatch = opts.scopePerBatch ?? true;
  }

  /** see DataLoaderOptions.scopePerBatch */
  readonly scopePerBatch: boolean;
  /** the last iteration scope of the previous epoch, freed when the next epoch starts */
  private leftover: Storage[] | null = null;

  /** batches per epoch */
  get length(): number {
    const n = this.sampler ? this.sampler.length : this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of one epoch (draws from the generator when shuffling). */
  private order(): Int32Array {
    if (this.sampler) return Int32Array.from(this.sampler);
    const n = this.dataset.length;
    if (this.shuffle) return permutation(n, this.generator);
    const v = new Int32Array(n);
    for (let i = 0; i < n; i++) v[i] = i;
    return v;
  }

  /** Batches of sample indices for one epoch. */
  *batchIndices(): Generator_<Int32Array> {
    const order = this.order();
    const nb = this.length;
    for (let b = 0; b < nb; b++) yield order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
  }

  /**
   * One epoch of batches. With scopePerBatch (the default) each batch and everything computed from it until
   * the next batch is requested lives in one iteration scope: asking for the next batch frees the previous
   * iteration's tensors, except parameters, gradients, optimizer state, module buffers and tensors passed to
   * nb.keep. When the loop ends (or breaks, or throws) the last iteration's tensors are left alive. An
   * iteration that created nothing but its batch keeps the batch, so `[...loader]` collects usable batches.
   */
  [Symbol.iterator](): Generator_<B> {
    const gen = this.batches();
    if (!this.scopePerBatch) return gen;
    let handle: Storage[] | null = null;
    // the last iteration's tensors outlive the loop (a PyTorch habit: print(loss.item()) after it) and are
    // freed when this loader starts its next epoch
    const finish = () => { if (handle) { detachIterationScope(handle); this.leftover = handle; handle = null; } };
    let first = true;
    let batchStorages = 0;
    const wrapper: Generator_<B> = {
      next: () => {
        // the next batch is built in a fresh scope; only then is the previous iteration's scope freed
        // (at the end of the epoch it is left alive instead)
        if (first && this.leftover) { releaseStorages(this.leftover, RELEASED_BY_LOADER); this.leftover = null; }
        first = false;
        const fresh = openIterationScope(wrapper);
        let r: IteratorResult<B, void>;
        try {
          r = gen.next();
        } catch (e) {
          closeIterationScope(fresh, null);
          finish();
          throw e;
        }
        if (r.done) {
          closeIterationScope(fresh, null);
          finish();
          return r;
        }
        // an iteration whose body created no tensor (`[...loader]`, Array.from: batches being collected) keeps
        // its batch; one that computed (a training step) is freed
        if (handle) closeIterationScope(handle, handle.length === batchStorages ? null : RELEASED_BY_LOADER);
        handle = fresh;
        batchStorages = fresh.length;
        return r;
      },
      return: (v?: void) => { finish(); return gen.return(v); },
      throw: (e?: unknown) => { finish(); return gen.throw(e); },
      [Symbol.iterator]() { return this; },
    } as Generator_<B>;
    return wrapper;
  }

  private *batches(): Generator_<B> {
    for (const idx of this.batchIndices()) {
      if (!this.collate && typeof this.dataset.getBatch === 'function') {
        yield this.dataset.getBatch(idx) as B;
        continue;
      }
      const items: T[] = Array.from(idx, (i) => this.dataset.get(i));
      yield this.collate ? this.collate(items) : (defaultCollate(items) as unknown as B);
    }
  }
}

type Generator_<T> = globalThis.Generator<T, void, unknown>;
