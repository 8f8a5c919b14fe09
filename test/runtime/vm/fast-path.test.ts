/**
 * The decision fast path of issue 15 keeps every semantic:
 * - the per-(agent, tool) cache of candidate rules, redactions and rate-limit
 *   matches answers like matching every pattern per call (host-language
 *   names, eviction past the cache limit);
 * - the JSON path (`decideJson`) gives exactly `JSON.stringify(decide(call))`
 *   with the same state changes, also when a cached rule text would be wrong
 *   (a rate limit that runs out, budget warnings, fresh approval ids, each
 *   call's own redacted arguments);
 * - the recursive bounded copy equals a stack-based reference copy (values,
 *   the caller's key order, `__proto__` keys, depth and size limits).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, emitPackBody } from '@fms/compiler';
import { type Call, type Decision, ManualClock, MemoryState, decideJson, loadPackBody } from '@fms/runtime';
import { rng } from '../../helpers/fpl-gen';
import { boundedCopy, COPY_DEPTH, COPY_NODES } from '../../../runtime/src/vm/pipeline';
import { E, agent, budget, policy, rateLimit, redact, rule } from '../../helpers/ir-builder';
import { realisticStack } from '../../bench/realistic';

const T0 = Date.UTC(2026, 4, 17, 10, 0, 0);

/** Two packs of one body with the same clock and approval-id counter: one answers decide, the other decideJson. */
function twins(body: Uint8Array): { a: ReturnType<typeof loadPackBody>; b: ReturnType<typeof loadPackBody>; clock: ManualClock } {
  const clock = new ManualClock(T0);
  let x = 0;
  let y = 0;
  const a = loadPackBody(body, { clock, state: new MemoryState({ approvalId: () => `apr-${(x++).toString(16).padStart(16, '0')}` }) });
  const b = loadPackBody(body, { clock, state: new MemoryState({ approvalId: () => `apr-${(y++).toString(16).padStart(16, '0')}` }) });
  return { a, b, clock };
}

function same(a: ReturnType<typeof loadPackBody>, b: ReturnType<typeof loadPackBody>, c: unknown, what: string): Decision {
  const d = a.decide(c as Call);
  assert.is(decideJson(b, JSON.stringify(c)), JSON.stringify(d), what);
  return d;
}

test('decideJson = JSON.stringify(decide) on every call of the realistic stream, twice (cached texts reused)', () => {
  const s = realisticStack(1000, 4096);
  const r = compile(s.source, 'governance.fms');
  assert.ok(r.ir, 'the realistic stack compiles');
  const { a, b, clock } = twins(emitPackBody(r.ir!));
  const codes = new Set<string>();
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < s.calls.length; i++) {
      clock.advance(1);
      codes.add(same(a, b, s.calls[i], `round ${round} call ${i}`).code);
    }
  for (const c of ['PERMIT', 'POLICY_DENY', 'POLICY_DEFER', 'UNKNOWN_AGENT', 'EGRESS_DENIED']) assert.ok(codes.has(c), c);
});

test('decideJson: a cached rule text is not reused when limits, budgets, approvals or redaction change the decision', () => {
  const p = policy(
    agent('bot', [rule('permit', 'pay/*'), rule('defer', 'ask'), rule('deny', 'no', { reason: 'say "no"\n' })], {
      rateLimits: [rateLimit('pay/*', 3, 'minute')],
      budgets: [budget('daily', { max: 10, warnAt: 0.5 })],
      redactions: [redact('pay/*', ['card'])],
    }),
  );
  const { a, b, clock } = twins(emitPackBody(p));
  const seen: Decision[] = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(10);
    seen.push(same(a, b, { agent: 'bot', tool: 'pay/x', cost: 3, args: { card: `c${i}`, n: i } }, `pay ${i}`));
    same(a, b, { agent: 'bot', tool: 'ask', args: { n: i } }, `ask ${i}`);
    same(a, b, { agent: 'bot', tool: 'no' }, `no ${i}`);
    same(a, b, { agent: 'bot', tool: 'pay/y' }, `pay/y ${i}`);
  }
  assert.equal(
    seen.map((d) => d.code),
    ['PERMIT', 'PERMIT', 'RATE_EXCEEDED', 'RATE_EXCEEDED', 'RATE_EXCEEDED'],
  );
  assert.ok(seen[1]!.warnings !== undefined, 'the budget warning shows');
  assert.equal(seen[1]!.redacted_args, { n: 1, card: '[REDACTED]' });
  // Plain rule decisions of unrelated (agent, tool) pairs with host-language names.
  const q = policy(agent('bot', [rule('permit', 'toString'), rule('deny', '*')]));
  const t = twins(emitPackBody(q));
  for (const tool of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'x"y\\z\u2028', '\ud800']) {
    for (let k = 0; k < 2; k++) same(t.a, t.b, { agent: 'bot', tool }, tool);
  }
  // A malformed call and a malformed text go the serialising way.
  same(t.a, t.b, { agent: 'bot', tool: 7 }, 'bad tool');
  assert.is(JSON.parse(decideJson(t.b, '{"agent":')).code, 'INVALID_CALL');
});

test('decideJson: one tool reaching many different rules (more than the texts a tool keeps) answers like decide', () => {
  const rules = Array.from({ length: 40 }, (_, i) => rule(i % 3 === 0 ? 'deny' : 'permit', i % 2 ? '*' : 'pay/*', { when: E.cmp('==', E.args('n'), E.lit(i)), reason: i % 5 === 0 ? `r${i}` : undefined }));
  const { a, b } = twins(emitPackBody(policy(agent('bot', rules))));
  for (let round = 0; round < 3; round++) for (let n = 0; n < 42; n++) same(a, b, { agent: 'bot', tool: 'pay/x', args: { n } }, `round ${round} n=${n}`);
});

test('decideJson: rule texts templated around the tool name stay exact for hostile tool names and policy strings', () => {
  // The template marks are control characters; policy strings that hold them, or their escaped
  // spelling, or the tool name itself, must not shift where the tool goes (decide.ts, loaded-pack.ts).
  const marks = ['\u0000\u0001\u0002', '\u0003\u0004\u0005', '\\u0000\\u0001\\u0002', 'pay/x', '"', '\\'];
  const rules = marks.map((m, i) => rule(i % 2 ? 'deny' : 'permit', `t${i}/*`, { reason: i % 2 ? `why ${m} pay/x` : undefined, notify: i % 3 === 0 ? `ops ${m}` : undefined }));
  const p = policy(agent('bot', [...rules, rule('permit', 'ok'), rule('deny!', 'bad')], { default: 'deny' }));
  p.file = 'gov\u0000\u0001\u0002"\\.fms';
  for (const a of p.agents) a.loc.file = p.file;
  const { a, b } = twins(emitPackBody(p));
  const tools = ['', 'x', '\u0000\u0001\u0002', '\u0003\u0004\u0005', 'a"b', 'a\\b', 'tab\there', '\u2028', '\ud800', '\udfff\ud800', '😀', 'é', '\u007f', ' ~!'];
  for (let round = 0; round < 2; round++)
    for (const pre of ['t0/', 't1/', 't2/', 't3/', 't4/', 't5/', '', 'ok', 'bad']) for (const t of tools) same(a, b, { agent: 'bot', tool: pre + t }, JSON.stringify(pre + t));
});

test('decideJson: unknown agents and invalid calls answer exactly JSON.stringify(decide) for hostile names (strings quoted without JSON.stringify when nothing needs escaping)', () => {
  const p = policy(agent('bot', [rule('permit', 'ok')], { default: 'deny' }));
  const { a, b } = twins(emitPackBody(p));
  // Also names whose ends meet the quotes of the message around them (a quote, a lone surrogate at either end), and the marks the text is cut at.
  const names = ['', 'x', 'ghost-1', '\u0000\u0001', 'a"b', 'a\\b', "it's", "'", "x'", 'tab\there', '\u2028', '\ud800', '\udfff\ud800', 'a\ud800', '\udc00a', '😀', 'é', '\u007f', ' ~!', '__proto__', 'toString', '\u0001', '\\u0001', '\u0000\u0001\u0002', '\u0003\u0004\u0005', 'x'.repeat(100_000)];
  for (const n of names) {
    assert.is(same(a, b, { agent: n, tool: 'ok' }, JSON.stringify(n)).code, 'UNKNOWN_AGENT');
    same(a, b, { agent: 'bot', tool: n }, JSON.stringify(n));
    same(a, b, { agent: n, tool: 5 }, JSON.stringify(n));
  }
});

test('decideJson: plain denies without a Decision object record the same history (deny counts, explain, later decisions)', () => {
  // The JSON path renders a plain deny from the rule's template without building the decision (issue 15,
  // session 6): the session history must still record it, so a history condition decides alike on both twins.
  const p = policy(
    agent(
      'bot',
      [
        rule('deny!', 'rm/*'),
        rule('deny', 'x/*', { reason: 'no "x"' }),
        rule('deny', 'y', { when: E.cmp('>', E.args('n'), E.lit(2)), notify: 'ops' }),
        rule('permit', '*', { when: E.cmp('<', E.call('deny_count_within', E.lit(60)), E.lit(4)) }),
      ],
      { default: 'deny', redactions: [redact('x/secret', ['k'])] },
    ),
  );
  const { a, b, clock } = twins(emitPackBody(p));
  const tools = ['rm/a', 'x/1', 'y', 'ok', 'x/secret', 'toString', '__proto__', 'x/"q"\\'];
  const codes: string[] = [];
  for (let i = 0; i < 40; i++) {
    clock.advance(7_000);
    for (const s of ['s1', 's2']) {
      const d = same(a, b, { agent: 'bot', tool: tools[(i * 3 + (s === 's1' ? 0 : 1)) % tools.length]!, session: s, args: { n: i % 5, k: i } }, `call ${i} ${s}`);
      codes.push(d.code);
    }
    // Both twins hold the same history: the same call explained gives the same decision and steps.
    assert.equal(b.explain({ agent: 'bot', tool: 'ok', session: 's1' }), a.explain({ agent: 'bot', tool: 'ok', session: 's1' }), `explain after ${i}`);
  }
  assert.ok(codes.includes('PERMIT') && codes.includes('POLICY_DENY'), 'both permits and denies');
  assert.ok(codes.filter((c) => c === 'PERMIT').length < 40, 'the deny count closes the permit rule at times');
});

test('decideJson: defer texts templated around the tool name and the approval id stay exact (hostile ids, names, policy strings)', () => {
  // A plain defer's text is a template with two slots (issue 15, session 6). Approval ids come from the
  // StateStore, which may hand out anything: quotes, escapes, the template marks, lone surrogates, non-strings.
  const marks = ['\u0000\u0001\u0002', '\u0006\u0007\u000e', '\u000f\u0010\u0011', '"', '\\', 'apr-1'];
  const rules = marks.map((m, i) => rule('defer', `d${i}/*`, { reason: i % 2 ? `why ${m}` : undefined, notify: i % 3 === 0 ? `ops ${m}` : undefined }));
  const p = policy(agent('bot', [...rules, rule('deny', 'no')], { default: 'defer', redactions: [redact('d0/r', ['k'])] }), agent('dflt', [], { default: 'defer' }));
  const ids: unknown[] = ['apr-1', 'a"b', 'a\\b', '\u0006\u0007\u000e', '\u000f\u0010\u0011', '\u0000\u0001\u0002', '\ud800', '😀', '', 7, null, { x: 1 }];
  const clock = new ManualClock(T0);
  let x = 0;
  let y = 0;
  // Casts: a StateStore written in JS may return a non-string; both twins must print it the same way.
  const a = loadPackBody(emitPackBody(p), { clock, state: new MemoryState({ approvalId: () => ids[x++ % ids.length] as string }) });
  const b = loadPackBody(emitPackBody(p), { clock, state: new MemoryState({ approvalId: () => ids[y++ % ids.length] as string }) });
  const tools = ['x', '\u0006\u0007\u000e', '\u0000\u0001\u0002', 'a"b', '\ud800', 'é', 'r'];
  for (let round = 0; round < 2; round++)
    for (const pre of ['d0/', 'd1/', 'd2/', 'd3/', 'd4/', 'd5/', 'other/', 'no'])
      for (const t of tools) {
        for (const who of ['bot', 'dflt']) {
          const d = same(a, b, { agent: who, tool: pre + t, args: { k: 1 } }, `${who} ${JSON.stringify(pre + t)}`);
          if (pre !== 'no' || who === 'dflt') assert.is(d.effect, 'defer');
        }
      }
});

test('per-tool cache: redactions and rate limits per tool, also past the cache limit and for host-language names', () => {
  const p = policy(
    agent('bot', [rule('permit', '*')], {
      rateLimits: [rateLimit('a/*', 1, 'hour')],
      redactions: [redact('a/*', ['k']), redact('constructor', ['k'])],
    }),
  );
  const pack = loadPackBody(emitPackBody(p), { clock: new ManualClock(T0), state: new MemoryState() });
  const dec = (tool: string): Decision => pack.decide({ agent: 'bot', tool, args: { k: 1 } });
  assert.equal(dec('constructor').redacted_args, { k: '[REDACTED]' });
  assert.is(dec('toString').redacted_args, undefined);
  assert.is(dec('__proto__').redacted_args, undefined);
  assert.is(dec('a/1').code, 'PERMIT');
  assert.is(dec('a/1').code, 'RATE_EXCEEDED', 'one per hour for a/*');
  // 5,000 other tools: more than the per-agent cache holds (it is cleared and refilled).
  for (let i = 0; i < 5000; i++) assert.is(dec(`b/${i}`).redacted_args, undefined);
  assert.is(dec('a/2').code, 'RATE_EXCEEDED', 'the bucket is shared by every a/* tool, cache or not');
  assert.equal(dec('a/2').redacted_args, { k: '[REDACTED]' });
  assert.equal(dec('constructor').redacted_args, { k: '[REDACTED]' });
});

test('depth check: inherited values are not walked, own nested values are (a polluted prototype changes nothing)', () => {
  const pack = loadPackBody(emitPackBody(policy(agent('bot', [rule('permit', '*')]))), { clock: new ManualClock(T0), state: new MemoryState() });
  const deep = nest(200);
  Object.defineProperty(Object.prototype, 'fmsPolluted', { value: deep, enumerable: true, configurable: true, writable: true });
  try {
    assert.is(pack.decide({ agent: 'bot', tool: 't', args: { a: 1 } }).code, 'PERMIT', 'an inherited deep value is not the call\'s');
    assert.is(pack.decide({ agent: 'bot', tool: 't', args: { a: deep as never } }).code, 'INVALID_CALL', 'an own deep value is refused');
  } finally {
    delete (Object.prototype as { fmsPolluted?: unknown }).fmsPolluted;
  }
  const inherits = Object.create({ deep }) as { [k: string]: unknown };
  inherits['ok'] = { b: 1 };
  assert.is(pack.decide({ agent: 'bot', tool: 't', args: inherits }).code, 'PERMIT');
});

/**
 * The reference copy: iterative, as the copy was before issue 15's rework,
 * but pushing keys and items last to first so they come out in the caller's
 * order (the former copy reversed every object's keys).
 */
function stackCopy(root: unknown): unknown {
  const holder: { [k: string]: unknown } = {};
  const stack: unknown[] = [root, holder, 'v', 0];
  let nodes = 0;
  while (stack.length > 0) {
    const depth = stack.pop() as number;
    const key = stack.pop() as string;
    const into = stack.pop() as { [k: string]: unknown };
    const v = stack.pop();
    if (++nodes > COPY_NODES) return null;
    let out = v;
    if (v !== null && typeof v === 'object') {
      if (depth >= COPY_DEPTH) return null;
      if (Array.isArray(v)) {
        const arr: unknown[] = new Array(v.length);
        for (let i = v.length - 1; i >= 0; i--) stack.push(v[i], arr, String(i), depth + 1);
        out = arr;
      } else {
        const o: { [k: string]: unknown } = {};
        const keys = Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) stack.push((v as { [k: string]: unknown })[keys[i]!], o, keys[i]!, depth + 1);
        out = o;
      }
    }
    if (key === '__proto__') Object.defineProperty(into, key, { value: out, enumerable: true, writable: true, configurable: true });
    else into[key] = out;
  }
  return holder['v'];
}

/** Structure, values and key order, `__proto__` keys included. */
function shape(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return ['A', v.length, ...v.map(shape)];
  return ['O', Object.getPrototypeOf(v) === Object.prototype, ...Object.keys(v).map((k) => [k, shape((v as { [k: string]: unknown })[k])])];
}

function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

test('bounded copy = the reference copy: values, the caller\'s key order, __proto__ keys, depth and size limits', () => {
  const r = rng(15).next;
  const KEYS = ['a', 'b', '__proto__', 'constructor', 'toString', '0', '10', '2', 'z'];
  const gen = (d: number): unknown => {
    const x = r();
    if (d > 4 || x < 0.4) return [1, 'x', null, true, 0.5, undefined][Math.floor(r() * 6)];
    if (x < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => gen(d + 1));
    const o: { [k: string]: unknown } = {};
    for (let i = Math.floor(r() * 5); i > 0; i--) Object.defineProperty(o, KEYS[Math.floor(r() * KEYS.length)]!, { value: gen(d + 1), enumerable: true, writable: true, configurable: true });
    return o;
  };
  for (let i = 0; i < 3000; i++) {
    const v = gen(0);
    const c = boundedCopy(v);
    assert.equal(shape(c), shape(stackCopy(v)), `case ${i}`);
    // Nothing here is too deep or too large: the copy has the input's shape, key order included.
    assert.equal(shape(c), shape(v), `case ${i}: the caller's order`);
    if (v !== null && typeof v === 'object') assert.ok(c !== v, 'a copy, never the object');
  }
  const sparse: unknown[] = [];
  sparse[3] = 1;
  assert.equal(shape(boundedCopy(sparse)), shape(stackCopy(sparse)));
  for (const d of [COPY_DEPTH - 1, COPY_DEPTH, COPY_DEPTH + 1, 10_000]) assert.is(boundedCopy(nest(d)) === null, stackCopy(nest(d)) === null, `depth ${d}`);
  for (const n of [COPY_NODES - 2, COPY_NODES - 1, COPY_NODES, COPY_NODES + 5]) {
    const v = { a: new Array(n).fill(0) };
    assert.is(boundedCopy(v) === null, stackCopy(v) === null, `${n} values`);
  }
});

test.run();
