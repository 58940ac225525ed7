// Vite config of the backprop explorer. `nabla` resolves to the repo's compiled package (dist/src, built by tsc
// first), exactly what `import * as nb from 'nabla'` gets from npm. The dev and preview servers send COOP/COEP so
// the page is cross-origin isolated (SharedArrayBuffer → the wasm backend's worker pool).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { mnistDigitsPlugin } from './tools/mnistDigits.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  root: here,
  base: './', // relative URLs: the built site works from any folder of any static host
  resolve: { alias: { nabla: path.resolve(here, '../dist/src/index.js') } },
  plugins: [mnistDigitsPlugin()],
  server: { headers: isolation, fs: { allow: [path.resolve(here, '..')] } },
  preview: { headers: isolation },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: path.resolve(here, '../dist/explorer-site'), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
