/**
 * Differential property test: random policies × random call sequences; the
 * bytecode evaluator (emit → pack body → load → verify → decide) and the IR
 * reference interpreter must agree on effect, code, rule_ref and warnings for
 * every call (≥ 100,000 calls per run). Each engine has its own state; both
 * read one manual clock (a call cannot carry a time).
 *
 * A second property compiles REAL FPL source from the grammar-based generator
 * (`test/helpers/fpl-gen.ts`) with the compiler, so the front end's lowering
 * (aliases, vars, method forms, session aggregates, network clauses, phases,
 * flat rules, balanced and/or chains, `session {}` limits, `delegate` grants,
 * calls under delegation, destinations in every egress field) is under the
 * same differential check; both engines must produce SESSION_LIMIT and
 * DELEGATION_DENIED as well.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { Interpreter } from '../../../compiler/src/interp/interpret';
import type { Agent, CmpOp, Expr, Policy, Rule } from '../../../compiler/src/ir/types';
import { MemoryState, ManualClock } from '@fms/runtime';
import { loadPackBody } from '@fms/runtime';
import type { Call, Decision } from '@fms/runtime';
import { compile } from '../../../compiler/src/compile';
import { genCall as genSourceCall, genPolicy as genSourcePolicy, rng } from '../../helpers/fpl-gen';
import { E, agent, budget, hosts, phase, policy, rateLimit, redact, rule } from '../../helpers/ir-builder';

type R = ReturnType<typeof rng>;

const TOOLS = ['a/x', 'a/y', 'b/x', 'b/z', 'c', 'cd', 'a/x/y', 'http/get', 'stripe/refund'];
const PATTERNS = [...TOOLS, 'a/*', 'b/*', '*', 'c*', '*/x', 'a/*/y', '*/*', 'http/*', 'stripe/*'];
const STRS = ['usd', 'eur', 'x', 'admin', 'rm -rf', 'GET', 'POST', '', 'a.com'];
const CMPS: CmpOp[] = ['==', '!=', '<', '<=', '>', '>='];

function genValue(r: R): Expr {
  switch (r.int(8)) {
    case 0:
    case 1:
      return E.lit(r.int(20) - 5);
    case 2:
    case 3:
      return E.lit(r.pick(STRS));
    case 4:
      return E.lit(r.chance(0.5));
    case 5:
      return E.lit(null);
    case 6:
      return E.lit([r.pick(STRS), r.int(10)]);
    default:
      return E.list(genLeaf(r), E.lit(r.pick(STRS)));
  }
}

function genLeaf(r: R): Expr {
  switch (r.int(14)) {
    case 0:
    case 1:
      return E.args('n');
    case 2:
    case 3:
      return E.args('s');
    case 4:
      return E.args('l');
    case 5:
      return E.args('missing');
    case 6:
      return E.v('principal', 'role');
    case 7:
      return E.v('tool');
    case 8:
      return E.v('time', 'hour');
    case 9:
      return E.v('session', 'call_count');
    case 10:
      return E.v('host');
    case 11:
      return E.v('method');
    case 12:
      return E.args('o', 'k');
    default:
      return genValue(r);
  }
}

function genCall(r: R): Expr {
  switch (r.int(9)) {
    case 0:
      return E.call('history_contains_within', E.lit(r.pick(PATTERNS)), E.lit(r.int(120)));
    case 1:
      return E.cmp(r.pick(CMPS), E.call('history_tool_count', E.lit(r.pick(TOOLS))), E.lit(r.int(4)));
    case 2:
      return E.cmp('>', E.call('deny_count_within', E.lit(r.int(100))), E.lit(r.int(3)));
    case 3:
      return E.call('history_sequence', E.lit(r.pick(TOOLS)), E.lit(r.pick(TOOLS)));
    case 4:
      return E.cmp(r.pick(CMPS), E.call('len', genLeaf(r)), E.lit(r.int(4)));
    case 5:
      return E.call('args_array_contains', E.lit('l'), genValue(r));
    case 6:
      return E.call('args_array_any_match', E.lit('l'), E.lit(r.pick(['^u', 'x$', '(?i)EUR', 'a+b'])));
    case 7:
      return E.cmp('>', E.call('session_sum', E.lit(r.pick(PATTERNS)), E.lit('n'), E.lit(r.int(300))), E.lit(r.int(30)));
    default:
      return E.cmp(r.pick(CMPS), E.call('session_count', E.lit(r.pick(PATTERNS))), E.lit(r.int(5)));
  }
}

function genExpr(r: R, depth: number): Expr {
  const k = depth <= 0 ? r.int(6) : r.int(10);
  switch (k) {
    case 0:
    case 1:
      return E.cmp(r.pick(CMPS), genLeaf(r), genLeaf(r));
    case 2:
      return E.in(genLeaf(r), r.chance(0.7) ? genValue(r) : genLeaf(r), r.chance(0.3));
    case 3:
      return E.strop(r.pick(['contains', 'startsWith', 'endsWith'] as const), genLeaf(r), genLeaf(r));
    case 4:
      return r.chance(0.5) ? E.matches(genLeaf(r), r.pick(['^a', 'x', '(?i)usd|eur', '\\d+', 'rm\\s+-rf'])) : genLeaf(r);
    case 5:
      return genCall(r);
    case 6:
    case 7:
      return E.and(genExpr(r, depth - 1), genExpr(r, depth - 1));
    case 8:
      return E.or(genExpr(r, depth - 1), genExpr(r, depth - 1));
    default:
      return E.not(genExpr(r, depth - 1));
  }
}

function genAgent(r: R, id: string, line0: number): Agent {
  const hasPhases = r.chance(0.2);
  const phases = hasPhases
    ? [phase('init', r.chance(0.5) ? ['*/*', 'c*'] : ['a/*', 'c'], { duration: 1 + r.int(60), next: 'work', line: line0 + 1 }), phase('work', ['*', '*/*', '*/*/*'], { line: line0 + 2 })]
    : [];
  const n = 1 + r.int(12);
  const rules: Rule[] = [];
  for (let i = 0; i < n; i++) {
    const eff = r.pick(['permit', 'permit', 'deny', 'defer', 'deny!'] as const);
    const o: Parameters<typeof rule>[2] = { line: line0 + 10 + i };
    if (r.chance(0.7)) o.when = genExpr(r, 2);
    if (r.chance(0.1)) o.network = r.chance(0.5) ? { host: r.pick(['*.a.com', 'a.com', '*']), method: r.pick(['GET', 'POST']) } : { path: r.pick(['/v1/*', '/x']), port: 443 };
    if (hasPhases && r.chance(0.3)) o.phase = r.pick(['init', 'work']);
    rules.push(rule(eff, r.pick(PATTERNS), o));
  }
  return agent(id, rules, {
    default: r.pick(['permit', 'deny', 'defer'] as const),
    line: line0,
    phases,
    model: r.chance(0.5) ? r.pick(['gpt-4o', 'claude-3']) : undefined,
    rateLimits: r.chance(0.4) ? [rateLimit(r.pick(['*', 'a/*', 'c']), 1 + r.int(4), r.pick(['second', 'minute'] as const), line0 + 3)] : [],
    budgets: r.chance(0.4)
      ? [budget(r.pick(['session', 'daily', 'ops']), { max: r.chance(0.7) ? 1 + r.int(20) : undefined, maxCalls: r.chance(0.5) ? 1 + r.int(8) : undefined, warnAt: r.chance(0.5) ? 0.5 : undefined, daily: r.chance(0.2) ? 15 : undefined, onExceed: r.pick(['deny', 'defer', 'audit'] as const), line: line0 + 4 })]
      : [],
    egress: r.chance(0.3) ? hosts(r.chance(0.5) ? ['*.a.com'] : [], ['evil.a.com'], line0 + 5) : undefined,
    modelPolicy: r.chance(0.3) ? hosts(['gpt-*'], r.chance(0.5) ? ['gpt-4o'] : [], line0 + 6) : undefined,
    redactions: r.chance(0.2) ? [redact('a/*', ['s'], line0 + 7)] : [],
  });
}

function genPolicy(seed: number): Policy {
  const r = rng(seed);
  const n = 1 + r.int(3);
  return policy(...Array.from({ length: n }, (_, i) => genAgent(r, `ag${i}`, 1 + i * 100)));
}

function genCallValue(r: R, nAgents: number, t: number): Call {
  const args: Record<string, unknown> = {};
  if (r.chance(0.7)) args['n'] = r.chance(0.9) ? r.int(20) - 5 : 'x';
  if (r.chance(0.7)) args['s'] = r.pick(STRS);
  if (r.chance(0.4)) args['l'] = [r.pick(STRS), r.pick(STRS), r.int(10)];
  if (r.chance(0.2)) args['o'] = { k: r.pick(STRS) };
  if (r.chance(0.3)) args['url'] = r.pick(['https://x.a.com/v1/p', 'http://evil.a.com/x', 'https://b.com:443/x?q=1', 'not a url']);
  if (r.chance(0.2)) args['method'] = r.pick(['get', 'POST']);
  const c: Call = { agent: r.chance(0.05) ? 'nobody' : `ag${r.int(nAgents)}`, tool: r.pick(TOOLS), args, session: r.pick(['s1', 's2']) };
  if (r.chance(0.3)) c.principal = { role: r.pick(['admin', 'user']) };
  if (r.chance(0.5)) c.cost = r.int(5);
  if (r.chance(0.3)) c.model = r.pick(['gpt-4o', 'gpt-3.5', 'claude-3']);
  return c;
}

const key = (d: Decision): string => `${d.effect} ${d.code} ${d.rule_ref} [${(d.warnings ?? []).map((w) => `${w.code}:${w.rule_ref}`).join(',')}] ${JSON.stringify(d.redacted_args ?? null)}`;

const POLICIES = Number(process.env.FMS_DIFF_POLICIES ?? 1000);
const CALLS = Number(process.env.FMS_DIFF_CALLS ?? 100);

test(`bytecode evaluator and IR interpreter agree (${POLICIES} policies × ${CALLS} calls)`, () => {
  let total = 0;
  const codes = new Map<string, number>();
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const p = genPolicy(seed);
      const clock = new ManualClock(0);
      const vm = loadPackBody(emitPackBody(p), { clock, state: new MemoryState({ approvalId: () => 'apr' }) });
      const ip = new Interpreter(p, { clock, state: new MemoryState({ approvalId: () => 'apr' }) });
      const r = rng(seed ^ 0x5bd1e995);
      let t = Date.UTC(2026, 0, 1) + r.int(86400) * 1000;
      for (let i = 0; i < CALLS; i++) {
        t += r.int(4000);
        // The runtime's clock decides (a call cannot carry a time): both engines share this one.
        clock.ms = t;
        const c = genCallValue(r, p.agents.length, t);
        const a = vm.decide(c);
        const b = ip.decide(c);
        total++;
        codes.set(a.code, (codes.get(a.code) ?? 0) + 1);
        if (key(a) !== key(b)) {
          throw new Error(`seed ${seed} call ${i}: ${JSON.stringify(c)}\n  vm:     ${key(a)}\n  interp: ${key(b)}`);
        }
      }
    }),
    { numRuns: POLICIES, seed: Number(process.env.FMS_DIFF_SEED ?? Date.now() % 2 ** 31) },
  );
  assert.ok(total >= POLICIES * CALLS);
  // The generator reaches every code the pipeline can produce.
  for (const c of ['PERMIT', 'POLICY_DENY', 'POLICY_DEFER', 'UNKNOWN_AGENT', 'RATE_EXCEEDED', 'BUDGET_EXCEEDED', 'EGRESS_DENIED', 'MODEL_DENIED', 'OUT_OF_PHASE_TOOL_CALL']) {
    assert.ok((codes.get(c) ?? 0) > 0, `code ${c} never produced`);
  }
});

const SOURCE_POLICIES = Number(process.env.FMS_DIFF_SOURCE_POLICIES ?? 600);
const SOURCE_CALLS = Number(process.env.FMS_DIFF_SOURCE_CALLS ?? 60);

test(`compiled FPL source: bytecode evaluator and IR interpreter agree (${SOURCE_POLICIES} generated policies × ${SOURCE_CALLS} calls)`, () => {
  const seed0 = Number(process.env.FMS_DIFF_SEED ?? Date.now() % 2 ** 31);
  let compared = 0;
  let clean = 0;
  const codes = new Map<string, number>();
  for (let i = 0; i < SOURCE_POLICIES; i++) {
    const seed = (seed0 + i) % 2 ** 31;
    const gen = genSourcePolicy(seed);
    const c = compile(gen.source, 'governance.fms', { env: {} });
    if (!c.ir || c.diagnostics.some((d) => d.severity === 'error')) continue;
    clean++;
    const clock = new ManualClock(Date.UTC(2026, 0, 1) + (seed % 86_400) * 1000);
    const vm = loadPackBody(emitPackBody(c.ir), { clock, state: new MemoryState({ approvalId: () => 'apr' }) });
    const ip = new Interpreter(c.ir, { clock, state: new MemoryState({ approvalId: () => 'apr' }) });
    const r = rng(seed ^ 0x5bd1e995);
    const p = { ...gen, agents: c.ir.agents.map((a) => a.id) };
    for (let k = 0; k < SOURCE_CALLS; k++) {
      clock.advance(r.int(4000));
      const call = genSourceCall(r, p, r.chance(0.1));
      const a = vm.decide(call);
      const b = ip.decide(call);
      compared++;
      codes.set(a.code, (codes.get(a.code) ?? 0) + 1);
      if (key(a) !== key(b)) {
        throw new Error(`seed ${seed} call ${k}: ${JSON.stringify(call)}\n  vm:     ${key(a)}\n  interp: ${key(b)}\n--- policy:\n${gen.source}`);
      }
    }
  }
  assert.ok(clean > SOURCE_POLICIES * 0.6, `only ${clean} of ${SOURCE_POLICIES} generated policies check clean`);
  for (const code of ['PERMIT', 'POLICY_DENY', 'POLICY_DEFER', 'UNKNOWN_AGENT', 'RATE_EXCEEDED', 'BUDGET_EXCEEDED', 'EGRESS_DENIED', 'MODEL_DENIED', 'SESSION_LIMIT', 'DELEGATION_DENIED']) {
    assert.ok((codes.get(code) ?? 0) > 0, `code ${code} never produced from source (${compared} calls)`);
  }
});

test.run();
