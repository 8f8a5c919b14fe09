/**
 * Value semantics of conditions (DESIGN §3 "Totality, fail closed") for the
 * bytecode evaluator. (The IR reference interpreter, `compiler/src/interp/`,
 * re-implements them on purpose: a differential test compares the two.)
 *
 * A condition computes over JSON values plus two marks:
 * - `MISSING` (*unknown*): a field the call does not carry (or carries as
 *   `null` where a value is compared, or an array index past the end). An
 *   operator with a missing operand is unknown; `and`/`or`/`not` follow Kleene
 *   logic (`unknown or true` = true, `unknown and false` = false).
 * - `TYPE_ERR`: a field *present with the wrong type* (a list where a string
 *   is compared, a string where a number is, a path through a value that is
 *   not an object). It absorbs everything, `and`/`or` included, so the result
 *   does not depend on operand order; a rule whose condition ends in TYPE_ERR
 *   denies the call (`POLICY_EVAL_ERROR`) when it is reached.
 *
 * Every function here is total: it never throws on any input an agent can send.
 */
import type { Call } from './types';

/** *Unknown*: a missing field (the comparison neither holds nor fails). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;
/** A field present with the wrong type: the rule that reads it denies. */
export const TYPE_ERR: unique symbol = Symbol('type-error');
export type TypeErr = typeof TYPE_ERR;
/** Either mark. */
export type Mark = Missing | TypeErr;

/**
 * "No value": kept for code that only asks whether a value is there (e.g.
 * `hostOf`). Equal to MISSING.
 */
export const ERR: Missing = MISSING;
export type Err = Missing;

/** A value a condition sees at run time (JSON shapes only). */
export type RValue = string | number | boolean | null | readonly unknown[] | { readonly [k: string]: unknown };
/** A value or a mark. */
export type XValue = RValue | Mark;
/** A condition result: true, false, unknown or type error. */
export type Tri = boolean | Mark;

const hasOwn = Object.prototype.hasOwnProperty;

/** Whether `v` is one of the two marks. */
export function isMark(v: unknown): v is Mark {
  return v === MISSING || v === TYPE_ERR;
}

/** Normalises an agent-supplied value: JSON shapes pass, anything else (undefined, NaN, functions, class instances) is a type error. */
export function norm(v: unknown): RValue | TypeErr | Missing {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : TYPE_ERR;
    case 'undefined':
      return MISSING;
    case 'object':
      if (v === null) return null;
      if (Array.isArray(v)) return v;
      return Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null ? (v as { [k: string]: unknown }) : TYPE_ERR;
    default:
      return TYPE_ERR;
  }
}

const INDEX = /^(0|[1-9][0-9]{0,8})$/;

/**
 * Reads `obj.seg1.seg2...` through own properties of plain objects (numeric
 * segments index arrays). An absent key, an index past the end, an absent or
 * `null` object on the way → MISSING; a step into a string, number, bool, or a
 * non-numeric segment on an array → TYPE_ERR.
 */
export function walk(obj: unknown, segs: readonly string[], from = 0): XValue {
  let cur: unknown = obj;
  for (let i = from; i < segs.length; i++) {
    if (cur === undefined || cur === null) return MISSING;
    const s = segs[i]!;
    if (Array.isArray(cur)) {
      if (!INDEX.test(s)) return TYPE_ERR;
      const k = Number(s);
      if (k >= cur.length) return MISSING;
      cur = cur[k];
      continue;
    }
    if (typeof cur !== 'object') return TYPE_ERR;
    const proto = Object.getPrototypeOf(cur);
    if (proto !== Object.prototype && proto !== null) return TYPE_ERR;
    if (!hasOwn.call(cur, s)) return MISSING;
    cur = (cur as { [k: string]: unknown })[s];
  }
  return norm(cur);
}

/** `args.url` parsed: MISSING when absent, TYPE_ERR when present and not a parsable URL with a host. */
function urlOf(call: Call): URL | Mark {
  const a = call.args;
  if (a === undefined || a === null || !hasOwn.call(a, 'url')) return MISSING;
  const u = a['url'];
  if (u === null) return MISSING;
  if (typeof u !== 'string') return TYPE_ERR;
  try {
    return new URL(u);
  } catch {
    return TYPE_ERR;
  }
}

/**
 * The host a call reaches, for the pipeline: `args.host`, or the host name of
 * `args.url`; ERR when neither gives a usable host.
 */
export function hostOf(call: Call): string | Err {
  const a = call.args;
  if (a && hasOwn.call(a, 'host')) {
    const h = a['host'];
    return typeof h === 'string' ? h.toLowerCase() : ERR;
  }
  const u = urlOf(call);
  return typeof u === 'object' && u.hostname ? u.hostname.toLowerCase() : ERR;
}

/**
 * The `host` variable of conditions: `args.host`, or the host of `args.url`.
 * Present with the wrong type, an unparsable URL, or a `host` and a `url` that
 * name different hosts (a decoy) → TYPE_ERR.
 */
function hostVar(call: Call): XValue {
  const a = call.args!;
  const h = hasOwn.call(a, 'host') ? a['host'] : undefined;
  if (h !== undefined && h !== null && typeof h !== 'string') return TYPE_ERR;
  const u = urlOf(call);
  if (u === TYPE_ERR) return TYPE_ERR;
  const uh = u === MISSING ? null : u.hostname.toLowerCase();
  if (u !== MISSING && uh === '') return TYPE_ERR;
  if (typeof h === 'string') {
    const hl = h.toLowerCase();
    if (uh !== null && uh !== hl) return TYPE_ERR;
    return hl;
  }
  return uh ?? MISSING;
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

/** A string field read as-is: MISSING when absent or null, TYPE_ERR when another type. */
function str(v: XValue): XValue {
  if (v === null) return MISSING;
  return isMark(v) || typeof v === 'string' ? v : TYPE_ERR;
}

/**
 * Resolves a variable (root + path) against a call: a value, MISSING (absent)
 * or TYPE_ERR (present with the wrong shape). `port` is internal (network
 * selector): `args.port` or the port of `args.url`.
 */
export function resolveVar(env: EvalEnv, root: string, segs: readonly string[]): XValue {
  const call = env.call;
  const a = call.args;
  // Most loads read `args` (issue 15, session 6): no Set lookup for them (`args` needs no check here).
  if (root === 'args') return walk(a, segs);
  if (ROOTS_NEEDING_ARGS.has(root) && (a === undefined || a === null || typeof a !== 'object')) return MISSING;
  switch (root) {
    case 'args':
      return walk(a, segs);
    case 'principal':
      return walk(call.principal, segs);
    case 'selector':
      return walk(call.selectors, segs);
    case 'time': {
      if (segs.length !== 1) return TYPE_ERR;
      const d = new Date(env.nowMs);
      if (Number.isNaN(d.getTime())) return TYPE_ERR;
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
          return TYPE_ERR;
      }
    }
    case 'session': {
      if (segs.length !== 1) return TYPE_ERR;
      switch (segs[0]) {
        case 'id':
          return typeof call.session === 'string' ? call.session : MISSING;
        case 'phase':
          return env.phase ?? MISSING;
        case 'call_count':
          return env.sessionCalls;
        default:
          return TYPE_ERR;
      }
    }
    case 'tool':
      return segs.length === 0 ? call.tool : TYPE_ERR;
    case 'agent':
      return segs.length === 0 ? call.agent : TYPE_ERR;
    case 'model': {
      if (segs.length !== 0) return TYPE_ERR;
      const m = typeof call.model === 'string' ? call.model : env.agentModel;
      return m ?? MISSING;
    }
    case 'host':
      return segs.length === 0 ? hostVar(call) : TYPE_ERR;
    case 'method': {
      if (segs.length !== 0) return TYPE_ERR;
      const m = str(walk(a, ['method']));
      return typeof m === 'string' ? m.toUpperCase() : m;
    }
    case 'path': {
      if (segs.length !== 0) return TYPE_ERR;
      if (hasOwn.call(a, 'path')) return str(walk(a, ['path']));
      const u = urlOf(call);
      return isMark(u) ? u : u.pathname;
    }
    case 'port': {
      if (segs.length !== 0) return TYPE_ERR;
      if (hasOwn.call(a, 'port')) return walk(a, ['port']);
      const u = urlOf(call);
      if (isMark(u)) return u;
      if (u.port) return Number(u.port);
      return u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : MISSING;
    }
    case 'query': {
      if (segs.length !== 1) return TYPE_ERR;
      if (hasOwn.call(a, 'query')) return walk(a, ['query', segs[0]!]);
      const u = urlOf(call);
      if (isMark(u)) return u;
      const v = u.searchParams.get(segs[0]!);
      return v === null ? MISSING : v;
    }
    case 'headers': {
      if (segs.length !== 1) return TYPE_ERR;
      const h = walk(a, ['headers']);
      if (isMark(h) || h === null) return h === null ? MISSING : h;
      if (typeof h !== 'object' || Array.isArray(h)) return TYPE_ERR;
      const want = segs[0]!.toLowerCase();
      for (const k of Object.keys(h)) if (k.toLowerCase() === want) return norm((h as { [k: string]: unknown })[k]);
      return MISSING;
    }
    case 'recipients': {
      if (segs.length !== 0) return TYPE_ERR;
      const r = walk(a, ['recipients']);
      if (isMark(r) || r === null) return r === null ? MISSING : r;
      return Array.isArray(r) ? r.length : TYPE_ERR;
    }
    default:
      return TYPE_ERR;
  }
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** The mark of a binary operator's operands: TYPE_ERR absorbs, then MISSING; null when both are values. */
function marks(l: XValue, r: XValue): Mark | null {
  if (l === TYPE_ERR || r === TYPE_ERR) return TYPE_ERR;
  if (l === MISSING || r === MISSING) return MISSING;
  return null;
}

/**
 * `l OP r` for == != < <= > >= (op = index in CMP_NAMES). `==`/`!=` compare
 * scalars of one type, or anything with `nil`; `<`… compare two numbers or two
 * strings (`nil` there is unknown). Any other mix → TYPE_ERR.
 */
export function cmp(op: number, l: XValue, r: XValue): Tri {
  const m = marks(l, r);
  if (m !== null) return m;
  if (op <= 1) {
    if (!isScalar(l) || !isScalar(r)) return TYPE_ERR;
    let eq: boolean;
    if (l === null || r === null) eq = l === r;
    else if (typeof l !== typeof r) return TYPE_ERR;
    else eq = l === r;
    return op === 0 ? eq : !eq;
  }
  if (l === null || r === null) return MISSING;
  if ((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string')) {
    return op === 2 ? l < r : op === 3 ? l <= r : op === 4 ? l > r : l >= r;
  }
  return TYPE_ERR;
}

/**
 * Membership of a scalar in a list. A non-null scalar whose type no item of a
 * non-empty list has (`5` in `["usd"]`) is a type error; a list item that is
 * itself a list or an object is too (`[["rm"]]` must not hide `"rm"`).
 */
function member(list: readonly unknown[], x: string | number | boolean | null): Tri {
  let sameType = list.length === 0 || x === null;
  let found = false;
  for (let i = 0; i < list.length; i++) {
    const it = list[i];
    if (it !== null && typeof it === 'object') return TYPE_ERR;
    if (it === x) found = true;
    if (typeof it === typeof x) sameType = true;
  }
  return sameType ? found : TYPE_ERR;
}

/** `l in r` / `l not in r`: r a list (membership of a scalar) or a string (substring). */
export function inOp(negated: boolean, l: XValue, r: XValue): Tri {
  const m = marks(l, r);
  if (m !== null) return m;
  let res: Tri;
  if (Array.isArray(r)) {
    if (!isScalar(l)) return TYPE_ERR;
    res = member(r, l);
  } else if (r === null || l === null) return MISSING;
  else if (typeof r === 'string' && typeof l === 'string') res = r.includes(l);
  else return TYPE_ERR;
  return typeof res === 'boolean' && negated ? !res : res;
}

/** contains (0), startsWith (1), endsWith (2). */
export function strop(op: number, l: XValue, r: XValue): Tri {
  const m = marks(l, r);
  if (m !== null) return m;
  if (op === 0 && Array.isArray(l)) return isScalar(r) ? member(l, r) : TYPE_ERR;
  if (l === null || r === null) return MISSING;
  if (typeof l !== 'string' || typeof r !== 'string') return TYPE_ERR;
  return op === 0 ? l.includes(r) : op === 1 ? l.startsWith(r) : l.endsWith(r);
}

/** `x matches re`: x must be a string. */
export function matchOp(x: XValue, test: (s: string) => boolean): Tri {
  if (isMark(x)) return x;
  if (x === null) return MISSING;
  return typeof x === 'string' ? test(x) : TYPE_ERR;
}

/** `len(x)`: string length, list length, object key count. */
export function len(x: XValue): number | Mark {
  if (isMark(x)) return x;
  if (x === null) return MISSING;
  if (typeof x === 'string') return x.length;
  if (Array.isArray(x)) return x.length;
  if (typeof x === 'object') return Object.keys(x).length;
  return TYPE_ERR;
}

/** A bool stays a bool; `nil` is unknown; anything else in a boolean position is a type error. */
export function toBool(x: XValue): Tri {
  if (x === true || x === false || isMark(x)) return x;
  return x === null ? MISSING : TYPE_ERR;
}

/** Kleene `and` (TYPE_ERR absorbs): false wins over unknown. */
export function and3(l: Tri, r: Tri): Tri {
  if (l === TYPE_ERR || r === TYPE_ERR) return TYPE_ERR;
  if (l === false || r === false) return false;
  if (l === MISSING || r === MISSING) return MISSING;
  return true;
}

/** Kleene `or` (TYPE_ERR absorbs): true wins over unknown. */
export function or3(l: Tri, r: Tri): Tri {
  if (l === TYPE_ERR || r === TYPE_ERR) return TYPE_ERR;
  if (l === true || r === true) return true;
  if (l === MISSING || r === MISSING) return MISSING;
  return false;
}

/** Kleene `not`: unknown stays unknown. */
export function not3(v: Tri): Tri {
  return isMark(v) ? v : !v;
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
export function globOp(kind: number, pat: string, v: XValue): Tri {
  if (isMark(v)) return v;
  if (v === null) return MISSING;
  if (kind === 3) return typeof v === 'string' ? v.toUpperCase() === pat.toUpperCase() : TYPE_ERR;
  if (typeof v === 'number' && kind === 2) v = String(v);
  if (typeof v !== 'string') return TYPE_ERR;
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
