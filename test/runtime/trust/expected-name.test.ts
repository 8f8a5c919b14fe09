// Issue 9, class 12: a host is bound to the pack name it expects. A key pinned
// only for `acme/dev` signs a permissive pack named `acme/dev`; a host that
// expects `acme/payments` must refuse it, although the signature is good.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitPackBody } from '@fms/compiler';
import { loadPack } from '../../../runtime/src/load-pack';
import { PackRefusal, parseTrustRoots, verifyPack } from '../../../runtime/src/trust/verify';
import { agent, policy, rule } from '../../helpers/ir-builder';
import { runCli } from '../../compiler/sign/cli';
import { NOW, ed25519Key, makePack, tempDir, trustJson } from './fixtures';

const dir = tempDir('fms-name-');
const payKey = ed25519Key(dir, 'pay');
const devKey = ed25519Key(dir, 'dev');
/** Each key pinned for its own scope only. */
const base = trustJson([payKey, devKey], [
  { prefix: 'acme/payments', keys: [payKey] },
  { prefix: 'acme/dev', keys: [devKey] },
]);

function refusedWith(code: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof PackRefusal && e.code === code && !e.message.includes('\n');
}

test('the renaming attack: a dev-scoped key signs `acme/dev`; a host expecting `acme/payments` refuses it', async () => {
  const permissive = emitPackBody(policy(agent('payments-bot', [rule('permit', '*')])));
  const devPack = await makePack(devKey, { name: 'acme/dev', body: permissive });
  const trust = parseTrustRoots(base);
  // Without a binding the pack is accepted: the signature is good for its own scope.
  assert.ok(verifyPack(devPack, { trust, now: NOW }));
  assert.throws(() => verifyPack(devPack, { trust, now: NOW, expectedName: 'acme/payments' }), refusedWith('expected-name'));
  assert.throws(() => loadPack(devPack, { trust, now: NOW, expectedName: 'acme/payments' }), refusedWith('expected-name'));
  try {
    verifyPack(devPack, { trust, now: NOW, expectedName: 'acme/payments' });
  } catch (e) {
    assert.is((e as Error).message, 'pack is named `acme/dev`, this host expects `acme/payments`');
  }
  // The right pack passes the same binding.
  const payPack = await makePack(payKey, { name: 'acme/payments', body: permissive });
  const { pack } = loadPack(payPack, { trust, now: NOW, expectedName: 'acme/payments' });
  assert.is(pack.decide({ agent: 'payments-bot', tool: 'x' }).effect, 'permit');
  // Prefixes do not count: `acme/payments/eu` is another name.
  const eu = await makePack(payKey, { name: 'acme/payments/eu' });
  assert.throws(() => verifyPack(eu, { trust, now: NOW, expectedName: 'acme/payments' }), refusedWith('expected-name'));
  // An invalid expected name refuses rather than matching nothing silently.
  for (const bad of ['', 'acme//payments', '__proto__/x', '../acme']) {
    assert.throws(() => verifyPack(payPack, { trust, now: NOW, expectedName: bad }), refusedWith('expected-name'), bad);
  }
});

test('trust file: expected_name, deployments, require_expected_name', async () => {
  const devPack = await makePack(devKey, { name: 'acme/dev' });
  const payPack = await makePack(payKey, { name: 'acme/payments' });
  // a host-wide expected name
  const pinned = parseTrustRoots({ ...base, expected_name: 'acme/payments' });
  assert.ok(verifyPack(payPack, { trust: pinned, now: NOW }));
  assert.throws(() => verifyPack(devPack, { trust: pinned, now: NOW }), refusedWith('expected-name'));
  // the caller cannot widen what the trust file pins
  assert.throws(() => verifyPack(devPack, { trust: pinned, now: NOW, expectedName: 'acme/dev' }), refusedWith('expected-name'));
  // deployments: the host names its deployment; a `deployments` map makes a binding mandatory
  const deps = parseTrustRoots({ ...base, deployments: { 'payments-prod': { expected_name: 'acme/payments' }, dev: { expected_name: 'acme/dev', comment: 'laptops' } } });
  assert.ok(verifyPack(payPack, { trust: deps, now: NOW, deployment: 'payments-prod' }));
  assert.ok(verifyPack(devPack, { trust: deps, now: NOW, deployment: 'dev' }));
  assert.throws(() => verifyPack(devPack, { trust: deps, now: NOW, deployment: 'payments-prod' }), refusedWith('expected-name'));
  assert.throws(() => verifyPack(payPack, { trust: deps, now: NOW }), refusedWith('no-expected-name'));
  for (const d of ['nope', 'toString', '__proto__', 'constructor']) assert.throws(() => verifyPack(payPack, { trust: deps, now: NOW, deployment: d }), refusedWith('deployment'), d);
  assert.ok(verifyPack(payPack, { trust: deps, now: NOW, expectedName: 'acme/payments' }));
  // require_expected_name alone
  const req = parseTrustRoots({ ...base, require_expected_name: true });
  assert.throws(() => verifyPack(payPack, { trust: req, now: NOW }), refusedWith('no-expected-name'));
  assert.ok(verifyPack(payPack, { trust: req, now: NOW, expectedName: 'acme/payments' }));
  // malformed binding fields refuse the trust file
  for (const extra of [
    { expected_name: 5 },
    { expected_name: 'acme//x' },
    { deployments: [] },
    { deployments: { 'bad id': { expected_name: 'acme/payments' } } },
    { deployments: { prod: { expected_name: 'acme/payments', extra: 1 } } },
    { deployments: { prod: {} } },
    { deployments: { prod: 'acme/payments' } },
    { require_expected_name: 'yes' },
  ]) {
    assert.throws(() => parseTrustRoots({ ...base, ...extra }), refusedWith('trust-file'), JSON.stringify(extra));
  }
  assert.throws(() => parseTrustRoots(JSON.stringify(base).replace(/}$/, ',"deployments":{"__proto__":{"expected_name":"acme/dev"}}}')), refusedWith('trust-file'));
});

test('CLIs: --name / FMS_PACK_NAME / --deployment on verify (both), eval and explain; refusal exits 3 in one line', async () => {
  const recent = { createdAt: new Date(Date.now() - 60_000) };
  const devPack = join(dir, 'dev.fmspack');
  writeFileSync(devPack, await makePack(devKey, { name: 'acme/dev', ...recent }));
  const trust = join(dir, 'trust.json');
  writeFileSync(trust, JSON.stringify(base));
  const depTrust = join(dir, 'dep-trust.json');
  writeFileSync(depTrust, JSON.stringify({ ...base, deployments: { prod: { expected_name: 'acme/payments' } } }));
  const env = { FMS_PACK_NAME: '', FMS_DEPLOYMENT: '' };
  for (const cli of ['fms-run', 'fmsc'] as const) {
    const state = cli === 'fms-run' ? ['--no-state'] : [];
    const ok = await runCli(cli, ['verify', devPack, '--trust', trust, '--name', 'acme/dev', ...state], env);
    assert.is(ok.code, 0, ok.stderr);
    const no = await runCli(cli, ['verify', devPack, '--trust', trust, '--name', 'acme/payments', ...state], env);
    assert.is(no.code, 3);
    assert.equal(no.stderr.trim().split('\n').length, 1);
    assert.match(no.stderr, /pack is named `acme\/dev`, this host expects `acme\/payments` \[expected-name\]/);
    const viaEnv = await runCli(cli, ['verify', devPack, '--trust', trust, ...state], { ...env, FMS_PACK_NAME: 'acme/payments' });
    assert.is(viaEnv.code, 3);
    const dep = await runCli(cli, ['verify', devPack, '--trust', depTrust, ...state], env);
    assert.is(dep.code, 3);
    assert.match(dep.stderr, /\[no-expected-name\]/);
    const dep2 = await runCli(cli, ['verify', devPack, '--trust', depTrust, '--deployment', 'prod', ...state], env);
    assert.is(dep2.code, 3);
    assert.match(dep2.stderr, /\[expected-name\]/);
  }
  for (const cmd of ['eval', 'explain']) {
    const r = await runCli('fms-run', [cmd, devPack, '--trust', trust, '--name', 'acme/payments', '--agent', 'a', '--tool', 't'], env);
    assert.is(r.code, 3, r.stderr);
    assert.match(r.stderr, /\[expected-name\]/);
  }
});

test.run();
