import type { Policy } from './types';

/**
 * A small, stable view of the IR for tools (`fmsc check --format json --emit
 * ir`). Its keys are snake_case like every JSON output of the toolchain (the
 * IR's TypeScript fields are camelCase: converted here, at the JSON boundary).
 * It has no table keyed by a user's word, so every key is one of these.
 */
export function irSummary(ir: Policy) {
  return {
    ir_version: ir.irVersion,
    imports: ir.imports.map((i) => ({ ref: i.ref, sha256: i.sha256 ?? null })),
    agents: ir.agents.map((a) => ({
      id: a.id,
      implicit: a.implicit,
      default: a.default,
      rules: a.rules.length,
      mandatory: a.rules.filter((r) => r.mandatory).length,
      phases: a.phases.map((p) => p.id),
      budgets: a.budgets.map((b) => b.id),
      rate_limits: a.rateLimits.length,
      redactions: a.redactions.length,
      egress: !!a.egress,
      model_policy: !!a.modelPolicy,
    })),
  };
}
