/**
 * Imported packages end to end: rules, limits and redactions merge into the
 * stack's agent of the same name, new agents are added, and every decision
 * they make names its own source (`host/path@version:LINE`), never a line of
 * governance.fms that says something else.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registryResolver } from '../../../compiler/src/cli/registry';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { ManualClock } from '@fms/runtime';
import { loadPackBody } from '@fms/runtime';
import { ROOT } from '../../helpers/paths';

const PKG = `# shared payment rules
agent "bot" {
  rules {
    deny refund if amount > 100
  }
  rate_limit "refund": 1 per minute
  redact refund args: ["card"]
}

agent "helper" {
  default deny
  rules { permit lookup }
}
`;

const STACK = `import "example.com/acme/pay@1.0.0" with widen

agent "bot" {
  default permit
  rules {
    permit status
  }
  budget daily {
    max $100
  }
}
`;

function setup(pkg: string, stack: string): { dir: string; src: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fms-imports-'));
  mkdirSync(join(dir, 'registry/example.com/acme'), { recursive: true });
  writeFileSync(join(dir, 'registry/example.com/acme/pay@1.0.0.fms'), pkg);
  const src = join(dir, 'governance.fms');
  writeFileSync(src, stack);
  return { dir, src };
}

test('imported rules, limits and redactions merge; each decision names its own source', () => {
  const { dir, src } = setup(PKG, STACK);
  const r = compile(STACK, 'governance.fms', { resolveImport: registryResolver(join(dir, 'registry'), src) });
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const pack = loadPackBody(emitPackBody(r.ir!), { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
  const ref = 'example.com/acme/pay@1.0.0';

  // The stack's own rule, then the imported deny (line 4 of the package, not of governance.fms).
  assert.equal(pack.decide({ agent: 'bot', tool: 'status' }).rule_ref, 'governance.fms:6');
  const big = pack.decide({ agent: 'bot', tool: 'refund', args: { amount: 500, card: '4242' } });
  assert.equal([big.effect, big.code, big.rule_ref], ['deny', 'POLICY_DENY', `${ref}:4`]);

  // A small refund falls to the stack's default permit, then meets the imported
  // rate limit and redaction and the stack's budget.
  const ok = pack.decide({ agent: 'bot', tool: 'refund', args: { amount: 5, card: '4242' } });
  assert.equal([ok.effect, ok.rule_ref], ['permit', 'governance.fms:4']); // the `default permit` line
  assert.equal(ok.redacted_args, { amount: 5, card: '[REDACTED]' });
  const again = pack.decide({ agent: 'bot', tool: 'refund', args: { amount: 5 } });
  assert.equal([again.effect, again.code, again.rule_ref], ['deny', 'RATE_EXCEEDED', `${ref}:6`]);
  const broke = pack.decide({ agent: 'bot', tool: 'status', cost: 150 });
  assert.equal([broke.code, broke.rule_ref], ['BUDGET_EXCEEDED', 'governance.fms:8']);

  // An agent only the package declares is added whole, with its own refs.
  assert.equal(pack.decide({ agent: 'helper', tool: 'lookup' }).rule_ref, `${ref}:12`);
  assert.equal(pack.decide({ agent: 'helper', tool: 'other' }).rule_ref, `${ref}:11`); // its `default deny` line
});

test('fmsc build and inspect: imported rules are listed with their package', () => {
  const { dir, src } = setup(PKG, STACK);
  // CI: '' on purpose: these builds sign with the development key, which `fmsc build` refuses under CI=true
  const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(dir, 'home'), CI: '' };
  const out = join(dir, 'x.fmspack');
  const b = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'build', src, '--no-locked', '--registry', join(dir, 'registry'), '-o', out], { encoding: 'utf8', env });
  assert.is(b.status, 0, b.stderr);
  const i = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'inspect', out], { encoding: 'utf8', env });
  assert.is(i.status, 0, i.stderr);
  assert.match(i.stdout, /rule #\d+ example\.com\/acme\/pay@1\.0\.0:4:5 +deny /);
  assert.match(i.stdout, /rate_limit refund 1\/minute \(example\.com\/acme\/pay@1\.0\.0:6\)/);
  assert.match(i.stdout, /agent helper  default deny \(example\.com\/acme\/pay@1\.0\.0:11\)/);
});

test('a package that would change the stack agent\'s model, phases or budgets is refused (FMS2034)', () => {
  const cases: Array<[string, RegExp]> = [
    ['agent "bot" {\n  model "gpt-x"\n}\n', /declares `model gpt-x`; declare it in the stack/],
    ['agent "bot" {\n  budget daily {\n    max $5\n  }\n}\n', /both declare `budget daily`/],
    ['agent "bot" {\n  phase "a" {\n    tools = ["x"]\n  }\n}\n', /declares phases/],
  ];
  for (const [pkg, why] of cases) {
    const { dir, src } = setup(pkg, STACK);
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'check', src, '--no-locked', '--registry', join(dir, 'registry')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /error\[FMS2034\]/);
    assert.match(r.stderr, why);
  }
});

test('a package that imports another package is refused, not half-applied', () => {
  const { dir, src } = setup('import "example.com/acme/other@2.0.0"\nagent "bot" {\n  rules { deny refund }\n}\n', STACK);
  const r = compile(STACK, 'governance.fms', { resolveImport: registryResolver(join(dir, 'registry'), src) });
  const d = r.diagnostics.find((x) => x.code === 'FMS2022');
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.match(d!.message, /itself imports `example\.com\/acme\/other@2\.0\.0`/);
});

test.run();
