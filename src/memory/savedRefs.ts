/**
 * Which storages the autograd graph holds for backward. A graph node saving a tensor (or a checkpoint keeping
 * its segment's inputs) retains its storage; releasing it after backward drops the count, and in
 * memory.record's eager mode a storage allocated inside the recording whose count reaches zero is freed at
 * once — except the storage of a leaf that requires grad (the user's tensor) or one kept with nb.keep.
 */
import type { Tensor } from '../tensor.js';
import { eagerReleaseEpoch, noteSaved } from './accounting.js';

export function retainSaved(t: Tensor): void {
  const s = t.storage;
  if (s.savedRefs++ === 0) noteSaved(s.id, s.backend.name, s.dtype, s.size, s.bytes);
}

export function releaseSaved(t: Tensor): void {
  const s = t.storage;
  s.savedRefs--;
  if (s.savedRefs === 0 && !s.kept && !s.isDisposed && s.epoch === eagerReleaseEpoch()) {
    const base = t._base ?? t;
    if (!(base.isLeaf && base.requiresGrad)) s.dispose();
  }
}
