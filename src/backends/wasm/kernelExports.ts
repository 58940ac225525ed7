/** The exports of the kernel module every thread calls; all pointers are byte addresses into the shared memory. */
export interface KernelExports {
  gemm_macro(pa: number, pb: number, c: number, ldc: number, mc: number, nc: number, kc: number, accum: number, tile: number): void;
  gemm_pack_a(src: number, sm: number, sk: number, mc: number, kc: number, dst: number): void;
  gemm_pack_b(src: number, sk: number, sn: number, kc: number, nc: number, dst: number): void;
  /** the micro-tile rows the module's GEMM was built with (selects its blocking) */
  gemm_mr(): number;
  [name: string]: (...args: number[]) => number | void;
}
