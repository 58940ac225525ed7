/**
 * What is running now, for the memory timeline: the autograd engine pushes `<op>Backward` around each node's
 * backward, the optimizer pushes `optimizer.step`, checkpointing pushes its recomputation. In forward code no
 * context is pushed per op; instead `record()` (every differentiable op calls it once, after allocating its
 * outputs) reports its name, and the recorder labels the allocations made since the previous op with it.
 */
export type MemoryPhase = 'forward' | 'backward' | 'optimizer';

export interface MemoryContext {
  op: string;
  phase: MemoryPhase;
}

const stack: MemoryContext[] = [];
let opListener: ((name: string) => void) | null = null;

export function currentMemoryContext(): MemoryContext | undefined {
  return stack[stack.length - 1];
}

/** Run fn with `op` (in `phase`) as the cause of every allocation and release it makes. */
export function withMemoryContext<T>(op: string, phase: MemoryPhase, fn: () => T): T {
  stack.push({ op, phase });
  try {
    return fn();
  } finally {
    stack.pop();
  }
}

/** Called by autograd's record() with the op's name (cheap when no recorder listens). */
export function noteOp(name: string): void {
  if (opListener !== null && stack.length === 0) opListener(name);
}

export function setOpListener(l: ((name: string) => void) | null): ((name: string) => void) | null {
  const prev = opListener;
  opListener = l;
  return prev;
}
