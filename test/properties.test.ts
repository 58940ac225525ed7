/**
 * Property-based tests (fast-check, fixed seeds so a run is reproducible; a failure prints the shrunk case):
 *  - broadcasting binary ops and their gradients against plain index arithmetic;
 *  - random chains of views (permute, transpose, slice with steps, narrow, select, unsqueeze, expand,
 *    reshape) against a model that maps each output index to a source index by hand;
 *  - checkpoint encode/decode round trips of random nested states (every dtype, zero-size, NaN/±Inf, −0);
 *  - random trees of nested scopes: returned tensors survive with their values, everything else is freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as nb from '../src/index.js';
import type { Tensor } from '../src/index.js';

const RUNS = 60;
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: readonly number[]) => s.map((_, i) => numel(s.slice(i + 1)));
/** every multi-index of a shape, row-major */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = numel(shape);
  for (let f = 0; f < n; f++) {
    const idx = new Array<number>(shape.length);
    let r = f;
    for (let d = shape.length - 1; d >= 0; d--) { idx[d] = r % shape[d]!; r = Math.floor(r / shape[d]!); }
    yield idx;
  }
}

// ------------------------------------------------------------------------------------------- broadcasting

/** an output shape and two input shapes that broadcast to it (dims dropped from the front or set to 1) */
const broadcastPair = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }).chain((out) =>
  fc.tuple(fc.constant(out), ...[0, 1].map(() =>
    fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.slice(drop).map((s, i) => (ones[i + drop] ? 1 : s))))));

test('broadcasting: a ∘ b and the gradients reduced back equal index arithmetic', () => {
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number, (x: number, y: number) => [number, number]][] = [
    ['add', nb.add, (x, y) => x + y, () => [1, 1]],
    ['mul', nb.mul, (x, y) => x * y, (x, y) => [y, x]],
    ['sub', nb.sub, (x, y) => x - y, () => [1, -1]],
    ['div', nb.div, (x, y) => x / y, (x, y) => [1 / y, -x / (y * y)]],
  ];
  fc.assert(fc.property(broadcastPair, fc.integer({ min: 0, max: 3 }), fc.integer(), ([, sa, sb], k, seed) => {
    const [name, op, f, df] = ops[k]!;
    // the broadcast shape by the rule itself: align trailing dims, a 1 stretches to the other size
    const nd = Math.max(sa.length, sb.length);
    const out = Array.from({ length: nd }, (_, i) => Math.max(sa[sa.length - nd + i] ?? 1, sb[sb.length - nd + i] ?? 1));
    const g = new nb.Generator(seed >>> 0);
    const av = Array.from({ length: numel(sa) }, () => 0.5 + g.random());
    const bv = Array.from({ length: numel(sb) }, () => 0.5 + g.random());
    const a = nb.tensor(av, { dtype: 'float64', shape: sa }).requiresGrad_(true);
    const b = nb.tensor(bv, { dtype: 'float64', shape: sb }).requiresGrad_(true);
    const y = op(a, b);
    assert.deepEqual(y.shape, out, `${name}: shape`);
    const yv = Array.from(y.data());
    const ga = new Array<number>(av.length).fill(0), gb = new Array<number>(bv.length).fill(0);
    // source index of an output index: trailing alignment, size-1 dims read index 0
    const src = (idx: number[], s: number[]) => {
      const lead = idx.length - s.length;
      return s.reduce((acc, n, d) => acc + (n === 1 ? 0 : idx[d + lead]!) * stridesOf(s)[d]!, 0);
    };
    let f0 = 0;
    for (const idx of indices(out)) {
      const ia = src(idx, sa), ib = src(idx, sb);
      assert.ok(Math.abs(yv[f0]! - f(av[ia]!, bv[ib]!)) <= 1e-15 * Math.abs(yv[f0]!) + 1e-300, `${name}: y${JSON.stringify(idx)}`);
      const [da, db] = df(av[ia]!, bv[ib]!);
      ga[ia] += da; gb[ib] += db;
      f0++;
    }
    y.sum().backward();
    assert.deepEqual(a.grad!.shape, sa);
    assert.deepEqual(b.grad!.shape, sb);
    Array.from(a.grad!.data()).forEach((v, i) => assert.ok(Math.abs(v - ga[i]!) <= 1e-12 * (1 + Math.abs(ga[i]!)), `${name}: ∇a[${i}] ${v} vs ${ga[i]}`));
    Array.from(b.grad!.data()).forEach((v, i) => assert.ok(Math.abs(v - gb[i]!) <= 1e-12 * (1 + Math.abs(gb[i]!)), `${name}: ∇b[${i}] ${v} vs ${gb[i]}`));
  }), { seed: 16, numRuns: RUNS });
});

// ------------------------------------------------------------------------------------------ view chains

/** A view as the model sees it: its shape and the source flat index of each of its indices. */
interface Model { shape: number[]; at: (idx: number[]) => number }

type Step =
  | { k: 'permute'; perm: number[] } | { k: 'slice'; dim: number; start: number; end: number; step: number }
  | { k: 'select'; dim: number; i: number } | { k: 'unsqueeze'; dim: number } | { k: 'expand'; dim: number; size: number }
  | { k: 'reshape' } | { k: 'transpose'; d0: number; d1: number };

/** draw a step valid for `shape` from raw random numbers r (all in [0, 1)) */
function stepFor(shape: number[], kind: number, r: number[]): Step {
  const nd = shape.length;
  const pick = (n: number, x: number) => Math.min(n - 1, Math.floor(x * n));
  switch (nd === 0 ? 3 : kind) {
    case 0: {
      const perm = shape.map((_, i) => i);
      for (let i = nd - 1; i > 0; i--) { const j = pick(i + 1, r[i % r.length]!); [perm[i], perm[j]] = [perm[j]!, perm[i]!]; }
      return { k: 'permute', perm };
    }
    case 1: {
      const dim = pick(nd, r[0]!), n = shape[dim]!;
      const start = pick(n + 1, r[1]!), end = start + pick(n - start + 1, r[2]!);
      return { k: 'slice', dim, start, end, step: 1 + pick(3, r[3]!) };
    }
    case 2: {
      const dim = pick(nd, r[0]!);
      return shape[dim]! > 0 ? { k: 'select', dim, i: pick(shape[dim]!, r[1]!) } : { k: 'unsqueeze', dim };
    }
    case 3: return { k: 'unsqueeze', dim: pick(nd + 1, r[0]!) };
    case 4: {
      const ones = shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0);
      return ones.length ? { k: 'expand', dim: ones[pick(ones.length, r[0]!)]!, size: 1 + pick(3, r[1]!) } : { k: 'unsqueeze', dim: 0 };
    }
    case 5: return { k: 'reshape' };
    default: return { k: 'transpose', d0: pick(nd, r[0]!), d1: pick(nd, r[1]!) };
  }
}

function applyStep(t: Tensor, m: Model, s: Step): [Tensor, Model] {
  switch (s.k) {
    case 'permute': return [t.permute(s.perm), { shape: s.perm.map((p) => m.shape[p]!), at: (idx) => m.at(s.perm.map((_, i) => idx[s.perm.indexOf(i)]!)) }];
    case 'transpose': {
      const perm = m.shape.map((_, i) => (i === s.d0 ? s.d1 : i === s.d1 ? s.d0 : i));
      return [t.transpose(s.d0, s.d1), { shape: perm.map((p) => m.shape[p]!), at: (idx) => m.at(perm.map((_, i) => idx[perm.indexOf(i)]!)) }];
    }
    case 'slice': {
      const len = Math.max(0, Math.ceil((s.end - s.start) / s.step));
      const shape = m.shape.slice(); shape[s.dim] = len;
      return [nb.slice(t, s.dim, s.start, s.end, s.step), { shape, at: (idx) => m.at(idx.map((v, d) => (d === s.dim ? s.start + v * s.step : v))) }];
    }
    case 'select': return [t.select(s.dim, s.i), { shape: m.shape.filter((_, d) => d !== s.dim), at: (idx) => m.at([...idx.slice(0, s.dim), s.i, ...idx.slice(s.dim)]) }];
    case 'unsqueeze': return [t.unsqueeze(s.dim), { shape: [...m.shape.slice(0, s.dim), 1, ...m.shape.slice(s.dim)], at: (idx) => m.at(idx.filter((_, d) => d !== s.dim)) }];
    case 'expand': {
      const shape = m.shape.slice(); shape[s.dim] = s.size;
      return [t.expand(shape), { shape, at: (idx) => m.at(idx.map((v, d) => (d === s.dim ? 0 : v))) }];
    }
    case 'reshape': {
      // flatten then restore: a copy for non-contiguous views, a view otherwise; the order is row-major either way
      const shape = m.shape.slice();
      return [t.reshape([numel(shape)]).reshape(shape), m];
    }
  }
}

test('view chains: values equal a hand-written index map, and gradients scatter back to the right sources', () => {
  const raw = fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 4, maxLength: 4 })), { minLength: 1, maxLength: 6 });
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), raw, (shape0, draws) => {
    const n = numel(shape0);
    const base = nb.arange(0, n, 1, { dtype: 'float64' }).reshape(shape0).requiresGrad_(false);
    const leaf = nb.noGrad(() => base.clone()).requiresGrad_(true);
    let t: Tensor = leaf;
    let m: Model = { shape: shape0.slice(), at: (idx) => idx.reduce((a, v, d) => a + v * stridesOf(shape0)[d]!, 0) };
    const steps: Step[] = [];
    for (const [kind, r] of draws) {
      const s = stepFor(m.shape, kind, r);
      steps.push(s);
      [t, m] = applyStep(t, m, s);
    }
    assert.deepEqual(t.shape, m.shape, `shape after ${JSON.stringify(steps)}`);
    const got = Array.from(t.mul(1).data());
    const want = [...indices(m.shape)].map((idx) => m.at(idx));
    assert.deepEqual(got, want, `values after ${JSON.stringify(steps)}`);
    // gradient of Σ w·view: each source element collects the weights of the view positions reading it
    const w = Array.from({ length: got.length }, (_, i) => i + 1);
    const expected = new Array<number>(n).fill(0);
    [...indices(m.shape)].forEach((idx, i) => (expected[m.at(idx)]! += w[i]!));
    t.mul(nb.tensor(w, { dtype: 'float64', shape: m.shape })).sum().backward();
    assert.deepEqual(Array.from(leaf.grad!.data()), expected, `gradient after ${JSON.stringify(steps)}`);
  }), { seed: 17, numRuns: RUNS * 2 });
});

// ------------------------------------------------------------------------------------------ round trips

const dtypes = ['float32', 'float64', 'int32', 'bool'] as const;
const tensorArb = fc.tuple(fc.constantFrom(...dtypes), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.integer())
  .map(([dtype, shape, seed]) => {
    const g = new nb.Generator(seed >>> 0);
    const special = [NaN, Infinity, -Infinity, -0, 0, 1e-30, 3.4e38];
    const vals = Array.from({ length: numel(shape) }, () => {
      if (dtype === 'bool') return g.random() < 0.5 ? 1 : 0;
      if (dtype === 'int32') return Math.floor((g.random() - 0.5) * 2 ** 32);
      return g.random() < 0.3 ? special[Math.floor(g.random() * special.length)]! : g.normal() * 1e3;
    });
    return nb.tensor(vals, { dtype, shape });
  });
const leafArb = fc.oneof(tensorArb, fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.constantFrom(-0, NaN, Infinity, -Infinity));
const stateArb = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('arr'), tie('obj')),
  arr: fc.array(tie('node'), { maxLength: 4 }),
  obj: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$tensor', '$num', '$obj', '__proto__', 'a.b')), tie('node'), { maxKeys: 4 }),
})).obj;

/** deep equality where tensors compare by dtype, shape and bits, numbers with Object.is */
function sameState(a: unknown, b: unknown, at: string, sortKeys = false): void {
  if (a instanceof nb.Tensor) {
    assert.ok(b instanceof nb.Tensor, `${at}: expected a tensor`);
    assert.equal(b.dtype, a.dtype, `${at}: dtype`);
    assert.deepEqual(b.shape, a.shape, `${at}: shape`);
    const da = a.data(), db = b.data();
    assert.deepEqual(new Uint8Array(db.buffer, db.byteOffset, db.byteLength), new Uint8Array(da.buffer, da.byteOffset, da.byteLength), `${at}: bits`);
  } else if (typeof a === 'number') {
    assert.ok(Object.is(a, b), `${at}: ${a} vs ${String(b)}`);
  } else if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && b.length === a.length, `${at}: array`);
    a.forEach((x, i) => sameState(x, (b as unknown[])[i], `${at}[${i}]`));
  } else if (a !== null && typeof a === 'object') {
    const ka = Object.keys(a), kb = Object.keys(b as object);
    if (sortKeys) { ka.sort(); kb.sort(); }
    assert.deepEqual(kb, ka, `${at}: keys`);
    for (const k of ka) sameState((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
  } else {
    assert.equal(b, a, at);
  }
}

test('checkpoint round trip: any nesting of tensors, numbers, strings, booleans and null comes back bit for bit', () => {
  fc.assert(fc.property(stateArb, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (state, meta) => {
    const { state: back } = nb.decodeCheckpoint(nb.encodeCheckpoint(state as never, meta));
    sameState(state, back, 'state');
  }), { seed: 18, numRuns: RUNS * 2 });
});

test('flat tensor dict round trip: plain safetensors, same keys and bits', () => {
  fc.assert(fc.property(fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k !== '__metadata__'), tensorArb, { minKeys: 1, maxKeys: 5 }), (dict) => {
    const { state, metadata } = nb.decodeCheckpoint(nb.encodeCheckpoint(dict));
    assert.deepEqual(metadata, {});
    sameState(dict, state, 'dict', true); // safetensors stores keys sorted
  }), { seed: 19, numRuns: RUNS });
});

// ------------------------------------------------------------------------------------------------ scopes

type Plan = { temps: number; ret: 'none' | 'tensor' | 'array' | 'object' | 'map'; children: Plan[] };
const planOf = (depth: number): fc.Arbitrary<Plan> => fc.record({
  temps: fc.integer({ min: 0, max: 3 }),
  ret: fc.constantFrom('none' as const, 'tensor' as const, 'array' as const, 'object' as const, 'map' as const),
  children: depth > 0 ? fc.array(planOf(depth - 1), { maxLength: 3 }) : fc.constant([] as Plan[]),
});
const planArb = planOf(4);

test('scope trees: what a scope returns survives (values intact) into its parent; the outermost frees all', () => {
  fc.assert(fc.property(planArb, (plan) => {
    const before = nb.memory().numStorages;
    let counter = 0;
    const run = (p: Plan): unknown => nb.scope(() => {
      for (let i = 0; i < p.temps; i++) nb.ones([2]).mul(i);
      const kids = p.children.map(run);
      // the children's results are alive and correct here, inside the parent
      kids.forEach(check);
      const v = ++counter;
      const t = nb.full([2], v);
      switch (p.ret) {
        case 'none': return undefined;
        case 'tensor': return { v, t };
        case 'array': return { v, t: [[t]] };
        case 'object': return { v, t: { a: { b: t } } };
        case 'map': return { v, t: new Map([['k', [t]]]) };
      }
    });
    const check = (r: unknown) => {
      if (!r) return;
      const { v, t } = r as { v: number; t: unknown };
      let x: unknown = t;
      while (!(x instanceof nb.Tensor)) x = Array.isArray(x) ? x[0] : x instanceof Map ? x.get('k') : (x as Record<string, unknown>)['a'] ?? (x as Record<string, unknown>)['b'];
      assert.deepEqual(Array.from(x.data()), [v, v]);
    };
    nb.scope(() => { check(run(plan)); });
    assert.equal(nb.memory().numStorages, before, 'the outermost scope freed everything');
  }), { seed: 20, numRuns: RUNS });
});
