/**
 * Decision preview: fixtures beside the policy are re-decided against the
 * current text; inlay hints after the deciding rules; a failing expectation is
 * a diagnostic on the rule and on the fixture case. Handler level and over the
 * protocol against the bundled server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  CodeLensRequest,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  InlayHintRequest,
  ShutdownRequest,
} from 'vscode-languageserver-protocol/node';
import { analyze } from '../../lsp/src/analysis';
import { loadFixtures, readFixture, runFixtures } from '../../lsp/src/fixtures';
import { inlayHints } from '../../lsp/src/handlers/inlay-hints';
import { fixtureFileDiagnostics, policyFixtureDiagnostics } from '../../lsp/src/handlers/fixture-diagnostics';
import { codeLenses, RUN_FIXTURES } from '../../lsp/src/handlers/code-lens';
import { CAPS, startClient } from './lsp-client';

const POLICY = 'agent "bot" {\n  default deny\n  rules {\n    permit ticket/read\n    deny stripe/refund if amount > $100\n  }\n}\n';
const FIXTURE = {
  agent_id: 'bot',
  cases: [
    { name: 'read', tool: 'ticket/read', expect: { effect: 'permit' } },
    { name: 'read again', tool: 'ticket/read', expect: { effect: 'permit' } },
    { name: 'big refund', tool: 'stripe/refund', args: { amount: 500 }, expect: { effect: 'deny' } },
    { name: 'other', tool: 'x/y', expect: { effect: 'deny' } },
  ],
};

function workspace(): { dir: string; policy: string; fixture: string; fixtureText: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fms-preview-'));
  const policy = join(dir, 'governance.fms');
  const fixture = join(dir, 'bot.fmtest.json');
  writeFileSync(policy, POLICY);
  const fixtureText = JSON.stringify(FIXTURE, null, 2) + '\n';
  writeFileSync(fixture, fixtureText);
  return { dir, policy, fixture, fixtureText };
}

test('fixtures are found, decided, hinted per rule, and failures are diagnostics on both sides', () => {
  const w = workspace();
  try {
    const fx = loadFixtures(w.policy);
    assert.is(fx.length, 1);
    const doc = TextDocument.create(pathToFileURL(w.policy).href, 'fpl', 1, POLICY);
    const a = analyze(doc, { env: {} });
    const res = runFixtures(a.result.ir!, fx);
    assert.equal(res.map((r) => [r.effect, r.line, r.pass]), [['permit', 4, true], ['permit', 4, true], ['deny', 5, true], ['deny', 2, true]]);
    const hints = inlayHints(a, res).map((h) => [h.position.line, h.label]);
    assert.equal(hints, [[1, ' → deny (1/4 fixtures)'], [3, ' → permit (2/4 fixtures)'], [4, ' → deny (1/4 fixtures)']]);
    assert.equal(policyFixtureDiagnostics(a, res), []);

    // Flip the permit: two cases now fail, on the rule and in the fixture.
    const flipped = TextDocument.create(doc.uri, 'fpl', 2, POLICY.replace('permit ticket/read', 'deny ticket/read'));
    const b = analyze(flipped, { env: {} });
    const res2 = runFixtures(b.result.ir!, fx);
    const pd = policyFixtureDiagnostics(b, res2);
    assert.is(pd.length, 2);
    assert.is(pd[0]!.range.start.line, 3);
    assert.match(String(pd[0]!.message), /expects permit, the policy decides deny/);
    const fd = fixtureFileDiagnostics(w.fixtureText, w.fixture, res2);
    assert.is(fd.length, 2);
    assert.ok(w.fixtureText.split('\n')[fd[0]!.range.start.line]!.includes('"read"'));
    assert.ok(w.fixtureText.split('\n')[fd[1]!.range.start.line]!.includes('"read again"'));
    assert.ok(inlayHints(b, res2).some((h) => String(h.label).includes('2 failing')));
    assert.equal(codeLenses(a, res).map((l) => l.command!.title), ['▶ fixtures: 4/4 pass']);
    assert.equal(codeLenses(b, res2).map((l) => [l.range.start.line, l.command!.title, l.command!.command]), [[0, '▶ fixtures: 2/4 pass (2 failing)', RUN_FIXTURES]]);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('a fixture case for an agent the policy does not declare is a warning on the fixture', () => {
  const doc = TextDocument.create('file:///t/governance.fms', 'fpl', 1, POLICY);
  const a = analyze(doc, { env: {} });
  const text = '{"agent_id": "bto", "cases": [{"name": "typo", "tool": "ticket/read", "expect": {"effect": "permit"}}]}';
  const res = runFixtures(a.result.ir!, [{ ...readFixture('f.fmtest.json', JSON.parse(text))! }]);
  const d = fixtureFileDiagnostics(text, 'f.fmtest.json', res);
  assert.equal(d.map((x) => x.code), ['unknown-agent', 'fixture']);
  assert.match(String(d[0]!.message), /agent `bto` is not declared/);
});

test('malformed fixtures are skipped whole, never half-read; prototype names are plain data', () => {
  assert.is(readFixture('x', { agent_id: 'bot', cases: [{ name: 'a', tool: 't' }] }), undefined);
  assert.is(readFixture('x', { agent_id: 1, cases: [] }), undefined);
  assert.is(readFixture('x', JSON.parse('{"__proto__": {"agent_id": "bot"}, "cases": []}')), undefined);
  const doc = TextDocument.create('file:///t/governance.fms', 'fpl', 1, POLICY);
  const a = analyze(doc, { env: {} });
  const res = runFixtures(a.result.ir!, [{ path: 'p', agent_id: 'toString', cases: [{ name: 'n', tool: '__proto__', args: JSON.parse('{"__proto__": {"amount": 1}}'), expect: { effect: 'deny' } }] }]);
  assert.equal(res.map((r) => [r.effect, r.code, r.pass]), [['deny', 'UNKNOWN_AGENT', true]]);
});

test('protocol: an edit that flips a rule changes its inlay hint and fails the fixture, with a diagnostic on both', async () => {
  const w = workspace();
  const uri = pathToFileURL(w.policy).href;
  const fixtureUri = pathToFileURL(w.fixture).href;
  const c = startClient(['--stdio'], { ...process.env, FMS_REGISTRY: join(w.dir, 'registry') });
  try {
    await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: CAPS, initializationOptions: { debounceMs: 10 } });
    await c.conn.sendNotification(InitializedNotification.type, {});
    const opened = c.diagnostics(uri);
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'fpl', version: 1, text: POLICY } });
    assert.equal((await opened).diagnostics, []);
    const h1 = (await c.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 99, character: 0 } } }))!;
    assert.ok(h1.some((h) => h.position.line === 3 && String(h.label) === ' → permit (2/4 fixtures)'), JSON.stringify(h1));

    const onPolicy = c.diagnostics(uri, (p) => p.version === 2);
    const onFixture = c.diagnostics(fixtureUri, (p) => p.diagnostics.length > 0);
    await c.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 3, character: 4 }, end: { line: 3, character: 10 } }, text: 'deny' }],
    });
    const pd = (await onPolicy).diagnostics;
    assert.is(pd.length, 2);
    assert.is(pd[0]!.range.start.line, 3);
    assert.is(pd[0]!.source, 'fms-test');
    const fd = (await onFixture).diagnostics;
    assert.is(fd.length, 2);
    const h2 = (await c.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 99, character: 0 } } }))!;
    assert.ok(h2.some((h) => h.position.line === 3 && String(h.label) === ' → deny (2/4 fixtures, 2 failing)'), JSON.stringify(h2));

    const lenses = (await c.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } }))!;
    assert.equal(lenses.map((l) => l.command?.title), ['▶ fixtures: 2/4 pass (2 failing)']);
    const ran = await c.conn.sendRequest(ExecuteCommandRequest.type, { command: RUN_FIXTURES, arguments: [uri] });
    assert.equal(ran, { passed: 2, failed: 2 });

    // Flip it back: both sides clear.
    const clearedFixture = c.diagnostics(fixtureUri, (p) => p.diagnostics.length === 0);
    const clearedPolicy = c.diagnostics(uri, (p) => p.version === 3);
    await c.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 3 }, contentChanges: [{ text: POLICY }] });
    assert.equal((await clearedPolicy).diagnostics, []);
    assert.equal((await clearedFixture).diagnostics, []);

    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    assert.is(await c.exited, 0);
  } finally {
    c.conn.dispose();
    c.proc.kill();
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test.run();
