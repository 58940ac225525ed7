/** nb.datasets: ready-made datasets. */
export { mnist, type MnistOptions, type MnistSplit } from './datasets.js';
