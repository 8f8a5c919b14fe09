/**
 * Explain on hover: a fixture case selected for a policy is explained with the
 * runtime's own trace (`LoadedPack.explain`, what `fmsc explain-call` and
 * `fms-run explain` print), over the pack the compiler emits from the text in
 * the editor. No second evaluator: this module only builds the call and the
 * command line and renders the trace of one rule.
 */
import { emitPackBody, patternMatches, type Agent, type Policy, type Rule } from '@fms/compiler';
import { loadPackBody, type Explanation, type TraceEvent } from '@fms/runtime';
import { caseCall, caseTime, type CaseCall, type Fixture } from './fixtures';

/** A fixture case chosen to explain (per policy document). */
export interface CaseSelection {
  /** Absolute path of the `*.fmtest.json`. */
  fixture: string;
  /** 0-based index of the case in `cases`. */
  index: number;
}

/** One case explained against one policy text. */
export interface CaseExplanation {
  name: string;
  fixture: string;
  index: number;
  call: CaseCall;
  /** The trace, or why there is none (e.g. the IR cannot be emitted). */
  x?: Explanation;
  error?: string;
  /** The `fmsc explain-call …` command line that reproduces it. */
  command: string;
}

/** POSIX shell quoting: bare when safe, else single quotes. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `fmsc explain-call` command line for a call (flags as `callOptions` of the CLI defines them). */
export function explainCallCommand(policyFile: string, call: CaseCall, time: number | string | undefined): string {
  const parts = ['fmsc', 'explain-call', policyFile, '--agent', call.agent, '--tool', call.tool];
  const args = { ...(call.args ?? {}) };
  parts.push('--args', JSON.stringify(args));
  if (call.principal !== undefined) parts.push('--principal', JSON.stringify(call.principal));
  if (call.session !== undefined) parts.push('--session', call.session);
  if (call.model !== undefined) parts.push('--model', call.model);
  if (call.cost !== undefined) parts.push('--cost', String(call.cost));
  if (call.selectors !== undefined) parts.push('--selectors', JSON.stringify(call.selectors));
  if (call.delegation !== undefined) parts.push('--delegation', JSON.stringify(call.delegation));
  if (time !== undefined) parts.push('--time', String(time));
  return parts.map(shellQuote).join(' ');
}

/**
 * Explains case `index` of `fx` against `ir` (alone, on a fresh pack: as
 * `fmsc explain-call` does; rate limits and budgets of earlier cases do not
 * carry over). Undefined when the index is not a case.
 */
export function explainCase(ir: Policy, fx: Fixture, index: number, policyFile: string, now = Date.now()): CaseExplanation | undefined {
  const c = Number.isInteger(index) && index >= 0 ? fx.cases[index] : undefined;
  if (!c) return undefined;
  const call = caseCall(fx, c);
  const command = explainCallCommand(policyFile, call, c.time);
  const base = { name: c.name, fixture: fx.path, index, call, command };
  try {
    const t = caseTime(c.time, now);
    const pack = loadPackBody(emitPackBody(ir), { clock: { now: () => t } });
    return { ...base, x: pack.explain(call) };
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
}

type RuleEvent = Extract<TraceEvent, { kind: 'rule' }>;

/** Inline Markdown code for any text (a fixture's names are data): newlines shown as ⏎, long text cut, a delimiter longer than any backtick run. */
export function mdCode(text: string, max = 200): string {
  const t = (text.length > max ? `${text.slice(0, max)}…` : text).replace(/\r?\n|\r/g, '⏎');
  const run = Math.max(0, ...(t.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(run + 1);
  return run ? `${fence} ${t} ${fence}` : `${fence}${t}${fence}`;
}

/** A fenced block that no line of `text` can close. */
function fenced(lang: string, text: string): string {
  const run = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(run + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

const value = (s: RuleEvent['steps'][number]): string => {
  if (s.missing) return '<missing>';
  if (s.unknown) return 'unknown';
  if (s.type_error) return 'TYPE ERROR';
  return JSON.stringify(s.value) ?? 'undefined';
};

/** The line number of a `file:LINE` rule reference whose file is the policy's. */
function refLine(ref: string | null, ir: Policy): number | undefined {
  const m = ref ? /^(.*):(\d+)$/.exec(ref) : null;
  if (!m) return undefined;
  const base = ir.file.split(/[\\/]/).pop() ?? ir.file;
  return m[1] === base || m[1] === ir.file ? Number(m[2]) : undefined;
}

const RESULT: Readonly<Record<RuleEvent['result'], string>> = {
  match: '**matched** (true)',
  'no-match': '**did not match** (false)',
  unknown: '**unknown** (read a missing field: no match)',
  'type-error': '**type error** (the call is denied)',
  'skipped-phase': 'skipped: not in the session\'s phase',
};

/** The hover section for `rule` of `agent` under the selected case (Markdown). */
export function renderRuleExplanation(e: CaseExplanation, ir: Policy, agent: Agent, rule: Rule): string {
  const out: string[] = [`**Explain** with fixture case ${mdCode(e.name)} (case ${e.index + 1} of ${mdCode(e.fixture.split(/[\\/]/).pop() ?? '')}): ${mdCode(e.call.agent)} calls ${mdCode(e.call.tool)}`];
  if (e.error !== undefined || !e.x) {
    out.push(`Cannot explain: ${mdCode(e.error ?? 'no trace')}.`);
  } else {
    const x = e.x;
    if (agent.id !== e.call.agent) out.push(`This rule is in agent ${mdCode(agent.id)}; the case calls as ${mdCode(e.call.agent)}, so it is not evaluated.`);
    else {
      const matches = patternMatches(rule.tool, e.call.tool);
      out.push(`Tool pattern ${mdCode(rule.tool.text)} ${matches ? 'matches' : '**does not match**'} ${mdCode(e.call.tool)}${matches ? '' : ': the rule is not tried'}.`);
      const ev = x.events.find((v): v is RuleEvent => v.kind === 'rule' && refLine(v.rule_ref, ir) === rule.loc.line);
      if (ev) {
        const lines = [`Condition ${ev.steps.length || rule.when ? '' : '(none) '}→ ${RESULT[ev.result]}`];
        for (const s of ev.steps.slice(0, 100)) lines.push(`- ${mdCode(s.detail)} ${s.op === 'load' ? '=' : '→'} ${mdCode(value(s), 120)}`);
        if (ev.steps.length > 100) lines.push(`- … ${ev.steps.length - 100} more steps (\`fmsc explain-call\` prints them all)`);
        if (ev.missing.length) lines.push(`- missing: ${ev.missing.slice(0, 20).map((m) => mdCode(m)).join(', ')}`);
        if (ev.type_error) lines.push(`- type error: ${mdCode(ev.type_error.field)}: ${mdCode(ev.type_error.detail)}`);
        out.push(lines.join('\n'));
      } else if (matches) out.push('Not reached: the call was decided before this rule (see the decision).');
    }
    const d = x.decision;
    const decidedHere = refLine(d.rule_ref, ir) === rule.loc.line;
    out.push(`Decision: **${d.effect}** \`${d.code}\`${d.rule_ref ? ` at ${mdCode(d.rule_ref)}` : ''}${decidedHere ? ' (this rule)' : ''} — ${mdCode(d.human_message, 300)}`);
  }
  out.push(`Reproduce (the case alone, on a fresh pack):\n${fenced('sh', e.command)}`);
  return out.join('\n\n');
}
