/**
 * Indexing as NumPy and PyTorch do it: x.index(spec), x.indexPut_(indices, values, accumulate),
 * x.indexPut(...) and the setter x.indexSet_(spec, value) (Python's x[spec] = value).
 *
 * A spec is a string (`':, 1:'`, `'..., ::2'`, `'0, None'`, `':, [0, 2]'`) or an array of items:
 *   an integer (select the index, the dim goes away; negative counts from the end), null or ':' (the whole
 *   dim), a slice as a string ('1:3', '::2') or as an array holding an open end ([1, null], [null, 3, 2]),
 *   '...' (as many whole dims as needed), 'newaxis' or 'None' (a new dim of size 1),
 *   an integer array (nested arrays of integers) or an int32 tensor: an advanced index (gather semantics),
 *   a boolean array or a bool tensor: a mask over as many dims as it has, read as the integer arrays of its
 *   true positions (masked select: a mask of x's full shape gives a 1-D result).
 * An array of integers is always an index list (x[:, [0, 2]]), never a range: write ranges as '0:2'.
 *
 * Basic items make a view (select/slice/unsqueeze). Advanced items (PyTorch's rule): the index arrays are
 * broadcast together to a shape B; if the dims they index are adjacent, B replaces those dims in place,
 * otherwise B comes first. Integers are applied first as selects (PyTorch does; NumPy would count them as
 * advanced), so x[0, :, [0, 1]] has shape [3, 2] for x of shape [2, 3, 4].
 *
 * Lowering, differentiable through existing ops: the indexed dims are moved first and flattened into one, each
 * element of B becomes one flat row index L = Σ_j i_j · stride_j, and indexSelect(rows, 0, L) gathers the rows.
 * Its gradient is indexAdd: the upstream gradient scatter-added into zeros (repeated indices add up).
 *
 * Writes address the flat positions of x that index(spec) reads (the same rule applied to arange(numel)):
 *   accumulate:  z = x + scatterAdd(positions, values)            ∂z/∂x = 1, ∂/∂values = gather
 *   otherwise:   z = where(written, scatter(values), x)           ∂z/∂x = 1 off the written positions
 * With a position repeated and accumulate false the last value written wins (as PyTorch on the CPU, where it is
 * documented as undefined) and the overwritten values get gradient 0, the exact derivative of that forward
 * (PyTorch hands every repeated value the gathered gradient).
 */
import { Tensor, type NestedArray } from '../tensor.js';
import { needsGraph } from '../autograd/record.js';
import { broadcastShapes, fmt, numel, sameShape } from '../shape.js';
import { describeValue } from '../strict.js';
import { add, cast, where } from './elementwise.js';
import { clone, expand, permute, reshape, select, slice, unsqueeze } from './movement.js';
import { indexAdd, indexSelect } from './indexing.js';
import { checkWritable, commit } from './writeInPlace.js';
import { defineOp } from './define.js';
import { argError, tensor, type ArgSpec } from './args.js';

/** One item of a user spec. */
export type IndexSpecItem = number | null | string | readonly (number | null | undefined)[] | NestedArray | Tensor;
export type IndexSpec = string | readonly IndexSpecItem[];

type Slice = { kind: 'slice'; start?: number; end?: number; step?: number };
type Item =
  | { kind: 'int'; i: number }
  | { kind: 'full' }
  | Slice
  | { kind: 'ellipsis' }
  | { kind: 'newaxis' }
  | { kind: 'array'; idx: Int32Array; shape: number[] }
  | { kind: 'mask'; mask: Uint8Array; shape: number[] };

// ---- parsing ---------------------------------------------------------------------------------------------

/** One comma-free piece of the string form: '1', ':', '1:3', '::2', '...', 'None'. */
function parsePiece(op: string, s: string, where: string): Item {
  const t = s.trim();
  if (t === '...' || t === 'Ellipsis') return { kind: 'ellipsis' };
  if (t === 'None' || t === 'newaxis') return { kind: 'newaxis' };
  if (/^-?\d+$/.test(t)) return { kind: 'int', i: Number(t) };
  const parts = t.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^\s*(-?\d+)?\s*$/.test(p))) {
    throw new TypeError(`${op}: cannot read '${t}' in ${where} (expected an integer, start:end:step with optional parts, '...' or None)`);
  }
  const num = (p: string | undefined) => (p === undefined || p.trim() === '' ? undefined : Number(p));
  if (parts[2] !== undefined && num(parts[2]) === 0) throw new RangeError(`${op}: slice step cannot be zero in '${t}'`);
  const [start, end, step] = [num(parts[0]), num(parts[1]), num(parts[2])];
  if (start === undefined && end === undefined && (step === undefined || step === 1)) return { kind: 'full' };
  return { kind: 'slice', start, end, step };
}

/** Shape and flat leaves of a rectangular nested array; null where it is not rectangular. */
function nested(v: unknown): { shape: number[]; leaves: unknown[] } | null {
  const shape: number[] = [];
  let probe: unknown = v;
  while (Array.isArray(probe)) { shape.push(probe.length); probe = probe[0]; }
  const leaves: unknown[] = [];
  const walk = (a: unknown, d: number): boolean => {
    if (d === shape.length) { if (Array.isArray(a)) return false; leaves.push(a); return true; }
    if (!Array.isArray(a) || a.length !== shape[d]) return false;
    return a.every((e) => walk(e, d + 1));
  };
  return walk(v, 0) ? { shape, leaves } : null;
}

function toItem(op: string, s: unknown, k: number): Item {
  if (s === null) return { kind: 'full' };
  if (typeof s === 'number') {
    if (!Number.isInteger(s)) throw new TypeError(`${op}: item ${k} must be an integer index, got ${s}`);
    return { kind: 'int', i: s };
  }
  if (s === '...') return { kind: 'ellipsis' };
  if (s === 'newaxis' || s === 'None') return { kind: 'newaxis' };
  if (typeof s === 'string') {
    if (s.includes(',')) throw new TypeError(`${op}: item ${k} '${s}' holds a comma; give the whole spec as one string or one item per array element`);
    return parsePiece(op, s, `item ${k}`);
  }
  if (typeof s === 'boolean') throw new TypeError(`${op}: item ${k} is the boolean ${s}; a mask is a boolean array or a bool tensor`);
  if (s instanceof Tensor) {
    if (s.dtype === 'int32') return { kind: 'array', idx: Int32Array.from(s.data()), shape: [...s.shape] };
    if (s.dtype === 'bool') return { kind: 'mask', mask: Uint8Array.from(s.data()), shape: [...s.shape] };
    throw new TypeError(`${op}: item ${k} is a ${s.dtype} tensor; tensors used as indices must be int32 (an index array) or bool (a mask)`);
  }
  if (Array.isArray(s)) {
    // a flat array with an open end (null/undefined) is a slice [start, end, step]
    if (s.some((e) => e === null || e === undefined)) {
      if (s.length > 3 || !s.every((e) => e === null || e === undefined || Number.isInteger(e))) {
        throw new TypeError(`${op}: item ${k} must be a slice [start, end, step] of integers and nulls, or an index array of integers, got ${describeValue(s)}`);
      }
      if (s[2] === 0) throw new RangeError(`${op}: slice step cannot be zero (item ${k})`);
      return { kind: 'slice', start: s[0] ?? undefined, end: s[1] ?? undefined, step: s[2] ?? undefined };
    }
    const n = nested(s);
    if (!n) throw new TypeError(`${op}: item ${k} is a ragged nested array; an index array must be rectangular`);
    if (n.leaves.length && n.leaves.every((e) => typeof e === 'boolean')) return { kind: 'mask', mask: Uint8Array.from(n.leaves as boolean[], Number), shape: n.shape };
    if (n.leaves.every((e) => typeof e === 'number' && Number.isInteger(e))) return { kind: 'array', idx: Int32Array.from(n.leaves as number[]), shape: n.shape };
    throw new TypeError(`${op}: item ${k} must be an array of integers (an index array) or of booleans (a mask), got ${describeValue(s)}`);
  }
  throw new TypeError(`${op}: item ${k} must be an integer, null, a slice, '...', 'newaxis', an index array or a mask, got ${describeValue(s)}`);
}

/** Split the string form at the commas outside brackets: ':, [0, 2]' → [':', '[0, 2]']. */
function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  out.push(text.slice(start));
  return out;
}

/** A bracketed list in the string form: integers ('[0, -1]', nested) or booleans ('[True, False]'). */
function parseList(op: string, piece: string, k: number): Item {
  const t = piece.trim();
  let v: unknown;
  try { v = JSON.parse(t.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false')); } catch { v = undefined; }
  if (!Array.isArray(v)) throw new TypeError(`${op}: cannot read the list '${t}' (item ${k}); expected integers or booleans in brackets, such as [0, 2]`);
  return toItem(op, v, k);
}

function parseSpec(op: string, spec: unknown): Item[] {
  if (typeof spec === 'string') return splitTop(spec).map((p, k) => (p.trim().startsWith('[') ? parseList(op, p, k) : parsePiece(op, p, `'${spec}'`)));
  if (spec instanceof Tensor) return [toItem(op, spec, 0)];
  if (!Array.isArray(spec)) throw new TypeError(`${op}: spec must be an array of items or a string such as ':, 1:', got ${describeValue(spec)}`);
  return spec.map((s, k) => toItem(op, s, k));
}

// ---- the read ----------------------------------------------------------------------------------------------

/** Where the basic items leave the tensor, and the advanced index arrays per dim of that result. */
interface Plan { y: Tensor; adv: Map<number, { idx: Int32Array; shape: number[]; item: number; xdim: number }> }

function plan(op: string, x: Tensor, items: Item[]): Plan {
  const width = (it: Item) => (it.kind === 'ellipsis' || it.kind === 'newaxis' ? 0 : it.kind === 'mask' ? it.shape.length : 1);
  const consumed = items.reduce((a, it) => a + width(it), 0);
  if (items.filter((it) => it.kind === 'ellipsis').length > 1) throw new Error(`${op}: an index can only have a single ellipsis ('...')`);
  if (consumed > x.ndim) throw new Error(`${op}: too many indices for a tensor of rank ${x.ndim}: the spec indexes ${consumed} dims`);
  const full: Item[] = [];
  items.forEach((it, k) => {
    if (it.kind === 'ellipsis') for (let j = 0; j < x.ndim - consumed; j++) full.push({ kind: 'full' });
    else full.push(it);
    // PyTorch reads a multi-dim mask followed by more indices differently from NumPy (and mostly refuses it)
    if (it.kind === 'mask' && it.shape.length > 1 && items.slice(k + 1).some((n) => width(n) > 0)) {
      throw new Error(`${op}: a ${it.shape.length}-D mask (item ${k}) must be the last item that indexes dims (PyTorch and NumPy read what follows it differently); index the remaining dims first or reshape`);
    }
  });
  const itemOf: number[] = [];
  items.forEach((it, k) => {
    if (it.kind === 'ellipsis') for (let j = 0; j < x.ndim - consumed; j++) itemOf.push(k);
    else itemOf.push(k);
  });
  let y = x;
  let d = 0; // the dim of y the next item applies to
  let xd = 0; // the same dim counted in x (for messages)
  const adv: Plan['adv'] = new Map();
  full.forEach((it, f) => {
    const k = itemOf[f]!;
    switch (it.kind) {
      case 'full': d++; xd++; break;
      case 'newaxis': y = unsqueeze(y, d++); break;
      case 'int': {
        const n = y.shape[d]!;
        if (it.i < -n || it.i >= n) throw new RangeError(`${op}: index ${it.i} is out of range for dim ${xd} with size ${n} (item ${k})`);
        y = select(y, d, it.i);
        xd++;
        break;
      }
      case 'slice': y = slice(y, d, it.start, it.end, it.step ?? 1); d++; xd++; break;
      case 'array': adv.set(d++, { idx: it.idx, shape: it.shape, item: k, xdim: xd++ }); break;
      case 'mask': {
        const dims = y.shape.slice(d, d + it.shape.length);
        if (!sameShape(dims, it.shape)) {
          throw new Error(`${op}: the shape of the mask ${fmt(it.shape)} (item ${k}) does not match the shape ${fmt(dims)} of the indexed dims ${xd}..${xd + it.shape.length - 1} of the tensor ${fmt(x.shape)}`);
        }
        // the true positions as one index array per masked dim (row-major order: masked select)
        const r = it.shape.length, count = it.mask.reduce((a, v) => a + (v ? 1 : 0), 0);
        const coords = Array.from({ length: r }, () => new Int32Array(count));
        let c = 0;
        for (let p = 0; p < it.mask.length; p++) {
          if (!it.mask[p]) continue;
          let q = p;
          for (let j = r - 1; j >= 0; j--) { coords[j]![c] = q % it.shape[j]!; q = Math.floor(q / it.shape[j]!); }
          c++;
        }
        coords.forEach((idx) => adv.set(d++, { idx, shape: [count], item: k, xdim: xd++ }));
        break;
      }
      case 'ellipsis': break;
    }
  });
  return { y, adv };
}

/** Flat row indices into the indexed dims (moved first, row-major), shaped like the broadcast index arrays. */
function rowIndex(op: string, y: Tensor, adv: Plan['adv']): { dims: number[]; B: number[]; L: Int32Array } {
  const dims = [...adv.keys()].sort((a, b) => a - b);
  const arrays = dims.map((d) => adv.get(d)!);
  let B: number[] = [];
  try {
    B = arrays.reduce<number[]>((acc, a) => broadcastShapes(op, acc, a.shape), []);
  } catch {
    throw new Error(`${op}: shape mismatch: indexing arrays could not be broadcast together with shapes ${arrays.map((a) => fmt(a.shape)).join(', ')}`);
  }
  const n = numel(B);
  const L = new Int32Array(n);
  let stride = 1;
  for (let j = dims.length - 1; j >= 0; j--) {
    const { idx, shape, item, xdim } = arrays[j]!;
    const size = y.shape[dims[j]!]!;
    // strides of this array broadcast to B
    const st = new Array<number>(B.length).fill(0);
    let s = 1;
    for (let q = shape.length - 1; q >= 0; q--) { const b = q + B.length - shape.length; st[b] = shape[q] === 1 ? 0 : s; s *= shape[q]!; }
    for (let e = 0; e < n; e++) {
      let r = e, off = 0;
      for (let q = B.length - 1; q >= 0; q--) { off += (r % B[q]!) * st[q]!; r = Math.floor(r / B[q]!); }
      let i = idx[off]!;
      if (i < -size || i >= size) throw new RangeError(`${op}: index ${i} is out of range for dim ${xdim} with size ${size} (item ${item})`);
      if (i < 0) i += size;
      L[e] = L[e]! + i * stride;
    }
    stride *= size;
  }
  return { dims, B, L };
}

function read(op: string, x: Tensor, items: Item[]): Tensor {
  const { y, adv } = plan(op, x, items);
  if (!adv.size) return y;
  const { dims, B, L } = rowIndex(op, y, adv);
  const rest = y.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const moved = dims.every((d, i) => d === i) ? y : permute(y, [...dims, ...rest]);
  const rows = reshape(moved, [numel(dims.map((d) => y.shape[d]!)), ...rest.map((i) => y.shape[i]!)]);
  const picked = indexSelect(rows, 0, Tensor.fromValues(L, [L.length], 'int32', x.backend));
  const out = reshape(picked, [...B, ...rest.map((i) => y.shape[i]!)]);
  // adjacent indexed dims: B takes their place; separated: B stays first (PyTorch's rule)
  const first = dims[0]!;
  const adjacent = dims.every((d, i) => d === first + i);
  if (!adjacent || first === 0 || !B.length) return out;
  const nb = B.length, before = first;
  const order = [...Array(before).keys()].map((i) => nb + i);
  for (let i = 0; i < nb; i++) order.push(i);
  for (let i = nb + before; i < out.ndim; i++) order.push(i);
  return permute(out, order);
}

const specArg: ArgSpec<IndexSpec, Item[], 'spec', false> = {
  name: 'spec', optional: false,
  check: (op, v) => parseSpec(op, v),
};

const i32 = (v: number[] | number[][]) => { const n = nested(v)!; return Tensor.fromValues(n.leaves as number[], n.shape, 'int32'); };
const bools = (v: boolean[] | boolean[][]) => { const n = nested(v)!; return Tensor.fromValues((n.leaves as boolean[]).map(Number), n.shape, 'bool'); };

/**
 * x.index(spec): NumPy/PyTorch indexing (see the top of this file). Differentiable: basic items are views,
 * advanced items gather (their gradient scatter-adds).
 */
export const index = defineOp({
  name: 'index', method: 'index',
  args: [tensor('input'), specArg],
  composite: true,
  forward: ({ input, spec }) => read('index', input, spec),
  cases: [
    { label: "[':', [2, 0, 2]] (an index list, repeated)", shapes: [[3, 4]], call: (op, x) => op(x, [':', [2, 0, 2]]), torch: 'x[0][:, [2, 0, 2]]' },
    { label: 'int32 tensor [[0, 2], [1, 1]] on dim 0', shapes: [[3, 4]], call: (op, x) => op(x, [i32([[0, 2], [1, 1]])]), torch: 'x[0][torch.tensor([[0, 2], [1, 1]])]' },
    { label: '[[0, 1], :, [1, -1]] (separated: broadcast dims first)', shapes: [[2, 3, 4]], call: (op, x) => op(x, [[0, 1], null, [1, -1]]), torch: 'x[0][[0, 1], :, [1, -1]]' },
    { label: "[':', [0, 1], [[0], [2]]] (adjacent, broadcast 2×2)", shapes: [[2, 3, 4]], call: (op, x) => op(x, [':', [0, 1], [[0], [2]]]), torch: 'x[0][:, [0, 1], [[0], [2]]]' },
    { label: '[0, :, [0, 1]] (integer applied first)', shapes: [[2, 3, 4]], call: (op, x) => op(x, [0, null, [0, 1]]), torch: 'x[0][0, :, [0, 1]]' },
    { label: 'full-shape mask (masked select)', shapes: [[2, 3]], call: (op, x) => op(x, [bools([[true, false, true], [false, true, true]])]), torch: 'x[0][torch.tensor([[True, False, True], [False, True, True]])]' },
    { label: "['...', mask on the last dim]", shapes: [[2, 3, 4]], call: (op, x) => op(x, ['...', [true, false, false, true]]), torch: 'x[0][..., torch.tensor([True, False, False, True])]' },
    { label: "['None', [1, 0], '::2'] (new axis, index list, step)", shapes: [[2, 5]], call: (op, x) => op(x, ['None', [1, 0], '::2']), torch: 'x[0][None, [1, 0], ::2]' },
    { label: "'..., 1:3' (string form)", shapes: [[2, 3, 4]], call: (op, x) => op(x, '..., 1:3'), torch: 'x[0][..., 1:3]' },
  ],
});

// ---- writes ------------------------------------------------------------------------------------------------

/** The flat positions (into x's row-major order) that index(spec) reads, shaped like that result. */
function positions(op: string, x: Tensor, items: Item[]): { flat: Int32Array; shape: number[] } {
  const n = x.numel();
  const ar = Tensor.fromValues(Int32Array.from({ length: n }, (_, i) => i), [...x.shape], 'int32', x.backend);
  const p = read(op, ar, items);
  return { flat: Int32Array.from(p.data()), shape: [...p.shape] };
}

function put(op: string, x: Tensor, items: Item[], values: Tensor | number, accumulate: boolean): Tensor {
  const { flat, shape } = positions(op, x, items);
  const dt = x.dtype;
  let v: Tensor;
  if (typeof values === 'number') v = Tensor.fromValues([values], [], dt, x.backend);
  else if (values instanceof Tensor) v = values.dtype === dt ? values : cast(values, dt);
  else throw new TypeError(`${op}: values must be a Tensor or a number, got ${describeValue(values)}`);
  let ok = true;
  try { ok = sameShape(broadcastShapes(op, v.shape, shape), shape); } catch { ok = false; }
  if (!ok) throw new Error(`${op}: shape mismatch: value tensor of shape ${fmt(v.shape)} cannot be broadcast to indexing result of shape ${fmt(shape)}`);
  const m = flat.length, N = x.numel();
  const vflat = reshape(sameShape(v.shape, shape) ? v : expand(v, shape), [m]);
  const xflat = reshape(x, [N]);
  const at = (ix: Int32Array) => Tensor.fromValues(ix, [ix.length], 'int32', x.backend);
  let z: Tensor;
  if (accumulate) {
    z = add(xflat, indexAdd([N], 0, at(flat), vflat));
  } else {
    // the last write to a position wins: keep one value per position
    const last = new Map<number, number>();
    flat.forEach((p, k) => last.set(p, k));
    const winners = Int32Array.from([...last.values()].sort((a, b) => a - b));
    const pos = Int32Array.from(winners, (k) => flat[k]!);
    const src = winners.length === m ? vflat : indexSelect(vflat, 0, at(winners));
    const hit = new Uint8Array(N);
    pos.forEach((p) => (hit[p] = 1));
    z = where(Tensor.fromValues(hit, [N], 'bool', x.backend), indexAdd([N], 0, at(pos), src), xflat);
  }
  return reshape(z, [...x.shape]);
}

function accumulateArg(op: string, a: unknown): boolean {
  if (a === undefined) return false;
  if (typeof a === 'boolean') return a;
  if (a !== null && typeof a === 'object' && !Array.isArray(a) && !(a instanceof Tensor)) {
    for (const k of Object.keys(a)) if (k !== 'accumulate') throw new TypeError(`${op}: unknown option '${k}' (known options: accumulate)`);
    const v = (a as { accumulate?: unknown }).accumulate;
    if (v === undefined) return false;
    if (typeof v === 'boolean') return v;
  }
  throw new TypeError(`${op}: accumulate must be true or false (or {accumulate}), got ${describeValue(a)}`);
}

function indicesArg(op: string, indices: unknown): Item[] {
  if (indices instanceof Tensor) return [toItem(op, indices, 0)];
  if (!Array.isArray(indices)) throw new TypeError(`${op}: indices must be an array of index tensors or arrays (one per leading dim), got ${describeValue(indices)}`);
  return indices.map((s, k) => toItem(op, s, k));
}

const indicesSpec: ArgSpec<readonly IndexSpecItem[] | Tensor, Item[], 'indices', false> = {
  name: 'indices', optional: false,
  check: (op, v) => indicesArg(op, v),
};
const valuesSpec: ArgSpec<Tensor | number, Tensor | number, 'values', false> = {
  name: 'values', optional: false,
  check(op, v) {
    if (!(v instanceof Tensor) && typeof v !== 'number') throw argError(op, 'values', 'a Tensor or a number', v);
    return v;
  },
};
const accumulateSpec: ArgSpec<boolean | { accumulate?: boolean } | undefined, boolean, 'accumulate', true> = {
  name: 'accumulate', optional: true,
  check: (op, v) => accumulateArg(op, v),
};

/**
 * indexPut(x, indices, values, accumulate = false): a copy of x with x[indices] = values (or += values when
 * accumulate). indices is an array of index items, one per leading dim (int32 tensors, integer arrays, masks,
 * and, beyond PyTorch, any item index() takes). Differentiable in x and values.
 */
export const indexPut = defineOp({
  name: 'indexPut', method: 'indexPut',
  args: [tensor('input'), indicesSpec, valuesSpec, accumulateSpec],
  composite: true,
  forward: ({ input, indices, values, accumulate }) => put('indexPut', input, indices, values, accumulate),
  cases: [
    { label: 'accumulate, repeated row index', shapes: [[4, 3], [3, 3]], call: (op, x, v) => op(x, [[0, 2, 0]], v, true), torch: 'x[0].index_put((torch.tensor([0, 2, 0]),), x[1], accumulate=True)' },
    { label: 'overwrite through a mask', shapes: [[2, 3], [3]], call: (op, x, v) => op(x, [bools([[true, false, true], [false, true, false]])], v), torch: 'x[0].index_put((torch.tensor([[True, False, True], [False, True, False]]),), x[1])' },
    { label: 'overwrite rows, value broadcast', shapes: [[3, 4], [4]], call: (op, x, v) => op(x, [[2, 0]], v), torch: 'x[0].index_put((torch.tensor([2, 0]),), x[1])' },
    { label: 'overwrite a repeated position (last write wins)', shapes: [[5], [3]], call: (op, x, v) => op(x, [i32([1, 1, 3])], v) },
    { label: 'accumulate, two index arrays', shapes: [[3, 4], [2]], call: (op, x, v) => op(x, [[0, 2], [3, -1]], v, { accumulate: true }), torch: 'x[0].index_put((torch.tensor([0, 2]), torch.tensor([3, -1])), x[1], accumulate=True)' },
  ],
});

function putInPlace(op: string, x: Tensor, items: Item[], values: Tensor | number, accumulate: boolean): Tensor {
  checkWritable(op, x);
  // the write below overwrites x: compute from a copy when a graph is recorded (as the other in-place ops)
  const src = needsGraph([x, values instanceof Tensor ? values : null]) ? clone(x) : x;
  return commit(op, x, put(op, src, items, values, accumulate));
}

/** x.indexPut_(indices, values, accumulate = false): in place; see indexPut. */
export function indexPut_(x: Tensor, indices: readonly IndexSpecItem[] | Tensor, values: Tensor | number, accumulate: boolean | { accumulate?: boolean } = false): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`indexPut_: expected a tensor as the first argument, got ${describeValue(x)}`);
  if (arguments.length > 4) throw new TypeError(`indexPut_: expected (indices, values, accumulate?), got ${arguments.length - 1} arguments`);
  return putInPlace('indexPut_', x, indicesArg('indexPut_', indices), values, accumulateArg('indexPut_', accumulate));
}

/**
 * x.indexSet_(spec, value): Python's `x[spec] = value`, with the spec of index() (string or array) and a number
 * or a tensor broadcast to the indexed shape. In place, differentiable (∂/∂value = the gathered gradient,
 * ∂/∂x = the gradient off the written positions).
 */
export function indexSet_(x: Tensor, spec: IndexSpec, value: Tensor | number): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`indexSet_: expected a tensor as the first argument, got ${describeValue(x)}`);
  if (arguments.length !== 3) throw new TypeError(`indexSet_: expected (spec, value), got ${arguments.length - 1} arguments`);
  return putInPlace('indexSet_', x, parseSpec('indexSet_', spec), value, false);
}

declare module '../tensor.js' {
  interface Tensor {
    index(spec: IndexSpec): Tensor;
    indexPut(indices: readonly IndexSpecItem[] | Tensor, values: Tensor | number, accumulate?: boolean | { accumulate?: boolean }): Tensor;
    indexPut_(indices: readonly IndexSpecItem[] | Tensor, values: Tensor | number, accumulate?: boolean | { accumulate?: boolean }): Tensor;
    indexSet_(spec: IndexSpec, value: Tensor | number): Tensor;
  }
}
const P = Tensor.prototype as unknown as Record<string, unknown>;
P.indexPut_ = function (this: Tensor, ...a: unknown[]) { return (indexPut_ as (...x: unknown[]) => Tensor)(this, ...a); };
P.indexSet_ = function (this: Tensor, ...a: unknown[]) { return (indexSet_ as (...x: unknown[]) => Tensor)(this, ...a); };
