/** nb.utils: activation checkpointing (torch.utils.checkpoint). */
export { checkpoint, checkpointSequential, type CheckpointOptions } from './checkpoint.js';
