/**
 * Logistic regression on one input, the classic backpropagation demo:
 *
 *   z = w·x + b,   a = σ(z) = 1/(1 + e^(−z)),   loss = −[y·log(a) + (1 − y)·log(1 − a)]
 *
 *   ∂loss/∂a = (a − y)/(a(1 − a)),  ∂a/∂z = a(1 − a)   ⇒   ∂loss/∂z = a − y
 *   ∂loss/∂w = (a − y)·x,   ∂loss/∂b = a − y,   ∂loss/∂x = (a − y)·w
 *
 * then gradient descent w ← w − η·∂loss/∂w, b ← b − η·∂loss/∂b for a few steps.
 * Every gradient is taken from nabla's autograd and printed next to the hand formula.
 *
 *   npm run example:logreg
 *   node dist/examples/logisticRegression.js --x 1.5 --y 1 --w -0.8 --b 0.3 --lr 0.5 --steps 10
 */
import { pathToFileURL } from 'node:url';
import * as nb from '../src/index.js';

export interface LogRegOptions {
  /** the input (a scalar) */
  x?: number;
  /** the label, 0 or 1 */
  y?: number;
  /** initial weight */
  w?: number;
  /** initial bias */
  b?: number;
  /** learning rate η */
  lr?: number;
  /** gradient-descent steps */
  steps?: number;
  /** print nothing */
  quiet?: boolean;
}

export interface Grads {
  /** ∂loss/∂a */
  a: number;
  /** ∂loss/∂z */
  z: number;
  /** ∂loss/∂w */
  w: number;
  /** ∂loss/∂b */
  b: number;
  /** ∂loss/∂x */
  x: number;
}

export interface LogRegStep {
  step: number;
  w: number;
  b: number;
  z: number;
  a: number;
  loss: number;
  /** the gradients from nabla's autograd at this step */
  grad: Grads;
}

export interface LogRegResult {
  /** forward values at the initial parameters */
  z: number;
  a: number;
  loss: number;
  /** ∂loss/∂· at the initial parameters, from nabla's autograd (loss.backward()) */
  autograd: Grads;
  /** the same from the hand formulas above, in plain JS float64 */
  formula: Grads;
  /** one entry per gradient-descent step (step 0 = the initial parameters), plus the final parameters */
  history: LogRegStep[];
  /** loss at every entry of history */
  losses: number[];
  /** parameters after all steps */
  w: number;
  b: number;
}

const DEFAULTS: Required<Omit<LogRegOptions, 'quiet'>> = { x: 1.5, y: 1, w: -0.8, b: 0.3, lr: 0.5, steps: 10 };

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const f64 = (v: number, requiresGrad = false) => nb.tensor(v, { dtype: 'float64', requiresGrad });

/** The hand formulas of the header comment, in plain JS. */
export function handGradients(x: number, y: number, w: number, b: number): { z: number; a: number; loss: number; grad: Grads } {
  const z = w * x + b;
  const a = sigmoid(z);
  const loss = -(y * Math.log(a) + (1 - y) * Math.log(1 - a));
  return { z, a, loss, grad: { a: (a - y) / (a * (1 - a)), z: a - y, w: (a - y) * x, b: a - y, x: (a - y) * w } };
}

/** One forward and backward pass through nabla; w and b are the (leaf) parameters. */
function forwardBackward(xv: number, yv: number, w: nb.Tensor, b: nb.Tensor): { z: number; a: number; loss: number; grad: Grads } {
  const x = f64(xv, true); // requiresGrad only to show ∂loss/∂x as well
  const z = w.mul(x).add(b).retainGrad();
  const a = z.sigmoid().retainGrad();
  // loss = −[y·log(a) + (1 − y)·log(1 − a)], written out term by term
  const loss = a.log().mul(yv).add(a.neg().add(1).log().mul(1 - yv)).neg();
  w.grad = null;
  b.grad = null;
  loss.backward();
  return {
    z: z.item(),
    a: a.item(),
    loss: loss.item(),
    grad: { a: a.grad!.item(), z: z.grad!.item(), w: w.grad!.item(), b: b.grad!.item(), x: x.grad!.item() },
  };
}

export function run(opts: LogRegOptions = {}): LogRegResult {
  const o = { ...DEFAULTS, ...opts };
  if (o.y !== 0 && o.y !== 1) throw new RangeError(`logisticRegression: y must be 0 or 1, got ${o.y}`);
  const log = opts.quiet ? () => {} : (s = '') => console.log(s);
  const num = (v: number, d = 6) => (v >= 0 ? ' ' : '') + v.toFixed(d);

  const w = f64(o.w, true);
  const b = f64(o.b, true);

  // ---- one forward / backward pass, explained
  const first = forwardBackward(o.x, o.y, w, b);
  const hand = handGradients(o.x, o.y, o.w, o.b);
  log('Logistic regression on one input: z = w·x + b, a = σ(z), loss = −[y·log a + (1 − y)·log(1 − a)]');
  log(`  x = ${o.x}, y = ${o.y}, w = ${o.w}, b = ${o.b}`);
  log();
  log('forward');
  log(`  z    = w·x + b                      = ${num(first.z)}`);
  log(`  a    = σ(z) = 1/(1 + e^(−z))        = ${num(first.a)}`);
  log(`  loss = −[y·log a + (1−y)·log(1−a)]  = ${num(first.loss)}`);
  log();
  log(`backward     ${'autograd'.padStart(13)}   ${'hand formula'.padStart(13)}  ${'(by hand)'.padEnd(18)} |difference|`);
  const rows: [keyof Grads, string, string][] = [
    ['a', '∂loss/∂a', '(a − y)/(a(1 − a))'],
    ['z', '∂loss/∂z', 'a − y'],
    ['w', '∂loss/∂w', '(a − y)·x'],
    ['b', '∂loss/∂b', 'a − y'],
    ['x', '∂loss/∂x', '(a − y)·w'],
  ];
  for (const [k, label, formula] of rows) {
    const diff = Math.abs(first.grad[k] - hand.grad[k]);
    log(`  ${label.padEnd(10)} ${num(first.grad[k], 9)}   ${num(hand.grad[k], 9)}  ${formula.padEnd(18)} ${diff.toExponential(1)}`);
  }
  log();

  // ---- gradient descent: w ← w − η·∂loss/∂w, b ← b − η·∂loss/∂b
  log(`gradient descent, η = ${o.lr}`);
  log('  step          w          b       loss     ∂loss/∂w   ∂loss/∂b');
  const history: LogRegStep[] = [];
  let cur = first;
  for (let step = 0; ; step++) {
    const entry: LogRegStep = { step, w: w.item(), b: b.item(), z: cur.z, a: cur.a, loss: cur.loss, grad: cur.grad };
    history.push(entry);
    log(`  ${String(step).padStart(4)} ${num(entry.w)} ${num(entry.b)} ${num(entry.loss)} ${num(entry.grad.w)} ${num(entry.grad.b)}`);
    if (step === o.steps) break;
    nb.noGrad(() => {
      w.sub_(w.grad!.mul(o.lr));
      b.sub_(b.grad!.mul(o.lr));
    });
    cur = forwardBackward(o.x, o.y, w, b);
  }
  const losses = history.map((h) => h.loss);
  log();
  log(`loss ${losses[0]!.toFixed(6)} → ${losses[losses.length - 1]!.toFixed(6)} after ${o.steps} steps`);

  return { z: first.z, a: first.a, loss: first.loss, autograd: first.grad, formula: hand.grad, history, losses, w: w.item(), b: b.item() };
}

/** --name value pairs of numbers. */
function parseNumberFlags(argv: string[]): LogRegOptions {
  const out: Record<string, number> = {};
  const known = new Set(['x', 'y', 'w', 'b', 'lr', 'steps']);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!known.has(name) || !argv[i]!.startsWith('--') || !Number.isFinite(value)) {
      throw new Error(`usage: logisticRegression [--x N] [--y 0|1] [--w N] [--b N] [--lr N] [--steps N] (bad argument "${argv[i]}")`);
    }
    out[name] = value;
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(parseNumberFlags(process.argv.slice(2)));
}
