/**
 * einsum(equation, ...operands), PyTorch's (and NumPy's) Einstein summation:
 *
 *   out[output labels] = Σ_{labels not in the output} Π_k operand_k[labels of k]
 *
 * Subscripts are letters (a-z, A-Z); '...' stands for the dims not named, broadcast across operands (right
 * aligned); a label repeated within one operand takes the diagonal; without '->' the output is '...' followed by
 * the labels that appear exactly once, in ASCII order (upper case first). A size-1 dim broadcasts against the
 * same label's size in another operand.
 *
 * Lowering (all differentiable ops, so the gradient, its gradient and the forward-mode tangent come from them):
 *   1. a repeated label: move its dims last, flatten them (n^r values) and indexSelect the positions
 *      k·(1 + n + … + n^{r−1}), the diagonal;
 *   2. a label that no other operand and not the output names is summed at once;
 *   3. operands are contracted left to right: with labels split into batch (in both, needed later),
 *      contracted (in both, not needed later), left-only and right-only, the pair is permuted to
 *      [batch..., M, K]·[batch..., K, N] (a group of several labels flattened into one dim) and multiplied with
 *      one batched matmul; with nothing to contract the product is a broadcast multiplication;
 *   4. the result is permuted into the output's order.
 */
import { Tensor } from '../tensor.js';
import { defineOp } from './define.js';
import { argError, type ArgSpec } from './args.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';
import { expand, permute, reshape, unsqueeze } from './movement.js';
import { indexSelect } from './indexing.js';
import { matmul } from './matmul.js';

const ELLIPSIS = -1;
/** label ids: 'A'..'Z' → 0..25, 'a'..'z' → 26..51 (ASCII order); ellipsis dims get 52, 53, ... */
const ELL_BASE = 52;
/** A letter label's name (the ellipsis dims never reach an error message by label: they have their own). */
const labelName = (id: number) => String.fromCharCode(id < 26 ? 65 + id : 97 + id - 26);

function fail(msg: string): never {
  throw new Error(`einsum: ${msg}`);
}

/** Parse one term ('ij', 'b...k') into label ids with ELLIPSIS for '...'; `where` names it in errors. */
function parseTerm(text: string, offset: number, where: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ') continue;
    if (c === '.') {
      if (text.slice(i, i + 3) !== '...') fail(`found '.' for ${where} that is not part of an ellipsis ('...') at index ${offset + i} in the equation`);
      if (out.includes(ELLIPSIS)) fail(`found a second ellipsis ('...') for ${where} at index ${offset + i} in the equation; each term has at most one`);
      out.push(ELLIPSIS);
      i += 2;
      continue;
    }
    const code = c.charCodeAt(0);
    if (code >= 65 && code <= 90) out.push(code - 65);
    else if (code >= 97 && code <= 122) out.push(code - 97 + 26);
    else fail(`invalid subscript '${c}' at index ${offset + i} in the equation (term '${text}', ${where}); subscripts must be letters a-z, A-Z (or '...')`);
  }
  return out;
}

interface Operand { t: Tensor; labels: number[] }

/** Take the diagonal over every label repeated within one operand (step 1); `run` has checked the sizes agree. */
function diagonals(op: Operand): Operand {
  let { t, labels } = op;
  for (;;) {
    const rep = labels.find((l, i) => labels.indexOf(l) !== i);
    if (rep === undefined) return { t, labels };
    const pos = labels.flatMap((l, i) => (l === rep ? [i] : []));
    const n = t.shape[pos[0]!]!;
    const others = labels.map((_, i) => i).filter((i) => !pos.includes(i));
    const moved = permute(t, [...others, ...pos]);
    const flat = reshape(moved, [...others.map((i) => t.shape[i]!), n ** pos.length]);
    // position of (k, k, ..., k) in the flattened n^r block: k · (1 + n + ... + n^{r-1})
    let step = 0;
    for (let r = 0; r < pos.length; r++) step += n ** r;
    const idx = Tensor.fromValues(Array.from({ length: n }, (_, k) => k * step), [n], 'int32', t.backend);
    t = indexSelect(flat, flat.ndim - 1, idx);
    labels = [...others.map((i) => labels[i]!), rep];
  }
}

/** Sum the dims whose labels are not in `keep`. */
function sumOut(op: Operand, keep: Set<number>): Operand {
  const dims = op.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (!dims.length) return op;
  return { t: sum(op.t, dims, false), labels: op.labels.filter((l) => keep.has(l)) };
}

/** Make the `count` dims of t from `start` one dim: unsqueeze for none, as is for one, flatten for several. */
function group(t: Tensor, start: number, count: number): Tensor {
  if (count === 1) return t;
  if (count === 0) return unsqueeze(t, start);
  return reshape(t, [...t.shape.slice(0, start), t.shape.slice(start, start + count).reduce((p, q) => p * q, 1), ...t.shape.slice(start + count)]);
}

/** Contract two operands over their shared labels not in `later` (step 3). */
function contract(a: Operand, b: Operand, later: Set<number>): Operand {
  const inB = new Set(b.labels), inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && later.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !later.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const sizeA = (l: number) => a.t.shape[a.labels.indexOf(l)]!;
  const sizeB = (l: number) => b.t.shape[b.labels.indexOf(l)]!;
  // a shared label of size 1 on one side broadcasts to the other's size
  const shared = [...batch, ...summed];
  const size = new Map<number, number>(shared.map((l) => [l, Math.max(sizeA(l), sizeB(l))]));
  const fit = (o: Operand, order: number[], sz: (l: number) => number) => {
    const perm = order.map((l) => o.labels.indexOf(l));
    const p = perm.every((v, i) => v === i) ? o.t : permute(o.t, perm);
    const target = order.map((l) => (size.has(l) ? size.get(l)! : sz(l)));
    return target.some((n, i) => n !== p.shape[i]) ? expand(p, target) : p;
  };
  const batchSizes = batch.map((l) => size.get(l)!);
  const aSizes = aOnly.map(sizeA), bSizes = bOnly.map(sizeB);
  let t: Tensor;
  if (!summed.length) {
    // nothing to contract: a broadcast product [batch, aOnly, 1...] · [batch, 1..., bOnly]
    const x = reshape(fit(a, [...batch, ...aOnly], sizeA), [...batchSizes, ...aSizes, ...bOnly.map(() => 1)]);
    const y = reshape(fit(b, [...batch, ...bOnly], sizeB), [...batchSizes, ...aOnly.map(() => 1), ...bSizes]);
    t = mul(x, y);
  } else {
    // [batch..., M, K]·[batch..., K, N]: a group of one label stays a (possibly strided) view that matmul reads in
    // place, an empty group becomes a dim of size 1, only a group of several labels is flattened
    const nb = batch.length;
    const x = group(group(fit(a, [...batch, ...aOnly, ...summed], sizeA), nb, aOnly.length), nb + 1, summed.length);
    const y = group(group(fit(b, [...batch, ...summed, ...bOnly], sizeB), nb, summed.length), nb + 1, bOnly.length);
    t = reshape(matmul(x, y), [...batchSizes, ...aSizes, ...bSizes]);
  }
  return { t, labels: [...batch, ...aOnly, ...bOnly] };
}

function run(equation: string, tensors: readonly Tensor[]): Tensor {
  const arrow = equation.indexOf('->');
  if (arrow >= 0 && equation.indexOf('->', arrow + 1) >= 0) fail(`the equation '${equation}' has more than one '->'`);
  const lhs = arrow >= 0 ? equation.slice(0, arrow) : equation;
  const rawTerms = lhs.split(',');
  if (rawTerms.length > tensors.length) fail(`fewer operands were provided (${tensors.length}) than the equation '${equation}' specifies (${rawTerms.length})`);
  if (rawTerms.length < tensors.length) fail(`more operands were provided (${tensors.length}) than the equation '${equation}' specifies (${rawTerms.length})`);
  let offset = 0;
  const terms = rawTerms.map((s, k) => { const r = parseTerm(s, offset, `operand ${k}`); offset += s.length + 1; return r; });

  // dims per operand and the ellipsis width
  const ellDims = terms.map((term, k) => {
    const named = term.filter((l) => l !== ELLIPSIS).length;
    const nd = tensors[k]!.ndim;
    if (!term.includes(ELLIPSIS)) {
      if (named !== nd) fail(`the number of subscripts in the equation (${named}) does not match the number of dimensions (${nd}) for operand ${k} (shape [${tensors[k]!.shape}]) and no ellipsis was given`);
      return 0;
    }
    if (named > nd) fail(`the number of subscripts in the equation (${named}) is more than the number of dimensions (${nd}) for operand ${k} (shape [${tensors[k]!.shape}])`);
    return nd - named;
  });
  const ell = Math.max(0, ...ellDims);
  const ellIds = Array.from({ length: ell }, (_, j) => ELL_BASE + j);
  let ops: Operand[] = terms.map((term, k) => ({
    t: tensors[k]!,
    labels: term.flatMap((l) => (l === ELLIPSIS ? ellIds.slice(ell - ellDims[k]!) : [l])),
  }));

  // sizes: equal within an operand's repeats (checked here, before diagonals takes them), 1 broadcasts across operands
  const sizes = new Map<number, { n: number; from: number }>();
  ops.forEach((o, k) => o.labels.forEach((l, i) => {
    const n = o.t.shape[i]!, first = o.labels.indexOf(l);
    if (first !== i && o.t.shape[first] !== n) fail(`subscript ${labelName(l)} is repeated for operand ${k} but the sizes don't match, ${n} != ${o.t.shape[first]}`);
    const seen = sizes.get(l);
    if (!seen || seen.n === 1) sizes.set(l, { n, from: k });
    else if (n !== 1 && n !== seen.n) {
      fail(l >= ELL_BASE
        ? `the ellipsis dimensions of operand ${k} (shape [${o.t.shape}]) do not broadcast with those of operand ${seen.from}`
        : `subscript ${labelName(l)} has size ${n} for operand ${k} which does not broadcast with previously seen size ${seen.n}`);
    }
  }));

  // the output labels
  let output: number[];
  if (arrow >= 0) {
    const term = parseTerm(equation.slice(arrow + 2), arrow + 2, 'the output');
    output = [];
    for (const l of term) {
      if (l === ELLIPSIS) { output.push(...ellIds); continue; }
      if (output.includes(l)) fail(`output subscript ${labelName(l)} appears more than once in the output`);
      if (!sizes.has(l)) fail(`output subscript ${labelName(l)} does not appear in the equation for any input operand`);
      output.push(l);
    }
  } else {
    const count = new Map<number, number>();
    for (const o of ops) for (const l of o.labels) if (l < ELL_BASE) count.set(l, (count.get(l) ?? 0) + 1);
    output = [...ellIds, ...[...count.keys()].filter((l) => count.get(l) === 1).sort((p, q) => p - q)];
  }
  const outSet = new Set(output);

  ops = ops.map(diagonals);
  // a label named by one operand only and not by the output is summed right away
  ops = ops.map((o, k) => sumOut(o, new Set([...outSet, ...ops.flatMap((p, j) => (j === k ? [] : p.labels))])));

  let acc = ops[0]!;
  for (let k = 1; k < ops.length; k++) {
    const later = new Set([...outSet, ...ops.slice(k + 1).flatMap((o) => o.labels)]);
    const b = ops[k]!;
    acc = sumOut(acc, new Set([...later, ...b.labels]));
    acc = contract(acc, sumOut(b, new Set([...later, ...acc.labels])), later);
  }
  acc = sumOut(acc, outSet);
  // a label of size 1 everywhere it appears but broadcast in the equation keeps size 1: no expansion needed
  const order = output.map((l) => acc.labels.indexOf(l));
  return order.every((p, i) => p === i) ? acc.t : permute(acc.t, order);
}

const equationArg: ArgSpec<string, string, 'equation', false> = {
  name: 'equation', optional: false,
  check(op, v) {
    if (typeof v !== 'string') throw argError(op, 'equation', "a string such as 'ij,jk->ik'", v);
    return v;
  },
};
const operandsArg: ArgSpec<readonly Tensor[], readonly Tensor[], 'operands', false> = {
  name: 'operands', optional: false,
  check(op, v) {
    if (!Array.isArray(v)) throw argError(op, 'operands', 'an array of Tensors', v);
    v.forEach((t, i) => { if (!(t instanceof Tensor)) throw argError(op, `operands[${i}]`, 'a Tensor', t); });
    if (!v.length) throw new TypeError(`${op}: must provide at least one operand`);
    return v as Tensor[];
  },
};

const eq = (e: string) => (op: (equation: string, operands: readonly Tensor[]) => Tensor, ...xs: Tensor[]) => op(e, xs);

/** The op record: einsumOp(equation, operands) — nb.einsum below adds PyTorch's variadic call form. */
export const einsumOp = defineOp({
  name: 'einsum',
  args: [equationArg, operandsArg],
  composite: true,
  forward: ({ equation, operands }) => run(equation, operands),
  cases: [
    { label: 'ij,jk->ik (matmul)', shapes: [[2, 3], [3, 4]], call: eq('ij,jk->ik'), torch: "torch.einsum('ij,jk->ik', *x)" },
    { label: 'bij,bjk->bik (batch matmul)', shapes: [[2, 2, 3], [2, 3, 2]], call: eq('bij,bjk->bik'), torch: "torch.einsum('bij,bjk->bik', *x)" },
    { label: 'ii-> (trace)', shapes: [[3, 3]], call: eq('ii->'), torch: "torch.einsum('ii->', *x)" },
    { label: 'ii->i (diagonal)', shapes: [[3, 3]], call: eq('ii->i'), torch: "torch.einsum('ii->i', *x)" },
    { label: 'bii->bi (batched diagonal)', shapes: [[2, 3, 3]], call: eq('bii->bi'), torch: "torch.einsum('bii->bi', *x)" },
    { label: 'i,j->ij (outer)', shapes: [[3], [4]], call: eq('i,j->ij'), torch: "torch.einsum('i,j->ij', *x)" },
    { label: '...ij,...jk->...ik (ellipsis broadcast)', shapes: [[2, 2, 3], [3, 2]], call: eq('...ij,...jk->...ik'), torch: "torch.einsum('...ij,...jk->...ik', *x)" },
    { label: 'ij,jk (implicit output)', shapes: [[2, 3], [3, 2]], call: eq('ij,jk'), torch: "torch.einsum('ij,jk', *x)" },
    { label: 'ij,jk,kl->il (three operands)', shapes: [[2, 3], [3, 2], [2, 2]], call: eq('ij,jk,kl->il'), torch: "torch.einsum('ij,jk,kl->il', *x)" },
    { label: 'bij->j (sum over absent labels)', shapes: [[2, 3, 4]], call: eq('bij->j'), torch: "torch.einsum('bij->j', *x)" },
    { label: 'ij,ij->ij (element-wise)', shapes: [[2, 3], [2, 3]], call: eq('ij,ij->ij'), torch: "torch.einsum('ij,ij->ij', *x)" },
    { label: 'ij->ji (transpose)', shapes: [[2, 3]], call: eq('ij->ji'), torch: "torch.einsum('ij->ji', *x)" },
    { label: 'bn,anm,bm->ba (bilinear)', shapes: [[2, 3], [2, 3, 2], [2, 2]], call: eq('bn,anm,bm->ba'), torch: "torch.einsum('bn,anm,bm->ba', *x)" },
    { label: 'bhqd,bhkd->bhqk (attention scores)', shapes: [[1, 2, 3, 2], [1, 2, 2, 2]], call: eq('bhqd,bhkd->bhqk'), torch: "torch.einsum('bhqd,bhkd->bhqk', *x)" },
    { label: 'iij,jk->ik (diagonal then contraction)', shapes: [[2, 2, 3], [3, 2]], call: eq('iij,jk->ik'), torch: "torch.einsum('iij,jk->ik', *x)" },
  ],
});

/**
 * einsum(equation, ...operands) or einsum(equation, [operands]) (both PyTorch forms), e.g.
 * einsum('bij,bjk->bik', a, b) = a.matmul(b), einsum('ii', m) = the trace of m.
 */
export function einsum(equation: string, ...operands: Tensor[] | [readonly Tensor[]]): Tensor {
  const list = operands.length === 1 && Array.isArray(operands[0]) ? (operands[0] as readonly Tensor[]) : (operands as Tensor[]);
  return einsumOp(equation, list);
}
