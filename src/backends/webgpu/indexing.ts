/**
 * Gather-like kernels (one thread per output element: gather, indexSelect, unfold, fold) and scatter-like ones
 * (one thread per source element, adding into a zeroed output with atomics: scatterAdd, indexAdd).
 *
 * Index values: negative ones count from the end (v + n); values still outside [0, n) read 0 and are skipped
 * by the scatters — the GPU cannot raise an error, and the ops check ranges on the host only where the backend
 * reads synchronously (see the contract in backend.ts).
 *
 * Float scatters add with a compare-and-swap loop on the word's bits (WGSL has integer atomics only), so the
 * order of additions into one element — and its last bits — can differ between runs.
 */
import type { DType } from '../../dtype.js';
import type { UnfoldParams, View } from '../backend.js';
import { contiguous, numel, zero } from './elementwise.js';
import type { GpuBlock, Runtime } from './runtime.js';
import { binding, collapse, gpuDType, loadF, offsetsCode, Params, PRELUDE, pushView, storeF, WG, type GpuDType } from './wgsl.js';

const ATOMIC_ADD = (d: GpuDType): string => d === 'float32'
  ? `fn addAt(i: u32, v: u32) {
  var old = atomicLoad(&O[i]);
  loop {
    let r = atomicCompareExchangeWeak(&O[i], old, bitcast<u32>(bitcast<f32>(old) + bitcast<f32>(v)));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}`
  : 'fn addAt(i: u32, v: u32) { atomicAdd(&O[i], v); }';

const IDX = (n: string): string => `fn fixIdx(v: i32, n: i32) -> i32 { let w = select(v, v + n, v < 0); return select(-1, w, w >= 0 && w < n); }\nconst NN: u32 = ${n};`;

function head(nInputs: number, outAtomic: boolean): string {
  const ins = Array.from({ length: nInputs }, (_, k) => binding(k + 1, `X${k}`, 'read')).join('\n');
  return `${PRELUDE}\n${ins}\n${binding(nInputs + 1, 'O', outAtomic ? 'atomic' : 'read_write')}`;
}

function threadIndex(nAt: number): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let i = flatGroup(w) * ${WG}u + l.x;
  if (i >= pu(${nAt}u)) { return; }`;
}

/** strides with the axis entry replaced */
const withAxis = (st: readonly number[], axis: number, v: number): number[] => st.map((s, d) => (d === axis ? v : s));

export function gather(rt: Runtime, x: View<GpuBlock>, axis: number, index: View<GpuBlock>): GpuBlock {
  gpuDType('gather', x.dtype);
  const n = numel(index.shape);
  const o = rt.alloc(n, 'gather');
  if (n === 0) return o;
  const c = collapse(index.shape, [index.strides, withAxis(x.strides, axis, 0)]);
  const p = new Params();
  const nAt = p.u(n), shapeAt = p.us(c.shape);
  const iv = pushView(p, index.offset, c.strides[0]!), xv = pushView(p, x.offset, c.strides[1]!);
  const lenAt = p.i(x.shape[axis]!), sAt = p.i(x.strides[axis]!);
  const code = `${head(2, false)}
${IDX('0u')}
${threadIndex(nAt)}
  ${offsetsCode('i', c.shape.length, shapeAt, [iv, xv])}
  let t = fixIdx(bitcast<i32>(X0[u32(o0)]), pi(${lenAt}u));
  if (t < 0) { O[i] = 0u; return; }
  O[i] = X1[u32(o1 + t * pi(${sAt}u))];
}`;
  rt.dispatch('gather', code, p.words, [index.data, x.data, o], Math.ceil(n / WG));
  return o;
}

export function indexSelect(rt: Runtime, x: View<GpuBlock>, axis: number, index: View<GpuBlock>): GpuBlock {
  gpuDType('indexSelect', x.dtype);
  const outShape = x.shape.slice();
  outShape[axis] = numel(index.shape);
  const n = numel(outShape);
  const o = rt.alloc(n, 'indexSelect');
  if (n === 0) return o;
  // views over the output's coordinates: x without its axis, and j (the position along the axis)
  const c = collapse(outShape, [withAxis(x.strides, axis, 0), outShape.map((_, d) => (d === axis ? 1 : 0))]);
  const p = new Params();
  const nAt = p.u(n), shapeAt = p.us(c.shape);
  const xv = pushView(p, x.offset, c.strides[0]!), jv = pushView(p, 0, c.strides[1]!);
  const lenAt = p.i(x.shape[axis]!), sAt = p.i(x.strides[axis]!);
  const ixAt = p.i(index.offset), ixs = p.i(index.strides[0] ?? 0);
  const code = `${head(2, false)}
${IDX('0u')}
${threadIndex(nAt)}
  ${offsetsCode('i', c.shape.length, shapeAt, [xv, jv])}
  let t = fixIdx(bitcast<i32>(X0[u32(pi(${ixAt}u) + o1 * pi(${ixs}u))]), pi(${lenAt}u));
  if (t < 0) { O[i] = 0u; return; }
  O[i] = X1[u32(o0 + t * pi(${sAt}u))];
}`;
  rt.dispatch('indexSelect', code, p.words, [index.data, x.data, o], Math.ceil(n / WG));
  return o;
}

export function scatterAdd(rt: Runtime, shape: readonly number[], dtype: DType, axis: number, index: View<GpuBlock>, src: View<GpuBlock>): GpuBlock {
  const od = gpuDType('scatterAdd', dtype), sd = gpuDType('scatterAdd', src.dtype);
  const total = numel(shape);
  const o = rt.alloc(total, 'scatterAdd');
  zero(rt, o, total, 'scatterAdd');
  const n = numel(index.shape);
  if (n === 0 || total === 0) return o;
  const cst = contiguous(shape);
  const c = collapse(index.shape, [index.strides, src.strides.slice(0, index.shape.length), withAxis(cst, axis, 0)]);
  const p = new Params();
  const nAt = p.u(n), shapeAt = p.us(c.shape);
  const iv = pushView(p, index.offset, c.strides[0]!), sv = pushView(p, src.offset, c.strides[1]!), ov = pushView(p, 0, c.strides[2]!);
  const lenAt = p.i(shape[axis]!), sAt = p.i(cst[axis]!);
  const code = `${head(2, true)}
${IDX('0u')}
${ATOMIC_ADD(od)}
${threadIndex(nAt)}
  ${offsetsCode('i', c.shape.length, shapeAt, [iv, sv, ov])}
  let t = fixIdx(bitcast<i32>(X0[u32(o0)]), pi(${lenAt}u));
  if (t < 0) { return; }
  let v = ${loadF('X1', sd, 'u32(o1)')};
  addAt(u32(o2 + t * pi(${sAt}u)), ${storeF(od, 'v')});
}`;
  rt.dispatch('scatterAdd', code, p.words, [index.data, src.data, o], Math.ceil(n / WG));
  return o;
}

export function indexAdd(rt: Runtime, shape: readonly number[], dtype: DType, axis: number, index: View<GpuBlock>, src: View<GpuBlock>): GpuBlock {
  const od = gpuDType('indexAdd', dtype), sd = gpuDType('indexAdd', src.dtype);
  const total = numel(shape);
  const o = rt.alloc(total, 'indexAdd');
  zero(rt, o, total, 'indexAdd');
  const n = numel(src.shape);
  if (n === 0 || total === 0) return o;
  const cst = contiguous(shape);
  const c = collapse(src.shape, [src.strides, withAxis(cst, axis, 0), src.shape.map((_, d) => (d === axis ? 1 : 0))]);
  const p = new Params();
  const nAt = p.u(n), shapeAt = p.us(c.shape);
  const sv = pushView(p, src.offset, c.strides[0]!), ov = pushView(p, 0, c.strides[1]!), jv = pushView(p, 0, c.strides[2]!);
  const lenAt = p.i(shape[axis]!), sAt = p.i(cst[axis]!);
  const ixAt = p.i(index.offset), ixs = p.i(index.strides[0] ?? 0);
  const code = `${head(2, true)}
${IDX('0u')}
${ATOMIC_ADD(od)}
${threadIndex(nAt)}
  ${offsetsCode('i', c.shape.length, shapeAt, [sv, ov, jv])}
  let t = fixIdx(bitcast<i32>(X0[u32(pi(${ixAt}u) + o2 * pi(${ixs}u))]), pi(${lenAt}u));
  if (t < 0) { return; }
  let v = ${loadF('X1', sd, 'u32(o0)')};
  addAt(u32(o1 + t * pi(${sAt}u)), ${storeF(od, 'v')});
}`;
  rt.dispatch('indexAdd', code, p.words, [index.data, src.data, o], Math.ceil(n / WG));
  return o;
}

export function unfoldOutputSize(H: number, W: number, p: UnfoldParams): [number, number] {
  const oh = Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (p.kernel[0] - 1) - 1) / p.stride[0]) + 1;
  const ow = Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (p.kernel[1] - 1) - 1) / p.stride[1]) + 1;
  return [oh, ow];
}

function windowParams(p: Params, u: UnfoldParams, H: number, W: number, OH: number, OW: number): number {
  return p.is([u.kernel[0], u.kernel[1], u.stride[0], u.stride[1], u.padding[0], u.padding[1], u.dilation[0], u.dilation[1], H, W, OH, OW]);
}
const WINDOW = (at: number): string => `let KH = pi(${at}u); let KW = pi(${at + 1}u); let SH = pi(${at + 2}u); let SW = pi(${at + 3}u);
  let PH = pi(${at + 4}u); let PW = pi(${at + 5}u); let DH = pi(${at + 6}u); let DW = pi(${at + 7}u);
  let H = pi(${at + 8}u); let W = pi(${at + 9}u); let OH = pi(${at + 10}u); let OW = pi(${at + 11}u);`;

/** im2col: [N, C, H, W] → [N, C·KH·KW, OH·OW], padValue outside the input. */
export function unfold(rt: Runtime, x: View<GpuBlock>, u: UnfoldParams): GpuBlock {
  const xd = gpuDType('unfold', x.dtype);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [OH, OW] = unfoldOutputSize(H, W, u);
  const n = N * C * u.kernel[0] * u.kernel[1] * OH * OW;
  const o = rt.alloc(n, 'unfold');
  if (n === 0) return o;
  const p = new Params();
  const nAt = p.u(n), win = windowParams(p, u, H, W, OH, OW), xv = p.is([x.offset, ...x.strides]), padAt = p.f(u.padValue), cAt = p.i(C);
  const code = `${head(1, false)}
${threadIndex(nAt)}
  ${WINDOW(win)}
  var r = i32(i);
  let ow = r % OW; r /= OW; let oh = r % OH; r /= OH; let kw = r % KW; r /= KW; let kh = r % KH; r /= KH;
  let C = pi(${cAt}u);
  let cc = r % C; let nn = r / C;
  let ih = oh * SH - PH + kh * DH; let iw = ow * SW - PW + kw * DW;
  var v: f32 = pf(${padAt}u);
  if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
    v = ${loadF('X0', xd, `u32(pi(${xv}u) + nn * pi(${xv + 1}u) + cc * pi(${xv + 2}u) + ih * pi(${xv + 3}u) + iw * pi(${xv + 4}u))`)};
  }
  O[i] = ${storeF(xd, 'v')};
}`;
  rt.dispatch('unfold', code, p.words, [x.data, o], Math.ceil(n / WG));
  return o;
}

/** col2im: [N, C·KH·KW, OH·OW] → [N, C, H, W], each output summing the windows that cover it (no atomics). */
export function fold(rt: Runtime, cols: View<GpuBlock>, outShape: readonly [number, number, number, number], u: UnfoldParams): GpuBlock {
  const cd = gpuDType('fold', cols.dtype);
  const [N, C, H, W] = outShape;
  const [OH, OW] = unfoldOutputSize(H, W, u);
  const n = N * C * H * W;
  const o = rt.alloc(n, 'fold');
  if (n === 0) return o;
  const p = new Params();
  const nAt = p.u(n), win = windowParams(p, u, H, W, OH, OW), cv = p.is([cols.offset, ...cols.strides]), cAt = p.i(C);
  const code = `${head(1, false)}
${threadIndex(nAt)}
  ${WINDOW(win)}
  let C = pi(${cAt}u);
  var r = i32(i);
  let iw = r % W; r /= W; let ih = r % H; r /= H; let c = r % C; let nn = r / C;
  var acc: f32 = 0.0;
  for (var kh = 0; kh < KH; kh++) {
    let th = ih + PH - kh * DH;
    if (th < 0 || th % SH != 0 || th / SH >= OH) { continue; }
    for (var kw = 0; kw < KW; kw++) {
      let tw = iw + PW - kw * DW;
      if (tw < 0 || tw % SW != 0 || tw / SW >= OW) { continue; }
      let row = (c * KH + kh) * KW + kw; let col = (th / SH) * OW + tw / SW;
      acc += ${loadF('X0', cd, `u32(pi(${cv}u) + nn * pi(${cv + 1}u) + row * pi(${cv + 2}u) + col * pi(${cv + 3}u))`)};
    }
  }
  let v = acc;
  O[i] = ${storeF(cd, 'v')};
}`;
  rt.dispatch('fold', code, p.words, [cols.data, o], Math.ceil(n / WG));
  return o;
}
