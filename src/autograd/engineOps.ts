/** The few ops the engine itself needs (summing incoming gradients, seeding, copying). */
import { Tensor } from '../tensor.js';
import { add as addOp } from '../ops/elementwise.js';
import { hasNonFinite } from '../ops/util.js';
import { clone as cloneOp } from '../ops/movement.js';
import { full } from '../creation.js';
import { add_ } from '../ops/inplace.js';
import type { DType } from '../dtype.js';

export const add = (a: Tensor, b: Tensor): Tensor => addOp(a, b);
export const addInPlace = (a: Tensor, b: Tensor): Tensor => add_(a, b);
export const clone = (a: Tensor): Tensor => cloneOp(a);
export const zeros = (shape: readonly number[], dtype: DType, _like: Tensor): Tensor => full(shape, 0, { dtype });
export { hasNonFinite };
