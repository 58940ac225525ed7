/**
 * The entry of each worker thread the launcher (spawn.ts) starts: it publishes the rank's process-group
 * description for initProcessGroup(), gives the script its own argv (process.argv = [node, script, ...args], as
 * when run directly), and runs the script. If the script throws, the group is stopped at once with this rank's
 * error (ranks waiting in a collective then fail naming this rank) and the error goes on to the launcher.
 */
import { workerData } from 'node:worker_threads';
import { GROUP_SLOT, abortGroup, describeError, type SharedGroupInit } from './shared.js';

const data = workerData as { nablaDistributed: SharedGroupInit; scriptUrl: string; scriptPath: string; argv: string[] };
const init = data.nablaDistributed;
(globalThis as Record<symbol, unknown>)[GROUP_SLOT] = init;
process.argv = [process.argv[0]!, data.scriptPath, ...data.argv];
try {
  await import(data.scriptUrl);
} catch (e) {
  abortGroup(init.sab, init.rank, describeError(e));
  throw e;
}
