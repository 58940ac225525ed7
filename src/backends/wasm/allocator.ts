/**
 * Block allocator over one WebAssembly.Memory. Sizes are rounded to classes (64-byte steps up to 1 KiB,
 * then 8 classes per power of two, ≤12.5% waste) and freed blocks go to a per-class free list, so the
 * steady state of a training loop — the same shapes every step — allocates nothing new.
 * Fresh memory comes from a bump pointer; the memory grows (geometrically) when the bump pointer passes its end.
 */

export interface WasmBlock {
  readonly ptr: number;
  /** bytes the caller asked for (what bytesInUse counts) */
  readonly bytes: number;
  /** the class size actually reserved */
  readonly cls: number;
  live: boolean;
}

const PAGE = 65536;
const ALIGN = 64;
const ADDRESS_SPACE = 2 ** 32;

export function sizeClass(bytes: number): number {
  if (bytes <= 1024) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class Allocator {
  private top: number;
  private readonly free = new Map<number, number[]>();
  private inUse = 0;
  private reserved = 0;

  /**
   * `zeroFill(ptr, bytes)` zeroes memory for alloc(…, zero = true): the backend passes a wasm memory.fill, a
   * native memset several times faster than Uint8Array.fill over a shared buffer (the default here).
   */
  constructor(readonly memory: WebAssembly.Memory, base: number, private readonly maxPages: number,
    private readonly zeroFill: (ptr: number, bytes: number) => void = (ptr, bytes) => new Uint8Array(memory.buffer, ptr, bytes).fill(0)) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  /** A block of at least `bytes` bytes; `zero` asks for zero-filled contents. */
  alloc(bytes: number, zero: boolean): WasmBlock {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`wasm alloc: invalid size ${bytes}`);
    const cls = sizeClass(bytes);
    let ptr = this.free.get(cls)?.pop();
    let dirty = true;
    let got = cls;
    if (ptr === undefined) {
      if (this.fits(cls)) {
        ptr = this.bump(cls);
        dirty = false; // memory above the bump pointer has never been written
      } else {
        // out of address space: reuse the smallest larger free block instead of failing
        const larger = [...this.free.entries()].filter(([c, l]) => c > cls && l.length > 0).sort((a, b) => a[0] - b[0])[0];
        if (!larger) throw new RangeError(`wasm backend: out of memory allocating ${bytes} bytes (limit ${this.maxPages * PAGE} bytes)`);
        got = larger[0];
        ptr = larger[1].pop()!;
      }
    }
    if (zero && dirty && bytes > 0) this.zeroFill(ptr, bytes);
    this.inUse += bytes;
    this.reserved += got;
    return { ptr, bytes, cls: got, live: true };
  }

  release(b: WasmBlock): void {
    if (!b.live) throw new Error('wasm backend: block disposed twice');
    b.live = false;
    this.inUse -= b.bytes;
    this.reserved -= b.cls;
    let l = this.free.get(b.cls);
    if (!l) this.free.set(b.cls, (l = []));
    l.push(b.ptr);
  }

  /** exact sum of the requested sizes of live blocks */
  bytesInUse(): number {
    return this.inUse;
  }

  /** bytes reserved by live blocks (class sizes) and the high-water mark of the heap */
  stats(): { reserved: number; heapTop: number; memoryBytes: number } {
    return { reserved: this.reserved, heapTop: this.top, memoryBytes: this.memory.buffer.byteLength };
  }

  /**
   * The heap ends 64 bytes short of 2^32 at most: kernels loop while an address is below a block's end address,
   * and the end of a block that reached the top of a 4 GiB memory would wrap to 0 in 32 bits.
   */
  private fits(cls: number): boolean {
    return this.top + cls <= Math.min(this.maxPages * PAGE, ADDRESS_SPACE - ALIGN);
  }

  private bump(cls: number): number {
    const ptr = this.top;
    this.top += cls;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      const needPages = Math.ceil((this.top - have) / PAGE);
      const curPages = have / PAGE;
      // grow by at least half the current size so a growing workload does not grow (and, unshared, copy) often
      const want = Math.min(this.maxPages - curPages, Math.max(needPages, Math.ceil(curPages / 2)));
      this.memory.grow(want);
    }
    return ptr;
  }
}
