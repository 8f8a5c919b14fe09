/**
 * Document symbols (the outline: agents, rules blocks, rules, budgets, phases,
 * vars, imports…) and workspace symbols over every open document.
 */
import type { BlockNode, Item } from '@fms/compiler';
import { SymbolKind, type DocumentSymbol, type WorkspaceSymbol } from 'vscode-languageserver/node';
import { innerSpan, toRange, type Analysis } from '../analysis';

const BLOCK_KIND: Readonly<Record<string, SymbolKind>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, SymbolKind>, {
    agent: SymbolKind.Class,
    rules: SymbolKind.Namespace,
    budget: SymbolKind.Object,
    phase: SymbolKind.Event,
    selector: SymbolKind.Variable,
    delegate: SymbolKind.Interface,
  }),
);

function blockName(b: BlockNode): string {
  return b.label ? `${b.keyword.text} ${b.label.text}` : b.keyword.text;
}

function itemSymbols(a: Analysis, items: Item[]): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const it of items) {
    const range = toRange(a.doc, it.span);
    switch (it.kind) {
      case 'block': {
        const sel = toRange(a.doc, it.label ? innerSpan(it.label) : it.keyword.span);
        out.push({ name: blockName(it), kind: BLOCK_KIND[it.keyword.text] ?? SymbolKind.Struct, range, selectionRange: sel, children: itemSymbols(a, it.items) });
        break;
      }
      case 'rule':
        out.push({ name: `${it.effect.spelling} ${it.tool.text}`, kind: SymbolKind.Method, range, selectionRange: toRange(a.doc, it.tool.span), detail: it.clauses.some((c) => c.kind === 'when') ? 'conditional' : '' });
        break;
      case 'var':
        out.push({ name: it.name.text, kind: SymbolKind.Variable, range, selectionRange: toRange(a.doc, it.name.span), detail: 'var' });
        break;
      case 'import':
        out.push({ name: it.ref.value, kind: SymbolKind.Package, range, selectionRange: toRange(a.doc, it.ref.span), detail: it.alias ? `as ${it.alias.text}` : '' });
        break;
      case 'rate_limit':
        out.push({ name: `rate_limit ${it.pattern.text}`, kind: SymbolKind.Constant, range, selectionRange: toRange(a.doc, it.pattern.span) });
        break;
      case 'redact':
        out.push({ name: `redact ${it.tool.text}`, kind: SymbolKind.Constant, range, selectionRange: toRange(a.doc, it.tool.span) });
        break;
      case 'field':
        out.push({ name: it.key.text, kind: SymbolKind.Field, range, selectionRange: toRange(a.doc, it.key.span) });
        break;
      default:
        break;
    }
  }
  return out;
}

/** The outline of one document. */
export function documentSymbols(a: Analysis): DocumentSymbol[] {
  return itemSymbols(a, a.result.ast.items);
}

/** Declared names across documents whose name contains `query` (case-insensitive). */
export function workspaceSymbols(analyses: Iterable<Analysis>, query: string): WorkspaceSymbol[] {
  const q = query.toLowerCase();
  const out: WorkspaceSymbol[] = [];
  const kind: Record<string, SymbolKind> = { agent: SymbolKind.Class, var: SymbolKind.Variable, budget: SymbolKind.Object, phase: SymbolKind.Event, alias: SymbolKind.Package, selector: SymbolKind.Variable };
  for (const a of analyses) {
    for (const s of a.symbols) {
      if (!s.def || !s.name.toLowerCase().includes(q)) continue;
      out.push({ name: s.name, kind: kind[s.kind] ?? SymbolKind.Variable, ...(s.scope ? { containerName: s.scope } : {}), location: { uri: a.doc.uri, range: toRange(a.doc, s.def) } });
    }
  }
  return out;
}
