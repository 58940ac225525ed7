/**
 * Custom autograd Functions (torch.autograd.Function): subclass with static forward(ctx, ...) and
 * backward(ctx, ...gradOutputs), apply with `.apply(...)`. forward runs without recording;
 * backward may be written in nabla ops, so it differentiates again when createGraph is set.
 * Forward mode (inside forwardAD.dualLevel) calls the static jvp(ctx, ...tangents): one tangent per
 * forward argument (zeros for a tensor without one, null for a non-tensor), returning the output tangents.
 */
import { noGrad } from './gradMode.js';
import { record } from './record.js';
import { withoutTangents, zerosShaped } from './forward.js';
import { Tensor } from '../tensor.js';
import { full } from '../creation.js';

export class FunctionCtx {
  /** @internal */ _saved: Tensor[] = [];
  /** @internal */ _nonDiff = new Set<Tensor>();
  /** which inputs need a gradient (like ctx.needs_input_grad) */
  needsInputGrad: boolean[] = [];
  /** free-form storage for non-tensor values */
  [key: string]: unknown;

  saveForBackward(...tensors: Tensor[]): void {
    this._saved = tensors;
  }
  get savedTensors(): Tensor[] {
    return this._saved;
  }
  markNonDifferentiable(...tensors: Tensor[]): void {
    for (const t of tensors) this._nonDiff.add(t);
  }
}

type Outputs = Tensor | Tensor[];

export class Function {
  static forward(_ctx: FunctionCtx, ..._args: any[]): Outputs {
    throw new Error(`${this.name}.forward is not implemented`);
  }
  static backward(_ctx: FunctionCtx, ..._grads: Tensor[]): (Tensor | null) | (Tensor | null)[] {
    throw new Error(`${this.name}.backward is not implemented: this custom Function cannot be differentiated`);
  }
  static jvp(_ctx: FunctionCtx, ..._tangents: (Tensor | null)[]): (Tensor | null) | (Tensor | null)[] {
    throw new Error(`${this.name}.jvp is not implemented: forward-mode AD (forwardAD.dualLevel, func.jvp, jacfwd, hessian) through this custom Function needs a static jvp(ctx, ...tangents) returning the output tangents`);
  }

  /** Run forward and, when an input requires grad, record a node whose backward calls `backward`. */
  static apply<T extends typeof Function>(this: T, ...args: unknown[]): any {
    const ctx = new FunctionCtx();
    const tensorArgs = args.filter((a): a is Tensor => a instanceof Tensor);
    ctx.needsInputGrad = args.map((a) => a instanceof Tensor && a.requiresGrad);
    const out = noGrad(() => withoutTangents(() => this.forward(ctx, ...args)));
    const outs = Array.isArray(out) ? out : [out];
    outs.forEach((o, i) => {
      if (!(o instanceof Tensor)) throw new TypeError(`${this.name}.forward must return a Tensor or an array of Tensors; output ${i} is ${typeof o}`);
    });
    // an output that is an input unchanged must become a new node's output, not rewire the input
    const outputs = outs.map((o) => (tensorArgs.includes(o) ? noGrad(() => o._restride(o.shape, o.strides, o.offset)) : o));
    const diffOutputs = outputs.filter((o) => !ctx._nonDiff.has(o) && !ctx._nonDiff.has(outs[outputs.indexOf(o)]!));
    const name = this.name;
    const argIndexOfTensor = args.map((a, i) => (a instanceof Tensor ? i : -1)).filter((i) => i >= 0);
    record(name, tensorArgs, diffOutputs, ctx._saved, (grads, saved) => {
      ctx._saved = saved; // version-checked copies: an in-place change since forward raises here
      // undefined/null upstream gradients are materialised as zeros, as PyTorch does by default
      const gs = grads.map((g, i) => g ?? noGrad(() => full(diffOutputs[i]!.shape, 0, { dtype: diffOutputs[i]!.dtype })));
      const res = this.backward(ctx, ...gs);
      const list = Array.isArray(res) ? res : [res];
      if (list.length !== args.length && list.length !== tensorArgs.length) {
        throw new Error(`${name}.backward returned ${list.length} gradients, expected ${args.length} (one per forward argument, null for non-tensors)`);
      }
      // accept one gradient per forward argument (PyTorch) or one per tensor argument
      return list.length === args.length ? argIndexOfTensor.map((i) => list[i] ?? null) : list.map((g) => g ?? null);
    }, (tin) => {
      const tangents = args.map((a, i) => {
        const k = argIndexOfTensor.indexOf(i);
        return k < 0 ? null : tin[k] ?? zerosShaped(a as Tensor);
      });
      const res = this.jvp(ctx, ...tangents);
      const list = Array.isArray(res) ? res : [res];
      if (list.length !== diffOutputs.length) throw new Error(`${name}.jvp returned ${list.length} tangents, expected ${diffOutputs.length} (one per differentiable output)`);
      return list;
    });
    for (const o of diffOutputs) if (o.gradFn) o.gradFn.userBackward = true;
    return Array.isArray(out) ? outputs : outputs[0];
  }
}
