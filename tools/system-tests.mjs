#!/usr/bin/env node
/**
 * The suites that need software outside npm: real PyTorch (Debian's python3-torch, under /usr/bin/python3),
 * real Chromium (Debian's chromium, driven by playwright-core) and WebGPU on SwiftShader (the Vulkan
 * driver inside Debian's chromium package). They live in systest/ (compiled to dist/systest/) and run here,
 * never under `npm test`. A missing package stops the run with a message that says what to install — a
 * suite is never skipped silently.
 *   apt-get update && apt-get install -y chromium python3-torch
 *   npm run test:system
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const missing = [];
if (!fs.existsSync('/usr/bin/chromium')) missing.push('chromium (/usr/bin/chromium)');
const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' });
if (torch.status !== 0) missing.push('python3-torch (/usr/bin/python3 cannot import torch and numpy)');
if (missing.length) {
  console.error(`test:system: missing ${missing.join(' and ')}.\nInstall with: apt-get update && apt-get install -y chromium python3-torch`);
  process.exit(1);
}

const dir = path.join(root, 'dist', 'systest');
const files = [];
(function walk(d) {
  if (!fs.existsSync(d)) return;
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.js')) files.push(p);
  }
})(dir);
if (files.length === 0) {
  console.error(`test:system: no compiled suites under ${dir} (run tsc first)`);
  process.exit(1);
}
files.sort();
console.log(`test:system: ${files.length} suite file(s)`);
// one file at a time: the browser and PyTorch suites each start heavy processes
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
