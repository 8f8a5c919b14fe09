/**
 * The shared documentation table (compiler/src/docs/keywords.ts) agrees with
 * the checker: every block and agent field it knows is documented, every
 * documented function is one the checker accepts, nothing is found through
 * `Object.prototype`, and `fmsc explain WORD` prints the same text the
 * language server's hover shows.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCK_PLACES, CONDITION_NAMES, EFFECT_SPELLINGS, FUNCTION_DOCS, KEYWORD_DOCS, blockFields, compile, fieldDoc, fieldValues } from '@fms/compiler';
import { ROOT } from '../../helpers/paths';

test('every block the checker places is documented; every field of every block has a doc', () => {
  for (const b of [...BLOCK_PLACES.topLevel, ...BLOCK_PLACES.agent]) {
    assert.ok(KEYWORD_DOCS.get(b)?.doc, `block ${b}`);
    for (const f of blockFields(b)) assert.ok(fieldDoc(b, f)?.doc, `${b}.${f}`);
  }
  for (const f of blockFields('agent')) assert.ok(fieldDoc('agent', f)?.doc, `agent.${f}`);
  for (const e of EFFECT_SPELLINGS) assert.ok(KEYWORD_DOCS.get(e)?.doc, `effect ${e}`);
});

test('every documented function compiles with its documented arity; every condition name is known', () => {
  const arg = (name: string): string => (name === 'window' ? 'window=1h' : name === 'tool.field' ? 'stripe/refund.amount' : /seconds/.test(name) ? '60' : '"x"');
  for (const f of FUNCTION_DOCS) {
    const args = f.word === 'history_sequence' ? '"a", "b"' : f.params.filter((p) => !p.doc.startsWith('optional')).map((p) => arg(p.name)).join(', ');
    const cond = f.returns === 'bool' ? `${f.word}(${args})` : `${f.word}(${args}) > 0`;
    const r = compile(`agent "bot" {\n  default deny\n  rules { permit a if ${cond} }\n}\n`, 't.fms', { env: {} });
    assert.equal(r.diagnostics.filter((d) => d.code === 'FMS2016' || d.code === 'FMS2017'), [], `${f.word}: ${cond}`);
  }
  for (const n of CONDITION_NAMES) {
    if (n === 'args' || n === 'principal' || n === 'time' || n === 'session' || n === 'query' || n === 'headers') continue;
    const r = compile(`agent "bot" {\n  default deny\n  rules { permit a if ${n} == "x" }\n}\n`, 't.fms', { env: {} });
    assert.not.ok(r.diagnostics.some((d) => d.code === 'FMS2019' || d.code === 'FMS2016'), `${n}: ${JSON.stringify(r.diagnostics.map((d) => d.message))}`);
  }
});

test('prototype names are not documented words, fields or enum values', () => {
  for (const w of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
    assert.is(KEYWORD_DOCS.get(w), undefined, w);
    assert.is(fieldDoc('budget', w), undefined, w);
    assert.is(fieldDoc(w, 'max'), undefined, w);
    assert.is(fieldValues('runtime', w), undefined, w);
    assert.equal(blockFields(w), [], w);
  }
});

test('`fmsc explain WORD` prints the shared documentation; codes still win', () => {
  const run = (w: string) => spawnSync(process.execPath, ['--import', 'tsx', 'compiler/src/cli/fmsc.ts', 'explain', w], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const r = run('deny!');
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.stdout.includes(KEYWORD_DOCS.get('deny!')!.doc), r.stdout);
  assert.match(run('FMS2003').stdout, /FMS2003 \(error\)/);
  const bad = run('toString');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown diagnostic code/);
});

test.run();
