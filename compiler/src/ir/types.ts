/**
 * The typed intermediate representation of a governance.fms stack.
 *
 * The IR is what the emitters (bytecode, pack, OS profiles) and the reference
 * interpreter consume. It is produced by `lower()` from the AST; every value is
 * normalised (money in USD, durations in seconds, sizes in bytes), every `var`
 * is resolved and every condition is a typed expression tree.
 *
 * INVARIANT: an IR produced by `compile()` with no error diagnostics is
 * well-formed: patterns are canonical, regexes were checked, phase `next`
 * names exist, delegation targets exist.
 */

/** A half-open range of UTF-16 offsets into the source text. */
export interface Span {
  start: number;
  end: number;
}

/** A 1-based source position plus the span it came from. */
export interface SourceLoc {
  file: string;
  line: number;
  col: number;
  span: Span;
}

export type Effect = 'permit' | 'deny' | 'defer';

/** Static type of an expression, as far as the checker knows it. */
export type ValueType = 'string' | 'number' | 'bool' | 'nil' | 'list' | 'any';

/** Run-time values a condition can see. */
export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

/**
 * A tool pattern in canonical form.
 * - `any`: the lone `*`, matches every tool name.
 * - `exact`: no wildcard; `text` is the tool name.
 * - `glob`: `*` matches any run of characters except `/` (rules);
 *   `text` is the pattern as written.
 * - `prefix`: a rate-limit or redact pattern ending in `*`; matches every tool
 *   name starting with `prefix` (may cross `/`).
 */
export type ToolPattern =
  | { kind: 'any'; text: '*' }
  | { kind: 'exact'; text: string }
  | { kind: 'glob'; text: string }
  | { kind: 'prefix'; text: string; prefix: string };

/** Roots a condition variable can read. */
export type VarRoot =
  | 'args' // args.<path>; also bare names and the shorthands amount/cmd
  | 'principal' // principal.<path>
  | 'time' // time.hour|weekday|month|day|minute (UTC unless the call says otherwise)
  | 'session' // session.<path> (id, phase, call_count, ...)
  | 'tool' // the tool name (`tool`, `tool_name`)
  | 'agent' // the agent id
  | 'model' // the model of the call
  | 'host' // args.host, or the host of args.url
  | 'method' // args.method
  | 'path' // args.path, or the path of args.url
  | 'query' // query.<k>: query parameter of args.url / args.query
  | 'headers' // headers.<k>: args.headers.<k>
  | 'recipients' // length of args.recipients
  | 'selector'; // selector.<name>: a value the caller supplies under call.selectors

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Typed condition expressions. Evaluation is total: see DESIGN §3. */
export type Expr =
  /**
   * A constant. `unsetEnv` names the environment variable it came from when
   * that variable was unset (only under `check --allow-unset-env`): the value
   * is then unknown, every comparison with it is an error (never true), and
   * the IR cannot be emitted (see `Policy.unsetEnv`).
   */
  | { k: 'lit'; value: Value; type: ValueType; span: Span; unsetEnv?: string }
  | { k: 'var'; root: VarRoot; path: string[]; type: ValueType; span: Span }
  | { k: 'list'; items: Expr[]; type: 'list'; span: Span }
  | { k: 'not'; e: Expr; type: 'bool'; span: Span }
  | { k: 'and' | 'or'; l: Expr; r: Expr; type: 'bool'; span: Span }
  | { k: 'cmp'; op: CmpOp; l: Expr; r: Expr; type: 'bool'; span: Span }
  /** `l in r` / `l not in r`: r is a list (membership) or a string (substring). */
  | { k: 'in'; negated: boolean; l: Expr; r: Expr; type: 'bool'; span: Span }
  /** `l matches "re"`: RE2 syntax, unanchored search; pattern checked at compile time. */
  | { k: 'matches'; l: Expr; pattern: string; type: 'bool'; span: Span }
  /** `contains` (substring / membership), `startsWith`, `endsWith`. */
  | { k: 'strop'; op: 'contains' | 'startsWith' | 'endsWith'; l: Expr; r: Expr; type: 'bool'; span: Span }
  /**
   * Built-in functions: history_contains_within(tool, seconds),
   * history_sequence(tool, tool, ...), history_tool_count(tool),
   * deny_count_within(seconds), args_array_len(path), args_array_contains(path, value),
   * args_array_any_match(path, regex), purpose(name), len(x),
   * session_sum(tool, field, windowSeconds), session_count(tool, windowSeconds).
   */
  | { k: 'call'; fn: BuiltinFn; args: Expr[]; type: ValueType; span: Span };

export type BuiltinFn =
  | 'history_contains_within'
  | 'history_sequence'
  | 'history_tool_count'
  | 'deny_count_within'
  | 'args_array_len'
  | 'args_array_contains'
  | 'args_array_any_match'
  | 'purpose'
  | 'len'
  | 'session_sum'
  | 'session_count';

/** Network selectors of a rule (`host`, `port`, `method`, `path`, `query k=v`, `header k=v`). */
export interface NetworkMatch {
  /** Host glob: `*.x.com` matches subdomains; exact otherwise (case-insensitive). */
  host?: string;
  port?: number;
  /** Upper-case HTTP method. */
  method?: string;
  /** Path glob: `*` matches any run of characters except `/`. */
  path?: string;
  /** Query parameters: value glob (`*` = any value). */
  query?: Array<{ key: string; value: string }>;
  /** Headers (lower-case names): value glob. */
  headers?: Array<{ key: string; value: string }>;
  /**
   * A `host`/`method`/`path` clause reads this unset environment variable
   * (`check --allow-unset-env` only): the clause is unknown, so the rule never
   * matches. Such an IR is never emitted (`Policy.unsetEnv`).
   */
  unsetEnv?: string;
}

export interface Rule {
  /** Position of the rule in the agent's evaluation order (0-based). */
  index: number;
  effect: Effect;
  /** `deny!`: applies whatever the position of other rules. */
  mandatory: boolean;
  tool: ToolPattern;
  /** Condition; absent = always. */
  when?: Expr;
  network?: NetworkMatch;
  reason?: string;
  notify?: string;
  /** Set for rules declared inside `phase ID {}`: only active in that phase. */
  phase?: string;
  origin: 'rules' | 'phase' | 'flat';
  loc: SourceLoc;
  /** The rule's source text, whitespace-normalised (for explain and the rule map). */
  text: string;
}

export interface Phase {
  id: string;
  /** Seconds after which the session moves to `next`; absent = never on its own. */
  durationSeconds?: number;
  next?: string;
  /** Tools visible in the phase: its rules' patterns plus its `tools` list. */
  tools: ToolPattern[];
  loc: SourceLoc;
}

export type Window = 'second' | 'minute' | 'hour' | 'day';

export interface RateLimit {
  pattern: ToolPattern;
  count: number;
  per: Window;
  loc: SourceLoc;
}

export type OnExceed = 'deny' | 'defer' | 'audit';

export interface Budget {
  id: string;
  /** `session`: per session id; `daily`: resets at 00:00 UTC; other ids: daily window per id unless `window` says otherwise. */
  window: 'session' | 'daily';
  /** USD cap for the window. */
  max?: number;
  /** Extra USD cap per UTC day. */
  daily?: number;
  maxCalls?: number;
  /** 0..1 fraction of `max` at which BUDGET_WARNING is added. */
  warnAt?: number;
  onExceed: OnExceed;
  loc: SourceLoc;
}

export interface Redaction {
  tool: ToolPattern;
  /** Dotted argument paths to mask. */
  paths: string[];
  loc: SourceLoc;
}

export interface HostLists {
  allow: string[];
  deny: string[];
  loc: SourceLoc;
}

export interface Delegation {
  targets: string[];
  fields: Record<string, Value>;
  loc: SourceLoc;
  /** `scope "TOOL[:FIELD OP NUMBER]"`: the tools (and one numeric bound) the delegate may use; absent = not written or not enforceable. */
  scope?: DelegationScope;
  /** `ttl`: seconds the delegation lasts, from the delegate's first delegated call in a session (runtime clock). */
  ttlSeconds?: number;
  /** `ceiling`: the most a delegated call may get (`inherited` = no more than the delegator would get for the same call). */
  ceiling?: 'permit' | 'defer' | 'deny' | 'inherited';
  /** `max_depth`: the longest delegation chain (1 = direct). */
  maxDepth?: number;
}

/** An enforceable delegation scope: a tool pattern and an optional numeric bound on one argument. */
export interface DelegationScope {
  tool: ToolPattern;
  bound?: { path: string[]; op: CmpOp; value: number };
  /** The scope as written. */
  text: string;
}

/** `session {}` limits (issue 9, class 9): enforced per (agent, session id) on the runtime's clock. */
export interface SessionLimits {
  /** Seconds from the session's first permitted or deferred call. */
  maxDurationSeconds?: number;
  /** Seconds between two calls after which the session is over. */
  idleTimeoutSeconds?: number;
  /** Most permitted or deferred calls in a session. */
  maxCalls?: number;
  /** Most USD (the callers' reported `cost`) a session may spend. */
  maxCost?: number;
  loc: SourceLoc;
}

/** Blocks the decision engine does not interpret, kept for tools and later emitters. */
export interface ConfigBlock {
  kind: string;
  id?: string;
  fields: Record<string, Value>;
  loc: SourceLoc;
}

/**
 * The kernel fence of one agent (DESIGN §6), from its `enforcement {}` block
 * and the stack's `runtime { agent_enforce_profile }`. Lists are as written
 * (paths absolute and normalised, ports 1–65535, syscall names known on at
 * least one architecture); an empty list grants nothing.
 */
export interface EnforcementSpec {
  /** `full`: allowlist of syscalls; `minimal`: deny-list; `off`: no seccomp and no Landlock. */
  profile: 'full' | 'minimal' | 'off';
  fsRead: string[];
  fsWrite: string[];
  fsExec: string[];
  /** TCP ports the agent may connect to / bind (Landlock ABI ≥ 4). */
  netConnect: number[];
  netBind: number[];
  /** Extra syscalls to refuse with EPERM / to allow on top of the profile. */
  syscallsDeny: string[];
  syscallsAllow: string[];
  /** Landlock ABI (1–7) below which the loader refuses to start the agent. */
  landlockMinAbi: number;
  isolation: 'none' | 'process';
  loc: SourceLoc;
}

export interface Agent {
  id: string;
  /** True for the agent made of flat rules in a file with no `agent` block. */
  implicit: boolean;
  default: Effect;
  /** False when the agent declared no `default` (deny is used, with a warning). */
  defaultDeclared: boolean;
  /** Where the `default` line is; a default decision's `rule_ref` names it (the agent's `loc` when the default is implicit). */
  defaultLoc?: SourceLoc;
  model?: string;
  framework?: string;
  version?: string;
  vars: Record<string, Value>;
  /** All rules in evaluation order: `rules` blocks, then phase rules, then flat rules. */
  rules: Rule[];
  phases: Phase[];
  rateLimits: RateLimit[];
  budgets: Budget[];
  redactions: Redaction[];
  egress?: HostLists;
  modelPolicy?: HostLists;
  delegations: Delegation[];
  /** The agent's `session {}` limits, when it declares any. */
  session?: SessionLimits;
  /** session, spawn, completion_gate, enforcement, alert, ambient, credential, selector, ... */
  blocks: ConfigBlock[];
  /** The kernel fence, when the agent has an `enforcement {}` block and the stack's `os_tier` is not false. */
  enforcement?: EnforcementSpec;
  loc: SourceLoc;
}

export interface Import {
  ref: string;
  host: string;
  path: string;
  version: string;
  alias?: string;
  sha256?: string;
  /** `with widen` on the import line: the package may add permits, agents and wider defaults. */
  widen?: boolean;
  loc: SourceLoc;
}

export interface TrustKey {
  scope: string;
  algorithm: string;
  /** Base64 public key as written. */
  key: string;
  loc: SourceLoc;
}

export interface Policy {
  irVersion: 1;
  /** File name used in `rule_ref` (`governance.fms:LINE`). */
  file: string;
  imports: Import[];
  runtime: Record<string, Value>;
  trust: TrustKey[];
  /** provider, identity, system, manifest, ... */
  blocks: ConfigBlock[];
  agents: Agent[];
  /**
   * Environment variables read with `env()` that were unset (only when unset
   * values are allowed, for `check`). An IR with any is never emitted into a pack.
   */
  unsetEnv?: string[];
}
