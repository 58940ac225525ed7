/**
 * WGSL code generation shared by the kernels: parameter words, dtype loads and stores (every dtype is one
 * 32-bit word per element: f32 bits, i32 bits, or 0/1 for bool), strided index arithmetic unrolled for the
 * rank at hand, and the grid flattening that lifts the 65,535-workgroups-per-dimension limit.
 *
 * A kernel's shader text depends on its dtypes and ranks only (its "shape class"); sizes, strides and
 * offsets travel in the parameter words, so one compiled pipeline serves every shape of that class.
 */
import type { DType } from '../../dtype.js';

/** dtypes the GPU stores */
export type GpuDType = 'float32' | 'int32' | 'bool';

export function gpuDType(kernel: string, d: DType): GpuDType {
  if (d === 'float64') {
    throw new TypeError(`webgpu ${kernel}: float64 is not supported on the GPU (WGSL has no f64); cast to float32 or use the wasm/ts backend (see backendCapabilities().dtypes)`);
  }
  if (d === 'bfloat16' || d === 'float16') throw halfUnsupported(kernel, d);
  return d;
}

/**
 * The error for 16-bit floats: the backend has no 16-bit storage or kernels (WGSL's f16 needs the adapter
 * feature shader-f16, which SwiftShader, the only adapter this backend was tested on, does not report).
 */
export function halfUnsupported(kernel: string, d: DType): TypeError {
  return new TypeError(`webgpu ${kernel}: ${d} tensors are not supported on the webgpu backend (it stores float32, int32 and bool only; ` +
    `backendCapabilities().dtypes lists them), so .to('${d}') and nb.autocast({ dtype: '${d}' }) need the wasm or ts backend; train in float32 on webgpu`);
}

/** Parameter words of one dispatch; positions are known when the shader is generated. */
export class Params {
  readonly words: number[] = [];
  /** word index in P of the next value (words 0..2 are the runtime's) */
  get at(): number {
    return this.words.length + 3;
  }
  u(v: number): number {
    const at = this.at;
    this.words.push(v >>> 0);
    return at;
  }
  i(v: number): number {
    const at = this.at;
    this.words.push(v | 0);
    return at;
  }
  f(v: number): number {
    const at = this.at;
    F32[0] = v;
    this.words.push(U32[0]!);
    return at;
  }
  /** several values, returns the first position */
  us(vs: readonly number[]): number {
    const at = this.at;
    for (const v of vs) this.u(v);
    return at;
  }
  is(vs: readonly number[]): number {
    const at = this.at;
    for (const v of vs) this.i(v);
    return at;
  }
}
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The shader prelude: P (parameters) and helpers. */
export const PRELUDE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> P: array<u32>;
fn pu(k: u32) -> u32 { return P[k]; }
fn pi(k: u32) -> i32 { return bitcast<i32>(P[k]); }
fn pf(k: u32) -> f32 { return bitcast<f32>(P[k]); }
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nanf() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inff() -> f32 { return bitcast<f32>(INF_BITS); }
fn isnanf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn flatGroup(w: vec3<u32>) -> u32 { return w.y * P[0] + w.x; }
`;

/** A storage binding declaration: binding 0 is P, data start at 1. */
export function binding(index: number, name: string, access: 'read' | 'read_write' | 'atomic'): string {
  if (access === 'atomic') return `@group(0) @binding(${index}) var<storage, read_write> ${name}: array<atomic<u32>>;`;
  return `@group(0) @binding(${index}) var<storage, ${access}> ${name}: array<u32>;`;
}

/** WGSL expression: element `idx` (u32 expression) of array `arr` of dtype `d`, as f32 */
export function loadF(arr: string, d: GpuDType, idx: string): string {
  if (d === 'float32') return `bitcast<f32>(${arr}[${idx}])`;
  if (d === 'int32') return `f32(bitcast<i32>(${arr}[${idx}]))`;
  return `f32(${arr}[${idx}])`;
}

/** WGSL expression: the word storing f32 value `v` in dtype `d` (int: truncated toward zero; bool: v ≠ 0 and not NaN) */
export function storeF(d: GpuDType, v: string): string {
  if (d === 'float32') return `bitcast<u32>(${v})`;
  if (d === 'int32') return `bitcast<u32>(i32(${v}))`;
  return `select(0u, 1u, (${v}) != 0.0 && !isnanf(${v}))`;
}

/**
 * Drop size-1 dims and merge neighbours that every view walks contiguously, so the shader's rank is as small
 * as the layout allows. Returns at least one dim.
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const sh: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const k = sh.length - 1;
    if (k >= 0 && strides.every((s, v) => st[v]![k] === s[d]! * shape[d]!)) {
      sh[k]! *= shape[d]!;
      strides.forEach((s, v) => { st[v]![k] = s[d]!; });
      continue;
    }
    sh.push(shape[d]!);
    strides.forEach((s, v) => st[v]!.push(s[d]!));
  }
  if (sh.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: sh, strides: st };
}

/**
 * WGSL statements computing, for flat row-major index `i` over a shape at P[shapeAt..], the element offsets
 * `o<k>` of views whose offset and strides sit at P[viewAt[k]..] (offset first). Unrolled for `rank`.
 */
export function offsetsCode(i: string, rank: number, shapeAt: number, viewAt: readonly number[], names?: readonly string[]): string {
  const nm = (k: number): string => names?.[k] ?? `o${k}`;
  let s = `var rem_: u32 = ${i};\n`;
  viewAt.forEach((at, k) => { s += `var ${nm(k)}: i32 = pi(${at}u);\n`; });
  for (let d = rank - 1; d >= 0; d--) {
    s += `{ let n_ = pu(${shapeAt + d}u); let q_ = i32(rem_ % n_); rem_ = rem_ / n_;`;
    viewAt.forEach((at, k) => { s += ` ${nm(k)} += q_ * pi(${at + 1 + d}u);`; });
    s += ' }\n';
  }
  return s;
}

/** Encode a view's offset and strides, returning the position. */
export function pushView(p: Params, offset: number, strides: readonly number[]): number {
  const at = p.i(offset);
  p.is(strides);
  return at;
}

export const WG = 64;
