/** nn.utils: gradient clipping (in place, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_). */
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/gradMode.js';
import { abs, mul, pow } from '../ops/elementwise.js';
import { amax, sum } from '../ops/reduce.js';
import { clamp_, mul_ } from '../ops/inplace.js';

function gradsOf(params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const out: Tensor[] = [];
  for (const p of list) if (p.grad) out.push(p.grad);
  return out;
}

/** The p-norm of all gradients taken together (as if concatenated into one vector). */
export function gradNorm(params: Tensor | Iterable<Tensor>, normType = 2): number {
  return normOf(gradsOf(params), normType);
}

function normOf(grads: Tensor[], normType: number): number {
  if (grads.length === 0) return 0;
  return noGrad(() => {
    if (normType === Infinity) {
      let m = 0;
      for (const g of grads) m = Math.max(m, amax(abs(g)).item());
      return m;
    }
    if (!(normType > 0)) throw new Error(`clipGradNorm_: normType must be positive or Infinity, got ${normType}`);
    let acc = 0;
    for (const g of grads) {
      acc += normType === 2 ? sum(mul(g, g)).item() : normType === 1 ? sum(abs(g)).item() : sum(pow(abs(g), normType)).item();
    }
    return Math.pow(acc, 1 / normType);
  });
}

export interface ClipGradNormOptions {
  /** throw when the total norm is NaN or ±Infinity (default false, as PyTorch) */
  errorIfNonfinite?: boolean;
}

/**
 * Scale all gradients in place so that their joint p-norm is at most maxNorm: each grad is multiplied by
 * maxNorm / (total + 1e-6) when that is below 1. Returns the total norm before clipping (a number).
 */
export function clipGradNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, opts: ClipGradNormOptions = {}): number {
  const grads = gradsOf(params);
  const total = normOf(grads, normType);
  if (opts.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(`clipGradNorm_: the total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) noGrad(() => { for (const g of grads) mul_(g, coef); });
  return total;
}

/** Clamp every gradient element into [−clipValue, clipValue], in place. */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const c = Math.abs(clipValue);
  noGrad(() => { for (const g of gradsOf(params)) clamp_(g, -c, c); });
}
