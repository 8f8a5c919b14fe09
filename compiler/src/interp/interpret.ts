/**
 * The IR reference interpreter: a direct, obviously-correct reading of DESIGN §3
 * over the `Policy` IR, used as the oracle of the bytecode evaluator in the
 * differential tests (and usable by tools that have an IR but no pack).
 *
 * It walks every rule of the agent in order (no index, no bytecode) and
 * evaluates condition trees recursively. It shares with the runtime only the
 * value semantics (`runtime/src/vm/values.ts`: what `==`, `in`, a field read
 * mean), the built-in functions, and the stateful post-match pipeline
 * (rate limits, budgets, egress, model policy, redaction), to which it hands
 * tables it derives from the IR itself.
 */
import { RE2JS } from 're2js';
import type { Agent, Expr, NetworkMatch, Policy, Rule, ToolPattern } from '../ir/types';
import type { PatternModel } from '../../../runtime/src/pack/body-model';
import { BUDGET_WINDOW_NAMES, BUILTIN_ID, CMP_NAMES, ON_EXCEED_NAMES, PATTERN, STROP_NAMES, WINDOW_NAMES } from '../../../runtime/src/pack/format';
import { type Clock, MemoryState, type SessionState, type StateStore, systemClock } from '../../../runtime/src/state/store';
import { anyMatch, callBuiltin } from '../../../runtime/src/vm/builtins';
import { invalidCall, outOfPhase, ref, ruleDecision, unknownAgent } from '../../../runtime/src/vm/payloads';
import { type AgentLimits, applyLimits, checkCall, currentPhase, finish, sessionKey, visibleInPhase } from '../../../runtime/src/vm/pipeline';
import type { Call, Decision } from '../../../runtime/src/vm/types';
import { ERR, type Err, type EvalEnv, type RValue, cmp, globOp, inOp, patternMatch, resolveVar, strop, toBool } from '../../../runtime/src/vm/values';

/** Options of the interpreter. */
export interface InterpreterOptions {
  state?: StateStore;
  clock?: Clock;
}

function pm(p: ToolPattern): PatternModel {
  return { kind: PATTERN[p.kind], text: p.text };
}

/** Tables of the post-match pipeline, derived from the IR. */
function limitsOf(a: Agent): AgentLimits {
  return {
    id: a.id,
    model: a.model ?? null,
    phases: a.phases.map((p) => ({
      id: p.id,
      duration: p.durationSeconds ?? null,
      next: p.next === undefined ? -1 : a.phases.findIndex((q) => q.id === p.next),
      tools: p.tools.map(pm),
      line: p.loc.line,
      col: p.loc.col,
      file: p.loc.file,
    })),
    rateLimits: a.rateLimits.map((r) => ({ pattern: pm(r.pattern), count: r.count, per: WINDOW_NAMES.indexOf(r.per), line: r.loc.line, file: r.loc.file })),
    budgets: a.budgets.map((b) => ({
      id: b.id,
      window: BUDGET_WINDOW_NAMES.indexOf(b.window),
      max: b.max ?? null,
      daily: b.daily ?? null,
      maxCalls: b.maxCalls ?? null,
      warnAt: b.warnAt ?? null,
      onExceed: ON_EXCEED_NAMES.indexOf(b.onExceed),
      line: b.loc.line,
      file: b.loc.file,
    })),
    egress: a.egress ? { kind: 0, allow: a.egress.allow, deny: a.egress.deny, line: a.egress.loc.line, file: a.egress.loc.file } : null,
    modelPolicy: a.modelPolicy ? { kind: 1, allow: a.modelPolicy.allow, deny: a.modelPolicy.deny, line: a.modelPolicy.loc.line, file: a.modelPolicy.loc.file } : null,
    redactions: a.redactions.map((r) => ({ pattern: pm(r.tool), paths: r.paths, line: r.loc.line, file: r.loc.file })),
  };
}

/** A direct interpreter of a Policy. */
export class Interpreter {
  private readonly state: StateStore;
  private readonly clock: Clock;
  private readonly regexCache = new Map<string, (s: string) => boolean>();
  private readonly limits = new Map<string, AgentLimits>();

  constructor(
    readonly policy: Policy,
    opts: InterpreterOptions = {},
  ) {
    this.state = opts.state ?? new MemoryState();
    this.clock = opts.clock ?? systemClock;
    for (const a of policy.agents) this.limits.set(a.id, limitsOf(a));
  }

  private regex(src: string): (s: string) => boolean {
    let f = this.regexCache.get(src);
    if (!f) {
      const re = RE2JS.compile(src);
      f = (s: string) => re.test(s);
      this.regexCache.set(src, f);
    }
    return f;
  }

  /** Decides a call. Never throws. */
  decide(call: Call): Decision {
    try {
      return this.run(call);
    } catch (e) {
      return invalidCall(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private run(call: Call): Decision {
    const bad = checkCall(call);
    if (bad !== null) return invalidCall(bad);
    // 1. Unknown agent.
    const agent = this.policy.agents.find((a) => a.id === call.agent);
    if (!agent) return unknownAgent(call.agent);
    const lim = this.limits.get(agent.id)!;
    const file = this.policy.file;
    const nowMs = call.time ?? this.clock.now();
    const sessionId = call.session ?? '';
    // The interpreter always keeps the session (history and phase).
    const sess: SessionState = this.state.session(sessionKey(agent.id, sessionId));
    const end = (d: Decision): Decision => finish(lim, call, d, sess, nowMs, this.state, true, null);
    // 2. Phase.
    let phaseId: string | null = null;
    if (lim.phases.length > 0) {
      const cp = currentPhase(lim.phases, sess, nowMs);
      const p = lim.phases[cp.index]!;
      sess.phase = p.id;
      sess.phaseSinceMs = cp.since;
      phaseId = p.id;
      if (!visibleInPhase(p, call.tool)) return end(outOfPhase(call.tool, p.id, ref(p.file, p.line)));
    }
    const env: EvalEnv = { call, nowMs, phase: phaseId, sessionCalls: sess.history.length, agentModel: agent.model ?? null };
    const applies = (r: Rule): boolean =>
      patternMatch(PATTERN[r.tool.kind], r.tool.text, call.tool) && (r.phase === undefined || r.phase === phaseId) && this.matchRule(r, env, sess) === true;
    const rules = [...agent.rules].sort((x, y) => x.index - y.index);
    // 3. Mandatory denies.
    for (const r of rules) {
      if (r.mandatory && applies(r)) return end(ruleDecision('deny', call.tool, ref(r.loc.file || file, r.loc.line), true, r.reason ?? null, r.notify ?? null, false));
    }
    // 4. First match; 5. default.
    let d: Decision | null = null;
    let effect = agent.default;
    for (const r of rules) {
      if (r.mandatory || !applies(r)) continue;
      d = ruleDecision(r.effect, call.tool, ref(r.loc.file || file, r.loc.line), false, r.reason ?? null, r.notify ?? null, false);
      effect = r.effect;
      break;
    }
    if (d === null) d = ruleDecision(effect, call.tool, ref((agent.defaultLoc ?? agent.loc).file || file, (agent.defaultLoc ?? agent.loc).line), false, null, null, true);
    if (effect === 'deny') return end(d);
    // 6. Limits.
    return end(applyLimits({ agent: lim, call, nowMs, sessionId, decision: d, state: this.state, commit: true, trace: null }));
  }

  private matchRule(r: Rule, env: EvalEnv, sess: SessionState): boolean | Err {
    const n = this.network(r.network, env);
    if (n !== true) return n;
    return r.when ? this.bool(r.when, env, sess) : true;
  }

  private network(n: NetworkMatch | undefined, env: EvalEnv): boolean | Err {
    if (!n) return true;
    const checks: Array<() => boolean | Err> = [];
    if (n.host !== undefined) checks.push(() => globOp(0, n.host!, resolveVar(env, 'host', [])));
    if (n.port !== undefined) checks.push(() => cmp(0, resolveVar(env, 'port', []), n.port!));
    if (n.method !== undefined) checks.push(() => globOp(3, n.method!, resolveVar(env, 'method', [])));
    if (n.path !== undefined) checks.push(() => globOp(1, n.path!, resolveVar(env, 'path', [])));
    for (const q of n.query ?? []) checks.push(() => globOp(2, q.value, resolveVar(env, 'query', [q.key])));
    for (const h of n.headers ?? []) checks.push(() => globOp(2, h.value, resolveVar(env, 'headers', [h.key.toLowerCase()])));
    for (const c of checks) {
      const r = c();
      if (r !== true) return r;
    }
    return true;
  }

  private bool(e: Expr, env: EvalEnv, sess: SessionState): boolean | Err {
    return toBool(this.value(e, env, sess));
  }

  private value(e: Expr, env: EvalEnv, sess: SessionState): RValue | Err {
    switch (e.k) {
      case 'lit':
        return e.value as RValue;
      case 'var':
        return resolveVar(env, e.root, e.path);
      case 'list': {
        const items: RValue[] = [];
        let err = false;
        for (const it of e.items) {
          const v = this.value(it, env, sess);
          if (v === ERR) err = true;
          else items.push(v);
        }
        return err ? ERR : items;
      }
      case 'not': {
        const v = this.bool(e.e, env, sess);
        return v === ERR ? ERR : !v;
      }
      case 'and': {
        const l = this.bool(e.l, env, sess);
        return l !== true ? l : this.bool(e.r, env, sess);
      }
      case 'or': {
        const l = this.bool(e.l, env, sess);
        return l !== false ? l : this.bool(e.r, env, sess);
      }
      case 'cmp':
        return cmp(CMP_NAMES.indexOf(e.op), this.value(e.l, env, sess), this.value(e.r, env, sess));
      case 'in':
        return inOp(e.negated, this.value(e.l, env, sess), this.value(e.r, env, sess));
      case 'strop':
        return strop(STROP_NAMES.indexOf(e.op), this.value(e.l, env, sess), this.value(e.r, env, sess));
      case 'matches': {
        const l = this.value(e.l, env, sess);
        return typeof l === 'string' ? this.regex(e.pattern)(l) : ERR;
      }
      case 'call': {
        if (e.fn === 'args_array_any_match') {
          const re = e.args[1];
          if (!re || re.k !== 'lit' || typeof re.value !== 'string') return ERR;
          return anyMatch(env.call, this.value(e.args[0]!, env, sess), this.regex(re.value));
        }
        const args = e.args.map((a) => this.value(a, env, sess));
        return callBuiltin(BUILTIN_ID[e.fn]!, args, { call: env.call, nowMs: env.nowMs, history: sess.history });
      }
    }
  }
}
