// The signer builders every key store adapter uses: the key store's answer
// is decoded as its documented encoding, normalised to low-S, and VERIFIED
// against the key's public key before it can become a pack or checkpoint
// signature (fail closed on a wrong key, a wrong encoding, a junk answer).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { isCanonicalLowS } from '@fms/runtime/crypto';
import { ecdsaDigestSigner, ed25519Signer, openSigner } from '@fms/signers';
import { derToRaw, newEd25519, newP256, rawToDer, signDigestDer, signEd25519, toHighS } from '../helpers/kms-doubles/server';

const msg = new TextEncoder().encode('DSSEv1 pae bytes');
const verifies = (spki: Buffer, sig: Uint8Array): boolean => nodeVerify('sha256', msg, { key: createPublicKey({ key: spki, format: 'der', type: 'spki' }), dsaEncoding: 'ieee-p1363' }, sig);

test('ecdsa: DER and raw answers, high-S normalised, the result verifies', async () => {
  const k = newP256();
  const der = ecdsaDigestSigner(k.spki, 'test key', async (d) => signDigestDer(k, Buffer.from(d)), undefined, 'der');
  const s1 = await der.sign(msg);
  assert.ok(verifies(k.spki, s1) && isCanonicalLowS(s1));
  const high = ecdsaDigestSigner(k.spki, 'test key', async (d) => rawToDer(toHighS(derToRaw(signDigestDer(k, Buffer.from(d))))), undefined, 'der');
  const s2 = await high.sign(msg);
  assert.ok(verifies(k.spki, s2) && isCanonicalLowS(s2));
  const raw = ecdsaDigestSigner(k.spki, 'test key', async (d) => toHighS(derToRaw(signDigestDer(k, Buffer.from(d)))), undefined, 'raw');
  assert.ok(isCanonicalLowS(await raw.sign(msg)));
});

test('ecdsa: a signature by another key, a wrong encoding or a junk answer is an error, never returned', async () => {
  const k = newP256();
  const other = newP256();
  const rejects = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
    await p.then(
      () => assert.unreachable('resolved'),
      (e: Error) => assert.match(e.message, re),
    );
  };
  await rejects(ecdsaDigestSigner(k.spki, 'k', async (d) => signDigestDer(other, Buffer.from(d)), undefined, 'der').sign(msg), /^k: the key store's signature does not verify with the key's public key$/);
  await rejects(ecdsaDigestSigner(k.spki, 'k', async (d) => signDigestDer(k, Buffer.from(d)), undefined, 'raw').sign(msg), /-byte signature, 64 expected/);
  await rejects(ecdsaDigestSigner(k.spki, 'k', async (d) => derToRaw(signDigestDer(k, Buffer.from(d))), undefined, 'der').sign(msg), /not DER ECDSA/);
  await rejects(ecdsaDigestSigner(k.spki, 'k', async () => new Uint8Array(64)).sign(msg), /^k: the key store returned an out-of-range ecdsa signature$/);
  await rejects(ecdsaDigestSigner(k.spki, 'k', async () => new Uint8Array(64).fill(7)).sign(msg), /does not verify/);
  await rejects(ecdsaDigestSigner(k.spki, 'k', async () => new Uint8Array([0x30, 0x81, 0xff, ...new Uint8Array(300)])).sign(msg), /not DER ECDSA/);
  await rejects(ecdsaDigestSigner(k.spki, 'k', async () => undefined as unknown as Uint8Array).sign(msg), /returned no signature/);
  // the digest handed to the key store is SHA-256 of the message
  let seen: Uint8Array | undefined;
  await ecdsaDigestSigner(k.spki, 'k', async (d) => ((seen = d), signDigestDer(k, Buffer.from(d))), undefined, 'der').sign(msg);
  assert.equal(Buffer.from(seen!), createHash('sha256').update(msg).digest());
  assert.throws(() => ecdsaDigestSigner(newEd25519().spki, 'k', async () => new Uint8Array()), /expected a p-256 key, got ed25519/);
});

test('ed25519: the answer verifies, or it is an error', async () => {
  const k = newEd25519();
  const ok = ed25519Signer(k.spki, 'e', async (m) => signEd25519(k, Buffer.from(m)));
  const sig = await ok.sign(msg);
  assert.ok(nodeVerify(null, msg, createPublicKey({ key: k.spki, format: 'der', type: 'spki' }), sig));
  await ed25519Signer(k.spki, 'e', async (m) => signEd25519(newEd25519(), Buffer.from(m)))
    .sign(msg)
    .then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /does not verify/));
  await ed25519Signer(k.spki, 'e', async () => new Uint8Array(63))
    .sign(msg)
    .then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /no 64-byte ed25519 signature/));
  assert.throws(() => ed25519Signer(newP256().spki, 'e', async () => new Uint8Array()), /expected an ed25519 key/);
});

test('openSigner: unknown schemes and prototype names are refused in one line, nothing loaded', async () => {
  for (const uri of ['file:/x', 'toString:', '__proto__://', 'constructor:x', '', 'x'.repeat(100_000), 'AWSKMS:///alias/x', 'pkcs11', 'gcpkms:/projects']) {
    await openSigner(uri, {}).then(
      () => assert.unreachable(uri),
      (e: Error) => {
        assert.match(e.message, /^unsupported key uri scheme `[^`]{0,33}` \(expected one of pkcs11: awskms:\/\/ gcpkms:\/\/ azurekms:\/\/ hashivault:\/\/\)$/);
      },
    );
  }
});

test.run();
