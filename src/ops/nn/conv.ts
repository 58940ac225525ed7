/**
 * Windowed ops built on im2col: unfold/fold are each other's adjoint (unfold's
 * backward is fold and vice versa, so both differentiate any number of times); conv2d is
 * W_row·X_col as a matmul; conv1d is conv2d with H = 1; pooling reduces over the unfolded windows.
 */
import { autocastLow } from '../../amp/autocast.js';
import type { UnfoldParams } from '../../backends/backend.js';
import { noGrad } from '../../autograd/gradMode.js';
import { fmt } from '../../shape.js';
import { Tensor } from '../../tensor.js';
import { add, div } from '../elementwise.js';
import { max, mean, sum } from '../reduce.js';
import { matmul } from '../matmul.js';
import { reshape, squeeze, unsqueeze } from '../movement.js';
import { checkFloat, checkTensorArg, pair } from './_util.js';
import { defineOp, type Arr } from '../define.js';
import { argError, tensor, type ArgSpec } from '../args.js';

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

function params(op: string, o: WindowOptions, dfltStride: [number, number] | null, padValue = 0): UnfoldParams {
  if (!o || o.kernelSize === undefined) throw new Error(`${op}: kernelSize is required`);
  const kernel = pair(op, 'kernelSize', o.kernelSize, 1, 1);
  const stride = o.stride === undefined && dfltStride ? dfltStride : pair(op, 'stride', o.stride ?? undefined, 1, 1);
  return { kernel, stride, padding: pair(op, 'padding', o.padding, 0, 0), dilation: pair(op, 'dilation', o.dilation, 1, 1), padValue };
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
  name, optional: false, expected: 'window parameters {kernel, stride, padding, dilation, padValue}',
  check(op, v) {
    if (typeof v !== 'object' || v === null || !('kernel' in v)) throw argError(op, name, 'window parameters {kernel, stride, padding, dilation, padValue}', v);
    return v as UnfoldParams;
  },
});
/** a 4-D output shape [N, C, H, W] */
const shape4Arg = <const N extends string>(name: N): ArgSpec<readonly number[], [number, number, number, number], N, false> => ({
  name, optional: false, expected: 'a shape [N, C, H, W]',
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
const unfoldOp = (x: Tensor, p: UnfoldParams): Tensor => im2col(x, p);
const foldOp = (cols: Tensor, outShape: readonly [number, number, number, number], p: UnfoldParams): Tensor => col2im(cols, outShape, p);

/** Accept [N, C, H, W] or unbatched [C, H, W]; returns the 4-D form. */
function batched4(op: string, x: Tensor, name = 'input'): { x4: Tensor; unbatched: boolean } {
  checkTensorArg(op, name, x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: ${name} ${fmt(x.shape)} must be 4-D [N, C, H, W] (or 3-D [C, H, W] unbatched), got ${x.ndim}-D`);
  return x.ndim === 3 ? { x4: unsqueeze(x, 0), unbatched: true } : { x4: x, unbatched: false };
}

/** Extract sliding windows (torch.nn.functional.unfold): [N, C, H, W] → [N, C·kh·kw, L]. */
export function unfold(x: Tensor, opts: WindowOptions): Tensor {
  const op = 'unfold';
  const { x4, unbatched } = batched4(op, x);
  const p = params(op, opts, null);
  checkFits(op, x, x4.shape[2]!, x4.shape[3]!, p);
  const y = unfoldOp(x4, p);
  return unbatched ? squeeze(y, 0) : y;
}

/** Sum sliding windows back into an image (torch.nn.functional.fold): [N, C·kh·kw, L] → [N, C, H, W]. */
export function fold(cols: Tensor, opts: FoldOptions): Tensor {
  const op = 'fold';
  checkTensorArg(op, 'input', cols);
  if (cols.ndim !== 2 && cols.ndim !== 3) throw new Error(`${op}: input ${fmt(cols.shape)} must be 3-D [N, C·kh·kw, L] (or 2-D unbatched)`);
  const c3 = cols.ndim === 2 ? unsqueeze(cols, 0) : cols;
  const p = params(op, opts, null);
  const [H, W] = pair(op, 'outputSize', opts.outputSize, 1, 1);
  const k = p.kernel[0] * p.kernel[1];
  const [N, CK, L] = c3.shape as [number, number, number];
  if (CK % k !== 0) throw new Error(`${op}: input ${fmt(cols.shape)}: dimension 1 (${CK}) must be divisible by the kernel size product ${k} (kernelSize ${fmt(p.kernel)})`);
  const [oh, ow] = checkFits(op, cols, H, W, p);
  if (oh * ow !== L) throw new Error(`${op}: input ${fmt(cols.shape)} has ${L} blocks, but outputSize ${fmt([H, W])} with ${describeWindow(p)} gives ${oh}×${ow} = ${oh * ow}`);
  const y = foldOp(c3, [N, CK / k, H, W], p);
  return cols.ndim === 2 ? squeeze(y, 0) : y;
}

export interface Conv2dOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw],
 * bias [Cout]. Computed as im2col + matmul: Y_col = W_row · X_col per group.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  [x, weight, bias] = autocastLow(x, weight, bias); // autocast dispatch (src/amp/autocast.ts)
  return convNd('conv2d', x, weight, bias, opts);
}

function convNd(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, opts: Conv2dOptions, show?: { x: Tensor; w: Tensor }): Tensor {
  const { x4, unbatched } = batched4(op, x);
  checkTensorArg(op, 'weight', weight);
  checkFloat(op, 'input', x4);
  checkFloat(op, 'weight', weight);
  const sx = show?.x ?? x, sw = show?.w ?? weight;
  if (weight.ndim !== 4) throw new Error(`${op}: weight ${fmt(sw.shape)} must be ${show ? 3 : 4}-D [Cout, Cin/groups, ${show ? 'k' : 'kh, kw'}]`);
  const groups = opts.groups ?? 1;
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
  const p = params(op, { kernelSize: [kh, kw], stride: opts.stride, padding: opts.padding, dilation: opts.dilation }, null);
  const [oh, ow] = checkFits(op, sx, H, W, p);
  const cols = unfoldOp(x4, p); // [N, Cin·kh·kw, L]
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

export interface Conv1dOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}

function one(op: string, name: string, v: number | readonly number[] | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const r = typeof v === 'number' ? v : v.length === 1 ? v[0]! : NaN;
  if (!Number.isInteger(r)) throw new Error(`${op}: ${name} must be an integer (or a 1-element array), got ${JSON.stringify(v)}`);
  return r;
}

/** 1-D convolution: x [N, Cin, L] (or [Cin, L]), weight [Cout, Cin/groups, k]: conv2d with H = 1. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  [x, weight, bias] = autocastLow(x, weight, bias); // autocast dispatch (src/amp/autocast.ts)
  const op = 'conv1d';
  checkTensorArg(op, 'input', x);
  checkTensorArg(op, 'weight', weight);
  if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`${op}: input ${fmt(x.shape)} must be 3-D [N, C, L] (or 2-D [C, L] unbatched), got ${x.ndim}-D`);
  if (weight.ndim !== 3) throw new Error(`${op}: weight ${fmt(weight.shape)} must be 3-D [Cout, Cin/groups, k]`);
  const s = one(op, 'stride', opts.stride, 1), pd = one(op, 'padding', opts.padding, 0), d = one(op, 'dilation', opts.dilation, 1);
  const y = convNd(op, unsqueeze(x, -2), unsqueeze(weight, 2), bias, { stride: [1, s], padding: [0, pd], dilation: [1, d], groups: opts.groups }, { x, w: weight });
  return squeeze(y, -2);
}

export interface Pool2dOptions {
  kernelSize: IntOrPair;
  /** default: kernelSize */
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
}

function poolSetup(op: string, x: Tensor, opts: Pool2dOptions, padValue: number) {
  const { x4, unbatched } = batched4(op, x);
  checkFloat(op, 'input', x4);
  if (!opts || opts.kernelSize === undefined) throw new Error(`${op}: kernelSize is required`);
  const kernel = pair(op, 'kernelSize', opts.kernelSize, 1, 1);
  const p = params(op, { kernelSize: kernel, stride: opts.stride ?? undefined, padding: opts.padding, dilation: opts.dilation }, kernel, padValue);
  if (p.padding[0] * 2 > kernel[0] || p.padding[1] * 2 > kernel[1]) {
    throw new Error(`${op}: padding ${fmt(p.padding)} should be at most half of kernel size ${fmt(kernel)} (input ${fmt(x.shape)})`);
  }
  const [N, C, H, W] = x4.shape as [number, number, number, number];
  const [oh, ow] = checkFits(op, x, H, W, p);
  return { x4, unbatched, p, N, C, oh, ow, k: kernel[0] * kernel[1] };
}

/**
 * 2-D max pooling: windows read −Inf outside the input; the gradient goes to each window's arg-max
 * (first one on ties), as PyTorch.
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { x4, unbatched, p, N, C, oh, ow, k } = poolSetup('maxPool2d', x, opts, -Infinity);
  const cols = reshape(unfoldOp(x4, p), [N, C, k, oh * ow]);
  const y = reshape(max(cols, 2).values, [N, C, oh, ow]);
  return unbatched ? squeeze(y, 0) : y;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** count the zero padding in the divisor (default true, as PyTorch) */
  countIncludePad?: boolean;
  divisorOverride?: number;
}

/** 2-D average pooling over windows (zero padding; countIncludePad true by default). */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  const { x4, unbatched, p, N, C, oh, ow, k } = poolSetup(op, x, opts, 0);
  const cols = reshape(unfoldOp(x4, p), [N, C, k, oh * ow]);
  let y: Tensor;
  if (opts.divisorOverride !== undefined) {
    if (!(opts.divisorOverride > 0)) throw new Error(`${op}: divisorOverride must be positive, got ${opts.divisorOverride}`);
    y = div(sum(cols, 2), opts.divisorOverride);
  } else if (opts.countIncludePad === false && (p.padding[0] > 0 || p.padding[1] > 0)) {
    const [, , H, W] = x4.shape as [number, number, number, number];
    const counts = noGrad(() => {
      const b = x4.backend;
      const o = Tensor.fromValues(new Float64Array(H * W).fill(1), [1, 1, H, W], x4.dtype, b);
      const u = Tensor.fromData(b, b.unfold(o.backendView(), p), [1, k, oh * ow], x4.dtype);
      return sum(u, 1); // [1, L]
    });
    y = div(sum(cols, 2), counts);
  } else {
    y = mean(cols, 2);
  }
  y = reshape(y, [N, C, oh, ow]);
  return unbatched ? squeeze(y, 0) : y;
}
