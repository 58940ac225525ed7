/**
 * Windowed ops built on im2col: the records im2col/col2im (the backend's unfold/fold kernels) are each other's
 * adjoint (im2col's backward is col2im and vice versa, so both differentiate any number of times). The public
 * ops are composite records over them, with PyTorch's argument names and orders (F.unfold, F.fold, F.conv1d,
 * F.conv2d, F.max_pool2d, F.avg_pool2d; options also by name): conv2d is W_row·X_col as a matmul, conv1d is
 * conv2d with H = 1, pooling reduces over the unfolded windows.
 */
import { autocastLow } from '../../amp/autocast.js';
import type { UnfoldParams } from '../../backends/backend.js';
import { fmt } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { add, div } from '../elementwise.js';
import { max, mean, sum } from '../reduce.js';
import { matmul } from '../matmul.js';
import { cat, reshape, squeeze, unsqueeze } from '../movement.js';
import { checkFloat, checkTensorArg, pair } from './_util.js';
import { defineOp, type Arr } from '../define.js';
import { argError, bool, int, optNum, optTensor, tensor, type ArgSpec } from '../args.js';

type IntOrPair = number | readonly number[];

export interface WindowOptions {
  kernelSize: IntOrPair;
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
}

export interface FoldOptions extends WindowOptions {
  /** spatial size [H, W] of the folded output */
  outputSize: IntOrPair;
}

function outSize(H: number, W: number, p: UnfoldParams): [number, number] {
  return [
    Math.floor((H + 2 * p.padding[0] - p.dilation[0] * (p.kernel[0] - 1) - 1) / p.stride[0]) + 1,
    Math.floor((W + 2 * p.padding[1] - p.dilation[1] * (p.kernel[1] - 1) - 1) / p.stride[1]) + 1,
  ];
}

function describeWindow(p: UnfoldParams): string {
  return `kernelSize ${fmt(p.kernel)}, stride ${fmt(p.stride)}, padding ${fmt(p.padding)}, dilation ${fmt(p.dilation)}`;
}

/** Output spatial size, or a clear error when the (dilated) kernel does not fit the padded input. */
function checkFits(op: string, x: Tensor, H: number, W: number, p: UnfoldParams): [number, number] {
  const [oh, ow] = outSize(H, W, p);
  if (oh < 1 || ow < 1) {
    const eh = p.dilation[0] * (p.kernel[0] - 1) + 1, ew = p.dilation[1] * (p.kernel[1] - 1) + 1;
    throw new Error(`${op}: kernel size ${fmt([eh, ew])} (dilated) is larger than the padded input size ${fmt([H + 2 * p.padding[0], W + 2 * p.padding[1]])} of input ${fmt(x.shape)} (${describeWindow(p)})`);
  }
  return [oh, ow];
}

/** window parameters, validated by the callers (params()) */
const windowArg = <const N extends string>(name: N): ArgSpec<UnfoldParams, UnfoldParams, N, false> => ({
  name, optional: false,
  check(op, v) {
    if (typeof v !== 'object' || v === null || !('kernel' in v)) throw argError(op, name, 'window parameters {kernel, stride, padding, dilation, padValue}', v);
    return v as UnfoldParams;
  },
});
/** a 4-D output shape [N, C, H, W] */
const shape4Arg = <const N extends string>(name: N): ArgSpec<readonly number[], [number, number, number, number], N, false> => ({
  name, optional: false,
  check(op, v) {
    if (!Array.isArray(v) || v.length !== 4 || !v.every((d) => Number.isInteger(d) && d >= 0)) throw argError(op, name, 'a shape [N, C, H, W]', v);
    return v as [number, number, number, number];
  },
});

const caseWindow: UnfoldParams = { kernel: [2, 3], stride: [2, 1], padding: [1, 0], dilation: [1, 2], padValue: 0 };
/** float64 im2col of x [N, C, H, W]: out[n, (c·kh + i)·kw + j, oy·OW + ox] = x[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (padValue outside) */
function im2colRef(x: Arr, p: UnfoldParams): Arr {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [oh, ow] = outSize(H, W, p);
  const [kh, kw] = p.kernel;
  const data: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const yy = oy * p.stride[0] - p.padding[0] + i * p.dilation[0], xx = ox * p.stride[1] - p.padding[1] + j * p.dilation[1];
    data.push(yy < 0 || yy >= H || xx < 0 || xx >= W ? p.padValue : x.data[((n * C + c) * H + yy) * W + xx]!);
  }
  return { shape: [N, C * kh * kw, oh * ow], data };
}
/** float64 col2im into [N, C, H, W]: the adjoint of im2col (each column entry added at its window position) */
function col2imRef(cols: Arr, out: [number, number, number, number], p: UnfoldParams): Arr {
  const [N, C, H, W] = out;
  const [oh, ow] = outSize(H, W, p);
  const [kh, kw] = p.kernel;
  const data = new Array<number>(N * C * H * W).fill(0);
  let k = 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++, k++) {
    const yy = oy * p.stride[0] - p.padding[0] + i * p.dilation[0], xx = ox * p.stride[1] - p.padding[1] + j * p.dilation[1];
    if (yy >= 0 && yy < H && xx >= 0 && xx < W) data[((n * C + c) * H + yy) * W + xx] += cols.data[k]!;
  }
  return { shape: [N, C, H, W], data };
}

/**
 * im2col on a 4-D tensor (the backend's unfold kernel): [N, C, H, W] → [N, C·kh·kw, OH·OW], padValue outside the
 * input (−∞ for max pooling). Linear in x (with zero padding for the derivative): dx = col2im(g), ẏ = im2col(ẋ).
 */
export const im2col = defineOp({
  name: 'im2col', args: [tensor('input'), windowArg('window')],
  forward: ({ input: x, window: p }) => {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [oh, ow] = outSize(H, W, p);
    const b = x.backend;
    return Tensor.fromData(b, b.unfold(x.backendView(), p), [N, C * p.kernel[0] * p.kernel[1], oh * ow], x.dtype);
  },
  vjp: (g, { window: p, shapes }): { input: Tensor } => ({ input: col2im(g, shapes.input as unknown as [number, number, number, number], { ...p, padValue: 0 }) }),
  jvp: (t, { window: p }): Tensor => im2col(t.input, { ...p, padValue: 0 }),
  cases: [{ label: 'kernel [2,3] stride [2,1] padding [1,0] dilation [1,2]', shapes: [[1, 2, 4, 5]], call: (f, x) => f(x, caseWindow), expect: (_R, x) => im2colRef(x, caseWindow), torch: 'F.unfold(x[0], kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2))' }],
});

/** col2im (the backend's fold kernel): [N, C·kh·kw, L] → [N, C, H, W] summing overlaps; dcols = im2col(g), ẏ = col2im(ċ). */
export const col2im = defineOp({
  name: 'col2im', args: [tensor('input'), shape4Arg('outputShape'), windowArg('window')],
  forward: ({ input: cols, outputShape, window: p }) => {
    const [oh, ow] = outSize(outputShape[2], outputShape[3], p);
    const want = [outputShape[0], outputShape[1] * p.kernel[0] * p.kernel[1], oh * ow];
    if (cols.ndim !== 3 || cols.shape.some((s, i) => s !== want[i])) throw new Error(`col2im: input ${fmt(cols.shape)} does not match output ${fmt(outputShape)} with ${describeWindow(p)}: expected ${fmt(want)}`);
    const b = cols.backend;
    return Tensor.fromData(b, b.fold(cols.backendView(), outputShape, p), outputShape, cols.dtype);
  },
  vjp: (g, { window: p }): { input: Tensor } => ({ input: im2col(g, { ...p, padValue: 0 }) }),
  jvp: (t, { outputShape, window: p }): Tensor => col2im(t.input, outputShape, p),
  cases: [{
    label: 'kernel [2,3] stride [2,1] padding [1,0] dilation [1,2]', shapes: [[1, 12, 3]],
    call: (f, c) => f(c, [1, 2, 4, 5], caseWindow), expect: (_R, c) => col2imRef(c, [1, 2, 4, 5], caseWindow),
    torch: 'F.fold(x[0], output_size=(4, 5), kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2))',
  }],
});

/** Accept [N, C, H, W] or unbatched [C, H, W]; returns the 4-D form. */
function batched4(op: string, x: Tensor, name = 'input'): { x4: Tensor; unbatched: boolean } {
  checkTensorArg(op, name, x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: ${name} ${fmt(x.shape)} must be 4-D [N, C, H, W] (or 3-D [C, H, W] unbatched), got ${x.ndim}-D`);
  return x.ndim === 3 ? { x4: unsqueeze(x, 0), unbatched: true } : { x4: x, unbatched: false };
}

// ---- argument kinds of the windowed ops (PyTorch's int-or-tuple arguments)

const pairExpected = (min: number) => `${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them`;
/** an integer or an array of 1 or 2 integers ≥ min (undefined: dflt), normalised to a pair */
function intPair<const N extends string>(name: N, dflt: number, min: number): ArgSpec<IntOrPair | undefined, [number, number], N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v !== undefined && typeof v !== 'number' && !Array.isArray(v)) throw argError(op, name, pairExpected(min), v);
      return pair(op, name, v as IntOrPair | undefined, dflt, min);
    },
  };
}
/** a required positive integer or pair (kernelSize, outputSize) */
function intPairRequired<const N extends string>(name: N): ArgSpec<IntOrPair, [number, number], N, false> {
  return {
    name, optional: false,
    check(op, v) {
      if (v === undefined || v === null) throw new TypeError(`${op}: ${name} is required (${pairExpected(1)})`);
      if (typeof v !== 'number' && !Array.isArray(v)) throw argError(op, name, pairExpected(1), v);
      return pair(op, name, v as IntOrPair, 1, 1);
    },
  };
}
/** a pooling stride: a positive integer or pair, or null/undefined (= kernelSize, as PyTorch's stride=None) */
function poolStride<const N extends string>(name: N): ArgSpec<IntOrPair | null | undefined, [number, number] | null, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined || v === null) return null;
      if (typeof v !== 'number' && !Array.isArray(v)) throw argError(op, name, `${pairExpected(1)}, or null (the kernel size)`, v);
      return pair(op, name, v as IntOrPair, 1, 1);
    },
  };
}
/** conv1d's stride/padding/dilation: an integer (or a 1-element array) */
function int1<const N extends string>(name: N, dflt: number): ArgSpec<number | readonly number[] | undefined, number, N, true> {
  return {
    name, optional: true,
    check(op, v) {
      if (v === undefined) return dflt;
      const r = typeof v === 'number' ? v : Array.isArray(v) && v.length === 1 ? v[0] : NaN;
      if (!Number.isInteger(r)) throw new Error(`${op}: ${name} must be an integer (or a 1-element array), got ${JSON.stringify(v)}`);
      return r as number;
    },
  };
}

const winParams = (kernel: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number], padValue = 0): UnfoldParams => ({ kernel, stride, padding, dilation, padValue });

// ---- float64 references of the records' cases (direct loops, independent of im2col and the kernels)

type P2 = readonly [number, number];
const as4 = (a: Arr, lead: number): Arr => ({ shape: [...new Array<number>(lead).fill(1), ...a.shape], data: a.data });
/**
 * float64 direct cross-correlation of x [N, C, H, W] with w [O, C/groups, kh, kw]:
 * y[n, o, oy, ox] = b[o] + Σ_{c, i, j} x[n, g·Cg + c, oy·sh − ph + i·dh, ox·sw − pw + j·dw]·w[o, c, i, j], g = ⌊o/(O/groups)⌋ (0 outside)
 */
function convRef(x: Arr, w: Arr, b: Arr | null, s: P2, p: P2, d: P2, groups: number): Arr {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
  const oh = Math.floor((H + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1, ow = Math.floor((W + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const data: number[] = [];
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const g = Math.floor(o / (O / groups));
    let acc = b ? b.data[o]! : 0;
    for (let c = 0; c < Cg; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const yy = oy * s[0] - p[0] + i * d[0], xx = ox * s[1] - p[1] + j * d[1];
      if (yy >= 0 && yy < H && xx >= 0 && xx < W) acc += x.data[((n * C + g * Cg + c) * H + yy) * W + xx]! * w.data[((o * Cg + c) * kh + i) * kw + j]!;
    }
    data.push(acc);
  }
  return { shape: [N, O, oh, ow], data };
}
/** conv1d's reference: convRef with H = 1 (x [N, C, L] or [C, L], w [O, C/groups, k]) */
function conv1dRef(x: Arr, w: Arr, b: Arr | null, s: number, p: number, d: number, groups: number): Arr {
  const unb = x.shape.length === 2;
  const x3 = unb ? as4(x, 1) : x;
  const y = convRef({ shape: [x3.shape[0]!, x3.shape[1]!, 1, x3.shape[2]!], data: x3.data }, { shape: [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!], data: w.data }, b, [1, s], [0, p], [1, d], groups);
  const shape = [y.shape[0]!, y.shape[1]!, y.shape[3]!];
  return { shape: unb ? shape.slice(1) : shape, data: y.data };
}
/** conv2d's reference on batched or unbatched x */
function conv2dRef(x: Arr, w: Arr, b: Arr | null, s: P2, p: P2, d: P2, groups: number): Arr {
  const y = convRef(x.shape.length === 3 ? as4(x, 1) : x, w, b, s, p, d, groups);
  return x.shape.length === 3 ? { shape: y.shape.slice(1), data: y.data } : y;
}

/**
 * Pooling output size along one dim (PyTorch): ⌊(n + 2p − d(k−1) − 1 + (ceil ? s − 1 : 0))/s⌋ + 1, and with
 * ceilMode the last window must start inside the input or its left padding: (out − 1)·s < n + p, else out − 1.
 */
function poolOut(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let out = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}
interface PoolRefOpts { k: P2; s: P2; p: P2; d: P2; ceil: boolean; countIncludePad?: boolean; divisorOverride?: number }
/**
 * float64 pooling of x [N, C, H, W] (or [C, H, W]) by direct loops over each window's taps y0 + i·dh, x0 + j·dw
 * (y0 = oy·sh − ph): max over the taps inside the input; average = Σ over the taps inside the input / divisor, the
 * divisor being divisorOverride, or the number of taps inside the padded input [−p, n + p) (countIncludePad) or
 * inside the input.
 */
function poolRef(x: Arr, kind: 'max' | 'avg', o: PoolRefOpts): Arr {
  const unb = x.shape.length === 3;
  const [N, C, H, W] = (unb ? [1, ...x.shape] : x.shape) as [number, number, number, number];
  const oh = poolOut(H, o.k[0], o.s[0], o.p[0], o.d[0], o.ceil), ow = poolOut(W, o.k[1], o.s[1], o.p[1], o.d[1], o.ceil);
  const data: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    let best = -Infinity, sum = 0, inside = 0, padded = 0;
    for (let i = 0; i < o.k[0]; i++) for (let j = 0; j < o.k[1]; j++) {
      const yy = oy * o.s[0] - o.p[0] + i * o.d[0], xx = ox * o.s[1] - o.p[1] + j * o.d[1];
      if (yy < H + o.p[0] && xx < W + o.p[1]) padded++;
      if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
      const v = x.data[((n * C + c) * H + yy) * W + xx]!;
      best = Math.max(best, v); sum += v; inside++;
    }
    data.push(kind === 'max' ? best : sum / (o.divisorOverride ?? (o.countIncludePad === false ? inside : padded)));
  }
  return { shape: unb ? [C, oh, ow] : [N, C, oh, ow], data };
}

// ---- unfold / fold

/** Extract sliding windows (torch.nn.functional.unfold(input, kernel_size, dilation, padding, stride)): [N, C, H, W] → [N, C·kh·kw, L]. */
const unfoldOp = defineOp({
  name: 'unfold', kwargs: true,
  args: [tensor('input'), intPairRequired('kernelSize'), intPair('dilation', 1, 1), intPair('padding', 0, 0), intPair('stride', 1, 1)],
  composite: true,
  forward: ({ input: x, kernelSize, dilation, padding, stride }) => {
    const op = 'unfold';
    const { x4, unbatched } = batched4(op, x);
    const p = winParams(kernelSize, stride, padding, dilation);
    checkFits(op, x, x4.shape[2]!, x4.shape[3]!, p);
    const y = im2col(x4, p);
    return unbatched ? squeeze(y, 0) : y;
  },
  cases: [
    {
      label: 'kernel [2,3] dilation [1,2] padding [1,0] stride [2,1]', torch: 'F.unfold(x[0], (2, 3), (1, 2), (1, 0), (2, 1))', shapes: [[2, 2, 4, 5]],
      call: (f, x) => f(x, [2, 3], [1, 2], [1, 0], [2, 1]), expect: (_R, x) => im2colRef(x, caseWindow),
    },
    {
      label: 'unbatched, kernel 2 padding 1 by keyword', torch: 'F.unfold(x[0], 2, padding=1)', shapes: [[2, 3, 3]],
      call: (f, x) => (f as unknown as UnfoldFn)(x, { kernelSize: 2, padding: 1 }),
      expect: (_R, x) => { const r = im2colRef(as4(x, 1), winParams([2, 2], [1, 1], [1, 1], [1, 1])); return { shape: r.shape.slice(1), data: r.data }; },
    },
  ],
});
type UnfoldFn = (input: Tensor, opts: WindowOptions) => Tensor;
export const unfold: typeof unfoldOp & UnfoldFn = unfoldOp as never;

/** Sum sliding windows back into an image (torch.nn.functional.fold(input, output_size, kernel_size, dilation, padding, stride)): [N, C·kh·kw, L] → [N, C, H, W]. */
const foldOp = defineOp({
  name: 'fold', kwargs: true,
  args: [tensor('input'), intPairRequired('outputSize'), intPairRequired('kernelSize'), intPair('dilation', 1, 1), intPair('padding', 0, 0), intPair('stride', 1, 1)],
  composite: true,
  forward: ({ input: cols, outputSize, kernelSize, dilation, padding, stride }) => {
    const op = 'fold';
    checkTensorArg(op, 'input', cols);
    if (cols.ndim !== 2 && cols.ndim !== 3) throw new Error(`${op}: input ${fmt(cols.shape)} must be 3-D [N, C·kh·kw, L] (or 2-D unbatched)`);
    const c3 = cols.ndim === 2 ? unsqueeze(cols, 0) : cols;
    const p = winParams(kernelSize, stride, padding, dilation);
    const [H, W] = outputSize;
    const k = p.kernel[0] * p.kernel[1];
    const [N, CK, L] = c3.shape as [number, number, number];
    if (CK % k !== 0) throw new Error(`${op}: input ${fmt(cols.shape)}: dimension 1 (${CK}) must be divisible by the kernel size product ${k} (kernelSize ${fmt(p.kernel)})`);
    const [oh, ow] = checkFits(op, cols, H, W, p);
    if (oh * ow !== L) throw new Error(`${op}: input ${fmt(cols.shape)} has ${L} blocks, but outputSize ${fmt([H, W])} with ${describeWindow(p)} gives ${oh}×${ow} = ${oh * ow}`);
    const y = col2im(c3, [N, CK / k, H, W], p);
    return cols.ndim === 2 ? squeeze(y, 0) : y;
  },
  cases: [
    {
      label: 'outputSize [4,5] kernel [2,3] dilation [1,2] padding [1,0] stride [2,1]', torch: 'F.fold(x[0], (4, 5), (2, 3), (1, 2), (1, 0), (2, 1))', shapes: [[2, 12, 3]],
      call: (f, c) => f(c, [4, 5], [2, 3], [1, 2], [1, 0], [2, 1]), expect: (_R, c) => col2imRef(c, [2, 2, 4, 5], caseWindow),
    },
    {
      label: 'unbatched, 2×2 into 3×3 by keyword (overlaps add)', torch: 'F.fold(x[0], 3, 2)', shapes: [[8, 4]],
      call: (f, c) => (f as unknown as FoldFn)(c, { kernelSize: 2, outputSize: 3 }),
      expect: (_R, c) => { const r = col2imRef(as4(c, 1), [1, 2, 3, 3], winParams([2, 2], [1, 1], [0, 0], [1, 1])); return { shape: r.shape.slice(1), data: r.data }; },
    },
  ],
});
type FoldFn = (input: Tensor, opts: FoldOptions) => Tensor;
export const fold: typeof foldOp & FoldFn = foldOp as never;

// ---- convolution

export interface Conv2dOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
}

/** Y_col = W_row · X_col per group on im2col columns; validates shapes and names `show`'s shapes (conv1d's 3-D ones) in errors. */
function convNd(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, s: [number, number], pd: [number, number], dl: [number, number], groups: number, show?: { x: Tensor; w: Tensor }): Tensor {
  const { x4, unbatched } = batched4(op, x);
  checkTensorArg(op, 'weight', weight);
  checkFloat(op, 'input', x4);
  checkFloat(op, 'weight', weight);
  const sx = show?.x ?? x, sw = show?.w ?? weight;
  if (weight.ndim !== 4) throw new Error(`${op}: weight ${fmt(sw.shape)} must be ${show ? 3 : 4}-D [Cout, Cin/groups, ${show ? 'k' : 'kh, kw'}]`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  const [N, Cin, H, W] = x4.shape as [number, number, number, number];
  const [Cout, Cg, kh, kw] = weight.shape as [number, number, number, number];
  if (Cin % groups !== 0) throw new Error(`${op}: input channels ${Cin} of input ${fmt(sx.shape)} must be divisible by groups ${groups}`);
  if (Cout % groups !== 0) throw new Error(`${op}: output channels ${Cout} of weight ${fmt(sw.shape)} must be divisible by groups ${groups}`);
  if (Cg * groups !== Cin) {
    throw new Error(`${op}: input ${fmt(sx.shape)} has ${Cin} channels, but weight ${fmt(sw.shape)} with groups=${groups} expects ${Cg * groups} (weight is [Cout, Cin/groups, ...])`);
  }
  if (bias !== undefined && bias !== null) {
    checkTensorArg(op, 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== Cout) throw new Error(`${op}: bias ${fmt(bias.shape)} does not match weight ${fmt(sw.shape)}: expected [${Cout}]`);
  }
  const p = winParams([kh, kw], s, pd, dl);
  const [oh, ow] = checkFits(op, sx, H, W, p);
  const cols = im2col(x4, p); // [N, Cin·kh·kw, L]
  const K = Cg * kh * kw, L = oh * ow;
  let y: Tensor;
  if (groups === 1) {
    y = matmul(reshape(weight, [Cout, K]), cols); // [N, Cout, L]
  } else {
    const cg = reshape(cols, [N, groups, K, L]);
    const wg = reshape(weight, [groups, Cout / groups, K]);
    y = matmul(wg, cg); // [N, groups, Cout/groups, L]
  }
  y = reshape(y, [N, Cout, oh, ow]);
  if (bias) y = add(y, reshape(bias, [Cout, 1, 1]));
  return unbatched ? squeeze(y, 0) : y;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): F.conv2d(input, weight, bias, stride, padding, dilation, groups)
 * with x [N, Cin, H, W] (or [Cin, H, W]), weight [Cout, Cin/groups, kh, kw], bias [Cout]; the options also by name
 * (conv2d(x, w, b, {stride: 2})). Computed as im2col + matmul: Y_col = W_row · X_col per group, so its
 * derivatives are those of im2col (col2im), matmul and add.
 */
const conv2dOp = defineOp({
  name: 'conv2d', kwargs: true,
  args: [tensor('input'), tensor('weight'), optTensor('bias'), intPair('stride', 1, 1), intPair('padding', 0, 0), intPair('dilation', 1, 1), int('groups', 1)],
  composite: true,
  forward: ({ input, weight, bias, stride, padding, dilation, groups }) => {
    const [x, w, b] = autocastLow(input, weight, bias); // autocast dispatch (src/amp/autocast.ts)
    return convNd('conv2d', x, w, b, stride, padding, dilation, groups);
  },
  cases: [
    {
      label: 'stride 2 padding 1 bias', torch: 'F.conv2d(x[0], x[1], x[2], 2, 1)', shapes: [[2, 2, 5, 4], [3, 2, 3, 3], [3]],
      call: (f, x, w, b) => f(x, w, b, 2, 1), expect: (_R, x, w, b) => conv2dRef(x, w, b, [2, 2], [1, 1], [1, 1], 1),
    },
    {
      label: 'groups 2 dilation [1,2] padding [1,0] by keyword', torch: 'F.conv2d(x[0], x[1], groups=2, dilation=(1, 2), padding=(1, 0))', shapes: [[1, 4, 4, 5], [4, 2, 2, 2]],
      call: (f, x, w) => (f as unknown as Conv2dFn)(x, w, null, { groups: 2, dilation: [1, 2], padding: [1, 0] }), expect: (_R, x, w) => conv2dRef(x, w, null, [1, 1], [1, 0], [1, 2], 2),
    },
    {
      label: 'unbatched, stride [2,1], kernel [3,2]', torch: 'F.conv2d(x[0], x[1], x[2], stride=(2, 1))', shapes: [[2, 5, 4], [2, 2, 3, 2], [2]],
      call: (f, x, w, b) => (f as unknown as Conv2dFn)(x, w, b, { stride: [2, 1] }), expect: (_R, x, w, b) => conv2dRef(x, w, b, [2, 1], [0, 0], [1, 1], 1),
    },
  ],
});
type Conv2dFn = (input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: Conv2dOptions) => Tensor;
type Conv2dPositional = (input: Tensor, weight: Tensor, bias?: Tensor | null, stride?: IntOrPair, padding?: IntOrPair, dilation?: IntOrPair, groups?: number) => Tensor;
export const conv2d: typeof conv2dOp & Conv2dFn & Conv2dPositional & ((input: Tensor, weight: Tensor, opts: Conv2dOptions & { bias?: Tensor | null }) => Tensor) = conv2dOp as never;

export interface Conv1dOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}

/**
 * 1-D convolution: F.conv1d(input, weight, bias, stride, padding, dilation, groups) with x [N, Cin, L] (or
 * [Cin, L]), weight [Cout, Cin/groups, k]: conv2d with H = 1.
 */
const conv1dOp = defineOp({
  name: 'conv1d', kwargs: true,
  args: [tensor('input'), tensor('weight'), optTensor('bias'), int1('stride', 1), int1('padding', 0), int1('dilation', 1), int('groups', 1)],
  composite: true,
  forward: ({ input, weight, bias, stride, padding, dilation, groups }) => {
    const [x, w, b] = autocastLow(input, weight, bias); // autocast dispatch (src/amp/autocast.ts)
    const op = 'conv1d';
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`${op}: input ${fmt(x.shape)} must be 3-D [N, C, L] (or 2-D [C, L] unbatched), got ${x.ndim}-D`);
    if (w.ndim !== 3) throw new Error(`${op}: weight ${fmt(w.shape)} must be 3-D [Cout, Cin/groups, k]`);
    const s = pair(op, 'stride', stride, 1, 1), pd = pair(op, 'padding', padding, 0, 0), d = pair(op, 'dilation', dilation, 1, 1);
    const y = convNd(op, unsqueeze(x, -2), unsqueeze(w, 2), b, [1, s[1]], [0, pd[1]], [1, d[1]], groups, { x, w });
    return squeeze(y, -2);
  },
  cases: [
    {
      label: 'stride 2 padding 2 bias', torch: 'F.conv1d(x[0], x[1], x[2], 2, 2)', shapes: [[2, 2, 7], [3, 2, 3], [3]],
      call: (f, x, w, b) => f(x, w, b, 2, 2), expect: (_R, x, w, b) => conv1dRef(x, w, b, 2, 2, 1, 1),
    },
    {
      label: 'groups 2 dilation 2 padding 1 by keyword', torch: 'F.conv1d(x[0], x[1], groups=2, dilation=2, padding=1)', shapes: [[1, 4, 6], [4, 2, 2]],
      call: (f, x, w) => (f as unknown as Conv1dFn)(x, w, null, { groups: 2, dilation: 2, padding: 1 }), expect: (_R, x, w) => conv1dRef(x, w, null, 1, 1, 2, 2),
    },
    { label: 'unbatched', torch: 'F.conv1d(x[0], x[1])', shapes: [[2, 5], [3, 2, 2]], call: (f, x, w) => f(x, w), expect: (_R, x, w) => conv1dRef(x, w, null, 1, 0, 1, 1) },
  ],
});
type Conv1dFn = (input: Tensor, weight: Tensor, bias?: Tensor | null, opts?: Conv1dOptions) => Tensor;
export const conv1d: typeof conv1dOp & Conv1dFn & ((input: Tensor, weight: Tensor, opts: Conv1dOptions & { bias?: Tensor | null }) => Tensor) = conv1dOp as never;

// ---- pooling

export interface Pool2dOptions {
  kernelSize: IntOrPair;
  /** default: kernelSize */
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  /** output size rounded up: a last window that starts inside the input (or its left padding) but overhangs is kept */
  ceilMode?: boolean;
}

/**
 * The windows of a pooling op: the 4-D input, its unfold parameters and output size. With ceilMode the input is
 * extended at the bottom/right by the rows and columns that the overhanging last windows read beyond the
 * symmetric padding (padValue there, as in the padding: they never win a max and add nothing to a sum); without it
 * nothing is added and im2col reads x itself.
 */
function poolWindows(op: string, x: Tensor, kernel: [number, number], strideArg: [number, number] | null, padding: [number, number], dilation: [number, number], ceil: boolean, padValue: number) {
  const { x4, unbatched } = batched4(op, x);
  checkFloat(op, 'input', x4);
  const stride = strideArg ?? kernel;
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new Error(`${op}: padding ${fmt(padding)} should be at most half of kernel size ${fmt(kernel)} (input ${fmt(x.shape)})`);
  }
  const p = winParams(kernel, stride, padding, dilation, padValue);
  const [N, C, H, W] = x4.shape as [number, number, number, number];
  const oh = poolOut(H, kernel[0], stride[0], padding[0], dilation[0], ceil), ow = poolOut(W, kernel[1], stride[1], padding[1], dilation[1], ceil);
  if (oh < 1 || ow < 1) checkFits(op, x, H, W, p); // throws: the kernel does not fit
  let xin = x4;
  if (ceil) {
    // im2col gives ⌊(n' + 2p − d(k − 1) − 1)/s⌋ + 1 windows of an input of n' rows: n' = n + e with
    // e = (out − 1)·s + d(k − 1) + 1 − (n + 2p) gives exactly out
    const eh = Math.max(0, (oh - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1 - (H + 2 * padding[0]));
    const ew = Math.max(0, (ow - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1 - (W + 2 * padding[1]));
    const fill = (shape: number[]) => Tensor.fromValues(new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(padValue), shape, x4.dtype, x4.backend);
    if (eh > 0) xin = cat([xin, fill([N, C, eh, W])], 2);
    if (ew > 0) xin = cat([xin, fill([N, C, H + eh, ew])], 3);
  }
  return { x4: xin, unbatched, p, N, C, H, W, oh, ow, k: kernel[0] * kernel[1] };
}

/**
 * 2-D max pooling (F.max_pool2d(input, kernel_size, stride = kernel_size, padding, dilation, ceil_mode)): windows
 * read −∞ outside the input; the max over each window's im2col column, so the gradient goes to each window's
 * arg-max (the first one on ties, in the window's row-major order, as PyTorch).
 */
const maxPool2dOp = defineOp({
  name: 'maxPool2d', kwargs: true,
  args: [tensor('input'), intPairRequired('kernelSize'), poolStride('stride'), intPair('padding', 0, 0), intPair('dilation', 1, 1), bool('ceilMode', false), bool('returnIndices', false)],
  composite: true,
  forward: ({ input, kernelSize, stride, padding, dilation, ceilMode, returnIndices }) => {
    const op = 'maxPool2d';
    if (returnIndices) throw new Error(`${op}: returnIndices=true is not supported (only false)`);
    const { x4, unbatched, p, N, C, oh, ow, k } = poolWindows(op, input, kernelSize, stride, padding, dilation, ceilMode, -Infinity);
    const cols = reshape(im2col(x4, p), [N, C, k, oh * ow]);
    const y = reshape(max(cols, 2).values, [N, C, oh, ow]);
    return unbatched ? squeeze(y, 0) : y;
  },
  cases: [
    { label: 'kernel 2', torch: 'F.max_pool2d(x[0], 2)', shapes: [[1, 2, 4, 4]], call: (f, x) => f(x, 2), expect: (_R, x) => poolRef(x, 'max', { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false }) },
    {
      label: 'kernel 3 stride 2 padding 1', torch: 'F.max_pool2d(x[0], 3, 2, 1)', shapes: [[2, 1, 5, 5]],
      call: (f, x) => f(x, 3, 2, 1), expect: (_R, x) => poolRef(x, 'max', { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false }),
    },
    {
      label: 'unbatched, kernel [2,3] stride 1 dilation [2,1] by keyword', torch: 'F.max_pool2d(x[0], (2, 3), 1, dilation=(2, 1))', shapes: [[2, 5, 4]],
      call: (f, x) => (f as unknown as Pool2dFn)(x, { kernelSize: [2, 3], stride: 1, dilation: [2, 1] }),
      expect: (_R, x) => poolRef(x, 'max', { k: [2, 3], s: [1, 1], p: [0, 0], d: [2, 1], ceil: false }),
    },
    {
      label: 'kernel 2 stride 2 padding 1 ceilMode', torch: 'F.max_pool2d(x[0], 2, 2, 1, 1, True)', shapes: [[1, 2, 5, 4]],
      call: (f, x) => f(x, 2, 2, 1, 1, true), expect: (_R, x) => poolRef(x, 'max', { k: [2, 2], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true }),
    },
    {
      // window 1 has 3 at taps (0,1) and (1,0): the gradient goes to the first, (0,1); window 2 is all 0: to (0,2)
      label: 'kernel 2 with ties (gradient to the first arg-max)', torch: 'F.max_pool2d(x[0], 2)', shapes: [[1, 1, 2, 4]], values: [[1, 3, 0, 0, 3, 2, 0, 0]],
      call: (f, x) => f(x, 2), expect: (_R, x) => poolRef(x, 'max', { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false }),
      gradWant: [[0, 1, 2, 0, 0, 0, 0, 0]],
    },
    {
      // overlapping windows of equal values: each window's gradient goes to its own first tap
      label: 'kernel 2 stride 1 all equal (overlapping ties)', torch: 'F.max_pool2d(x[0], 2, 1)', shapes: [[1, 1, 2, 3]], values: [[5, 5, 5, 5, 5, 5]],
      call: (f, x) => f(x, 2, 1), expect: (_R, x) => poolRef(x, 'max', { k: [2, 2], s: [1, 1], p: [0, 0], d: [1, 1], ceil: false }),
      gradWant: [[1, 2, 0, 0, 0, 0]],
    },
  ],
});
type Pool2dFn = (input: Tensor, opts: Pool2dOptions & { returnIndices?: boolean }) => Tensor;
export const maxPool2d: typeof maxPool2dOp & Pool2dFn = maxPool2dOp as never;

export interface AvgPool2dOptions extends Pool2dOptions {
  /** count the zero padding in the divisor (default true, as PyTorch) */
  countIncludePad?: boolean;
  divisorOverride?: number;
}

/**
 * 2-D average pooling (F.avg_pool2d(input, kernel_size, stride = kernel_size, padding, ceil_mode, count_include_pad,
 * divisor_override); dilation keyword-only): Σ over each window's taps inside the input / divisor, the divisor
 * being divisorOverride, or the number of taps inside the padded input [−p, n + p) (countIncludePad, the default;
 * kh·kw unless ceilMode's last window overhangs) or inside the input. Zero padding.
 */
const avgPool2dOp = defineOp({
  name: 'avgPool2d', kwargs: true, positional: 7,
  args: [tensor('input'), intPairRequired('kernelSize'), poolStride('stride'), intPair('padding', 0, 0), bool('ceilMode', false), bool('countIncludePad', true), optNum('divisorOverride'), intPair('dilation', 1, 1)],
  composite: true,
  forward: ({ input, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride, dilation }) => {
    const op = 'avgPool2d';
    const { x4, unbatched, p, N, C, H, W, oh, ow, k } = poolWindows(op, input, kernelSize, stride, padding, dilation, ceilMode, 0);
    const cols = reshape(im2col(x4, p), [N, C, k, oh * ow]);
    let y: Tensor;
    if (divisorOverride !== null) {
      if (!(divisorOverride > 0)) throw new Error(`${op}: divisorOverride must be positive, got ${divisorOverride}`);
      y = div(sum(cols, 2), divisorOverride);
    } else if (ceilMode || (!countIncludePad && (p.padding[0] > 0 || p.padding[1] > 0))) {
      // per-window tap counts, a product of the counts along each dim
      const taps = (n: number, out: number, d: 0 | 1): number[] => Array.from({ length: out }, (_, o) => {
        let c = 0;
        for (let i = 0; i < p.kernel[d]; i++) {
          const pos = o * p.stride[d] - p.padding[d] + i * p.dilation[d];
          if (countIncludePad ? pos < n + p.padding[d] : pos >= 0 && pos < n) c++;
        }
        return c;
      });
      const th = taps(H, oh, 0), tw = taps(W, ow, 1);
      const counts = new Float64Array(oh * ow);
      for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) counts[i * ow + j] = th[i]! * tw[j]!;
      y = div(sum(cols, 2), Tensor.fromValues(counts, [oh * ow], x4.dtype, x4.backend));
    } else {
      y = mean(cols, 2);
    }
    y = reshape(y, [N, C, oh, ow]);
    return unbatched ? squeeze(y, 0) : y;
  },
  cases: [
    { label: 'kernel 2', torch: 'F.avg_pool2d(x[0], 2)', shapes: [[1, 2, 4, 4]], call: (f, x) => f(x, 2), expect: (_R, x) => poolRef(x, 'avg', { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false }) },
    {
      label: 'kernel 3 stride 2 padding 1 (padding counted)', torch: 'F.avg_pool2d(x[0], 3, 2, 1)', shapes: [[1, 2, 5, 5]],
      call: (f, x) => f(x, 3, 2, 1), expect: (_R, x) => poolRef(x, 'avg', { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false }),
    },
    {
      label: 'kernel 3 stride 2 padding 1 countIncludePad false by keyword', torch: 'F.avg_pool2d(x[0], 3, 2, 1, count_include_pad=False)', shapes: [[2, 1, 5, 4]],
      call: (f, x) => (f as unknown as AvgPool2dFn)(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
      expect: (_R, x) => poolRef(x, 'avg', { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: false, countIncludePad: false }),
    },
    {
      label: 'unbatched, kernel 2 divisorOverride 3', torch: 'F.avg_pool2d(x[0], 2, divisor_override=3)', shapes: [[2, 4, 4]],
      call: (f, x) => (f as unknown as AvgPool2dFn)(x, { kernelSize: 2, divisorOverride: 3 }),
      expect: (_R, x) => poolRef(x, 'avg', { k: [2, 2], s: [2, 2], p: [0, 0], d: [1, 1], ceil: false, divisorOverride: 3 }),
    },
    {
      label: 'kernel 3 stride 2 padding 1 ceilMode', torch: 'F.avg_pool2d(x[0], 3, 2, 1, True)', shapes: [[1, 2, 6, 5]],
      call: (f, x) => f(x, 3, 2, 1, true), expect: (_R, x) => poolRef(x, 'avg', { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceil: true }),
    },
    {
      label: 'kernel 2 stride [2,3] ceilMode countIncludePad false', torch: 'F.avg_pool2d(x[0], 2, (2, 3), 0, True, False)', shapes: [[1, 1, 5, 5]],
      call: (f, x) => f(x, 2, [2, 3], 0, true, false), expect: (_R, x) => poolRef(x, 'avg', { k: [2, 2], s: [2, 3], p: [0, 0], d: [1, 1], ceil: true, countIncludePad: false }),
    },
  ],
});
type AvgPool2dFn = (input: Tensor, opts: AvgPool2dOptions) => Tensor;
export const avgPool2d: typeof avgPool2dOp & AvgPool2dFn = avgPool2dOp as never;
