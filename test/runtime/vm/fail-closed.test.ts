/**
 * Issue 9 ("no policy fails open"), decision semantics: each test compiles real
 * FPL source, builds the pack body and decides calls; each one failed on the
 * code before the fix.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { Interpreter } from '../../../compiler/src/interp/interpret';
import { decideJson } from '../../../runtime/src/decide';
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

test.run();
