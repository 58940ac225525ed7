/**
 * A tiny character-level GPT (nn.GPT: 2 layers, 2 heads, width 32, block 16) trained with AdamW on a fixed
 * text, the same init and batches on two backends: the losses step for step. On webgpu its attention runs
 * the WGSL flash-attention kernels, its norms, bias + GELU, cross-entropy rows and AdamW the fused kernels.
 * Runs in Node (node_suite.ts) and in Chromium (webgpu_chromium.test.ts); imports nothing Node-specific.
 */
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const TEXT = `It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of
foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the
season of Darkness, it was the spring of hope, it was the winter of despair, we had everything before us, we had
nothing before us, we were all going direct to Heaven, we were all going direct the other way.`;

export const GPT_SHAPE = { nLayer: 2, nHead: 2, nEmbd: 32, blockSize: 16, batch: 4 };

/** The losses of `steps` AdamW steps on `backend` (read after all steps were enqueued), from seed 3. */
export async function gptLosses(backend: string, steps: number): Promise<number[]> {
  const chars = [...new Set(TEXT)].sort();
  const ids = [...TEXT].map((c) => chars.indexOf(c));
  const { nLayer, nHead, nEmbd, blockSize: T, batch: B } = GPT_SHAPE;
  await nb.setBackend(backend);
  try {
    const g = new nb.Generator(3);
    const model = new nb.nn.GPT({ vocabSize: chars.length, blockSize: T, nLayer, nHead, nEmbd }, { generator: g });
    const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.1 });
    const pick = new nb.Generator(11);
    const losses: Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const x: number[] = [], y: number[] = [];
      for (let b = 0; b < B; b++) {
        const at = Math.floor(pick.random() * (ids.length - T - 1));
        x.push(...ids.slice(at, at + T));
        y.push(...ids.slice(at + 1, at + T + 1));
      }
      const loss = nb.scope(() => {
        const { loss } = model.forward(nb.tensor(x, { shape: [B, T], dtype: 'int32' }), nb.tensor(y, { shape: [B, T], dtype: 'int32' }));
        opt.zeroGrad();
        loss!.backward();
        opt.step();
        return loss!.detach();
      });
      losses.push(loss);
    }
    return await Promise.all(losses.map((l) => l.itemAsync()));
  } finally {
    await nb.setBackend('ts');
  }
}

/**
 * webgpu's losses against `reference`'s (wasm in Node, ts in Chromium): within float32 drift at every step
 * (|Δ| ≤ 1e-4·|ref| + 1e-5; measured on SwiftShader: at most 2e-6 relative over 40 steps), and the loss must
 * fall by a third on both.
 */
export async function runGpt(reference: string, steps = 40): Promise<{ failures: string[]; gpu: number[]; ref: number[] }> {
  const gpu = await gptLosses('webgpu', steps);
  const ref = await gptLosses(reference, steps);
  const failures: string[] = [];
  for (let k = 0; k < steps; k++) {
    if (!(Math.abs(gpu[k]! - ref[k]!) <= 1e-4 * Math.abs(ref[k]!) + 1e-5)) failures.push(`GPT step ${k}: webgpu loss ${gpu[k]}, ${reference} ${ref[k]}`);
  }
  for (const [name, l] of [['webgpu', gpu], [reference, ref]] as const) {
    if (!(l[steps - 1]! < (2 / 3) * l[0]!)) failures.push(`GPT on ${name}: the loss fell too little (${l[0]} → ${l[steps - 1]})`);
  }
  return { failures, gpu, ref };
}
