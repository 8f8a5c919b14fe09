import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildBodyModel, emitPackBody, EmitError } from '../../../compiler/src/emit/emit-body';
import { readBody } from '@fms/runtime/format';
import { verifyBytecode } from '@fms/runtime/format';
import { E, agent, budget, hosts, phase, policy, rateLimit, redact, rule } from '../../helpers/ir-builder';

const P = () =>
  policy(
    agent(
      'a',
      [
        rule('permit', 'x/*', { line: 2, when: E.or(E.cmp('>', E.args('n'), E.lit(1)), E.in(E.args('s'), E.list(E.args('t'), E.lit('u')))) }),
        rule('deny!', '*', { line: 3, reason: 'no', notify: 'ops', when: E.matches(E.v('host'), '^evil') }),
        rule('permit', 'db/*', { line: 4, phase: 'p1' }),
      ],
      { phases: [phase('p1', ['db/*'], { duration: 5, next: 'p1' })], rateLimits: [rateLimit('x*', 3, 'second')], budgets: [budget('session', { max: 1 })], egress: hosts(['a.com']), modelPolicy: hosts([], ['gpt-3*']), redactions: [redact('x/*', ['k'])] },
    ),
    agent('b', [], { default: 'permit' }),
  );

test('same IR gives byte-identical bodies', () => {
  const a = emitPackBody(P());
  const b = emitPackBody(P());
  assert.equal(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'));
});

test('body round-trips through the reader and verifies', () => {
  const m = buildBodyModel(P());
  const r = readBody(emitPackBody(P()));
  assert.equal(r.agents, m.agents);
  assert.equal(r.rules, m.rules);
  assert.equal(r.consts, m.consts);
  assert.equal(r.phases, m.phases);
  assert.equal(r.budgets, m.budgets);
  assert.equal(r.hostLists, m.hostLists);
  assert.equal(Array.from(r.code), Array.from(m.code));
  const prog = verifyBytecode(r);
  assert.is(prog.entry[2], -1);
});

test('a non-literal regex argument is an emit error', () => {
  const p = policy(agent('a', [rule('permit', 'x', { when: E.call('args_array_any_match', E.lit('l'), E.args('re')) })]));
  assert.throws(() => emitPackBody(p), (e: unknown) => e instanceof EmitError);
});

test.run();
