/** The few ops the engine itself needs (summing incoming gradients, seeding, copying). */
import { Tensor } from '../tensor.js';
import { add as addOp } from '../ops/elementwise.js';
import { hasNonFinite } from '../ops/util.js';
import { clone as cloneOp } from '../ops/movement.js';
import { filled } from '../creation.js';
import { add_ } from '../ops/inplace.js';
import type { DType } from '../dtype.js';

export const add = (a: Tensor, b: Tensor): Tensor => addOp(a, b);
export const addInPlace = (a: Tensor, b: Tensor): Tensor => add_(a, b);
export const clone = (a: Tensor): Tensor => cloneOp(a);
/** zeros of shape and dtype on like's backend (a gradient lives where its tensor lives) */
export const zeros = (shape: readonly number[], dtype: DType, like: Tensor): Tensor => filled(like.backend, shape, 0, dtype);
export { hasNonFinite };
