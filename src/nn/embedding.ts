/** Embedding: a lookup table [numEmbeddings, embeddingDim]; weight ~ N(0, 1), the paddingIdx row zeroed and never updated. */
import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../random.js';
import { noGrad } from '../autograd/gradMode.js';
import { fill_ } from '../ops/inplace.js';
import { select } from '../ops/movement.js';
import { embedding } from '../ops/nn/index.js';
import { empty } from './_util.js';
import { Module, parameter } from './module.js';
import { normal_ } from './init.js';
import { mergeArgs } from '../strict.js';

export interface EmbeddingOptions {
  /** this row is initialised to zeros and gets no gradient (negative counts from the end) */
  paddingIdx?: number | null;
  /** use this [numEmbeddings, embeddingDim] tensor as the weight instead of a random one */
  weight?: Tensor;
  generator?: Generator;
  dtype?: DType;
}

export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;

  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  /** Embedding(num, dim), Embedding(num, dim, paddingIdx), Embedding(num, dim, {paddingIdx, weight, generator, dtype}) */
  constructor(numEmbeddings: number, embeddingDim: number, ...rest: [opts?: EmbeddingOptions] | [paddingIdx: number | null, opts?: EmbeddingOptions]) {
    super();
    const opts = mergeArgs('Embedding', [numEmbeddings, embeddingDim, ...rest], ['numEmbeddings', 'embeddingDim', 'paddingIdx'], ['weight', 'generator', 'dtype']) as EmbeddingOptions;
    if (!Number.isInteger(numEmbeddings) || numEmbeddings <= 0 || !Number.isInteger(embeddingDim) || embeddingDim <= 0) {
      throw new TypeError(`Embedding: numEmbeddings and embeddingDim must be positive integers, got ${JSON.stringify(numEmbeddings)}, ${JSON.stringify(embeddingDim)}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings) {
        throw new Error(`Embedding: paddingIdx must be within [-${numEmbeddings}, ${numEmbeddings}), got ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    if (opts.weight) {
      if (opts.weight.ndim !== 2 || opts.weight.shape[0] !== numEmbeddings || opts.weight.shape[1] !== embeddingDim) {
        throw new Error(`Embedding: weight must have shape [${numEmbeddings}, ${embeddingDim}], got [${opts.weight.shape.join(', ')}]`);
      }
      this.weight = parameter(opts.weight.detach()); // shares storage with the given tensor, as PyTorch
    } else {
      this.weight = parameter(empty([numEmbeddings, embeddingDim], opts.dtype ?? 'float32'));
      this.resetParameters(opts.generator);
    }
  }

  resetParameters(generator?: Generator): void {
    normal_(this.weight, 0, 1, { generator });
    if (this.paddingIdx !== null) {
      const w = this.weight, i = this.paddingIdx;
      noGrad(() => fill_(select(w, 0, i), 0));
    }
  }

  /** indices (int32, any shape) → [...indices.shape, embeddingDim] */
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx ?? undefined });
  }

  /** An Embedding whose weight is `embeddings` (frozen unless freeze=false). */
  static fromPretrained(embeddings: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new Error('Embedding.fromPretrained: embeddings must be 2-D');
    const e = new Embedding(embeddings.shape[0]!, embeddings.shape[1]!, { weight: embeddings, paddingIdx: opts.paddingIdx });
    e.weight.requiresGrad = !(opts.freeze ?? true);
    return e;
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
