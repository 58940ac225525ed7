/**
 * MultiheadAttention with PyTorch's parameter names and layout: in_proj_weight [3E, E] (q, k, v stacked),
 * in_proj_bias [3E], out_proj (a Linear E → E). Inputs are [L, N, E] (or [N, L, E] with batchFirst, or
 * unbatched [L, E]).
 *
 *   q, k, v = split(x·in_proj_weightᵀ + in_proj_bias);  heads: [N, H, L, E/H]
 *   A = softmax(q·kᵀ/√(E/H) + mask)  (dropout on A while training);  out = out_proj(concat_h(A·v))
 *
 * Masks follow nn.MultiheadAttention: a boolean attnMask / keyPaddingMask marks positions that may NOT be
 * attended (true = masked out); a float mask is added to the scores.
 */
import { mergeArgs } from '../strict.js';
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../random.js';
import { noGrad } from '../autograd/gradMode.js';
import { add, where } from '../ops/elementwise.js';
import { matmul, linear } from '../ops/matmul.js';
import { chunk, permute, reshape, transpose, unsqueeze, narrow } from '../ops/movement.js';
import { mean } from '../ops/reduce.js';
import { softmax, dropout, scaledDotProductAttention } from '../ops/nn/index.js';
import { empty } from './_util.js';
import { Module, parameter, reprValue } from './module.js';
import { Linear } from './linear.js';
import { constant_, xavierUniform_ } from './init.js';

export interface MultiheadAttentionOptions {
  /** biases on the input and output projections (default true) */
  bias?: boolean;
  /** dropout probability on the attention weights (default 0) */
  dropout?: number;
  /** inputs and outputs are [N, L, E] instead of [L, N, E] (default false) */
  batchFirst?: boolean;
  generator?: Generator;
  dtype?: DType;
}

export interface MultiheadAttentionForwardOptions {
  /** [L, S] or [N·H, L, S]; bool (true = may not attend) or float (added) */
  attnMask?: Tensor | null;
  /** [N, S] (or [S] unbatched); bool (true = ignore that key) or float (added) */
  keyPaddingMask?: Tensor | null;
  /** apply a causal mask (query i sees keys ≤ i) when no attnMask is given */
  isCausal?: boolean;
  /** also return the attention weights (default true) */
  needWeights?: boolean;
  /** average the returned weights over heads → [N, L, S] (default true); else [N, H, L, S] */
  averageAttnWeights?: boolean;
}

function causalMask(L: number, S: number): Tensor {
  const v = new Uint8Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) v[i * S + j] = 1;
  return Tensor.fromValues(v, [L, S], 'bool');
}

/** a bool "masked out" mask → additive float mask (−Inf where true) */
function additive(mask: Tensor, dtype: DType): Tensor {
  if (mask.dtype === 'bool') return noGrad(() => where(mask, -Infinity, 0)).to(dtype);
  return mask.dtype === dtype ? mask : mask.to(dtype);
}

export class MultiheadAttention extends Module {
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  in_proj_weight: Tensor;
  in_proj_bias: Tensor | null;
  out_proj: Linear;

  readonly embedDim: number;
  readonly numHeads: number;

  /** MultiheadAttention(embedDim, numHeads), (embedDim, numHeads, dropout, bias), or with {dropout, bias, batchFirst, generator, dtype} */
  constructor(embedDim: number, numHeads: number, ...rest: [opts?: MultiheadAttentionOptions] | [dropout: number, bias?: boolean, opts?: MultiheadAttentionOptions]) {
    super();
    const opts = mergeArgs('MultiheadAttention', [embedDim, numHeads, ...rest], ['embedDim', 'numHeads', 'dropout', 'bias'], ['batchFirst', 'generator', 'dtype']) as MultiheadAttentionOptions;
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    if (!Number.isInteger(embedDim) || embedDim <= 0 || !Number.isInteger(numHeads) || numHeads <= 0) {
      throw new Error(`MultiheadAttention: embedDim and numHeads must be positive integers, got ${embedDim}, ${numHeads}`);
    }
    if (embedDim % numHeads !== 0) throw new Error(`MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    this.dropout = opts.dropout ?? 0;
    this.batchFirst = opts.batchFirst ?? false;
    const dtype = opts.dtype ?? 'float32';
    const bias = opts.bias ?? true;
    this.in_proj_weight = parameter(empty([3 * embedDim, embedDim], dtype));
    this.in_proj_bias = bias ? parameter(empty([3 * embedDim], dtype)) : null;
    if (!bias) this.registerParameter('in_proj_bias', null);
    // as PyTorch: out_proj gets Linear's default init first, then in_proj is xavier-initialised and biases zeroed
    this.out_proj = new Linear(embedDim, embedDim, { bias, generator: opts.generator, dtype });
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    xavierUniform_(this.in_proj_weight, 1, { generator });
    if (this.in_proj_bias) constant_(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant_(this.out_proj.bias, 0);
  }

  /** Returns [output, weights]; weights is null when needWeights is false. */
  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const E = this.embedDim, H = this.numHeads, D = this.headDim;
    const unbatched = query.ndim === 2;
    if (!unbatched && query.ndim !== 3) throw new Error(`MultiheadAttention: query must be 2-D (unbatched) or 3-D, got [${query.shape.join(', ')}]`);
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) throw new Error('MultiheadAttention: query, key and value must have the same number of dims');
    for (const [n, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (t.shape[t.ndim - 1] !== E) throw new Error(`MultiheadAttention: ${n} has ${t.shape[t.ndim - 1]} features, expected embedDim ${E}`);
    }
    // to [N, L, E]
    const toBatchFirst = (t: Tensor) => (unbatched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, 0, 1));
    const q0 = toBatchFirst(query), k0 = toBatchFirst(key), v0 = toBatchFirst(value);
    const N = q0.shape[0]!, L = q0.shape[1]!, S = k0.shape[1]!;
    if (k0.shape[0] !== N || v0.shape[0] !== N || v0.shape[1] !== S) throw new Error('MultiheadAttention: query, key and value batch / key and value lengths must agree');

    // projections (one matmul when q, k, v are the same tensor)
    let q: Tensor, k: Tensor, v: Tensor;
    if (query === key && key === value) {
      [q, k, v] = chunk(linear(q0, this.in_proj_weight, this.in_proj_bias), 3, -1) as [Tensor, Tensor, Tensor];
    } else {
      const w = chunk(this.in_proj_weight, 3, 0);
      const b = this.in_proj_bias ? chunk(this.in_proj_bias, 3, 0) : [null, null, null];
      q = linear(q0, w[0]!, b[0]); k = linear(k0, w[1]!, b[1]); v = linear(v0, w[2]!, b[2]);
    }
    const heads = (t: Tensor, len: number) => permute(reshape(t, [N, len, H, D]), [0, 2, 1, 3]); // [N, H, len, D]
    const qh = heads(q, L), kh = heads(k, S), vh = heads(v, S);

    // one additive mask broadcastable to [N, H, L, S]
    const dtype = qh.dtype;
    let mask: Tensor | null = null;
    let attnMask = opts.attnMask ?? null;
    if (!attnMask && opts.isCausal) attnMask = causalMask(L, S);
    if (attnMask) {
      let m = additive(attnMask, dtype);
      if (m.ndim === 2) {
        if (m.shape[0] !== L || m.shape[1] !== S) throw new Error(`MultiheadAttention: 2-D attnMask must be [${L}, ${S}], got [${m.shape.join(', ')}]`);
      } else if (m.ndim === 3) {
        if (m.shape[0] !== N * H || m.shape[1] !== L || m.shape[2] !== S) throw new Error(`MultiheadAttention: 3-D attnMask must be [${N * H}, ${L}, ${S}], got [${m.shape.join(', ')}]`);
        m = reshape(m, [N, H, L, S]);
      } else throw new Error(`MultiheadAttention: attnMask must be 2-D or 3-D, got ${m.ndim}-D`);
      mask = m;
    }
    if (opts.keyPaddingMask) {
      let kp = additive(opts.keyPaddingMask, dtype);
      if (unbatched && kp.ndim === 1) kp = unsqueeze(kp, 0);
      if (kp.ndim !== 2 || kp.shape[0] !== N || kp.shape[1] !== S) throw new Error(`MultiheadAttention: keyPaddingMask must be [${N}, ${S}], got [${opts.keyPaddingMask.shape.join(', ')}]`);
      kp = reshape(kp, [N, 1, 1, S]);
      mask = mask ? add(mask, kp) : kp;
    }

    const needWeights = opts.needWeights ?? true;
    const p = this.training ? this.dropout : 0;
    let ctx: Tensor, weights: Tensor | null = null;
    if (needWeights) {
      let scores = matmul(qh, transpose(kh, -2, -1)).mul(1 / Math.sqrt(D)); // [N, H, L, S]
      if (mask) scores = add(scores, mask);
      const attn = softmax(scores, -1);
      weights = opts.averageAttnWeights === false ? attn : mean(attn, 1);
      ctx = matmul(p > 0 ? dropout(attn, { p, training: true }) : attn, vh);
    } else {
      ctx = scaledDotProductAttention(qh, kh, vh, { attnMask: mask ?? undefined, dropoutP: p, training: p > 0 });
    }
    // [N, H, L, D] → [N, L, E] → out_proj
    let out = this.out_proj.call(reshape(permute(ctx, [0, 2, 1, 3]), [N, L, E]));
    if (unbatched) {
      out = reshape(out, [L, E]);
      if (weights) weights = narrow(weights, 0, 0, 1).squeeze(0);
    } else if (!this.batchFirst) out = transpose(out, 0, 1);
    return [out, weights];
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, dropout=${this.dropout}, batch_first=${reprValue(this.batchFirst)}`;
  }
}
