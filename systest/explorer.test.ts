/**
 * The backprop explorer as a person uses it, in real Chromium: the production build (vite build) served by a
 * plain static server with COOP/COEP headers, driven by playwright-core. Checks the notes' numbers on the right
 * nodes, one backward step at a time, the softmax + cross-entropy gradient, checkpointing's lower memory peak,
 * a training loss that falls, and no console errors. Screenshots of each page go to out/systest/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const site = path.join(root, 'dist', 'explorer-site');
const shots = path.join(root, 'out', 'systest');

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.svg': 'image/svg+xml' };

/** A static file server: what any static host does, plus the two headers that make the page cross-origin isolated. */
function serveStatic(dir: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const file = path.join(dir, p === '/' ? 'index.html' : p);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let server: http.Server, browser: Browser, page: Page, base: string;
const problems: string[] = [];

before(async () => {
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'explorer', 'vite.config.mjs'), logLevel: 'error' });
  assert.ok(fs.existsSync(path.join(site, 'index.html')), 'vite build wrote dist/explorer-site/index.html');
  fs.mkdirSync(shots, { recursive: true });
  server = await serveStatic(site);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless'] });
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const nodeText = (name: string, cls: 'value' | 'grad') => page.locator(`g.node[data-name="${name}"] text.${cls}`).textContent();
const opText = (op: string, cls: 'value' | 'grad') => page.locator(`g.node[data-op="${op}"] text.${cls}`).textContent();
const revealedCount = () => page.locator('g.node text.grad').evaluateAll((ts) => ts.filter((t) => (t.textContent ?? '') !== '').length);

async function openExample(id: string): Promise<void> {
  await page.goto(`${base}#playground`);
  await page.locator(`button.example[data-example="${id}"]`).click();
  await page.locator('g.node').first().waitFor();
}

describe('backprop explorer in Chromium', () => {
  test('f = x + y·z shows −22 and the gradients 1, −4, 5 on x, y, z', async () => {
    await openExample('xyz');
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'the static server made the page cross-origin isolated');
    assert.equal(await nodeText('f', 'value'), '-22');
    assert.equal(await nodeText('q', 'value'), '-20');
    assert.deepEqual([await nodeText('x', 'value'), await nodeText('y', 'value'), await nodeText('z', 'value')], ['-2', '5', '-4']);
    assert.equal(await revealedCount(), 0, 'no gradient before backward');
    await page.locator('#step-all').click();
    assert.deepEqual([await nodeText('x', 'grad'), await nodeText('y', 'grad'), await nodeText('z', 'grad')], ['∂ 1', '∂ -4', '∂ 5']);
    assert.equal(await nodeText('f', 'grad'), '∂ 1');
    // the hand-written column agrees with the engine
    assert.equal(await page.locator('table.checks td.bad').count(), 0);
    assert.equal(await page.locator('table.checks td.ok').count(), 3);
    await page.screenshot({ path: path.join(shots, 'explorer-playground-xyz.png'), fullPage: true });
  });

  test('one backward step advances exactly one node and shows upstream × local = downstream', async () => {
    await openExample('xyz');
    await page.locator('#step').click();
    assert.equal(await page.locator('#step-panel').getAttribute('data-step-index'), '0');
    assert.equal(await revealedCount(), 1);
    const fId = await page.locator('g.node[data-name="f"]').getAttribute('data-node-id');
    assert.equal(await page.locator('#step-panel').getAttribute('data-node'), fId, 'the engine starts at the output');
    await page.locator('#step').click();
    assert.equal(await page.locator('#step-panel').getAttribute('data-step-index'), '1');
    assert.equal(await revealedCount(), 2);
    const current = await page.locator('g.node.current').getAttribute('data-name');
    assert.equal(current, 'q', 'the second node is the product q = y·z');
    const row = (i: number) => page.locator(`#step-panel tr[data-input="${i}"]`);
    const cells = async (i: number) => [await row(i).locator('.upstream').textContent(), await row(i).locator('.local').textContent(), await row(i).locator('.downstream').textContent()];
    assert.deepEqual(await cells(0), ['1', '-4', '-4']); // ∂q/∂y = z
    assert.deepEqual(await cells(1), ['1', '5', '5']); // ∂q/∂z = y
    assert.match((await page.locator('#step-panel .pattern').textContent()) ?? '', /mul swaps/);
    await page.screenshot({ path: path.join(shots, 'explorer-playground-step.png'), fullPage: true });
  });

  test('softmax + cross-entropy at p = [0.7, 0.2, 0.1] sends [−0.3, 0.2, 0.1] to the logits', async () => {
    await openExample('softmax-ce');
    await page.locator('#step-all').click();
    assert.equal(await nodeText('z', 'grad'), '∂ [-0.3, 0.2, 0.1]');
    assert.equal(await page.locator('table.checks tr[data-label="∂loss/∂z"] td.engine').textContent(), '[-0.3, 0.2, 0.1]');
    assert.equal(await page.locator('table.checks td.bad').count(), 0);
    await page.screenshot({ path: path.join(shots, 'explorer-playground-softmax.png'), fullPage: true });
  });

  test('the other examples agree with their hand-written backward', async () => {
    for (const id of ['patterns', 'neuron', 'sigmoid-chain', 'logreg', 'two-layer']) {
      await openExample(id);
      await page.locator('#step-all').click();
      assert.ok((await page.locator('table.checks td.ok').count()) >= 2, `${id}: checks shown`);
      assert.equal(await page.locator('table.checks td.bad').count(), 0, `${id}: a hand-written gradient disagrees with the engine`);
      if (id === 'two-layer') await page.screenshot({ path: path.join(shots, 'explorer-playground-twolayer.png'), fullPage: true });
    }
    await page.locator('#source').fill('a = 2\nb = -3\nf = relu(a) * b + max(a, b)');
    await page.locator('#run').click();
    await page.locator('#step-all').click();
    assert.equal(await nodeText('a', 'grad'), '∂ -2'); // relu'(2)·b + 1 (max routes to a)
    assert.equal(await nodeText('b', 'grad'), '∂ 2'); // relu(a)
    await page.locator('#source').fill('x = 1\nf = x +* 2');
    await page.locator('#run').click();
    assert.match((await page.locator('#error').textContent()) ?? '', /line 2, column \d+: unexpected '\*'/);
  });

  test('memory page: checkpointing lowers the activation peak', async () => {
    await page.goto(`${base}#memory`);
    await page.locator('#memory-results[data-ready="true"]').waitFor({ timeout: 60_000 });
    for (const model of ['mlp', 'transformer']) {
      const card = page.locator(`.mem-model[data-model="${model}"]`);
      const off = Number(await card.getAttribute('data-peak-off')), on = Number(await card.getAttribute('data-peak-on'));
      assert.ok(off > 0 && on > 0, `${model}: peaks recorded (${off}, ${on})`);
      assert.ok(on < off, `${model}: peak with checkpointing ${on} B should be below ${off} B`);
    }
    await page.screenshot({ path: path.join(shots, 'explorer-memory.png'), fullPage: true });
  });

  test('training page: MNIST in a worker, the loss falls within 30 s', async () => {
    await page.goto(`${base}#train`);
    await page.locator('#steps').fill('300');
    await page.locator('#train-start').click();
    await page.waitForFunction(() => {
      const d = (document.getElementById('page') as HTMLElement).dataset;
      return d.firstLoss !== undefined && Number(d.step) >= 20 && Number(d.lastLoss) < 0.5 * Number(d.firstLoss);
    }, undefined, { timeout: 30_000 });
    await page.locator('#page[data-train-state="done"]').waitFor({ timeout: 60_000 });
    const ds = await page.locator('#page').evaluate((e) => ({ ...(e as HTMLElement).dataset }));
    assert.ok(Number(ds.accuracy) > 0.7, `held-out accuracy after 300 steps: ${ds.accuracy}`);
    assert.equal(await page.locator('#pred-grid figure').count(), 32);
    // draw a "1": a vertical stroke in the middle of the canvas
    const box = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.15 + 0.07 * i));
    await page.mouse.up();
    await page.locator('#draw-pred[data-pred]').waitFor({ timeout: 10_000 });
    assert.match((await page.locator('#draw-pred').textContent()) ?? '', /^prediction: \d/);
    await page.screenshot({ path: path.join(shots, 'explorer-train.png'), fullPage: true });
  });

  test('no console errors or failed requests on any page', () => {
    assert.deepEqual(problems, []);
  });
});
