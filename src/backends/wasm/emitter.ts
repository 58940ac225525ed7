/**
 * A tiny WebAssembly binary emitter. The kernels are generated as bytes at load time so the backend
 * needs no build step and no binary asset: it works the same in Node and in browsers.
 *
 * Function bodies are written as flat instruction lists, e.g. `['local.get', 'x'], ['f32x4.add']`,
 * close to the text format so the kernels read like the spec. Locals are referred to by name.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
const valTypeCode: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** one instruction: opcode name followed by its immediates (local names, labels, constants) */
export type Instr = readonly [string, ...(string | number)[]];

type Imm = 'none' | 'local' | 'label' | 'func' | 'mem' | 'i32' | 'f32' | 'f64' | 'block' | 'lane' | 'v128' | 'memidx'
  | 'shuffle';

/** name → [prefix (0 = none), opcode, immediate kind] */
const OPS: Record<string, [number, number, Imm]> = {};
function def(prefix: number, imm: Imm, table: Record<string, number>): void {
  for (const [k, v] of Object.entries(table)) OPS[k] = [prefix, v, imm];
}
def(0, 'none', {
  unreachable: 0x00, nop: 0x01, else: 0x05, end: 0x0b, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.le': 0x5f, 'f32.ge': 0x60,
  'f64.eq': 0x61, 'f64.ne': 0x62, 'f64.lt': 0x63, 'f64.gt': 0x64, 'f64.le': 0x65, 'f64.ge': 0x66,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_s': 0x6d, 'i32.div_u': 0x6e, 'i32.rem_s': 0x6f,
  'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73, 'i32.shl': 0x74, 'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'f32.abs': 0x8b, 'f32.neg': 0x8c, 'f32.ceil': 0x8d, 'f32.floor': 0x8e, 'f32.trunc': 0x8f, 'f32.nearest': 0x90,
  'f32.sqrt': 0x91, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95, 'f32.min': 0x96,
  'f32.max': 0x97,
  'f64.abs': 0x99, 'f64.neg': 0x9a, 'f64.sqrt': 0x9f, 'f64.add': 0xa0, 'f64.sub': 0xa1, 'f64.mul': 0xa2,
  'f64.div': 0xa3, 'f64.min': 0xa4, 'f64.max': 0xa5,
  'i32.trunc_f32_s': 0xa8, 'f32.convert_i32_s': 0xb2, 'f32.demote_f64': 0xb6, 'f64.convert_i32_s': 0xb7,
  'f64.promote_f32': 0xbb, 'i32.reinterpret_f32': 0xbc, 'f32.reinterpret_i32': 0xbe,
});
def(0, 'block', { block: 0x02, loop: 0x03, if: 0x04 });
def(0, 'label', { br: 0x0c, br_if: 0x0d });
def(0, 'func', { call: 0x10 });
def(0, 'local', { 'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22 });
def(0, 'mem', {
  'i32.load': 0x28, 'f32.load': 0x2a, 'f64.load': 0x2b, 'i32.load8_u': 0x2d, 'i32.load16_u': 0x2f,
  'i32.store': 0x36, 'f32.store': 0x38, 'f64.store': 0x39, 'i32.store8': 0x3a, 'i32.store16': 0x3b,
});
def(0, 'i32', { 'i32.const': 0x41 });
def(0, 'f32', { 'f32.const': 0x43 });
def(0, 'f64', { 'f64.const': 0x44 });
def(0, 'memidx', { 'memory.size': 0x3f });
// SIMD (prefix 0xfd)
def(0xfd, 'mem', {
  'v128.load': 0x00, 'v128.load16x4_u': 0x04, 'v128.load32_splat': 0x09, 'v128.load64_splat': 0x0a, 'v128.store': 0x0b,
});
def(0xfd, 'v128', { 'v128.const': 0x0c });
/** i8x16.shuffle takes 16 byte-lane indices (0–31) as immediates */
def(0xfd, 'shuffle', { 'i8x16.shuffle': 0x0d });
def(0xfd, 'lane', { 'i32x4.extract_lane': 0x1b, 'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20, 'f64x2.extract_lane': 0x21 });
def(0xfd, 'none', {
  'i32x4.splat': 0x11, 'f32x4.splat': 0x13, 'f64x2.splat': 0x14,
  'i32x4.eq': 0x37, 'i32x4.gt_s': 0x3b, 'i16x8.narrow_i32x4_u': 0x86,
  'i32x4.extend_low_i16x8_u': 0xa9, 'i32x4.extend_high_i16x8_u': 0xaa,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51,
  'v128.bitselect': 0x52, 'v128.any_true': 0x53, 'i32x4.all_true': 0xa3, 'f64x2.promote_low_f32x4': 0x5f,
  'f32x4.ceil': 0x67, 'f32x4.floor': 0x68, 'f32x4.trunc': 0x69, 'f32x4.nearest': 0x6a,
  'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.shr_u': 0xad, 'i32x4.add': 0xae, 'i32x4.sub': 0xb1,
  'i32x4.mul': 0xb5, 'i32x4.min_s': 0xb6, 'i32x4.max_s': 0xb8,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6, 'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'f64x2.add': 0xf0, 'f64x2.sub': 0xf1, 'f64x2.mul': 0xf2, 'f64x2.div': 0xf3,
  'i32x4.trunc_sat_f32x4_s': 0xf8, 'f32x4.convert_i32x4_s': 0xfa,
  // relaxed SIMD: only emitted when WebAssembly.validate accepts it
  'f32x4.relaxed_madd': 0x105, 'f32x4.relaxed_nmadd': 0x106, 'f64x2.relaxed_madd': 0x107,
  // c + a[2i]·b[2i] + a[2i+1]·b[2i+1] on bfloat16 pairs; validates in Node 20 but is not used (see kernels/matmul.ts)
  'f32x4.relaxed_dot_bf16x8_add_f32': 0x113,
});
// bulk memory (prefix 0xfc)
def(0xfc, 'memidx', { 'memory.fill': 0x0b });
OPS['memory.copy'] = [0xfc, 0x0a, 'memidx'];

export class Bytes {
  buf: number[] = [];
  byte(b: number): this { this.buf.push(b & 0xff); return this; }
  bytes(bs: ArrayLike<number>): this { for (let i = 0; i < bs.length; i++) this.buf.push(bs[i]! & 0xff); return this; }
  u32(v: number): this {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.buf.push(b);
    } while (v !== 0);
    return this;
  }
  s32(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.buf.push(b); return this; }
      this.buf.push(b | 0x80);
    }
  }
  f32(v: number): this { const a = new Uint8Array(new Float32Array([v]).buffer); return this.bytes(a); }
  f64(v: number): this { const a = new Uint8Array(new Float64Array([v]).buffer); return this.bytes(a); }
  str(s: string): this { const e = new TextEncoder().encode(s); this.u32(e.length); return this.bytes(e); }
  /** a length-prefixed section/body */
  vec(inner: Bytes): this {
    this.u32(inner.buf.length);
    // no spread: bodies can exceed the engine's argument-count limit
    for (const b of inner.buf) this.buf.push(b);
    return this;
  }
}

export interface FuncDef {
  name: string;
  params: [string, ValType][];
  result?: ValType;
  locals: [string, ValType][];
  body: readonly Instr[];
  export?: boolean;
}

const natAlign: Record<string, number> = {
  'i32.load': 2, 'f32.load': 2, 'f64.load': 3, 'i32.load8_u': 0, 'i32.load16_u': 1, 'i32.store': 2, 'f32.store': 2,
  'f64.store': 3, 'i32.store8': 0, 'i32.store16': 1, 'v128.load': 4, 'v128.store': 4, 'v128.load16x4_u': 3, 'v128.load32_splat': 2,
  'v128.load64_splat': 3,
};

function encodeBody(f: FuncDef, funcIndex: Map<string, number>): Bytes {
  const idx = new Map<string, number>();
  f.params.forEach(([n], i) => idx.set(n, i));
  f.locals.forEach(([n], i) => idx.set(n, f.params.length + i));
  const b = new Bytes();
  // local declarations: one entry per local (run-length grouping is optional)
  b.u32(f.locals.length);
  for (const [, t] of f.locals) b.u32(1).byte(valTypeCode[t]);
  // label names → depth: track open blocks
  const labels: (string | null)[] = [];
  for (const ins of f.body) {
    const [op, ...imm] = ins;
    const info = OPS[op];
    if (!info) throw new Error(`emitter: unknown op ${op} in ${f.name}`);
    const [prefix, code, kind] = info;
    if (prefix) b.byte(prefix).u32(code);
    else b.byte(code);
    switch (kind) {
      case 'none':
        if (op === 'end') labels.pop();
        break;
      case 'block': {
        // immediates: [label?, resultType?]
        const label = typeof imm[0] === 'string' && !(imm[0] in valTypeCode) ? (imm[0] as string) : null;
        const rt = imm.find((x) => typeof x === 'string' && x in valTypeCode) as ValType | undefined;
        b.byte(rt ? valTypeCode[rt] : 0x40);
        labels.push(label);
        break;
      }
      case 'label': {
        const name = imm[0] as string;
        const d = labels.lastIndexOf(name);
        if (d < 0) throw new Error(`emitter: unknown label ${name} in ${f.name}`);
        b.u32(labels.length - 1 - d);
        break;
      }
      case 'func': {
        const fi = funcIndex.get(imm[0] as string);
        if (fi === undefined) throw new Error(`emitter: unknown function ${imm[0]}`);
        b.u32(fi);
        break;
      }
      case 'local': {
        const li = idx.get(imm[0] as string);
        if (li === undefined) throw new Error(`emitter: unknown local ${imm[0]} in ${f.name}`);
        b.u32(li);
        break;
      }
      case 'mem':
        // immediates: [offset = 0]; alignment is the natural one, except splat loads of unaligned data are fine anyway
        b.u32(natAlign[op] ?? 0).u32((imm[0] as number | undefined) ?? 0);
        break;
      case 'i32': b.s32(imm[0] as number); break;
      case 'f32': b.f32(imm[0] as number); break;
      case 'f64': b.f64(imm[0] as number); break;
      case 'lane': b.byte(imm[0] as number); break;
      case 'shuffle':
        if (imm.length !== 16) throw new Error(`emitter: i8x16.shuffle needs 16 lane indices in ${f.name}`);
        for (const l of imm) b.byte(l as number);
        break;
      case 'v128': {
        // v128.const as four f32 lanes
        const a = new Float32Array(imm.slice(0, 4) as number[]);
        b.bytes(new Uint8Array(a.buffer));
        break;
      }
      case 'memidx':
        b.byte(0);
        if (op === 'memory.copy') b.byte(0);
        break;
    }
  }
  b.byte(0x0b);
  return b;
}

export interface MemoryImport { shared: boolean; initialPages: number; maximumPages: number; }

/** Assemble a module importing env.memory and exporting the functions marked `export`. */
export function emitModule(funcs: FuncDef[], mem: MemoryImport): Uint8Array<ArrayBuffer> {
  const out = new Bytes().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  // type section: one type per function (duplicates are legal and keep this simple)
  const types = new Bytes().u32(funcs.length);
  for (const f of funcs) {
    types.byte(0x60).u32(f.params.length);
    for (const [, t] of f.params) types.byte(valTypeCode[t]);
    if (f.result) types.u32(1).byte(valTypeCode[f.result]);
    else types.u32(0);
  }
  out.byte(1).vec(types);
  // import section: env.memory
  const imp = new Bytes().u32(1).str('env').str('memory').byte(0x02);
  imp.byte(mem.shared ? 0x03 : 0x01).u32(mem.initialPages).u32(mem.maximumPages);
  out.byte(2).vec(imp);
  // function section
  const fs = new Bytes().u32(funcs.length);
  funcs.forEach((_, i) => fs.u32(i));
  out.byte(3).vec(fs);
  // export section
  const exported = funcs.map((f, i) => [f, i] as const).filter(([f]) => f.export !== false);
  const ex = new Bytes().u32(exported.length);
  for (const [f, i] of exported) ex.str(f.name).byte(0x00).u32(i);
  out.byte(7).vec(ex);
  // code section
  const funcIndex = new Map(funcs.map((f, i) => [f.name, i]));
  const code = new Bytes().u32(funcs.length);
  for (const f of funcs) code.vec(encodeBody(f, funcIndex));
  out.byte(10).vec(code);
  return new Uint8Array(out.buf);
}
