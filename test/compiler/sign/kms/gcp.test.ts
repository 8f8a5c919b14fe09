// Google Cloud KMS adapter against a local double on 127.0.0.1 that really
// signs. NO REAL GOOGLE CLOUD ACCOUNT IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kmsSigner } from '../../../../compiler/src/sign/kms-signer';
import { crc32c } from '../../../../compiler/src/sign/kms/crc32c';
import { GCP_KEY_NAME, GCP_TEST_TOKEN, startGcpKmsDouble, type GcpDouble } from '../../../helpers/kms-doubles/gcp';
import { signAndVerify } from './common';

let d: GcpDouble;
let env: NodeJS.ProcessEnv;
test.before(async () => {
  d = await startGcpKmsDouble();
  env = { GOOGLE_OAUTH_ACCESS_TOKEN: GCP_TEST_TOKEN, CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS: d.url + '/' };
});
test.after(() => d.close());

test('crc32c known answer', () => {
  assert.is(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

test('signs with asymmetricSign over a sha256 digest; pack verifies', async () => {
  const s = await kmsSigner(`gcpkms://${GCP_KEY_NAME}`, env);
  assert.is(s.algorithm, 'ecdsa-p256-sha256');
  await signAndVerify(s, d.key.spki);
  const sign = d.requests.find((r) => r.url.pathname.endsWith(':asymmetricSign'))!;
  const body = JSON.parse(sign.body) as { digest: { sha256: string }; digestCrc32c: string };
  assert.is(Buffer.from(body.digest.sha256, 'base64').length, 32);
  assert.ok(body.digestCrc32c);
});

test('integrity: a corrupted signatureCrc32c is rejected', async () => {
  const s = await kmsSigner(`gcpkms://${GCP_KEY_NAME}`, env);
  d.badCrc = true;
  try {
    await s.sign(new Uint8Array([1, 2, 3]));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /crc32c/);
  } finally {
    d.badCrc = false;
  }
});

test('bad token and bad uri', async () => {
  try {
    await kmsSigner(`gcpkms://${GCP_KEY_NAME}`, { ...env, GOOGLE_OAUTH_ACCESS_TOKEN: 'nope-token' });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /http 401/);
    assert.not.match((e as Error).message, /nope-token/);
  }
  try {
    await kmsSigner('gcpkms://projects/x/keys', env);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /gcpkms uri must be/);
  }
});

test.run();
