// Vault transit adapter against a local double on 127.0.0.1 that really
// signs. NO REAL VAULT SERVER IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kmsSigner } from '../../../../compiler/src/sign/kms-signer';
import { startVaultDouble, VAULT_TEST_TOKEN, type VaultDouble } from '../../../helpers/kms-doubles/vault';
import { signAndVerify } from './common';

let d: VaultDouble;
let env: NodeJS.ProcessEnv;
test.before(async () => {
  d = await startVaultDouble();
  env = { VAULT_ADDR: d.url, VAULT_TOKEN: VAULT_TEST_TOKEN };
});
test.after(() => d.close());

test('ed25519 transit key signs the message itself; pack verifies', async () => {
  const s = await kmsSigner('hashivault://fms-ed', env);
  assert.is(s.algorithm, 'ed25519');
  await signAndVerify(s, d.keys.get('fms-ed')!.key.spki);
});

test('ecdsa-p256 transit key signs a prehashed sha2-256 digest; pack verifies', async () => {
  const s = await kmsSigner('hashivault://fms-p256', env);
  assert.is(s.algorithm, 'ecdsa-p256-sha256');
  await signAndVerify(s, d.keys.get('fms-p256')!.key.spki);
  assert.ok(d.requests.some((r) => r.url.pathname === '/v1/transit/sign/fms-p256/sha2-256'));
});

test('errors: missing VAULT_ADDR, bad token', async () => {
  await kmsSigner('hashivault://fms-ed', { VAULT_TOKEN: 'x' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /VAULT_ADDR/),
  );
  await kmsSigner('hashivault://fms-ed', { ...env, VAULT_TOKEN: 'hvs.wrong-one' }).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.match(e.message, /http 403: permission denied/);
      assert.not.match(e.message, /hvs\.wrong-one/);
    },
  );
});

test.run();
