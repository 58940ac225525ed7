/**
 * Drawing the next token from one row of logits, on the host (a row is one vocabulary's worth of numbers):
 *
 *   temperature τ:  p ∝ exp(logit/τ)          (τ = 0: the argmax, no randomness)
 *   top-k:          logits below the k-th largest become −∞ (ties with the k-th stay, as nanoGPT's torch.topk cut)
 *   top-p (nucleus): in order of decreasing probability, keep token i while the probability mass before it is
 *                   < p (so the smallest prefix whose mass reaches p; the most likely token always stays)
 *
 * The draw is inverse-CDF on one uniform number from the given Generator, so a seed fixes the sequence.
 */
import { defaultGenerator, type Generator } from '../random.js';

export interface SamplingOptions {
  /** divide the logits by this before the softmax (default 1; 0 = greedy argmax) */
  temperature?: number;
  /** keep only the k most likely tokens (default: all) */
  topK?: number | null;
  /** keep the smallest set of most likely tokens whose probability reaches p (default 1: all) */
  topP?: number | null;
  /** source of the uniform draws (default: the global generator) */
  generator?: Generator;
}

export function checkSamplingOptions(op: string, o: SamplingOptions): void {
  const t = o.temperature ?? 1;
  if (!(typeof t === 'number' && t >= 0 && Number.isFinite(t))) throw new RangeError(`${op}: temperature must be a finite number ≥ 0, got ${String(t)}`);
  if (o.topK !== undefined && o.topK !== null && !(Number.isInteger(o.topK) && o.topK > 0)) throw new RangeError(`${op}: topK must be a positive integer, got ${String(o.topK)}`);
  if (o.topP !== undefined && o.topP !== null && !(typeof o.topP === 'number' && o.topP > 0 && o.topP <= 1)) throw new RangeError(`${op}: topP must be in (0, 1], got ${String(o.topP)}`);
}

/** The index of the token drawn from `logits` (one row) under the options. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions = {}): number {
  const n = logits.length;
  if (n === 0) throw new Error('sampleToken: empty logits');
  const temperature = opts.temperature ?? 1;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = logits[i]! / temperature;
  const k = opts.topK ?? null;
  if (k !== null && k < n) {
    const sorted = Float64Array.from(z).sort();
    const kth = sorted[n - k]!;
    for (let i = 0; i < n; i++) if (z[i]! < kth) z[i] = -Infinity;
  }
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (z[i]! > max) max = z[i]!;
  if (!Number.isFinite(max)) throw new Error(`sampleToken: no finite logit to sample from (max ${max})`);
  let total = 0;
  for (let i = 0; i < n; i++) { z[i] = Math.exp(z[i]! - max); total += z[i]!; }
  for (let i = 0; i < n; i++) z[i] = z[i]! / total;
  const p = opts.topP ?? 1;
  if (p < 1) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => z[b]! - z[a]! || a - b);
    let before = 0, mass = 0;
    for (const i of order) {
      const pi = z[i]!;
      if (before < p) mass += pi;
      else z[i] = 0;
      before += pi;
    }
    for (let i = 0; i < n; i++) z[i] = z[i]! / mass;
  }
  const u = (opts.generator ?? defaultGenerator).random();
  let acc = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (z[i]! <= 0) continue;
    last = i;
    acc += z[i]!;
    if (u < acc) return i;
  }
  return last; // u within rounding of 1
}
