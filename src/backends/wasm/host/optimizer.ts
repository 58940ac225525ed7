/** Backend.adamStep: float32 contiguous state runs adam_f32 (split by elements), the ≤ 3-element tail and everything else the reference. */
import type { AdamHyper, View } from '../../backend.js';
import * as K from '../../ts/kernels.js';
import type { WasmBlock } from '../allocator.js';
import { adamJob } from '../kernels/optimizer.js';
import { addr, av, contiguous, type WasmRuntime } from './runtime.js';

export function adamStep(rt: WasmRuntime, p: View<WasmBlock>, g: View<WasmBlock>, m: View<WasmBlock>, v: View<WasmBlock>, vmax: View<WasmBlock> | null, h: AdamHyper): void {
  const n = K.numel(p.shape);
  const views = vmax ? [p, g, m, v, vmax] : [p, g, m, v];
  if (n === 0) return;
  if (!views.every((w) => w.dtype === 'float32' && contiguous(w))) {
    K.adamStep(av(rt, p), av(rt, g), av(rt, m), av(rt, v), vmax ? av(rt, vmax) : null, h);
    return;
  }
  // adam_f32's scalars: c1 = 1 − β₁, b2 = β₂, c2 = 1 − β₂, eps, ibc = 1/√(1 − β₂ᵗ), nstep = −step size, l2, shrink, sign
  rt.run(adamJob, {
    p: addr(p), g: addr(g), m: addr(m), v: addr(v), x: vmax ? addr(vmax) : 0, n,
    c1: 1 - h.beta1, b2: h.beta2, c2: 1 - h.beta2, eps: h.eps, ibc: 1 / h.bc2Sqrt, nstep: -h.stepSize, l2: h.l2, shrink: h.shrink, sign: h.maximize ? -1 : 1,
  });
  if (n & 3) K.adamStep(av(rt, p), av(rt, g), av(rt, m), av(rt, v), vmax ? av(rt, vmax) : null, h, n - (n & 3), n);
}
