/**
 * The op records are public in three ways: their names are the graph nodes' names (y.gradFn.name, the explorer,
 * anomaly messages) and the first word of every error an op raises, their argument names are the keyword options
 * and the words of argument errors, and `method` is the Tensor method. This compares every record's
 * "name(arg, optional?, rest...) .method [composite] [non-differentiable]" with the checked-in test/op_records.txt,
 * checks that each record names itself when its first argument is wrong, and that each differentiable record's
 * node carries its name. A rename is then a deliberate edit of that list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nb from '../src/index.js';
import { opRecords, type OpRecord } from '../src/ops/define.js';
import { casesOf } from './op_records.js';
import { sampleInputs } from './op_inputs.js';

const LIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'op_records.txt');

const line = (r: OpRecord) => `${r.name}(${r.args.map((a) => `${a.name}${a.optional ? '?' : ''}${(a as { rest?: true }).rest ? '...' : ''}`).join(', ')})` +
  `${r.method ? ` .${r.method}` : ''}${r.composite ? ' [composite]' : ''}${r.differentiable ? '' : ' [non-differentiable]'}`;

test('every op record\'s name, arguments and method match test/op_records.txt', () => {
  const actual = opRecords.map(line);
  const expected = fs.readFileSync(LIST, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const added = actual.filter((l) => !expected.includes(l)), removed = expected.filter((l) => !actual.includes(l));
  assert.ok(added.length === 0 && removed.length === 0,
    'the op records changed.\n' + (added.length ? `  declared but not in the list:\n    ${added.join('\n    ')}\n` : '') +
    (removed.length ? `  in the list but not declared:\n    ${removed.join('\n    ')}\n` : '') +
    'If the change is deliberate, regenerate the list after building:\n  NABLA_WRITE_OP_RECORDS=1 node --test dist/test/op_records_list.test.js');
});

test('each record names itself first when its first argument is not what it takes', () => {
  for (const r of opRecords) {
    assert.throws(() => r.fn('not a tensor'), (e: Error) => e.message.startsWith(`${r.name}:`), r.name);
  }
});

test('each record names itself when given two numbers (the element-wise pairs reach their own "at least one Tensor" check)', () => {
  for (const r of opRecords) {
    assert.throws(() => r.fn(1, 2), (e: Error) => e.message.startsWith(`${r.name}:`), r.name);
  }
});

test('each differentiable record\'s graph node carries the record\'s name', () => {
  let checked = 0;
  for (const r of opRecords.filter((x) => x.differentiable && !x.composite)) {
    const c = casesOf(r).find((k) => k.differentiable !== false);
    if (!c) continue;
    const xs = sampleInputs(c).map((v, i) => nb.tensor(v, { dtype: 'float64', shape: c.shapes[i]!, requiresGrad: true }));
    const out = c.fn(...xs);
    const outs = (Array.isArray(out) ? out : [out]).filter((o) => o.requiresGrad);
    assert.ok(outs.length > 0, `${r.name}: an output that requires grad`);
    // the row's call may compose the record with another op (a gather, a sum): the record's node is then upstream
    const names = new Set<string>();
    const walk = (n: { name: string; nextFunctions: ({ node: unknown } | null)[] } | null, depth: number) => {
      if (!n || depth > 3) return;
      names.add(n.name);
      for (const e of n.nextFunctions) walk(e?.node as never, depth + 1);
    };
    for (const o of outs) walk(o.gradFn as never, 0);
    assert.ok(names.has(r.name), `${r.name}: nodes ${[...names].join(', ')}`);
    checked++;
  }
  assert.ok(checked > 60, `${checked} records checked`);
});

if (process.env.NABLA_WRITE_OP_RECORDS === '1') {
  fs.writeFileSync(LIST, '# Every op record: name(arguments; ? optional, ... rest) .method [composite] [non-differentiable], in declaration order.\n' +
    '# Checked by test/op_records_list.test.ts; regenerate with NABLA_WRITE_OP_RECORDS=1 node --test dist/test/op_records_list.test.js\n' +
    opRecords.map(line).join('\n') + '\n');
}
