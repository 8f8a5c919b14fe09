/**
 * Live decision preview: the `*.fmtest.json` fixtures beside a policy (the
 * same files `fmsc test` runs) are re-decided on every analysis with the
 * compiler's reference interpreter. Loading reads the disk (bounded); the
 * evaluation is pure over the IR.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Interpreter, type Policy } from '@fms/compiler';

/** One case of a fixture, as `fmsc test` reads it (fields it does not need are ignored). */
export interface FixtureCase {
  name: string;
  tool: string;
  agent_id?: string;
  args?: Record<string, unknown>;
  principal?: Record<string, unknown>;
  session?: string;
  model?: string;
  cost?: number;
  selectors?: Record<string, unknown>;
  purpose?: string;
  time?: number | string;
  delegation?: { by: string; depth?: number };
  expect: { effect: string; code?: string; rule_ref?: string };
}

/** One tool call, as the interpreter and the runtime take it. */
export type CaseCall = Parameters<Interpreter['decide']>[0];

/** A fixture file that names this policy. */
export interface Fixture {
  path: string;
  agent_id: string;
  cases: FixtureCase[];
}

/** The result of one case against the current text. */
export interface CaseResult {
  fixture: string;
  name: string;
  agent: string;
  effect: string;
  code: string;
  /** The line (1-based) of the rule or `default` that decided, when in this file. */
  line?: number;
  pass: boolean;
  expected: string;
}

const MAX_FIXTURE_BYTES = 1 << 20;
const MAX_CASES = 10_000;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Validates a parsed fixture; undefined when it is not one (fail closed: a malformed fixture is skipped, never half-read). */
export function readFixture(path: string, json: unknown): Fixture | undefined {
  if (!isObj(json) || typeof json.agent_id !== 'string' || !Array.isArray(json.cases) || json.cases.length > MAX_CASES) return undefined;
  const cases: FixtureCase[] = [];
  for (const c of json.cases) {
    if (!isObj(c) || typeof c.name !== 'string' || typeof c.tool !== 'string' || !isObj(c.expect) || typeof c.expect.effect !== 'string') return undefined;
    cases.push(c as unknown as FixtureCase);
  }
  return { path, agent_id: json.agent_id, cases };
}

/** The fixtures in the policy's folder and its `tests/` folder whose policy is `policyFile`. */
export function loadFixtures(policyFile: string): Fixture[] {
  const dir = dirname(policyFile);
  const out: Fixture[] = [];
  for (const d of [dir, join(dir, 'tests')]) {
    let names: string[];
    try {
      names = readdirSync(d).filter((n) => n.endsWith('.fmtest.json')).sort().slice(0, 100);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(d, n);
      try {
        const st = statSync(p);
        if (!st.isFile() || st.size > MAX_FIXTURE_BYTES) continue;
        const json: unknown = JSON.parse(readFileSync(p, 'utf8'));
        const fx = readFixture(p, json);
        if (!fx) continue;
        const pol = isObj(json) && typeof json.policy === 'string' ? resolve(d, json.policy) : existsSync(join(d, 'governance.fms')) ? join(d, 'governance.fms') : join(d, '..', 'governance.fms');
        if (resolve(pol) === resolve(policyFile)) out.push(fx);
      } catch {
        continue; // unreadable or not JSON: not a fixture of this policy
      }
    }
  }
  return out;
}

/** The clock of a case: its `time` (ms since the epoch or an ISO 8601 date), else `now`. */
export function caseTime(t: number | string | undefined, now: number): number {
  if (t === undefined) return now;
  const ms = typeof t === 'number' ? t : /^\d+$/.test(t) ? Number(t) : Date.parse(t);
  return Number.isFinite(ms) ? ms : now;
}

/** The tool call a case describes, as `fmsc test` builds it (`purpose` is a shorthand for `args.purpose`). */
export function caseCall(fx: Fixture, c: FixtureCase): CaseCall {
  const call: CaseCall = { agent: typeof c.agent_id === 'string' ? c.agent_id : fx.agent_id, tool: c.tool, args: isObj(c.args) ? { ...c.args } : {} };
  if (typeof c.purpose === 'string') call.args = { ...call.args, purpose: c.purpose };
  if (isObj(c.principal)) call.principal = c.principal;
  if (typeof c.session === 'string') call.session = c.session;
  if (typeof c.model === 'string') call.model = c.model;
  if (typeof c.cost === 'number') call.cost = c.cost;
  if (isObj(c.selectors)) call.selectors = c.selectors;
  if (isObj(c.delegation) && typeof c.delegation.by === 'string') call.delegation = { by: c.delegation.by, ...(typeof c.delegation.depth === 'number' ? { depth: c.delegation.depth } : {}) };
  return call;
}

/** Decides every case (in order, one fresh interpreter per fixture, as `fmsc test`). Pure given `now`. */
export function runFixtures(ir: Policy, fixtures: readonly Fixture[], now = Date.now()): CaseResult[] {
  const out: CaseResult[] = [];
  const base = ir.file.split(/[\\/]/).pop() ?? ir.file;
  for (const fx of fixtures) {
    let clock = now;
    const interp = new Interpreter(ir, { clock: { now: () => clock } });
    for (const c of fx.cases) {
      const call = caseCall(fx, c);
      clock = caseTime(c.time, now);
      const d = interp.decide(call);
      const e = c.expect;
      const pass = e.effect.toLowerCase() === d.effect && (e.code === undefined || e.code === d.code) && (e.rule_ref === undefined || e.rule_ref === d.rule_ref);
      const m = d.rule_ref ? /^(.*):(\d+)$/.exec(d.rule_ref) : null;
      const line = m && (m[1] === base || m[1] === ir.file) ? Number(m[2]) : undefined;
      out.push({ fixture: fx.path, name: c.name, agent: call.agent, effect: d.effect, code: d.code, ...(line !== undefined ? { line } : {}), pass, expected: `${e.effect.toLowerCase()}${e.code ? ` (${e.code})` : ''}${e.rule_ref ? ` at ${e.rule_ref}` : ''}` });
    }
  }
  return out;
}
