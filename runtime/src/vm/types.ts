/**
 * The call the runtime decides on and the decision it answers with.
 */

/** A JSON-like value as the agent supplies it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * One tool call to decide.
 *
 * - `agent`: the agent id (must match an `agent` block, or the implicit agent).
 * - `tool`: the tool name, e.g. `stripe/refund`.
 * - `args`: the call's arguments (conditions read `args.<path>`, `host`, `path`, ...).
 * - `principal`: claims of the principal on whose behalf the agent acts.
 * - `session`: session id (phases, session budgets and history are per session; default `""`).
 * - `model`: the model the agent runs on (falls back to the agent's declared `model`).
 * - `cost`: USD the caller reports for this call (budgets); 0 when absent; must be finite and ≥ 0.
 * - `selectors`: caller-supplied selector values (`selector.<name>`).
 *
 * There is no `time`: rate limits, budgets, windows, phases and `time.*` read
 * the runtime's clock only (`LoadOptions.clock`), so a caller cannot reset its
 * own limits or move its own phase. A call that carries `time` is refused
 * (`INVALID_CALL`). `purpose("x")` reads `args.purpose`.
 */
export interface Call {
  agent: string;
  tool: string;
  args?: { [k: string]: unknown };
  principal?: { [k: string]: unknown };
  session?: string;
  model?: string;
  cost?: number;
  selectors?: { [k: string]: unknown };
  /**
   * Set by the host that relays a delegated call: `by` is the delegating
   * agent's id, `depth` the length of the delegation chain (1 = direct,
   * default 1). The delegator's `delegate` grant for this agent then applies
   * (scope, ttl, ceiling, max_depth). Absent: the agent acts on its own rules.
   */
  delegation?: { by: string; depth?: number };
}

export type DecisionEffect = 'permit' | 'deny' | 'defer';

/** Documented decision codes (faramesh denial codes plus `PERMIT`). */
export type DecisionCode =
  | 'PERMIT'
  | 'POLICY_DENY'
  | 'POLICY_DEFER'
  | 'UNKNOWN_AGENT'
  | 'OUT_OF_PHASE_TOOL_CALL'
  | 'RATE_EXCEEDED'
  | 'BUDGET_EXCEEDED'
  | 'EGRESS_DENIED'
  | 'MODEL_DENIED'
  | 'SESSION_LIMIT'
  | 'DELEGATION_DENIED'
  | 'INVALID_CALL'
  /** A rule that was reached read a field present with the wrong type, or the decision could not be made. */
  | 'POLICY_EVAL_ERROR';

export type Resolution =
  | { type: 'rule_block'; rule_id: string }
  | { type: 'pending_approval'; approval_id: string }
  | { type: 'retry_after'; retry_after_seconds: number }
  | { type: 'budget_reset'; resets_at: string | null };

/** A soft signal attached to a decision (BUDGET_WARNING; BUDGET_EXCEEDED under `on_exceed audit`). */
export interface DecisionWarning {
  code: 'BUDGET_WARNING' | 'BUDGET_EXCEEDED';
  budget_id: string;
  rule_ref: string;
  human_message: string;
}

/** The decision payload (DESIGN §3 step 8). */
export interface Decision {
  effect: DecisionEffect;
  code: DecisionCode;
  /** `governance.fms:LINE` of the rule (or limit, phase, agent default) that decided; null for an unknown agent. */
  rule_ref: string | null;
  human_message: string;
  resolution: Resolution | null;
  /** Set when a `deny!` rule decided. */
  mandatory?: boolean;
  /** Set for every defer. */
  approval_id?: string;
  /** Set for budget codes. */
  budget_id?: string;
  /** Rule `reason`, when the rule has one. */
  reason?: string;
  /** Rule `notify` target, when the rule has one. */
  notify?: string;
  warnings?: DecisionWarning[];
  /** Arguments with the agent's `redact` paths masked; present when a redaction applies to the tool. */
  redacted_args?: { [k: string]: unknown };
}

/** One step of an explanation. */
export type TraceEvent =
  | { kind: 'agent'; agent: string; known: boolean }
  | { kind: 'phase'; phase: string; visible: boolean }
  | {
      kind: 'rule';
      rule_ref: string;
      text: string;
      mandatory: boolean;
      /** `unknown`: the condition read a missing field and ended unknown (no match); `type-error`: a field had the wrong type (the call is denied). */
      result: 'match' | 'no-match' | 'unknown' | 'type-error' | 'skipped-phase';
      steps: ConditionStep[];
      /** Fields the condition read that the call does not carry. */
      missing: string[];
      /** Set when result is `type-error`: the field and what was wrong with it. */
      type_error?: { field: string; detail: string };
    }
  | { kind: 'default'; effect: DecisionEffect; rule_ref: string }
  | { kind: 'rate_limit'; rule_ref: string; pattern: string; tokens: number; capacity: number; ok: boolean }
  | { kind: 'budget'; rule_ref: string; budget_id: string; spent: number; calls: number; cost: number; ok: boolean; warn: boolean }
  | { kind: 'egress'; rule_ref: string; host: string | null; ok: boolean }
  | { kind: 'model_policy'; rule_ref: string; model: string | null; ok: boolean }
  | { kind: 'session_limit'; rule_ref: string; calls: number; spent: number; elapsed_seconds: number; ok: boolean }
  | { kind: 'delegation'; rule_ref: string | null; by: string; ok: boolean; detail: string }
  | { kind: 'redaction'; rule_ref: string; paths: string[] };

/** One evaluated step of a condition: a field read or an operator with its result. */
export interface ConditionStep {
  op: string;
  detail: string;
  /** The value loaded or computed (null when missing, unknown or a type error). */
  value: unknown;
  /** A `load` whose field is absent from the call. */
  missing?: true;
  /** A computation whose result is unknown (a missing operand). */
  unknown?: true;
  /** A field present with the wrong type, or a computation on one: the rule denies the call. */
  type_error?: true;
}

/** What `explain` returns: the decision plus every step that led to it. */
export interface Explanation {
  decision: Decision;
  candidates: number;
  events: TraceEvent[];
}
