/**
 * Syscall tables by architecture, built from the generated modules
 * (`runtime/scripts/gen-syscalls.mjs`). Lookups go through Maps, so a name
 * such as `constructor` or `__proto__` is simply unknown.
 */
import { SYSCALLS_AARCH64 } from './syscalls-aarch64';
import { SYSCALLS_X86_64 } from './syscalls-x86_64';

/** Architectures the kernel fence supports. */
export const ARCHES = ['x86_64', 'aarch64'] as const;
export type Arch = (typeof ARCHES)[number];

/** `AUDIT_ARCH_*` values (linux/audit.h): EM_X86_64 / EM_AARCH64 | 64-bit | little-endian. */
export const AUDIT_ARCH: { readonly [A in Arch]: number } = { x86_64: 0xc000003e, aarch64: 0xc00000b7 };

const byName = new Map<Arch, ReadonlyMap<string, number>>([
  ['x86_64', new Map(SYSCALLS_X86_64)],
  ['aarch64', new Map(SYSCALLS_AARCH64)],
]);
const byNumber = new Map<Arch, ReadonlyMap<number, string>>([
  ['x86_64', new Map(SYSCALLS_X86_64.map(([n, v]) => [v, n]))],
  ['aarch64', new Map(SYSCALLS_AARCH64.map(([n, v]) => [v, n]))],
]);

/** name → number for one architecture. */
export function syscallNumbers(arch: Arch): ReadonlyMap<string, number> {
  return byName.get(arch)!;
}

/** number → name for one architecture. */
export function syscallNames(arch: Arch): ReadonlyMap<number, string> {
  return byNumber.get(arch)!;
}

/** Highest syscall number in the table of `arch`; numbers above it get ENOSYS. */
export function maxSyscall(arch: Arch): number {
  const t = arch === 'x86_64' ? SYSCALLS_X86_64 : SYSCALLS_AARCH64;
  return t[t.length - 1]![1];
}

/** Every syscall name known on at least one architecture. */
export const KNOWN_SYSCALLS: ReadonlySet<string> = new Set([...SYSCALLS_X86_64.map((r) => r[0]), ...SYSCALLS_AARCH64.map((r) => r[0])]);

/** The architecture of this process as the fence names it, or undefined when there is no fence for it. */
export function hostArch(platform: string = process.platform, arch: string = process.arch): Arch | undefined {
  if (platform !== 'linux') return undefined;
  return arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'aarch64' : undefined;
}
