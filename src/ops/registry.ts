/**
 * Late binding between op families. A rule may need ops of another family (expand's backward is a sum,
 * sum's backward is an expand), and two files importing each other would be an import loop. Instead each
 * family file registers its public functions here when it loads (`provide`), and rules call them as
 * `ops.sumToShape(...)` at run time. The types come from type-only imports, which leave no runtime edge.
 * src/index.ts loads every family, so by the time any rule runs, `ops` is complete.
 */
import type * as Elementwise from './elementwise.js';
import type * as Reduce from './reduce.js';
import type * as Movement from './movement.js';
import type * as Indexing from './indexing.js';
import type * as Matmul from './matmul.js';

export type Ops = typeof Elementwise & typeof Reduce & typeof Movement & typeof Indexing & typeof Matmul;

export const ops = {} as Ops;

export function provide(fns: Partial<Ops>): void {
  Object.assign(ops, fns);
}
