/**
 * nn.GPT: nanoGPT's names and init, float64 gradients of every parameter against central differences (GPT-2
 * and Llama-style blocks), KV-cache generation = full recomputation, seeded sampling, and a tiny text overfit.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { nn } = nb;
const tiny = { nLayer: 2, nHead: 2, nEmbd: 8, blockSize: 6, vocabSize: 11 };
const llama = { ...tiny, norm: 'rmsnorm' as const, mlp: 'swiglu' as const, positions: 'rotary' as const, bias: false };
const ids = (rows: number[][]) => nb.tensor(rows, { dtype: 'int32' });

describe('GPT structure', () => {
  test('state dict keys and shapes are nanoGPT\'s; wte and lm_head are one tensor', () => {
    const m = new nn.GPT(tiny, { generator: new nb.Generator(0) });
    const sd = m.stateDict();
    const layer = (i: number) => [
      [`transformer.h.${i}.ln_1.weight`, [8]], [`transformer.h.${i}.ln_1.bias`, [8]],
      [`transformer.h.${i}.attn.c_attn.weight`, [24, 8]], [`transformer.h.${i}.attn.c_attn.bias`, [24]],
      [`transformer.h.${i}.attn.c_proj.weight`, [8, 8]], [`transformer.h.${i}.attn.c_proj.bias`, [8]],
      [`transformer.h.${i}.ln_2.weight`, [8]], [`transformer.h.${i}.ln_2.bias`, [8]],
      [`transformer.h.${i}.mlp.c_fc.weight`, [32, 8]], [`transformer.h.${i}.mlp.c_fc.bias`, [32]],
      [`transformer.h.${i}.mlp.c_proj.weight`, [8, 32]], [`transformer.h.${i}.mlp.c_proj.bias`, [8]],
    ];
    const expected = [
      ['transformer.wte.weight', [11, 8]], ['transformer.wpe.weight', [6, 8]], ...layer(0), ...layer(1),
      ['transformer.ln_f.weight', [8]], ['transformer.ln_f.bias', [8]], ['lm_head.weight', [11, 8]],
    ];
    assert.deepEqual(Object.entries(sd).map(([k, t]) => [k, t.shape]), expected);
    assert.equal(m.lm_head.weight, m.wte.weight);
    assert.equal(m.parameters().length, expected.length - 1, 'the tied weight is one parameter');
    const noBias = new nn.GPT({ ...tiny, bias: false });
    assert.ok(Object.keys(noBias.stateDict()).every((k) => !k.endsWith('.bias')));
    const l = new nn.GPT(llama);
    assert.ok(!('transformer.wpe.weight' in l.stateDict()));
    assert.deepEqual(l.stateDict()['transformer.h.0.mlp.c_fc.weight']!.shape, [48, 8], 'swiglu: gate and up stacked, hidden 8·⌈(8/3)·8/8⌉ = 24');
  });

  test('init: N(0, 0.02²) weights, residual projections N(0, (0.02/√(2·nLayer))²), zero biases', () => {
    const m = new nn.GPT({ nLayer: 3, nHead: 4, nEmbd: 64, blockSize: 32, vocabSize: 300 }, { generator: new nb.Generator(5) });
    const std = (t: Tensor) => { const v = t.dataArray(); const mu = v.reduce((a, b) => a + b, 0) / v.length; return Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length); };
    const sd = m.stateDict();
    for (const k of ['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.h.1.attn.c_attn.weight', 'transformer.h.2.mlp.c_fc.weight']) {
      assert.ok(Math.abs(std(sd[k]!) - 0.02) < 0.002, `${k}: std ${std(sd[k]!)}`);
    }
    const resid = 0.02 / Math.sqrt(6);
    for (const k of ['transformer.h.0.attn.c_proj.weight', 'transformer.h.2.mlp.c_proj.weight']) {
      assert.ok(Math.abs(std(sd[k]!) - resid) < 0.1 * resid, `${k}: std ${std(sd[k]!)} vs ${resid}`);
    }
    assert.ok(sd['transformer.h.0.attn.c_attn.bias']!.dataArray().every((v) => v === 0));
    assert.ok(sd['transformer.ln_f.weight']!.dataArray().every((v) => v === 1));
    assert.equal(m.numParams(), m.numParameters() - 32 * 64);
  });

  test('bad configs and inputs name the field', () => {
    assert.throws(() => new nn.GPT({ ...tiny, nHead: 3 }), /nEmbd \(8\) must be divisible by config\.nHead \(3\)/);
    assert.throws(() => new nn.GPT({ ...tiny, nLayer: 0 }), /config\.nLayer must be a positive integer/);
    assert.throws(() => new nn.GPT({ ...tiny, dropout: 1 }), /config\.dropout/);
    assert.throws(() => new nn.GPT({ ...tiny, norm: 'batch' as never }), /config\.norm/);
    const m = new nn.GPT(tiny);
    assert.throws(() => m.forward(ids([[1, 2, 3, 4, 5, 6, 7]])), /sequence of length 7, block size is only 6/);
    assert.throws(() => m.forward(nb.tensor([[1, 2]])), /int32 tensor \[B, T\]/);
    assert.throws(() => m.forward(ids([[1, 2]]), ids([[1]])), /targets must be an int32 tensor \[1, 2\]/);
    assert.throws(() => m.generate(ids([[1, 20]]), 2), /token id 20 is outside the vocabulary/);
    assert.throws(() => m.generate(ids([[1]]), 2, { topK: 0 }), /topK must be a positive integer/);
    assert.throws(() => m.generate(ids([[1]]), 2, { topP: 1.5 }), /topP must be in \(0, 1\]/);
  });
});

/**
 * Every parameter element against central differences (eps 1e-6) of the float64 loss, PyTorch's gradcheck
 * tolerances (atol 1e-5, rtol 1e-3). The model's own parameters are perturbed in place, so this checks the
 * gradients exactly as training sees them (tied weight included: both uses sum into one gradient).
 */
function checkAllParameterGradients(config: Partial<nb.nn.GPTConfig>, seed: number): number {
  const m = new nn.GPT(config, { generator: new nb.Generator(seed), dtype: 'float64' });
  const x = ids([[1, 4, 9, 2, 7, 3], [10, 0, 5, 5, 8, 6]]);
  const y = ids([[4, 9, 2, 7, 3, 1], [0, 5, 5, -1, 6, 2]]); // one ignored target
  const lossAt = () => nb.noGrad(() => m.forward(x, y).loss!.item());
  m.zeroGrad();
  m.forward(x, y).loss!.backward();
  const eps = 1e-6;
  let checked = 0;
  for (const [name, p] of m.namedParameters()) {
    const analytic = p.grad!.dataArray();
    const vals = Float64Array.from(p.data());
    const set = (v: Float64Array) => nb.noGrad(() => nb.copy_(p, nb.tensor(v, { dtype: 'float64', shape: p.shape })));
    for (let k = 0; k < vals.length; k++) {
      const orig = vals[k]!;
      vals[k] = orig + eps; set(vals); const plus = lossAt();
      vals[k] = orig - eps; set(vals); const minus = lossAt();
      vals[k] = orig; set(vals);
      const numeric = (plus - minus) / (2 * eps);
      assert.ok(Math.abs(analytic[k]! - numeric) <= 1e-5 + 1e-3 * Math.abs(numeric), `${name}[${k}]: analytic ${analytic[k]} vs numeric ${numeric}`);
      checked++;
    }
  }
  return checked;
}

describe('GPT gradients (float64, every parameter)', () => {
  test('GPT-2 blocks (2 layers, 2 heads, width 8, vocab 11)', () => {
    assert.equal(checkAllParameterGradients(tiny, 1), new nn.GPT(tiny).numParameters());
  });
  test('Llama-style blocks (RMSNorm, SwiGLU, rotary)', () => {
    assert.equal(checkAllParameterGradients({ ...llama, nLayer: 1 }, 2), new nn.GPT({ ...llama, nLayer: 1 }).numParameters());
  });
});

describe('GPT generation', () => {
  test('KV cache = full recomputation, token for token, past the block size (GPT-2 and Llama blocks)', () => {
    for (const config of [tiny, llama]) {
      const m = new nn.GPT(config, { generator: new nb.Generator(7), dtype: 'float64' });
      const prompt = ids([[3, 1], [7, 9]]);
      const cached = m.generate(prompt, 12, { generator: new nb.Generator(11), useCache: true }).toArray();
      const full = m.generate(prompt, 12, { generator: new nb.Generator(11), useCache: false }).toArray();
      assert.deepEqual(cached, full);
      // and the step logits themselves: incremental positions vs one forward over the whole prefix
      nb.noGrad(() => {
        m.eval();
        const seq = (cached as number[][])[0]!.slice(0, config.blockSize);
        let step = m.forwardStep(ids([seq.slice(0, 2)]), null);
        for (let t = 2; t < seq.length; t++) {
          step = m.forwardStep(ids([[seq[t]!]]), step.caches);
          const ref = m.forward(ids([seq.slice(0, t + 1)])).logits.narrow(1, t, 1).reshape([1, 11]).dataArray();
          const got = step.logits.dataArray();
          got.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 1e-12, `position ${t}, logit ${i}: ${v} vs ${ref[i]}`));
        }
      });
    }
  });

  test('sampling is determined by the seed; temperature 0, topK 1 and a tiny topP are greedy', () => {
    const m = new nn.GPT(tiny, { generator: new nb.Generator(3) });
    const p = ids([[2, 5, 1]]);
    const a = m.generate(p, 20, { generator: new nb.Generator(42) }).dataArray();
    assert.deepEqual(m.generate(p, 20, { generator: new nb.Generator(42) }).dataArray(), a);
    assert.notDeepEqual(m.generate(p, 20, { generator: new nb.Generator(43) }).dataArray(), a);
    const greedy = m.generate(p, 10, { temperature: 0 }).dataArray();
    assert.deepEqual(m.generate(p, 10, { topK: 1, generator: new nb.Generator(1) }).dataArray(), greedy);
    assert.deepEqual(m.generate(p, 10, { topP: 1e-6, generator: new nb.Generator(2) }).dataArray(), greedy);
  });

  test('sampleToken: top-k and top-p restrict the support to the most likely tokens', () => {
    const logits = [0, 3, 1, 2.5, -1]; // probabilities order: 1, 3, 2, 0, 4
    const g = new nb.Generator(9);
    const seen = (o: nb.nn.SamplingOptions) => {
      const s = new Set<number>();
      for (let i = 0; i < 400; i++) s.add(nn.sampleToken(logits, { ...o, generator: g }));
      return [...s].sort();
    };
    assert.deepEqual(seen({ topK: 2 }), [1, 3]);
    assert.deepEqual(seen({ topK: 3 }), [1, 2, 3]);
    // p(1) ≈ 0.53, p(3) ≈ 0.32: mass before token 3 is 0.53 < 0.6, before token 2 is 0.85 ≥ 0.6
    assert.deepEqual(seen({ topP: 0.6 }), [1, 3]);
    assert.deepEqual(seen({ topP: 0.5 }), [1]);
    assert.deepEqual(seen({}), [0, 1, 2, 3, 4]);
  });
});

test('200 steps of AdamW overfit a tiny text (loss < 0.1)', () => {
  // one fixed batch of lines with distinct first characters: every target is determined by its prefix
  const lines = ['call me ishmael.', 'the whale swims!', 'moby dick, white'];
  const T = 15;
  const vocab = [...new Set(lines.join(''))].sort();
  const enc = (s: string) => [...s].map((c) => vocab.indexOf(c));
  const x = ids(lines.map((l) => enc(l).slice(0, T))), y = ids(lines.map((l) => enc(l).slice(1, T + 1)));
  const m = new nn.GPT({ nLayer: 2, nHead: 2, nEmbd: 16, blockSize: T, vocabSize: vocab.length }, { generator: new nb.Generator(0) });
  const opt = new nb.optim.AdamW(m.parameters(), { lr: 1e-2, weightDecay: 0 });
  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    losses.push(nb.scope(() => {
      const l = m.forward(x, y).loss!;
      opt.zeroGrad();
      l.backward();
      nn.utils.clipGradNorm_(m.parameters(), 1);
      opt.step();
      return l.item();
    }));
  }
  assert.ok(losses[0]! > 2, `starts near chance (ln ${vocab.length} = ${Math.log(vocab.length).toFixed(2)}): ${losses[0]}`);
  assert.ok(losses[199]! < 0.1, `final loss ${losses[199]}`);
  // and the model now recites: greedy continuation of each first character is its line
  lines.forEach((l) => assert.equal(m.generate(ids([enc(l[0]!)]), T, { temperature: 0 }).dataArray().map((i) => vocab[i]).join(''), l));
});

test('the MLP\'s GELU: float32 gradient within float32 rounding of the exact float64 one, and double backward', async () => {
  const { geluFast } = await import('../src/nn/geluFast.js');
  const vals = Array.from({ length: 2001 }, (_, i) => -10 + i / 100);
  const x32 = nb.tensor(vals, { dtype: 'float32' }).requiresGrad_(true);
  const y = geluFast(x32);
  assert.deepEqual(y.dataArray(), nb.gelu(nb.tensor(vals, { dtype: 'float32' })).dataArray(), 'forward = nb.gelu');
  const [g32] = nb.autograd.grad(y.sum(), [x32]);
  const x64 = nb.tensor(vals, { dtype: 'float64' }).requiresGrad_(true);
  const [g64] = nb.autograd.grad(nb.gelu(x64).sum(), [x64]);
  const a = g32!.dataArray(), e = g64!.dataArray();
  e.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) <= 3e-7 * Math.max(1, Math.abs(v)), `x = ${vals[i]}: ${a[i]} vs ${v}`));
  const x = nb.tensor([-1.5, 0.2, 2], { dtype: 'float32' }).requiresGrad_(true);
  const [gx] = nb.autograd.grad(geluFast(x).sum(), [x], { createGraph: true });
  const [ggx] = nb.autograd.grad(gx!.sum(), [x]);
  // gelu'' = φ(x)·(2 − x²)
  ggx!.dataArray().forEach((v, i) => { const t = [-1.5, 0.2, 2][i]!; const ex = Math.exp(-t * t / 2) / Math.sqrt(2 * Math.PI) * (2 - t * t); assert.ok(Math.abs(v - ex) < 1e-5, `${v} vs ${ex}`); });
});
