/**
 * The IR reference interpreter: a direct, deliberately plain reading of DESIGN
 * §3 over the `Policy` IR, used as the oracle of the bytecode evaluator in the
 * differential tests (and usable by tools that have an IR but no pack).
 *
 * It shares no semantics with the runtime it checks (STYLE.md habit 12): field
 * reads, the three-valued operators, the built-in functions, tool patterns,
 * phases, rate limits, budgets, session limits, delegation grants, egress
 * (destination fields and host parsing), the model policy and redaction are
 * all written here a second time, from the design, on purpose. It walks every rule
 * of the agent in order (no index, no bytecode) and evaluates condition trees
 * directly. From the runtime it takes only the call and decision *types*, the
 * state store (storage, not meaning) and the payload builders of rule decisions
 * (wording).
 *
 * Semantics in one place (DESIGN §3 "Totality, fail closed"): a condition
 * computes over JSON values and two marks, UNKNOWN (a missing field) and
 * BAD (a field present with the wrong type). BAD absorbs every operator,
 * `and`/`or` included; otherwise `and`/`or`/`not` are Kleene's. A rule whose
 * condition is BAD denies the call with POLICY_EVAL_ERROR when it is reached;
 * UNKNOWN does not match.
 */
import { domainToASCII } from 'node:url';
import { RE2JS } from 're2js';
import type { Agent, Budget, Delegation, Expr, HostLists, NetworkMatch, Phase, Policy, RateLimit, Rule, SessionLimits, ToolPattern, Value } from '../ir/types';
import { type Clock, MemoryState, type SessionState, type StateStore, systemClock } from '@fms/runtime';
import { ruleDecision } from '@fms/runtime/payloads';
import type { Call, Decision, DecisionWarning } from '@fms/runtime';

/** Options of the interpreter. */
export interface InterpreterOptions {
  state?: StateStore;
  clock?: Clock;
}

// ---------------------------------------------------------------- values

const UNKNOWN: unique symbol = Symbol('unknown');
const BAD: unique symbol = Symbol('bad-type');
type Unknown = typeof UNKNOWN;
type Bad = typeof BAD;
type J = string | number | boolean | null | readonly unknown[] | { readonly [k: string]: unknown };
/** A value, unknown, or a type error. */
type V = J | Unknown | Bad;
/** A truth value. */
type T = boolean | Unknown | Bad;

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const marked = (v: unknown): v is Unknown | Bad => v === UNKNOWN || v === BAD;
const isPlain = (v: object): boolean => {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
};

/** An agent-supplied value as a condition sees it. */
function asValue(x: unknown): V {
  if (x === undefined) return UNKNOWN;
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
  if (typeof x === 'number') return Number.isFinite(x) ? x : BAD;
  if (Array.isArray(x)) return x;
  if (typeof x === 'object' && isPlain(x)) return x as { [k: string]: unknown };
  return BAD;
}

/** Follows a dotted path: absent or null on the way → UNKNOWN; into a scalar → BAD. */
function follow(root: unknown, path: readonly string[]): V {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === undefined || cur === null) return UNKNOWN;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]{0,8})$/.test(seg)) return BAD;
      const i = Number(seg);
      if (i >= cur.length) return UNKNOWN;
      cur = cur[i];
    } else if (typeof cur === 'object' && isPlain(cur)) {
      if (!own(cur, seg)) return UNKNOWN;
      cur = (cur as { [k: string]: unknown })[seg];
    } else return BAD;
  }
  return asValue(cur);
}

/** `args.url` parsed: UNKNOWN when absent or null, BAD when not a parsable URL. */
function parsedUrl(args: { [k: string]: unknown }): URL | Unknown | Bad {
  if (!own(args, 'url') || args['url'] === null) return UNKNOWN;
  const u = args['url'];
  if (typeof u !== 'string') return BAD;
  try {
    return new URL(u);
  } catch {
    return BAD;
  }
}

/** A field that must be a string: null counts as missing. */
function stringField(v: V): V {
  if (v === null) return UNKNOWN;
  return marked(v) || typeof v === 'string' ? v : BAD;
}

interface Env {
  call: Call;
  now: number;
  phase: string | null;
  calls: number;
  agentModel: string | null;
  history: SessionState['history'];
}

/** The value of a condition variable. */
function variable(env: Env, root: string, path: readonly string[]): V {
  const call = env.call;
  const args = call.args;
  const needsArgs = ['host', 'method', 'path', 'query', 'headers', 'recipients', 'port'].includes(root);
  if (needsArgs && (args === undefined || args === null || typeof args !== 'object')) return UNKNOWN;
  const a = args as { [k: string]: unknown };
  const bare = path.length === 0;
  switch (root) {
    case 'args':
      return follow(args, path);
    case 'principal':
      return follow(call.principal, path);
    case 'selector':
      return follow(call.selectors, path);
    case 'time': {
      if (path.length !== 1) return BAD;
      const d = new Date(env.now);
      if (Number.isNaN(d.getTime())) return BAD;
      const f = path[0];
      if (f === 'hour') return d.getUTCHours();
      if (f === 'minute') return d.getUTCMinutes();
      if (f === 'weekday') return [7, 1, 2, 3, 4, 5, 6][d.getUTCDay()]!;
      if (f === 'day') return d.getUTCDate();
      if (f === 'month') return d.getUTCMonth() + 1;
      if (f === 'year') return d.getUTCFullYear();
      return BAD;
    }
    case 'session': {
      if (path.length !== 1) return BAD;
      if (path[0] === 'id') return typeof call.session === 'string' ? call.session : UNKNOWN;
      if (path[0] === 'phase') return env.phase === null ? UNKNOWN : env.phase;
      if (path[0] === 'call_count') return env.calls;
      return BAD;
    }
    case 'tool':
      return bare ? call.tool : BAD;
    case 'agent':
      return bare ? call.agent : BAD;
    case 'model':
      if (!bare) return BAD;
      if (typeof call.model === 'string') return call.model;
      return env.agentModel === null ? UNKNOWN : env.agentModel;
    case 'host': {
      if (!bare) return BAD;
      const h = own(a, 'host') ? a['host'] : null;
      if (h !== null && h !== undefined && typeof h !== 'string') return BAD;
      const u = parsedUrl(a);
      if (u === BAD) return BAD;
      let fromUrl: string | null = null;
      if (u !== UNKNOWN) {
        if (u.hostname === '') return BAD;
        fromUrl = u.hostname.toLowerCase();
      }
      if (typeof h === 'string') {
        // A decoy `host` next to a `url` that goes elsewhere is not a host.
        if (fromUrl !== null && fromUrl !== h.toLowerCase()) return BAD;
        return h.toLowerCase();
      }
      return fromUrl === null ? UNKNOWN : fromUrl;
    }
    case 'method': {
      if (!bare) return BAD;
      const m = stringField(follow(a, ['method']));
      return typeof m === 'string' ? m.toUpperCase() : m;
    }
    case 'path': {
      if (!bare) return BAD;
      if (own(a, 'path')) return stringField(follow(a, ['path']));
      const u = parsedUrl(a);
      return marked(u) ? u : u.pathname;
    }
    case 'port': {
      if (!bare) return BAD;
      if (own(a, 'port')) return follow(a, ['port']);
      const u = parsedUrl(a);
      if (marked(u)) return u;
      if (u.port !== '') return Number(u.port);
      if (u.protocol === 'https:') return 443;
      if (u.protocol === 'http:') return 80;
      return UNKNOWN;
    }
    case 'query': {
      if (path.length !== 1) return BAD;
      if (own(a, 'query')) return follow(a, ['query', path[0]!]);
      const u = parsedUrl(a);
      if (marked(u)) return u;
      const q = u.searchParams.get(path[0]!);
      return q === null ? UNKNOWN : q;
    }
    case 'headers': {
      if (path.length !== 1) return BAD;
      const hs = follow(a, ['headers']);
      if (hs === null) return UNKNOWN;
      if (marked(hs)) return hs;
      if (typeof hs !== 'object' || Array.isArray(hs)) return BAD;
      const want = path[0]!.toLowerCase();
      const key = Object.keys(hs).find((k) => k.toLowerCase() === want);
      return key === undefined ? UNKNOWN : asValue((hs as { [k: string]: unknown })[key]);
    }
    case 'recipients': {
      if (!bare) return BAD;
      const r = follow(a, ['recipients']);
      if (r === null) return UNKNOWN;
      if (marked(r)) return r;
      return Array.isArray(r) ? r.length : BAD;
    }
  }
  return BAD;
}

type Scalar = string | number | boolean | null;
const scalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** BAD if either is BAD, else UNKNOWN if either is UNKNOWN, else undefined. */
function markOf(...vs: V[]): Unknown | Bad | undefined {
  if (vs.includes(BAD)) return BAD;
  if (vs.includes(UNKNOWN)) return UNKNOWN;
  return undefined;
}

function compare(op: string, l: V, r: V): T {
  const m = markOf(l, r);
  if (m) return m;
  if (op === '==' || op === '!=') {
    if (!scalar(l) || !scalar(r)) return BAD;
    if (l !== null && r !== null && typeof l !== typeof r) return BAD;
    return (l === r) === (op === '==');
  }
  if (l === null || r === null) return UNKNOWN;
  const nums = typeof l === 'number' && typeof r === 'number';
  const strs = typeof l === 'string' && typeof r === 'string';
  if (!nums && !strs) return BAD;
  const x = l as number | string;
  const y = r as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

/** Whether a list holds a scalar; BAD when the list holds lists/objects or nothing of the scalar's type. */
function listHas(list: readonly unknown[], x: Scalar): T {
  if (list.some((it) => it !== null && typeof it === 'object')) return BAD;
  if (x !== null && list.length > 0 && !list.some((it) => typeof it === typeof x)) return BAD;
  return list.includes(x);
}

function membership(negated: boolean, l: V, r: V): T {
  const m = markOf(l, r);
  if (m) return m;
  let t: T;
  if (Array.isArray(r)) {
    if (!scalar(l)) return BAD;
    t = listHas(r, l);
  } else if (l === null || r === null) return UNKNOWN;
  else if (typeof l === 'string' && typeof r === 'string') t = r.includes(l);
  else return BAD;
  return negated && typeof t === 'boolean' ? !t : t;
}

function stringOp(op: string, l: V, r: V): T {
  const m = markOf(l, r);
  if (m) return m;
  if (op === 'contains' && Array.isArray(l)) return scalar(r) ? listHas(l, r) : BAD;
  if (l === null || r === null) return UNKNOWN;
  if (typeof l !== 'string' || typeof r !== 'string') return BAD;
  if (op === 'contains') return l.includes(r);
  return op === 'startsWith' ? l.startsWith(r) : l.endsWith(r);
}

function truth(v: V): T {
  if (typeof v === 'boolean' || marked(v)) return v;
  return v === null ? UNKNOWN : BAD;
}

function kleeneAnd(xs: T[]): T {
  if (xs.includes(BAD)) return BAD;
  if (xs.includes(false)) return false;
  return xs.includes(UNKNOWN) ? UNKNOWN : true;
}

function kleeneOr(xs: T[]): T {
  if (xs.includes(BAD)) return BAD;
  if (xs.includes(true)) return true;
  return xs.includes(UNKNOWN) ? UNKNOWN : false;
}

// ---------------------------------------------------------------- patterns

/** `*` matches any run of characters (dynamic programming: linear in |pat|·|text|). */
function wildcard(pat: string, text: string): boolean {
  let row = new Array<boolean>(text.length + 1).fill(false);
  row[0] = true;
  for (const pc of pat) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    if (pc === '*') {
      let any = false;
      for (let j = 0; j <= text.length; j++) {
        any = any || row[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 1; j <= text.length; j++) next[j] = row[j - 1]! && text[j - 1] === pc;
    }
    row = next;
  }
  return row[text.length]!;
}

/** `*` within one `/` segment: same number of segments, each matching. */
function segmentGlob(pat: string, text: string): boolean {
  const ps = pat.split('/');
  const ts = text.split('/');
  return ps.length === ts.length && ps.every((p, i) => wildcard(p, ts[i]!));
}

function toolMatches(p: ToolPattern, tool: string): boolean {
  switch (p.kind) {
    case 'any':
      return true;
    case 'exact':
      return p.text === tool;
    case 'glob':
      return segmentGlob(p.text, tool);
    case 'prefix':
      return tool.startsWith(p.text.slice(0, -1));
  }
}

/** A tool name in a history function: a glob when it has `*`. */
function historyTool(pat: string, tool: string): boolean {
  return pat === '*' || (pat.includes('*') ? segmentGlob(pat, tool) : pat === tool);
}

/** `*` any host; `*.x.com` strict subdomains of x.com; else equal; case-insensitive. */
function hostPattern(pat: string, host: string): boolean {
  const p = pat.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return p === h;
}

// ---------------------------------------------------------------- the interpreter

const DAY_MS = 86_400_000;
const WINDOW_S: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };
const REDACTED = '[REDACTED]';
/** Bounds of the copies made for redaction and the session history. */
const COPY_DEPTH = 64;
const COPY_NODES = 100_000;
/**
 * Argument names that carry a network destination (DESIGN §3 step 6, README
 * "Decisions"): each, when present, must name a host the egress lists admit.
 * `urls` and `hosts` hold lists. The first four need `scheme://`.
 */
const URL_DESTINATIONS = ['url', 'uri', 'href', 'urls'];
const DESTINATIONS = new Set([...URL_DESTINATIONS, 'endpoint', 'base_url', 'baseUrl', 'host', 'hostname', 'domain', 'hosts']);
/** Most destinations one list field may carry. */
const MAX_LIST_DESTINATIONS = 256;

const fileLine = (file: string, line: number): string => `${file}:${Math.max(1, line)}`;

/** A direct interpreter of a Policy. */
export class Interpreter {
  private readonly state: StateStore;
  private readonly clock: Clock;
  private readonly regexCache = new Map<string, RE2JS>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly spend = new Map<string, { spent: number; calls: number }>();
  /** `session {}` use per (agent, session id): first and latest passing call, count and cost. */
  private readonly sessionUse = new Map<string, { first: number; last: number; calls: number; cost: number }>();
  /** When a delegation (delegate agent, session id, delegator) first passed: `ttl` counts from there. */
  private readonly delegatedAt = new Map<string, number>();
  /** Some condition reads the session history (history functions, `session.*`). */
  private readonly keepsHistory: boolean;

  constructor(
    readonly policy: Policy,
    opts: InterpreterOptions = {},
  ) {
    this.state = opts.state ?? new MemoryState();
    this.clock = opts.clock ?? systemClock;
    const HISTORY_FNS = new Set(['history_contains_within', 'history_sequence', 'history_tool_count', 'deny_count_within', 'session_sum', 'session_count']);
    const reads = (e: Expr): boolean => {
      switch (e.k) {
        case 'var':
          return e.root === 'session';
        case 'call':
          return HISTORY_FNS.has(e.fn) || e.args.some(reads);
        case 'list':
          return e.items.some(reads);
        case 'not':
          return reads(e.e);
        case 'matches':
          return reads(e.l);
        case 'lit':
          return false;
        default:
          return reads(e.l) || reads(e.r);
      }
    };
    this.keepsHistory = policy.agents.some((a) => a.rules.some((r) => r.when !== undefined && reads(r.when)));
  }

  /** Decides a call. Never throws: a decision that cannot be made is a deny. */
  decide(call: Call): Decision {
    return this.attempt(call, true);
  }

  private attempt(call: Call, commit: boolean): Decision {
    try {
      return this.run(call, commit);
    } catch (e) {
      return { effect: 'deny', code: 'POLICY_EVAL_ERROR', rule_ref: null, human_message: `denied: internal error: ${String(e instanceof Error ? e.message : e).slice(0, 200)}`, resolution: { type: 'rule_block', rule_id: 'evaluation' } };
    }
  }

  private ref(loc: { file: string; line: number }): string {
    return fileLine(loc.file || this.policy.file, loc.line);
  }

  /** `commit` false: decide without changing any state (delegation ceiling `inherited`). */
  private run(call: Call, commit: boolean): Decision {
    const why = invalid(call);
    if (why !== null) return deny('INVALID_CALL', null, why, 'call');
    // 1. Unknown agent.
    const agent = this.policy.agents.find((a) => a.id === call.agent);
    if (!agent) return deny('UNKNOWN_AGENT', null, `unknown agent '${call.agent}'`, 'agent');
    const now = this.clock.now();
    if (typeof now !== 'number' || !Number.isFinite(now)) return deny('POLICY_EVAL_ERROR', null, 'the runtime clock gave no valid time', 'evaluation');
    const sessionId = call.session ?? '';
    const sess = this.state.session(`ref\u0000${agent.id}\u0000${sessionId}`);
    // What is recorded and shown of the arguments: a bounded copy, redacted,
    // made before any state changes (needed under a redaction or when the
    // session history is kept).
    const redactions = agent.redactions.filter((r) => toolMatches(r.tool, call.tool));
    let shown: unknown = undefined;
    if (redactions.length > 0 || agent.phases.length > 0 || this.keepsHistory) {
      shown = boundedCopy(call.args ?? {});
      if (shown === null) return deny('INVALID_CALL', null, `call.args nested deeper than ${COPY_DEPTH} levels or larger than ${COPY_NODES} values`, 'call');
      for (const r of redactions) for (const p of r.paths) mask(shown, p.split('.'));
    }
    const end = (d: Decision): Decision => {
      if (d.effect === 'defer') {
        const id = commit ? this.state.approvalId() : 'apr-dry-run';
        d = { ...d, approval_id: id, resolution: { type: 'pending_approval', approval_id: id } };
      }
      if (redactions.length > 0) d = { ...d, redacted_args: shown as { [k: string]: unknown } };
      if (!commit) return d;
      sess.history.push({ tool: call.tool, effect: d.effect, timeMs: now, args: shown as { [k: string]: unknown } | undefined });
      if (sess.history.length > 2000) sess.history.splice(0, sess.history.length - 1000);
      return d;
    };
    // 2. Phase.
    let phase: Phase | null = null;
    if (agent.phases.length > 0) {
      phase = this.phaseAt(agent, sess, now, commit);
      if (!phase.tools.some((t) => toolMatches(t, call.tool))) {
        const r = this.ref(phase.loc);
        return end({ effect: 'deny', code: 'OUT_OF_PHASE_TOOL_CALL', rule_ref: r, human_message: `denied: ${call.tool} is not available in phase '${phase.id}'`, resolution: { type: 'rule_block', rule_id: r } });
      }
    }
    const env: Env = { call, now, phase: phase ? phase.id : null, calls: sess.history.length, agentModel: agent.model ?? null, history: sess.history };
    const rules = [...agent.rules].sort((x, y) => x.index - y.index).filter((r) => toolMatches(r.tool, call.tool));
    const reached = (r: Rule): T => (r.phase !== undefined && r.phase !== env.phase ? false : this.ruleHolds(r, env));
    // 3. Mandatory denies; 4. first match; a reached rule with a type error denies.
    for (const pass of [true, false]) {
      for (const r of rules.filter((x) => x.mandatory === pass)) {
        const t = reached(r);
        if (t === BAD) return end(deny('POLICY_EVAL_ERROR', this.ref(r.loc), `a field has the wrong type in rule ${this.ref(r.loc)}`, this.ref(r.loc)));
        if (t !== true) continue;
        const d = ruleDecision(r.effect, call.tool, this.ref(r.loc), r.mandatory, r.reason ?? null, r.notify ?? null, false);
        return end(r.effect === 'deny' ? d : this.limits(agent, call, now, sessionId, d, commit));
      }
    }
    // 5. The agent's default.
    const d = ruleDecision(agent.default, call.tool, this.ref(agent.defaultLoc ?? agent.loc), false, null, null, true);
    return end(agent.default === 'deny' ? d : this.limits(agent, call, now, sessionId, d, commit));
  }

  /** The session's phase now, moving along `next` when `duration` has passed (stored when committing). */
  private phaseAt(agent: Agent, sess: SessionState, now: number, commit: boolean): Phase {
    const ps = agent.phases;
    let i = sess.phase === null ? -1 : ps.findIndex((p) => p.id === sess.phase);
    let since = sess.phaseSinceMs;
    if (i < 0) {
      i = Math.max(0, ps.findIndex((p) => p.id === 'init'));
      since = now;
    } else {
      for (let n = 0; n < 4096; n++) {
        const p = ps[i]!;
        const next = p.next === undefined ? -1 : ps.findIndex((q) => q.id === p.next);
        if (p.durationSeconds === undefined || next < 0 || now < since + p.durationSeconds * 1000) break;
        since += p.durationSeconds * 1000;
        i = next;
      }
    }
    if (commit) {
      sess.phase = ps[i]!.id;
      sess.phaseSinceMs = since;
    }
    return ps[i]!;
  }

  private ruleHolds(r: Rule, env: Env): T {
    const parts = this.network(r.network, env);
    if (r.when) parts.push(truth(this.eval(r.when, env)));
    return kleeneAnd(parts);
  }

  private network(n: NetworkMatch | undefined, env: Env): T[] {
    if (!n) return [];
    const out: T[] = [];
    const glob = (v: V, test: (s: string) => boolean, numbers = false): T => {
      if (marked(v)) return v;
      if (v === null) return UNKNOWN;
      if (numbers && typeof v === 'number') return test(String(v));
      return typeof v === 'string' ? test(v) : BAD;
    };
    // A clause on an unset env() value is unknown: never true.
    if (n.unsetEnv !== undefined) out.push(UNKNOWN);
    if (n.host !== undefined) out.push(glob(variable(env, 'host', []), (s) => hostPattern(n.host!, s)));
    if (n.port !== undefined) out.push(compare('==', variable(env, 'port', []), n.port));
    if (n.method !== undefined) out.push(glob(variable(env, 'method', []), (s) => s.toUpperCase() === n.method!.toUpperCase()));
    if (n.path !== undefined) out.push(glob(variable(env, 'path', []), (s) => segmentGlob(n.path!, s)));
    for (const q of n.query ?? []) out.push(glob(variable(env, 'query', [q.key]), (s) => q.value === '*' || wildcard(q.value, s), true));
    for (const h of n.headers ?? []) out.push(glob(variable(env, 'headers', [h.key.toLowerCase()]), (s) => h.value === '*' || wildcard(h.value, s), true));
    return out;
  }

  private regex(src: string): RE2JS {
    let re = this.regexCache.get(src);
    if (!re) {
      re = RE2JS.compile(src);
      this.regexCache.set(src, re);
    }
    return re;
  }

  private eval(e: Expr, env: Env): V {
    switch (e.k) {
      case 'lit':
        // An unset env() value (check --allow-unset-env only) is unknown: nothing computed from it is true.
        return e.unsetEnv !== undefined ? UNKNOWN : (e.value as J);
      case 'var':
        return variable(env, e.root, e.path);
      case 'list': {
        const items = e.items.map((x) => this.eval(x, env));
        return markOf(...items) ?? (items as J[]);
      }
      case 'not': {
        const t = truth(this.eval(e.e, env));
        return marked(t) ? t : !t;
      }
      case 'and':
        return kleeneAnd([truth(this.eval(e.l, env)), truth(this.eval(e.r, env))]);
      case 'or':
        return kleeneOr([truth(this.eval(e.l, env)), truth(this.eval(e.r, env))]);
      case 'cmp':
        return compare(e.op, this.eval(e.l, env), this.eval(e.r, env));
      case 'in':
        return membership(e.negated, this.eval(e.l, env), this.eval(e.r, env));
      case 'strop':
        return stringOp(e.op, this.eval(e.l, env), this.eval(e.r, env));
      case 'matches': {
        const v = this.eval(e.l, env);
        if (marked(v)) return v;
        if (v === null) return UNKNOWN;
        return typeof v === 'string' ? this.regex(e.pattern).test(v) : BAD;
      }
      case 'call':
        return this.builtin(e, env);
    }
  }

  /** The list at `args.<path>`: UNKNOWN when absent, BAD when not a list. */
  private argList(p: V, env: Env): readonly unknown[] | Unknown | Bad {
    if (marked(p)) return p;
    if (typeof p !== 'string' || p === '') return BAD;
    const v = follow(env.call.args, p.split('.'));
    if (v === null) return UNKNOWN;
    if (marked(v)) return v;
    return Array.isArray(v) ? v : BAD;
  }

  private builtin(e: Expr & { k: 'call' }, env: Env): V {
    if (e.fn === 'purpose') {
      // True iff args.purpose == name; false otherwise (also when missing).
      const n = this.eval(e.args[0]!, env);
      if (typeof n !== 'string') return BAD;
      const a = env.call.args;
      return a !== undefined && a !== null && own(a, 'purpose') && a['purpose'] === n;
    }
    if (e.fn === 'args_array_any_match') {
      const re = e.args[1];
      const l = this.argList(this.eval(e.args[0]!, env), env);
      if (marked(l)) return l;
      if (!re || re.k !== 'lit' || typeof re.value !== 'string') return BAD;
      if (l.some((x) => typeof x !== 'string')) return BAD;
      const rx = this.regex(re.value);
      return l.some((x) => rx.test(x as string));
    }
    const a = e.args.map((x) => this.eval(x, env));
    const m = markOf(...a);
    if (m) return m;
    const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
    const permitted = env.history.filter((h) => h.effect === 'permit');
    switch (e.fn) {
      case 'history_contains_within': {
        const [t, s] = a;
        if (typeof t !== 'string' || !num(s)) return BAD;
        return this.tail(env, s).some((h) => h.effect === 'permit' && historyTool(t, h.tool));
      }
      case 'history_sequence': {
        if (a.some((t) => typeof t !== 'string')) return BAD;
        let k = 0;
        for (const h of permitted) if (k < a.length && historyTool(a[k] as string, h.tool)) k++;
        return k === a.length;
      }
      case 'history_tool_count': {
        const t = a[0];
        if (typeof t !== 'string') return BAD;
        return permitted.filter((h) => historyTool(t, h.tool)).length;
      }
      case 'deny_count_within': {
        const s = a[0];
        if (!num(s)) return BAD;
        return this.tail(env, s).filter((h) => h.effect === 'deny').length;
      }
      case 'args_array_len': {
        const l = this.argList(a[0]!, env);
        return marked(l) ? l : l.length;
      }
      case 'args_array_contains': {
        const l = this.argList(a[0]!, env);
        if (marked(l)) return l;
        const v = a[1];
        if (!scalar(v)) return BAD;
        if (l.some((x) => x !== null && typeof x === 'object')) return BAD;
        return l.includes(v);
      }
      case 'len': {
        const x = a[0];
        if (x === null) return UNKNOWN;
        if (typeof x === 'string' || Array.isArray(x)) return x.length;
        if (typeof x === 'object') return Object.keys(x as object).length;
        return BAD;
      }
      case 'session_sum': {
        const [t, f, s] = a;
        if (typeof t !== 'string' || typeof f !== 'string' || (a.length === 3 && !num(s))) return BAD;
        let sum = 0;
        for (const h of permitted) {
          if ((a.length === 3 && h.timeMs < env.now - (s as number) * 1000) || !historyTool(t, h.tool)) continue;
          const v = follow(h.args, f.split('.'));
          if (v === UNKNOWN || v === null) continue;
          if (!num(v)) return BAD;
          sum += v;
        }
        return sum;
      }
      case 'session_count': {
        const [t, s] = a;
        if (typeof t !== 'string' || (a.length === 2 && !num(s))) return BAD;
        return permitted.filter((h) => (a.length === 1 || h.timeMs >= env.now - (s as number) * 1000) && historyTool(t, h.tool)).length;
      }
    }
    return BAD;
  }

  /**
   * Windowed history reads look back from the newest entry and stop at the first
   * entry older than the window (the history is in decision order, and decision
   * times only move forward on one clock).
   */
  private tail(env: Env, seconds: number): SessionState['history'] {
    const since = env.now - seconds * 1000;
    let i = env.history.length;
    while (i > 0 && env.history[i - 1]!.timeMs >= since) i--;
    return env.history.slice(i);
  }

  /**
   * DESIGN §3 step 6 for a permit or defer: delegation grants, session limits,
   * rate limits, budgets, egress, model policy; the first refusal decides.
   * State changes only when `commit` and nothing refused.
   */
  private limits(agent: Agent, call: Call, now: number, sessionId: string, d: Decision, commit: boolean): Decision {
    const tool = call.tool;
    const cost = call.cost ?? 0;
    const later: Array<() => void> = [];
    if (call.delegation !== undefined) {
      const g = this.delegation(agent, call, now, sessionId, d, later);
      if (g.effect === 'deny') return g;
      d = g;
    }
    if (agent.session) {
      const over = this.sessionLimit(agent.session, `${agent.id}\u0000${sessionId}`, now, cost, later);
      if (over !== null) return over;
    }
    const tokenWrites: Array<() => void> = [];
    for (let i = 0; i < agent.rateLimits.length; i++) {
      const rl: RateLimit = agent.rateLimits[i]!;
      if (!toolMatches(rl.pattern, tool)) continue;
      const key = `${agent.id}#${i}`;
      const perSecond = rl.count / WINDOW_S[rl.per]!;
      const b = this.buckets.get(key);
      const tokens = b === undefined ? rl.count : Math.min(rl.count, b.tokens + (Math.max(0, now - b.at) / 1000) * perSecond);
      if (tokens < 1) {
        const r = this.ref(rl.loc);
        return { effect: 'deny', code: 'RATE_EXCEEDED', rule_ref: r, human_message: `denied: ${tool} rate limit (${rl.count}/${rl.per}) exceeded`, resolution: { type: 'retry_after', retry_after_seconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) } };
      }
      tokenWrites.push(() => this.buckets.set(key, { tokens: tokens - 1, at: now }));
    }
    const spendWrites: Array<() => void> = [];
    const warnings: DecisionWarning[] = [];
    const day = Math.floor(now / DAY_MS);
    for (let i = 0; i < agent.budgets.length; i++) {
      const b: Budget = agent.budgets[i]!;
      const dayKey = `${agent.id}#${i}#day${day}`;
      const key = b.window === 'session' ? `${agent.id}#${i}#s#${sessionId}` : dayKey;
      const c = this.spend.get(key) ?? { spent: 0, calls: 0 };
      const dc = b.window === 'session' && b.daily !== undefined ? (this.spend.get(dayKey) ?? { spent: 0, calls: 0 }) : c;
      const overMax = b.max !== undefined && c.spent + cost > b.max;
      const overDaily = b.daily !== undefined && dc.spent + cost > b.daily;
      const overCalls = b.maxCalls !== undefined && c.calls + 1 > b.maxCalls;
      const r = this.ref(b.loc);
      if (overMax || overDaily || overCalls) {
        const cap = overMax ? `ceiling ($${b.max!.toFixed(2)})` : overDaily ? `daily ceiling ($${b.daily!.toFixed(2)})` : `call limit (${b.maxCalls})`;
        if (b.onExceed === 'deny') {
          const resets = b.window === 'daily' || (overDaily && !overMax && !overCalls) ? new Date((day + 1) * DAY_MS).toISOString().replace('.000Z', 'Z') : null;
          return { effect: 'deny', code: 'BUDGET_EXCEEDED', rule_ref: r, budget_id: b.id, human_message: `denied: ${b.id} budget ${cap} reached`, resolution: { type: 'budget_reset', resets_at: resets } };
        }
        if (b.onExceed === 'defer') {
          if (!(d.effect === 'defer' && d.code === 'BUDGET_EXCEEDED')) {
            d = { effect: 'defer', code: 'BUDGET_EXCEEDED', rule_ref: r, budget_id: b.id, human_message: `${tool} deferred: ${b.id} budget ${cap} reached`, resolution: { type: 'pending_approval', approval_id: '' } };
          }
        } else warnings.push({ code: 'BUDGET_EXCEEDED', budget_id: b.id, rule_ref: r, human_message: `audit: ${b.id} budget ${cap} reached` });
      } else if (b.max !== undefined && b.warnAt !== undefined && c.spent + cost >= b.warnAt * b.max) {
        warnings.push({ code: 'BUDGET_WARNING', budget_id: b.id, rule_ref: r, human_message: `budget ${Math.round(((c.spent + cost) / b.max) * 100)}% consumed` });
      }
      const nc = { spent: c.spent + cost, calls: c.calls + 1 };
      spendWrites.push(() => this.spend.set(key, nc));
      if (dc !== c) {
        const nd = { spent: dc.spent + cost, calls: dc.calls + 1 };
        spendWrites.push(() => this.spend.set(dayKey, nd));
      }
    }
    if (agent.egress) {
      const why = egressRefusal(agent.egress, call);
      if (why !== null) return { effect: 'deny', code: 'EGRESS_DENIED', rule_ref: this.ref(agent.egress.loc), human_message: `denied: ${why}`, resolution: { type: 'rule_block', rule_id: 'egress' } };
    }
    if (agent.modelPolicy) {
      const mp = agent.modelPolicy;
      const model = typeof call.model === 'string' ? call.model : (agent.model ?? null);
      const hit = (list: string[]): boolean => list.some((p) => wildcard(p.toLowerCase(), model!.toLowerCase()));
      if (model === null || hit(mp.deny) || (mp.allow.length > 0 && !hit(mp.allow))) {
        return { effect: 'deny', code: 'MODEL_DENIED', rule_ref: this.ref(mp.loc), human_message: `denied: model '${model ?? '(unknown)'}' is not permitted`, resolution: { type: 'rule_block', rule_id: 'model_policy' } };
      }
    }
    if (warnings.length > 0) d = { ...d, warnings: [...(d.warnings ?? []), ...warnings] };
    if (!commit) return d;
    for (const w of later) w();
    for (const w of tokenWrites) w();
    // A call a budget deferred has spent nothing yet.
    if (!(d.effect === 'defer' && d.code === 'BUDGET_EXCEEDED')) for (const w of spendWrites) w();
    return d;
  }

  /**
   * `session {}` (README "What is enforced"): per (agent, session id), from the
   * session's first passing call: at most `max_calls` calls, `max_cost` of
   * reported cost, `max_duration` seconds since the first call, `idle_timeout`
   * seconds between calls. Over any → SESSION_LIMIT at the block's line.
   */
  private sessionLimit(lim: SessionLimits, key: string, now: number, cost: number, later: Array<() => void>): Decision | null {
    const u = this.sessionUse.get(key);
    const calls = u === undefined ? 0 : u.calls;
    const spent = u === undefined ? 0 : u.cost;
    const over =
      (lim.maxCalls !== undefined && calls >= lim.maxCalls) ||
      (lim.maxCost !== undefined && spent + cost > lim.maxCost) ||
      (u !== undefined && lim.maxDurationSeconds !== undefined && (now - u.first > lim.maxDurationSeconds * 1000 || now < u.first)) ||
      (u !== undefined && lim.idleTimeoutSeconds !== undefined && now - u.last > lim.idleTimeoutSeconds * 1000);
    if (over) return deny('SESSION_LIMIT', this.ref(lim.loc), 'a session limit is reached; start a new session', 'session');
    later.push(() => this.sessionUse.set(key, { first: u === undefined ? now : u.first, last: u === undefined ? now : Math.max(u.last, now), calls: calls + 1, cost: spent + cost }));
    return null;
  }

  /**
   * `delegate` grants (README "Delegation"): a call made under `delegation =
   * {by, depth}` needs every grant of agent `by` that covers this agent to
   * admit it (scope pattern and bound, max_depth, ttl), then each grant's
   * ceiling caps the decision. Delegation only narrows.
   */
  private delegation(agent: Agent, call: Call, now: number, sessionId: string, d: Decision, later: Array<() => void>): Decision {
    const del: unknown = call.delegation;
    const refuse = (ref: string | null, why: string): Decision => deny('DELEGATION_DENIED', ref, why, 'delegate');
    if (del === null || typeof del !== 'object' || Array.isArray(del)) return refuse(null, 'call.delegation is not an object');
    const by: unknown = (del as { [k: string]: unknown })['by'];
    const rawDepth: unknown = (del as { [k: string]: unknown })['depth'];
    if (typeof by !== 'string' || by.length === 0) return refuse(null, 'call.delegation.by names no agent');
    const depth = rawDepth === undefined ? 1 : rawDepth;
    if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1) return refuse(null, 'call.delegation.depth is not a whole number ≥ 1');
    const delegator = this.policy.agents.find((a) => a.id === by);
    const known = new Set(this.policy.agents.map((a) => a.id));
    const grants: Delegation[] = (delegator?.delegations ?? []).filter((g) => g.targets.length === 0 || g.targets.some((t) => t === agent.id && known.has(t)));
    if (grants.length === 0) return refuse(null, `agent '${by}' grants nothing to '${agent.id}'`);
    const since = this.delegatedAt.get(`${agent.id}\u0000${sessionId}\u0000${by}`);
    let delegators: Decision | null = null;
    for (const g of grants) {
      const r = this.ref(g.loc);
      if (g.scope) {
        if (!toolMatches(g.scope.tool, call.tool)) return refuse(r, 'tool outside the delegated scope');
        const b = g.scope.bound;
        if (b) {
          let v: unknown = call.args;
          for (const seg of b.path) v = v !== null && typeof v === 'object' && !Array.isArray(v) && own(v, seg) ? (v as { [k: string]: unknown })[seg] : undefined;
          if (typeof v !== 'number' || !Number.isFinite(v)) return refuse(r, 'the bounded argument is missing or not a number');
          const holds = compare(b.op, v, b.value);
          if (holds !== true) return refuse(r, 'the bounded argument is outside the delegated scope');
        }
      }
      if (g.maxDepth !== undefined && (depth as number) > g.maxDepth) return refuse(r, 'delegation chain too long');
      if (g.ttlSeconds !== undefined && since !== undefined && (now < since || now - since > g.ttlSeconds * 1000)) return refuse(r, 'the delegation expired');
      switch (g.ceiling ?? 'permit') {
        case 'deny':
          return refuse(r, 'ceiling deny');
        case 'defer':
          if (d.effect === 'permit') d = { effect: 'defer', code: 'POLICY_DEFER', rule_ref: r, human_message: `${call.tool} deferred: delegation ceiling defer`, resolution: { type: 'pending_approval', approval_id: '' } };
          break;
        case 'inherited': {
          // What `by` itself would get for this call: decided without the delegation, changing nothing.
          if (delegators === null) {
            const { delegation: _gone, ...plain } = call;
            delegators = this.attempt({ ...plain, agent: by }, false);
          }
          if (delegators.effect === 'deny') return refuse(r, `the delegator would be denied (${delegators.code})`);
          if (delegators.effect === 'defer' && d.effect === 'permit') d = { effect: 'defer', code: 'POLICY_DEFER', rule_ref: r, human_message: `${call.tool} deferred: the delegator would need approval`, resolution: { type: 'pending_approval', approval_id: '' } };
          break;
        }
        default:
          break;
      }
    }
    if (since === undefined) later.push(() => this.delegatedAt.set(`${agent.id}\u0000${sessionId}\u0000${by}`, now));
    return d;
  }
}

// ---------------------------------------------------------------- helpers

function deny(code: Decision['code'], ruleRef: string | null, why: string, ruleId: string): Decision {
  return { effect: 'deny', code, rule_ref: ruleRef, human_message: `denied: ${why}`, resolution: { type: 'rule_block', rule_id: ruleId } };
}

/** Why a call is malformed, or null. */
function invalid(call: unknown): string | null {
  if (call === null || typeof call !== 'object' || Array.isArray(call)) return 'call is not an object';
  const c = call as { [k: string]: unknown };
  const objOrAbsent = (v: unknown): boolean => v === undefined || (v !== null && typeof v === 'object' && !Array.isArray(v));
  if (typeof c['agent'] !== 'string') return 'call.agent must be a string';
  if (typeof c['tool'] !== 'string') return 'call.tool must be a string';
  if (c['session'] !== undefined && typeof c['session'] !== 'string') return 'call.session must be a string';
  if (c['model'] !== undefined && typeof c['model'] !== 'string') return 'call.model must be a string';
  if (c['cost'] !== undefined && !(typeof c['cost'] === 'number' && Number.isFinite(c['cost']) && c['cost'] >= 0)) return 'call.cost must be a finite number ≥ 0';
  if (own(c, 'time')) return 'call.time is not accepted: decisions use the runtime clock';
  if (!objOrAbsent(c['args'])) return 'call.args must be an object';
  if (!objOrAbsent(c['principal'])) return 'call.principal must be an object';
  const g = c['principal'] === undefined ? undefined : (c['principal'] as { [k: string]: unknown })['groups'];
  if (g !== undefined && !(Array.isArray(g) && g.every((x) => typeof x === 'string'))) return 'call.principal.groups must be a list of strings';
  if (!objOrAbsent(c['selectors'])) return 'call.selectors must be an object';
  return null;
}

/** A deep copy of JSON-shaped data, or null when deeper than COPY_DEPTH or larger than COPY_NODES. Iterative. */
function boundedCopy(root: unknown): unknown {
  let nodes = 0;
  const wrap: { v: unknown } = { v: undefined };
  const todo: Array<{ from: unknown; to: { [k: string]: unknown } | unknown[]; key: string | number; depth: number }> = [{ from: root, to: wrap as unknown as { [k: string]: unknown }, key: 'v', depth: 0 }];
  while (todo.length > 0) {
    const { from, to, key, depth } = todo.pop()!;
    if (++nodes > COPY_NODES) return null;
    let out: unknown = from;
    if (from !== null && typeof from === 'object') {
      if (depth >= COPY_DEPTH) return null;
      if (Array.isArray(from)) {
        const arr: unknown[] = new Array(from.length);
        for (let i = from.length - 1; i >= 0; i--) todo.push({ from: from[i], to: arr, key: i, depth: depth + 1 });
        out = arr;
      } else {
        const obj: { [k: string]: unknown } = {};
        // Pushed last to first, so keys are defined (popped) in the caller's order.
        const keys = Object.keys(from);
        for (let i = keys.length - 1; i >= 0; i--) todo.push({ from: (from as { [k: string]: unknown })[keys[i]!], to: obj, key: keys[i]!, depth: depth + 1 });
        out = obj;
      }
    }
    Object.defineProperty(to, key, { value: out, enumerable: true, writable: true, configurable: true });
  }
  return wrap.v;
}

/** Masks one dotted path (own properties only; numeric segments index lists). */
function mask(obj: unknown, path: string[]): void {
  let cur: unknown = obj;
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object' || !own(cur, path[i]!)) return;
    if (i === path.length - 1) (cur as { [k: string]: unknown })[path[i]!] = REDACTED;
    else cur = (cur as { [k: string]: unknown })[path[i]!];
  }
}

/**
 * Egress per DESIGN §3 step 6: every destination the call carries must pass
 * (deny list first, then a non-empty allow list); a destination present but
 * not parsable into one host is refused. Null when the call may go out.
 * Fields are found with for-in (inherited ones count: more checks, never fewer).
 */
function egressRefusal(eg: HostLists, call: Call): string | null {
  const a: { [k: string]: unknown } = call.args ?? {};
  for (const k in a) {
    if (!DESTINATIONS.has(k)) continue;
    const v = a[k];
    const items: unknown[] = Array.isArray(v) ? v : [v];
    if (items.length > MAX_LIST_DESTINATIONS) return `args.${k} holds too many destinations`;
    for (const item of items) {
      if (typeof item !== 'string') return `destination args.${k} is not a string`;
      const host = destinationHost(item, URL_DESTINATIONS.includes(k));
      if (host === null) return `destination args.${k} cannot be parsed into one host`;
      if (eg.deny.some((p) => hostPattern(p, host))) return `host '${host}' is in the egress deny list`;
      if (eg.allow.length > 0 && !eg.allow.some((p) => hostPattern(p, host))) return `host '${host}' not in egress allow list`;
    }
  }
  return null;
}

/**
 * The one host a destination names, canonical (lower case, punycode, no
 * trailing dot), or null when it names none unambiguously: `scheme://authority`
 * (or a bare authority where `needScheme` is false), no userinfo, no
 * backslash, percent-escape, space or control character, at most one port of
 * 1–65535, labels of 1–63 `[a-z0-9_-]` not starting or ending with `-`, and a
 * numeric-looking last label only in a canonical dotted quad.
 */
function destinationHost(s: string, needScheme: boolean): string | null {
  if (s.length === 0 || s.length > 8192) return null;
  const m = /^[A-Za-z][A-Za-z0-9+.\-]*:\/\/([^/?#]*)/.exec(s);
  if (m === null && (needScheme || s.includes('://'))) return null;
  const auth = m === null ? s : m[1]!;
  if (auth === '' || /[\u0000-\u0020\u007f\\@%/?#]/.test(auth)) return null;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(auth);
  if (auth.startsWith('[')) {
    if (v6 === null || (v6[2] !== undefined && !portOk(v6[2]))) return null;
    return ipv6(v6[1]!);
  }
  const parts = auth.split(':');
  if (parts.length > 2 || (parts.length === 2 && !portOk(parts[1]!))) return null;
  let h = parts[0]!;
  if (/[^\u0000-\u007f]/.test(h)) {
    h = domainToASCII(h);
    if (h === '') return null;
  }
  h = h.toLowerCase().replace(/\.$/, '');
  if (h.length === 0 || h.length > 253) return null;
  const labels = h.split('.');
  if (!labels.every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) return null;
  if (/^([0-9]+|0x[0-9a-f]*)$/.test(labels[labels.length - 1]!) && !(labels.length === 4 && labels.every((l) => /^(0|[1-9][0-9]{0,2})$/.test(l) && Number(l) <= 255))) return null;
  return h;
}

function portOk(p: string): boolean {
  return /^[0-9]{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
}

/** A bracketed IPv6 host in RFC 5952 text, an IPv4-mapped one as its IPv4 address; null when malformed. */
function ipv6(inner: string): string | null {
  if (!/^[0-9A-Fa-f:.]{1,45}$/.test(inner)) return null;
  let h: string;
  try {
    h = new URL(`http://[${inner}]/`).hostname;
  } catch {
    return null;
  }
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(h);
  if (mapped === null) return h.startsWith('[') ? h : null;
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Exposed for tests of the reference itself. */
export const _internal = { wildcard, segmentGlob, hostPattern, boundedCopy, egressRefusal, destinationHost } as const;
export type { Value };
