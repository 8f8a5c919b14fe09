/**
 * Limit and budget state keys built once per agent (issue 15). A session
 * budget with a `daily` cap counts every call in both windows, also the first
 * call of a session and of a day (a shared zero counter must not hide the day
 * window), and keys of different agents, sessions and days never collide.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitPackBody } from '@fms/compiler';
import { ManualClock, MemoryState, loadPackBody } from '@fms/runtime';
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

test.run();
