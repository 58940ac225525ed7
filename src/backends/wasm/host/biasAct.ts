/**
 * Backend.biasAct: float32 bias + activation in one SIMD pass where it can. gelu, geluTanh, silu, sigmoid and
 * tanh with a row length that is a multiple of 4 run ub_<act> (z = x + b, y = act(z), z stored too when
 * backward needs it), rows split across threads; relu and none run bias_<act>_f32; the other activations take
 * z = x + b from bias_none_f32 and then the SIMD unary over z (two passes). Other dtypes and layouts run the
 * reference kernel.
 */
import type { DType } from '../../../dtype.js';
import type { BiasActivation, UnaryOp, View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { BIASED_UNARY, biasUnaryJob } from '../kernels/unary.js';
import { addr, arrOf, av, contiguous, f32, out, type WasmRuntime } from './runtime.js';

/** the backend's own unary and copy, for the cases that are one of those */
export interface BiasActHost {
  unary(op: UnaryOp, x: View<WasmBlock>, dt: DType): WasmBlock;
  copy(x: View<WasmBlock>, dt: DType): WasmBlock;
}

/** o = act(x + bias) over contiguous float32 x [rows, N] and contiguous bias [N]; act 'none' or 'relu' */
function biasNoneOrRelu(rt: WasmRuntime, x: View<WasmBlock>, bias: View<WasmBlock>, relu: boolean, o: WasmBlock): boolean {
  if (x.dtype !== 'float32' || bias.dtype !== 'float32' || !contiguous(x) || !contiguous(bias) || x.shape.length === 0) return false;
  const N = x.shape[x.shape.length - 1]!;
  const n = K.numel(x.shape);
  if (n === 0 || bias.shape.length !== 1 || bias.shape[0] !== N) return false;
  rt.ex[relu ? 'bias_relu_f32' : 'bias_none_f32']!(addr(x), addr(bias), o.ptr, n / N, N);
  return true;
}

export function biasAct(rt: WasmRuntime, host: BiasActHost, x: View<WasmBlock>, bias: View<WasmBlock> | null, act: BiasActivation, dt: DType,
  keepPre: boolean): { y: WasmBlock; z: WasmBlock | null } {
  const n = K.numel(x.shape);
  const N = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
  const pre = keepPre && K.biasActNeedsPre(act);
  if (f32(x.dtype, dt) && n > 0 && contiguous(x) && (!bias || (bias.dtype === 'float32' && contiguous(bias)))) {
    if (!bias) {
      if (act === 'none') return { y: host.copy(x, dt), z: null };
      return { y: host.unary(act, x, dt), z: pre ? host.copy(x, dt) : null };
    }
    const relu = act === 'relu';
    const bi = (BIASED_UNARY as readonly string[]).indexOf(act);
    if (bi >= 0 && N % 4 === 0 && bias.shape.length === 1 && bias.shape[0] === N) {
      const y = out(rt, dt, n), z = pre ? out(rt, dt, n) : null;
      rt.run(biasUnaryJob, { act: bi, src: addr(x), bias: addr(bias), dst: y.ptr, zdst: z ? z.ptr : 0, rows: n / N, N });
      return { y, z };
    }
    const o = out(rt, dt, n);
    if (biasNoneOrRelu(rt, x, bias, relu, o)) {
      if (relu || act === 'none') return { y: o, z: null };
      const y = host.unary(act, { data: o, dtype: dt, shape: x.shape, strides: K.contiguousStrides(x.shape), offset: 0 }, dt);
      if (pre) return { y, z: o };
      rt.release(o);
      return { y, z: null };
    }
    rt.release(o);
  }
  const y = out(rt, dt, n), z = pre ? out(rt, dt, n) : null;
  K.biasAct(arrOf(rt, y, dt), z ? arrOf(rt, z, dt) : null, av(rt, x), bias ? av(rt, bias) : null, act, N);
  return { y, z };
}
