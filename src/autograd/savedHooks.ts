/**
 * Saved-tensor hooks (torch.autograd.graph.saved_tensors_hooks): while a hook is installed, every tensor a
 * graph node saves for its backward goes through `pack` and the node keeps only what pack returns; backward
 * gets the tensor back through `unpack`, and `release` tells the hook the node no longer needs it.
 * Activation checkpointing is built on this: pack drops the tensor, unpack recomputes it.
 */
import type { Tensor } from '../tensor.js';

export interface SavedTensorHooks<P = unknown> {
  pack(t: Tensor): P;
  unpack(packed: P): Tensor;
  release?(packed: P): void;
}

let stack: SavedTensorHooks[] = [];

export function currentSavedTensorHooks(): SavedTensorHooks | null {
  return stack[stack.length - 1] ?? null;
}

/** Run fn with `hooks` packing every tensor saved for backward (innermost hooks win). */
export function withSavedTensorHooks<T, P>(hooks: SavedTensorHooks<P>, fn: () => T): T {
  stack.push(hooks as SavedTensorHooks);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

/** Run fn with exactly `hooks` installed and nothing else (recomputation must not pack into an outer hook). */
export function withOnlySavedTensorHooks<T>(hooks: SavedTensorHooks[], fn: () => T): T {
  const prev = stack;
  stack = hooks.slice();
  try {
    return fn();
  } finally {
    stack = prev;
  }
}
