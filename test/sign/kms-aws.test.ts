// AWS KMS through the official SDK (@aws-sdk/client-kms) against a local
// double on 127.0.0.1 that verifies every request's SigV4 signature with the
// profile's secret and really signs. Credentials come from the SDK's default
// chain: a shared config + credentials profile (AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE), with NO AWS_ACCESS_KEY_ID in the
// environment. NO REAL AWS ACCOUNT IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAwsKmsUri } from '@fms/signers';
import { keyIdOf } from '@fms/runtime/crypto';
import { AWS_TEST_CREDS, sigv4Check, startAwsKmsDouble, type AwsDouble } from '../helpers/kms-doubles/aws';
import { closedPort, freshPack, isolatedEnv, oneLineError, opensslVerifies, runDist, scratch, trustFileFor } from './kms-common';

let d: AwsDouble;
test.before(async () => {
  d = await startAwsKmsDouble();
});
test.after(() => d.close());

/** A profile in shared config/credentials files, as `aws configure --profile fms-ci` writes them. */
function profileEnv(secret = AWS_TEST_CREDS.secretAccessKey, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = scratch('fms-aws-profile-');
  writeFileSync(join(dir, 'config'), `[default]\nregion = us-east-1\n\n[profile fms-ci]\nregion = ${AWS_TEST_CREDS.region}\n`);
  writeFileSync(join(dir, 'credentials'), `[fms-ci]\naws_access_key_id = ${AWS_TEST_CREDS.accessKeyId}\naws_secret_access_key = ${secret}\n`, { mode: 0o600 });
  return isolatedEnv({ AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_PROFILE: 'fms-ci', AWS_ENDPOINT_URL_KMS: d.url, ...extra });
}

test("the double's SigV4 verifier agrees with AWS's published test vectors", () => {
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  // aws-sig-v4-test-suite `get-vanilla`
  const vanilla = {
    method: 'GET',
    path: '/',
    query: '',
    body: '',
    headers: {
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    },
  };
  assert.is(sigv4Check(vanilla, creds, { region: 'us-east-1', service: 'service', mustSign: ['host'] }), undefined);
  // the IAM ListUsers example of the SigV4 documentation
  const iam = {
    method: 'GET',
    path: '/',
    query: 'Action=ListUsers&Version=2010-05-08',
    body: '',
    headers: {
      host: 'iam.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20150830T123600Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    },
  };
  assert.is(sigv4Check(iam, creds, { region: 'us-east-1', service: 'iam', mustSign: ['host'] }), undefined);
  // one changed byte anywhere is refused
  assert.is(sigv4Check({ ...iam, query: 'Action=ListUsers&Version=2010-05-09' }, creds, { region: 'us-east-1', service: 'iam', mustSign: [] }), 'signature does not match');
  assert.is(sigv4Check(iam, { ...creds, secretAccessKey: 'x' }, { region: 'us-east-1', service: 'iam', mustSign: [] }), 'signature does not match');
  assert.is(sigv4Check({ ...vanilla, headers: { ...vanilla.headers, host: 'example.amazonaws.com.evil' } }, creds, { region: 'us-east-1', service: 'service', mustSign: [] }), 'signature does not match');
});

test('uri forms: key id, alias, arn (region from the arn), endpoint in the uri; malformed ones refused', () => {
  assert.equal(parseAwsKmsUri('awskms:///1234abcd'), { keyId: '1234abcd' });
  assert.equal(parseAwsKmsUri('awskms:///alias/x'), { keyId: 'alias/x' });
  assert.equal(parseAwsKmsUri('awskms://localhost:4566/alias/x'), { keyId: 'alias/x', endpoint: 'localhost:4566' });
  assert.is(parseAwsKmsUri('awskms:///arn:aws:kms:us-east-2:111122223333:key/abc').region, 'us-east-2');
  assert.throws(() => parseAwsKmsUri('awskms://nokey'), /awskms uri/);
  assert.throws(() => parseAwsKmsUri('awskms:///'), /names no key/);
  assert.throws(() => parseAwsKmsUri('awskms:///alias/x y'), /characters/);
  assert.throws(() => parseAwsKmsUri('awskms://user@host/alias/x'), /endpoint/);
});

test('fmsc sign --kms awskms:///alias/… with a shared-config profile: SigV4 by the SDK, openssl and fms-run verify', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  const before = d.requests.length;
  const env = profileEnv();
  assert.not.ok('AWS_ACCESS_KEY_ID' in env || 'AWS_SECRET_ACCESS_KEY' in env || 'AWS_REGION' in env);
  const r = await runDist('fmsc', ['sign', '--kms', 'awskms:///alias/fms-release', pack], env);
  assert.is(r.code, 0, r.stderr);
  const seen = d.requests.slice(before);
  assert.equal(seen.map((q) => q.headers['x-amz-target']), ['TrentService.GetPublicKey', 'TrentService.Sign']);
  for (const q of seen) {
    assert.match(String(q.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDFMSTEST\/\d{8}\/eu-west-1\/kms\/aws4_request/);
    assert.match(String(q.headers['user-agent'] ?? q.headers['x-amz-user-agent']), /aws-sdk-js/);
  }
  const spki = d.keys.get('alias/fms-release')!.spki;
  assert.match(r.stderr, new RegExp(`added signature by ${keyIdOf(spki)} \\(ecdsa-p256-sha256`));
  assert.ok(opensslVerifies(pack, spki), 'openssl verifies the signature with the public key the double holds');
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, spki), '--no-state'], isolatedEnv({}));
  assert.is(v.code, 0, v.stderr);
  const other = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, new Uint8Array(d.keys.get('alias/fms-release')!.spki).map((b, i) => (i === 80 ? b ^ 1 : b)), 'other.json'), '--no-state'], isolatedEnv({}));
  assert.ok(other.code !== 0, 'a trust file pinning another key refuses the pack');
});

test('endpoint in the uri (no AWS_ENDPOINT_URL_KMS), key by arn; high-S answers are normalised to low-S', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  const env = profileEnv();
  delete env.AWS_ENDPOINT_URL_KMS;
  const arn = `arn:aws:kms:${AWS_TEST_CREDS.region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  d.highS = true;
  try {
    const r = await runDist('fmsc', ['sign', '--kms', `awskms://${new URL(d.url).host}/${arn}`, pack], env);
    assert.is(r.code, 0, r.stderr);
  } finally {
    d.highS = false;
  }
  // fms-run accepts only low-S ECDSA signatures: passing proves the signer normalised the double's high-S answer.
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, d.keys.get(arn)!.spki), '--no-state'], isolatedEnv({}));
  assert.is(v.code, 0, v.stderr);
});

test('refusals are one line and fail closed: wrong secret, no credentials, unreachable endpoint, wrong key type, unknown key', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  const secret = 'wrong-secret-value-do-not-print';
  const bad = await runDist('fmsc', ['sign', '--kms', 'awskms:///alias/fms-release', pack], profileEnv(secret));
  assert.is(bad.code, 2);
  assert.match(oneLineError(bad), /awskms: GetPublicKey `alias\/fms-release` failed: InvalidSignatureException: signature does not match/);
  assert.not.match(bad.stderr + bad.stdout, secret);

  const none = await runDist('fmsc', ['sign', '--kms', 'awskms:///alias/fms-release', pack], isolatedEnv({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_KMS: d.url }));
  assert.is(none.code, 2);
  assert.match(oneLineError(none), /awskms: GetPublicKey `alias\/fms-release` failed: .*(credential|Credential)/);

  const port = await closedPort();
  const down = await runDist('fmsc', ['sign', '--kms', 'awskms:///alias/fms-release', pack], profileEnv(undefined, { AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${port}` }));
  assert.is(down.code, 2);
  assert.match(oneLineError(down), /awskms: GetPublicKey `alias\/fms-release` failed: .*ECONNREFUSED/);

  d.keySpec = 'RSA_2048';
  try {
    const rsa = await runDist('fmsc', ['sign', '--kms', 'awskms:///alias/fms-release', pack], profileEnv());
    assert.is(rsa.code, 2);
    assert.match(oneLineError(rsa), /awskms: key spec `RSA_2048` of `alias\/fms-release` is not supported \(use ECC_NIST_P256\)/);
  } finally {
    d.keySpec = 'ECC_NIST_P256';
  }
  const missing = await runDist('fmsc', ['sign', '--kms', 'awskms:///alias/nope', pack], profileEnv());
  assert.is(missing.code, 2);
  assert.match(oneLineError(missing), /NotFoundException: key alias\/nope not found/);
  // the pack is untouched by every refusal: only the local signature
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, d.keys.get('alias/fms-release')!.spki), '--no-state'], isolatedEnv({}));
  assert.ok(v.code !== 0);
});

test.run();
