/**
 * Reductions over any set of axes, arg-reductions along one axis, and softmax / log-softmax rows.
 *
 * The input is seen as [groups, R]: the kept dims (row-major, the output's order) and the reduced dims, each
 * with the input's own strides. Groups of more than SMALL_R elements get one workgroup each (64 threads stride
 * through the group, then a tree in workgroup memory: log₂ 64 = 6 halving steps); smaller groups get one
 * thread each.
 */
import type { DType } from '../../dtype.js';
import type { ArgReduceOp, ReduceOp, View } from '../backend.js';
import { numel } from './elementwise.js';
import { MATH_WGSL } from './mathWgsl.js';
import type { GpuBlock, Runtime } from './runtime.js';
import { binding, collapse, gpuDType, loadF, offsetsCode, Params, PRELUDE, pushView, storeF, WG, type GpuDType } from './wgsl.js';

const SMALL_R = 64;

const INIT: Record<ReduceOp, string> = { sum: '0.0', prod: '1.0', max: '-inff()', min: 'inff()' };
/** acc ← acc ⊕ v; max/min keep the first NaN (NaN propagates, as in PyTorch) */
const STEP: Record<ReduceOp, string> = {
  sum: 'acc + v',
  prod: 'acc * v',
  max: 'select(acc, v, isnanf(v) || (v > acc && !isnanf(acc)))',
  min: 'select(acc, v, isnanf(v) || (v < acc && !isnanf(acc)))',
};

interface Split {
  keptShape: number[];
  keptStrides: number[];
  redShape: number[];
  redStrides: number[];
  groups: number;
  R: number;
}

function splitAxes(x: View, axes: readonly number[]): Split {
  const keptShape: number[] = [], keptStrides: number[] = [], redShape: number[] = [], redStrides: number[] = [];
  x.shape.forEach((s, d) => {
    if (axes.includes(d)) { redShape.push(s); redStrides.push(x.strides[d]!); }
    else { keptShape.push(s); keptStrides.push(x.strides[d]!); }
  });
  const k = collapse(keptShape, [keptStrides]);
  const r = collapse(redShape, [redStrides]);
  return { keptShape: k.shape, keptStrides: k.strides[0]!, redShape: r.shape, redStrides: r.strides[0]!, groups: numel(keptShape), R: numel(redShape) };
}

function groupHeader(p: Params, x: View, s: Split): { code: (g: string) => string; redCode: (r: string) => string; gAt: number; rAt: number } {
  const gAt = p.u(s.groups), rAt = p.u(s.R);
  const kShapeAt = p.us(s.keptShape), kView = pushView(p, x.offset, s.keptStrides);
  const rShapeAt = p.us(s.redShape), rView = pushView(p, 0, s.redStrides);
  return {
    gAt, rAt,
    code: (g) => offsetsCode(g, s.keptShape.length, kShapeAt, [kView], ['base']),
    redCode: (r) => `{ ${offsetsCode(r, s.redShape.length, rShapeAt, [rView], ['ro'])} off = u32(base + ro); }`,
  };
}

export function reduce(rt: Runtime, op: ReduceOp, x: View<GpuBlock>, axes: readonly number[], outDtype: DType): GpuBlock {
  const xd = gpuDType(op, x.dtype), od = gpuDType(op, outDtype);
  const s = splitAxes(x, axes);
  const o = rt.alloc(s.groups, op);
  if (s.groups === 0) return o;
  const p = new Params();
  const h = groupHeader(p, x, s);
  const small = s.R <= SMALL_R;
  const head = `${PRELUDE}${MATH_WGSL}
${binding(1, 'X', 'read')}
${binding(2, 'O', 'read_write')}
var<workgroup> part: array<f32, ${WG}>;`;
  const code = small
    ? `${head}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let g = flatGroup(w) * ${WG}u + l.x;
  if (g >= pu(${h.gAt}u)) { return; }
  ${h.code('g')}
  var acc: f32 = ${INIT[op]};
  for (var r = 0u; r < pu(${h.rAt}u); r++) {
    var off: u32; ${h.redCode('r')}
    let v = ${loadF('X', xd, 'off')};
    acc = ${STEP[op]};
  }
  let v = acc;
  O[g] = ${storeF(od, 'v')};
}`
    : `${head}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let g = flatGroup(w);
  if (g >= pu(${h.gAt}u)) { return; }
  ${h.code('g')}
  var acc: f32 = ${INIT[op]};
  for (var r = l.x; r < pu(${h.rAt}u); r += ${WG}u) {
    var off: u32; ${h.redCode('r')}
    let v = ${loadF('X', xd, 'off')};
    acc = ${STEP[op]};
  }
  part[l.x] = acc;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
    if (l.x < k) { let v = part[l.x + k]; let acc0 = part[l.x]; var acc = acc0; acc = ${STEP[op]}; part[l.x] = acc; }
    workgroupBarrier();
  }
  if (l.x == 0u) { let v = part[0]; O[g] = ${storeF(od, 'v')}; }
}`;
  rt.dispatch(op, code, p.words, [x.data, o], small ? Math.ceil(s.groups / WG) : s.groups);
  return o;
}

/** int32 index of the first extreme along `axis` (the first NaN counts as the extreme, as in PyTorch). */
export function argReduce(rt: Runtime, op: ArgReduceOp, x: View<GpuBlock>, axis: number): GpuBlock {
  const xd = gpuDType(op, x.dtype);
  const s = splitAxes(x, [axis]);
  const o = rt.alloc(s.groups, op);
  if (s.groups === 0) return o;
  if (s.R === 0) throw new RangeError(`${op}: cannot reduce over a zero-size dimension`);
  const p = new Params();
  const h = groupHeader(p, x, s);
  const better = op === 'argmax' ? 'v > bv' : 'v < bv';
  // per thread: the first extreme of its strided subsequence; then a tree that prefers the lower index on ties
  const code = `${PRELUDE}
${binding(1, 'X', 'read')}
${binding(2, 'O', 'read_write')}
var<workgroup> pv: array<f32, ${WG}>;
var<workgroup> pix: array<u32, ${WG}>;
fn wins(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  if (bi == 0xffffffffu) { return i != 0xffffffffu; }
  if (i == 0xffffffffu) { return false; }
  if (isnanf(bv)) { return isnanf(v) && i < bi; }
  if (isnanf(v)) { return true; }
  return ${better} || (v == bv && i < bi);
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let g = flatGroup(w);
  if (g >= pu(${h.gAt}u)) { return; }
  ${h.code('g')}
  var bv: f32 = 0.0;
  var bi: u32 = 0xffffffffu;
  for (var r = l.x; r < pu(${h.rAt}u); r += ${WG}u) {
    var off: u32; ${h.redCode('r')}
    let v = ${loadF('X', xd, 'off')};
    if (wins(v, r, bv, bi)) { bv = v; bi = r; }
  }
  pv[l.x] = bv; pix[l.x] = bi;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
    if (l.x < k && wins(pv[l.x + k], pix[l.x + k], pv[l.x], pix[l.x])) { pv[l.x] = pv[l.x + k]; pix[l.x] = pix[l.x + k]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { O[g] = pix[0]; }
}`;
  rt.dispatch(op, code, p.words, [x.data, o], s.groups);
  return o;
}

/**
 * softmax / log-softmax along `axis`, one workgroup per row: m = max (NaN sticky), s = Σ e^{x−m};
 * y = e^{x−m}/s or x − m − log s. A row of all −Inf gives NaN probabilities and −Inf log-probabilities.
 */
export function softmax(rt: Runtime, x: View<GpuBlock>, axis: number, log: boolean): GpuBlock {
  const xd: GpuDType = gpuDType(log ? 'logSoftmax' : 'softmax', x.dtype);
  const kernel = log ? 'logSoftmax' : 'softmax';
  const n = numel(x.shape);
  const o = rt.alloc(n, kernel);
  if (n === 0) return o;
  // output strides: contiguous strides of x's shape, split the same way
  const cst = contiguousOf(x.shape);
  const keptShape = x.shape.filter((_, d) => d !== axis);
  const kx = keptShape.length ? x.strides.filter((_, d) => d !== axis) : [];
  const ko = keptShape.length ? cst.filter((_, d) => d !== axis) : [];
  const c = collapse(keptShape, [kx, ko]);
  const rows = numel(keptShape), L = x.shape[axis]!;
  const p = new Params();
  const lAt = p.u(L), rowsAt = p.u(rows);
  const shapeAt = p.us(c.shape);
  const xv = pushView(p, x.offset, c.strides[0]!), ov = pushView(p, 0, c.strides[1]!);
  const sx = p.i(x.strides[axis]!), so = p.i(cst[axis]!);
  const code = `${PRELUDE}${MATH_WGSL}
${binding(1, 'X', 'read')}
${binding(2, 'O', 'read_write')}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let g = flatGroup(w);
  if (g >= pu(${rowsAt}u)) { return; }
  ${offsetsCode('g', c.shape.length, shapeAt, [xv, ov], ['xb', 'ob'])}
  let L = pu(${lAt}u); let sx = pi(${sx}u); let so = pi(${so}u);
  var m: f32 = -inff();
  for (var r = l.x; r < L; r += ${WG}u) { let v = ${loadF('X', xd, 'u32(xb + i32(r) * sx)')}; m = select(m, v, isnanf(v) || (v > m && !isnanf(m))); }
  part[l.x] = m;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
    if (l.x < k) { let v = part[l.x + k]; let a = part[l.x]; part[l.x] = select(a, v, isnanf(v) || (v > a && !isnanf(a))); }
    workgroupBarrier();
  }
  m = part[0];
  workgroupBarrier();
  var s: f32 = 0.0;
  for (var r = l.x; r < L; r += ${WG}u) { s += exp(${loadF('X', xd, 'u32(xb + i32(r) * sx)')} - m); }
  part[l.x] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
    if (l.x < k) { part[l.x] = part[l.x] + part[l.x + k]; }
    workgroupBarrier();
  }
  s = part[0];
  let dead = m == -inff();
  let ls = log(s);
  for (var r = l.x; r < L; r += ${WG}u) {
    let xv = ${loadF('X', xd, 'u32(xb + i32(r) * sx)')};
    var v: f32;
    if (dead) { v = ${log ? '-inff()' : 'nanf()'}; } else { v = ${log ? 'xv - m - ls' : 'exp(xv - m) / s'}; }
    O[u32(ob + i32(r) * so)] = bitcast<u32>(v);
  }
}`;
  rt.dispatch(kernel, code, p.words, [x.data, o], rows);
  return o;
}

function contiguousOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]!; }
  return st;
}
