/** nb.data: datasets, batching and splitting (torch.utils.data's map-style API). */
export { type Dataset, TensorDataset, Subset, randomSplit, permutation } from './dataset.js';
export { DataLoader, defaultCollate, type DataLoaderOptions, type Collated } from './dataLoader.js';
export { DistributedSampler, type DistributedSamplerOptions } from './distributedSampler.js';
