/**
 * Explain on hover with a selected fixture case, and fixture-file awareness
 * (`*.fmtest.json` open in the editor: positioned diagnostics, per-case lenses,
 * the run / select / clear commands). Handler level with `<|>` cursors, and
 * over the protocol against the bundled server (needs `npm run build`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CodeLensRequest,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  ShowMessageNotification,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { at, lines } from './cursor';
import { CAPS, startClient } from './lsp-client';
import { ROOT } from '../helpers/paths';
import { hover } from '../../lsp/src/handlers/hover';
import { explainCallCommand, explainCase, mdCode, shellQuote } from '../../lsp/src/explain-case';
import { readFixture, runFixtures } from '../../lsp/src/fixtures';
import { CLEAR_FIXTURE_CASE, RUN_FIXTURE_CASE, SELECT_FIXTURE_CASE, fixtureCaseLenses, fixtureDocDiagnostics, readFixtureDoc } from '../../lsp/src/handlers/fixture-file';

const RULE = '    deny stripe/refund if amount > $100 and args.currency == "usd"';
const POLICY = lines('agent "bot" {', '  default deny', '  rules {', '    permit ticket/read', RULE, '  }', '}');
const FIXTURE = {
  agent_id: 'bot',
  cases: [
    { name: 'read', tool: 'ticket/read', expect: { effect: 'permit' } },
    { name: "big 'usd' refund", tool: 'stripe/refund', args: { amount: 500, currency: 'usd' }, time: '2026-01-01T00:00:00Z', expect: { effect: 'deny' } },
    { name: 'no currency', tool: 'stripe/refund', args: { amount: 500 }, expect: { effect: 'deny' } },
  ],
};
const text = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';
const withCursor = (src: string, needle: string): string => src.replace(needle, `<|>${needle}`);

test('hover on a rule with a selected case: tool pattern, each condition value, the decision and the explain-call line', () => {
  const { a, pos } = at(withCursor(POLICY, 'deny stripe'));
  const fx = readFixture('/w/bot.fmtest.json', FIXTURE)!;
  const x = explainCase(a.result.ir!, fx, 1, '/w/governance.fms')!;
  const v = (hover(a, pos, x)!.contents as MarkupContent).value;
  assert.match(v, /Rule 2 of 2 in agent `bot`/, 'the ordinary hover stays');
  assert.match(v, /fixture case `big 'usd' refund`/);
  assert.match(v, /Tool pattern `stripe\/refund` matches `stripe\/refund`/);
  assert.match(v, /Condition → \*\*matched\*\*/);
  assert.match(v, /`args.amount` = `500`/);
  assert.match(v, /`500 > 100` → `true`/);
  assert.match(v, /`args.currency` = `"usd"`/);
  assert.match(v, /Decision: \*\*deny\*\* `POLICY_DENY` at `governance.fms:5` \(this rule\)/);
  assert.ok(v.includes(`fmsc explain-call /w/governance.fms --agent bot --tool stripe/refund --args '{"amount":500,"currency":"usd"}' --time 2026-01-01T00:00:00Z`), v);

  // A missing field: unknown, named.
  const y = explainCase(a.result.ir!, fx, 2, '/w/governance.fms')!;
  const w = (hover(a, pos, y)!.contents as MarkupContent).value;
  assert.match(w, /\*\*unknown\*\*/);
  assert.match(w, /`args.currency` = `<missing>`/);
  assert.match(w, /missing: `args.currency`/);
  assert.match(w, /Decision: \*\*deny\*\* `POLICY_DENY` at `governance.fms:2`/);
  assert.not.match(w, /\(this rule\)/);
});

test('hover: a rule whose tool pattern does not match says so; no selection keeps today\'s hover; not a rule: nothing added', () => {
  const { a, pos } = at(withCursor(POLICY, 'permit ticket'));
  const fx = readFixture('/w/bot.fmtest.json', FIXTURE)!;
  const x = explainCase(a.result.ir!, fx, 1, '/w/governance.fms')!;
  const v = (hover(a, pos, x)!.contents as MarkupContent).value;
  assert.match(v, /Tool pattern `ticket\/read` \*\*does not match\*\* `stripe\/refund`: the rule is not tried/);
  assert.equal(hover(a, pos), hover(a, pos, undefined));
  assert.not.match((hover(a, pos)!.contents as MarkupContent).value, /Explain/);
  const d = at(withCursor(POLICY, 'default deny'));
  assert.not.match((hover(d.a, d.pos, x)?.contents as MarkupContent | undefined)?.value ?? '', /Explain/);
  // A case of another agent: not evaluated.
  const other = explainCase(a.result.ir!, readFixture('/w/x.fmtest.json', { agent_id: 'toString', cases: [{ name: 'n', tool: 'ticket/read', expect: { effect: 'deny' } }] })!, 0, '/w/governance.fms')!;
  assert.match((hover(a, pos, other)!.contents as MarkupContent).value, /the case calls as `toString`, so it is not evaluated/);
  // Out of range and prototype-ish indexes select nothing.
  assert.is(explainCase(a.result.ir!, fx, 3, '/w/g.fms'), undefined);
  assert.is(explainCase(a.result.ir!, fx, -1, '/w/g.fms'), undefined);
  assert.is(explainCase(a.result.ir!, fx, 0.5, '/w/g.fms'), undefined);
});

test('hostile case data cannot break out of the hover\'s Markdown: backticks, newlines, fences, prototype names', () => {
  assert.is(mdCode('a`b'), '`` a`b ``');
  assert.is(mdCode('x\ny'), '`x⏎y`');
  assert.is(mdCode('y'.repeat(300)).length, 203);
  const { a, pos } = at(withCursor(lines('permit *'), 'permit'));
  const hostile = readFixture('/w/evil.fmtest.json', JSON.parse('{"agent_id": "__proto__", "cases": [{"name": "```\\n# pwned\\n[x](javascript:1)", "tool": "a`b\\n```", "args": {"__proto__": {"polluted": 1}, "constructor": "```"}, "expect": {"effect": "permit"}}]}'))!;
  const x = explainCase(a.result.ir!, hostile, 0, '/w/governance.fms')!;
  const v = (hover(a, pos, x)!.contents as MarkupContent).value;
  assert.not.match(v, /^# pwned/m);
  // The only fence lines: the keyword doc's and the sh block's, whose fence is longer than any backtick run inside.
  assert.equal(v.match(/^`{3,}[a-z]*$/gm), ['```fpl', '```', '````sh', '````']);
  assert.match(v, /the case calls as `__proto__`, so it is not evaluated/);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('a file of flat rules: its agent is `default`; another agent id in a fixture is unknown', () => {
  const { a } = at(lines('default deny', 'permit ticket/read'));
  const fd = readFixtureDoc('{"agent_id": "bot", "cases": [{"name": "n", "tool": "ticket/read", "expect": {"effect": "permit"}}]}', '/w/f.fmtest.json');
  const ds = fixtureDocDiagnostics(fd, a.result.ir!, runFixtures(a.result.ir!, [fd.fixture!]));
  assert.equal(ds.map((d) => d.code), ['unknown-agent', 'fixture']);
  const ok = readFixtureDoc('{"agent_id": "default", "cases": [{"name": "n", "tool": "ticket/read", "expect": {"effect": "permit"}}]}', '/w/f.fmtest.json');
  assert.equal(fixtureDocDiagnostics(ok, a.result.ir!, runFixtures(a.result.ir!, [ok.fixture!])), []);
});

test('the explain-call line is shell-quoted and carries every call field', () => {
  assert.is(shellQuote("it's"), `'it'\\''s'`);
  assert.is(shellQuote('a/b.fms'), 'a/b.fms');
  assert.is(shellQuote('$(rm -rf x)'), `'$(rm -rf x)'`);
  const cmd = explainCallCommand('my policy.fms', { agent: 'a', tool: 't', args: {}, principal: { sub: 'u' }, session: 's', model: 'm', cost: 0.5, selectors: { k: 1 }, delegation: { by: 'b', depth: 1 } }, 1000);
  assert.is(cmd, `fmsc explain-call 'my policy.fms' --agent a --tool t --args '{}' --principal '{"sub":"u"}' --session s --model m --cost 0.5 --selectors '{"k":1}' --delegation '{"by":"b","depth":1}' --time 1000`);
});

test('fixture document: schema errors and JSON errors at their positions; unknown agent ids at the agent_id value', () => {
  const bad = '{\n  "agent_id": "bot",\n  "cases": [\n    {"name": "x", "tool": "t", "expect": {"efect": "deny"}}\n  ]\n}\n';
  const d = fixtureDocDiagnostics(readFixtureDoc(bad, '/w/f.fmtest.json'), undefined, []);
  assert.is(d.length, 1);
  assert.match(String(d[0]!.message), /unknown key `efect`.*did you mean `effect`/);
  assert.equal(d[0]!.range.start, { line: 3, character: 42 });
  const notJson = fixtureDocDiagnostics(readFixtureDoc('{\n  "agent_id": "bot",\n  "cases": [,]\n}', '/w/f.fmtest.json'), undefined, []);
  assert.equal([notJson[0]!.range.start, notJson[0]!.code], [{ line: 2, character: 12 }, 'fixture-schema']);
  assert.match(String(notJson[0]!.message), /^not valid JSON/);
  const dup = fixtureDocDiagnostics(readFixtureDoc('{"agent_id": "bot", "agent_id": "x", "cases": []}', '/w/f.fmtest.json'), undefined, []);
  assert.match(String(dup[0]!.message), /appears twice/);
  const deep = fixtureDocDiagnostics(readFixtureDoc('['.repeat(5000), '/w/f.fmtest.json'), undefined, []);
  assert.match(String(deep[0]!.message), /nested deeper/);

  const { a } = at(POLICY);
  const src = '{\n  "agent_id": "bto",\n  "cases": [\n    {"name": "a", "tool": "ticket/read", "expect": {"effect": "deny"}},\n    {"name": "b", "agent_id": "__proto__", "tool": "ticket/read", "expect": {"effect": "permit"}}\n  ]\n}\n';
  const fd = readFixtureDoc(src, '/w/f.fmtest.json');
  const res = runFixtures(a.result.ir!, [fd.fixture!]);
  const ds = fixtureDocDiagnostics(fd, a.result.ir!, res);
  const unknown = ds.filter((x) => x.code === 'unknown-agent');
  assert.equal(unknown.map((x) => [x.range.start.line, x.range.start.character, x.range.end.character]), [[1, 14, 19], [4, 30, 41]]);
  assert.match(String(unknown[0]!.message), /agent `bto` is not declared in the policy.*\(agents: bot\)/);
  assert.equal(ds.filter((x) => x.code === 'fixture').map((x) => x.range.start.line), [4], 'the failing case, at its name');
});

test('fixture document lenses: pass/fail per case, and explain with this case (select command with the policy)', () => {
  const { a } = at(POLICY);
  const bad = { ...FIXTURE, cases: [...FIXTURE.cases, { name: 'wrong', tool: 'ticket/read', expect: { effect: 'deny' } }] };
  const src = text(bad);
  const fd = readFixtureDoc(src, '/w/bot.fmtest.json');
  const res = runFixtures(a.result.ir!, [fd.fixture!], Date.parse('2026-06-01T00:00:00Z'));
  const lenses = fixtureCaseLenses(fd, 'file:///w/bot.fmtest.json', 'file:///w/governance.fms', res);
  assert.equal(
    lenses.filter((l) => l.command!.command === RUN_FIXTURE_CASE).map((l) => l.command!.title),
    ['✓ pass: permit (PERMIT)', '✓ pass: deny (POLICY_DENY)', '✓ pass: deny (POLICY_DENY)', '✗ fail: permit (PERMIT), expected deny'],
  );
  const sel = lenses.filter((l) => l.command!.command === SELECT_FIXTURE_CASE);
  assert.equal(sel.map((l) => l.command!.arguments), [0, 1, 2, 3].map((n) => ['file:///w/governance.fms', 'file:///w/bot.fmtest.json', n]));
  assert.ok(src.split('\n')[lenses[6]!.range.start.line]!.trim().startsWith('{'), 'on the case\'s opening brace');
  // Invalid fixture: no lenses (never half-run).
  assert.equal(fixtureCaseLenses(readFixtureDoc('{"agent_id": 1, "cases": []}', '/w/x.fmtest.json'), 'u', 'p', []), []);
});

test('protocol: select a case with executeCommand, hover a rule, see its values and the explain-call line that reproduces it; fixture file diagnostics and lenses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-explain-'));
  const policy = join(dir, 'governance.fms');
  const fixture = join(dir, 'bot.fmtest.json');
  const typo = join(dir, 'typo.fmtest.json');
  writeFileSync(policy, POLICY);
  writeFileSync(fixture, text(FIXTURE));
  const typoText = '{\n  "agent_id": "bto",\n  "cases": [\n    {"name": "r", "tool": "ticket/read", "expect": {"effect": "permit"}}\n  ]\n}\n';
  writeFileSync(typo, typoText);
  writeFileSync(join(dir, 'bad.fmtest.json'), '{"agent_id": "bot", "cases": [], "x\\ny": 1}');
  const uri = pathToFileURL(policy).href;
  const fixtureUri = pathToFileURL(fixture).href;
  const typoUri = pathToFileURL(typo).href;
  const c = startClient(['--stdio'], { ...process.env, FMS_REGISTRY: join(dir, 'registry') });
  const messages: string[] = [];
  c.conn.onNotification(ShowMessageNotification.type, (m) => void messages.push(m.message));
  try {
    const init = await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: CAPS, initializationOptions: { debounceMs: 10 } });
    assert.ok([RUN_FIXTURE_CASE, SELECT_FIXTURE_CASE, CLEAR_FIXTURE_CASE].every((k) => init.capabilities.executeCommandProvider!.commands.includes(k)));
    await c.conn.sendNotification(InitializedNotification.type, {});
    const opened = c.diagnostics(uri);
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'fpl', version: 1, text: POLICY } });
    assert.equal((await opened).diagnostics, []);

    const rulePos = { line: 4, character: 6 };
    const before = (await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: rulePos }))!;
    assert.not.match((before.contents as MarkupContent).value, /Explain/);

    const sel = await c.conn.sendRequest(ExecuteCommandRequest.type, { command: SELECT_FIXTURE_CASE, arguments: [uri, fixtureUri, 1] });
    assert.equal(sel, { selected: "big 'usd' refund", fixture, index: 1 });
    const h = (await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: rulePos }))!;
    const v = (h.contents as MarkupContent).value;
    assert.match(v, /`args.amount` = `500`/);
    assert.match(v, /`args.currency` = `"usd"`/);
    assert.match(v, /Decision: \*\*deny\*\* `POLICY_DENY` at `governance.fms:5` \(this rule\)/);
    const line = /```sh\n(fmsc explain-call [^\n]+)\n```/.exec(v)?.[1];
    assert.ok(line, v);
    // The line reproduces it: run it with the built fmsc.
    const out = execFileSync('sh', ['-c', line!.replace(/^fmsc /, `${shellQuote(process.execPath)} ${shellQuote(join(ROOT, 'dist/fmsc.mjs'))} `)], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FMS_REGISTRY: join(dir, 'registry') } });
    assert.match(out, /rule governance.fms:5 .* → match/);
    assert.match(out, /args.amount = 500/);
    assert.match(out, /decision: deny POLICY_DENY \(governance.fms:5\)/);

    const policyLenses = (await c.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } }))!;
    assert.match(policyLenses[0]!.command!.title, /explaining with fixture case `big 'usd' refund`.*clear/);
    assert.is(policyLenses[0]!.command!.command, CLEAR_FIXTURE_CASE);

    // Refusals: one line each, nothing selected.
    for (const [args, why] of [
      [[uri, fixtureUri, 9], /has 3 case\(s\), no case 9/],
      [[uri, fixtureUri, '1'], /integer/],
      [[uri, 'file:///etc/passwd', 0], /\*\.fmtest\.json/],
      [[pathToFileURL(join(dir, 'other.fms')).href, fixtureUri, 0], /is a fixture of/],
      [[uri, pathToFileURL(join(dir, 'bad.fmtest.json')).href, 0], /is not a valid fixture \(unknown key `x ⏎ y`/],
    ] as const) {
      const err = await c.conn.sendRequest(ExecuteCommandRequest.type, { command: SELECT_FIXTURE_CASE, arguments: [...args] }).then(
        () => 'no error',
        (e: Error) => e.message,
      );
      assert.match(err, why);
      assert.not.match(err, /\n/);
    }

    const cleared = await c.conn.sendRequest(ExecuteCommandRequest.type, { command: CLEAR_FIXTURE_CASE, arguments: [uri] });
    assert.equal(cleared, { cleared: true });
    const after = (await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: rulePos }))!;
    assert.not.match((after.contents as MarkupContent).value, /Explain/);

    // The fixture with an unknown agent, opened: a warning at the agent_id value.
    const typoDiags = c.diagnostics(typoUri, (p) => p.diagnostics.some((d) => d.code === 'unknown-agent'));
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: typoUri, languageId: 'json', version: 1, text: typoText } });
    const td = (await typoDiags).diagnostics.find((d) => d.code === 'unknown-agent')!;
    assert.equal(td.range, { start: { line: 1, character: 14 }, end: { line: 1, character: 19 } });

    // The good fixture, opened: a pass/fail lens per case; running a case reports it.
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: fixtureUri, languageId: 'json', version: 1, text: text(FIXTURE) } });
    const fl = (await c.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: fixtureUri } }))!;
    assert.equal(fl.filter((l) => l.command!.command === RUN_FIXTURE_CASE).map((l) => l.command!.title), ['✓ pass: permit (PERMIT)', '✓ pass: deny (POLICY_DENY)', '✓ pass: deny (POLICY_DENY)']);
    assert.equal(fl.filter((l) => l.command!.command === SELECT_FIXTURE_CASE).length, 3);
    const ran = await c.conn.sendRequest(ExecuteCommandRequest.type, { command: RUN_FIXTURE_CASE, arguments: [fixtureUri, 0] });
    assert.equal(ran, { name: 'read', pass: true, effect: 'permit', code: 'PERMIT', expected: 'permit' });
    // A fixture document gets no FPL features (it is JSON).
    assert.is(await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri: fixtureUri }, position: { line: 1, character: 3 } }), null);
    assert.ok(messages.some((m) => /fixture case `read`: ✓ pass/.test(m)), JSON.stringify(messages));

    // A fixture whose policy is missing: said once at `policy`; running a case is refused with the reason.
    const orphanUri = pathToFileURL(join(dir, 'orphan.fmtest.json')).href;
    const orphanText = '{\n  "policy": "missing.fms",\n  "agent_id": "bot",\n  "cases": [{"name": "r", "tool": "t", "expect": {"effect": "deny"}}]\n}\n';
    const orphanDiags = c.diagnostics(orphanUri);
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: orphanUri, languageId: 'json', version: 1, text: orphanText } });
    const od = (await orphanDiags).diagnostics;
    assert.equal(od.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['fixture-policy', 1, 12]]);
    assert.match(String(od[0]!.message), /cases not run: the policy `missing.fms` cannot be read/);
    const refused = await c.conn.sendRequest(ExecuteCommandRequest.type, { command: RUN_FIXTURE_CASE, arguments: [orphanUri, 0] }).then(() => 'no error', (e: Error) => e.message);
    assert.match(refused, /cannot be read/);

    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    assert.is(await c.exited, 0);
  } finally {
    c.conn.dispose();
    c.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('protocol: the selection holds for the policy FILE, whatever URI encoding the client uses (%40 for @)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-explain@'));
  const policy = join(dir, 'governance.fms');
  const fixture = join(dir, 'bot.fmtest.json');
  writeFileSync(policy, POLICY);
  writeFileSync(fixture, text(FIXTURE));
  const clientUri = pathToFileURL(policy).href.replace('@', '%40');
  assert.is.not(clientUri, pathToFileURL(policy).href);
  const c = startClient(['--stdio'], { ...process.env, FMS_REGISTRY: join(dir, 'registry') });
  try {
    await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: CAPS, initializationOptions: { debounceMs: 10 } });
    await c.conn.sendNotification(InitializedNotification.type, {});
    const opened = c.diagnostics(clientUri);
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: clientUri, languageId: 'fpl', version: 1, text: POLICY } });
    await opened;
    // The lens in the fixture carries pathToFileURL's spelling of the policy.
    await c.conn.sendRequest(ExecuteCommandRequest.type, { command: SELECT_FIXTURE_CASE, arguments: [pathToFileURL(policy).href, pathToFileURL(fixture).href, 2] });
    const h = (await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri: clientUri }, position: { line: 4, character: 6 } }))!;
    assert.match((h.contents as MarkupContent).value, /fixture case `no currency`[\s\S]*`args.currency` = `<missing>`/);
    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    assert.is(await c.exited, 0);
  } finally {
    c.conn.dispose();
    c.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
