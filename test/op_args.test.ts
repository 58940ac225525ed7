/**
 * The argument schemas of op records (src/ops/args.ts): for every kind of spec, what it accepts and returns
 * (defaults filled in, absent values normalised) and the exact message of a refusal — op, argument, what was
 * expected, and the value described. Then a few refusals through real ops, where the parser runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nb from '../src/index.js';
import * as A from '../src/ops/args.js';

const t = nb.tensor([1, 2]);
const refuses = (spec: { check(op: string, v: unknown): unknown }, v: unknown, message: string, type: 'TypeError' | 'Error' = 'TypeError') =>
  assert.throws(() => spec.check('op', v), (e: Error) => { assert.equal(`${e.name}: ${e.message}`, `${type}: ${message}`); return true; });

test('describeValue: null, tensors, arrays (six entries at most, objects by type), strings, objects, the rest by typeof', () => {
  assert.equal(A.describeValue(null), 'null');
  assert.equal(A.describeValue(t), `a Tensor ${t.describe()}`);
  assert.equal(A.describeValue([1, 'a', { b: 1 }, null]), 'an array [1, a, object, object]');
  assert.equal(A.describeValue([1, 2, 3, 4, 5, 6]), 'an array [1, 2, 3, 4, 5, 6]');
  assert.equal(A.describeValue([1, 2, 3, 4, 5, 6, 7]), 'an array [1, 2, 3, 4, 5, 6, ...]');
  assert.equal(A.describeValue([]), 'an array []');
  assert.equal(A.describeValue('x'), "the string 'x'");
  assert.equal(A.describeValue({ a: 1 }), 'an object');
  assert.equal(A.describeValue(3), 'number 3');
  assert.equal(A.describeValue(undefined), 'undefined undefined');
  assert.equal(A.describeValue(true), 'boolean true');
});

test('tensor, optTensor, tensorLike, tensorList', () => {
  assert.equal(A.tensor('x').check('op', t), t);
  refuses(A.tensor('x'), 3, "op: argument 'x' must be a Tensor, got number 3");
  assert.equal(A.optTensor('w').check('op', undefined), null);
  assert.equal(A.optTensor('w').check('op', null), null);
  refuses(A.optTensor('w'), [1], "op: argument 'w' must be a Tensor or null, got an array [1]");
  assert.equal(A.tensorLike('y').check('op', 2), 2);
  refuses(A.tensorLike('y'), '2', "op: argument 'y' must be a Tensor or a number, got the string '2'");
  const list = [t, t];
  assert.equal(A.tensorList('xs').check('op', list), list);
  refuses(A.tensorList('xs'), [], 'op: expected a non-empty array of tensors', 'Error');
  refuses(A.tensorList('xs'), t, 'op: expected a non-empty array of tensors', 'Error');
  refuses(A.tensorList('xs'), [t, 5], 'op: argument xs[1] must be a Tensor, got number 5');
});

test('numbers, integers, dims, booleans: defaults, absent values, refusals', () => {
  assert.equal(A.num('a', 0.5).check('op', undefined), 0.5);
  assert.equal(A.num('a').check('op', 2.5), 2.5);
  refuses(A.num('a'), undefined, "op: argument 'a' must be a number, got undefined undefined");
  refuses(A.num('a', 1), '1', "op: argument 'a' must be a number, got the string '1'");
  assert.equal(A.int('n', 3).check('op', undefined), 3);
  assert.equal(A.int('n').check('op', -2), -2);
  refuses(A.int('n'), 1.5, "op: argument 'n' must be an integer, got number 1.5");
  refuses(A.int('n', 0), '1', "op: argument 'n' must be an integer, got the string '1'");
  assert.equal(A.optDim('dim').check('op', undefined), undefined);
  assert.equal(A.optDim('dim').check('op', null), undefined);
  assert.equal(A.optDim('dim').check('op', -1), -1);
  refuses(A.optDim('dim'), 0.5, "op: argument 'dim' must be one integer or undefined, got number 0.5");
  refuses(A.optDim('dim'), [0], "op: argument 'dim' must be one integer or undefined, got an array [0]");
  assert.equal(A.optNum('min').check('op', undefined), null);
  assert.equal(A.optNum('min').check('op', null), null);
  assert.equal(A.optNum('min').check('op', -Infinity), -Infinity);
  refuses(A.optNum('min'), false, "op: argument 'min' must be a number or null, got boolean false");
  assert.equal(A.optBool('u').check('op', undefined), undefined);
  assert.equal(A.optBool('u').check('op', false), false);
  refuses(A.optBool('u'), 0, "op: argument 'u' must be a boolean, got number 0");
  assert.equal(A.bool('k', true).check('op', undefined), true);
  assert.equal(A.bool('k', true).check('op', false), false);
  refuses(A.bool('k', false), 'yes', "op: argument 'k' must be a boolean, got the string 'yes'");
  const dims = A.dims('dim');
  assert.equal(dims.check('op', undefined), undefined);
  assert.equal(dims.check('op', null), undefined);
  assert.equal(dims.check('op', 1), 1);
  assert.deepEqual(dims.check('op', [0, -1]), [0, -1]);
  for (const bad of [1.5, [0, 1.5], [0, '1'], '0', {}]) refuses(dims, bad, `op: argument 'dim' must be an integer, an array of integers or undefined, got ${A.describeValue(bad)}`);
});

test('oneOf and dtypeArg name the allowed strings', () => {
  const mode = A.oneOf('mode', ['sum', 'mean'], 'mean');
  assert.equal(mode.check('op', undefined), 'mean');
  assert.equal(mode.check('op', 'sum'), 'sum');
  refuses(mode, 'max', "op: argument 'mode' must be one of 'sum', 'mean', got the string 'max'");
  refuses(mode, 1, "op: argument 'mode' must be one of 'sum', 'mean', got number 1");
  const dt = A.dtypeArg('dtype');
  assert.equal(dt.check('op', 'float64'), 'float64');
  refuses(dt, 'float', "op: argument 'dtype' must be a dtype ('float32', 'float64', 'int32', 'bool', 'bfloat16', 'float16'), got the string 'float'");
  refuses(dt, undefined, "op: argument 'dtype' must be a dtype ('float32', 'float64', 'int32', 'bool', 'bfloat16', 'float16'), got undefined undefined");
});

test('shapeRest: integers as the rest of the arguments or one array of them, copied', () => {
  const s = A.shapeRest('shape');
  assert.deepEqual(s.check('op', [2, -1]), [2, -1]);
  const inner = [3, 4];
  const out = s.check('op', [inner]) as number[];
  assert.deepEqual(out, [3, 4]);
  assert.notEqual(out, inner, 'a copy: the caller may change its array later');
  assert.deepEqual(s.check('op', []), []);
  refuses(s, [2, 1.5], "op: argument 'shape' must be integers or one array of integers, got an array [2, 1.5]");
  refuses(s, [[2, 'a']], "op: argument 'shape' must be integers or one array of integers, got an array [2, a]");
  refuses(s, [[2], 3], "op: argument 'shape' must be integers or one array of integers, got an array [object, 3]");
});

test('options: absent is {}, fields filled by their specs, unknown keys refused with a guess (snake_case, case)', () => {
  const o = A.options('opts', { weightDecay: A.num('weightDecay', 0), nesterov: A.bool('nesterov', false) });
  assert.deepEqual(o.check('op', undefined), { weightDecay: 0, nesterov: false });
  assert.deepEqual(o.check('op', null), { weightDecay: 0, nesterov: false });
  assert.deepEqual(o.check('op', { weightDecay: 0.1 }), { weightDecay: 0.1, nesterov: false });
  for (const bad of [3, [1], t]) refuses(o, bad, `op: argument 'opts' must be an options object { weightDecay, nesterov }, got ${A.describeValue(bad)}`);
  refuses(o, { weight_decay: 1 }, "op: unknown option 'weight_decay' in argument 'opts'; did you mean weightDecay? (known options: weightDecay, nesterov)");
  refuses(o, { 'weight-decay': 1 }, "op: unknown option 'weight-decay' in argument 'opts'; did you mean weightDecay? (known options: weightDecay, nesterov)");
  refuses(o, { NESTEROV: true }, "op: unknown option 'NESTEROV' in argument 'opts'; did you mean nesterov? (known options: weightDecay, nesterov)");
  refuses(o, { lr: 1 }, "op: unknown option 'lr' in argument 'opts' (known options: weightDecay, nesterov)");
  refuses(A.options('opts', {}), { a: 1 }, "op: unknown option 'a' in argument 'opts' (known options: none)");
  refuses(o, { nesterov: 1 }, "op: argument 'nesterov' must be a boolean, got number 1");
});

test('through real ops: the parser names the op', () => {
  assert.throws(() => nb.sum(t, 0.5 as never), /^TypeError: sum: argument 'dim' must be an integer, an array of integers or undefined, got number 0\.5$/);
  assert.throws(() => nb.reshape(t, 2, 'a' as never), /^TypeError: reshape: argument 'shape' must be integers or one array of integers, got an array \[2, a\]$/);
  assert.throws(() => nb.cat([t, 3 as never]), /^TypeError: cat: argument tensors\[1\] must be a Tensor, got number 3$/);
});
