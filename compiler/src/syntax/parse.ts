import type { Diagnostic } from '../diagnostics/diagnostic';
import type { Document, Item } from './ast';
import { fplParser } from './parser';
import { fplLexer } from './tokens';

export interface ParseResult {
  ast: Document;
  diagnostics: Diagnostic[];
}

/**
 * Parses FPL source into an AST. Pure and total: every syntax problem becomes
 * a diagnostic (codes FMS1xxx) and the AST holds everything that could be
 * recovered. Never throws.
 */
export function parse(text: string, file = 'governance.fms'): ParseResult {
  const diagnostics: Diagnostic[] = [];
  try {
    const lexed = fplLexer.tokenize(text);
    let lastLexEnd = -2;
    for (const e of lexed.errors) {
      // Merge runs of adjacent bad characters into one diagnostic.
      const prev = diagnostics[diagnostics.length - 1];
      if (prev && prev.code === 'FMS1001' && e.offset === lastLexEnd) {
        prev.span.end = e.offset + e.length;
      } else {
        const ch = text.slice(e.offset, e.offset + e.length);
        diagnostics.push({
          code: 'FMS1001',
          severity: 'error',
          message: `unexpected character \`${ch.length > 20 ? ch.slice(0, 20) + '…' : ch}\``,
          file,
          span: { start: e.offset, end: e.offset + e.length },
          help: 'FPL text is made of names, strings in quotes, numbers, `$` amounts and the punctuation `{ } [ ] ( ) = : , !`',
        });
      }
      lastLexEnd = e.offset + e.length;
    }
    const parser = fplParser();
    const ast = parser.parseTokens(text, lexed.tokens);
    ast.comments = (lexed.groups.comments ?? []).map((t) => ({
      text: t.image,
      span: { start: t.startOffset, end: t.startOffset + t.image.length },
    }));
    for (const p of parser.problems) {
      const d: Diagnostic = { code: p.code, severity: 'error', message: p.message, file, span: p.span };
      if (p.help) d.help = p.help;
      if (p.related) d.related = p.related.map((r) => ({ ...r, file }));
      diagnostics.push(d);
    }
    markBlankLines(text, ast.items, 0);
    diagnostics.sort((a, b) => a.span.start - b.span.start || a.code.localeCompare(b.code));
    return { ast, diagnostics: dedupe(diagnostics) };
  } catch (e) {
    // INVARIANT: unreachable on any input (fuzz-tested); kept so a bug can never crash a caller.
    const msg = e instanceof Error ? e.message : String(e);
    diagnostics.push({
      code: 'FMS1099',
      severity: 'error',
      message: `internal parser error: ${msg}`,
      file,
      span: { start: 0, end: 0 },
    });
    return { ast: { kind: 'document', items: [], comments: [], span: { start: 0, end: text.length } }, diagnostics };
  }
}

/** Sets `blankBefore` on items that follow an empty line (comments between are allowed). */
function markBlankLines(text: string, items: Item[], from: number): void {
  let prevEnd = from;
  for (const it of items) {
    const gap = text.slice(prevEnd, it.span.start);
    it.blankBefore = /\n[ \t\r]*\n/.test(gap);
    if (it.kind === 'block') {
      const open = text.indexOf('{', it.label ? it.label.span.end : it.keyword.span.end);
      markBlankLines(text, it.items, open >= 0 ? open + 1 : it.span.start);
    }
    prevEnd = it.span.end;
  }
}

/** Recovery can report one spot twice; keep the first report per span and code family. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of ds) {
    const k = `${d.span.start}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}
