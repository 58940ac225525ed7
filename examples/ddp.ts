/**
 * Data-parallel training of an MNIST MLP (784-128-10, AdamW) with nb.distributed:
 *
 *   npx tsc -p tsconfig.json && node dist/cli/main.js run --nproc 2 dist/examples/ddp.js --epochs 2
 *
 * Each rank (a worker thread started by `nabla run`) joins the process group, wraps the same model in
 * DistributedDataParallel (rank 0's initial weights are broadcast), and reads its own share of every epoch
 * through a DistributedSampler; gradients are averaged across ranks during backward, so the ranks' weights stay
 * identical and the effective batch is nproc × --batch. Rank 0 prints the loss and the test accuracy, and checks
 * that every rank ends with the same weights. Run it directly (`node dist/examples/ddp.js`) for one rank.
 *
 * Options: --epochs N (default 2), --batch B per rank (default 64), --lr (default 0.002).
 */
import * as nb from '../src/index.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`ddp example: --${name} expects a positive number, got ${process.argv[i + 1]}`);
  return v;
}

const epochs = option('epochs', 2), batchSize = option('batch', 64), lr = option('lr', 0.002);
nb.distributed.initProcessGroup(); // joins the launcher's group (a group of one when run directly)
const rank = nb.distributed.getRank(), world = nb.distributed.getWorldSize();
const log = (...a: unknown[]) => { if (rank === 0) console.log(...a); };

const { train, test } = nb.datasets.mnist({ flatten: true });
const trainSet = new nb.data.TensorDataset(train.images, train.labels);
const sampler = new nb.data.DistributedSampler(trainSet, { shuffle: true, seed: 0 });
const loader = new nb.data.DataLoader(trainSet, { batchSize, sampler });

nb.manualSeed(rank); // different initial weights on each rank: DistributedDataParallel makes them rank 0's
const model = new nb.nn.parallel.DistributedDataParallel(new nb.nn.Sequential(new nb.nn.Linear(784, 128), new nb.nn.ReLU(), new nb.nn.Linear(128, 10)));
const opt = new nb.optim.AdamW(model.parameters(), { lr });
log(`${world} rank(s), ${sampler.length} samples per rank per epoch, batch ${batchSize} per rank (${batchSize * world} in all)`);

for (let epoch = 0; epoch < epochs; epoch++) {
  sampler.setEpoch(epoch);
  const t0 = performance.now();
  let sum = 0, n = 0;
  for (const [x, y] of loader) {
    opt.zeroGrad();
    const loss = nb.crossEntropy(model.call(x!), y!);
    loss.backward(); // the gradients are averaged across ranks here
    opt.step();
    sum += loss.item(); n++;
  }
  // every rank's mean loss, averaged
  const meanLoss = nb.distributed.allReduce(nb.tensor([sum / n]), 'avg').item();
  const acc = nb.noGrad(() => model.call(test.images).argmax(1).eq(test.labels).float().mean().item());
  log(`epoch ${epoch + 1}: train loss ${meanLoss.toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// the replicas must hold the same weights: compare every rank's with rank 0's
const flat = nb.cat(model.parameters().map((p) => p.detach().reshape([-1])));
const mine = flat.clone();
nb.distributed.broadcast(flat, 0);
const maxDiff = nb.sub(flat, mine).abs().max().item();
const worst = nb.distributed.allReduce(nb.tensor([maxDiff]), 'max').item();
log(`max weight difference between ranks: ${worst}`);
if (worst !== 0) throw new Error(`ddp example: ranks' weights differ by ${worst}`);
nb.distributed.destroyProcessGroup();
