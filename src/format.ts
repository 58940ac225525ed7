/**
 * Printing tensors as PyTorch does (torch/_tensor_str.py): `tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])`.
 *
 * Floats: when every finite value is an integer they print as `1.`; otherwise with 4 decimals; scientific
 * (`1.0000e+05`) when max|x|/min|x| > 1000, max|x| > 1e8 or min|x| < 1e-4 (over nonzero finite values).
 * Every element is right-aligned to the widest one. Rows of a 2-D tensor are separated by ",\n" plus
 * indentation, blocks of higher dims by extra blank lines. Tensors over 1000 elements are summarised: each
 * dim longer than 6 shows its first and last 3 entries around `...`. Suffixes: `dtype=` unless float32 or bool,
 * `requires_grad=True` on a leaf that requires grad, `grad_fn=<MulBackward0>` on an op output.
 */
import type { Tensor } from './tensor.js';

const THRESHOLD = 1000, EDGE = 3, LINEWIDTH = 80, PRECISION = 4;

type Nested = number | Nested[];

function fmtExp(v: number): string {
  // JS gives 1.0000e+5; PyTorch (Python) gives 1.0000e+05
  return v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');
}

function formatter(values: number[], dtype: string): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? 'True' : 'False');
  if (dtype === 'int32') return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
  const special = (v: number): string | null => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (finite.length === 0) return (v) => special(v) ?? '0.';
  const max = Math.max(...finite), min = Math.min(...finite);
  const intMode = values.every((v) => !Number.isFinite(v) || Number.isInteger(v));
  const sci = intMode ? max / min > 1000 || max > 1e8 : max / min > 1000 || max > 1e8 || min < 1e-4;
  if (sci) return (v) => special(v) ?? fmtExp(v);
  if (intMode) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  return (v) => special(v) ?? v.toFixed(PRECISION);
}

/** Keep the first and last EDGE entries of every long dim (null marks the "..." gap). */
function summarise(a: Nested, depth: number, shape: readonly number[], on: boolean): (Nested | null)[] | number {
  if (!Array.isArray(a)) return a;
  const n = shape[depth]!;
  const pick = on && n > 2 * EDGE ? [...a.slice(0, EDGE), null, ...a.slice(n - EDGE)] : a;
  return pick.map((x) => (x === null ? null : summarise(x as Nested, depth + 1, shape, on))) as (Nested | null)[];
}

function flatten(a: unknown, out: number[]): void {
  if (Array.isArray(a)) for (const x of a) flatten(x, out);
  else if (typeof a === 'number') out.push(a);
}

export function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const dtype = t.dtype;
  const suffixes: string[] = [];
  let body: string;
  if (t.numel() === 0) {
    body = '[]';
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(', ')}${t.ndim === 1 ? ',' : ''})`);
  } else {
    const sum = t.numel() > THRESHOLD;
    const raw = t.toArray();
    const toNum = (x: unknown): Nested => (Array.isArray(x) ? x.map(toNum) : typeof x === 'boolean' ? (x ? 1 : 0) : (x as number));
    const data = summarise(toNum(raw), 0, t.shape, sum);
    const vals: number[] = [];
    flatten(data, vals);
    const f = formatter(vals, dtype);
    const width = Math.max(...vals.map((v) => f(v).length));
    const el = (v: number) => f(v).padStart(width);
    const render = (a: unknown, depth: number, ind: number): string => {
      if (!Array.isArray(a)) return el(a as number);
      const dimsLeft = t.ndim - depth;
      if (dimsLeft === 1) {
        const items = a.map((x) => (x === null ? ' ...' : el(x as number)));
        const perLine = Math.max(1, Math.floor((LINEWIDTH - ind) / (width + 2)));
        const lines: string[] = [];
        for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
        return `[${lines.join(',\n' + ' '.repeat(ind + 1))}]`;
      }
      const sep = ',' + '\n'.repeat(dimsLeft - 1) + ' '.repeat(ind + 1);
      return `[${a.map((x) => (x === null ? '...' : render(x, depth + 1, ind + 1))).join(sep)}]`;
    };
    body = render(data, 0, indent);
  }
  if (dtype !== 'float32' && dtype !== 'bool') suffixes.push(`dtype=${dtype}`);
  if (t.gradFn) suffixes.push(`grad_fn=<${backwardName(t.gradFn.name)}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return `${prefix}${body}${suffixes.length ? ', ' + suffixes.join(', ') : ''})`;
}

/** 'mul' → 'MulBackward0', 'AccumulateGrad' stays (PyTorch's node names). */
export function backwardName(opName: string): string {
  if (/Backward\d*$/.test(opName) || opName === 'AccumulateGrad') return opName;
  const camel = opName.replace(/[_.](\w)/g, (_, c: string) => c.toUpperCase());
  return `${camel.charAt(0).toUpperCase()}${camel.slice(1)}Backward0`;
}
