/**
 * Automatic mixed precision (torch.autocast): inside `autocast({ dtype: 'bfloat16' }, fn)`, ops that gain from a
 * low-precision dtype take their float32 inputs cast to it, and ops that need range or precision take theirs in
 * float32; everything else runs in the dtype its inputs promote to. The lists follow PyTorch's autocast:
 *   low precision: matmul, mm, bmm, linear, conv1d, conv2d, scaledDotProductAttention
 *     (the kernels read the 16-bit operands and accumulate in float32; the output is 16-bit)
 *   float32: softmax, logSoftmax, logsumexp, layerNorm, rmsNorm, and the losses (crossEntropy, nllLoss,
 *     mseLoss, l1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits)
 * Reductions such as sum and mean are not cast (PyTorch's CPU list leaves them out): on 16-bit inputs they
 * accumulate in float32 anyway and round the result once. batchNorm is left out too (its running statistics
 * are float32 buffers updated in place).
 * The casts are ordinary differentiable ops, so gradients reach the float32 parameters in float32: the
 * optimizer keeps float32 master weights. A parameter's cast is computed once per autocast region and reused.
 * Only float32 tensors are cast to the low dtype (float64 stays float64, as in PyTorch).
 */
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';

export interface AutocastOptions {
  /** the low-precision dtype (default 'bfloat16') */
  dtype?: 'bfloat16' | 'float16';
  /** false: run fn unchanged (default true) */
  enabled?: boolean;
}

interface Region { dtype: DType; cache: Map<Tensor, Tensor> }
let region: Region | null = null;

/** Run fn with autocast on (nested calls override the dtype, or switch it off with enabled: false). */
export function autocast<T>(opts: AutocastOptions, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('autocast: expected (options, fn)');
  const dtype = opts.dtype ?? 'bfloat16';
  if (dtype !== 'bfloat16' && dtype !== 'float16') throw new Error(`autocast: dtype must be 'bfloat16' or 'float16', got ${JSON.stringify(dtype)}`);
  const prev = region;
  region = opts.enabled === false ? null : { dtype, cache: new Map() };
  try {
    return fn();
  } finally {
    region = prev;
  }
}

export function isAutocastEnabled(): boolean {
  return region !== null;
}

export function autocastDtype(): DType | null {
  return region?.dtype ?? null;
}

function toLow(t: Tensor, r: Region): Tensor {
  if (t.dtype !== 'float32') return t;
  // parameters (leaves that require grad) are cast once per region, as PyTorch's weight cache does
  if (t.isLeaf && t.requiresGrad) {
    let c = r.cache.get(t);
    if (!c) r.cache.set(t, (c = t.to(r.dtype)));
    return c;
  }
  return t.to(r.dtype);
}

/** Inputs of a low-precision op: float32 tensors cast to the autocast dtype (unchanged outside autocast). */
export function autocastLow<T extends readonly (Tensor | null | undefined)[]>(...ts: T): T {
  const r = region;
  if (r === null) return ts;
  return ts.map((t) => (t instanceof Tensor ? toLow(t, r) : t)) as unknown as T;
}

/** Inputs of a float32 op: 16-bit float tensors cast to float32 (unchanged outside autocast). */
export function autocastF32<T extends readonly (Tensor | null | undefined)[]>(...ts: T): T {
  if (region === null) return ts;
  return ts.map((t) => (t instanceof Tensor && (t.dtype === 'bfloat16' || t.dtype === 'float16') ? t.to('float32') : t)) as unknown as T;
}
