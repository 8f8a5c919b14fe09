/**
 * A small policy whose pack uses every body section and most opcodes, and a
 * non-ASCII string, and the corruption helpers: the inputs of the pack
 * corruption and reader-equivalence tests.
 */
import { BODY_HEADER_SIZE, SECTION_ENTRY_SIZE, crc32 } from '../../../runtime/src/pack/format';
import { E, agent, budget, hosts, phase, policy, rateLimit, redact, rule } from '../../helpers/ir-builder';

/** The single-byte corruptions tried at each position: flip the low bit, the high bit, every bit; add one. */
export const MUTATIONS: ReadonlyArray<(b: number) => number> = [(b) => b ^ 0x01, (b) => b ^ 0x80, (b) => b ^ 0xff, (b) => (b + 1) & 0xff];

/** A seeded generator of integers in [0, n) (an LCG): the same trials on every run. */
export function seededRandom(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
}

/**
 * Overwrites `k` random bytes of a body's sections (never its header or
 * section table) with random values, then recomputes every section's CRC, so
 * that the structural checks and the verifier, not the CRC, must catch them.
 */
export function scrambleSections(b: Uint8Array, k: number, rnd: (n: number) => number): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const nsec = v.getUint16(6, true);
  const tableEnd = BODY_HEADER_SIZE + nsec * SECTION_ENTRY_SIZE;
  for (let j = 0; j < k; j++) b[tableEnd + rnd(b.length - tableEnd)] = rnd(256);
  for (let s = 0; s < nsec; s++) {
    const e = BODY_HEADER_SIZE + s * SECTION_ENTRY_SIZE;
    const off = v.getUint32(e + 4, true);
    v.setUint32(e + 12, crc32(b, off, off + v.getUint32(e + 8, true)), true);
  }
}

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
