/**
 * nn.init: in-place initializers (PyTorch's torch.nn.init), each run under noGrad so they work on
 * parameters, each taking an optional `{generator}` (default: the global generator, `nb.manualSeed`).
 * Values are drawn in float64 and uploaded in the tensor's own dtype (rounded once, as a cast would; a backend
 * without float64, like webgpu, never sees a float64 staging tensor).
 */
import { Tensor } from '../tensor.js';
import { defaultGenerator, type Generator } from '../random.js';
import { noGrad } from '../autograd/gradMode.js';
import { copy_, fill_ } from '../ops/inplace.js';
import { fmt } from '../shape.js';

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

export interface InitOptions {
  generator?: Generator;
}

function fillWith(op: string, t: Tensor, draw: (g: Generator) => number, opts: InitOptions): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`nn.init.${op}: expected a Tensor`);
  const g = opts.generator ?? defaultGenerator;
  const n = t.size;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = draw(g);
  const src = Tensor.fromValues(v, t.shape, t.dtype, t.backend);
  noGrad(() => copy_(t, src));
  src.dispose();
  return t;
}

/** Recommended gain for a nonlinearity (PyTorch's table); `param` is leaky_relu's negative slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity | string, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'identity': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new Error(`calculateGain: negative_slope ${param} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: throw new Error(`calculateGain: unsupported nonlinearity '${nonlinearity}'`);
  }
}

/** [fanIn, fanOut] of a weight: [out, in, *kernel] → fanIn = in·Πk, fanOut = out·Πk (PyTorch's rule). */
export function calculateFanInAndFanOut(t: Tensor | readonly number[]): [number, number] {
  const shape = t instanceof Tensor ? t.shape : t;
  if (shape.length < 2) throw new Error(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, got ${fmt(shape)}`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return [shape[1]! * receptive, shape[0]! * receptive];
}

function fanFor(t: Tensor, mode: FanMode): number {
  const [fi, fo] = calculateFanInAndFanOut(t);
  if (mode === 'fanIn' || mode === 'fan_in') return fi;
  if (mode === 'fanOut' || mode === 'fan_out') return fo;
  throw new Error(`nn.init: mode must be 'fanIn' or 'fanOut', got '${mode}'`);
}

/** U(a, b) */
export function uniform_(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  return fillWith('uniform_', t, (g) => a + (b - a) * g.random(), opts);
}

/** N(mean, std²) */
export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  return fillWith('normal_', t, (g) => mean + std * g.normal(), opts);
}

/** N(mean, std²) redrawn until inside [a, b] */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, opts: InitOptions = {}): Tensor {
  return fillWith('truncNormal_', t, (g) => {
    for (let i = 0; i < 1000; i++) {
      const v = mean + std * g.normal();
      if (v >= a && v <= b) return v;
    }
    return Math.min(b, Math.max(a, mean));
  }, opts);
}

export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => fill_(t, value));
  return t;
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** Identity matrix into a 2-D tensor (ones on the diagonal). */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new Error(`eye_: only 2-D tensors are supported, got ${fmt(t.shape)}`);
  const [r, c] = t.shape as [number, number];
  const v = new Float64Array(r * c);
  for (let i = 0; i < Math.min(r, c); i++) v[i * c + i] = 1;
  noGrad(() => copy_(t, Tensor.fromValues(v, t.shape, t.dtype, t.backend)));
  return t;
}

/** Glorot uniform: U(−a, a), a = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, opts);
}

/** Glorot normal: N(0, std²), std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const [fi, fo] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)), opts);
}

export interface KaimingOptions extends InitOptions {
  /** negative slope of the rectifier after this layer (leaky_relu only); default 0 */
  a?: number;
  /** 'fanIn' (default) preserves the forward pass variance, 'fanOut' the backward */
  mode?: FanMode;
  /** default 'leaky_relu' (as PyTorch) */
  nonlinearity?: Nonlinearity | string;
}

/** He uniform: U(−b, b), b = gain·√(3 / fan), gain = calculateGain(nonlinearity, a). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const fan = fanFor(t, opts.mode ?? 'fanIn');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  const bound = Math.sqrt(3) * gain / Math.sqrt(fan);
  return uniform_(t, -bound, bound, opts);
}

/** He normal: N(0, std²), std = gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const fan = fanFor(t, opts.mode ?? 'fanIn');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), opts);
}
