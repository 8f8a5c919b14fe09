/**
 * parsePublicKey takes canonical Ed25519 DER (the 12-byte prefix + 32 bytes)
 * without node:crypto's export round-trip. The PEM spelling of the same bytes
 * still goes the long way (createPublicKey, export): both must give the same
 * key id, SPKI and algorithm, or the same refusal.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ed25519Spki, parsePublicKey } from '../../../runtime/src/crypto/keys';
import { NON_CANONICAL, TORSION } from '../../helpers/ed25519-weak-keys';

const pem = (der: Uint8Array): string =>
  `-----BEGIN PUBLIC KEY-----\n${Buffer.from(der).toString('base64')}\n-----END PUBLIC KEY-----\n`;
/** A fresh real key's DER SPKI, as node:crypto exports it. */
const realKey = (): Uint8Array => new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }));
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** The result of parsePublicKey, or its error message. */
function outcome(input: Uint8Array | string): string {
  try {
    const k = parsePublicKey(input);
    assert.instance(k.spki, Uint8Array);
    assert.is(k.keyObject.asymmetricKeyType, k.algorithm === 'ed25519' ? 'ed25519' : 'ec');
    // The key object too: the one `crypto.verify` will use must hold the same key.
    const held = k.keyObject.export({ format: 'der', type: 'spki' }).toString('hex');
    return `${k.algorithm} ${k.keyId} ${Buffer.from(k.spki).toString('hex')} ${held}`;
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
}

function agree(der: Uint8Array, expect: 'ok' | 'refused'): void {
  const a = outcome(der);
  assert.is(a, outcome(pem(der)), Buffer.from(der).toString('hex'));
  assert.is(a.startsWith('refused'), expect === 'refused', a);
}

test('real Ed25519 keys: DER and PEM give the same key', () => {
  for (let i = 0; i < 200; i++) agree(realKey(), 'ok');
  // Built from the raw key by our own encoder: the same 44 bytes.
  const k = realKey();
  assert.equal(ed25519Spki(k.subarray(12)), k);
});

test('weak Ed25519 keys are refused the same way on both paths', () => {
  for (const h of [...TORSION, ...NON_CANONICAL]) agree(ed25519Spki(hex(h)), 'refused');
  for (let i = 0; i < 300; i++) {
    const der = ed25519Spki(Uint8Array.from(randomBytes(32)));
    assert.is(outcome(der), outcome(pem(der)));
  }
});

test('the input is copied: changing it later does not change the parsed key', () => {
  const der = realKey();
  const k = parsePublicKey(der);
  const before = Buffer.from(k.spki).toString('hex');
  der[20]! ^= 1;
  assert.is(Buffer.from(k.spki).toString('hex'), before);
});

test('near misses of the Ed25519 prefix take the long path and are refused or re-encoded like before', () => {
  const good = realKey();
  // X25519's OID (1.3.101.110) with an Ed25519-sized key: not an Ed25519 key.
  const x = Uint8Array.from(good);
  x[8] = 0x6e;
  assert.match(outcome(x), /^refused: unsupported public key type `x25519`/);
  // One byte short: refused. One trailing byte: node:crypto reads the key and drops the byte; the long path
  // re-encodes it, so it is the same key with the same id (as before this fast path).
  assert.match(outcome(good.subarray(0, 43)), /^refused/);
  assert.is(outcome(Uint8Array.from([...good, 0])), outcome(good));
  // A P-256 key still parses (and is re-encoded uncompressed).
  const p = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }));
  assert.match(outcome(p), /^ecdsa-p256-sha256 sha256:/);
});

test.run();
