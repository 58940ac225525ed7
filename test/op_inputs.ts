/** Seeded input sampling for the op-table rows, shared by every suite that runs the table. */
import * as nb from '../src/index.js';
import { numelOf, type Domain, type OpCase } from './ops_table.js';

export function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function draw(domain: Domain, g: nb.Generator): number {
  switch (domain) {
    case 'real': return g.normal();
    case 'positive': return 0.5 + 1.5 * g.random();
    case 'nonzero': return (g.random() < 0.5 ? -1 : 1) * (0.3 + 1.2 * g.random());
    case 'unit': return -0.9 + 1.8 * g.random();
    case 'prob': return 0.05 + 0.9 * g.random();
    case 'clampSafe': {
      for (;;) {
        const v = g.normal();
        if ([-0.5, 0.5, 0.2].every((p) => Math.abs(v - p) > 0.05)) return v;
      }
    }
  }
}

export function sampleInputs(c: OpCase): number[][] {
  if (c.values) return c.values.map((v) => v.slice());
  const g = new nb.Generator(seedOf(c.name));
  return c.shapes.map((s, i) => {
    const d: Domain = Array.isArray(c.domain) ? c.domain[i]! : c.domain ?? 'real';
    return Array.from({ length: numelOf(s) }, () => draw(d, g));
  });
}

