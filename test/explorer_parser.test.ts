/**
 * The explorer playground's expression parser (product code: explorer/src/parser.ts): precedence, associativity,
 * lists, calls, statements, and errors that name the line and column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namesIn, parseProgram, ParseError, type Expr } from '../explorer/src/parser.js';

/** Fully parenthesised text of an expression, to compare trees compactly. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'num': return String(e.value);
    case 'name': return e.name;
    case 'list': return `[${e.items.map(show).join(', ')}]`;
    case 'unary': return `(-${show(e.arg)})`;
    case 'binary': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'call': return `${e.fn}(${e.args.map(show).join(', ')})`;
  }
}
const expr = (src: string) => show(parseProgram(src)[0]!.expr);

test('precedence and associativity', () => {
  assert.equal(expr('x + y*z'), '(x + (y * z))');
  assert.equal(expr('a - b - c'), '((a - b) - c)');
  assert.equal(expr('a / b * c'), '((a / b) * c)');
  assert.equal(expr('2^3^2'), '(2 ^ (3 ^ 2))');
  assert.equal(expr('-x^2'), '(-(x ^ 2))');
  assert.equal(expr('x ** 2 * 3'), '((x ^ 2) * 3)');
  assert.equal(expr('X @ W1 + b1'), '((X @ W1) + b1)');
  assert.equal(expr('(a + b) * c'), '((a + b) * c)');
  assert.equal(expr('1.5e-3 + .5'), '(0.0015 + 0.5)');
});

test('calls, lists and names', () => {
  assert.equal(expr('sigmoid(w0*x0 + w1*x1 + w2)'), 'sigmoid((((w0 * x0) + (w1 * x1)) + w2))');
  assert.equal(expr('max(x, y)'), 'max(x, y)');
  assert.equal(expr('relu(a) * b'), '(relu(a) * b)');
  assert.equal(expr('[[1, -2], [3, 4]]'), '[[1, (-2)], [3, 4]]');
  assert.equal(expr('f()'), 'f()');
  assert.deepEqual([...namesIn(parseProgram('relu(a) * b + max(a, 3)')[0]!.expr)].sort(), ['a', 'b']);
});

test('statements: assignments, const, comments, semicolons', () => {
  const p = parseProgram('x = -2  # an input\nconst y = 1; z = x * y\n\n# only a comment\nx + z');
  assert.deepEqual(p.map((s) => [s.name, s.isConst, s.line]), [['x', false, 1], ['y', true, 2], ['z', false, 2], [null, false, 5]]);
});

test('errors name the line and column', () => {
  const err = (src: string) => {
    try { parseProgram(src); } catch (e) { assert.ok(e instanceof ParseError); return e.message; }
    assert.fail(`expected a ParseError for ${JSON.stringify(src)}`);
  };
  assert.equal(err('x = 1\nf = x +* 2'), "line 2, column 8: unexpected '*'");
  assert.equal(err('f = (x + 1'), "line 1, column 11: expected ')' at end of line");
  assert.equal(err('f = x $ 2'), "line 1, column 7: unexpected character '$'");
  assert.equal(err('f = x y'), "line 1, column 7: unexpected 'y' after the expression");
  assert.equal(err('const = 3'), "line 1, column 7: expected 'name = value' after const");
  assert.match(err('  # nothing\n'), /the program is empty/);
});
