/**
 * A loaded, verified pack body and its evaluator (DESIGN §3 semantics).
 */
import { RE2JS } from 're2js';
import type { BodyModel, PhaseModel } from '../pack/body-model';
import { readBody } from '../pack/body-reader';
import { BUILTINS, EFFECT_NAMES, OP, PATTERN, PackError, ROOT_NAMES, CMP_NAMES, STROP_NAMES, GLOB_NAMES } from '../pack/format';
import { type Clock, MemoryState, type SessionState, type StateStore, systemClock } from '../state/store';
import { anyMatch, callBuiltin } from './builtins';
import { evalError, invalidCall, outOfPhase, ref, ruleDecision, unknownAgent } from './payloads';
import { indexGrants } from './delegation';
import { decisionToJson, jsonInner } from '../decide';
import { type AgentLimits, type Recorded, type ToolRedactions, agentSessionKey, applyLimits, boundedCopy, checkCall, currentPhase, finish, recordOf, sessionKey, toolRateMatch, toolRedactions, visibleInPhase } from './pipeline';
import type { Call, ConditionStep, Decision, Explanation, TraceEvent } from './types';
import { type EvalEnv, isMark, MISSING, type RValue, TYPE_ERR, type Tri, type XValue, and3, cmp, globNoSlash, globOp, inOp, matchOp, not3, or3, patternMatch, resolveVar, strop, toBool, walk } from './values';
import { type Program, verifyBytecode } from './verify';
import { safeRegExpSource } from './regex-safety';

/** Options of `loadPackBody`. */
export interface LoadOptions {
  /** Decision state (default: a fresh in-memory store). */
  state?: StateStore;
  /**
   * The runtime's clock (default: the system clock). Rate limits, budgets,
   * windows, phases and `time.*` read it and nothing else: a call cannot set
   * the time. Offline tools (`fmsc test`, `fms-run eval --time`) pass a fixed one.
   */
  clock?: Clock;
  /** Check section CRCs (default true; tests turn it off to exercise the structural checks alone). */
  checksums?: boolean;
}

/**
 * What an agent's tables say about one tool name: the candidate rules
 * (mandatory first, then ordinary, each in file order), the `redact` entries
 * that apply, and which rate limits apply. Interned per agent by content
 * (issue 15): the thousands of tool names an agent sees share a handful of
 * these (most share "no rule, no redaction, the catch-all rate limit"), so a
 * decision reads objects that stay in the CPU cache instead of one cold
 * object graph per tool. Shared by every decision; nobody mutates it.
 */
interface Candidates {
  /**
   * The candidate rules, three numbers each: rule index, bytecode entry (< 0:
   * no condition) and phase (< 0: any), copied from the pack so the loop reads
   * one small array. Mandatory rules first, then ordinary ones, each in file
   * order.
   */
  cand: Int32Array;
  /**
   * The number of candidates, and the first four triples again as fields:
   * most tools have at most four candidates, and a decision then reads this
   * one object instead of it and a typed array (at 10,000 rules every read
   * of a decision is a cache miss; issue 15). The rule itself is its RuleRt,
   * read only when its condition matched. Unused fields are null / -1.
   */
  n: number;
  q0: RuleRt | null;
  e0: number;
  p0: number;
  q1: RuleRt | null;
  e1: number;
  p1: number;
  q2: RuleRt | null;
  e2: number;
  p2: number;
  q3: RuleRt | null;
  e3: number;
  p3: number;
  red: ToolRedactions | null;
  rate: Uint8Array;
}

/** What a decision needs of a rule once it matched, in one object (built on first use). */
interface RuleRt {
  index: number;
  effect: 'permit' | 'deny' | 'defer';
  mandatory: boolean;
  reason: string | null;
  notify: string | null;
  /** `FILE:LINE`. */
  ref: string;
}

/**
 * The JSON text of a decision around one name (see textAround): for a plain
 * rule decision (decideText) the tool name, `parts.join(jsonEscapedTool)`
 * being `decisionToJson` of the decision the rule (or the agent default)
 * gives that tool; for an unknown agent the agent's name. Null when a text
 * could not be templated safely (then it is serialised each time).
 */
type JsonTemplate = readonly string[] | null;

interface AgentRt {
  id: string;
  defaultEffect: number;
  defaultRef: string;
  ruleStart: number;
  ruleEnd: number;
  limits: AgentLimits;
  exact: Map<string, number[]>;
  anyRules: number[];
  /** Glob and prefix rules keyed by the literal text before their first `*`. */
  globs: Map<string, number[]>;
  /** Distinct lengths of the keys of `globs`, ascending. */
  globLens: number[];
  cache: Map<string, Candidates>;
  /** Interned Candidates by content key (see Candidates). */
  interned: Map<string, Candidates>;
  /** JSON template of the agent default's plain decision, built on first use (undefined = not yet). */
  defaultJson: JsonTemplate | undefined;
}

const CACHE_LIMIT = 4096;
/**
 * What evaluate returns to decideText for a plain deny instead of a Decision
 * object (LoadedPack.plainDeny): a marker only decisionText reads (its text
 * is the rule's template with the tool name; plainDecision rebuilds the
 * object when there is no template). Frozen: `finish` writes nothing to a
 * deny without redaction, and nothing else may.
 */
const PLAIN_DENY: Decision = Object.freeze({ effect: 'deny', code: 'POLICY_DENY', rule_ref: null, human_message: '', resolution: null }) as Decision;
/**
 * What evaluate returns to decideText for an unknown agent (the name is in
 * `LoadedPack.unknownName`): decisionText writes its text from
 * UNKNOWN_AGENT_JSON without building the decision (issue 15, session 9:
 * serialising it was 0.25 µs of a 0.34 µs decision, and unknown agents sit at
 * the JSON path's median). Frozen, and a valid denial should it ever leak.
 */
const UNKNOWN_AGENT_TEXT: Decision = Object.freeze(unknownAgent(''));
/**
 * `nowMs` of a decision that has not read the clock (yet): nothing read it so
 * far, and nothing will unless the decision reaches its limits (evaluate).
 * NaN: no valid clock reading equals it.
 */
const LATE_CLOCK = NaN;
const CLOCK_INVALID = 'the runtime clock gave no valid time';

/** Bit mask of the built-ins that read the session history (a pack without them keeps none). */
const HISTORY_BUILTINS = BUILTINS.reduce((m, b, i) => (b.history ? m | (1 << i) : m), 0);

/**
 * The matcher of regex `i`, built on its first test (issue 15): a load does
 * not pay for regexes no call reaches. A pattern that regex-safety.ts proves
 * linear and equivalent runs on the built-in `RegExp`; every other one on
 * `re2js` (linear time). A pattern that does not compile (the compiler
 * refuses those, so only a hand-made pack has one) throws a PackError at its
 * first test, which `decide` turns into a deny: fail closed.
 */
function lazyMatcher(src: string, i: number): (s: string) => boolean {
  let test: ((s: string) => boolean) | null = null;
  return (s: string): boolean => {
    if (test === null) {
      const safe = safeRegExpSource(src);
      if (safe !== null) {
        const re = new RegExp(safe.source, safe.flags);
        test = (x: string) => re.test(x);
      } else {
        try {
          const re = RE2JS.compile(src);
          test = (x: string) => re.test(x);
        } catch (e) {
          throw new PackError(`regex ${i} does not compile: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    return test(s);
  };
}

/** A pack body that passed parsing and verification, ready to decide. */
export class LoadedPack {
  /** The stack's source file name (items from imported packages carry their own). */
  readonly file: string;
  /** Decoded tables (for inspect and tools). */
  readonly model: BodyModel;
  private readonly prog: Program;
  private readonly consts: Array<RValue>;
  private readonly pathRoots: string[];
  private readonly pathSegs: string[][];
  private readonly regexes: Array<(s: string) => boolean>;
  private readonly agents = new Map<string, AgentRt>();
  private readonly usesHistory: boolean;
  /** Whether a condition can read the clock (`time.*`, history windows): then it is read before the rules run. */
  private readonly usesClock: boolean;
  private readonly state: StateStore;
  private readonly clock: Clock;
  private readonly stack: XValue[] = new Array(66);
  private readonly ruleRefs: Array<string | undefined>;
  /** What a decision reads of each rule, built on first use (ruleRt). */
  private readonly ruleRts: Array<RuleRt | undefined>;
  /** Candidate rules of the last evaluation (for explain). */
  private lastCandidates = 0;
  /**
   * The rule decision the last evaluation built (ruleDecision's object, before
   * limits and finish), with its candidates entry and slot: decideText
   * reuses the cached JSON text when the decision returned IS this object
   * with nothing added. Reset by every evaluation.
   */
  private plainBase: Decision | null = null;
  /** Agent of the plain decision, and its rule index (-1: the agent default). */
  private plainAgent: AgentRt | null = null;
  private plainRule = -1;
  /** The tool name of the plain decision. */
  private plainTool = '';
  /** The agent name of the last UNKNOWN_AGENT_TEXT evaluate returned. */
  private unknownName = '';
  /** JSON templates of plain rule decisions by rule index (decideText); undefined = not built yet. */
  private readonly ruleJson: Array<JsonTemplate | undefined>;
  /** Templates of plain defers (tool name and approval id) by rule index, built on first use. */
  private readonly ruleDeferJson: Array<DeferTemplate | undefined> = [];
  /** The same for agent defaults that defer. */
  private readonly defaultDeferJson = new Map<AgentRt, DeferTemplate>();

  /**
   * @internal use `loadPackBody`.
   *
   * Runs once per load, mostly in V8's interpreter: plain loops, no
   * iterators, spreads or per-item closures (issue 15, fresh-process load).
   */
  constructor(model: BodyModel, prog: Program, opts: LoadOptions) {
    this.model = model;
    this.file = model.file;
    this.prog = prog;
    this.state = opts.state ?? new MemoryState();
    this.clock = opts.clock ?? systemClock;
    const mconsts = model.consts;
    const nconst = mconsts.length;
    // Tables the decision path reads are grown by push, not preallocated:
    // \`new Array(n)\` would make them holey arrays, a hole check on every read.
    const consts: RValue[] = [];
    for (let i = 0; i < nconst; i++) {
      const c = mconsts[i]!;
      if (c.t === 'nil') consts.push(null);
      else if (c.t !== 'list') consts.push(c.v);
      else {
        // Items are earlier constants (the reader checks).
        const ids = c.items;
        const items: RValue[] = [];
        for (let k = 0; k < ids.length; k++) items.push(consts[ids[k]!]!);
        consts.push(Object.freeze(items));
      }
    }
    this.consts = consts;
    const npath = model.paths.length;
    const pathRoots: string[] = [];
    const pathSegs: string[][] = [];
    let sessionPath = false;
    let timePath = false;
    for (let i = 0; i < npath; i++) {
      const p = model.paths[i]!;
      const root = ROOT_NAMES[p.root]!;
      if (root === 'session') sessionPath = true;
      else if (root === 'time') timePath = true;
      pathRoots.push(root);
      pathSegs.push(p.segs);
    }
    this.pathRoots = pathRoots;
    this.pathSegs = pathSegs;
    const nre = model.regexes.length;
    const regexes: Array<(s: string) => boolean> = [];
    for (let i = 0; i < nre; i++) regexes.push(lazyMatcher(model.regexes[i]!, i));
    this.regexes = regexes;
    this.ruleRefs = new Array(model.rules.length);
    this.ruleJson = new Array(model.rules.length);
    this.ruleRts = new Array(model.rules.length);
    // Every path is used (the verifier checks), so a `session` path means a LOAD of it.
    this.usesHistory = (prog.called & HISTORY_BUILTINS) !== 0 || sessionPath;
    // The history built-ins read the clock too (their windows end now).
    this.usesClock = this.usesHistory || timePath;
    let r = 0;
    let ph = 0;
    let rl = 0;
    let bu = 0;
    let rd = 0;
    // Session limits and delegation grants (optional sections; issue 9, class 9).
    const sessionLimits = new Map<number, NonNullable<BodyModel['sessionLimits']>[number]>();
    const msl = model.sessionLimits;
    if (msl) for (let i = 0; i < msl.length; i++) sessionLimits.set(msl[i]!.agent, msl[i]!);
    const agents = model.agents;
    const nag = agents.length;
    let grants: ReturnType<typeof indexGrants> | null = null;
    if (model.delegations) {
      const ids: string[] = new Array(nag);
      for (let i = 0; i < nag; i++) ids[i] = agents[i]!.id;
      grants = indexGrants(ids, model.delegations);
    }
    const rules = model.rules;
    for (let ai = 0; ai < nag; ai++) {
      const a = agents[ai]!;
      const rt: AgentRt = {
        id: a.id,
        defaultEffect: a.defaultEffect,
        defaultRef: ref(a.file, a.line),
        ruleStart: r,
        ruleEnd: r + a.ruleCount,
        limits: {
          id: a.id,
          model: a.model,
          phases: model.phases.slice(ph, ph + a.phaseCount),
          rateLimits: model.rateLimits.slice(rl, rl + a.rateLimitCount),
          budgets: model.budgets.slice(bu, bu + a.budgetCount),
          egress: a.egress >= 0 ? model.hostLists[a.egress]! : null,
          modelPolicy: a.modelPolicy >= 0 ? model.hostLists[a.modelPolicy]! : null,
          redactions: model.redactions.slice(rd, rd + a.redactionCount),
          session: sessionLimits.get(ai) ?? null,
          grants: grants === null ? undefined : grants.get(a.id),
        },
        exact: new Map(),
        anyRules: [],
        globs: new Map(),
        globLens: [],
        cache: new Map(),
        interned: new Map(),
        defaultJson: undefined,
      };
      const globLens: number[] = [];
      const exact = rt.exact;
      const anyRules = rt.anyRules;
      const globs = rt.globs;
      const any = PATTERN.any;
      const exactKind = PATTERN.exact;
      const rend = r + a.ruleCount;
      for (let i = r; i < rend; i++) {
        const p = rules[i]!.pattern;
        const kind = p.kind;
        if (kind === exactKind) {
          const l = exact.get(p.text);
          if (l === undefined) exact.set(p.text, [i]);
          else l.push(i);
        } else if (kind === any) anyRules.push(i);
        else {
          const star = p.text.indexOf('*');
          const key = p.text.slice(0, star);
          const l = globs.get(key);
          if (l) l.push(i);
          else {
            globs.set(key, [i]);
            if (!globLens.includes(star)) globLens.push(star);
          }
        }
      }
      rt.globLens = globLens.sort((x, y) => x - y);
      this.agents.set(a.id, rt);
      r += a.ruleCount;
      ph += a.phaseCount;
      rl += a.rateLimitCount;
      bu += a.budgetCount;
      rd += a.redactionCount;
    }
  }

  /** `FILE:LINE` of a rule (the stack's file or an imported package's ref), built on first use. */
  private ruleRef(ri: number): string {
    const l = this.model.ruleLocs[ri]!;
    return (this.ruleRefs[ri] ??= ref(l.file, l.line));
  }

  /** The runtime clock's time, or NaN when it gives no valid time (a decision that needs it then fails closed). */
  private clockNow(): number {
    const t = this.clock.now();
    return typeof t === 'number' && Number.isFinite(t) ? t : NaN;
  }

  /** The RuleRt of rule `ri`, built on first use. */
  private ruleRt(ri: number): RuleRt {
    let q = this.ruleRts[ri];
    if (q === undefined) {
      const r = this.model.rules[ri]!;
      q = { index: ri, effect: EFFECT_NAMES[r.effect]!, mandatory: r.mandatory, reason: r.reason, notify: r.notify, ref: this.ruleRef(ri) };
      this.ruleRts[ri] = q;
    }
    return q;
  }

  /** Agent ids in the pack. */
  agentIds(): string[] {
    return [...this.agents.keys()];
  }

  /** Candidate rules, redactions and rate limits for a tool (indexed: exact map + prefix table of globs; cached per tool name, at most CACHE_LIMIT per agent). */
  private candidates(a: AgentRt, tool: string): Candidates {
    const hit = a.cache.get(tool);
    if (hit !== undefined) return hit;
    const idx: number[] = [];
    const ex = a.exact.get(tool);
    if (ex) idx.push(...ex);
    idx.push(...a.anyRules);
    for (const L of a.globLens) {
      if (L > tool.length) break;
      const l = a.globs.get(tool.slice(0, L));
      if (!l) continue;
      for (const i of l) {
        const p = this.model.rules[i]!.pattern;
        if (p.kind === PATTERN.glob ? globNoSlash(p.text, tool) : patternMatch(p.kind, p.text, tool)) idx.push(i);
      }
    }
    idx.sort((x, y) => x - y);
    const mand: number[] = [];
    const ord: number[] = [];
    for (const i of idx) (this.model.rules[i]!.mandatory ? mand : ord).push(i);
    const all = [...mand, ...ord];
    const red = toolRedactions(a.limits, tool);
    const rate = toolRateMatch(a.limits, tool);
    // Content key: the rule indices, which redaction entries apply, which rate limits apply.
    const key = `${mand.join(',')}|${ord.join(',')}|${red === null ? '' : red.which.join(',')}|${rate.join('')}`;
    let c = a.interned.get(key);
    if (c === undefined) {
      const cand = new Int32Array(3 * all.length);
      for (let k = 0; k < all.length; k++) {
        const ri = all[k]!;
        cand[3 * k] = ri;
        cand[3 * k + 1] = this.prog.entry[ri]!;
        cand[3 * k + 2] = this.model.rules[ri]!.phase;
      }
      const at = (i: number): number => (i < cand.length ? cand[i]! : -1);
      const rt = (k: number): RuleRt | null => (k < all.length ? this.ruleRt(all[k]!) : null);
      c = {
        cand,
        n: all.length,
        q0: rt(0),
        e0: at(1),
        p0: at(2),
        q1: rt(1),
        e1: at(4),
        p1: at(5),
        q2: rt(2),
        e2: at(7),
        p2: at(8),
        q3: rt(3),
        e3: at(10),
        p3: at(11),
        red,
        rate,
      };
      if (a.interned.size >= CACHE_LIMIT) a.interned.clear();
      a.interned.set(key, c);
    }
    if (a.cache.size >= CACHE_LIMIT) a.cache.clear();
    a.cache.set(tool, c);
    return c;
  }

  /**
   * Runs a rule's condition: true = match; false or MISSING (unknown) = no
   * match; TYPE_ERR = the call is denied (POLICY_EVAL_ERROR). With `tr`, every
   * step is recorded, and the first type error is traced to the field it came
   * from (a parallel stack of field names).
   * INVARIANT: the program was verified (operands in range, stack typed, forward jumps).
   */
  private run(entry: number, env: EvalEnv, hist: SessionState | null, tr: RunTrace | null): Tri {
    const w = this.prog.words;
    const st = this.stack;
    const src = tr ? tr.srcs : null;
    let sp = 0;
    let i = entry * 3;
    for (;;) {
      const op = w[i]!;
      const a = w[i + 1]!;
      switch (op) {
        case OP.PUSH_CONST:
          if (tr) {
            tr.srcs[sp] = null;
            tr.secret[sp] = false;
          }
          st[sp++] = this.consts[a]!;
          break;
        case OP.LOAD: {
          const v = resolveVar(env, this.pathRoots[a]!, this.pathSegs[a]!);
          if (tr) {
            const root = this.pathRoots[a]!;
            const segs = this.pathSegs[a]!;
            const name = [root, ...segs].join('.');
            src![sp] = name;
            // Redaction applies to what explain prints: a value read from a redacted path is shown masked.
            const hidden = !isMark(v) && tr.hides(root, segs);
            tr.secret[sp] = hidden;
            const shown = hidden ? tr.masked(root, segs) : v;
            tr.steps.push(v === MISSING ? { op: 'load', detail: name, value: null, missing: true } : v === TYPE_ERR ? { op: 'load', detail: name, value: null, type_error: true } : { op: 'load', detail: name, value: traceable(shown) });
            if (v === MISSING) tr.missing.push(name);
            if (v === TYPE_ERR) tr.blame(name, `${name} has the wrong shape (a path through a value that is not an object, or an unparsable URL)`);
          }
          st[sp++] = v;
          break;
        }
        case OP.CMP: {
          const r = st[--sp]!;
          const l = st[sp - 1]!;
          st[sp - 1] = cmp(a, l, r);
          if (tr) tr.op(CMP_NAMES[a]!, `${tr.show(l, sp - 1)} ${CMP_NAMES[a]} ${tr.show(r, sp)}`, st[sp - 1]!, [l, r], sp - 1, 2);
          break;
        }
        case OP.IN: {
          const r = st[--sp]!;
          const l = st[sp - 1]!;
          st[sp - 1] = inOp(a === 1, l, r);
          if (tr) tr.op(a ? 'not in' : 'in', `${tr.show(l, sp - 1)} ${a ? 'not in' : 'in'} ${tr.show(r, sp)}`, st[sp - 1]!, [l, r], sp - 1, 2);
          break;
        }
        case OP.STROP: {
          const r = st[--sp]!;
          const l = st[sp - 1]!;
          st[sp - 1] = strop(a, l, r);
          if (tr) tr.op(STROP_NAMES[a]!, `${tr.show(l, sp - 1)} ${STROP_NAMES[a]} ${tr.show(r, sp)}`, st[sp - 1]!, [l, r], sp - 1, 2);
          break;
        }
        case OP.MATCH: {
          const l = st[sp - 1]!;
          st[sp - 1] = matchOp(l, this.regexes[a]!);
          if (tr) tr.op('matches', `${tr.show(l, sp - 1)} matches ${JSON.stringify(this.model.regexes[a])}`, st[sp - 1]!, [l], sp - 1, 1);
          break;
        }
        case OP.ANY_MATCH: {
          const l = st[sp - 1]!;
          st[sp - 1] = anyMatch(env.call, l, this.regexes[a]!);
          if (tr) tr.op('args_array_any_match', `${tr.show(l, sp - 1)} ~ ${JSON.stringify(this.model.regexes[a])}`, st[sp - 1]!, [l], sp - 1, 1, typeof l === 'string' ? `args.${l}` : null);
          break;
        }
        case OP.CALL: {
          const n = w[i + 2]!;
          sp -= n;
          const args = st.slice(sp, sp + n);
          const v = callBuiltin(a, args, { call: env.call, nowMs: env.nowMs, history: hist ? hist.history : [] });
          st[sp] = v;
          if (tr) {
            const name = BUILTINS[a]!.name;
            const field = name.startsWith('args_array_') && typeof args[0] === 'string' ? `args.${args[0]}` : null;
            tr.op(name, `${name}(${args.map((x, k) => tr.show(x, sp + k)).join(', ')})`, v, args, sp, n, field);
          }
          sp++;
          break;
        }
        case OP.NOT:
          st[sp - 1] = not3(st[sp - 1] as Tri);
          break;
        case OP.TO_BOOL: {
          const v = st[sp - 1]!;
          st[sp - 1] = toBool(v);
          if (tr && st[sp - 1] === TYPE_ERR && v !== TYPE_ERR) tr.op('bool', `${tr.show(v, sp - 1)} as a condition`, TYPE_ERR, [v], sp - 1, 1);
          break;
        }
        case OP.MAKE_LIST: {
          sp -= a;
          const items = st.slice(sp, sp + a);
          let m: XValue | null = null;
          for (const x of items) if (x === TYPE_ERR || (x === MISSING && m === null)) m = x;
          if (tr) {
            tr.srcs[sp] = firstSrc(tr.srcs, sp, a);
            tr.secret[sp] = tr.secret.slice(sp, sp + a).includes(true);
          }
          st[sp++] = m ?? (items as RValue[]);
          break;
        }
        case OP.GLOB: {
          const pat = this.consts[w[i + 2]!] as string;
          const v = st[sp - 1]!;
          st[sp - 1] = globOp(a, pat, v);
          if (tr) tr.op(GLOB_NAMES[a]!, `${tr.show(v, sp - 1)} ~ ${pat}`, st[sp - 1]!, [v], sp - 1, 1);
          break;
        }
        case OP.AND: {
          const r = st[--sp] as Tri;
          st[sp - 1] = and3(st[sp - 1] as Tri, r);
          if (src) src[sp - 1] = firstSrc(src, sp - 1, 2);
          break;
        }
        case OP.OR: {
          const r = st[--sp] as Tri;
          st[sp - 1] = or3(st[sp - 1] as Tri, r);
          if (src) src[sp - 1] = firstSrc(src, sp - 1, 2);
          break;
        }
        case OP.AND_JMP:
          // Not emitted by this compiler (see OP in format.ts); short-circuit as specified.
          if (st[sp - 1] !== true) {
            i = a * 3;
            continue;
          }
          sp--;
          break;
        case OP.OR_JMP:
          if (st[sp - 1] !== false) {
            i = a * 3;
            continue;
          }
          sp--;
          break;
        case OP.RET:
          return st[sp - 1] as Tri;
        default:
          // INVARIANT: unreachable after verification; fail closed anyway.
          return TYPE_ERR;
      }
      i += 3;
    }
  }

  /** Decides a call (DESIGN §3). Never throws: a malformed call is denied. */
  decide(call: Call): Decision {
    try {
      return this.evaluate(call, true, null);
    } catch (e) {
      // Fail closed on anything unexpected (e.g. a throwing state backend).
      return evalError(null, `internal error: ${oneLine(e)}`);
    }
  }

  /**
   * Decides a call and returns the decision as JSON text (the JSON path:
   * `decideJson`): the same decision and state changes as `decide`, and the
   * same text as `decisionToJson(decide(call))` (see {@link decisionText}).
   * @internal used by decideJson.
   */
  decideText(call: Call): string {
    let d: Decision;
    try {
      d = this.evaluate(call, true, null, true);
    } catch (e) {
      return decisionToJson(evalError(null, `internal error: ${oneLine(e)}`));
    }
    return this.decisionText(d);
  }

  /**
   * `decisionToJson(d)`, for a decision `decide` just returned, unchanged
   * (the daemon answers with it). A plain rule decision (one that limits,
   * approvals and redaction left as the rule made it: most denies and
   * permits) depends only on the rule (or agent default) and the tool name,
   * so its text is a per-rule template with the tool name filled in; a
   * plain defer's template also takes the approval id `finish` gave it (see
   * deferText); any other decision, or any other object, is serialised.
   * @internal used by decideJson and the decision daemon.
   */
  decisionText(d: Decision): string {
    if (d === UNKNOWN_AGENT_TEXT) return UNKNOWN_AGENT_JSON === null ? decisionToJson(unknownAgent(this.unknownName)) : fill(UNKNOWN_AGENT_JSON, this.unknownName);
    const a = this.plainAgent;
    // INVARIANT: ruleDecision's output is a function of (effect, tool, rule ref, mandatory, reason, notify, default),
    // all fixed by (agent, rule) but the tool; finish adds approval_id / redacted_args in place, limits add warnings
    // on a copy or return another object, so identity plus these three fields show nothing was added.
    if (d !== this.plainBase || a === null || d.redacted_args !== undefined || d.warnings !== undefined) return decisionToJson(d);
    if (d.approval_id !== undefined) return this.deferText(d, a);
    const ri = this.plainRule;
    let tpl = ri < 0 ? a.defaultJson : this.ruleJson[ri];
    if (tpl === undefined) {
      tpl = ri < 0 ? jsonTemplate(a.defaultEffect, a.defaultRef, false, null, null, true) : this.ruleTemplate(ri);
      if (ri < 0) a.defaultJson = tpl;
      else this.ruleJson[ri] = tpl;
    }
    if (tpl === null) return decisionToJson(d === PLAIN_DENY ? this.plainDecision() : d);
    return fill(tpl, this.plainTool);
  }

  /**
   * The text of a plain defer: the rule's (or default's) decision as `finish`
   * completes it (approval id in `resolution` and `approval_id`, nothing
   * else), from a template with two slots; any other shape is serialised.
   */
  private deferText(d: Decision, a: AgentRt): string {
    const id = d.approval_id;
    const r = d.resolution;
    // What finish writes: one string id in both places (a StateStore may hand out anything).
    if (d.effect !== 'defer' || typeof id !== 'string' || r === null || r.type !== 'pending_approval' || r.approval_id !== id) return decisionToJson(d);
    const ri = this.plainRule;
    let tpl = ri < 0 ? this.defaultDeferJson.get(a) : this.ruleDeferJson[ri];
    if (tpl === undefined) {
      if (ri < 0) {
        tpl = deferTemplate(a.defaultEffect, a.defaultRef, false, null, null, true);
        this.defaultDeferJson.set(a, tpl);
      } else {
        const m = this.model.rules[ri]!;
        tpl = deferTemplate(m.effect, this.ruleRef(ri), m.mandatory, m.reason, m.notify, false);
        this.ruleDeferJson[ri] = tpl;
      }
    }
    if (tpl === null) return decisionToJson(d);
    const escTool = jsonInner(this.plainTool);
    const escId = jsonInner(id);
    const parts = tpl.parts;
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i++) out += (tpl.slots[i - 1] === 0 ? escTool : escId) + parts[i]!;
    return out;
  }

  /**
   * The Decision object of the last plain decision (plainAgent, plainRule,
   * plainTool): what ruleDecision made, or would have made for a deny
   * evaluate left as PLAIN_DENY.
   */
  private plainDecision(): Decision {
    const a = this.plainAgent!;
    const ri = this.plainRule;
    if (ri < 0) return ruleDecision(EFFECT_NAMES[a.defaultEffect]!, this.plainTool, a.defaultRef, false, null, null, true);
    const r = this.model.rules[ri]!;
    return ruleDecision(EFFECT_NAMES[r.effect]!, this.plainTool, this.ruleRef(ri), r.mandatory, r.reason, r.notify, false);
  }

  /**
   * A plain deny of the JSON path (evaluate with `text`): what `finish` does
   * for a deny without redaction (the history entry, when one is kept), with
   * the plain fields decisionText renders from the template, and no Decision
   * object (issue 15: the JSON path only threw it away). Returns PLAIN_DENY.
   */
  private plainDeny(call: Call, a: AgentRt, ri: number, tool: string, sess: SessionState | null, nowMs: number, commit: boolean, rec: Recorded): Decision {
    this.plainBase = PLAIN_DENY;
    this.plainAgent = a;
    this.plainRule = ri;
    this.plainTool = tool;
    return finish(call, PLAIN_DENY, sess, nowMs, this.state, commit, null, rec);
  }

  /** The JSON template of rule `ri`'s plain decision. */
  private ruleTemplate(ri: number): JsonTemplate {
    const r = this.model.rules[ri]!;
    return jsonTemplate(r.effect, this.ruleRef(ri), r.mandatory, r.reason, r.notify, false);
  }

  /** The decision a call would get, with every step that leads to it. Does not change state. */
  explain(call: Call): Explanation {
    const events: TraceEvent[] = [];
    try {
      const decision = this.evaluate(call, false, events);
      return { decision, candidates: this.lastCandidates, events };
    } catch (e) {
      return { decision: evalError(null, `internal error: ${oneLine(e)}`), candidates: 0, events };
    }
  }

  /**
   * What a decision log may write of a call's arguments: a bounded copy with
   * the agent's `redact` paths for the tool masked (the pipeline's
   * `recordOf`, the same copy a decision's `redacted_args` shows), or null
   * when the arguments are not an object or too deep or large to copy. An
   * unknown agent has no redactions. Does not change state.
   */
  recordedArgs(call: Call): { [k: string]: unknown } | null {
    const args: unknown = call.args ?? {};
    if (args === null || typeof args !== 'object' || Array.isArray(args)) return null;
    const a = typeof call.agent === 'string' ? this.agents.get(call.agent) : undefined;
    if (a === undefined) return boundedCopy(args) as { [k: string]: unknown } | null;
    const rec = recordOf(a.limits, call, true);
    return typeof rec === 'string' ? null : (rec.args ?? null);
  }

  /** Moves a session to a phase (operator/admin action). Returns false when the agent or phase is unknown. */
  setPhase(agent: string, session: string, phase: string, atMs?: number): boolean {
    const a = this.agents.get(agent);
    if (!a || !a.limits.phases.some((p: PhaseModel) => p.id === phase)) return false;
    const s = this.state.session(sessionKey(agent, session));
    s.phase = phase;
    s.phaseSinceMs = atMs ?? this.clock.now();
    return true;
  }

  /** For a delegation ceiling `inherited`: what the delegator would get for the same call (no state change, no delegation). */
  private decideAs(call: Call): ((agent: string) => Decision) | undefined {
    if (call.delegation === undefined) return undefined;
    return (agent: string) => {
      const { delegation: _drop, ...own } = call;
      const keep = this.lastCandidates;
      const d = this.evaluate({ ...own, agent }, false, null);
      this.lastCandidates = keep;
      return d;
    };
  }

  /**
   * Decides `call`; the candidate count of the last evaluation is left in
   * `lastCandidates` (explain reports it). Returns the bare decision so the
   * common path allocates no wrapper, closure or empty event list. With
   * `text` (decideText, never with a trace), a plain deny returns PLAIN_DENY
   * (see plainDeny) and an unknown agent UNKNOWN_AGENT_TEXT, markers nothing
   * but decisionText may see.
   */
  private evaluate(call: Call, commit: boolean, trace: TraceEvent[] | null, text = false): Decision {
    this.lastCandidates = 0;
    this.plainBase = null;
    const bad = checkCall(call);
    if (bad !== null) return invalidCall(bad);
    const a = this.agents.get(call.agent);
    if (trace) trace.push({ kind: 'agent', agent: call.agent, known: a !== undefined });
    if (a === undefined) {
      if (!text) return unknownAgent(call.agent);
      this.unknownName = call.agent;
      return UNKNOWN_AGENT_TEXT;
    }
    const lim = a.limits;
    const sessionId = call.session ?? '';
    const tool = call.tool;
    const phases = lim.phases;
    // The clock is read only when the decision can depend on it (issue 15: a
    // clock read is ~60 ns, most of a default deny): phases, the session
    // history and `time.*` need it before the rules run; a permit or defer
    // needs it for its limits, and reads it there (LATE_CLOCK).
    let nowMs = LATE_CLOCK;
    if ((phases.length > 0 || this.usesClock) && Number.isNaN((nowMs = this.clockNow()))) return evalError(null, CLOCK_INVALID);
    let sess: SessionState | null = null;
    let phaseIdx = -1;
    if (phases.length > 0 || this.usesHistory) sess = this.state.session(agentSessionKey(lim, sessionId));
    const c = this.candidates(a, tool);
    // What is recorded and printed of the arguments, prepared before anything is committed.
    const rec = recordOf(lim, call, sess !== null, c.red);
    if (typeof rec === 'string') return invalidCall(rec);
    if (phases.length > 0) {
      const cp = currentPhase(phases, sess!, nowMs);
      phaseIdx = cp.index;
      if (commit) {
        sess!.phase = phases[cp.index]!.id;
        sess!.phaseSinceMs = cp.since;
      }
      const p = phases[phaseIdx]!;
      const vis = visibleInPhase(p, tool);
      if (trace) trace.push({ kind: 'phase', phase: p.id, visible: vis });
      if (!vis) return finish(call, outOfPhase(tool, p.id, ref(p.file, p.line)), sess, nowMs, this.state, commit, trace, rec);
    }
    const n = c.n;
    this.lastCandidates = n;
    // Built when a rule with a condition runs (a tool no rule names needs none).
    let env: EvalEnv | null = null;
    const rules = this.model.rules;
    for (let k = 0; k < n; k++) {
      let q: RuleRt | null;
      let e: number;
      let ph: number;
      if (k === 0) {
        q = c.q0;
        e = c.e0;
        ph = c.p0;
      } else if (k === 1) {
        q = c.q1;
        e = c.e1;
        ph = c.p1;
      } else if (k === 2) {
        q = c.q2;
        e = c.e2;
        ph = c.p2;
      } else if (k === 3) {
        q = c.q3;
        e = c.e3;
        ph = c.p3;
      } else {
        q = null;
        e = c.cand[3 * k + 1]!;
        ph = c.cand[3 * k + 2]!;
      }
      if (ph >= 0 && ph !== phaseIdx) {
        if (trace) {
          const ri = c.cand[3 * k]!;
          trace.push({ kind: 'rule', rule_ref: this.ruleRef(ri), text: this.model.ruleLocs[ri]!.text, mandatory: rules[ri]!.mandatory, result: 'skipped-phase', steps: [], missing: [] });
        }
        continue;
      }
      if (e >= 0 && env === null) env = { call, nowMs, phase: phaseIdx >= 0 ? phases[phaseIdx]!.id : null, sessionCalls: sess ? sess.history.length : 0, agentModel: lim.model };
      let res: Tri;
      if (trace) {
        const tr = new RunTrace(rec);
        res = e < 0 ? true : this.run(e, env!, sess, tr);
        const ri = c.cand[3 * k]!;
        const ev: TraceEvent = {
          kind: 'rule',
          rule_ref: this.ruleRef(ri),
          text: this.model.ruleLocs[ri]!.text,
          mandatory: rules[ri]!.mandatory,
          result: res === true ? 'match' : res === TYPE_ERR ? 'type-error' : res === MISSING ? 'unknown' : 'no-match',
          steps: tr.steps,
          missing: tr.missing,
        };
        if (res === TYPE_ERR) ev.type_error = tr.cause();
        trace.push(ev);
      } else res = e < 0 ? true : this.run(e, env!, sess, null);
      if (res === TYPE_ERR) {
        // Fail closed: a field present with the wrong type in a rule that was
        // reached denies, whatever the rule's effect (DESIGN §3 "Totality").
        // Rerun with a trace (rare path) to name the field.
        const tr = new RunTrace();
        this.run(e, env!, sess, tr);
        const why = tr.cause();
        const ri = c.cand[3 * k]!;
        return finish(call, evalError(this.ruleRef(ri), `${why.detail} (rule ${this.ruleRef(ri)}: ${this.model.ruleLocs[ri]!.text})`), sess, nowMs, this.state, commit, trace, rec);
      }
      if (res !== true) continue;
      const rule = q ?? this.ruleRt(c.cand[3 * k]!);
      const eff = rule.effect;
      if (text && eff === 'deny' && rec.redactions.length === 0) return this.plainDeny(call, a, rule.index, tool, sess, nowMs, commit, rec);
      const d = ruleDecision(eff, tool, rule.ref, rule.mandatory, rule.reason, rule.notify, false);
      this.plainBase = d;
      this.plainAgent = a;
      this.plainRule = rule.index;
      this.plainTool = tool;
      if (eff === 'deny') return finish(call, d, sess, nowMs, this.state, commit, trace, rec);
      if (Number.isNaN(nowMs) && Number.isNaN((nowMs = this.clockNow()))) return evalError(null, CLOCK_INVALID);
      return finish(call, applyLimits({ agent: lim, call, nowMs, sessionId, decision: d, state: this.state, commit, trace, decideAs: this.decideAs(call), rateMatch: c.rate }), sess, nowMs, this.state, commit, trace, rec);
    }
    const eff = EFFECT_NAMES[a.defaultEffect]!;
    if (trace) trace.push({ kind: 'default', effect: eff, rule_ref: a.defaultRef });
    if (text && eff === 'deny' && rec.redactions.length === 0) return this.plainDeny(call, a, -1, tool, sess, nowMs, commit, rec);
    const d = ruleDecision(eff, tool, a.defaultRef, false, null, null, true);
    this.plainBase = d;
    this.plainAgent = a;
    this.plainRule = -1;
    this.plainTool = tool;
    if (eff === 'deny') return finish(call, d, sess, nowMs, this.state, commit, trace, rec);
    if (Number.isNaN(nowMs) && Number.isNaN((nowMs = this.clockNow()))) return evalError(null, CLOCK_INVALID);
    return finish(call, applyLimits({ agent: lim, call, nowMs, sessionId, decision: d, state: this.state, commit, trace, decideAs: this.decideAs(call), rateMatch: c.rate }), sess, nowMs, this.state, commit, trace, rec);
  }
}

/** Evaluation trace of one condition: steps, missing fields, the field stack, and the first type error's cause. */
class RunTrace {
  readonly steps: ConditionStep[] = [];
  readonly missing: string[] = [];
  /** Field name behind each stack slot (null for constants). */
  readonly srcs: Array<string | null> = new Array(66).fill(null);
  /** Whether each stack slot holds (or was computed from) a redacted value. */
  readonly secret: boolean[] = new Array(66).fill(false);
  private first: { field: string; detail: string } | null = null;

  /** @param rec what the decision records of the call (redacted copy and paths). */
  constructor(private readonly rec: Recorded | null = null) {}

  /** Whether reading `root.segs` touches a redacted argument path. */
  hides(root: string, segs: readonly string[]): boolean {
    if (this.rec === null || this.rec.paths.length === 0) return false;
    const read = argsPathsOf(root, segs);
    for (const p of read) for (const r of this.rec.paths) if (p === r || p.startsWith(r + '.') || r.startsWith(p + '.') || p === '') return true;
    return false;
  }

  /** The value to print for a redacted read: the masked copy's value under `args`, else the mask. */
  masked(root: string, segs: readonly string[]): unknown {
    if (root === 'args' && this.rec !== null) {
      const v = walk(this.rec.args, segs);
      if (!isMark(v)) return v;
    }
    return '[REDACTED]';
  }

  /** An operand for a step's text: masked when it came from a redacted path. */
  show(v: XValue, slot: number): string {
    return this.secret[slot] && !isMark(v) ? '"[REDACTED]"' : show(v);
  }

  /** Records the first type error's field and reason. */
  blame(field: string, detail: string): void {
    this.first ??= { field, detail };
  }

  /**
   * Records an operator step whose operands sat at slots [at, at+n) and whose
   * result goes to slot `at`; a type error arising here (not inherited) is
   * blamed on the first operand that came from a field.
   */
  op(name: string, detail: string, v: XValue, operands: readonly XValue[], at: number, n: number, field: string | null = null): void {
    const hidden = this.secret.slice(at, at + n).includes(true);
    // A boolean says little; any other value computed from a redacted one is masked too.
    const shownValue = hidden && !isMark(v) && typeof v !== 'boolean' ? '[REDACTED]' : v;
    this.steps.push({ op: name, detail, ...stepValue(shownValue) });
    const f = field ?? firstSrc(this.srcs, at, n);
    this.srcs[at] = f;
    this.secret[at] = hidden && typeof v !== 'boolean';
    if (v === TYPE_ERR && !operands.includes(TYPE_ERR)) {
      const kinds = operands.map(kindOf).join(' and ');
      this.blame(f ?? name, `${f ?? 'a value'} has the wrong type for ${name} (${kinds})`);
    }
  }

  /** The first type error's cause (always set when the condition ended in TYPE_ERR). */
  cause(): { field: string; detail: string } {
    return this.first ?? { field: '?', detail: 'a value has the wrong type' };
  }
}

/** The argument paths (dotted, under `args`; '' = all of them) a variable reads. */
function argsPathsOf(root: string, segs: readonly string[]): string[] {
  switch (root) {
    case 'args':
      return [segs.join('.')];
    case 'host':
    case 'path':
    case 'port':
    case 'method':
      return root === 'method' ? ['method'] : [root, 'url'];
    case 'query':
      return [`query.${segs[0] ?? ''}`, 'url'];
    case 'headers':
      return ['headers'];
    case 'recipients':
      return ['recipients'];
    default:
      return [];
  }
}

/** The first non-null field name among slots [at, at+n). */
function firstSrc(src: Array<string | null>, at: number, n: number): string | null {
  for (let k = at; k < at + n; k++) if (src[k] !== null && src[k] !== undefined) return src[k]!;
  return null;
}

/** The JSON kind of a value, for messages. */
function kindOf(v: XValue): string {
  if (v === MISSING) return 'missing';
  if (v === TYPE_ERR) return 'type error';
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

/*
 * Two tool names no real call sends and no policy text holds by accident:
 * each is three control characters, which JSON.stringify writes as \u00XX
 * escapes. A decision rendered with each, split at the rendering, gives the
 * same parts exactly when every occurrence is the tool's own (a policy string
 * holding one placeholder would split differently under the other).
 */
const TOOL_MARK_A = '\u0000\u0001\u0002';
const TOOL_MARK_B = '\u0003\u0004\u0005';

/**
 * The template (see JsonTemplate) of the decision `make` gives for a name:
 * its text rendered with each mark, split at the escaped mark, kept only
 * when both agree; null when it cannot be made safely.
 */
function textAround(make: (name: string) => Decision): JsonTemplate {
  const render = (mark: string): string[] => decisionToJson(make(mark)).split(jsonInner(mark));
  const a = render(TOOL_MARK_A);
  const b = render(TOOL_MARK_B);
  if (a.length !== b.length) return null;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return null;
  return Object.freeze(a);
}

/** A template's text with `name` JSON-escaped in its slots. */
function fill(tpl: readonly string[], name: string): string {
  const esc = jsonInner(name);
  if (tpl.length === 2) return tpl[0] + esc + tpl[1];
  return tpl.join(esc);
}

/** The JSON template of a plain rule decision around the tool name (see JsonTemplate). */
function jsonTemplate(effect: number, ruleRef: string, mandatory: boolean, reason: string | null, notify: string | null, isDefault: boolean): JsonTemplate {
  const eff = EFFECT_NAMES[effect]!;
  return textAround((tool) => ruleDecision(eff, tool, ruleRef, mandatory, reason, notify, isDefault));
}

/** The JSON text of an unknown agent's denial around the agent's name (decisionText, UNKNOWN_AGENT_TEXT). */
const UNKNOWN_AGENT_JSON = textAround(unknownAgent);

/** Two approval ids no store hands out by accident (see TOOL_MARK_A). */
const ID_MARK_A = '\u0006\u0007\u000e';
const ID_MARK_B = '\u000f\u0010\u0011';

/**
 * The JSON text of a plain defer around its two variable parts: `parts[0]`,
 * then for each slot the tool name (0) or the approval id (1) JSON-escaped
 * and the next part. Null when it could not be made safely.
 */
type DeferTemplate = { readonly parts: readonly string[]; readonly slots: readonly number[] } | null;

/** The template of a plain defer (see DeferTemplate): rendered twice with different marks, kept only when both agree. */
function deferTemplate(effect: number, ruleRef: string, mandatory: boolean, reason: string | null, notify: string | null, isDefault: boolean): DeferTemplate {
  const eff = EFFECT_NAMES[effect]!;
  const render = (tool: string, id: string): DeferTemplate => {
    const d = ruleDecision(eff, tool, ruleRef, mandatory, reason, notify, isDefault);
    // As finish completes a defer.
    d.approval_id = id;
    d.resolution = { type: 'pending_approval', approval_id: id };
    const text = decisionToJson(d);
    const marks = [jsonInner(tool), jsonInner(id)];
    const parts: string[] = [];
    const slots: number[] = [];
    let at = 0;
    for (;;) {
      const t = text.indexOf(marks[0]!, at);
      const i = text.indexOf(marks[1]!, at);
      if (t < 0 && i < 0) break;
      const k = t >= 0 && (i < 0 || t < i) ? 0 : 1;
      const pos = k === 0 ? t : i;
      parts.push(text.slice(at, pos));
      slots.push(k);
      at = pos + marks[k]!.length;
    }
    parts.push(text.slice(at));
    return { parts, slots };
  };
  const a = render(TOOL_MARK_A, ID_MARK_A)!;
  const b = render(TOOL_MARK_B, ID_MARK_B)!;
  if (a.parts.length !== b.parts.length) return null;
  for (let i = 0; i < a.parts.length; i++) if (a.parts[i] !== b.parts[i]) return null;
  for (let i = 0; i < a.slots.length; i++) if (a.slots[i] !== b.slots[i]) return null;
  return Object.freeze({ parts: Object.freeze(a.parts), slots: Object.freeze(a.slots) });
}

/** One line describing a thrown value (never throws itself). */
function oneLine(e: unknown): string {
  try {
    const m = e instanceof Error ? e.message : String(e);
    return m.split('\n')[0]!.slice(0, 200);
  } catch {
    return 'unknown';
  }
}

/** A step's result for the trace: the value itself, or null with `unknown: true` / `type_error: true`. */
function stepValue(v: unknown): { value: unknown; unknown?: true; type_error?: true } {
  return v === MISSING ? { value: null, unknown: true } : v === TYPE_ERR ? { value: null, type_error: true } : { value: traceable(v) };
}

/**
 * A value as a trace holds it: scalars as they are, lists and objects as a
 * bounded copy (a trace must print without recursing through whatever nesting
 * the agent sent, and must not alias the caller's objects).
 */
function traceable(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const c = boundedCopy(v);
  return c === null ? '[too deep or too large to show]' : c;
}

function show(v: unknown): string {
  if (v === MISSING) return '<missing>';
  if (v === TYPE_ERR) return '<type error>';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return '<value>';
  }
}

/**
 * Loads a pack BODY (no container, no signature): strict parsing with bounds
 * checks, then the bytecode verifier. Regexes compile on first use (lazyMatcher). Throws PackError
 * with a one-line reason when the body is refused.
 */
export function loadPackBody(body: Uint8Array, opts: LoadOptions = {}): LoadedPack {
  const model = readBody(body, { checksums: opts.checksums !== false });
  try {
    const prog = verifyBytecode(model);
    return new LoadedPack(model, prog, opts);
  } catch (e) {
    if (e instanceof PackError) throw e;
    throw new PackError(`malformed pack body (${e instanceof Error ? e.message : String(e)})`);
  }
}
