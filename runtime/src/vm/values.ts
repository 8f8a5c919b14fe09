/**
 * Value semantics of conditions (DESIGN §3 "Totality"), shared by the bytecode
 * evaluator and the IR reference interpreter so that both mean the same thing
 * by `==`, `in`, `contains`, a field read, a glob.
 *
 * Every function here is total: it returns a value, `true`/`false`, or `ERR`
 * and never throws on any input an agent can send.
 */
import type { Call } from './types';

/** The *error* value: a missing field or a type mismatch. */
export const ERR: unique symbol = Symbol('error');
export type Err = typeof ERR;

/** A value a condition sees at run time (JSON shapes only). */
export type RValue = string | number | boolean | null | readonly unknown[] | { readonly [k: string]: unknown };
/** A condition result: true, false or error. */
export type Tri = boolean | Err;

const hasOwn = Object.prototype.hasOwnProperty;

/** Normalises an agent-supplied value: JSON shapes pass, anything else (undefined, NaN, functions, ...) is error. */
export function norm(v: unknown): RValue | Err {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : ERR;
    case 'object':
      if (v === null) return null;
      if (Array.isArray(v)) return v;
      return Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null ? (v as { [k: string]: unknown }) : ERR;
    default:
      return ERR;
  }
}

/** Reads `obj.seg1.seg2...` through own properties of plain objects only. */
export function walk(obj: unknown, segs: readonly string[], from = 0): RValue | Err {
  let cur: unknown = obj;
  for (let i = from; i < segs.length; i++) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) {
      // Arrays: numeric segments index them.
      if (Array.isArray(cur)) {
        const s = segs[i]!;
        if (!/^(0|[1-9][0-9]{0,8})$/.test(s)) return ERR;
        const k = Number(s);
        if (k >= cur.length) return ERR;
        cur = cur[k];
        continue;
      }
      return ERR;
    }
    const s = segs[i]!;
    if (!hasOwn.call(cur, s)) return ERR;
    cur = (cur as { [k: string]: unknown })[s];
  }
  return norm(cur);
}

/** Parses `args.url` once per call; null when absent or unparsable. */
function urlOf(call: Call): URL | null {
  const u = call.args && hasOwn.call(call.args, 'url') ? call.args['url'] : undefined;
  if (typeof u !== 'string') return null;
  try {
    return new URL(u);
  } catch {
    return null;
  }
}

/** The host a call reaches: `args.host`, or the host name of `args.url`; ERR when neither. */
export function hostOf(call: Call): string | Err {
  const a = call.args;
  if (a && hasOwn.call(a, 'host')) {
    const h = a['host'];
    return typeof h === 'string' ? h.toLowerCase() : ERR;
  }
  const u = urlOf(call);
  return u && u.hostname ? u.hostname.toLowerCase() : ERR;
}

/** Session/time facts a condition can read besides the call itself. */
export interface EvalEnv {
  call: Call;
  nowMs: number;
  /** Current phase id, or null when the agent has no phases. */
  phase: string | null;
  /** Number of calls already recorded in the session. */
  sessionCalls: number;
  /** The agent's declared model (used when the call names none). */
  agentModel: string | null;
}

const ROOTS_NEEDING_ARGS = new Set(['host', 'method', 'path', 'query', 'headers', 'recipients', 'port']);

/**
 * Resolves a variable (root + path) against a call. Missing → ERR.
 * `port` is internal (network selector): `args.port` or the port of `args.url`.
 */
export function resolveVar(env: EvalEnv, root: string, segs: readonly string[]): RValue | Err {
  const call = env.call;
  const a = call.args;
  if (ROOTS_NEEDING_ARGS.has(root) && (a === undefined || a === null || typeof a !== 'object')) return ERR;
  switch (root) {
    case 'args':
      return walk(a, segs);
    case 'principal':
      return walk(call.principal, segs);
    case 'selector':
      return walk(call.selectors, segs);
    case 'time': {
      if (segs.length !== 1) return ERR;
      const d = new Date(env.nowMs);
      if (Number.isNaN(d.getTime())) return ERR;
      switch (segs[0]) {
        case 'hour':
          return d.getUTCHours();
        case 'minute':
          return d.getUTCMinutes();
        case 'weekday':
          // ISO 8601, as the production engine: 1 = Monday … 7 = Sunday.
          return d.getUTCDay() === 0 ? 7 : d.getUTCDay();
        case 'day':
          return d.getUTCDate();
        case 'month':
          return d.getUTCMonth() + 1;
        case 'year':
          return d.getUTCFullYear();
        default:
          return ERR;
      }
    }
    case 'session': {
      if (segs.length !== 1) return ERR;
      switch (segs[0]) {
        case 'id':
          return typeof call.session === 'string' ? call.session : ERR;
        case 'phase':
          return env.phase ?? ERR;
        case 'call_count':
          return env.sessionCalls;
        default:
          return ERR;
      }
    }
    case 'tool':
      return segs.length === 0 && typeof call.tool === 'string' ? call.tool : ERR;
    case 'agent':
      return segs.length === 0 && typeof call.agent === 'string' ? call.agent : ERR;
    case 'model': {
      if (segs.length !== 0) return ERR;
      const m = typeof call.model === 'string' ? call.model : env.agentModel;
      return m ?? ERR;
    }
    case 'host':
      return segs.length === 0 ? hostOf(call) : ERR;
    case 'method': {
      if (segs.length !== 0) return ERR;
      const m = walk(a, ['method']);
      return typeof m === 'string' ? m.toUpperCase() : ERR;
    }
    case 'path': {
      if (segs.length !== 0) return ERR;
      if (hasOwn.call(a, 'path')) return walk(a, ['path']);
      const u = urlOf(call);
      return u ? u.pathname : ERR;
    }
    case 'port': {
      if (segs.length !== 0) return ERR;
      if (hasOwn.call(a, 'port')) return walk(a, ['port']);
      const u = urlOf(call);
      if (!u) return ERR;
      if (u.port) return Number(u.port);
      return u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : ERR;
    }
    case 'query': {
      if (segs.length !== 1) return ERR;
      if (hasOwn.call(a, 'query')) return walk(a, ['query', segs[0]!]);
      const u = urlOf(call);
      if (!u) return ERR;
      const v = u.searchParams.get(segs[0]!);
      return v === null ? ERR : v;
    }
    case 'headers': {
      if (segs.length !== 1) return ERR;
      const h = walk(a, ['headers']);
      if (h === ERR || h === null || typeof h !== 'object' || Array.isArray(h)) return ERR;
      const want = segs[0]!.toLowerCase();
      for (const k of Object.keys(h)) if (k.toLowerCase() === want) return norm((h as { [k: string]: unknown })[k]);
      return ERR;
    }
    case 'recipients': {
      if (segs.length !== 0) return ERR;
      const r = walk(a, ['recipients']);
      return Array.isArray(r) ? r.length : ERR;
    }
    default:
      return ERR;
  }
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** `l OP r` for == != < <= > >=. Different types → ERR (except == / != against nil). */
export function cmp(op: number, l: RValue | Err, r: RValue | Err): Tri {
  if (l === ERR || r === ERR) return ERR;
  if (op <= 1) {
    if (!isScalar(l) || !isScalar(r)) return ERR;
    let eq: boolean;
    if (l === null || r === null) eq = l === r;
    else if (typeof l !== typeof r) return ERR;
    else eq = l === r;
    return op === 0 ? eq : !eq;
  }
  if (typeof l === 'number' && typeof r === 'number') {
    return op === 2 ? l < r : op === 3 ? l <= r : op === 4 ? l > r : l >= r;
  }
  if (typeof l === 'string' && typeof r === 'string') {
    return op === 2 ? l < r : op === 3 ? l <= r : op === 4 ? l > r : l >= r;
  }
  return ERR;
}

/** Membership of a scalar in a list (items of another type never equal it). */
function member(list: readonly unknown[], x: string | number | boolean | null): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === x) return true;
  return false;
}

/** `l in r` / `l not in r`: r a list (membership of a scalar) or a string (substring). */
export function inOp(negated: boolean, l: RValue | Err, r: RValue | Err): Tri {
  if (l === ERR || r === ERR) return ERR;
  let res: boolean;
  if (Array.isArray(r)) {
    if (!isScalar(l)) return ERR;
    res = member(r, l);
  } else if (typeof r === 'string' && typeof l === 'string') {
    res = r.includes(l);
  } else return ERR;
  return negated ? !res : res;
}

/** contains (0), startsWith (1), endsWith (2). */
export function strop(op: number, l: RValue | Err, r: RValue | Err): Tri {
  if (l === ERR || r === ERR) return ERR;
  if (op === 0) {
    if (typeof l === 'string' && typeof r === 'string') return l.includes(r);
    if (Array.isArray(l) && isScalar(r)) return member(l, r);
    return ERR;
  }
  if (typeof l !== 'string' || typeof r !== 'string') return ERR;
  return op === 1 ? l.startsWith(r) : l.endsWith(r);
}

/** `len(x)`: string length, list length, object key count. */
export function len(x: RValue | Err): number | Err {
  if (typeof x === 'string') return x.length;
  if (Array.isArray(x)) return x.length;
  if (x !== null && typeof x === 'object') return Object.keys(x).length;
  return ERR;
}

/** A bool stays a bool; anything else in a boolean position is error. */
export function toBool(x: RValue | Err): Tri {
  return x === true || x === false ? x : ERR;
}

/** Matches `text` against `pat` where `*` matches any run (no `/` inside `pat` or `text` segments here). O(n·m). */
function starMatch(pat: string, text: string, ps: number, pe: number, ts: number, te: number, stopAt: string | null): boolean {
  let p = ps;
  let t = ts;
  let starP = -1;
  let starT = -1;
  while (t < te) {
    if (p < pe && pat.charCodeAt(p) !== 42 && pat.charCodeAt(p) === text.charCodeAt(t)) {
      p++;
      t++;
    } else if (p < pe && pat.charCodeAt(p) === 42) {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      if (stopAt !== null && text[starT] === stopAt) return false;
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (p < pe && pat.charCodeAt(p) === 42) p++;
  return p === pe;
}

/**
 * Glob where `*` matches any run of characters except `/` (rule tool patterns,
 * path selectors). Linear in practice, O(n·m) worst case; never backtracks exponentially.
 */
export function globNoSlash(pat: string, text: string): boolean {
  // Segment by segment: `*` never crosses `/`, so segment counts must agree.
  let ps = 0;
  let ts = 0;
  for (;;) {
    let pe = pat.indexOf('/', ps);
    let te = text.indexOf('/', ts);
    if (pe < 0) pe = pat.length;
    if (te < 0) te = text.length;
    if (!starMatch(pat, text, ps, pe, ts, te, null)) return false;
    const pDone = pe === pat.length;
    const tDone = te === text.length;
    if (pDone || tDone) return pDone && tDone;
    ps = pe + 1;
    ts = te + 1;
  }
}

/** Glob where `*` matches any run (query/header values, model names). */
export function globAny(pat: string, text: string): boolean {
  return starMatch(pat, text, 0, pat.length, 0, text.length, null);
}

/** Host pattern: `*` any host, `*.x.com` strict subdomains of x.com, otherwise exact; case-insensitive. */
export function hostMatch(pat: string, host: string): boolean {
  const p = pat.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.length > p.length - 1 && h.endsWith(p.slice(1));
  return p === h;
}

/** Network selector match by kind (GLOB_NAMES order: host, path, value, method). */
export function globOp(kind: number, pat: string, v: RValue | Err): Tri {
  if (v === ERR) return ERR;
  if (kind === 3) return typeof v === 'string' ? v.toUpperCase() === pat.toUpperCase() : ERR;
  if (typeof v === 'number' && kind === 2) v = String(v);
  if (typeof v !== 'string') return ERR;
  if (kind === 0) return hostMatch(pat, v);
  if (kind === 1) return globNoSlash(pat, v);
  return pat === '*' || globAny(pat, v);
}

/** Tool pattern match (PATTERN kinds: any, exact, glob, prefix). */
export function patternMatch(kind: number, text: string, tool: string): boolean {
  switch (kind) {
    case 0:
      return true;
    case 1:
      return text === tool;
    case 2:
      return globNoSlash(text, tool);
    case 3:
      return tool.startsWith(text.slice(0, -1));
    default:
      return false;
  }
}

/** A tool name as written in a history function: `*` anywhere makes it a rule glob. */
export function toolNameMatch(pat: string, tool: string): boolean {
  if (pat === '*') return true;
  return pat.includes('*') ? globNoSlash(pat, tool) : pat === tool;
}
