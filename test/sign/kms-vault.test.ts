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

test.run();
