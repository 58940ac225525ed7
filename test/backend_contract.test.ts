/**
 * The backend contract (src/backends/backend.ts): asynchronous reads on every backend, a clear error for
 * synchronous reads where a backend cannot serve them, capabilities, the registry's factories, and the one
 * shared reference fallback path (download → reference kernel → upload) exercised through a backend that
 * implements no kernel of its own and keeps its memory in opaque handles.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import type { Backend } from '../src/backends/backend.js';
import { REQUIRED_KERNELS } from '../src/backends/backend.js';
import { referenceFallback } from '../src/backends/fallback.js';
import type { DType, TypedArray } from '../src/dtype.js';
import { arrayFor } from '../src/dtype.js';

/** Memory behind opaque numbered handles (the front end cannot view it); every kernel from the fallback path. */
function opaqueBackend(name: string, opts: { syncRead: boolean }): Backend<number> & { reads: number } {
  const blocks = new Map<number, TypedArray>();
  let next = 1, bytes = 0;
  const io = {
    read(h: number, _dt: DType, size: number): TypedArray {
      if (!opts.syncRead) throw new Error(`${name}: no synchronous reads`);
      be.reads++;
      return blocks.get(h)!.subarray(0, size);
    },
    fromArray(dtype: DType, values: ArrayLike<number>): number {
      const a = arrayFor(dtype, values.length);
      for (let i = 0; i < values.length; i++) a[i] = dtype === 'bool' ? (values[i] ? 1 : 0) : values[i]!;
      blocks.set(next, a);
      bytes += a.byteLength;
      return next++;
    },
    write(h: number, _dt: DType, offset: number, values: TypedArray): void {
      blocks.get(h)!.set(values, offset);
    },
  };
  const { kernels, fallback } = referenceFallback<number>({}, io);
  const be: Backend<number> & { reads: number } = {
    name,
    reads: 0,
    capabilities: { dtypes: ['float32', 'float64', 'int32', 'bool'], syncRead: opts.syncRead, fused: [], fallbackKernels: fallback, device: 'cpu' },
    alloc: (dtype, size) => io.fromArray(dtype, new Array<number>(size).fill(0)),
    fromArray: io.fromArray,
    read: io.read,
    async readAsync(h, _dt, size) {
      return blocks.get(h)!.slice(0, size);
    },
    dispose(h) {
      bytes -= blocks.get(h)!.byteLength;
      blocks.delete(h);
    },
    bytesInUse: () => bytes,
    ...kernels,
  };
  return be;
}

describe('backend contract', () => {
  test('dataAsync / itemAsync / toArrayAsync agree with the synchronous reads, on views too', async () => {
    const x = nb.arange(12).reshape([3, 4]);
    const t = x.transpose(0, 1);
    assert.deepEqual(Array.from(await t.dataAsync()), Array.from(t.data()));
    assert.deepEqual(await t.toArrayAsync(), t.toArray());
    assert.equal(await nb.sum(x).itemAsync(), 66);
    await assert.rejects(() => x.itemAsync(), /itemAsync: only a tensor with one element/);
  });

  test('the shared fallback path runs every required kernel through opaque memory', () => {
    const be = opaqueBackend('opaque-sync', { syncRead: true });
    assert.deepEqual([...be.capabilities!.fallbackKernels].sort(), [...REQUIRED_KERNELS].sort());
    nb.registerBackend(be as unknown as Backend);
    const prev = nb.getBackend();
    void nb.setBackend('opaque-sync');
    try {
      const a = nb.tensor([[1, 2, 3], [4, 5, 6]]).requiresGrad_();
      const b = nb.tensor([[1, 0], [0, 1], [1, 1]]);
      const y = nb.matmul(a, b).relu().sum();
      y.backward();
      assert.equal(y.item(), 4 + 5 + 10 + 11);
      assert.deepEqual(a.grad!.toArray(), [[1, 1, 2], [1, 1, 2]]);
      const z = nb.zeros([2, 3]);
      nb.fill_(nb.slice(z, 1, 1, 3), 2);
      nb.copy_(nb.select(z, 0, 0), nb.tensor([7, 8, 9]));
      assert.deepEqual(z.toArray(), [[7, 8, 9], [0, 2, 2]]);
      assert.deepEqual(nb.cat([a.detach(), b.transpose(0, 1)], 0).toArray(), [[1, 2, 3], [4, 5, 6], [1, 0, 1], [0, 1, 1]]);
      assert.ok(be.reads > 0);
    } finally {
      void nb.setBackend(prev);
    }
  });

  test('a backend without synchronous reads: sync reads name the async ones; async reads work', async () => {
    const be = opaqueBackend('opaque-async', { syncRead: false });
    nb.registerBackend(be as unknown as Backend);
    const x = nb.Tensor.fromValues([1, 2, 3], [3], 'float32', be as unknown as Backend);
    assert.throws(() => x.data(), /opaque-async backend cannot read \[float32 \[3\]\] synchronously; use await t\.dataAsync\(\)/);
    assert.throws(() => nb.Tensor.fromValues([5], [], 'float32', be as unknown as Backend).item(), /cannot read .* synchronously/);
    // the fallback path itself needs synchronous reads: it fails loudly rather than reading stale data
    assert.throws(() => nb.sum(x), /opaque-async: no synchronous reads/);
    assert.match(String(x), /await t\.toArrayAsync\(\) to read/);
    assert.deepEqual(Array.from(await x.dataAsync()), [1, 2, 3]);
    assert.equal(nb.backendCapabilities('opaque-async').syncRead, false);
  });

  test('registry: factories start once, on setBackend / initBackend; failures name the backend', async () => {
    let starts = 0;
    nb.registerBackendFactory('lazy-test', async () => {
      starts++;
      return opaqueBackend('lazy-test', { syncRead: true }) as unknown as Backend;
    });
    assert.ok(nb.listBackends().includes('lazy-test'));
    assert.throws(() => nb.backendCapabilities('lazy-test'), /not started; await nb\.initBackend\('lazy-test'\)/);
    const prev = nb.getBackend();
    await nb.setBackend('lazy-test');
    assert.equal(nb.getBackend(), 'lazy-test');
    await nb.initBackend('lazy-test');
    assert.equal(starts, 1);
    await nb.setBackend(prev);
    nb.registerBackendFactory('broken-test', async () => { throw new Error('broken-test: no device (tried A, B)'); });
    await assert.rejects(() => nb.setBackend('broken-test'), /tried A, B/);
    assert.equal(nb.getBackend(), prev);
    assert.throws(() => nb.setBackend('nope'), /no backend named "nope"; registered: .*ts/);
    assert.throws(() => nb.registerBackend({ name: 'half' } as unknown as Backend), /lacks the required kernels unary, binary/);
  });

  test('prod backward reads no values on the host: zeros handled in tensor ops', () => {
    const x = nb.tensor([[2, 0, 3], [0, 0, 5], [1, 2, 3]]).requiresGrad_();
    nb.prod(x, 1).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [[0, 6, 0], [0, 0, 0], [6, 3, 2]]);
    const y = nb.tensor([4, 0.5, -2]).requiresGrad_();
    nb.prod(y).backward();
    assert.deepEqual(y.grad!.toArray(), [-1, -8, 2]);
  });
});
