/**
 * Limit and budget state keys built once per agent (issue 15). A session
 * budget with a `daily` cap counts every call in both windows, also the first
 * call of a session and of a day (a shared zero counter must not hide the day
 * window), and keys of different agents, sessions and days never collide.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitPackBody } from '@fms/compiler';
import { type BudgetCounter, ManualClock, MemoryState, type TokenBucket, loadPackBody } from '@fms/runtime';
import { agent, budget, policy, rateLimit, rule } from '../../helpers/ir-builder';

const T0 = Date.UTC(2026, 4, 17, 10, 0, 0);

test('a session budget with a daily cap counts fresh sessions in the day window', () => {
  const p = policy(agent('a', [rule('permit', 't')], { budgets: [budget('session', { max: 100, daily: 3, onExceed: 'deny' })] }));
  const pack = loadPackBody(emitPackBody(p), { clock: new ManualClock(T0), state: new MemoryState() });
  assert.is(pack.decide({ agent: 'a', tool: 't', session: 's1', cost: 2 }).effect, 'permit');
  const d = pack.decide({ agent: 'a', tool: 't', session: 's2', cost: 2 });
  assert.is(d.code, 'BUDGET_EXCEEDED');
});

test('budget and rate-limit windows are per agent, per session and per day', () => {
  const clock = new ManualClock(T0);
  const p = policy(
    agent('a', [rule('permit', 't')], { budgets: [budget('session', { maxCalls: 1 }), budget('daily', { maxCalls: 2 })], rateLimits: [rateLimit('*', 100, 'second')] }),
    agent('b', [rule('permit', 't')], { budgets: [budget('session', { maxCalls: 1 })] }),
  );
  const pack = loadPackBody(emitPackBody(p), { clock, state: new MemoryState() });
  assert.is(pack.decide({ agent: 'a', tool: 't', session: 'x' }).effect, 'permit');
  assert.is(pack.decide({ agent: 'a', tool: 't', session: 'x' }).code, 'BUDGET_EXCEEDED');
  assert.is(pack.decide({ agent: 'b', tool: 't', session: 'x' }).effect, 'permit');
  assert.is(pack.decide({ agent: 'a', tool: 't', session: 'y' }).effect, 'permit');
  assert.is(pack.decide({ agent: 'a', tool: 't', session: 'z' }).code, 'BUDGET_EXCEEDED', 'daily max_calls 2 reached');
  clock.ms = T0 + 86_400_000;
  assert.is(pack.decide({ agent: 'a', tool: 't', session: 'z' }).effect, 'permit', 'a new day');
  // Host-language names as session ids are plain keys.
  for (const s of ['__proto__', 'constructor', 'toString']) assert.is(pack.decide({ agent: 'b', tool: 't', session: s }).effect, 'permit', s);
});


test('every limit write goes through the store: a store that hands out copies decides like the in-memory one', () => {
  // The evaluator updates the bucket and counter objects a store hands out in place and hands them back with
  // setBucket / setCounter; a store that copies on every read and write must still see each write.
  class CopyingState extends MemoryState {
    writes = 0;
    override getBucket(key: string): TokenBucket | undefined {
      const b = super.getBucket(key);
      return b && { ...b };
    }
    override setBucket(key: string, b: TokenBucket): void {
      this.writes++;
      super.setBucket(key, { ...b });
    }
    override getCounter(key: string): BudgetCounter | undefined {
      const c = super.getCounter(key);
      return c && { ...c };
    }
    override setCounter(key: string, c: BudgetCounter): void {
      this.writes++;
      super.setCounter(key, { ...c });
    }
  }
  const p = policy(
    agent('a', [rule('permit', 't*')], {
      budgets: [budget('session', { max: 10, daily: 12, warnAt: 0.5 }), budget('daily', { maxCalls: 7, onExceed: 'defer' })],
      rateLimits: [rateLimit('t*', 4, 'minute'), rateLimit('*', 100, 'hour')],
    }),
  );
  const body = emitPackBody(p);
  const c1 = new ManualClock(T0);
  const c2 = new ManualClock(T0);
  const copying = new CopyingState({ approvalId: () => 'apr-x' });
  const plain = loadPackBody(body, { clock: c1, state: new MemoryState({ approvalId: () => 'apr-x' }) });
  const copy = loadPackBody(body, { clock: c2, state: copying });
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    c1.advance(7_000);
    c2.advance(7_000);
    const call = { agent: 'a', tool: i % 3 ? 't1' : 't2', session: `s${i % 4}`, cost: (i % 5) * 0.75 };
    const d = plain.decide(call);
    assert.equal(copy.decide(call), d, `call ${i}`);
    seen.add(d.code);
  }
  for (const code of ['PERMIT', 'RATE_EXCEEDED', 'BUDGET_EXCEEDED']) assert.ok(seen.has(code), code);
  assert.ok(copying.writes > 40, 'writes reach the store');
});

test.run();
