import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interpreter, emitPackBody } from '@fms/compiler';
import type { Policy } from '@fms/compiler';
import { loadPackBody } from '../../../runtime/src/vm/loaded-pack';
import { decideJson } from '../../../runtime/src/decide';
import { ManualClock, MemoryState } from '../../../runtime/src/state/store';
import type { Call } from '../../../runtime/src/vm/types';
import { E, agent, budget, hosts, phase, policy, rateLimit, redact, rule } from '../../helpers/ir-builder';

const T0 = Date.UTC(2026, 4, 17, 10, 0, 0); // a Sunday, 10:00 UTC

function load(p: Policy, clock = new ManualClock(T0)) {
  let n = 0;
  const pack = loadPackBody(emitPackBody(p), { clock, state: new MemoryState({ approvalId: () => `apr-${++n}` }) });
  return { pack, clock };
}

const call = (tool: string, args: Record<string, unknown> = {}, extra: Partial<Call> = {}): Call => ({ agent: 'bot', tool, args, ...extra });

test('unknown agent is denied UNKNOWN_AGENT', () => {
  const { pack } = load(policy(agent('bot', [rule('permit', '*')])));
  const d = pack.decide({ agent: 'nobody', tool: 'x' });
  assert.is(d.effect, 'deny');
  assert.is(d.code, 'UNKNOWN_AGENT');
  assert.is(d.rule_ref, null);
});

test('first match wins, default applies, rule_ref is file:line', () => {
  const { pack } = load(
    policy(
      agent(
        'bot',
        [
          rule('deny', 'stripe/refund', { line: 10, when: E.cmp('>', E.args('amount'), E.lit(500)) }),
          rule('defer', 'stripe/refund', { line: 11, when: E.cmp('>', E.args('amount'), E.lit(100)) }),
          rule('permit', 'stripe/*', { line: 12 }),
        ],
        { default: 'deny', line: 3 },
      ),
    ),
  );
  let d = pack.decide(call('stripe/refund', { amount: 1000 }));
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'POLICY_DENY', 'governance.fms:10']);
  d = pack.decide(call('stripe/refund', { amount: 200 }));
  assert.equal([d.effect, d.code, d.rule_ref], ['defer', 'POLICY_DEFER', 'governance.fms:11']);
  assert.is(d.approval_id, 'apr-1');
  assert.equal(d.resolution, { type: 'pending_approval', approval_id: 'apr-1' });
  d = pack.decide(call('stripe/refund', { amount: 5 }));
  assert.equal([d.effect, d.code, d.rule_ref], ['permit', 'PERMIT', 'governance.fms:12']);
  // missing field: conditions error, do not match → falls to the glob permit
  d = pack.decide(call('stripe/refund', {}));
  assert.is(d.rule_ref, 'governance.fms:12');
  // `*` does not cross `/`
  d = pack.decide(call('stripe/a/b'));
  assert.equal([d.effect, d.rule_ref], ['deny', 'governance.fms:3']);
});

test('deny! wins whatever its position', () => {
  const { pack } = load(policy(agent('bot', [rule('permit', 'shell/*', { line: 5 }), rule('deny!', 'shell/exec', { line: 9, when: E.strop('contains', E.args('cmd'), E.lit('rm -rf')) })])));
  let d = pack.decide(call('shell/exec', { cmd: 'rm -rf /' }));
  assert.equal([d.effect, d.code, d.rule_ref, d.mandatory], ['deny', 'POLICY_DENY', 'governance.fms:9', true]);
  d = pack.decide(call('shell/exec', { cmd: 'ls' }));
  assert.equal([d.effect, d.rule_ref], ['permit', 'governance.fms:5']);
});

test('phases: out-of-phase tool, phase rules, moving on after duration and by the operator', () => {
  const clock = new ManualClock(T0);
  const { pack } = load(
    policy(
      agent('bot', [rule('permit', 'db/read', { line: 20, phase: 'init' }), rule('permit', 'db/write', { line: 21, phase: 'work' })], {
        phases: [phase('init', ['db/read'], { duration: 60, next: 'work', line: 30 }), phase('work', ['db/read', 'db/write'], { line: 31 })],
      }),
    ),
    clock,
  );
  let d = pack.decide(call('db/write', {}, { session: 's1' }));
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'OUT_OF_PHASE_TOOL_CALL', 'governance.fms:30']);
  d = pack.decide(call('db/read', {}, { session: 's1' }));
  assert.is(d.rule_ref, 'governance.fms:20');
  clock.advance(61_000);
  d = pack.decide(call('db/write', {}, { session: 's1' }));
  assert.equal([d.effect, d.rule_ref], ['permit', 'governance.fms:21']);
  // db/read is visible in `work` but its rule belongs to `init` → default deny
  d = pack.decide(call('db/read', {}, { session: 's1' }));
  assert.is(d.effect, 'deny');
  // another session starts in init; the operator moves it
  assert.is(pack.decide(call('db/write', {}, { session: 's2' })).code, 'OUT_OF_PHASE_TOOL_CALL');
  assert.ok(pack.setPhase('bot', 's2', 'work'));
  assert.is(pack.decide(call('db/write', {}, { session: 's2' })).effect, 'permit');
  // the agent's own request never moves it
  assert.is(pack.decide(call('db/write', { phase: 'work' }, { session: 's3' })).code, 'OUT_OF_PHASE_TOOL_CALL');
});

test('rate limit: token bucket with retry_after_seconds', () => {
  const clock = new ManualClock(T0);
  const { pack } = load(policy(agent('bot', [rule('permit', '*', { line: 2 })], { rateLimits: [rateLimit('stripe/*', 2, 'minute', 40)] })), clock);
  assert.is(pack.decide(call('stripe/charge')).effect, 'permit');
  assert.is(pack.decide(call('stripe/charge')).effect, 'permit');
  const d = pack.decide(call('stripe/charge'));
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'RATE_EXCEEDED', 'governance.fms:40']);
  assert.equal(d.resolution, { type: 'retry_after', retry_after_seconds: 30 });
  assert.is(pack.decide(call('other')).effect, 'permit');
  clock.advance(30_000);
  assert.is(pack.decide(call('stripe/charge')).effect, 'permit');
  assert.is(pack.decide(call('stripe/charge')).code, 'RATE_EXCEEDED');
});

test('budgets: max, warn_at, max_calls, on_exceed, per session', () => {
  const { pack } = load(
    policy(
      agent('bot', [rule('permit', '*', { line: 2 })], {
        budgets: [budget('session', { max: 10, warnAt: 0.8, line: 70 }), budget('calls', { maxCalls: 3, onExceed: 'defer', line: 71 })],
      }),
    ),
  );
  let d = pack.decide(call('llm', {}, { cost: 5, session: 'a' }));
  assert.equal([d.effect, d.warnings], ['permit', undefined]);
  d = pack.decide(call('llm', {}, { cost: 3.5, session: 'a' }));
  assert.is(d.effect, 'permit');
  assert.is(d.warnings?.[0]?.code, 'BUDGET_WARNING');
  d = pack.decide(call('llm', {}, { cost: 2, session: 'a' }));
  assert.equal([d.effect, d.code, d.rule_ref, d.budget_id], ['deny', 'BUDGET_EXCEEDED', 'governance.fms:70', 'session']);
  // other session has its own window; but `calls` is daily: 2 calls so far
  d = pack.decide(call('llm', {}, { cost: 1, session: 'b' }));
  assert.is(d.effect, 'permit');
  d = pack.decide(call('llm', {}, { cost: 1, session: 'b' }));
  assert.equal([d.effect, d.code, d.rule_ref], ['defer', 'BUDGET_EXCEEDED', 'governance.fms:71']);
  assert.ok(d.approval_id);
});

test('budgets: a call the budget defers spends nothing; a call a rule defers reserves its cost', () => {
  const { pack } = load(
    policy(
      agent('bot', [rule('defer', 'wire', { line: 3 }), rule('permit', '*', { line: 4 })], {
        budgets: [budget('daily', { max: 100, onExceed: 'defer', line: 72 })],
      }),
    ),
  );
  let d = pack.decide(call('llm', {}, { cost: 500 }));
  assert.equal([d.effect, d.code, d.rule_ref], ['defer', 'BUDGET_EXCEEDED', 'governance.fms:72']);
  // The deferred 500 was not spent: a small call still fits.
  d = pack.decide(call('llm', {}, { cost: 60 }));
  assert.equal([d.effect, d.code], ['permit', 'PERMIT']);
  // A rule's defer reserves its 30: 60 + 30 + 20 > 100.
  d = pack.decide(call('wire', {}, { cost: 30 }));
  assert.equal([d.effect, d.code], ['defer', 'POLICY_DEFER']);
  d = pack.decide(call('llm', {}, { cost: 20 }));
  assert.equal([d.effect, d.code], ['defer', 'BUDGET_EXCEEDED']);
  d = pack.decide(call('llm', {}, { cost: 10 }));
  assert.equal([d.effect, d.code], ['permit', 'PERMIT']);
});

test('egress: deny list wins, *.x.com matches subdomains', () => {
  const { pack } = load(policy(agent('bot', [rule('permit', 'http/*', { line: 2 })], { egress: hosts(['*.example.com', 'api.stripe.com'], ['evil.example.com'], 80) })));
  assert.is(pack.decide(call('http/get', { url: 'https://a.example.com/x' })).effect, 'permit');
  assert.is(pack.decide(call('http/get', { url: 'https://api.stripe.com/x' })).effect, 'permit');
  let d = pack.decide(call('http/get', { url: 'https://evil.example.com/x' }));
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'EGRESS_DENIED', 'governance.fms:80']);
  d = pack.decide(call('http/get', { host: 'example.com' }));
  assert.is(d.code, 'EGRESS_DENIED');
});

test('model_policy', () => {
  const { pack } = load(policy(agent('bot', [rule('permit', '*', { line: 2 })], { model: 'gpt-4o', modelPolicy: hosts(['gpt-4o', 'claude-*'], [], 85) })));
  assert.is(pack.decide(call('x')).effect, 'permit');
  assert.is(pack.decide(call('x', {}, { model: 'claude-3' })).effect, 'permit');
  const d = pack.decide(call('x', {}, { model: 'gpt-3.5-turbo' }));
  assert.equal([d.effect, d.code, d.rule_ref], ['deny', 'MODEL_DENIED', 'governance.fms:85']);
});

test('redaction masks listed paths', () => {
  const { pack } = load(policy(agent('bot', [rule('permit', '*')], { redactions: [redact('stripe/*', ['card_number', 'customer.email'])] })));
  const d = pack.decide(call('stripe/refund', { amount: 3, card_number: '4242', customer: { email: 'a@b', id: 1 } }));
  assert.equal(d.redacted_args, { amount: 3, card_number: '[REDACTED]', customer: { email: '[REDACTED]', id: 1 } });
  assert.is(pack.decide(call('other', { card_number: '1' })).redacted_args, undefined);
});

test('redacted_args keeps the caller\'s key order (both engines, the JSON text, the log copy)', () => {
  const p = policy(agent('bot', [rule('permit', '*')], { redactions: [redact('stripe/*', ['card.number'])] }));
  const { pack } = load(p);
  const ip = new Interpreter(p, { clock: new ManualClock(T0), state: new MemoryState({ approvalId: () => 'apr-1' }) });
  // Keys in an order no sorting gives, a nested object, a list of objects, and an own `__proto__` key in the middle.
  const args = JSON.parse('{"zeta":1,"card":{"number":"4242","exp":"12/30","cvv":"1"},"alpha":[{"b":1,"a":2}],"__proto__":{"x":1},"mid":"m"}');
  const want = '{"zeta":1,"card":{"number":"[REDACTED]","exp":"12/30","cvv":"1"},"alpha":[{"b":1,"a":2}],"__proto__":{"x":1},"mid":"m"}';
  const c = call('stripe/refund', args);
  assert.is(JSON.stringify(pack.decide(c).redacted_args), want);
  assert.is(JSON.stringify(ip.decide(c).redacted_args), want);
  assert.is(JSON.stringify(JSON.parse(decideJson(pack, JSON.stringify(c))).redacted_args), want);
  assert.is(JSON.stringify(pack.recordedArgs(c)), want);
  // The copy is not the caller's object, and `__proto__` stayed a key (no prototype was set).
  const r = pack.decide(c).redacted_args!;
  assert.is.not(r, args);
  assert.is(Object.getPrototypeOf(r), Object.prototype);
});

test('conditions: matches (RE2, linear), in, not in, network selectors, principal, time', () => {
  const { pack, clock } = load(
    policy(
      agent('bot', [
        rule('deny', 'shell/exec', { line: 2, when: E.matches(E.args('cmd'), '(a+)+$') }),
        rule('permit', 'mail/send', { line: 3, when: E.and(E.in(E.args('currency'), E.lit(['usd', 'eur'])), E.in(E.v('principal', 'role'), E.lit(['admin']), true)) }),
        rule('permit', 'api/*', { line: 4, network: { method: 'POST', path: '/v1/*', host: '*.acme.io' } }),
        rule('permit', 'clock', { line: 5, when: E.cmp('==', E.v('time', 'hour'), E.lit(10)) }),
      ]),
    ),
  );
  const t = performance.now();
  const d = pack.decide(call('shell/exec', { cmd: 'a'.repeat(20000) + '!' }));
  assert.ok(performance.now() - t < 500);
  assert.is(d.rule_ref, 'governance.fms:1');
  assert.is(pack.decide(call('shell/exec', { cmd: 'aaa' })).rule_ref, 'governance.fms:2');
  assert.is(pack.decide(call('mail/send', { currency: 'usd' }, { principal: { role: 'user' } })).effect, 'permit');
  assert.is(pack.decide(call('mail/send', { currency: 'usd' }, { principal: { role: 'admin' } })).effect, 'deny');
  assert.is(pack.decide(call('mail/send', { currency: 'usd' })).effect, 'deny'); // principal missing → error
  // principal.groups is a list of strings; anything else is refused before any rule runs.
  const bad = pack.decide(call('mail/send', { currency: 'usd' }, { principal: { role: 'user', groups: 'devops' } }));
  assert.equal([bad.effect, bad.code, bad.human_message], ['deny', 'INVALID_CALL', 'denied: call.principal.groups must be a list of strings']);
  assert.is(pack.decide(call('mail/send', { currency: 'usd' }, { principal: { role: 'user', groups: ['devops'] } })).effect, 'permit');
  assert.is(pack.decide(call('api/x', { url: 'https://x.acme.io/v1/pay', method: 'post' })).effect, 'permit');
  assert.is(pack.decide(call('api/x', { url: 'https://x.acme.io/v1/a/b', method: 'post' })).effect, 'deny');
  assert.is(pack.decide(call('api/x', { url: 'https://acme.io/v1/pay', method: 'post' })).effect, 'deny');
  assert.is(pack.decide(call('clock')).effect, 'permit');
  clock.advance(3600_000);
  assert.is(pack.decide(call('clock')).effect, 'deny');
});

test('history functions and session aggregates', () => {
  const clock = new ManualClock(T0);
  const { pack } = load(
    policy(
      agent('bot', [
        rule('deny', 'mail/send', { line: 2, when: E.call('history_contains_within', E.lit('secrets/read'), E.lit(60)) }),
        rule('deny', 'stripe/refund', { line: 3, when: E.cmp('>', E.call('session_sum', E.lit('stripe/refund'), E.lit('amount'), E.lit(3600)), E.lit(100)) }),
        rule('permit', '*', { line: 4 }),
      ]),
    ),
    clock,
  );
  assert.is(pack.decide(call('mail/send', {}, { session: 's' })).effect, 'permit');
  pack.decide(call('secrets/read', {}, { session: 's' }));
  assert.is(pack.decide(call('mail/send', {}, { session: 's' })).rule_ref, 'governance.fms:2');
  assert.is(pack.decide(call('mail/send', {}, { session: 'other' })).effect, 'permit');
  clock.advance(61_000);
  assert.is(pack.decide(call('mail/send', {}, { session: 's' })).effect, 'permit');
  pack.decide(call('stripe/refund', { amount: 80 }, { session: 's' }));
  pack.decide(call('stripe/refund', { amount: 30 }, { session: 's' }));
  assert.is(pack.decide(call('stripe/refund', { amount: 1 }, { session: 's' })).rule_ref, 'governance.fms:3');
});

test('malformed calls are denied, never thrown', () => {
  const { pack } = load(policy(agent('bot', [rule('permit', '*')])));
  for (const c of [null, 1, {}, { agent: 'bot' }, { agent: 'bot', tool: 1 }, { agent: 'bot', tool: 'x', cost: -1 }, { agent: 'bot', tool: 'x', args: [] }]) {
    const d = pack.decide(c as unknown as Call);
    assert.is(d.effect, 'deny');
  }
  // prototype keys are not fields
  const { pack: p2 } = load(policy(agent('bot', [rule('permit', '*', { when: E.cmp('!=', E.args('constructor'), E.lit(null)) })])));
  assert.is(p2.decide(call('x', {})).effect, 'deny');
});

test('explain shows rules tried, values and missing fields without changing state', () => {
  const { pack } = load(
    policy(agent('bot', [rule('permit', 'stripe/refund', { line: 7, when: E.cmp('<', E.args('amount'), E.lit(100)) })], { rateLimits: [rateLimit('*', 1, 'hour')] })),
  );
  const x = pack.explain(call('stripe/refund', {}));
  const r = x.events.find((e) => e.kind === 'rule');
  assert.ok(r && r.kind === 'rule' && r.result === 'unknown' && r.missing.includes('args.amount'));
  const x2 = pack.explain(call('stripe/refund', { amount: 5 }));
  assert.is(x2.decision.effect, 'permit');
  assert.ok(x2.events.some((e) => e.kind === 'rate_limit'));
  // explain did not consume the only token
  assert.is(pack.decide(call('stripe/refund', { amount: 5 })).effect, 'permit');
  assert.is(pack.decide(call('stripe/refund', { amount: 5 })).code, 'RATE_EXCEEDED');
});

test.run();
