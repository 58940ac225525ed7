/**
 * The playground's little language: one statement per line (or separated by `;`), `#` starts a comment.
 *   x = -2                      an input: the right side names no variable, so x is a leaf that requires grad
 *   const y = 1                 a constant (no gradient)
 *   h = relu(X @ W1 + b1)       an intermediate, named in the graph
 *   f = x + y*z                 the last statement is the output
 * Expressions: numbers, [nested, lists], names, + - * / @ (matmul), ^ (power), unary minus, calls f(a, b).
 * Precedence, loosest first: + − , * / @ , unary − , ^ (right-associative), calls and parentheses.
 */
export type Expr =
  | { kind: 'num'; value: number }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'name'; name: string }
  | { kind: 'unary'; op: '-'; arg: Expr }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '@' | '^'; left: Expr; right: Expr }
  | { kind: 'call'; fn: string; args: Expr[] };

export interface Statement {
  /** null for a bare expression */
  name: string | null;
  isConst: boolean;
  expr: Expr;
  line: number;
}

export class ParseError extends Error {
  constructor(message: string, readonly line: number, readonly column: number) {
    super(`line ${line}, column ${column}: ${message}`);
  }
}

interface Token { kind: 'num' | 'name' | 'op'; text: string; col: number }

function tokenize(src: string, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    const num = /^(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(src.slice(i));
    if (num) { out.push({ kind: 'num', text: num[0], col: i + 1 }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][A-Za-z_0-9]*/.exec(src.slice(i));
    if (id) { out.push({ kind: 'name', text: id[0], col: i + 1 }); i += id[0].length; continue; }
    if (src.startsWith('**', i)) { out.push({ kind: 'op', text: '^', col: i + 1 }); i += 2; continue; }
    if ('+-*/@^()[],='.includes(c)) { out.push({ kind: 'op', text: c, col: i + 1 }); i++; continue; }
    throw new ParseError(`unexpected character '${c}'`, line, i + 1);
  }
  return out;
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[], private readonly line: number, private readonly width: number) {}

  private peek(): Token | undefined { return this.toks[this.pos]; }
  private fail(msg: string): never {
    throw new ParseError(msg, this.line, this.peek()?.col ?? this.width + 1);
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'op' && t.text === text;
  }
  private expect(text: string): void {
    if (!this.isOp(text)) this.fail(`expected '${text}'${this.peek() ? ` but found '${this.peek()!.text}'` : ' at end of line'}`);
    this.pos++;
  }
  /** the first token not consumed, if any */
  leftover(): Token | undefined { return this.peek(); }

  expr(): Expr {
    let left = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.toks[this.pos++]!.text as '+' | '-';
      left = { kind: 'binary', op, left, right: this.term() };
    }
    return left;
  }
  private term(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('@')) {
      const op = this.toks[this.pos++]!.text as '*' | '/' | '@';
      left = { kind: 'binary', op, left, right: this.unary() };
    }
    return left;
  }
  private unary(): Expr {
    if (this.isOp('-')) { this.pos++; return { kind: 'unary', op: '-', arg: this.unary() }; }
    if (this.isOp('+')) { this.pos++; return this.unary(); }
    return this.power();
  }
  private power(): Expr {
    const base = this.primary();
    if (this.isOp('^')) { this.pos++; return { kind: 'binary', op: '^', left: base, right: this.unary() }; }
    return base;
  }
  private primary(): Expr {
    const t = this.peek();
    if (!t) this.fail('expected a value at end of line');
    if (t.kind === 'num') { this.pos++; return { kind: 'num', value: Number(t.text) }; }
    if (t.kind === 'name') {
      this.pos++;
      if (!this.isOp('(')) return { kind: 'name', name: t.text };
      this.pos++;
      const args: Expr[] = [];
      if (!this.isOp(')')) {
        args.push(this.expr());
        while (this.isOp(',')) { this.pos++; args.push(this.expr()); }
      }
      this.expect(')');
      return { kind: 'call', fn: t.text, args };
    }
    if (this.isOp('(')) { this.pos++; const e = this.expr(); this.expect(')'); return e; }
    if (this.isOp('[')) {
      this.pos++;
      const items: Expr[] = [];
      if (!this.isOp(']')) {
        items.push(this.expr());
        while (this.isOp(',')) { this.pos++; items.push(this.expr()); }
      }
      this.expect(']');
      return { kind: 'list', items };
    }
    return this.fail(`unexpected '${t.text}'`);
  }
}

/** Parse a whole program; throws ParseError naming the line and column. */
export function parseProgram(src: string): Statement[] {
  const out: Statement[] = [];
  src.split('\n').forEach((raw, i) => {
    const line = i + 1;
    for (const part of raw.replace(/#.*$/, '').split(';')) {
      const text = part.trim();
      if (!text) continue;
      const toks = tokenize(part, line);
      let isConst = false;
      let k = 0;
      if (toks[0]?.kind === 'name' && toks[0].text === 'const') { isConst = true; k = 1; }
      let name: string | null = null;
      if (toks[k]?.kind === 'name' && toks[k + 1]?.kind === 'op' && toks[k + 1]!.text === '=') {
        name = toks[k]!.text;
        k += 2;
      } else if (isConst) {
        throw new ParseError("expected 'name = value' after const", line, toks[1]?.col ?? 7);
      }
      const p = new Parser(toks.slice(k), line, part.length);
      const expr = p.expr();
      const extra = p.leftover();
      if (extra) throw new ParseError(`unexpected '${extra.text}' after the expression`, line, extra.col);
      out.push({ name, isConst, expr, line });
    }
  });
  if (out.length === 0) throw new ParseError('the program is empty; write an expression such as x + y*z', 1, 1);
  return out;
}

/** The names an expression reads (not the functions it calls). */
export function namesIn(e: Expr, into: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'name': into.add(e.name); break;
    case 'list': e.items.forEach((x) => namesIn(x, into)); break;
    case 'unary': namesIn(e.arg, into); break;
    case 'binary': namesIn(e.left, into); namesIn(e.right, into); break;
    case 'call': e.args.forEach((x) => namesIn(x, into)); break;
    case 'num': break;
  }
  return into;
}
