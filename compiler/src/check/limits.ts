/**
 * Limits of the pack format, checked on the IR (FMS2040, FMS2041): whatever
 * `build` or the runtime's loader would refuse is a `check` diagnostic, so
 * `fmsc check` clean ⇒ `fmsc build` succeeds ⇒ the runtime loads the pack.
 * The limits are the loader's own (`LIMITS` in the pack format module), and
 * rule conditions are probed with the emitter itself (one `EncodingProbe`
 * shares its tables across rules as the emitter does, so table sizes are exact).
 */
import type { DiagnosticSink } from '../diagnostics/diagnostic';
import { EncodingProbe } from '../emit/emit-body';
import type { Policy, SourceLoc } from '../ir/types';
import { LIMITS } from '@fms/runtime/format';

const U32_MAX = 0xffffffff;

/** Reports every part of `policy` the pack format cannot hold. */
export function checkLimits(policy: Policy, sink: DiagnosticSink): void {
  const over = (loc: SourceLoc, message: string, help: string): void => {
    sink.accept({ code: 'FMS2041', severity: 'error', message, span: loc.span, help });
  };
  const text = (loc: SourceLoc, what: string, s: string | undefined): void => {
    if (s !== undefined && s.length > LIMITS.maxStringLength) {
      over(loc, `${what} is ${s.length} characters long; a pack holds texts of at most ${LIMITS.maxStringLength}`, 'shorten it');
    }
  };
  const list = (loc: SourceLoc, what: string, n: number, max: number): void => {
    if (n > max) over(loc, `${what} has ${n} entries; a pack holds at most ${max}`, 'split it, or use patterns that cover several entries');
  };
  if (policy.agents.length > LIMITS.maxAgents) {
    over(policy.agents[LIMITS.maxAgents]!.loc, `the policy declares ${policy.agents.length} agents; a pack holds at most ${LIMITS.maxAgents}`, 'split the stack into several packs');
  }
  let rules = 0;
  let records = 0;
  const probe = new EncodingProbe();
  const errorSpans = sink.items.filter((d) => d.severity === 'error').map((d) => d.span);
  for (const a of policy.agents) {
    records += a.rateLimits.length + a.budgets.length + a.redactions.length;
    text(a.loc, `agent id \`${a.id.slice(0, 20)}…\``, a.id);
    text(a.loc, 'the model', a.model);
    if (a.phases.length > LIMITS.maxPhases) {
      over(a.phases[LIMITS.maxPhases]!.loc, `agent \`${a.id}\` has ${a.phases.length} phases; a pack holds at most ${LIMITS.maxPhases} per agent`, 'merge phases that allow the same tools');
    }
    for (const p of a.phases) {
      text(p.loc, 'the phase name', p.id);
      list(p.loc, `phase \`${p.id}\``, p.tools.length, LIMITS.maxPatternList);
      for (const t of p.tools) text(p.loc, 'a tool pattern', t.text);
    }
    for (const r of a.rateLimits) {
      text(r.loc, 'the pattern', r.pattern.text);
      if (r.count > U32_MAX) over(r.loc, `a rate limit of ${r.count} calls; a pack holds at most ${U32_MAX}`, 'drop the rate limit if you mean no limit');
    }
    for (const b of a.budgets) {
      text(b.loc, 'the budget id', b.id);
      if (b.maxCalls !== undefined && b.maxCalls > U32_MAX) over(b.loc, `\`max_calls\` is ${b.maxCalls}; a pack holds at most ${U32_MAX}`, 'drop `max_calls` if you mean no limit');
    }
    for (const [what, h] of [
      ['egress', a.egress],
      ['model_policy', a.modelPolicy],
    ] as const) {
      if (!h) continue;
      list(h.loc, `\`${what}\` allow`, h.allow.length, LIMITS.maxPatternList);
      list(h.loc, `\`${what}\` deny`, h.deny.length, LIMITS.maxPatternList);
      for (const s of [...h.allow, ...h.deny]) text(h.loc, `an entry of \`${what}\``, s);
    }
    for (const r of a.redactions) {
      list(r.loc, '`redact`', r.paths.length, LIMITS.maxPatternList);
      for (const s of [r.tool.text, ...r.paths]) text(r.loc, 'a redaction path', s);
    }
    for (const r of a.rules) {
      rules++;
      // A rule that already has an error is not built; probing it would only repeat that error.
      const span = r.loc.span;
      if (errorSpans.length > 100 || errorSpans.some((e) => e.start < span.end && e.end > span.start)) continue;
      const why = probe.rule(r);
      if (why) {
        sink.accept({
          code: 'FMS2040',
          severity: 'error',
          message: `this rule cannot be encoded in a policy pack: ${why}`,
          span: r.when?.span ?? r.loc.span,
          help: 'split the condition into several rules, or move lists into a `var`',
        });
      }
    }
  }
  const first = policy.agents[0]?.loc;
  if (!first) return;
  const split = 'split the stack into several packs';
  if (rules > LIMITS.maxRules) over(first, `the policy has ${rules} rules; a pack holds at most ${LIMITS.maxRules}`, split);
  if (records > LIMITS.maxRules) over(first, `the policy has ${records} rate limits, budgets and redactions; a pack holds at most ${LIMITS.maxRules}`, split);
  const t = probe.tables();
  for (const [what, n] of [
    ['constants', t.consts],
    ['field paths', t.paths],
    ['regular expressions', t.regexes],
  ] as const) {
    if (n > LIMITS.maxConsts) over(first, `the policy's conditions use ${n} distinct ${what}; a pack holds at most ${LIMITS.maxConsts}`, split);
  }
  // Distinct texts of the string table: counted without building a set while even the count with
  // repeats fits (hashing every rule's text on every check was most of this function's time).
  const upper = stackStringCount(policy) + t.strings.length;
  if (upper > LIMITS.maxStrings) {
    const strings = new Set<string>(stackStrings(policy));
    for (const s of t.strings) strings.add(s);
    if (strings.size > LIMITS.maxStrings) over(first, `the policy needs ${strings.size} distinct texts; a pack's string table holds at most ${LIMITS.maxStrings}`, split);
  }
}

/** How many texts {@link stackStrings} yields (with repeats), without producing them. */
export function stackStringCount(policy: Policy): number {
  let n = 1;
  for (const a of policy.agents) {
    n += 3 + a.rules.length * 5 + a.rateLimits.length + a.budgets.length;
    for (const p of a.phases) n += 1 + p.tools.length;
    for (const r of a.redactions) n += 1 + r.paths.length;
    for (const h of [a.egress, a.modelPolicy]) if (h) n += h.allow.length + h.deny.length;
  }
  return n;
}

/** Every string the pack's string table would hold besides the encoding probe's (with repeats: the table dedupes). */
export function* stackStrings(policy: Policy): Generator<string> {
  yield policy.file;
  for (const a of policy.agents) {
    yield a.id;
    yield a.model ?? '';
    yield a.loc.file;
    for (const p of a.phases) {
      yield p.id;
      for (const t of p.tools) yield t.text;
    }
    for (const r of a.rules) {
      yield r.text;
      yield r.tool.text;
      yield r.reason ?? '';
      yield r.notify ?? '';
      yield r.loc.file;
    }
    for (const r of a.rateLimits) yield r.pattern.text;
    for (const b of a.budgets) yield b.id;
    for (const r of a.redactions) {
      yield r.tool.text;
      yield* r.paths;
    }
    for (const h of [a.egress, a.modelPolicy]) if (h) yield* [...h.allow, ...h.deny];
  }
}
