/**
 * Every agent's kernel fence (seccomp programs for both architectures and the
 * Landlock spec), ready for the pack's OS-profile sections.
 */
import type { Policy } from '../ir/types';
import type { AgentFence } from '@fms/runtime/os';
import { landlockSpec } from './landlock';
import { emitSeccomp, seccompPlan } from './seccomp';

/** The fences of the agents that have one (an `enforcement {}` block, `os_tier` not false). */
export function agentFences(policy: Policy): AgentFence[] {
  const out: AgentFence[] = [];
  for (const a of policy.agents) {
    const e = a.enforcement;
    if (!e) continue;
    const f: AgentFence = { agent: a.id, profile: e.profile, isolation: e.isolation, landlock: landlockSpec(e) };
    if (e.profile !== 'off') {
      f.seccomp = { x86_64: emitSeccomp(seccompPlan(e, 'x86_64')!, 'x86_64'), aarch64: emitSeccomp(seccompPlan(e, 'aarch64')!, 'aarch64') };
    }
    out.push(f);
  }
  return out;
}
