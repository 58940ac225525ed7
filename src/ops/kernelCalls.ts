/** Kernel calls without autograd: the forward of the element-wise records (the result takes the given dtype). */
import type { BinaryOp, UnaryOp } from '../backends/backend.js';
import type { DType } from '../dtype.js';
import { broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, broadcastView } from './util.js';

/** y = op(x) element-wise on x's backend */
export function unaryRaw(op: UnaryOp, x: Tensor, outDtype: DType, params?: readonly number[]): Tensor {
  const b = x.backend;
  return Tensor.fromData(b, b.unary(op, x.backendView(), outDtype, params), x.shape, outDtype);
}

export function binaryRaw(name: string, op: BinaryOp, a: Tensor, b: Tensor, outDtype: DType): Tensor {
  const be = backendOf(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  return Tensor.fromData(be, be.binary(op, broadcastView(a, shape), broadcastView(b, shape), outDtype), shape, outDtype);
}
