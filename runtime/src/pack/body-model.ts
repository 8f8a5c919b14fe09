/**
 * The decoded form of a pack body. The compiler's emitter builds one from the IR
 * and `writeBody` serialises it; `readBody` parses bytes back into the same
 * shape after checking every count, index, range and enum.
 */

/** A tool pattern: kind index into PATTERN_NAMES plus the text as written. */
export interface PatternModel {
  kind: number;
  text: string;
}

export type ConstModel =
  | { t: 'nil' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  /** Items are indices of earlier constants. */
  | { t: 'list'; items: number[] };

export interface PathModel {
  /** Index into ROOT_NAMES. */
  root: number;
  segs: string[];
}

export interface AgentModel {
  id: string;
  /** Index into EFFECT_NAMES. */
  defaultEffect: number;
  defaultDeclared: boolean;
  model: string | null;
  /** Line of the agent's `default` (of the agent itself when the default is implicit): what a default decision's `rule_ref` names. */
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
  col: number;
  ruleCount: number;
  phaseCount: number;
  rateLimitCount: number;
  budgetCount: number;
  redactionCount: number;
  /** Index into hostLists, or -1. */
  egress: number;
  /** Index into hostLists, or -1. */
  modelPolicy: number;
}

export interface RuleModel {
  effect: number;
  mandatory: boolean;
  /** Index into ORIGIN_NAMES. */
  origin: number;
  /** Agent-relative phase index or -1. */
  phase: number;
  pattern: PatternModel;
  /** Byte length of the condition function in BYTECODE (0 = always true); functions tile the section in rule order. */
  codeLen: number;
  /** Exact maximum operand-stack depth of the function (checked by the verifier). */
  maxStack: number;
  reason: string | null;
  notify: string | null;
}

export interface RuleLocModel {
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
  col: number;
  text: string;
}

export interface PhaseModel {
  id: string;
  /** Seconds, or null. */
  duration: number | null;
  /** Agent-relative phase index, or -1. */
  next: number;
  tools: PatternModel[];
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
  col: number;
}

export interface RateLimitModel {
  pattern: PatternModel;
  count: number;
  /** Index into WINDOW_NAMES. */
  per: number;
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
}

export interface BudgetModel {
  id: string;
  /** Index into BUDGET_WINDOW_NAMES. */
  window: number;
  max: number | null;
  daily: number | null;
  maxCalls: number | null;
  warnAt: number | null;
  /** Index into ON_EXCEED_NAMES. */
  onExceed: number;
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
}

export interface HostListModel {
  /** HOST_LIST_KIND. */
  kind: number;
  allow: string[];
  deny: string[];
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
}

export interface RedactionModel {
  pattern: PatternModel;
  paths: string[];
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
}

export interface BodyModel {
  /** The stack's source file name (rule_ref of its own rules is `file:LINE`). */
  file: string;
  irVersion: number;
  producer: string;
  consts: ConstModel[];
  paths: PathModel[];
  regexes: string[];
  agents: AgentModel[];
  /** All rules, agent after agent (each agent's `ruleCount` in order). */
  rules: RuleModel[];
  /** Parallel to `rules`. */
  ruleLocs: RuleLocModel[];
  code: Uint8Array;
  phases: PhaseModel[];
  rateLimits: RateLimitModel[];
  budgets: BudgetModel[];
  hostLists: HostListModel[];
  redactions: RedactionModel[];
  /** `session {}` limits (optional section SESSION_LIMITS); absent or empty = none. */
  sessionLimits?: SessionLimitModel[];
  /** `delegate {}` grants (optional section DELEGATIONS); absent or empty = none. */
  delegations?: DelegationModel[];
  /** OS-profile sections (type → bytes), opaque to the decision engine. */
  reserved: Map<number, Uint8Array>;
}

/** One agent's `session {}` limits. Seconds and USD; null = not set. */
export interface SessionLimitModel {
  /** Index into agents. */
  agent: number;
  maxDuration: number | null;
  idleTimeout: number | null;
  maxCalls: number | null;
  maxCost: number | null;
  line: number;
  /** Source of `line`: the stack's file, or the import ref of the package it came from. */
  file: string;
}

/** One `delegate {}` grant of a delegator agent. */
export interface DelegationModel {
  /** Index into agents: the delegator. */
  agent: number;
  /** Agent ids the grant is for; empty = every agent. */
  targets: string[];
  /** Tools the delegate may use under this grant; null = any. */
  scope: PatternModel | null;
  /** A numeric bound on one argument (`args.<path> OP value`); null = none. */
  bound: { path: string[]; op: number; value: number } | null;
  /** Seconds; null = no expiry. */
  ttl: number | null;
  /** Index into CEILING_NAMES. */
  ceiling: number;
  maxDepth: number | null;
  line: number;
  file: string;
}
