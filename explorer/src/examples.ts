/**
 * The notes' examples, one click away. Each may carry a hand-written backward (the notes' formulas in plain
 * JavaScript, from the forward values) that the page prints beside the engine's gradients.
 */
export interface Lookup {
  /** forward value of a named tensor, flattened */
  value(name: string): number[];
  /** shape of a named tensor */
  shape(name: string): number[];
  /** gradient of the output w.r.t. a named tensor, from the engine */
  grad(name: string): number[];
}

export interface CheckRow {
  label: string;
  formula: string;
  hand: number[];
  engine: number[];
}

export interface Example {
  id: string;
  title: string;
  source: string;
  note: string;
  check?: (l: Lookup) => CheckRow[];
}

const matT = (a: number[], rows: number, cols: number): number[] => {
  const out: number[] = [];
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out.push(a[i * cols + j]!);
  return out;
};
const matmul = (a: number[], b: number[], n: number, k: number, m: number): number[] => {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) out[i * m + j]! += a[i * k + p]! * b[p * m + j]!;
  return out;
};

export const EXAMPLES: Example[] = [
  {
    id: 'xyz',
    title: 'f = x + y·z',
    source: 'x = -2\ny = 5\nz = -4\nq = y * z\nf = x + q',
    note: 'The first example of the notes: add distributes the upstream 1 to x and q; mul swaps, so ∂f/∂y = z = −4 and ∂f/∂z = y = 5.',
    check: (l) => [
      { label: '∂f/∂x', formula: '1 (add distributes)', hand: [1], engine: l.grad('x') },
      { label: '∂f/∂y', formula: 'z', hand: l.value('z'), engine: l.grad('y') },
      { label: '∂f/∂z', formula: 'y', hand: l.value('y'), engine: l.grad('z') },
    ],
  },
  {
    id: 'patterns',
    title: 'the four patterns',
    source: 'x = 3\ny = -4\nz = 2\nw = -1\ns = x * y        # mul swaps\nm = max(z, w)    # max routes\nf = (s + m) * 2 + x   # add distributes; x is used twice: copy sums',
    note: 'add distributes the upstream unchanged, mul swaps the inputs, max routes everything to the larger input, and a value used twice sums the gradients from both uses.',
    check: (l) => [
      { label: '∂f/∂x', formula: '2·y + 1 (copy sums)', hand: [2 * l.value('y')[0]! + 1], engine: l.grad('x') },
      { label: '∂f/∂z', formula: '2 (max routes to z)', hand: [2], engine: l.grad('z') },
      { label: '∂f/∂w', formula: '0 (w lost the max)', hand: [0], engine: l.grad('w') },
    ],
  },
  {
    id: 'sigmoid-chain',
    title: 'the flat sigmoid chain',
    source: 'x = 3\na = x + 1\nb = a * 2\nc = -b\nd = c + 1\ne = d * 2\nf = sigmoid(e)',
    note: 'The "flat" code of the notes: the backward is the forward read upside down. Left: the hand-written backward (de = f(1−f), dd = 2·de, dc = dd, db = −dc, da = 2·db, dx = da); right: the engine.',
    check: (l) => {
      const f = l.value('f')[0]!;
      const de = f * (1 - f), dd = de * 2, dc = dd, db = -dc, da = db * 2, dx = da;
      return [
        { label: 'de', formula: 'f·(1 − f)', hand: [de], engine: l.grad('e') },
        { label: 'dd', formula: 'de·2', hand: [dd], engine: l.grad('d') },
        { label: 'dc', formula: 'dd·1', hand: [dc], engine: l.grad('c') },
        { label: 'db', formula: 'dc·(−1)', hand: [db], engine: l.grad('b') },
        { label: 'da', formula: 'db·2', hand: [da], engine: l.grad('a') },
        { label: 'dx', formula: 'da·1', hand: [dx], engine: l.grad('x') },
      ];
    },
  },
  {
    id: 'neuron',
    title: 'sigmoid neuron',
    source: 'w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\nf = sigmoid(w0*x0 + w1*x1 + w2)',
    note: 'A 2-input neuron: the sigmoid node has local derivative σ(1 − σ) = f(1 − f), so each weight gets f(1 − f) times its input and each input f(1 − f) times its weight.',
    check: (l) => {
      const f = l.value('f')[0]!, d = f * (1 - f);
      const v = (n: string) => l.value(n)[0]!;
      return [
        { label: '∂f/∂w0', formula: 'x0·f(1 − f)', hand: [v('x0') * d], engine: l.grad('w0') },
        { label: '∂f/∂x0', formula: 'w0·f(1 − f)', hand: [v('w0') * d], engine: l.grad('x0') },
        { label: '∂f/∂w1', formula: 'x1·f(1 − f)', hand: [v('x1') * d], engine: l.grad('w1') },
        { label: '∂f/∂x1', formula: 'w1·f(1 − f)', hand: [v('w1') * d], engine: l.grad('x1') },
        { label: '∂f/∂w2', formula: 'f(1 − f)', hand: [d], engine: l.grad('w2') },
      ];
    },
  },
  {
    id: 'logreg',
    title: 'logistic regression',
    source: 'w = [0.5, -0.3]\nx = [1, 2]\nb = 0.1\nconst y = 1\nz = sum(w * x) + b\na = sigmoid(z)\nloss = -(y * log(a) + (1 - y) * log(1 - a))',
    note: 'Binary cross-entropy on a sigmoid: the two derivatives cancel to ∂loss/∂z = a − y, so ∂w = (a − y)·x, ∂b = a − y, ∂x = (a − y)·w.',
    check: (l) => {
      const a = l.value('a')[0]!, y = 1;
      return [
        { label: '∂loss/∂z', formula: 'a − y', hand: [a - y], engine: l.grad('z') },
        { label: '∂loss/∂w', formula: '(a − y)·x', hand: l.value('x').map((v) => (a - y) * v), engine: l.grad('w') },
        { label: '∂loss/∂b', formula: 'a − y', hand: [a - y], engine: l.grad('b') },
        { label: '∂loss/∂x', formula: '(a − y)·w', hand: l.value('w').map((v) => (a - y) * v), engine: l.grad('x') },
      ];
    },
  },
  {
    id: 'softmax-ce',
    title: 'softmax + cross-entropy',
    source: '# logits whose softmax is [0.7, 0.2, 0.1]; the true class is 0\nz = log([0.7, 0.2, 0.1])\np = softmax(z)   # not part of the loss: shown below for reference\nloss = crossEntropy(z, 0)',
    note: 'loss = −log softmax(z)[y]. Its gradient w.r.t. the logits is p − onehot(y): [0.7 − 1, 0.2, 0.1] = [−0.3, 0.2, 0.1].',
    check: (l) => {
      const z = l.value('z');
      const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / s);
      return [
        { label: 'p = softmax(z)', formula: 'exp(z)/Σexp(z)', hand: p, engine: l.value('p') },
        { label: '∂loss/∂z', formula: 'p − onehot(0)', hand: p.map((v, i) => v - (i === 0 ? 1 : 0)), engine: l.grad('z') },
      ];
    },
  },
  {
    id: 'two-layer',
    title: 'two-layer network',
    source:
      'X = [[1, 2], [0, -1], [3, 1]]\nW1 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]\nb1 = [0.1, 0, -0.1]\n' +
      'W2 = [[0.2, -0.1], [-0.3, 0.4], [0.5, 0.2]]\nb2 = [0.05, -0.05]\n' +
      'h = relu(X @ W1 + b1)\ny = h @ W2 + b2\nloss = sum(y * y) / 2',
    note: 'For y = h·W2 + b2 with upstream ∂y: the weight gradient is hᵀ·∂y (a matmul) and the bias gradient is the column sums of ∂y (the bias was broadcast over rows, so its gradient sums over them).',
    check: (l) => {
      const [n, k] = l.shape('h') as [number, number];
      const m = l.shape('y')[1]!;
      const dy = l.grad('y'), h = l.value('h');
      const colSums = Array.from({ length: m }, (_, j) => dy.reduce((a, v, i) => (i % m === j ? a + v : a), 0));
      return [
        { label: '∂W2', formula: 'hᵀ · ∂y', hand: matmul(matT(h, n, k), dy, k, n, m), engine: l.grad('W2') },
        { label: '∂b2', formula: 'column sums of ∂y', hand: colSums, engine: l.grad('b2') },
      ];
    },
  },
];
