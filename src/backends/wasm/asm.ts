/** Small helpers that make the instruction lists of the kernels read like structured code. */
import type { Instr } from './emitter.js';

export type Code = Instr[];

let labelId = 0;
const fresh = (p: string): string => `${p}${labelId++}`;

export const get = (n: string): Instr => ['local.get', n];
export const set = (n: string): Instr => ['local.set', n];
export const tee = (n: string): Instr => ['local.tee', n];
export const i32 = (v: number): Instr => ['i32.const', v];
export const f32 = (v: number): Instr => ['f32.const', v];
/** f32x4 constant with all lanes = v */
export const vf = (v: number): Instr => ['v128.const', v, v, v, v];

/** local += delta (i32) */
export const inc = (n: string, delta: number | string): Code =>
  [get(n), typeof delta === 'number' ? i32(delta) : get(delta), ['i32.add'], set(n)];

/**
 * for (i = start; i < end; i += step) body — `end` is evaluated every iteration. The compare is unsigned: loop
 * variables are often byte addresses, and the heap reaches 4 GiB (addresses ≥ 2^31 are negative as signed i32).
 * An index loop whose `end` may be negative (a count minus a constant) must use forRangeSigned.
 */
export function forRange(i: string, start: Code, end: Code, step: number | string, body: Code): Code {
  return loopWhileBelow(i, start, end, step, body, 'i32.ge_u');
}

/** forRange with a signed compare, for index loops whose `end` may be negative (then the body never runs) */
export function forRangeSigned(i: string, start: Code, end: Code, step: number | string, body: Code): Code {
  return loopWhileBelow(i, start, end, step, body, 'i32.ge_s');
}

function loopWhileBelow(i: string, start: Code, end: Code, step: number | string, body: Code, geOp: 'i32.ge_u' | 'i32.ge_s'): Code {
  const brk = fresh('brk'), cont = fresh('cont');
  return [
    ...start, set(i),
    ['block', brk],
    ['loop', cont],
    get(i), ...end, [geOp], ['br_if', brk],
    ...body,
    ...inc(i, step),
    ['br', cont],
    ['end'],
    ['end'],
  ];
}

/** if (cond) then else other */
export function ifElse(cond: Code, then: Code, other: Code = []): Code {
  return [...cond, ['if'], ...then, ...(other.length ? [['else'] as Instr, ...other] : []), ['end']];
}

/** min of two i32 expressions (signed) */
export function minI32(a: Code, b: Code, tmpA: string, tmpB: string): Code {
  return [...a, tee(tmpA), ...b, tee(tmpB), get(tmpA), get(tmpB), ['i32.lt_s'], ['select']];
}
