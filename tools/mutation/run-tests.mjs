#!/usr/bin/env node
/**
 * One mutant's test run: imports the named compiled test files into this single process (node:test runs
 * them as they load; no process per file), exits 1 on the first failure so a killed mutant costs little.
 *   node tools/mutation/run-tests.mjs io
 *
 * Tests are known by id, `<file>: <describe> > … > <test name>` (a repeated name gets ` #2`, ` #3`): node:test's
 * describe/test/it are wrapped before the test files load, so that
 *  - while a test runs, Stryker's instrumented code counts its hits under that id (per-test coverage: a mutant
 *    then runs only the tests that reach it, not whole files);
 *  - NABLA_MUTATE_TEST_IDS=<json file with an array of ids> registers only those tests (and imports only their
 *    files); the others are never declared;
 *  - a failing test prints `nabla-failed-test: <id>` on stderr, so the runner knows which test killed a mutant.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';
import { folders } from './folders.mjs';

const folder = folders[process.argv[2]];
if (!folder) {
  console.error(`run-tests: unknown folder '${process.argv[2]}' (one of ${Object.keys(folders).join(', ')})`);
  process.exit(2);
}
process.env.NABLA_BACKEND ??= 'ts';
// set by the 'nabla' Stryker runner (nabla-runner.mjs): the hit limit that stops an endless mutant, and the file
// that receives the instrumented code's hit counters (which mutants each test reaches) when the process exits
const ns = (globalThis.__stryker__ ??= {});
if (process.env.NABLA_MUTATE_HIT_LIMIT) { ns.hitLimit = Number(process.env.NABLA_MUTATE_HIT_LIMIT); ns.hitCount = 0; }
const ran = {}; // id → ms, every test that ran to its end
if (process.env.NABLA_MUTATE_COVERAGE) {
  const file = process.env.NABLA_MUTATE_COVERAGE;
  process.on('exit', () => fs.writeFileSync(file, JSON.stringify({ static: ns.mutantCoverage?.static ?? {}, perTest: ns.mutantCoverage?.perTest ?? {}, ran })));
}
process.on('uncaughtException', () => process.exit(1));

const wanted = process.env.NABLA_MUTATE_TEST_IDS ? new Set(JSON.parse(fs.readFileSync(process.env.NABLA_MUTATE_TEST_IDS, 'utf8'))) : undefined;

// the wrappers: describe pushes its name while its body declares the tests (node:test runs describe bodies at once).
// node:test's ES module is made from the CommonJS exports when it is first imported, so nothing here imports it
// before the wrappers are in place (syncBuiltinESMExports does not reach it)
const nodeTest = createRequire(import.meta.url)('node:test');
nodeTest.after(() => { if (process.exitCode) process.exit(process.exitCode); });
const { test: origTest, describe: origDescribe } = nodeTest;
const stack = [];
let file = '';
const seen = new Map();
const split = (args) => [args.slice(0, -1), args[args.length - 1]];
function wrappedTest(...args) {
  const [head, fn] = split(args);
  if (typeof fn !== 'function') return origTest(...args);
  let id = `${file}: ${[...stack, String(head[0] ?? fn.name)].join(' > ')}`;
  const n = (seen.get(id) ?? 0) + 1;
  seen.set(id, n);
  if (n > 1) id += ` #${n}`;
  if (wanted && !wanted.has(id)) return undefined;
  const run = async (...x) => {
    ns.currentTestId = id;
    const t0 = performance.now();
    try {
      const r = await fn(...x);
      ran[id] = performance.now() - t0;
      return r;
    } catch (e) {
      process.stderr.write(`nabla-failed-test: ${id}\n`);
      throw e;
    } finally {
      ns.currentTestId = undefined;
    }
  };
  return origTest(...head, run);
}
function wrappedDescribe(...args) {
  const [head, fn] = split(args);
  if (typeof fn !== 'function') return origDescribe(...args);
  return origDescribe(...head, (...x) => {
    stack.push(String(head[0] ?? fn.name));
    try { return fn(...x); } finally { stack.pop(); }
  });
}
nodeTest.test = wrappedTest;
nodeTest.it = wrappedTest;
nodeTest.describe = wrappedDescribe;
nodeTest.suite = wrappedDescribe;
syncBuiltinESMExports();

// NABLA_MUTATE_TESTS=a,b narrows the files (a quick run over one source file)
let tests = process.env.NABLA_MUTATE_TESTS ? process.env.NABLA_MUTATE_TESTS.split(',') : folder.tests;
if (wanted) tests = tests.filter((t) => [...wanted].some((id) => id.startsWith(`${t}: `)));
for (const t of tests) {
  file = t;
  await import(pathToFileURL(path.resolve('dist/test', `${t}.test.js`)).href);
}
