#!/usr/bin/env node
/**
 * Browser smoke test (manual; needs a Chromium binary, which CI machines do not have): serves the built
 * package, loads it in headless Chromium twice — cross-origin isolated (shared memory, worker threads) and
 * not (one thread) — and checks the notes' first example, a short training loop and a convolution.
 *   npm run build && node tools/browser-smoke.mjs [path-to-chromium]
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const chromium = process.argv[2] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
if (!chromium) {
  console.error('browser-smoke: no Chromium found; pass its path as the first argument');
  process.exit(2);
}

const page = `<!doctype html><pre id="out">running</pre><script type="module">
const out = document.getElementById('out');
try {
  const nb = await import('/dist/src/index.js');
  const be = (await import('/dist/src/backends/registry.js')).currentBackend();
  const r = { backend: nb.getBackend(), isolated: self.crossOriginIsolated, threads: be.threads, relaxedSimd: be.features?.relaxed };
  const x = nb.tensor(-2, { requiresGrad: true }), y = nb.tensor(5, { requiresGrad: true }), z = nb.tensor(-4, { requiresGrad: true });
  const f = x.add(y.mul(z)); f.backward();
  r.f = [f.item(), x.grad.item(), y.grad.item(), z.grad.item()];
  const g = new nb.Generator(0);
  const model = new nb.nn.Sequential(new nb.nn.Linear(8, 32, { generator: g }), new nb.nn.ReLU(), new nb.nn.Linear(32, 3, { generator: g }));
  const opt = new nb.optim.AdamW(model.parameters(), { lr: 1e-2 });
  const X = nb.randn([64, 8], { generator: g }), Y = nb.randint(0, 3, [64], { generator: g });
  const losses = [];
  for (let i = 0; i < 200; i++) losses.push(nb.scope(() => { const l = nb.crossEntropy(model.call(X), Y); opt.zeroGrad(); l.backward(); opt.step(); return l.item(); }));
  r.loss = [losses[0], losses[199]];
  const big = nb.randn([256, 256], { generator: g });
  r.matmul = nb.matmul(big, big).sum().item() === nb.matmul(big, big).sum().item();
  // a GEMM with ragged tiles, a k-block edge and a transposed operand (the shape backward makes) against plain
  // float64 loops: the worker threads and the relaxed-SIMD kernels run here as in Node
  const A = nb.randn([130, 257], { generator: g }), B = nb.randn([70, 257], { generator: g });
  const C = nb.matmul(A, B.transpose(0, 1)).data(), a = A.data(), b = B.data();
  let err = 0;
  for (let i = 0; i < 130; i++) for (let j = 0; j < 70; j++) {
    let s = 0;
    for (let k = 0; k < 257; k++) s += a[i * 257 + k] * b[j * 257 + k];
    err = Math.max(err, Math.abs(C[i * 70 + j] - s) / (1 + Math.abs(s)));
  }
  r.matmulErr = err;
  r.conv = nb.conv2d(nb.randn([2, 1, 28, 28], { generator: g }), nb.randn([4, 1, 3, 3], { generator: g }), null, { padding: 1 }).shape;
  await fetch('/result', { method: 'POST', body: JSON.stringify(r) });
} catch (e) { await fetch('/result', { method: 'POST', body: JSON.stringify({ error: String(e.stack) }) }); }
</script>`;

/** Serve the page and dist/; resolves `result` with what the page POSTs to /result. */
function serve(isolated) {
  const headers = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' } : {};
  let report;
  const result = new Promise((resolve) => (report = resolve));
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (p === '/') return res.writeHead(200, { 'content-type': 'text/html', ...headers }).end(page);
    if (p === '/result') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => { res.writeHead(204).end(); report(JSON.parse(body)); });
      return;
    }
    const file = path.join(root, p);
    if (!file.startsWith(path.join(root, 'dist')) || !fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream', ...headers }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, () => resolve({ server, result })));
}

let failed = false;
for (const isolated of [true, false]) {
  const { server, result } = await serve(isolated);
  const browser = spawn(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', `--user-data-dir=${fs.mkdtempSync('/tmp/nabla-smoke-')}`, `http://localhost:${server.address().port}/`], { stdio: 'ignore' });
  const timeout = new Promise((resolve) => setTimeout(() => resolve({ error: 'no result within 120 s' }), 120_000));
  const r = await Promise.race([result, timeout]);
  browser.kill();
  server.close();
  const ok = !r.error && r.backend === 'wasm' && r.isolated === isolated && JSON.stringify(r.f) === '[-22,1,-4,5]' && r.loss[1] < r.loss[0] * 0.1 && r.matmul && r.matmulErr < 1e-4 && JSON.stringify(r.conv) === '[2,4,28,28]';
  failed ||= !ok;
  console.log(`cross-origin isolated=${isolated}: ${ok ? 'ok' : 'FAILED'} ${JSON.stringify(r)}`);
}
process.exit(failed ? 1 : 0);
