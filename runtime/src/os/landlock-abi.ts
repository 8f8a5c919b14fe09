/**
 * Landlock rights and scopes (linux/landlock.h) and what each ABI version
 * knows. The loader masks a profile's rights with the kernel's ABI
 * (best effort) after refusing kernels below the profile's minimum ABI.
 */

/** Filesystem access rights (`LANDLOCK_ACCESS_FS_*`). */
export const FS = {
  EXECUTE: 1 << 0,
  WRITE_FILE: 1 << 1,
  READ_FILE: 1 << 2,
  READ_DIR: 1 << 3,
  REMOVE_DIR: 1 << 4,
  REMOVE_FILE: 1 << 5,
  MAKE_CHAR: 1 << 6,
  MAKE_DIR: 1 << 7,
  MAKE_REG: 1 << 8,
  MAKE_SOCK: 1 << 9,
  MAKE_FIFO: 1 << 10,
  MAKE_BLOCK: 1 << 11,
  MAKE_SYM: 1 << 12,
  /** ABI 2. */
  REFER: 1 << 13,
  /** ABI 3. */
  TRUNCATE: 1 << 14,
  /** ABI 5. */
  IOCTL_DEV: 1 << 15,
} as const;

/** TCP rights (`LANDLOCK_ACCESS_NET_*`, ABI 4). */
export const NET = { BIND_TCP: 1 << 0, CONNECT_TCP: 1 << 1 } as const;

/** IPC scopes (`LANDLOCK_SCOPE_*`, ABI 6). */
export const SCOPE = { ABSTRACT_UNIX_SOCKET: 1 << 0, SIGNAL: 1 << 1 } as const;

/** Highest ABI this toolchain knows. */
export const MAX_ABI = 7;

/** Filesystem rights handled at each ABI (index = ABI; 0 = no Landlock). */
export const FS_BY_ABI: readonly number[] = [0, 0x1fff, 0x3fff, 0x7fff, 0x7fff, 0xffff, 0xffff, 0xffff];
export const NET_BY_ABI: readonly number[] = [0, 0, 0, 0, 0x3, 0x3, 0x3, 0x3];
export const SCOPE_BY_ABI: readonly number[] = [0, 0, 0, 0, 0, 0, 0x3, 0x3];

/** Rights that apply to a file (not a directory); a rule on a file carries only these. */
export const FS_FILE_RIGHTS = FS.EXECUTE | FS.WRITE_FILE | FS.READ_FILE | FS.TRUNCATE | FS.IOCTL_DEV;

/** `fs_read`: read files and list directories. */
export const FS_READ = FS.READ_FILE | FS.READ_DIR;
/** `fs_write`: change files and the tree under a directory (no device nodes). */
export const FS_WRITE =
  FS.WRITE_FILE | FS.TRUNCATE | FS.REMOVE_DIR | FS.REMOVE_FILE | FS.MAKE_DIR | FS.MAKE_REG | FS.MAKE_SOCK | FS.MAKE_FIFO | FS.MAKE_SYM | FS.REFER | FS.IOCTL_DEV;
/** `fs_exec`: execute, and read (the dynamic loader maps what it runs). */
export const FS_EXEC = FS.EXECUTE | FS.READ_FILE | FS.READ_DIR;

/** Names of the bits of a mask, for people. */
export function rightNames(mask: number, table: Readonly<Record<string, number>>): string[] {
  return Object.entries(table)
    .filter(([, bit]) => (mask & bit) !== 0)
    .map(([n]) => n.toLowerCase());
}
