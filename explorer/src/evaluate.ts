/**
 * Runs a parsed playground program with nabla: inputs become float64 leaves that require grad, every
 * intermediate is a real nabla op, recorded under nb.viz.trace so the graph carries forward values.
 */
import * as nb from 'nabla';
import type { Tensor } from 'nabla';
import { namesIn, parseProgram, type Expr } from './parser.js';

type Value = Tensor | number;

export interface Program {
  /** the output tensor (the last statement) */
  output: Tensor;
  /** every named tensor: inputs (leaves) and intermediates */
  named: Record<string, Tensor>;
  inputs: string[];
}

const t64 = (v: nb.NestedArray) => nb.tensor(v, { dtype: 'float64' });
const asTensor = (v: Value): Tensor => (typeof v === 'number' ? t64(v) : v);
const need = (fn: string, args: Value[], n: number) => {
  if (args.length !== n) throw new Error(`${fn}: expected ${n} argument${n > 1 ? 's' : ''}, got ${args.length}`);
};
const int = (fn: string, v: Value | undefined): number => {
  const n = typeof v === 'number' ? v : v && v.numel() === 1 ? v.item() : NaN;
  if (!Number.isInteger(n)) throw new Error(`${fn}: expected an integer class index, got ${v === undefined ? 'nothing' : typeof v === 'number' ? v : `a tensor of shape [${v.shape.join(', ')}]`}`);
  return n;
};

/** The playground's functions: each is one nabla op (or a short composition of them). */
const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  sigmoid: (a) => (need('sigmoid', a, 1), nb.sigmoid(asTensor(a[0]!))),
  relu: (a) => (need('relu', a, 1), nb.relu(asTensor(a[0]!))),
  tanh: (a) => (need('tanh', a, 1), nb.tanh(asTensor(a[0]!))),
  exp: (a) => (need('exp', a, 1), nb.exp(asTensor(a[0]!))),
  log: (a) => (need('log', a, 1), nb.log(asTensor(a[0]!))),
  sqrt: (a) => (need('sqrt', a, 1), nb.sqrt(asTensor(a[0]!))),
  abs: (a) => (need('abs', a, 1), nb.abs(asTensor(a[0]!))),
  square: (a) => (need('square', a, 1), nb.square(asTensor(a[0]!))),
  // max(a, b): elementwise (routes the gradient to the larger); max(v): the largest element
  max: (a) => (a.length === 1 ? nb.amax(asTensor(a[0]!)) : (need('max', a, 2), nb.maximum(a[0]!, a[1]!))),
  min: (a) => (a.length === 1 ? nb.amin(asTensor(a[0]!)) : (need('min', a, 2), nb.minimum(a[0]!, a[1]!))),
  sum: (a) => (a.length === 1 ? nb.sum(asTensor(a[0]!)) : (need('sum', a, 2), nb.sum(asTensor(a[0]!), int('sum', a[1])))),
  mean: (a) => (need('mean', a, 1), nb.mean(asTensor(a[0]!))),
  softmax: (a) => (need('softmax', a, 1), nb.softmax(asTensor(a[0]!), -1)),
  logSoftmax: (a) => (need('logSoftmax', a, 1), nb.logSoftmax(asTensor(a[0]!), -1)),
  // crossEntropy(logits, k): −log softmax(logits)[k] for one row of logits (a vector) or a batch with targets
  crossEntropy: (a) => {
    need('crossEntropy', a, 2);
    const z = asTensor(a[0]!);
    if (z.ndim === 1) return nb.crossEntropy(z.unsqueeze(0), nb.tensor([int('crossEntropy', a[1])], { dtype: 'int32' }));
    const k = a[1]!;
    return nb.crossEntropy(z, typeof k === 'number' ? nb.tensor([k], { dtype: 'int32' }) : k.to('int32'));
  },
  transpose: (a) => (need('transpose', a, 1), asTensor(a[0]!).transpose(0, 1)),
};
export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

function evalExpr(e: Expr, env: Map<string, Value>): Value {
  switch (e.kind) {
    case 'num': return e.value;
    case 'list': {
      const toNested = (x: Expr): nb.NestedArray => {
        if (x.kind === 'list') return x.items.map(toNested);
        const v = evalExpr(x, env);
        if (typeof v !== 'number') throw new Error('a [list] may hold only numbers (write names outside lists)');
        return v;
      };
      return t64(toNested(e));
    }
    case 'name': {
      const v = env.get(e.name);
      if (v === undefined) throw new Error(`unknown name '${e.name}' (define it on an earlier line, e.g. ${e.name} = 1)`);
      return v;
    }
    case 'unary': {
      const v = evalExpr(e.arg, env);
      return typeof v === 'number' ? -v : nb.neg(v);
    }
    case 'binary': {
      const l = evalExpr(e.left, env), r = evalExpr(e.right, env);
      if (typeof l === 'number' && typeof r === 'number') {
        return e.op === '+' ? l + r : e.op === '-' ? l - r : e.op === '*' || e.op === '@' ? l * r : e.op === '/' ? l / r : l ** r;
      }
      switch (e.op) {
        case '+': return nb.add(l, r);
        case '-': return nb.sub(l, r);
        case '*': return nb.mul(l, r);
        case '/': return nb.div(l, r);
        case '@': return nb.matmul(asTensor(l), asTensor(r));
        case '^': return nb.pow(l, r);
      }
    }
    // falls through only on an unknown kind, which the parser never makes
    case 'call': {
      const f = FUNCTIONS[e.fn];
      if (!f) throw new Error(`unknown function '${e.fn}'; known: ${FUNCTION_NAMES.join(', ')}`);
      return f(e.args.map((a) => evalExpr(a, env)));
    }
  }
}

/** Parse and run `src`. Throws ParseError or an Error naming the problem. */
export function runProgram(src: string): Program {
  const stmts = parseProgram(src);
  const env = new Map<string, Value>();
  const named: Record<string, Tensor> = {};
  const inputs: string[] = [];
  let last: Value | null = null;
  return nb.viz.trace(() => {
    for (const s of stmts) {
      try {
        let v: Value;
        if (s.name && !s.isConst && namesIn(s.expr).size === 0) {
          // an input: evaluate the constant, then make it a leaf that requires grad
          v = nb.noGrad(() => asTensor(evalExpr(s.expr, env))).detach().requiresGrad_(true);
          v.name = s.name;
          inputs.push(s.name);
        } else if (s.isConst) {
          v = nb.noGrad(() => evalExpr(s.expr, env));
        } else {
          v = evalExpr(s.expr, env);
        }
        if (s.name) {
          env.set(s.name, v);
          if (typeof v !== 'number' && !s.isConst) named[s.name] = v;
        }
        last = v;
      } catch (err) {
        throw new Error(`line ${s.line}: ${(err as Error).message}`);
      }
    }
    if (last === null || typeof last === 'number' || !last.requiresGrad) {
      throw new Error('the last line must compute something from the inputs (a tensor that requires grad), e.g. f = x + y*z');
    }
    return { output: last, named, inputs };
  });
}
