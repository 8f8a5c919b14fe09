/**
 * Semantic tokens from the AST: block keywords, effects, labels, field keys,
 * tool patterns, names and calls in conditions, literals and comments.
 */
import type { ExprNode, Item, ValueNode } from '@fms/compiler';
import type { SemanticTokens, SemanticTokensLegend } from 'vscode-languageserver/node';
import type { Analysis } from '../analysis';

/** The token types and modifiers this server reports, in legend order. */
export const LEGEND: SemanticTokensLegend = {
  tokenTypes: ['keyword', 'class', 'namespace', 'property', 'function', 'variable', 'string', 'number', 'operator', 'comment', 'enumMember', 'type'],
  tokenModifiers: ['declaration', 'readonly', 'defaultLibrary'],
};

const T = Object.fromEntries(LEGEND.tokenTypes.map((t, i) => [t, i])) as Record<string, number>;
const DECL = 1;

interface Tok {
  start: number;
  end: number;
  type: number;
  mods: number;
}

function value(v: ValueNode, out: Tok[]): void {
  switch (v.kind) {
    case 'string':
      out.push({ ...v.span, type: T.string!, mods: 0 });
      break;
    case 'number':
    case 'money':
      out.push({ ...v.span, type: T.number!, mods: 0 });
      break;
    case 'bool':
    case 'nil':
    case 'word':
      out.push({ ...v.span, type: T.enumMember!, mods: 0 });
      break;
    case 'list':
      for (const x of v.items) value(x, out);
      break;
    case 'call':
      out.push({ start: v.span.start, end: v.span.start + v.name.length, type: T.function!, mods: 2 });
      for (const x of v.args) value(x, out);
      break;
    default:
      break;
  }
}

function expr(e: ExprNode, out: Tok[]): void {
  const stack: ExprNode[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    switch (x.kind) {
      case 'or':
      case 'and':
      case 'compare':
        stack.push(x.l, x.r);
        break;
      case 'not':
      case 'paren':
        stack.push(x.e);
        break;
      case 'list':
        stack.push(...x.items);
        break;
      case 'lit':
        value(x.value, out);
        break;
      case 'name':
        out.push({ ...x.span, type: T.variable!, mods: 0 });
        break;
      case 'call':
        out.push({ start: x.span.start, end: x.span.start + x.callee.length, type: T.function!, mods: 2 });
        for (const a of x.args) stack.push(a.value);
        break;
      default:
        break;
    }
  }
}

function items(list: Item[], out: Tok[]): void {
  for (const it of list) {
    switch (it.kind) {
      case 'block':
        out.push({ ...it.keyword.span, type: T.keyword!, mods: 0 });
        if (it.label) out.push({ ...it.label.span, type: it.keyword.text === 'agent' ? T.class! : T.namespace!, mods: DECL });
        items(it.items, out);
        break;
      case 'field':
        out.push({ ...it.key.span, type: T.property!, mods: 0 });
        for (const v of it.values) value(v, out);
        break;
      case 'var':
        out.push({ start: it.span.start, end: it.span.start + 3, type: T.keyword!, mods: 0 });
        out.push({ ...it.name.span, type: T.variable!, mods: DECL });
        value(it.value, out);
        break;
      case 'rule':
        out.push({ ...it.effect.span, type: T.keyword!, mods: 0 });
        out.push({ ...it.tool.span, type: T.type!, mods: 0 });
        for (const c of it.clauses) {
          if (c.kind === 'when') expr(c.expr, out);
          else if ('value' in c) value(c.value, out);
        }
        break;
      case 'import':
        out.push({ start: it.span.start, end: it.span.start + 6, type: T.keyword!, mods: 0 });
        value(it.ref, out);
        if (it.alias) out.push({ ...it.alias.span, type: T.namespace!, mods: DECL });
        break;
      case 'rate_limit':
        out.push({ start: it.span.start, end: it.span.start + 10, type: T.keyword!, mods: 0 });
        out.push({ ...it.pattern.span, type: T.string!, mods: 0 });
        value(it.count, out);
        out.push({ ...it.window.span, type: T.enumMember!, mods: 0 });
        break;
      case 'redact':
        out.push({ start: it.span.start, end: it.span.start + 6, type: T.keyword!, mods: 0 });
        out.push({ ...it.tool.span, type: T.type!, mods: 0 });
        value(it.paths, out);
        break;
      default:
        break;
    }
  }
}

/** The semantic tokens of a document, encoded as LSP relative integers. Tokens never span lines. */
export function semanticTokens(a: Analysis): SemanticTokens {
  const toks: Tok[] = [];
  items(a.result.ast.items, toks);
  for (const c of a.result.ast.comments) toks.push({ ...c.span, type: T.comment!, mods: 0 });
  toks.sort((x, y) => x.start - y.start || y.end - x.end);
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  let lastEnd = -1;
  for (const t of toks) {
    if (t.start < lastEnd || t.end <= t.start) continue; // overlapping or empty (error recovery)
    const s = a.doc.positionAt(t.start);
    const e = a.doc.positionAt(t.end);
    const len = e.line === s.line ? e.character - s.character : a.text.indexOf('\n', t.start) - t.start;
    if (len <= 0) continue;
    data.push(s.line - prevLine, s.line === prevLine ? s.character - prevChar : s.character, len, t.type, t.mods);
    prevLine = s.line;
    prevChar = s.character;
    lastEnd = t.end;
  }
  return { data };
}

