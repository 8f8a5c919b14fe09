/**
 * Completion by cursor context: top-level and agent-body blocks, fields of the
 * current block, enum values, effects, condition names, functions, vars and
 * selectors, tool names used elsewhere in the stack, agent names after
 * `delegate`, and snippets for common blocks. Words and their documentation
 * come from the compiler's shared table.
 */
import { BLOCK_PLACES, CONDITION_NAMES, EFFECT_SPELLINGS, FUNCTION_DOCS, KEYWORD_DOCS, blockFields, fieldDoc, fieldValues, type Item } from '@fms/compiler';
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type Position } from 'vscode-languageserver/node';
import { blockPath, toOffset, type Analysis } from '../analysis';

const SNIPPETS: ReadonlyArray<{ label: string; place: 'top' | 'agent'; body: string; detail: string }> = [
  { label: 'agent', place: 'top', body: 'agent "${1:name}" {\n  default ${2|deny,permit,defer|}\n\n  rules {\n    ${3:permit tool/name}\n  }\n}', detail: 'an agent with a default and rules' },
  { label: 'import', place: 'top', body: 'import "${1:host/kind/name}@${2:1.0.0}" as ${3:alias}', detail: 'a pinned import' },
  { label: 'rules', place: 'agent', body: 'rules {\n  ${1:permit tool/name}\n}', detail: 'a rules block' },
  { label: 'budget', place: 'agent', body: 'budget ${1:daily} {\n  max       \\$${2:500}\n  warn_at   ${3:0.8}\n  on_exceed ${4|deny,defer,audit|}\n}', detail: 'a spending window' },
  { label: 'rate_limit', place: 'agent', body: 'rate_limit "${1:tool/*}": ${2:10} per ${3|second,minute,hour,day|}', detail: 'a token bucket' },
  { label: 'phase', place: 'agent', body: 'phase ${1:name} {\n  duration ${2:1h}\n  next = "${3:next}"\n  ${4:permit tool/name}\n}', detail: 'a session phase' },
  { label: 'egress', place: 'agent', body: 'egress {\n  allow = ["${1:api.example.com}"]\n}', detail: 'allowed hosts' },
  { label: 'redact', place: 'agent', body: 'redact ${1:tool/name} args: ["${2:path}"]', detail: 'mask argument paths in records' },
  { label: 'var', place: 'agent', body: 'var ${1:name} = ${2:value}', detail: 'a named value' },
];

function docItem(label: string, kind: CompletionItemKind, sort: string, detail?: string): CompletionItem {
  const d = KEYWORD_DOCS.get(label);
  const item: CompletionItem = { label, kind, sortText: `${sort}${label}` };
  if (detail ?? d?.signature) item.detail = detail ?? d!.signature;
  if (d) item.documentation = { kind: 'markdown', value: d.doc };
  return item;
}

/** Every tool pattern written in a rule anywhere in the document. */
function toolNames(items: Item[], out: Set<string>): Set<string> {
  for (const it of items) {
    if (it.kind === 'rule') out.add(it.tool.text);
    else if (it.kind === 'block') toolNames(it.items, out);
    else if (it.kind === 'redact') out.add(it.tool.text);
  }
  return out;
}

function effects(): CompletionItem[] {
  return EFFECT_SPELLINGS.map((e) => docItem(e, CompletionItemKind.Keyword, '1'));
}

function statementItems(a: Analysis, block: string | undefined): CompletionItem[] {
  const items: CompletionItem[] = [];
  const snip = (place: 'top' | 'agent'): void => {
    for (const s of SNIPPETS) {
      if (s.place !== place) continue;
      items.push({ label: s.label, kind: CompletionItemKind.Snippet, insertText: s.body, insertTextFormat: InsertTextFormat.Snippet, detail: s.detail, sortText: `0${s.label}` });
    }
  };
  if (block === undefined) {
    for (const b of BLOCK_PLACES.topLevel) items.push(docItem(b, CompletionItemKind.Module, '2'));
    items.push(docItem('import', CompletionItemKind.Keyword, '2'));
    snip('top');
    items.push(...effects());
  } else if (block === 'agent') {
    for (const b of BLOCK_PLACES.agent) items.push(docItem(b, CompletionItemKind.Module, '2'));
    for (const f of blockFields('agent')) items.push(docItem(f, CompletionItemKind.Field, '1', fieldDoc('agent', f)?.signature));
    for (const k of ['var', 'rate_limit', 'redact']) items.push(docItem(k, CompletionItemKind.Keyword, '2'));
    snip('agent');
    items.push(...effects());
  } else if (block === 'rules') {
    items.push(...effects());
  } else {
    for (const f of blockFields(block)) items.push({ ...docItem(f, CompletionItemKind.Field, '1', fieldDoc(block, f)?.signature), documentation: { kind: 'markdown', value: fieldDoc(block, f)?.doc ?? '' } });
    if (block === 'phase') items.push(...effects());
  }
  void a;
  return items;
}

function conditionItems(a: Analysis, agentLabel: string | undefined): CompletionItem[] {
  const items: CompletionItem[] = [];
  for (const n of CONDITION_NAMES) items.push(docItem(n, CompletionItemKind.Variable, '2'));
  for (const f of FUNCTION_DOCS) {
    items.push({ label: f.word, kind: CompletionItemKind.Function, detail: f.signature, documentation: { kind: 'markdown', value: f.doc }, insertText: `${f.word}($1)`, insertTextFormat: InsertTextFormat.Snippet, sortText: `3${f.word}` });
  }
  for (const s of a.symbols) {
    if ((s.kind === 'var' || s.kind === 'selector') && s.scope === (agentLabel ?? '')) items.push({ label: s.name, kind: CompletionItemKind.Variable, detail: s.kind, sortText: `1${s.name}` });
  }
  for (const op of ['and', 'or', 'not', 'in', 'matches', 'contains', 'startsWith', 'endsWith']) items.push({ label: op, kind: CompletionItemKind.Operator, sortText: `4${op}` });
  return items;
}

/** Completion items at `pos`. Pure: reads only the analysis. */
export function completion(a: Analysis, pos: Position): CompletionItem[] {
  const offset = toOffset(a.doc, pos);
  const lineStart = a.text.lastIndexOf('\n', offset - 1) + 1;
  const before = a.text.slice(lineStart, offset);
  const path = blockPath(a.result.ast, offset);
  const inner = path[path.length - 1]?.keyword.text;
  const agentLabel = path[0]?.keyword.text === 'agent' ? path[0].label?.text : undefined;

  // `delegate NAME`: agents of the stack.
  if (/^\s*delegate\s+"?[\w-]*$/.test(before)) {
    return a.symbols.filter((s) => s.kind === 'agent' && s.def && s.name !== agentLabel).map((s) => ({ label: s.name, kind: CompletionItemKind.Class, detail: 'agent' }));
  }
  // `use ALIAS`: import aliases.
  if (/^\s*use\s+[\w-]*$/.test(before)) return a.symbols.filter((s) => s.kind === 'alias' && s.def).map((s) => ({ label: s.name, kind: CompletionItemKind.Module, detail: 'import alias' }));
  // `rate_limit "…": N per WINDOW`.
  if (/^\s*rate_limit\b.*\bper\s+\w*$/.test(before)) return (fieldValues('rate_limit', 'per') ?? []).map((w) => ({ label: w, kind: CompletionItemKind.EnumMember }));
  // Inside a condition: after `if`/`when` on a rule line, or on a continuation line.
  if (/(^|[\s{])(permit|allow|approve|deny!?|defer|block|reject)\s.*\b(if|when)\s/.test(before) || /^\s*(and|or|&&|\|\||if|when)\s/.test(before)) {
    return conditionItems(a, agentLabel);
  }
  // After an effect: tool names used elsewhere.
  if (/(^|[\s{])(permit|allow|approve|deny!?|defer|block|reject)\s+[\w/*.-]*$/.test(before)) {
    return [...toolNames(a.result.ast.items, new Set())].sort().map((t) => ({ label: t, kind: CompletionItemKind.Reference, detail: 'tool used in this stack' }));
  }
  // `field = VALUE` or `field VALUE` of an enumerated field.
  const fm = /^\s*([A-Za-z_][\w]*)\s*(=|:)?\s*"?([\w-]*)$/.exec(before);
  if (fm && (fm[2] || /\s"?[\w-]*$/.test(before.trimStart().slice(fm[1]!.length)))) {
    const values = fieldValues(inner ?? 'agent', fm[1]!) ?? (inner === 'agent' || inner === undefined ? fieldValues('agent', fm[1]!) : undefined);
    if (values) {
      const quoted = before.trimEnd().endsWith('"') || /"[\w-]*$/.test(before);
      const wantsQuotes = fm[1] !== 'default' && inner !== 'budget' && !quoted;
      return values.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, insertText: wantsQuotes ? `"${v}"` : v }));
    }
    if (fm[2]) return [];
  }
  // Statement start.
  if (/^\s*[\w!-]*$/.test(before)) return statementItems(a, inner);
  return [];
}
