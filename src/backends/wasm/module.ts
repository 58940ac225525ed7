/** Feature detection and assembly of the kernel module (emitted once at load time, shared by all threads). */
import { emitModule, type FuncDef } from './emitter.js';
import type { KernelExports } from './kernelExports.js';
import { KernelContext } from './kernels/context.js';
import { KERNEL_SPECS } from './kernels/index.js';

export type { KernelExports } from './kernelExports.js';

export interface Features {
  /** 128-bit SIMD validates (required) */
  simd: boolean;
  /** relaxed SIMD validates: the micro-kernel uses f32x4.relaxed_madd (fused where the CPU has FMA) */
  relaxed: boolean;
  /** SharedArrayBuffer exists, so a shared memory (and therefore threads) is possible */
  shared: boolean;
}

const probeMem = { shared: false, initialPages: 1, maximumPages: 1 };

function validates(f: FuncDef): boolean {
  try {
    return WebAssembly.validate(emitModule([f], probeMem));
  } catch {
    return false;
  }
}

export function detectFeatures(): Features {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    return { simd: false, relaxed: false, shared: false };
  }
  const zero: FuncDef['body'] = [['v128.const', 0, 0, 0, 0]];
  const simd = validates({ name: 'p', params: [], result: 'v128', locals: [], body: [...zero, ...zero, ['f32x4.add']] });
  const relaxed = simd && validates({
    name: 'p', params: [], result: 'v128', locals: [], body: [...zero, ...zero, ...zero, ['f32x4.relaxed_madd']],
  });
  const shared = typeof SharedArrayBuffer === 'function';
  return { simd, relaxed, shared };
}

export interface ModuleConfig {
  relaxed: boolean;
  shared: boolean;
  initialPages: number;
  maximumPages: number;
}

/** The bytes of the kernel module (every kernel family's functions) and of its constant table (for CONST_BASE). */
export function emitKernelModule(cfg: ModuleConfig): { bytes: Uint8Array<ArrayBuffer>; constants: Uint8Array } {
  const ctx = new KernelContext({ relaxed: cfg.relaxed });
  const funcs = KERNEL_SPECS.flatMap((s) => s.emit(ctx));
  const bytes = emitModule(funcs, { shared: cfg.shared, initialPages: cfg.initialPages, maximumPages: cfg.maximumPages });
  return { bytes, constants: ctx.constantTable() };
}

export function buildModule(cfg: ModuleConfig): { module: WebAssembly.Module; constants: Uint8Array } {
  const { bytes, constants } = emitKernelModule(cfg);
  return { module: new WebAssembly.Module(bytes), constants };
}

export function instantiate(mod: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  return inst.exports as unknown as KernelExports;
}
