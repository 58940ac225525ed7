/**
 * nn.utils: gradient clipping (in place, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_) and
 * parametersToVector / vectorToParameters (torch.nn.utils.parameters_to_vector / vector_to_parameters).
 */
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd/gradMode.js';
import { abs, mul, pow } from '../ops/elementwise.js';
import { amax, sum } from '../ops/reduce.js';
import { clamp_, copy_, mul_ } from '../ops/inplace.js';
import { cat, narrow, reshape } from '../ops/movement.js';
import { checkArity, describeValue } from '../strict.js';

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

function paramList(fn: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  if (parameters === null || typeof parameters !== 'object' || typeof (parameters as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${fn}: parameters must be a Tensor or an iterable of Tensors (e.g. model.parameters()), got ${describeValue(parameters)}`);
  }
  const list = [...parameters];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${fn}: parameters[${i}] must be a Tensor, got ${describeValue(p)}`);
  });
  return list;
}

/** One 1-D tensor: every parameter flattened and concatenated in order (differentiable, as torch's cat of views). */
export function parametersToVector(parameters: Tensor | Iterable<Tensor>): Tensor {
  checkArity('parametersToVector', arguments, 1, '(parameters)');
  const list = paramList('parametersToVector', parameters);
  if (list.length === 0) throw new Error('parametersToVector: parameters is empty');
  return cat(list.map((p) => reshape(p, [-1])), 0);
}

/** Copy consecutive slices of the 1-D `vec` into the parameters, in order, in place; vec must hold exactly their total size. */
export function vectorToParameters(vec: Tensor, parameters: Tensor | Iterable<Tensor>): void {
  checkArity('vectorToParameters', arguments, 2, '(vec, parameters)');
  if (!(vec instanceof Tensor)) throw new TypeError(`vectorToParameters: expected vec to be a Tensor, got ${describeValue(vec)}`);
  if (vec.ndim !== 1) throw new Error(`vectorToParameters: vec must be 1-D, got shape [${vec.shape.join(', ')}]`);
  const list = paramList('vectorToParameters', parameters);
  const total = list.reduce((n, p) => n + p.numel(), 0);
  if (vec.shape[0] !== total) throw new Error(`vectorToParameters: vec has ${vec.shape[0]} elements, the parameters hold ${total}`);
  noGrad(() => {
    let at = 0;
    for (const p of list) {
      copy_(p, reshape(narrow(vec, 0, at, p.numel()), p.shape));
      at += p.numel();
    }
  });
}
