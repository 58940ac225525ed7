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
import { describeValue, mergeArgs } from '../strict.js';

/** The arguments after the tensor, positionally in torch.nn.init's order or as one options object. */
function initArgs(op: string, t: unknown, rest: readonly unknown[], names: readonly string[], extra: readonly string[] = ['generator']): Record<string, unknown> {
  if (!(t instanceof Tensor)) throw new TypeError(`nn.init.${op}: expected a Tensor as the first argument, got ${describeValue(t)}`);
  const o = mergeArgs(`nn.init.${op}`, rest, names, extra);
  for (const n of names) {
    const v = o[n];
    if (v !== undefined && typeof v !== 'number' && !(typeof v === 'string' && (n === 'mode' || n === 'nonlinearity'))) throw new TypeError(`nn.init.${op}: ${n} must be a number, got ${describeValue(v)}`);
  }
  return o;
}
type InitRest<P extends unknown[]> = [opts?: InitOptions & Record<string, unknown>] | [...P, InitOptions?];

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

export interface InitOptions {
  generator?: Generator;
}

function fillWith(op: string, t: Tensor, draw: (g: Generator) => number, opts: InitOptions): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`nn.init.${op}: expected a Tensor`);
  const g = opts.generator ?? defaultGenerator;
  const n = t.numel();
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
export function uniform_(t: Tensor, ...rest: InitRest<[a?: number, b?: number]>): Tensor {
  const { a = 0, b = 1, ...opts } = initArgs('uniform_', t, rest, ['a', 'b']) as { a?: number; b?: number } & InitOptions;
  return fillWith('uniform_', t, (g) => a + (b - a) * g.random(), opts);
}

/** N(mean, std²) */
export function normal_(t: Tensor, ...rest: InitRest<[mean?: number, std?: number]>): Tensor {
  const { mean = 0, std = 1, ...opts } = initArgs('normal_', t, rest, ['mean', 'std']) as { mean?: number; std?: number } & InitOptions;
  return fillWith('normal_', t, (g) => mean + std * g.normal(), opts);
}

/** N(mean, std²) redrawn until inside [a, b] */
export function truncNormal_(t: Tensor, ...rest: InitRest<[mean?: number, std?: number, a?: number, b?: number]>): Tensor {
  const { mean = 0, std = 1, a = -2, b = 2, ...opts } = initArgs('truncNormal_', t, rest, ['mean', 'std', 'a', 'b']) as { mean?: number; std?: number; a?: number; b?: number } & InitOptions;
  return fillWith('truncNormal_', t, (g) => {
    for (let i = 0; i < 1000; i++) {
      const v = mean + std * g.normal();
      if (v >= a && v <= b) return v;
    }
    return Math.min(b, Math.max(a, mean));
  }, opts);
}

export function constant_(t: Tensor, value: number): Tensor {
  const o = initArgs('constant_', t, [...arguments].slice(1), ['value'], []);
  if (typeof o.value !== 'number') throw new TypeError(`nn.init.constant_: value must be a number, got ${describeValue(value)}`);
  noGrad(() => fill_(t, value));
  return t;
}

export function zeros_(t: Tensor): Tensor {
  initArgs('zeros_', t, [...arguments].slice(1), [], []);
  return constant_(t, 0);
}
export function ones_(t: Tensor): Tensor {
  initArgs('ones_', t, [...arguments].slice(1), [], []);
  return constant_(t, 1);
}

/** Identity matrix into a 2-D tensor (ones on the diagonal). */
export function eye_(t: Tensor): Tensor {
  initArgs('eye_', t, [...arguments].slice(1), [], []);
  if (t.ndim !== 2) throw new Error(`eye_: only 2-D tensors are supported, got ${fmt(t.shape)}`);
  const [r, c] = t.shape as [number, number];
  const v = new Float64Array(r * c);
  for (let i = 0; i < Math.min(r, c); i++) v[i * c + i] = 1;
  noGrad(() => copy_(t, Tensor.fromValues(v, t.shape, t.dtype, t.backend)));
  return t;
}

/** Glorot uniform: U(−a, a), a = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, ...rest: InitRest<[gain?: number]>): Tensor {
  const { gain = 1, ...opts } = initArgs('xavierUniform_', t, rest, ['gain']) as { gain?: number } & InitOptions;
  const [fi, fo] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, { generator: opts.generator });
}

/** Glorot normal: N(0, std²), std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, ...rest: InitRest<[gain?: number]>): Tensor {
  const { gain = 1, ...opts } = initArgs('xavierNormal_', t, rest, ['gain']) as { gain?: number } & InitOptions;
  const [fi, fo] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)), { generator: opts.generator });
}

export interface KaimingOptions extends InitOptions {
  /** negative slope of the rectifier after this layer (leaky_relu only); default 0 */
  a?: number;
  /** 'fanIn' (default) preserves the forward pass variance, 'fanOut' the backward */
  mode?: FanMode;
  /** default 'leaky_relu' (as PyTorch) */
  nonlinearity?: Nonlinearity | string;
}

/** kaiming*_(t, {a, mode, nonlinearity, generator}) or torch's positional (t, a, mode, nonlinearity) */
type KaimingRest = [opts?: KaimingOptions] | [a: number, mode?: FanMode, nonlinearity?: Nonlinearity | string, opts?: InitOptions];

/** He uniform: U(−b, b), b = gain·√(3 / fan), gain = calculateGain(nonlinearity, a). */
export function kaimingUniform_(t: Tensor, ...rest: KaimingRest): Tensor {
  const opts = initArgs('kaimingUniform_', t, rest, ['a', 'mode', 'nonlinearity']) as KaimingOptions;
  const fan = fanFor(t, opts.mode ?? 'fanIn');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  const bound = Math.sqrt(3) * gain / Math.sqrt(fan);
  return uniform_(t, -bound, bound, { generator: opts.generator });
}

/** He normal: N(0, std²), std = gain / √fan. */
export function kaimingNormal_(t: Tensor, ...rest: KaimingRest): Tensor {
  const opts = initArgs('kaimingNormal_', t, rest, ['a', 'mode', 'nonlinearity']) as KaimingOptions;
  const fan = fanFor(t, opts.mode ?? 'fanIn');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), { generator: opts.generator });
}
