import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { KEYWORD_DOCS } from '@fms/compiler';
import { toLspDiagnostics } from '../../lsp/src/handlers/diagnostics';
import { hover } from '../../lsp/src/handlers/hover';
import { completion } from '../../lsp/src/handlers/completion';
import { definition, prepareRename, references, rename, RenameError } from '../../lsp/src/handlers/definition';
import { documentSymbols, workspaceSymbols } from '../../lsp/src/handlers/symbols';
import { foldingRanges } from '../../lsp/src/handlers/folding';
import { formatDocument, formatRange } from '../../lsp/src/handlers/formatting';
import { LEGEND, semanticTokens } from '../../lsp/src/handlers/semantic-tokens';
import { signatureHelp } from '../../lsp/src/handlers/signature-help';
import { codeActions, newestVersion } from '../../lsp/src/handlers/code-actions';
import { at, lines } from './cursor';

const hoverText = (src: string): string => {
  const { a, pos } = at(src);
  const h = hover(a, pos);
  return h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
};
const labels = (src: string): string[] => {
  const { a, pos } = at(src);
  return completion(a, pos).map((c) => c.label);
};
const applyEdits = (text: string, edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]): string =>
  TextDocument.applyEdits(TextDocument.create('file:///x', 'fpl', 1, text), edits);

// ------------------------------------------------------------ diagnostics

test('diagnostics: code, 0-based range, severity, help, related, Unnecessary tag', () => {
  const { a } = at(lines('agent "bot" {', '  default deny', '  rules {', '    deny stripe/*', '    permit stripe/refund', '  }', '}'));
  const ds = toLspDiagnostics(a);
  const d = ds.find((x) => x.code === 'FMS2012');
  assert.ok(d, 'FMS2012 reported');
  assert.is(d!.severity, DiagnosticSeverity.Warning);
  assert.equal(d!.range.start, { line: 4, character: 4 });
  assert.equal(d!.tags, [DiagnosticTag.Unnecessary]);
  assert.is(d!.relatedInformation?.[0]?.location.range.start.line, 3);
  assert.ok(String(d!.message).includes('help:'), 'help is part of the message');
  assert.is(d!.source, 'fms');
  assert.is(d!.codeDescription, undefined, 'no link unless configured');
  const withLink = toLspDiagnostics(a, { explainUrl: 'https://docs.example/fpl/{code}' }).find((x) => x.code === 'FMS2012');
  assert.is(withLink!.codeDescription?.href, 'https://docs.example/fpl/FMS2012');
  assert.ok(String((withLink!.data as { explain: string }).explain).startsWith('FMS2012 (warning): unreachable rule'));
});

test('diagnostics: an error with UTF-16 columns after an astral character', () => {
  const { a } = at('# 😀\nagent "bot" {\n  defualt deny\n}\n');
  const d = toLspDiagnostics(a).find((x) => x.code === 'FMS2002');
  assert.ok(d);
  assert.equal(d!.range, { start: { line: 2, character: 2 }, end: { line: 2, character: 9 } });
  assert.is(d!.severity, DiagnosticSeverity.Error);
});

test('diagnostics: a syntax error still gives a range; no semantic cascade', () => {
  const { a } = at('agent "bot" {\n  default deny\n  rules { permit a if amount < }\n}\n');
  const ds = toLspDiagnostics(a);
  assert.ok(ds.length >= 1);
  assert.ok(ds.every((d) => d.code!.toString().startsWith('FMS1')), 'only syntax diagnostics');
});

// ------------------------------------------------------------ hover

test('hover: block keyword shows the shared documentation', () => {
  const t = hoverText('agent "bot" {\n  default deny\n  bud<|>get daily { max $5 }\n}\n');
  assert.ok(t.includes(KEYWORD_DOCS.get('budget')!.doc), t);
});

test('hover: field of a block, with its enum values', () => {
  const t = hoverText('agent "bot" {\n  default deny\n  budget daily { max $5 on_exc<|>eed defer }\n}\n');
  assert.ok(t.includes('on_exceed'), t);
  assert.ok(t.includes('"defer"'), t);
});

test('hover: deny! explains mandatory semantics; a permit it overrides says so', () => {
  const src = (cursorOnPermit: boolean): string =>
    lines('agent "bot" {', '  default deny', '  rules {', `    ${cursorOnPermit ? 'deny!' : 'de<|>ny!'} shell/*`, `    ${cursorOnPermit ? 'per<|>mit' : 'permit'} shell/ls`, '  }', '}');
  assert.ok(hoverText(src(false)).includes('mandatory deny'));
  const t = hoverText(src(true));
  assert.ok(t.includes('Never applies'), t);
  assert.ok(t.includes('line 4'), t);
});

test('hover: unreachable rule says why', () => {
  const t = hoverText(lines('agent "bot" {', '  default deny', '  rules {', '    deny stripe/*', '    permit stripe/re<|>fund', '  }', '}'));
  assert.ok(t.includes('Unreachable'), t);
  assert.ok(t.includes('deny stripe/*'), t);
});

test('hover: var shows its resolved value; env() never shows the value', () => {
  const src = (c: string): string => lines('agent "bot" {', '  default deny', '  var limit = $100', '  var tok = env("SET_VAR")', `  rules { permit a if amount < ${c} }`, '}');
  assert.ok(hoverText(src('lim<|>it')).includes('100'), hoverText(src('lim<|>it')));
  const t = hoverText(lines('agent "bot" {', '  default deny', '  var t<|>ok = env("SET_VAR")', '}'));
  assert.ok(t.includes('value not shown') || t.includes('unset'), t);
  assert.not.ok(t.includes('secret-value'), 'the secret is never shown');
});

test('hover: condition function and name', () => {
  assert.ok(hoverText('agent "bot" {\n  default deny\n  rules { permit a if pur<|>pose("x") }\n}\n').includes('args.purpose'));
  assert.ok(hoverText('agent "bot" {\n  default deny\n  rules { permit a if time.ho<|>ur < 9 }\n}\n').includes('ISO'));
});

test('hover: diagnostic under the cursor shows the explain text', () => {
  const t = hoverText('agent "bot" {\n  defu<|>alt deny\n}\n');
  assert.ok(t.includes('FMS2002'), t);
  assert.ok(t.includes('fmsc explain FMS2002'), t);
});

test('hover: prototype names are not documentation', () => {
  for (const w of ['toString', '__proto__', 'constructor']) {
    const t = hoverText(`agent "bot" {\n  default deny\n  rules { permit a if ${w.slice(0, 2)}<|>${w.slice(2)} == "x" }\n}\n`);
    assert.not.ok(t.includes('function'), `${w}: ${t}`);
  }
});

// ------------------------------------------------------------ completion

test('completion: top level offers blocks and snippets', () => {
  const l = labels('<|>');
  for (const w of ['agent', 'runtime', 'import', 'trust']) assert.ok(l.includes(w), w);
});

test('completion: agent body offers agent blocks and fields, not top-level blocks', () => {
  const l = labels('agent "bot" {\n  <|>\n}\n');
  for (const w of ['rules', 'budget', 'default', 'rate_limit', 'permit', 'deny!']) assert.ok(l.includes(w), w);
  assert.not.ok(l.includes('runtime'));
});

test('completion: fields of the current block', () => {
  const l = labels('agent "bot" {\n  default deny\n  budget daily {\n    <|>\n  }\n}\n');
  for (const w of ['max', 'warn_at', 'on_exceed']) assert.ok(l.includes(w), w);
  assert.not.ok(l.includes('rules'));
});

test('completion: enum values', () => {
  assert.equal(labels('agent "bot" {\n  default <|>\n}\n').sort(), ['defer', 'deny', 'permit']);
  assert.ok(labels('runtime {\n  mode = <|>\n}\n').includes('enforce'));
  assert.ok(labels('agent "bot" {\n  default deny\n  rate_limit "a/*": 5 per <|>\n}\n').includes('minute'));
});

test('completion: conditions offer names, functions, vars', () => {
  const l = labels('agent "bot" {\n  default deny\n  var limit = 5\n  rules { permit a if <|> }\n}\n');
  for (const w of ['amount', 'time.hour', 'purpose', 'session.sum', 'limit']) assert.ok(l.includes(w), w);
});

test('completion: tools used elsewhere after an effect; agents after delegate', () => {
  const l = labels('agent "bot" {\n  default deny\n  rules {\n    permit stripe/refund\n    deny <|>\n  }\n}\n');
  assert.ok(l.includes('stripe/refund'));
  const d = labels('agent "helper" { default deny }\nagent "bot" {\n  default deny\n  delegate <|>\n}\n');
  assert.equal(d, ['helper']);
});

// ------------------------------------------------------------ navigation

const NAV = lines(
  'import "example.com/acme/base@1.0.0" as base',
  'agent "helper" { default deny }',
  'agent "bot" {',
  '  default deny',
  '  var limit = $100',
  '  use base { }',
  '  rules { permit a if amount < limit and args.n > limit }',
  '  phase intake { next = "work" }',
  '  phase work { duration 1h }',
  '  delegate helper { ttl 1h }',
  '}',
);

test('definition and references of a var', () => {
  const src = NAV.replace('amount < limit', 'amount < li<|>mit');
  const { a, pos } = at(src);
  const def = definition(a, pos);
  assert.is(def!.range.start.line, 4);
  assert.is(references(a, pos).length, 3);
  assert.is(references(a, pos, false).length, 2);
});

test('definition of a phase from next, an agent from delegate, an alias from use', () => {
  for (const [needle, line] of [['"work"', 8], ['delegate helper', 1], ['use base', 0]] as const) {
    const marked = needle === '"work"' ? '"wo<|>rk"' : needle.replace(/(\w+)$/, (w) => `${w.slice(0, 2)}<|>${w.slice(2)}`);
    const { a, pos } = at(NAV.replace(needle, marked));
    assert.is(definition(a, pos)?.range.start.line, line, needle);
  }
});

test('rename a var, an agent (quoted label keeps its quotes), refuses bad names and clashes', () => {
  const { a, pos } = at(NAV.replace('var limit', 'var lim<|>it'));
  assert.equal(prepareRename(a, pos) && 'placeholder' in prepareRename(a, pos)! ? (prepareRename(a, pos) as { placeholder: string }).placeholder : '', 'limit');
  const e = rename(a, pos, 'cap')!;
  const out = applyEdits(a.text, e.changes![a.doc.uri]!);
  assert.ok(out.includes('var cap = $100') && out.includes('amount < cap and args.n > cap'), out);
  const r2 = at(NAV.replace('agent "helper"', 'agent "hel<|>per"'));
  const out2 = applyEdits(r2.a.text, rename(r2.a, r2.pos, 'assistant')!.changes![r2.a.doc.uri]!);
  assert.ok(out2.includes('agent "assistant"') && out2.includes('delegate assistant'), out2);
  assert.throws(() => rename(a, pos, 'two words'), (err: unknown) => err instanceof RenameError);
  assert.throws(() => rename(r2.a, r2.pos, 'bot'), (err: unknown) => err instanceof RenameError && /already exists/.test(err.message));
});

test('document symbols and workspace symbols', () => {
  const { a } = at(NAV);
  const syms = documentSymbols(a);
  const bot = syms.find((s) => s.name === 'agent bot');
  assert.ok(bot);
  assert.ok(bot!.children!.some((c) => c.name === 'phase intake'));
  assert.ok(bot!.children!.some((c) => c.name === 'limit'));
  const ws = workspaceSymbols([a], 'int');
  assert.equal(ws.map((s) => s.name), ['intake']);
});

// ------------------------------------------------------------ folding, formatting, tokens

test('folding ranges for blocks and comment runs', () => {
  const { a } = at(lines('# one', '# two', 'agent "bot" {', '  default deny', '  rules {', '    permit a', '  }', '}'));
  const f = foldingRanges(a).map((r) => [r.startLine, r.endLine]);
  assert.ok(f.some(([s, e]) => s === 0 && e === 1), JSON.stringify(f));
  assert.ok(f.some(([s, e]) => s === 2 && e === 6), JSON.stringify(f));
  assert.ok(f.some(([s, e]) => s === 4 && e === 5), JSON.stringify(f));
});

test('formatting uses the compiler formatter; refuses a broken file; range formatting touches only its lines', () => {
  const { a } = at('agent   bot{default deny\n rules{permit   a/b}}');
  const out = applyEdits(a.text, formatDocument(a));
  assert.is(out, 'agent bot {\n  default deny\n  rules {\n    permit a/b\n  }\n}\n');
  assert.equal(formatDocument(at('agent bot {').a), []);
  assert.equal(formatDocument(at(out).a), []);
  const two = at('agent bot {\n  default   deny\n}\n\n\n\nagent c {\n  default   deny\n}\n').a;
  assert.equal(formatRange(two, { start: { line: 20, character: 0 }, end: { line: 21, character: 0 } }), []);
});

test('semantic tokens: encoded, sorted, one line each', () => {
  const { a } = at(lines('# c', 'agent "bot" {', '  default deny', '  rules { permit a if amount < $5 and purpose("x") }', '}'));
  const data = semanticTokens(a).data;
  assert.is(data.length % 5, 0);
  const types: string[] = [];
  for (let i = 0; i < data.length; i += 5) {
    assert.ok(data[i]! >= 0 && data[i + 2]! > 0);
    types.push(LEGEND.tokenTypes[data[i + 3]!]!);
  }
  for (const t of ['comment', 'keyword', 'class', 'property', 'type', 'variable', 'number', 'function', 'string']) assert.ok(types.includes(t), t);
});

// ------------------------------------------------------------ signature help, code actions

test('signature help for condition functions', () => {
  const { a, pos } = at('agent "bot" {\n  default deny\n  rules { permit a if history_contains_within("x", <|>) }\n}\n');
  const s = signatureHelp(a, pos)!;
  assert.ok(s.signatures[0]!.label.startsWith('history_contains_within('));
  assert.is(s.activeParameter, 1);
  const q = at('agent "bot" {\n  default deny\n  rules { permit a if purpose("a,(b", <|> }\n}\n');
  assert.is(signatureHelp(q.a, q.pos)!.activeParameter, 0, 'commas and parens in strings do not count');
  const none = at('agent "bot" {\n  default deny\n  rules { permit a if toString(<|> }\n}\n');
  assert.is(signatureHelp(none.a, none.pos), null);
});

const fixed = (src: string, title: RegExp, versions?: (r: string) => string[]): string => {
  const { a } = at(src);
  const acts = codeActions(a, { start: { line: 0, character: 0 }, end: { line: 999, character: 0 } }, versions);
  const act = acts.find((x) => title.test(x.title));
  assert.ok(act, `no action ${title} among ${acts.map((x) => x.title).join(' | ')}`);
  return applyEdits(a.text, act!.edit!.changes![a.doc.uri]!);
};

test('code action: did-you-mean', () => {
  assert.is(fixed('agent "bot" {\n  defualt deny\n}\n', /Change to `default`/), 'agent "bot" {\n  default deny\n}\n');
});

test('code action: pin an @latest import to the newest registry version', () => {
  const out = fixed('import "example.com/acme/base@latest" as base\nagent "bot" { default deny }\n', /Pin to/, () => ['1.2.0', '1.10.0', '2.0.0-rc.1', 'junk']);
  assert.ok(out.startsWith('import "example.com/acme/base@1.10.0" as base'), out);
  assert.is(newestVersion(['0.9.9', '0.10.0']), '0.10.0');
});

test('code action: add default deny', () => {
  const out = fixed('agent "bot" {\n  rules { permit a }\n}\n', /default deny/);
  assert.is(out, 'agent "bot" {\n  default deny\n  rules { permit a }\n}\n');
  assert.not.ok(at(out).a.result.diagnostics.some((d) => d.code === 'FMS2015'));
});

test('code action: move a shadowed rule above the rule that shadows it; remove a permit a deny! overrides', () => {
  const out = fixed(lines('agent "bot" {', '  default deny', '  rules {', '    deny stripe/*', '    permit stripe/refund', '  }', '}'), /Move this rule/);
  assert.is(out, lines('agent "bot" {', '  default deny', '  rules {', '    permit stripe/refund', '    deny stripe/*', '  }', '}'));
  const out2 = fixed(lines('agent "bot" {', '  default deny', '  rules {', '    deny! shell/*', '    permit shell/ls', '  }', '}'), /Remove the `permit`/);
  assert.not.ok(out2.includes('permit shell/ls'));
  assert.not.ok(at(out2).a.result.diagnostics.some((d) => d.severity === 'error'));
});

test.run();
