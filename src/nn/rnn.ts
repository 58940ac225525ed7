/**
 * LSTM and GRU with PyTorch's constructor arguments, parameter names, gate order and results, so weights
 * move between the two by state-dict name.
 *
 * Parameters, for layer k and direction suffix s ('' forward, '_reverse' backward), G gates:
 *   weight_ih_lk{s} [G·H, in_k]   weight_hh_lk{s} [G·H, H]   bias_ih_lk{s} [G·H]   bias_hh_lk{s} [G·H]
 * with in_0 = inputSize and in_k = D·H above (D = 2 when bidirectional). Init: every parameter ~ U(−1/√H, 1/√H).
 *
 * LSTM (G = 4, gate rows in the order i, f, g, o):
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
 * GRU (G = 3, gate rows in the order r, z, n):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Layer k > 0 reads the concatenated outputs of layer k − 1 (forward ‖ backward), with dropout between
 * layers while training. The reverse direction reads the sequence from the last step to the first and its
 * output at step t is the state after reading x_t..x_{L−1}.
 *
 * Shapes (L sequence, N batch): input [L, N, inputSize] ([N, L, inputSize] with batchFirst, or unbatched
 * [L, inputSize]); states [numLayers·D, N, H] (unbatched [numLayers·D, H], never batch-first); output
 * [L, N, D·H]. LSTM returns [output, [h_n, c_n]], GRU [output, h_n].
 */
import { mergeArgs, describeValue } from '../strict.js';
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../random.js';
import { zeros } from '../creation.js';
import { add, mul, sigmoid, sub, tanh } from '../ops/elementwise.js';
import { linear } from '../ops/matmul.js';
import { cat, chunk, select, stack, transpose, unsqueeze, squeeze } from '../ops/movement.js';
import { dropout } from '../ops/nn/index.js';
import { empty } from './_util.js';
import { Module, reprValue } from './module.js';
import { uniform_ } from './init.js';

export interface RNNOptions {
  /** stacked layers (default 1) */
  numLayers?: number;
  /** the four biases per layer and direction (default true) */
  bias?: boolean;
  /** input and output are [N, L, ·] instead of [L, N, ·] (default false; the states stay [layers·D, N, H]) */
  batchFirst?: boolean;
  /** dropout on the outputs of every layer but the last, while training (default 0) */
  dropout?: number;
  /** a second direction reading the sequence backwards (default false) */
  bidirectional?: boolean;
  /** generator for the initial weights and the dropout masks (default: the global one) */
  generator?: Generator;
  dtype?: DType;
}

type Mode = 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { LSTM: 4, GRU: 3 };
const POSITIONAL = ['inputSize', 'hiddenSize', 'numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional'];

type RNNRest =
  | [opts?: RNNOptions]
  | [numLayers: number, opts?: RNNOptions]
  | [numLayers: number, bias: boolean, opts?: RNNOptions]
  | [numLayers: number, bias: boolean, batchFirst: boolean, opts?: RNNOptions]
  | [numLayers: number, bias: boolean, batchFirst: boolean, dropout: number, opts?: RNNOptions]
  | [numLayers: number, bias: boolean, batchFirst: boolean, dropout: number, bidirectional: boolean, opts?: RNNOptions];

interface CellWeights {
  wih: Tensor;
  whh: Tensor;
  bih: Tensor | null;
  bhh: Tensor | null;
}

/** Shared by LSTM and GRU: argument checks, parameters, the layer/direction loop. */
abstract class RNNBase extends Module {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** generator of the dropout masks (default: the global one) */
  generator: Generator | undefined;

  protected constructor(mode: Mode, args: unknown[]) {
    super();
    const o = mergeArgs(mode, args, POSITIONAL, ['generator', 'dtype']) as RNNOptions & { inputSize?: unknown; hiddenSize?: unknown };
    const posInt = (name: string, v: unknown, min: number): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`${mode}: ${name} must be an integer ≥ ${min}, got ${describeValue(v)}`);
      return v;
    };
    const bool = (name: string, v: unknown, dflt: boolean): boolean => {
      if (v === undefined) return dflt;
      if (typeof v !== 'boolean') throw new TypeError(`${mode}: ${name} must be true or false, got ${describeValue(v)}`);
      return v;
    };
    this.mode = mode;
    this.inputSize = posInt('inputSize', o.inputSize, 1);
    this.hiddenSize = posInt('hiddenSize', o.hiddenSize, 1);
    this.numLayers = posInt('numLayers', o.numLayers ?? 1, 1);
    this.bias = bool('bias', o.bias, true);
    this.batchFirst = bool('batchFirst', o.batchFirst, false);
    this.bidirectional = bool('bidirectional', o.bidirectional, false);
    const p = o.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${mode}: dropout must be a number in [0, 1], got ${describeValue(p)}`);
    this.dropout = p;
    this.generator = o.generator;
    const dtype = o.dtype ?? 'float32';
    const G = GATES[mode], H = this.hiddenSize, D = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const inSize = layer === 0 ? this.inputSize : H * D;
      for (let dir = 0; dir < D; dir++) {
        const s = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        this.registerParameter(`weight_ih${s}`, empty([G * H, inSize], dtype));
        this.registerParameter(`weight_hh${s}`, empty([G * H, H], dtype));
        if (this.bias) {
          this.registerParameter(`bias_ih${s}`, empty([G * H], dtype));
          this.registerParameter(`bias_hh${s}`, empty([G * H], dtype));
        }
      }
    }
    this.resetParameters(o.generator);
  }

  /** Every parameter ~ U(−1/√hiddenSize, 1/√hiddenSize), in registration order (as PyTorch). */
  resetParameters(generator?: Generator): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -k, k, { generator });
  }

  /** PyTorch's memory-layout hint for cuDNN; nabla's weights are always usable as they are. */
  flattenParameters(): void {}

  private weights(layer: number, dir: number): CellWeights {
    const s = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
    const get = (n: string) => this._parameters.get(n) ?? null;
    return { wih: get(`weight_ih${s}`)!, whh: get(`weight_hh${s}`)!, bih: get(`bias_ih${s}`), bhh: get(`bias_hh${s}`) };
  }

  /** One cell step: the new [h, c] (c unused by GRU) from the input projection gx = W_ih x + b_ih. */
  private step(gx: Tensor, h: Tensor, c: Tensor | null, w: CellWeights): [Tensor, Tensor | null] {
    const gh = linear(h, w.whh, w.bhh);
    if (this.mode === 'LSTM') {
      const [i, f, g, o] = chunk(add(gx, gh), 4, -1) as [Tensor, Tensor, Tensor, Tensor];
      const c2 = add(mul(sigmoid(f), c!), mul(sigmoid(i), tanh(g)));
      return [mul(sigmoid(o), tanh(c2)), c2];
    }
    const [xr, xz, xn] = chunk(gx, 3, -1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = chunk(gh, 3, -1) as [Tensor, Tensor, Tensor];
    const r = sigmoid(add(xr, hr));
    const z = sigmoid(add(xz, hz));
    const n = tanh(add(xn, mul(r, hn)));
    // (1 − z)·n + z·h = n + z·(h − n)
    return [add(n, mul(z, sub(h, n))), null];
  }

  /** Run the stack on x [L, N, in] from states [layers·D, N, H]; returns the output [L, N, D·H] and final states. */
  protected run(x: Tensor, h0: Tensor, c0: Tensor | null): { output: Tensor; h: Tensor; c: Tensor | null } {
    const D = this.bidirectional ? 2 : 1, L = x.shape[0]!;
    const hs: Tensor[] = [], cs: Tensor[] = [];
    let layerIn = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const dirOut: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const w = this.weights(layer, dir);
        const gx = linear(layerIn, w.wih, w.bih); // [L, N, G·H], all steps at once
        let h = select(h0, 0, layer * D + dir);
        let c = c0 ? select(c0, 0, layer * D + dir) : null;
        const outs = new Array<Tensor>(L);
        for (let s = 0; s < L; s++) {
          const t = dir === 1 ? L - 1 - s : s;
          [h, c] = this.step(select(gx, 0, t), h, c, w);
          outs[t] = h;
        }
        hs.push(h);
        if (c) cs.push(c);
        dirOut.push(stack(outs, 0));
      }
      layerIn = D === 2 ? cat(dirOut, -1) : dirOut[0]!;
      if (this.training && this.dropout > 0 && layer < this.numLayers - 1) {
        layerIn = dropout(layerIn, { p: this.dropout, training: true, generator: this.generator });
      }
    }
    return { output: layerIn, h: stack(hs, 0), c: cs.length ? stack(cs, 0) : null };
  }

  /** Check and normalise the input and a state to the batched [L, N, in] / [layers·D, N, H] layout. */
  protected prepare(input: Tensor, states: (Tensor | null | undefined)[], stateNames: string[]): { x: Tensor; states: Tensor[]; unbatched: boolean } {
    const m = this.mode;
    if (!(input instanceof Tensor)) throw new TypeError(`${m}: input must be a Tensor, got ${describeValue(input)}`);
    if (input.ndim !== 2 && input.ndim !== 3) throw new Error(`${m}: Expected input to be 2-D (unbatched) or 3-D, got ${input.ndim}-D tensor [${input.shape.join(', ')}]`);
    if (input.shape[input.ndim - 1] !== this.inputSize) throw new Error(`${m}: input.size(-1) must be equal to inputSize. Expected ${this.inputSize}, got ${input.shape[input.ndim - 1]}`);
    const unbatched = input.ndim === 2;
    const x = unbatched ? unsqueeze(input, 1) : this.batchFirst ? transpose(input, 0, 1) : input;
    if (x.shape[0] === 0) throw new Error(`${m}: the input sequence is empty (length 0)`);
    const N = x.shape[1]!, S = this.numLayers * (this.bidirectional ? 2 : 1), H = this.hiddenSize;
    const out: Tensor[] = [];
    states.forEach((st, i) => {
      if (st === null || st === undefined) { out.push(zeros([S, N, H], { dtype: x.dtype })); return; }
      if (!(st instanceof Tensor)) throw new TypeError(`${m}: ${stateNames[i]} must be a Tensor, got ${describeValue(st)}`);
      const want = unbatched ? [S, H] : [S, N, H];
      if (st.ndim !== want.length || st.shape.some((d, j) => d !== want[j])) {
        throw new Error(`${m}: Expected ${stateNames[i]} size (${want.join(', ')}), got [${st.shape.join(', ')}]`);
      }
      out.push(unbatched ? unsqueeze(st, 1) : st);
    });
    return { x, states: out, unbatched };
  }

  protected finish(output: Tensor, unbatched: boolean): Tensor {
    return unbatched ? squeeze(output, 1) : this.batchFirst ? transpose(output, 0, 1) : output;
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${reprValue(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${reprValue(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += `, bidirectional=${reprValue(this.bidirectional)}`;
    return s;
  }
}

/** Long short-term memory, as torch.nn.LSTM (without projSize). */
export class LSTM extends RNNBase {
  /** LSTM(inputSize, hiddenSize), (inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional), or with {…, generator, dtype} */
  constructor(inputSize: number, hiddenSize: number, ...rest: RNNRest) {
    super('LSTM', [inputSize, hiddenSize, ...rest]);
  }

  /** forward(input, [h0, c0]?) → [output, [h_n, c_n]]; missing states are zeros. */
  forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    if (arguments.length > 2) throw new TypeError(`LSTM.forward: expected (input, [h0, c0]?), got ${arguments.length} arguments`);
    if (hx !== undefined && hx !== null && !(Array.isArray(hx) && hx.length === 2)) {
      throw new TypeError(`LSTM.forward: hx must be a pair [h0, c0] of tensors, got ${describeValue(hx)}`);
    }
    const { x, states, unbatched } = this.prepare(input, [hx?.[0], hx?.[1]], ['h0', 'c0']);
    const r = this.run(x, states[0]!, states[1]!);
    const fin = (t: Tensor) => (unbatched ? squeeze(t, 1) : t);
    return [this.finish(r.output, unbatched), [fin(r.h), fin(r.c!)]];
  }
}

/** Gated recurrent unit, as torch.nn.GRU. */
export class GRU extends RNNBase {
  /** GRU(inputSize, hiddenSize), (inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional), or with {…, generator, dtype} */
  constructor(inputSize: number, hiddenSize: number, ...rest: RNNRest) {
    super('GRU', [inputSize, hiddenSize, ...rest]);
  }

  /** forward(input, h0?) → [output, h_n]; a missing h0 is zeros. */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    if (arguments.length > 2) throw new TypeError(`GRU.forward: expected (input, h0?), got ${arguments.length} arguments`);
    const { x, states, unbatched } = this.prepare(input, [hx], ['h0']);
    const r = this.run(x, states[0]!, null);
    return [this.finish(r.output, unbatched), unbatched ? squeeze(r.h, 1) : r.h];
  }
}
