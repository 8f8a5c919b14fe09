/**
 * The body reader is a set of per-section functions (issue 15, fresh-process
 * load): each section's checks still run at load, in the same order, with the
 * same messages; `ruleLocs` is built from the checked rule map on first read.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitPackBody } from '@fms/compiler';
import { readBody } from '../../../runtime/src/pack/body-reader';
import { BODY_HEADER_SIZE, PackError, SECTION, SECTION_ENTRY_SIZE } from '../../../runtime/src/pack/format';
import { loadPackBody } from '../../../runtime/src/vm/loaded-pack';
import { E, agent, budget, hosts, phase, policy, rateLimit, redact, rule } from '../../helpers/ir-builder';

const P = policy(
  agent(
    'bot',
    [
      rule('deny!', 'shell/*', { line: 3, when: E.matches(E.args('cmd'), 'rm\\s+-rf') }),
      rule('permit', 'stripe/refund', { line: 4, when: E.cmp('<=', E.args('amount'), E.lit(100)) }),
      rule('defer', 'stripe/*', { line: 5, reason: 'money' }),
      rule('permit', 'db/read', { line: 7, phase: 'init' }),
    ],
    {
      default: 'permit',
      phases: [phase('init', ['*'], { duration: 60, next: 'work', line: 20 }), phase('work', ['*'], { line: 21 })],
      rateLimits: [rateLimit('stripe/*', 5, 'minute', 30)],
      budgets: [budget('daily', { max: 10, warnAt: 0.5, line: 31 })],
      egress: hosts(['*.acme.io'], ['bad.acme.io'], 32),
      redactions: [redact('stripe/*', ['card'], 34)],
    },
  ),
  agent('other', [rule('permit', 'x', { line: 40 })], { line: 39 }),
);
const BODY = emitPackBody(P);

/** Offset and length of section `type` in `b`. */
function section(b: Uint8Array, type: number): [number, number] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const nsec = v.getUint16(6, true);
  for (let k = 0; k < nsec; k++) {
    const e = BODY_HEADER_SIZE + k * SECTION_ENTRY_SIZE;
    if (v.getUint16(e, true) === type) return [v.getUint32(e + 4, true), v.getUint32(e + 8, true)];
  }
  throw new Error(`no section ${type}`);
}

/** `b` with the u32 at `at` set to `x` (section CRCs are not fixed: read with checksums off). */
function withU32(b: Uint8Array, at: number, x: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, x, true);
  return c;
}

const refusal = (b: Uint8Array): string => {
  try {
    readBody(b, { checksums: false });
  } catch (e) {
    assert.ok(e instanceof PackError, String(e));
    return e.message;
  }
  return 'accepted';
};

test('rule locations read back as written, the same array on every read, and assignable', () => {
  const m = readBody(BODY);
  const locs = m.ruleLocs;
  assert.is(locs.length, m.rules.length);
  assert.equal(locs[0], { line: 3, col: locs[0]!.col, text: locs[0]!.text, file: 'governance.fms' });
  assert.ok(locs[0]!.col > 0 && locs[0]!.text.startsWith('deny! shell/*'));
  assert.equal(
    locs.map((l) => l.line),
    [3, 4, 5, 7, 40],
  );
  assert.is(m.ruleLocs, locs);
  assert.ok(Object.keys(m).includes('ruleLocs'));
  // A spread or JSON copy carries them like any other field.
  assert.equal({ ...m }.ruleLocs, locs);
  assert.equal(JSON.parse(JSON.stringify(m)).ruleLocs, JSON.parse(JSON.stringify(locs)));
  const mine = [{ line: 1, col: 1, text: 't', file: 'f' }];
  m.ruleLocs = mine;
  assert.is(m.ruleLocs, mine);
});

test('every rule-map check still refuses at load (nothing about ruleLocs is checked lazily)', () => {
  const [off] = section(BODY, SECTION.RULE_MAP);
  const rec = off + 4 + 16; // record 1
  assert.is(refusal(withU32(BODY, rec, 0)), 'rule map: line 0');
  assert.is(refusal(withU32(BODY, rec + 4, 0)), 'rule map: column 0');
  assert.is(refusal(withU32(BODY, rec + 8, 99_999)), 'rule map: string index 99999 out of range');
  assert.is(refusal(withU32(BODY, rec + 12, 99_999)), 'rule map: string index 99999 out of range');
  assert.is(refusal(withU32(BODY, off, 4)), 'rule map: count does not match the rule table');
  // The full loader refuses the same way, without anything reading ruleLocs.
  assert.throws(() => loadPackBody(withU32(BODY, rec, 0), { checksums: false }), (e: unknown) => e instanceof PackError && e.message === 'rule map: line 0');
});

test('each section reader still checks its count at load', () => {
  const cases: Array<[number, string]> = [
    [SECTION.STRINGS, 'string table: count 4294967295 exceeds limit'],
    [SECTION.CONSTS, 'constants: count 4294967295 exceeds limit'],
    [SECTION.PATHS, 'paths: count 4294967295 exceeds limit'],
    [SECTION.REGEXES, 'regexes: count 4294967295 exceeds limit'],
    [SECTION.HOST_LISTS, 'host lists: count 4294967295 exceeds limit'],
    [SECTION.AGENTS, 'agent table: count 4294967295 exceeds limit'],
    [SECTION.RULES, 'rule table: count 4294967295 exceeds limit'],
    [SECTION.RULE_MAP, 'rule map: count 4294967295 exceeds limit'],
    [SECTION.PHASES, 'phase table: count 4294967295 exceeds limit'],
    [SECTION.RATE_LIMITS, 'rate-limit table: count 4294967295 exceeds limit'],
    [SECTION.BUDGETS, 'budget table: count 4294967295 exceeds limit'],
    [SECTION.REDACTIONS, 'redaction table: count 4294967295 exceeds limit'],
  ];
  for (const [type, want] of cases) {
    const [off] = section(BODY, type);
    assert.ok(refusal(withU32(BODY, off, 0xffffffff)).startsWith(want), `section 0x${type.toString(16)}: ${refusal(withU32(BODY, off, 0xffffffff))}`);
  }
  // META starts with a string index, not a count.
  assert.is(refusal(withU32(BODY, section(BODY, SECTION.META)[0], 99_999)), 'meta: string index 99999 out of range');
});

test('rule reason and notify: NONE, an index, and near-NONE values are told apart exactly', () => {
  const [off] = section(BODY, SECTION.RULES);
  const rec = (i: number): number => off + 4 + i * 24;
  const m = readBody(BODY);
  assert.is(m.rules[2]!.reason, 'money');
  assert.is(m.rules[0]!.reason, null);
  assert.is(m.rules[0]!.notify, null);
  for (const x of [0xfffffffe, 0xfeffffff, 0x7fffffff, 0x01000000, 0x00ffffff, 0xff000000, 99_999]) {
    assert.is(refusal(withU32(BODY, rec(0) + 16, x)), `rule table: string index ${x} out of range`, `reason ${x}`);
    assert.is(refusal(withU32(BODY, rec(0) + 20, x)), `rule table: string index ${x} out of range`, `notify ${x}`);
  }
  // A rule's pattern index gets the same check.
  assert.is(refusal(withU32(BODY, rec(1) + 6, 0xffffffff)), 'rule table: string index 4294967295 out of range');
});

test('rules with the same pattern share one checked pattern object; a different kind on the same text is checked on its own', () => {
  const body = emitPackBody(policy(agent('a', [rule('permit', 'x/*', { line: 1 }), rule('deny', 'x/*', { line: 2 }), rule('permit', 'y', { line: 3 })])));
  const m = readBody(body);
  assert.is(m.rules[0]!.pattern, m.rules[1]!.pattern);
  assert.equal(m.rules[1]!.pattern, { kind: m.rules[0]!.pattern.kind, text: 'x/*' });
  // Rule 1 claims kind `exact` for `x/*`: refused although rule 0 used the same text as a prefix.
  const [off] = section(body, SECTION.RULES);
  const c = body.slice();
  c[off + 4 + 24 + 5] = 1; // PATTERN.exact
  assert.is(refusal(c), 'rule table: bad exact pattern `x/*`');
});

test('empty tables: skipped only when empty and counted by no agent; otherwise read and checked', () => {
  const body = emitPackBody(policy(agent('a', [rule('permit', 'x', { line: 1 })])));
  const m = readBody(body);
  assert.equal([m.phases, m.rateLimits, m.budgets, m.redactions], [[], [], [], []]);
  const cases: Array<[number, string]> = [
    [SECTION.PHASES, 'phase table: count 1 does not fit the section'],
    [SECTION.RATE_LIMITS, 'rate-limit table: count 1 does not fit the section'],
    [SECTION.BUDGETS, 'budget table: count 1 does not fit the section'],
    [SECTION.REDACTIONS, 'redaction table: count 1 does not fit the section'],
  ];
  for (const [type, want] of cases) {
    const [off, len] = section(body, type);
    assert.is(len, 4);
    assert.is(refusal(withU32(body, off, 1)), want);
  }
  // An empty phase table while the agent counts one phase: read, and refused.
  const [agentsAt] = section(body, SECTION.AGENTS);
  assert.is(refusal(withU32(body, agentsAt + 4 + 26, 1)), 'phase table: count does not match the agent table');
  assert.is(refusal(withU32(body, agentsAt + 4 + 30, 1)), 'rate-limit table: count does not match the agent table');
});

test('a string no section refers to is still refused, by index', () => {
  const m = readBody(BODY);
  // Point the second rule-map record's text at the first rule's text: its own text string is then unused.
  const [off] = section(BODY, SECTION.RULE_MAP);
  const first = new DataView(BODY.buffer, BODY.byteOffset).getUint32(off + 4 + 8, true);
  const own = new DataView(BODY.buffer, BODY.byteOffset).getUint32(off + 4 + 16 + 8, true);
  assert.ok(m.ruleLocs[1]!.text.startsWith('permit stripe/refund'));
  assert.is(refusal(withU32(BODY, off + 4 + 16 + 8, first)), `string table: string ${own} is never referenced`);
});

test.run();
