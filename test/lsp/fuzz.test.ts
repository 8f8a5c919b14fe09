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

const DOCS = Number(process.env.FMS_LSP_FUZZ_DOCS ?? 400);
const SEED = Number(process.env.FMS_FUZZ_SEED ?? 20261130);
const POSITIONS = 6;

function exercise(text: string, r: ReturnType<typeof rng>): number {
  const doc = TextDocument.create('file:///fuzz/governance.fms', 'fpl', 1, text);
  const a = analyze(doc, { env: {} });
  let calls = 0;
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
    calls += 4;
  }
  for (let k = 0; k < POSITIONS; k++) {
    const pos = doc.positionAt(r.int(text.length + 1));
    hover(a, pos);
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

test.run();
