/**
 * A two-layer network trained on a 2-D spiral (3 classes), with its backward also written out by hand:
 *
 *   hidden = act(X·W1 + b1)       act = ReLU (max(0, ·)) or sigmoid
 *   scores = hidden·W2 + b2       loss = softmax cross-entropy, mean over the batch
 *
 * Parameters are laid out as W [in, out] with Y = X·W + b (not nn.Linear's [out, in]).
 * Before training, the gradients from nabla's autograd are compared with this hand-written backward:
 *
 *   dscores = (softmax(scores) − onehot(y)) / N
 *   dW2 = hiddenᵀ·dscores          db2 = Σ_rows dscores
 *   dhidden = dscores·W2ᵀ,  masked where hidden ≤ 0 (ReLU)  or  ⊙ hidden(1 − hidden) (sigmoid)
 *   dW1 = Xᵀ·dhidden               db1 = Σ_rows dhidden
 *
 * and also the rule "weight gradient = xᵀ·∂y, bias gradient = column sums of ∂y" with ∂y taken from autograd itself.
 *
 *   npm run example:twolayer
 *   node dist/examples/twoLayerNet.js --activation sigmoid --steps 2000
 */
import { pathToFileURL } from 'node:url';
import * as nb from '../src/index.js';

export type Activation = 'relu' | 'sigmoid';

export interface TwoLayerOptions {
  /** hidden nonlinearity (default relu) */
  activation?: Activation;
  /** hidden units (default 64) */
  hidden?: number;
  /** points per class (default 100) */
  pointsPerClass?: number;
  /** classes, i.e. spiral arms (default 3) */
  classes?: number;
  /** full-batch SGD steps (default 600) */
  steps?: number;
  /** learning rate (default 0.5 for relu, 2 for sigmoid) */
  lr?: number;
  /** SGD momentum (default 0.9) */
  momentum?: number;
  /** seed of the data and the initial weights (default 0) */
  seed?: number;
  /** print nothing */
  quiet?: boolean;
  /** print every this many steps (default steps/10) */
  logEvery?: number;
}

export interface GradientCheck {
  /** max |autograd − hand-written backward| per parameter */
  vsHand: { W1: number; b1: number; W2: number; b2: number };
  /** max |W.grad − xᵀ·∂y| and |b.grad − Σ_rows ∂y| per layer, ∂y from autograd (retainGrad) */
  vsRule: { W1: number; b1: number; W2: number; b2: number };
}

export interface TwoLayerResult {
  activation: Activation;
  check: GradientCheck;
  /** loss before each step, and after the last (steps + 1 entries) */
  losses: number[];
  /** training accuracy in [0, 1] after each logged step */
  accuracies: { step: number; accuracy: number }[];
  initialLoss: number;
  finalLoss: number;
  finalAccuracy: number;
}

/** The spiral data set of CS231n's neural-network case study: K arms of N noisy points each. */
export function spiral(pointsPerClass: number, classes: number, gen: nb.Generator): { x: nb.Tensor; y: nb.Tensor } {
  const n = pointsPerClass * classes;
  const xs = new Float64Array(n * 2);
  const ys = new Int32Array(n);
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const r = pointsPerClass === 1 ? 0 : i / (pointsPerClass - 1);
      const t = k * 4 + (4 * i) / Math.max(1, pointsPerClass - 1) + gen.normal() * 0.2;
      const idx = k * pointsPerClass + i;
      xs[2 * idx] = r * Math.sin(t);
      xs[2 * idx + 1] = r * Math.cos(t);
      ys[idx] = k;
    }
  }
  return { x: nb.tensor(xs, { dtype: 'float64', shape: [n, 2] }), y: nb.tensor(ys, { dtype: 'int32', shape: [n] }) };
}

/** Y = X·W + b twice, with W as [in, out] (the [in, out] layout). */
export class TwoLayerNet extends nb.nn.Module {
  W1: nb.Tensor;
  b1: nb.Tensor;
  W2: nb.Tensor;
  b2: nb.Tensor;
  /** the last forward's intermediates, kept for the gradient check */
  last: { y1: nb.Tensor; hidden: nb.Tensor; scores: nb.Tensor } | null = null;

  constructor(inputs: number, hidden: number, outputs: number, readonly activation: Activation, gen: nb.Generator) {
    super();
    // He (ReLU) / Xavier (sigmoid) scaled normal weights, zero biases
    const scale1 = activation === 'relu' ? Math.sqrt(2 / inputs) : Math.sqrt(1 / inputs);
    this.W1 = nb.nn.parameter(nb.randn([inputs, hidden], { dtype: 'float64', generator: gen }).mul(scale1));
    this.b1 = nb.nn.parameter(nb.zeros([hidden], { dtype: 'float64' }));
    this.W2 = nb.nn.parameter(nb.randn([hidden, outputs], { dtype: 'float64', generator: gen }).mul(Math.sqrt(1 / hidden)));
    this.b2 = nb.nn.parameter(nb.zeros([outputs], { dtype: 'float64' }));
  }

  forward(x: nb.Tensor): nb.Tensor {
    const y1 = x.matmul(this.W1).add(this.b1);
    const hidden = this.activation === 'relu' ? y1.relu() : y1.sigmoid();
    const scores = hidden.matmul(this.W2).add(this.b2);
    this.last = { y1, hidden, scores };
    return scores;
  }
}

// ------------------------------------------------------------------ plain-JS matrix helpers (row-major)

/** aᵀ·b for a [n, p], b [n, q] → [p, q] */
function tMatmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, p: number, q: number): Float64Array {
  const out = new Float64Array(p * q);
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) out[i * q + j]! += a[r * p + i]! * b[r * q + j]!;
  return out;
}
/** a·bᵀ for a [n, q], b [p, q] → [n, p] */
function matmulT(a: ArrayLike<number>, b: ArrayLike<number>, n: number, q: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < q; j++) s += a[r * q + j]! * b[i * q + j]!;
    out[r * p + i] = s;
  }
  return out;
}
/** column sums of a [n, q] */
function colSums(a: ArrayLike<number>, n: number, q: number): Float64Array {
  const out = new Float64Array(q);
  for (let r = 0; r < n; r++) for (let j = 0; j < q; j++) out[j]! += a[r * q + j]!;
  return out;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** One forward/backward on (x, y); compares autograd with the hand-written formulas. Leaves .grad populated. */
export function gradientCheck(model: TwoLayerNet, x: nb.Tensor, y: nb.Tensor): GradientCheck {
  model.zeroGrad();
  const scores = model.forward(x);
  const { y1, hidden } = model.last!;
  y1.retainGrad();
  hidden.retainGrad();
  scores.retainGrad();
  const loss = nb.nn.functional.crossEntropy(scores, y);
  loss.backward();

  const [n, d] = x.shape as [number, number];
  const h = model.W1.shape[1]!;
  const c = model.W2.shape[1]!;
  const X = x.data(), H = hidden.data(), S = scores.data(), W2 = model.W2.data(), labels = y.data();

  // the hand-written backward of the header comment, step by step
  const dscores = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, S[r * c + j]!);
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(S[r * c + j]! - mx);
    for (let j = 0; j < c; j++) dscores[r * c + j] = (Math.exp(S[r * c + j]! - mx) / z - (labels[r] === j ? 1 : 0)) / n;
  }
  const dW2 = tMatmul(H, dscores, n, h, c);
  const db2 = colSums(dscores, n, c);
  const dhidden = matmulT(dscores, W2, n, c, h);
  for (let k = 0; k < dhidden.length; k++) {
    if (model.activation === 'relu') {
      if (H[k]! <= 0) dhidden[k] = 0;
    } else dhidden[k]! *= H[k]! * (1 - H[k]!);
  }
  const dW1 = tMatmul(X, dhidden, n, d, h);
  const db1 = colSums(dhidden, n, h);

  // the rule with ∂y from autograd: W.grad = xᵀ·∂y, b.grad = column sums of ∂y
  const dy1 = y1.grad!.data(), dy2 = scores.grad!.data();
  return {
    vsHand: {
      W1: maxAbsDiff(model.W1.grad!.data(), dW1),
      b1: maxAbsDiff(model.b1.grad!.data(), db1),
      W2: maxAbsDiff(model.W2.grad!.data(), dW2),
      b2: maxAbsDiff(model.b2.grad!.data(), db2),
    },
    vsRule: {
      W1: maxAbsDiff(model.W1.grad!.data(), tMatmul(X, dy1, n, d, h)),
      b1: maxAbsDiff(model.b1.grad!.data(), colSums(dy1, n, h)),
      W2: maxAbsDiff(model.W2.grad!.data(), tMatmul(H, dy2, n, h, c)),
      b2: maxAbsDiff(model.b2.grad!.data(), colSums(dy2, n, c)),
    },
  };
}

export function accuracy(scores: nb.Tensor, y: nb.Tensor): number {
  return scores.argmax(1).eq(y).float().mean().item();
}

export function run(opts: TwoLayerOptions = {}): TwoLayerResult {
  const activation = opts.activation ?? 'relu';
  const hiddenUnits = opts.hidden ?? 64;
  const perClass = opts.pointsPerClass ?? 100;
  const classes = opts.classes ?? 3;
  const steps = opts.steps ?? 600;
  const lr = opts.lr ?? (activation === 'relu' ? 0.5 : 2);
  const momentum = opts.momentum ?? 0.9;
  const logEvery = opts.logEvery ?? Math.max(1, Math.round(steps / 10));
  const log = opts.quiet ? () => {} : (s = '') => console.log(s);

  const gen = new nb.Generator(opts.seed ?? 0);
  const { x, y } = spiral(perClass, classes, gen);
  const model = new TwoLayerNet(2, hiddenUnits, classes, activation, gen);

  log(`Two-layer network: scores = W2·${activation}(X·W1 + b1) + b2, on a ${classes}-arm spiral of ${x.shape[0]} points`);
  log(`  X [${x.shape}], W1 [${model.W1.shape}], W2 [${model.W2.shape}]; full-batch SGD, lr ${lr}, momentum ${momentum}, ${steps} steps`);
  log();

  const check = gradientCheck(model, x, y);
  const e = (v: number) => v.toExponential(1);
  log('gradient check at the initial weights (max |difference|, float64):');
  log(`  autograd vs the hand-written backward     W1 ${e(check.vsHand.W1)}  b1 ${e(check.vsHand.b1)}  W2 ${e(check.vsHand.W2)}  b2 ${e(check.vsHand.b2)}`);
  log(`  W.grad vs xᵀ·∂y, b.grad vs Σ_rows ∂y      W1 ${e(check.vsRule.W1)}  b1 ${e(check.vsRule.b1)}  W2 ${e(check.vsRule.W2)}  b2 ${e(check.vsRule.b2)}`);
  log();

  const opt = new nb.optim.SGD(model.parameters(), { lr, momentum });
  const losses: number[] = [];
  const accuracies: { step: number; accuracy: number }[] = [];
  log('  step      loss   train accuracy');
  for (let step = 0; step <= steps; step++) {
    const { loss, acc } = nb.scope(() => {
      opt.zeroGrad();
      const scores = model.forward(x);
      const l = nb.nn.functional.crossEntropy(scores, y);
      const lossValue = l.item();
      const logged = step % logEvery === 0 || step === steps;
      const a = logged ? accuracy(scores, y) : NaN;
      if (step < steps) {
        l.backward();
        opt.step();
      }
      return { loss: lossValue, acc: a };
    });
    model.last = null;
    losses.push(loss);
    if (!Number.isNaN(acc)) {
      accuracies.push({ step, accuracy: acc });
      log(`  ${String(step).padStart(4)}  ${loss.toFixed(4).padStart(8)}   ${(acc * 100).toFixed(1)}%`);
    }
  }
  const finalAccuracy = accuracies[accuracies.length - 1]!.accuracy;
  log();
  log(`loss ${losses[0]!.toFixed(4)} → ${losses[losses.length - 1]!.toFixed(4)}, training accuracy ${(finalAccuracy * 100).toFixed(1)}%`);
  return { activation, check, losses, accuracies, initialLoss: losses[0]!, finalLoss: losses[losses.length - 1]!, finalAccuracy };
}

function parseFlags(argv: string[]): TwoLayerOptions {
  const o: TwoLayerOptions = {};
  const usage = 'usage: twoLayerNet [--activation relu|sigmoid] [--hidden N] [--steps N] [--lr N] [--momentum N] [--seed N]';
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!, value = argv[i + 1];
    if (value === undefined) throw new Error(usage);
    if (name === '--activation') {
      if (value !== 'relu' && value !== 'sigmoid') throw new Error(usage);
      o.activation = value;
      continue;
    }
    const v = Number(value);
    if (!Number.isFinite(v)) throw new Error(usage);
    if (name === '--hidden') o.hidden = v;
    else if (name === '--steps') o.steps = v;
    else if (name === '--lr') o.lr = v;
    else if (name === '--momentum') o.momentum = v;
    else if (name === '--seed') o.seed = v;
    else throw new Error(`${usage} (unknown "${name}")`);
  }
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(parseFlags(process.argv.slice(2)));
}
