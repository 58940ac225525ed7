/**
 * torch.nn's Transformer layers with PyTorch's arguments and state-dict names: TransformerEncoderLayer,
 * TransformerEncoder, TransformerDecoderLayer, TransformerDecoder.
 *
 *   sa(x)      = dropout1(self_attn(x, x, x, srcMask, srcKeyPaddingMask))
 *   ff(x)      = dropout2(linear2(dropout(activation(linear1(x)))))
 *   encoder, post-norm (default):  x = norm1(x + sa(x));  x = norm2(x + ff(x))
 *   encoder, normFirst:            x = x + sa(norm1(x));  x = x + ff(norm2(x))
 *
 *   decoder (mha = multihead_attn over the encoder's memory, dropout2; ff uses dropout3):
 *   post-norm:  x = norm1(x + sa(x));  x = norm2(x + mha(x, mem));  x = norm3(x + ff(x))
 *   normFirst:  x = x + sa(norm1(x));  x = x + mha(norm2(x), mem);  x = x + ff(norm3(x))
 *
 * Masks are MultiheadAttention's: bool true = may not attend, float = added to the scores.
 * TransformerEncoder / TransformerDecoder stack numLayers copies of one layer (each starting with the
 * given layer's weights, as PyTorch's deepcopy) under 'layers.0.', 'layers.1.', … and apply an optional
 * final norm.
 */
import { mergeArgs, describeValue } from '../strict.js';
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../random.js';
import { add, gelu, relu } from '../ops/elementwise.js';
import { Module, reprValue } from './module.js';
import { Linear } from './linear.js';
import { LayerNorm } from './norm.js';
import { Dropout } from './dropout.js';
import { MultiheadAttention } from './attention.js';
import { ModuleList } from './containers.js';

/** 'relu', 'gelu', a function of a tensor, or a module (called through .call). */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

export interface TransformerLayerOptions {
  /** width of the feed-forward block (default 2048) */
  dimFeedforward?: number;
  /** dropout probability everywhere in the layer (default 0.1) */
  dropout?: number;
  /** feed-forward activation (default 'relu') */
  activation?: TransformerActivation;
  /** eps of the LayerNorms (default 1e-5) */
  layerNormEps?: number;
  /** inputs are [N, L, E] instead of [L, N, E] (default false) */
  batchFirst?: boolean;
  /** pre-norm: normalise before each block instead of after the residual add (default false) */
  normFirst?: boolean;
  /** generator for the initial weights and the dropout masks (default: the global one) */
  generator?: Generator;
  dtype?: DType;
}

type LayerRest = [opts?: TransformerLayerOptions] | [dimFeedforward: number, dropout?: number, activation?: TransformerActivation, layerNormEps?: number, batchFirst?: boolean, normFirst?: boolean, opts?: TransformerLayerOptions];
const LAYER_POSITIONAL = ['dModel', 'nhead', 'dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst'];

interface ResolvedLayer {
  dModel: number; nhead: number; dimFeedforward: number; dropout: number; activation: TransformerActivation;
  layerNormEps: number; batchFirst: boolean; normFirst: boolean; generator?: Generator; dtype: DType;
}

function resolveLayer(fn: string, args: unknown[]): ResolvedLayer {
  const o = mergeArgs(fn, args, LAYER_POSITIONAL, ['generator', 'dtype']) as Record<string, unknown>;
  const posInt = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new TypeError(`${fn}: ${name} must be a positive integer, got ${describeValue(v)}`);
    return v;
  };
  const bool = (name: string, v: unknown) => {
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be true or false, got ${describeValue(v)}`);
    return v;
  };
  const dModel = posInt('dModel', o.dModel), nhead = posInt('nhead', o.nhead);
  if (dModel % nhead !== 0) throw new Error(`${fn}: dModel (${dModel}) must be divisible by nhead (${nhead})`);
  const dropout = o.dropout ?? 0.1;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) throw new RangeError(`${fn}: dropout must be a number in [0, 1], got ${describeValue(dropout)}`);
  const activation = (o.activation ?? 'relu') as TransformerActivation;
  if (!(activation === 'relu' || activation === 'gelu' || typeof activation === 'function' || activation instanceof Module)) {
    throw new TypeError(`${fn}: activation must be 'relu', 'gelu', a function or a Module, got ${describeValue(activation)}`);
  }
  const eps = o.layerNormEps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new RangeError(`${fn}: layerNormEps must be a non-negative number, got ${describeValue(eps)}`);
  return {
    dModel, nhead, dimFeedforward: posInt('dimFeedforward', o.dimFeedforward ?? 2048), dropout, activation, layerNormEps: eps,
    batchFirst: bool('batchFirst', o.batchFirst), normFirst: bool('normFirst', o.normFirst),
    generator: o.generator as Generator | undefined, dtype: (o.dtype ?? 'float32') as DType,
  };
}

function applyActivation(a: TransformerActivation, x: Tensor): Tensor {
  if (a === 'relu') return relu(x);
  if (a === 'gelu') return gelu(x);
  if (a instanceof Module) return a.call(x) as Tensor;
  return a(x);
}

/** Read (x, a?, b?, …) or (x, {names…}) forward arguments into one record, strictly. */
function forwardArgs(fn: string, args: ArrayLike<unknown>, names: string[]): Record<string, Tensor | null | undefined> {
  const o = mergeArgs(fn, args, names) as Record<string, unknown>;
  for (const n of names) {
    const v = o[n];
    if (v !== undefined && v !== null && !(v instanceof Tensor)) throw new TypeError(`${fn}: ${n} must be a Tensor or null, got ${describeValue(v)}`);
  }
  return o as Record<string, Tensor | null | undefined>;
}

/** Base of the two layers: config, the feed-forward block, copying. */
abstract class TransformerLayerBase extends Module {
  readonly config: ResolvedLayer;
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  self_attn!: MultiheadAttention;
  linear1!: Linear;
  dropout!: Dropout;
  linear2!: Linear;

  protected constructor(config: ResolvedLayer) {
    super();
    this.config = config;
    this.normFirst = config.normFirst;
    this.batchFirst = config.batchFirst;
  }

  protected buildFeedForward(): void {
    const c = this.config;
    this.linear1 = new Linear(c.dModel, c.dimFeedforward, { generator: c.generator, dtype: c.dtype });
    this.dropout = new Dropout(c.dropout, { generator: c.generator });
    this.linear2 = new Linear(c.dimFeedforward, c.dModel, { generator: c.generator, dtype: c.dtype });
  }

  protected feedForward(x: Tensor, out: Dropout): Tensor {
    return out.call(this.linear2.call(this.dropout.call(applyActivation(this.config.activation, this.linear1.call(x)))));
  }

  /** A new layer with the same configuration, weights (copied) and training mode: PyTorch's deepcopy. */
  abstract copy(): TransformerLayerBase;

  protected copyInto<T extends TransformerLayerBase>(fresh: T): T {
    fresh.loadStateDict(this.stateDict());
    fresh.train(this.training);
    return fresh;
  }

  override extraRepr(): string {
    return `d_model=${this.config.dModel}, nhead=${this.config.nhead}, dim_feedforward=${this.config.dimFeedforward}, dropout=${this.config.dropout}, batch_first=${reprValue(this.batchFirst)}, norm_first=${reprValue(this.normFirst)}`;
  }
}

export interface TransformerEncoderLayerForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
}

/** torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual and a LayerNorm. */
export class TransformerEncoderLayer extends TransformerLayerBase {
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;

  /** (dModel, nhead), (dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst), or with {…, generator, dtype} */
  constructor(dModel: number, nhead: number, ...rest: LayerRest) {
    const c = resolveLayer('TransformerEncoderLayer', [dModel, nhead, ...rest]);
    super(c);
    this.self_attn = new MultiheadAttention(c.dModel, c.nhead, { dropout: c.dropout, batchFirst: c.batchFirst, generator: c.generator, dtype: c.dtype });
    this.buildFeedForward();
    this.norm1 = new LayerNorm(c.dModel, { eps: c.layerNormEps, dtype: c.dtype });
    this.norm2 = new LayerNorm(c.dModel, { eps: c.layerNormEps, dtype: c.dtype });
    this.dropout1 = new Dropout(c.dropout, { generator: c.generator });
    this.dropout2 = new Dropout(c.dropout, { generator: c.generator });
  }

  copy(): TransformerEncoderLayer {
    const c = this.config;
    return this.copyInto(new TransformerEncoderLayer(c.dModel, c.nhead, {
      dimFeedforward: c.dimFeedforward, dropout: c.dropout, activation: c.activation, layerNormEps: c.layerNormEps,
      batchFirst: c.batchFirst, normFirst: c.normFirst, generator: c.generator, dtype: c.dtype,
    }));
  }

  /** forward(src, srcMask?, srcKeyPaddingMask?) or forward(src, {srcMask, srcKeyPaddingMask}) */
  forward(src: Tensor, ...rest: [opts?: TransformerEncoderLayerForwardOptions] | [srcMask?: Tensor | null, srcKeyPaddingMask?: Tensor | null]): Tensor {
    const a = forwardArgs('TransformerEncoderLayer.forward', [src, ...rest], ['src', 'srcMask', 'srcKeyPaddingMask']);
    if (!(src instanceof Tensor)) throw new TypeError(`TransformerEncoderLayer.forward: src must be a Tensor, got ${describeValue(src)}`);
    const sa = (x: Tensor) => this.dropout1.call(this.self_attn.call(x, x, x, { attnMask: a.srcMask ?? null, keyPaddingMask: a.srcKeyPaddingMask ?? null, needWeights: false })[0]);
    let x = src;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.call(x)));
      x = add(x, this.feedForward(this.norm2.call(x), this.dropout2));
    } else {
      x = this.norm1.call(add(x, sa(x)));
      x = this.norm2.call(add(x, this.feedForward(x, this.dropout2)));
    }
    return x;
  }
}

export interface TransformerDecoderLayerForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

type DecoderForwardRest = [opts?: TransformerDecoderLayerForwardOptions] | [tgtMask?: Tensor | null, memoryMask?: Tensor | null, tgtKeyPaddingMask?: Tensor | null, memoryKeyPaddingMask?: Tensor | null];
const DECODER_FORWARD = ['tgt', 'memory', 'tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask'];

/** torch.nn.TransformerDecoderLayer: self-attention, attention over the memory, feed-forward; each with a residual and a LayerNorm. */
export class TransformerDecoderLayer extends TransformerLayerBase {
  multihead_attn: MultiheadAttention;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;

  /** (dModel, nhead), (dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst), or with {…, generator, dtype} */
  constructor(dModel: number, nhead: number, ...rest: LayerRest) {
    const c = resolveLayer('TransformerDecoderLayer', [dModel, nhead, ...rest]);
    super(c);
    this.self_attn = new MultiheadAttention(c.dModel, c.nhead, { dropout: c.dropout, batchFirst: c.batchFirst, generator: c.generator, dtype: c.dtype });
    this.multihead_attn = new MultiheadAttention(c.dModel, c.nhead, { dropout: c.dropout, batchFirst: c.batchFirst, generator: c.generator, dtype: c.dtype });
    this.buildFeedForward();
    this.norm1 = new LayerNorm(c.dModel, { eps: c.layerNormEps, dtype: c.dtype });
    this.norm2 = new LayerNorm(c.dModel, { eps: c.layerNormEps, dtype: c.dtype });
    this.norm3 = new LayerNorm(c.dModel, { eps: c.layerNormEps, dtype: c.dtype });
    this.dropout1 = new Dropout(c.dropout, { generator: c.generator });
    this.dropout2 = new Dropout(c.dropout, { generator: c.generator });
    this.dropout3 = new Dropout(c.dropout, { generator: c.generator });
  }

  copy(): TransformerDecoderLayer {
    const c = this.config;
    return this.copyInto(new TransformerDecoderLayer(c.dModel, c.nhead, {
      dimFeedforward: c.dimFeedforward, dropout: c.dropout, activation: c.activation, layerNormEps: c.layerNormEps,
      batchFirst: c.batchFirst, normFirst: c.normFirst, generator: c.generator, dtype: c.dtype,
    }));
  }

  /** forward(tgt, memory, tgtMask?, memoryMask?, tgtKeyPaddingMask?, memoryKeyPaddingMask?) or forward(tgt, memory, {…}) */
  forward(tgt: Tensor, memory: Tensor, ...rest: DecoderForwardRest): Tensor {
    const a = forwardArgs('TransformerDecoderLayer.forward', [tgt, memory, ...rest], DECODER_FORWARD);
    if (!(tgt instanceof Tensor) || !(memory instanceof Tensor)) throw new TypeError(`TransformerDecoderLayer.forward: tgt and memory must be Tensors, got ${describeValue(tgt)}, ${describeValue(memory)}`);
    const sa = (x: Tensor) => this.dropout1.call(this.self_attn.call(x, x, x, { attnMask: a.tgtMask ?? null, keyPaddingMask: a.tgtKeyPaddingMask ?? null, needWeights: false })[0]);
    const mha = (x: Tensor) => this.dropout2.call(this.multihead_attn.call(x, memory, memory, { attnMask: a.memoryMask ?? null, keyPaddingMask: a.memoryKeyPaddingMask ?? null, needWeights: false })[0]);
    let x = tgt;
    if (this.normFirst) {
      x = add(x, sa(this.norm1.call(x)));
      x = add(x, mha(this.norm2.call(x)));
      x = add(x, this.feedForward(this.norm3.call(x), this.dropout3));
    } else {
      x = this.norm1.call(add(x, sa(x)));
      x = this.norm2.call(add(x, mha(x)));
      x = this.norm3.call(add(x, this.feedForward(x, this.dropout3)));
    }
    return x;
  }
}

function stackArgs<L extends TransformerLayerBase>(fn: string, kind: new (...a: any[]) => L, args: unknown[]): { layer: L; numLayers: number; norm: Module | null } {
  const o = mergeArgs(fn, args, [fn === 'TransformerEncoder' ? 'encoderLayer' : 'decoderLayer', 'numLayers', 'norm']) as Record<string, unknown>;
  const layer = o.encoderLayer ?? o.decoderLayer;
  if (!(layer instanceof kind)) throw new TypeError(`${fn}: the first argument must be a ${kind.name}, got ${describeValue(layer)}`);
  const n = o.numLayers;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw new TypeError(`${fn}: numLayers must be a positive integer, got ${describeValue(n)}`);
  const norm = o.norm ?? null;
  if (norm !== null && !(norm instanceof Module)) throw new TypeError(`${fn}: norm must be a Module or null, got ${describeValue(norm)}`);
  return { layer, numLayers: n, norm: norm as Module | null };
}

export interface TransformerEncoderForwardOptions {
  mask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
}

/** torch.nn.TransformerEncoder: numLayers copies of an encoder layer ('layers.i.'), then an optional norm. */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  norm: Module | null;
  readonly numLayers: number;

  /** (encoderLayer, numLayers, norm?) or (encoderLayer, numLayers, {norm}) */
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, ...rest: [norm?: Module | null] | [opts: { norm?: Module | null }]) {
    super();
    const a = stackArgs('TransformerEncoder', TransformerEncoderLayer, [encoderLayer, numLayers, ...rest]);
    this.layers = new ModuleList(Array.from({ length: a.numLayers }, () => a.layer.copy()));
    this.numLayers = a.numLayers;
    this.norm = a.norm;
    if (a.norm === null) this.registerModule('norm', null);
  }

  /** forward(src, mask?, srcKeyPaddingMask?) or forward(src, {mask, srcKeyPaddingMask}) */
  forward(src: Tensor, ...rest: [opts?: TransformerEncoderForwardOptions] | [mask?: Tensor | null, srcKeyPaddingMask?: Tensor | null]): Tensor {
    const a = forwardArgs('TransformerEncoder.forward', [src, ...rest], ['src', 'mask', 'srcKeyPaddingMask']);
    let x = src;
    for (const layer of this.layers.children() as TransformerEncoderLayer[]) x = layer.call(x, { srcMask: a.mask ?? null, srcKeyPaddingMask: a.srcKeyPaddingMask ?? null });
    return this.norm ? (this.norm.call(x) as Tensor) : x;
  }
}

/** torch.nn.TransformerDecoder: numLayers copies of a decoder layer ('layers.i.'), then an optional norm. */
export class TransformerDecoder extends Module {
  layers: ModuleList;
  norm: Module | null;
  readonly numLayers: number;

  /** (decoderLayer, numLayers, norm?) or (decoderLayer, numLayers, {norm}) */
  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, ...rest: [norm?: Module | null] | [opts: { norm?: Module | null }]) {
    super();
    const a = stackArgs('TransformerDecoder', TransformerDecoderLayer, [decoderLayer, numLayers, ...rest]);
    this.layers = new ModuleList(Array.from({ length: a.numLayers }, () => a.layer.copy()));
    this.numLayers = a.numLayers;
    this.norm = a.norm;
    if (a.norm === null) this.registerModule('norm', null);
  }

  /** forward(tgt, memory, tgtMask?, memoryMask?, tgtKeyPaddingMask?, memoryKeyPaddingMask?) or forward(tgt, memory, {…}) */
  forward(tgt: Tensor, memory: Tensor, ...rest: DecoderForwardRest): Tensor {
    const a = forwardArgs('TransformerDecoder.forward', [tgt, memory, ...rest], DECODER_FORWARD);
    const opts: TransformerDecoderLayerForwardOptions = {
      tgtMask: a.tgtMask ?? null, memoryMask: a.memoryMask ?? null, tgtKeyPaddingMask: a.tgtKeyPaddingMask ?? null, memoryKeyPaddingMask: a.memoryKeyPaddingMask ?? null,
    };
    let x = tgt;
    for (const layer of this.layers.children() as TransformerDecoderLayer[]) x = layer.call(x, memory, opts);
    return this.norm ? (this.norm.call(x) as Tensor) : x;
  }
}
