/**
 * Weak Ed25519 keys (issue 18, class 3): small-order, mixed-order and
 * non-canonical public keys are refused wherever a key is pinned, because
 * with them one fixed signature verifies for any content.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { assertStrongEd25519Key, ed25519KeyWeakness } from '../../../runtime/src/crypto/ed25519-key-strength';
import { ed25519Spki, keyIdOf, parsePublicKey } from '../../../runtime/src/crypto/keys';
import { verifySignature } from '../../../runtime/src/crypto/verify-signature';
import { encodeContainer } from '../../../runtime/src/pack/container';
import { encodeEnvelope, MANIFEST_PAYLOAD_TYPE } from '../../../runtime/src/trust/dsse';
import { encodeManifest, formatManifestTime } from '../../../runtime/src/trust/manifest';
import { loadPack, MemoryRollbackStore, PackRefusal, parseTrustRoots } from '../../../runtime/src/index';
import { NON_CANONICAL, TORSION } from '../../helpers/ed25519-weak-keys';

ed.hashes.sha512 = sha512;
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));


test('the 8 small-order points and every non-canonical encoding are weak; real keys are strong', () => {
  for (const h of TORSION) assert.match(ed25519KeyWeakness(hex(h)) ?? '', /small-order/, h);
  for (const h of NON_CANONICAL) assert.match(ed25519KeyWeakness(hex(h)) ?? '', /canonical/, h);
  for (let i = 0; i < 20; i++) assert.is(ed25519KeyWeakness(ed.getPublicKey(new Uint8Array(randomBytes(32)))), undefined);
  assert.match(ed25519KeyWeakness(new Uint8Array(31)) ?? '', /32 bytes/);
  assert.throws(() => assertStrongEd25519Key(hex(TORSION[0]!)), /small-order/);
});

test('mixed-order keys (a real key plus a torsion point) are weak', () => {
  const t = ed.Point.fromHex(TORSION[4]!);
  for (let i = 0; i < 5; i++) {
    const mixed = ed.Point.fromBytes(ed.getPublicKey(new Uint8Array(randomBytes(32)))).add(t).toBytes();
    assert.match(ed25519KeyWeakness(mixed) ?? '', /prime-order subgroup/);
  }
});

test('random 32-byte strings are classified like @noble/ed25519 strict decoding', () => {
  for (let i = 0; i < 300; i++) {
    const raw = new Uint8Array(randomBytes(32));
    let expect: string;
    try {
      const p = ed.Point.fromBytes(raw, false);
      expect = !p.toBytes().every((b, j) => b === raw[j]) ? 'bad' : p.isSmallOrder() ? 'small' : p.isTorsionFree() ? 'ok' : 'mixed';
    } catch {
      expect = 'bad';
    }
    const w = ed25519KeyWeakness(raw);
    const got = w === undefined ? 'ok' : /small/.test(w) ? 'small' : /prime-order/.test(w) ? 'mixed' : 'bad';
    assert.is(got, expect, Buffer.from(raw).toString('hex'));
  }
});

test('parsePublicKey (every trust root) refuses weak keys with a one-line reason', () => {
  for (const h of [...TORSION, ...NON_CANONICAL]) {
    const spki = ed25519Spki(hex(h));
    let msg = '';
    try {
      parsePublicKey(spki);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert.match(msg, /small-order|canonical/, h);
    assert.not.match(msg, /\n/);
  }
});

test('a pack "signed" for any content by the identity key is refused: the trust file cannot pin it', () => {
  // The attack: node:crypto (OpenSSL) accepts R = identity, S = 0 under the identity key for ANY message.
  const identity = hex(TORSION[0]!);
  const spki = ed25519Spki(identity);
  const forged = new Uint8Array(64);
  forged.set(identity, 0);
  const keyObject = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  assert.ok(verifySignature('ed25519', keyObject, new TextEncoder().encode('any message at all'), forged), 'precondition: the forgery works at the primitive level');
  const keyId = keyIdOf(spki);
  const body = new Uint8Array(16);
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const payload = encodeManifest({
    name: 'evil/pack',
    serial: 1,
    created_at: formatManifestTime(now),
    not_before: formatManifestTime(now),
    expires_at: formatManifestTime(new Date(now.getTime() + 86400_000)),
    body: { sha256: createHash('sha256').update(body).digest('hex'), size: body.length },
    compiler: { name: 'x', version: '1' },
    source_sha256: '0'.repeat(64),
  });
  const pack = encodeContainer(encodeEnvelope({ payloadType: MANIFEST_PAYLOAD_TYPE, payload, signatures: [{ keyid: keyId, sig: forged }] }), body);
  const trust = { version: 1, keys: [{ id: keyId, algorithm: 'ed25519', public_key: Buffer.from(spki).toString('base64') }], scopes: [{ prefix: '*', keys: [keyId], threshold: 1 }] };
  let err: unknown;
  try {
    loadPack(pack, { trust: parseTrustRoots(trust), rollback: new MemoryRollbackStore() });
  } catch (e) {
    err = e;
  }
  assert.instance(err, PackRefusal);
  assert.is((err as PackRefusal).code, 'trust-file');
  assert.match((err as Error).message, /keys\[0\]: ed25519 public key is a small-order point/);
});

test.run();
