import type { Diagnostic } from '../diagnostics/diagnostic';
import type { IToken } from 'chevrotain';
import { tokenMatcher } from 'chevrotain';
import type { Document, Item } from './ast';
import { fplParser } from './parser';
import * as T from './tokens';
import { fplLexer } from './tokens';
import { loneSurrogateAt } from './strings';

/**
 * How deep brackets, braces, parentheses and `not` prefixes may nest along one
 * path. The parser, the checker and the emitter recurse once per level, so the
 * depth a policy can reach is bounded here, with a diagnostic, before any of
 * them runs (a 2,000-deep parenthesis must not overflow the stack).
 */
export const MAX_NESTING = 64;

/** The first token at which nesting exceeds MAX_NESTING, if any. */
function tooDeep(tokens: IToken[]): IToken | undefined {
  // Each open bracket weighs 1 plus the `not`s right before it; a run of `not`s counts while it lasts.
  const stack: number[] = [];
  let depth = 0;
  let nots = 0;
  for (const t of tokens) {
    if (tokenMatcher(t, T.Not) || tokenMatcher(t, T.Bang)) {
      nots++;
      if (depth + nots > MAX_NESTING) return t;
      continue;
    }
    if (tokenMatcher(t, T.LParen) || tokenMatcher(t, T.LBracket) || tokenMatcher(t, T.LBrace)) {
      const w = 1 + nots;
      stack.push(w);
      depth += w;
      if (depth > MAX_NESTING) return t;
    } else if (tokenMatcher(t, T.RParen) || tokenMatcher(t, T.RBracket) || tokenMatcher(t, T.RBrace)) {
      depth -= stack.pop() ?? 0;
    }
    nots = 0;
  }
  return undefined;
}


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
    const lone = loneSurrogateAt(text);
    if (lone >= 0) {
      diagnostics.push({
        code: 'FMS1021',
        severity: 'error',
        message: 'the text holds half of a UTF-16 surrogate pair, which is not a character',
        file,
        span: { start: lone, end: lone + 1 },
        help: 'save the file as UTF-8; every character must be a whole Unicode character',
      });
    }
    const deep = tooDeep(lexed.tokens);
    if (deep) {
      // Not parsed at all: the parser itself would recurse as deep as the input.
      diagnostics.push({
        code: 'FMS1020',
        severity: 'error',
        message: `nesting deeper than ${MAX_NESTING} levels of brackets, braces, parentheses and \`not\``,
        file,
        span: { start: deep.startOffset, end: deep.startOffset + deep.image.length },
        help: 'split the condition into several rules or `var`s; nothing else of the file is checked until this is fixed',
      });
      return { ast: { kind: 'document', items: [], comments: [], span: { start: 0, end: text.length } }, diagnostics };
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
