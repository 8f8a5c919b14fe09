/**
 * Offline tools set the clock and every call input the language reads:
 * `fmsc test` cases (`time`, `purpose`, `selectors`, …), `fms-run eval` and
 * `fmsc explain-call` flags (`--time`, `--purpose`, `--selectors`). A call
 * object never carries a time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../helpers/paths';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const RUN = join(ROOT, 'dist/fms-run.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'fms-offline-'));
// CI: '' on purpose: these builds sign with the development key, which `fmsc build` refuses under CI=true
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(tmp, 'home'), FMS_STATE_DIR: join(tmp, 'state'), FORCE_COLOR: '', CI: '' };

function run(bin: string, args: string[]) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` first (npm test does)`);
  return spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env });
}

const POLICY = `agent bot {
  default permit
  rules {
    deny deploy if time.weekday >= 6
    deny read_customer when not purpose("refund_processing")
    deny tier if selector.tier == "free"
  }
}
`;
writeFileSync(join(tmp, 'governance.fms'), POLICY);

// 2026-05-17 is a Sunday (ISO weekday 7), 2026-05-18 a Monday.
const SUNDAY = '2026-05-17T10:00:00Z';
const MONDAY = Date.UTC(2026, 4, 18, 10);

test('fmsc test: a case sets the clock (time), args.purpose (purpose) and selectors', () => {
  const fx = {
    agent_id: 'bot',
    cases: [
      { name: 'sunday deploy', tool: 'deploy', time: SUNDAY, expect: { effect: 'deny', code: 'POLICY_DENY', rule_ref: 'governance.fms:4' } },
      { name: 'monday deploy', tool: 'deploy', time: MONDAY, expect: { effect: 'permit' } },
      { name: 'no purpose', tool: 'read_customer', expect: { effect: 'deny', rule_ref: 'governance.fms:5' } },
      { name: 'purpose', tool: 'read_customer', purpose: 'refund_processing', expect: { effect: 'permit' } },
      { name: 'free tier', tool: 'tier', selectors: { tier: 'free' }, expect: { effect: 'deny', rule_ref: 'governance.fms:6' } },
      { name: 'paid tier', tool: 'tier', selectors: { tier: 'pro' }, expect: { effect: 'permit' } },
    ],
  };
  writeFileSync(join(tmp, 'a.fmtest.json'), JSON.stringify(fx));
  const r = run(FMSC, ['test', 'a.fmtest.json']);
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /6 passed, 0 failed/);
  // A bad time is a usage error naming the case.
  writeFileSync(join(tmp, 'b.fmtest.json'), JSON.stringify({ agent_id: 'bot', cases: [{ name: 'when', tool: 'x', time: 'yesterday', expect: { effect: 'permit' } }] }));
  const b = run(FMSC, ['test', 'b.fmtest.json']);
  assert.is(b.status, 2);
  assert.match(b.stderr, /^fmsc: b\.fmtest\.json:1:\d+: `time` in case 1 \(`when`\) must be ms since the epoch or an ISO 8601 date/);
});

test('fmsc explain-call and fms-run eval: --time sets the clock, --purpose and --selectors set the inputs', () => {
  const e = run(FMSC, ['explain-call', 'governance.fms', '--agent', 'bot', '--tool', 'deploy', '--time', SUNDAY]);
  assert.is(e.status, 0, e.stderr);
  assert.match(e.stdout, /decision: deny POLICY_DENY \(governance\.fms:4\)/);
  const m = run(FMSC, ['explain-call', 'governance.fms', '--agent', 'bot', '--tool', 'deploy', '--time', String(MONDAY)]);
  assert.match(m.stdout, /decision: permit PERMIT/);
  const b = run(FMSC, ['build', 'governance.fms', '-o', 'p.fmspack']);
  assert.is(b.status, 0, b.stderr);
  const trust = join(tmp, 'home', 'dev-trust.json');
  const ev = (extra: string[]) => JSON.parse(run(RUN, ['eval', 'p.fmspack', '--trust', trust, '--agent', 'bot', ...extra]).stdout) as { effect: string; code: string };
  assert.is(ev(['--tool', 'deploy', '--time', SUNDAY]).code, 'POLICY_DENY');
  assert.is(ev(['--tool', 'deploy', '--time', String(MONDAY)]).code, 'PERMIT');
  assert.is(ev(['--tool', 'read_customer']).code, 'POLICY_DENY');
  assert.is(ev(['--tool', 'read_customer', '--purpose', 'refund_processing']).code, 'PERMIT');
  assert.is(ev(['--tool', 'tier', '--selectors', '{"tier":"free"}']).code, 'POLICY_DENY');
  assert.is(ev(['--tool', 'tier', '--selectors', '{"tier":"pro"}']).code, 'PERMIT');
});

test.run();
