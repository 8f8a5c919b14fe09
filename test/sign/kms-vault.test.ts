// HashiCorp Vault transit against a local double on 127.0.0.1 that checks
// `X-Vault-Token` (and the namespace header) and really signs. The token
// comes from the CLI's documented sources: VAULT_TOKEN, else ~/.vault-token
// (a temporary HOME). NO REAL VAULT SERVER IS USED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSigner } from '@fms/signers';
import { startVaultDouble, VAULT_TEST_TOKEN, type VaultDouble } from '../helpers/kms-doubles/vault';
import { newP256, signDigestDer, type DoubleAnswer, type DoubleRequest } from '../helpers/kms-doubles/server';
import { signAndVerify } from './kms-sign-and-verify';
import { closedPort, freshPack, isolatedEnv, oneLineError, opensslVerifies, runDist, scratch, trustFileFor } from './kms-common';

let d: VaultDouble;
test.before(async () => {
  d = await startVaultDouble();
});
test.after(() => d.close());

/** A HOME whose ~/.vault-token holds `token` (what `vault login` writes). */
function homeWithToken(token: string): string {
  const home = scratch('fms-vault-home-');
  writeFileSync(join(home, '.vault-token'), token + '\n', { mode: 0o600 });
  return home;
}

test('ed25519 transit key signs the message itself; ecdsa-p256 a prehashed sha2-256 digest (VAULT_TOKEN)', async () => {
  const env = { VAULT_ADDR: d.url, VAULT_TOKEN: VAULT_TEST_TOKEN, HOME: scratch() };
  const ed = await openSigner('hashivault://fms-ed', env);
  assert.is(ed.algorithm, 'ed25519');
  await signAndVerify(ed, d.keys.get('fms-ed')!.key.spki);
  const p = await openSigner('hashivault://fms-p256', env);
  assert.is(p.algorithm, 'ecdsa-p256-sha256');
  await signAndVerify(p, d.keys.get('fms-p256')!.key.spki);
  assert.ok(d.requests.some((r) => r.url.pathname === '/v1/transit/sign/fms-p256/sha2-256'));
});

test('token from ~/.vault-token when VAULT_TOKEN is unset; VAULT_TOKEN wins over the file', async () => {
  const home = homeWithToken(VAULT_TEST_TOKEN);
  const s = await openSigner('hashivault://fms-p256', { VAULT_ADDR: d.url, HOME: home });
  await signAndVerify(s, d.keys.get('fms-p256')!.key.spki);
  await openSigner('hashivault://fms-p256', { VAULT_ADDR: d.url, HOME: home, VAULT_TOKEN: 'hvs.wrong' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /http 403/),
  );
});

test('fmsc sign --kms hashivault://… in a child with only HOME/.vault-token, VAULT_ADDR and VAULT_NAMESPACE: openssl and fms-run verify', async () => {
  const dir = scratch();
  const pack = await freshPack(dir);
  d.namespace = 'team-a/release';
  try {
    const env = isolatedEnv({ VAULT_ADDR: d.url, VAULT_NAMESPACE: 'team-a/release' }, homeWithToken(VAULT_TEST_TOKEN));
    const r = await runDist('fmsc', ['sign', '--kms', 'hashivault://fms-p256', pack], env);
    assert.is(r.code, 0, r.stderr);
    const noNs = await runDist('fmsc', ['sign', '--kms', 'hashivault://fms-p256', pack], { ...env, VAULT_NAMESPACE: '' });
    assert.is(noNs.code, 2);
    assert.match(oneLineError(noNs), /hashivault read key: http 403: permission denied \(namespace\)/);
  } finally {
    d.namespace = undefined;
  }
  const spki = d.keys.get('fms-p256')!.key.spki;
  assert.ok(opensslVerifies(pack, spki));
  const v = await runDist('fms-run', ['verify', pack, '--trust', trustFileFor(dir, spki), '--no-state'], isolatedEnv({}));
  assert.is(v.code, 0, v.stderr);
});

test('refusals are one line, name no token: no token anywhere, unreadable or empty token file, bad token, bad uri, bad address, unreachable', async () => {
  const empty = scratch();
  await openSigner('hashivault://fms-ed', { VAULT_ADDR: d.url, HOME: empty }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /^hashivault: no token: set `VAULT_TOKEN` or run `vault login`/),
  );
  const blank = homeWithToken('');
  await openSigner('hashivault://fms-ed', { VAULT_ADDR: d.url, HOME: blank }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /\.vault-token` is empty/),
  );
  const dirToken = scratch();
  mkdirSync(join(dirToken, '.vault-token'));
  await openSigner('hashivault://fms-ed', { VAULT_ADDR: d.url, HOME: dirToken }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /cannot read .*EISDIR/),
  );
  if (process.getuid?.() !== 0) {
    const locked = homeWithToken(VAULT_TEST_TOKEN);
    chmodSync(join(locked, '.vault-token'), 0);
    await openSigner('hashivault://fms-ed', { VAULT_ADDR: d.url, HOME: locked }).then(
      () => assert.unreachable(),
      (e: Error) => assert.match(e.message, /EACCES/),
    );
  }
  await openSigner('hashivault://fms-ed', { VAULT_ADDR: d.url, VAULT_TOKEN: 'hvs.wrong-one' }).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.match(e.message, /http 403: permission denied/);
      assert.not.match(e.message, /hvs\.wrong-one/);
    },
  );
  for (const uri of ['hashivault://', 'hashivault://../sys/seal', 'hashivault://a/b', 'hashivault://.hidden', 'hashivault://x?y']) {
    await openSigner(uri, { VAULT_ADDR: d.url, VAULT_TOKEN: VAULT_TEST_TOKEN }).then(
      () => assert.unreachable(uri),
      (e: Error) => assert.match(e.message, /hashivault uri must be/),
    );
  }
  await openSigner('hashivault://fms-ed', { VAULT_ADDR: 'ftp://x', VAULT_TOKEN: VAULT_TEST_TOKEN }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /VAULT_ADDR` must be an http\(s\) url/),
  );
  await openSigner('hashivault://fms-ed', { VAULT_ADDR: d.url, VAULT_TOKEN: VAULT_TEST_TOKEN, TRANSIT_SECRET_ENGINE_PATH: '../sys' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /not a mount path/),
  );
  const port = await closedPort();
  await openSigner('hashivault://fms-ed', { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: VAULT_TEST_TOKEN }).then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.message, `hashivault read key: request to \`http://127.0.0.1:${port}\` failed: ECONNREFUSED`),
  );
});

test('hostile answers fail closed: decoy and prototype fields, wrong types, another key, another version, a huge body', async () => {
  const env = { VAULT_ADDR: d.url, VAULT_TOKEN: VAULT_TEST_TOKEN };
  const other = newP256();
  const keyAnswer = (data: unknown): DoubleAnswer => ({ status: 200, json: { data } });
  const pem = d.keys.get('fms-p256')!.key.pem;
  const cases: [string, (r: DoubleRequest, real: () => DoubleAnswer) => DoubleAnswer | undefined, RegExp][] = [
    ['version as a string', (r) => (r.method === 'GET' ? keyAnswer({ type: 'ecdsa-p256', latest_version: '1', keys: { '1': { public_key: pem } } }) : undefined), /valid `latest_version`/],
    ['version 0', (r) => (r.method === 'GET' ? keyAnswer({ type: 'ecdsa-p256', latest_version: 0, keys: { '0': { public_key: pem } } }) : undefined), /valid `latest_version`/],
    ['key under __proto__', (r) => (r.method === 'GET' ? { status: 200, json: JSON.parse(`{"data":{"type":"ecdsa-p256","latest_version":1,"keys":{"__proto__":{"public_key":${JSON.stringify(pem)}}}}}`) } : undefined), /lacks `public_key`/],
    ['type inherited (toString)', (r) => (r.method === 'GET' ? keyAnswer({ latest_version: 1, keys: { '1': { public_key: pem } } }) : undefined), /lacks `type`/],
    ['rsa key type', (r) => (r.method === 'GET' ? keyAnswer({ type: 'rsa-2048', latest_version: 1, keys: { '1': { public_key: pem } } }) : undefined), /key type `rsa-2048` is not supported/],
    ['data is an array', (r) => (r.method === 'GET' ? keyAnswer([1, 2]) : undefined), /lacks `type`/],
    ['signature by another key', (r) => (r.method === 'POST' ? { status: 200, json: { data: { signature: `vault:v1:${signDigestDer(other, Buffer.alloc(32, 1)).toString('base64')}` } } } : undefined), /does not verify with the key's public key/],
    ['signature of another version', (r, real) => (r.method === 'POST' ? { status: 200, json: { data: { signature: String(((real().json as { data: { signature: string } }).data.signature)).replace('vault:v1:', 'vault:v2:') } } } : undefined), /not from the expected key version/],
    ['signature not DER', (r) => (r.method === 'POST' ? { status: 200, json: { data: { signature: `vault:v1:${Buffer.alloc(70, 9).toString('base64')}` } } } : undefined), /not DER ECDSA/],
    ['a 2 MiB answer', () => ({ status: 200, json: { data: 'x'.repeat(2 * 1024 * 1024) } }), /answer larger than 1048576 bytes/],
    ['a json string, not an object', () => ({ status: 200, json: 'a string' }), /answer is not a json object/],
  ];
  for (const [what, override, want] of cases) {
    d.override = override;
    try {
      await openSigner('hashivault://fms-p256', env)
        .then((s) => s.sign(new TextEncoder().encode('m')))
        .then(
          () => assert.unreachable(what),
          (e: Error) => {
            assert.match(e.message, want, `${what}: ${e.message}`);
            assert.not.match(e.message, /\n/);
          },
        );
    } finally {
      d.override = undefined;
    }
  }
});

test.run();
