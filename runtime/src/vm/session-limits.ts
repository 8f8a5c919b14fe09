/**
 * `session {}` limits (issue 9, class 9): `max_calls`, `max_cost`,
 * `max_duration` and `idle_timeout`, per (agent, session id), measured on the
 * runtime's clock (the `nowMs` the pipeline is given) from the session's first
 * permitted or deferred call. Once a limit is reached the session is over:
 * every later permit or defer of that session id is denied `SESSION_LIMIT`
 * (start a new session id). Denied calls count toward nothing.
 */
import type { SessionLimitModel } from '../pack/body-model';
import type { SessionLimitState, SessionState } from '../state/store';
import { ref } from './payloads';
import type { Decision, TraceEvent } from './types';

function secs(n: number): string {
  return Number.isInteger(n) ? `${n}s` : `${n.toFixed(3)}s`;
}

/**
 * The deny a session limit makes, or null when the call fits. Pure: the
 * caller records the call with {@link recordSessionCall} when it commits.
 */
export function checkSessionLimits(lim: SessionLimitModel, sess: SessionState, nowMs: number, cost: number, trace: TraceEvent[] | null): Decision | null {
  const st = sess.limits;
  const calls = st ? st.calls : 0;
  const spent = st ? st.spent : 0;
  const elapsed = st ? Math.max(0, nowMs - st.startMs) / 1000 : 0;
  let why: string | null = null;
  if (lim.maxCalls !== null && calls + 1 > lim.maxCalls) why = `session call limit (${lim.maxCalls}) reached`;
  else if (lim.maxCost !== null && spent + cost > lim.maxCost) why = `session cost limit ($${lim.maxCost.toFixed(2)}) reached`;
  else if (st && lim.maxDuration !== null && nowMs - st.startMs > lim.maxDuration * 1000) why = `session older than max_duration (${secs(lim.maxDuration)})`;
  else if (st && lim.idleTimeout !== null && nowMs - st.lastMs > lim.idleTimeout * 1000) why = `session idle for more than idle_timeout (${secs(lim.idleTimeout)})`;
  // A clock that went backwards before the session started cannot reopen it either.
  else if (st && nowMs < st.startMs && lim.maxDuration !== null) why = 'session clock went backwards';
  // The ref string is built only when something prints it (not on every permitted call).
  if (trace) trace.push({ kind: 'session_limit', rule_ref: ref(lim.file, lim.line), calls, spent, elapsed_seconds: elapsed, ok: why === null });
  if (why === null) return null;
  const rr = ref(lim.file, lim.line);
  return { effect: 'deny', code: 'SESSION_LIMIT', rule_ref: rr, human_message: `denied: ${why}; start a new session`, resolution: { type: 'rule_block', rule_id: 'session' } };
}

/** Records a permitted or deferred call against the session's limits. */
export function recordSessionCall(sess: SessionState, nowMs: number, cost: number): void {
  const st: SessionLimitState = sess.limits ?? { startMs: nowMs, lastMs: nowMs, calls: 0, spent: 0 };
  st.calls += 1;
  st.spent += cost;
  if (nowMs > st.lastMs) st.lastMs = nowMs;
  sess.limits = st;
}
