/** Containers: Sequential, ModuleList, ModuleDict. Children are named '0', '1', ... (or the dict's keys). */
import { checkArity, describeValue } from '../strict.js';
import { Module } from './module.js';

function normIndex(op: string, i: number, n: number, allowEnd = false): number {
  if (!Number.isInteger(i)) throw new TypeError(`${op}: index must be an integer, got ${i}`);
  const j = i < 0 ? i + n : i;
  if (j < 0 || j > n || (j === n && !allowEnd)) throw new RangeError(`${op}: index ${i} is out of range for a container of length ${n}`);
  return j;
}

/** Shared list behaviour: children kept under '0'..'n-1', re-numbered on insert/delete; `list[i]` also works. */
abstract class IndexedContainer extends Module {
  get length(): number {
    return this._modules.size;
  }

  protected items(): Module[] {
    return [...this._modules.values()] as Module[];
  }

  protected resetItems(items: readonly Module[]): void {
    const n = this._modules.size;
    for (let i = 0; i < n; i++) delete (this as any)[String(i)];
    this._modules.clear();
    items.forEach((m, i) => this.registerModule(String(i), m));
  }

  /** The module at index i (negative counts from the end). */
  at(i: number): Module {
    return this.items()[normIndex('at', i, this.length)]!;
  }

  /** Replace the module at index i. */
  setAt(i: number, m: Module): void {
    this.registerModule(String(normIndex('setAt', i, this.length)), m);
  }

  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError(`${this.constructor.name}.append: expected a Module, got ${describeValue(m)}`);
    this.registerModule(String(this.length), m);
    return this;
  }

  extend(ms: Iterable<Module>): this {
    for (const m of ms) this.append(m);
    return this;
  }

  insert(index: number, m: Module): this {
    const items = this.items();
    items.splice(normIndex('insert', index, items.length, true), 0, m);
    this.resetItems(items);
    return this;
  }

  /** Remove and return the module at index (default: the last). */
  pop(index = -1): Module {
    const items = this.items();
    const [m] = items.splice(normIndex('pop', index, items.length), 1);
    this.resetItems(items);
    return m!;
  }

  /** A new container of the same kind holding modules [start, end) (shared, not copied). */
  slice(start?: number, end?: number): this {
    return this.makeLike(this.items().slice(start, end));
  }

  protected abstract makeLike(items: Module[]): this;

  [Symbol.iterator](): Iterator<Module> {
    return this.items()[Symbol.iterator]();
  }
}

/** Runs its children in order: `forward(x) = mN(...m1(m0(x)))`. */
export class Sequential extends IndexedContainer {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} is not a Module (got ${describeValue(m)})`);
      this.registerModule(String(i), m);
    });
  }

  forward(x: any): any {
    for (const m of this._modules.values()) if (m) x = m.call(x);
    return x;
  }

  protected makeLike(items: Module[]): this {
    return new Sequential(...items) as this;
  }
}

/** A list of modules whose parameters are registered (it has no forward of its own). */
export class ModuleList extends IndexedContainer {
  constructor(modules: Iterable<Module> = []) {
    super();
    checkArity('ModuleList', arguments, 1, '(modules: an array of Modules)');
    if (modules === null || typeof (modules as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') throw new TypeError(`ModuleList: expected an array of Modules, got ${describeValue(modules)}`);
    this.extend(modules);
  }

  forward(..._args: unknown[]): never {
    throw new Error('ModuleList has no forward(); iterate over it and call the modules');
  }

  protected makeLike(items: Module[]): this {
    return new ModuleList(items) as this;
  }
}

/** A string-keyed dictionary of modules (insertion order). Use get/set, not properties. */
export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    checkArity('ModuleDict', arguments, 1, '(modules: {name: Module} or [name, Module] pairs)');
    this.update(modules);
  }

  get size(): number {
    return this._modules.size;
  }

  get(key: string): Module | undefined {
    return this._modules.get(key) ?? undefined;
  }

  set(key: string, m: Module): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) throw new Error(`ModuleDict.set: invalid key '${key}'`);
    if (!(m instanceof Module)) throw new TypeError(`ModuleDict.set: '${key}' is not a Module`);
    this._modules.set(key, m); // not mirrored as a property: keys may collide with method names
    return this;
  }

  has(key: string): boolean {
    return this._modules.has(key);
  }

  delete(key: string): boolean {
    return this._modules.delete(key);
  }

  /** Remove and return the module under key. */
  pop(key: string): Module {
    const m = this._modules.get(key);
    if (!m) throw new Error(`ModuleDict.pop: no key '${key}'`);
    this._modules.delete(key);
    return m;
  }

  clear(): void {
    this._modules.clear();
  }

  update(modules: Record<string, Module> | Iterable<[string, Module]>): this {
    const entries = Symbol.iterator in Object(modules) ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules as Record<string, Module>);
    for (const [k, m] of entries) this.set(k, m);
    return this;
  }

  keys(): string[] {
    return [...this._modules.keys()];
  }

  values(): Module[] {
    return [...this._modules.values()] as Module[];
  }

  entries(): [string, Module][] {
    return [...this._modules.entries()] as [string, Module][];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  forward(..._args: unknown[]): never {
    throw new Error('ModuleDict has no forward(); get a module by key and call it');
  }
}
