/**
 * Element-wise kernels: one thread per output element, inputs read through their strides (0 along broadcast
 * dims), the output written contiguously. unary, binary, where, copy (with dtype conversion), assign (strided
 * destination), fill.
 */
import type { DType } from '../../dtype.js';
import type { BinaryOp, UnaryOp, View } from '../backend.js';
import { BINARY_INT_WGSL, BINARY_WGSL, MATH_WGSL, UNARY_DEFAULTS, UNARY_WGSL } from './mathWgsl.js';
import type { GpuBlock, Runtime } from './runtime.js';
import { binding, collapse, gpuDType, loadF, offsetsCode, Params, PRELUDE, pushView, storeF, WG, type GpuDType } from './wgsl.js';

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

interface MapInput {
  view: View<GpuBlock>;
  dtype: GpuDType;
}

/**
 * out[i] = expr(inputs at i) over the inputs' common shape. `mode` says how values are loaded and computed:
 * 'f32' (converted to f32), 'i32' (integers) or 'raw' (the 32-bit words unchanged, for moves and selects).
 * `exprVars` are WGSL lines defining `v` (f32/i32/u32 per mode) from a0, a1, ... and the parameters.
 */
export function mapKernel(rt: Runtime, kernel: string, inputs: readonly MapInput[], outDtype: GpuDType, mode: 'f32' | 'i32' | 'raw',
  body: string, extra: readonly number[] = [], out?: GpuBlock): GpuBlock {
  const shape = inputs[0]!.view.shape;
  const n = numel(shape);
  const o = out ?? rt.alloc(n, kernel);
  if (n === 0) return o;
  const c = collapse(shape, inputs.map((x) => x.view.strides));
  const p = new Params();
  const nAt = p.u(n);
  const shapeAt = p.us(c.shape);
  const viewAt = inputs.map((x, k) => pushView(p, x.view.offset, c.strides[k]!));
  const extraAt = p.at;
  for (const w of extra) p.u(w);
  const rank = c.shape.length;
  const load = (k: number, dt: GpuDType): string =>
    mode === 'raw' ? `X${k}[u32(o${k})]` : mode === 'i32' ? `bitcast<i32>(X${k}[u32(o${k})])` : loadF(`X${k}`, dt, `u32(o${k})`);
  const store = mode === 'raw' ? 'v' : mode === 'i32' ? 'bitcast<u32>(v)' : storeF(outDtype, 'v');
  const code = `${PRELUDE}${MATH_WGSL}
${inputs.map((_, k) => binding(k + 1, `X${k}`, 'read')).join('\n')}
${binding(inputs.length + 1, 'O', 'read_write')}
const EX: u32 = ${extraAt}u;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let i = flatGroup(w) * ${WG}u + l.x;
  if (i >= pu(${nAt}u)) { return; }
  ${offsetsCode('i', rank, shapeAt, viewAt)}
  ${inputs.map((x, k) => `let a${k} = ${load(k, x.dtype)};`).join('\n  ')}
  ${body}
  O[i] = ${store};
}`;
  rt.dispatch(kernel, code, p.words, [...inputs.map((x) => x.view.data), o], Math.ceil(n / WG));
  return o;
}

export function unary(rt: Runtime, op: UnaryOp, x: View<GpuBlock>, outDtype: DType, params: readonly number[] = []): GpuBlock {
  const xd = gpuDType(op, x.dtype), od = gpuDType(op, outDtype);
  const dflt = UNARY_DEFAULTS[op] ?? [0, 0];
  const p0 = params[0] ?? dflt[0], p1 = params[1] ?? dflt[1];
  const f = new Float32Array([p0, p1]);
  const words = Array.from(new Uint32Array(f.buffer));
  const body = `let p0 = pf(EX); let p1 = pf(EX + 1u); let x = a0; let v: f32 = ${UNARY_WGSL[op]};`;
  return mapKernel(rt, op, [{ view: x, dtype: xd }], od, 'f32', body, words);
}

export function binary(rt: Runtime, op: BinaryOp, a: View<GpuBlock>, b: View<GpuBlock>, outDtype: DType): GpuBlock {
  const ad = gpuDType(op, a.dtype), bd = gpuDType(op, b.dtype), od = gpuDType(op, outDtype);
  const intForm = BINARY_INT_WGSL[op];
  if (intForm && od === 'int32' && ad !== 'float32' && bd !== 'float32') {
    // bool words are 0/1, so they read as the same integers
    return mapKernel(rt, op, [{ view: a, dtype: ad }, { view: b, dtype: bd }], od, 'i32', `let a = a0; let b = a1; let v: i32 = ${intForm};`);
  }
  return mapKernel(rt, op, [{ view: a, dtype: ad }, { view: b, dtype: bd }], od, 'f32', `let a = a0; let b = a1; let v: f32 = ${BINARY_WGSL[op]};`);
}

export function where(rt: Runtime, c: View<GpuBlock>, a: View<GpuBlock>, b: View<GpuBlock>, outDtype: DType): GpuBlock {
  const cd = gpuDType('where', c.dtype), ad = gpuDType('where', a.dtype), bd = gpuDType('where', b.dtype), od = gpuDType('where', outDtype);
  const cond = cd === 'float32' ? 'bitcast<f32>(c0) != 0.0' : 'c0 != 0u';
  if (ad === od && bd === od) {
    return mapKernel(rt, 'where', [{ view: c, dtype: cd }, { view: a, dtype: ad }, { view: b, dtype: bd }], od, 'raw',
      `let c0 = a0; let v: u32 = select(a2, a1, ${cond});`);
  }
  return mapKernel(rt, 'where', [{ view: c, dtype: 'int32' }, { view: a, dtype: ad }, { view: b, dtype: bd }], od, 'f32',
    `let c0 = X0[u32(o0)]; let v: f32 = select(a2, a1, ${cond});`);
}

export function copy(rt: Runtime, x: View<GpuBlock>, outDtype: DType, kernel = 'copy'): GpuBlock {
  const xd = gpuDType(kernel, x.dtype), od = gpuDType(kernel, outDtype);
  if (xd === od || (xd === 'bool' && od === 'int32')) return mapKernel(rt, kernel, [{ view: x, dtype: xd }], od, 'raw', 'let v: u32 = a0;');
  return mapKernel(rt, kernel, [{ view: x, dtype: xd }], od, 'f32', 'let v: f32 = a0;');
}

/**
 * dst[...] = src[...] through dst's strides. A destination that overlaps the source (one block) is written
 * from a contiguous copy of the source, since a dispatch cannot read and write one buffer.
 */
export function assign(rt: Runtime, dst: View<GpuBlock>, src: View<GpuBlock>): void {
  const dd = gpuDType('assign', dst.dtype), sd = gpuDType('assign', src.dtype);
  let s = src;
  let tmp: GpuBlock | null = null;
  if (src.data.buffer === dst.data.buffer) {
    tmp = copy(rt, src, src.dtype, 'assign');
    s = { data: tmp, dtype: src.dtype, shape: src.shape, strides: contiguous(src.shape), offset: 0 };
  }
  scatterMap(rt, 'assign', dst, [{ view: s, dtype: sd }], dd === sd ? 'raw' : 'f32', dd === sd ? 'let v: u32 = a0;' : 'let v: f32 = a0;');
  if (tmp) rt.release(tmp);
}

/** dst[...] = value through dst's strides. */
export function fill(rt: Runtime, dst: View<GpuBlock>, value: number): void {
  const dd = gpuDType('fill', dst.dtype);
  const w = new Uint32Array(1);
  if (dd === 'float32') new Float32Array(w.buffer)[0] = value;
  else if (dd === 'int32') new Int32Array(w.buffer)[0] = value;
  else w[0] = value !== 0 && value === value ? 1 : 0;
  scatterMap(rt, 'fill', dst, [], 'raw', 'let v: u32 = pu(EX);', [w[0]!]);
}

/** Zero a whole block (fresh outputs of scatters). */
export function zero(rt: Runtime, b: GpuBlock, n: number, kernel: string): void {
  if (n === 0) return;
  scatterMap(rt, kernel, { data: b, dtype: 'int32', shape: [n], strides: [1], offset: 0 }, [], 'raw', 'let v: u32 = 0u;');
}

/** Like mapKernel, but the output is written through a strided view of an existing block. */
function scatterMap(rt: Runtime, kernel: string, dst: View<GpuBlock>, inputs: readonly MapInput[], mode: 'f32' | 'raw', body: string,
  extra: readonly number[] = []): void {
  const n = numel(dst.shape);
  if (n === 0) return;
  const od = gpuDType(kernel, dst.dtype);
  const c = collapse(dst.shape, [dst.strides, ...inputs.map((x) => x.view.strides)]);
  const p = new Params();
  const nAt = p.u(n);
  const shapeAt = p.us(c.shape);
  const dAt = pushView(p, dst.offset, c.strides[0]!);
  const viewAt = inputs.map((x, k) => pushView(p, x.view.offset, c.strides[k + 1]!));
  const extraAt = p.at;
  for (const w of extra) p.u(w);
  const load = (k: number, dt: GpuDType): string => (mode === 'raw' ? `X${k}[u32(o${k})]` : loadF(`X${k}`, dt, `u32(o${k})`));
  const code = `${PRELUDE}
${inputs.map((_, k) => binding(k + 1, `X${k}`, 'read')).join('\n')}
${binding(inputs.length + 1, 'O', 'read_write')}
const EX: u32 = ${extraAt}u;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let i = flatGroup(w) * ${WG}u + l.x;
  if (i >= pu(${nAt}u)) { return; }
  ${offsetsCode('i', c.shape.length, shapeAt, [dAt, ...viewAt], ['od', ...inputs.map((_, k) => `o${k}`)])}
  ${inputs.map((x, k) => `let a${k} = ${load(k, x.dtype)};`).join('\n  ')}
  ${body}
  O[u32(od)] = ${mode === 'raw' ? 'v' : storeF(od, 'v')};
}`;
  rt.dispatch(kernel, code, p.words, [...inputs.map((x) => x.view.data), dst.data], Math.ceil(n / WG));
}

export function contiguous(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]!; }
  return st;
}
