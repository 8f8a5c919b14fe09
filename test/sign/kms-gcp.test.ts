// Google Cloud KMS through google-auth-library (Application Default
// Credentials) and the KMS REST API, against a local double on 127.0.0.1
// that checks the request's credential as Google does (a service account's
// self-signed JWT, verified with the account's public key; or a token it
// issued from its metadata-server endpoint) and really signs. Credentials
// come from GOOGLE_APPLICATION_CREDENTIALS (a service-account JSON file) or
// the metadata server (GCE_METADATA_HOST), never from a hand-set token.
// NO REAL GOOGLE CLOUD ACCOUNT IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGcpKmsUri } from '@fms/signers';
import { GCP_KEY_NAME, startGcpKmsDouble, type GcpDouble } from '../helpers/kms-doubles/gcp';
import { closedPort, freshPack, isolatedEnv, oneLineError, opensslVerifies, runDist, scratch, trustFileFor } from './kms-common';

const URI = `gcpkms://${GCP_KEY_NAME}`;
let d: GcpDouble;
test.before(async () => {
  d = await startGcpKmsDouble();
});
test.after(() => d.close());

/** A child environment whose only Google credential is a service-account key file. */
function saEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = scratch('fms-gcp-sa-');
  const file = join(dir, 'sa.json');
  writeFileSync(file, d.serviceAccountJson(), { mode: 0o600 });
  return isolatedEnv({ GOOGLE_APPLICATION_CREDENTIALS: file, FMS_GCPKMS_ENDPOINT: d.url, ...extra });
}

test('uri form', () => {
  assert.is(parseGcpKmsUri(URI), GCP_KEY_NAME);
  for (const bad of ['gcpkms://projects/p', `gcpkms://${GCP_KEY_NAME}/x`, `gcpkms://${GCP_KEY_NAME.replace('fms-test', 'a%2Fb')}`, `gcpkms://${GCP_KEY_NAME.replace('fms-test', '..')}x`.replace('x', '?q')])
    assert.throws(() => parseGcpKmsUri(bad), /gcpkms uri must be/);
});

test('fmsc sign --kms gcpkms://… with GOOGLE_APPLICATION_CREDENTIALS (service-account JWT): openssl and fms-run verify', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  const before = d.authKinds.length;
  const r = await runDist('fmsc', ['sign', '--kms', URI, pack], saEnv());
  assert.is(r.code, 0, r.stderr);
  assert.equal(d.authKinds.slice(before), ['jwt', 'jwt'], 'both calls carried a service-account JWT the double verified');
  assert.ok(opensslVerifies(pack, d.key.spki));
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, d.key.spki), '--no-state'], isolatedEnv({}));
  assert.is(v.code, 0, v.stderr);
});

test('metadata-server credentials (GCE/GKE/workload identity): the token the double issued is used', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  const before = d.authKinds.length;
  const host = new URL(d.url).host;
  const r = await runDist('fmsc', ['sign', '--kms', URI, pack], isolatedEnv({ GCE_METADATA_HOST: host, METADATA_SERVER_DETECTION: 'assume-present', FMS_GCPKMS_ENDPOINT: d.url }));
  assert.is(r.code, 0, r.stderr);
  assert.equal(d.authKinds.slice(before), ['metadata-token', 'metadata-token']);
  assert.ok(d.metadataPaths.includes('/computeMetadata/v1/instance/service-accounts/default/token'));
  assert.ok(opensslVerifies(pack, d.key.spki));
});

test('refusals are one line and fail closed: foreign service account, no credentials, unreachable, wrong algorithm, corrupted crc', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  // a service-account file whose key the service does not know
  const other = JSON.parse(d.serviceAccountJson()) as Record<string, string>;
  const { generateKeyPairSync } = await import('node:crypto');
  other.private_key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const otherFile = join(dir, 'other-sa.json');
  writeFileSync(otherFile, JSON.stringify(other), { mode: 0o600 });
  const forged = await runDist('fmsc', ['sign', '--kms', URI, pack], isolatedEnv({ GOOGLE_APPLICATION_CREDENTIALS: otherFile, FMS_GCPKMS_ENDPOINT: d.url }));
  assert.is(forged.code, 2);
  assert.match(oneLineError(forged), /^fmsc: gcpkms: publicKey `projects\/.*` failed: http 401: Request had invalid authentication credentials: jwt signature does not verify$/);
  assert.not.match(forged.stderr, /PRIVATE KEY/);

  const none = await runDist('fmsc', ['sign', '--kms', URI, pack], isolatedEnv({ FMS_GCPKMS_ENDPOINT: d.url, METADATA_SERVER_DETECTION: 'none' }));
  assert.is(none.code, 2);
  assert.match(oneLineError(none), /gcpkms: no usable Google credentials \(Application Default Credentials\)|gcpkms: publicKey .* failed: .*(credentials|Could not load)/);

  const missingFile = await runDist('fmsc', ['sign', '--kms', URI, pack], isolatedEnv({ GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'nope.json'), FMS_GCPKMS_ENDPOINT: d.url }));
  assert.is(missingFile.code, 2);
  oneLineError(missingFile);

  const port = await closedPort();
  const down = await runDist('fmsc', ['sign', '--kms', URI, pack], saEnv({ FMS_GCPKMS_ENDPOINT: `http://127.0.0.1:${port}` }));
  assert.is(down.code, 2);
  assert.match(oneLineError(down), /gcpkms: publicKey .* failed: .*ECONNREFUSED/);

  d.algorithm = 'RSA_SIGN_PSS_2048_SHA256';
  try {
    const rsa = await runDist('fmsc', ['sign', '--kms', URI, pack], saEnv());
    assert.is(rsa.code, 2);
    assert.match(oneLineError(rsa), /gcpkms: algorithm `RSA_SIGN_PSS_2048_SHA256` is not supported \(use EC_SIGN_P256_SHA256\)/);
  } finally {
    d.algorithm = 'EC_SIGN_P256_SHA256';
  }
  d.badCrc = true;
  try {
    const crc = await runDist('fmsc', ['sign', '--kms', URI, pack], saEnv());
    assert.is(crc.code, 2);
    assert.match(oneLineError(crc), /gcpkms: signature failed its crc32c check/);
  } finally {
    d.badCrc = false;
  }
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, d.key.spki), '--no-state'], isolatedEnv({}));
  assert.ok(v.code !== 0, 'no refusal left a kms signature in the pack');
});

test.run();
