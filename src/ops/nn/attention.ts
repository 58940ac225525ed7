/**
 * Scaled dot-product attention: softmax(q·kᵀ·scale + mask)·v, q [..., L, E], k [..., S, E], v [..., S, Ev] (batch
 * dims broadcast). A composite record (PyTorch's F.scaled_dot_product_attention(query, key, value, attn_mask,
 * dropout_p, is_causal, scale); generator and training keyword-only): its gradient follows from matmul and
 * softmax, or from the fused flash-attention record (flashAttention.ts) where that path is taken.
 */
import { autocastLow } from '../../amp/autocast.js';
import { noGrad } from '../../autograd/gradMode.js';
import { fmt } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { add, cast, eq, mul, where } from '../elementwise.js';
import { amax } from '../reduce.js';
import { matmul } from '../matmul.js';
import { transpose } from '../movement.js';
import { softmax } from './activation.js';
import { dropout, generatorArg } from './dropout.js';
import { checkFloat, checkTensorArg } from './_util.js';
import { defineOp, type Arr } from '../define.js';
import { bool, num, optBool, optNum, optTensor, tensor } from '../args.js';
import { Generator } from '../../random.js';
import { attentionRef, fusedAttention, fusedMinScores } from './flashAttention.js';

export interface AttentionOptions {
  /** bool (true = take part, as PyTorch) or additive float mask, broadcastable to [..., L, S] */
  attnMask?: Tensor | null;
  /** causal mask: query i attends to keys j ≤ i (top-left aligned, as PyTorch) */
  isCausal?: boolean;
  dropoutP?: number;
  /** default 1/√E */
  scale?: number;
  generator?: Generator;
  /** apply dropout (default true: dropoutP alone decides, as torch's function) */
  training?: boolean;
}

function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  [q, k, v] = autocastLow(q, k, v); // autocast dispatch (src/amp/autocast.ts)
  const op = 'scaledDotProductAttention';
  checkTensorArg(op, 'query', q);
  checkTensorArg(op, 'key', k);
  checkTensorArg(op, 'value', v);
  for (const [n, t] of [['query', q], ['key', k], ['value', v]] as const) {
    checkFloat(op, n, t);
    if (t.ndim < 2) throw new Error(`${op}: ${n} ${fmt(t.shape)} must have at least 2 dimensions [..., L, E]`);
  }
  const L = q.shape[q.ndim - 2]!, E = q.shape[q.ndim - 1]!;
  const S = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== E) throw new Error(`${op}: key ${fmt(k.shape)} does not match query ${fmt(q.shape)}: expected embedding size ${E} in the last dimension`);
  if (v.shape[v.ndim - 2] !== S) throw new Error(`${op}: value ${fmt(v.shape)} does not match key ${fmt(k.shape)}: expected ${S} positions in dimension -2`);
  const mask = opts.attnMask ?? null;
  if (mask && opts.isCausal) throw new Error(`${op}: pass either attnMask or isCausal, not both`);
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  const p = opts.dropoutP ?? 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropoutP must be in [0, 1], got ${p}`);

  // no mask but causal, no dropout, and large weights: the backend's flash-attention kernel, where it has one
  if (!mask && !(p > 0 && (opts.training ?? true)) && (q.numel() / E) * S >= fusedMinScores(q.backend)) {
    const fused = fusedAttention(q, k, v, opts.isCausal === true, scale);
    if (fused) return fused;
  }
  let scores = mul(matmul(q, transpose(k, -2, -1)), scale);
  let keep: Tensor | null = null;
  if (opts.isCausal) {
    const m = new Uint8Array(L * S);
    for (let i = 0; i < L; i++) for (let j = 0; j <= Math.min(i, S - 1); j++) m[i * S + j] = 1;
    keep = Tensor.fromValues(m, [L, S], 'bool', q.backend);
  } else if (mask) {
    checkTensorArg(op, 'attnMask', mask);
    // a 0-d mask broadcasts to every score (PyTorch 2's scaled_dot_product_attention takes it too)
    if ((mask.ndim >= 1 && mask.shape[mask.ndim - 1] !== S && mask.shape[mask.ndim - 1] !== 1) || (mask.ndim >= 2 && mask.shape[mask.ndim - 2] !== L && mask.shape[mask.ndim - 2] !== 1)) {
      throw new Error(`${op}: attnMask ${fmt(mask.shape)} does not broadcast to the attention weights [..., ${L}, ${S}] (query ${fmt(q.shape)}, key ${fmt(k.shape)})`);
    }
    if (mask.dtype === 'bool') keep = mask;
    else if (mask.dtype === 'int32') throw new TypeError(`${op}: attnMask must be bool (true = attend) or float (added to the scores), got int32`);
    else scores = add(scores, mask.dtype === scores.dtype ? mask : cast(mask, scores.dtype));
  }
  if (keep) scores = where(keep, scores, -Infinity);
  // a fully masked row would be softmax of all −Inf (NaN): give it zero weights instead, and keep NaN out of
  // the gradient by feeding the softmax a finite row there (the "double where" pattern). Applied whenever a
  // mask is given, without reading on the host whether any row is dead (no round trip on device backends).
  let dead: Tensor | null = null;
  if (keep || mask) dead = noGrad(() => eq(amax(scores, -1, true), -Infinity));
  let attn = softmax(dead ? where(dead, 0, scores) : scores, -1);
  if (dead) attn = where(dead, 0, attn);
  if (p > 0 && (opts.training ?? true)) attn = dropout(attn, { p, generator: opts.generator });
  return matmul(attn, v);
}

const sdpaRef = (q: Arr, k: Arr, v: Arr, o?: Parameters<typeof attentionRef>[3]): Arr => attentionRef(q, k, v, o).out;
/** the bool mask of the 'bool mask' row: query i attends key j where keepMask[i][j] */
const keepMask = [[true, false], [true, true], [false, true]];
const boolMask = (like: Tensor) => Tensor.fromValues(keepMask.flat().map(Number), [3, 2], 'bool', like.backend);
/** the scaled keep factors a seeded Generator(seed) draws for n weights (dropout's mask, drawn the same way) */
const dropFactors = (seed: number, n: number, p: number) => {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => (g.random() >= p ? 1 / (1 - p) : 0));
};

const sdpaOp = defineOp({
  name: 'scaledDotProductAttention', kwargs: true, positional: 7,
  args: [tensor('query'), tensor('key'), tensor('value'), optTensor('attnMask'), num('dropoutP', 0), bool('isCausal', false), optNum('scale'), generatorArg('generator'), optBool('training')],
  composite: true,
  forward: ({ query, key, value, attnMask, dropoutP, isCausal, scale, generator, training }) =>
    attention(query, key, value, { attnMask, dropoutP, isCausal, scale: scale ?? undefined, generator, training }),
  cases: [
    { label: 'batched', torch: 'torch.softmax(x[0] @ x[1].transpose(-2, -1) / 2, -1) @ x[2]', shapes: [[2, 3, 4], [2, 5, 4], [2, 5, 3]], expect: (_R, q, k, v) => sdpaRef(q, k, v) },
    {
      label: 'isCausal scale 0.7 by keyword', torch: "torch.softmax((x[0] @ x[1].transpose(-2, -1) * 0.7).masked_fill(torch.ones(4, 4).triu(1).bool(), float('-inf')), -1) @ x[2]", shapes: [[1, 2, 4, 3], [1, 2, 4, 3], [1, 2, 4, 2]],
      call: (f, q, k, v) => (f as unknown as SdpaFn)(q, k, v, { isCausal: true, scale: 0.7 }), expect: (_R, q, k, v) => sdpaRef(q, k, v, { keep: (i, j) => j <= i, scale: 0.7 }),
    },
    {
      label: 'bool mask, positional', torch: "torch.softmax((x[0] @ x[1].transpose(-2, -1) / 2).masked_fill(~torch.tensor([[True, False], [True, True], [False, True]]), float('-inf')), -1) @ x[2]", shapes: [[3, 4], [2, 4], [2, 5]],
      call: (f, q, k, v) => f(q, k, v, boolMask(q)), expect: (_R, q, k, v) => sdpaRef(q, k, v, { keep: (i, j) => keepMask[i]![j]! }),
    },
    {
      label: 'float mask (differentiable)', torch: 'torch.softmax(x[0] @ x[1].transpose(-2, -1) / 2 + x[3], -1) @ x[2]', shapes: [[2, 3, 4], [2, 3, 4], [2, 3, 2], [3, 3]],
      call: (f, q, k, v, m) => (f as unknown as SdpaFn)(q, k, v, { attnMask: m }), expect: (_R, q, k, v, m) => sdpaRef(q, k, v, { add: m }),
    },
    {
      label: 'dropoutP 0.3, seeded', torch: `(torch.softmax(x[0] @ x[1].transpose(-2, -1) / 3 ** 0.5, -1) * torch.tensor([${dropFactors(9, 12, 0.3).join(', ')}], dtype=torch.float64).reshape(2, 2, 3)) @ x[2]`, shapes: [[2, 2, 3], [2, 3, 3], [2, 3, 2]],
      call: (f, q, k, v) => (f as unknown as SdpaFn)(q, k, v, { dropoutP: 0.3, generator: new Generator(9) }), expect: (_R, q, k, v) => sdpaRef(q, k, v, { drop: dropFactors(9, 12, 0.3) }),
    },
  ],
});
type SdpaFn = (query: Tensor, key: Tensor, value: Tensor, opts?: AttentionOptions) => Tensor;
export const scaledDotProductAttention: typeof sdpaOp & SdpaFn = sdpaOp as never;
