/**
 * nb.distributed: torch.distributed for worker threads sharing memory (backend 'threads'). See processGroup.ts
 * for the collectives and spawn.ts for the launcher (`nabla run --nproc N script.js` calls spawn).
 */
export {
  initProcessGroup, destroyProcessGroup, isInitialized, isAvailable, getRank, getWorldSize,
  allReduce, broadcast, allGather, barrier, ReduceOp, type ReduceOpName, type InitProcessGroupOptions,
} from './processGroup.js';
export { spawn, WorkerFailedError, type SpawnOptions } from './spawn.js';
