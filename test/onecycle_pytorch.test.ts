/**
 * OneCycleLR against PyTorch 1.13's values: both anneal strategies, two and three phases, an integer and a
 * fractional phase boundary (pctStart·totalSteps − 1 = 2 and 1.45), lr and momentum at every step.
 * References produced once with /usr/bin/python3 (torch 1.13.1), for each row:
 *   opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
 *   s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=T, pct_start=pct,
 *                                           anneal_strategy='cos'|'linear', three_phase=False|True)
 *   record opt.param_groups[0]['lr'] and ['momentum'], then opt.step(); s.step()   (T times)
 * rounded to 15 decimals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';

const { optim } = nb;

const pytorch: { name: string; totalSteps: number; pctStart: number; lr: number[]; momentum: number[] }[] = [
  {name: 'cos', totalSteps: 10, pctStart: 0.3, lr: [0.04, 0.52, 1.0, 0.950484632013474, 0.811745653949763, 0.611262021936289, 0.388741978063711, 0.188258346050237, 0.049519367986526, 4e-06], momentum: [0.95, 0.9, 0.85, 0.854951556604879, 0.868825509907063, 0.888873953302184, 0.911126046697816, 0.931174490092937, 0.945048443395121, 0.95]},
  {name: 'linear', totalSteps: 10, pctStart: 0.3, lr: [0.04, 0.52, 1.0, 0.857143428571429, 0.714286857142857, 0.571430285714286, 0.428573714285714, 0.285717142857143, 0.142860571428571, 4e-06], momentum: [0.95, 0.9, 0.85, 0.864285714285714, 0.878571428571429, 0.892857142857143, 0.907142857142857, 0.921428571428571, 0.935714285714286, 0.95]},
  {name: 'threePhase cos', totalSteps: 10, pctStart: 0.3, lr: [0.04, 0.52, 1.0, 0.52, 0.04, 0.03618072185351, 0.02618172185351, 0.01382227814649, 0.00382327814649, 4e-06], momentum: [0.95, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]},
  {name: 'threePhase linear', totalSteps: 10, pctStart: 0.3, lr: [0.04, 0.52, 1.0, 0.52, 0.04, 0.0320008, 0.0240016, 0.0160024, 0.0080032, 4e-06], momentum: [0.95, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]},
  {name: 'cos', totalSteps: 7, pctStart: 0.35, lr: [0.04, 0.789369791373944, 0.964378262550171, 0.739969779104937, 0.405633579748733, 0.11452695450886, 4e-06], momentum: [0.95, 0.871940646731881, 0.853562187993735, 0.876003126102011, 0.909436879772646, 0.938547658739749, 0.95]},
  {name: 'linear', totalSteps: 7, pctStart: 0.35, lr: [0.04, 0.702068965517242, 0.879121362637363, 0.659342021978022, 0.439562681318681, 0.219783340659341, 4e-06], momentum: [0.95, 0.881034482758621, 0.862087912087912, 0.884065934065934, 0.906043956043956, 0.928021978021978, 0.95]},
  {name: 'threePhase cos', totalSteps: 7, pctStart: 0.35, lr: [0.04, 0.789369791373944, 0.697666314563159, 0.039897396729191, 0.02880900224285, 0.009423777721481, 4e-06], momentum: [0.95, 0.871940646731881, 0.881493092233004, 0.95, 0.95, 0.95, 0.95]},
  {name: 'threePhase linear', totalSteps: 7, pctStart: 0.35, lr: [0.04, 0.702068965517242, 0.635862068965517, 0.038709806451613, 0.025807870967742, 0.012905935483871, 4e-06], momentum: [0.95, 0.881034482758621, 0.887931034482759, 0.95, 0.95, 0.95, 0.95]},
];

for (const r of pytorch) {
  test(`OneCycleLR ${r.name}, totalSteps ${r.totalSteps}, pctStart ${r.pctStart}: lr and momentum match PyTorch at every step`, () => {
    const p = nb.zeros([1]).requiresGrad_(true);
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    const s = new optim.lrScheduler.OneCycleLR(opt, {
      maxLr: 1, totalSteps: r.totalSteps, pctStart: r.pctStart,
      annealStrategy: r.name.endsWith('linear') ? 'linear' : 'cos', threePhase: r.name.startsWith('threePhase'),
    });
    for (let e = 0; e < r.totalSteps; e++) {
      const g = opt.paramGroups[0]!;
      assert.ok(Math.abs(g.lr - r.lr[e]!) <= 1e-13, `step ${e}: lr ${g.lr}, PyTorch ${r.lr[e]}`);
      assert.ok(Math.abs((g.momentum as number) - r.momentum[e]!) <= 1e-13, `step ${e}: momentum ${g.momentum}, PyTorch ${r.momentum[e]}`);
      opt.step();
      s.step();
    }
  });
}
