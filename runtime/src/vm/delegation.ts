/**
 * `delegate {}` grants (issue 9, class 9). A call that says it is made under
 * another agent's delegation (`call.delegation = {by, depth}`) must be covered
 * by a `delegate` block of agent `by` that names this agent (or names no
 * agent, which covers every one). EVERY such grant must admit the call:
 *
 * - `scope "TOOL[:FIELD OP NUMBER]"`: the tool matches the pattern (rule
 *   semantics: `*` within one `/` segment) and, with a bound, `args.FIELD` is
 *   a number that satisfies it (missing or not a number: denied);
 * - `max_depth`: `depth` (default 1) is a whole number from 1 to max_depth;
 * - `ttl`: the delegation ends `ttl` after the first call of this session
 *   that passed under it (runtime clock);
 * - `ceiling`: `permit` (no cap), `defer` (a permit becomes a defer), `deny`
 *   (nothing passes), `inherited` (no more than agent `by` itself would get
 *   for the same call, decided without changing state).
 *
 * A refusal is `DELEGATION_DENIED` with the grant's `rule_ref`. Delegation only
 * narrows: the agent's own rules decided first, and this runs on their permit
 * or defer.
 */
import type { DelegationModel } from '../pack/body-model';
import { CMP_NAMES } from '../pack/format';
import type { SessionState } from '../state/store';
import { ref } from './payloads';
import type { Call, Decision, TraceEvent } from './types';
import { patternMatch } from './values';

/** Grants that name an agent as delegate, by delegator id. */
export type DelegationGrants = Map<string, DelegationModel[]>;

const hasOwn = Object.prototype.hasOwnProperty;

function deny(rr: string | null, why: string): Decision {
  return { effect: 'deny', code: 'DELEGATION_DENIED', rule_ref: rr, human_message: `denied: ${why}`, resolution: { type: 'rule_block', rule_id: 'delegate' } };
}

function boundHolds(g: DelegationModel, call: Call): string | null {
  const b = g.bound!;
  let v: unknown = call.args;
  for (const seg of b.path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !hasOwn.call(v, seg)) return `args.${b.path.join('.')} is missing`;
    v = (v as { [k: string]: unknown })[seg];
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return `args.${b.path.join('.')} is not a number`;
  const x = b.value;
  const ok = [v === x, v !== x, v < x, v <= x, v > x, v >= x][b.op] === true;
  return ok ? null : `args.${b.path.join('.')} = ${v} is outside ${CMP_NAMES[b.op]} ${x}`;
}

/** Inputs of {@link checkDelegation}. */
export interface DelegationInput {
  agent: string;
  call: Call;
  grants: DelegationGrants | undefined;
  /** The delegate's session (for `ttl`). */
  sess: SessionState;
  nowMs: number;
  /** The rule or default decision (permit or defer). */
  decision: Decision;
  /** The decision agent `by` itself would get for this call, without changing state. */
  decideAs: ((agent: string) => Decision) | undefined;
  trace: TraceEvent[] | null;
}

/**
 * The decision after the delegation grants: a deny, the decision capped by
 * the ceilings, or the decision unchanged when the call names no delegation.
 */
export function checkDelegation(inp: DelegationInput): Decision {
  const { call, trace } = inp;
  const del: unknown = call.delegation;
  if (del === undefined) return inp.decision;
  const note = (rr: string | null, by: string, ok: boolean, detail: string): void => {
    if (trace) trace.push({ kind: 'delegation', rule_ref: rr, by, ok, detail });
  };
  if (del === null || typeof del !== 'object' || Array.isArray(del)) {
    note(null, '', false, 'malformed');
    return deny(null, 'call.delegation must be an object `{by, depth?}`');
  }
  const by = (del as { by?: unknown }).by;
  const depthRaw = (del as { depth?: unknown }).depth;
  if (typeof by !== 'string' || by === '') {
    note(null, '', false, 'malformed');
    return deny(null, 'call.delegation.by must name the delegating agent');
  }
  const depth = depthRaw === undefined ? 1 : depthRaw;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1) {
    note(null, by, false, 'malformed depth');
    return deny(null, 'call.delegation.depth must be a whole number ≥ 1');
  }
  const list = inp.grants?.get(by);
  if (list === undefined || list.length === 0) {
    note(null, by, false, 'no grant');
    return deny(null, `agent \`${by}\` does not delegate to \`${inp.agent}\``);
  }
  let d = inp.decision;
  let delegatorDecision: Decision | null = null;
  for (const g of list) {
    const rr = ref(g.file, g.line);
    let why: string | null = null;
    if (g.scope !== null && !patternMatch(g.scope.kind, g.scope.text, call.tool)) why = `${call.tool} is outside the delegated scope \`${g.scope.text}\``;
    else if (g.bound !== null) {
      const b = boundHolds(g, call);
      if (b !== null) why = `${b} (delegated scope)`;
    }
    if (why === null && g.maxDepth !== null && depth > g.maxDepth) why = `delegation depth ${depth} exceeds max_depth ${g.maxDepth}`;
    if (why === null && g.ttl !== null) {
      const since = inp.sess.delegatedSince && hasOwn.call(inp.sess.delegatedSince, by) ? inp.sess.delegatedSince[by]! : null;
      if (since !== null && (inp.nowMs - since > g.ttl * 1000 || inp.nowMs < since)) why = `the delegation by \`${by}\` expired (ttl ${g.ttl}s)`;
    }
    if (why === null) {
      const ceiling = g.ceiling;
      if (ceiling === 2) why = `the delegation by \`${by}\` has ceiling deny`;
      else if (ceiling === 1 && d.effect === 'permit') d = { effect: 'defer', code: 'POLICY_DEFER', rule_ref: rr, human_message: `${call.tool} deferred: delegated by \`${by}\` with ceiling defer`, resolution: { type: 'pending_approval', approval_id: '' } };
      else if (ceiling === 3) {
        if (inp.decideAs === undefined) why = 'the delegator cannot be consulted for ceiling inherited';
        else {
          delegatorDecision ??= inp.decideAs(by);
          if (delegatorDecision.effect === 'deny') why = `the delegator \`${by}\` would be denied this call (${delegatorDecision.code}; ceiling inherited)`;
          else if (delegatorDecision.effect === 'defer' && d.effect === 'permit')
            d = { effect: 'defer', code: 'POLICY_DEFER', rule_ref: rr, human_message: `${call.tool} deferred: the delegator \`${by}\` would need approval (ceiling inherited)`, resolution: { type: 'pending_approval', approval_id: '' } };
        }
      }
    }
    note(rr, by, why === null, why ?? 'ok');
    if (why !== null) return deny(rr, why);
  }
  return d;
}

/** Records the start of a delegation in the delegate's session (for `ttl`), once. */
export function recordDelegation(sess: SessionState, call: Call, nowMs: number): void {
  const by = call.delegation?.by;
  if (typeof by !== 'string') return;
  const m = (sess.delegatedSince ??= Object.create(null) as { [by: string]: number });
  if (!hasOwn.call(m, by)) m[by] = nowMs;
}

/**
 * Grants by delegate agent id, then by delegator id. A grant that names no
 * agent covers every agent of the pack; targets outside the pack are skipped.
 */
export function indexGrants(agentIds: readonly string[], grants: readonly DelegationModel[] | undefined): Map<string, DelegationGrants> {
  const out = new Map<string, DelegationGrants>();
  if (!grants) return out;
  const known = new Set(agentIds);
  for (const g of grants) {
    const by = agentIds[g.agent]!;
    const targets = g.targets.length === 0 ? agentIds : g.targets.filter((t) => known.has(t));
    for (const t of new Set(targets)) {
      let m = out.get(t);
      if (m === undefined) out.set(t, (m = new Map()));
      const l = m.get(by);
      if (l) l.push(g);
      else m.set(by, [g]);
    }
  }
  return out;
}
