/**
 * A small policy whose pack uses every body section and most opcodes, and a
 * non-ASCII string: the input of the pack corruption and reader-equivalence
 * tests.
 */
import { E, agent, budget, hosts, phase, policy, rateLimit, redact, rule } from '../../helpers/ir-builder';

export const EVERY_SECTION_POLICY = policy(
  agent(
    'bot',
    [
      rule('deny!', 'shell/*', { line: 3, when: E.matches(E.args('cmd'), '(?i)rm\\s+-rf') }),
      rule('permit', 'stripe/refund', {
        line: 4,
        reason: 'refunds',
        when: E.and(E.cmp('<=', E.args('amount'), E.lit(100)), E.in(E.args('currency'), E.lit(['usd', 'eur']))),
      }),
      rule('defer', 'stripe/*', { line: 5, reason: 'money', when: E.or(E.not(E.strop('startsWith', E.args('id'), E.lit('x'))), E.call('history_contains_within', E.lit('a'), E.lit(5))) }),
      rule('permit', 'api/*', { line: 6, network: { host: '*.acme.io', method: 'GET', port: 443 } }),
      rule('permit', 'db/read', { line: 7, phase: 'init' }),
      rule('deny', '*', { line: 8, when: E.cmp('==', E.call('len', E.list(E.args('a'), E.lit(1))), E.lit(2)) }),
    ],
    {
      default: 'permit',
      model: 'gpt-4o',
      phases: [phase('init', ['*'], { duration: 60, next: 'work', line: 20 }), phase('work', ['*'], { line: 21 })],
      rateLimits: [rateLimit('stripe/*', 5, 'minute', 30)],
      budgets: [budget('daily', { max: 10, warnAt: 0.5, line: 31 })],
      egress: hosts(['*.acme.io'], ['bad.acme.io'], 32),
      modelPolicy: hosts(['gpt-*'], [], 33),
      redactions: [redact('stripe/*', ['card'], 34)],
    },
  ),
  agent('other', [rule('permit', 'x', { line: 40 }), rule('permit', 'é/ü', { line: 41 })], { line: 39 }),
);
