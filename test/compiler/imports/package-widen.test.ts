/**
 * What a package may change (issue 18, class 8): it narrows freely; it widens
 * (permits, defers on `default deny` agents, wider defaults, new agents) only
 * with `with widen` on the import line; stack flat rules reach its agents; its
 * flat rules reach the stack's agents; nothing of it is dropped silently.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { format } from '../../../compiler/src/format/format';
import { parse } from '../../../compiler/src/syntax/parse';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { loadPackBody } from '@fms/runtime';
import { compileStack, errorCodes, stack } from './package-helpers';

const REG = 'registry/example.com/acme/';
const REF = 'example.com/acme/pkg@1.0.0';

function run(pkg: string, stackText: string) {
  const s = stack({ [REG + 'pkg@1.0.0.fms']: pkg });
  return compileStack(s, stackText);
}
const decide = (r: ReturnType<typeof run>, call: { agent: string; tool: string; args?: Record<string, unknown> }) => loadPackBody(emitPackBody(r.ir!)).decide(call);

test('a package `permit *` on a `default deny` agent is FMS2083; `with widen` lets it', () => {
  const pkg = 'agent "bot" {\n  rules { permit * }\n}\n';
  const body = '\n\nagent "bot" {\n  default deny\n  rules { permit status }\n}\n';
  const r = run(pkg, `import "${REF}"${body}`);
  assert.equal(errorCodes(r), ['FMS2083']);
  assert.match(r.diagnostics[0]!.message, /widens what agent `bot` may do: `permit \*`/);
  const w = run(pkg, `import "${REF}" with widen${body}`);
  assert.equal(errorCodes(w), []);
  assert.is(decide(w, { agent: 'bot', tool: 'anything' }).effect, 'permit');
});

test('a package deny narrows a stack permit (it runs before the stack rules); no opt-in needed', () => {
  const pkg = 'agent "bot" {\n  rules { deny refund if amount > 100 }\n}\n';
  const r = run(pkg, `import "${REF}"\n\nagent "bot" {\n  default deny\n  rules { permit refund }\n}\n`);
  assert.equal(errorCodes(r), []);
  const big = decide(r, { agent: 'bot', tool: 'refund', args: { amount: 500 } });
  assert.equal([big.effect, big.rule_ref], ['deny', `${REF}:2`]);
  assert.is(decide(r, { agent: 'bot', tool: 'refund', args: { amount: 5 } }).effect, 'permit');
});

test('a defer narrows a `default permit` agent but widens a `default deny` one', () => {
  const pkg = 'agent "bot" {\n  rules { defer wire }\n}\n';
  const narrow = run(pkg, `import "${REF}"\n\nagent "bot" {\n  default permit\n}\n`);
  assert.equal(errorCodes(narrow), []);
  assert.is(decide(narrow, { agent: 'bot', tool: 'wire' }).effect, 'defer');
  assert.equal(errorCodes(run(pkg, `import "${REF}"\n\nagent "bot" {\n  default deny\n}\n`)), ['FMS2083']);
});

test('a stricter package default applies; a wider one needs the opt-in', () => {
  const strict = run('agent "bot" {\n  default deny\n}\n', `import "${REF}"\n\nagent "bot" {\n  default permit\n}\n`);
  assert.equal(errorCodes(strict), []);
  assert.is(decide(strict, { agent: 'bot', tool: 'x' }).effect, 'deny');
  assert.equal(errorCodes(run('agent "bot" {\n  default permit\n}\n', `import "${REF}"\n\nagent "bot" {\n  default deny\n}\n`)), ['FMS2083']);
});

test('a new agent needs the opt-in, and then gets the stack\'s flat `deny! shell`', () => {
  const pkg = 'agent "rogue" {\n  default permit\n}\n';
  const body = '\n\ndeny! shell\n\nagent "bot" {\n  default deny\n}\n';
  const r = run(pkg, `import "${REF}"${body}`);
  assert.equal(errorCodes(r), ['FMS2083']);
  assert.match(r.diagnostics.find((d) => d.code === 'FMS2083')!.message, /adds agent `rogue`/);
  const w = run(pkg, `import "${REF}" with widen${body}`);
  assert.equal(errorCodes(w), []);
  assert.is(decide(w, { agent: 'rogue', tool: 'shell' }).effect, 'deny');
  assert.is(decide(w, { agent: 'rogue', tool: 'other' }).effect, 'permit');
});

test('a flat-rule package applies to every agent of the stack, not to a new agent `default`', () => {
  const pkg = 'deny! shell\ndeny wire if amount > 10\n';
  const r = run(pkg, `import "${REF}"\n\nagent "a" {\n  default permit\n}\n\nagent "b" {\n  default deny\n  rules { permit wire }\n}\n`);
  assert.equal(errorCodes(r), []);
  assert.equal(r.ir!.agents.map((a) => a.id), ['a', 'b']);
  for (const agent of ['a', 'b']) {
    assert.is(decide(r, { agent, tool: 'shell' }).effect, 'deny', agent);
    assert.is(decide(r, { agent, tool: 'wire', args: { amount: 50 } }).effect, 'deny', agent);
    assert.is(decide(r, { agent, tool: 'wire', args: { amount: 5 } }).effect, 'permit', agent);
  }
  assert.equal(errorCodes(run(pkg, `import "${REF}"\n`)), ['FMS2034'], 'a stack with no agents');
});

test('model, framework, version, agent blocks, delegations and top-level blocks are never dropped silently (FMS2034)', () => {
  const stackText = `import "${REF}"\n\nagent "bot" {\n  default deny\n  model "m1"\n}\n`;
  const cases: Array<[string, RegExp]> = [
    ['agent "bot" {\n  model "m2"\n}\n', /model is `m2`, the stack's is `m1`/],
    ['agent "bot" {\n  framework "langchain"\n}\n', /declares `framework langchain`/],
    ['agent "bot" {\n  version "2"\n}\n', /declares `version 2`/],
    ['agent "bot" {\n  session {\n    max_calls = 5\n  }\n}\n', /declares a `session` block/],
    ['agent "bot" {\n  delegate "other" {\n    scope = "x"\n  }\n}\n', /delegate/],
    ['system {\n  max_output_bytes = 10\n}\nagent "bot" {\n  rules { deny x }\n}\n', /top-level `system` block/],
    ['runtime {\n  os_tier = true\n}\nagent "bot" {\n  rules { deny x }\n}\n', /`runtime` settings/],
  ];
  for (const [pkg, why] of cases) {
    const r = run(pkg, stackText);
    const d = r.diagnostics.find((x) => x.code === 'FMS2034');
    assert.ok(d, `${pkg}: ${JSON.stringify(r.diagnostics.map((x) => x.code + ' ' + x.message))}`);
    assert.match(d!.message, why);
  }
  // The same model is not a conflict.
  assert.equal(errorCodes(run('agent "bot" {\n  model "m1"\n  rules { deny x }\n}\n', stackText)), []);
});

test('`with widen` parses only after an import, survives fmt, and never swallows a rule', () => {
  const src = `import "${REF}" as p with widen\n\nagent "a" {\n  default deny\n}\n`;
  const doc = parse(src, 'g.fms');
  assert.equal(doc.diagnostics.filter((d) => d.severity === 'error'), []);
  const imp = doc.ast.items[0]!;
  assert.ok(imp.kind === 'import' && imp.widen, 'widen recorded');
  assert.match(format(src, 'g.fms').text, /import "example\.com\/acme\/pkg@1\.0\.0" as p with widen/);
  // `allow widen` after an import is a flat rule permitting tool `widen`, not an opt-in.
  const flat = parse(`import "${REF}"\nallow widen\n`, 'g.fms');
  const items = flat.ast.items;
  assert.ok(items[0]!.kind === 'import' && !items[0]!.widen);
  assert.is(items[1]!.kind, 'rule');
});

test.run();
