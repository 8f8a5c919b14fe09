import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildArgs, checkArgs, COMMAND_IDS, formatArgs, inspectArgs, packPathFor, readSettings, resolveFmsc, testArgs, verifyArgs, type FmsSettings } from '../../vscode-extension/src/logic/commands';
import { caseLines, MAX_FIXTURE_BYTES, readFixture } from '../../vscode-extension/src/logic/fixtures';
import { parseTestOutput, resultsByCase } from '../../vscode-extension/src/logic/test-output';
import { ROOT } from '../helpers/paths';

// The extension's logic without VS Code: fixture discovery → test items,
// fmsc argument vectors, reading `fmsc test` output.

const S: FmsSettings = { fmscPath: '', trustFile: '', registry: '' };

test('a fixture becomes its cases with the line each starts on', () => {
  const text = `{
  "policy": "governance.fms",
  "agent_id": "bot",
  "cases": [
    { "name": "one", "tool": "a", "args": { "nested": { "x": [1, {"y": 2}] } } },
    {
      "name": "two {with} [brackets] \\" and a quote",
      "tool": "b"
    },
    { "name": "one", "tool": "c" }
  ]
}`;
  const fx = readFixture(text);
  assert.ok(fx.ok);
  if (!fx.ok) return;
  assert.is(fx.agentId, 'bot');
  assert.is(fx.policy, 'governance.fms');
  assert.equal(
    fx.cases.map((c) => [c.name, c.line, c.id, c.index]),
    [
      ['one', 4, 'one', 0],
      ['two {with} [brackets] " and a quote', 5, 'two {with} [brackets] " and a quote', 1],
      ['one', 9, 'one #2', 2],
    ],
  );
});

test('case lines ignore a decoy "cases" key nested deeper and strings that look like JSON', () => {
  const text = '{"agent_id":"a","meta":{"cases":[{"x":1}]},"note":"\\"cases\\": [{",\n"cases":[\n{"name":"real","tool":"t"}]}';
  assert.equal(caseLines(text), [2]);
  const fx = readFixture(text);
  assert.ok(fx.ok && fx.cases.length === 1 && fx.cases[0]!.line === 2);
});

test('a repeated cases key: the lines follow the list JSON.parse keeps (the last)', () => {
  const text = '{"agent_id":"a",\n"cases":[{"name":"decoy"},\n{"name":"decoy2"}],\n"cases":[\n\n{"name":"real"}]}';
  const fx = readFixture(text);
  assert.ok(fx.ok);
  if (!fx.ok) return;
  assert.equal(fx.cases.map((c) => [c.name, c.line]), [['real', 5]]);
});

test('a fixture that cannot be used says why in one line', () => {
  const cases: [string, RegExp][] = [
    ['not json', /^not JSON/],
    ['[]', /JSON object/],
    ['null', /JSON object/],
    ['{"cases":[]}', /agent_id/],
    ['{"agent_id":1,"cases":[]}', /agent_id/],
    ['{"agent_id":"a"}', /cases list/],
    ['{"agent_id":"a","cases":{}}', /cases list/],
    ['{"agent_id":"a","cases":[1]}', /case 1 is not an object/],
    ['{"agent_id":"a","cases":[{"name":7}]}', /case 1 needs a string name/],
    ['{"agent_id":"a","policy":3,"cases":[]}', /policy/],
    ['{"__proto__":{"agent_id":"a","cases":[]}}', /agent_id/],
    ['{"agent_id":"a","__proto__":{"cases":[]}}', /cases list/],
  ];
  for (const [text, reason] of cases) {
    const fx = readFixture(text);
    assert.ok(!fx.ok, text);
    if (!fx.ok) {
      assert.match(fx.reason, reason, text);
      assert.not.match(fx.reason, /\n/);
    }
  }
  const huge = readFixture(' '.repeat(MAX_FIXTURE_BYTES + 1));
  assert.ok(!huge.ok && /larger than/.test(huge.reason));
});

test('case names that are host-language property names are ordinary names', () => {
  const fx = readFixture('{"agent_id":"a","cases":[{"name":"toString"},{"name":"__proto__"},{"name":"constructor"},{"name":"toString"}]}');
  assert.ok(fx.ok);
  if (!fx.ok) return;
  assert.equal(fx.cases.map((c) => c.id), ['toString', '__proto__', 'constructor', 'toString #2']);
  const run = parseTestOutput('    ✓ toString\n    ✗ __proto__\n        expected: deny\n        got:      permit\n    ✓ constructor\n    ✗ toString\n');
  const by = resultsByCase(fx.cases, run);
  assert.equal([...by.entries()].map(([k, v]) => [k, v.passed]), [['toString', true], ['__proto__', false], ['constructor', true], ['toString #2', false]]);
});

test('deeply nested and large fixtures are read without recursion limits', () => {
  const deep = `{"agent_id":"a","cases":[{"name":"d","args":${'['.repeat(5000)}${']'.repeat(5000)}}]}`;
  const fx = readFixture(deep);
  assert.ok(fx.ok && fx.cases.length === 1);
  const many = { agent_id: 'a', cases: Array.from({ length: 20000 }, (_, i) => ({ name: `c${i}`, tool: 't' })) };
  const big = readFixture(JSON.stringify(many, null, 1));
  assert.ok(big.ok && big.cases.length === 20000 && big.cases[19999]!.line > big.cases[0]!.line);
});

test('fmsc test output: passes, failures with their expected/got lines, summary', () => {
  const out = '\n  fx.fmtest.json\n    ✓ small refund\n    ✗ big refund\n        expected: defer POLICY_DEFER governance.fms:20\n        got:      permit PERMIT governance.fms:19 — ok\n    ✓ a name with ✓ inside\n\n2 passed, 1 failed\n';
  const run = parseTestOutput(out);
  assert.equal(run.summary, { passed: 2, failed: 1 });
  assert.equal(run.results, [
    { name: 'small refund', passed: true },
    { name: 'big refund', passed: false, message: 'expected: defer POLICY_DEFER governance.fms:20\ngot: permit PERMIT governance.fms:19 — ok' },
    { name: 'a name with ✓ inside', passed: true },
  ]);
  const by = resultsByCase([{ name: 'small refund', id: 'small refund' }, { name: 'missing', id: 'missing' }], run);
  assert.ok(by.get('small refund')?.passed);
  assert.not.ok(by.has('missing'));
});

test('fmsc test output of the real CLI is read case by case', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-ext-fx-'));
  writeFileSync(join(dir, 'governance.fms'), 'agent bot {\n  default deny\n  rules {\n    permit read/*\n  }\n}\n');
  const fxText = JSON.stringify({ agent_id: 'bot', cases: [
    { name: 'read is permitted', tool: 'read/x', expect: { effect: 'permit' } },
    { name: 'write is (wrongly) expected to be permitted', tool: 'write/x', expect: { effect: 'permit' } },
  ] }, null, 2);
  writeFileSync(join(dir, 'bot.fmtest.json'), fxText);
  const inv = testArgs([join(dir, 'bot.fmtest.json')], S);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'fmsc.mjs'), ...inv.args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 1, r.stderr);
  const fx = readFixture(fxText);
  assert.ok(fx.ok);
  if (!fx.ok) return;
  const by = resultsByCase(fx.cases, parseTestOutput(r.stdout));
  assert.is(by.get('read is permitted')?.passed, true);
  assert.is(by.get('write is (wrongly) expected to be permitted')?.passed, false);
  assert.match(by.get('write is (wrongly) expected to be permitted')?.message ?? '', /^expected: permit[^\n]*\ngot: deny/i);
});

test('commands are argument vectors; a file name is one argument after --', () => {
  const odd = '/tmp/my dir/--strict "x".fms';
  assert.equal(checkArgs(odd, S).args, ['check', '--format', 'json', '--', odd]);
  assert.equal(checkArgs(odd, { ...S, registry: ' /reg ' }).args, ['check', '--format', 'json', '--registry', '/reg', '--', odd]);
  assert.equal(buildArgs(odd, S).args, ['build', '--', odd]);
  assert.equal(inspectArgs('/p/a.fmspack').args, ['inspect', '--', '/p/a.fmspack']);
  assert.is(verifyArgs('/p/a.fmspack', S), undefined);
  assert.equal(verifyArgs('/p/a.fmspack', { ...S, trustFile: '/t.json' })?.args, ['verify', '--trust', '/t.json', '--', '/p/a.fmspack']);
  assert.equal(testArgs(['a.fmtest.json', 'b.fmtest.json'], S).args, ['test', '--', 'a.fmtest.json', 'b.fmtest.json']);
  assert.equal(formatArgs('agent a {}'), { args: ['fmt', '-'], stdin: 'agent a {}' });
  assert.is(packPathFor('/x/governance.fms'), '/x/governance.fmspack');
  assert.is(packPathFor('/x/p.FPL'), '/x/p.fmspack');
  assert.equal([...COMMAND_IDS], ['fms.check', 'fms.format', 'fms.buildPack', 'fms.inspectPack', 'fms.runFixtures', 'fms.showOutput']);
});

test('the argument vectors run against the real fmsc (check, fmt, build, inspect)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-ext-cmd-'));
  const src = join(dir, '-odd name.fms');
  writeFileSync(src, 'agent bot {\n  default deny\n  rules {   permit read/* }\n}\n');
  const fmsc = (inv: { args: string[]; stdin?: string }) =>
    // CI: '' on purpose: these builds sign with the development key, which `fmsc build` refuses under CI=true
    spawnSync(process.execPath, [join(ROOT, 'dist', 'fmsc.mjs'), ...inv.args], { encoding: 'utf8', input: inv.stdin ?? '', cwd: dir, env: { ...process.env, NO_COLOR: '1', HOME: dir, XDG_CONFIG_HOME: dir, CI: '' } });
  const check = fmsc(checkArgs(src, S));
  assert.is(check.status, 0, check.stderr);
  assert.ok(JSON.parse(check.stdout));
  const fmt = fmsc(formatArgs('agent bot {\n  default deny\n  rules {   permit read/* }\n}\n'));
  assert.is(fmt.status, 0, fmt.stderr);
  assert.match(fmt.stdout, /permit read\/\*/);
  const build = fmsc(buildArgs(src, S));
  assert.is(build.status, 0, build.stderr);
  const inspect = fmsc(inspectArgs(packPathFor(src)));
  assert.is(inspect.status, 0, inspect.stderr);
  assert.match(inspect.stdout, /bot/);
});

test('which fmsc: the setting, else the workspace bin, else PATH; settings of the wrong type read as empty', () => {
  const exists = (p: string) => p === '/ws2/node_modules/.bin/fmsc';
  const j = (...p: string[]) => p.join('/');
  assert.is(resolveFmsc({ ...S, fmscPath: ' /opt/fmsc ' }, ['/ws2'], exists, j), '/opt/fmsc');
  assert.is(resolveFmsc(S, ['/ws1', '/ws2'], exists, j), '/ws2/node_modules/.bin/fmsc');
  assert.is(resolveFmsc(S, ['/ws1'], exists, j), 'fmsc');
  const store: Record<string, unknown> = { fmscPath: 42, trustFile: { toString: () => 'x' }, registry: '/r' };
  assert.equal(readSettings((k) => store[k]), { fmscPath: '', trustFile: '', registry: '/r' });
  assert.equal(readSettings(() => undefined), S);
});

test.run();
