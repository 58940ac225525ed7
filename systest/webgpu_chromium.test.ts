/**
 * The webgpu conformance suite (systest/webgpu/conformance.ts) in headless Chromium, whose WebGPU runs on
 * SwiftShader with --enable-unsafe-webgpu --enable-unsafe-swiftshader: the op table (forward vs float64
 * references, gradients vs the ts backend in float32), the MLP/CNN training comparison, the flash-attention
 * kernels and the fused GELU backward against the float64 references, and the tiny GPT's losses against the ts backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function serve(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (p === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>nabla webgpu</title>');
    const file = path.join(root, p);
    if (!file.startsWith(path.join(root, 'dist')) || !fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, () => resolve(server)));
}

test('webgpu backend in headless Chromium (SwiftShader)', async () => {
  const server = await serve();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'],
  });
  try {
    const page = await browser.newPage();
    const port = (server.address() as { port: number }).port;
    await page.goto(`http://localhost:${port}/`);
    const r = await page.evaluate(async () => {
      const nb = await import('/dist/src/index.js' as string);
      const suite = await import('/dist/systest/webgpu/conformance.js' as string);
      await nb.initBackend('webgpu');
      const device = nb.backendCapabilities('webgpu').device as string;
      const adapter = await (navigator as unknown as { gpu: GPU }).gpu.requestAdapter();
      const features = adapter ? [...adapter.features].sort().join(',') : 'no adapter';
      const table = await suite.runOpTable();
      const training = await suite.runTraining();
      const attention = await (await import('/dist/systest/webgpu/attention.js' as string)).runAttention();
      const gelu = await (await import('/dist/systest/webgpu/gelu.js' as string)).runGeluBackward();
      const gpt = await (await import('/dist/systest/webgpu/gpt.js' as string)).runGpt('ts', 40);
      return { device, features, table, training, attention, gelu, gpt };
    });
    console.log(`chromium webgpu adapter: ${r.device} (features: ${r.features}); op table: ${r.table.cases} cases, ${r.table.gradients} gradients; losses ${JSON.stringify(r.training.losses)}; attention: ${r.attention.cases} cases; GPT losses webgpu ${r.gpt.gpu[0]} → ${r.gpt.gpu[39]}, ts ${r.gpt.ref[0]} → ${r.gpt.ref[39]}`);
    assert.deepEqual(r.table.failures, []);
    assert.ok(r.table.cases > 100);
    assert.deepEqual(r.training.failures, []);
    assert.deepEqual(r.attention.failures, []);
    assert.equal(r.attention.cases, 8);
    assert.deepEqual(r.gelu.failures, []);
    assert.deepEqual(r.gpt.failures, []);
  } finally {
    await browser.close();
    server.close();
  }
});
