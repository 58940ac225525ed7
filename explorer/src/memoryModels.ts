/**
 * The two models of the memory page, each runnable with and without activation checkpointing. With
 * checkpointing, every block keeps only its input during forward and recomputes its activations during backward.
 */
import * as nb from 'nabla';
import type { Tensor } from 'nabla';

export interface MemoryModel {
  id: 'mlp' | 'transformer';
  title: string;
  detail: string;
  /** forward + backward of a sum-loss, optionally checkpointing each block */
  step(checkpointing: boolean): void;
}

type Block = (x: Tensor) => Tensor;
const run = (blocks: Block[], x: Tensor, checkpointing: boolean): Tensor =>
  blocks.reduce((h, f) => (checkpointing ? nb.utils.checkpoint(f, h) : f(h)), x);

export function mlpModel(): MemoryModel {
  const g = new nb.Generator(0);
  const layers = Array.from({ length: 6 }, () => new nb.nn.Linear(256, 256, { generator: g }));
  const blocks: Block[] = layers.map((l) => (x) => nb.relu(l.call(x)));
  const x = nb.randn([512, 256], { generator: g });
  return {
    id: 'mlp',
    title: 'MLP: 6 × (Linear 256 → 256, ReLU), batch 512',
    detail: 'Each block saves its input (for the weight gradient) and its ReLU mask; checkpointing keeps only the block inputs.',
    step(checkpointing) {
      run(blocks, x.requiresGrad_(true), checkpointing).sum().backward();
    },
  };
}

export function transformerModel(): MemoryModel {
  const g = new nb.Generator(1);
  const E = 64, H = 4, T = 64, N = 2, depth = 4;
  const blocks: Block[] = Array.from({ length: depth }, () => {
    const ln1 = new nb.nn.LayerNorm(E), ln2 = new nb.nn.LayerNorm(E);
    const attn = new nb.nn.MultiheadAttention(E, H, { batchFirst: true, generator: g });
    const fc1 = new nb.nn.Linear(E, 4 * E, { generator: g }), fc2 = new nb.nn.Linear(4 * E, E, { generator: g });
    return (x: Tensor) => {
      const a = ln1.call(x);
      const h = x.add(attn.call(a, a, a, { needWeights: false, isCausal: true })[0]);
      return h.add(fc2.call(nb.gelu(fc1.call(ln2.call(h)))));
    };
  });
  const x = nb.randn([N, T, E], { generator: g });
  return {
    id: 'transformer',
    title: `Transformer: ${depth} pre-norm blocks (embed ${E}, ${H} heads, causal), batch ${N} × ${T} tokens`,
    detail: 'Attention scores [N, H, T, T], the 4× wider MLP hidden layer and the LayerNorm statistics are saved per block.',
    step(checkpointing) {
      run(blocks, x.requiresGrad_(true), checkpointing).sum().backward();
    },
  };
}
