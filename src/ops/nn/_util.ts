/** Helpers shared by the nn op families: reductions by name, option parsing, validation. */
import { capabilitiesOf } from '../../backends/backend.js';
import { isFloat } from '../../dtype.js';
import { fmt } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { cast } from '../elementwise.js';
import { mean, sum } from '../reduce.js';
import type { ArgSpec } from '../args.js';

export type Reduction = 'mean' | 'sum' | 'none';

/** The `reduction` option of a loss record: 'mean' (default), 'sum' or 'none'. */
export function reductionArg(): ArgSpec<Reduction | undefined, Reduction, 'reduction', true> {
  return { name: 'reduction', optional: true, check: checkReduction };
}

export function checkReduction(op: string, r: unknown): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`);
  return r;
}

/** Apply a loss reduction to an element-wise loss. */
export function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? sum(loss) : mean(loss);
}

export function checkTensorArg(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** A float input (ints and bools compute in float32, as elementwise ops do). */
export function floatInput(op: string, name: string, x: unknown): Tensor {
  checkTensorArg(op, name, x);
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

export function checkFloat(op: string, name: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new TypeError(`${op}: ${name} ${x.describe()} must be a floating point tensor (float32 or float64), got ${x.dtype}`);
}

export function checkInt(op: string, name: string, x: Tensor): void {
  if (x.dtype !== 'int32') throw new TypeError(`${op}: ${name} ${x.describe()} must be an int32 tensor of indices, got ${x.dtype}`);
}

export function checkSameShape(op: string, aName: string, a: Tensor, bName: string, b: Tensor): void {
  if (a.ndim !== b.ndim || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new Error(`${op}: ${bName} ${fmt(b.shape)} does not match ${aName} ${fmt(a.shape)}: expected the same shape ${fmt(a.shape)}`);
  }
}

/** A number or a pair of positive (or non-negative) integers. */
export function pair(op: string, name: string, v: number | readonly number[] | undefined, dflt: number, min: number): [number, number] {
  const raw = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v.slice();
  if (raw.length === 1) raw.push(raw[0]!);
  if (raw.length !== 2 || raw.some((x) => !Number.isInteger(x) || x < min)) {
    throw new Error(`${op}: ${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [raw[0]!, raw[1]!];
}

/**
 * Scan an int32 tensor for values outside [0, n) other than `ignore`. A host read, so it runs only on backends
 * that read synchronously (capabilities.syncRead); elsewhere (webgpu) the kernels read 0 for out-of-range
 * indices and scatters skip them, and validating indices is the caller's job (as with PyTorch on CUDA).
 */
export function checkIndexRange(op: string, what: string, idx: Tensor, n: number, ignore?: number): void {
  if (!capabilitiesOf(idx.backend).syncRead) return;
  const d = idx.data();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v === ignore) continue;
    if (v < 0 || v >= n) throw new RangeError(`${op}: ${what} value ${v} is out of bounds: expected values in [0, ${n})${ignore !== undefined ? ` or ${ignore} (ignoreIndex)` : ''}`);
  }
}
