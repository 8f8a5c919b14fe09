// `fmsc test`: fixtures validated against schemas/fmtest.schema.json with line
// and column, ISO times, `--update` that changes only the values it updates,
// and `--format json|junit`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';
import { FIXTURE_KEYS, parseJsonWithSpans, validateFixture, JsonSyntaxError } from '../../../compiler/src/cli/fixture-file';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const dir = mkdtempSync(join(tmpdir(), 'fms-fixtures-'));
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(dir, 'home'), CI: '' };
writeFileSync(
  join(dir, 'governance.fms'),
  'agent "a" {\n  default deny\n  rules {\n    permit docs/search\n    permit pay if amount <= $10\n    deny pay reason: "too much"\n  }\n}\n',
);
const fmsc = (args: string[]) => spawnSync(process.execPath, [FMSC, 'test', ...args], { encoding: 'utf8', env, cwd: dir, timeout: 60_000 });
const put = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

test('the shipped JSON Schema and the validator allow the same keys', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/fmtest.schema.json'), 'utf8')) as {
    properties: object;
    $defs: { case: { properties: { expect: { properties: object }; delegation: { properties: object } } & object } };
  };
  const keys = (o: object) => Object.keys(o).sort();
  assert.equal(keys(schema.properties), [...FIXTURE_KEYS.top.keys()].sort());
  assert.equal(keys(schema.$defs.case.properties), [...FIXTURE_KEYS.case.keys()].sort());
  assert.equal(keys(schema.$defs.case.properties.expect.properties), [...FIXTURE_KEYS.expect.keys()].sort());
  assert.equal(keys(schema.$defs.case.properties.delegation.properties), [...FIXTURE_KEYS.delegation.keys()].sort());
});

test('unknown keys and bad values are errors with line and column (and a did-you-mean); nothing runs', () => {
  const f = put(
    'typo.fmtest.json',
    '{\n  "agent_id": "a",\n  "cases": [\n    { "name": "x", "tool": "pay", "expct": { "effect": "deny" } },\n    { "name": "y", "tool": "pay", "expect": { "effect": "alow" } },\n    { "name": "z", "tool": 7, "cost": "1", "time": "yesterday", "expect": { "effect": "Deny" } }\n  ]\n}\n',
  );
  const r = fmsc([f]);
  assert.is(r.status, 2);
  assert.is(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0], /^fmsc: typo\.fmtest\.json:4:35: unknown key `expct` in case 1 \(`x`\); did you mean `expect`\?/);
  assert.not.match(r.stderr, /needs `expect`/, 'no cascade from the misspelt key');
  assert.match(lines[1], /^fmsc: typo\.fmtest\.json:5:57: `effect` must be permit, defer or deny, not `alow`; did you mean `permit`\?$/);
  assert.match(lines[2], /typo\.fmtest\.json:6:28: `tool` in case 3 \(`z`\) must be a string$/);
  assert.match(lines[3], /6:39: `cost` in case 3 \(`z`\) must be a number$/);
  assert.match(lines[4], /6:52: `time` in case 3 \(`z`\) must be ms since the epoch or an ISO 8601 date/);
  assert.match(lines[5], /6:87: `effect` must be permit, defer or deny, not `Deny`; did you mean `deny`\?$/);
  assert.is(lines.length, 6);
});

test('bad JSON gets a line and column; duplicate keys, prototype names and deep nesting are refused', () => {
  const bad = fmsc([put('bad.fmtest.json', '{\n  "agent_id": "a",\n  "cases": [\n    { "name": "x" "tool": "pay" }\n  ]\n}\n')]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^fmsc: bad\.fmtest\.json:4:19: not valid JSON: expected `,` or `}`\n$/);
  const dup = fmsc([put('dup.fmtest.json', '{"agent_id": "a", "cases": [{"name": "x", "tool": "pay", "expect": {"effect": "deny"}, "expect": {"effect": "permit"}}]}')]);
  assert.match(dup.stderr, /dup\.fmtest\.json:1:88: not valid JSON: the key `expect` appears twice/);
  const proto = fmsc([put('proto.fmtest.json', '{"agent_id": "a", "__proto__": {"x": 1}, "cases": [{"name": "x", "tool": "pay", "constructor": 1, "expect": {"effect": "deny", "toString": "x"}}]}')]);
  assert.is(proto.status, 2);
  assert.match(proto.stderr, /unknown key `__proto__` in the fixture/);
  assert.match(proto.stderr, /unknown key `constructor` in case 1 \(`x`\)/);
  assert.match(proto.stderr, /unknown key `toString` in the expect of case 1 \(`x`\)/);
  assert.throws(() => parseJsonWithSpans('['.repeat(100_000)), (e: unknown) => e instanceof JsonSyntaxError && /nested deeper than 64/.test((e as Error).message));
  assert.equal(validateFixture(parseJsonWithSpans('[]')).map((p) => p.message), ['the fixture must be an object']);
});

test('ISO times are accepted; --update rewrites only the expect values that were wrong, byte for byte elsewhere', () => {
  const original =
    '{\n  "$schema": "../schemas/fmtest.schema.json",\n  "agent_id": "a",\n  "cases": [\n    {"name": "ok",   "tool": "docs/search", "time": "2026-03-02T09:00:00Z",   "expect": {"effect": "permit"}},\n    {"name": "wrong", "tool": "pay", "args": {"amount": 50},\n     "expect": {"effect": "PERMIT"}},\n    {"name": "also ok", "tool": "pay", "args": {"amount": 5}, "expect": {"effect": "permit", "code": "PERMIT"}}\n  ]\n}\n';
  const f = put('upd.fmtest.json', original);
  const run = fmsc([f]);
  assert.is(run.status, 1, run.stderr);
  assert.match(run.stdout, /2 passed, 1 failed/);
  const upd = fmsc(['--update', f]);
  assert.is(upd.status, 0, upd.stderr);
  const after = readFileSync(join(dir, f), 'utf8');
  const want = original.replace('"expect": {"effect": "PERMIT"}', '"expect": { "effect": "DENY", "code": "POLICY_DENY", "rule_ref": "governance.fms:6" }');
  assert.is(after, want);
  assert.is(fmsc([f]).status, 0);
});

test('--format json and --format junit report every case; text mode output is unchanged', () => {
  const f = put('rep.fmtest.json', '{"agent_id": "a", "cases": [{"name": "s <ok>", "tool": "docs/search", "expect": {"effect": "permit"}}, {"name": "bad & wrong", "tool": "pay", "args": {"amount": 99}, "expect": {"effect": "permit"}}]}');
  const j = fmsc(['--format', 'json', f]);
  assert.is(j.status, 1);
  const doc = JSON.parse(j.stdout) as { version: number; summary: { passed: number; failed: number }; fixtures: Array<{ file: string; cases: Array<{ name: string; ok: boolean; got: { effect: string } }> }> };
  assert.is(doc.version, 1);
  assert.equal(doc.summary, { passed: 1, failed: 1 });
  assert.equal(doc.fixtures[0].cases.map((c) => [c.name, c.ok, c.got.effect]), [['s <ok>', true, 'permit'], ['bad & wrong', false, 'deny']]);
  const x = fmsc(['--format', 'junit', f]);
  assert.is(x.status, 1);
  assert.match(x.stdout, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="fmsc test" tests="2" failures="1">/);
  assert.match(x.stdout, /<testcase classname="rep\.fmtest\.json" name="s &#60;ok&#62;"\/>/);
  assert.match(x.stdout, /<testcase classname="rep\.fmtest\.json" name="bad &#38; wrong">\n {6}<failure message="expected PERMIT, got DENY \(POLICY_DENY\) at governance\.fms:6">/);
  const bad = fmsc(['--format', 'xml', f]);
  assert.is(bad.status, 2);
});

test.run();
