/**
 * Small builders for hand-written IR values in tests (until and besides `compile()`).
 * Every node gets a synthetic location; `line` may be given to control rule_ref.
 */
import type {
  Agent,
  Budget,
  CmpOp,
  Effect,
  Expr,
  HostLists,
  NetworkMatch,
  Phase,
  Policy,
  RateLimit,
  Redaction,
  Rule,
  SourceLoc,
  ToolPattern,
  Value,
  VarRoot,
  Window,
  BuiltinFn,
} from '@fms/compiler';

const SP = { start: 0, end: 0 };

/** A source location at `line` (col 1). */
export function loc(line: number, col = 1): SourceLoc {
  return { file: 'governance.fms', line, col, span: SP };
}

/** Canonical tool pattern from text: `*` any, no star exact, `x*` at the end with `prefix` true → prefix, else glob. */
export function pat(text: string, prefix = false): ToolPattern {
  if (text === '*') return { kind: 'any', text: '*' };
  if (!text.includes('*')) return { kind: 'exact', text };
  if (prefix && text.endsWith('*')) return { kind: 'prefix', text, prefix: text.slice(0, -1) };
  return { kind: 'glob', text };
}

export const E = {
  lit(value: Value): Expr {
    const type = value === null ? 'nil' : Array.isArray(value) ? 'list' : typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'bool' : 'any';
    return { k: 'lit', value, type, span: SP };
  },
  v(root: VarRoot, ...path: string[]): Expr {
    return { k: 'var', root, path, type: 'any', span: SP };
  },
  args(...path: string[]): Expr {
    return E.v('args', ...path);
  },
  list(...items: Expr[]): Expr {
    return { k: 'list', items, type: 'list', span: SP };
  },
  not(e: Expr): Expr {
    return { k: 'not', e, type: 'bool', span: SP };
  },
  and(l: Expr, r: Expr): Expr {
    return { k: 'and', l, r, type: 'bool', span: SP };
  },
  or(l: Expr, r: Expr): Expr {
    return { k: 'or', l, r, type: 'bool', span: SP };
  },
  cmp(op: CmpOp, l: Expr, r: Expr): Expr {
    return { k: 'cmp', op, l, r, type: 'bool', span: SP };
  },
  in(l: Expr, r: Expr, negated = false): Expr {
    return { k: 'in', negated, l, r, type: 'bool', span: SP };
  },
  matches(l: Expr, pattern: string): Expr {
    return { k: 'matches', l, pattern, type: 'bool', span: SP };
  },
  strop(op: 'contains' | 'startsWith' | 'endsWith', l: Expr, r: Expr): Expr {
    return { k: 'strop', op, l, r, type: 'bool', span: SP };
  },
  call(fn: BuiltinFn, ...args: Expr[]): Expr {
    return { k: 'call', fn, args, type: 'any', span: SP };
  },
};

let autoLine = 100;

/** Options of a rule. */
export interface RuleOpts {
  when?: Expr;
  line?: number;
  mandatory?: boolean;
  reason?: string;
  notify?: string;
  network?: NetworkMatch;
  phase?: string;
  origin?: Rule['origin'];
}

/** A rule (index is assigned by `agent`). */
export function rule(effect: Effect | 'deny!', tool: string, o: RuleOpts = {}): Rule {
  const mandatory = effect === 'deny!' || o.mandatory === true;
  const line = o.line ?? autoLine++;
  const r: Rule = {
    index: 0,
    effect: effect === 'deny!' ? 'deny' : effect,
    mandatory,
    tool: pat(tool),
    origin: o.origin ?? (o.phase ? 'phase' : 'rules'),
    loc: loc(line, 3),
    text: `${effect} ${tool}${o.when ? ' if …' : ''}`,
  };
  if (o.when) r.when = o.when;
  if (o.reason !== undefined) r.reason = o.reason;
  if (o.notify !== undefined) r.notify = o.notify;
  if (o.network) r.network = o.network;
  if (o.phase) r.phase = o.phase;
  return r;
}

/** Options of an agent. */
export interface AgentOpts {
  default?: Effect;
  model?: string;
  line?: number;
  phases?: Phase[];
  rateLimits?: RateLimit[];
  budgets?: Budget[];
  redactions?: Redaction[];
  egress?: HostLists;
  modelPolicy?: HostLists;
}

/** An agent whose rules get indices in the given order. */
export function agent(id: string, rules: Rule[], o: AgentOpts = {}): Agent {
  const a: Agent = {
    id,
    implicit: false,
    default: o.default ?? 'deny',
    defaultDeclared: o.default !== undefined,
    vars: {},
    rules: rules.map((r, i) => ({ ...r, index: i })),
    phases: o.phases ?? [],
    rateLimits: o.rateLimits ?? [],
    budgets: o.budgets ?? [],
    redactions: o.redactions ?? [],
    delegations: [],
    blocks: [],
    loc: loc(o.line ?? 1),
  };
  if (o.model !== undefined) a.model = o.model;
  if (o.egress) a.egress = o.egress;
  if (o.modelPolicy) a.modelPolicy = o.modelPolicy;
  return a;
}

/** A policy of agents. */
export function policy(...agents: Agent[]): Policy {
  return { irVersion: 1, file: 'governance.fms', imports: [], runtime: {}, trust: [], blocks: [], agents };
}

export function phase(id: string, tools: string[], o: { duration?: number; next?: string; line?: number } = {}): Phase {
  const p: Phase = { id, tools: tools.map((t) => pat(t)), loc: loc(o.line ?? 50) };
  if (o.duration !== undefined) p.durationSeconds = o.duration;
  if (o.next !== undefined) p.next = o.next;
  return p;
}

export function rateLimit(pattern: string, count: number, per: Window, line = 60): RateLimit {
  return { pattern: pat(pattern, true), count, per, loc: loc(line) };
}

export function budget(id: string, o: Partial<Omit<Budget, 'id' | 'loc'>> & { line?: number } = {}): Budget {
  const b: Budget = { id, window: o.window ?? (id === 'session' ? 'session' : 'daily'), onExceed: o.onExceed ?? 'deny', loc: loc(o.line ?? 70) };
  if (o.max !== undefined) b.max = o.max;
  if (o.daily !== undefined) b.daily = o.daily;
  if (o.maxCalls !== undefined) b.maxCalls = o.maxCalls;
  if (o.warnAt !== undefined) b.warnAt = o.warnAt;
  return b;
}

export function hosts(allow: string[], deny: string[] = [], line = 80): HostLists {
  return { allow, deny, loc: loc(line) };
}

export function redact(tool: string, paths: string[], line = 90): Redaction {
  return { tool: pat(tool, true), paths, loc: loc(line) };
}
