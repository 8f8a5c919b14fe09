/**
 * `docs/diagnostics.md` is the catalogue's page (one anchor per code) and the
 * link target of every diagnostic the language server sends
 * (`codeDescription.href`). The committed page equals what the catalogue
 * generates: after adding or changing a code, run this test with
 * `UPDATE_GOLDEN=1` and review the diff.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CATALOGUE } from '@fms/compiler';
import { analyze, diagnosticsMarkdown, DIAGNOSTICS_DOC, localExplainUrl, toLspDiagnostics } from '@fms/lsp';
import { expectGolden } from '../helpers/golden';
import { ROOT } from '../helpers/paths';

test('docs/diagnostics.md is generated from the catalogue (UPDATE_GOLDEN=1 rewrites it)', () => {
  expectGolden(join(ROOT, DIAGNOSTICS_DOC), diagnosticsMarkdown());
});

test('every code has its own anchor, once', () => {
  const md = diagnosticsMarkdown();
  for (const e of CATALOGUE) assert.is(md.split(`<a id="${e.code}"></a>`).length, 2, e.code);
});

test('the link template points at the page beside the server script, or nowhere', () => {
  assert.is(localExplainUrl(join(ROOT, 'dist/fms-lsp.mjs')), `${pathToFileURL(join(ROOT, DIAGNOSTICS_DOC)).href}#{code}`);
  // An install without the page (the VS Code extension's dist/server.js): no link.
  const bare = mkdtempSync(join(tmpdir(), 'fms-nodoc-'));
  mkdirSync(join(bare, 'dist'));
  writeFileSync(join(bare, 'dist/server.js'), '');
  assert.is(localExplainUrl(join(bare, 'dist/server.js')), undefined);
  assert.is(localExplainUrl(undefined), undefined);
  assert.is(localExplainUrl(''), undefined);
});

test('each diagnostic of a catalogue code links to its anchor', () => {
  const template = localExplainUrl(join(ROOT, 'dist/fms-lsp.mjs'))!;
  const doc = TextDocument.create('file:///x/governance.fms', 'fpl', 1, 'agent "a" {\n  defualt deny\n}\n');
  const ds = toLspDiagnostics(analyze(doc, { env: {} }), { explainUrl: template });
  assert.ok(ds.length > 0);
  for (const d of ds) assert.is(d.codeDescription?.href, `${pathToFileURL(join(ROOT, DIAGNOSTICS_DOC)).href}#${String(d.code)}`);
});

test.run();
