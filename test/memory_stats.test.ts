/**
 * nb.memory.stats / resetPeak / record: exact byte and count accounting, and the allocation timeline of an MLP
 * training step (its peak equals the measured peak; every activation saved for backward is released by the
 * time backward returns).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

test('stats count bytes, storages and tensor views exactly; resetPeak restarts the peak', () => {
  const s0 = nb.memory.stats();
  assert.equal(s0.backend, nb.getBackend());
  const a = nb.zeros([10, 3]);
  const s1 = nb.memory.stats();
  assert.equal(s1.bytesInUse - s0.bytesInUse, 120);
  assert.equal(s1.liveStorages - s0.liveStorages, 1);
  assert.equal(s1.liveTensors - s0.liveTensors, 1);
  const v = a.reshape([30]); // a view: one more tensor, no new storage
  const s2 = nb.memory.stats();
  assert.equal(s2.liveStorages, s1.liveStorages);
  assert.equal(s2.liveTensors, s1.liveTensors + 1);
  assert.equal(s2.bytesInUse, s1.bytesInUse);
  const d = nb.zeros([4], { dtype: 'float64' });
  assert.equal(nb.memory.stats().bytesInUse - s2.bytesInUse, 32);
  assert.ok(nb.memory.stats().peakBytes >= s2.bytesInUse + 32);
  d.dispose();
  a.dispose();
  const s3 = nb.memory.stats();
  assert.equal(s3.bytesInUse, s0.bytesInUse);
  assert.equal(s3.liveStorages, s0.liveStorages);
  assert.equal(s3.liveTensors, s0.liveTensors, 'views of a freed storage no longer count');
  nb.memory.resetPeak();
  assert.equal(nb.memory.stats().peakBytes, s3.bytesInUse);
  void v;
  // the legacy call still works
  const legacy = nb.memory();
  assert.equal(typeof legacy.numStorages, 'number');
  assert.throws(() => nb.memory.stats('nope'), /memory\.stats: no backend named "nope"/);
});

test('record: an MLP step — timeline peak = measured peak, activations released during backward, ops named', () => {
  const g = new nb.Generator(3);
  const model = new nb.nn.Sequential(
    new nb.nn.Linear(16, 32, { generator: g, activation: 'relu' }),
    new nb.nn.Linear(32, 32, { generator: g, activation: 'relu' }),
    new nb.nn.Linear(32, 4, { generator: g }),
  );
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nb.randn([8, 16], { generator: g });
  const y = nb.randint(0, 4, [8], { generator: g });
  const step = () => {
    opt.zeroGrad();
    const loss = nb.crossEntropy(model.call(x) as nb.Tensor, y);
    nb.memory.mark('forward done');
    loss.backward();
    nb.memory.mark('backward done');
    opt.step();
    return loss.item();
  };
  for (let rep = 0; rep < 2; rep++) { // the first step creates .grad buffers and Adam state, the second reuses them
    nb.memory.resetPeak();
    const tl = nb.memory.record(step);
    assert.ok(Number.isFinite(tl.result));
    assert.equal(tl.peakBytes, nb.memory.stats().peakBytes, 'timeline peak equals the measured peak');
    assert.equal(tl.endBytes, nb.memory.stats().bytesInUse);
    assert.ok(tl.peakIndex >= 0 && tl.events[tl.peakIndex]!.bytesInUse === tl.peakBytes);
    const fwdDone = tl.events.findIndex((e) => e.kind === 'mark' && e.op === 'forward done');
    const bwdDone = tl.events.findIndex((e) => e.kind === 'mark' && e.op === 'backward done');
    assert.ok(fwdDone > 0 && bwdDone > fwdDone);
    const activations = tl.events.filter((e) => e.kind === 'alloc' && e.savedForBackward && e.index < fwdDone);
    // 3 linears save their input and output (the fused activation's derivative reads it); x is from outside
    assert.ok(activations.length >= 5, `activations found: ${activations.length}`);
    for (const a of activations) {
      assert.equal(a.phase, 'forward');
      const free = tl.events.find((e) => e.kind === 'free' && e.storageId === a.storageId);
      assert.ok(free && free.index < bwdDone, `activation ${a.op} #${a.storageId} (${a.bytes} B) released during backward`);
      assert.equal(free!.phase, 'backward');
      assert.match(free!.op, /Backward$/);
    }
    assert.ok(activations.some((a) => a.op === 'linear'), `forward allocations are named by their op: ${[...new Set(activations.map((a) => a.op))]}`);
    const bwdOps = new Set(tl.events.filter((e) => e.kind === 'alloc' && e.phase === 'backward').map((e) => e.op));
    assert.ok(bwdOps.has('linearBackward'), [...bwdOps].join(','));
    if (rep === 0) assert.ok(tl.events.some((e) => e.kind === 'alloc' && e.phase === 'optimizer'), 'Adam state is charged to optimizer.step');
    else assert.equal(tl.endBytes, tl.startBytes, 'a repeated step leaves no bytes behind');
    // bytesInUse is a running sum of the events
    let bytes = tl.startBytes;
    for (const e of tl.events) {
      if (e.kind === 'alloc') bytes += e.bytes;
      else if (e.kind === 'free') bytes -= e.bytes;
      assert.equal(e.bytesInUse, bytes);
    }
  }
});

test('record: tensors saved before the recording, and leaves that require grad, are never freed eagerly', () => {
  const w = nb.randn([4, 4], { requiresGrad: true });
  const tl = nb.memory.record(() => {
    const x = nb.randn([2, 4], { requiresGrad: true });
    const h = x.matmul(w).tanh();
    h.sum().backward();
    return x;
  });
  assert.equal(tl.result.shape[0], 2);
  assert.doesNotThrow(() => tl.result.data());
  assert.doesNotThrow(() => w.data());
  assert.ok(tl.result.grad && w.grad);
  assert.throws(() => nb.memory.record(() => nb.memory.record(() => 1)), /recordings do not nest/);
});

test('liveTensors: tensors made in a scope leave the count with their storages, or with the collector when their storage outlives it', async () => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const a = nb.ones([4, 6]);
  const settle = async (): Promise<void> => { // collect what earlier tests left until the count stops moving
    let prev = NaN;
    for (let i = 0; i < 100 && nb.memory.stats().liveTensors !== prev; i++) {
      prev = nb.memory.stats().liveTensors;
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await settle();
  const s0 = nb.memory.stats();
  nb.scope(() => {
    for (let i = 0; i < 50; i++) {
      a.add(1); // a fresh storage, freed when the scope closes
      a.reshape(6, 4); // a view of a storage that outlives the scope
      a.transpose(0, 1);
    }
    nb.scope(() => { a.reshape(24); }); // nested: handed to the outer scope
  });
  // the fresh storages went with the scope; the 101 views of `a` live until the collector takes them
  assert.equal(nb.memory.stats().liveTensors - s0.liveTensors, 101);
  let left = Infinity;
  for (let i = 0; i < 100 && left > 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    left = nb.memory.stats().liveTensors - s0.liveTensors;
  }
  assert.equal(left, 0, 'collected views must leave the count');
  a.dispose();
});

test('storages that leave every scope (returned, kept, or handed out by nested scopes) are freed by the collector once unreachable', async () => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const settle = async (): Promise<number> => { // collect until the storage count stops moving
    let prev = NaN;
    for (let i = 0; i < 100 && nb.memory.stats().liveStorages !== prev; i++) {
      prev = nb.memory.stats().liveStorages;
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    return nb.memory.stats().liveStorages;
  };
  const s0 = await settle();
  // a scope holds what it makes (no finalizer while inside); what escapes must get one, or it leaks forever
  let held: unknown[] | null = [
    nb.scope(() => nb.ones([64]).add(1)), // returned from the outermost scope
    nb.scope(() => { nb.keep(nb.ones([8]).mul(2)); return 0; }) === 0 ? null : null, // kept, not returned (dropped)
    nb.scope(() => nb.scope(() => nb.ones([16]).exp())), // returned through a nested scope
    nb.scope(() => ({ m: new Map([['w', nb.ones([4]).neg()]]) })), // returned inside a Map
  ];
  assert.equal(nb.memory.stats().liveStorages - s0, 4, 'the four escaped storages are alive');
  held = null;
  void held;
  const s1 = await settle();
  assert.equal(s1 - s0, 0, 'unreachable escaped storages must be freed by the collector');
});
