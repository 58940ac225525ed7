/**
 * The webgpu conformance suite (systest/webgpu/conformance.ts) in headless Chromium, whose WebGPU runs on
 * SwiftShader with --enable-unsafe-webgpu --enable-unsafe-swiftshader: the op table (forward vs float64
 * references, gradients vs the ts backend in float32) and the MLP/CNN training comparison.
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
      const table = await suite.runOpTable();
      const training = await suite.runTraining();
      return { device, table, training };
    });
    console.log(`chromium webgpu adapter: ${r.device}; op table: ${r.table.cases} cases, ${r.table.gradients} gradients; losses ${JSON.stringify(r.training.losses)}`);
    assert.deepEqual(r.table.failures, []);
    assert.ok(r.table.cases > 100);
    assert.deepEqual(r.training.failures, []);
  } finally {
    await browser.close();
    server.close();
  }
});
