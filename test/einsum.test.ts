/**
 * einsum (src/ops/einsum.ts): values of ~30 equations against an independent float64 reference (a loop over
 * every assignment of the labels, summing the product of the operands' elements), the contraction going
 * through matmul, gradients (float64 gradcheck + gradgradcheck; the op-table rows of the record add the
 * forward-mode checks), and errors that name einsum and the bad subscript or operand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { close } from './assertClose.js';
import { observeRecords } from '../src/autograd/record.js';
import { einsumOp } from '../src/ops/einsum.js';

/**
 * Reference: `eq` is explicit and written with letters only (ellipses spelled out as capitals); a dim of size 1
 * broadcasts. out[o] = Σ over the other labels of Π_k x_k[labels of k].
 */
function reference(eq: string, xs: nb.Tensor[]): { shape: number[]; data: number[] } {
  const [lhs, rhs] = eq.split('->') as [string, string];
  const terms = lhs.split(',');
  const size = new Map<string, number>();
  terms.forEach((t, k) => [...t].forEach((c, i) => size.set(c, Math.max(size.get(c) ?? 1, xs[k]!.shape[i]!))));
  const outL = [...rhs];
  const sumL = [...size.keys()].filter((c) => !outL.includes(c));
  const vals = xs.map((x) => Array.from(x.data()));
  const outShape = outL.map((c) => size.get(c)!);
  const n = outShape.reduce((a, b) => a * b, 1);
  const data = new Array<number>(n).fill(0);
  const assign = new Map<string, number>();
  const at = (k: number) => {
    const shape = xs[k]!.shape;
    let off = 0;
    [...terms[k]!].forEach((c, i) => { off = off * shape[i]! + (shape[i] === 1 ? 0 : assign.get(c)!); });
    return vals[k]![off]!;
  };
  for (let o = 0; o < n; o++) {
    let r = o;
    for (let d = outL.length - 1; d >= 0; d--) { assign.set(outL[d]!, r % outShape[d]!); r = Math.floor(r / outShape[d]!); }
    const m = sumL.reduce((a, c) => a * size.get(c)!, 1);
    for (let s = 0; s < m; s++) {
      let q = s;
      for (let d = sumL.length - 1; d >= 0; d--) { assign.set(sumL[d]!, q % size.get(sumL[d]!)!); q = Math.floor(q / size.get(sumL[d]!)!); }
      let p = 1;
      for (let k = 0; k < xs.length; k++) p *= at(k);
      data[o] += p;
    }
  }
  return { shape: outShape, data };
}

/** [equation, reference equation (explicit, letters only), operand shapes] */
const CASES: [string, string, number[][]][] = [
  ['ij,jk->ik', 'ij,jk->ik', [[2, 3], [3, 4]]],
  ['ij,jk', 'ij,jk->ik', [[2, 3], [3, 4]]],
  ['bij,bjk->bik', 'bij,bjk->bik', [[2, 2, 3], [2, 3, 4]]],
  ['ii->', 'ii->', [[3, 3]]],
  ['ii', 'ii->', [[3, 3]]],
  ['ii->i', 'ii->i', [[4, 4]]],
  ['iii->i', 'iii->i', [[3, 3, 3]]],
  ['bii->bi', 'bii->bi', [[2, 3, 3]]],
  ['iji->j', 'iji->j', [[3, 2, 3]]],
  ['i,j->ij', 'i,j->ij', [[3], [4]]],
  ['i,j', 'i,j->ij', [[3], [4]]],
  ['i,i->', 'i,i->', [[5], [5]]],
  ['i,i', 'i,i->', [[5], [5]]],
  ['ij->ji', 'ij->ji', [[2, 3]]],
  ['ji', 'ji->ij', [[2, 3]]],
  ['ij->', 'ij->', [[2, 3]]],
  ['bij->j', 'bij->j', [[2, 3, 4]]],
  ['ij,ij->ij', 'ij,ij->ij', [[2, 3], [2, 3]]],
  ['ij,ij->i', 'ij,ij->i', [[1, 4], [3, 4]]],
  ['...ij,...jk->...ik', 'Aij,jk->Aik', [[2, 2, 3], [3, 4]]],
  ['...ij,...jk', 'ABij,Bjk->ABik', [[2, 1, 2, 3], [3, 3, 2]]],
  ['...ij->ij', 'Aij->ij', [[2, 3, 4]]],
  ['...ii->...i', 'Aii->Ai', [[2, 3, 3]]],
  ['i...->...', 'iA->A', [[2, 3]]],
  ['...,...->...', 'AB,B->AB', [[2, 3], [3]]],
  ['ij,jk,kl->il', 'ij,jk,kl->il', [[2, 3], [3, 4], [4, 2]]],
  ['ij,jk,kl', 'ij,jk,kl->il', [[2, 3], [3, 4], [4, 2]]],
  ['bn,anm,bm->ba', 'bn,anm,bm->ba', [[2, 3], [4, 3, 2], [2, 2]]],
  ['bhqd,bhkd->bhqk', 'bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]],
  ['iij,jk->ik', 'iij,jk->ik', [[2, 2, 3], [3, 2]]],
  ['ab,cd->abcd', 'ab,cd->abcd', [[2, 3], [2, 2]]],
  ['Ba,aB', 'Ba,aB->', [[2, 3], [3, 2]]],
  ['ij,jk->ik', 'ij,jk->ik', [[2, 1], [3, 4]]],
  [' i j , j k -> k i ', 'ij,jk->ki', [[2, 3], [3, 4]]],
  ['ijk,ikl,ilm->ijm', 'ijk,ikl,ilm->ijm', [[2, 2, 3], [2, 3, 2], [2, 2, 3]]],
  // implicit output with a capital: capitals sort before lower case (PyTorch: 'aB' on [2, 3] gives [3, 2])
  ['aB', 'aB->Ba', [[2, 3]]],
  ['zA,A', 'zA,A->z', [[3, 2], [2]]],
  // a size-1 dim broadcasting against the other operand's size, on either side, contracted and not
  ['i,i->', 'i,i->', [[1], [3]]],
  ['i,i->', 'i,i->', [[3], [1]]],
  ['ij,ij->', 'ij,ij->', [[1, 1], [2, 3]]],
  ['ij,ij->ij', 'ij,ij->ij', [[2, 1], [1, 3]]],
  // nothing contracted, the second operand's labels in another order than the output's
  ['i,ji->ij', 'i,ji->ij', [[2], [3, 2]]],
  // a two-dim ellipsis next to the last letter, 'z' (label ids must not collide)
  ['...z->...z', 'ABz->ABz', [[2, 3, 4]]],
  ['...y,...z->...yz', 'ABy,ABz->AByz', [[2, 3, 2], [2, 3, 4]]],
];

test('einsum values match the loop reference on 44 equations (float64)', () => {
  CASES.forEach(([eq, ref, shapes], c) => {
    const xs = shapes.map((s, k) => nb.randn(s, { dtype: 'float64', generator: new nb.Generator(100 * c + k) }));
    const got = nb.einsum(eq, ...xs);
    const want = reference(ref, xs);
    assert.deepEqual([...got.shape], want.shape, `${eq}: shape`);
    close(got.data(), want.data, 1e-12, 1e-12, eq);
    // the list form gives the same
    assert.deepEqual(nb.einsum(eq, xs).data(), got.data(), `${eq} (list form)`);
  });
});

test('einsum of known values: trace, diagonal, outer, scalar', () => {
  const m = nb.arange(9, { dtype: 'float64' }).reshape(3, 3);
  assert.equal(nb.einsum('ii', m).item(), 12);
  assert.deepEqual(nb.einsum('ii->i', m).toArray(), [0, 4, 8]);
  assert.deepEqual(nb.einsum('i,j->ij', nb.tensor([1, 2]), nb.tensor([3, 4, 5])).toArray(), [[3, 4, 5], [6, 8, 10]]);
  assert.equal(nb.einsum('...->...', nb.tensor(3)).item(), 3);
  assert.deepEqual(nb.einsum('i->', nb.tensor([1, 2, 3], { dtype: 'int32' })).toArray(), 6);
  // '->' at index 0: a 0-d operand and a 0-d output (PyTorch: einsum('->', tensor(3.)) = tensor(3.))
  assert.equal(nb.einsum('->', nb.tensor(3)).item(), 3);
  assert.equal(nb.einsum(',->', nb.tensor(3), nb.tensor(4)).item(), 12);
});

test('einsum lowers contractions to one matmul per operand pair (no element-wise product then sum)', () => {
  const seen: string[] = [];
  const a = nb.randn([4, 8, 16], { requiresGrad: true }), b = nb.randn([4, 16, 8], { requiresGrad: true });
  const stop = observeRecords((node) => seen.push(node.name));
  try { nb.einsum('bij,bjk->bik', a, b); } finally { stop(); }
  assert.deepEqual(seen.filter((n) => n === 'matmul' || n === 'mul' || n === 'sum'), ['matmul']);
  const seen3: string[] = [];
  const stop3 = observeRecords((node) => seen3.push(node.name));
  try { nb.einsum('ij,jk,kl->il', nb.randn([3, 4], { requiresGrad: true }), nb.randn([4, 5]), nb.randn([5, 2])); } finally { stop3(); }
  assert.equal(seen3.filter((n) => n === 'matmul').length, 2);
});

test('einsum gradcheck and gradgradcheck (float64)', () => {
  const rows: [string, number[][]][] = [
    ['ij,jk->ik', [[2, 3], [3, 2]]],
    ['bii->bi', [[2, 3, 3]]],
    ['ii->', [[3, 3]]],
    ['...ij,...jk->...ik', [[2, 2, 3], [3, 2]]],
    ['ij,ij->i', [[1, 3], [2, 3]]],
    ['bn,anm,bm->ba', [[2, 3], [2, 3, 2], [2, 2]]],
    ['iij,jk->ik', [[2, 2, 3], [3, 2]]],
  ];
  rows.forEach(([eq, shapes], c) => {
    const xs = shapes.map((s, k) => nb.randn(s, { dtype: 'float64', requiresGrad: true, generator: new nb.Generator(7 * c + k) }));
    const f = (...t: nb.Tensor[]) => nb.einsum(eq, ...t);
    assert.ok(nb.autograd.gradcheck(f, xs, { name: eq }), `${eq} gradcheck`);
    assert.ok(nb.autograd.gradgradcheck(f, xs, { name: eq }), `${eq} gradgradcheck`);
  });
});

test('einsum forward mode: the tangent of a bilinear form is the sum of the two partial products', () => {
  const a = nb.randn([2, 3], { dtype: 'float64', generator: new nb.Generator(1) });
  const b = nb.randn([3, 4], { dtype: 'float64', generator: new nb.Generator(2) });
  const da = nb.randn([2, 3], { dtype: 'float64', generator: new nb.Generator(3) });
  const db = nb.randn([3, 4], { dtype: 'float64', generator: new nb.Generator(4) });
  const [, t] = nb.autograd.jvp((x, y) => nb.einsum('ij,jk->ik', x, y), [a, b], [da, db]);
  close(t.data(), da.matmul(b).add(a.matmul(db)).data(), 1e-12, 1e-12, 'tangent');
});

test('einsum errors name einsum and the bad subscript or operand', () => {
  const m = nb.ones(2, 2);
  assert.throws(() => nb.einsum('ij->jj', m), /^Error: einsum: output subscript j appears more than once in the output/);
  assert.throws(() => nb.einsum('ij', nb.ones(2, 2, 2)), /einsum: the number of subscripts in the equation \(2\) does not match the number of dimensions \(3\) for operand 0/);
  assert.throws(() => nb.einsum('i,j->k', nb.ones(2), nb.ones(2)), /einsum: output subscript k does not appear in the equation for any input operand/);
  assert.throws(() => nb.einsum('ii', nb.ones(2, 3)), /einsum: subscript i is repeated for operand 0 but the sizes don't match, 3 != 2/);
  assert.throws(() => nb.einsum('i,i', nb.ones(2), nb.ones(3)), /einsum: subscript i has size 3 for operand 1 which does not broadcast with previously seen size 2/);
  assert.throws(() => nb.einsum('ij,jk', m), /einsum: fewer operands were provided \(1\) than the equation 'ij,jk' specifies \(2\)/);
  assert.throws(() => nb.einsum('ij', m, m), /einsum: more operands were provided/);
  assert.throws(() => nb.einsum('i1', m), /einsum: invalid subscript '1' at index 1/);
  assert.throws(() => nb.einsum('....i', nb.ones(2)), /einsum: found '\.' for operand 0 that is not part of an ellipsis/);
  assert.throws(() => nb.einsum('...i,...i', nb.ones(2, 3), nb.ones(4, 3)), /einsum: the ellipsis dimensions of operand 1 \(shape \[4,3\]\) do not broadcast with those of operand 0/);
  assert.throws(() => nb.einsum('ijk', m), /einsum: the number of subscripts in the equation \(3\) does not match the number of dimensions \(2\) for operand 0/);
  assert.throws(() => nb.einsum(m as any, m), /einsum: argument 'equation' must be a string/);
  assert.throws(() => nb.einsum('ij', [m, 3] as any), /einsum: argument 'operands\[1\]' must be a Tensor/);
  assert.throws(() => nb.einsum('ij'), /einsum: must provide at least one operand/);
  // PyTorch 1.13 names the same indexes: "invalid subscript given at index 4 / 5 in the equation string"
  assert.throws(() => nb.einsum('ij,j?', m, m), /einsum: invalid subscript '\?' at index 4 in the equation \(term 'j\?', operand 1\)/);
  assert.throws(() => nb.einsum('ij->i?', m), /einsum: invalid subscript '\?' at index 5 in the equation \(term 'i\?', the output\)/);
  assert.throws(() => nb.einsum('i{', m), /einsum: invalid subscript '\{' at index 1/);
  assert.throws(() => nb.einsum('i~', m), /einsum: invalid subscript '~' at index 1/);
  assert.throws(() => nb.einsum('ij,j.k', m, nb.ones(2, 2)), /einsum: found '\.' for operand 1 that is not part of an ellipsis \('\.\.\.'\) at index 4 in the equation/);
  assert.throws(() => nb.einsum('...i...', nb.ones(2, 2)), /einsum: found a second ellipsis \('\.\.\.'\) for operand 0 at index 4/);
  assert.throws(() => nb.einsum('ijk...', m), /einsum: the number of subscripts in the equation \(3\) is more than the number of dimensions \(2\) for operand 0 \(shape \[2,2\]\)/);
  assert.throws(() => nb.einsum('ij->i->j', m), /einsum: the equation 'ij->i->j' has more than one '->'/);
  assert.throws(() => nb.einsum('->->', nb.tensor(1)), /einsum: the equation '->->' has more than one '->'/);
  // label names in messages: capitals and the first lower-case letter
  assert.throws(() => nb.einsum('aZ,aZ', nb.ones(2, 3), nb.ones(2, 4)), /einsum: subscript Z has size 4 for operand 1 which does not broadcast with previously seen size 3/);
  assert.throws(() => nb.einsum('a,a', nb.ones(2), nb.ones(3)), /einsum: subscript a has size 3 for operand 1/);
  assert.throws(() => nb.einsum('A->AA', nb.ones(2)), /einsum: output subscript A appears more than once/);
  // the record itself (einsumOp(equation, operands)) takes the operands as an array only
  assert.throws(() => (einsumOp as any)('ij', m), /einsum: argument 'operands' must be an array of Tensors/);
});
