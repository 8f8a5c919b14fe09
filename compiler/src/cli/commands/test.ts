import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, formatOption, ioErrorMessage, JSON_VERSION, readInputText } from '@fms/runtime/cli-kit';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { JsonSyntaxError, lineCol, parseJsonWithSpans, spliceValues, validateFixture, type PositionedJson } from '../fixture-file';
import { loadPackBody, type Call, type Decision, type LoadedPack, type LoadOptions } from '@fms/runtime';
import { EmitError, emitPackBody } from '../../emit/emit-body';
import type { Policy } from '../../ir/types';
import { compileFile, frontEndFlags, lockedOption, noLockedOption, printDiagnostics, registryOption, type FrontEndFlags } from '../load';
import { dependencyFiles, watchLoop, type Pass } from '../watch';

/**
 * A `*.fmtest.json` fixture (DESIGN §8, compatible with `faramesh test`):
 * `{policy?, fixture?, agent_id, cases:[{name, tool, args?, principal?, session?,
 * model?, cost?, selectors?, purpose?, time?, delegation?, expect:{effect, code?, rule_ref?}}]}`.
 * `policy` is a path relative to the fixture (default `governance.fms` beside
 * it, else one level up). Cases run in order against one fresh pack, so rate
 * limits and budgets carry over. `time` (ms since the epoch or an ISO 8601
 * date) sets the pack's clock for that case (the call itself never carries a
 * time); without it the case runs at the system time. `purpose` is a shorthand
 * for `args.purpose`, which `purpose("x")` reads.
 */
interface Fixture {
  policy?: string;
  fixture?: string;
  agent_id: string;
  cases: Array<{
    name: string;
    tool: string;
    agent_id?: string;
    args?: { [k: string]: unknown };
    principal?: { [k: string]: unknown };
    session?: string;
    model?: string;
    cost?: number;
    selectors?: { [k: string]: unknown };
    purpose?: string;
    time?: number | string;
    delegation?: { by: string; depth?: number };
    expect: { effect: string; code?: string; rule_ref?: string };
  }>;
}

function findFixtures(): string[] {
  const out: string[] = [];
  for (const dir of ['.', 'tests']) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.fmtest.json')) out.push(join(dir, f));
  }
  return out;
}

function policyPath(fixturePath: string, fx: Fixture): string {
  const dir = dirname(resolve(fixturePath));
  if (fx.policy) return resolve(dir, fx.policy);
  const beside = join(dir, 'governance.fms');
  return existsSync(beside) || !existsSync(join(dir, '..', 'governance.fms')) ? beside : join(dir, '..', 'governance.fms');
}

const show = (effect: string, code?: string, ref?: string | null): string => `${effect.toUpperCase()}${code ? ` (${code})` : ''}${ref ? ` at ${ref}` : ''}`;

/** The clock of one case: its `time` (ms or ISO 8601), else the system time. */
function caseTime(path: string, name: string, t: number | string | undefined): number {
  if (t === undefined) return Date.now();
  const ms = typeof t === 'number' ? t : /^\d+$/.test(t) ? Number(t) : Date.parse(t);
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new CliError(`\`${path}\`: case \`${name}\`: time must be ms since the epoch or an ISO 8601 date`, EXIT.usage);
  return ms;
}

/** One case's result, for `--format json|junit`. */
interface CaseResult {
  name: string;
  ok: boolean;
  expected: { effect: string; code?: string; rule_ref?: string };
  got: { effect: string; code: string; rule_ref: string | null; human_message: string };
}

const xml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML (one testsuite per fixture) for CI test reports. */
function junit(results: Array<{ file: string; cases: CaseResult[] }>): string {
  const total = results.reduce((n, r) => n + r.cases.length, 0);
  const failures = results.reduce((n, r) => n + r.cases.filter((c) => !c.ok).length, 0);
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="fmsc test" tests="${total}" failures="${failures}">`];
  for (const r of results) {
    out.push(`  <testsuite name="${xml(r.file)}" tests="${r.cases.length}" failures="${r.cases.filter((c) => !c.ok).length}">`);
    for (const c of r.cases) {
      if (c.ok) out.push(`    <testcase classname="${xml(r.file)}" name="${xml(c.name)}"/>`);
      else {
        const msg = `expected ${show(c.expected.effect, c.expected.code, c.expected.rule_ref)}, got ${show(c.got.effect, c.got.code, c.got.rule_ref)}`;
        out.push(`    <testcase classname="${xml(r.file)}" name="${xml(c.name)}">`, `      <failure message="${xml(msg)}">${xml(c.got.human_message)}</failure>`, '    </testcase>');
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

/**
 * Compiles a policy for the fixtures (like `fmsc explain-call`: the author's
 * own source, no signature) and keeps its IR for `--coverage`. Compile errors
 * are printed and exit 2 (the fixtures cannot run).
 */
function compileForTest(path: string, flags: FrontEndFlags, opts: LoadOptions): { pack: LoadedPack; ir: Policy } {
  const { text, result: r } = compileFile(path, flags);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !r.ir) {
    printDiagnostics(errors, new Map([[path, text]]));
    throw new CliError(`\`${path}\` has ${errors.length} error(s)`, EXIT.usage);
  }
  try {
    return { pack: loadPackBody(emitPackBody(r.ir), opts), ir: r.ir };
  } catch (e) {
    if (e instanceof EmitError) throw new CliError(`${path}: ${e.message}`, EXIT.usage);
    throw e;
  }
}

/** What the fixtures of one policy reached, for `--coverage`. */
interface PolicyCoverage {
  /** The policy as shown (relative to the current folder). */
  policy: string;
  ir: Policy;
  /** `FILE:LINE` of every rule some case matched. */
  rules: Set<string>;
  /** Agents some case called (and the pack knows). */
  agents: Set<string>;
}

/** A rule or agent no case reached. */
interface Unreached {
  kind: 'rule' | 'agent';
  file: string;
  line: number;
  col: number;
  /** The agent (for a rule: the agents it belongs to). */
  agents: string[];
  /** The rule's text (rules only). */
  text?: string;
}

/**
 * Coverage of one policy: its own rules (by `FILE:LINE`, as `rule_ref` names
 * them; imported rules are the package's business) and its agents.
 */
function coverageOf(c: PolicyCoverage): { rules: { total: number; reached: number }; agents: { total: number; reached: number }; unreached: Unreached[] } {
  const byRef = new Map<string, { loc: { line: number; col: number }; text: string; agents: string[] }>();
  for (const a of c.ir.agents) {
    for (const r of a.rules) {
      if (r.loc.file !== c.ir.file) continue;
      const ref = `${r.loc.file}:${r.loc.line}`;
      const e = byRef.get(ref);
      if (e) {
        if (!e.agents.includes(a.id)) e.agents.push(a.id);
      } else byRef.set(ref, { loc: r.loc, text: r.text, agents: [a.id] });
    }
  }
  const unreached: Unreached[] = [];
  for (const [ref, r] of byRef) if (!c.rules.has(ref)) unreached.push({ kind: 'rule', file: c.policy, line: r.loc.line, col: r.loc.col, agents: r.agents, text: r.text });
  for (const a of c.ir.agents) if (!c.agents.has(a.id)) unreached.push({ kind: 'agent', file: c.policy, line: a.loc.line, col: a.loc.col, agents: [a.id] });
  unreached.sort((x, y) => x.line - y.line || x.col - y.col);
  return {
    rules: { total: byRef.size, reached: [...byRef.keys()].filter((k) => c.rules.has(k)).length },
    agents: { total: c.ir.agents.length, reached: c.ir.agents.filter((a) => c.agents.has(a.id)).length },
    unreached,
  };
}

function coverageText(c: PolicyCoverage): string {
  const cov = coverageOf(c);
  let out = `\ncoverage of ${c.policy}: ${cov.rules.reached} of ${cov.rules.total} rules and ${cov.agents.reached} of ${cov.agents.total} agents reached\n`;
  for (const u of cov.unreached) {
    out +=
      u.kind === 'rule'
        ? `  ${u.file}:${u.line}:${u.col}: no case matches rule \`${u.text}\` (agent ${u.agents.map((a) => `\`${a}\``).join(', ')})\n`
        : `  ${u.file}:${u.line}:${u.col}: no case calls agent \`${u.agents[0]}\`\n`;
  }
  return out;
}

/**
 * Reads and validates one fixture file against the fixture schema: bad JSON
 * and every schema problem are printed as `file:line:col: error: …`, then the
 * command stops with exit 2.
 */
function loadFixture(path: string): { fx: Fixture; text: string; parsed: PositionedJson } {
  const text = readInputText(path);
  let parsed: PositionedJson;
  try {
    parsed = parseJsonWithSpans(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const p = lineCol(text, e.offset);
    throw new CliError(`${path}:${p.line}:${p.col}: not valid JSON: ${e.message}`, EXIT.usage);
  }
  const problems = validateFixture(parsed);
  if (problems.length > 0) {
    for (const pr of problems.slice(0, -1)) {
      const p = lineCol(text, pr.offset);
      process.stderr.write(`fmsc: ${path}:${p.line}:${p.col}: ${pr.message}\n`);
    }
    const last = problems[problems.length - 1];
    const p = lineCol(text, last.offset);
    throw new CliError(`${path}:${p.line}:${p.col}: ${last.message}`, EXIT.usage);
  }
  return { fx: parsed.value as Fixture, text, parsed };
}

interface TestOptions {
  update?: boolean;
  failFast?: boolean;
  registry?: string;
  locked?: boolean;
  format: string;
  coverage?: boolean;
  watch?: boolean;
}

/** Registers `fmsc test [--update] [--coverage] [--watch] [FIXTURE…]`. */
export function register(program: Command): void {
  program
    .command('test')
    .argument('[fixtures...]', '*.fmtest.json files (default: ./*.fmtest.json and tests/*.fmtest.json)')
    .option('--update', "rewrite each case's expect with the actual decision (review the diff)")
    .option('--fail-fast', 'stop at the first failing case')
    .option('--coverage', 'also list the rules no case matches and the agents no case calls (per file:line; `coverage` in --format json)')
    .option('--watch', 'run again whenever a fixture, its policy, the imports or the lockfile change (Ctrl-C stops, exit 0)')
    .addOption(registryOption())
    .addOption(lockedOption())
    .addOption(noLockedOption())
    .addOption(formatOption().choices(['text', 'json', 'junit']).default('text'))
    .description('run policy fixtures and report pass/fail (--format json|junit for CI)')
    .action(async (files: string[], o: TestOptions) => {
      if (o.watch) {
        if (o.format !== 'text') throw new CliError('--watch prints text reports: leave out --format', EXIT.usage);
        if (o.update) throw new CliError('--watch and --update do not go together (each save would rewrite the fixtures)', EXIT.usage);
        if (files.includes('-')) throw new CliError('--watch needs files, not `-` (stdin)', EXIT.usage);
        const initial = files.length > 0 ? files : findFixtures();
        await watchLoop('fmsc', initial, () => runTests(files, o));
        return;
      }
      process.exitCode = runTests(files, o).exitCode;
    });
}

/** One run of the fixtures: prints the report, returns the exit code and every file it read. */
function runTests(files: string[], o: TestOptions): Pass {
  const text = o.format === 'text';
  const say = (s: string): void => {
    if (text) process.stdout.write(s);
  };
  const results: Array<{ file: string; cases: CaseResult[] }> = [];
  const list = files.length > 0 ? files : findFixtures();
  if (list.length === 0) throw new CliError('no *.fmtest.json fixtures found', EXIT.usage);
  const read: string[] = [...list];
  const coverage = new Map<string, PolicyCoverage>();
  let passed = 0;
  let failed = 0;
  for (const path of list) {
    const { fx, text: fxText, parsed } = loadFixture(path);
    const updates = new Map<string, unknown>();
    const caseResults: CaseResult[] = [];
    results.push({ file: fx.fixture ?? path, cases: caseResults });
    let nowMs = 0;
    const policy = policyPath(path, fx);
    read.push(policy);
    const { pack, ir } = compileForTest(policy, frontEndFlags(o), { clock: { now: () => nowMs } });
    read.push(...dependencyFiles(policy, ir, o.registry));
    let cov = coverage.get(policy);
    if (o.coverage && !cov) coverage.set(policy, (cov = { policy: relative(process.cwd(), policy) || policy, ir, rules: new Set(), agents: new Set() }));
    say(`\n  ${fx.fixture ?? path}\n`);
    for (const [n, c] of fx.cases.entries()) {
      const call: Call = { agent: c.agent_id ?? fx.agent_id, tool: c.tool, args: c.args ?? {} };
      if (c.purpose !== undefined) call.args = { ...call.args, purpose: c.purpose };
      if (c.principal) call.principal = c.principal;
      if (c.session !== undefined) call.session = c.session;
      if (c.model !== undefined) call.model = c.model;
      if (c.cost !== undefined) call.cost = c.cost;
      if (c.selectors !== undefined) call.selectors = c.selectors;
      if (c.delegation !== undefined) call.delegation = c.delegation;
      nowMs = caseTime(path, c.name, c.time);
      if (cov) {
        // The trace of the same call on the same state (explain changes nothing); decide() below commits.
        for (const ev of pack.explain(call).events) {
          if (ev.kind === 'agent' && ev.known) cov.agents.add(ev.agent);
          if (ev.kind === 'rule' && ev.result === 'match') cov.rules.add(ev.rule_ref);
        }
      }
      const d: Decision = pack.decide(call);
      const e = c.expect ?? { effect: '' };
      const ok =
        typeof e.effect === 'string' &&
        e.effect.toLowerCase() === d.effect &&
        (e.code === undefined || e.code === d.code) &&
        (e.rule_ref === undefined || e.rule_ref === d.rule_ref);
      caseResults.push({ name: c.name, ok, expected: e, got: { effect: d.effect, code: d.code, rule_ref: d.rule_ref ?? null, human_message: d.human_message } });
      if (ok) {
        passed++;
        say(`    ✓ ${c.name}\n`);
      } else {
        failed++;
        say(`    ✗ ${c.name}\n        expected: ${show(e.effect ?? '?', e.code, e.rule_ref)}\n        got:      ${show(d.effect, d.code, d.rule_ref)} — ${d.human_message}\n`);
      }
      if (o.update && !ok) {
        const upper = typeof e.effect === 'string' && e.effect === e.effect.toUpperCase() && e.effect !== '';
        updates.set(`/cases/${n}/expect`, { effect: upper ? d.effect.toUpperCase() : d.effect, code: d.code, ...(d.rule_ref ? { rule_ref: d.rule_ref } : {}) });
      }
      if (!ok && o.failFast && !o.update) break;
    }
    if (updates.size > 0) {
      try {
        writeFileAtomic(path, spliceValues(fxText, parsed.spans, updates));
      } catch (e) {
        throw new CliError(ioErrorMessage('write', path, e), EXIT.usage);
      }
      say(`    (updated ${updates.size} expect value${updates.size === 1 ? '' : 's'} in ${path})\n`);
    }
    if (failed > 0 && o.failFast && !o.update) break;
  }
  const summary = `${passed} passed, ${failed} failed`;
  say(`\n${summary}${o.update && failed > 0 ? ' (fixtures updated)' : ''}\n`);
  for (const c of coverage.values()) say(coverageText(c));
  if (o.format === 'json') {
    const extra = o.coverage ? { coverage: [...coverage.values()].map((c) => ({ policy: c.policy, ...coverageOf(c) })) } : {};
    process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', fixtures: results, summary: { passed, failed }, ...extra }, null, 2) + '\n');
  }
  if (o.format === 'junit') process.stdout.write(junit(results));
  return { exitCode: failed > 0 && !o.update ? EXIT.diagnostics : EXIT.ok, files: [...new Set(read.map((f) => resolve(f)))], summary };
}
