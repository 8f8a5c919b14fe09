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

/**
 * The previous clean parse of a document, as {@link reparse} needs it: its
 * text and AST. Only a parse without diagnostics qualifies.
 */
export interface CleanParse {
  text: string;
  ast: Document;
}

/**
 * Re-parses `text` re-using `prev` (the clean parse of an earlier version of
 * the same document): only the top-level items the change touches are lexed
 * and parsed again; the others are re-used, moved in place. `prev.ast` is
 * taken over when the result is defined (its nodes become the new AST's:
 * keep no other use of it; its span objects are replaced, not changed, so an
 * IR built from it keeps its locations). The result equals
 * `parse(text, file)` exactly (AST and diagnostics); where that cannot be
 * guaranteed cheaply it returns `undefined` and the caller parses in full.
 *
 * Why the splice is exact: the changed region runs from the end of a top-level
 * block closed by `}` (nothing after a closing brace belongs to its block) to
 * the start of an unchanged top-level item that begins right after a line
 * break (no token — comment, string, word — runs across a line break, and the
 * lexer has one mode, so lexing from either boundary gives the full lexer's
 * tokens). The region must parse without any problem and end in a closed
 * block (so its last item does not depend on the tokens after it), and `prev`
 * was clean, so the unchanged items parse as they did. Anything else — an
 * error anywhere, a region that ends open — is the full parse's job.
 *
 * @param file kept for symmetry with `parse`: a defined result never carries
 * a diagnostic (any problem sends the caller to the full parse, which names it).
 */
export function reparse(prev: CleanParse, text: string, file = 'governance.fms'): ParseResult | undefined {
  void file;
  const old = prev.text;
  const items = prev.ast.items;
  // The changed range: old[a, b) became text[a, b + delta).
  const max = Math.min(old.length, text.length);
  let a = 0;
  while (a < max && old.charCodeAt(a) === text.charCodeAt(a)) a++;
  if (a === old.length && a === text.length) return { ast: prev.ast, diagnostics: [] };
  let b = old.length;
  let nb = text.length;
  while (b > a && nb > a && old.charCodeAt(b - 1) === text.charCodeAt(nb - 1)) {
    b--;
    nb--;
  }
  const delta = text.length - old.length;
  // First re-parsed item: after the last closed top-level block that ends at or before `a`.
  let first = 0;
  let start = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.span.end > a) break;
    if (it.kind === 'block' && it.close) {
      first = i + 1;
      start = it.span.end;
    }
  }
  // First re-used item after the region: starts after `b`, right after a line break (in the new text too).
  let next = items.length;
  for (let i = first; i < items.length; i++) {
    const s = items[i]!.span.start;
    if (s > b && old.charCodeAt(s - 1) === 10 && text.charCodeAt(s + delta - 1) === 10) {
      next = i;
      break;
    }
  }
  const oldEnd = next < items.length ? items[next]!.span.start : old.length;
  const end = oldEnd + delta;
  if (end < start) return undefined;
  const fragment = text.slice(start, end);
  const lexed = fplLexer.tokenize(fragment);
  if (lexed.errors.length || loneSurrogateAt(fragment) >= 0) return undefined;
  const tokens = lexed.tokens;
  if (tooDeep(tokens)) return undefined;
  for (const t of tokens) {
    t.startOffset += start;
    if (t.endOffset !== undefined) t.endOffset += start;
  }
  const parser = fplParser();
  const fresh = parser.parseTokens(text, tokens);
  if (parser.problems.length) return undefined;
  const mid = fresh.items;
  const last = mid[mid.length - 1];
  if (next < items.length && last && !(last.kind === 'block' && last.close)) return undefined;
  markBlankLines(text, mid, start);
  // Only now, with the region parsed cleanly, is `prev` changed: its unchanged items move by `delta`.
  const tail = items.slice(next);
  if (delta !== 0) for (const it of tail) shiftSpans(it, delta);
  const t0 = tail[0];
  if (t0) {
    // The first re-used item follows a new neighbour: its blank-line mark is recomputed.
    const prevEnd = last ? last.span.end : start;
    t0.blankBefore = /\n[ \t\r]*\n/.test(text.slice(prevEnd, t0.span.start));
  }
  const comments = prev.ast.comments.filter((c) => c.span.start < start);
  for (const t of lexed.groups.comments ?? []) comments.push({ text: t.image, span: { start: t.startOffset + start, end: t.startOffset + start + t.image.length } });
  for (const c of prev.ast.comments) if (c.span.start >= oldEnd) comments.push(delta === 0 ? c : { text: c.text, span: { start: c.span.start + delta, end: c.span.end + delta } });
  const ast: Document = { kind: 'document', items: [...items.slice(0, first), ...mid, ...tail], comments, span: { start: 0, end: text.length } };
  return { ast, diagnostics: [] };
}

/**
 * Moves every span under an AST node by `delta`, in place. A span is an object
 * with numeric `start` and `end` (no AST node has those keys); it is replaced
 * by a new object, never changed, so a span object shared with something else
 * (an IR `loc` of the previous compile, another node) keeps its value and none
 * is moved twice. Iterative: the AST is as deep as MAX_NESTING allows.
 */
function shiftSpans(root: object, delta: number): void {
  const stack: object[] = [root];
  while (stack.length) {
    const o = stack.pop() as Record<string, unknown>;
    for (const k in o) {
      const v = o[k] as Record<string, unknown> | null;
      if (v === null || typeof v !== 'object') continue;
      if (typeof v.start === 'number' && typeof v.end === 'number') o[k] = { start: v.start + delta, end: v.end + delta };
      else stack.push(v);
    }
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
