/**
 * The stateful part of a decision (DESIGN §3 steps 2, 6, 7): phases, rate
 * limits, budgets, egress, model policy, redaction, approval ids and session
 * history. Shared by the bytecode evaluator and the IR interpreter: both hand
 * it the same table shapes (the pack's decoded tables, or tables the
 * interpreter derives from the IR on its own).
 *
 * State changes happen only when `commit` is true (decide), never for explain,
 * and only for a call that ends permitted or deferred (a denied call consumes
 * no tokens and no budget; a call deferred by a budget consumes no budget;
 * every decided call is recorded in the history).
 */
import type { BudgetModel, HostListModel, PhaseModel, RateLimitModel, RedactionModel, SessionLimitModel } from '../pack/body-model';
import { ON_EXCEED_NAMES, WINDOW_NAMES, WINDOW_SECONDS } from '../pack/format';
import { type BudgetCounter, type SessionState, type StateStore, type TokenBucket, recordHistory } from '../state/store';
import { type DelegationGrants, checkDelegation, recordDelegation } from './delegation';
import { DESTINATION_FIELDS, checkEgress } from './egress';
import { checkSessionLimits, recordSessionCall } from './session-limits';
import { ref } from './payloads';
import type { Call, Decision, DecisionWarning, TraceEvent } from './types';
import { globAny, hostMatch, patternMatch } from './values';

/** The per-agent tables the pipeline needs. */
export interface AgentLimits {
  id: string;
  model: string | null;
  phases: PhaseModel[];
  rateLimits: RateLimitModel[];
  budgets: BudgetModel[];
  egress: HostListModel | null;
  modelPolicy: HostListModel | null;
  redactions: RedactionModel[];
  /** `session {}` limits (session-limits.ts); absent = none. */
  session?: SessionLimitModel | null;
  /** `delegate` grants that name this agent, by delegator (delegation.ts); absent = none. */
  grants?: DelegationGrants;
  /** State keys of this agent's limits, built on first use (limitKeys); callers leave it unset. */
  keys?: LimitKeys;
}

/**
 * State keys of an agent's rate limits and budgets, computed once per agent
 * (issue 15: building and slicing keys per call was ~15% of a decision). The
 * day and session parts are cached: the day key array is rebuilt when the UTC
 * day changes, session keys are kept per session id (bounded).
 */
export interface LimitKeys {
  /** Key of rate limit i. */
  rate: string[];
  /** Prefix of budget i's per-day key (the day number follows). */
  dayPrefix: string[];
  /** Prefix of budget i's per-session key (the session id follows). */
  sessPrefix: string[];
  /** The day `dayKeys` is for. */
  day: number;
  dayKeys: string[];
  /** Per session id: its keys (one lookup per decision for all of them). */
  sessions: Map<string, SessionSlot>;
}

/** The state keys of one (agent, session). */
interface SessionSlot {
  /** `sessionKey(agent, session)`. */
  key: string;
  /** Budget i's per-session key (every budget has one; only session-window budgets use it). */
  budget: string[];
}

const KEY_CACHE_LIMIT = 65536;

function limitKeys(agent: AgentLimits): LimitKeys {
  let k = agent.keys;
  if (k === undefined) {
    k = {
      rate: agent.rateLimits.map((_, i) => agent.id + '\u0000rl\u0000' + i + '\u0000'),
      dayPrefix: agent.budgets.map((_, i) => agent.id + '\u0000bd\u0000' + i + '\u0000'),
      sessPrefix: agent.budgets.map((_, i) => agent.id + '\u0000bs\u0000' + i + '\u0000'),
      day: -1,
      dayKeys: [],
      sessions: new Map(),
    };
    agent.keys = k;
  }
  return k;
}

/** The keys of (agent, session), cached per agent (bounded). */
function sessionSlot(agent: AgentLimits, session: string): SessionSlot {
  const k = limitKeys(agent);
  const m = k.sessions;
  let slot = m.get(session);
  if (slot === undefined) {
    if (m.size >= KEY_CACHE_LIMIT) m.clear();
    slot = { key: sessionKey(agent.id, session), budget: k.sessPrefix.map((p) => p + session) };
    m.set(session, slot);
  }
  return slot;
}

/** `sessionKey(agent.id, session)`, cached per agent. */
export function agentSessionKey(agent: AgentLimits, session: string): string {
  return sessionSlot(agent, session).key;
}

function dayKeys(k: LimitKeys, day: number): string[] {
  if (k.day !== day) {
    k.dayKeys = k.dayPrefix.map((p) => p + day);
    k.day = day;
  }
  return k.dayKeys;
}


/*
 * Pending state writes of one applyLimits call, committed at its end. Reused
 * across calls (no allocation per decision). INVARIANT: nothing between the
 * first push and the commit re-enters applyLimits (delegation's decideAs runs
 * before the rate-limit loop starts), and every call resets the lengths first.
 */
const pendingBucketKeys: string[] = [];
const pendingBucketTokens: number[] = [];
/** The bucket object read for pending write i (updated in place), or undefined (a new one is stored). */
const pendingBucketObjs: Array<TokenBucket | undefined> = [];
const pendingCounterObjs: Array<BudgetCounter | undefined> = [];
const pendingCounterKeys: string[] = [];
const pendingCounterSpent: number[] = [];
const pendingCounterCalls: number[] = [];
let pendingBuckets = 0;
let pendingCounters = 0;

/** Key of the session record of (agent, session). */
export function sessionKey(agent: string, session: string): string {
  return agent + '\u0000' + session;
}

/** Index of the phase a new session starts in: `init` if declared, else the first. */
export function initialPhase(phases: readonly PhaseModel[]): number {
  const i = phases.findIndex((p) => p.id === 'init');
  return i >= 0 ? i : 0;
}

/**
 * The session's current phase at `nowMs` (moving along `next` when `duration`
 * has passed). Pure: the caller stores the result when committing.
 */
export function currentPhase(phases: readonly PhaseModel[], s: SessionState, nowMs: number): { index: number; since: number } {
  let idx = s.phase === null ? -1 : phases.findIndex((p) => p.id === s.phase);
  let since = s.phaseSinceMs;
  if (idx < 0) return { index: initialPhase(phases), since: nowMs };
  // Bounded: at most one step per phase per lap, and at most 4096 steps.
  for (let steps = 0; steps < 4096; steps++) {
    const p = phases[idx]!;
    if (p.duration === null || p.next < 0) break;
    const end = since + p.duration * 1000;
    if (nowMs < end) break;
    since = end;
    idx = p.next;
  }
  return { index: idx, since };
}

/** Whether `tool` is visible in a phase. */
export function visibleInPhase(p: PhaseModel, tool: string): boolean {
  for (const t of p.tools) if (patternMatch(t.kind, t.text, tool)) return true;
  return false;
}

function listMatch(list: readonly string[], v: string, host: boolean): boolean {
  for (const p of list) if (host ? hostMatch(p, v) : p.toLowerCase() === v.toLowerCase() || globAny(p.toLowerCase(), v.toLowerCase())) return true;
  return false;
}

/** Start of the next UTC day after `ms`, ISO 8601. */
function nextUtcMidnight(ms: number): string {
  const d = Math.floor(ms / 86400000) + 1;
  return new Date(d * 86400000).toISOString().replace('.000Z', 'Z');
}

function money(v: number): string {
  return `$${v.toFixed(2)}`;
}

const ZERO: BudgetCounter = Object.freeze({ spent: 0, calls: 0 });

/** Inputs of `applyLimits`. */
export interface LimitsInput {
  agent: AgentLimits;
  call: Call;
  nowMs: number;
  sessionId: string;
  /** The rule or default decision (permit or defer). */
  decision: Decision;
  state: StateStore;
  commit: boolean;
  trace: TraceEvent[] | null;
  /** The decision another agent would get for this call, without changing state (delegation ceiling `inherited`). */
  decideAs?: (agent: string) => Decision;
  /** `toolRateMatch(agent, call.tool)` when the caller has it cached (else each pattern is matched here). */
  rateMatch?: Uint8Array;
}

/**
 * DESIGN §3 step 6: rate limits, budgets, egress, model policy, in that order;
 * the first that refuses decides. Returns the resulting decision.
 */
export function applyLimits(inp: LimitsInput): Decision {
  const { agent, call, nowMs, state, trace } = inp;
  let d = inp.decision;
  const tool = call.tool;
  const cost = call.cost === undefined ? 0 : call.cost;

  // Delegation grants, then session limits (issue 9, class 9): delegation.ts, session-limits.ts.
  let limitSess: SessionState | null = null;
  let slot: SessionSlot | null = null;
  if (call.delegation !== undefined || agent.session) {
    slot = sessionSlot(agent, inp.sessionId);
    limitSess = state.session(slot.key);
    if (call.delegation !== undefined) {
      d = checkDelegation({ agent: agent.id, call, grants: agent.grants, sess: limitSess, nowMs, decision: d, decideAs: inp.decideAs, trace });
      if (d.effect === 'deny') return d;
    }
    if (agent.session) {
      const over = checkSessionLimits(agent.session, limitSess, nowMs, cost, trace);
      if (over !== null) return over;
    }
  }

  // Rate limits: a token bucket per (agent, limit).
  const keys = limitKeys(agent);
  const rl = agent.rateLimits;
  pendingBuckets = 0;
  pendingCounters = 0;
  const rm = inp.rateMatch;
  for (let i = 0; i < rl.length; i++) {
    const r = rl[i]!;
    if (rm !== undefined ? rm[i] !== 1 : !patternMatch(r.pattern.kind, r.pattern.text, tool)) continue;
    const key = keys.rate[i]!;
    const rate = r.count / WINDOW_SECONDS[r.per as 0]!;
    const b = state.getBucket(key);
    let tokens = r.count;
    if (b !== undefined) tokens = Math.min(r.count, b.tokens + (Math.max(0, nowMs - b.lastMs) / 1000) * rate);
    const ok = tokens >= 1;
    if (trace) trace.push({ kind: 'rate_limit', rule_ref: ref(r.file, r.line), pattern: r.pattern.text, tokens, capacity: r.count, ok });
    if (!ok) {
      const retry = Math.max(1, Math.ceil((1 - tokens) / rate));
      const rr = ref(r.file, r.line);
      return {
        effect: 'deny',
        code: 'RATE_EXCEEDED',
        rule_ref: rr,
        human_message: `denied: ${tool} rate limit (${r.count}/${WINDOW_NAMES[r.per]}) exceeded`,
        resolution: { type: 'retry_after', retry_after_seconds: retry },
      };
    }
    pendingBucketKeys[pendingBuckets] = key;
    pendingBucketObjs[pendingBuckets] = b;
    pendingBucketTokens[pendingBuckets++] = tokens - 1;
  }

  // Budgets: each budget id is its own window.
  const bs = agent.budgets;
  let warnings: DecisionWarning[] | null = null;
  if (bs.length > 0) {
    const dks = dayKeys(keys, Math.floor(nowMs / 86400000));
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i]!;
      const dayKey = dks[i]!;
      const mainKey = b.window === 0 ? (slot ??= sessionSlot(agent, inp.sessionId)).budget[i]! : dayKey;
      const stored = state.getCounter(mainKey);
      const c = stored ?? ZERO;
      // A session budget with a `daily` cap also counts in its day window (identity of `dc` cannot tell: both may be ZERO).
      const separateDay = b.window === 0 && b.daily !== null;
      const dayStored = separateDay ? state.getCounter(dayKey) : stored;
      const dc = dayStored ?? ZERO;
      const spent = c.spent + cost;
      const exceeded =
        (b.max !== null && spent > b.max) || (b.daily !== null && dc.spent + cost > b.daily) || (b.maxCalls !== null && c.calls + 1 > b.maxCalls);
      const warn = !exceeded && b.max !== null && b.warnAt !== null && spent >= b.warnAt * b.max;
      let rr = '';
      if (trace) trace.push({ kind: 'budget', rule_ref: ref(b.file, b.line), budget_id: b.id, spent: c.spent, calls: c.calls, cost, ok: !exceeded, warn });
      if (exceeded || warn) rr = ref(b.file, b.line);
      if (exceeded) {
        const cap = b.max !== null && spent > b.max ? `ceiling (${money(b.max)})` : b.daily !== null && dc.spent + cost > b.daily ? `daily ceiling (${money(b.daily)})` : `call limit (${b.maxCalls})`;
        const resets = b.window === 1 || (b.daily !== null && !(b.max !== null && spent > b.max) && !(b.maxCalls !== null && c.calls + 1 > b.maxCalls)) ? nextUtcMidnight(nowMs) : null;
        const mode = ON_EXCEED_NAMES[b.onExceed];
        if (mode === 'deny') {
          return {
            effect: 'deny',
            code: 'BUDGET_EXCEEDED',
            rule_ref: rr,
            budget_id: b.id,
            human_message: `denied: ${b.id} budget ${cap} reached`,
            resolution: { type: 'budget_reset', resets_at: resets },
          };
        }
        if (mode === 'defer') {
          if (d.effect !== 'defer' || d.code !== 'BUDGET_EXCEEDED') {
            d = {
              effect: 'defer',
              code: 'BUDGET_EXCEEDED',
              rule_ref: rr,
              budget_id: b.id,
              human_message: `${tool} deferred: ${b.id} budget ${cap} reached`,
              resolution: { type: 'pending_approval', approval_id: '' },
            };
          }
        } else {
          (warnings ??= []).push({ code: 'BUDGET_EXCEEDED', budget_id: b.id, rule_ref: rr, human_message: `audit: ${b.id} budget ${cap} reached` });
        }
      } else if (warn) {
        (warnings ??= []).push({
          code: 'BUDGET_WARNING',
          budget_id: b.id,
          rule_ref: rr,
          human_message: `budget ${Math.round((spent / b.max!) * 100)}% consumed (${money(spent)}/${money(b.max!)} ${b.id})`,
        });
      }
      pendingCounterKeys[pendingCounters] = mainKey;
      pendingCounterObjs[pendingCounters] = stored;
      pendingCounterSpent[pendingCounters] = spent;
      pendingCounterCalls[pendingCounters++] = c.calls + 1;
      if (separateDay) {
        pendingCounterKeys[pendingCounters] = dayKey;
        pendingCounterObjs[pendingCounters] = dayStored;
        pendingCounterSpent[pendingCounters] = dc.spent + cost;
        pendingCounterCalls[pendingCounters++] = dc.calls + 1;
      }
    }
  }

  // Egress: every destination the call carries must pass (see egress.ts).
  const eg = agent.egress;
  if (eg !== null) {
    const v = checkEgress(eg.allow, eg.deny, call.args);
    if (trace) trace.push({ kind: 'egress', rule_ref: ref(eg.file, eg.line), host: v.host, ok: v.ok });
    if (!v.ok) return { effect: 'deny', code: 'EGRESS_DENIED', rule_ref: ref(eg.file, eg.line), human_message: `denied: ${v.why}`, resolution: { type: 'rule_block', rule_id: 'egress' } };
  }

  // Model policy.
  const mp = agent.modelPolicy;
  if (mp !== null) {
    const model = typeof call.model === 'string' ? call.model : agent.model;
    // An unknown model is denied when a model_policy exists (DESIGN §3 step 6):
    // the policy cannot vouch for a model nobody named.
    const ok = model !== null && !listMatch(mp.deny, model, false) && (mp.allow.length === 0 || listMatch(mp.allow, model, false));
    if (trace) trace.push({ kind: 'model_policy', rule_ref: ref(mp.file, mp.line), model, ok });
    if (!ok) {
      return {
        effect: 'deny',
        code: 'MODEL_DENIED',
        rule_ref: ref(mp.file, mp.line),
        human_message: model === null ? 'denied: the model is unknown (the call names none and the agent declares none) and a model_policy applies' : `denied: model '${model}' is not permitted`,
        resolution: { type: 'rule_block', rule_id: 'model_policy' },
      };
    }
  }

  if (warnings !== null) d = { ...d, warnings: d.warnings ? [...d.warnings, ...warnings] : warnings };
  if (inp.commit) {
    if (limitSess !== null) {
      if (agent.session) recordSessionCall(limitSess, nowMs, cost);
      if (call.delegation !== undefined) recordDelegation(limitSess, call, nowMs);
    }
    // The objects the store handed out are updated in place (StateStore: the evaluator mutates them) and handed
    // back, so a store sees every write; a key read as undefined gets a new object.
    for (let i = 0; i < pendingBuckets; i++) {
      const o = pendingBucketObjs[i];
      pendingBucketObjs[i] = undefined;
      if (o === undefined) state.setBucket(pendingBucketKeys[i]!, { tokens: pendingBucketTokens[i]!, lastMs: nowMs });
      else {
        o.tokens = pendingBucketTokens[i]!;
        o.lastMs = nowMs;
        state.setBucket(pendingBucketKeys[i]!, o);
      }
    }
    // A call a budget deferred has not spent anything: it waits for approval.
    // Counting it would leave the window over its ceiling, deferring every
    // later call, even free ones. (A call a rule deferred does count: it
    // reserves its cost while it waits.)
    const budgetDeferred = d.effect === 'defer' && d.code === 'BUDGET_EXCEEDED';
    if (!budgetDeferred)
      for (let i = 0; i < pendingCounters; i++) {
        const o = pendingCounterObjs[i];
        if (o === undefined) state.setCounter(pendingCounterKeys[i]!, { spent: pendingCounterSpent[i]!, calls: pendingCounterCalls[i]! });
        else {
          o.spent = pendingCounterSpent[i]!;
          o.calls = pendingCounterCalls[i]!;
          state.setCounter(pendingCounterKeys[i]!, o);
        }
      }
    for (let i = 0; i < pendingCounters; i++) pendingCounterObjs[i] = undefined;
  }
  return d;
}

const REDACTED = '[REDACTED]';
/** Deepest nesting of `args` the engine copies (redaction, session history). */
export const COPY_DEPTH = 64;
/** Most values in `args` the engine copies. */
export const COPY_NODES = 100_000;

/**
 * A deep copy of JSON-shaped data, or null when deeper than COPY_DEPTH or
 * larger than COPY_NODES. Keys are defined as own properties, so a key
 * `__proto__` stays a key. Keys keep the caller's order (`redacted_args`
 * and the history print the arguments as they were sent; the reference
 * interpreter's copy gives the same order). Recursion is bounded by
 * COPY_DEPTH (64 frames), whatever the input.
 */
export function boundedCopy(root: unknown): unknown {
  copyNodes = 0;
  const out = copyValue(root, 0);
  return out === TOO_BIG ? null : out;
}

const TOO_BIG: unique symbol = Symbol('too-big');
let copyNodes = 0;

function copyValue(v: unknown, depth: number): unknown {
  if (++copyNodes > COPY_NODES) return TOO_BIG;
  if (v === null || typeof v !== 'object') return v;
  if (depth >= COPY_DEPTH) return TOO_BIG;
  if (Array.isArray(v)) {
    const n = v.length;
    const arr: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const x = copyValue(v[i], depth + 1);
      if (x === TOO_BIG) return TOO_BIG;
      arr[i] = x;
    }
    return arr;
  }
  const o: { [k: string]: unknown } = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = copyValue((v as { [k: string]: unknown })[k], depth + 1);
    if (x === TOO_BIG) return TOO_BIG;
    if (k === '__proto__') Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
    else o[k] = x;
  }
  return o;
}

function maskPath(obj: unknown, segs: string[]): void {
  let cur = obj;
  for (let i = 0; i < segs.length - 1; i++) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, segs[i]!)) return;
    cur = (cur as { [k: string]: unknown })[segs[i]!];
  }
  const last = segs[segs.length - 1]!;
  if (cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, last)) (cur as { [k: string]: unknown })[last] = REDACTED;
}

/** What a decision records and shows of a call's arguments (DESIGN §3 step 7). */
export interface Recorded {
  /** A redacted, bounded copy of `args` (undefined when neither redaction nor history needs one). */
  args: { [k: string]: unknown } | undefined;
  /** The redactions that apply to the tool. */
  redactions: RedactionModel[];
  /** Redacted paths (dotted, under `args`) of those redactions. */
  paths: string[];
}

/**
 * The `redact` entries of an agent that apply to one tool, with their paths
 * split once. The evaluator caches it per (agent, tool) with the tool's
 * candidate rules, so a decision does not match redaction patterns or split
 * paths. INVARIANT: shared between decisions; nobody mutates it.
 */
export interface ToolRedactions {
  list: RedactionModel[];
  /** Every path of `list`, dotted, in order. */
  paths: string[];
  /** `paths[i].split('.')`. */
  segs: string[][];
  /** Indices in the agent's redaction list of `list` (what the evaluator interns entries by). */
  which: number[];
}

/** The redactions of `agent` whose pattern matches `tool`; null when none. */
export function toolRedactions(agent: AgentLimits, tool: string): ToolRedactions | null {
  let out: ToolRedactions | null = null;
  const rs = agent.redactions;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    if (!patternMatch(r.pattern.kind, r.pattern.text, tool)) continue;
    out ??= { list: [], paths: [], segs: [], which: [] };
    out.list.push(r);
    out.which.push(i);
    for (const p of r.paths) {
      out.paths.push(p);
      out.segs.push(p.split('.'));
    }
  }
  return out;
}

/**
 * Which rate limits of `agent` apply to `tool` (1 = its pattern matches), for
 * {@link LimitsInput.rateMatch}. Cached per (agent, tool) by the evaluator.
 */
export function toolRateMatch(agent: AgentLimits, tool: string): Uint8Array {
  const rl = agent.rateLimits;
  const m = new Uint8Array(rl.length);
  for (let i = 0; i < rl.length; i++) if (patternMatch(rl[i]!.pattern.kind, rl[i]!.pattern.text, tool)) m[i] = 1;
  return m;
}

/**
 * Prepares what is recorded and printed of a call, before anything is
 * decided or committed: a copy of `args` (never the caller's object) with
 * every path of the tool's `redact` entries masked. Made when a redaction
 * applies or the session history is kept. A string (the refusal) when the
 * arguments are too deep or too large to copy. `red` is
 * `toolRedactions(agent, call.tool)` when the caller has it cached.
 */
export function recordOf(agent: AgentLimits, call: Call, keepHistory: boolean, red?: ToolRedactions | null): Recorded | string {
  const tr = red === undefined ? toolRedactions(agent, call.tool) : red;
  if (tr === null && !keepHistory) return NOTHING_RECORDED;
  const copy = boundedCopy(call.args ?? {});
  if (copy === null) return `call.args nested deeper than ${COPY_DEPTH} levels or larger than ${COPY_NODES} values`;
  if (tr === null) return { args: copy as { [k: string]: unknown }, redactions: NO_REDACTIONS, paths: NO_PATHS };
  for (let i = 0; i < tr.segs.length; i++) maskPath(copy, tr.segs[i]!);
  return { args: copy as { [k: string]: unknown }, redactions: tr.list, paths: tr.paths };
}
const NO_REDACTIONS: RedactionModel[] = Object.freeze([]) as unknown as RedactionModel[];
const NO_PATHS: string[] = Object.freeze([]) as unknown as string[];
const NOTHING_RECORDED: Recorded = Object.freeze({ args: undefined, redactions: NO_REDACTIONS, paths: NO_PATHS }) as Recorded;

/**
 * Final touches shared by every decision: approval id for a defer, the
 * redacted arguments, and (when committing) the session history entry, which
 * stores the redacted copy, never the caller's object.
 */
export function finish(call: Call, d: Decision, sess: SessionState | null, nowMs: number, state: StateStore, commit: boolean, trace: TraceEvent[] | null, rec: Recorded): Decision {
  // INVARIANT: `d` is a fresh object made for this decision (payloads.ts,
  // applyLimits, delegation, session limits build one per call), so it is
  // completed in place: same fields in the same order as a copy would have.
  if (d.effect === 'defer') {
    const id = commit ? state.approvalId() : 'apr-dry-run';
    d.approval_id = id;
    d.resolution = { type: 'pending_approval', approval_id: id };
  }
  if (rec.redactions.length > 0) {
    d.redacted_args = rec.args!;
    if (trace) {
      // The egress step names the host it checked: masked when a destination argument is redacted.
      const top = new Set(rec.paths.map((p) => p.split('.')[0]!));
      if (DESTINATION_FIELDS.some((k) => top.has(k))) for (const e of trace) if (e.kind === 'egress' && e.host !== null) e.host = '[REDACTED]';
      for (const r of rec.redactions) trace.push({ kind: 'redaction', rule_ref: ref(r.file, r.line), paths: r.paths });
    }
  }
  if (commit && sess !== null) {
    // The decision hands `redacted_args` to the caller: the history keeps its own copy.
    const args = rec.redactions.length > 0 ? (boundedCopy(rec.args) as { [k: string]: unknown }) : rec.args;
    recordHistory(sess, { tool: call.tool, effect: d.effect, timeMs: nowMs, args });
  }
  return d;
}

function isObj(v: unknown): boolean {
  return v === undefined || (v !== null && typeof v === 'object' && !Array.isArray(v));
}

/** Validates the parts of a call the engine relies on; a reason string when invalid. */
export function checkCall(call: unknown): string | null {
  if (call === null || typeof call !== 'object') return 'call is not an object';
  const c = call as { [k: string]: unknown };
  if (typeof c['agent'] !== 'string') return 'call.agent must be a string';
  if (typeof c['tool'] !== 'string') return 'call.tool must be a string';
  if (c['session'] !== undefined && typeof c['session'] !== 'string') return 'call.session must be a string';
  if (c['model'] !== undefined && typeof c['model'] !== 'string') return 'call.model must be a string';
  if (c['cost'] !== undefined && (typeof c['cost'] !== 'number' || !Number.isFinite(c['cost']) || c['cost'] < 0)) return 'call.cost must be a finite number ≥ 0';
  // The runtime's clock decides (DESIGN §3 "Clock"): a caller that sends a time
  // would reset its own rate limits and budgets or move its own phase.
  if (Object.hasOwn(c, 'time')) return 'call.time is not accepted: decisions use the runtime clock';
  if (!isObj(c['args'])) return 'call.args must be an object';
  if (!isObj(c['principal'])) return 'call.principal must be an object';
  const groups = (c['principal'] as { groups?: unknown } | undefined)?.groups;
  // A list, as the checker types it: a string here would turn `contains` into a substring test.
  if (groups !== undefined && !stringList(groups)) return 'call.principal.groups must be a list of strings';
  if (!isObj(c['selectors'])) return 'call.selectors must be an object';
  if (tooDeep(c['args'])) return tooDeepWhy('args');
  if (tooDeep(c['principal'])) return tooDeepWhy('principal');
  if (tooDeep(c['selectors'])) return tooDeepWhy('selectors');
  return null;
}

function stringList(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

function tooDeepWhy(k: string): string {
  return `call.${k} nests deeper than ${MAX_CALL_DEPTH} levels or holds more than ${MAX_CALL_VALUES} nested objects and lists`;
}

/**
 * How deep a call's arguments, principal and selectors may nest. Checked
 * before anything is decided or recorded, so no later step (redaction copies,
 * JSON output) recurses deeper than this and a decision never throws.
 */
export const MAX_CALL_DEPTH = 64;
/** How many nested objects and lists one of them may hold (bounds the depth check itself on shared, non-JSON objects). */
export const MAX_CALL_VALUES = 1_000_000;

/** True when `v` nests objects/arrays deeper than MAX_CALL_DEPTH or holds more than MAX_CALL_VALUES of them. */
function tooDeep(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  budget = MAX_CALL_VALUES;
  return !within(v, 1);
}

let budget = 0;

/** Recursion is safe here: it stops at MAX_CALL_DEPTH, whatever the input. No allocation for flat values. */
function within(o: object, d: number): boolean {
  if (d > MAX_CALL_DEPTH || --budget < 0) return false;
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const x: unknown = o[i];
      if (x !== null && typeof x === 'object' && !within(x, d + 1)) return false;
    }
    return true;
  }
  // for-in with an own-property test visits exactly the keys Object.keys
  // lists, without allocating the array (a per-call cost on every decision).
  // The own-property test is made only for a nested object (the only value
  // that needs a look inside): a scalar, own or inherited, is skipped anyway.
  for (const k in o) {
    const x: unknown = (o as { [k: string]: unknown })[k];
    if (x !== null && typeof x === 'object' && Object.hasOwn(o, k) && !within(x, d + 1)) return false;
  }
  return true;
}
