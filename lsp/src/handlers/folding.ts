/** Folding ranges: every block that spans lines, multi-line rules, and runs of comment lines. */
import type { Item } from '@fms/compiler';
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver/node';
import type { Analysis } from '../analysis';

/** The folding ranges of one document. */
export function foldingRanges(a: Analysis): FoldingRange[] {
  const out: FoldingRange[] = [];
  const line = (o: number): number => a.doc.positionAt(o).line;
  const visit = (items: Item[]): void => {
    for (const it of items) {
      if (it.kind === 'block') {
        const start = line(it.span.start);
        const end = line(it.close?.start ?? it.span.end);
        if (end > start) out.push({ startLine: start, endLine: it.close ? end - 1 : end, kind: FoldingRangeKind.Region });
        visit(it.items);
      } else if (it.kind === 'rule' && it.multiline) {
        const start = line(it.span.start);
        const end = line(it.span.end);
        if (end > start) out.push({ startLine: start, endLine: end });
      }
    }
  };
  visit(a.result.ast.items);
  let runStart = -1;
  let last = -2;
  for (const c of a.result.ast.comments) {
    const l = line(c.span.start);
    if (l !== last + 1) {
      if (runStart >= 0 && last > runStart) out.push({ startLine: runStart, endLine: last, kind: FoldingRangeKind.Comment });
      runStart = l;
    }
    last = l;
  }
  if (runStart >= 0 && last > runStart) out.push({ startLine: runStart, endLine: last, kind: FoldingRangeKind.Comment });
  return out.filter((r) => r.endLine > r.startLine);
}
