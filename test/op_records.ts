/**
 * The op-table rows that come from the op records (src/ops/define.ts): every case of every record becomes
 * a row named "<op> <label>", called through the op function; element-wise `ref`s are applied with
 * broadcasting. A record without cases cannot be declared (defineOp throws), so every registered op has
 * rows here.
 */
import '../src/index.js';
import { opRecords, type OpRecord } from '../src/ops/define.js';
import type { Tensor } from '../src/index.js';
import { R } from './op_refs.js';
import type { Arr } from '../src/ops/define.js';
import type { OpCase } from './ops_table.js';

/** f applied element-wise to inputs broadcast against each other (float64, row-major) */
function nary(f: (...v: number[]) => number) {
  return (...xs: Arr[]): Arr => {
    const rank = Math.max(0, ...xs.map((x) => x.shape.length));
    const shape = new Array<number>(rank).fill(1);
    for (const x of xs) x.shape.forEach((s, d) => { const k = d + rank - x.shape.length; if (s !== 1) shape[k] = s; });
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Array<number>(n);
    const idx = new Array<number>(rank).fill(0);
    for (let i = 0; i < n; i++) {
      let r = i;
      for (let d = rank - 1; d >= 0; d--) { idx[d] = r % shape[d]!; r = Math.floor(r / shape[d]!); }
      data[i] = f(...xs.map((x) => {
        let off = 0;
        const lead = rank - x.shape.length;
        x.shape.forEach((s, d) => { off = off * s + (s === 1 ? 0 : idx[d + lead]!); });
        return x.data[off]!;
      }));
    }
    return { shape, data };
  };
}

export function casesOf(rec: OpRecord): OpCase[] {
  return rec.cases.map((c) => {
    const fn = (...xs: Tensor[]) => (c.call ? c.call(rec.fn, ...xs) : rec.fn(...xs));
    const row: OpCase = {
      name: rec.name + (c.label ? ` ${c.label}` : ''),
      fn,
      shapes: c.shapes,
      twiceDifferentiable: c.twice !== false,
      domain: c.domain,
      ref: c.ref ? nary(c.ref) : c.expect ? (...xs: Arr[]) => c.expect!(R, ...xs) : undefined,
    };
    if (c.contiguousOnly) row.contiguousOnly = true;
    if (c.noExpanded) row.noExpanded = true;
    if (!rec.differentiable && !c.differentiable) row.differentiable = false;
    if (c.gradcheck === false) row.gradcheck = false;
    if (c.f32) row.f32 = c.f32;
    if (c.values) row.values = c.values;
    if (c.gradWant) row.gradWant = c.gradWant;
    if (c.torch) row.torch = c.torch;
    return row;
  });
}

export const recordCases: OpCase[] = opRecords.flatMap(casesOf);
