import type { Severity } from './diagnostic';

/** One line of the catalogue: what the code means and a policy that triggers it. */
export interface CatalogueEntry {
  code: string;
  severity: Severity;
  title: string;
  explanation: string;
  example: string;
}

const e = (code: string, severity: Severity, title: string, explanation: string, example: string): CatalogueEntry => ({
  code,
  severity,
  title,
  explanation,
  example,
});

/**
 * Every diagnostic code the compiler reports. FMS1xxx: syntax; FMS2xxx:
 * meaning (types, names, rule sets, imports). `fmsc explain CODE` prints an
 * entry; a test checks this list, the golden fixtures and `explain` agree.
 */
export const CATALOGUE: CatalogueEntry[] = [
  e('FMS1001', 'error', 'unexpected character', 'The file contains a character that is not part of FPL outside a string or comment, such as `$` without digits or a stray `|`.', 'budget daily { max $ }'),
  e('FMS1002', 'error', 'unterminated string', 'A string opened with `"` or `\'` is not closed on the same line. Strings cannot span lines.', 'deny! shell/* reason: "never shell'),
  e('FMS1003', 'error', 'unclosed block', 'A block opened with `{` reaches the end of the file without its `}`. The diagnostic points at the opening brace.', 'agent "bot" {\n  default deny'),
  e('FMS1004', 'error', 'rule without a tool pattern', 'A rule is `EFFECT TOOL [clauses]`; the effect must be followed by a tool name or pattern such as `stripe/refund`, `stripe/*` or `*`.', 'rules {\n  permit if amount < 5\n}'),
  e('FMS1005', 'error', 'missing condition value', 'After `if`/`when`, or after an operator, the condition needs a value: a name, a string, a number, an amount, a list or a parenthesised condition.', 'permit refund if amount <'),
  e('FMS1006', 'error', 'malformed rate limit', 'A rate limit is `rate_limit "PATTERN": N per WINDOW`, with a whole number of calls and a window of `second`, `minute`, `hour` or `day`.', 'rate_limit "stripe/*": 10 minute'),
  e('FMS1007', 'error', 'field without a value', 'A field is `key value` or `key = value`; the value is missing or is not a value (string, number, amount, name, list, `env("X")`).', 'agent "bot" {\n  default =\n}'),
  e('FMS1008', 'error', 'malformed redact', 'A redaction is `redact TOOL args: ["path", ...]` naming the argument paths to mask in everything recorded.', 'redact stripe/charge ["card_number"]'),
  e('FMS1009', 'error', 'malformed import', 'An import is `import "host/kind/name@1.2.3"`, optionally followed by `as ALIAS`.', 'import github.com/acme/policy'),
  e('FMS1010', 'error', 'unexpected token', 'The parser expected one kind of token and found another; the message says which (here `not` must be followed by `in`).', 'agent "bot" {\n  default deny\n  rules { permit a if currency not "USD" }\n}'),
  e('FMS1011', 'error', 'not a statement', 'A statement starts with an effect (`permit`, `deny`, `defer`, `deny!`), a block name or a field name. Anything else in statement position is reported once per run of such tokens.', 'agent "bot" {\n  = deny\n}'),
  e('FMS1012', 'error', 'unbalanced `}`', 'A closing brace with no block open, usually one `}` too many.', 'agent "bot" { default deny }\n}'),
  e('FMS1013', 'error', 'documentation placeholder', 'Documentation writes `...` and `<name>` for parts you fill in; they are not FPL.', 'runtime { ... }'),
  e('FMS1014', 'error', 'unbalanced parenthesis', 'A `(` in a condition is not closed by `)`.', 'permit x if (amount < 5'),
  e('FMS1015', 'error', 'malformed list', 'A list is `[item, item, ...]` and must be closed with `]`.', 'egress { allow = ["a.com", "b.com" }'),
  e('FMS1016', 'error', 'malformed call', 'A call such as `env("NAME")` or `purpose("x")` must close its argument list with `)`.', 'provider "v" { token = env("VAULT_TOKEN" }'),
  e('FMS1017', 'error', 'clause without a value', 'The clauses `reason`, `notify`, `host`, `port`, `method` and `path` take a value (with or without `:`).', 'deny shell/* reason:'),
  e('FMS1018', 'error', 'malformed query or header clause', 'The `query` and `header` clauses take `name=value`.', 'permit api/* query api-version'),
  e('FMS1019', 'error', 'malformed manifest statement', 'A manifest line is `manifest orchestrator ID undeclared deny|defer` or `manifest grant ID to ID max N [approval]`.', 'manifest = 3'),
  e('FMS2001', 'error', 'unknown or misplaced block', 'The block name is not known where it stands (a typo gets a did-you-mean), or something stands inside a block that does not take it, such as a field inside `rules {}`.', 'agent "bot" {\n  default deny\n  rule { }\n}'),
  e('FMS2002', 'error', 'unknown field', 'The field is not one the block knows. Blocks such as `provider`, `identity`, `ambient` and `use` accept any field; the others list theirs.', 'agent "bot" {\n  defualt deny\n}'),
  e('FMS2003', 'error', 'invalid value for an enumerated field', 'Fields such as `default`, `on_exceed`, rate-limit windows, alert `on`, `agent_enforce_profile` and enforcement `profile` take one of a fixed set of words.', 'agent "bot" {\n  default maybe\n}'),
  e('FMS2004', 'error', '`warn_at` outside 0–1', '`warn_at` is the fraction of a budget\'s `max` at which a BUDGET_WARNING is emitted; it must lie between 0 and 1.', 'agent "bot" {\n  default deny\n  budget daily { max $100 warn_at 80 }\n}'),
  e('FMS2005', 'error', 'duplicate agent', 'Two `agent` blocks declare the same id. Each agent is declared once.', 'agent "bot" { default deny }\nagent "bot" { default permit }'),
  e('FMS2006', 'error', 'duplicate budget', 'An agent declares two budgets with the same id; each id is its own window.', 'agent "bot" {\n  default deny\n  budget daily { max $10 }\n  budget daily { max $20 }\n}'),
  e('FMS2007', 'error', 'duplicate phase', 'An agent declares two phases with the same name.', 'agent "bot" {\n  default deny\n  phase intake { permit a }\n  phase intake { permit b }\n}'),
  e('FMS2008', 'error', 'duplicate var or alias', 'A `var` name or an import alias is declared twice.', 'agent "bot" {\n  default deny\n  var limit = 5\n  var limit = 6\n}'),
  e('FMS2009', 'error', 'undefined next phase', 'A phase\'s `next` names a phase the agent does not declare.', 'agent "bot" {\n  default deny\n  phase a { next = "b" }\n}'),
  e('FMS2010', 'warning', 'delegation to an unknown agent', 'A `delegate` block names an agent not declared in this stack. It may live in another stack, so this is a warning.', 'agent "bot" {\n  default deny\n  delegate helper { ttl 1h }\n}'),
  e('FMS2011', 'error', '`permit` overridden by `deny!`', 'A mandatory deny (`deny!`) is checked before every other rule; an unconditional `deny!` whose pattern covers a `permit` means the permit can never apply. The related location is the `deny!`.', 'agent "bot" {\n  default deny\n  rules {\n    deny! shell/*\n    permit shell/ls\n  }\n}'),
  e('FMS2012', 'warning', 'unreachable rule', 'Rules are tried top to bottom and the first match wins; an earlier rule without a condition whose pattern covers this one decides every call first.', 'agent "bot" {\n  default deny\n  rules {\n    deny stripe/*\n    permit stripe/refund\n  }\n}'),
  e('FMS2013', 'warning', 'condition that can never be true', 'The condition is false for every call: constant false, or bounds on one value that contradict each other (including the ranges of `time.hour` and friends).', 'agent "bot" {\n  default deny\n  rules { permit a if time.hour > 25 }\n}'),
  e('FMS2014', 'warning', 'secret written inline', 'A `provider` or `identity` field that holds a secret (token, password, api_key, ...) is written as a literal. Read it with `env("NAME")` so it never enters the policy or the pack.', 'provider "vault" {\n  type  = "vault"\n  token = "s.abcdef"\n}'),
  e('FMS2015', 'warning', 'agent without `default`', 'An agent with no `default` denies calls that no rule matches; say so explicitly with `default deny`.', 'agent "bot" {\n  rules { permit a }\n}'),
  e('FMS2016', 'error', 'unknown function or name, or wrong arity', 'A condition calls a function that does not exist, with the wrong number of arguments, or reads a field of `time` that does not exist.', 'agent "bot" {\n  default deny\n  rules { permit a if history_count("x") > 1 }\n}'),
  e('FMS2017', 'error', 'type mismatch in a condition', 'Ordering comparisons need numbers or amounts, `matches` needs a string and a quoted pattern, `in` needs a list or a string, function arguments have types.', 'agent "bot" {\n  default deny\n  rules { permit a if amount < "500" }\n}'),
  e('FMS2018', 'error', 'invalid regular expression', 'Patterns after `matches` use RE2 syntax and are matched in linear time; backreferences and lookaround are not available.', 'agent "bot" {\n  default deny\n  rules { permit a if cmd matches "(a)\\\\1" }\n}'),
  e('FMS2019', 'info', 'bare name read as an argument', 'A name that is not a known variable, a `var` or a selector reads `args.<name>`; write `args.<name>` to make that explicit. A did-you-mean is offered when the name is one edit from a known one.', 'agent "bot" {\n  default deny\n  rules { permit a if currency == "USD" }\n}'),
  e('FMS2020', 'error', 'unset environment variable', '`env("NAME")` is resolved at compile time; the variable is not set. `--allow-unset-env` turns this into a warning for CI without secrets.', 'provider "vault" {\n  token = env("FMS_EXAMPLE_UNSET_VARIABLE")\n}'),
  e('FMS2021', 'error', 'unpinned import', 'Imports must name an exact semantic version (`@1.2.3`); `@latest`, ranges and missing versions would let a build change under you.', 'import "github.com/acme/policies/stripe@latest"'),
  e('FMS2022', 'error', 'import not resolved', 'The import is not in the local registry folder (`--registry DIR`, `FMS_REGISTRY`, default `.fms/registry/`), or the artifact does not compile.', 'import "example.com/missing/pkg@1.0.0"'),
  e('FMS2023', 'error', 'imported artifact changed', 'The lockfile next to governance.fms records the SHA-256 of each import; the registry now holds different bytes for the same version.', 'import "example.com/acme/changed@1.0.0"'),
  e('FMS2024', 'error', 'import signature does not verify', '`trust {}` pins a key for the import\'s publisher, and the artifact\'s signature is missing or does not verify with it.', 'trust { key "example.com/acme" ed25519:... }\nimport "example.com/acme/pkg@1.0.0"'),
  e('FMS2025', 'error', 'unresolved name', 'A `use` block names no import alias, or a network clause names neither a host nor a `var` of the agent.', 'agent "bot" {\n  default deny\n  rules { permit api/health host prod_host }\n}'),
  e('FMS2026', 'error', 'agent without a name', 'Every agent block needs an id: `agent "support-bot" { … }`. An unnamed `agent {}` is accepted only as the settings of the flat rules in a file with no named agent.', 'agent {\n  default deny\n}'),
  e('FMS2027', 'error', 'invalid field value', 'The value has the wrong kind for the field: an amount, a number, a duration, a bool, a string or a list was expected.', 'agent "bot" {\n  default deny\n  budget daily { max "lots" }\n}'),
  e('FMS2028', 'error', 'statement in the wrong place', 'Agent-level statements (`rules`, `budget`, `rate_limit`, ...) belong inside an `agent` block; `import` and `manifest` belong at the top level.', 'rate_limit "x": 5 per minute'),
  e('FMS2029', 'error', 'invalid tool pattern', 'A tool pattern is made of name characters, `/` between non-empty segments and `*` wildcards; `**` and empty segments are errors.', 'agent "bot" {\n  default deny\n  rules { permit stripe//refund }\n}'),
  e('FMS2031', 'error', 'set twice', 'A field is set twice in one block, or a rule has two conditions (join them with `and`).', 'agent "bot" {\n  default deny\n  default permit\n}'),
  e('FMS2032', 'error', 'malformed manifest line', 'A manifest line is `manifest orchestrator ID undeclared deny|defer` or `manifest grant ID to ID max N [approval]`.', 'manifest grant a b c'),
  e('FMS2033', 'warning', 'placeholder in a value', 'A string value contains `...` or `<name>`, the way documentation marks parts to fill in; the policy would ship the placeholder.', 'provider "kms" {\n  type = "gcp-kms"\n  key  = "projects/.../cryptoKeys/app"\n}'),
  e('FMS2034', 'error', 'imported agent cannot be merged', 'A package declares an agent the stack also declares, and merging them would drop or weaken a setting: phases, a different `default` or `model`, a second `egress` or `model_policy`, or a budget both sides declare. Imported rules, rate limits, budgets and redactions merge; those settings must be declared once, in the stack.', 'import "example.com/acme/bot@1.0.0"   # declares agent "bot" with `default permit`\n\nagent "bot" {\n  default deny\n}'),
  e('FMS2035', 'warning', '`use` parameters not applied', 'A `use ALIAS { … }` block sets parameters. The FPL documentation shows them but does not define what they change, so the compiler checks the alias and records the values without applying them to the imported rules. The policy may not be what the parameters suggest.', 'import "example.com/acme/stripe@1.0.0" as stripe_rules\n\nagent "payments-bot" {\n  default deny\n  use stripe_rules {\n    refund_threshold = 500\n  }\n}'),
  e('FMS2090', 'error', 'unknown syscall', '`syscalls_deny` and `syscalls_allow` in `enforcement {}` name Linux system calls as the kernel headers spell them (x86_64 or aarch64); a name the tables do not know would silently fence nothing.', 'agent "bot" {\n  default deny\n  enforcement { syscalls_deny = ["ptrce"] }\n}'),
  e('FMS2091', 'error', 'path not absolute', '`fs_read`, `fs_write` and `fs_exec` take absolute paths without `.` or `..` segments: the loader opens each one before the agent starts, so a relative path would depend on the directory it was started from.', 'agent "bot" {\n  default deny\n  enforcement { fs_read = ["data"] }\n}'),
  e('FMS2092', 'error', 'port out of range', '`net_connect` and `net_bind` take TCP port numbers from 1 to 65535, written as numbers.', 'agent "bot" {\n  default deny\n  enforcement { net_connect = [70000] }\n}'),
  e('FMS2093', 'error', 'syscall both allowed and denied', 'A syscall listed in both `syscalls_allow` and `syscalls_deny` has no clear meaning; keep it in one list.', 'agent "bot" {\n  default deny\n  enforcement {\n    syscalls_deny  = ["ptrace"]\n    syscalls_allow = ["ptrace"]\n  }\n}'),
  e('FMS2094', 'error', 'isolation not supported by this toolchain', 'This toolchain fences an agent as a Linux process with seccomp and Landlock (`isolation = "process"`, the default, or `"none"`); micro-VM isolation such as `firecracker` is not provided, and accepting it silently would promise a boundary that does not exist.', 'agent "bot" {\n  default deny\n  enforcement { isolation = "firecracker" }\n}'),
  e('FMS2095', 'error', '`landlock_min_abi` out of range', 'Landlock ABI versions run from 1 (Linux 5.13) to 7 (Linux 6.15); the loader refuses to start the agent on a kernel whose ABI is below `landlock_min_abi`.', 'agent "bot" {\n  default deny\n  enforcement { landlock_min_abi = 9 }\n}'),
  e('FMS2096', 'warning', '`enforcement` ignored: `os_tier = false`', 'The stack turned the kernel fence off with `runtime { os_tier = false }`, so no agent\'s `enforcement {}` block reaches the pack.', 'runtime { os_tier = false }\nagent "bot" {\n  default deny\n  enforcement { profile = "full" }\n}'),
  e('FMS2097', 'error', 'too many paths in the fence', 'One agent\'s `fs_read`, `fs_write` and `fs_exec` together may name at most 4,096 distinct paths (one Landlock rule each); a rule covers everything beneath its path, so grant a common parent instead.', 'agent "bot" {\n  default deny\n  enforcement { fs_read = ["/d/0", "/d/1", …] }\n}'),
];

export const CATALOGUE_BY_CODE = new Map(CATALOGUE.map((c) => [c.code, c]));
