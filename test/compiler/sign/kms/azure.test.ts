// Azure Key Vault adapter against a local double on 127.0.0.1 that really
// signs. NO REAL AZURE ACCOUNT IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kmsSigner } from '../../../../compiler/src/sign/kms-signer';
import { AZURE_TEST_TOKEN, startAzureKmsDouble, type AzureDouble } from '../../../helpers/kms-doubles/azure';
import { signAndVerify } from './common';

let d: AzureDouble;
let env: NodeJS.ProcessEnv;
test.before(async () => {
  d = await startAzureKmsDouble();
  env = { AZURE_ACCESS_TOKEN: AZURE_TEST_TOKEN, FMS_AZUREKMS_ENDPOINT: d.url };
});
test.after(() => d.close());

test('signs with ES256 over a digest, latest and pinned version; pack verifies', async () => {
  await signAndVerify(await kmsSigner('azurekms://fms-test.vault.azure.net/fms-release', env), d.key.spki);
  await signAndVerify(await kmsSigner(`azurekms://fms-test.vault.azure.net/fms-release/${d.version}`, env), d.key.spki);
  const sign = d.requests.find((r) => r.method === 'POST')!;
  assert.is(sign.url.pathname, `/keys/fms-release/${d.version}/sign`);
  const body = JSON.parse(sign.body) as { alg: string; value: string };
  assert.is(body.alg, 'ES256');
  assert.is(Buffer.from(body.value, 'base64url').length, 32);
});

test('high-S raw answers are normalised', async () => {
  d.highS = true;
  try {
    await signAndVerify(await kmsSigner('azurekms://fms-test.vault.azure.net/fms-release', env), d.key.spki);
  } finally {
    d.highS = false;
  }
});

test('errors: no token, bad token, unknown key', async () => {
  await kmsSigner('azurekms://fms-test.vault.azure.net/fms-release', {}).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /AZURE_ACCESS_TOKEN/),
  );
  await kmsSigner('azurekms://fms-test.vault.azure.net/fms-release', { ...env, AZURE_ACCESS_TOKEN: 'bad-token-x' }).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.match(e.message, /http 401/);
      assert.not.match(e.message, /bad-token-x/);
    },
  );
  await kmsSigner('azurekms://fms-test.vault.azure.net/nope', env).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /http 404/),
  );
});

test.run();
