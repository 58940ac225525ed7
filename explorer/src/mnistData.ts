/** Reads mnist-digits.bin (written by tools/mnistDigits.mjs): "MNST", count, rows, cols (u32 LE), labels (u8), pixels (u8). */
export interface Digits {
  count: number;
  labels: Uint8Array;
  /** count × 784 bytes, 0..255 */
  pixels: Uint8Array;
}

export async function loadDigits(url: string): Promise<Digits> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`MNIST digits: GET ${url} answered ${res.status}`);
  const buf = new Uint8Array(await res.arrayBuffer());
  const view = new DataView(buf.buffer);
  const magic = String.fromCharCode(...buf.subarray(0, 4));
  if (magic !== 'MNST') throw new Error(`MNIST digits: ${url} is not a digits file (magic "${magic}")`);
  const count = view.getUint32(4, true), rows = view.getUint32(8, true), cols = view.getUint32(12, true);
  if (rows !== 28 || cols !== 28 || buf.length !== 16 + count * 785) throw new Error(`MNIST digits: ${url} has a bad header (${count} × ${rows}×${cols}, ${buf.length} bytes)`);
  return { count, labels: buf.subarray(16, 16 + count), pixels: buf.subarray(16 + count) };
}
