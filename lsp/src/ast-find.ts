/**
 * What the cursor is on, found in the compiler's AST (the parser recovers, so
 * a document with syntax errors still has a tree).
 */
import type { BlockNode, Clause, ExprNode, FieldNode, Item, RuleNode, Span, ValueNode, VarNode } from '@fms/compiler';
import { within } from './analysis';

/** The innermost thing under the cursor, with the blocks around it (outermost first). */
export type Hit =
  | { kind: 'block-keyword'; block: BlockNode; path: BlockNode[] }
  | { kind: 'block-label'; block: BlockNode; path: BlockNode[] }
  | { kind: 'field-key'; field: FieldNode; path: BlockNode[] }
  | { kind: 'field-value'; field: FieldNode; value: ValueNode; path: BlockNode[] }
  | { kind: 'var'; node: VarNode; onName: boolean; path: BlockNode[] }
  | { kind: 'effect'; rule: RuleNode; path: BlockNode[] }
  | { kind: 'tool'; rule: RuleNode; path: BlockNode[] }
  | { kind: 'expr'; rule: RuleNode; expr: ExprNode; path: BlockNode[] }
  | { kind: 'clause'; rule: RuleNode; clause: Clause; path: BlockNode[] }
  | { kind: 'item-keyword'; item: Item; word: string; path: BlockNode[] };

/** The innermost expression containing `offset` (names and calls before their parents). */
export function exprAt(e: ExprNode, offset: number): ExprNode | undefined {
  if (!within(e.span, offset)) return undefined;
  let inner: ExprNode | undefined;
  switch (e.kind) {
    case 'or':
    case 'and':
    case 'compare':
      inner = exprAt(e.l, offset) ?? exprAt(e.r, offset);
      break;
    case 'not':
    case 'paren':
      inner = exprAt(e.e, offset);
      break;
    case 'list':
      for (const x of e.items) inner ??= exprAt(x, offset);
      break;
    case 'call':
      for (const a of e.args) inner ??= exprAt(a.value, offset);
      break;
    default:
      break;
  }
  return inner ?? e;
}

const KEYWORD_OF: Partial<Record<Item['kind'], string>> = { import: 'import', rate_limit: 'rate_limit', redact: 'redact', var: 'var', manifest: 'manifest' };

/** Finds what is under `offset` in `items`. */
export function findAt(items: Item[], offset: number, path: BlockNode[] = []): Hit | undefined {
  for (const it of items) {
    if (!within(it.span, offset)) continue;
    switch (it.kind) {
      case 'block':
        if (within(it.keyword.span, offset)) return { kind: 'block-keyword', block: it, path };
        if (it.label && within(it.label.span, offset)) return { kind: 'block-label', block: it, path };
        return findAt(it.items, offset, [...path, it]) ?? undefined;
      case 'field': {
        if (within(it.key.span, offset)) return { kind: 'field-key', field: it, path };
        const v = it.values.find((x) => within(x.span, offset));
        if (v) return { kind: 'field-value', field: it, value: v, path };
        return undefined;
      }
      case 'var':
        return { kind: 'var', node: it, onName: within(it.name.span, offset), path };
      case 'rule': {
        if (within(it.effect.span, offset)) return { kind: 'effect', rule: it, path };
        if (within(it.tool.span, offset)) return { kind: 'tool', rule: it, path };
        for (const c of it.clauses) {
          if (!within(c.span, offset)) continue;
          if (c.kind === 'when') {
            const e = exprAt(c.expr, offset);
            if (e) return { kind: 'expr', rule: it, expr: e, path };
          }
          return { kind: 'clause', rule: it, clause: c, path };
        }
        return { kind: 'effect', rule: it, path };
      }
      default: {
        const word = KEYWORD_OF[it.kind];
        if (word && offset <= it.span.start + word.length) return { kind: 'item-keyword', item: it, word, path };
        return undefined;
      }
    }
  }
  return undefined;
}

/** The word (FPL name characters, dots and slashes) around `offset` in `text`. */
export function wordAt(text: string, offset: number): { word: string; span: Span } | undefined {
  const isWord = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_.!\-]/.test(c);
  let s = offset;
  let e = offset;
  while (s > 0 && isWord(text[s - 1])) s--;
  while (e < text.length && isWord(text[e])) e++;
  if (s === e) return undefined;
  return { word: text.slice(s, e), span: { start: s, end: e } };
}
