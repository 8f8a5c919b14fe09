/**
 * Issue 9, class 9: `session {}` limits and `delegate {}` grants are enforced
 * (they used to check clean and vanish from the pack). Policies are compiled
 * from FPL source, emitted, loaded and decided, as in production.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '@fms/compiler';
import { emitPackBody } from '@fms/compiler';
import { readBody } from '../../../runtime/src/pack/body-reader';
import { writeBody } from '../../../runtime/src/pack/body-writer';
import { ManualClock, MemoryState } from '../../../runtime/src/state/store';
import { loadPackBody } from '../../../runtime/src/vm/loaded-pack';
import type { Call } from '../../../runtime/src/vm/types';

const T0 = Date.UTC(2026, 4, 18, 10, 0, 0);

function build(src: string) {
  const r = compile(src, 'governance.fms', { env: {} });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.map((e) => `${e.code} ${e.message}`), []);
  const clock = new ManualClock(T0);
  const body = emitPackBody(r.ir!);
  return { pack: loadPackBody(body, { clock, state: new MemoryState() }), clock, body, diagnostics: r.diagnostics };
}

const SESSION = `agent "bot" {
  default deny
  rules {
    permit read
    permit pay
    deny   shell
  }
  session {
    max_calls    = 3
    max_duration = "30m"
    idle_timeout = "5m"
    max_cost     = $10
  }
}
`;

test('session max_calls: the 4th permitted call of a session is SESSION_LIMIT with the session rule_ref; other sessions are fresh', () => {
  const { pack } = build(SESSION);
  const c = (extra: Partial<Call> = {}): Call => ({ agent: 'bot', tool: 'read', session: 's1', ...extra });
  for (let i = 0; i < 3; i++) assert.is(pack.decide(c()).effect, 'permit', `call ${i + 1}`);
  const d = pack.decide(c());
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'SESSION_LIMIT', 'governance.fms:8']);
  assert.match(d.human_message, /session call limit \(3\)/);
  // denied calls count toward nothing; another session is fresh
  assert.is(pack.decide(c({ tool: 'shell' })).code, 'POLICY_DENY');
  assert.is(pack.decide(c({ session: 's2' })).effect, 'permit');
  // explain does not consume
  const { pack: p2 } = build(SESSION);
  for (let i = 0; i < 10; i++) p2.explain(c());
  assert.is(p2.decide(c()).effect, 'permit');
  const x = p2.explain(c());
  assert.ok(x.events.some((e) => e.kind === 'session_limit' && e.ok));
});

test('session max_duration and idle_timeout run on the runtime clock from the first call', () => {
  const { pack, clock } = build(SESSION);
  const c: Call = { agent: 'bot', tool: 'read', session: 'dur' };
  assert.is(pack.decide(c).effect, 'permit');
  clock.advance(4 * 60_000);
  assert.is(pack.decide(c).effect, 'permit');
  clock.advance(5 * 60_000 + 1); // idle for more than 5m
  const d = pack.decide(c);
  assert.equal([d.effect, d.code], ['deny', 'SESSION_LIMIT']);
  assert.match(d.human_message, /idle_timeout/);
  // max_duration: calls every 4 minutes, the session ends after 30m
  const { pack: p, clock: k } = build(SESSION.replace('max_calls    = 3', 'max_calls    = 100'));
  const s: Call = { agent: 'bot', tool: 'read', session: 'long' };
  assert.is(p.decide(s).effect, 'permit');
  let last = p.decide(s);
  for (let i = 0; i < 8; i++) {
    k.advance(4 * 60_000);
    last = p.decide(s);
  }
  assert.equal([last.effect, last.code], ['deny', 'SESSION_LIMIT']);
  assert.match(last.human_message, /max_duration/);
});

test('session max_cost adds the reported cost of the calls that passed', () => {
  const { pack } = build(SESSION);
  const c = (cost: number): Call => ({ agent: 'bot', tool: 'pay', session: 'cost', cost });
  assert.is(pack.decide(c(6)).effect, 'permit');
  const d = pack.decide(c(5));
  assert.equal([d.effect, d.code], ['deny', 'SESSION_LIMIT']);
  assert.is(pack.decide(c(4)).effect, 'permit');
});

const DELEGATE = `agent "lead" {
  default deny
  rules {
    permit stripe/refund if amount <= 1000
    defer  search/*
    deny   shell
  }
  delegate worker {
    scope     "stripe/refund:amount<=500"
    ttl       1h
    ceiling   inherited
    max_depth 2
  }
  delegate {
    target_agent = "reader"
    scope        = "search/*"
    ceiling      = "permit"
  }
}

agent "worker" {
  default permit
}

agent "reader" {
  default permit
}

agent "capped" {
  default permit
}
`;

test('delegate: scope, bound, max_depth, ttl, grant targets (DELEGATION_DENIED with the grant rule_ref)', () => {
  const { pack, clock } = build(DELEGATE);
  const w = (tool: string, args: Record<string, unknown>, delegation?: Call['delegation'], session = 's'): Call => ({ agent: 'worker', tool, args, session, ...(delegation ? { delegation } : {}) });
  const by = { by: 'lead' };
  assert.is(pack.decide(w('stripe/refund', { amount: 400 }, by)).effect, 'permit');
  let d = pack.decide(w('stripe/refund', { amount: 600 }, by));
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'DELEGATION_DENIED', 'governance.fms:8']);
  for (const args of [{}, { amount: '400' }, { amount: [400] }, { amount: null }]) assert.is(pack.decide(w('stripe/refund', args, by)).code, 'DELEGATION_DENIED', JSON.stringify(args));
  d = pack.decide(w('shell/run', {}, by));
  assert.is(d.code, 'DELEGATION_DENIED');
  assert.match(d.human_message, /outside the delegated scope/);
  assert.is(pack.decide(w('stripe/refund', { amount: 1 }, { by: 'lead', depth: 3 })).code, 'DELEGATION_DENIED');
  assert.is(pack.decide(w('stripe/refund', { amount: 1 }, { by: 'lead', depth: 2 })).effect, 'permit');
  // the agent acting on its own is not narrowed (it never claimed the delegation)
  assert.is(pack.decide(w('shell/run', {})).effect, 'permit');
  // a delegator that granted nothing, an unknown delegator, a malformed claim
  for (const bad of [{ by: 'reader' }, { by: 'nobody' }, { by: '' }, { by: 'lead', depth: 0 }, { by: 'lead', depth: 1.5 }, { by: 'toString' }, { by: '__proto__' }] as Call['delegation'][]) {
    assert.is(pack.decide(w('stripe/refund', { amount: 1 }, bad)).code, 'DELEGATION_DENIED', JSON.stringify(bad));
  }
  assert.is(pack.decide({ agent: 'capped', tool: 'search/web', delegation: { by: 'lead' } }).code, 'DELEGATION_DENIED');
  // a grant without a label goes to its target_agent
  assert.is(pack.decide({ agent: 'reader', tool: 'search/web', delegation: { by: 'lead' } }).effect, 'permit');
  assert.is(pack.decide({ agent: 'reader', tool: 'fs/write', delegation: { by: 'lead' } }).code, 'DELEGATION_DENIED');
  // ttl: one hour from the first delegated call of the session, on the runtime clock
  clock.advance(3600_000 + 1);
  d = pack.decide(w('stripe/refund', { amount: 1 }, by));
  assert.equal([d.code, d.effect], ['DELEGATION_DENIED', 'deny']);
  assert.match(d.human_message, /expired/);
  assert.is(pack.decide(w('stripe/refund', { amount: 1 }, by, 'fresh')).effect, 'permit');
});

test('delegate ceiling: inherited caps at what the delegator gets; defer and deny cap every permit', () => {
  const { pack } = build(DELEGATE.replace('scope     "stripe/refund:amount<=500"', 'scope     "*"'));
  const w = (tool: string, args: Record<string, unknown> = {}): Call => ({ agent: 'worker', tool, args, delegation: { by: 'lead' } });
  assert.is(pack.decide(w('stripe/refund', { amount: 900 })).effect, 'permit');
  // the lead itself would be denied: so is the worker under its delegation
  let d = pack.decide(w('stripe/refund', { amount: 2000 }));
  assert.equal([d.effect, d.code], ['deny', 'DELEGATION_DENIED']);
  assert.is(pack.decide(w('shell')).code, 'DELEGATION_DENIED');
  // the lead would need approval: the worker's permit becomes a defer
  d = pack.decide(w('search/web'));
  assert.equal([d.effect, d.code], ['defer', 'POLICY_DEFER']);
  assert.ok(d.approval_id);
  const capped = (c: string) => build(DELEGATE.replace('ceiling   inherited', `ceiling   ${c}`).replace('scope     "stripe/refund:amount<=500"', 'scope     "*"')).pack;
  assert.is(capped('defer').decide(w('stripe/refund', { amount: 1 })).effect, 'defer');
  assert.is(capped('deny').decide(w('stripe/refund', { amount: 1 })).code, 'DELEGATION_DENIED');
  assert.is(capped('permit').decide(w('stripe/refund', { amount: 5000 })).effect, 'permit');
});

test('pack format: the new sections round-trip, are omitted when unused, and are bounds-checked', () => {
  const { body } = build(DELEGATE + SESSION.replace('agent "bot"', 'agent "bot2"'));
  const m = readBody(body);
  assert.is(m.sessionLimits!.length, 1);
  assert.is(m.delegations!.length, 2);
  assert.equal(writeBody(m), body);
  const plain = build('agent "bot" {\n  default deny\n  rules { permit x }\n}\n').body;
  const pm = readBody(plain);
  assert.is(pm.sessionLimits, undefined);
  assert.is(pm.delegations, undefined);
  // a record pointing past the agent table, or an invalid ceiling, is refused
  const bad1 = { ...m, delegations: [{ ...m.delegations![0]!, agent: 99 }, m.delegations![1]!] };
  assert.throws(() => readBody(writeBody(bad1)), /delegations: agent index/);
  const bad2 = { ...m, sessionLimits: [{ ...m.sessionLimits![0]!, maxCalls: 0 }] };
  assert.throws(() => readBody(writeBody(bad2)), /max_calls/);
  const bad3 = { ...m, delegations: [{ ...m.delegations![0]!, ceiling: 9 }, m.delegations![1]!] };
  assert.throws(() => readBody(writeBody(bad3)), /ceiling/);
});

test('pack format: every single-byte change of a pack with both sections is refused or harmless, never a crash', () => {
  const { body } = build(DELEGATE + SESSION.replace('agent "bot"', 'agent "bot2"'));
  const probes: Call[] = [
    { agent: 'worker', tool: 'stripe/refund', args: { amount: 1 }, delegation: { by: 'lead' } },
    { agent: 'worker', tool: 'stripe/refund', args: { amount: 1 }, delegation: { by: 'lead', depth: 5 } },
    { agent: 'bot2', tool: 'read', session: 's' },
  ];
  let refused = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body.slice();
    b[i] = b[i]! ^ 0xff;
    let p;
    try {
      p = loadPackBody(b, { checksums: false, clock: new ManualClock(T0) });
    } catch (e) {
      assert.ok(e instanceof Error && e.name === 'PackError', `byte ${i}: ${String(e)}`);
      refused++;
      continue;
    }
    for (const c of probes) {
      const d = p.decide(c);
      assert.ok(d.effect === 'permit' || d.effect === 'deny' || d.effect === 'defer', `byte ${i}`);
    }
  }
  assert.ok(refused > body.length / 2, `${refused} of ${body.length} refused`);
});

test('compile: enforced blocks are quiet; unenforceable parts warn (FMS2063); bad values are errors', () => {
  const quiet = compile(DELEGATE, 'governance.fms', { env: {} });
  assert.equal(quiet.diagnostics.map((d) => d.code), []);
  const loud = compile('agent "a" {\n  default deny\n  delegate b {\n    scope = "read-only"\n    inherits = ["budget.daily"]\n  }\n}\nagent "b" { default deny }\n', 'governance.fms', { env: {} });
  assert.equal(loud.diagnostics.map((d) => `${d.code} ${d.severity}`), ['FMS2063 warning', 'FMS2063 warning']);
  for (const bad of ['max_calls = 0', 'max_calls = 1.5', 'max_duration = "0s"', 'max_cost = "x"']) {
    const r = compile(`agent "a" {\n  default deny\n  session {\n    ${bad}\n  }\n}\n`, 'governance.fms', { env: {} });
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && d.code === 'FMS2027'), bad);
  }
  const ceil = compile('agent "a" {\n  default deny\n  delegate b { ceiling = "toString" }\n}\nagent "b" { default deny }\n', 'governance.fms', { env: {} });
  assert.ok(ceil.diagnostics.some((d) => d.code === 'FMS2064'));
});

test.run();
