// AWS KMS adapter against a local double on 127.0.0.1 that checks SigV4 and
// really signs. NO REAL AWS ACCOUNT IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kmsSigner } from '../../../../compiler/src/sign/kms-signer';
import { parseAwsKmsUri } from '../../../../compiler/src/sign/kms/aws';
import { signV4 } from '../../../../compiler/src/sign/kms/sigv4';
import { AWS_TEST_CREDS, startAwsKmsDouble, type AwsDouble } from '../../../helpers/kms-doubles/aws';
import { makePack, tempDir, trustJson } from '../../../runtime/trust/fixtures';
import { ed25519Key } from '../../../runtime/trust/fixtures';
import { runCli } from '../cli';
import { signAndVerify } from './common';

let d: AwsDouble;
let env: NodeJS.ProcessEnv;
test.before(async () => {
  d = await startAwsKmsDouble();
  env = {
    AWS_ACCESS_KEY_ID: AWS_TEST_CREDS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDS.secretAccessKey,
    AWS_REGION: AWS_TEST_CREDS.region,
    AWS_ENDPOINT_URL_KMS: d.url,
  };
});
test.after(() => d.close());

test('sigv4 matches the documented AWS example (IAM ListUsers, 2015-08-30)', () => {
  const h = signV4({
    method: 'GET',
    url: 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', host: 'iam.amazonaws.com' },
    body: '',
    region: 'us-east-1',
    service: 'iam',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    date: new Date('2015-08-30T12:36:00Z'),
  });
  assert.match(h.authorization!, /Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7$/);
  assert.match(h.authorization!, /SignedHeaders=content-type;host;x-amz-date,/);
});

test('uri forms: key id, alias, arn (region from the arn), endpoint in the uri', () => {
  assert.equal(parseAwsKmsUri('awskms:///1234abcd'), { keyId: '1234abcd' });
  assert.equal(parseAwsKmsUri('awskms:///alias/x'), { keyId: 'alias/x' });
  assert.equal(parseAwsKmsUri('awskms://localhost:4566/alias/x'), { keyId: 'alias/x', endpoint: 'localhost:4566' });
  assert.is(parseAwsKmsUri('awskms:///arn:aws:kms:us-east-2:111122223333:key/abc').region, 'us-east-2');
  assert.throws(() => parseAwsKmsUri('awskms://nokey'), /awskms uri/);
});

test('signs through the documented Sign API (DIGEST, ECDSA_SHA_256) with SigV4; pack verifies', async () => {
  for (const id of ['1234abcd-12ab-34cd-56ef-1234567890ab', 'alias/fms-release', `arn:aws:kms:${AWS_TEST_CREDS.region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`]) {
    const s = await kmsSigner(`awskms:///${id}`, env);
    assert.is(s.algorithm, 'ecdsa-p256-sha256');
    await signAndVerify(s, d.keys.get(id)!.spki);
  }
  const targets = d.requests.map((r) => r.headers['x-amz-target']);
  assert.ok(targets.includes('TrentService.GetPublicKey') && targets.includes('TrentService.Sign'));
  assert.ok(d.requests.every((r) => String(r.headers.authorization).startsWith('AWS4-HMAC-SHA256 Credential=AKIDFMSTEST/')));
});

test('endpoint from the uri itself (loopback is http)', async () => {
  const host = new URL(d.url).host;
  const { AWS_ENDPOINT_URL_KMS: _, ...rest } = env;
  const s = await kmsSigner(`awskms://${host}/alias/fms-release`, rest);
  await signAndVerify(s, d.keys.get('alias/fms-release')!.spki);
});

test('high-S answers from the service are normalised to low-S', async () => {
  d.highS = true;
  try {
    await signAndVerify(await kmsSigner('awskms:///alias/fms-release', env), d.keys.get('alias/fms-release')!.spki);
  } finally {
    d.highS = false;
  }
});

test('wrong secret: refused by the service (sigv4 checked), error names no secret', async () => {
  const bad = { ...env, AWS_SECRET_ACCESS_KEY: 'wrong-secret-value' };
  try {
    await kmsSigner('awskms:///alias/fms-release', bad);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /http 403: signature does not match/);
    assert.not.match((e as Error).message, /wrong-secret-value/);
  }
  await assert.not.throws(async () => kmsSigner('awskms:///alias/nope', env).catch(() => undefined));
  try {
    await kmsSigner('awskms:///alias/nope', env);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /NotFound|not found/);
  }
  try {
    await kmsSigner('awskms:///alias/x', { AWS_REGION: 'eu-west-1' });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /AWS_ACCESS_KEY_ID/);
  }
});

test('cli: fmsc sign --kms awskms:///alias/… then fms-run verify', async () => {
  const dir = tempDir();
  const local = ed25519Key(dir, 'l');
  const pack = join(dir, 'p.fmspack');
  writeFileSync(pack, await makePack(local, { createdAt: new Date(Date.now() - 60_000) }));
  const s = await runCli('fmsc', ['sign', '--kms', 'awskms:///alias/fms-release', pack], env);
  assert.is(s.code, 0, s.stderr);
  const pub = await runCli('fmsc', ['pubkey', '--kms', 'awskms:///alias/fms-release', '--format', 'json'], env);
  assert.is(pub.code, 0, pub.stderr);
  const entry = (JSON.parse(pub.stdout) as { trust_entry: unknown }).trust_entry;
  const trust = join(dir, 'trust.json');
  writeFileSync(trust, JSON.stringify({ version: 1, keys: [entry], scopes: [{ prefix: 'acme', keys: [(entry as { id: string }).id], threshold: 1 }] }));
  const v = await runCli('fms-run', ['verify', pack, '--trust', trust, '--no-state']);
  assert.is(v.code, 0, v.stderr);
  writeFileSync(join(dir, 'other.json'), JSON.stringify(trustJson([ed25519Key(dir, 'other')])));
  assert.is((await runCli('fms-run', ['verify', pack, '--trust', join(dir, 'other.json'), '--no-state'])).code, 3);
});

test.run();
