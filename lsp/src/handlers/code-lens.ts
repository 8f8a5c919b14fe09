/**
 * A code lens on each agent of a policy with fixtures: how its fixture cases
 * fare against the current text; the lens runs the command that re-reads the
 * fixtures from disk and re-decides them (`fms.runFixtures`).
 */
import type { CodeLens } from 'vscode-languageserver/node';
import { agentBlocks, toRange, type Analysis } from '../analysis';
import type { CaseResult } from '../fixtures';

/** The command a fixture lens runs: arguments `[documentUri]`. */
export const RUN_FIXTURES = 'fms.runFixtures';

/** One lens per agent that has fixture cases (and one on line 0 for flat-rule policies). */
export function codeLenses(a: Analysis, results: readonly CaseResult[]): CodeLens[] {
  if (!results.length) return [];
  const out: CodeLens[] = [];
  const summary = (rs: readonly CaseResult[]): string => {
    const failing = rs.filter((r) => !r.pass).length;
    return `▶ fixtures: ${rs.length - failing}/${rs.length} pass${failing ? ` (${failing} failing)` : ''}`;
  };
  const blocks = agentBlocks(a.result.ast);
  for (const b of blocks) {
    const rs = results.filter((r) => r.agent === b.label?.text);
    if (!rs.length) continue;
    const range = toRange(a.doc, b.keyword.span);
    out.push({ range, command: { title: summary(rs), command: RUN_FIXTURES, arguments: [a.doc.uri] } });
  }
  if (!blocks.length) out.push({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, command: { title: summary(results), command: RUN_FIXTURES, arguments: [a.doc.uri] } });
  return out;
}
