/**
 * nn.Module: the base of every layer. A module owns parameters (trainable leaf tensors), buffers
 * (state that is saved but not trained, e.g. BatchNorm's running statistics) and child modules.
 *
 * Registration works as PyTorch's `__setattr__` does: the Module constructor returns a Proxy, so a plain
 * assignment in a subclass constructor registers what it assigns —
 *
 *   this.fc1 = new nn.Linear(4, 8);            // a child module, named 'fc1'
 *   this.scale = nn.parameter(nb.ones([8]));    // a parameter, named 'scale'
 *   this.registerBuffer('steps', nb.zeros([]));  // buffers are always registered explicitly
 *
 * Order is insertion order (the order of the first assignment of each name), so `parameters()`,
 * `namedParameters()` and `stateDict()` are deterministic. Reassigning a registered name keeps its slot.
 * Assigning a plain (non-parameter) tensor to a parameter's name is a TypeError, as in PyTorch.
 * The explicit `registerParameter` / `registerModule` / `registerBuffer` do the same and also take null.
 *
 * Calling: implement `forward(...)`; call it directly (`m.forward(x)`) or through `m.call(x)`, which is
 * the same thing plus forward hooks (`registerForwardHook`). Instances are not JS-callable functions.
 *
 * Note: subclasses must not use native `#private` fields (the Proxy is `this`); TypeScript `private` is fine.
 */
import { checkArity, checkOptions, describeValue } from '../strict.js';
import { Tensor } from '../tensor.js';
import { keep } from '../memory.js';
import { releaseGrad } from '../autograd/engine.js';
import { noGrad } from '../autograd/gradMode.js';
import { fmt, sameShape } from '../shape.js';
import { isFloat, type DType } from '../dtype.js';
import { cast } from '../ops/elementwise.js';
import { copy_ } from '../ops/inplace.js';

// ---------------------------------------------------------------------------------------------
// Parameter

const PARAMS = new WeakSet<Tensor>();

/**
 * Mark a tensor as a parameter: a leaf that requires grad (floating dtypes), whose storage is kept alive
 * across `nb.scope` (as model weights must be). Returns the same tensor. A non-leaf is detached first.
 */
export function parameter(t: Tensor, requiresGrad = true): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`nn.parameter: expected a Tensor, got ${typeof t}`);
  let p = t;
  if (!p.isLeaf) p = p.detach();
  if (requiresGrad && !isFloat(p.dtype)) throw new TypeError(`nn.parameter: only floating point tensors can require gradients, got dtype ${p.dtype}`);
  p.requiresGrad = requiresGrad;
  keep(p);
  PARAMS.add(p);
  return p;
}

/** Alias of `parameter`, for people who type PyTorch's name. */
export const Parameter = parameter;

export function isParameter(x: unknown): x is Tensor {
  return x instanceof Tensor && PARAMS.has(x);
}

// ---------------------------------------------------------------------------------------------
// Module

export interface ZeroGradOptions {
  /** drop the .grad tensors (default, as PyTorch ≥ 2.0) instead of filling them with zeros */
  setToNone?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export type StateDict = Record<string, Tensor>;

export type ForwardHook = (module: Module, args: unknown[], output: unknown) => unknown;

const INTERNAL = new Set(['_parameters', '_buffers', '_nonPersistent', '_modules', '_forwardHooks', 'training']);

/** What `set` / `defineProperty` do for a name besides storing it: register it, update the registry, or refuse (throws). */
function assign(target: Module, name: string, value: unknown): void {
  if (INTERNAL.has(name)) return;
  const params = target._parameters, buffers = target._buffers, modules = target._modules;
  if (!params) return; // before Module's own fields exist
  if (value instanceof Module) {
    params.delete(name); buffers.delete(name); target._nonPersistent.delete(name);
    modules.set(name, value);
    return;
  }
  if (isParameter(value)) {
    if (modules.has(name) || buffers.has(name)) {
      throw new TypeError(`cannot assign parameter to '${name}': it is already registered as a ${modules.has(name) ? 'submodule' : 'buffer'}`);
    }
    params.set(name, value);
    return;
  }
  if (params.has(name)) {
    if (value === null || value === undefined) { params.set(name, null); return; }
    throw new TypeError(`cannot assign ${value instanceof Tensor ? `a plain tensor ${value.describe()}` : typeof value} as parameter '${name}' (an nn.parameter(...) or null expected)`);
  }
  if (buffers.has(name)) {
    if (value === null || value === undefined || value instanceof Tensor) { buffers.set(name, (value as Tensor | null) ?? null); return; }
    throw new TypeError(`cannot assign ${typeof value} as buffer '${name}' (a Tensor or null expected)`);
  }
  if (modules.has(name)) {
    if (value === null || value === undefined) { modules.set(name, null); return; }
    throw new TypeError(`cannot assign ${typeof value} as child module '${name}' (a Module or null expected)`);
  }
  return;
}

function isRegistered(target: Module, name: string): boolean {
  return !!target._parameters && (target._parameters.has(name) || target._buffers.has(name) || target._modules.has(name));
}

function hasOwnData(target: object, prop: string | symbol): boolean {
  for (let o: object | null = target; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, prop);
    if (d) return 'value' in d;
  }
  return true;
}

const handler: ProxyHandler<Module> = {
  set(target, prop, value, receiver) {
    if (typeof prop === 'string') assign(target, prop, value);
    // an accessor (getter/setter) defined by a subclass runs with the proxy as `this`
    return Reflect.set(target, prop, value, hasOwnData(target, prop) ? target : receiver);
  },
  defineProperty(target, prop, desc) {
    if (typeof prop === 'string' && 'value' in desc) {
      // a subclass re-declaring a field its parent already registered (`weight: Tensor;`) must not wipe it
      if (desc.value === undefined && isRegistered(target, prop)) return true;
      assign(target, prop, desc.value);
    }
    return Reflect.defineProperty(target, prop, desc);
  },
  deleteProperty(target, prop) {
    if (typeof prop === 'string' && target._parameters) {
      target._parameters.delete(prop); target._buffers.delete(prop); target._modules.delete(prop); target._nonPersistent.delete(prop);
    }
    return Reflect.deleteProperty(target, prop);
  },
};

export abstract class Module {
  /** true after train(), false after eval(); layers like Dropout and BatchNorm read it */
  training = true;
  /** @internal */ _parameters = new Map<string, Tensor | null>();
  /** @internal */ _buffers = new Map<string, Tensor | null>();
  /** @internal */ _nonPersistent = new Set<string>();
  /** @internal */ _modules = new Map<string, Module | null>();
  /** @internal */ _forwardHooks: ForwardHook[] = [];

  constructor() {
    for (const k of INTERNAL) Object.defineProperty(this, k, { enumerable: false, writable: true, configurable: true, value: (this as any)[k] });
    // eslint-disable-next-line no-constructor-return
    return new Proxy(this, handler);
  }

  abstract forward(...args: any[]): any;

  /** Run forward (and any forward hooks). `m.call(x)` ≡ `m.forward(x)` when no hooks are registered. */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    let out = this.forward(...args);
    for (const h of this._forwardHooks) {
      const r = h(this, args, out);
      if (r !== undefined) out = r;
    }
    return out;
  }

  /** fn(module, args, output) runs after every call(); a non-undefined return replaces the output. */
  registerForwardHook(fn: ForwardHook): { remove(): void } {
    this._forwardHooks.push(fn);
    return { remove: () => { const i = this._forwardHooks.indexOf(fn); if (i >= 0) this._forwardHooks.splice(i, 1); } };
  }

  // ---- registration ---------------------------------------------------------------------------

  private checkName(kind: string, name: string): void {
    if (typeof name !== 'string' || name === '') throw new TypeError(`${kind}: name must be a non-empty string`);
    if (name.includes('.')) throw new Error(`${kind}: name can't contain ".", got '${name}'`);
    if (INTERNAL.has(name) || (name in this && !this._parameters.has(name) && !this._buffers.has(name) && !this._modules.has(name) && typeof (this as any)[name] === 'function')) {
      throw new Error(`${kind}: attribute '${name}' already exists`);
    }
  }

  /** Register (or with null, reserve) a parameter. A tensor that is not yet a parameter is made one. Returns it. */
  registerParameter(name: string, param: Tensor | null): Tensor | null {
    this.checkName('registerParameter', name);
    if (this._modules.has(name) || this._buffers.has(name)) throw new Error(`registerParameter: attribute '${name}' already exists`);
    const p = param === null ? null : isParameter(param) ? param : parameter(param);
    this._parameters.set(name, p);
    Reflect.set(this, name, p);
    return p;
  }

  /** Register a buffer: saved in stateDict (unless persistent=false), moved with the module, not trained. */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): Tensor | null {
    this.checkName('registerBuffer', name);
    if (this._modules.has(name) || this._parameters.has(name)) throw new Error(`registerBuffer: attribute '${name}' already exists`);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`registerBuffer: '${name}' must be a Tensor or null`);
    if (tensor) keep(tensor);
    this._buffers.set(name, tensor);
    if (persistent) this._nonPersistent.delete(name); else this._nonPersistent.add(name);
    Reflect.set(this, name, tensor);
    return tensor;
  }

  /** Register a child module under `name` (names may be any string without '.', e.g. '0'). */
  registerModule<M extends Module | null>(name: string, module: M): M {
    if (typeof name !== 'string' || name === '' || name.includes('.')) throw new Error(`registerModule: invalid name '${name}'`);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`registerModule: '${name}' is not a Module`);
    if (this._parameters.has(name) || this._buffers.has(name)) throw new Error(`registerModule: attribute '${name}' already exists`);
    this._modules.set(name, module);
    Reflect.set(this, name, module);
    return module;
  }

  /** alias of registerModule */
  addModule<M extends Module | null>(name: string, module: M): M {
    return this.registerModule(name, module);
  }

  /** The submodule at a dotted path ('' is this module). */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const c = m._modules.get(part);
      if (!c) throw new Error(`getSubmodule: ${m.constructor.name} has no submodule '${part}' (path '${target}')`);
      m = c;
    }
    return m;
  }

  getParameter(target: string): Tensor {
    const i = target.lastIndexOf('.');
    const mod = this.getSubmodule(i < 0 ? '' : target.slice(0, i));
    const p = mod._parameters.get(target.slice(i + 1));
    if (!p) throw new Error(`getParameter: no parameter '${target}'`);
    return p;
  }

  // ---- traversal ------------------------------------------------------------------------------

  /** [name, module] for this module and every descendant (each module once), depth-first pre-order. */
  namedModules(prefix = '', memo: Set<Module> = new Set()): [string, Module][] {
    const out: [string, Module][] = [];
    if (memo.has(this)) return out;
    memo.add(this);
    out.push([prefix, this]);
    for (const [name, m] of this._modules) {
      if (!m) continue;
      out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name, memo));
    }
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (m && !seen.has(m)) { seen.add(m); out.push([name, m]); }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** [dotted name, parameter], each parameter once (shared parameters keep their first name). */
  namedParameters(opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } = {}): [string, Tensor][] {
    return this.namedMembers((m) => m._parameters, opts);
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters({ recurse }).map(([, p]) => p);
  }

  namedBuffers(opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean } = {}): [string, Tensor][] {
    return this.namedMembers((m) => m._buffers, opts);
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers({ recurse }).map(([, b]) => b);
  }

  private namedMembers(get: (m: Module) => Map<string, Tensor | null>, opts: { prefix?: string; recurse?: boolean; removeDuplicate?: boolean }): [string, Tensor][] {
    const prefix = opts.prefix ?? '', recurse = opts.recurse ?? true, dedupe = opts.removeDuplicate ?? true;
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [mp, m] of mods) {
      for (const [n, t] of get(m)) {
        if (!t || (dedupe && seen.has(t))) continue;
        seen.add(t);
        out.push([mp ? `${mp}.${n}` : n, t]);
      }
    }
    return out;
  }

  /** Total number of elements over parameters (only trainable ones with onlyTrainable). */
  numParameters(onlyTrainable = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!onlyTrainable || p.requiresGrad) n += p.numel();
    return n;
  }

  /** Apply fn to every descendant (children first) and then to this module; returns this. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and gradients --------------------------------------------------------------------

  /** Set training mode on this module and every descendant. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError('train: mode must be a boolean');
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Cast every floating-point parameter and buffer to dtype (e.g. 'float64' for gradcheck). Parameters are
   * replaced by new parameter tensors (ties are kept), so build optimizers after calling this.
   */
  to(dtype: DType): this {
    const memo = new Map<Tensor, Tensor>();
    const conv = (t: Tensor, asParam: boolean): Tensor => {
      let r = memo.get(t);
      if (!r) {
        const c = noGrad(() => cast(t.detach(), dtype));
        r = asParam ? parameter(c, t.requiresGrad) : keep(c);
        memo.set(t, r);
      }
      return r;
    };
    for (const m of this.modules()) {
      for (const [n, p] of m._parameters) if (p && isFloat(p.dtype) && p.dtype !== dtype) Reflect.set(m, n, conv(p, true));
      for (const [n, b] of m._buffers) if (b && isFloat(b.dtype) && b.dtype !== dtype) Reflect.set(m, n, conv(b, false));
    }
    return this;
  }

  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  /** Set requiresGrad on every parameter (freeze with false). */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Clear the gradients of every parameter: drop them (setToNone, the default) or fill them with zeros. */
  zeroGrad(opts: ZeroGradOptions = {}): void {
    const setToNone = opts.setToNone ?? true;
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) releaseGrad(p);
      else {
        const g = p.grad.gradFn ? p.grad.detach() : p.grad;
        noGrad(() => g.fill_(0));
        p.grad = g;
      }
    }
  }

  // ---- state ----------------------------------------------------------------------------------

  /**
   * Parameters and persistent buffers by dotted name (PyTorch's keys: 'fc1.weight', 'bn.running_mean').
   * Values share storage with the module (detached views) unless keepVars, which returns the tensors themselves.
   */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    const out: StateDict = {};
    const prefix = opts.prefix ?? '';
    const visit = (m: Module, p: string) => {
      for (const [n, t] of m._parameters) if (t) out[p + n] = opts.keepVars ? t : t.detach();
      for (const [n, t] of m._buffers) if (t && !m._nonPersistent.has(n)) out[p + n] = opts.keepVars ? t : t.detach();
      for (const [n, c] of m._modules) if (c) visit(c, `${p}${n}.`);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Copy values from `stateDict` into this module's parameters and buffers, in place (under noGrad, casting
   * to each tensor's dtype). A shape mismatch always throws, naming the key and both shapes. With strict
   * (the default) missing or unexpected keys throw; otherwise they are returned.
   */
  loadStateDict(stateDict: StateDict | Map<string, Tensor>, opts: { strict?: boolean } = {}): LoadStateDictResult {
    checkArity('loadStateDict', arguments, 2, '(stateDict, {strict})');
    checkOptions('loadStateDict', opts, ['strict']);
    if (stateDict instanceof Promise) {
      throw new TypeError('loadStateDict: got a Promise, not a state dict; nb.load is async: use `model.loadStateDict(await nb.load(path))` (or nb.loadSync(path))');
    }
    if (stateDict === null || typeof stateDict !== 'object') throw new TypeError(`loadStateDict: expected a state dict (an object of name → Tensor), got ${describeValue(stateDict)}`);
    const strict = opts.strict ?? true;
    const sd: Map<string, Tensor> = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict({ keepVars: true });
    const missingKeys: string[] = [], unexpectedKeys: string[] = [], errors: string[] = [];
    for (const key of Object.keys(own)) if (!sd.has(key)) missingKeys.push(key);
    for (const key of sd.keys()) if (!(key in own)) unexpectedKeys.push(key);
    for (const [key, dst] of Object.entries(own)) {
      const src = sd.get(key);
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) { errors.push(`value for '${key}' is not a Tensor`); continue; }
      if (!sameShape(src.shape, dst.shape)) {
        errors.push(`size mismatch for ${key}: copying a param with shape ${fmt(src.shape)} from checkpoint, the shape in current model is ${fmt(dst.shape)}`);
      }
    }
    if (strict) {
      if (unexpectedKeys.length) errors.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
      if (missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (errors.length) throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    noGrad(() => {
      for (const [key, dst] of Object.entries(own)) {
        const src = sd.get(key);
        if (src !== undefined && src !== dst && !(src.storage === dst.storage && src.offset === dst.offset)) copy_(dst, src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing -------------------------------------------------------------------------------

  /** The text inside the parentheses of this module's one-line repr (override in layers). */
  extraRepr(): string {
    return '';
  }

  /** A tree like PyTorch's repr: `Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n)`. */
  toString(): string {
    const name = this.constructor.name;
    const extra = this.extraRepr();
    const lines: string[] = extra ? extra.split('\n') : [];
    for (const [n, m] of this._modules) {
      const s = m ? m.toString() : 'None';
      lines.push(`(${n}): ${s.split('\n').join('\n  ')}`);
    }
    if (lines.length === 0) return `${name}()`;
    if (this._modules.size === 0 && lines.length === 1) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join('\n  ')}\n)`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Format a value as PyTorch's reprs do (True/False/None, tuples). */
export function reprValue(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (Array.isArray(v)) return `(${v.map(reprValue).join(', ')}${v.length === 1 ? ',' : ''})`;
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}
