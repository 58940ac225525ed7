/**
 * The optimizer base class (torch.optim.Optimizer's contract).
 *
 * - Parameters come as a plain array / iterable of tensors, or as param groups
 *   `[{params, lr: 0.1}, {params: other}]`: a group's own options override the constructor's defaults.
 * - `paramGroups[i].lr` (and every other option) is plain mutable data: schedulers write `lr` there and
 *   the next `step()` reads it.
 * - State is kept per parameter (`state.get(p)`), created lazily on the first step that sees a gradient.
 *   State tensors are marked with `nb.keep`, so a `nb.scope` around the training step never frees them.
 * - `step()` runs under `noGrad` and inside a `scope` (temporaries are freed when it returns); parameters
 *   whose `.grad` is null are skipped (no state is created for them).
 * - `stateDict()` uses PyTorch's layout: `{state: {index: {...}}, param_groups: [{...options, params:
 *   [indices]}]}` where indices number the parameters across groups in order. State keys follow PyTorch's
 *   names (`exp_avg`, `exp_avg_sq`, `momentum_buffer`, `step`, ...); group options keep nabla's camelCase
 *   names (`weightDecay`). Step counts are JS numbers. Tensors in the dict are snapshots (clones), so
 *   training on after `stateDict()` does not change a dict you are about to save.
 */
import { Tensor } from '../tensor.js';
import { keep, scope } from '../memory.js';
import { withMemoryContext } from '../memory/context.js';
import { enableGrad, noGrad } from '../autograd/gradMode.js';
import { clone } from '../ops/movement.js';
import { cast } from '../ops/elementwise.js';
import { zero_ } from '../ops/inplace.js';
import { releaseGrad } from '../autograd/engine.js';
import { isFloat } from '../dtype.js';
import { fmt, sameShape } from '../shape.js';
import { describeValue, mergeArgs, unknownKeyMessage } from '../strict.js';

/** A group of parameters sharing option values. Extra keys (e.g. `initialLr` set by schedulers) are allowed. */
export type ParamGroup<O> = O & { params: Tensor[]; [extra: string]: unknown };

/** What the constructor accepts for a group: params plus any subset of the options. */
export type ParamGroupInit<O> = Partial<O> & { params: Iterable<Tensor>; [extra: string]: unknown };

export type ParamsArg<O> = Iterable<Tensor> | Iterable<ParamGroupInit<O>>;

/** Per-parameter state: tensors and plain numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict {
  state: Record<string, ParamState>;
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

export interface ZeroGradOptions {
  /** drop the gradient tensors (default) instead of filling them with zeros */
  setToNone?: boolean;
}

/** The options every optimizer has. */
export interface BaseOptions {
  lr: number;
}

export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly defaults: O;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** per-parameter state, keyed by the parameter tensor */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: ParamsArg<O>, defaults: O) {
    this.defaults = { ...defaults };
    const name = this.constructor.name;
    if (params !== null && typeof params === 'object' && typeof (params as { parameters?: unknown }).parameters === 'function') {
      throw new TypeError(`${name}: got a Module; pass its parameters: new ${name}(model.parameters(), ...)`);
    }
    if (params instanceof Tensor) throw new TypeError(`${name}: params must be an iterable of tensors or param groups (e.g. [w, b] or model.parameters()), got a single tensor ${params.describe()}; wrap it in an array`);
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new TypeError(`${name}: params must be an iterable of tensors or param groups (e.g. model.parameters()), got ${describeValue(params)}`);
    }
    const list = [...(params as Iterable<Tensor | ParamGroupInit<O>>)];
    if (list.length === 0) throw new Error(`${this.constructor.name}: optimizer got an empty parameter list`);
    const groups: ParamGroupInit<O>[] = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInit<O>] : (list as ParamGroupInit<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Add a group (e.g. when unfreezing layers during fine-tuning); missing options take the defaults. */
  addParamGroup(group: ParamGroupInit<O>): void {
    if (group === null || typeof group !== 'object' || group instanceof Tensor || !('params' in group)) {
      throw new TypeError(`${this.constructor.name}: a param group must be an object with a 'params' field`);
    }
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.constructor.name}: optimizer can only optimize Tensors, got ${typeof p}`);
      if (!p.isLeaf) throw new Error(`${this.constructor.name}: can't optimize a non-leaf tensor ${p.describe()}`);
      if (!isFloat(p.dtype)) throw new TypeError(`${this.constructor.name}: can only optimize floating point tensors, got ${p.describe()}`);
      if (seen.has(p)) throw new Error(`${this.constructor.name}: some parameters appear in more than one parameter group (or twice in one)`);
      seen.add(p);
    }
    const known = [...Object.keys(this.defaults), 'params', 'initialLr'];
    for (const k of Object.keys(group)) if (!known.includes(k)) throw new TypeError(unknownKeyMessage(`${this.constructor.name} param group`, k, known, 'key'));
    const full = copyValue({ ...this.defaults, ...group, params: [] }) as ParamGroup<O>;
    for (const [k, v] of Object.entries(full)) {
      if (v === undefined) (full as Record<string, unknown>)[k] = copyValue((this.defaults as Record<string, unknown>)[k]);
    }
    full.params = params;
    this.validateGroup(full);
    this.paramGroups.push(full);
  }

  /** Check a group's option values (called for each group added); throw a RangeError on a bad value. */
  protected validateGroup(group: ParamGroup<O>): void {
    if (!(group.lr >= 0)) throw new RangeError(`${this.constructor.name}: invalid learning rate ${group.lr}`);
  }

  /**
   * One optimization step over every parameter that has a gradient. With a closure, it is called first
   * (with gradient recording on) to recompute the loss and gradients; its result is returned.
   */
  step(closure?: () => number | Tensor): number | Tensor | undefined {
    let loss: number | Tensor | undefined;
    if (closure) loss = enableGrad(closure);
    withMemoryContext('optimizer.step', 'optimizer', () => noGrad(() => scope(() => {
      for (const group of this.paramGroups) this.stepGroup(group);
    })));
    return loss;
  }

  /** Update the parameters of one group (runs under noGrad inside a scope). */
  protected stepGroup(group: ParamGroup<O>): void {
    for (const p of group.params) {
      const g = p.grad;
      if (g === null) continue;
      if (!sameShape(g.shape, p.shape)) throw new Error(`${this.constructor.name}: gradient ${fmt(g.shape)} does not match parameter ${p.describe()}`);
      let st = this.state.get(p);
      if (!st) { st = {}; this.state.set(p, st); }
      this.update(p, g.dtype === p.dtype ? g : cast(g, p.dtype), st, group);
    }
  }

  /** The update rule for one parameter. */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /** Clear the gradients of every parameter: drop them (default) or zero them in place. */
  zeroGrad(opts: ZeroGradOptions = {}): void {
    const setToNone = opts.setToNone ?? true;
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) releaseGrad(p);
        else noGrad(() => zero_(p.grad!));
      }
    }
  }

  /** Every parameter, in group order (the numbering stateDict uses). */
  params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const groups = this.paramGroups.map((g) => {
      const { params, ...options } = g;
      const ids = params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return { ...copyValue(options) as Record<string, unknown>, params: ids };
    });
    const state: Record<string, ParamState> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const out: ParamState = {};
      for (const [k, v] of Object.entries(st)) out[k] = v instanceof Tensor ? noGrad(() => keep(clone(v))) : v;
      state[String(i)] = out;
    }
    return { state, param_groups: groups };
  }

  /**
   * Restore state and group options saved by `stateDict()` (of an optimizer built over parameters of the
   * same shapes, in the same groups). State tensors are copied (and cast to the parameter's dtype when
   * floating), so the dict can be reused.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if ((sd as unknown) instanceof Promise) throw new TypeError(`${this.constructor.name}.loadStateDict: got a Promise; nb.load is async: use \`opt.loadStateDict((await nb.load(path)).optimizer)\` (or nb.loadSync)`);
    if (!sd || typeof sd !== 'object' || !sd.state || !Array.isArray(sd.param_groups)) {
      throw new TypeError(`${this.constructor.name}.loadStateDict: expected {state, param_groups}`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error(`${this.constructor.name}.loadStateDict: loaded state dict has ${sd.param_groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    sd.param_groups.forEach((sg, gi) => {
      const mine = this.paramGroups[gi]!;
      if (!Array.isArray(sg.params) || sg.params.length !== mine.params.length) {
        throw new Error(`${this.constructor.name}.loadStateDict: group ${gi} has ${sg.params?.length} parameters in the state dict, ${mine.params.length} in the optimizer`);
      }
      sg.params.forEach((id, k) => byIndex.set(Number(id), mine.params[k]!));
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, st] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (!p) throw new Error(`${this.constructor.name}.loadStateDict: state for parameter ${key}, which no group lists`);
      const out: ParamState = {};
      for (const [k, v] of Object.entries(st)) {
        if (v instanceof Tensor) {
          out[k] = noGrad(() => keep(clone(isFloat(v.dtype) && v.dtype !== p.dtype ? cast(v, p.dtype) : v)));
        } else if (typeof v === 'number') {
          out[k] = v;
        } else {
          throw new TypeError(`${this.constructor.name}.loadStateDict: state ${key}.${k} must be a Tensor or a number, got ${typeof v}`);
        }
      }
      newState.set(p, out);
    }
    this.state.clear();
    for (const [p, st] of newState) this.state.set(p, st);
    sd.param_groups.forEach((sg, gi) => {
      const mine = this.paramGroups[gi]! as Record<string, unknown>;
      for (const [k, v] of Object.entries(sg)) if (k !== 'params') mine[k] = copyValue(v);
    });
  }

  /**
   * The options of a constructor call in PyTorch's forms: `(params, {lr, ...})` or positionally
   * `(params, lr, ...)` in torch.optim's order (`positional`), optionally ending in an options object.
   * Every key must be one of the optimizer's options (a snake_case key gets "did you mean ...?").
   */
  protected static options<O extends object>(name: string, rest: readonly unknown[], positional: readonly string[], defaults: O): O {
    const keys = Object.keys(defaults);
    const given = mergeArgs(name, rest, positional, keys.filter((k) => !positional.includes(k)));
    for (const [k, v] of Object.entries(given)) {
      const d = (defaults as Record<string, unknown>)[k];
      const ok = typeof d === 'number' ? typeof v === 'number' : typeof d === 'boolean' ? typeof v === 'boolean' : Array.isArray(d) ? Array.isArray(v) && v.length === d.length : true;
      if (!ok) throw new TypeError(`${name}: ${k} must be ${Array.isArray(d) ? `an array of ${d.length}` : `a ${typeof d}`}, got ${describeValue(v)}`);
    }
    return { ...defaults, ...given } as O;
  }

  /** A new state tensor (zeros like `p`, or a copy of `init`), kept alive across scopes. */
  protected static stateTensor(init: Tensor): Tensor {
    return keep(clone(init));
  }
}

/** Copy plain data (arrays, objects) so that a state dict does not alias live group options. */
function copyValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyValue);
  if (v instanceof Tensor) return v;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyValue(x)]));
  return v;
}

/** Read a required numeric state entry. */
export function num(state: ParamState, key: string): number {
  const v = state[key];
  if (typeof v !== 'number') throw new Error(`optimizer state '${key}' is missing or not a number`);
  return v;
}

/** Read a required tensor state entry. */
export function ten(state: ParamState, key: string): Tensor {
  const v = state[key];
  if (!(v instanceof Tensor)) throw new Error(`optimizer state '${key}' is missing or not a tensor`);
  return v;
}
