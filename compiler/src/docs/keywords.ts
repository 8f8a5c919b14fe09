/**
 * Documentation of FPL's words, written once: the language server's hover and
 * completion and `fmsc explain WORD` read this table (DESIGN §3). A test
 * checks it against the checker's own schema, so a block, field or function
 * the checker knows is documented here and nothing documented is unknown.
 */

import { AGENT_BLOCKS, AGENT_FIELDS, EFFECT_WORDS, SCHEMAS, TOP_LEVEL_BLOCKS, WINDOWS, type FieldKind } from '../ir/schema';

/** What kind of word a documentation entry describes. */
export type DocKind = 'block' | 'field' | 'effect' | 'name' | 'function' | 'keyword';

/** One documented word. */
export interface KeywordDoc {
  word: string;
  kind: DocKind;
  /** A one-line signature or shape, e.g. `budget ID { max $500 }`. */
  signature: string;
  /** What it means, in a sentence or two (Markdown). */
  doc: string;
}

/** A condition function: parameters by name, for signature help. */
export interface FunctionDoc extends KeywordDoc {
  kind: 'function';
  params: { name: string; doc: string }[];
  returns: 'bool' | 'number';
}

const BLOCK_DOCS: ReadonlyArray<[string, string, string]> = [
  ['runtime', 'runtime { mode = "enforce" }', 'Settings of the runtime that enforces the stack: `mode` (`enforce`, `audit`, `shadow`), state backend, listeners, the kernel fence (`os_tier`).'],
  ['provider', 'provider NAME { type = "vault" }', 'An external provider (secrets, identity, KMS). Any field is accepted; secrets must come from `env("NAME")`.'],
  ['identity', 'identity NAME { type = "oidc" }', 'How principals are identified. Any field is accepted; secrets must come from `env("NAME")`.'],
  ['trust', 'trust { key "example.com/acme" ed25519:BASE64 }', 'Publisher keys pinned per import scope: an import under a pinned scope must carry a signature made by one of its keys.'],
  ['system', 'system { on_policy_load_failure = "deny_all" }', 'System-wide behaviour, such as what the runtime does when a policy fails to load.'],
  ['pack', 'pack { version = "1.0.0" }', 'Metadata written into the policy pack.'],
  ['agent', 'agent "support-bot" { default deny  rules { … } }', 'One governed agent: its `default`, rules, budgets, rate limits, phases and other limits. Calls from an agent not declared here are denied (`UNKNOWN_AGENT`).'],
  ['rules', 'rules { permit tool/name if CONDITION }', 'Rules tried top to bottom; the first whose pattern and condition match decides. `deny!` rules are checked before all others. Several `rules` blocks run in source order.'],
  ['budget', 'budget daily { max $500 warn_at 0.8 on_exceed defer }', 'A spending window: each budget id is its own window (`session`, `daily`, custom ids). A permitted call costs what its caller reports and always counts toward `max_calls`.'],
  ['phase', 'phase intake { duration 1h next = "work"  permit tool/a }', 'A phase of the agent\'s session: only tools visible in the current phase may be called (`OUT_OF_PHASE_TOOL_CALL`). A session starts in the first phase (`init` if present) and moves on after `duration`.'],
  ['egress', 'egress { allow = ["api.stripe.com", "*.zendesk.com"] }', 'Hosts a permitted call may reach; the deny list wins and `*.x.com` matches strict subdomains (`EGRESS_DENIED`).'],
  ['model_policy', 'model_policy { allow = ["gpt-4o"] }', 'Models the agent may use; with a `model_policy`, an unknown model is denied (`MODEL_DENIED`).'],
  ['session', 'session { max_calls 100 max_duration 1h }', 'Limits of one session: duration, idle timeout, call count and cost.'],
  ['spawn', 'spawn { max_concurrent 2 }', 'Limits on sub-agents the agent may start (accepted, not enforced by this toolchain).'],
  ['completion_gate', 'completion_gate { require = "review" }', 'A gate before the agent may finish (accepted, not enforced by this toolchain).'],
  ['enforcement', 'enforcement { fs_read = ["/srv/data"] syscalls_deny = ["ptrace"] }', 'The kernel fence of the agent process: seccomp system-call lists and Landlock file-system and network rules, applied by `fms-run exec`.'],
  ['alert', 'alert { on = "deny" notify = "#sec" }', 'Where to send alerts on decisions or limit events (accepted, not enforced by this toolchain).'],
  ['delegate', 'delegate helper { ttl 1h ceiling = "defer" }', 'Calls this agent may delegate to another agent, with a time to live and a ceiling on what a delegated call may get.'],
  ['ambient', 'ambient { on_exceed = "deny" }', 'Ambient-authority limits; any field is accepted.'],
  ['credential', 'credential ID { scope = ["read"] ttl 15m }', 'A credential the runtime may hand to the agent, with its scope and time to live.'],
  ['selector', 'selector ID { source = "…" cache 5m }', 'A named value looked up at decision time, usable by name in conditions; `on_unavailable`/`on_timeout` say what happens when it cannot be read.'],
  ['use', 'use ALIAS { … }', 'Applies an imported package (by its import alias) to the agent.'],
];

const FIELD_DOCS: Readonly<Record<string, string>> = {
  default: 'The effect for calls no rule matches: `deny`, `permit` or `defer`. A missing default denies (and is warned about).',
  model: 'The model the agent runs on, e.g. `"gpt-4o"`.',
  framework: 'The agent framework, for the record.',
  version: 'A version string, for the record.',
  max: 'The most the budget window may spend (an amount such as `$500`).',
  usd: 'Same as `max`: the most the window may spend, in USD.',
  daily: 'The most the budget may spend per day.',
  max_calls: 'The most calls allowed (every call counts, also those that cost nothing).',
  warn_at: 'Fraction of `max` (between 0 and 1) at which a `BUDGET_WARNING` is emitted without changing the effect.',
  on_exceed: 'What happens past the limit: `deny`, `defer` (ask a person) or `audit` (allow and record).',
  scope: 'What the block applies to.',
  duration: 'How long the phase lasts before the session moves to `next`.',
  next: 'The phase that follows this one.',
  tools: 'Tool patterns visible in this phase.',
  allow: 'Names or hosts that are allowed.',
  deny: 'Names or hosts that are refused; the deny list wins.',
  mode: '`enforce` (decisions apply), `audit` (recorded, not applied) or `shadow`.',
  os_tier: 'Turns the kernel fence (`enforcement {}`) on or off for the stack.',
  ttl: 'Time to live, a duration such as `15m`.',
  ceiling: 'The most a delegated call may get: `inherited`, `permit`, `defer` or `deny`.',
  on: 'The event that raises the alert.',
  notify: 'Where a notification goes.',
  source: 'Where the selector reads its value.',
  on_unavailable: 'The effect when the value cannot be read: `deny`, `permit` or `defer`.',
  on_timeout: 'The effect when reading the value times out: `deny`, `permit` or `defer`.',
  fs_read: 'Absolute paths the agent process may read (Landlock).',
  fs_write: 'Absolute paths the agent process may write (Landlock).',
  fs_exec: 'Absolute paths the agent process may execute (Landlock).',
  net_connect: 'TCP ports the agent process may connect to (Landlock).',
  net_bind: 'TCP ports the agent process may bind (Landlock).',
  syscalls_deny: 'System calls refused to the agent process (seccomp).',
  syscalls_allow: 'System calls allowed to the agent process (seccomp).',
  landlock_min_abi: 'The lowest Landlock ABI (1–7) the kernel must offer, else the agent does not start.',
  isolation: '`process` (the default) or `none`.',
  profile: 'The enforcement profile: `full`, `minimal` or `off`.',
};

const EFFECT_DOCS: ReadonlyArray<[string, string]> = [
  ['permit', 'Allows the call (then rate limits, budgets, egress and model policy still apply). Aliases: `allow`, `approve`.'],
  ['deny', 'Refuses the call (`POLICY_DENY`). Aliases: `block`, `reject`.'],
  ['deny!', 'A mandatory deny: checked before every other rule, wherever it stands. A `permit` that an unconditional `deny!` covers is an error (FMS2011).'],
  ['defer', 'Holds the call for a person to approve (`resolution` says who).'],
];

const NAME_DOCS: ReadonlyArray<[string, string]> = [
  ['args', '`args.<path>`: an argument of the call.'],
  ['principal', '`principal.<path>`: the caller (`principal.id`, `principal.role`, `principal.groups`).'],
  ['time', '`time.hour` (0–23), `time.minute`, `time.weekday` (ISO: 1 = Monday … 7 = Sunday), `time.day`, `time.month`: the runtime clock.'],
  ['session', '`session.sum(TOOL.field, window=1h)` and `session.count(TOOL, window=1h)`: this session\'s permitted calls.'],
  ['tool', 'The name of the tool called (also `tool_name`).'],
  ['agent', 'The id of the calling agent.'],
  ['model', 'The model the agent reports.'],
  ['host', '`args.host`, or the host of `args.url`.'],
  ['method', '`args.method`.'],
  ['path', '`args.path`, or the path of `args.url`.'],
  ['query', '`query.<k>`: a query parameter of the call\'s URL.'],
  ['headers', '`headers.<k>`: a header of the call.'],
  ['amount', 'Shorthand for `args.amount`.'],
  ['cmd', 'Shorthand for `args.cmd`.'],
  ['recipients', 'The length of `args.recipients`.'],
];

const fn = (word: string, params: [string, string][], returns: 'bool' | 'number', doc: string): FunctionDoc => ({
  word,
  kind: 'function',
  signature: `${word}(${params.map(([n]) => n).join(', ')}) → ${returns}`,
  doc,
  params: params.map(([name, d]) => ({ name, doc: d })),
  returns,
});

/** The condition functions (DESIGN §3 "Conditions"), in the order completion offers them. */
export const FUNCTION_DOCS: readonly FunctionDoc[] = [
  fn('purpose', [['name', 'the purpose string']], 'bool', 'True when `args.purpose == name`; false otherwise, also when `args.purpose` is missing.'),
  fn('len', [['value', 'a string or list']], 'number', 'The length of a string or list.'),
  fn('history_contains_within', [['tool', 'a tool name'], ['seconds', 'a window in seconds']], 'bool', 'True when this session called `tool` within the last `seconds`.'),
  fn('history_sequence', [['tool…', 'two to sixteen tool names, in order']], 'bool', 'True when the session\'s recent calls contain the tools in this order.'),
  fn('history_tool_count', [['tool', 'a tool name'], ['seconds', 'optional window in seconds']], 'number', 'How many times this session called `tool` (within the window).'),
  fn('deny_count_within', [['seconds', 'a window in seconds']], 'number', 'How many of this session\'s calls were denied within the window.'),
  fn('args_array_len', [['path', 'an argument path']], 'number', 'The length of the array argument at `path`.'),
  fn('args_array_contains', [['path', 'an argument path'], ['value', 'the value looked for']], 'bool', 'True when the array argument at `path` contains `value`.'),
  fn('args_array_any_match', [['path', 'an argument path'], ['pattern', 'an RE2 pattern']], 'bool', 'True when an entry of the array argument at `path` matches `pattern`.'),
  fn('session.sum', [['tool.field', 'the field to sum, e.g. `stripe/refund.amount`'], ['window', '`window=1h`']], 'number', 'Sum of a field over this session\'s permitted calls of a tool within a window.'),
  fn('session.count', [['tool', 'a tool name or pattern'], ['window', '`window=1h`']], 'number', 'Number of this session\'s permitted calls of a tool within a window.'),
];

const KEYWORD_ONLY: ReadonlyArray<[string, string, string]> = [
  ['import', 'import "host/kind/name@1.2.3" as alias', 'Imports a package from the offline registry; the version must be pinned exactly.'],
  ['var', 'var limit = $100', 'A named value of the agent, usable by name in conditions and lists.'],
  ['rate_limit', 'rate_limit "stripe/*": 10 per minute', 'A token bucket per agent and pattern (`RATE_EXCEEDED` with `retry_after_seconds`). Windows: ' + WINDOWS.join(', ') + '.'],
  ['redact', 'redact stripe/refund args: ["card.number"]', 'Masks the listed argument paths in everything recorded.'],
  ['manifest', 'manifest grant A to B max 3', 'Orchestration manifest lines of the stack.'],
  ['if', 'EFFECT TOOL if CONDITION', 'The rule applies only when the condition is true (also `when`). A condition that ends unknown does not match.'],
  ['when', 'EFFECT TOOL when CONDITION', 'Same as `if`.'],
  ['reason', 'reason: "why"', 'The human message of the decision.'],
  ['matches', 'x matches "RE2 pattern"', 'Unanchored RE2 search, matched in linear time; backreferences and lookaround are errors.'],
  ['env', 'env("NAME")', 'An environment variable read at compile time (unset → error unless `--allow-unset-env`).'],
];

function kindLabel(k: FieldKind): string {
  return k === 'money' ? 'an amount' : k === 'any' ? 'a value' : k === 'list' ? 'a list' : `a ${k}`;
}

function build(): Map<string, KeywordDoc> {
  const m = new Map<string, KeywordDoc>();
  for (const [word, signature, doc] of BLOCK_DOCS) m.set(word, { word, kind: 'block', signature, doc });
  for (const [word, doc] of EFFECT_DOCS) m.set(word, { word, kind: 'effect', signature: `${word} TOOL [if CONDITION] [reason: "…"]`, doc });
  for (const [alias, eff] of Object.entries(EFFECT_WORDS)) {
    if (!m.has(alias)) m.set(alias, { word: alias, kind: 'effect', signature: `${alias} TOOL [if CONDITION]`, doc: `Same as \`${eff}\`. ${m.get(eff)?.doc ?? ''}` });
  }
  for (const [word, signature, doc] of KEYWORD_ONLY) if (!m.has(word)) m.set(word, { word, kind: 'keyword', signature, doc });
  for (const f of FUNCTION_DOCS) m.set(f.word, f);
  for (const [word, doc] of NAME_DOCS) if (!m.has(word)) m.set(word, { word, kind: 'name', signature: word, doc });
  for (const f of AGENT_FIELDS) if (!m.has(f)) m.set(f, { word: f, kind: 'field', signature: `${f} VALUE`, doc: FIELD_DOCS[f] ?? '' });
  return m;
}

/** Every documented word (blocks, effects and aliases, keywords, condition names and functions, agent fields). */
export const KEYWORD_DOCS: ReadonlyMap<string, KeywordDoc> = build();

/**
 * The documentation of field `field` of block `block` (`'agent'` for agent
 * fields): its kind, its allowed values and a sentence; undefined when the
 * block does not know the field. Null-prototype tables only: `toString` is
 * never a field.
 */
export function fieldDoc(block: string, field: string): KeywordDoc | undefined {
  if (block === 'agent') {
    if (!AGENT_FIELDS.includes(field)) return undefined;
    return { word: field, kind: 'field', signature: field === 'default' ? 'default deny|permit|defer' : `${field} "…"`, doc: FIELD_DOCS[field] ?? '' };
  }
  const schema = Object.hasOwn(SCHEMAS, block) ? SCHEMAS[block] : undefined;
  if (!schema || !Object.hasOwn(schema.fields, field)) return undefined;
  const kind = schema.fields[field]!;
  const values = schema.enums && Object.hasOwn(schema.enums, field) ? schema.enums[field] : undefined;
  const sig = `${field} = ${values ? values.map((v) => `"${v}"`).join(' | ') : kindLabel(kind).replace(/^an? /, '').toUpperCase()}`;
  const doc = Object.hasOwn(FIELD_DOCS, field) ? FIELD_DOCS[field]! : `A field of \`${block}\`: ${kindLabel(kind)}.`;
  return { word: field, kind: 'field', signature: sig, doc };
}

/** The fields block `block` lists (empty for unknown blocks; agent fields for `'agent'`). */
export function blockFields(block: string): string[] {
  if (block === 'agent') return [...AGENT_FIELDS];
  const schema = Object.hasOwn(SCHEMAS, block) ? SCHEMAS[block] : undefined;
  return schema ? Object.keys(schema.fields) : [];
}

/** The allowed values of an enumerated field, or undefined. */
export function fieldValues(block: string, field: string): readonly string[] | undefined {
  if (block === 'agent') return field === 'default' ? ['deny', 'permit', 'defer'] : undefined;
  if (block === 'rate_limit') return WINDOWS;
  const schema = Object.hasOwn(SCHEMAS, block) ? SCHEMAS[block] : undefined;
  return schema?.enums && Object.hasOwn(schema.enums, field) ? schema.enums[field] : undefined;
}

/** Where blocks may stand: at the top level, or in an agent body. */
export const BLOCK_PLACES = { topLevel: TOP_LEVEL_BLOCKS as readonly string[], agent: AGENT_BLOCKS as readonly string[] };

/** Every effect spelling, `deny!` included. */
export const EFFECT_SPELLINGS: readonly string[] = [...Object.keys(EFFECT_WORDS), 'deny!'];

/** Condition names known without `args.` (shorthands and roots), for completion. */
export const CONDITION_NAMES: readonly string[] = NAME_DOCS.map(([w]) => w).concat(['tool_name', 'time.hour', 'time.minute', 'time.weekday', 'time.day', 'time.month', 'principal.id', 'principal.role', 'principal.groups']);
