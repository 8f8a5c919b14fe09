import type { DiagnosticSink } from '../diagnostics/diagnostic';
import type { Span } from '../ir/types';
import type { BlockNode, Document, FieldNode, Item } from '../syntax/ast';
import { SCHEMAS } from '../ir/schema';

/**
 * Constructs the checker accepts but this toolchain does not enforce (issue 9,
 * class 9). Each use gets FMS2063, a warning (an error under `--strict`), so a
 * policy never silently promises more than the runtime does. What IS enforced
 * is listed in the README ("What is enforced"); keep the two in step.
 *
 * Enforced, so not listed here: rules, phases, budgets (`max`, `daily`,
 * `max_calls`, `warn_at` with `max`, `on_exceed`), rate limits, redaction,
 * egress, model_policy, `session {}` (`max_calls`, `max_cost`,
 * `max_duration`, `idle_timeout`), `delegate` (`scope` in the enforceable
 * form — lower.ts warns about other forms —, `ttl`, `ceiling`, `max_depth`,
 * targets), `var`, `trust {}` (imports), imports.
 */

/** Agent blocks the runtime does not read at all. */
const AGENT_BLOCKS: ReadonlyMap<string, string> = new Map([
  ['spawn', 'the runtime does not track spawned agents, so `max_concurrent` and `allowed_types` limit nothing'],
  ['completion_gate', 'the runtime has no task-completion call, so no gate is checked'],
  ['alert', 'the runtime sends no alerts; watch the decision log instead'],
  ['ambient', 'the runtime keeps no per-day customer or data-volume counters'],
  ['credential', 'the runtime brokers no credentials'],
]);

/** Top-level blocks whose settings configure a daemon this toolchain does not run. */
const TOP_BLOCKS: ReadonlyMap<string, string> = new Map([
  ['system', 'the decision engine ignores these settings (`on_policy_load_failure` included: a pack that fails to load is always refused)'],
  ['provider', 'the decision engine calls no provider'],
  ['identity', 'the decision engine verifies no workload identity; `principal` comes from the call'],
]);

/** Fields inside enforced blocks that are not themselves enforced. */
const FIELDS: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map([
  [
    'selector',
    new Map([
      ['source', 'the runtime fetches no selector values; callers pass them in `selectors`'],
      ['cache', 'the runtime fetches no selector values, so it caches none'],
      ['on_unavailable', 'a selector value the call does not carry makes its comparisons unknown (they do not match), whatever this says'],
      ['on_timeout', 'the runtime fetches no selector values, so nothing times out'],
    ]),
  ],
  ['budget', new Map([['scope', 'each budget id is its own window per agent (`session` per session id, others per UTC day)']])],
  ['delegate', new Map([['inherits', 'a delegate spends its own budgets, not the delegator\'s']])],
  [
    'enforcement',
    new Map([
      ['filesystem', 'the kernel fence reads `fs_read`, `fs_write` and `fs_exec`, not this field'],
      ['mcp_proxy_port', 'the kernel fence starts no MCP proxy; allow the port with `net_connect`'],
    ]),
  ],
]);

/** `runtime {}` fields the toolchain applies: the kernel fence's switch and default profile (README, "The kernel fence"). */
const RUNTIME_ENFORCED: ReadonlySet<string> = new Set(['os_tier', 'agent_enforce_profile']);

function warn(sink: DiagnosticSink, span: Span, what: string, why: string): void {
  sink.accept({
    code: 'FMS2063',
    severity: 'warning',
    message: `${what} is not enforced by this toolchain`,
    span,
    help: `${why}; remove it, or enforce it outside fms (\`--strict\` makes this an error)`,
  });
}

function field(b: BlockNode, name: string): FieldNode | undefined {
  return b.items.find((x): x is FieldNode => x.kind === 'field' && x.key.text === name);
}

function agentBody(sink: DiagnosticSink, agent: BlockNode): void {
  for (const it of agent.items) {
    if (it.kind !== 'block') continue;
    const kw = it.keyword.text;
    const why = AGENT_BLOCKS.get(kw);
    if (why !== undefined) {
      warn(sink, it.keyword.span, `\`${kw}\``, why);
      continue;
    }
    const fields = FIELDS.get(kw);
    if (fields !== undefined) {
      for (const x of it.items) {
        if (x.kind !== 'field') continue;
        const w = fields.get(x.key.text);
        if (w !== undefined) warn(sink, x.key.span, `\`${kw}\` field \`${x.key.text}\``, w);
      }
    }
    if (kw === 'budget') {
      const w = field(it, 'warn_at');
      if (w && !field(it, 'max') && !field(it, 'usd')) warn(sink, w.key.span, '`warn_at` without `max`', '`warn_at` is a fraction of `max`, so with no `max` no BUDGET_WARNING is ever added');
    }
  }
}

/** `runtime {}`: every field but the fence's; `mode = "enforce"` says what happens anyway. */
function runtimeBlock(sink: DiagnosticSink, b: BlockNode): void {
  for (const x of b.items) {
    if (x.kind !== 'field' || RUNTIME_ENFORCED.has(x.key.text)) continue;
    // An unknown field already has FMS2002 (with its did-you-mean): no second diagnostic.
    if (!Object.hasOwn(SCHEMAS.runtime!.fields, x.key.text)) continue;
    const v = x.values.length === 1 ? x.values[0] : undefined;
    if (x.key.text === 'mode' && v?.kind === 'string' && v.value === 'enforce') continue;
    const why =
      x.key.text === 'mode'
        ? 'decisions are always enforced: a `mode` other than `"enforce"` switches nothing off'
        : 'the decision engine and `fms-run` ignore this daemon setting';
    warn(sink, x.key.span, `\`runtime\` field \`${x.key.text}\``, why);
  }
}

/**
 * Reports FMS2063 for every construct of `doc` that is accepted but not
 * enforced. Pure; runs on a syntactically clean document.
 */
export function checkNotEnforced(doc: Document, sink: DiagnosticSink): void {
  const top = (items: readonly Item[]): void => {
    for (const it of items) {
      if (it.kind === 'manifest') {
        warn(sink, it.span, '`manifest`', 'the runtime keeps no orchestrator manifest, so `grant … max N` limits nothing');
        continue;
      }
      if (it.kind !== 'block') continue;
      const kw = it.keyword.text;
      if (kw === 'agent') agentBody(sink, it);
      else if (kw === 'runtime') runtimeBlock(sink, it);
      else if (kw === 'pack') top(it.items);
      else {
        const why = TOP_BLOCKS.get(kw);
        if (why !== undefined) warn(sink, it.keyword.span, `\`${kw}\``, why);
      }
    }
  };
  top(doc.items);
}
