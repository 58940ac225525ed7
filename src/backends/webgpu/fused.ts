/**
 * The optional fused kernels (see their contracts in backend.ts): Adam/AdamW in one pass, bias + activation,
 * layer/RMS-norm rows, softmax cross-entropy rows and their gradient, GELU's backward. Row kernels give each row one workgroup
 * and reduce with a workgroup tree; the element-wise ones give each element one thread. float32 only.
 */
import type { AdamHyper, BiasActivation, View } from '../backend.js';
import { mapKernel, numel } from './elementwise.js';
import { MATH_WGSL, UNARY_WGSL } from './mathWgsl.js';
import type { GpuBlock, Runtime } from './runtime.js';
import { binding, Params, PRELUDE, WG } from './wgsl.js';

function f32Only(kernel: string, ...views: (View | null)[]): void {
  for (const v of views) {
    if (v && v.dtype !== 'float32') throw new TypeError(`webgpu ${kernel}: expected float32 tensors, got ${v.dtype}`);
  }
}

const GRID = (nAt: number): string => `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let i = flatGroup(w) * ${WG}u + l.x;
  if (i >= pu(${nAt}u)) { return; }`;

/** θ, m, v (and v_max) updated in place: the torch.optim order written out in AdamHyper. */
export function adamStep(rt: Runtime, p: View<GpuBlock>, g: View<GpuBlock>, m: View<GpuBlock>, v: View<GpuBlock>, vmax: View<GpuBlock> | null, h: AdamHyper): void {
  f32Only('adamStep', p, g, m, v, vmax);
  const n = numel(p.shape);
  if (n === 0) return;
  const q = new Params();
  const nAt = q.u(n);
  const offs = q.is([p.offset, g.offset, m.offset, v.offset, vmax ? vmax.offset : 0]);
  const hp = q.at;
  for (const x of [1 - h.beta1, h.beta2, 1 - h.beta2, h.eps, h.l2, h.shrink, h.bc2Sqrt, -h.stepSize]) q.f(x);
  const negAt = q.u(h.maximize ? 1 : 0);
  const code = `${PRELUDE}
${binding(1, 'G', 'read')}
${binding(2, 'Pm', 'read_write')}
${binding(3, 'Mm', 'read_write')}
${binding(4, 'Vm', 'read_write')}
${vmax ? binding(5, 'Xm', 'read_write') : ''}
${GRID(nAt)}
  let ip = u32(pi(${offs}u)) + i; let ig = u32(pi(${offs + 1}u)) + i; let im = u32(pi(${offs + 2}u)) + i; let iv = u32(pi(${offs + 3}u)) + i;
  let c1 = pf(${hp}u); let b2 = pf(${hp + 1}u); let c2 = pf(${hp + 2}u); let eps = pf(${hp + 3}u);
  let l2 = pf(${hp + 4}u); let shrink = pf(${hp + 5}u); let bc2 = pf(${hp + 6}u); let negStep = pf(${hp + 7}u);
  var d = bitcast<f32>(G[ig]);
  if (pu(${negAt}u) != 0u) { d = -d; }
  var th = bitcast<f32>(Pm[ip]);
  if (l2 != 0.0) { d = d + th * l2; }
  if (shrink != 1.0) { th = th * shrink; }
  let mo = bitcast<f32>(Mm[im]);
  let mi = mo + (d - mo) * c1;
  Mm[im] = bitcast<u32>(mi);
  var vi = bitcast<f32>(Vm[iv]) * b2 + d * d * c2;
  Vm[iv] = bitcast<u32>(vi);
  ${vmax ? `let ix = u32(pi(${offs + 4}u)) + i; vi = max(bitcast<f32>(Xm[ix]), vi); Xm[ix] = bitcast<u32>(vi);` : ''}
  Pm[ip] = bitcast<u32>(th + (mi / (sqrt(vi) / bc2 + eps)) * negStep);
}`;
  rt.dispatch('adamStep', code, q.words, vmax ? [g.data, p.data, m.data, v.data, vmax.data] : [g.data, p.data, m.data, v.data], Math.ceil(n / WG));
}

/** z = x + bias[j] (row-broadcast over the last dim N), y = act(z); z kept when asked and needed. */
export function biasAct(rt: Runtime, x: View<GpuBlock>, bias: View<GpuBlock> | null, act: BiasActivation, keepPre: boolean): { y: GpuBlock; z: GpuBlock | null } {
  f32Only('biasAct', x, bias);
  const n = numel(x.shape);
  const N = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
  const y = rt.alloc(n, 'biasAct');
  const z = keepPre && act !== 'none' && act !== 'relu' ? rt.alloc(n, 'biasAct') : null;
  if (n === 0) return { y, z };
  const q = new Params();
  const nAt = q.u(n), NAt = q.u(N), xo = q.i(x.offset);
  const bo = q.i(bias ? bias.offset : 0), bs = q.i(bias && bias.shape.length ? bias.strides[0]! : 0);
  const f = act === 'none' ? 'x' : UNARY_WGSL[act];
  const ins = bias ? [x.data, bias.data] : [x.data];
  const outs = z ? [y, z] : [y];
  let k = 1;
  const code = `${PRELUDE}${MATH_WGSL}
${binding(k++, 'X', 'read')}
${bias ? binding(k++, 'B', 'read') : ''}
${binding(k++, 'Y', 'read_write')}
${z ? binding(k++, 'Z', 'read_write') : ''}
${GRID(nAt)}
  var x = bitcast<f32>(X[u32(pi(${xo}u)) + i]);
  ${bias ? `x = bitcast<f32>(B[u32(pi(${bo}u) + i32(i % pu(${NAt}u)) * pi(${bs}u))]) + x;` : ''}
  ${z ? 'Z[i] = bitcast<u32>(x);' : ''}
  let p0 = 0.0; let p1 = 0.0;
  Y[i] = bitcast<u32>(${f});
}`;
  rt.dispatch('biasAct', code, q.words, [...ins, ...outs], Math.ceil(n / WG));
  return { y, z };
}

/** a workgroup-tree reduction of `part` (sum), leaving the result in part[0] for every thread */
const TREE_SUM = `workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) { if (l.x < k) { part[l.x] = part[l.x] + part[l.x + k]; } workgroupBarrier(); }`;
const TREE_MAX = `workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
    if (l.x < k) { let v = part[l.x + k]; let a = part[l.x]; part[l.x] = select(a, v, isnanf(v) || (v > a && !isnanf(a))); }
    workgroupBarrier();
  }`;

const ROW = (rowsAt: number): string => `var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let r = flatGroup(w);
  if (r >= pu(${rowsAt}u)) { return; }`;

/** layer norm (two-pass mean and biased variance) or RMS norm of each row; returns y and rstd */
export function normRows(rt: Runtime, x: View<GpuBlock>, rows: number, cols: number, eps: number, rms: boolean): { y: GpuBlock; rstd: GpuBlock } {
  f32Only('normRows', x);
  const y = rt.alloc(rows * cols, 'normRows'), rstd = rt.alloc(rows, 'normRows');
  if (rows === 0) return { y, rstd };
  const q = new Params();
  const rowsAt = q.u(rows), colsAt = q.u(cols), xo = q.i(x.offset), epsAt = q.f(eps);
  const code = `${PRELUDE}
${binding(1, 'X', 'read')}
${binding(2, 'Y', 'read_write')}
${binding(3, 'S', 'read_write')}
${ROW(rowsAt)}
  let C = pu(${colsAt}u); let base = u32(pi(${xo}u)) + r * C;
  var mu = 0.0;
  ${rms ? '' : `var s = 0.0;
  for (var j = l.x; j < C; j += ${WG}u) { s += bitcast<f32>(X[base + j]); }
  part[l.x] = s;
  ${TREE_SUM}
  mu = part[0] / f32(C);
  workgroupBarrier();`}
  var ss = 0.0;
  for (var j = l.x; j < C; j += ${WG}u) { let d = bitcast<f32>(X[base + j]) - mu; ss += d * d; }
  part[l.x] = ss;
  ${TREE_SUM}
  let rs = 1.0 / sqrt(part[0] / f32(C) + pf(${epsAt}u));
  if (l.x == 0u) { S[r] = bitcast<u32>(rs); }
  for (var j = l.x; j < C; j += ${WG}u) { Y[r * C + j] = bitcast<u32>((bitcast<f32>(X[base + j]) - mu) * rs); }
}`;
  rt.dispatch('normRows', code, q.words, [x.data, y, rstd], rows);
  return { y, rstd };
}

const rowStride = (v: View): number => (v.shape.length ? v.strides[0]! : 0);

/** per row: max, log Σ e^{x − max}, loss = max + logSum − x[t] (0 where t = ignoreIndex) */
export function crossEntropyRows(rt: Runtime, x: View<GpuBlock>, target: View<GpuBlock>, ignoreIndex: number): { loss: GpuBlock; max: GpuBlock; logSum: GpuBlock } {
  f32Only('crossEntropyRows', x);
  const rows = numel(target.shape), cols = rows ? numel(x.shape) / rows : 0;
  const loss = rt.alloc(rows, 'crossEntropyRows'), max = rt.alloc(rows, 'crossEntropyRows'), logSum = rt.alloc(rows, 'crossEntropyRows');
  if (rows === 0) return { loss, max, logSum };
  const q = new Params();
  const rowsAt = q.u(rows), colsAt = q.u(cols), xo = q.i(x.offset), to = q.i(target.offset), ts = q.i(rowStride(target)), ig = q.i(ignoreIndex);
  const code = `${PRELUDE}
${binding(1, 'X', 'read')}
${binding(2, 'T', 'read')}
${binding(3, 'Lo', 'read_write')}
${binding(4, 'Mx', 'read_write')}
${binding(5, 'Ls', 'read_write')}
${ROW(rowsAt)}
  let C = pu(${colsAt}u); let base = u32(pi(${xo}u)) + r * C;
  var m = -inff();
  for (var j = l.x; j < C; j += ${WG}u) { let v = bitcast<f32>(X[base + j]); m = select(m, v, isnanf(v) || (v > m && !isnanf(m))); }
  part[l.x] = m;
  ${TREE_MAX}
  m = part[0];
  workgroupBarrier();
  var s = 0.0;
  for (var j = l.x; j < C; j += ${WG}u) { s += exp(bitcast<f32>(X[base + j]) - m); }
  part[l.x] = s;
  ${TREE_SUM}
  if (l.x == 0u) {
    let ls = log(part[0]);
    let t = bitcast<i32>(T[u32(pi(${to}u) + i32(r) * pi(${ts}u))]);
    var lo = 0.0;
    if (t != pi(${ig}u)) {
      if (m == -inff()) { lo = inff(); }
      else if (t < 0 || u32(t) >= C) { lo = nanf(); }
      else { lo = m - bitcast<f32>(X[base + u32(t)]) + ls; }
    }
    Lo[r] = bitcast<u32>(lo); Mx[r] = bitcast<u32>(m); Ls[r] = bitcast<u32>(ls);
  }
}`;
  rt.dispatch('crossEntropyRows', code, q.words, [x.data, target.data, loss, max, logSum], rows);
  return { loss, max, logSum };
}

/** dx[r, c] = g[r]·(e^{x − max − logSum} − [c = t_r]), 0 for ignored rows */
export function crossEntropyRowsGrad(rt: Runtime, x: View<GpuBlock>, max: View<GpuBlock>, logSum: View<GpuBlock>, target: View<GpuBlock>, g: View<GpuBlock>,
  ignoreIndex: number): GpuBlock {
  f32Only('crossEntropyRowsGrad', x, max, logSum, g);
  const n = numel(x.shape), rows = numel(target.shape), cols = rows ? n / rows : 0;
  const dx = rt.alloc(n, 'crossEntropyRowsGrad');
  if (n === 0) return dx;
  const q = new Params();
  const nAt = q.u(n), colsAt = q.u(cols), xo = q.i(x.offset), ig = q.i(ignoreIndex);
  const vw = (v: View) => q.is([v.offset, rowStride(v)]);
  const mv = vw(max), lv = vw(logSum), tv = vw(target), gv = vw(g);
  const at = (name: string, pos: number) => `${name}[u32(pi(${pos}u) + i32(r) * pi(${pos + 1}u))]`;
  const code = `${PRELUDE}
${binding(1, 'X', 'read')}
${binding(2, 'M', 'read')}
${binding(3, 'L', 'read')}
${binding(4, 'T', 'read')}
${binding(5, 'G', 'read')}
${binding(6, 'D', 'read_write')}
${GRID(nAt)}
  let C = pu(${colsAt}u); let r = i / C; let c = i % C;
  let t = bitcast<i32>(${at('T', tv)});
  if (t == pi(${ig}u)) { D[i] = 0u; return; }
  let gr = bitcast<f32>(${at('G', gv)});
  var v = gr * exp(bitcast<f32>(X[u32(pi(${xo}u)) + i]) - bitcast<f32>(${at('M', mv)}) - bitcast<f32>(${at('L', lv)}));
  if (i32(c) == t) { v = v - gr; }
  D[i] = bitcast<u32>(v);
}`;
  rt.dispatch('crossEntropyRowsGrad', code, q.words, [x.data, max.data, logSum.data, target.data, g.data, dx], Math.ceil(n / WG));
  return dx;
}

/**
 * GELU's backward in one pass (the composed form is six element-wise kernels: erf, add, mul, square, exp, fma):
 *   dx = g·(Φ(x) + x·φ(x)),  Φ(x) = (1 + erf(x/√2))/2,  φ(x) = e^{−x²/2}/√(2π)
 * x·φ is taken as 0 where φ underflows (so ±Inf give the limits g and 0, as the reference); NaN propagates.
 */
export function geluBackward(rt: Runtime, x: View<GpuBlock>, g: View<GpuBlock>): GpuBlock {
  f32Only('geluBackward', x, g);
  return mapKernel(rt, 'geluBackward', [{ view: x, dtype: 'float32' }, { view: g, dtype: 'float32' }], 'float32', 'f32',
    `let pdf = exp(-0.5 * a0 * a0) * 0.3989422804014327;
  let v = a1 * (0.5 * (1.0 + erff(a0 * 0.7071067811865476)) + select(a0 * pdf, 0.0, pdf == 0.0));`);
}
