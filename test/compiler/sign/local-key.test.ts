import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { devKeySigner, fmsHome, generateKeyFile, localEd25519Signer } from '../../../compiler/src/sign/local-key';
import { loadTrustRoots, verifyPack } from '@fms/runtime';
import { makePack, NOW, tempDir } from '../../runtime/trust/fixtures';

test('keygen writes a 0600 pkcs#8 key that openssl-compatible tools read; only public data is returned', async () => {
  const dir = tempDir();
  const f = join(dir, 'sub', 'k.pem');
  const g = generateKeyFile(f, { comment: 'release' });
  assert.is(statSync(f).mode & 0o777, 0o600);
  const pem = readFileSync(f, 'utf8');
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  const priv = createPrivateKey(pem);
  assert.is(priv.asymmetricKeyType, 'ed25519');
  const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  assert.equal(Buffer.from(g.publicKeySpki), spki);
  assert.is(g.trustEntry.comment, 'release');
  assert.not.ok(JSON.stringify(g).includes(pem.split('\n')[1]!.slice(20)), 'no private material in the result');
  // noble signs, node:crypto (openssl) verifies, and vice versa
  const s = localEd25519Signer(f);
  const msg = new TextEncoder().encode('hello');
  assert.ok(nodeVerify(null, msg, createPublicKey(priv), await s.sign(msg)));
  assert.equal(Buffer.from(await s.sign(msg)), nodeSign(null, msg, priv), 'ed25519 is deterministic and equals openssl');
  assert.throws(() => generateKeyFile(f), /already exists/);
  const g2 = generateKeyFile(f, { force: true });
  assert.is.not(g2.keyId, g.keyId);
  assert.is(statSync(f).mode & 0o777, 0o600);
});

test('a key file readable by others is refused', () => {
  const dir = tempDir();
  const f = join(dir, 'k.pem');
  generateKeyFile(f);
  chmodSync(f, 0o644);
  assert.throws(() => localEd25519Signer(f), /accessible by other users \(mode 644\)/);
  writeFileSync(join(dir, 'junk.pem'), 'nope', { mode: 0o600 });
  assert.throws(() => localEd25519Signer(join(dir, 'junk.pem')), /not a pkcs#8 ed25519 private key/);
});

test('dev key: created once under FMS_HOME (0600), with a matching trust file; the notice is one line', async () => {
  const home = tempDir('fms-home-');
  assert.is(fmsHome({ FMS_HOME: home }), home);
  assert.match(fmsHome({ XDG_CONFIG_HOME: '/c' }), /^\/c\/fms$/);
  assert.match(fmsHome({}), /\.config\/fms$/);
  const a = devKeySigner({ FMS_HOME: home });
  assert.ok(a.created);
  assert.is(statSync(a.keyPath).mode & 0o777, 0o600);
  assert.match(a.notice, /created and signed with the development key/);
  assert.not.match(a.notice, /\n/);
  const b = devKeySigner({ FMS_HOME: home });
  assert.not.ok(b.created);
  assert.is(b.keyId, a.keyId);
  assert.equal(readdirSync(home).sort(), ['dev-key.pem', 'dev-trust.json']);
  const trust = loadTrustRoots(b.trustPath);
  const v = verifyPack(await makePack(b, { name: 'any/name' }), { trust, now: NOW });
  assert.equal(v.signers, [a.keyId]);
});

test('encrypted keys: PKCS#8 ENCRYPTED PRIVATE KEY, decrypted in memory with FMS_KEY_PASSWORD; a wrong or missing passphrase never appears in the error', async () => {
  const dir = tempDir();
  const f = join(dir, 'enc.pem');
  const pw = 's3cret-passphrase';
  const g = generateKeyFile(f, { passphrase: pw });
  const pem = readFileSync(f, 'utf8');
  assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
  assert.is(statSync(f).mode & 0o777, 0o600);
  // openssl (node:crypto) reads it with the passphrase and derives the same key id
  const priv = createPrivateKey({ key: pem, format: 'pem', passphrase: pw });
  assert.equal(Buffer.from(g.publicKeySpki), createPublicKey(priv).export({ format: 'der', type: 'spki' }));
  const s = localEd25519Signer(f, { env: { FMS_KEY_PASSWORD: pw } });
  assert.is(s.keyId, g.keyId);
  const msg = new TextEncoder().encode('m');
  assert.ok(nodeVerify(null, msg, createPublicKey(priv), await s.sign(msg)));
  for (const wrong of ['', 'S3cret-passphrase', pw + ' ', '__proto__']) {
    assert.throws(
      () => localEd25519Signer(f, { env: { FMS_KEY_PASSWORD: wrong } }),
      (e: Error) => /^cannot decrypt key file `[^`]+`: wrong passphrase/.test(e.message) && (wrong === '' || !e.message.includes(wrong)) && !e.message.includes('\n'),
    );
  }
  // No passphrase and no terminal (the test's stdin is not a TTY)
  assert.throws(() => localEd25519Signer(f, { env: {} }), /needs a passphrase: set FMS_KEY_PASSWORD or run on a terminal/);
  assert.throws(() => generateKeyFile(join(dir, 'e2.pem'), { passphrase: '' }), /the passphrase is empty/);
  // Not key files: a directory, a FIFO (must not hang), something huge.
  assert.throws(() => localEd25519Signer(dir), /is not a regular file/);
  const big = join(dir, 'big.pem');
  writeFileSync(big, Buffer.alloc(100_000), { mode: 0o600 });
  assert.throws(() => localEd25519Signer(big), /is larger than 65536 bytes/);
  const fifo = join(dir, 'fifo.pem');
  if (spawnSync('mkfifo', ['-m', '600', fifo]).status === 0) assert.throws(() => localEd25519Signer(fifo), /is not a regular file/);
  // A plain key ignores FMS_KEY_PASSWORD.
  const plain = join(dir, 'plain.pem');
  const gp = generateKeyFile(plain);
  assert.is(localEd25519Signer(plain, { env: { FMS_KEY_PASSWORD: 'unused' } }).keyId, gp.keyId);
});

test.run();
