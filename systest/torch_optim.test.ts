/**
 * Every optimizer of nabla that torch 1.13 has, with each of its options, against torch.optim (one
 * /usr/bin/python3 process): a small float64 MLP (Linear 3→4, tanh, Linear 4→2, MSE on fixed data) starts
 * from the same weights and takes 20 steps on both sides; the loss at every step, the final parameters and
 * the optimizer's state entries (exp_avg, momentum_buffer, square_avg, sum, …, step) must agree to 1e-12
 * relative. Adam and AdamW run with nabla's fused update and with the op-by-op one.
 * Not compared: LAMB and Adafactor (torch 1.13 has neither; their tests hold reference formulas).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import { maxRelErr, runTorch, toWire, type WireTensor } from './torch_bridge.js';

const f64 = 'float64' as const;
const STEPS = 20;

type Opts = Record<string, unknown>;
interface OptCase {
  opt: 'SGD' | 'RMSprop' | 'Adagrad' | 'Adam' | 'AdamW';
  options: Opts;
  /** two parameter groups: layer 0 with `options`, layer 2 with these overrides */
  group2?: Opts;
}

const CASES: OptCase[] = [
  { opt: 'SGD', options: { lr: 0.1 } },
  { opt: 'SGD', options: { lr: 0.1, momentum: 0.9 } },
  { opt: 'SGD', options: { lr: 0.1, momentum: 0.9, dampening: 0.5 } },
  { opt: 'SGD', options: { lr: 0.1, momentum: 0.9, nesterov: true } },
  { opt: 'SGD', options: { lr: 0.1, momentum: 0.8, weightDecay: 0.05 } },
  { opt: 'SGD', options: { lr: 0.02, weightDecay: 0.1, maximize: true } },
  { opt: 'SGD', options: { lr: 0.02, momentum: 0.9, nesterov: true, weightDecay: 0.01, maximize: true } },
  { opt: 'SGD', options: { lr: 0.1, momentum: 0.9 }, group2: { lr: 0.01, momentum: 0, weightDecay: 0.1 } },
  { opt: 'RMSprop', options: { lr: 0.01 } },
  { opt: 'RMSprop', options: { lr: 0.01, alpha: 0.9, eps: 1e-6 } },
  { opt: 'RMSprop', options: { lr: 0.01, momentum: 0.9 } },
  { opt: 'RMSprop', options: { lr: 0.01, centered: true } },
  { opt: 'RMSprop', options: { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.1 } },
  { opt: 'RMSprop', options: { lr: 0.005, maximize: true } },
  { opt: 'Adagrad', options: { lr: 0.1 } },
  { opt: 'Adagrad', options: { lr: 0.1, lrDecay: 0.05 } },
  { opt: 'Adagrad', options: { lr: 0.1, weightDecay: 0.1 } },
  { opt: 'Adagrad', options: { lr: 0.1, initialAccumulatorValue: 0.5, eps: 1e-6 } },
  { opt: 'Adagrad', options: { lr: 0.05, maximize: true, lrDecay: 0.01 } },
  { opt: 'Adam', options: { lr: 0.01 } },
  { opt: 'Adam', options: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-6 } },
  { opt: 'Adam', options: { lr: 0.01, weightDecay: 0.1 } },
  { opt: 'Adam', options: { lr: 0.01, amsgrad: true } },
  { opt: 'Adam', options: { lr: 0.01, amsgrad: true, weightDecay: 0.05, maximize: true } },
  { opt: 'Adam', options: { lr: 0.01 }, group2: { lr: 0.001, betas: [0.5, 0.6], amsgrad: true } },
  { opt: 'AdamW', options: { lr: 0.01 } },
  { opt: 'AdamW', options: { lr: 0.01, weightDecay: 0.1 } },
  { opt: 'AdamW', options: { lr: 0.01, amsgrad: true, weightDecay: 0.05 } },
  { opt: 'AdamW', options: { lr: 0.01, maximize: true, betas: [0.85, 0.95] } },
  { opt: 'AdamW', options: { lr: 0.01, weightDecay: 0.2 }, group2: { weightDecay: 0 } },
];

/** Adam and AdamW run twice: with the fused update (default) and op by op. */
const RUNS = CASES.flatMap((c) => (c.opt === 'Adam' || c.opt === 'AdamW' ? [{ ...c, fused: true }, { ...c, fused: false }] : [{ ...c, fused: undefined as boolean | undefined }]));

const PY = String.raw`
import re
import torch.nn as nn
req = json.load(sys.stdin)
X, Y = dec(req['X']), dec(req['Y'])
snake = lambda k: re.sub(r'([A-Z])', lambda m: '_' + m.group(1).lower(), k)
def kw(o): return {snake(k): (tuple(v) if isinstance(v, list) else v) for k, v in o.items()}
res = []
for c in req['cases']:
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    m.load_state_dict({k: dec(v) for k, v in req['init'].items()}, strict=True)
    Opt = getattr(torch.optim, c['opt'])
    if c.get('group2') is not None:
        o = Opt([{'params': m[0].parameters()}, dict(params=m[2].parameters(), **kw(c['group2']))], **kw(c['options']))
    else:
        o = Opt(m.parameters(), **kw(c['options']))
    losses = []
    for _ in range(req['steps']):
        o.zero_grad()
        loss = ((m(X) - Y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        o.step()
    params = [enc(p) for p in m.parameters()]
    state = []
    for p in m.parameters():
        st = o.state[p]
        state.append({k: (enc(v) if isinstance(v, torch.Tensor) else v) for k, v in st.items() if v is not None})
    res.append({'losses': losses, 'params': params, 'state': state})
print(json.dumps(res))
`;

test('optimizers against torch.optim 1.13: 20-step trajectories, final parameters and state (float64)', () => {
  const g = new nb.Generator(1611);
  const X = nb.randn([8, 3], { dtype: f64, generator: g });
  const Y = nb.randn([8, 2], { dtype: f64, generator: g });
  const init = new nb.nn.Sequential(new nb.nn.Linear(3, 4, { dtype: f64, generator: g }), new nb.nn.Tanh(), new nb.nn.Linear(4, 2, { dtype: f64, generator: g })).stateDict();

  const ours = RUNS.map((c) => {
    const m = new nb.nn.Sequential(new nb.nn.Linear(3, 4, { dtype: f64 }), new nb.nn.Tanh(), new nb.nn.Linear(4, 2, { dtype: f64 }));
    m.loadStateDict(init);
    const opts = c.fused === undefined ? c.options : { ...c.options, fused: c.fused };
    const Opt = (nb.optim as unknown as Record<string, new (...a: unknown[]) => nb.optim.Optimizer>)[c.opt]!;
    const params = c.group2 ? [{ params: m.at(0).parameters() }, { params: m.at(2).parameters(), ...c.group2 }] : m.parameters();
    const o = new Opt(params, opts);
    const losses: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      o.zeroGrad();
      const loss = nb.square(m.forward(X).sub(Y)).mean();
      loss.backward();
      losses.push(loss.item());
      o.step();
    }
    const sd = o.stateDict();
    return { losses, params: m.parameters(), state: m.parameters().map((_, i) => sd.state[String(i)] ?? {}) };
  });

  const theirs = runTorch<{ losses: number[]; params: WireTensor[]; state: Record<string, WireTensor | number>[] }[]>(PY, {
    X: toWire(X), Y: toWire(Y), steps: STEPS,
    init: Object.fromEntries(Object.entries(init).map(([k, v]) => [k, toWire(v)])),
    cases: RUNS.map((c) => ({ opt: c.opt, options: c.options, group2: c.group2 ?? null })),
  });

  const failures: string[] = [];
  let compared = 0;
  RUNS.forEach((c, i) => {
    const label = `${c.opt}(${JSON.stringify(c.options)}${c.group2 ? `, group 2 ${JSON.stringify(c.group2)}` : ''}${c.fused === undefined ? '' : c.fused ? ', fused' : ', op by op'})`;
    const a = ours[i]!, b = theirs[i]!;
    const le = maxRelErr(a.losses, b.losses);
    if (!(le <= 1e-12)) failures.push(`${label}: losses differ by ${le.toExponential(2)}`);
    a.params.forEach((p, j) => {
      const e = maxRelErr(p.dataArray(), b.params[j]!.data);
      if (!(e <= 1e-12)) failures.push(`${label}: parameter ${j} differs by ${e.toExponential(2)}`);
    });
    a.state.forEach((st, j) => {
      const tst = b.state[j]!;
      const keys = Object.keys(tst).sort();
      if (keys.join() !== Object.keys(st).sort().join()) failures.push(`${label}: state ${j} keys ${Object.keys(st).sort().join()} vs torch ${keys.join()}`);
      for (const k of keys) {
        const tv = tst[k]!, nv = st[k];
        const tvals = typeof tv === 'number' ? [tv] : tv.data;
        const nvals = nv instanceof nb.Tensor ? nv.dataArray() : typeof nv === 'number' ? [nv] : [];
        const e = maxRelErr(nvals, tvals);
        if (!(e <= 1e-12)) failures.push(`${label}: state ${j}.${k} differs by ${e.toExponential(2)}`);
      }
    });
    // the trajectory moved (a case whose parameters never change compares nothing)
    if (!(Math.abs(a.losses[0]! - a.losses[STEPS - 1]!) > 1e-6)) failures.push(`${label}: loss did not move`);
    compared++;
  });
  assert.deepEqual(failures, []);
  assert.equal(compared, RUNS.length);
});
