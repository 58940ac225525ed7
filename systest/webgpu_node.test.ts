/**
 * Runs the webgpu conformance suite (systest/webgpu/node_suite.ts) in a child Node process on SwiftShader, the CPU
 * Vulkan driver inside Debian's chromium package: an ICD JSON names it, VK_ICD_FILENAMES points at the JSON, and
 * the Vulkan loader comes from the same package (LD_LIBRARY_PATH=/usr/lib/chromium) when the system has none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SWIFTSHADER = '/usr/lib/chromium/libvk_swiftshader.so';

test('webgpu backend on SwiftShader (Node, Dawn)', () => {
  assert.ok(fs.existsSync(SWIFTSHADER), `${SWIFTSHADER} is missing: apt-get install -y chromium`);
  const icd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-icd-')), 'swiftshader_icd.json');
  fs.writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: SWIFTSHADER, api_version: '1.0.5' } }));
  // NODE_TEST_CONTEXT would make the child a silent subprocess of this runner: drop it so it runs its own tests
  const { NODE_TEST_CONTEXT: _ctx, ...parentEnv } = process.env;
  const env = { ...parentEnv, VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), NABLA_BACKEND: 'ts' };
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', path.join(here, 'webgpu', 'node_suite.js')], { env, encoding: 'utf8', timeout: 540_000 });
  process.stdout.write(r.stdout.split('\n').filter((l) => /^\s*(✔|✖|ℹ|#)|webgpu adapter|op table on|final losses|pool:|attention on webgpu|GPT /.test(l)).join('\n') + '\n');
  assert.match(r.stdout, /ℹ pass [1-9]/, `the webgpu node suite ran no test:\n${r.stdout}\n${r.stderr}`);
  assert.equal(r.status, 0, `webgpu node suite failed (status ${r.status}):\n${r.stdout.slice(-20000)}\n${r.stderr.slice(-4000)}`);
});
