/**
 * Optimizer hyper-parameter checks, each with its message (found by mutation testing: these branches had no
 * test, so removing any check or its message survived).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const param = () => nb.zeros([2, 3]).requiresGrad_(true);

test('Adafactor rejects each out-of-range hyper-parameter, naming it and the value', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ beta2Decay: 0.1 }, /^Adafactor: beta2Decay should be <= 0 but is 0\.1$/],
    [{ beta2Decay: NaN }, /^Adafactor: beta2Decay should be <= 0 but is NaN$/],
    [{ eps: [-1e-30, 1e-3] }, /^Adafactor: epsilon1 should be >= 0 but is -1e-30$/],
    [{ eps: [NaN, 1e-3] }, /^Adafactor: epsilon1 should be >= 0 but is NaN$/],
    [{ eps: [null, -0.5] }, /^Adafactor: epsilon2 should be >= 0 but is -0\.5$/],
    [{ d: 0.99 }, /^Adafactor: clipping threshold d should be >= 1 but is 0\.99$/],
    [{ weightDecay: -0.01 }, /^Adafactor: invalid weightDecay value -0\.01$/],
  ];
  for (const [opts, re] of bad) {
    assert.throws(() => new nb.optim.Adafactor([param()], opts as never), (e: Error) => e instanceof RangeError && re.test(e.message), JSON.stringify(opts));
  }
  // the boundary values are accepted
  assert.doesNotThrow(() => new nb.optim.Adafactor([param()], { beta2Decay: 0, eps: [0, 0], d: 1, weightDecay: 0 }));
  assert.doesNotThrow(() => new nb.optim.Adafactor([param()], { eps: [null, 1e-3] }));
});

test('every optimizer rejects each out-of-range hyper-parameter, naming it and the value', () => {
  const { optim } = nb;
  type Ctor = new (p: nb.Tensor[], o: never) => unknown;
  const bad: [string, Ctor, Record<string, unknown>, RegExp][] = [
    ['Adagrad', optim.Adagrad as unknown as Ctor, { lrDecay: -1 }, /^Adagrad: invalid lrDecay value -1$/],
    ['Adagrad', optim.Adagrad as unknown as Ctor, { weightDecay: -1 }, /^Adagrad: invalid weightDecay value -1$/],
    ['Adagrad', optim.Adagrad as unknown as Ctor, { initialAccumulatorValue: -1 }, /^Adagrad: invalid initialAccumulatorValue -1$/],
    ['Adagrad', optim.Adagrad as unknown as Ctor, { eps: -1 }, /^Adagrad: invalid epsilon value -1$/],
    ['Adam', optim.Adam as unknown as Ctor, { eps: -1 }, /^Adam: invalid epsilon value -1$/],
    ['Adam', optim.Adam as unknown as Ctor, { betas: [1, 0.999] }, /^Adam: invalid beta parameter at index 0: 1$/],
    ['Adam', optim.Adam as unknown as Ctor, { betas: [-0.1, 0.999] }, /^Adam: invalid beta parameter at index 0: -0\.1$/],
    ['AdamW', optim.AdamW as unknown as Ctor, { betas: [0.9, 1] }, /^AdamW: invalid beta parameter at index 1: 1$/],
    ['AdamW', optim.AdamW as unknown as Ctor, { weightDecay: -1 }, /^AdamW: invalid weightDecay value -1$/],
    ['LAMB', optim.LAMB as unknown as Ctor, { eps: -1 }, /^LAMB: invalid epsilon value -1$/],
    ['LAMB', optim.LAMB as unknown as Ctor, { betas: [0.9, 1] }, /^LAMB: invalid betas \[0\.9,1\]$/],
    ['LAMB', optim.LAMB as unknown as Ctor, { weightDecay: -1 }, /^LAMB: invalid weightDecay value -1$/],
    ['LAMB', optim.LAMB as unknown as Ctor, { maxTrustRatio: 0 }, /^LAMB: invalid maxTrustRatio 0$/],
    ['RMSprop', optim.RMSprop as unknown as Ctor, { eps: -1 }, /^RMSprop: invalid epsilon value -1$/],
    ['RMSprop', optim.RMSprop as unknown as Ctor, { alpha: -1 }, /^RMSprop: invalid alpha value -1$/],
    ['RMSprop', optim.RMSprop as unknown as Ctor, { momentum: -1 }, /^RMSprop: invalid momentum value -1$/],
    ['RMSprop', optim.RMSprop as unknown as Ctor, { weightDecay: -1 }, /^RMSprop: invalid weightDecay value -1$/],
    ['SGD', optim.SGD as unknown as Ctor, { momentum: -1 }, /^SGD: invalid momentum value -1$/],
    ['SGD', optim.SGD as unknown as Ctor, { weightDecay: -1 }, /^SGD: invalid weightDecay value -1$/],
    ['SGD', optim.SGD as unknown as Ctor, { nesterov: true }, /^SGD: nesterov momentum requires a momentum and zero dampening$/],
    ['SGD', optim.SGD as unknown as Ctor, { nesterov: true, momentum: 0.9, dampening: 0.1 }, /nesterov momentum requires/],
    ['SGD', optim.SGD as unknown as Ctor, { lr: -0.1 }, /^SGD: invalid learning rate -0\.1$/],
  ];
  for (const [name, C, opts, re] of bad) {
    assert.throws(() => new C([param()], opts as never), (e: Error) => re.test(e.message), `${name} ${JSON.stringify(opts)}`);
  }
  // zero is a legal value for every "≥ 0" hyper-parameter
  assert.doesNotThrow(() => new nb.optim.Adagrad([param()], { lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 0 } as never));
  assert.doesNotThrow(() => new nb.optim.Adam([param()], { eps: 0, betas: [0, 0], weightDecay: 0 } as never));
  assert.doesNotThrow(() => new nb.optim.RMSprop([param()], { eps: 0, alpha: 0, momentum: 0, weightDecay: 0 } as never));
  assert.doesNotThrow(() => new nb.optim.SGD([param()], { momentum: 0.9, nesterov: true, lr: 0 } as never));
});
