import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as assert from 'uvu/assert';
import { compile, type CompileResult } from '../../compiler/src/compile';
import { LineIndex } from '../../compiler/src/diagnostics/diagnostic';
import { expectGolden } from '../helpers/golden';
import { corpusSuite, ROOT, walk } from '../helpers/paths';

const { dir: CORPUS, test } = corpusSuite('corpus.test.ts');
const files = walk(CORPUS).filter((f) => /\.(fpl|fms)$/.test(f));
const rel = (f: string) => relative(CORPUS, f);
const opts = { env: {}, allowUnsetEnv: true };
const errors = (r: CompileResult) => r.diagnostics.filter((d) => d.severity === 'error');
const summary = (r: CompileResult) => [...new Set(r.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.severity}:${d.code}`))].sort();

/** What each corpus file does today; reviewed as code (UPDATE_GOLDEN=1 rewrites it). */
const results: Record<string, { mode: string; diagnostics: string[] }> = {};

const realPolicies = files.filter((f) => (rel(f).startsWith('faramesh-core/') || rel(f).startsWith('fpl-lang/')) && !rel(f).includes('conformance/invalid/'));
const invalid = files.filter((f) => rel(f).includes('conformance/invalid/'));
const complete = files.filter((f) => rel(f).startsWith('faramesh-docs/complete/'));
const fragments = files.filter((f) => rel(f).startsWith('faramesh-docs/fragments/'));

test('the corpus has the files this test expects', () => {
  assert.ok(realPolicies.length >= 50, `found ${realPolicies.length} real policies`);
  assert.ok(invalid.length >= 1);
  assert.ok(complete.length >= 100);
  assert.ok(fragments.length >= 10);
});

test('every faramesh-core and fpl-lang policy checks with zero errors', () => {
  for (const f of realPolicies) {
    const r = compile(readFileSync(f, 'utf8'), rel(f), opts);
    assert.equal(errors(r).map((d) => `${d.code} ${d.message}`), [], rel(f));
    assert.ok(r.ir && r.ir.agents.length >= 1, `${rel(f)} lowers to at least one agent`);
    results[rel(f)] = { mode: 'document', diagnostics: summary(r) };
  }
});

test('conformance/invalid fixtures are rejected with an error on the right line', () => {
  // The line each invalid fixture is wrong on.
  const expectedLine: Record<string, number> = { 'missing-agent-name.fpl': 1 };
  for (const f of invalid) {
    const text = readFileSync(f, 'utf8');
    const r = compile(text, rel(f), opts);
    const errs = errors(r);
    assert.ok(errs.length > 0, `${rel(f)} must be rejected`);
    const name = f.split('/').pop()!;
    assert.ok(name in expectedLine, `add the expected line of ${name} to this test`);
    const lines = errs.map((d) => new LineIndex(text).position(d.span.start).line);
    assert.ok(lines.includes(expectedLine[name]!), `${name}: errors on lines ${lines.join(', ')}`);
    results[rel(f)] = { mode: 'document', diagnostics: summary(r) };
  }
});

test('every faramesh-docs/complete block parses as a document or as an agent body', () => {
  for (const f of complete) {
    const text = readFileSync(f, 'utf8');
    const asDoc = compile(text, rel(f), opts);
    const syntax = (r: CompileResult) => r.diagnostics.filter((d) => d.code.startsWith('FMS1'));
    let mode = 'document';
    let r = asDoc;
    if (errors(asDoc).length) {
      const wrapped = compile(`agent "x" {\n${text}\n}\n`, rel(f), opts);
      if (!syntax(wrapped).length && errors(wrapped).length < errors(asDoc).length) {
        mode = 'agent-body';
        r = wrapped;
      }
    }
    assert.equal(syntax(r).map((d) => d.message), [], `${rel(f)} has syntax errors as a ${mode}`);
    results[rel(f)] = { mode, diagnostics: summary(r) };
  }
});

test('faramesh-docs/fragments get diagnostics, never a crash', () => {
  for (const f of fragments) {
    const text = readFileSync(f, 'utf8');
    const r = compile(text, rel(f), opts);
    assert.not.ok(r.diagnostics.some((d) => d.code === 'FMS1099'), rel(f));
    for (const d of r.diagnostics) assert.ok(d.span.start >= 0 && d.span.end <= text.length && d.span.start <= d.span.end, `${rel(f)}: span inside the file`);
    results[rel(f)] = { mode: 'document', diagnostics: summary(r) };
  }
});

test('results per file match test/golden/corpus-results.json', () => {
  const golden = join(ROOT, 'test/golden/corpus-results.json');
  const text = JSON.stringify(results, Object.keys(results).sort().concat(['mode', 'diagnostics']), 2) + '\n';
  expectGolden(golden, text);
});

test.run();
