/**
 * The state of one kernel module's code generation, passed to every emitter that needs it (no module-level
 * mutable state): whether relaxed-SIMD fused multiply-add may be used, and the table of vector constants the
 * kernels read from linear memory. Also the small instruction helpers that depend on that state.
 */
import type { Instr } from '../emitter.js';
import { type Code, get, i32, set } from '../asm.js';

/**
 * Vector constants of the kernels live in a table in linear memory at bytes [CONST_BASE, CONST_END), written
 * once by the backend: TurboFan (V8 11.x) rematerialises a v128.const inside a loop with three instructions
 * every iteration, where a table entry is loaded into a local once.
 */
export const CONST_BASE = 64;
export const CONST_END = 2048;

const f32bits = (v: number): number => new Int32Array(new Float32Array([v]).buffer)[0]!;

export const mul = (): Instr => ['f32x4.mul'];
export const add = (): Instr => ['f32x4.add'];
export const sub = (): Instr => ['f32x4.sub'];

export class KernelContext {
  /**
   * Whether the kernels may use relaxed-SIMD fused multiply-add: relaxed_madd is fused where the CPU has FMA
   * and mul+add elsewhere; every formula of the kernels is accurate either way.
   */
  readonly relaxed: boolean;
  private readonly constIndex = new Map<string, number>();
  private readonly constBits: number[][] = [];

  constructor(opts: { relaxed: boolean }) {
    this.relaxed = opts.relaxed;
  }

  /**
   * The constant whose four i32 lanes hold `bits`, as a read of its local (see constLocals). Entries are keyed
   * by their bit patterns: a key by value would merge +0 with −0, which made relu return −0 for negative inputs.
   */
  readonly kc = (bits: readonly number[]): Code => {
    const key = bits.join(',');
    let i = this.constIndex.get(key);
    if (i === undefined) {
      i = this.constBits.length;
      if (CONST_BASE + 16 * (i + 1) > CONST_END) throw new Error('wasm kernels: constant table full');
      this.constIndex.set(key, i);
      this.constBits.push([...bits]);
    }
    return [get(`k${i}`)];
  };

  /** f32x4 constant v in every lane */
  readonly vk = (v: number): Code => {
    const b = f32bits(v);
    return this.kc([b, b, b, b]);
  };

  /** i32x4 constant v in every lane */
  readonly ik = (v: number): Code => this.kc([v | 0, v | 0, v | 0, v | 0]);

  /** |v| of the value on the stack: an and with a constant (V8 builds f32x4.abs's mask anew each time, 3 instructions) */
  readonly abs = (): Code => [...this.kc([0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff]), ['v128.and']];

  /** −v: an xor with the sign bit (f32x4.neg also costs V8 three instructions) */
  readonly negate = (): Code => [...this.kc([-0x80000000, -0x80000000, -0x80000000, -0x80000000]), ['v128.xor']];

  /** a·b + c */
  readonly fma = (a: Code, b: Code, c: Code): Code =>
    this.relaxed ? [...a, ...b, ...c, ['f32x4.relaxed_madd']] : [...a, ...b, mul(), ...c, add()];

  /** c − a·b */
  readonly fnma = (a: Code, b: Code, c: Code): Code =>
    this.relaxed ? [...a, ...b, ...c, ['f32x4.relaxed_nmadd']] : [...c, ...a, ...b, mul(), sub()];

  /** bytes to place at CONST_BASE before any kernel runs */
  constantTable(): Uint8Array {
    return new Uint8Array(new Int32Array(this.constBits.flat()).buffer);
  }
}

/**
 * Constants are read through locals loaded from the table once, before the loop: V8 keeps what fits in
 * registers and reloads the rest from its stack, where a load per use inside the loop costs an instruction
 * every time (and the same constant is loaded again at each use). Returns the locals and their loads.
 */
export function constLocals(code: Code): { locals: [string, 'v128'][]; init: Code } {
  const names = [...new Set(code.filter((ins) => ins[0] === 'local.get' && /^k\d+$/.test(ins[1] as string)).map((ins) => ins[1] as string))];
  return {
    locals: names.map((n): [string, 'v128'] => [n, 'v128']),
    init: names.flatMap((n): Code => [i32(0), ['v128.load', CONST_BASE + 16 * Number(n.slice(1))], set(n)]),
  };
}
