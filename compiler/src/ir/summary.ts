import type { Policy } from './types';

/** A small, stable view of the IR for tools (`fmsc check --format json --emit ir`). */
export function irSummary(ir: Policy) {
  return {
    irVersion: ir.irVersion,
    imports: ir.imports.map((i) => ({ ref: i.ref, sha256: i.sha256 ?? null })),
    agents: ir.agents.map((a) => ({
      id: a.id,
      implicit: a.implicit,
      default: a.default,
      rules: a.rules.length,
      mandatory: a.rules.filter((r) => r.mandatory).length,
      phases: a.phases.map((p) => p.id),
      budgets: a.budgets.map((b) => b.id),
      rateLimits: a.rateLimits.length,
      redactions: a.redactions.length,
      egress: !!a.egress,
      modelPolicy: !!a.modelPolicy,
    })),
  };
}
