/**
 * Equivalent benchmark policies for fms (IR) and Cedar (text), and the calls
 * both are asked to decide.
 *
 * N rules over N/2 tools `svcK/opJ`; per tool a `deny` when `args.amount > HI`
 * and a `permit` when `args.amount < LO` (Cedar: `forbid ... when` and
 * `permit ... when`). Plus one glob rule per 50 rules and a budget and a rate
 * limit on the fms side (full pipeline: their caps are never reached).
 */
import type { Policy } from '@fms/compiler';
import type { Call } from '@fms/runtime';
import { E, agent, budget, policy, rateLimit, rule } from '../helpers/ir-builder';

export interface BenchPolicy {
  n: number;
  ir: Policy;
  /** The same policy as governance.fms source (for the compile column). */
  source: string;
  tools: string[];
  cedar: { all: string; perAction: Map<string, string> };
}

const tool = (i: number): string => `svc${i % 97}/op${i}`;

/** Builds the N-rule policy pair. */
export function benchPolicy(n: number): BenchPolicy {
  const tools: string[] = [];
  const rules = [];
  const perAction = new Map<string, string[]>();
  const src: string[] = [];
  let line = 10;
  for (let i = 0; tools.length * 2 < n; i++) {
    const t = tool(i);
    tools.push(t);
    const hi = 1000 + (i % 500);
    const lo = 500 + (i % 300);
    rules.push(rule('deny', t, { line: line++, when: E.cmp('>', E.args('amount'), E.lit(hi)) }));
    rules.push(rule('permit', t, { line: line++, when: E.and(E.cmp('<', E.args('amount'), E.lit(lo)), E.in(E.args('currency'), E.lit(['usd', 'eur']))) }));
    src.push(`    deny   ${t} if args.amount > ${hi}`, `    permit ${t} if args.amount < ${lo} and args.currency in ["usd", "eur"]`);
    const ps = [
      `forbid (principal, action == Action::"${t}", resource) when { context.amount > ${hi} };`,
      `permit (principal, action == Action::"${t}", resource) when { context.amount < ${lo} && ["usd", "eur"].contains(context.currency) };`,
    ];
    perAction.set(t, ps);
  }
  const ir = policy(
    agent('bot', rules, {
      default: 'deny',
      rateLimits: [rateLimit('*', 1_000_000_000, 'second', 5)],
      budgets: [budget('daily', { max: 1e15, maxCalls: 4_000_000_000, line: 6 })],
    }),
  );
  const all = [...perAction.values()].flat().join('\n');
  const source = [
    'agent "bot" {',
    '  default deny',
    '  rate_limit "*": 1000000000 per second',
    '  budget daily {',
    '    max       $1000000000000000',
    '    max_calls 4000000000',
    '  }',
    '  rules {',
    ...src,
    '  }',
    '}',
    '',
  ].join('\n');
  return { n: rules.length, ir, source, tools, cedar: { all, perAction: new Map([...perAction].map(([k, v]) => [k, v.join('\n')])) } };
}

/** A rotating set of calls across the policy's tools: permits, denies and defaults. */
export function benchCalls(p: BenchPolicy, count = 1024): Call[] {
  const calls: Call[] = [];
  for (let i = 0; i < count; i++) {
    const t = p.tools[(i * 7919) % p.tools.length]!;
    const amount = [100, 700, 2000][i % 3]!;
    calls.push({ agent: 'bot', tool: t, args: { amount, currency: i % 5 === 0 ? 'gbp' : 'usd' }, cost: 0.01, session: 's1' });
  }
  return calls;
}
