/**
 * Issue 9, class 11: a decision made by an agent's `default` names the
 * `default` line, not the agent line; only an agent without `default` (an
 * implicit deny) names its own line. The bytecode evaluator, `explain` and the
 * IR interpreter agree.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { Interpreter } from '../../../compiler/src/interp/interpret';
import { ManualClock } from '@fms/runtime';
import { loadPackBody } from '@fms/runtime';
import type { Call } from '@fms/runtime';

function refs(src: string, call: Call): string[] {
  const r = compile(src, 'governance.fms', { env: {} });
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const pack = loadPackBody(emitPackBody(r.ir!), { clock });
  const d = pack.decide(call);
  const ex = pack.explain(call);
  const def = ex.events.find((e) => e.kind === 'default');
  const ip = new Interpreter(r.ir!, { clock }).decide(call);
  return [d.rule_ref ?? 'null', def && def.kind === 'default' ? def.rule_ref : 'no default event', ip.rule_ref ?? 'null'];
}

test('a default decision names the `default` line', () => {
  const src = 'agent "bot" {\n  model "gpt-4o"\n  rules {\n    permit lookup\n  }\n  default permit\n}\n';
  assert.equal(refs(src, { agent: 'bot', tool: 'other' }), ['governance.fms:6', 'governance.fms:6', 'governance.fms:6']);
  assert.equal(refs(src, { agent: 'bot', tool: 'lookup' })[0], 'governance.fms:4');
  const deny = '# header\n\nagent bot {\n\n  default   =   deny\n}\n';
  assert.equal(refs(deny, { agent: 'bot', tool: 'x' }), ['governance.fms:5', 'governance.fms:5', 'governance.fms:5']);
});

test('an agent without `default` (implicit deny) names the agent line', () => {
  const src = '\nagent "bot" {\n  rules { permit lookup }\n}\n';
  assert.equal(refs(src, { agent: 'bot', tool: 'other' }), ['governance.fms:2', 'governance.fms:2', 'governance.fms:2']);
});

test('flat rules: the settings block `agent { default … }` names its default line', () => {
  const src = 'permit lookup\n\nagent {\n  default defer\n}\n';
  assert.equal(refs(src, { agent: 'default', tool: 'other' }), ['governance.fms:4', 'governance.fms:4', 'governance.fms:4']);
});

test.run();
