/**
 * nn.GPT: nanoGPT's GPT-2 model (Karpathy's model.py) with its parameter names, so a state dict moves between
 * nabla and PyTorch unchanged:
 *
 *   transformer.wte.weight [V, C]      token embedding, tied to lm_head.weight (one tensor, two keys)
 *   transformer.wpe.weight [block, C]  learned positions (absent with positions: 'rotary')
 *   transformer.h.{i}.ln_1 / attn.c_attn / attn.c_proj / ln_2 / mlp.c_fc / mlp.c_proj
 *   transformer.ln_f, lm_head.weight [V, C]
 *
 *   logits = lm_head(ln_f(blocks(drop(wte[idx] + wpe[0..T)))))
 *   loss   = cross-entropy of logits [B·T, V] against targets [B·T] (targets of −1 are ignored)
 *
 * Init as nanoGPT: every Linear and Embedding weight ~ N(0, 0.02²), biases 0, the residual projections
 * (attn.c_proj, mlp.c_proj) ~ N(0, (0.02/√(2·nLayer))²), norms weight 1 / bias 0.
 */
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad } from '../autograd/gradMode.js';
import { checkpoint } from '../utils/checkpoint.js';
import type { Generator } from '../random.js';
import { add } from '../ops/elementwise.js';
import { narrow, reshape } from '../ops/movement.js';
import { crossEntropy } from '../ops/nn/index.js';
import { scope } from '../memory.js';
import { zeros } from '../creation.js';
import { Module } from './module.js';
import { ModuleDict, ModuleList } from './containers.js';
import { Embedding } from './embedding.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { normal_ } from './init.js';
import { Block, makeNorm, resolveGPTConfig, type GPTConfig, type GPTLayerOptions, type KVCache } from './transformer.js';
import { checkSamplingOptions, sampleToken, type SamplingOptions } from './sampling.js';
import { checkGPTArgs } from './gptArgs.js';

export interface GPTOutput {
  /** [B, T, V] */
  logits: Tensor;
  /** mean cross-entropy over the non-ignored targets; null without targets */
  loss: Tensor | null;
}

export interface GenerateOptions extends SamplingOptions {
  /**
   * reuse each layer's keys and values from the previous step (default true): one new position per step
   * instead of the whole context. Once the context exceeds blockSize the window slides and positions shift,
   * so those steps recompute the window, exactly as without the cache.
   */
  useCache?: boolean;
}

export class GPT extends Module {
  readonly config: GPTConfig;
  transformer: ModuleDict;
  lm_head: Linear;
  /**
   * Activation checkpointing of the block stack (Hugging Face's `gradient_checkpointing`): in training mode with
   * grad enabled, forward runs each block under nb.utils.checkpoint, so only the blocks' inputs are kept for
   * backward and each block's forward runs again during backward (less activation memory, one extra forward).
   * Gradients are the same as without it: dropout masks are replayed, also from a generator given in the options.
   */
  gradientCheckpointing = false;
  private readonly dropoutGenerator: Generator | undefined;

  constructor(config: Partial<GPTConfig>, opts: GPTLayerOptions = {}) {
    super();
    checkGPTArgs('GPT', arguments);
    const c = resolveGPTConfig(config);
    this.config = c;
    const g = opts.generator, dtype = opts.dtype ?? 'float32';
    this.dropoutGenerator = g;
    const table = (n: number) => {
      const e = new Embedding(n, c.nEmbd, { weight: zeros([n, c.nEmbd], { dtype }) });
      normal_(e.weight, 0, 0.02, { generator: g });
      return e;
    };
    const parts: Record<string, Module> = { wte: table(c.vocabSize) };
    if (c.positions === 'learned') parts.wpe = table(c.blockSize);
    parts.drop = new Dropout(c.dropout, { generator: g });
    parts.h = new ModuleList(Array.from({ length: c.nLayer }, () => new Block(c, opts)));
    parts.ln_f = makeNorm(c, dtype);
    this.transformer = new ModuleDict(parts);
    this.lm_head = new Linear(c.nEmbd, c.vocabSize, { bias: false, dtype, generator: g });
    // weight tying (Press & Wolf): the output head reads the token embedding; one parameter under two keys
    this.lm_head.weight = this.wte.weight;
  }

  get wte(): Embedding { return this.transformer.get('wte') as Embedding; }
  get wpe(): Embedding | null { return (this.transformer.get('wpe') as Embedding | undefined) ?? null; }
  get blocks(): Block[] { return [...(this.transformer.get('h') as ModuleList)] as Block[]; }

  /** Parameters, counting the tied embedding once and (as nanoGPT's get_num_params) without wpe unless asked. */
  numParams(nonEmbedding = true): number {
    let n = this.numParameters();
    if (nonEmbedding && this.wpe) n -= this.wpe.weight.numel();
    return n;
  }

  private checkIdx(op: string, idx: Tensor, start: number): void {
    if (!(idx instanceof Tensor)) throw new TypeError(`${op}: idx must be a Tensor of token ids, got ${typeof idx}`);
    if (idx.dtype !== 'int32' || idx.ndim !== 2) throw new TypeError(`${op}: idx must be an int32 tensor [B, T] of token ids, got ${idx.describe()}`);
    const T = idx.shape[1]!;
    if (T === 0) throw new Error(`${op}: idx has no positions (T = 0)`);
    if (start + T > this.config.blockSize) throw new Error(`${op}: cannot forward a sequence of length ${start + T}, block size is only ${this.config.blockSize}`);
  }

  /**
   * The hidden states after ln_f for positions [start, start + T), and each layer's grown cache (none when the
   * blocks are checkpointed: forward only).
   */
  private trunk(idx: Tensor, caches: KVCache[] | null, ckpt = false): { x: Tensor; caches: KVCache[] } {
    const T = idx.shape[1]!;
    const start = caches ? caches[0]!.k.shape[2]! : 0;
    let x = this.wte.call(idx);
    const wpe = this.wpe;
    if (wpe) {
      const pos = Tensor.fromValues(Int32Array.from({ length: T }, (_, i) => start + i), [T], 'int32', idx.backend);
      x = add(x, wpe.call(pos));
    }
    x = (this.transformer.get('drop') as Dropout).call(x);
    const out: KVCache[] = [];
    if (ckpt) {
      for (const b of this.blocks) x = checkpoint(this.replayingDropout((v: Tensor) => b.forward(v, null).y), x);
      return { x: (this.transformer.get('ln_f') as Module).call(x) as Tensor, caches: out };
    }
    this.blocks.forEach((b, i) => {
      const r = b.forward(x, caches ? caches[i] : null);
      x = r.y;
      out.push(r.cache);
    });
    return { x: (this.transformer.get('ln_f') as Module).call(x) as Tensor, caches: out };
  }

  /**
   * fn, whose second and later calls (checkpoint's recomputations) start the dropout generator given in the
   * options from its state at the first call and leave it where it was (checkpoint replays the default one).
   */
  private replayingDropout(fn: (v: Tensor) => Tensor): (v: Tensor) => Tensor {
    const g = this.dropoutGenerator;
    if (!g || this.config.dropout === 0) return fn;
    let first: number[] | null = null;
    return (v) => {
      if (first === null) { first = g.getState(); return fn(v); }
      const now = g.getState();
      g.setState(first);
      try { return fn(v); } finally { g.setState(now); }
    };
  }

  /** idx int32 [B, T] (T ≤ blockSize) → logits [B, T, V], and the loss when targets [B, T] are given. */
  forward(idx: Tensor, targets?: Tensor | null): GPTOutput {
    this.checkIdx('GPT.forward', idx, 0);
    const [B, T] = idx.shape as [number, number];
    const ckpt = this.gradientCheckpointing && this.training && isGradEnabled();
    const logits = this.lm_head.call(this.trunk(idx, null, ckpt).x);
    let loss: Tensor | null = null;
    if (targets !== undefined && targets !== null) {
      if (!(targets instanceof Tensor) || targets.dtype !== 'int32' || targets.ndim !== 2 || targets.shape[0] !== B || targets.shape[1] !== T) {
        throw new TypeError(`GPT.forward: targets must be an int32 tensor [${B}, ${T}] like idx, got ${targets instanceof Tensor ? targets.describe() : typeof targets}`);
      }
      loss = crossEntropy(reshape(logits, [B * T, this.config.vocabSize]), reshape(targets, [B * T]), { ignoreIndex: -1 });
    }
    return { logits, loss };
  }

  /**
   * Logits [B, V] of the last position of idx, feeding only idx's new positions through the layers when
   * `caches` holds the earlier ones; returns the grown caches. (The generation step; no graph is needed.)
   */
  forwardStep(idx: Tensor, caches: KVCache[] | null): { logits: Tensor; caches: KVCache[] } {
    const start = caches ? caches[0]!.k.shape[2]! : 0;
    this.checkIdx('GPT.forwardStep', idx, start);
    const { x, caches: grown } = this.trunk(idx, caches);
    const T = idx.shape[1]!;
    const last = reshape(narrow(x, 1, T - 1, 1), [x.shape[0]!, x.shape[2]!]);
    return { logits: this.lm_head.call(last), caches: grown };
  }

  /**
   * Continue each row of idx (int32 [B, T]) by maxNewTokens sampled tokens → [B, T + maxNewTokens]. Runs in
   * eval mode without a graph; rows draw in order from opts.generator, so a seed fixes the output.
   */
  generate(idx: Tensor, maxNewTokens: number, opts: GenerateOptions = {}): Tensor {
    const op = 'GPT.generate';
    if (!(idx instanceof Tensor) || idx.dtype !== 'int32' || idx.ndim !== 2 || idx.shape[1] === 0) {
      throw new TypeError(`${op}: idx must be an int32 tensor [B, T] with T ≥ 1, got ${idx instanceof Tensor ? idx.describe() : typeof idx}`);
    }
    if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 0)) throw new RangeError(`${op}: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
    checkSamplingOptions(op, opts);
    const V = this.config.vocabSize, block = this.config.blockSize;
    const [B, T0] = idx.shape as [number, number];
    const rows: number[][] = [];
    const ids = idx.data();
    for (let b = 0; b < B; b++) {
      const r = Array.from(ids.subarray(b * T0, (b + 1) * T0));
      r.forEach((t) => { if (!(t >= 0 && t < V)) throw new RangeError(`${op}: token id ${t} is outside the vocabulary [0, ${V})`); });
      rows.push(r);
    }
    const useCache = opts.useCache ?? true;
    const wasTraining = this.training;
    this.eval();
    let caches: KVCache[] | null = null;
    const release = (cs: KVCache[] | null) => cs?.forEach((c) => { c.k.dispose(); c.v.dispose(); });
    try {
      noGrad(() => {
        for (let s = 0; s < maxNewTokens; s++) {
          const L = rows[0]!.length;
          const incremental = useCache && caches !== null && L <= block;
          const from = incremental ? L - 1 : Math.max(0, L - block);
          const feed = Tensor.fromValues(Int32Array.from(rows.flatMap((r) => r.slice(from))), [B, L - from], 'int32', idx.backend);
          const prev: KVCache[] | null = incremental ? caches : null;
          const step = scope(() => this.forwardStep(feed, prev));
          const logits = step.logits.data();
          for (let b = 0; b < B; b++) rows[b]!.push(sampleToken(logits.subarray(b * V, (b + 1) * V), opts));
          step.logits.dispose();
          feed.dispose();
          release(caches);
          caches = useCache ? step.caches : null;
          if (!useCache) release(step.caches);
        }
      });
    } finally {
      release(caches);
      if (wasTraining) this.train();
    }
    return Tensor.fromValues(Int32Array.from(rows.flat()), [B, T0 + maxNewTokens], 'int32', idx.backend);
  }

  override extraRepr(): string {
    const c = this.config;
    return `n_layer=${c.nLayer}, n_head=${c.nHead}, n_embd=${c.nEmbd}, block_size=${c.blockSize}, vocab_size=${c.vocabSize}`;
  }
}
