/**
 * The views matmul hands its backend kernel (Backend.matmul(a, b) on [B, M, K]·[B, K, N] views): batch dims that
 * share one stride are read in place (no copy), a right operand shared across the batch makes one [1, B·M, K]·
 * [1, K, N] product when the left one's rows are contiguous, and only a batch whose dims cannot share one stride is
 * copied. Values are checked elsewhere (the op table, ops_edges' layouts); this pins the copies and the product's
 * form, observed by wrapping the current backend's matmul kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

interface SeenView { data: unknown; dtype?: string; shape: number[]; strides: number[] }

/** the views of each kernel call made while f runs */
function kernelViews(f: () => nb.Tensor): { out: nb.Tensor; calls: [SeenView, SeenView][] } {
  const be = nb.ones([1]).backend as unknown as { matmul: (a: SeenView, b: SeenView, dt: string) => unknown };
  const kernel = be.matmul;
  const calls: [SeenView, SeenView][] = [];
  be.matmul = function (this: unknown, a: SeenView, b: SeenView, dt: string) {
    calls.push([{ data: a.data, dtype: a.dtype, shape: [...a.shape], strides: [...a.strides] }, { data: b.data, dtype: b.dtype, shape: [...b.shape], strides: [...b.strides] }]);
    return kernel.call(this, a, b, dt);
  };
  try { return { out: f(), calls }; } finally { be.matmul = kernel; }
}
const block = (t: nb.Tensor) => (t.backendView() as unknown as SeenView).data;
const rand = (shape: number[]) => nb.randn(shape, { generator: new nb.Generator(shape.reduce((a, b) => a * 10 + b, 0)) });
/** the product batch by batch, each a plain 2-D matmul of contiguous copies */
const byBatch = (a: nb.Tensor, b: nb.Tensor, batch: number[]) => {
  const ea = a.expand([...batch, ...a.shape.slice(-2)]).reshape([-1, ...a.shape.slice(-2)]);
  const eb = b.expand([...batch, ...b.shape.slice(-2)]).reshape([-1, ...b.shape.slice(-2)]);
  return nb.stack(Array.from({ length: ea.shape[0]! }, (_, i) => nb.matmul(ea.select(0, i).contiguous(), eb.select(0, i).contiguous()))).reshape([...batch, a.shape.at(-2)!, b.shape.at(-1)!]);
};
const same = (got: nb.Tensor, want: nb.Tensor) => assert.ok(nb.sub(got, want).abs().max().item() <= 1e-5, 'values');

/** what one operand's kernel view must be: the operand's own block (in place) or a copy, its [B, rows, cols] shape, its strides */
interface Want { inPlace: boolean; shape: number[]; strides?: number[] }

/** matmul(a, b) makes one kernel call whose views are as wanted (a side without a Want is not checked) and gives the batch-by-batch values */
function checkViews(a: nb.Tensor, b: nb.Tensor, batch: number[], left: Want, right?: Want): void {
  const { out, calls } = kernelViews(() => nb.matmul(a, b));
  assert.equal(calls.length, 1);
  ([[calls[0]![0], a, left], [calls[0]![1], b, right]] as const).forEach(([v, t, w], k) => {
    if (!w) return;
    const side = k === 0 ? 'left' : 'right';
    assert.equal(v.data === block(t), w.inPlace, `${side} operand ${w.inPlace ? 'read in place' : 'copied'}`);
    assert.deepEqual(v.shape, w.shape, `${side} view shape`);
    if (w.strides) assert.deepEqual(v.strides, w.strides, `${side} view strides`);
  });
  same(out, byBatch(a, b, batch));
}

test('contiguous batched operands are read in place, the batch dims collapsed into one stride', () => {
  checkViews(rand([2, 3, 4, 5]), rand([2, 3, 5, 6]), [2, 3],
    { inPlace: true, shape: [6, 4, 5], strides: [20, 5, 1] }, { inPlace: true, shape: [6, 5, 6], strides: [30, 6, 1] });
});

test('transposed matrices are read through their strides, in place, however the batch dims are laid out', () => {
  // a contiguous() copy would be a no-op for contiguous operands: transposed matrices make every copy visible
  checkViews(rand([2, 3, 5, 4]).transpose(-2, -1), rand([2, 3, 6, 5]).transpose(-2, -1), [2, 3],
    { inPlace: true, shape: [6, 4, 5], strides: [20, 1, 4] }, { inPlace: true, shape: [6, 5, 6], strides: [30, 1, 5] });
  // three batch dims: each stride is checked against the one after it times its size
  checkViews(rand([2, 2, 3, 5, 4]).transpose(-2, -1), rand([5, 6]).expand([2, 2, 3, 5, 6]), [2, 2, 3],
    { inPlace: true, shape: [12, 4, 5], strides: [20, 1, 4] });
  // a size-1 batch dim takes any stride: [3, 1] narrowed from [3, 2] has batch strides [40, 20]
  checkViews(rand([3, 2, 5, 4]).narrow(1, 0, 1).transpose(-2, -1), rand([5, 6]).expand([3, 1, 5, 6]), [3, 1],
    { inPlace: true, shape: [3, 4, 5], strides: [40, 1, 4] });
});

test('a right operand shared across the batch: one [1, B·M, K]·[1, K, N] product, nothing copied', () => {
  const b = rand([5, 6]);
  checkViews(rand([2, 3, 4, 5]), b, [2, 3],
    { inPlace: true, shape: [1, 24, 5], strides: [0, 5, 1] }, { inPlace: true, shape: [1, 5, 6], strides: [0, 6, 1] });
  // one matrix on each side: a batch of one, not the shared form
  checkViews(rand([4, 5]), b, [], { inPlace: true, shape: [1, 4, 5], strides: [0, 5, 1] }, { inPlace: true, shape: [1, 5, 6] });
});

test('only batch dims that cannot share one stride are copied (a permuted batch, a broadcast size-1 dim)', () => {
  checkViews(rand([3, 2, 4, 5]).permute([1, 0, 2, 3]), rand([2, 3, 5, 6]), [2, 3],
    { inPlace: false, shape: [6, 4, 5], strides: [20, 5, 1] }, { inPlace: true, shape: [6, 5, 6] });
  // [2, 1] broadcast against [3]: the left batch has strides [20, 0], which no single stride describes
  checkViews(rand([2, 1, 4, 5]), rand([3, 5, 6]), [2, 3], { inPlace: false, shape: [6, 4, 5] });
});

test('matmul names itself for operands on two backends, promotes mixed float dtypes, and refuses a 0-d operand on either side', () => {
  const inner = nb.ones([1]).backend;
  const other = Object.create(inner) as typeof inner;
  const a = rand([2, 3]), b = rand([3, 4]);
  const bOther = nb.Tensor.fromValues(Array.from(b.data()), [3, 4], 'float32', other);
  assert.throws(() => nb.matmul(a, bOther), /^Error: matmul: tensors live on different backends/);
  const b64 = b.double();
  const mixed = nb.matmul(a, b64);
  assert.equal(mixed.dtype, 'float64');
  same(mixed.float(), nb.matmul(a, b));
  const mixedLeft = nb.matmul(b64.transpose(0, 1), a.transpose(0, 1));
  assert.equal(mixedLeft.dtype, 'float64');
  same(mixedLeft.float(), nb.matmul(a, b).transpose(0, 1));
  // the kernel gets operands of one dtype (a backend may read its blocks as the output's dtype)
  const seen = kernelViews(() => nb.matmul(b64.transpose(0, 1), a.transpose(0, 1))).calls[0]!;
  assert.deepEqual(seen.map((v) => v.dtype), ['float64', 'float64']);
  assert.throws(() => nb.matmul(a, nb.tensor(2)), /^Error: matmul: both arguments need at least 1 dimension, got \[2,3\] and \[\]$/);
  assert.throws(() => nb.matmul(a, rand([4, 2])), /^Error: matmul: cannot multiply \[2,3\] by \[4,2\]: inner dimensions 3 and 4 differ$/);
});
