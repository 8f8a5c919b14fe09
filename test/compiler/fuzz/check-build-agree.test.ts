/**
 * Issue 9, class 10: `check` and `build` agree. Whatever the emitter or the
 * loader would refuse is a `check` diagnostic with a code; no recursion depth
 * depends on the input without a bound; a decision never throws. Each case
 * here failed on the code before this change (stack overflow, internal parser
 * error, a clean check followed by a failed build or a refused pack).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { format } from '../../../compiler/src/format/format';
import { decideJson } from '@fms/runtime';
import { LIMITS } from '@fms/runtime/format';
import { ManualClock } from '@fms/runtime';
import { loadPackBody, type LoadedPack } from '@fms/runtime';

function errors(src: string): string[] {
  return compile(src, 'governance.fms', { env: {} })
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => d.code);
}

/** check clean ⇒ emit ⇒ load; returns the pack. */
function buildClean(src: string): LoadedPack {
  const r = compile(src, 'governance.fms', { env: {} });
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.map((d) => `${d.code} ${d.message}`), []);
  return loadPackBody(emitPackBody(r.ir!), { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
}

const agent = (body: string): string => `agent a {\n  default deny\n${body}\n}\n`;

test('a 3,000-term `and` chain and a 30,000-term `or` chain check, format, build, load and decide', () => {
  const n = 3000;
  const chain = Array.from({ length: n }, (_, i) => `args.x${i} == ${i}`).join(' and ');
  const pack = buildClean(agent(`  rules { permit t if ${chain} }`));
  const all: Record<string, number> = {};
  for (let i = 0; i < n; i++) all[`x${i}`] = i;
  assert.is(pack.decide({ agent: 'a', tool: 't', args: all }).effect, 'permit');
  assert.is(pack.decide({ agent: 'a', tool: 't', args: { ...all, x2999: 0 } }).effect, 'deny');
  assert.is(pack.decide({ agent: 'a', tool: 't', args: { ...all, x0: 5 } }).effect, 'deny');
  // Mixed spellings print back as written.
  const mixed = agent(`  rules { permit t if ${Array.from({ length: 200 }, (_, i) => `args.x${i} == ${i}`).join(' && ')} and args.y == 1 }`);
  const f = format(mixed, 'governance.fms');
  assert.equal(f.diagnostics, []);
  assert.ok(f.text!.includes('args.x199 == 199 and args.y == 1'), 'spelling kept');
  assert.ok(f.text!.includes('args.x0 == 0 && args.x1 == 1'), 'spelling kept');
  const or = Array.from({ length: 30000 }, (_, i) => `args.x == ${i}`).join(' or ');
  const big = buildClean(agent(`  rules { permit t if ${or} }`));
  assert.is(big.decide({ agent: 'a', tool: 't', args: { x: 29999 } }).effect, 'permit');
  assert.is(big.decide({ agent: 'a', tool: 't', args: { x: 30000 } }).effect, 'deny');
});

test('nesting is bounded with FMS1020, never an internal parser error or a stack overflow', () => {
  const deep = (open: string, close: string, n: number): string => agent(`  rules { permit t if ${open.repeat(n)}args.x == 1${close.repeat(n)} }`);
  for (const n of [65, 2000, 20_000]) {
    assert.equal(errors(deep('(', ')', n)), ['FMS1020'], `${n} parentheses`);
    assert.equal(errors(deep('not ', '', n)), ['FMS1020'], `${n} nots`);
    assert.equal(errors(deep('!(', ')', n)), ['FMS1020'], `${n} !(`);
    assert.equal(errors(agent(`  egress { allow = ${'['.repeat(n)}${']'.repeat(n)} }`)), ['FMS1020'], `${n} brackets`);
    assert.equal(errors(`${'x {'.repeat(n)}${'}'.repeat(n)}`), ['FMS1020'], `${n} blocks`);
  }
  // Just inside the limit: parses and builds (64 levels including the rules block and the agent).
  const p = buildClean(agent(`  rules { permit t if ${'('.repeat(60)}args.x == 1${')'.repeat(60)} }`));
  assert.is(p.decide({ agent: 'a', tool: 't', args: { x: 1 } }).effect, 'permit');
});

test('lone surrogates are FMS1021; pairs are fine', () => {
  assert.equal(errors(agent('  rules { permit t if args.x == "\\ud800" }')), ['FMS1021']);
  assert.equal(errors(agent('  rules { permit t if args.x == "\\udc00x" }')), ['FMS1021']);
  assert.equal(errors(`agent "\\ud800" { default deny }`), ['FMS1021']);
  assert.equal(errors(agent('  rules { permit t if args.x == "\ud800" }')), ['FMS1021']);
  assert.equal(errors(agent('  # a comment with \ud800 in it\n  rules { permit t }')), ['FMS1021']);
  const p = buildClean(agent('  rules { permit t if args.x == "\\ud83d\\ude00" }'));
  assert.is(p.decide({ agent: 'a', tool: 't', args: { x: '😀' } }).effect, 'permit');
});

test('numbers without a finite value are FMS1022', () => {
  assert.equal(errors(agent('  rules { permit t if args.x < 1e999 }')), ['FMS1022']);
  assert.equal(errors(agent(`  budget b { max $${'9'.repeat(400)} }`)), ['FMS1022']);
  assert.equal(errors(agent('  phase p { duration 1e306w }')), ['FMS1022']);
  buildClean(agent('  rules { permit t if args.x < 1e300 }'));
});

test('every loader limit is a check diagnostic: phases, stack, lists, paths, u32 fields', () => {
  const phases = (n: number): string => agent(Array.from({ length: n }, (_, i) => `  phase p${i} { permit t${i} }`).join('\n'));
  assert.equal(errors(phases(LIMITS.maxPhases + 1)), ['FMS2041']);
  const p = buildClean(phases(LIMITS.maxPhases));
  assert.is(p.decide({ agent: 'a', tool: 't0' }).effect, 'permit');

  const items = (n: number): string => Array.from({ length: n }, (_, i) => `args.v${i}`).join(', ');
  assert.equal(errors(agent(`  rules { permit t if args.x in [${items(LIMITS.maxStack + 1)}] }`)), ['FMS2040']);
  buildClean(agent(`  rules { permit t if args.x in [${items(LIMITS.maxStack - 1)}] }`));

  const literals = (n: number): string => Array.from({ length: n }, (_, i) => String(i)).join(', ');
  assert.equal(errors(agent(`  rules { permit t if args.x in [${literals(LIMITS.maxListItems + 1)}] }`)), ['FMS2040']);
  buildClean(agent(`  rules { permit t if args.x in [${literals(1000)}] }`));

  const path = (n: number): string => Array.from({ length: n }, (_, i) => `s${i}`).join('.');
  assert.equal(errors(agent(`  rules { permit t if args.${path(LIMITS.maxPathSegs + 1)} == 1 }`)), ['FMS2040']);
  buildClean(agent(`  rules { permit t if args.${path(LIMITS.maxPathSegs)} == 1 }`));

  assert.equal(errors(agent('  budget b { max_calls 5000000000 }')), ['FMS2041']);
  assert.equal(errors(agent('  rate_limit "t": 5000000000 per minute')), ['FMS2041']);
  buildClean(agent('  budget b { max_calls 4294967295 }'));

  const long = 'x'.repeat(LIMITS.maxStringLength + 1);
  assert.equal(errors(agent(`  rules { permit t if args.x == "${long}" }`)), ['FMS2040']);
  assert.equal(errors(agent(`  model "${long}"`)), ['FMS2041']);
});

test('values the loader refuses are check errors: negative durations and amounts, empty phase tools', () => {
  assert.equal(errors(agent('  phase p { duration -5s\n permit t }')), ['FMS2027']);
  assert.equal(errors(agent('  budget b { max -5 }')), ['FMS2027']);
  assert.equal(errors(agent('  budget b { daily -3 }')), ['FMS2027']);
  assert.equal(errors(agent('  phase p { tools [""] }')), ['FMS2029']);
  assert.equal(errors(agent('  phase p { tools ["a//b"] }')), ['FMS2029']);
  buildClean(agent('  phase p { duration 0s\n  tools ["a/*"]\n  permit t }\n  budget b { max 0 }'));
  // A rule with an error is reported once, not again by the encoding probe.
  const sixteen = Array.from({ length: 17 }, (_, i) => `"t${i}"`).join(', ');
  assert.equal(errors(agent(`  rules { permit t if history_sequence(${sixteen}) }`)), ['FMS2016']);
});

test('decisions never throw and never commit state on arbitrarily deep calls', () => {
  const pack = buildClean('agent a {\n  default permit\n  redact t args: ["k"]\n  rate_limit "t": 1 per minute\n}\n');
  for (const depth of [65, 10_000, 1_000_000]) {
    const json = `{"agent":"a","tool":"t","args":{"k":1,"d":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const d = JSON.parse(decideJson(pack, json)) as { effect: string; code: string };
    assert.equal([d.effect, d.code], ['deny', 'INVALID_CALL'], `depth ${depth}`);
  }
  const shallow = JSON.parse(decideJson(pack, `{"agent":"a","tool":"t","args":{"k":1,"d":${'['.repeat(60)}${']'.repeat(60)}}}`)) as { effect: string; redacted_args: unknown };
  assert.is(shallow.effect, 'permit', 'the deep calls spent no rate-limit token');
  // A cyclic object through the library API is refused, not walked forever.
  const cyc: { [k: string]: unknown } = {};
  cyc.self = cyc;
  assert.is(pack.decide({ agent: 'a', tool: 't', args: cyc }).code, 'INVALID_CALL');
});

test.run();
