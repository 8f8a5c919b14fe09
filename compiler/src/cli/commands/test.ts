import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, formatOption, ioErrorMessage, JSON_VERSION, readInputText } from '@fms/runtime/cli-kit';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { JsonSyntaxError, lineCol, parseJsonWithSpans, spliceValues, validateFixture, type PositionedJson } from '../fixture-file';
import type { Call, Decision } from '@fms/runtime';
import { compileToPack } from './explain-call';
import { frontEndFlags, lockedOption, noLockedOption, registryOption } from '../load';

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

/** Registers `fmsc test [--update] [FIXTURE…]`. */
export function register(program: Command): void {
  program
    .command('test')
    .argument('[fixtures...]', '*.fmtest.json files (default: ./*.fmtest.json and tests/*.fmtest.json)')
    .option('--update', "rewrite each case's expect with the actual decision (review the diff)")
    .option('--fail-fast', 'stop at the first failing case')
    .addOption(registryOption())
    .addOption(lockedOption())
    .addOption(noLockedOption())
    .addOption(formatOption().choices(['text', 'json', 'junit']).default('text'))
    .description('run policy fixtures and report pass/fail (--format json|junit for CI)')
    .action((files: string[], o: { update?: boolean; failFast?: boolean; registry?: string; locked?: boolean; format: string }) => {
      const text = o.format === 'text';
      const say = (s: string): void => {
        if (text) process.stdout.write(s);
      };
      const results: Array<{ file: string; cases: CaseResult[] }> = [];
      const list = files.length > 0 ? files : findFixtures();
      if (list.length === 0) throw new CliError('no *.fmtest.json fixtures found', EXIT.usage);
      let passed = 0;
      let failed = 0;
      for (const path of list) {
        const { fx, text: fxText, parsed } = loadFixture(path);
        const updates = new Map<string, unknown>();
        const caseResults: CaseResult[] = [];
        results.push({ file: fx.fixture ?? path, cases: caseResults });
        let nowMs = 0;
        const pack = compileToPack(policyPath(path, fx), EXIT.usage, frontEndFlags(o), { clock: { now: () => nowMs } });
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
      say(`\n${passed} passed, ${failed} failed${o.update && failed > 0 ? ' (fixtures updated)' : ''}\n`);
      if (o.format === 'json') process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fmsc', fixtures: results, summary: { passed, failed } }, null, 2) + '\n');
      if (o.format === 'junit') process.stdout.write(junit(results));
      if (failed > 0 && !o.update) process.exitCode = EXIT.diagnostics;
    });
}
