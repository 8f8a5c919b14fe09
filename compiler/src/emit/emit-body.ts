/**
 * The bytecode emitter: IR `Policy` → pack body bytes. Deterministic: the
 * same IR gives byte-identical output (no clock, no randomness, no Map
 * iteration over unordered input).
 */
import type { Agent, Expr, NetworkMatch, Policy, Rule, SourceLoc, ToolPattern, Value } from '../ir/types';
import type { BodyModel, ConstModel, PatternModel, RuleModel } from '@fms/runtime/format';
import { writeBody } from '@fms/runtime/format';
import { writeFenceSections } from '@fms/runtime/os';
import { agentFences } from './fence';
import {
  BUDGET_WINDOW_NAMES,
  BUILTINS,
  BUILTIN_ANY_MATCH,
  BUILTIN_ID,
  CEILING_NAMES,
  CMP_NAMES,
  EFFECT,
  GLOB,
  HOST_LIST_KIND,
  LIMITS,
  ON_EXCEED_NAMES,
  OP,
  PATTERN,
  ROOT,
  STROP_NAMES,
  WINDOW_NAMES,
} from '@fms/runtime/format';

/** The IR cannot be encoded (e.g. a regex argument that is not a literal). */
export class EmitError extends Error {
  override name = 'EmitError';
}

/** Producer string recorded in the body. */
export const PRODUCER = 'fmsc 0.1.0';

/**
 * The byte of `value` in an encoding table (object or name list). A value the
 * format has no byte for is refused, never written as 0 or a default: 0 is
 * `permit` in the effect table. Own entries only, so `toString` has no byte.
 */
function encode(what: string, table: { readonly [k: string]: number } | readonly string[], value: unknown): number {
  if (typeof value === 'string') {
    if (Array.isArray(table)) {
      const i = (table as readonly string[]).indexOf(value);
      if (i >= 0) return i;
    } else if (Object.hasOwn(table, value)) {
      const n = (table as { readonly [k: string]: number })[value];
      if (typeof n === 'number') return n;
    }
  }
  throw new EmitError(`cannot encode ${what} \`${String(value)}\``);
}

const BOOL_BUILTINS = new Set<string>(BUILTINS.filter((b) => b.bool).map((b) => b.name));

function patternModel(p: ToolPattern): PatternModel {
  return { kind: encode('tool pattern kind', PATTERN, p.kind), text: p.text };
}

/** Interning tables shared by all functions of a body. */
class Tables {
  consts: ConstModel[] = [];
  private constIdx = new Map<string, number>();
  paths: BodyModel['paths'] = [];
  private pathIdx = new Map<string, number>();
  regexes: string[] = [];
  private reIdx = new Map<string, number>();

  constValue(v: Value): number {
    if (Array.isArray(v)) {
      if (v.length > LIMITS.maxListItems) throw new EmitError(`a list of ${v.length} items (the pack format allows ${LIMITS.maxListItems})`);
      const items = v.map((x) => this.constValue(x));
      return this.intern({ t: 'list', items });
    }
    if (v === null) return this.intern({ t: 'nil' });
    if (typeof v === 'boolean') return this.intern({ t: 'bool', v });
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new EmitError(`non-finite number ${v}`);
      return this.intern({ t: 'num', v: v === 0 ? 0 : v });
    }
    if (typeof v === 'string') return this.intern({ t: 'str', v });
    throw new EmitError('object literals cannot appear in conditions');
  }
  private intern(c: ConstModel): number {
    const key = JSON.stringify(c);
    let i = this.constIdx.get(key);
    if (i === undefined) {
      i = this.consts.length;
      this.consts.push(c);
      this.constIdx.set(key, i);
    }
    return i;
  }
  path(root: number, segs: string[]): number {
    const key = JSON.stringify([root, segs]);
    let i = this.pathIdx.get(key);
    if (i === undefined) {
      if (segs.length > LIMITS.maxPathSegs) throw new EmitError(`the field path \`${segs.slice(0, 4).join('.')}…\` has ${segs.length} segments (the pack format allows ${LIMITS.maxPathSegs})`);
      i = this.paths.length;
      this.paths.push({ root, segs });
      this.pathIdx.set(key, i);
    }
    return i;
  }
  regex(src: string): number {
    let i = this.reIdx.get(src);
    if (i === undefined) {
      i = this.regexes.length;
      this.regexes.push(src);
      this.reIdx.set(src, i);
    }
    return i;
  }
}

/** Builds one condition function, tracking stack depth exactly as the verifier does. */
class Fn {
  bytes: number[] = [];
  depth = 0;
  max = 0;
  constructor(private readonly t: Tables) {}

  private u8(v: number): void {
    this.bytes.push(v & 0xff);
  }
  private u16(v: number): void {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff);
  }
  private u32(v: number): void {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  private effect(pop: number, push: number): void {
    this.depth -= pop;
    this.depth += push;
    if (this.depth > this.max) this.max = this.depth;
    if (this.max > LIMITS.maxStack) throw new EmitError(`the condition needs more than ${LIMITS.maxStack} stack slots (nested comparisons, lists or calls)`);
  }
  op(op: number): void {
    this.u8(op);
  }
  pushConst(v: Value): void {
    this.u8(OP.PUSH_CONST);
    this.u32(this.t.constValue(v));
    this.effect(0, 1);
  }
  load(root: number, segs: string[]): void {
    this.u8(OP.LOAD);
    this.u32(this.t.path(root, segs));
    this.effect(0, 1);
  }
  binary(op: number, operand: number): void {
    this.u8(op);
    this.u8(operand);
    this.effect(2, 1);
  }
  regexOp(op: number, src: string): void {
    this.u8(op);
    this.u32(this.t.regex(src));
    this.effect(1, 1);
  }
  call(fn: number, argc: number): void {
    this.u8(OP.CALL);
    this.u8(fn);
    this.u8(argc);
    this.effect(argc, 1);
  }
  unary(op: number): void {
    this.u8(op);
    this.effect(1, 1);
  }
  makeList(n: number): void {
    if (n > LIMITS.maxListItems) throw new EmitError(`a list of ${n} items (the pack format allows ${LIMITS.maxListItems})`);
    this.u8(OP.MAKE_LIST);
    this.u16(n);
    this.effect(n, 1);
  }
  glob(kind: number, pat: string): void {
    this.u8(OP.GLOB);
    this.u8(kind);
    this.u32(this.t.constValue(pat));
    this.effect(1, 1);
  }
  /** Kleene AND / OR of the two booleans on top of the stack (both evaluated). */
  logic(op: number): void {
    this.u8(op);
    this.effect(2, 1);
  }
  /** Emits a conditional jump with a placeholder; returns the patch position. */
  jump(op: number): number {
    this.u8(op);
    const at = this.bytes.length;
    this.u32(0);
    this.effect(1, 0); // fall-through pops; the jump path keeps it (same depth as before the jump)
    return at;
  }
  patch(at: number): void {
    const t = this.bytes.length;
    this.bytes[at] = t & 0xff;
    this.bytes[at + 1] = (t >>> 8) & 0xff;
    this.bytes[at + 2] = (t >>> 16) & 0xff;
    this.bytes[at + 3] = (t >>> 24) & 0xff;
  }
  ret(): void {
    this.u8(OP.RET);
    this.depth = 0;
  }
}

function isBool(e: Expr): boolean {
  switch (e.k) {
    case 'not':
    case 'and':
    case 'or':
    case 'cmp':
    case 'in':
    case 'matches':
    case 'strop':
      return true;
    case 'call':
      return BOOL_BUILTINS.has(e.fn);
    default:
      return false;
  }
}

function allLiteral(e: Expr): boolean {
  return e.k === 'lit' || (e.k === 'list' && e.items.every(allLiteral));
}

function literalValue(e: Expr): Value {
  if (e.k === 'lit') return e.value;
  if (e.k === 'list') return e.items.map(literalValue);
  throw new EmitError('not a literal');
}

function emitValue(f: Fn, e: Expr): void {
  switch (e.k) {
    case 'lit':
      f.pushConst(e.value);
      return;
    case 'var':
      f.load(encode('variable root', ROOT, e.root), e.path);
      return;
    case 'list':
      if (allLiteral(e)) {
        f.pushConst(literalValue(e));
        return;
      }
      for (const it of e.items) emitValue(f, it);
      f.makeList(e.items.length);
      return;
    case 'not':
      emitBool(f, e.e);
      f.unary(OP.NOT);
      return;
    case 'and':
    case 'or': {
      // Three-valued logic evaluates both sides (a type error on either side
      // must deny, whatever the order), so no jumps. Kleene and/or are
      // associative: a chain is emitted flat, operand after operand, which
      // keeps the stack at two booleans however the chain nests.
      const terms = chain(e);
      emitBool(f, terms[0]!);
      for (let k = 1; k < terms.length; k++) {
        emitBool(f, terms[k]!);
        f.logic(e.k === 'and' ? OP.AND : OP.OR);
      }
      return;
    }
    case 'cmp':
      emitValue(f, e.l);
      emitValue(f, e.r);
      f.binary(OP.CMP, encode('comparison', CMP_NAMES, e.op));
      return;
    case 'in':
      emitValue(f, e.l);
      emitValue(f, e.r);
      f.binary(OP.IN, e.negated ? 1 : 0);
      return;
    case 'matches':
      emitValue(f, e.l);
      f.regexOp(OP.MATCH, e.pattern);
      return;
    case 'strop':
      emitValue(f, e.l);
      emitValue(f, e.r);
      f.binary(OP.STROP, encode('string operator', STROP_NAMES, e.op));
      return;
    case 'call': {
      if (e.fn === 'args_array_any_match') {
        const re = e.args[1];
        if (e.args.length !== 2 || !re || re.k !== 'lit' || typeof re.value !== 'string') {
          throw new EmitError('args_array_any_match needs a literal regular expression as its second argument');
        }
        emitValue(f, e.args[0]!);
        f.regexOp(OP.ANY_MATCH, re.value);
        return;
      }
      const id = encode('function', BUILTIN_ID, e.fn);
      const b = BUILTINS[id];
      if (b === undefined || id === BUILTIN_ANY_MATCH) throw new EmitError(`cannot encode function \`${e.fn}\``);
      if (e.args.length < b.min || e.args.length > b.max) throw new EmitError(`${e.fn} takes ${b.min}..${b.max} arguments`);
      for (const a of e.args) emitValue(f, a);
      f.call(id, e.args.length);
      return;
    }
  }
}

/** The operands of a chain of one operator (`a and (b and c)` → a, b, c), left to right, without recursion. */
function chain(e: Expr & { k: 'and' | 'or' }): Expr[] {
  const out: Expr[] = [];
  const todo: Expr[] = [e];
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (x.k === e.k) {
      todo.push((x as typeof e).r, (x as typeof e).l);
    } else out.push(x);
  }
  return out;
}

function emitBool(f: Fn, e: Expr): void {
  emitValue(f, e);
  if (!isBool(e)) f.unary(OP.TO_BOOL);
}

/** The conjuncts of a rule's network selectors, in a fixed order. */
function networkParts(n: NetworkMatch | undefined): Array<(f: Fn) => void> {
  const parts: Array<(f: Fn) => void> = [];
  if (!n) return parts;
  if (n.host !== undefined) {
    const h = n.host;
    parts.push((f) => {
      f.load(ROOT.host, []);
      f.glob(GLOB.host, h);
    });
  }
  if (n.port !== undefined) {
    const p = n.port;
    parts.push((f) => {
      f.load(ROOT.port, []);
      f.pushConst(p);
      f.binary(OP.CMP, 0);
    });
  }
  if (n.method !== undefined) {
    const m = n.method;
    parts.push((f) => {
      f.load(ROOT.method, []);
      f.glob(GLOB.method, m);
    });
  }
  if (n.path !== undefined) {
    const p = n.path;
    parts.push((f) => {
      f.load(ROOT.path, []);
      f.glob(GLOB.path, p);
    });
  }
  for (const q of n.query ?? []) {
    parts.push((f) => {
      f.load(ROOT.query, [q.key]);
      f.glob(GLOB.value, q.value);
    });
  }
  for (const h of n.headers ?? []) {
    parts.push((f) => {
      f.load(ROOT.headers, [h.key.toLowerCase()]);
      f.glob(GLOB.value, h.value);
    });
  }
  return parts;
}

/** Compiles a rule's network selectors and condition into one function (empty = always true). */
function emitRuleFn(t: Tables, r: Rule): Fn {
  const f = new Fn(t);
  const parts = networkParts(r.network);
  if (r.when) {
    const w = r.when;
    parts.push((fn) => emitBool(fn, w));
  }
  if (parts.length === 0) return f;
  parts.forEach((p, i) => {
    p(f);
    if (i > 0) f.logic(OP.AND);
  });
  f.ret();
  return f;
}

/**
 * Runs the emitter's own code over rules for the checker, so that `check`
 * clean implies `build` succeeds. One probe shares its interning tables across
 * rules exactly as `buildBodyModel` does, so the table sizes it reports are the
 * sizes the pack would have.
 */
export class EncodingProbe {
  private readonly t = new Tables();

  /** Why the rule cannot be encoded (stack depth, list or path length, text length), or undefined. */
  rule(r: Rule): string | undefined {
    const consts = this.t.consts.length;
    const regexes = this.t.regexes.length;
    const paths = this.t.paths.length;
    try {
      emitRuleFn(this.t, r);
    } catch (e) {
      if (e instanceof EmitError) return e.message;
      throw e;
    }
    // Only the entries this rule added to the shared tables: earlier entries were checked with the
    // rule that added them (re-checking every table entry per rule made the probe quadratic).
    const strings = [r.text, r.tool.text, r.reason ?? '', r.notify ?? ''];
    for (let i = regexes; i < this.t.regexes.length; i++) strings.push(this.t.regexes[i]!);
    for (let i = paths; i < this.t.paths.length; i++) strings.push(...this.t.paths[i]!.segs);
    for (let i = consts; i < this.t.consts.length; i++) {
      const c = this.t.consts[i]!;
      if (c.t === 'str') strings.push(c.v);
    }
    for (const s of strings) {
      if (s.length > LIMITS.maxStringLength) return `it holds a text of ${s.length} characters (the pack format allows ${LIMITS.maxStringLength})`;
    }
    return undefined;
  }

  /** Sizes of the interned tables so far (constants, field paths, regexes) and the strings they hold. */
  tables(): { consts: number; paths: number; regexes: number; strings: string[] } {
    const strings: string[] = [...this.t.regexes];
    for (const c of this.t.consts) if (c.t === 'str') strings.push(c.v);
    for (const p of this.t.paths) strings.push(...p.segs);
    return { consts: this.t.consts.length, paths: this.t.paths.length, regexes: this.t.regexes.length, strings };
  }
}

function ruleModel(agent: Agent, r: Rule, codeLen: number, maxStack: number): RuleModel {
  const phase = r.phase !== undefined ? agent.phases.findIndex((p) => p.id === r.phase) : -1;
  if (r.phase !== undefined && phase < 0) throw new EmitError(`rule at line ${r.loc.line} names unknown phase ${r.phase}`);
  if (r.mandatory && r.effect !== 'deny') throw new EmitError(`mandatory rule at line ${r.loc.line} is not a deny`);
  return {
    effect: encode('effect', EFFECT, r.effect),
    mandatory: r.mandatory,
    origin: phase >= 0 ? 1 : r.origin === 'flat' ? 2 : 0,
    phase,
    pattern: patternModel(r.tool),
    codeLen,
    maxStack,
    reason: r.reason ?? null,
    notify: r.notify ?? null,
  };
}

/** Builds the body model of a policy (exposed for tests and `inspect`). */
export function buildBodyModel(policy: Policy, producer = PRODUCER): BodyModel {
  const t = new Tables();
  const m: BodyModel = {
    file: policy.file,
    irVersion: policy.irVersion,
    producer,
    consts: t.consts,
    paths: t.paths,
    regexes: t.regexes,
    agents: [],
    rules: [],
    ruleLocs: [],
    code: new Uint8Array(0),
    phases: [],
    rateLimits: [],
    budgets: [],
    hostLists: [],
    redactions: [],
    reserved: writeFenceSections(agentFences(policy)),
  };
  const code: number[] = [];
  const seen = new Set<string>();
  // Where each line comes from: the stack's file, or an imported package's ref.
  const fileOf = (l: SourceLoc): string => l.file || policy.file;
  for (const a of policy.agents) {
    if (seen.has(a.id)) throw new EmitError(`duplicate agent ${a.id}`);
    seen.add(a.id);
    const rules = [...a.rules].sort((x, y) => x.index - y.index);
    for (const r of rules) {
      const f = emitRuleFn(t, r);
      for (const b of f.bytes) code.push(b);
      m.rules.push(ruleModel(a, r, f.bytes.length, f.max));
      m.ruleLocs.push({ line: Math.max(1, r.loc.line), col: Math.max(1, r.loc.col), text: r.text, file: fileOf(r.loc) });
    }
    for (const p of a.phases) {
      const next = p.next !== undefined ? a.phases.findIndex((q) => q.id === p.next) : -1;
      if (p.next !== undefined && next < 0) throw new EmitError(`phase ${p.id} names unknown next phase ${p.next}`);
      m.phases.push({
        id: p.id,
        duration: p.durationSeconds ?? null,
        next,
        tools: p.tools.map(patternModel),
        line: Math.max(1, p.loc.line),
        col: Math.max(1, p.loc.col),
        file: fileOf(p.loc),
      });
    }
    for (const r of a.rateLimits) {
      m.rateLimits.push({ pattern: patternModel(r.pattern), count: r.count, per: encode('rate-limit window', WINDOW_NAMES, r.per), line: Math.max(1, r.loc.line), file: fileOf(r.loc) });
    }
    for (const b of a.budgets) {
      m.budgets.push({
        id: b.id,
        window: encode('budget window', BUDGET_WINDOW_NAMES, b.window),
        max: b.max ?? null,
        daily: b.daily ?? null,
        maxCalls: b.maxCalls ?? null,
        warnAt: b.warnAt ?? null,
        onExceed: encode('on_exceed', ON_EXCEED_NAMES, b.onExceed),
        line: Math.max(1, b.loc.line),
        file: fileOf(b.loc),
      });
    }
    for (const r of a.redactions) m.redactions.push({ pattern: patternModel(r.tool), paths: r.paths, line: Math.max(1, r.loc.line), file: fileOf(r.loc) });
    let egress = -1;
    let modelPolicy = -1;
    if (a.egress) {
      egress = m.hostLists.length;
      m.hostLists.push({ kind: HOST_LIST_KIND.egress, allow: a.egress.allow, deny: a.egress.deny, line: Math.max(1, a.egress.loc.line), file: fileOf(a.egress.loc) });
    }
    if (a.modelPolicy) {
      modelPolicy = m.hostLists.length;
      m.hostLists.push({ kind: HOST_LIST_KIND.model, allow: a.modelPolicy.allow, deny: a.modelPolicy.deny, line: Math.max(1, a.modelPolicy.loc.line), file: fileOf(a.modelPolicy.loc) });
    }
    m.agents.push({
      id: a.id,
      defaultEffect: encode('default effect', EFFECT, a.default),
      defaultDeclared: a.defaultDeclared,
      model: a.model ?? null,
      // The agent record's location is what a default decision's rule_ref names: the `default` line, or the agent when implicit.
      line: Math.max(1, (a.defaultLoc ?? a.loc).line),
      col: Math.max(1, (a.defaultLoc ?? a.loc).col),
      file: fileOf(a.defaultLoc ?? a.loc),
      ruleCount: rules.length,
      phaseCount: a.phases.length,
      rateLimitCount: a.rateLimits.length,
      budgetCount: a.budgets.length,
      redactionCount: a.redactions.length,
      egress,
      modelPolicy,
    });
  }
  m.code = Uint8Array.from(code);
  sessionAndDelegation(policy, m, fileOf);
  return m;
}

/**
 * The optional SESSION_LIMITS and DELEGATIONS tables (issue 9, class 9):
 * filled only when an agent declares `session {}` limits or `delegate {}`
 * blocks, so other packs keep their bytes.
 */
function sessionAndDelegation(policy: Policy, m: BodyModel, fileOf: (l: SourceLoc) => string): void {
  const limits: NonNullable<BodyModel['sessionLimits']> = [];
  const grants: NonNullable<BodyModel['delegations']> = [];
  policy.agents.forEach((a, i) => {
    const s = a.session;
    if (s && (s.maxDurationSeconds !== undefined || s.idleTimeoutSeconds !== undefined || s.maxCalls !== undefined || s.maxCost !== undefined)) {
      limits.push({
        agent: i,
        maxDuration: s.maxDurationSeconds ?? null,
        idleTimeout: s.idleTimeoutSeconds ?? null,
        maxCalls: s.maxCalls ?? null,
        maxCost: s.maxCost ?? null,
        line: Math.max(1, s.loc.line),
        file: fileOf(s.loc),
      });
    }
    for (const d of a.delegations) {
      const ceiling = CEILING_NAMES.indexOf(d.ceiling ?? 'permit');
      if (ceiling < 0) throw new EmitError(`delegation ceiling ${String(d.ceiling)} cannot be encoded`);
      let bound: NonNullable<BodyModel['delegations']>[number]['bound'] = null;
      if (d.scope?.bound) {
        const op = CMP_NAMES.indexOf(d.scope.bound.op);
        if (op < 0 || !Number.isFinite(d.scope.bound.value)) throw new EmitError(`delegation scope bound of ${a.id} cannot be encoded`);
        bound = { path: d.scope.bound.path, op, value: d.scope.bound.value === 0 ? 0 : d.scope.bound.value };
      }
      grants.push({
        agent: i,
        targets: [...new Set(d.targets)],
        scope: d.scope ? patternModel(d.scope.tool) : null,
        bound,
        ttl: d.ttlSeconds ?? null,
        ceiling,
        maxDepth: d.maxDepth ?? null,
        line: Math.max(1, d.loc.line),
        file: fileOf(d.loc),
      });
    }
  });
  if (limits.length > 0) m.sessionLimits = limits;
  if (grants.length > 0) m.delegations = grants;
}

/**
 * Emits the pack body of a policy. Same IR → byte-identical bytes.
 * Throws EmitError when the IR holds something the format cannot encode.
 */
export function emitPackBody(policy: Policy, producer = PRODUCER): Uint8Array {
  // An unset env() value has no meaning a pack could carry (`fmsc build` refuses it earlier).
  if (policy.unsetEnv?.length) throw new EmitError(`environment variable \`${policy.unsetEnv[0]}\` is not set; a pack never carries an unset value`);
  return writeBody(buildBodyModel(policy, producer));
}
