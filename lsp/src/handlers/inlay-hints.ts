/**
 * Decision preview as inlay hints: after each rule (and each `default`) that
 * decided a fixture case, what it decided and for how many cases
 * (`→ deny (3/12 fixtures)`), with failing expectations counted.
 */
import type { Item } from '@fms/compiler';
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import type { Analysis } from '../analysis';
import type { CaseResult } from '../fixtures';

/** The inlay hints for `results` within `range`. */
export function inlayHints(a: Analysis, results: readonly CaseResult[], range?: Range): InlayHint[] {
  if (!results.length) return [];
  const byLine = new Map<number, CaseResult[]>();
  for (const r of results) {
    if (r.line === undefined) continue;
    const l = byLine.get(r.line);
    if (l) l.push(r);
    else byLine.set(r.line, [r]);
  }
  // Lines that hold a rule or a field (`default`) in this document: a hint goes at the end of the statement's first line.
  const hints: InlayHint[] = [];
  const total = results.length;
  const visit = (items: Item[]): void => {
    for (const it of items) {
      if (it.kind === 'block') {
        visit(it.items);
        continue;
      }
      if (it.kind !== 'rule' && !(it.kind === 'field' && it.key.text === 'default')) continue;
      const line = a.doc.positionAt(it.span.start).line;
      const rs = byLine.get(line + 1);
      if (!rs) continue;
      byLine.delete(line + 1);
      if (range && (line < range.start.line || line > range.end.line)) continue;
      const effects = [...new Set(rs.map((r) => r.effect))].join('/');
      const failing = rs.filter((r) => !r.pass).length;
      const lineEnd = a.text.indexOf('\n', it.span.start);
      const pos = a.doc.positionAt(lineEnd < 0 ? a.text.length : lineEnd);
      hints.push({
        position: pos,
        label: ` → ${effects} (${rs.length}/${total} fixtures${failing ? `, ${failing} failing` : ''})`,
        kind: InlayHintKind.Parameter,
        paddingLeft: true,
        tooltip: rs.map((r) => `${r.pass ? '✓' : '✗'} ${r.name}: ${r.effect} (${r.code})${r.pass ? '' : `, expected ${r.expected}`}`).join('\n'),
      });
    }
  };
  visit(a.result.ast.items);
  return hints;
}
