import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT, readInputText } from '@fms/runtime/cli-kit';
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
    .description('run policy fixtures and report pass/fail')
    .action((files: string[], o: { update?: boolean; failFast?: boolean; registry?: string; locked?: boolean }) => {
      const list = files.length > 0 ? files : findFixtures();
      if (list.length === 0) throw new CliError('no *.fmtest.json fixtures found', EXIT.usage);
      let passed = 0;
      let failed = 0;
      for (const path of list) {
        let fx: Fixture;
        const fxText = readInputText(path);
        try {
          fx = JSON.parse(fxText) as Fixture;
        } catch (e) {
          throw new CliError(`\`${path}\`: not valid JSON: ${e instanceof Error ? e.message : String(e)}`, EXIT.usage);
        }
        if (!fx || typeof fx.agent_id !== 'string' || !Array.isArray(fx.cases)) throw new CliError(`\`${path}\`: a fixture needs agent_id and cases`, EXIT.usage);
        let nowMs = 0;
        const pack = compileToPack(policyPath(path, fx), EXIT.usage, frontEndFlags(o), { clock: { now: () => nowMs } });
        process.stdout.write(`\n  ${fx.fixture ?? path}\n`);
        let changed = false;
        for (const c of fx.cases) {
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
          if (ok) {
            passed++;
            process.stdout.write(`    ✓ ${c.name}\n`);
          } else {
            failed++;
            process.stdout.write(`    ✗ ${c.name}\n        expected: ${show(e.effect ?? '?', e.code, e.rule_ref)}\n        got:      ${show(d.effect, d.code, d.rule_ref)} — ${d.human_message}\n`);
          }
          if (o.update && !ok) {
            const upper = typeof e.effect === 'string' && e.effect === e.effect.toUpperCase() && e.effect !== '';
            c.expect = { effect: upper ? d.effect.toUpperCase() : d.effect, code: d.code, ...(d.rule_ref ? { rule_ref: d.rule_ref } : {}) };
            changed = true;
          }
          if (!ok && o.failFast && !o.update) break;
        }
        if (changed) {
          writeFileSync(path, JSON.stringify(fx, null, 2) + '\n');
          process.stdout.write(`    (updated ${path})\n`);
        }
        if (failed > 0 && o.failFast && !o.update) break;
      }
      process.stdout.write(`\n${passed} passed, ${failed} failed${o.update && failed > 0 ? ' (fixtures updated)' : ''}\n`);
      if (failed > 0 && !o.update) process.exitCode = EXIT.diagnostics;
    });
}
