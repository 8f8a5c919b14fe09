import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import { sep } from 'node:path';

/** A file the CLI refuses to read, with a one-line reason. */
export class RefusedFile extends Error {}

const kind = (s: Stats): string =>
  s.isDirectory() ? 'a directory' : s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : s.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/**
 * Reads a REGULAR file with a size bound, without ever blocking on a FIFO or
 * opening a device: the real path is resolved first (and, with `within`, must
 * lie inside that real folder), `lstat` must say regular file, the file is
 * opened with O_NONBLOCK | O_NOFOLLOW | O_NOCTTY, and `fstat` of the open
 * descriptor must be the same regular file (on Linux, `/proc/self/fd` must also
 * name the checked path, so a folder swapped for a symlink in between is
 * caught). Returns undefined when the file does not exist; throws
 * {@link RefusedFile} with the reason otherwise.
 */
export function readRegularFile(path: string, maxBytes: number, within?: string): Buffer | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    const c = errno(e);
    if (c === 'ENOENT' || c === 'ENOTDIR') return undefined;
    throw new RefusedFile(c === 'ELOOP' ? 'a symbolic link loops' : c === 'EACCES' ? 'permission denied' : `cannot resolve its path (${c ?? String(e)})`);
  }
  if (within !== undefined && !real.startsWith(within.endsWith(sep) ? within : within + sep)) throw new RefusedFile('its real path is outside the registry folder (a symbolic link or `..` leads out)');
  const st = lstatSync(real);
  if (!st.isFile()) throw new RefusedFile(`it is ${kind(st)}, not a regular file`);
  if (st.size > maxBytes) throw new RefusedFile(`it is larger than ${maxBytes} bytes`);
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY);
  } catch (e) {
    throw new RefusedFile(`cannot open it (${errno(e) ?? String(e)})`);
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw new RefusedFile(`it is ${kind(fst)}, not a regular file`);
    if (fst.dev !== st.dev || fst.ino !== st.ino) throw new RefusedFile('it changed while it was being opened');
    if (within !== undefined) {
      let opened: string | undefined;
      try {
        opened = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        opened = undefined; // no /proc: the realpath + dev/ino checks above stand
      }
      if (opened !== undefined && opened !== real) throw new RefusedFile('its real path is outside the registry folder (a folder was replaced while it was opened)');
    }
    const buf = Buffer.alloc(Math.min(maxBytes, fst.size) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > maxBytes) throw new RefusedFile(`it is larger than ${maxBytes} bytes`);
      if (n === buf.length) break;
    }
    if (n === buf.length && n > fst.size) throw new RefusedFile('it grew while it was being read');
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
