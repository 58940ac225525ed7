/**
 * The blocks of a GPT (nanoGPT's model.py, with its parameter names): CausalSelfAttention, MLP, Block, and
 * the Llama-style alternatives (RMSNorm, a SwiGLU MLP, rotary position embeddings) behind config switches.
 *
 * Dimension letters: B batch, T time (new positions), P cached positions, C = nEmbd, H = nHead, D = C/H.
 *
 *   attention:  q, k, v = split(x·Wattnᵀ + b) → [B, H, T, D];  y = softmax(q·kᵀ/√D + causal)·v;  out = c_proj(y)
 *   block:      x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))          (pre-LayerNorm)
 *   MLP:        gelu:   c_proj(gelu(c_fc(x)))              c_fc: C → 4C, c_proj: 4C → C
 *               swiglu: c_proj(silu(a)·b), [a, b] = c_fc(x) c_fc: C → 2·hidden, c_proj: hidden → C
 *   rotary:     for each head vector split into halves (x₁, x₂) and frequencies θᵢ = base^(−2i/D):
 *               rope(x, pos) = [x₁·cos(pos·θ) − x₂·sin(pos·θ),  x₂·cos(pos·θ) + x₁·sin(pos·θ)]
 *               (the "rotate half" layout of GPT-NeoX / Hugging Face Llama), applied to q and k, so q·k
 *               depends on positions only through their difference.
 */
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../random.js';
import { noGrad } from '../autograd/gradMode.js';
import { add, mul, neg } from '../ops/elementwise.js';
import { cat, chunk, permute, reshape, transpose } from '../ops/movement.js';
import { dropout, scaledDotProductAttention, swiglu } from '../ops/nn/index.js';
import { Module, reprValue } from './module.js';
import { Linear } from './linear.js';
import { LayerNorm, RMSNorm } from './norm.js';
import { geluFast } from './geluFast.js';
import { normal_, zeros_ } from './init.js';
import { checkGPTArgs } from './gptArgs.js';

/** nanoGPT's GPTConfig in camelCase, plus the Llama-style switches. */
export interface GPTConfig {
  /** context length: the most positions one forward sees (default 1024) */
  blockSize: number;
  /** vocabulary size (default 50304, GPT-2's 50257 rounded up to a multiple of 64, as nanoGPT) */
  vocabSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** dropout on embeddings, attention weights and residual branches while training (default 0) */
  dropout: number;
  /** biases in the Linears and LayerNorms (default true, as GPT-2) */
  bias: boolean;
  /** 'layernorm' (GPT-2, default) or 'rmsnorm' (Llama) */
  norm: 'layernorm' | 'rmsnorm';
  /** 'gelu' (GPT-2, default: exact erf GELU as nanoGPT's nn.GELU()) or 'swiglu' (Llama) */
  mlp: 'gelu' | 'swiglu';
  /** 'learned' position table wpe (GPT-2, default) or 'rotary' (Llama; no wpe) */
  positions: 'learned' | 'rotary';
  /** hidden width of the MLP (default 4·nEmbd for gelu; for swiglu ⌈(8/3)·nEmbd⌉ rounded up to a multiple of 8) */
  mlpHidden?: number;
  /** rotary frequency base (default 10000) */
  ropeBase: number;
  /** epsilon of the norms (default 1e-5) */
  normEps: number;
}

export const defaultGPTConfig: GPTConfig = {
  blockSize: 1024, vocabSize: 50304, nLayer: 12, nHead: 12, nEmbd: 768, dropout: 0, bias: true,
  norm: 'layernorm', mlp: 'gelu', positions: 'learned', ropeBase: 10000, normEps: 1e-5,
};

/** Fill in defaults and check every field, naming the one that is wrong. */
export function resolveGPTConfig(config: Partial<GPTConfig>): GPTConfig {
  const c: GPTConfig = { ...defaultGPTConfig, ...config };
  const posInt = (k: 'blockSize' | 'vocabSize' | 'nLayer' | 'nHead' | 'nEmbd') => {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new Error(`GPT: config.${k} must be a positive integer, got ${String(c[k])}`);
  };
  (['blockSize', 'vocabSize', 'nLayer', 'nHead', 'nEmbd'] as const).forEach(posInt);
  if (c.nEmbd % c.nHead !== 0) throw new Error(`GPT: config.nEmbd (${c.nEmbd}) must be divisible by config.nHead (${c.nHead})`);
  if (!(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`GPT: config.dropout must be in [0, 1), got ${String(c.dropout)}`);
  if (typeof c.bias !== 'boolean') throw new TypeError(`GPT: config.bias must be a boolean, got ${String(c.bias)}`);
  if (c.norm !== 'layernorm' && c.norm !== 'rmsnorm') throw new Error(`GPT: config.norm must be 'layernorm' or 'rmsnorm', got '${String(c.norm)}'`);
  if (c.mlp !== 'gelu' && c.mlp !== 'swiglu') throw new Error(`GPT: config.mlp must be 'gelu' or 'swiglu', got '${String(c.mlp)}'`);
  if (c.positions !== 'learned' && c.positions !== 'rotary') throw new Error(`GPT: config.positions must be 'learned' or 'rotary', got '${String(c.positions)}'`);
  if (c.positions === 'rotary' && (c.nEmbd / c.nHead) % 2 !== 0) throw new Error(`GPT: rotary positions need an even head size, got nEmbd/nHead = ${c.nEmbd / c.nHead}`);
  if (c.mlpHidden !== undefined && (!Number.isInteger(c.mlpHidden) || c.mlpHidden <= 0)) throw new Error(`GPT: config.mlpHidden must be a positive integer, got ${String(c.mlpHidden)}`);
  if (!(c.ropeBase > 0)) throw new RangeError(`GPT: config.ropeBase must be positive, got ${c.ropeBase}`);
  if (!(c.normEps >= 0)) throw new RangeError(`GPT: config.normEps must be non-negative, got ${c.normEps}`);
  return c;
}

/** Layer options shared by the blocks: the generator for init and dropout masks, and the dtype. */
export interface GPTLayerOptions {
  generator?: Generator;
  dtype?: DType;
}

/** One layer's cached keys and values, [B, H, P, D] each (what generation with a KV cache carries). */
export interface KVCache {
  k: Tensor;
  v: Tensor;
}

/** The normalisation layer the config names (nanoGPT's LayerNorm takes bias=False to drop the bias). */
export function makeNorm(c: GPTConfig, dtype?: DType): Module {
  return c.norm === 'rmsnorm' ? new RMSNorm(c.nEmbd, { eps: c.normEps, dtype }) : new LayerNorm(c.nEmbd, { eps: c.normEps, bias: c.bias, dtype });
}

/** nanoGPT's init of a Linear: weight ~ N(0, std²), bias zeros. */
function initLinear(l: Linear, std: number, g?: Generator): void {
  normal_(l.weight, 0, std, { generator: g });
  if (l.bias) zeros_(l.bias);
}

/**
 * cos and sin of pos·θᵢ for positions [start, start + T), each [T, D] with the D/2 frequencies repeated
 * twice (matching the two halves rope rotates together), in the given dtype.
 */
export function rotaryTables(T: number, D: number, start: number, base: number, dtype: DType): { cos: Tensor; sin: Tensor } {
  const half = D / 2;
  const c = new Float64Array(T * D), s = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const a = (start + t) * Math.pow(base, (-2 * i) / D);
      const ca = Math.cos(a), sa = Math.sin(a);
      c[t * D + i] = ca; c[t * D + half + i] = ca;
      s[t * D + i] = sa; s[t * D + half + i] = sa;
    }
  }
  return { cos: Tensor.fromValues(c, [T, D], dtype), sin: Tensor.fromValues(s, [T, D], dtype) };
}

/** rope(x) = x·cos + rotateHalf(x)·sin, rotateHalf([x₁, x₂]) = [−x₂, x₁]; x [..., T, D], tables [T, D]. */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const [x1, x2] = chunk(x, 2, -1) as [Tensor, Tensor];
  return add(mul(x, cos), mul(cat([neg(x2), x1], -1), sin));
}

/** nanoGPT's CausalSelfAttention: c_attn (C → 3C), causal scaled dot-product attention over H heads, c_proj (C → C). */
export class CausalSelfAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly dropout: number;
  readonly rotary: boolean;
  readonly ropeBase: number;
  /** generator of the dropout masks (default: the global one) */
  generator: Generator | undefined;

  constructor(config: Partial<GPTConfig>, opts: GPTLayerOptions = {}) {
    super();
    checkGPTArgs('CausalSelfAttention', arguments);
    const c = resolveGPTConfig(config);
    this.nHead = c.nHead;
    this.nEmbd = c.nEmbd;
    this.dropout = c.dropout;
    this.rotary = c.positions === 'rotary';
    this.ropeBase = c.ropeBase;
    this.generator = opts.generator;
    this.c_attn = new Linear(c.nEmbd, 3 * c.nEmbd, { bias: c.bias, dtype: opts.dtype, generator: opts.generator });
    this.c_proj = new Linear(c.nEmbd, c.nEmbd, { bias: c.bias, dtype: opts.dtype, generator: opts.generator });
    initLinear(this.c_attn, 0.02, opts.generator);
    // residual projections: std 0.02/√(2·nLayer) (GPT-2: each of the 2·nLayer residual adds grows the variance)
    initLinear(this.c_proj, 0.02 / Math.sqrt(2 * c.nLayer), opts.generator);
  }

  /**
   * x [B, T, C] → [B, T, C]. With a cache of P earlier positions (generation), the new keys and values are
   * appended to it, the T new queries attend to all P + T keys (query i sees keys ≤ P + i), and the grown
   * cache is returned in `cache`.
   */
  forward(x: Tensor, cache?: KVCache | null): { y: Tensor; cache: KVCache } {
    if (x.ndim !== 3 || x.shape[2] !== this.nEmbd) throw new Error(`CausalSelfAttention: input must be [B, T, ${this.nEmbd}], got [${x.shape.join(', ')}]`);
    const [B, T, C] = x.shape as [number, number, number];
    const H = this.nHead, D = C / H;
    const [q0, k0, v0] = chunk(this.c_attn.call(x), 3, -1) as [Tensor, Tensor, Tensor];
    const heads = (t: Tensor) => permute(reshape(t, [B, T, H, D]), [0, 2, 1, 3]); // [B, H, T, D]
    let q = heads(q0), k = heads(k0), v = heads(v0);
    const P = cache ? cache.k.shape[2]! : 0;
    if (this.rotary) {
      const { cos, sin } = rotaryTables(T, D, P, this.ropeBase, x.dtype);
      q = applyRotary(q, cos, sin);
      k = applyRotary(k, cos, sin);
    }
    if (cache) {
      k = cat([cache.k, k], 2);
      v = cat([cache.v, v], 2);
    }
    const p = this.training ? this.dropout : 0;
    const attnOpts = { dropoutP: p, training: p > 0, generator: this.generator };
    let y: Tensor;
    if (P === 0) y = scaledDotProductAttention(q, k, v, { ...attnOpts, isCausal: T > 1 });
    else if (T === 1) y = scaledDotProductAttention(q, k, v, attnOpts);
    else {
      // new query i (absolute position P + i) sees keys j ≤ P + i
      const keep = new Uint8Array(T * (P + T));
      for (let i = 0; i < T; i++) keep.fill(1, i * (P + T), i * (P + T) + P + i + 1);
      const mask = noGrad(() => Tensor.fromValues(keep, [T, P + T], 'bool', x.backend));
      y = scaledDotProductAttention(q, k, v, { ...attnOpts, attnMask: mask });
    }
    y = reshape(transpose(y, 1, 2), [B, T, C]);
    y = this.c_proj.call(y);
    if (p > 0) y = dropout(y, { p, generator: this.generator });
    return { y, cache: { k, v } };
  }

  override extraRepr(): string {
    return `n_embd=${this.nEmbd}, n_head=${this.nHead}, dropout=${this.dropout}, rotary=${reprValue(this.rotary)}`;
  }
}

/** nanoGPT's MLP (c_fc, GELU, c_proj) or Llama's SwiGLU (c_fc holds the gate and up projections stacked). */
export class MLP extends Module {
  c_fc: Linear;
  c_proj: Linear;
  readonly kind: 'gelu' | 'swiglu';
  readonly hidden: number;
  readonly dropout: number;
  generator: Generator | undefined;

  constructor(config: Partial<GPTConfig>, opts: GPTLayerOptions = {}) {
    super();
    checkGPTArgs('MLP', arguments);
    const c = resolveGPTConfig(config);
    this.kind = c.mlp;
    this.hidden = c.mlpHidden ?? (c.mlp === 'gelu' ? 4 * c.nEmbd : 8 * Math.ceil((8 * c.nEmbd) / 3 / 8));
    this.dropout = c.dropout;
    this.generator = opts.generator;
    const fcOut = c.mlp === 'gelu' ? this.hidden : 2 * this.hidden;
    this.c_fc = new Linear(c.nEmbd, fcOut, { bias: c.bias, dtype: opts.dtype, generator: opts.generator });
    this.c_proj = new Linear(this.hidden, c.nEmbd, { bias: c.bias, dtype: opts.dtype, generator: opts.generator });
    initLinear(this.c_fc, 0.02, opts.generator);
    initLinear(this.c_proj, 0.02 / Math.sqrt(2 * c.nLayer), opts.generator);
  }

  forward(x: Tensor): Tensor {
    let h = this.c_fc.call(x);
    h = this.kind === 'swiglu' ? swiglu(h, -1) : geluFast(h);
    let y = this.c_proj.call(h);
    if (this.training && this.dropout > 0) y = dropout(y, { p: this.dropout, generator: this.generator });
    return y;
  }

  override extraRepr(): string {
    return `kind=${reprValue(this.kind)}, hidden=${this.hidden}`;
  }
}

/** Pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
export class Block extends Module {
  ln_1: Module;
  attn: CausalSelfAttention;
  ln_2: Module;
  mlp: MLP;

  constructor(config: Partial<GPTConfig>, opts: GPTLayerOptions = {}) {
    super();
    checkGPTArgs('Block', arguments);
    const c = resolveGPTConfig(config);
    this.ln_1 = makeNorm(c, opts.dtype);
    this.attn = new CausalSelfAttention(c, opts);
    this.ln_2 = makeNorm(c, opts.dtype);
    this.mlp = new MLP(c, opts);
  }

  forward(x: Tensor, cache?: KVCache | null): { y: Tensor; cache: KVCache } {
    const a = this.attn.forward(this.ln_1.call(x) as Tensor, cache);
    const h = add(x, a.y);
    return { y: add(h, this.mlp.call(this.ln_2.call(h) as Tensor)), cache: a.cache };
  }
}
