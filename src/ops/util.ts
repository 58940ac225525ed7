/** Helpers every op file shares: scalar lifting, broadcast views, and summing a gradient back to a shape. */
import { capabilitiesOf, type Backend, type View } from '../backends/backend.js';
import { isFloat, promote, promoteScalar, type DType } from '../dtype.js';
import { noGrad } from '../autograd/gradMode.js';
import { fmt, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

export type TensorLike = Tensor | number;

/** The backend both operands live on (mixing backends is an error, not a silent copy). */
export function backendOf(op: string, ...ts: (Tensor | null | undefined)[]): Backend {
  let b: Backend | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (b && t.backend !== b) throw new Error(`${op}: tensors live on different backends (${b.name} and ${t.backend.name}); copy one across: nb.tensor(await t.dataAsync(), { shape: t.shape, dtype: t.dtype }) while the other backend is current`);
    b = t.backend;
  }
  if (!b) throw new Error(`${op}: expected at least one tensor argument`);
  return b;
}

export function checkTensor(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** Result dtype of a binary op between tensor-or-number operands. */
export function resultDType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) {
    // PyTorch's rule: a 0-d tensor beside a dimensioned one counts only when it is of a higher category
    // (bool < integer < floating): f32[n] + f64[] is float32, i32[n] + f64[] float64, i32[n] + i32[] int32
    const za = a.ndim === 0, zb = b.ndim === 0;
    if (za !== zb) {
      const dim = za ? b.dtype : a.dtype, zero = za ? a.dtype : b.dtype;
      if (isFloat(dim)) return dim;
      return dim === 'bool' || isFloat(zero) ? promote(dim, zero) : dim;
    }
    return promote(a.dtype, b.dtype);
  }
  if (a instanceof Tensor) return promoteScalar(a.dtype, b as number);
  if (b instanceof Tensor) return promoteScalar(b.dtype, a as number);
  return 'float32';
}

/** A 0-d tensor holding a scalar, on the backend of `like`. */
export function scalar(value: number, dtype: DType, like: Tensor): Tensor {
  return Tensor.fromValues([value], [], dtype, like.backend);
}

export function lift(x: TensorLike, dtype: DType, like: Tensor): Tensor {
  if (x instanceof Tensor) return x.dtype === dtype ? x : x.to(dtype);
  return scalar(x, dtype, like);
}

/** View of t broadcast to `shape` (stride 0 along broadcast dims): no copy. */
export function broadcastView(t: Tensor, shape: Shape): View {
  const v = t.backendView();
  const r = shape.length, k = t.shape.length;
  const strides = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const j = i - (r - k);
    strides[i] = j < 0 || t.shape[j] === 1 ? 0 : t.strides[j]!;
  }
  return { ...v, shape, strides };
}

export function shapeError(op: string, what: string, ...shapes: Shape[]): Error {
  return new Error(`${op}: ${what} (got ${shapes.map(fmt).join(' and ')})`);
}

/** True when any element is NaN or ±Inf (for anomaly mode and tests): a host read, so it needs syncRead. */
export function hasNonFinite(x: Tensor): boolean {
  if (!isFloat(x.dtype)) return false;
  if (!capabilitiesOf(x.backend).syncRead) {
    throw new Error(`anomaly mode: checking ${x.describe()} for NaN/Inf reads it on the host, which the ${x.backend.name} backend cannot do synchronously; turn anomaly mode off on this backend`);
  }
  return noGrad(() => {
    const d = x.data();
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return true;
    return false;
  });
}

/**
 * A 0-d operand as the one-element [1] the kernels walk (gather/scatterAdd/softmax of 0-d tensors work on dim 0
 * or −1, as in PyTorch; the kernels read a view's shape, and a 0-d one has no dim to walk).
 */
export function rank1<V extends { shape: readonly number[]; strides: readonly number[] }>(v: V): V {
  return v.shape.length === 0 ? { ...v, shape: [1], strides: [1] } : v;
}
