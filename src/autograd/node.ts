/**
 * Graph nodes. An op records one `Node` per call: its name, the edges to the nodes that produced its
 * inputs, the tensors its backward needs (with the version each had when saved), and the backward itself.
 * A leaf that requires grad gets one `AccumulateGrad` node for life; the engine writes `.grad` through it.
 */
import type { Tensor } from '../tensor.js';
import { fmt } from '../shape.js';
import { releaseSaved, retainSaved } from '../memory/savedRefs.js';
import { currentSavedTensorHooks, type SavedTensorHooks } from './savedHooks.js';

/** Gradients w.r.t. each output (null where no gradient flowed) → gradients w.r.t. each input. */
export type BackwardFn = (dOut: (Tensor | null)[], saved: Tensor[], needsInputGrad: boolean[]) => (Tensor | null | undefined)[];

export interface Edge {
  node: Node;
  index: number;
}

export type GradHook = (grad: Tensor) => Tensor | void;

/**
 * A tensor a node saved for its backward, with the version it had then (an in-place change since makes
 * unpack throw). Under saved-tensor hooks (checkpointing) the node keeps only what the hook packed.
 */
export class SavedTensor {
  private tensor: Tensor | null = null;
  private packed: { hooks: SavedTensorHooks; value: unknown } | null = null;
  private released = false;
  private readonly version: number = -1;
  /** shape and dtype of the saved tensor (kept after it is freed, for inspection) */
  readonly shape: readonly number[];
  readonly dtype: Tensor['dtype'];
  constructor(t: Tensor, private readonly opName: string) {
    this.shape = t.shape;
    this.dtype = t.dtype;
    const hooks = currentSavedTensorHooks();
    if (hooks) {
      this.packed = { hooks, value: hooks.pack(t) };
    } else {
      this.tensor = t;
      this.version = t.storage.version;
      retainSaved(t);
    }
  }

  /** True once backward has freed it. */
  get isReleased(): boolean {
    return this.released;
  }
  unpack(): Tensor {
    if (this.released) {
      throw new Error(
        `${this.opName}: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). ` +
          'Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). ' +
          'Specify retainGraph: true if you need to backward through the graph a second time.',
      );
    }
    if (this.packed) return this.packed.hooks.unpack(this.packed.value);
    const t = this.tensor!;
    if (t.storage.version !== this.version) {
      throw new Error(
        `one of the variables needed for gradient computation has been modified by an inplace operation: ` +
          `[${t.dtype} ${fmt(t.shape)}], which is output or input of ${this.opName}, is at version ${t.storage.version}; expected version ${this.version} instead.`,
      );
    }
    return t;
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.packed) {
      this.packed.hooks.release?.(this.packed.value);
      this.packed = null;
      return;
    }
    const t = this.tensor!;
    this.tensor = null;
    releaseSaved(t);
  }
}

export class Node {
  /** per output index: hooks run on the incoming gradient before backward */
  readonly hooks: GradHook[][];
  /** per output index: non-leaf tensors that asked to keep their .grad */
  readonly retained: (Tensor | null)[];
  /** AccumulateGrad nodes: run with the leaf after its .grad has been accumulated (registerPostAccumulateGradHook) */
  readonly postAccumulateHooks: ((leaf: Tensor) => void)[] = [];
  /** forward stack trace, recorded only in anomaly mode */
  forwardTrace?: string;
  released = false;
  /** a custom Function's node: its backward is user code, whose tensors the engine never frees eagerly */
  userBackward = false;

  constructor(
    readonly name: string,
    readonly next: (Edge | null)[],
    readonly backwardFn: BackwardFn | null,
    readonly saved: SavedTensor[],
    /** shape and dtype of each output, to materialise zeros and validate gradients */
    readonly outputs: { shape: readonly number[]; dtype: Tensor['dtype'] }[],
    /** the leaf tensor, for AccumulateGrad nodes */
    readonly variable: Tensor | null = null,
  ) {
    this.hooks = outputs.map(() => []);
    this.retained = outputs.map(() => null);
  }

  get isAccumulate(): boolean {
    return this.variable !== null;
  }

  release(): void {
    for (const s of this.saved) s.release();
    this.released = true;
  }

  /** Inputs of this node, for inspection (`y.gradFn.nextFunctions`). */
  get nextFunctions(): ({ name: string; node: Node } | null)[] {
    return this.next.map((e) => (e ? { name: e.node.name, node: e.node } : null));
  }

  toString(): string {
    return `<${this.name}>`;
  }
}
