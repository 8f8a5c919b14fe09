/**
 * Property test (issue 9, class 1): host-language names never leak into FPL.
 * Every name of `Object.prototype` (plus `__proto__` and `prototype`) goes into
 * every position that takes a word. Invariant: the policy is either rejected
 * with an error code, or it compiles to a pack whose decisions are exactly
 * what the author wrote; decisions on calls that carry those names as agent,
 * tool, argument or principal keys never throw and follow the policy.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { decideJson } from '@fms/runtime';
import { ManualClock } from '@fms/runtime';
import { loadPackBody, type LoadedPack } from '@fms/runtime';
import type { Call, Decision } from '@fms/runtime';

const NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype', 'constructor'])].sort();

/** Compiles; returns the error codes, or the loaded pack when there are none. */
function build(src: string): { errors: string[]; pack?: LoadedPack } {
  const r = compile(src, 'governance.fms', { env: {} });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  if (errors.length || !r.ir) return { errors };
  return { errors, pack: loadPackBody(emitPackBody(r.ir), { clock: new ManualClock(Date.UTC(2026, 0, 1, 12)) }) };
}

/** A call whose JSON carries `key` as an own key (so `__proto__` stays a field, as an agent would send it). */
function withKey(base: Omit<Call, 'args' | 'principal'>, where: 'args' | 'principal', key: string, value: unknown): Call {
  return JSON.parse(`{${JSON.stringify(where)}:{${JSON.stringify(key)}:${JSON.stringify(value)}},${JSON.stringify(base).slice(1)}`) as Call;
}

function effect(p: LoadedPack, c: Call): [string, string] {
  const d: Decision = p.decide(c);
  return [d.effect, d.code];
}

/** Must be rejected with one of `codes`. */
function rejects(src: string, codes: string[]): void {
  const { errors } = build(src);
  assert.ok(errors.some((c) => codes.includes(c)), `expected ${codes.join('/')} for:\n${src}\ngot ${errors.join(', ') || 'no error'}`);
}

/** Must compile. */
function accepts(src: string): LoadedPack {
  const { errors, pack } = build(src);
  assert.ok(pack, `expected no errors for:\n${src}\ngot ${errors.join(', ')}`);
  return pack!;
}

test(`enumerated words: ${NAMES.length} host names as default, effect, on_exceed, window, enum values are errors`, () => {
  for (const n of NAMES) {
    rejects(`agent a {\n  default ${n}\n  rules { deny shell }\n}`, ['FMS2003']);
    rejects(`agent a {\n  default deny\n  rules { ${n} shell }\n}`, ['FMS2001']);
    rejects(`agent a {\n  default deny\n  budget b { max $5 on_exceed ${n} }\n}`, ['FMS2003']);
    rejects(`agent a {\n  default deny\n  rate_limit "t": 1 per ${n}\n}`, ['FMS2003']);
    rejects(`runtime { mode = ${n} }`, ['FMS2003']);
    rejects(`agent a {\n  default deny\n  enforcement { profile ${n} }\n}`, ['FMS2003']);
    rejects(`agent a {\n  default deny\n  alert { on ${n} }\n}`, ['FMS2003']);
    rejects(`agent a {\n  default deny\n  selector s { on_unavailable ${n} }\n}`, ['FMS2003']);
  }
});

test('field and block names: host names are unknown fields and blocks everywhere a schema lists them', () => {
  const closed = ['runtime', 'system', 'trust', 'pack'];
  const agentBlocks = ['budget b', 'egress', 'model_policy', 'session', 'spawn', 'completion_gate', 'enforcement', 'alert', 'delegate a', 'credential c', 'selector s', 'phase p'];
  for (const n of NAMES) {
    for (const b of closed) rejects(`${b} {\n  ${n} = 1\n}`, ['FMS2002', 'FMS2001']);
    for (const b of agentBlocks) rejects(`agent a {\n  default deny\n  ${b} {\n    ${n} = 1\n  }\n}`, ['FMS2002', 'FMS2001']);
    rejects(`agent a {\n  default deny\n  ${n} 1\n}`, ['FMS2002']);
    rejects(`agent a {\n  default deny\n  ${n} { }\n}`, ['FMS2001']);
    rejects(`${n} { }`, ['FMS2001']);
    rejects(`agent a {\n  default deny\n  rules { permit t if time.${n} > 1 }\n}`, ['FMS2016']);
    rejects(`agent a {\n  default deny\n  rules { permit t if ${n}("x") }\n}`, ['FMS2016']);
    rejects(`provider p {\n  token = env("${n}")\n}`, ['FMS2020']);
    // Open blocks accept any field: the name is only data.
    accepts(`provider p {\n  ${n} = "x"\n}\nagent a { default deny }`);
  }
});

test('names the author chose: agents, tools, vars, bare names, args and principal paths, budgets, phases decide as written', () => {
  for (const n of NAMES) {
    // Agent named n.
    let p = accepts(`agent ${JSON.stringify(n)} {\n  default deny\n  rules { permit t }\n}`);
    assert.equal(effect(p, { agent: n, tool: 't' }), ['permit', 'PERMIT'], n);
    assert.equal(effect(p, { agent: n, tool: 'u' }), ['deny', 'POLICY_DENY'], n);
    assert.equal(effect(p, { agent: 'other', tool: 't' }), ['deny', 'UNKNOWN_AGENT'], n);

    // An agent a, asked about agent n.
    p = accepts(`agent a {\n  default permit\n  rules { deny shell }\n}`);
    assert.equal(effect(p, { agent: n, tool: 't' }), ['deny', 'UNKNOWN_AGENT'], n);
    assert.equal(effect(p, { agent: 'a', tool: n }), ['permit', 'PERMIT'], n);
    assert.equal(effect(p, { agent: 'a', tool: 'shell' }), ['deny', 'POLICY_DENY'], n);

    // Tool named n.
    p = accepts(`agent a {\n  default deny\n  rules { permit ${n} }\n}`);
    assert.equal(effect(p, { agent: 'a', tool: n }), ['permit', 'PERMIT'], n);
    assert.equal(effect(p, { agent: 'a', tool: 'toolx' }), ['deny', 'POLICY_DENY'], n);

    // Bare condition name n reads args.n; explicit args.n, args.n.x and args.x.n too.
    for (const [cond, key, value] of [
      [`${n} == "y"`, n, 'y'],
      [`args.${n} == "y"`, n, 'y'],
      [`args.${n}.x == "y"`, n, { x: 'y' }],
    ] as const) {
      p = accepts(`agent a {\n  default deny\n  rules { permit t if ${cond} }\n}`);
      assert.equal(effect(p, withKey({ agent: 'a', tool: 't' }, 'args', key, value)), ['permit', 'PERMIT'], `${n}: ${cond}`);
      assert.equal(effect(p, { agent: 'a', tool: 't', args: {} }), ['deny', 'POLICY_DENY'], `${n}: ${cond} without the field`);
      assert.equal(effect(p, { agent: 'a', tool: 't', args: { other: 'y' } }), ['deny', 'POLICY_DENY'], `${n}: ${cond} with another field`);
    }
    p = accepts(`agent a {\n  default deny\n  rules { permit t if args.x.${n} == 1 }\n}`);
    assert.equal(effect(p, { agent: 'a', tool: 't', args: { x: {} } }), ['deny', 'POLICY_DENY'], n);
    assert.equal(effect(p, { agent: 'a', tool: 't', args: JSON.parse(`{"x":{${JSON.stringify(n)}:1}}`) }), ['permit', 'PERMIT'], n);

    // Principal path.
    p = accepts(`agent a {\n  default deny\n  rules { permit t if principal.${n} == "y" }\n}`);
    assert.equal(effect(p, withKey({ agent: 'a', tool: 't' }, 'principal', n, 'y')), ['permit', 'PERMIT'], n);
    assert.equal(effect(p, { agent: 'a', tool: 't', principal: {} }), ['deny', 'POLICY_DENY'], n);

    // A var named n is the var, not a host property.
    p = accepts(`agent a {\n  default deny\n  var ${n} = "y"\n  rules { permit t if args.k == ${n} }\n}`);
    assert.equal(effect(p, { agent: 'a', tool: 't', args: { k: 'y' } }), ['permit', 'PERMIT'], n);
    assert.equal(effect(p, { agent: 'a', tool: 't', args: { k: 'z' } }), ['deny', 'POLICY_DENY'], n);
    // Without the var, the same word is no var (a host name here).
    const noVar = build(`agent a {\n  default deny\n  rules { permit api host ${n} }\n}`);
    assert.ok(noVar.errors.includes('FMS2025'), `${n} as a host without a var: ${noVar.errors.join(', ')}`);

    // Budget and phase ids.
    p = accepts(`agent a {\n  default permit\n  budget ${n} { max $5 }\n}`);
    assert.equal(effect(p, { agent: 'a', tool: 't', cost: 10 })[1], 'BUDGET_EXCEEDED', n);
    p = accepts(`agent a {\n  default deny\n  phase ${n} { permit t }\n}`);
    assert.equal(effect(p, { agent: 'a', tool: 't' }), ['permit', 'PERMIT'], n);
    assert.equal(effect(p, { agent: 'a', tool: 'u' })[1], 'OUT_OF_PHASE_TOOL_CALL', n);
  }
});

test('hostile calls: host names as agent, tool, args and principal keys never throw', () => {
  const p = accepts(`agent a {\n  default deny\n  rules {\n    permit t if args.k == "y"\n  }\n  redact t args: ["k", "__proto__.x", "constructor"]\n}`);
  for (const n of NAMES) {
    for (const json of [
      JSON.stringify({ agent: n, tool: n }),
      JSON.stringify({ agent: 'a', tool: n }),
      `{"agent":"a","tool":"t","args":{${JSON.stringify(n)}:{"x":1},"k":"y"}}`,
      `{"agent":"a","tool":"t","args":{"k":"y"},"principal":{${JSON.stringify(n)}:1}}`,
      `{"agent":"a","tool":"t",${JSON.stringify(n)}:1}`,
      `{"__proto__":{"agent":"a","tool":"t"}}`,
    ]) {
      const out = JSON.parse(decideJson(p, json)) as Decision;
      assert.ok(['permit', 'deny', 'defer'].includes(out.effect), json);
    }
    const d = p.decide(JSON.parse(`{"agent":"a","tool":"t","args":{${JSON.stringify(n)}:{"x":1},"k":"y"}}`));
    assert.equal([d.effect, d.code], ['permit', 'PERMIT'], n);
    // The redacted copy keeps `__proto__` as a field, never as the copy's prototype.
    if (n === '__proto__') {
      assert.is(Object.getPrototypeOf(d.redacted_args), Object.prototype);
      assert.ok(Object.hasOwn(d.redacted_args!, '__proto__'));
    }
  }
});

test('the emitter refuses what it cannot encode instead of writing byte 0 (permit)', () => {
  const r = compile('agent a {\n  default deny\n  rules { deny shell }\n}', 'governance.fms');
  const ir = r.ir!;
  for (const bad of ['toString', '__proto__', 'maybe']) {
    const a = { ...ir.agents[0]!, default: bad as 'deny' };
    assert.throws(() => emitPackBody({ ...ir, agents: [a] }), new RegExp(`cannot encode default effect \`${bad}\``));
    const rule = { ...ir.agents[0]!.rules[0]!, effect: bad as 'deny' };
    assert.throws(() => emitPackBody({ ...ir, agents: [{ ...ir.agents[0]!, rules: [rule] }] }), new RegExp(`cannot encode effect \`${bad}\``));
  }
});

test.run();
