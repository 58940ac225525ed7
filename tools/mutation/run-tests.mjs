#!/usr/bin/env node
/**
 * One mutant's test run: imports the named compiled test files into this single process (node:test runs
 * them as they load; no process per file), exits 1 on the first failure so a killed mutant costs little.
 *   node tools/mutation/run-tests.mjs io
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after } from 'node:test';
import { folders } from './folders.mjs';

const folder = folders[process.argv[2]];
if (!folder) {
  console.error(`run-tests: unknown folder '${process.argv[2]}' (one of ${Object.keys(folders).join(', ')})`);
  process.exit(2);
}
process.env.NABLA_BACKEND ??= 'ts';
// set by the 'nabla' Stryker runner (nabla-runner.mjs): the hit limit that stops an endless mutant, and the file
// that receives the instrumented code's hit counters (which mutants these tests reach) when the process exits
if (process.env.NABLA_MUTATE_HIT_LIMIT) globalThis.__stryker__ = { hitLimit: Number(process.env.NABLA_MUTATE_HIT_LIMIT), hitCount: 0 };
if (process.env.NABLA_MUTATE_COVERAGE) {
  const file = process.env.NABLA_MUTATE_COVERAGE;
  process.on('exit', () => fs.writeFileSync(file, JSON.stringify(globalThis.__stryker__?.mutantCoverage?.static ?? {})));
}
process.on('uncaughtException', () => process.exit(1));
after(() => { if (process.exitCode) process.exit(process.exitCode); });
// NABLA_MUTATE_TESTS=a,b narrows the files (a quick run over one source file)
const tests = process.env.NABLA_MUTATE_TESTS ? process.env.NABLA_MUTATE_TESTS.split(',') : folder.tests;
for (const t of tests) await import(pathToFileURL(path.resolve('dist/test', `${t}.test.js`)).href);
