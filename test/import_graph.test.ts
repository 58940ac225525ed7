/**
 * No import loops in the library: build the graph of value imports between the modules under src/
 * (type-only imports are erased by the compiler and leave no runtime edge) and search it for cycles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative value imports of a module: `import x from`, `import {a} from`, `export ... from`, `import './x.js'`; not `import type`. */
export function valueImports(src: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  for (let m; (m = re.exec(src)); ) {
    if (m[2]) continue;
    const clause = (m[3] ?? '').replace(/\sfrom\s+$/, '').trim();
    if (/^\{[^}]*\}$/.test(clause) && clause.slice(1, -1).split(',').every((n) => !n.trim() || n.trim().startsWith('type '))) continue;
    out.push(m[4]!);
  }
  return out;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return found;
}

test('the modules under src/ import each other without loops', () => {
  const graph = new Map<string, string[]>();
  for (const f of files(root)) {
    const deps = valueImports(readFileSync(f, 'utf8')).map((s) => resolve(dirname(f), s.replace(/\.js$/, '.ts')));
    graph.set(f, deps.filter((d) => d !== f));
  }
  const loops = cycles(graph).map((c) => c.map((f) => relative(root, f)).join(' → '));
  assert.deepEqual(loops, []);
});

test('the import scanner sees value imports and skips type-only ones', () => {
  assert.deepEqual(valueImports("import { a } from './a.js';\nimport type { B } from './b.js';\nimport { type C } from './c.js';\nexport * from './d.js';\nimport './e.js';"), ['./a.js', './d.js', './e.js']);
});
