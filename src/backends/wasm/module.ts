/** Feature detection and assembly of the kernel module (emitted once at load time, shared by all threads). */
import { emitModule, type FuncDef } from './emitter.js';
import { matmulFuncs } from './matmulKernel.js';
import { elementwiseFuncs } from './elementwise.js';
import { convFuncs } from './convKernels.js';

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

export function buildModule(cfg: ModuleConfig): WebAssembly.Module {
  const bytes = emitModule([...matmulFuncs(cfg.relaxed), ...elementwiseFuncs({ relaxed: cfg.relaxed }), ...convFuncs()], {
    shared: cfg.shared, initialPages: cfg.initialPages, maximumPages: cfg.maximumPages,
  });
  return new WebAssembly.Module(bytes);
}

/** The exports every thread calls; all pointers are byte addresses into the shared memory. */
export interface KernelExports {
  gemm_macro(pa: number, pb: number, c: number, ldc: number, mc: number, nc: number, kc: number, accum: number, tile: number): void;
  gemm_pack_a(src: number, sm: number, sk: number, mc: number, kc: number, dst: number): void;
  gemm_pack_b(src: number, sk: number, sn: number, kc: number, nc: number, dst: number): void;
  /** the micro-tile rows the module's GEMM was built with (selects its blocking) */
  gemm_mr(): number;
  [name: string]: (...args: number[]) => number | void;
}

export function instantiate(mod: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  return inst.exports as unknown as KernelExports;
}
