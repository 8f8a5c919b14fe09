import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { decodeContainer, encodeContainer } from '../../../runtime/src/pack/container';
import { decodeEnvelope, encodeEnvelope, MANIFEST_PAYLOAD_TYPE, pae } from '../../../runtime/src/trust/dsse';
import { MemoryRollbackStore, PackRefusal, parseTrustRoots, verifyPack, type VerifyOptions } from '../../../runtime/src/trust/verify';
import { P256_N } from '../../../runtime/src/crypto/ecdsa';
import { addSignature } from '@fms/compiler/sign';
import { ed25519Key, makePack, NOW, p256Key, tempDir, trustFor, trustJson } from './fixtures';

const dir = tempDir();
const A = ed25519Key(dir, 'a');
const B = ed25519Key(dir, 'b');
const C = ed25519Key(dir, 'c');
const P = p256Key().signer;
const attacker = ed25519Key(dir, 'attacker');

function refused(bytes: Uint8Array, opts: VerifyOptions): PackRefusal {
  try {
    verifyPack(bytes, { now: NOW, ...opts });
  } catch (e) {
    if (e instanceof PackRefusal) {
      assert.not.match(e.message, /[\r\n]/);
      assert.is(e.exitCode, 3);
      return e;
    }
    throw e;
  }
  throw new Error('expected the pack to be refused');
}

/** Rewrites the envelope of a pack (signatures edited by `f`), keeping the body. */
function editEnvelope(pack: Uint8Array, f: (sigs: { keyid: string; sig: Uint8Array }[]) => { keyid: string; sig: Uint8Array }[]): Uint8Array {
  const c = decodeContainer(pack);
  const env = decodeEnvelope(c.envelope);
  return encodeContainer(encodeEnvelope({ ...env, signatures: f(env.signatures) }), c.body);
}

test('a pack signed by a pinned key verifies and returns body, digest, signers', async () => {
  const body = new TextEncoder().encode('hello body');
  const pack = await makePack(A, { body });
  const v = verifyPack(pack, { trust: trustFor([A]), now: NOW });
  assert.is(v.manifest.name, 'acme/payments');
  assert.equal(Array.from(v.body), Array.from(body));
  assert.is(v.digest, createHash('sha256').update(body).digest('hex'));
  assert.equal(v.signers, [A.keyId]);
});

test('p-256 signatures verify; two keys meet a 2-of-3 threshold', async () => {
  const pack = await makePack([A, P]);
  const v = verifyPack(pack, { trust: trustFor([A, P, C], [{ prefix: 'acme', threshold: 2 }]), now: NOW });
  assert.equal(v.signers, [A.keyId, P.keyId].sort());
});

test('signatures are independently valid: node:crypto verifies what @noble/ed25519 signed', async () => {
  const pack = await makePack(A);
  const env = decodeEnvelope(decodeContainer(pack).envelope);
  const { createPublicKey, verify } = await import('node:crypto');
  const key = createPublicKey({ key: Buffer.from(A.publicKeySpki), format: 'der', type: 'spki' });
  const msg = Buffer.concat([Buffer.from(`DSSEv1 ${MANIFEST_PAYLOAD_TYPE.length} ${MANIFEST_PAYLOAD_TYPE} ${env.payload.length} `), env.payload]);
  assert.ok(verify(null, msg, key, env.signatures[0]!.sig));
  assert.equal(Array.from(msg), Array.from(pae(MANIFEST_PAYLOAD_TYPE, env.payload)));
  assert.is(createHash('sha256').update(A.publicKeySpki).digest('hex'), A.keyId.slice(7));
});

test('ed25519 signing is deterministic: same manifest, same bytes', async () => {
  const a = await makePack(A);
  const b = await makePack(A);
  assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0);
});

test('refused: stripped signature', async () => {
  const pack = editEnvelope(await makePack(A), () => []);
  assert.is(refused(pack, { trust: trustFor([A]) }).code, 'unsigned');
});

test('refused: signed only by a key that is not pinned', async () => {
  const pack = await makePack(B);
  const r = refused(pack, { trust: trustFor([A]) });
  assert.is(r.code, 'threshold');
  assert.match(r.message, /0 distinct pinned keys/);
});

test('refused: attacker key labelled with a pinned key id', async () => {
  const forged = editEnvelope(await makePack(attacker), (s) => s.map((x) => ({ ...x, keyid: A.keyId })));
  assert.is(refused(forged, { trust: trustFor([A]) }).code, 'bad-signature');
});

test('refused: one key counted twice toward a threshold', async () => {
  const pack = editEnvelope(await makePack(A), (s) => [s[0]!, s[0]!]);
  const r = refused(pack, { trust: trustFor([A, B], [{ prefix: 'acme/payments', threshold: 2 }]) });
  assert.is(r.code, 'threshold');
  assert.match(r.message, /1 distinct/);
  await assert.not.throws(async () => addSignature(pack, B));
  const ok = await addSignature(await makePack(A), B);
  assert.is(verifyPack(ok, { trust: trustFor([A, B], [{ prefix: 'acme/payments', threshold: 2 }]), now: NOW }).signers.length, 2);
});

test('refused: scope confusion `acme/pay` vs `acme/payments`', async () => {
  const pack = await makePack(A, { name: 'acme/payments' });
  assert.is(refused(pack, { trust: trustFor([A], [{ prefix: 'acme/pay' }]) }).code, 'no-scope');
  // the key is pinned only for `acme/pay`; `*` belongs to another key
  const r = refused(pack, { trust: trustFor([A, B], [{ prefix: 'acme/pay', keys: [A] }, { prefix: '*', keys: [B] }]) });
  assert.is(r.code, 'threshold');
  assert.match(r.message, /other scopes/);
  // segment prefixes do cover sub-names
  const sub = await makePack(A, { name: 'acme/pay/eu' });
  assert.ok(verifyPack(sub, { trust: trustFor([A], [{ prefix: 'acme/pay' }]), now: NOW }));
});

test('the most specific scope wins, a broader key cannot sign for it', async () => {
  const trust = trustFor([A, B], [
    { prefix: 'acme', keys: [A] },
    { prefix: 'acme/payments', keys: [B] },
  ]);
  assert.is(refused(await makePack(A, { name: 'acme/payments/eu' }), { trust }).code, 'threshold');
  assert.ok(verifyPack(await makePack(B, { name: 'acme/payments/eu' }), { trust, now: NOW }));
  assert.ok(verifyPack(await makePack(A, { name: 'acme/billing' }), { trust, now: NOW }));
});

test('refused: expired and not yet valid (with a small clock-skew allowance)', async () => {
  const trust = trustFor([A]);
  const expired = await makePack(A, { createdAt: new Date('2025-01-01T00:00:00Z'), expiresAt: new Date('2025-05-31T23:50:00Z') });
  const r = refused(expired, { trust });
  assert.is(r.code, 'expired');
  assert.match(r.message, /2025-05-31T23:50:00Z/);
  const future = await makePack(A, { createdAt: new Date('2025-05-01T00:00:00Z'), notBefore: new Date('2025-06-01T00:10:00Z') });
  assert.is(refused(future, { trust }).code, 'not-yet-valid');
  const justExpired = await makePack(A, { createdAt: new Date('2025-01-01T00:00:00Z'), expiresAt: new Date('2025-05-31T23:58:00Z') });
  assert.ok(verifyPack(justExpired, { trust, now: NOW }), 'within 5 minutes of skew');
  assert.is(refused(justExpired, { trust, clockSkewSeconds: 0 }).code, 'expired');
});

test('refused: rollback to a lower serial, and the same serial with other content', async () => {
  const trust = trustFor([A]);
  const state = new MemoryRollbackStore();
  verifyPack(await makePack(A, { serial: 5 }), { trust, state, now: NOW });
  assert.is(state.get('acme/payments')?.serial, 5);
  verifyPack(await makePack(A, { serial: 5 }), { trust, state, now: NOW }); // identical pack again is fine
  const r = refused(await makePack(A, { serial: 4 }), { trust, state });
  assert.is(r.code, 'rollback');
  assert.match(r.message, /older than the last accepted serial 5/);
  const other = await makePack(A, { serial: 5, body: new TextEncoder().encode('other body') });
  assert.is(refused(other, { trust, state }).code, 'serial-reuse');
  verifyPack(await makePack(A, { serial: 6 }), { trust, state, now: NOW });
  assert.is(state.get('acme/payments')?.serial, 6);
  assert.is(refused(await makePack(A, { serial: 5 }), { trust, state }).code, 'rollback');
  // other names have their own mark
  verifyPack(await makePack(A, { serial: 1, name: 'acme/other' }), { trust, state, now: NOW });
});

test('refused: serial below min_serial', async () => {
  const trust = trustFor([A], [{ prefix: 'acme', min_serial: 10 }]);
  assert.is(refused(await makePack(A, { serial: 9 }), { trust }).code, 'min-serial');
  assert.ok(verifyPack(await makePack(A, { serial: 10 }), { trust, now: NOW }));
});

test('refused: revoked key', async () => {
  const pack = await makePack(A);
  const r = refused(pack, { trust: trustFor([A, B], [{ prefix: '*' }], [A.keyId]) });
  assert.is(r.code, 'threshold');
  assert.match(r.message, /revoked/);
  // a revoked key never counts even when another key also signed
  const both = await addSignature(pack, B);
  assert.is(refused(both, { trust: trustFor([A, B], [{ prefix: '*', threshold: 2 }], [A.keyId]) }).code, 'threshold');
  assert.ok(verifyPack(both, { trust: trustFor([A, B], [{ prefix: '*', threshold: 1 }], [A.keyId]), now: NOW }));
});

test('refused: wrong algorithm for the pinned key', async () => {
  // an ed25519 key pinned as ecdsa (or the reverse) is refused when the trust file loads
  const t = trustJson([A, P]) as { keys: { algorithm: string }[] };
  t.keys[0]!.algorithm = 'ecdsa-p256-sha256';
  assert.throws(() => parseTrustRoots(t), /pinned as `ecdsa-p256-sha256`/);
  t.keys[0]!.algorithm = 'ed25519';
  t.keys[1]!.algorithm = 'ed25519';
  assert.throws(() => parseTrustRoots(t), /pinned as `ed25519` but its key material is `ecdsa-p256-sha256`/);
  // a p-256 key's signature presented as if the pinned ed25519 key made it
  const pack = await makePack(P);
  const swapped = editEnvelope(pack, (s) => s.map((x) => ({ ...x, keyid: A.keyId })));
  assert.is(refused(swapped, { trust: trustFor([A]) }).code, 'bad-signature');
});

test('refused: high-S twin of a valid ecdsa signature', async () => {
  const pack = await makePack(P);
  const high = editEnvelope(pack, (s) =>
    s.map((x) => {
      const sBig = BigInt('0x' + Buffer.from(x.sig.subarray(32)).toString('hex'));
      const hs = Buffer.from((P256_N - sBig).toString(16).padStart(64, '0'), 'hex');
      return { ...x, sig: new Uint8Array(Buffer.concat([x.sig.subarray(0, 32), hs])) };
    }),
  );
  // node:crypto alone accepts the high-S twin; our verifier must not
  const env = decodeEnvelope(decodeContainer(high).envelope);
  const { createPublicKey, verify } = await import('node:crypto');
  const key = createPublicKey({ key: Buffer.from(P.publicKeySpki), format: 'der', type: 'spki' });
  assert.ok(verify('sha256', pae(MANIFEST_PAYLOAD_TYPE, env.payload), { key, dsaEncoding: 'ieee-p1363' }, env.signatures[0]!.sig));
  assert.is(refused(high, { trust: trustFor([P]) }).code, 'bad-signature');
});

test('refused: every flipped byte of the envelope or body (one and two signatures)', async () => {
  for (const [signers, threshold] of [[[A], 1], [[A, P], 2]] as const) {
    const pack = await makePack([...signers], { body: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) });
    const trust = trustFor([...signers], [{ prefix: '*', threshold }]);
    assert.ok(verifyPack(pack, { trust, now: NOW }));
    const codes = new Set<string>();
    for (let i = 0; i < pack.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = pack.slice();
        bad[i]! ^= mask;
        let ok = false;
        try {
          verifyPack(bad, { trust, now: NOW });
          ok = true;
        } catch (e) {
          if (!(e instanceof PackRefusal)) throw new Error(`byte ${i} mask ${mask}: non-refusal error ${(e as Error).message}`);
          codes.add(e.code);
        }
        assert.not.ok(ok, `byte ${i} ^ ${mask} of ${pack.length} was accepted`);
      }
    }
    assert.ok(codes.has('bad-signature') || codes.has('envelope-malformed'));
    assert.ok(codes.has('body-digest'));
  }
});

test('refused: trailing bytes and every truncation of a real pack', async () => {
  const pack = await makePack(A);
  const trust = trustFor([A]);
  const t = new Uint8Array(pack.length + 1);
  t.set(pack);
  assert.is(refused(t, { trust }).code, 'container-trailing-bytes');
  for (let n = 0; n < pack.length; n++) refused(pack.subarray(0, n), { trust });
});

test('refused: body swapped under a valid envelope', async () => {
  const a = decodeContainer(await makePack(A, { body: new TextEncoder().encode('aaaa') }));
  const swapped = encodeContainer(a.envelope, new TextEncoder().encode('bbbb'));
  assert.is(refused(swapped, { trust: trustFor([A]) }).code, 'body-digest');
  const longer = encodeContainer(a.envelope, new TextEncoder().encode('aaaaa'));
  assert.is(refused(longer, { trust: trustFor([A]) }).code, 'body-size');
});

test('refused: ecdsa signature produced over the raw digest by a foreign key with a pinned id', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pack = editEnvelope(await makePack(P), (s) =>
    s.map((x) => ({ ...x, sig: new Uint8Array(nodeSign('sha256', Buffer.from('x'), { key: privateKey, dsaEncoding: 'ieee-p1363' })) })),
  );
  assert.is(refused(pack, { trust: trustFor([P]) }).code, 'bad-signature');
});

test.run();
