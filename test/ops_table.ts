/**
 * The op case table: one row per differentiable core op (and its interesting variants). The same rows
 * drive forward-vs-reference, gradcheck, gradgradcheck and the non-contiguous checks in
 * ops_gradcheck.test.ts. Adding an op means adding its row here.
 *
 * Inputs are sampled from `domain` (one per input, or one for all) so that no sample sits on a
 * nondifferentiable point (|x| near 0 for abs/relu, the bounds of clamp, ties for max, ...).
 * `ref` is an independent float64 JS implementation over flat row-major arrays.
 */
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// a tiny float64 reference "array" and the helpers the refs are written with

export type { Arr } from '../src/ops/define.js';
import type { Arr } from '../src/ops/define.js';

export type { Domain } from '../src/ops/define.js';
import type { Domain } from '../src/ops/define.js';

export interface OpCase {
  name: string;
  /** the op under test; cases with several outputs (split, chunk) return an array */
  fn: (...xs: Tensor[]) => Tensor | Tensor[];
  /** one shape per differentiable (float64) input */
  shapes: number[][];
  twiceDifferentiable: boolean;
  /** input sampling domain: one for all inputs or one per input (default 'real') */
  domain?: Domain | Domain[];
  /** float64 reference of the forward (multi-output cases: of the outputs concatenated flat) */
  ref?: (...xs: Arr[]) => Arr | Arr[];
  /** skip the non-contiguous variants (view() requires contiguous input by definition) */
  contiguousOnly?: true;
  /** the op is not defined on stride-0 (expanded) inputs with repeated values in the sense tested */
  noExpanded?: true;
  /** the op has no gradient (comparisons, logic): only its forward is checked */
  differentiable?: false;
  /** gradcheck is skipped (a forward that rounds to float32) */
  gradcheck?: false;
  /** float32 closeness to the float64 result */
  f32?: { atol: number; rtol: number };
  /** fixed input values (an edge point: ties, zeros, −∞ rows) instead of sampled ones */
  values?: number[][];
  /** the gradient of Σ w·output (w = 1, 2, 3, …) at `values`: PyTorch's subgradient, checked instead of gradcheck */
  gradWant?: number[][];
  /** the same computation in PyTorch on the inputs `x` (see CaseSpec.torch); rows without one map in systest/torch_ops */
  torch?: string;
}

export { stridesOf, numelOf, R } from './op_refs.js';
import { R } from './op_refs.js';

// ---------------------------------------------------------------------------------------------
// fixed integer inputs (indices and masks) that the cases close over

const i32 = (data: number[][] | number[]) => nb.tensor(data, { dtype: 'int32' });
const gatherIdx1 = [[0, 3], [2, 2], [1, 0]]; // [3,2] into [3,4] along dim 1 (a repeat: gradients add)
const gatherIdx0 = [[2, 0, 1, 1], [0, 0, 2, 1]]; // [2,4] into [3,4] along dim 0
const scatterIdx = [[0, 0], [3, 1], [2, 3]]; // [3,2] into [3,4] along dim 1 (a collision in row 0)
const arr = (data: number[][]): Arr => ({ shape: [data.length, data[0]!.length], data: data.flat() });

const e = R.un, b = R.bin;

// ---------------------------------------------------------------------------------------------
// the table

/** The hand-written rows of the families not yet declared as op records; op_records.ts derives the others. */
export const handCases: OpCase[] = [
  // ---- index (a composition of select/slice/unsqueeze)
  { name: 'index [0, :, 1:3]', fn: (x) => x.index([0, null, '1:3']), shapes: [[2, 3, 4]], twiceDifferentiable: true, ref: (x) => R.reshape([3, 2])(R.slice(2, 1, 2)(R.slice(0, 0, 1)(x))), torch: 'x[0][0, :, 1:3]' },
  { name: 'index [..., ::2] with newaxis', fn: (x) => nb.index(x, ['newaxis', '...', '0:4:2']), shapes: [[2, 4]], twiceDifferentiable: true, ref: (x) => R.reshape([1, 2, 2])(R.slice(1, 0, 2, 2)(x)), torch: 'x[0][None, ..., 0:4:2]' },

  // ---- compositions that exercise the engine (shared subexpressions, chains)
  { name: 'composite tanh(x·y + sin x)', fn: (x, y) => x.mul(y).add(x.sin()).tanh(), shapes: [[3, 4], [4]], twiceDifferentiable: true, ref: (x, y) => e(Math.tanh)(b((p, q) => p + q)(b((p, q) => p * q)(x, y), e(Math.sin)(x))), torch: 'torch.tanh(x[0] * x[1] + torch.sin(x[0]))' },
];

import { recordCases } from './op_records.js';
/** every row: the records' cases first, then the hand-written ones */
export const opCases: OpCase[] = [...recordCases, ...handCases];
