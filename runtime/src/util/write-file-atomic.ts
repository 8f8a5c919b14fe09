import { closeSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of the new file; default: the mode of the file it replaces, else 0644. */
  mode?: number;
  /** Also fsync the folder after the rename (best effort), so the rename itself survives a crash. */
  syncDir?: boolean;
}

/**
 * Replaces a file's content atomically: writes a temporary file next to the
 * target (a symlink is followed, so its target is replaced), flushes it, then
 * renames it over the target. On failure the temporary file is removed, the
 * target is untouched and the error is rethrown.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): void {
  let target = path;
  let mode = opts.mode;
  try {
    target = realpathSync(path);
    mode ??= statSync(target).mode & 0o7777;
  } catch {
    // a new file
  }
  mode ??= 0o644;
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the write error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    throw e;
  }
  if (opts.syncDir) {
    try {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // directory fsync is best effort on platforms without it
    }
  }
}
