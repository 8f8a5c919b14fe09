/** A readable listing of an agent's kernel fence (`fms-run exec --dry-run`, `fmsc inspect`). */
import { disassemble } from './bpf';
import { FS, NET, SCOPE, rightNames } from './landlock-abi';
import type { AgentFence } from './profile';
import type { Arch } from './syscalls';

/** The fence of one agent as text; `arches` chooses which seccomp programs to disassemble. */
export function describeFence(f: AgentFence, arches: readonly Arch[]): string {
  const l = f.landlock;
  const out = [
    `agent ${JSON.stringify(f.agent)}: profile ${f.profile}, isolation ${f.isolation}`,
  ];
  if (f.profile === 'off') {
    out.push('  no seccomp filter and no Landlock ruleset (profile off)');
    return out.join('\n');
  }
  out.push(`  landlock: minimum ABI ${l.minAbi}; rights above the kernel's ABI are dropped (best effort)`);
  out.push(`    handled fs: ${rightNames(l.handledFs, FS).join(' ')}`);
  out.push(`    handled net: ${rightNames(l.handledNet, NET).join(' ') || '-'} (ABI >= 4)`);
  out.push(`    scopes: ${rightNames(l.scoped, SCOPE).join(' ') || '-'} (ABI >= 6)`);
  if (l.paths.length === 0) out.push('    paths: none (no file may be read, written or executed)');
  for (const p of l.paths) out.push(`    path ${p.path}: ${rightNames(p.access, FS).join(' ')}`);
  if (l.ports.length === 0) out.push('    tcp ports: none');
  for (const p of l.ports) out.push(`    tcp port ${p.port}: ${rightNames(p.access, NET).join(' ')}`);
  for (const arch of arches) {
    const prog = f.seccomp?.[arch] ?? [];
    out.push(`  seccomp ${arch}: ${prog.length} instructions`);
    out.push(...disassemble(prog, arch).split('\n').map((s) => `    ${s}`));
  }
  return out.join('\n');
}
