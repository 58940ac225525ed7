/**
 * DistributedSampler (torch.utils.data.distributed.DistributedSampler): the indices of one rank's share of a
 * dataset, for `new DataLoader(ds, {sampler, batchSize})` on every rank of a data-parallel job.
 *
 * With n samples and R replicas, each rank gets numSamples = ceil(n / R) indices (dropLast: ceil((n − R) / R)
 * when R does not divide n, i.e. floor(n / R)), totalSize = numSamples · R in all. The epoch's order is
 * 0…n−1, or with shuffle a permutation drawn from a generator seeded with seed + epoch (the same on every rank;
 * the permutation is nabla's, not torch's: their generators differ). Without dropLast the list is padded to
 * totalSize by repeating its start (as many whole copies as needed); with dropLast its tail is cut to totalSize.
 * Rank r takes positions r, r + R, r + 2R, … . So the ranks' shares are disjoint except for the padding, and
 * together cover the dataset. Call setEpoch(e) before each epoch for a fresh shuffle.
 */
import { Generator } from '../random.js';
import { getRank, getWorldSize, isInitialized } from '../distributed/processGroup.js';
import { permutation } from './dataset.js';

export interface DistributedSamplerOptions {
  /** number of ranks (default: the process group's world size) */
  numReplicas?: number;
  /** this rank (default: the process group's rank) */
  rank?: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
}

export class DistributedSampler implements Iterable<number> {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** indices this rank yields per epoch */
  readonly numSamples: number;
  /** numSamples · numReplicas */
  readonly totalSize: number;
  epoch = 0;
  private readonly n: number;

  constructor(dataset: { readonly length: number }, opts: DistributedSamplerOptions = {}) {
    if (!dataset || typeof dataset.length !== 'number' || !Number.isInteger(dataset.length) || dataset.length < 0) {
      throw new TypeError('DistributedSampler: dataset must have a non-negative integer length');
    }
    if (opts === null || typeof opts !== 'object') throw new TypeError('DistributedSampler: options must be an object {numReplicas, rank, shuffle, seed, dropLast}');
    for (const k of Object.keys(opts)) {
      if (!['numReplicas', 'rank', 'shuffle', 'seed', 'dropLast'].includes(k)) {
        const hint = k === 'num_replicas' ? ' (did you mean numReplicas?)' : k === 'drop_last' ? ' (did you mean dropLast?)' : '';
        throw new TypeError(`DistributedSampler: unknown option '${k}'${hint}; expected numReplicas, rank, shuffle, seed, dropLast`);
      }
    }
    const need = (what: string) => {
      if (!isInitialized()) throw new Error(`DistributedSampler: ${what} not given and the default process group has not been initialized (call nb.distributed.initProcessGroup() or pass ${what})`);
    };
    if (opts.numReplicas === undefined) need('numReplicas');
    const R = opts.numReplicas ?? getWorldSize();
    if (!(Number.isInteger(R) && R >= 1)) throw new RangeError(`DistributedSampler: numReplicas must be a positive integer, got ${String(R)}`);
    if (opts.rank === undefined) need('rank');
    const rank = opts.rank ?? getRank();
    if (!(Number.isInteger(rank) && rank >= 0 && rank < R)) throw new RangeError(`DistributedSampler: invalid rank ${String(rank)}, rank should be in the interval [0, ${R - 1}]`);
    for (const k of ['shuffle', 'dropLast'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw new TypeError(`DistributedSampler: ${k} must be true or false, got ${JSON.stringify(opts[k])}`);
    }
    if (opts.seed !== undefined && !(Number.isInteger(opts.seed) && opts.seed >= 0)) throw new RangeError(`DistributedSampler: seed must be a non-negative integer, got ${String(opts.seed)}`);
    this.numReplicas = R;
    this.rank = rank;
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
    this.n = dataset.length;
    // (ceil of a value in (−1, 0] is −0 in JS; torch's int is 0)
    this.numSamples = (this.dropLast && this.n % R !== 0 ? Math.ceil((this.n - R) / R) : Math.ceil(this.n / R)) + 0;
    this.totalSize = this.numSamples * R;
  }

  /** Set the epoch: with shuffle, each epoch's order comes from seed + epoch. */
  setEpoch(epoch: number): void {
    if (!(Number.isInteger(epoch) && epoch >= 0)) throw new RangeError(`DistributedSampler.setEpoch: epoch must be a non-negative integer, got ${String(epoch)}`);
    this.epoch = epoch;
  }

  get length(): number {
    return this.numSamples;
  }

  /** This rank's indices for the current epoch. */
  indices(): number[] {
    const base = this.shuffle ? Array.from(permutation(this.n, new Generator(this.seed + this.epoch))) : Array.from({ length: this.n }, (_, i) => i);
    let all: number[];
    if (!this.dropLast) {
      const pad = this.totalSize - base.length;
      all = base.slice();
      if (base.length > 0) for (let i = 0; i < pad; i++) all.push(base[i % base.length]!);
    } else {
      all = base.slice(0, this.totalSize);
    }
    if (all.length !== this.totalSize) throw new Error(`DistributedSampler: cannot pad an empty dataset to ${this.totalSize} samples`);
    const mine: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.numReplicas) mine.push(all[i]!);
    return mine;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
