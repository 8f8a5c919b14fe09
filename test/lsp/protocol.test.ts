/**
 * Protocol tests: the bundled `dist/fms-lsp.mjs` over stdio with a JSON-RPC
 * client. Needs `npm run build` (npm test builds first).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CompletionRequest,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentDiagnosticRequest,
  DocumentFormattingRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  RenameRequest,
  ShutdownRequest,
  type CompletionItem,
  type CompletionList,
  type MarkupContent,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { CAPS, SERVER, startClient } from './lsp-client';
import { ROOT } from '../helpers/paths';

const URI = 'file:///nonexistent-fms-test/governance.fms';
const BROKEN = 'agent "bot" {\n  default deny\n  rules {\n    permit stripe/refund if amount < $100\n    permit ticket/read\n  }\n  defualt deny\n}\n';

test('the bundle exists (npm run build)', () => {
  assert.ok(existsSync(SERVER), `missing ${SERVER}: run npm run build`);
});

test('initialize, open, edit, diagnostics appear and clear, features, shutdown and clean exit', async () => {
  const c = startClient(['--stdio'], { ...process.env, FMS_REGISTRY: '/nonexistent-fms-registry' });
  try {
    const init = await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: CAPS, initializationOptions: { debounceMs: 20 } });
    assert.is(init.serverInfo?.name, 'fms-lsp');
    assert.ok(init.capabilities.hoverProvider && init.capabilities.renameProvider);
    assert.is(init.capabilities.diagnosticProvider, undefined, 'push mode for a client without pull diagnostics');
    await c.conn.sendNotification(InitializedNotification.type, {});

    const first = c.diagnostics(URI);
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'fpl', version: 1, text: BROKEN } });
    const d1 = await first;
    const typo = d1.diagnostics.find((d) => d.code === 'FMS2002');
    assert.ok(typo, JSON.stringify(d1.diagnostics));
    assert.equal(typo!.range.start, { line: 6, character: 2 });
    // Each diagnostic links to its entry of docs/diagnostics.md beside the server (codeDescription).
    assert.is(typo!.codeDescription?.href, `${pathToFileURL(join(ROOT, 'docs/diagnostics.md')).href}#FMS2002`);

    // Incremental edit: fix the typo (replace "defualt" with "model"+value) → diagnostics clear.
    const cleared = c.diagnostics(URI, (p) => p.version === 2);
    await c.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 6, character: 2 }, end: { line: 6, character: 14 } }, text: 'model "gpt-4o"' }],
    });
    assert.equal((await cleared).diagnostics, []);

    const h = await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri: URI }, position: { line: 3, character: 5 } });
    assert.ok((h!.contents as MarkupContent).value.includes('Rule 1 of 2'), JSON.stringify(h));

    const comp = await c.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: URI }, position: { line: 3, character: 40 } });
    const items = (Array.isArray(comp) ? comp : (comp as CompletionList).items) as CompletionItem[];
    assert.ok(items.some((i) => i.label === 'time.hour'), 'condition completion');

    const def = await c.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri: URI }, position: { line: 0, character: 8 } });
    assert.ok(def, 'definition of the agent label');

    const ren = await c.conn.sendRequest(RenameRequest.type, { textDocument: { uri: URI }, position: { line: 0, character: 8 }, newName: 'support' });
    assert.is(ren!.changes![URI]!.length, 1);
    const bad = await c.conn.sendRequest(RenameRequest.type, { textDocument: { uri: URI }, position: { line: 0, character: 8 }, newName: 'no way' }).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    assert.ok(/not a name/.test(bad), bad);

    const fmt = (await c.conn.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: URI }, options: { tabSize: 2, insertSpaces: true } })) as TextEdit[];
    assert.ok(Array.isArray(fmt));

    // Rapid edits: only the last version's diagnostics are published (stale runs are dropped).
    const seenVersions: number[] = [];
    const last = c.diagnostics(URI, (p) => (seenVersions.push(p.version ?? -1), p.version === 12));
    for (let v = 3; v <= 12; v++) {
      await c.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: URI, version: v }, contentChanges: [{ text: v % 2 ? BROKEN : BROKEN.replace('  defualt deny\n', '') }] });
    }
    const final = await last;
    assert.ok(final.diagnostics.length === 0, 'v12 is the fixed text');
    assert.equal(seenVersions, [12], `only the last version is published: ${seenVersions}`);

    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    assert.is(await c.exited, 0, `clean exit (stderr: ${c.stderr()})`);
  } finally {
    c.conn.dispose();
    c.proc.kill();
  }
});

test('opening a document analyses and publishes it once', async () => {
  const c = startClient(['--stdio'], { ...process.env, FMS_REGISTRY: '/nonexistent-fms-registry' });
  try {
    await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: CAPS, initializationOptions: { debounceMs: 20 } });
    await c.conn.sendNotification(InitializedNotification.type, {});
    const first = c.diagnostics(URI);
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'fpl', version: 1, text: BROKEN } });
    await first;
    // TextDocuments also fires its change event on open; that must not compile and publish the same version again.
    await new Promise((r) => setTimeout(r, 500));
    assert.is(c.published(URI).length, 1, JSON.stringify(c.published(URI).map((p) => p.version)));
    // An edit is still analysed.
    const next = c.diagnostics(URI, (p) => p.version === 2);
    await c.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 6, character: 2 }, end: { line: 6, character: 14 } }, text: 'model "gpt-4o"' }],
    });
    assert.equal((await next).diagnostics, []);
    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    assert.is(await c.exited, 0);
  } finally {
    c.conn.dispose();
    c.proc.kill();
  }
});

test('pull diagnostics when the client supports them', async () => {
  const c = startClient();
  try {
    const caps = { ...CAPS, textDocument: { ...CAPS.textDocument, diagnostic: { dynamicRegistration: false } } };
    const init = await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: caps });
    assert.ok(init.capabilities.diagnosticProvider);
    await c.conn.sendNotification(InitializedNotification.type, {});
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'fpl', version: 1, text: BROKEN } });
    const r = await c.conn.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri: URI } });
    assert.is(r.kind, 'full');
    assert.ok('items' in r && r.items.some((d) => d.code === 'FMS2002'));
    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    assert.is(await c.exited, 0);
  } finally {
    c.conn.dispose();
    c.proc.kill();
  }
});

test.run();
