/**
 * FMS2011 / FMS2012 (rule-set checks): the indexed shadow search reports
 * exactly what a plain scan from the top reports, on random rule lists.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRules } from '../../../compiler/src/check/rules';
import { DiagnosticSink } from '../../../compiler/src/diagnostics/diagnostic';
import { patternCovers } from '../../../compiler/src/ir/patterns';
import type { Rule } from '../../../compiler/src/ir/types';
import { E, agent, loc, pat, policy, rule } from '../../helpers/ir-builder';

/** The obvious quadratic definition of FMS2012: the first earlier unconditional rule that covers this one. */
function naiveShadows(rules: Rule[], file: string): string[] {
  const out: string[] = [];
  const unconditional = (r: Rule): boolean => (!r.when || (r.when.k === 'lit' && r.when.value === true)) && !r.network;
  for (let j = 0; j < rules.length; j++) {
    const r = rules[j]!;
    if (r.mandatory || r.loc.file !== file) continue;
    for (let i = 0; i < j; i++) {
      const s = rules[i]!;
      if (s.mandatory || !unconditional(s) || !(s.phase === undefined || s.phase === r.phase) || !patternCovers(s.tool, r.tool)) continue;
      if (s.loc.file !== r.loc.file) continue;
      out.push(`${r.loc.line}<-${s.loc.line}`);
      break;
    }
  }
  return out;
}

const TOOLS = ['a/x', 'a/y', 'b/x', 'a/*', 'b/*', '*', 'a/x*', 'c'];

const arbRule = fc.record({
  effect: fc.constantFrom('permit', 'deny', 'defer', 'deny!'),
  tool: fc.constantFrom(...TOOLS),
  prefix: fc.boolean(),
  cond: fc.constantFrom('none', 'true', 'cmp'),
  phase: fc.constantFrom(undefined, 'p1', 'p2'),
  imported: fc.boolean(),
});

test('indexed FMS2012 agrees with a scan from the top', () => {
  fc.assert(
    fc.property(fc.array(arbRule, { maxLength: 30 }), (specs) => {
      const rules = specs.map((s, i) => {
        const when = s.cond === 'true' ? E.lit(true) : s.cond === 'cmp' ? E.cmp('<', E.args('n'), E.lit(1)) : undefined;
        const r = rule(s.effect as 'permit', s.tool, { line: i + 1, ...(when ? { when } : {}), ...(s.phase ? { phase: s.phase } : {}) });
        r.tool = pat(s.tool, s.prefix);
        if (s.imported && i % 3 === 0) r.loc = { ...loc(i + 1, 3), file: 'imported.fms' };
        return r;
      });
      const sink = new DiagnosticSink('governance.fms');
      checkRules(policy(agent('a', rules)), sink);
      // Diagnostics come in rule order; each names the shadowing rule's line.
      const got = sink.items.filter((d) => d.code === 'FMS2012').map((d) => /on line (\d+)/.exec(d.message)![1]!);
      const expected = naiveShadows(rules, 'governance.fms');
      assert.equal(got, expected.map((e) => e.split('<-')[1]!), JSON.stringify(specs));
    }),
    { numRuns: 3000, seed: 20261126 },
  );
});

test('a 20,000-rule agent with no shadowing is checked in linear time (no quadratic scan)', () => {
  const rules = Array.from({ length: 20_000 }, (_, i) => rule('permit', `svc/op${i}`, { line: i + 1, when: E.cmp('<', E.args('n'), E.lit(i)) }));
  // Plus unconditional exact rules on distinct tools: each could shadow only its own name.
  for (let i = 0; i < 5_000; i++) rules.push(rule('deny', `other/op${i}`, { line: 20_001 + i }));
  const sink = new DiagnosticSink('governance.fms');
  checkRules(policy(agent('a', rules)), sink);
  assert.is(sink.items.length, 0);
});

test.run();
