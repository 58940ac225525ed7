/**
 * Optimizer options pinned by the mutation review (tools/mutation): every positional constructor form maps
 * each argument to its own option (PyTorch's order), type errors name the optimizer, and a weight decay or
 * momentum of 0 is skipped as in PyTorch, not applied as "+ 0·p" (which turns an infinite parameter into NaN)
 * nor kept as state (SGD/RMSprop with momentum 0 hold no momentum_buffer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const w = () => nb.zeros([2], { requiresGrad: true });
const group = (o: { paramGroups: readonly object[] }) => o.paramGroups[0] as Record<string, unknown>;

test('positional constructors: each argument lands in its own option (PyTorch order)', () => {
  const O = nb.optim;
  const pick = (o: { paramGroups: readonly object[] }, keys: string[]) => keys.map((k) => group(o)[k]);
  assert.deepEqual(pick(new O.SGD([w()], 0.1, 0.2, 0.3, 0.4, false), ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']), [0.1, 0.2, 0.3, 0.4, false]);
  assert.deepEqual(pick(new O.Adagrad([w()], 0.1, 0.2, 0.3, 0.4, 0.5), ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(pick(new O.RMSprop([w()], 0.1, 0.2, 0.3, 0.4, 0.5, true), ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']), [0.1, 0.2, 0.3, 0.4, 0.5, true]);
  assert.deepEqual(pick(new O.LAMB([w()], 0.1, [0.2, 0.3], 0.4, 0.5), ['lr', 'betas', 'eps', 'weightDecay']), [0.1, [0.2, 0.3], 0.4, 0.5]);
  assert.deepEqual(pick(new O.Adam([w()], 0.1, [0.2, 0.3], 0.4, 0.5, true), ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']), [0.1, [0.2, 0.3], 0.4, 0.5, true]);
  assert.deepEqual(pick(new O.AdamW([w()], 0.1, [0.2, 0.3], 0.4, 0.5, true), ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']), [0.1, [0.2, 0.3], 0.4, 0.5, true]);
  assert.deepEqual(pick(new O.Adafactor([w()], 0.1), ['lr']), [0.1]);
});

test('a wrong option type is a TypeError naming the optimizer and the option', () => {
  const cases: [string, () => unknown, string][] = [
    ['SGD', () => new nb.optim.SGD([w()], 0.1, 'x' as never), 'momentum'],
    ['Adagrad', () => new nb.optim.Adagrad([w()], 0.1, 'x' as never), 'lrDecay'],
    ['RMSprop', () => new nb.optim.RMSprop([w()], 0.1, 'x' as never), 'alpha'],
    ['LAMB', () => new nb.optim.LAMB([w()], 0.1, [0.9] as never), 'betas'],
    ['Adam', () => new nb.optim.Adam([w()], 0.1, [0.9, 0.99], 'x' as never), 'eps'],
    ['AdamW', () => new nb.optim.AdamW([w()], 0.1, [0.9, 0.99], 1e-8, 'x' as never), 'weightDecay'],
    ['Adafactor', () => new nb.optim.Adafactor([w()], 'x' as never), 'lr'],
  ];
  for (const [name, make, key] of cases) {
    assert.throws(make, (e: Error) => e instanceof TypeError && e.message.startsWith(`${name}: ${key} must be `), name);
  }
});

test('weight decay 0 and momentum 0 are skipped: an infinite parameter stays infinite, no momentum buffer is kept', () => {
  for (const [name, make] of [
    ['SGD', (ps: nb.Tensor[]) => new nb.optim.SGD(ps, { lr: 0.1 })],
    ['SGD momentum 0', (ps: nb.Tensor[]) => new nb.optim.SGD(ps, { lr: 0.1, momentum: 0 })],
    ['Adagrad', (ps: nb.Tensor[]) => new nb.optim.Adagrad(ps, { lr: 0.1 })],
    ['RMSprop', (ps: nb.Tensor[]) => new nb.optim.RMSprop(ps, { lr: 0.1 })],
    ['Adam', (ps: nb.Tensor[]) => new nb.optim.Adam(ps, { lr: 0.1 })],
  ] as const) {
    const p = nb.tensor([Infinity, 2], { dtype: 'float64', requiresGrad: true });
    const opt = make([p]);
    for (let i = 0; i < 2; i++) {
      p.grad = nb.tensor([1, 1], { dtype: 'float64' });
      opt.step();
    }
    const [a, b] = p.dataArray();
    assert.equal(a, Infinity, `${name}: the infinite entry became ${a}`);
    assert.ok(Number.isFinite(b) && b < 2, `${name}: ${b}`);
    const st = opt.state.get(p) ?? {};
    assert.equal('momentum_buffer' in st, false, `${name} keeps no momentum buffer`);
    assert.equal('grad_avg' in st, false, `${name} keeps no grad_avg (not centered)`);
    if (!name.startsWith('SGD')) assert.equal(Number(st.step), 2, `${name}: state.step counts the steps`);
  }
});

test('LAMB: option boundaries (eps 0 and betas 0 allowed, 1 and negatives refused); a zero update leaves the weights as they are', () => {
  const make = (o: object) => new nb.optim.LAMB([w()], { lr: 0.1, ...o });
  assert.doesNotThrow(() => make({ eps: 0 }));
  assert.doesNotThrow(() => make({ betas: [0, 0] }));
  for (const betas of [[1, 0.9], [-0.1, 0.9], [0.9, -0.1], [0.9, 1]]) {
    assert.throws(() => make({ betas }), (e: Error) => e instanceof RangeError && e.message === `LAMB: invalid betas [${betas}]`, String(betas));
  }
  // zero gradient on the first step: the update r is 0, so the trust ratio ‖w‖/‖r‖ must not be used (it is ∞)
  const p = nb.tensor([3, -4], { dtype: 'float64', requiresGrad: true });
  const opt = new nb.optim.LAMB([p], { lr: 0.1 });
  p.grad = nb.zeros([2], { dtype: 'float64' });
  opt.step();
  assert.deepEqual(p.dataArray(), [3, -4]);
});
