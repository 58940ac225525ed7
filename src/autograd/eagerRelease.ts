/**
 * Eager release of gradient buffers during one backward pass (every backward that builds no graph of itself and
 * runs outside forward-mode AD; with createGraph every gradient may be an input of a later backward, and under
 * a jvp the backward's temporaries carry the tangents the caller reads, so then nothing is freed). The engine tells
 * this tracker which buffer slots hold which gradient; a gradient allocated during this pass is freed once no
 * slot holds it any more, unless it left the engine's hands (handed to a hook, returned by autograd.grad,
 * returned by a custom Function's backward, which is user code), a graph node saved it, or it is kept (.grad).
 * Storage allocated before the pass is never freed here. Freeing by storage covers views: a backward that
 * returns a reshaped view of its incoming gradient keeps the block alive. The temporaries of each built-in
 * backward formula are freed by the nb.scope the engine runs it in.
 */
import { upcomingStorageId } from '../memory/accounting.js';
import type { Storage } from '../storage.js';
import type { Tensor } from '../tensor.js';

export class GradBufferRelease {
  /** storages with an id from here on were allocated during this pass (ids only grow) */
  private readonly firstId = upcomingStorageId();
  private readonly refs = new Map<Storage, number>();
  private readonly escaped = new Set<Storage>();
  private candidates: Storage[] = [];

  /** a buffer slot now holds t */
  hold(t: Tensor): void {
    this.refs.set(t.storage, (this.refs.get(t.storage) ?? 0) + 1);
  }

  /** a buffer slot no longer holds t */
  drop(t: Tensor): void {
    const n = (this.refs.get(t.storage) ?? 0) - 1;
    if (n <= 0) this.refs.delete(t.storage);
    else this.refs.set(t.storage, n);
    this.candidates.push(t.storage);
  }

  /** t was produced and may now be unused (summed into another buffer, converted, or not routed anywhere) */
  consider(t: Tensor): void {
    this.candidates.push(t.storage);
  }

  /** t left the engine (a hook saw it, autograd.grad returns it): never free it */
  escape(t: Tensor): void {
    this.escaped.add(t.storage);
  }

  /**
   * t is a whole block born in this pass (contiguous over every element of its storage) that exactly one
   * slot holds and nothing outside the engine can see (not escaped, saved or kept): that slot's owner may keep it
   * as it is instead of copying it (a leaf's first gradient becomes its .grad without a copy, as PyTorch's
   * AccumulateGrad steals a gradient nobody else references).
   */
  sole(t: Tensor): boolean {
    const s = t.storage;
    return this.refs.get(s) === 1 && s.id >= this.firstId && !this.escaped.has(s) && !s.kept && s.savedRefs === 0 &&
      !s.isDisposed && t.numel() === s.size && t.isContiguous();
  }

  /** Free every candidate no slot holds. Call after a node's gradients have all been routed. */
  flush(): void {
    for (const s of this.candidates) {
      if (s.isDisposed || this.refs.has(s) || this.escaped.has(s) || s.kept || s.savedRefs > 0 || s.id < this.firstId) continue;
      s.dispose();
    }
    this.candidates = [];
  }

}
