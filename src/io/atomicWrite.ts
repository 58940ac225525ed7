/**
 * Crash-safe file replacement (Node only). A reader of `path` sees either the old bytes or the new bytes,
 * never a torn mix: the data goes to a uniquely named temp file in the same directory (so the rename stays
 * on one filesystem and is atomic), is fsynced, renamed over the target, and the directory is fsynced so the
 * rename itself survives a power cut. On any failure the temp file is removed and the old file is untouched.
 * A process killed mid-write cannot remove its temp file; the next successful write of the same target
 * removes the temp files of that target whose writing process no longer exists.
 */
import type * as FsT from 'node:fs';
import { requireNode } from '../platform/node.js';

const fs = (): typeof FsT => requireNode('saving a file', 'encode with encodeCheckpoint and store the bytes yourself').fs;
const path = () => requireNode('saving a file', 'encode with encodeCheckpoint and store the bytes yourself').path;
const randomBytes = (n: number) => requireNode('saving a file', 'encode with encodeCheckpoint and store the bytes yourself').crypto.randomBytes(n);

export interface AtomicWriteOptions {
  /** Bytes per write call (default 1 MiB); also the granularity of `onChunk`. */
  chunkSize?: number;
  /** Test hook, called after each chunk lands in the temp file with the running byte count; throw to simulate a failure mid-write. */
  onChunk?: (bytesWritten: number) => void;
  /** Test hook, called after the temp file is complete and fsynced, just before the rename; throw to simulate a crash there. */
  beforeRename?: () => void;
}

const DEFAULT_CHUNK = 1 << 20;

// Directories cannot be opened or fsynced on some platforms (Windows: EISDIR/EPERM; some filesystems: EINVAL).
const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EACCES', 'ENOTSUP', 'EBADF']);

function tempPathFor(target: string): string {
  const dir = path().dirname(target);
  const base = path().basename(target);
  return path().join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Remove `.NAME.PID.HEX.tmp` files left next to `target` by writers that died mid-write: only this target's
 * temporaries, only when process PID is gone (signal 0 reports ESRCH). A live PID (this process's own
 * concurrent writes, another saver, or a reused PID) keeps its file.
 */
export function removeStaleTemps(target: string): string[] {
  const dir = path().dirname(target);
  const base = path().basename(target);
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = fs().readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      fs().unlinkSync(path().join(dir, name));
      removed.push(name);
    } catch { /* another writer removed it first */ }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: it exists, owned by someone else
  }
}

function chunkSizeOf(opts: AtomicWriteOptions): number {
  const c = opts.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isSafeInteger(c) || c <= 0) throw new RangeError(`writeFileAtomic: chunkSize must be a positive integer, got ${c}`);
  return c;
}

/** The mode of an existing target, so replacing a file does not silently change its permissions. */
function existingMode(target: string): number | undefined {
  try {
    return fs().statSync(target).mode & 0o7777;
  } catch {
    return undefined;
  }
}

export function writeFileAtomicSync(target: string, bytes: Uint8Array, opts: AtomicWriteOptions = {}): void {
  const chunk = chunkSizeOf(opts);
  const tmp = tempPathFor(target);
  const mode = existingMode(target);
  let fd: number | undefined;
  let renamed = false;
  try {
    fd = fs().openSync(tmp, 'wx', mode ?? 0o666); // wx: fail rather than clobber a same-named file
    if (mode !== undefined) fs().fchmodSync(fd, mode); // openSync's mode is filtered by the umask
    let written = 0;
    while (written < bytes.length) {
      const n = Math.min(chunk, bytes.length - written);
      // writeSync may write less than asked; advance by what it reports
      written += fs().writeSync(fd, bytes, written, n);
      opts.onChunk?.(written);
    }
    fs().fsyncSync(fd);
    fs().closeSync(fd);
    fd = undefined;
    opts.beforeRename?.();
    fs().renameSync(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) {
      if (fd !== undefined) try { fs().closeSync(fd); } catch { /* already failing; keep the first error */ }
      try { fs().unlinkSync(tmp); } catch { /* it may never have been created */ }
    }
  }
  fsyncDirSync(path().dirname(target));
  removeStaleTemps(target);
}

export async function writeFileAtomic(target: string, bytes: Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const chunk = chunkSizeOf(opts);
  const tmp = tempPathFor(target);
  const mode = existingMode(target);
  let fh: FsT.promises.FileHandle | undefined;
  let renamed = false;
  try {
    fh = await fs().promises.open(tmp, 'wx', mode ?? 0o666);
    if (mode !== undefined) await fh.chmod(mode);
    let written = 0;
    while (written < bytes.length) {
      const n = Math.min(chunk, bytes.length - written);
      const { bytesWritten } = await fh.write(bytes, written, n);
      written += bytesWritten;
      opts.onChunk?.(written);
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    opts.beforeRename?.();
    await fs().promises.rename(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) {
      if (fh !== undefined) await fh.close().catch(() => undefined);
      await fs().promises.unlink(tmp).catch(() => undefined);
    }
  }
  await fsyncDir(path().dirname(target));
  removeStaleTemps(target);
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs().openSync(dir, 'r');
    fs().fsyncSync(fd);
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) fs().closeSync(fd);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  let fh: FsT.promises.FileHandle | undefined;
  try {
    fh = await fs().promises.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}
