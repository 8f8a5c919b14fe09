// Azure Key Vault through the official SDKs (@azure/keyvault-keys +
// @azure/identity DefaultAzureCredential) against a local HTTPS double on
// 127.0.0.1 (a throwaway CA, trusted by the child through
// NODE_EXTRA_CA_CERTS) that plays both the Entra authority (client-secret
// token exchange) and Key Vault (challenge-based auth, then the bearer token
// it issued), and really signs. Credentials come from the client-secret
// environment DefaultAzureCredential reads (AZURE_TENANT_ID, AZURE_CLIENT_ID,
// AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST). NO REAL AZURE ACCOUNT IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAzureKmsUri } from '@fms/signers';
import { AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT, startAzureKmsDouble, type AzureDouble } from '../helpers/kms-doubles/azure';
import { makeTestTls, type TestTls } from '../helpers/kms-doubles/tls';
import { closedPort, freshPack, isolatedEnv, oneLineError, opensslVerifies, runDist, scratch, trustFileFor } from './kms-common';

const URI = 'azurekms://fms-test.vault.azure.net/fms-release';
let tls: TestTls;
let d: AzureDouble;
test.before(async () => {
  tls = makeTestTls();
  d = await startAzureKmsDouble(tls);
});
test.after(() => d.close());

function azEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return isolatedEnv({
    AZURE_TENANT_ID: AZURE_TENANT,
    AZURE_CLIENT_ID,
    AZURE_CLIENT_SECRET,
    AZURE_AUTHORITY_HOST: d.url,
    FMS_AZUREKMS_ENDPOINT: d.url,
    NODE_EXTRA_CA_CERTS: tls.caFile,
    ...extra,
  });
}

test('uri forms', () => {
  assert.equal(parseAzureKmsUri(URI), { host: 'fms-test.vault.azure.net', keyName: 'fms-release' });
  assert.equal(parseAzureKmsUri(`${URI}/0123abcd`), { host: 'fms-test.vault.azure.net', keyName: 'fms-release', version: '0123abcd' });
  for (const bad of ['azurekms://', 'azurekms://v.vault.azure.net/', 'azurekms://v.vault.azure.net/a/b/c', 'azurekms://v.vault.azure.net/a_b', 'azurekms://u@v.vault.azure.net/k', 'azurekms://v.vault.azure.net/k?x'])
    assert.throws(() => parseAzureKmsUri(bad), /azurekms uri must be/, bad);
});

test('fmsc sign --kms azurekms://… with client-secret credentials: challenge, token, sign; openssl and fms-run verify', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  const before = d.events.length;
  const r = await runDist('fmsc', ['sign', '--kms', URI, pack], azEnv());
  assert.is(r.code, 0, r.stderr);
  const ev = d.events.slice(before);
  assert.equal(ev.slice(0, 3), ['challenge', 'token', 'get-key'], ev.join(' '));
  assert.ok(ev.includes('sign'));
  assert.ok(opensslVerifies(pack, d.key.spki));
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, d.key.spki), '--no-state'], isolatedEnv({}));
  assert.is(v.code, 0, v.stderr);
});

test('a pinned version signs with that version; high-S answers are normalised', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  d.highS = true;
  try {
    const r = await runDist('fmsc', ['sign', '--kms', `${URI}/${d.version}`, pack], azEnv());
    assert.is(r.code, 0, r.stderr);
  } finally {
    d.highS = false;
  }
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, d.key.spki), '--no-state'], isolatedEnv({}));
  assert.is(v.code, 0, v.stderr);
});

// (An environment with no Azure credential at all is not tested: DefaultAzureCredential then probes managed
// identity, with retries, which would reach for 169.254.169.254 or take ~20 s against a closed port.)
test('refusals are one line and fail closed: wrong secret, untrusted TLS, wrong curve, unknown key, plain-http override, unreachable', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  const secret = 'wrong-client-secret-do-not-print';
  const bad = await runDist('fmsc', ['sign', '--kms', URI, pack], azEnv({ AZURE_CLIENT_SECRET: secret }));
  assert.is(bad.code, 2);
  assert.match(oneLineError(bad), /^fmsc: azurekms: get key `fms-release` failed: .*(AADSTS7000215|invalid_client|authentication failed|Authentication)/i);
  assert.not.match(bad.stderr, secret);

  const noCa = azEnv();
  delete noCa.NODE_EXTRA_CA_CERTS;
  const untrusted = await runDist('fmsc', ['sign', '--kms', URI, pack], noCa);
  assert.is(untrusted.code, 2);
  assert.match(oneLineError(untrusted), /^fmsc: azurekms: get key `fms-release` failed: .*(certificate|CERT|self.signed|issuer)/i);

  const crv = 'P-384';
  d.crv = crv;
  try {
    const p384 = await runDist('fmsc', ['sign', '--kms', URI, pack], azEnv());
    assert.is(p384.code, 2);
    assert.match(oneLineError(p384), /azurekms: key `fms-release` is `EC-HSM` `P-384`, p-256 expected/);
  } finally {
    d.crv = 'P-256';
  }
  const unknown = await runDist('fmsc', ['sign', '--kms', 'azurekms://fms-test.vault.azure.net/nope', pack], azEnv());
  assert.is(unknown.code, 2);
  assert.match(oneLineError(unknown), /azurekms: get key `nope` failed: .*was not found/);

  const http = await runDist('fmsc', ['sign', '--kms', URI, pack], azEnv({ FMS_AZUREKMS_ENDPOINT: d.url.replace('https:', 'http:') }));
  assert.is(http.code, 2);
  assert.match(oneLineError(http), /FMS_AZUREKMS_ENDPOINT` must be `https:\/\/host\[:port\]`/);

  const port = await closedPort();
  const down = await runDist('fmsc', ['sign', '--kms', URI, pack], azEnv({ FMS_AZUREKMS_ENDPOINT: `https://127.0.0.1:${port}` }));
  assert.is(down.code, 2);
  assert.match(oneLineError(down), /azurekms: get key `fms-release` failed: .*ECONNREFUSED/);

  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, d.key.spki), '--no-state'], isolatedEnv({}));
  assert.ok(v.code !== 0, 'no refusal left a kms signature in the pack');
});

test.run();
