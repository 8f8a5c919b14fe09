/**
 * Issue 9 ("no policy fails open"), decision semantics: each test compiles real
 * FPL source, builds the pack body and decides calls; each one failed on the
 * code before the fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '@fms/compiler';
import { emitPackBody } from '@fms/compiler';
import { Interpreter } from '@fms/compiler';
import { decideJson } from '../../../runtime/src/decide';
import { renderExplanation } from '../../../runtime/src/cli/commands/explain';
import { sessionKey } from '../../../runtime/src/vm/pipeline';
import { ManualClock, MemoryState } from '../../../runtime/src/state/store';
import { type LoadedPack, loadPackBody } from '../../../runtime/src/vm/loaded-pack';
import type { Call, Decision } from '../../../runtime/src/vm/types';

const T0 = Date.UTC(2026, 4, 17, 10, 0, 0); // Sunday 2026-05-17, 10:00 UTC

/** Compiles FPL source (no errors allowed) and loads it twice: the pack and the reference interpreter, sharing one clock. */
export function build(src: string, clock = new ManualClock(T0)): { pack: LoadedPack; ref: Interpreter; clock: ManualClock; both: (c: unknown) => Decision } {
  const r = compile(src, 'governance.fms');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.map((d) => `${d.code} ${d.message}`), []);
  let n = 0;
  const pack = loadPackBody(emitPackBody(r.ir!), { clock, state: new MemoryState({ approvalId: () => `apr-${++n}` }) });
  let m = 0;
  const ref = new Interpreter(r.ir!, { clock, state: new MemoryState({ approvalId: () => `apr-${++m}` }) });
  const both = (c: unknown): Decision => {
    const a = pack.decide(c as Call);
    const b = ref.decide(c as Call);
    assert.equal([b.effect, b.code, b.rule_ref], [a.effect, a.code, a.rule_ref], `engines disagree on ${JSON.stringify(c)}`);
    return a;
  };
  return { pack, ref, clock, both };
}

const brief = (d: Decision): [string, string, string | null] => [d.effect, d.code, d.rule_ref];

// ---- class 3: the caller controls the clock ----

test('clock: a call that carries `time` is refused (INVALID_CALL naming the field), in decide, decideJson and explain', () => {
  const { pack, ref } = build('agent bot {\n  default permit\n  rate_limit "pay/*": 1 per hour\n}\n');
  const c = { agent: 'bot', tool: 'pay/x', args: {}, time: T0 + 86400_000 };
  for (const d of [pack.decide(c as Call), ref.decide(c as Call), pack.explain(c as Call).decision, JSON.parse(decideJson(pack, JSON.stringify(c))) as Decision]) {
    assert.equal([d.effect, d.code], ['deny', 'INVALID_CALL']);
    assert.match(d.human_message, /call\.time/);
  }
  // Also a non-number time, or null: the field itself is refused.
  assert.is(JSON.parse(decideJson(pack, '{"agent":"bot","tool":"pay/x","time":null}')).code, 'INVALID_CALL');
});

test('clock: an agent cannot reset its own rate limit or budget, or move its own phase', () => {
  const src = `agent bot {
  default permit
  rate_limit "pay/*": 1 per hour
  budget daily { max_calls 2  on_exceed deny }
  phase intake { tools [read, pay/x] duration 1h next work }
  phase work { tools [read, pay/x, deploy] }
}
`;
  const { pack, clock, both } = build(src);
  assert.equal(brief(both({ agent: 'bot', tool: 'pay/x', args: {} })).slice(0, 2), ['permit', 'PERMIT']);
  // A forged time is refused; the bucket stays empty on the runtime's clock.
  assert.is(both({ agent: 'bot', tool: 'pay/x', args: {}, time: T0 + 7200_000 }).code, 'INVALID_CALL');
  assert.is(both({ agent: 'bot', tool: 'pay/x', args: {} }).code, 'RATE_EXCEEDED');
  assert.is(both({ agent: 'bot', tool: 'deploy', args: {}, time: T0 + 7200_000 }).code, 'INVALID_CALL');
  assert.is(both({ agent: 'bot', tool: 'deploy', args: {} }).code, 'OUT_OF_PHASE_TOOL_CALL');
  // The runtime's clock moves the phase and refills the bucket.
  clock.advance(3600_000 + 1);
  assert.is(both({ agent: 'bot', tool: 'deploy', args: {} }).code, 'PERMIT');
  assert.is(pack.decide({ agent: 'bot', tool: 'pay/x', args: {} }).code, 'BUDGET_EXCEEDED');
});

test('clock: a clock that gives no valid time denies (POLICY_EVAL_ERROR), never throws', () => {
  const r = compile('agent bot {\n  default permit\n}\n');
  for (const now of [NaN, Infinity, () => { throw new Error('clock down'); }]) {
    const pack = loadPackBody(emitPackBody(r.ir!), { clock: { now: typeof now === 'function' ? now : () => now } });
    const d = pack.decide({ agent: 'bot', tool: 'x' });
    assert.equal([d.effect, d.code], ['deny', 'POLICY_EVAL_ERROR']);
  }
  // The clock is read only when the decision can depend on it (issue 15): in a pack that never reads time.*
  // or the history, a deny stays a deny and a permit reads the clock for its limits and fails closed; in a
  // pack that reads time.*, every decision reads it first.
  const noTime = compile('agent bot {\n  default deny\n  rules {\n    permit any\n    deny no\n  }\n}\n');
  const withTime = compile('agent bot {\n  default deny\n  rules {\n    permit day if time.hour < 30\n    deny no\n  }\n}\n');
  for (const now of [NaN, -Infinity, () => { throw new Error('clock down'); }]) {
    const clock = { now: typeof now === 'function' ? now : () => now };
    const a = loadPackBody(emitPackBody(noTime.ir!), { clock });
    assert.equal(brief(a.decide({ agent: 'bot', tool: 'no' })).slice(0, 2), ['deny', 'POLICY_DENY']);
    assert.equal(brief(a.decide({ agent: 'bot', tool: 'other' })).slice(0, 2), ['deny', 'POLICY_DENY']);
    assert.equal(brief(a.decide({ agent: 'bot', tool: 'any' })).slice(0, 2), ['deny', 'POLICY_EVAL_ERROR']);
    const b = loadPackBody(emitPackBody(withTime.ir!), { clock });
    for (const tool of ['no', 'other', 'day']) assert.equal(brief(b.decide({ agent: 'bot', tool })).slice(0, 2), ['deny', 'POLICY_EVAL_ERROR'], tool);
  }
});

// ---- class 5: purpose("x") reads args.purpose ----

test('purpose("x") is true iff args.purpose == "x"; a call without purpose hits `deny … when not purpose(…)`', () => {
  const { both } = build(`agent bot {
  default deny
  rules {
    deny read_customer when not purpose("refund_processing") reason: "purpose required"
    permit read_customer
  }
}
`);
  assert.equal(brief(both({ agent: 'bot', tool: 'read_customer', args: {} })), ['deny', 'POLICY_DENY', 'governance.fms:4']);
  assert.equal(brief(both({ agent: 'bot', tool: 'read_customer', args: { purpose: 'marketing' } })), ['deny', 'POLICY_DENY', 'governance.fms:4']);
  assert.equal(brief(both({ agent: 'bot', tool: 'read_customer', args: { purpose: ['refund_processing'] } })), ['deny', 'POLICY_DENY', 'governance.fms:4']);
  assert.equal(brief(both({ agent: 'bot', tool: 'read_customer', args: { purpose: 'refund_processing' } })), ['permit', 'PERMIT', 'governance.fms:5']);
  // A top-level `purpose` field is not what the production engine reads.
  assert.equal(brief(both({ agent: 'bot', tool: 'read_customer', args: {}, purpose: 'refund_processing' })), ['deny', 'POLICY_DENY', 'governance.fms:4']);
});

// ---- class 7: an unknown model is denied when a model_policy exists ----

test('model_policy: no model named by the call or the agent is MODEL_DENIED', () => {
  const { both } = build(`agent bot {
  default permit
  model_policy { allow = ["gpt-4o"] }
}
`);
  assert.equal(brief(both({ agent: 'bot', tool: 'x' })).slice(0, 2), ['deny', 'MODEL_DENIED']);
  assert.equal(brief(both({ agent: 'bot', tool: 'x', model: 'gpt-4o' })).slice(0, 2), ['permit', 'PERMIT']);
  assert.equal(brief(both({ agent: 'bot', tool: 'x', model: 'gpt-5' })).slice(0, 2), ['deny', 'MODEL_DENIED']);
  // A deny-only policy also refuses an unknown model.
  const d = build(`agent bot {\n  default permit\n  model_policy { deny = ["gpt-3.5"] }\n}\n`).both({ agent: 'bot', tool: 'x' });
  assert.equal(brief(d).slice(0, 2), ['deny', 'MODEL_DENIED']);
});

// ---- class 8: time.weekday is ISO ----

test('time.weekday is ISO 8601: 1 = Monday … 7 = Sunday; `>= 6` covers the weekend', () => {
  const clock = new ManualClock(T0); // Sunday
  const { both } = build('agent bot {\n  default permit\n  rules { deny deploy if time.weekday >= 6 }\n}\n', clock);
  assert.equal(brief(both({ agent: 'bot', tool: 'deploy' })).slice(0, 2), ['deny', 'POLICY_DENY']);
  clock.advance(-86400_000); // Saturday
  assert.is(both({ agent: 'bot', tool: 'deploy' }).effect, 'deny');
  clock.advance(2 * 86400_000); // Monday
  assert.is(both({ agent: 'bot', tool: 'deploy' }).effect, 'permit');
});

test('time.weekday: the never-true check follows ISO ranges (0 is out of range, 7 is Sunday)', () => {
  const warns = (src: string) => compile(src).diagnostics.filter((d) => d.code === 'FMS2013').length;
  assert.is(warns('agent bot {\n  default permit\n  rules { deny deploy if time.weekday == 7 }\n}\n'), 0);
  assert.is(warns('agent bot {\n  default permit\n  rules { deny deploy if time.weekday == 0 }\n}\n'), 1);
});

// ---- class 4: type confusion must not skip a conditional deny ----

test('type confusion: a list where a string is compared denies with POLICY_EVAL_ERROR naming the field and the deny! rule', () => {
  const { pack, both } = build(`agent bot {
  default deny
  rules {
    deny! fs/write if args.path startsWith "/etc"
    permit fs/write
  }
}
`);
  const d = both({ agent: 'bot', tool: 'fs/write', args: { path: ['/etc/passwd'] } });
  assert.equal(brief(d), ['deny', 'POLICY_EVAL_ERROR', 'governance.fms:4']);
  assert.match(d.human_message, /args\.path/);
  assert.match(d.human_message, /governance\.fms:4/);
  assert.equal(brief(both({ agent: 'bot', tool: 'fs/write', args: { path: '/etc/passwd' } })), ['deny', 'POLICY_DENY', 'governance.fms:4']);
  // Missing keeps the documented meaning: unknown, the deny does not match.
  assert.equal(brief(both({ agent: 'bot', tool: 'fs/write', args: {} })), ['permit', 'PERMIT', 'governance.fms:5']);
  assert.equal(brief(both({ agent: 'bot', tool: 'fs/write', args: { path: '/tmp/x' } })), ['permit', 'PERMIT', 'governance.fms:5']);
  // explain names the mistyped field.
  const x = pack.explain({ agent: 'bot', tool: 'fs/write', args: { path: ['/etc/passwd'] } });
  const r = x.events.find((e) => e.kind === 'rule');
  assert.ok(r && r.kind === 'rule');
  assert.is(r.result, 'type-error');
  assert.is(r.type_error?.field, 'args.path');
  assert.match(renderExplanation(x), /type error: args\.path: args\.path has the wrong type for startsWith \(list and string\)/);
});

test('type confusion: a string amount does not skip `deny pay if amount > 1000`; a path through a non-object is a type error', () => {
  const { both } = build(`agent bot {
  default permit
  rules {
    deny pay if amount > 1000
    deny admin/* if args.user.role == "root"
    deny geo if args.country in ["KP", "IR"]
    deny shell if args_array_any_match("cmds", "rm -rf")
  }
}
`);
  assert.equal(brief(both({ agent: 'bot', tool: 'pay', args: { amount: '5000' } })), ['deny', 'POLICY_EVAL_ERROR', 'governance.fms:4']);
  assert.equal(brief(both({ agent: 'bot', tool: 'pay', args: { amount: 5000 } })), ['deny', 'POLICY_DENY', 'governance.fms:4']);
  assert.equal(brief(both({ agent: 'bot', tool: 'pay', args: { amount: 5 } })).slice(0, 2), ['permit', 'PERMIT']);
  assert.equal(brief(both({ agent: 'bot', tool: 'pay', args: {} })).slice(0, 2), ['permit', 'PERMIT']);
  assert.is(both({ agent: 'bot', tool: 'admin/x', args: { user: 'root' } }).code, 'POLICY_EVAL_ERROR');
  assert.is(both({ agent: 'bot', tool: 'admin/x', args: { user: { role: 'root' } } }).code, 'POLICY_DENY');
  assert.is(both({ agent: 'bot', tool: 'admin/x', args: { user: null } }).code, 'PERMIT');
  assert.is(both({ agent: 'bot', tool: 'geo', args: { country: ['KP'] } }).code, 'POLICY_EVAL_ERROR');
  assert.is(both({ agent: 'bot', tool: 'geo', args: { country: 5 } }).code, 'POLICY_EVAL_ERROR');
  assert.is(both({ agent: 'bot', tool: 'geo', args: { country: 'KP' } }).code, 'POLICY_DENY');
  assert.is(both({ agent: 'bot', tool: 'shell', args: { cmds: [['rm -rf /']] } }).code, 'POLICY_EVAL_ERROR');
  assert.is(both({ agent: 'bot', tool: 'shell', args: { cmds: ['ls', 'rm -rf /'] } }).code, 'POLICY_DENY');
  // Prototype names are fields like any other: absent unless the call carries them.
  assert.is(both({ agent: 'bot', tool: 'admin/x', args: JSON.parse('{"user":{"__proto__":{"role":"root"}}}') }).code, 'PERMIT');
  assert.is(both({ agent: 'bot', tool: 'pay', args: { constructor: 1, toString: 'x' } }).code, 'PERMIT');
});

test('three-valued logic: A or B equals B or A; unknown and false is false; not unknown is unknown', () => {
  const { both } = build(`agent bot {
  default deny
  rules {
    deny ab if args.a == 1 or args.b == 2
    deny ba if args.b == 2 or args.a == 1
    permit nand if not (args.a == 1 and args.b == 2)
    permit neg if not (args.a == 1)
    permit ab
    permit ba
  }
}
`);
  for (const tool of ['ab', 'ba']) {
    assert.is(both({ agent: 'bot', tool, args: { b: 2 } }).code, 'POLICY_DENY', `${tool}: unknown or true`);
    assert.is(both({ agent: 'bot', tool, args: { b: 3 } }).code, 'PERMIT', `${tool}: unknown or false`);
    assert.is(both({ agent: 'bot', tool, args: { a: '1', b: 2 } }).code, 'POLICY_EVAL_ERROR', `${tool}: type error or true`);
    assert.is(both({ agent: 'bot', tool, args: { a: 1, b: 'x' } }).code, 'POLICY_EVAL_ERROR', `${tool}: true or type error`);
  }
  assert.is(both({ agent: 'bot', tool: 'nand', args: { b: 3 } }).code, 'PERMIT'); // not (unknown and false) = true
  assert.equal(brief(both({ agent: 'bot', tool: 'nand', args: { b: 2 } })).slice(0, 2), ['deny', 'POLICY_DENY']); // not unknown: default
  assert.equal(brief(both({ agent: 'bot', tool: 'neg', args: {} })).slice(0, 2), ['deny', 'POLICY_DENY']);
});

test('a type error counts only in a rule that is reached', () => {
  const { both } = build(`agent bot {
  default deny
  rules {
    permit x
    deny x if args.n > 1
  }
  phase one { tools [x, y] }
  phase two { deny y if args.n > 1 }
}
`);
  assert.is(both({ agent: 'bot', tool: 'x', args: { n: 'a' } }).code, 'PERMIT');
  // The phase-two rule is not active in phase one.
  assert.is(both({ agent: 'bot', tool: 'y', args: { n: 'a' } }).code, 'POLICY_DENY');
});

// ---- class 6: redaction applies to everything recorded or printed ----

test('redaction: explain (text and JSON) and the session history never show a redacted argument', () => {
  const src = `agent bot {
  default permit
  redact stripe/* args: ["cvv", "card.number"]
  rules {
    deny stripe/charge if args.cvv == "000" or len(args.cvv) > 4
    deny stripe/charge if args.card.number startsWith "999" or len(args.card) > 5
    deny stripe/charge if history_tool_count("stripe/charge") > 5
  }
}
`;
  const { pack, state } = (() => {
    const state = new MemoryState();
    const r = compile(src);
    return { pack: loadPackBody(emitPackBody(r.ir!), { clock: new ManualClock(T0), state }), state };
  })();
  const args = { cvv: '123', amount: 5, card: { number: '4242424242424242', exp: '12/30' } };
  const x = pack.explain({ agent: 'bot', tool: 'stripe/charge', args });
  const text = renderExplanation(x) + JSON.stringify(x);
  assert.not.match(text, /123|4242/);
  assert.match(text, /REDACTED/);
  assert.match(text, /12\/30/); // what is not redacted is shown
  const d = pack.decide({ agent: 'bot', tool: 'stripe/charge', args });
  assert.is(d.code, 'PERMIT');
  assert.equal(d.redacted_args, { cvv: '[REDACTED]', amount: 5, card: { number: '[REDACTED]', exp: '12/30' } });
  const h = state.session(sessionKey('bot', '')).history;
  assert.is(h.length, 1);
  assert.equal(h[0]!.args, { cvv: '[REDACTED]', amount: 5, card: { number: '[REDACTED]', exp: '12/30' } });
  // The history holds copies: neither the caller's object nor the decision's redacted_args alias it.
  args.card.exp = 'changed';
  (d.redacted_args!['card'] as { exp: string }).exp = 'changed too';
  assert.is((h[0]!.args!['card'] as { exp: string }).exp, '12/30');
});

test('redaction: deeply nested or huge args are denied with a code, never thrown, and nothing is committed', () => {
  const { pack } = build(`agent bot {
  default permit
  rate_limit "stripe/*": 1 per hour
  redact stripe/* args: ["cvv"]
}
`);
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = { a: deep };
  const d = pack.decide({ agent: 'bot', tool: 'stripe/charge', args: { cvv: '1', deep } as Call['args'] });
  assert.equal([d.effect, d.code], ['deny', 'INVALID_CALL']);
  const wide = Array.from({ length: 200_000 }, (_, i) => i);
  assert.is(pack.decide({ agent: 'bot', tool: 'stripe/charge', args: { wide } }).code, 'INVALID_CALL');
  const json = '{"agent":"bot","tool":"stripe/charge","args":{"x":' + '['.repeat(500_000) + ']'.repeat(500_000) + '}}';
  assert.is((JSON.parse(decideJson(pack, json)) as Decision).code, 'INVALID_CALL');
  // The only token is still there.
  assert.is(pack.decide({ agent: 'bot', tool: 'stripe/charge', args: { cvv: '1' } }).code, 'PERMIT');
  assert.is(pack.decide({ agent: 'bot', tool: 'stripe/charge', args: { cvv: '1' } }).code, 'RATE_EXCEEDED');
});

test('redaction: a redacted destination is not shown by the egress or condition steps of explain', () => {
  const { pack } = build(`agent bot {
  default permit
  redact http/* args: ["url"]
  egress { allow = ["*.example.com"] }
  rules { deny http/get if host == "evil.test" or path startsWith "/admin" }
}
`);
  const x = pack.explain({ agent: 'bot', tool: 'http/get', args: { url: 'https://api.example.com/private-token-xyz' } });
  assert.is(x.decision.code, 'PERMIT');
  const text = renderExplanation(x) + JSON.stringify(x);
  assert.not.match(text, /private-token-xyz|api\.example\.com/);
});

// ---- decide and decideJson never throw ----

test('decide, explain and decideJson never throw on hostile calls; every answer is a documented payload', () => {
  const { pack, ref } = build(`agent bot {
  default permit
  redact "*" args: ["secret"]
  phase a { tools ["*"] }
  rules {
    deny! x if args.a.b.c == 1 or history_contains_within("x", 60)
    deny y if len(args.s) > 3 and args.n in [1, 2] and args.s matches "^a"
    defer z if session.sum(z.amount, window=1h) > 10
  }
}
`);
  let deep: unknown = 'v';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const names = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', ''];
  const values: unknown[] = [null, 0, -0, 1e308, 'x'.repeat(100_000), [], {}, [1, 'a', null], { b: { c: 1 } }, deep, true, 'a'];
  const calls: unknown[] = [null, 1, 'x', [], {}, { agent: 'bot' }, { agent: 'bot', tool: 5 }, { agent: 'bot', tool: 'x', args: [] }, { agent: 'bot', tool: 'x', cost: -1 }, { agent: 'bot', tool: 'x', cost: NaN }];
  for (const n of names) {
    calls.push({ agent: n, tool: 'x' }, { agent: 'bot', tool: n });
    for (const v of values) calls.push({ agent: 'bot', tool: 'x', args: JSON.parse(`{"${n}": 1}`), principal: { [n]: v } }, { agent: 'bot', tool: 'y', args: { s: v, n: v, a: v, [n]: v } });
  }
  for (const v of values) for (const t of ['x', 'y', 'z']) calls.push({ agent: 'bot', tool: t, args: { a: v, s: v, n: v, amount: v, secret: v }, session: 's' });
  const codes = new Set(['PERMIT', 'POLICY_DENY', 'POLICY_DEFER', 'UNKNOWN_AGENT', 'OUT_OF_PHASE_TOOL_CALL', 'RATE_EXCEEDED', 'BUDGET_EXCEEDED', 'EGRESS_DENIED', 'MODEL_DENIED', 'INVALID_CALL', 'POLICY_EVAL_ERROR']);
  for (const c of calls) {
    for (const d of [pack.decide(c as Call), pack.explain(c as Call).decision, ref.decide(c as Call)]) {
      assert.ok(codes.has(d.code), d.code);
      assert.ok(d.effect === 'permit' || d.effect === 'deny' || d.effect === 'defer');
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(c);
    } catch {
      json = undefined;
    }
    if (json !== undefined) assert.ok(codes.has((JSON.parse(decideJson(pack, json)) as Decision).code));
    renderExplanation(pack.explain(c as Call));
    JSON.stringify(pack.explain(c as Call));
  }
  for (const text of ['', '{', 'null', '[]', '"x"', '{"agent":"bot","tool":"x","args":{"__proto__":{"a":1}}}', '{"agent":"bot","tool":"x","__proto__":{"time":1}}']) {
    assert.ok(codes.has((JSON.parse(decideJson(pack, text)) as Decision).code));
  }
});

test.run();
