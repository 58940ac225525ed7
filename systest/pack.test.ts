/**
 * The npm package as a user gets it: `npm pack` holds only the library (JS + types), the CLI, README and
 * LICENSE; installed from the .tgz into a fresh project (offline: by npm from its cache, or unpacked as npm would
 * with the dependencies linked from this checkout when the cache lacks them), it imports under TypeScript
 * `strict`, computes the notes' first example and answers `npx nabla --help`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string; version: string; bin: Record<string, string>; dependencies?: Record<string, string>; types: string;
};
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackResult { filename: string; files: { path: string }[]; entryCount: number }

test('npm pack ships the library, its types, the CLI, README and LICENSE — nothing else', () => {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-pack-'));
  const out = execFileSync(npm, ['pack', '--json', '--pack-destination', dest], { cwd: root, encoding: 'utf8' });
  const [r] = JSON.parse(out) as PackResult[];
  const files = r!.files.map((f) => f.path);
  const bad = files.filter((f) => !/^(dist\/(src|cli)\/.+\.(js|d\.ts)|README\.md|LICENSE|package\.json)$/.test(f));
  assert.deepEqual(bad, [], 'unexpected files in the tarball');
  for (const must of ['dist/src/index.js', 'dist/src/index.d.ts', pkg.types, pkg.bin.nabla!.replace(/^\.\//, ''), 'README.md', 'LICENSE', 'package.json']) {
    assert.ok(files.includes(must), `the tarball lacks ${must}`);
  }
  assert.ok(!files.some((f) => f.startsWith('dist/src/') && f.endsWith('.test.js')), 'no compiled tests');
  console.log(`npm pack: ${r!.entryCount} files`);
  fs.rmSync(dest, { recursive: true, force: true });
});

test('installed from the .tgz into a fresh project: strict TypeScript import, the first example, npx nabla --help', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla-user-'));
  try {
    const [r] = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8' })) as PackResult[];
    const tgz = path.join(tmp, r!.filename);
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'user-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    // install the tarball with npm, offline: npm takes the dependencies from its cache. Where the cache lacks them
    // (a CI cache filled by `npm ci` holds tarballs, not always the registry documents npm wants), install it as npm
    // lays it out: the tarball's package/ unpacked to node_modules/nabla, its dependencies linked from this
    // checkout's node_modules, and the bin link node_modules/.bin/nabla
    const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    let inst = spawnSync(npm, ['install', '--offline', '--no-package-lock', tgz], { cwd: app, encoding: 'utf8', env });
    if (inst.status !== 0 && /ENOTCACHED/.test(inst.stderr)) {
      console.log('npm cache lacks a dependency: unpacking the tarball by hand');
      const nm = path.join(app, 'node_modules');
      fs.rmSync(nm, { recursive: true, force: true });
      fs.mkdirSync(path.join(nm, 'nabla'), { recursive: true });
      inst = spawnSync('tar', ['-xzf', tgz, '-C', path.join(nm, 'nabla'), '--strip-components=1'], { encoding: 'utf8' });
      for (const d of Object.keys(pkg.dependencies ?? {})) {
        fs.mkdirSync(path.dirname(path.join(nm, d)), { recursive: true });
        fs.symlinkSync(path.join(root, 'node_modules', d), path.join(nm, d), 'dir');
      }
      fs.mkdirSync(path.join(nm, '.bin'));
      const binTarget = path.join('..', 'nabla', pkg.bin.nabla!);
      fs.symlinkSync(binTarget, path.join(nm, '.bin', 'nabla'));
      fs.chmodSync(path.join(nm, 'nabla', pkg.bin.nabla!), 0o755);
    }
    assert.equal(inst.status, 0, `npm install of the tarball failed:\n${inst.stdout}\n${inst.stderr}`);
    assert.ok(fs.existsSync(path.join(app, 'node_modules', 'nabla', pkg.types)));
    assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'nabla', 'src')), 'TypeScript sources are not shipped');

    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: [], lib: ['ES2022', 'DOM'], skipLibCheck: false },
      include: ['main.ts'],
    }));
    fs.writeFileSync(path.join(app, 'main.ts'), [
      "import * as nb from 'nabla';",
      "import type { Tensor } from 'nabla';",
      'const x: Tensor = nb.tensor(-2, { requiresGrad: true });',
      'const y = nb.tensor(5, { requiresGrad: true }), z = nb.tensor(-4, { requiresGrad: true });',
      'const f = x.add(y.mul(z));',
      'f.backward();',
      'const grads: number[] = [x, y, z].map((t) => t.grad!.item());',
      'const steps: string[] = [...nb.viz.backwardSteps(nb.tensor(3, { requiresGrad: true }).mul(2))].map((s) => s.op);',
      'console.log(JSON.stringify({ f: f.item(), grads, steps }));',
    ].join('\n'));
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
    assert.equal(tsc.status, 0, `tsc --strict on the user's program failed:\n${tsc.stdout}\n${tsc.stderr}`);
    const run = spawnSync(process.execPath, [path.join(app, 'out', 'main.js')], { cwd: app, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { f: -22, grads: [1, -4, 5], steps: ['mul', 'leaf'] });

    const help = spawnSync(npm, ['exec', '--offline', '--no', '--', 'nabla', '--help'], { cwd: app, encoding: 'utf8', env });
    assert.equal(help.status, 0, `npx nabla --help failed:\n${help.stdout}\n${help.stderr}`);
    assert.match(help.stdout, /Usage: nabla <command>/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
