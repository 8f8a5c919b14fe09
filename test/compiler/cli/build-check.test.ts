import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPack, loadTrustRoots, parseTrustRoots, PackRefusal } from '@fms/runtime';
import { ROOT } from '../../helpers/paths';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const RUN = join(ROOT, 'dist/fms-run.mjs');
const home = mkdtempSync(join(tmpdir(), 'fms-home-'));
const state = mkdtempSync(join(tmpdir(), 'fms-state-'));
// CI: '' on purpose: these builds sign with the development key, which `fmsc build` refuses under CI=true
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: home, FMS_STATE_DIR: state, FORCE_COLOR: '', CI: '' };

function run(bin: string, args: string[], input?: string) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first (npm test does)`);
  return spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', env, input });
}

test('fmsc build signs the bundled example with the development key and fms-run decides with it', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'fms-out-')), 'support.fmspack');
  const b = run(FMSC, ['build', 'examples/support-bot/governance.fms', '-o', out]);
  assert.is(b.status, 0, b.stderr);
  assert.match(b.stderr, /development key/);
  assert.match(b.stderr, /wrote .*support\.fmspack/);
  assert.not.match(b.stderr, /PRIVATE KEY/);
  const trust = join(home, 'dev-trust.json');
  const decide = (tool: string, args: object) => {
    const r = run(RUN, ['eval', out, '--trust', trust, '--agent', 'support-bot', '--tool', tool, '--args', JSON.stringify(args)]);
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { effect: string; code: string; rule_ref: string };
  };
  assert.equal(decide('stripe/refund', { amount: 50 }).effect, 'permit');
  const defer = decide('stripe/refund', { amount: 450 });
  assert.is(defer.code, 'POLICY_DEFER');
  assert.is(defer.rule_ref, 'governance.fms:20');
  const shell = decide('shell/exec', {});
  assert.is(shell.code, 'POLICY_DENY');
  assert.is(shell.rule_ref, 'governance.fms:15');
  assert.is(decide('send_email', { to: 'a@evil.test' }).effect, 'deny');

  // The library path: verified with the pinned dev key, refused with another trust root.
  const bytes = readFileSync(out);
  const { pack } = loadPack(bytes, { trust: loadTrustRoots(trust) });
  assert.is(pack.decide({ agent: 'support-bot', tool: 'ticket/read' }).effect, 'permit');
  const other = parseTrustRoots(JSON.stringify({ version: 1, keys: [], scopes: [] }));
  assert.throws(() => loadPack(bytes, { trust: other }), (e: unknown) => e instanceof PackRefusal);
});

test('fmsc build refuses a policy with errors (exit 1) and writes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-bad-'));
  const src = join(dir, 'governance.fms');
  writeFileSync(src, 'agent "a" {\n  default maybe\n}\n');
  const r = run(FMSC, ['build', src]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /error\[FMS2003\]/);
  assert.not.ok(existsSync(join(dir, 'governance.fmspack')));
});

test('fmsc check: exit codes, text and JSON output, no colour with NO_COLOR', () => {
  const ok = run(FMSC, ['check', 'examples/support-bot/governance.fms']);
  assert.is(ok.status, 0, ok.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'fms-check-'));
  const bad = join(dir, 'governance.fms');
  writeFileSync(bad, 'agent "a" {\n  default deny\n  rate_limit "x": 5 minute\n}\n');
  const t = run(FMSC, ['check', bad]);
  assert.is(t.status, 1);
  assert.match(t.stderr, /governance\.fms:3:21: error\[FMS1006\]: expected 'per <window>' after the limit/);
  assert.match(t.stderr, /\n3 \|   rate_limit "x": 5 minute\n/);
  assert.not.match(t.stderr, /\x1b\[/);
  const j = run(FMSC, ['check', '--format', 'json', '--emit', 'ir', bad]);
  assert.is(j.status, 1);
  const report = JSON.parse(j.stdout);
  assert.is(report.version, 1);
  assert.is(report.diagnostics[0].code, 'FMS1006');
  assert.equal(report.diagnostics[0].range.start, { line: 3, col: 21 });
  const w = join(dir, 'warn.fms');
  writeFileSync(w, 'agent "a" {\n  rules { permit x }\n}\n');
  assert.is(run(FMSC, ['check', w]).status, 0);
  assert.is(run(FMSC, ['check', '--strict', w]).status, 1);
  assert.is(run(FMSC, ['check', join(dir, 'missing.fms')]).status, 2);
  assert.is(run(FMSC, ['check', '--format', 'yaml', w]).status, 2);
  const ir = JSON.parse(run(FMSC, ['check', '--format', 'json', '--emit', 'ir', 'examples/support-bot/governance.fms']).stdout);
  assert.is(ir.ir[0].ir.agents[0].id, 'support-bot');
  assert.is(ir.ir[0].ir.agents[0].rules, 8);
});

test('unset env() is an error unless --allow-unset-env', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-env-'));
  const src = join(dir, 'governance.fms');
  writeFileSync(src, 'provider "v" {\n  type  = "vault"\n  token = env("FMS_TEST_SURELY_UNSET")\n}\nagent "a" { default deny }\n');
  assert.is(run(FMSC, ['check', src]).status, 1);
  assert.is(run(FMSC, ['check', '--allow-unset-env', src]).status, 0);
});

test('fmsc build is reproducible: with SOURCE_DATE_EPOCH the same source gives byte-identical packs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-repro-'));
  const build = (out: string) =>
    spawnSync(process.execPath, [FMSC, 'build', 'examples/support-bot/governance.fms', '-o', out], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...env, SOURCE_DATE_EPOCH: '1790000000' },
    });
  const a = build(join(dir, 'a.fmspack'));
  const b = build(join(dir, 'b.fmspack'));
  assert.is(a.status, 0, a.stderr);
  assert.is(b.status, 0, b.stderr);
  const [x, y] = [readFileSync(join(dir, 'a.fmspack')), readFileSync(join(dir, 'b.fmspack'))];
  assert.ok(x.length > 1000);
  assert.ok(x.equals(y), 'two builds differ');
  // The serial comes from SOURCE_DATE_EPOCH, not the clock.
  assert.match(a.stderr, /serial 1790000000\b/);
});

test.run();
