import type { DiagnosticSink } from '../diagnostics/diagnostic';
import { patternCovers } from '../ir/patterns';
import type { Expr, Policy, Rule } from '../ir/types';

/** A rule that applies to every call its pattern matches (no condition, no network selector). */
function unconditional(r: Rule): boolean {
  return (!r.when || isTrue(r.when)) && !r.network;
}

function isTrue(e: Expr): boolean {
  return e.k === 'lit' && e.value === true;
}

/** Can rule `a` apply whenever rule `b` does, as far as phases go? */
function samePhaseScope(a: Rule, b: Rule): boolean {
  return a.phase === undefined || a.phase === b.phase;
}

/**
 * Rule-set checks over the IR of each agent:
 * - FMS2011 (error): a `permit` that an unconditional `deny!` always overrides;
 * - FMS2012 (warning): a rule shadowed by an earlier unconditional rule whose pattern covers it.
 */
export function checkRules(ir: Policy, sink: DiagnosticSink): void {
  for (const agent of ir.agents) {
    const rules = agent.rules;
    const mandatory = rules.filter((r) => r.mandatory && unconditional(r));
    for (const r of rules) {
      if (r.mandatory || r.effect !== 'permit') continue;
      const d = mandatory.find((m) => samePhaseScope(m, r) && patternCovers(m.tool, r.tool));
      if (d && d.loc.file === r.loc.file) {
        sink.accept({
          code: 'FMS2011',
          severity: 'error',
          message: `this \`permit\` can never apply: \`deny!\` on line ${d.loc.line} denies every \`${r.tool.text}\` call first`,
          span: r.loc.span,
          related: [{ message: 'the mandatory deny', file: sink.file, span: d.loc.span }],
          help: 'mandatory denies win whatever their position; narrow the `deny!` with a condition, or remove the permit',
        });
      }
    }
    // Only unconditional, non-mandatory rules can shadow a later one. An exact
    // pattern covers only the same exact pattern, so those are found by name;
    // the rest (globs, prefixes, `*`) are few and tried in order. The earliest
    // qualifying rule is reported, as a scan from the top would find it, in
    // time linear in the number of rules for the usual policy.
    type Shadow = { at: number; rule: Rule };
    const exactShadows = new Map<string, Shadow[]>();
    const wideShadows: Shadow[] = [];
    const first = (list: readonly Shadow[] | undefined, r: Rule): Shadow | undefined =>
      list?.find((w) => samePhaseScope(w.rule, r) && w.rule.loc.file === r.loc.file && patternCovers(w.rule.tool, r.tool));
    for (let j = 0; j < rules.length; j++) {
      const r = rules[j]!;
      if (!r.mandatory && r.loc.file === ir.file) {
        const a = r.tool.kind === 'exact' ? first(exactShadows.get(r.tool.text), r) : undefined;
        const b = first(wideShadows, r);
        const s = a && b ? (a.at < b.at ? a : b) : (a ?? b);
        if (s) {
          sink.accept({
            code: 'FMS2012',
            severity: 'warning',
            message: `unreachable rule: \`${s.rule.text}\` on line ${s.rule.loc.line} already decides every call this rule matches`,
            span: r.loc.span,
            related: [{ message: 'the earlier rule', file: sink.file, span: s.rule.loc.span }],
            help: 'rules are tried top to bottom and the first match wins; move this rule above it or remove it',
          });
        }
      }
      if (!r.mandatory && unconditional(r)) {
        if (r.tool.kind === 'exact') {
          const l = exactShadows.get(r.tool.text);
          if (l) l.push({ at: j, rule: r });
          else exactShadows.set(r.tool.text, [{ at: j, rule: r }]);
        } else wideShadows.push({ at: j, rule: r });
      }
    }
  }
}
