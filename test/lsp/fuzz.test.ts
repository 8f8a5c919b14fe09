/**
 * The server's handlers never throw on any document the front end's fuzzer
 * produces: generated policies and mutated ones (syntax errors included),
 * with every handler asked at several cursor positions, plus hostile names
 * (`toString`, `__proto__`, `constructor`) as words everywhere. The count is
 * printed. `FMS_LSP_FUZZ_DOCS` sets the number of documents (default 400).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze } from '../../lsp/src/analysis';
import { codeActions } from '../../lsp/src/handlers/code-actions';
import { completion } from '../../lsp/src/handlers/completion';
import { definition, prepareRename, references, rename, RenameError } from '../../lsp/src/handlers/definition';
import { toLspDiagnostics } from '../../lsp/src/handlers/diagnostics';
import { foldingRanges } from '../../lsp/src/handlers/folding';
import { formatDocument, formatRange } from '../../lsp/src/handlers/formatting';
import { hover } from '../../lsp/src/handlers/hover';
import { semanticTokens } from '../../lsp/src/handlers/semantic-tokens';
import { signatureHelp } from '../../lsp/src/handlers/signature-help';
import { documentSymbols, workspaceSymbols } from '../../lsp/src/handlers/symbols';
import { genMutation, genPolicy, mutate, rng } from '../helpers/fpl-gen';
import { runFixtures, type Fixture } from '../../lsp/src/fixtures';
import { inlayHints } from '../../lsp/src/handlers/inlay-hints';
import { codeLenses } from '../../lsp/src/handlers/code-lens';
import { policyFixtureDiagnostics } from '../../lsp/src/handlers/fixture-diagnostics';
import { explainCase, type CaseExplanation } from '../../lsp/src/explain-case';
import { fixtureCaseLenses, fixtureDocDiagnostics, readFixtureDoc } from '../../lsp/src/handlers/fixture-file';

const DOCS = Number(process.env.FMS_LSP_FUZZ_DOCS ?? 400);
const SEED = Number(process.env.FMS_FUZZ_SEED ?? 20261130);
const POSITIONS = 6;

function exercise(text: string, r: ReturnType<typeof rng>): number {
  const doc = TextDocument.create('file:///fuzz/governance.fms', 'fpl', 1, text);
  const a = analyze(doc, { env: {} });
  let calls = 0;
  let explained: CaseExplanation | undefined;
  toLspDiagnostics(a, { explainUrl: 'https://docs.example/{code}' });
  documentSymbols(a);
  workspaceSymbols([a], '');
  foldingRanges(a);
  formatDocument(a);
  const tokens = semanticTokens(a).data;
  for (let i = 0; i < tokens.length; i += 5) assert.ok(tokens[i + 2]! > 0 && tokens[i]! >= 0, 'token with a length, sorted');
  calls += 6;
  if (a.result.ir) {
    const agents = a.result.ir.agents.map((x) => x.id);
    const fx: Fixture = {
      path: 'f.fmtest.json',
      agent_id: agents[0] ?? 'toString',
      cases: ['a/x', 'stripe/refund', '__proto__', 'shell/exec'].map((tool, i) => ({ name: `c${i}`, tool, args: { amount: r.int(2000), cmd: 'ls' }, expect: { effect: r.pick(['permit', 'deny', 'defer']) } })),
    };
    const res = runFixtures(a.result.ir, [fx], 1_700_000_000_000);
    inlayHints(a, res);
    codeLenses(a, res);
    policyFixtureDiagnostics(a, res);
    explained = explainCase(a.result.ir, fx, r.int(fx.cases.length), '/fuzz/governance.fms', 1_700_000_000_000);
    calls += 5;
  }
  for (let k = 0; k < POSITIONS; k++) {
    const pos = doc.positionAt(r.int(text.length + 1));
    hover(a, pos);
    if (explained) hover(a, pos, explained);
    completion(a, pos);
    definition(a, pos);
    references(a, pos);
    prepareRename(a, pos);
    try {
      rename(a, pos, r.chance(0.5) ? 'renamed' : 'two words');
    } catch (e) {
      if (!(e instanceof RenameError)) throw e;
    }
    signatureHelp(a, pos);
    codeActions(a, { start: pos, end: pos }, () => ['1.0.0', '__proto__', 'toString']);
    formatRange(a, { start: pos, end: pos });
    calls += 9;
  }
  return calls;
}

test('handlers never throw on generated and mutated documents', () => {
  const r = rng(SEED);
  let calls = 0;
  let broken = 0;
  for (let i = 0; i < DOCS; i++) {
    const p = genPolicy(SEED + i, { small: true });
    const muts = i % 2 ? Array.from({ length: 1 + r.int(4) }, () => genMutation(r)) : [];
    let text = mutate(p.source, muts);
    if (i % 7 === 0) text = text.replace(/\b(amount|limit|daily|bot)\b/g, r.pick(['toString', '__proto__', 'constructor', 'hasOwnProperty']));
    const doc = TextDocument.create('file:///x', 'fpl', 1, text);
    if (analyze(doc, { env: {} }).result.diagnostics.some((d) => d.severity === 'error')) broken++;
    try {
      calls += exercise(text, r);
    } catch (e) {
      throw new Error(`seed ${SEED + i} (mutations ${JSON.stringify(muts)}): ${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  process.stdout.write(`\n  lsp fuzz: ${DOCS} documents (${broken} with errors), ${calls} handler calls, seed ${SEED}\n`);
});

test('huge and deeply nested input does not crash the handlers', () => {
  const r = rng(1);
  exercise('permit a if ' + '('.repeat(5000) + 'x' + ')'.repeat(5000) + '\n', r);
  exercise('agent a {\n'.repeat(2000), r);
  exercise('"'.repeat(10000), r);
  exercise('\uD800 agent "\uDFFF" { default deny }', r);
});

test('fixture documents: handlers never throw on mutated fixture JSON (hostile keys, truncations, junk)', () => {
  const r = rng(SEED + 1);
  const doc = TextDocument.create('file:///fuzz/governance.fms', 'fpl', 1, 'agent "bot" {\n  default deny\n  rules {\n    permit ticket/read\n    deny stripe/refund if amount > 100\n  }\n}\n');
  const ir = analyze(doc, { env: {} }).result.ir!;
  const base = JSON.stringify({ agent_id: 'bot', cases: [{ name: 'a', tool: 'ticket/read', args: { amount: 5 }, time: '2026-01-01T00:00:00Z', expect: { effect: 'permit' } }, { name: 'b', agent_id: 'x', tool: 'stripe/refund', delegation: { by: 'bot', depth: 1 }, expect: { effect: 'deny', code: 'POLICY_DENY' } }] }, null, 2);
  const junk = ['{', '}', '[', ']', '"', ',', ':', '\\', '__proto__', '"constructor"', 'toString', '\uD800', '1e999', 'null', '"agent_id"', '"cases"', ' '];
  let docs = 0;
  let valid = 0;
  for (let i = 0; i < 600; i++) {
    let t = base;
    for (let k = 1 + r.int(3); k > 0; k--) {
      const at = r.int(t.length + 1);
      const op = r.int(3);
      t = op === 0 ? t.slice(0, at) + t.slice(at + 1 + r.int(8)) : op === 1 ? t.slice(0, at) + r.pick(junk) + t.slice(at) : t.slice(0, at);
    }
    try {
      const fd = readFixtureDoc(t, '/fuzz/f.fmtest.json');
      const res = fd.fixture ? runFixtures(ir, [fd.fixture], 1_700_000_000_000) : [];
      for (const d of fixtureDocDiagnostics(fd, ir, res)) assert.ok(d.range.start.line >= 0 && d.range.start.character >= 0);
      fixtureCaseLenses(fd, 'file:///fuzz/f.fmtest.json', 'file:///fuzz/governance.fms', res);
      if (fd.fixture) {
        valid++;
        explainCase(ir, fd.fixture, r.int(fd.fixture.cases.length + 1), '/fuzz/governance.fms', 1_700_000_000_000);
      }
    } catch (e) {
      throw new Error(`fixture mutation ${i}: ${JSON.stringify(t)}: ${e instanceof Error ? e.stack : String(e)}`);
    }
    docs++;
  }
  readFixtureDoc('['.repeat(100_000), 'f');
  readFixtureDoc('{"a":'.repeat(50_000), 'f');
  readFixtureDoc('x'.repeat(2 << 20), 'f');
  process.stdout.write(`\n  lsp fixture fuzz: ${docs} fixture documents (${valid} valid)\n`);
});

test.run();
