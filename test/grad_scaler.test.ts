/**
 * nb.amp.GradScaler against the documented algorithm (PyTorch's GradScaler + _amp_update_scale_, re-derived
 * here as a plain state machine): the scale sequence, which steps are skipped, the parameters after each step,
 * PyTorch's error cases, state dicts and the disabled pass-through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const f32 = Math.fround;

/** The reference: scale S (float32) and tracker, one call per iteration with whether an Inf/NaN was found. */
function referenceScaler(initScale: number, growthFactor: number, backoffFactor: number, growthInterval: number) {
  let S = f32(initScale), tracker = 0;
  return {
    get scale() { return S; },
    update(foundInf: boolean) {
      if (foundInf) { S = f32(S * backoffFactor); tracker = 0; return; }
      tracker++;
      if (tracker === growthInterval) {
        const grown = f32(S * growthFactor);
        if (Number.isFinite(grown)) S = grown;
        tracker = 0;
      }
    },
  };
}

test('scripted gradients: scale sequence, skipped steps and parameters follow the documented algorithm', () => {
  const opts = { initScale: 1024, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3 };
  const scaler = new nb.amp.GradScaler(opts);
  const ref = referenceScaler(opts.initScale, opts.growthFactor, opts.backoffFactor, opts.growthInterval);
  const w = nb.tensor([0.5, -1, 2], { requiresGrad: true });
  const opt = new nb.optim.SGD([w], { lr: 0.125 });
  const wRef = [0.5, -1, 2].map(f32);
  // per step: the "true" gradient direction; NaN, Inf and 1e36 (overflows once multiplied by the scale) at chosen steps
  const script: number[][] = [];
  for (let t = 0; t < 24; t++) script.push([0.25 * (t + 1), -1.5, 3 / (t + 1)]);
  script[4] = [1, NaN, 1];
  script[7] = [1e36, 1, 1];
  script[8] = [1, -1e36, 1];
  script[13] = [Infinity, 0, 0];
  const skippedRef: number[] = [], skipped: number[] = [];
  const scales: number[] = [], scalesRef: number[] = [];
  for (let t = 0; t < script.length; t++) {
    const s = nb.tensor(script[t]!);
    opt.zeroGrad();
    const loss = w.mul(s).sum();
    const scaled = scaler.scale(loss);
    assert.equal(scaled.item(), f32(loss.item() * ref.scale), 'scaled loss = loss × S');
    scaled.backward();
    const before = w.dataArray();
    scaler.step(opt);
    if (scaler.stepWasSkipped(opt)) { skipped.push(t); assert.deepEqual(w.dataArray(), before, `step ${t}: a skipped step leaves the parameters untouched`); }
    // reference: grads = f32(S·s_i), found = any non-finite, unscaled = f32(grad · f32(1/S)), SGD w ← w − lr·g
    const S = ref.scale, inv = f32(1 / S);
    const grads = script[t]!.map((v) => f32(S * f32(v)));
    const found = grads.some((g) => !Number.isFinite(g));
    if (found) skippedRef.push(t);
    else grads.forEach((g, i) => { wRef[i] = f32(wRef[i]! - f32(0.125 * f32(g * inv))); });
    scaler.update();
    ref.update(found);
    scales.push(scaler.getScale());
    scalesRef.push(ref.scale);
    const got = w.dataArray();
    got.forEach((v, i) => assert.ok(Math.abs(v - wRef[i]!) <= 1e-6 * Math.max(1, Math.abs(wRef[i]!)), `step ${t}: w[${i}] ${v} vs ${wRef[i]}`));
  }
  assert.deepEqual(skipped, skippedRef);
  assert.deepEqual(skipped, [4, 7, 8, 13], 'exactly the scripted NaN/Inf/overflow steps are skipped');
  assert.deepEqual(scales, scalesRef);
  // hand-checked anchors: 3 good steps double 1024 → 2048 (after step 2); NaN at 4 halves it to 1024
  assert.equal(scales[2], 2048);
  assert.equal(scales[3], 2048);
  assert.equal(scales[4], 1024);
  assert.equal(scales[8], 256);
});

test('growth never makes the scale infinite; defaults are PyTorch\'s', () => {
  const s = new nb.amp.GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
  const w = nb.tensor([1], { requiresGrad: true });
  const opt = new nb.optim.SGD([w], { lr: 0 });
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    s.scale(w.mul(1e-30).sum()).backward();
    s.step(opt);
    s.update();
    assert.equal(s.getScale(), 2 ** 127);
  }
  const d = new nb.amp.GradScaler();
  assert.deepEqual(d.stateDict(), { scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2000, _growth_tracker: 0 });
  assert.throws(() => new nb.amp.GradScaler({ growthFactor: 1 }), /growth factor must be > 1.0/);
  assert.throws(() => new nb.amp.GradScaler({ backoffFactor: 1 }), /backoff factor must be < 1.0/);
});

test('unscale_ before clipping, the ordering errors, state dicts and the disabled pass-through', () => {
  const w = nb.tensor([3, 4], { requiresGrad: true });
  const opt = new nb.optim.SGD([w], { lr: 1 });
  const scaler = new nb.amp.GradScaler({ initScale: 256 });
  assert.throws(() => scaler.step(opt), /did not use scaler\.scale/);
  scaler.scale(w.mul(w).sum().mul(0.5)).backward(); // grad = w · 256
  assert.deepEqual(w.grad!.dataArray(), [768, 1024]);
  scaler.unscale_(opt);
  assert.deepEqual(w.grad!.dataArray(), [3, 4]);
  assert.throws(() => scaler.unscale_(opt), /unscale_\(\) has already been called/);
  nb.nn.utils.clipGradNorm_([w], 1);
  scaler.step(opt);
  assert.throws(() => scaler.step(opt), /step\(\) has already been called since the last update/);
  assert.throws(() => scaler.unscale_(opt), /unscale_\(\) is being called after step\(\)/);
  scaler.update();
  assert.throws(() => scaler.update(), /no inf checks were recorded/);
  const wv = w.dataArray();
  assert.ok(Math.abs(wv[0]! - 2.4) < 1e-6 && Math.abs(wv[1]! - 3.2) < 1e-6, `clipped step: ${wv}`);
  scaler.update(1000.3);
  assert.equal(scaler.getScale(), f32(1000.3));
  const sd = scaler.stateDict();
  const other = new nb.amp.GradScaler();
  other.loadStateDict(sd);
  assert.deepEqual(other.stateDict(), sd);
  const off = new nb.amp.GradScaler({ enabled: false });
  const loss = w.sum();
  assert.equal(off.scale(loss), loss);
  assert.equal(off.getScale(), 1);
  assert.deepEqual(off.stateDict(), {});
  assert.throws(() => other.loadStateDict({}), /source state dict is empty/);
  assert.throws(() => scaler.step(opt, () => 1), /closure use is not currently supported/);
});
