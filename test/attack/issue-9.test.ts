/**
 * Issue 9 ("No policy fails open"), attacked once more on the merged code:
 * every class example from the issue text, reproduced through the library
 * (`compile` → `emitPackBody` → `loadPackBody` → `decide`, and the reference
 * interpreter) or the real CLI bundles (`dist/fmsc.mjs`, `dist/fms-run.mjs`,
 * built by `npm run build`), must fail closed. Each test name starts with the
 * class number; the detailed tests per class live next to the code they test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interpreter, compile, emitPackBody } from '@fms/compiler';
import { type Call, type Decision, ManualClock, MemoryState, decideJson, loadPackBody } from '@fms/runtime';
import { ROOT } from '../helpers/paths';

const FILE = 'governance.fms';
const DIR = mkdtempSync(join(tmpdir(), 'fms-attack9-'));

function cli(bin: 'fmsc' | 'fms-run', args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(ROOT, 'dist', `${bin}.mjs`), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FMS_TRUST: '', FMS_PACK_NAME: '', FMS_DEPLOYMENT: '', FMS_HOME: join(DIR, 'home'), CI: '', ...env },
    timeout: 60_000,
  });
}

/** Errors of a compile (warnings and infos left out). */
function errors(src: string): string[] {
  return compile(src, FILE, { env: {} }).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
}

/** Check clean (no errors) ⇒ both engines, sharing one clock, decide `calls`; they must agree. */
function engines(src: string, clockMs = Date.UTC(2026, 10, 30, 12)) {
  const c = compile(src, FILE, { env: {} });
  const errs = c.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.map((d) => `${d.code} ${d.message}`), [], 'the policy checks clean');
  const clock = new ManualClock(clockMs);
  const vm = loadPackBody(emitPackBody(c.ir!), { clock, state: new MemoryState({ approvalId: () => 'apr' }) });
  const ip = new Interpreter(c.ir!, { clock, state: new MemoryState({ approvalId: () => 'apr' }) });
  const decide = (call: Call): Decision => {
    const a = vm.decide(call);
    const b = ip.decide(call);
    assert.equal([b.effect, b.code, b.rule_ref], [a.effect, a.code, a.rule_ref], `vm and reference disagree on ${JSON.stringify(call)}`);
    return a;
  };
  return { vm, ip, decide, clock, ir: c.ir! };
}

/** A raw pack body file of `src` (for `fms-run --insecure-unsigned`). */
function rawBody(src: string, name: string): string {
  const c = compile(src, FILE, { env: {} });
  const p = join(DIR, name);
  writeFileSync(p, emitPackBody(c.ir!));
  return p;
}

test('class 1: `default toString` and other host-language names never become a permit', () => {
  assert.equal(errors('agent a {\n  default toString\n  rules { deny shell }\n}\n'), ['FMS2003']);
  for (const name of ['constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'toString']) {
    assert.ok(errors(`agent a {\n  default ${name}\n}\n`).length > 0, `default ${name}`);
    // As a bare condition name, a field and a var: check clean ⇒ build ⇒ the rule reads a field, never the prototype.
    const { decide } = engines(`agent a {\n  default deny\n  var v${name.length} = "y"\n  rules { permit t if ${name} == "y" and args.${name}.x != 1 }\n}\n`);
    assert.is(decide({ agent: 'a', tool: 't' }).effect, 'deny', name);
    assert.is(decide({ agent: name, tool: 't' }).code, 'UNKNOWN_AGENT');
  }
});

test('class 2: egress — a decoy `host` beside the real `url`, a non-string host, a URL without a scheme are EGRESS_DENIED; `allow = [5]` and unresolved names are errors; vars resolve', () => {
  const { decide } = engines('agent a {\n  default permit\n  egress { allow = ["*.example.com"] }\n}\n');
  for (const args of [{ host: 'api.example.com', url: 'https://evil.test/x' }, { host: 5 }, { url: 'evil.test/x' }, { endpoint: 'https://api.example.com@evil.test/' }, { urls: ['https://api.example.com/', 'https://evil.test/'] }, { baseUrl: 'http://0x7f.1/' }]) {
    assert.is(decide({ agent: 'a', tool: 'http/get', args }).code, 'EGRESS_DENIED', JSON.stringify(args));
  }
  assert.is(decide({ agent: 'a', tool: 'http/get', args: { url: 'https://API.Example.com./v1', host: 'api.example.com' } }).effect, 'permit');
  assert.equal(errors('agent a {\n  default permit\n  egress { allow = [5] }\n}\n'), ['FMS2060']);
  assert.equal(errors('agent a {\n  default permit\n  egress { allow = [h] }\n}\n'), ['FMS2061']);
  const v = engines('agent a {\n  default permit\n  var h = "api.example.com"\n  egress { allow = [h] }\n}\n');
  assert.is(v.decide({ agent: 'a', tool: 't', args: { url: 'https://evil.test/' } }).code, 'EGRESS_DENIED');
  assert.is(v.decide({ agent: 'a', tool: 't', args: { url: 'https://api.example.com/' } }).effect, 'permit');
});

test('class 3: the caller cannot set the clock — `time` in decideJson and pack.decide is INVALID_CALL; rate limits read the runtime clock', () => {
  const { vm, decide } = engines('agent a {\n  default permit\n  rate_limit "t": 1 per hour\n}\n');
  assert.is(decide({ agent: 'a', tool: 't' }).effect, 'permit');
  const json = JSON.parse(decideJson(vm, JSON.stringify({ agent: 'a', tool: 't', time: Date.UTC(2030, 0, 1) })));
  assert.equal([json.effect, json.code], ['deny', 'INVALID_CALL']);
  assert.is(vm.decide({ agent: 'a', tool: 't', time: 0 } as unknown as Call).code, 'INVALID_CALL');
  assert.is(decide({ agent: 'a', tool: 't' }).code, 'RATE_EXCEEDED', 'the bucket was not reset by a caller time');
});

test('class 4: type confusion — `["/etc/passwd"]` and `"5000"` deny with POLICY_EVAL_ERROR naming the rule; Kleene `or` is order independent', () => {
  const { decide } = engines('agent a {\n  default permit\n  rules {\n    deny! fs/write if args.path startsWith "/etc"\n    deny pay if amount > 1000\n  }\n}\n');
  const w = decide({ agent: 'a', tool: 'fs/write', args: { path: ['/etc/passwd'] } });
  assert.equal([w.effect, w.code, w.rule_ref], ['deny', 'POLICY_EVAL_ERROR', `${FILE}:4`]);
  assert.equal([decide({ agent: 'a', tool: 'pay', args: { amount: '5000' } }).code], ['POLICY_EVAL_ERROR']);
  assert.is(decide({ agent: 'a', tool: 'pay', args: {} }).effect, 'permit', 'a missing field stays unknown');
  const k = engines('agent a {\n  default deny\n  rules {\n    permit x if args.missing == 1 or args.n == 2\n    permit y if args.n == 2 or args.missing == 1\n  }\n}\n');
  for (const tool of ['x', 'y']) assert.is(k.decide({ agent: 'a', tool, args: { n: 2 } }).effect, 'permit', tool);
});

test('class 5: purpose("x") reads args.purpose (library and `fms-run eval --purpose`)', () => {
  const src = 'agent a {\n  default permit\n  rules { deny export if not purpose("support") }\n}\n';
  const { decide } = engines(src);
  assert.is(decide({ agent: 'a', tool: 'export', args: {} }).effect, 'deny');
  assert.is(decide({ agent: 'a', tool: 'export', args: { purpose: 'support' } }).effect, 'permit');
  const body = rawBody(src, 'purpose.fmsbody');
  const e = cli('fms-run', ['eval', body, '--insecure-unsigned', '--agent', 'a', '--tool', 'export', '--purpose', 'support']);
  assert.is(e.status, 0, e.stderr);
  assert.is(JSON.parse(e.stdout).effect, 'permit');
});

test('class 6: redaction — `args.cvv` never shows in explain-call (text and JSON) or in the decision; the caller\'s object is not kept', () => {
  const src = 'agent a {\n  default permit\n  rules { deny stripe/refund if args.cvv == "999" }\n  redact stripe/* args: ["cvv"]\n}\n';
  const p = join(DIR, 'redact.fms');
  writeFileSync(p, src);
  for (const format of ['text', 'json']) {
    const x = cli('fmsc', ['explain-call', p, '--agent', 'a', '--tool', 'stripe/refund', '--args', '{"cvv":"123456789"}', '--format', format]);
    assert.is(x.status, 0, x.stderr);
    assert.not.match(x.stdout, /123456789/, format);
    assert.match(x.stdout, /REDACTED/);
  }
  const { decide } = engines(src);
  const args = { cvv: '123456789' };
  const d = decide({ agent: 'a', tool: 'stripe/refund', args });
  assert.is(d.redacted_args?.['cvv'], '[REDACTED]');
  assert.is(args.cvv, '123456789', 'the caller\'s object is untouched');
  assert.is.not(d.redacted_args, args);
});

test('class 7: an unknown model under model_policy is MODEL_DENIED', () => {
  const { decide } = engines('agent a {\n  default permit\n  model_policy { allow = ["gpt-*"] }\n}\n');
  assert.is(decide({ agent: 'a', tool: 't' }).code, 'MODEL_DENIED');
  assert.is(decide({ agent: 'a', tool: 't', model: 'gpt-4o' }).effect, 'permit');
});

test('class 8: ISO weekday — `deny deploy if time.weekday >= 6` denies on Sunday (library and explain-call --time)', () => {
  const src = 'agent a {\n  default permit\n  rules { deny deploy if time.weekday >= 6 }\n}\n';
  const sunday = Date.UTC(2026, 10, 29, 12);
  assert.is(new Date(sunday).getUTCDay(), 0);
  const { decide, clock } = engines(src, sunday);
  assert.is(decide({ agent: 'a', tool: 'deploy' }).effect, 'deny');
  clock.ms = Date.UTC(2026, 10, 30, 12);
  assert.is(decide({ agent: 'a', tool: 'deploy' }).effect, 'permit', 'Monday');
  const p = join(DIR, 'weekday.fms');
  writeFileSync(p, src);
  const x = cli('fmsc', ['explain-call', p, '--agent', 'a', '--tool', 'deploy', '--time', '2026-11-29T12:00:00Z', '--format', 'json']);
  assert.is(x.status, 0, x.stderr);
  assert.is(JSON.parse(x.stdout).decision.effect, 'deny');
  assert.equal(errors('agent a {\n  default permit\n  rules { deny deploy if time.weekday == 0 }\n}\n'), []);
  assert.ok(compile('agent a {\n  default permit\n  rules { deny deploy if time.weekday == 0 }\n}\n', FILE, {}).diagnostics.some((d) => d.code === 'FMS2013'), 'weekday 0 never happens');
});

test('class 9: accepted-but-unenforced blocks warn FMS2063 (errors under --strict); session limits and delegate ceilings are enforced (also via fms-run eval --delegation)', () => {
  const blocks = 'agent a {\n  default deny\n  spawn { }\n  alert { }\n  completion_gate { }\n  ambient { }\n  budget b { warn_at 0.5 }\n  selector s { on_unavailable = "deny" }\n}\n';
  const warned = compile(blocks, FILE, {}).diagnostics.filter((d) => d.code === 'FMS2063');
  assert.ok(warned.length >= 6, JSON.stringify(warned.map((d) => d.message)));
  const p = join(DIR, 'blocks.fms');
  writeFileSync(p, blocks);
  assert.is(cli('fmsc', ['check', p]).status, 0);
  assert.is(cli('fmsc', ['check', '--strict', p]).status, 1);

  const src = 'agent lead {\n  default deny\n  rules { permit stripe/refund }\n  session { max_calls = 2 }\n  delegate worker {\n    scope "stripe/refund:amount<=500"\n    ceiling inherited\n  }\n}\n\nagent worker {\n  default permit\n}\n';
  const { decide } = engines(src);
  assert.is(decide({ agent: 'lead', tool: 'stripe/refund', session: 's' }).effect, 'permit');
  assert.is(decide({ agent: 'lead', tool: 'stripe/refund', session: 's' }).effect, 'permit');
  assert.equal([decide({ agent: 'lead', tool: 'stripe/refund', session: 's' }).code, decide({ agent: 'lead', tool: 'stripe/refund', session: 's' }).rule_ref], ['SESSION_LIMIT', `${FILE}:4`]);
  assert.is(decide({ agent: 'worker', tool: 'stripe/refund', args: { amount: 400 }, delegation: { by: 'lead' } }).effect, 'permit');
  for (const call of [{ args: { amount: 600 } }, { args: { amount: '400' } }, { tool: 'shell', args: {} }]) {
    assert.is(decide({ agent: 'worker', tool: 'stripe/refund', ...call, delegation: { by: 'lead' } }).code, 'DELEGATION_DENIED', JSON.stringify(call));
  }
  const body = rawBody(src, 'delegation.fmsbody');
  const run = (del: string) => cli('fms-run', ['eval', body, '--insecure-unsigned', '--agent', 'worker', '--tool', 'stripe/refund', '--args', '{"amount":600}', '--delegation', del]);
  const e = run('{"by":"lead"}');
  assert.is(e.status, 0, e.stderr);
  assert.is(JSON.parse(e.stdout).code, 'DELEGATION_DENIED');
  for (const bad of ['{"by":"lead"', '[]', '"lead"']) assert.is(run(bad).status, 2, bad);
});

test('class 10: check and build agree — 3,000-term chains build, 2,000 parens / \\ud800 / 1,025 phases are check errors; deep args under redact deny without throwing or committing state', () => {
  for (const op of [' and ', ' or ']) {
    const { decide } = engines(`agent a {\n  default deny\n  rules { permit t if ${Array.from({ length: 3000 }, (_, i) => `args.x${i} == ${i}`).join(op)} }\n}\n`);
    assert.ok(['permit', 'deny'].includes(decide({ agent: 'a', tool: 't', args: { x0: 0 } }).effect));
  }
  assert.equal(errors(`agent a {\n  default deny\n  rules { permit t if ${'('.repeat(2000)}args.x == 1${')'.repeat(2000)} }\n}\n`), ['FMS1020']);
  assert.equal(errors('agent a {\n  default deny\n  rules { permit t if args.s == "\\ud800" }\n}\n'), ['FMS1021']);
  assert.equal(errors(`agent a {\n  default deny\n${Array.from({ length: 1025 }, (_, i) => `  phase p${i} { permit t }`).join('\n')}\n}\n`), ['FMS2041']);
  const { vm, decide } = engines('agent a {\n  default permit\n  rate_limit "t": 1 per hour\n  redact t args: ["a.b"]\n}\n');
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  const out = JSON.parse(decideJson(vm, '{"agent":"a","tool":"t","args":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '}'));
  assert.equal([out.effect, out.code], ['deny', 'INVALID_CALL']);
  assert.is(vm.decide({ agent: 'a', tool: 't', args: deep as { [k: string]: unknown } }).code, 'INVALID_CALL');
  assert.is(decide({ agent: 'a', tool: 't', args: { a: { b: 'secret' } } }).effect, 'permit', 'the refused calls took no token');
});

test('class 11: a default decision names the `default` line; an implicit default names the agent line', () => {
  const { decide } = engines('# c\nagent a {\n  rules { permit x }\n  default deny\n}\n\nagent b {\n  rules { permit x }\n}\n');
  assert.is(decide({ agent: 'a', tool: 'y' }).rule_ref, `${FILE}:4`);
  assert.is(decide({ agent: 'b', tool: 'y' }).rule_ref, `${FILE}:7`);
});

test('class 12: a pack renamed for another scope is refused where another name is expected (signed, and --insecure-unsigned)', () => {
  const src = join(DIR, 'named.fms');
  writeFileSync(src, 'agent "payments-bot" {\n  default permit\n}\n');
  const pack = join(DIR, 'dev.fmspack');
  const b = cli('fmsc', ['build', src, '--name', 'acme/dev', '-o', pack]);
  assert.is(b.status, 0, b.stderr);
  const trust = join(DIR, 'home', 'dev-trust.json');
  const args = ['eval', pack, '--trust', trust, '--agent', 'payments-bot', '--tool', 'x'];
  assert.is(cli('fms-run', args).status, 0);
  for (const [extra, env] of [[['--name', 'acme/payments'], {}], [[], { FMS_PACK_NAME: 'acme/payments' }]] as const) {
    const r = cli('fms-run', [...args, ...extra], env);
    assert.is(r.status, 3, r.stderr);
    assert.match(r.stderr, /this host expects `acme\/payments`/);
  }
  // fms-run exec takes --name too (it verifies before it reads the fence).
  const x = cli('fms-run', ['exec', pack, '--trust', trust, '--agent', 'payments-bot', '--name', 'acme/payments', '--dry-run']);
  assert.is(x.status, 3, x.stderr);
  assert.match(x.stderr, /this host expects `acme\/payments`/);
  // --insecure-unsigned no longer ignores the expected name.
  const u = cli('fms-run', ['eval', pack, '--insecure-unsigned', '--name', 'acme/payments', '--agent', 'payments-bot', '--tool', 'x']);
  assert.is(u.status, 3, u.stderr);
  assert.match(u.stderr, /this host expects `acme\/payments`/);
  assert.is(cli('fms-run', ['eval', pack, '--insecure-unsigned', '--name', 'acme/dev', '--agent', 'payments-bot', '--tool', 'x']).status, 0);
  const raw = rawBody('agent "payments-bot" {\n  default permit\n}\n', 'named.fmsbody');
  const r = cli('fms-run', ['eval', raw, '--insecure-unsigned', '--agent', 'payments-bot', '--tool', 'x'], { FMS_PACK_NAME: 'acme/payments' });
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /raw pack body cannot check the expected name/);
  assert.is(cli('fms-run', ['eval', pack, '--insecure-unsigned', '--deployment', 'prod', '--agent', 'payments-bot', '--tool', 'x']).status, 2);
});

test.run();
