/**
 * The dtypes nabla supports. float64 exists everywhere because gradcheck runs in it. bfloat16 and float16 are
 * stored as 16-bit patterns (a Uint16Array inside the backend; see half.ts) and computed in float32.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool' | 'bfloat16' | 'float16';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool', 'bfloat16', 'float16'];

export const itemSize: { [D in DType]: number } = { float32: 4, float64: 8, int32: 4, bool: 1, bfloat16: 2, float16: 2 };

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'bfloat16' || d === 'float16';
}

export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
    case 'bool': return new Uint8Array(size);
    case 'bfloat16': case 'float16': return new Uint16Array(size);
  }
}

const TORCH_NAMES: Record<string, DType> = { float: 'float32', double: 'float64', int: 'int32', long: 'int32', int64: 'int32' };

export function assertDType(op: string, d: unknown): asserts d is DType {
  if (typeof d === 'string' && /^(cpu|cuda|mps|gpu|meta|xla)(:\d+)?$/i.test(d)) {
    throw new TypeError(`${op}: '${d}' is a device, not a dtype; nabla has no devices; backends are chosen with nb.setBackend('ts' | 'wasm')`);
  }
  if (typeof d === 'string' && d.replace(/^torch\./, '') in TORCH_NAMES) {
    throw new TypeError(`${op}: unknown dtype '${d}'; nabla's dtypes are ${DTYPES.join(', ')} (did you mean '${TORCH_NAMES[d.replace(/^torch\./, '')]}'?)`);
  }
  if (typeof d !== 'string' || !(DTYPES as readonly string[]).includes(d)) {
    throw new TypeError(`${op}: unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(', ')}`);
  }
}

const rank: { [D in DType]: number } = { bool: 0, int32: 1, bfloat16: 2, float16: 2, float32: 3, float64: 4 };

/** Type promotion for binary ops between two tensors: bool < int32 < {bfloat16, float16} < float32 < float64; bfloat16 with float16 gives float32 (PyTorch). */
export function promote(a: DType, b: DType): DType {
  if (rank[a] === rank[b] && a !== b) return 'float32';
  return rank[a] >= rank[b] ? a : b;
}

/** Promotion of a tensor dtype with a JS number, as PyTorch treats a Python scalar: it never widens a float tensor. */
export function promoteScalar(d: DType, value: number): DType {
  if (isFloat(d)) return d;
  if (!Number.isInteger(value)) return 'float32';
  return d === 'bool' ? 'int32' : d;
}

/** The floating dtype an op computes in when its input is integral (e.g. exp of an int tensor). */
export function floatOf(d: DType): DType {
  return isFloat(d) ? d : 'float32';
}
