import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMAND_IDS } from '../../vscode-extension/src/logic/commands';
import { ROOT } from '../helpers/paths';
import { tokenize } from '../grammar/textmate';
import { EXT } from './build';

// The extension manifest, language configuration and snippets, checked as data.

const json = <T>(p: string): T => JSON.parse(readFileSync(join(EXT, p), 'utf8')) as T;

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  contributes: {
    languages: { id: string; extensions: string[]; filenames: string[]; configuration: string }[];
    grammars: { language?: string; scopeName: string; path: string; injectTo?: string[]; embeddedLanguages?: Record<string, string> }[];
    snippets: { language: string; path: string }[];
    configuration: { properties: Record<string, { type: string; default: unknown; enum?: string[] }> };
    commands: { command: string; title: string; category: string }[];
  };
}
const m = json<Manifest>('package.json');

test('the language: .fms, .fpl and governance.fms by name, with its configuration', () => {
  assert.is(m.name, 'fms-vscode');
  assert.is(m.main, './dist/extension.js');
  const lang = m.contributes.languages.find((l) => l.id === 'fms')!;
  assert.equal(lang.extensions, ['.fms', '.fpl']);
  assert.equal(lang.filenames, ['governance.fms']);
  assert.is(lang.configuration, './language-configuration.json');
  assert.ok(m.activationEvents.includes('onLanguage:fms'));
  assert.ok(m.activationEvents.includes('workspaceContains:**/*.fmtest.json'));
});

test('the grammars: source.fms for the language, injected into Markdown fences', () => {
  const [main, md] = m.contributes.grammars;
  assert.equal(main, { language: 'fms', scopeName: 'source.fms', path: './dist/syntaxes/fms.tmLanguage.json' });
  assert.is(md!.scopeName, 'markdown.fms.codeblock');
  assert.equal(md!.injectTo, ['text.html.markdown']);
  assert.equal(md!.embeddedLanguages, { 'meta.embedded.block.fms': 'fms' });
});

test('commands: the manifest declares exactly the commands the extension registers', () => {
  assert.equal(m.contributes.commands.map((c) => c.command), [...COMMAND_IDS]);
  for (const c of m.contributes.commands) assert.is(c.category, 'FPL');
});

test('settings: trust file, registry, fmsc path and server tracing', () => {
  const p = m.contributes.configuration.properties;
  assert.equal(Object.keys(p).sort(), ['fms.fmscPath', 'fms.registry', 'fms.trace.server', 'fms.trustFile']);
  assert.equal(p['fms.trace.server']!.enum, ['off', 'messages', 'verbose']);
  for (const k of ['fms.fmscPath', 'fms.registry', 'fms.trustFile']) assert.is(p[k]!.default, '');
});

test('versions are pinned and @types/vscode is not newer than engines.vscode', () => {
  for (const v of [...Object.values(m.dependencies), ...Object.values(m.devDependencies)]) assert.match(v, /^\d+\.\d+\.\d+$/);
  const engine = m.engines.vscode.replace(/^\^/, '').split('.').map(Number);
  const types = m.devDependencies['@types/vscode']!.split('.').map(Number);
  assert.ok(types[0]! < engine[0]! || (types[0] === engine[0] && types[1]! <= engine[1]!), `${types.join('.')} > ${engine.join('.')}`);
});

test('language configuration: comments, brackets, pairs, folding, indentation on enter', () => {
  const c = json<Record<string, unknown>>('language-configuration.json') as {
    comments: { lineComment: string };
    brackets: string[][];
    autoClosingPairs: { open: string }[];
    surroundingPairs: string[][];
    folding: { markers: { start: string; end: string } };
    indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
    onEnterRules: { beforeText: string }[];
    wordPattern: string;
  };
  assert.is(c.comments.lineComment, '#');
  assert.equal(c.brackets, [['{', '}'], ['[', ']'], ['(', ')']]);
  assert.equal(c.autoClosingPairs.map((p) => p.open), ['{', '[', '(', '"', "'"]);
  assert.is(c.surroundingPairs.length, 5);
  assert.ok(new RegExp(c.folding.markers.start).test('  # region limits'));
  assert.ok(new RegExp(c.folding.markers.end).test('# endregion'));
  const inc = new RegExp(c.indentationRules.increaseIndentPattern);
  const dec = new RegExp(c.indentationRules.decreaseIndentPattern);
  assert.ok(inc.test('agent bot {'));
  assert.ok(inc.test('  rules {   # the rules'));
  assert.not.ok(inc.test('  reason: "a { in a string"'));
  assert.not.ok(inc.test('  phase p { permit a }'));
  assert.ok(dec.test('  }'));
  assert.ok(c.onEnterRules.length >= 2);
  const word = new RegExp(`^(?:${c.wordPattern})$`);
  for (const w of ['deny!', 'stripe/*', 'args.amount', 'support-bot', '500ms', '$500']) assert.ok(word.test(w), w);
});

test('every snippet is valid FPL shape: its effect and block keywords get their scopes', async () => {
  const snippets = json<Record<string, { prefix: string; body: string[] }>>('snippets/fms.json');
  assert.ok(Object.keys(snippets).length >= 10);
  for (const [name, s] of Object.entries(snippets)) {
    // Placeholders become their default text: ${1:x} → x, ${1|a,b|} → a, $0 → ''.
    const text = s.body
      .join('\n')
      .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')
      .replace(/\$\{\d+:((?:[^}\\]|\\.)*)\}/g, '$1')
      .replace(/\$\d+/g, '')
      .replace(/\\\$/g, '$');
    const first = (await tokenize(text))[0]!;
    const scopes = first.find((t) => t.text.trim())!.scopes.join(' ');
    assert.match(scopes, /storage\.type|keyword\.control|keyword\.other/, `${name}: ${text.split('\n')[0]} → ${scopes}`);
  }
});

test('the manifest never names a file outside the extension folder', () => {
  const text = readFileSync(join(EXT, 'package.json'), 'utf8');
  assert.not.match(text, /"\.\.\//);
  assert.ok(readFileSync(join(ROOT, 'package.json'), 'utf8').includes('"package:vscode"'));
});

test.run();
