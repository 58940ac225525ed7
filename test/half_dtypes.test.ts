/**
 * bfloat16 and float16: every one of the 65,536 bit patterns decoded, and encoding checked at every representable
 * value, every midpoint between neighbours (ties to even) and one float32 step either side of it, against an
 * independent reference (values from the format's formula, nearest neighbour found by binary search); then the
 * same through tensors on the current backend (storage, arithmetic rounded from float32, promotion, autograd).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../src/half.js';

interface Format { name: 'bfloat16' | 'float16'; expBits: number; mantBits: number; nan: number; enc: (x: number) => number; dec: (h: number) => number }
const FORMATS: Format[] = [
  { name: 'bfloat16', expBits: 8, mantBits: 7, nan: 0x7fc0, enc: toBfloat16Bits, dec: fromBfloat16Bits },
  { name: 'float16', expBits: 5, mantBits: 10, nan: 0x7e00, enc: toFloat16Bits, dec: fromFloat16Bits },
];

/** The value of a bit pattern from the format's definition: (−1)^s · 2^(e−bias) · (1 + m/2^M), subnormal 2^(1−bias) · m/2^M. */
function refValue(f: Format, h: number): number {
  const bias = 2 ** (f.expBits - 1) - 1;
  const s = h >> (f.expBits + f.mantBits) ? -1 : 1;
  const e = (h >> f.mantBits) & (2 ** f.expBits - 1);
  const m = h & (2 ** f.mantBits - 1);
  if (e === 2 ** f.expBits - 1) return m ? NaN : s * Infinity;
  if (e === 0) return s * 2 ** (1 - bias) * (m / 2 ** f.mantBits);
  return s * 2 ** (e - bias) * (1 + m / 2 ** f.mantBits);
}

/** Nearest representable value to x (a float32), ties to the even pattern, overflow past max+half-ulp to ±Inf. */
function refEncode(f: Format, sorted: { v: number; h: number }[], x: number): number {
  if (Number.isNaN(x)) return -1; // checked separately
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const signBit = neg ? 1 << (f.expBits + f.mantBits) : 0;
  const max = sorted[sorted.length - 1]!;
  const ulpMax = max.v - sorted[sorted.length - 2]!.v;
  if (a >= max.v + ulpMax / 2) return signBit | (max.h + 1); // max.h + 1 is the Inf pattern; the tie goes to it (max is odd)
  let lo = 0, hi = sorted.length - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (sorted[mid]!.v <= a) lo = mid; else hi = mid; }
  const below = sorted[lo]!, above = sorted[hi]!;
  let pick: { v: number; h: number };
  if (a <= below.v) pick = below;
  else if (a >= above.v) pick = above;
  else {
    const dl = a - below.v, du = above.v - a;
    pick = dl < du ? below : du < dl ? above : (below.h & 1 ? above : below);
  }
  return signBit | pick.h;
}

const f32Next = (x: number, dir: 1 | -1) => {
  const b = new Float32Array([x]), u = new Uint32Array(b.buffer);
  if (x === 0) return dir * 2 ** -149;
  u[0] = u[0]! + ((x > 0) === (dir > 0) ? 1 : -1);
  return b[0]!;
};

for (const f of FORMATS) {
  test(`${f.name}: all 65,536 patterns decode exactly; encoding rounds to nearest even at every value, midpoint and neighbour`, () => {
    const sorted: { v: number; h: number }[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = refValue(f, h), got = f.dec(h);
      if (Number.isNaN(want)) { assert.ok(Number.isNaN(got), `decode ${h.toString(16)}`); continue; }
      assert.ok(Object.is(got, want), `decode 0x${h.toString(16)}: ${got} vs ${want}`);
      if (h < 1 << (f.expBits + f.mantBits) && Number.isFinite(want)) sorted.push({ v: want, h });
    }
    sorted.sort((a, b) => a.v - b.v);
    let checked = 0;
    const check = (x: number) => {
      for (const y of [x, -x]) {
        const want = refEncode(f, sorted, y), got = f.enc(y);
        if (got !== want) assert.fail(`encode ${y}: got 0x${got.toString(16)}, expected 0x${want.toString(16)}`);
        checked++;
      }
    };
    for (let k = 0; k < sorted.length; k++) {
      const v = sorted[k]!.v;
      check(v);
      if (f.enc(v) !== sorted[k]!.h && v !== 0) assert.fail(`round trip of 0x${sorted[k]!.h.toString(16)}`);
      const next = k + 1 < sorted.length ? sorted[k + 1]!.v : v + (v - sorted[k - 1]!.v); // past max: the overflow midpoint
      const mid = Math.fround((v + next) / 2);
      assert.equal(mid, (v + next) / 2, 'midpoints are float32 values');
      check(mid);
      check(f32Next(mid, 1));
      check(f32Next(mid, -1));
    }
    check(Infinity);
    check(3.4028234663852886e38);
    check(2 ** -149);
    assert.equal(checked, sorted.length * 8 + 6, "every value, midpoint and neighbour, both signs");
    assert.equal(f.enc(NaN), f.nan);
    assert.ok(Number.isNaN(f.dec(f.nan)));
    assert.equal(f.enc(-0), 0x8000);
  });

  test(`${f.name} tensors: storage round trip of every finite pattern, float32-rounded arithmetic, promotion, autograd`, () => {
    const vals: number[] = [], pats: number[] = [];
    for (let h = 0; h < 65536; h++) { const v = refValue(f, h); if (!Number.isNaN(v)) { vals.push(v); pats.push(h); } }
    const t = nb.tensor(vals, { dtype: f.name });
    assert.equal(t.dtype, f.name);
    assert.deepEqual(Array.from(t.rawData()), pats, 'every non-NaN pattern survives storage');
    assert.deepEqual(t.dataArray(), vals.map((v) => Math.fround(v)));
    assert.equal(nb.memory.stats().backend, nb.getBackend());
    // arithmetic computes in float32 and rounds: a·b + c for random finite operands
    const g = new nb.Generator(5);
    const n = 4096;
    const pick = () => Array.from({ length: n }, () => refValue(f, (g.int(0, 2) << 15) | g.int(0, f.name === 'float16' ? 0x7c00 : 0x7f80)));
    const a = pick(), b = pick(), c = pick();
    const got = nb.tensor(a, { dtype: f.name }).mul(nb.tensor(b, { dtype: f.name })).add(nb.tensor(c, { dtype: f.name }));
    assert.equal(got.dtype, f.name);
    const want = a.map((x, i) => f.dec(f.enc(Math.fround(f.dec(f.enc(Math.fround(x * b[i]!))) + c[i]!))));
    got.dataArray().forEach((v, i) => assert.ok(Object.is(v, want[i]) || (Number.isNaN(v) && Number.isNaN(want[i]!)), `${a[i]}·${b[i]}+${c[i]}: ${v} vs ${want[i]}`));
    // sums accumulate in float32 and round once
    const s = nb.tensor([1, 2 ** -9, 2 ** -9, 2 ** -9, 2 ** -9], { dtype: f.name }).sum();
    assert.equal(s.dtype, f.name);
    assert.equal(s.item(), f.dec(f.enc(1 + 4 * 2 ** -9)));
    // promotion: half with float32 → float32; bfloat16 with float16 → float32; half with a scalar stays half
    assert.equal(nb.tensor([1], { dtype: f.name }).add(nb.tensor([1])).dtype, 'float32');
    assert.equal(nb.tensor([1], { dtype: 'bfloat16' }).add(nb.tensor([1], { dtype: 'float16' })).dtype, 'float32');
    assert.equal(nb.tensor([1], { dtype: f.name }).mul(0.1).dtype, f.name);
    // .to and back; views, in-place writes and gradients keep the dtype
    const x = nb.tensor([[0.1, 0.2], [0.3, 0.4]]).to(f.name).requiresGrad_();
    assert.deepEqual(x.dataArray(), [0.1, 0.2, 0.3, 0.4].map((v) => f.dec(f.enc(v))));
    const y = x.transpose(0, 1).matmul(x).sum();
    y.backward();
    assert.equal(x.grad!.dtype, f.name);
    assert.equal(x.grad!.to('float32').dtype, 'float32');
    const z = nb.zeros([2, 3], { dtype: f.name });
    z.narrow(1, 1, 2).fill_(1 / 3);
    assert.deepEqual(z.dataArray(), [0, f.dec(f.enc(1 / 3)), f.dec(f.enc(1 / 3)), 0, f.dec(f.enc(1 / 3)), f.dec(f.enc(1 / 3))]);
    const before = nb.memory.stats().bytesInUse;
    const big = nb.zeros([1000], { dtype: f.name });
    assert.equal(nb.memory.stats().bytesInUse - before, 2000, '2 bytes per element');
    big.dispose();
  });
}
