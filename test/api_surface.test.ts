/**
 * The public surface of `import * as nb from 'nabla'`: every exported value name (recursing into the
 * namespaces nb.nn, nb.optim, nb.autograd, …) with its kind, compared with the checked-in list
 * test/api_surface.txt. A change to the surface is then a deliberate, reviewed edit of that list.
 * (Type-only exports vanish at run time and are not listed.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';

const LIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'api_surface.txt');

function kindOf(v: unknown): string {
  if (typeof v === 'function') return /^class[\s{]/.test(Function.prototype.toString.call(v)) ? 'class' : 'function';
  if (v !== null && typeof v === 'object') return Object.prototype.toString.call(v) === '[object Module]' ? 'namespace' : 'object';
  return typeof v;
}

/** "name: kind" lines, namespaces first listed themselves and then their members as "ns.member: kind" */
export function surface(ns: object, prefix = ''): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(ns).sort()) {
    const v = (ns as Record<string, unknown>)[name];
    const kind = kindOf(v);
    lines.push(`${prefix}${name}: ${kind}`);
    if (kind === 'namespace') lines.push(...surface(v as object, `${prefix}${name}.`));
  }
  return lines;
}

test('the exported names match test/api_surface.txt', () => {
  const actual = surface(nb);
  const expected = fs.readFileSync(LIST, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const added = actual.filter((l) => !expected.includes(l));
  const removed = expected.filter((l) => !actual.includes(l));
  assert.ok(
    added.length === 0 && removed.length === 0,
    'the public API changed.\n' +
      (added.length ? `  exported but not in the list:\n    ${added.join('\n    ')}\n` : '') +
      (removed.length ? `  in the list but not exported:\n    ${removed.join('\n    ')}\n` : '') +
      'If the change is deliberate, regenerate the list after building:\n' +
      '  NABLA_WRITE_API_SURFACE=1 node --test dist/test/api_surface.test.js\n' +
      'and commit test/api_surface.txt; otherwise stop exporting the name (internal code imports it by path).',
  );
});

if (process.env.NABLA_WRITE_API_SURFACE === '1') {
  const header = '# The public surface of nabla (`import * as nb`): "name: kind", namespaces recursed.\n' +
    '# Checked by test/api_surface.test.ts; regenerate with NABLA_WRITE_API_SURFACE=1 node --test dist/test/api_surface.test.js\n';
  fs.writeFileSync(LIST, header + surface(nb).join('\n') + '\n');
}
