/**
 * One analysed document: the compiler's own `compile()` result plus the name
 * index the navigation handlers share. Nothing here parses FPL its own way.
 */
import { compile, compileIncremental, type CompileOptions, type CompileResult, type Document, type Item, type BlockNode, type ExprNode, type Span, type ValueNode } from '@fms/compiler';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { Range, type Position } from 'vscode-languageserver/node';

/** The kinds of names FPL declares and refers to. */
export type SymbolKindName = 'agent' | 'var' | 'budget' | 'phase' | 'alias' | 'selector';

/** One declared (or only referred-to) name and every place it is written. */
export interface NameSymbol {
  kind: SymbolKindName;
  name: string;
  /** The agent the name belongs to (vars, budgets, phases, selectors); '' for stack-wide names. */
  scope: string;
  /** Span of the declaring name (inner text, without quotes). */
  def?: Span;
  /** Spans of the references (inner text, without quotes). */
  refs: Span[];
}

/** The compile result of one document version and its name index. */
export interface Analysis {
  doc: TextDocument;
  text: string;
  result: CompileResult;
  symbols: NameSymbol[];
}

/**
 * Compiles `doc` with the compiler's front end; its names are indexed on first
 * use (diagnostics do not need them). With `prev`, the analysis of an earlier
 * version of the same document, only the top-level items the edit touched are
 * parsed again (`compileIncremental`: same result as `compile`). Never throws
 * on any text.
 */
export function analyze(doc: TextDocument, opts: CompileOptions = {}, prev?: Analysis): Analysis {
  const text = doc.getText();
  const file = fileOf(doc.uri);
  const result = prev ? compileIncremental({ text: prev.text, result: prev.result }, text, file, opts) : compile(text, file, opts);
  let symbols: NameSymbol[] | undefined;
  return {
    doc,
    text,
    result,
    get symbols(): NameSymbol[] {
      return (symbols ??= indexNames(result.ast));
    },
  };
}

/** The file name diagnostics carry for a document URI (its path for `file:` URIs). */
export function fileOf(uri: string): string {
  if (uri.startsWith('file://')) {
    try {
      return decodeURIComponent(new URL(uri).pathname);
    } catch {
      return uri;
    }
  }
  return uri;
}

/** A compiler span (UTF-16 offsets) as a 0-based LSP range. */
export function toRange(doc: TextDocument, span: Span): Range {
  return Range.create(doc.positionAt(span.start), doc.positionAt(span.end));
}

/** An LSP position as a UTF-16 offset into the document. */
export function toOffset(doc: TextDocument, pos: Position): number {
  return doc.offsetAt(pos);
}

/** Does `span` contain `offset` (end inclusive, so a cursor right after a word is on it)? */
export function within(span: Span, offset: number): boolean {
  return offset >= span.start && offset <= span.end;
}

/** The inner span of a name or string as written: without its quotes. */
export function innerSpan(n: { span: Span; raw?: string; quoted?: boolean }): Span {
  const quoted = n.quoted ?? (n.raw !== undefined && /^["']/.test(n.raw));
  return quoted && n.span.end - n.span.start >= 2 ? { start: n.span.start + 1, end: n.span.end - 1 } : n.span;
}

/** The agent blocks of a document, named (flat-rule agents have no block). */
export function agentBlocks(ast: Document): BlockNode[] {
  return ast.items.filter((i): i is BlockNode => i.kind === 'block' && i.keyword.text === 'agent');
}

class NameTable {
  private readonly m = new Map<string, NameSymbol>();
  get(kind: SymbolKindName, scope: string, name: string): NameSymbol {
    const key = `${kind}\u0000${scope}\u0000${name}`;
    let s = this.m.get(key);
    if (!s) {
      s = { kind, name, scope, refs: [] };
      this.m.set(key, s);
    }
    return s;
  }
  all(): NameSymbol[] {
    return [...this.m.values()];
  }
}

/** Walks expressions without recursion limits beyond the parser's own nesting bound (64). */
function walkExpr(e: ExprNode, f: (e: ExprNode) => void): void {
  f(e);
  switch (e.kind) {
    case 'or':
    case 'and':
    case 'compare':
      walkExpr(e.l, f);
      walkExpr(e.r, f);
      break;
    case 'not':
    case 'paren':
      walkExpr(e.e, f);
      break;
    case 'list':
      for (const x of e.items) walkExpr(x, f);
      break;
    case 'call':
      for (const a of e.args) walkExpr(a.value, f);
      break;
    default:
      break;
  }
}

function walkValue(v: ValueNode, f: (v: ValueNode) => void): void {
  f(v);
  if (v.kind === 'list') for (const x of v.items) walkValue(x, f);
}

/** Indexes agents, vars, budgets, phases, import aliases and selectors with their references. */
export function indexNames(ast: Document): NameSymbol[] {
  const t = new NameTable();
  const agentRefs: { name: string; span: Span }[] = [];
  for (const it of ast.items) {
    if (it.kind === 'import' && it.alias) t.get('alias', '', it.alias.text).def = innerSpan(it.alias);
  }
  // Names declared per agent scope first, so conditions can tell a var from an argument.
  const visitAgent = (scope: string, items: Item[]): void => {
    const vars = new Set<string>();
    const selectors = new Set<string>();
    const collect = (items: Item[]): void => {
      for (const it of items) {
        if (it.kind === 'var') {
          vars.add(it.name.text);
          t.get('var', scope, it.name.text).def ??= innerSpan(it.name);
        } else if (it.kind === 'block') {
          const kw = it.keyword.text;
          if (it.label && (kw === 'budget' || kw === 'phase' || kw === 'selector')) {
            if (kw === 'selector') selectors.add(it.label.text);
            t.get(kw, scope, it.label.text).def ??= innerSpan(it.label);
          }
          if (kw === 'rules' || kw === 'phase') collect(it.items);
        }
      }
    };
    collect(items);
    const nameRef = (path: string, span: Span): void => {
      const head = path.split('.')[0]!;
      const s: Span = { start: span.start, end: span.start + head.length };
      if (vars.has(head)) t.get('var', scope, head).refs.push(s);
      else if (selectors.has(head)) t.get('selector', scope, head).refs.push(s);
    };
    const visit = (items: Item[], block: string): void => {
      for (const it of items) {
        if (it.kind === 'rule') {
          for (const c of it.clauses) {
            if (c.kind === 'when') walkExpr(c.expr, (e) => e.kind === 'name' && nameRef(e.path, e.span));
            else if ('value' in c) walkValue(c.value, (v) => v.kind === 'word' && vars.has(v.text) && t.get('var', scope, v.text).refs.push(v.span));
          }
        } else if (it.kind === 'field') {
          for (const v of it.values) {
            walkValue(v, (x) => {
              if (x.kind === 'word' && vars.has(x.text)) t.get('var', scope, x.text).refs.push(x.span);
            });
          }
          if (block === 'phase' && it.key.text === 'next') {
            const v = it.values[0];
            if (v && (v.kind === 'string' || v.kind === 'word')) {
              const name = v.kind === 'string' ? v.value : v.text;
              t.get('phase', scope, name).refs.push(v.kind === 'string' ? innerSpan(v) : v.span);
            }
          }
          if (block === 'delegate' && (it.key.text === 'target_agent' || it.key.text === 'to')) {
            for (const v of it.values) walkValue(v, (x) => {
              if (x.kind === 'string') agentRefs.push({ name: x.value, span: innerSpan(x) });
              else if (x.kind === 'word') agentRefs.push({ name: x.text, span: x.span });
            });
          }
        } else if (it.kind === 'block') {
          const kw = it.keyword.text;
          if (kw === 'delegate' && it.label) agentRefs.push({ name: it.label.text, span: innerSpan(it.label) });
          if (kw === 'use' && it.label) t.get('alias', '', it.label.text).refs.push(innerSpan(it.label));
          visit(it.items, kw);
        }
      }
    };
    visit(items, 'agent');
  };
  let flat = false;
  for (const it of ast.items) {
    if (it.kind === 'block' && it.keyword.text === 'agent') {
      const name = it.label?.text ?? '';
      if (it.label) t.get('agent', '', name).def ??= innerSpan(it.label);
      visitAgent(name, it.items);
    } else if (it.kind === 'rule' || it.kind === 'var') flat = true;
  }
  if (flat) visitAgent('', ast.items.filter((i) => !(i.kind === 'block' && i.keyword.text === 'agent')));
  for (const r of agentRefs) t.get('agent', '', r.name).refs.push(r.span);
  return t.all();
}

/** The name symbol whose definition or a reference is under `offset`, with the span hit. */
export function symbolAt(a: Analysis, offset: number): { symbol: NameSymbol; span: Span } | undefined {
  for (const s of a.symbols) {
    if (s.def && within(s.def, offset)) return { symbol: s, span: s.def };
    for (const r of s.refs) if (within(r, offset)) return { symbol: s, span: r };
  }
  return undefined;
}

/** The chain of blocks whose body contains `offset`, outermost first. */
export function blockPath(ast: Document, offset: number): BlockNode[] {
  const path: BlockNode[] = [];
  let items: Item[] = ast.items;
  for (;;) {
    const b = items.find(
      (i): i is BlockNode =>
        i.kind === 'block' && offset > (i.label ?? i.keyword).span.end && (i.close ? offset <= i.close.start : offset <= i.span.end),
    );
    if (!b) break;
    path.push(b);
    items = b.items;
  }
  return path;
}
