/**
 * The Landlock part of an agent's kernel fence (DESIGN §6): which rights the
 * ruleset handles (everything the newest ABI knows, so anything not granted
 * is refused), one rule per path with the union of the rights its lists give,
 * TCP port rules, and both IPC scopes. The loader masks all of it with the
 * running kernel's ABI and keeps only file rights on paths that are files.
 */
import type { EnforcementSpec } from '../ir/types';
import { FS_BY_ABI, FS_EXEC, FS_READ, FS_WRITE, MAX_ABI, NET, NET_BY_ABI, SCOPE_BY_ABI } from '@fms/runtime/os';
import type { LandlockSpec } from '@fms/runtime/os';

/** Builds the Landlock spec of one agent. Paths are in first-mention order; ports ascending. */
export function landlockSpec(e: EnforcementSpec): LandlockSpec {
  const paths = new Map<string, number>();
  const grant = (list: string[], rights: number) => {
    for (const p of list) paths.set(p, (paths.get(p) ?? 0) | rights);
  };
  grant(e.fsRead, FS_READ);
  grant(e.fsWrite, FS_WRITE);
  grant(e.fsExec, FS_EXEC);
  const ports = new Map<number, number>();
  for (const p of e.netConnect) ports.set(p, (ports.get(p) ?? 0) | NET.CONNECT_TCP);
  for (const p of e.netBind) ports.set(p, (ports.get(p) ?? 0) | NET.BIND_TCP);
  return {
    minAbi: e.landlockMinAbi,
    handledFs: FS_BY_ABI[MAX_ABI]!,
    handledNet: NET_BY_ABI[MAX_ABI]!,
    scoped: SCOPE_BY_ABI[MAX_ABI]!,
    paths: [...paths].map(([path, access]) => ({ path, access })),
    ports: [...ports].sort((a, b) => a[0] - b[0]).map(([port, access]) => ({ port, access })),
  };
}
