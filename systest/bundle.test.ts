/**
 * nabla as a browser dependency: bundled by Vite (Rolldown, minified), a page that uses only tensors and autograd
 * must not carry the Node-only file code, the checkpoint files, the CLI, attention or the optimizers; a small
 * training page must not carry the Node-only code either. Prints the sizes (minified and gzipped) for the README.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Measured { page: string; minBytes: number; gzipBytes: number; found: Record<string, boolean> }

test('browser bundles tree-shake what a page does not use', async () => {
  const tool = (await import(pathToFileURL(path.join(root, 'tools', 'bundle-size.mjs')).href)) as {
    PAGES: Record<string, string>; measure(name: string, code: string): Promise<Measured>;
  };
  const autograd = await tool.measure('autograd', tool.PAGES.autograd!);
  const train = await tool.measure('train', tool.PAGES.train!);
  const all = await tool.measure('all', tool.PAGES.all!);
  for (const m of [autograd, train, all]) console.log(`bundle ${m.page}: ${(m.minBytes / 1024).toFixed(1)} KiB minified, ${(m.gzipBytes / 1024).toFixed(1)} KiB gzip`);
  assert.deepEqual(autograd.found, { nodeOnly: false, checkpointFiles: false, mnistFromDisk: false, cli: false, attention: false, optimizers: false });
  assert.deepEqual(train.found, { nodeOnly: false, checkpointFiles: false, mnistFromDisk: false, cli: false, attention: false, optimizers: false });
  // the markers do exist in the library: the whole namespace carries them (so their absence above means something)
  assert.equal(all.found.checkpointFiles && all.found.attention && all.found.optimizers && all.found.mnistFromDisk, true);
  assert.ok(autograd.gzipBytes < all.gzipBytes, 'importing less ships less');
});
